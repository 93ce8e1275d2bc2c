"""condor_watch_q in a real terminal: tmux runs it while 100 jobs of the demo
(the reference example's grid jobs, the bundled Deltacloud simulator, a real
condor_schedd) go from idle to running to done or removed; capture-pane
reads the screens, which are kept in the test's output.

tmux is a test requirement: .ci/run installs it when missing, so in CI (CI
set) a missing tmux fails this test; elsewhere it is skipped with the reason.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from pycondorlite.deltacloud.simulator import Simulator
from pycondorlite.spool import Spool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "bin")
USER, PASSWORD = "ec2_username", "ec2_secret_access_key"
N = 100


def _tmux_or_skip():
    if shutil.which("tmux"):
        return
    if os.environ.get("CI"):
        pytest.fail("tmux is missing: .ci/run installs it (apt-get install tmux)")
    pytest.skip("tmux is not installed (CI installs it; apt-get install tmux)")


def ad_text(url):
    return f'''Name="provider_combination_1"
MyType="Machine"
Requirements=true
hardwareprofile="large"
image="fedora13"
realm="1"
image_key="ami-ac3fc9c5"
hardwareprofile_key="m1-large"
realm_key="us-east-1a"
provider_url="{url}"
username="{USER}"
password="{PASSWORD}"
keypair="mykeypair"
'''


SUBMIT = """universe = grid
executable = job_name
notification = never
requirements = hardwareprofile == "large" && image == "fedora13"
grid_resource = deltacloud $$(provider_url)
DeltacloudUsername = $$(username)
DeltacloudPassword = $$(password)
DeltacloudImageId = $$(image_key)
DeltacloudHardwareProfile = $$(hardwareprofile_key)
DeltacloudKeyname = $$(keypair)
log = demo.log
batch_name = demo
queue %d
"""


class Tmux:
    def __init__(self, tmp, env):
        self.sock = str(tmp / "tmux.sock")
        self.env = env

    def __call__(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], env=self.env, capture_output=True,
                              text=True, timeout=30)

    def screen(self):
        return self("capture-pane", "-p", "-t", "watch").stdout

    def color_screen(self):
        return self("capture-pane", "-p", "-e", "-t", "watch").stdout


def wait_for(pred, timeout, what, screens=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}" +
                         ("\nlast screen:\n" + screens[-1] if screens else ""))


def test_watch_q_follows_100_demo_jobs_in_tmux(tmp_path):
    _tmux_or_skip()
    env = dict(os.environ)
    env.update({"CONDOR_CONFIG": "/dev/null", "_CONDOR_SPOOL": str(tmp_path / "spool"),
                "_CONDOR_LOG": str(tmp_path / "log"), "TERM": "xterm-256color",
                "_CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL": "0.5",
                "_CONDOR_NEGOTIATOR_INTERVAL": "2",
                "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
                "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")})

    def tool(*args):
        r = subprocess.run([sys.executable, os.path.join(BIN, args[0]), *args[1:]], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    sim = Simulator(users={USER: PASSWORD}, pending_delay=1.0).start()
    schedd = tmux = None
    screens = []
    try:
        (tmp_path / "providers.ad").write_text(ad_text(sim.url))
        tool("condor_advertise", "UPDATE_STARTD_AD", "providers.ad")
        (tmp_path / "demo.sub").write_text(SUBMIT % N)
        tool("condor_submit", "demo.sub")
        tmux = Tmux(tmp_path, env)
        cmd = (f"cd {tmp_path} && {sys.executable} {BIN}/condor_watch_q -clusters 1 "
               f"-exit none,active,0 ; echo WATCH_EXIT=$? ; sleep 60")
        r = tmux("new-session", "-d", "-s", "watch", "-x", "100", "-y", "30", cmd)
        assert r.returncode == 0, r.stderr

        seen = set()

        def shot(pattern):
            """The screen if it shows `pattern`; every new summary line is kept."""
            s = tmux.screen()
            total = re.search(r"^Total: .*$", s, re.M)
            if total and total.group(0) not in seen:
                seen.add(total.group(0))
                screens.append(s)
            return s if re.search(pattern, s) else None
        first = wait_for(lambda: shot(r"Total: 100 jobs; 100 idle"), 30, "100 idle jobs")
        assert re.search(r"^BATCH\s+IDLE\s+RUN\s+DONE\s+TOTAL\s+JOB_IDS", first, re.M), first
        assert re.search(r"^demo\s+100\s+100\s+1\.0 \.\.\. 1\.99\s+\[-+\]", first, re.M), first
        assert "Updated at " in first
        colored = tmux.color_screen()
        assert "\x1b[33m" in colored or "\x1b[33;1m" in colored     # idle rows are yellow

        schedd = subprocess.Popen([sys.executable, os.path.join(BIN, "condor_schedd"), "-f"],
                                  env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "schedd.stderr", "w"))
        running = wait_for(lambda: shot(r"Total: 100 jobs; 100 running"), 240,
                           "100 running jobs", screens)
        assert re.search(r"^demo\s+100\s+100\s+1\.0 \.\.\. 1\.99\s+\[=+\]", running, re.M), running

        # 40 jobs are removed, the other 60 finish (their instances stop)
        tool("condor_rm", *[f"1.{p}" for p in range(40)])
        with Spool.open(str(tmp_path / "spool")) as sp:
            ids = [sp.job(1, p).literal("GridJobId").split()[2] for p in range(40, N)]
        for i in ids:
            sim.set_state(i, "STOPPED")
        last = wait_for(lambda: shot(r"WATCH_EXIT=0"), 240, "condor_watch_q's exit", screens)
        assert "Total: 100 jobs; 60 completed, 40 removed" in last, last
        assert re.search(r'Exiting with code 0 because of condition "none active" at ', last), last
        # the screens went through idle, running, and the removed / completed mix
        kinds = " | ".join(sorted(seen))
        assert "100 idle" in kinds and "100 running" in kinds and "60 completed" in kinds, kinds
        assert re.search(r"^demo\s+40\s+60\s+100\s+\[#+!+\]", last, re.M), last
    finally:
        for i, s in enumerate(screens):
            print(f"---- screen {i} ----\n{s}")
        if tmux is not None:
            tmux("kill-server")
        if schedd is not None and schedd.poll() is None:
            schedd.send_signal(signal.SIGTERM)
            try:
                schedd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                schedd.kill()
        sim.stop()
