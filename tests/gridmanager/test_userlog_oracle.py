"""The events the gridmanager writes are read back by real HTCondor's
htcondor2.JobEventLog (in its own process: importing htcondor2 changes classad2)."""

import json
import os
import subprocess
import sys

READER = """
import json, sys, htcondor2
out = []
for e in htcondor2.JobEventLog(sys.argv[1]).events(0):
    out.append([e.cluster, e.proc, int(e.type), {k: str(v) for k, v in e.items()}])
print(json.dumps(out))
"""


def test_events_read_by_htcondor(h, sim, spool, gm, env):
    log = env / "job.log"
    removed = h.submit(spool, sim.url, log=log)
    stopped = h.submit(spool, sim.url, log=log)
    bad = h.submit(spool, sim.url, log=log, hwp="no-such-profile")
    h.drive(gm, lambda: h.status(spool, removed) == 2 and h.status(spool, stopped) == 2
            and h.status(spool, bad) == 5, what="two Running, one held")
    sim.set_faults(fail_rate=1.0)
    h.drive(gm, lambda: h.attr(spool, removed, "GridResourceUnavailableTime") is not None,
            what="resource down")
    sim.set_faults(fail_rate=0.0)
    h.drive(gm, lambda: h.attr(spool, removed, "GridResourceUnavailableTime") is None,
            what="resource up")
    sim.set_state(h.attr(spool, stopped, "DeltacloudProviderId"), "STOPPED")
    h.drive(gm, lambda: h.in_history(spool, stopped), what="completed")
    h.remove(spool, [removed])
    h.drive(gm, lambda: h.in_history(spool, removed), what="removed")

    env_vars = dict(os.environ, CONDOR_CONFIG="/dev/null")
    done = subprocess.run([sys.executable, "-c", READER, str(log)], capture_output=True,
                          text=True, env=env_vars, timeout=60)
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)
    by_job = {}
    for cid, pid, typ, body in events:
        if typ != 0:                        # submit events come from condor_submit/the spool
            by_job.setdefault(cid, []).append((typ, body))
    assert [t for t, _ in by_job[removed]] == [27, 1, 26, 25, 9]
    assert [t for t, _ in by_job[stopped]] == [27, 1, 26, 25, 5]
    assert [t for t, _ in by_job[bad]] == [12]
    grid_submit = dict(by_job[removed])[27]
    assert grid_submit["GridJobId"].startswith("deltacloud ")
    assert grid_submit["GridResource"] == "deltacloud " + sim.url
    assert dict(by_job[removed])[9]["Reason"] == f"via condor_rm (by user {h.ME})"
    assert "Create_Instance_Failure" in dict(by_job[bad])[12]["HoldReason"]
    assert dict(by_job[stopped])[5]["ReturnValue"] == "0"
