"""Security: another local user cannot read the spool or act on our jobs; cloud
passwords never appear in any command's output, the user log, the SchedLog or
a world-readable file; a provider URL that is not http(s) is refused; the
simulator listens on loopback unless told otherwise.
"""

import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from pycondorlite.deltacloud.simulator import Simulator


def world_readable_files(root):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_mode & stat.S_IROTH:
                yield p


@pytest.fixture
def open_tmp():
    """A scratch dir other users can traverse (pytest's tmp is 0700 for root,
    which would make "nobody cannot read the spool" true for the wrong reason)."""
    d = tempfile.mkdtemp(prefix="chaos-sec-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_end_to_end_run_leaks_no_password(tmp_path, open_tmp, chaos, figures):
    import pathlib
    C = chaos
    base = pathlib.Path(open_tmp)
    h = C.Harness(base)
    outputs = {}
    try:
        with Simulator(users={C.USER: C.PASSWORD}, pending_delay=0.2) as sim:
            assert sim.server.server_address[0] == "127.0.0.1"
            ad = base / "providers.ad"
            ad.write_text(C.provider_ad(sim.url))
            os.chmod(ad, 0o600)         # the operator's own file holds the secret
            log = base / "job.log"
            sub = base / "job.sub"
            sub.write_text(C.submit_text(2, log=log))
            h.tool("condor_advertise", "UPDATE_STARTD_AD", ad)
            h.tool("condor_submit", sub)
            outputs["condor_submit -dry-run"] = h.tool("condor_submit", "-dry-run", "-", sub).stdout
            h.start_schedd()
            h.wait(lambda sp: sp.count_by_status() == {2: 2}, 60, "jobs Running")
            for args in (["condor_q"], ["condor_q", "-long"], ["condor_q", "-nobatch"],
                         ["condor_q", "-xml"], ["condor_q", "-json"],
                         ["condor_q", "-af", "DeltacloudPassword", "MATCH_EXP_DeltacloudPassword"],
                         ["condor_q", "-better-analyze"],
                         ["condor_status"], ["condor_status", "-long"],
                         ["condor_status", "-af", "password"], ["condor_status", "-json"]):
                r = h.tool(*args, check=False)
                outputs[" ".join(args)] = r.stdout + r.stderr
            with open(f"/proc/{h.schedd.pid}/cmdline", "rb") as f:
                outputs["schedd command line"] = f.read().decode(errors="replace")
            with open(f"/proc/{h.schedd.pid}/environ", "rb") as f:
                outputs["schedd environment"] = f.read().decode(errors="replace")
            h.tool("condor_rm", "-all")
            h.wait(lambda sp: sp.count_by_status() == {}, 60, "queue empty")
            for args in (["condor_history"], ["condor_history", "-long"],
                         ["condor_history", "-af", "DeltacloudPassword"]):
                r = h.tool(*args, check=False)
                outputs[" ".join(args)] = r.stdout + r.stderr
            h.stop_schedd()
        outputs["user log"] = log.read_text()
        outputs["SchedLog"] = h.schedlog()
        outputs["schedd stderr"] = h.stderr_text()
        for p in world_readable_files(open_tmp):
            outputs["world-readable " + p] = open(p, errors="replace").read()
        leaks = sorted(k for k, v in outputs.items() if C.PASSWORD in v)
        figures.update({"outputs_checked": len(outputs), "leaks": len(leaks)})
        assert outputs["SchedLog"] and outputs["user log"]
        # Each spool file and directory: ours only.
        modes = {}
        for d, dirs, files in os.walk(h.spool_dir):
            for name in dirs + files:
                p = os.path.join(d, name)
                modes[p] = stat.S_IMODE(os.lstat(p).st_mode)
        modes[h.spool_dir] = stat.S_IMODE(os.stat(h.spool_dir).st_mode)
        open_modes = {p: oct(m) for p, m in modes.items() if m & 0o077}
        assert not leaks, f"the password appears in: {leaks}"
        assert not open_modes, f"spool entries other users may use: {open_modes}"
        schedlog = os.path.join(h.log_dir, "SchedLog")
        assert not stat.S_IMODE(os.stat(schedlog).st_mode) & 0o077, "SchedLog readable by others"
    finally:
        h.close()


def as_user(pw, fn, timeout=60):
    """Run fn() in a forked child that has become `pw`; returns its result."""
    import pickle
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            out = fn()
            data = pickle.dumps(out)
        except BaseException as e:
            data = pickle.dumps(e)
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    out = pickle.loads(data)
    if isinstance(out, BaseException):
        raise out
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_other_user_cannot_read_or_act(open_tmp, chaos):
    import pathlib
    C = chaos
    base = pathlib.Path(open_tmp)
    h = C.Harness(base)
    try:
        sub = base / "job.sub"
        sub.write_text(C.submit_text(2))
        h.tool("condor_submit", sub)
        before = C.spool_dump(h.spool_dir)
        nobody = pwd.getpwnam("nobody")
        db = os.path.join(h.spool_dir, "job_queue.db")
        # Raw access to the files, as nobody.
        probe = ("import os, sys\n"
                 f"os.setgid({nobody.pw_gid}); os.setuid({nobody.pw_uid})\n"
                 "bad = []\n"
                 "for p in sys.argv[1:]:\n"
                 "    try:\n"
                 "        open(p, 'rb').read(1); bad.append(p)\n"
                 "    except OSError:\n"
                 "        pass\n"
                 "try:\n"
                 "    os.listdir(sys.argv[1].rsplit('/', 1)[0]); bad.append('listdir')\n"
                 "except OSError:\n"
                 "    pass\n"
                 "print(bad)\n")
        files = [db] + [os.path.join(h.spool_dir, f) for f in os.listdir(h.spool_dir)]
        r = subprocess.run([sys.executable, "-c", probe, *files], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "[]", f"nobody could read: {r.stdout}"
        # The real commands' main(), as nobody, aimed at our spool. (A forked
        # child: nobody may not be able to exec this venv's python.)
        import importlib
        for m in ("condor_q", "condor_rm", "condor_submit", "condor_history"):
            importlib.import_module("pycondorlite.cli." + m)
        import pycondorlite.spool  # noqa: F401
        env = dict(h.env, HOME="/nonexistent", USER="nobody", LOGNAME="nobody")
        for args in (["condor_q"], ["condor_rm", "-all"], ["condor_hold", "1.0"],
                     ["condor_submit", str(sub)], ["condor_history"]):
            r = as_user(nobody, lambda: C.run_main(env, args[0], args[1:]))
            assert r.traceback is None, f"{args}: {r.traceback}"
            assert "Traceback" not in r.stderr, f"{args}: {r.stderr[-1500:]}"
            assert r.returncode != 0, f"{args} as nobody succeeded: {r.stdout}"
            assert r.stderr.strip(), f"{args} as nobody failed without a message"
        assert C.spool_dump(h.spool_dir) == before, "nobody changed our spool"
    finally:
        h.close()


def test_provider_url_must_be_http(harness, tmp_path, chaos, figures):
    """A provider ad (or submit file) naming a non-http(s) URL: the job is
    refused or held, and no request reaches anything."""
    C, h = chaos, harness
    with Simulator(users={C.USER: C.PASSWORD}) as sim:
        hostport = sim.url.split("//", 1)[1].split("/", 1)[0]
        bad_urls = [f"ftp://{hostport}/api", "file:///etc/passwd", f"gopher://{hostport}/api",
                    f"HTTP+unix://{hostport}/api", f"//{hostport}/api"]
        ads = "\n".join(C.provider_ad(u, name=f"bad{i}") for i, u in enumerate(bad_urls))
        ad = tmp_path / "bad.ad"
        ad.write_text(ads)
        h.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", ad)
        sub = tmp_path / "job.sub"
        sub.write_text(C.submit_text(len(bad_urls), log=tmp_path / "job.log"))
        h.tool("condor_submit", sub)
        direct = tmp_path / "direct.sub"
        direct.write_text(f"universe = grid\nexecutable = job\n"
                          f"grid_resource = deltacloud file://{hostport}/api\n"
                          f"deltacloud_username = {C.USER}\n"
                          f"deltacloud_password_file = {ad}\n"
                          f"deltacloud_image_id = ami-1\nqueue\n")
        r = h.tool("condor_submit", direct, check=False)
        refused_at_submit = r.returncode != 0
        h.start_schedd()
        total = len(bad_urls) + (0 if refused_at_submit else 1)

        def settled(sp):
            jobs = list(sp.jobs(order=False))
            return len(jobs) == total and all(j.status == 5 for j in jobs)
        h.wait(settled, 60, "every job with a non-http(s) URL held")
        with h.spool() as sp:
            reasons = {j.id: j.literal("HoldReason") for j in sp.jobs()}
        h.stop_schedd()
        figures["hold_reasons"] = sorted(set(map(str, reasons.values())))
        assert all("http" in str(r).lower() for r in reasons.values()), reasons
        assert sum(v for k, v in sim.stats().items() if k.startswith(("GET", "POST", "DELETE"))) \
            == 0, f"requests reached the simulator: {sim.stats()}"
        assert not [i for i in sim.instances() if i.get("serial") is not None]


def test_simulator_listens_on_loopback(tmp_path, chaos):
    with Simulator() as sim:
        assert sim.server.server_address[0] == "127.0.0.1"
    p = subprocess.Popen([sys.executable, os.path.join(chaos.BIN, "deltacloudd"), "-i", "mock",
                          "-p", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        url = None
        while time.monotonic() < deadline and url is None:
            line = p.stdout.readline()
            if "http://" in line:
                url = line[line.index("http://"):].split()[0]
        assert url and url.startswith("http://127.0.0.1:"), url
        port = int(url.split(":")[2].split("/")[0])
        with open("/proc/net/tcp") as f:
            listening = [ln.split() for ln in f.read().splitlines()[1:]]
        mine = [ln for ln in listening if int(ln[1].split(":")[1], 16) == port and ln[3] == "0A"]
        assert mine and all(ln[1].split(":")[0] == "0100007F" for ln in mine), mine
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
