"""200 jobs while 30 % of the cloud's requests fail: all run, all are destroyed,
nothing is launched twice, nothing leaks."""

import time

from pycondorlite.deltacloud.simulator import Simulator

N = 200


def test_200_jobs_with_30_percent_failures(stack, e2e, tmp_path):
    faults = {"fail_rate": 0.3, "drop_rate": 0.03}
    with Simulator(users={"ec2_username": "ec2_secret_access_key"}, faults=faults,
                   seed=7) as sim:
        ad = tmp_path / "providers.ad"
        ad.write_text(e2e.provider_ad(sim.url, extra="WantAdRevaluate = True\n"))
        sub = e2e.copy_example(tmp_path)
        text = sub.read_text().replace("\nqueue\n", f"\nqueue {N}\n")
        assert f"queue {N}" in text
        sub.write_text(text)
        stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))
        stack.tool("condor_submit", str(sub))
        t0 = time.monotonic()
        stack.start_schedd()

        stack.wait(lambda sp: sp.count_by_status() == {2: N}, timeout=120,
                   what=f"all {N} jobs Running")
        t_running = time.monotonic() - t0
        with stack.spool() as sp:
            ids = {j.literal("GridJobId").split()[2]: j.literal("GridJobId").split()[1]
                   for j in sp.jobs()}
        assert len(ids) == N
        live = {i["id"]: i["name"] for i in sim.instances() if i.get("serial") is not None}
        assert live == ids                  # one instance per job, each one the job's own

        t1 = time.monotonic()
        stack.remove("-all")
        stack.wait(lambda sp: sp.count_by_status() == {}, timeout=120, what="queue empty")
        t_gone = time.monotonic() - t1
        counts = sim.counts()
        stats = sim.stats()
        print(f"\n{N} jobs, faults {faults}: all Running after {t_running:.1f}s, "
              f"all destroyed {t_gone:.1f}s after condor_rm; created {counts['created_count']}, "
              f"injected failures {stats.get('fault:fail', 0)}, drops {stats.get('fault:drop', 0)}")
        assert counts["created_count"] == N         # 0 duplicates
        assert counts["duplicate_names"] == []
        assert [i for i in sim.instances() if i.get("serial") is not None] == []   # 0 leaks
        assert counts["destroyed_count"] == N
        assert stats.get("fault:fail", 0) > 50       # the faults really happened
        with stack.spool() as sp:
            hist = list(sp.history())
        assert len(hist) == N and all(a["JobStatus"] == "3" for _, _, a in hist)
        log = stack.schedlog()
        assert "retrying" in log                           # failures were logged...
        assert "ec2_secret_access_key" not in log          # ...without the secret
