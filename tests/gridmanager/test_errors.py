"""Permanent failures hold the job; 405/403 and transient failures are handled."""

import time


def test_bad_credentials_hold(h, sim, spool, gm, env, schedlog):
    log = env / "job.log"
    cid = h.submit(spool, sim.url, password="not-the-password-xyz", log=log)
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    reason = h.attr(spool, cid, "HoldReason")
    assert reason.startswith("Create_Instance_Failure:") and "401" in reason
    assert h.attr(spool, cid, "HoldReasonCode") == 0
    assert h.attr(spool, cid, "NumSystemHolds") == 1
    assert h.attr(spool, cid, "Managed") == "Schedd"
    assert h.live(sim) == []
    text = log.read_text()
    assert h.events(text) == ["012"]
    for path in (log, schedlog.path):
        assert "not-the-password-xyz" not in path.read_text()
    # A held job is left alone.
    for _ in range(5):
        gm.poll()
        time.sleep(0.02)
    assert sim.counts()["created_count"] == 0


def test_unknown_hardware_profile_hold(h, sim, spool, gm):
    cid = h.submit(spool, sim.url, hwp="no-such-profile")
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    reason = h.attr(spool, cid, "HoldReason")
    assert "Create_Instance_Failure" in reason and "no-such-profile" in reason
    assert h.live(sim) == []


def test_missing_username_hold(h, sim, spool, gm):
    cid = h.submit(spool, sim.url, matched=False, user="")
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason") == "DeltacloudUsername is not set in the job ad"


def test_missing_password_hold(h, sim, spool, gm):
    cid = h.submit(spool, sim.url, matched=False, password=None)
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason") == "DeltacloudPasswordFile is not set in the job ad"


def test_unreadable_password_file_hold(h, sim, spool, gm, env):
    cid = h.submit(spool, sim.url, matched=False, password=None,
                   password_file=env / "does-not-exist")
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason").startswith("Invalid_Password_File")


def test_stop_of_stopped_instance_405_then_destroy(h, spool, schedlog, env, monkeypatch):
    """The gridmanager's copy says RUNNING (actions: stop) but the provider has
    stopped it: stop answers 405, the gridmanager looks again and destroys."""
    from pycondorlite.deltacloud.simulator import Simulator
    from pycondorlite.gridmanager import GridManager
    monkeypatch.setenv("_CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL", "600")
    with Simulator() as sim:
        gm = GridManager(spool, schedlog)
        try:
            cid = h.submit(spool, sim.url)
            h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
            inst_id = h.attr(spool, cid, "DeltacloudProviderId")
            sim.set_state(inst_id, "STOPPED")
            h.remove(spool, [cid])
            h.drive(gm, lambda: h.in_history(spool, cid), what="history")
            stats = sim.stats()
            assert stats.get("POST /api/instances/:id/stop") == 1      # answered 405
            assert stats.get("DELETE /api/instances/:id") == 1          # answered 204
            assert h.live(sim) == []
            assert "405" in schedlog.path.read_text() or stats.get("GET /api/instances/:id")
        finally:
            gm.shutdown()


def test_removed_after_external_destroy_403(h, sim, spool, gm, monkeypatch):
    """The instance disappeared behind our back: the action gets 403, the job still leaves."""
    cid = h.submit(spool, sim.url)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    sim.vanish(h.attr(spool, cid, "DeltacloudProviderId"))
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.history_ad(spool, cid)["JobStatus"] == "3"


def test_resource_down_and_up(h, sim, spool, gm, env):
    log = env / "job.log"
    cid = h.submit(spool, sim.url, log=log)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    sim.set_faults(fail_rate=1.0)
    h.drive(gm, lambda: h.attr(spool, cid, "GridResourceUnavailableTime") is not None,
            what="resource down")
    sim.set_faults(fail_rate=0.0)
    h.drive(gm, lambda: h.attr(spool, cid, "GridResourceUnavailableTime") is None,
            what="resource up")
    codes = h.events(log.read_text())
    assert codes == ["027", "001", "026", "025"]
    assert h.status(spool, cid) == 2
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim) == []


def test_transient_faults_no_duplicates(h, sim, spool, gm):
    sim.set_faults(fail_rate=0.3, drop_rate=0.05)
    cid = h.submit(spool, sim.url, count=20)
    h.drive(gm, lambda: all(h.status(spool, cid, p) == 2 for p in range(20)),
            timeout=60, what="all Running")
    assert len(h.live(sim)) == 20
    h.remove(spool, [cid])
    h.drive(gm, lambda: all(h.in_history(spool, cid, p) for p in range(20)),
            timeout=60, what="all removed")
    counts = sim.counts()
    assert h.live(sim) == []
    assert counts["duplicate_names"] == []


def test_foreign_grid_job_id_hold(h, sim, spool, gm):
    cid = h.submit(spool, sim.url, extra={"GridJobId": '"ec2 https://x i-123"'})
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason") == "GridJobId not of type deltacloud"
    assert h.attr(spool, cid, "GridJobId") == "ec2 https://x i-123"     # left as it was
    assert sim.counts()["created_count"] == 0
