"""Bugs the chaos runs found, each reproduced deterministically.

A test marked xfail(strict=True) shows a bug still open in product code: when
the fix lands it starts passing, the strict mark turns that into a failure,
and the mark (and the matching KNOWN BUG in conftest.py) should go.
"""

import time

import pytest

from pycondorlite.deltacloud.simulator import Response, Simulator


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


def test_completed_job_killed_before_destroy(harness, tmp_path, chaos):
    """The crash window: the job is Completed in the spool (DONE_SAVE committed),
    its instance stopped but not yet destroyed, when the schedd is SIGKILLed.
    (Found by the crash loop; fixed in GridManager._wants, which now adopts every
    Managed="External" job, as HTCondor's gridmanager does.)"""
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


def test_submit_line_with_empty_name(harness, tmp_path, chaos):
    sub = tmp_path / "empty_name.sub"
    sub.write_text("executable = /bin/true\n= 5\nqueue\n")
    before = chaos.spool_dump(harness.spool_dir)
    r = harness.main("condor_submit", sub)
    assert r.traceback is None, r.traceback
    assert r.returncode == 1 and "line 2" in r.stderr.lower(), r
    assert chaos.spool_dump(harness.spool_dir) == before


def _submit_fails_cleanly(C, h, tmp, text, line):
    """`line`: the queue statement's, which HTCondor names for an error found
    while it builds the job ads."""
    sub = tmp / "bad.sub"
    sub.write_text(text)
    before = C.spool_dump(h.spool_dir)
    r = h.main("condor_submit", sub)
    assert r.traceback is None, r.traceback
    assert r.returncode == 1 and r.stderr.strip(), r
    if line is not None:
        assert f"line {line}" in r.stderr.lower(), r.stderr
    assert C.spool_dump(h.spool_dir) == before


@pytest.mark.parametrize("args", ["1, x", "5, 1", "1, 10, y"])
def test_random_integer_with_bad_arguments(harness, tmp_path, chaos, args):
    _submit_fails_cleanly(chaos, harness, tmp_path,
                          f"executable = /bin/true\npriority = $RANDOM_INTEGER({args})\nqueue\n", 3)


def test_password_file_name_with_nul(harness, tmp_path, chaos):
    _submit_fails_cleanly(chaos, harness, tmp_path,
                          "universe = grid\nexecutable = x\n"
                          "grid_resource = deltacloud http://127.0.0.1:1/api\n"
                          "deltacloud_username = u\ndeltacloud_password_file = /tmp/a\x00b\n"
                          "deltacloud_image_id = ami-1\nqueue\n", None)
    # As condor_submit prints an error of make_job_ad (print_errstack): no line.
    assert "Failed to open password file" in harness.main(
        "condor_submit", tmp_path / "bad.sub").stderr


def test_bad_password_after_transient_create_failure(harness, tmp_path, chaos):
    C, h = chaos, harness
    with Simulator(users={C.USER: C.PASSWORD}) as sim:
        # The first create is answered 503 (before any authentication), the rest 401.
        orig, creates = sim._api, []

        def api(method, raw, body, headers):
            if method == "POST" and raw.split("?")[0].rstrip("/").endswith("/api/instances"):
                creates.append(raw)
                if len(creates) == 1:
                    return Response(503, "503 Service Unavailable\n", "text/html")
            return orig(method, raw, body, headers)
        sim._api = api
        ad = tmp_path / "p.ad"
        ad.write_text(C.provider_ad(sim.url, password="wrong"))
        h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
        sub = tmp_path / "job.sub"
        sub.write_text(C.submit_text(1))
        h.tool("condor_submit", sub)
        h.start_schedd()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with h.spool() as sp:
                if sp.job(1, 0).status == 5:
                    break
            time.sleep(0.2)
        with h.spool() as sp:
            job = sp.job(1, 0)
            assert job.status == 5, f"still status {job.status} 20 s after every request got 401"
        assert sim.counts()["created_count"] == 0


def test_executable_name_with_nul(harness, tmp_path, chaos):
    """(Found by the long mode's mutated submit files: os.path.getsize raised
    ValueError.) A NUL in the executable's name is refused with HTCondor's
    message for an executable it cannot access (which names no line)."""
    sub = tmp_path / "nul_exe.sub"
    sub.write_text("executable = /bin/\x00echo\nqueue\n")
    before = chaos.spool_dump(harness.spool_dir)
    r = harness.main("condor_submit", sub)
    assert r.traceback is None, r.traceback
    assert r.returncode == 1 and "Can't access executable file" in r.stderr, r
    assert chaos.spool_dump(harness.spool_dir) == before


def test_log_name_with_nul(harness, tmp_path, chaos):
    """A UserLog whose name holds a NUL cannot be written; as with any log that
    cannot be, the submit itself stands and nothing prints a traceback."""
    sub = tmp_path / "nul_log.sub"
    sub.write_text("executable = /bin/echo\nlog = /tmp/a\x00b\nqueue\n")
    r = harness.main("condor_submit", sub)
    assert r.traceback is None, r.traceback
    assert r.returncode == 0, r
    with harness.spool() as sp:
        assert [j.id for j in sp.jobs()] == [(1, 0)]
