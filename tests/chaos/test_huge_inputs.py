"""Huge inputs fail cleanly or work: never hang, never eat memory without bound.

Each command runs in a child under resource.setrlimit (address space and CPU)
with a wall-clock timeout; its peak RSS comes from wait4(). A MemoryError
traceback or a timeout is a failure; so is a failure that changed the spool.
"""

import os
import resource
import signal
import subprocess
import sys
import time

import pytest

MB = 1 << 20


def run_limited(C, env, argv, timeout, mem_mb, cwd):
    """bin/argv[0] under RLIMIT_AS=mem_mb; returns (rc, stdout, stderr, seconds, maxrss_mb)."""
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * MB, mem_mb * MB))
        resource.setrlimit(resource.RLIMIT_CPU, (int(timeout) + 5, int(timeout) + 10))
    out, err = open(cwd / "huge.out", "w+"), open(cwd / "huge.err", "w+")
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, os.path.join(C.BIN, argv[0]), *map(str, argv[1:])],
                         env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                         preexec_fn=limits)
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            os.kill(p.pid, signal.SIGKILL)
            _, status, rusage = os.wait4(p.pid, 0)
            p.returncode = -9
            raise AssertionError(f"{argv[:2]} still running after {timeout}s (a hang)")
        time.sleep(0.05)
    p.returncode = os.waitstatus_to_exitcode(status)
    secs = time.monotonic() - t0
    out.seek(0)
    err.seek(0)
    o, e = out.read(), err.read()
    out.close()
    err.close()
    return p.returncode, o, e, secs, rusage.ru_maxrss / 1024.0


class Case:
    def __init__(self, C, h, figures, mem_mb):
        self.C, self.h, self.figures, self.mem_mb = C, h, figures, mem_mb

    def run(self, label, argv, timeout):
        before = self.C.spool_dump(self.h.spool_dir)
        rc, out, err, secs, rss = run_limited(self.C, self.h.env, argv, timeout, self.mem_mb,
                                              self.h.tmp)
        self.figures[label] = f"exit {rc}, {secs:.1f}s, {rss:.0f} MB"
        assert "Traceback" not in err, f"{label}: traceback:\n{err[-2000:]}"
        assert rc is not None and rc >= 0, f"{label}: killed by signal {-rc}: {err[-500:]}"
        if rc != 0:
            assert err.strip(), f"{label}: exit {rc} without a message"
            assert self.C.spool_dump(self.h.spool_dir) == before, \
                f"{label}: failed but changed the spool"
        return rc, out, err


@pytest.fixture
def case(harness, figures, chaos):
    return Case(chaos, harness, figures, chaos.size(1024, 2048))


def test_huge_submit_file(case, chaos, tmp_path):
    C = chaos
    size = C.size(10, 100) * MB
    p = tmp_path / "huge.sub"
    line = "description = " + "x" * 80 + "\n"
    with open(p, "w") as f:
        f.write("universe = vanilla\nexecutable = /bin/true\n")
        i = written = 0
        while written < size:
            text = f"a{i} = {i}\n" if i % 2 else line
            written += f.write(text)
            i += 1
        f.write("queue\n")
    assert os.path.getsize(p) >= size * 0.9
    rc, out, err = case.run("huge_submit_file", ["condor_submit", p], C.size(120, 600))
    # HTCondor sets no limit on a submit file's size: it is read and queued.
    assert rc == 0 and "1 job(s) submitted" in out, err[-500:]


def test_one_giant_line(case, chaos, tmp_path):
    C = chaos
    p = tmp_path / "giant_line.sub"
    with open(p, "w") as f:
        f.write("executable = /bin/true\narguments = ")
        f.write("y" * (C.size(10, 100) * MB))      # no newline, no queue
    rc, _, err = case.run("one_giant_line", ["condor_submit", p], C.size(120, 600))
    # condor_submit's refusal of a file without a queue statement, giant line or not.
    assert rc == 1 and "doesn't contain any \"queue\" commands -- no jobs queued" in err, err[-500:]


def test_one_megabyte_attribute(case, chaos, tmp_path):
    p = tmp_path / "big_attr.sub"
    p.write_text('executable = /bin/true\nMY.Big = "' + "z" * MB + '"\nqueue 2\n')
    rc, _, err = case.run("1MB_attribute_submit", ["condor_submit", p], 120)
    assert rc == 0, err[-500:]
    rc2, out, _ = case.run("1MB_attribute_condor_q_long", ["condor_q", "-long"], 120)
    assert rc2 == 0 and out.count("z" * 1000) >= 2
    rc3, _, _ = case.run("1MB_attribute_condor_q", ["condor_q"], 120)
    assert rc3 == 0
    ad = tmp_path / "big.ad"
    ad.write_text('Name = "big"\nMyType = "Machine"\nBig = "' + "w" * MB + '"\n')
    rc4, out4, err4 = case.run("1MB_attribute_advertise",
                               ["condor_advertise", "UPDATE_STARTD_AD", ad], 120)
    assert rc4 == 0 and "Sent 1 of 1 ad" in out4, out4 + err4[-500:]


def test_many_ads_in_one_advertise(case, chaos, tmp_path, harness):
    C = chaos
    n = C.size(5000, 100000)
    p = tmp_path / "many.ad"
    with open(p, "w") as f:
        for i in range(n):
            f.write(f'Name = "p{i}"\nMyType = "Machine"\nimage = "fedora13"\n'
                    f'hardwareprofile = "large"\nimage_key = "ami-{i:08x}"\n\n')
    rc, out, err = case.run("many_ads_advertise", ["condor_advertise", "-multiple",
                                                   "UPDATE_STARTD_AD", p], C.size(120, 900))
    assert rc == 0 and f"Sent {n} of {n} ads" in out, out[-300:] + err[-300:]
    rc2, out2, _ = case.run("many_ads_status_total", ["condor_status", "-total"], 300)
    assert rc2 == 0


def test_huge_queue_count(case, chaos, tmp_path):
    """queue 100000000: a clean refusal (HTCondor: MAX_JOBS_PER_SUBMISSION)."""
    p = tmp_path / "many_jobs.sub"
    p.write_text("executable = /bin/true\nqueue 100000000\n")
    rc, _, err = case.run("queue_100000000", ["condor_submit", p], 20)
    assert rc != 0 and "MAX_JOBS_PER_SUBMISSION" in err
