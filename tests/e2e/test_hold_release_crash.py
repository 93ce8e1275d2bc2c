"""condor_hold / condor_release with the real commands, and a schedd killed
with SIGKILL in the middle of launching: nothing launched twice, nothing leaks."""

import signal
import time

from pycondorlite.deltacloud.simulator import Simulator


def _submit(stack, e2e, tmp_path, sim, n=1):
    ad = tmp_path / "providers.ad"
    ad.write_text(e2e.provider_ad(sim.url, extra="WantAdRevaluate = True\n"))
    sub = e2e.copy_example(tmp_path)
    if n != 1:
        sub.write_text(sub.read_text().replace("\nqueue\n", f"\nqueue {n}\n"))
    stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))
    stack.tool("condor_submit", str(sub))


def _ours(sim):
    return [i for i in sim.instances() if i.get("serial") is not None]


def test_hold_and_release(stack, e2e, tmp_path):
    with Simulator(users={"ec2_username": "ec2_secret_access_key"}) as sim:
        _submit(stack, e2e, tmp_path, sim)
        stack.start_schedd()
        stack.wait(lambda sp: sp.job(1, 0).status == 2, what="Running")
        with stack.spool() as sp:
            first = sp.job(1, 0).literal("GridJobId").split()[1]
        stack.tool("condor_hold", "1")
        stack.wait(lambda sp: sp.job(1, 0).literal("Managed") == "Schedd", what="hold handled")
        with stack.spool() as sp:
            job = sp.job(1, 0)
            assert job.status == 5
            assert job.literal("GridJobId") is None
        assert _ours(sim) == []                         # condor_hold killed the instance
        stack.tool("condor_release", "1")
        stack.wait(lambda sp: sp.job(1, 0).status == 2, what="Running again")
        with stack.spool() as sp:
            second = sp.job(1, 0).literal("GridJobId").split()[1]
        assert second != first                          # a brand-new instance
        assert [i["name"] for i in _ours(sim)] == [second]
        stack.tool("condor_rm", "1")
        stack.wait(lambda sp: sp.job(1, 0) is None, what="gone")
        assert _ours(sim) == []
        assert sim.counts()["created_count"] == 2


def test_schedd_killed_while_launching(stack, e2e, tmp_path):
    n = 40
    with Simulator(users={"ec2_username": "ec2_secret_access_key"},
                   faults={"latency": 0.2}) as sim:
        _submit(stack, e2e, tmp_path, sim, n)
        stack.start_schedd()
        # Kill it as soon as the first creates are on the wire.
        deadline = time.monotonic() + 20
        while sim.stats().get("POST /api/instances", 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        stack.schedd.send_signal(signal.SIGKILL)
        stack.schedd.wait()
        stack.schedd = None
        time.sleep(0.5)                                 # creates in flight finish meanwhile
        stack.start_schedd()
        stack.wait(lambda sp: sp.count_by_status() == {2: n}, timeout=60, what="all Running")
        with stack.spool() as sp:
            names = sorted(j.literal("GridJobId").split()[1] for j in sp.jobs())
        assert sorted(i["name"] for i in _ours(sim)) == names
        counts = sim.counts()
        assert counts["created_count"] == n, counts     # nothing launched twice
        assert counts["duplicate_names"] == []
        stack.tool("condor_rm", "-all")
        stack.wait(lambda sp: sp.count_by_status() == {}, timeout=60, what="queue empty")
        assert _ours(sim) == []
