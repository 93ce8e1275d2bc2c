"""Crash recovery from the durable facts in the spool, and batched status."""

import time
import uuid

from pycondorlite.deltacloud.client import Client


def _client(sim, h):
    return Client(sim.url, h.USER, h.PASSWORD)


def test_name_saved_but_no_instance_creates_with_that_name(h, sim, spool, gm):
    name = str(uuid.uuid4())
    cid = h.submit(spool, sim.url, extra={"GridJobId": h.q("deltacloud " + name),
                                          "Managed": '"External"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert h.attr(spool, cid, "GridJobId").split()[1] == name
    assert len(h.live(sim, name)) == 1
    assert sim.counts()["created_count"] == 1


def test_crash_after_create_adopts_by_name(h, sim, spool, gm):
    """The schedd died after the create but before the id was saved."""
    name = str(uuid.uuid4())
    with _client(sim, h) as c:
        inst = c.create_instance("img1", name=name)
    cid = h.submit(spool, sim.url, extra={"GridJobId": h.q("deltacloud " + name),
                                          "Managed": '"External"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert h.attr(spool, cid, "GridJobId") == f"deltacloud {name} {inst.id}"
    assert h.attr(spool, cid, "DeltacloudProviderId") == inst.id
    assert sim.counts()["created_count"] == 1       # nothing launched twice


def test_removed_during_crash_still_destroyed(h, sim, spool, gm):
    name = str(uuid.uuid4())
    with _client(sim, h) as c:
        c.create_instance("img1", name=name)
    cid = h.submit(spool, sim.url, extra={"GridJobId": h.q("deltacloud " + name),
                                          "Managed": '"External"', "JobStatus": "3",
                                          "RemoveReason": '"via condor_rm (by user tester)"'})
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim, name) == []
    assert sim.counts()["created_count"] == 1


def test_removed_with_name_but_no_instance_leaves(h, sim, spool, gm):
    name = str(uuid.uuid4())
    cid = h.submit(spool, sim.url, extra={"GridJobId": h.q("deltacloud " + name),
                                          "Managed": '"External"', "JobStatus": "3"})
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert sim.counts()["created_count"] == 0


def test_user_instance_name_adopts_existing(h, sim, spool, gm):
    with _client(sim, h) as c:
        inst = c.create_instance("img3", name="my-existing-vm")
    cid = h.submit(spool, sim.url, extra={"DeltacloudInstanceName": '"my-existing-vm"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert h.attr(spool, cid, "GridJobId") == f"deltacloud my-existing-vm {inst.id}"
    assert sim.counts()["created_count"] == 1


def test_one_list_per_probe_interval_for_many_jobs(h, sim, spool, gm):
    n = 40
    cid = h.submit(spool, sim.url, count=n)
    h.drive(gm, lambda: all(h.status(spool, cid, p) == 2 for p in range(n)), what="Running")
    sim.reset_stats()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.0:
        time.sleep(min(gm.poll(), 0.05))
    elapsed = time.monotonic() - t0
    stats = sim.stats()
    lists = stats.get("GET /api/instances", 0)
    assert 1 <= lists <= elapsed / gm.probe_interval_for("deltacloud") + 1
    # No per-job status requests at all while nothing changes.
    assert stats.get("GET /api/instances/:id", 0) == 0
    assert sum(stats.values()) == lists


def test_creates_run_concurrently(h, spool, schedlog, monkeypatch):
    """20 creates at 0.2 s latency each take far less than 20 x 0.2 s."""
    from pycondorlite.deltacloud.simulator import Simulator
    from pycondorlite.gridmanager import GridManager
    with Simulator(faults={"latency": 0.2}) as sim:
        gm = GridManager(spool, schedlog)
        try:
            cid = h.submit(spool, sim.url, count=20)
            t0 = time.monotonic()
            h.drive(gm, lambda: all(h.status(spool, cid, p) == 2 for p in range(20)),
                    what="Running")
            assert time.monotonic() - t0 < 2.5
        finally:
            gm.shutdown()


def test_provider_without_autostart_gets_a_start(h, sim, spool, gm, monkeypatch):
    """HTCondor's GM_CHECK_AUTOSTART / GM_START_VM: a provider whose new
    instances wait STOPPED (RHEV-M style) is sent `start`."""
    from pycondorlite.gridmanager import cloudapi
    monkeypatch.setattr(cloudapi, "provider_info", lambda client: (None, False))
    real_create = cloudapi.create
    monkeypatch.setattr(cloudapi, "create", lambda client, params: real_create(
        client, dict(params, initial_state="STOPPED")))
    cid = h.submit(spool, sim.url)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert sim.stats().get("POST /api/instances/:id/start") == 1
    assert h.attr(spool, cid, "DeltacloudNeedsStart") is False
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim) == []


def test_duplicate_of_lost_create_is_destroyed(h, sim, spool, gm):
    """A create whose answer was lost and that was retried leaves two instances
    with the job's name: the job keeps one, the other is destroyed."""
    name = str(uuid.uuid4())
    with _client(sim, h) as c:
        a = c.create_instance("img1", name=name)
        b = c.create_instance("img1", name=name)
    cid = h.submit(spool, sim.url, extra={"GridJobId": h.q("deltacloud " + name),
                                          "Managed": '"External"'})
    h.drive(gm, lambda: h.status(spool, cid) == 2 and len(h.live(sim)) == 1,
            what="Running with one instance")
    kept = h.attr(spool, cid, "DeltacloudProviderId")
    assert kept in (a.id, b.id)
    assert [i["id"] for i in h.live(sim)] == [kept]
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim) == []


def test_restart_after_completion_destroys_stopped_instance(h, sim, spool, gm):
    """Killed after JobStatus 4 was saved but before the instance was destroyed."""
    name = str(uuid.uuid4())
    with _client(sim, h) as c:
        inst = c.create_instance("img1", name=name)
        c.stop(inst)
    cid = h.submit(spool, sim.url, extra={
        "GridJobId": h.q(f"deltacloud {name} {inst.id}"), "DeltacloudProviderId": h.q(inst.id),
        "Managed": '"External"', "JobStatus": "4"})
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert h.live(sim) == []
    assert h.history_ad(spool, cid)["JobStatus"] == "4"
    assert sim.counts()["created_count"] == 1
