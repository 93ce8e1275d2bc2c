"""One Deltacloud grid job through its life against the simulator."""

import time


from pycondorlite.gridmanager import GridManager


def test_launch_run_remove(h, sim, spool, gm, env, schedlog):
    log = env / "job.log"
    cid = h.submit(spool, sim.url, log=log, hwp="m1-large", keyname="test-key", realm="eu")
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")

    gid = h.attr(spool, cid, "GridJobId").split()
    assert gid[0] == "deltacloud" and len(gid) == 3
    name, inst_id = gid[1], gid[2]
    # Unique and never cut short (HTCondor cut a UUID to the provider's limit).
    assert name == h.generated_name(spool, cid)
    assert h.attr(spool, cid, "DeltacloudProviderId") == inst_id
    assert h.attr(spool, cid, "GridJobStatus") == "RUNNING"
    assert h.attr(spool, cid, "Managed") == "External"
    assert h.attr(spool, cid, "DeltacloudPublicNetworkAddresses") == f"img1.{inst_id}.public.com"
    assert h.attr(spool, cid, "DeltacloudPrivateNetworkAddresses") == f"img1.{inst_id}.private.com"
    assert "stop" in h.attr(spool, cid, "DeltacloudAvailableActions").split(",")

    (inst,) = h.live(sim, name)
    assert inst["id"] == inst_id
    assert inst["image_id"] == "img1"
    assert inst["hwp_id"] == "m1-large"
    assert inst["realm_id"] == "eu"
    assert inst["keyname"] == "test-key"
    assert inst["state"] == "RUNNING"

    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="job in history")
    assert spool.job(cid, 0) is None
    assert h.live(sim, name) == []
    had = h.history_ad(spool, cid)
    assert had["JobStatus"] == "3"
    assert had["Managed"] == '"ScheddDone"'
    assert had["GridJobStatus"] == '"FINISH"'       # as HTCondor leaves it
    assert float(had["RemoteWallClockTime"]) >= 0
    assert "JobCurrentStartDate" not in had
    assert "GridJobId" not in had
    assert had["DeltacloudProviderId"] == f'"{inst_id}"'
    stats = sim.stats()
    assert stats.get("POST /api/instances/:id/stop") == 1
    assert stats.get("DELETE /api/instances/:id") == 1

    text = log.read_text()
    codes = h.events(text)
    assert codes == ["027", "001", "009"]
    assert f"GridJobId: deltacloud {name} {inst_id}" in text
    assert f"via condor_rm (by user {h.ME})" in text
    for path in (log, schedlog.path):
        assert h.PASSWORD not in path.read_text()


def test_pending_then_running(h, spool, gm, env):
    from pycondorlite.deltacloud.simulator import Simulator
    with Simulator(pending_delay=0.8) as sim:
        cid = h.submit(spool, sim.url)
        h.drive(gm, lambda: h.attr(spool, cid, "GridJobStatus") == "PENDING", what="PENDING")
        assert h.status(spool, cid) == 1
        h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
        assert h.attr(spool, cid, "GridJobStatus") == "RUNNING"
        h.remove(spool, [cid])
        h.drive(gm, lambda: h.in_history(spool, cid), what="history")
        assert h.live(sim) == []


def test_provider_stops_instance_job_completes(h, sim, spool, gm, env):
    log = env / "job.log"
    cid = h.submit(spool, sim.url, log=log)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    inst_id = h.attr(spool, cid, "DeltacloudProviderId")
    sim.set_state(inst_id, "STOPPED")
    h.drive(gm, lambda: h.in_history(spool, cid), what="completed")
    had = h.history_ad(spool, cid)
    assert had["JobStatus"] == "4"
    assert had["ExitCode"] == "0"
    # The stopped instance is destroyed too: nothing is left behind.
    assert h.live(sim) == []
    codes = h.events(log.read_text())
    assert codes == ["027", "001", "005"]


def test_instance_vanishes_job_completes(h, sim, spool, gm):
    cid = h.submit(spool, sim.url)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    sim.vanish(h.attr(spool, cid, "DeltacloudProviderId"))
    h.drive(gm, lambda: h.in_history(spool, cid), what="completed")
    assert h.history_ad(spool, cid)["JobStatus"] == "4"


def test_hold_destroys_release_launches_new(h, sim, spool, gm, env):
    cid = h.submit(spool, sim.url)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    first = h.attr(spool, cid, "GridJobId").split()[1]
    h.hold(spool, cid)
    h.drive(gm, lambda: h.attr(spool, cid, "Managed") == "Schedd", what="hold handled")
    assert h.status(spool, cid) == 5
    assert h.attr(spool, cid, "GridJobId") is None
    assert h.live(sim) == []
    # Held jobs stay untouched.
    for _ in range(5):
        gm.poll()
        time.sleep(0.02)
    assert h.live(sim) == []
    h.release(spool, cid)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running again")
    second = h.attr(spool, cid, "GridJobId").split()[1]
    assert (first, second) == (h.generated_name(spool, cid, launch=1),
                               h.generated_name(spool, cid, launch=2))
    assert len(h.live(sim)) == 1
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim) == []


def test_password_file(h, sim, spool, gm, env):
    pw = env / "pw"
    pw.write_text("mockpassword\n")
    cid = h.submit(spool, sim.url, matched=False, password=None, password_file=pw)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")


def test_restart_mid_flight(h, sim, spool, schedlog, env):
    """A new GridManager (the schedd restarted) adopts the instance by name."""
    gm1 = GridManager(spool, schedlog)
    cid = h.submit(spool, sim.url, count=3)
    h.drive(gm1, lambda: all(h.status(spool, cid, p) == 2 for p in range(3)), what="Running")
    gm1.shutdown()
    gm2 = GridManager(spool, schedlog)
    try:
        for _ in range(10):
            gm2.poll()
            time.sleep(0.05)
        assert sim.counts()["created_count"] == 3
        h.remove(spool, [cid])
        h.drive(gm2, lambda: all(h.in_history(spool, cid, p) for p in range(3)), what="history")
        assert h.live(sim) == []
        assert sim.counts()["created_count"] == 3
    finally:
        gm2.shutdown()
