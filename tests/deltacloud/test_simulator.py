"""Simulator features for tests: faults, persistence, admin, binding, scale, CLI."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pycondorlite.cli import deltacloudd
from pycondorlite.deltacloud import Client, RequestError, Simulator, TransientError

DELTACLOUDD = str(Path(__file__).resolve().parents[2] / "bin" / "deltacloudd")


@pytest.fixture
def alarm():
    """main() serves forever if it wrongly starts: bound such tests in time."""
    def expired(*_):
        raise TimeoutError("deltacloudd.main() did not return")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _client(sim, **kw):
    return Client(sim.url, "mockuser", "mockpassword", timeout=(2, 10), **kw)


def test_binds_loopback_by_default():
    with Simulator() as sim:
        assert sim.server.server_address[0] == "127.0.0.1"
        assert sim.url.startswith("http://127.0.0.1:")


def test_every_request_failing_is_transient():
    with Simulator(port=0, faults={"fail_rate": 1.0}, seed=1) as sim:
        c = _client(sim)
        seen = set()
        for _ in range(12):
            with pytest.raises(TransientError) as exc:
                c.entry_point(refresh=True)
            seen.add(exc.value.status)
        assert seen == {500, 502, 503}
        assert sim.stats()["fault:fail"] == 12
        # the admin interface is never faulted
        assert requests.get(sim.admin_url + "/faults", timeout=5).json()["fail_rate"] == 1.0


def test_dropped_connections_are_transient_and_lose_replies():
    with Simulator(port=0, fixtures=False) as sim:
        c = _client(sim)
        c.entry_point()
        sim.set_faults(drop_rate=1.0)
        with pytest.raises(TransientError):
            c.instances()
        with pytest.raises(TransientError):
            c.create_instance("img1", name="lost-reply")
        sim.set_faults(drop_rate=0.0)
        # the create happened although its reply was lost: find it by name
        assert c.find_by_name("lost-reply") is not None
        assert sim.counts()["created_count"] == 1


def test_partial_failure_rate_and_latency():
    with Simulator(port=0, faults={"fail_rate": 0.3, "latency": 0.02}, seed=7) as sim:
        c = _client(sim)
        ok = failed = 0
        start = time.monotonic()
        for _ in range(50):
            try:
                c.entry_point(refresh=True)
                ok += 1
            except TransientError:
                failed += 1
        assert time.monotonic() - start >= 50 * 0.02
        assert 6 <= failed <= 25 and ok + failed == 50


def test_admin_faults_and_instances_over_http():
    with Simulator(port=0, fixtures=False) as sim:
        r = requests.post(sim.admin_url + "/faults", json={"fail_rate": 0.5, "latency": 0.01}, timeout=5)
        assert r.status_code == 200 and r.json()["fail_rate"] == 0.5
        assert sim.faults.latency == 0.01
        assert requests.post(sim.admin_url + "/faults", json={"fail_rate": 2}, timeout=5).status_code == 400
        assert requests.post(sim.admin_url + "/faults", json={"bogus": 1}, timeout=5).status_code == 400
        r = requests.post(sim.admin_url + "/faults", json={"fail_rate": 0.1, "latency": -1}, timeout=5)
        assert r.status_code == 400 and sim.faults.fail_rate == 0.5    # all or nothing
        sim.set_faults(fail_rate=0.0, latency=0.0)
        c = _client(sim)
        a = c.create_instance("img1", name="a")
        c.create_instance("img1", name="a")            # a duplicate name
        state = requests.get(sim.admin_url + "/instances", timeout=5).json()
        assert state["created_count"] == 2 and state["live_count"] == 2
        assert state["duplicate_names"] == ["a"]
        assert [i["name"] for i in state["instances"]] == ["a", "a"]
        r = requests.post(f"{sim.admin_url}/instances/{a.id}", json={"state": "STOPPED"}, timeout=5)
        assert r.json()["state"] == "STOPPED" and c.instance(a.id).state == "STOPPED"
        assert requests.delete(f"{sim.admin_url}/instances/{a.id}", timeout=5).status_code == 200
        assert requests.get(f"{sim.admin_url}/instances/{a.id}", timeout=5).status_code == 404
        hist = requests.get(sim.admin_url + "/history", timeout=5).json()["history"]
        assert [h["destroyed_at"] is not None for h in hist] == [True, False]
        stats = requests.get(sim.admin_url + "/stats", timeout=5).json()
        assert stats["POST /api/instances"] == 2


def test_state_survives_restart(tmp_path):
    state = tmp_path / "dc.state"
    with Simulator(port=0, state_file=str(state), pending_delay=0.2) as sim:
        c = _client(sim)
        c.create_instance("img1", name="keep-me", keyname="test-key")
        b = c.create_instance("img2", name="gone")
        c.create_instance("img3", name="stopped")
        time.sleep(0.25)                                   # PENDING -> RUNNING
        c.stop(b.id)
        c.destroy(b.id)
        c.stop("inst6")
        assert oct(os.stat(state).st_mode & 0o777) == "0o600"
    with Simulator(port=0, state_file=str(state), pending_delay=0.3) as sim:
        c = _client(sim)
        by_name = {i.name: i for i in c.instances()}
        assert by_name["keep-me"].state == "RUNNING" and by_name["keep-me"].keyname == "test-key"
        assert by_name["stopped"].state == "STOPPED"
        assert "gone" not in by_name and "AnotherInstance" in by_name   # fixtures kept too
        assert sim.counts()["created_count"] == 3 and sim.counts()["destroyed_count"] == 1
        assert c.create_instance("img1").id == "inst5"    # the freed id is reused, as the mock does


def test_state_file_survives_a_crash_without_compaction(tmp_path):
    state = tmp_path / "dc.state"
    sim = Simulator(port=0, state_file=str(state), fixtures=False).start()
    c = _client(sim)
    c.create_instance("img1", name="one")
    c.create_instance("img1", name="two")
    # simulate a kill -9: no stop(), and a torn last line
    with open(state, "a") as f:
        f.write('{"op": "create", "rec": {"id": "inst9", "na')
    sim.server.shutdown()
    sim.server.server_close()
    with Simulator(port=0, state_file=str(state), fixtures=False) as again:
        assert sorted(i["name"] for i in again.instances()) == ["one", "two"]
    state.write_text("this is not a state file\n")
    with pytest.raises(ValueError):
        Simulator(port=0, state_file=str(state))
    assert state.read_text() == "this is not a state file\n"   # left alone


def test_stop_closes_kept_alive_connections():
    sim = Simulator(port=0).start()
    c = _client(sim)
    c.instances()                     # leaves a pooled keep-alive connection
    sim.stop()
    with pytest.raises(TransientError):
        c.instances()


def test_thousand_instances_with_latency_quickly():
    """1,000 creates and a list of 1,000 with 50 ms per request, 50 at a time."""
    with Simulator(port=0, fixtures=False, faults={"latency": 0.05}) as sim:
        c = _client(sim, pool_size=50)
        start = time.monotonic()
        with ThreadPoolExecutor(50) as pool:
            ids = list(pool.map(lambda n: c.create_instance("img1", name=f"job-{n}").id, range(1000)))
        listed = c.instances()
        elapsed = time.monotonic() - start
        assert len(set(ids)) == 1000 and len(listed) == 1000
        assert sim.counts()["created_count"] == 1000
        assert elapsed < 12, f"{elapsed:.1f}s"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_deltacloudd_command_starts_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    state = tmp_path / "state"
    proc = subprocess.Popen([sys.executable, DELTACLOUDD, "-i", "mock",
                             "-r", "127.0.0.1", "-p", str(port), "--state-file", str(state),
                             "--pending-delay", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line == f"Starting Deltacloud API :: mock :: http://127.0.0.1:{port}/api\n"
        c = Client(f"http://127.0.0.1:{port}/api", "mockuser", "mockpassword", timeout=(2, 5))
        assert c.create_instance("img1", name="from-cli").state == "PENDING"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = state.read_text().splitlines()
    assert len(lines) == 1 and "from-cli" in lines[0]      # compacted on a clean stop


@pytest.mark.parametrize("args, code, message", [
    ([], 1, "You need to specify a driver to use (-i <driver>)"),
    (["-i", "openstack"], 1, "driver 'openstack' is not available"),
    (["-i", "mock", "--fail-rate", "2"], 2, "not between 0 and 1"),
    (["-i", "mock", "-d"], 1, "option -d is not supported"),
])
def test_deltacloudd_bad_usage(args, code, message, capsys, alarm):
    try:
        rc = deltacloudd.main(args)
    except SystemExit as exc:     # argparse's usage errors
        rc = exc.code
    out = capsys.readouterr()
    assert rc == code
    assert message in out.out + out.err


def test_each_user_sees_own_instances():
    with Simulator(port=0, fixtures=False, users={"alice": "pw-a", "bob": "pw-b"}) as sim:
        alice = Client(sim.url, "alice", "pw-a")
        bob = Client(sim.url, "bob", "pw-b")
        a = alice.create_instance("img1", name="shared-name")
        bob.create_instance("img1", name="shared-name")
        assert [i.owner for i in alice.instances()] == ["alice"]
        assert alice.find_by_name("shared-name").id == a.id
        assert [i.owner for i in bob.instances()] == ["bob"]
        assert not Client(sim.url, "mockuser", "mockpassword").valid_credentials()


def test_deltacloudd_reports_unusable_state_file_and_busy_port(tmp_path, capsys, alarm):
    bad = tmp_path / "state"
    bad.write_text("garbage\n")
    assert deltacloudd.main(["-i", "mock", "-p", "0", "--state-file", str(bad)]) == 1
    assert f"state file {bad}: line 1: not a deltacloudd state file" in capsys.readouterr().err
    with Simulator(port=0) as sim:
        assert deltacloudd.main(["-i", "mock", "-p", str(sim.port)]) == 1
        assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_timeouts_and_provider_errors_are_classified():
    with Simulator(port=0) as sim:
        c = _client(sim)
        for code in ("500", "502", "504"):
            with pytest.raises(TransientError) as exc:
                c._request("GET", f"{sim.url}/realms/{code}")
            assert exc.value.status == int(code)
        with pytest.raises(RequestError) as exc:        # 501 will not fix itself
            c._request("GET", f"{sim.url}/realms/501")
        assert exc.value.status == 501 and "NotImplementedMessage" in str(exc.value)
        c.entry_point()
        sim.set_faults(latency=0.5)
        slow = Client(sim.url, "mockuser", "mockpassword", timeout=(1, 0.1))
        with pytest.raises(TransientError) as exc:
            slow.instances()
        assert "timed out" in str(exc.value)


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        sim = Simulator("::1", 0).start()
    except OSError:
        pytest.skip("no IPv6 loopback")
    try:
        assert sim.url.startswith("http://[::1]:")
        assert [i.id for i in _client(sim).instances()][:1] == ["inst0"]
    finally:
        sim.stop()
