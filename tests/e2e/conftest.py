"""The whole stack on loopback: simulator, spool, the real commands, condor_schedd."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from pycondorlite.spool import Spool

EXAMPLES = "/work/shared/examples"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def example_dir():
    """The reference example: the shared copy beside the checkout, else demo/'s copy."""
    for d in (os.path.join(os.path.dirname(REPO), "shared", "examples"),
              os.path.join(REPO, "demo")):
        if os.path.isfile(os.path.join(d, "deltacloud_job.sub")):
            return d
    raise FileNotFoundError("deltacloud_job.sub")


def provider_ad(url, name="provider_combination_1", image_key="ami-ac3fc9c5", extra=""):
    """A provider ad like the example's, pointed at the simulator. The simulator
    is the mock driver, so its hardware profile is m1-large (not EC2's m1.large)."""
    return f'''Name="{name}"
MyType="Machine"
Requirements=true
# Stuff needed to match:
hardwareprofile="large"
image="fedora13"
realm="1"
# Backend info to complete this job:
image_key="{image_key}"
hardwareprofile_key="m1-large"
realm_key="us-east-1a"
provider_url="{url}"
username="ec2_username"
password="ec2_secret_access_key"
cloud_account_id="1"
keypair="mykeypair"
{extra}'''


class Stack:
    def __init__(self, tmp, probe_interval="0.5"):
        self.tmp = tmp
        self.spool_dir = str(tmp / "spool")
        self.log_dir = str(tmp / "log")
        self.env = dict(os.environ)
        self.env.update({
            "CONDOR_CONFIG": "/dev/null",
            "_CONDOR_SPOOL": self.spool_dir,
            "_CONDOR_LOG": self.log_dir,
            "_CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL": probe_interval,
            "_CONDOR_NEGOTIATOR_INTERVAL": "2",
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        })
        self.schedd = None

    def tool(self, name, *args, check=True, stdin=None):
        """Run a command as a user would (its module's main(), in a new process)."""
        module = {"condor_hold": "condor_rm", "condor_release": "condor_rm"}.get(name, name)
        code = (f"import sys; sys.argv[0] = {name!r}; "
                f"from pycondorlite.cli.{module} import main; sys.exit(main())")
        done = subprocess.run([sys.executable, "-c", code, *args], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, input=stdin, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"{name} {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}{done.stderr}")
        return done

    def start_schedd(self):
        self.schedd = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from pycondorlite.cli.condor_schedd import main; sys.exit(main())",
             "-f"], env=self.env, cwd=self.tmp, stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "schedd.stderr", "w"))
        deadline = time.monotonic() + 15
        while not os.path.exists(os.path.join(self.spool_dir, "schedd.nudge")):
            if self.schedd.poll() is not None:
                raise AssertionError("condor_schedd exited: "
                                     + (self.tmp / "schedd.stderr").read_text())
            if time.monotonic() > deadline:
                raise AssertionError("condor_schedd did not start")
            time.sleep(0.05)

    def stop_schedd(self):
        if self.schedd is not None and self.schedd.poll() is None:
            self.schedd.send_signal(signal.SIGTERM)
            try:
                self.schedd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.schedd.kill()
                self.schedd.wait()
        self.schedd = None

    def spool(self):
        return Spool.open(self.spool_dir)

    def wait(self, cond, timeout=30.0, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
            with self.spool() as sp:
                if cond(sp):
                    return
            if self.schedd is not None and self.schedd.poll() is not None:
                raise AssertionError(f"condor_schedd died while waiting for {what}: "
                                     + (self.tmp / "schedd.stderr").read_text()[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def schedlog(self):
        p = os.path.join(self.log_dir, "SchedLog")
        return open(p).read() if os.path.exists(p) else ""

    def remove(self, *args):
        return self.tool("condor_rm", *args)


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path, probe_interval="0.3")
    yield s
    s.stop_schedd()


def copy_example(dest, name="deltacloud_job.sub"):
    shutil.copy(os.path.join(example_dir(), name), dest / name)
    return dest / name


class _Helpers:
    provider_ad = staticmethod(provider_ad)
    copy_example = staticmethod(copy_example)
    example_dir = staticmethod(example_dir)


@pytest.fixture
def e2e():
    return _Helpers
