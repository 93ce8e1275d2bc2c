"""Spool faults: a full disk, a corrupted database, a missing spool directory.

Each gives a clear error (no traceback, non-zero exit), leaves no partial
state (a submit is all or nothing), and the schedd does not spin: its CPU
time over a few seconds of wall-clock time stays small.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def assert_not_spinning(proc, seconds=3.0, limit=0.6):
    """The process uses at most `limit` CPU seconds in `seconds` of wall time."""
    if proc.poll() is not None:
        return None
    t0 = cpu_seconds(proc.pid)
    time.sleep(seconds)
    if proc.poll() is not None:
        return None
    used = cpu_seconds(proc.pid) - t0
    assert used <= limit, f"the schedd used {used:.2f}s of CPU in {seconds}s: it spins"
    return used


def clean_failure(r, what):
    assert "Traceback" not in r.stderr, f"{what}: traceback:\n{r.stderr[-2000:]}"
    assert r.returncode not in (0, None), f"{what}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert r.stderr.strip(), f"{what}: exit {r.returncode} without a message"


def _populate(C, h, tmp, url="http://127.0.0.1:9/api"):
    ad = tmp / "p.ad"
    ad.write_text(C.provider_ad(url))
    h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
    sub = tmp / "base.sub"
    sub.write_text(C.submit_text(3))
    h.tool("condor_submit", sub)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (root), else None."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mnt)],
                          capture_output=True, timeout=30)
    if done.returncode != 0:
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def fill(path):
    """Fill the filesystem holding `path`; returns the filler's path."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_full_disk(small_disk, tmp_path, chaos, figures):
    C = chaos
    if small_disk is None:
        pytest.skip("needs root and tmpfs: see test_full_disk_injected for the fallback")
    h = C.Harness(tmp_path, extra_env={"_CONDOR_SPOOL": str(small_disk / "spool")})
    try:
        h.spool_dir = str(small_disk / "spool")
        _populate(C, h, tmp_path)
        before = C.spool_dump(h.spool_dir)
        # (A WAL database cannot even be read with no room for its -shm file,
        # so each comparison is made once the space is back.)
        filler = fill(str(small_disk))
        sub = tmp_path / "big.sub"
        sub.write_text(C.submit_text(300, extra='MY.Pad = "' + "p" * 2000 + '"\n'))
        r = h.tool("condor_submit", sub, check=False)
        figures["submit_on_full_disk"] = f"exit {r.returncode}: {r.stderr.strip()[-120:]}"
        clean_failure(r, "condor_submit on a full disk")
        for cmd in (["condor_q"], ["condor_history"], ["condor_status"]):
            r = h.tool(*cmd, check=False)
            assert "Traceback" not in r.stderr, r.stderr
        os.unlink(filler)
        assert C.spool_dump(h.spool_dir) == before, "a failed submit left partial state"

        filler = fill(str(small_disk))
        r = h.tool("condor_hold", "-all", check=False)
        figures["hold_on_full_disk"] = f"exit {r.returncode}: {r.stderr.strip()[-120:]}"
        assert "Traceback" not in r.stderr, r.stderr
        os.unlink(filler)
        if r.returncode != 0:
            assert C.spool_dump(h.spool_dir) == before, "a failed hold left partial state"
        else:
            with h.spool() as sp:
                assert sp.count_by_status() == {5: 3}
            h.tool("condor_release", "-all")

        # The schedd on a full disk: runs without spinning, or exits with a message.
        filler = fill(str(small_disk))
        h.start_schedd(wait=False)
        time.sleep(2.0)
        figures["schedd_cpu_3s_full_disk"] = assert_not_spinning(h.schedd)
        if h.schedd.poll() is not None:
            assert "Traceback" not in h.stderr_text()
        os.unlink(filler)
        h.stop_schedd()
        # Space is back: everything works again.
        r = h.tool("condor_submit", sub, check=False)
        assert r.returncode == 0, r.stderr
        with h.spool() as sp:
            assert sum(sp.count_by_status().values()) == 303
    finally:
        h.close()


def test_full_disk_injected(harness, tmp_path, chaos):
    """Without root: a write error injected with RLIMIT_FSIZE (EFBIG on growth)."""
    C, h = chaos, harness
    _populate(C, h, tmp_path)
    import sqlite3
    conn = sqlite3.connect(os.path.join(h.spool_dir, "job_queue.db"))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")     # the WAL must grow to commit
    conn.close()
    before = C.spool_dump(h.spool_dir)
    size = 16384
    sub = tmp_path / "big.sub"
    sub.write_text(C.submit_text(300, extra='MY.Pad = "' + "p" * 2000 + '"\n'))
    code = ("import resource, signal, sys, runpy\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size}, {size}))\n"
            f"sys.argv = [{os.path.join(C.BIN, 'condor_submit')!r}, {str(sub)!r}]\n"
            f"runpy.run_path(sys.argv[0], run_name='__main__')\n")
    r = subprocess.run([sys.executable, "-c", code], env=h.env, capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    clean_failure(r, "condor_submit with writes failing")
    assert C.spool_dump(h.spool_dir) == before, "a failed submit left partial state"


def corrupt(path, how):
    data = bytearray(open(path, "rb").read())
    if how == "header":
        data[0:100] = b"this is not an sqlite database, sorry" + b"\xff" * 63
    else:   # every page after the first: garbage
        for i in range(4096, len(data)):
            data[i] = (i * 131 + 7) % 256
    open(path, "wb").write(bytes(data))


@pytest.mark.parametrize("how", ["header", "pages"])
def test_corrupted_database(harness, tmp_path, chaos, how, figures):
    C, h = chaos, harness
    _populate(C, h, tmp_path)
    # Checkpoint the WAL into the main file, then break the main file.
    import sqlite3
    db = os.path.join(h.spool_dir, "job_queue.db")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for extra in ("-wal", "-shm"):
        if os.path.exists(db + extra):
            os.unlink(db + extra)
    corrupt(db, how)
    image = open(db, "rb").read()
    sub = tmp_path / "more.sub"
    sub.write_text(C.submit_text(2))
    ad = tmp_path / "p.ad"
    results = {}
    for cmd in (["condor_q"], ["condor_q", "-long"], ["condor_submit", sub], ["condor_rm", "-all"],
                ["condor_hold", "1.0"], ["condor_history"], ["condor_status"],
                ["condor_advertise", "UPDATE_STARTD_AD", ad]):
        r = h.tool(*cmd, check=False, timeout=60)
        results[cmd[0] + (" " + cmd[1] if cmd[1:2] == ["-long"] else "")] = r.returncode
        clean_failure(r, f"{' '.join(map(str, cmd))} on a corrupted spool ({how})")
    figures[f"exit_codes_{how}"] = results
    # The schedd: a clear exit, or alive without spinning.
    h.start_schedd(wait=False)
    deadline = time.monotonic() + 10
    while h.schedd.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if h.schedd.poll() is None:
        assert_not_spinning(h.schedd)
    else:
        err = h.stderr_text() + h.schedlog()
        assert "Traceback" not in h.stderr_text(), h.stderr_text()[-2000:]
        assert h.schedd.returncode != 0 and err.strip()
    h.stop_schedd()
    assert open(db, "rb").read() == image, "a tool rewrote the corrupted database"


def test_missing_spool_directory(harness, tmp_path, chaos):
    """A spool path that cannot exist (its parent is a file), and a spool
    directory deleted under a running schedd."""
    C, h = chaos, harness
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    env = dict(h.env, _CONDOR_SPOOL=str(blocker / "spool"))
    sub = tmp_path / "s.sub"
    sub.write_text(C.submit_text(1))
    for cmd in (["condor_q"], ["condor_submit", str(sub)], ["condor_rm", "-all"],
                ["condor_history"], ["condor_status"]):
        r = subprocess.run([sys.executable, os.path.join(C.BIN, cmd[0]), *cmd[1:]], env=env,
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
        clean_failure(r, f"{cmd[0]} with an impossible spool path")
    r = subprocess.run([sys.executable, os.path.join(C.BIN, "condor_schedd"), "-f"], env=env,
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    clean_failure(r, "condor_schedd with an impossible spool path")

    # Deleted under a running schedd: it must not spin.
    _populate(C, h, tmp_path)
    h.start_schedd()
    shutil.rmtree(h.spool_dir)
    time.sleep(1.0)
    assert_not_spinning(h.schedd)
    if h.schedd.poll() is not None:
        assert "Traceback" not in h.stderr_text(), h.stderr_text()[-2000:]
    h.stop_schedd()


def test_failed_commit_rolls_back_and_the_connection_lives_on(small_disk, tmp_path, chaos):
    """A COMMIT that fails for want of room is rolled back and raised, and the
    same connection works again once there is room (a long-lived schedd)."""
    if small_disk is None:
        pytest.skip("needs root and tmpfs: see test_full_disk_injected for the fallback")
    from pycondorlite.spool import Spool
    sp = Spool.open(str(small_disk / "spool"))
    try:
        cid = sp.reserve_cluster_id()
        sp.submit(cid, {"JobUniverse": "5", "Cmd": '"/bin/true"'}, [{"ProcId": "0"}])
        filler = fill(str(small_disk))
        failures = 0
        for i in range(20):     # small writes: the room runs out at a COMMIT
            try:
                sp.update({(cid, 0): {f"Pad{i}": '"' + "x" * 3000 + '"'}})
            except Exception as e:
                assert "full" in str(e).lower() or "space" in str(e).lower(), e
                failures += 1
                assert not sp.conn.in_transaction, "a failed COMMIT left the transaction open"
        assert failures, "the disk never filled"
        os.unlink(filler)
        sp.update({(cid, 0): {"AfterTheFull": "true"}})
        assert sp.job(cid, 0).literal("AfterTheFull") is True
    finally:
        sp.close()


def test_schedd_negotiates_again_once_the_disk_has_room(small_disk, tmp_path, chaos,
                                                        monkeypatch):
    """The daemon's own connection: matches that could not be committed on a
    full disk are made, by the same schedd, once the space is back."""
    if small_disk is None:
        pytest.skip("needs root and tmpfs: see test_full_disk_injected for the fallback")
    C = chaos
    spool_dir = small_disk / "spool"
    monkeypatch.setenv("CONDOR_CONFIG", "/dev/null")
    monkeypatch.setenv("_CONDOR_SPOOL", str(spool_dir))
    monkeypatch.setenv("_CONDOR_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("_CONDOR_SCHEDD_RUN_GRIDMANAGER", "false")
    h = C.Harness(tmp_path, extra_env={"_CONDOR_SPOOL": str(spool_dir)})
    try:
        h.spool_dir = str(spool_dir)
        _populate(C, h, tmp_path)
        from pycondorlite.schedd import Schedd
        schedd = Schedd(str(spool_dir))
        try:
            filler = fill(str(small_disk))
            with pytest.raises(Exception, match="(?i)full|space"):
                schedd.negotiate()      # its commit fails: rolled back and raised
            with h.spool() as sp:
                assert [j.literal("Matched") for j in sp.jobs()] == [False] * 3
            assert not schedd.spool.conn.in_transaction
            os.unlink(filler)
            assert schedd.negotiate() == 3
            with h.spool() as sp:
                assert [j.literal("Matched") for j in sp.jobs()] == [True] * 3
        finally:
            schedd.shutdown()
    finally:
        h.close()
