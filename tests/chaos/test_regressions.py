"""Bugs the chaos runs found, each reproduced deterministically.

A test marked xfail(strict=True) shows a bug still open in product code: when
the fix lands it starts passing, the strict mark turns that into a failure,
and the mark (and the matching KNOWN BUG in conftest.py) should go.
"""

import time

import pytest

from pycondorlite.deltacloud.simulator import Simulator


def _one_running_job(C, h, sim, tmp):
    ad = tmp / "providers.ad"
    ad.write_text(C.provider_ad(sim.url))
    h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
    sub = tmp / "job.sub"
    sub.write_text(C.submit_text(1, log=tmp / "job.log"))
    h.tool("condor_submit", sub)
    h.start_schedd()
    h.wait(lambda sp: sp.count_by_status() == {2: 1}, 30, "the job Running")
    with h.spool() as sp:
        job = sp.job(1, 0)
        return job.literal("GridJobId").split()[2]


@pytest.mark.xfail(strict=True, reason=(
    "BUG: gridmanager/__init__.py GridManager._wants() returns False for any "
    "Completed job before looking at Managed; HTCondor hands every Managed=\"External\" "
    "job back to its gridmanager. A schedd killed between the completion commit and the "
    "instance's destroy leaves the job in the queue forever and the instance running."))
def test_completed_job_killed_before_destroy(harness, tmp_path, chaos):
    """The crash window: the job is Completed in the spool (DONE_SAVE committed),
    its instance stopped but not yet destroyed, when the schedd is SIGKILLed."""
    C, h = chaos, harness
    with Simulator(users={C.USER: C.PASSWORD}) as sim:
        inst = _one_running_job(C, h, sim, tmp_path)
        h.kill_schedd()
        sim.set_state(inst, "STOPPED")
        with h.spool() as sp:       # exactly what DONE_SAVE commits
            sp.update({(1, 0): {"JobStatus": "4", "CompletionDate": str(int(time.time())),
                                "ExitCode": "0", "ExitBySignal": "false"}})
        h.start_schedd()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with h.spool() as sp:
                if sp.job(1, 0) is None and sim.instance(inst) is None:
                    break
            time.sleep(0.2)
        with h.spool() as sp:
            left = sp.job(1, 0)
        assert left is None, "the completed job never leaves the queue"
        assert sim.instance(inst) is None, "its instance is never destroyed (a leak)"


@pytest.mark.xfail(strict=True, reason=(
    "BUG: gridmanager/deltacloud.py DCloudJob.__init__ sets unavailable_logged = False; "
    "HTCondor's BaseJob starts with resourceDown = true when the job ad has "
    "GridResourceUnavailableTime, and logs the Grid Resource Back Up event (025) and "
    "clears the attribute when the resource answers again. Fix: initialise "
    "unavailable_logged from the ad, and in DCloudResource._listed() on success call "
    "on_resource_down(False) for every job with unavailable_logged (not only on a "
    "down->up transition of this process)."))
def test_resource_up_event_survives_a_restart(harness, tmp_path, chaos):
    C, h = chaos, harness
    state = str(tmp_path / "cloud.state")
    sim = Simulator(users={C.USER: C.PASSWORD}, state_file=state).start()
    try:
        _one_running_job(C, h, sim, tmp_path)
        port = sim.port
        sim.stop()
        h.wait(lambda sp: sp.job(1, 0).literal("GridResourceUnavailableTime") is not None,
               30, "the resource marked down")
        h.kill_schedd()
        sim = Simulator(port=port, users={C.USER: C.PASSWORD}, state_file=state).start()
        h.start_schedd()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with h.spool() as sp:
                if sp.job(1, 0).literal("GridResourceUnavailableTime") is None:
                    break
            time.sleep(0.2)
        events = [c for c, _ in C.log_events(tmp_path / "job.log")]
        assert "026" in events
        with h.spool() as sp:
            assert sp.job(1, 0).literal("GridResourceUnavailableTime") is None, \
                "GridResourceUnavailableTime stays set although the resource is up"
        assert "025" in events[events.index("026"):], \
            "no Grid Resource Back Up (025) after the restart"
    finally:
        sim.stop()


@pytest.mark.xfail(strict=True, reason=(
    "BUG: submit/reader.py statement(): `name[:1] in \"+-\"` is true for an empty name "
    "(\"\" in \"+-\"), then name[0] raises IndexError: a line `= 5` gives a Python "
    "traceback and exit 1. Fix: `name[:1] in (\"+\", \"-\")`, so the empty name reaches "
    "the Illegal Identifier check."))
def test_submit_line_with_empty_name(harness, tmp_path, chaos):
    sub = tmp_path / "empty_name.sub"
    sub.write_text("executable = /bin/true\n= 5\nqueue\n")
    before = chaos.spool_dump(harness.spool_dir)
    r = harness.main("condor_submit", sub)
    assert r.traceback is None, r.traceback
    assert r.returncode == 1 and "line 2" in r.stderr.lower(), r
    assert chaos.spool_dump(harness.spool_dir) == before
