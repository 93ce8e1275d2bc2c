"""Shared helpers for the spool / condor_q / condor_rm / condor_history tests.

Every test gets its own spool (env _CONDOR_SPOOL) and runs the real commands
from bin/ in subprocesses, with TZ=UTC so dates are predictable.
"""

import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "bin")

# A fixed submit time: 2026-08-26 11:53:49 UTC -> QDATE " 8/26 11:53"
QDATE = 1787745229


@pytest.fixture
def spool_env(tmp_path, monkeypatch):
    d = tmp_path / "spool"
    env = dict(os.environ)
    env.update({"_CONDOR_SPOOL": str(d), "TZ": "UTC", "CONDOR_CONFIG": "/dev/null",
                "_CONDOR_SCHEDD_NAME": "testschedd.example.org",
                "_CONDOR_UID_DOMAIN": "example.org",
                "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", "")})
    for k, v in env.items():
        if k.startswith("_CONDOR_") or k in ("TZ",):
            monkeypatch.setenv(k, v)
    time.tzset()
    yield env
    time.tzset()


@pytest.fixture
def sp(spool_env):
    from pycondorlite.spool import Spool
    s = Spool.open()
    yield s
    s.close()


def run(env, cmd, *args, stdin=None):
    """Run bin/<cmd> args...; returns CompletedProcess with text output."""
    return subprocess.run([sys.executable, os.path.join(BIN, cmd), *args], env=env,
                          capture_output=True, text=True, input=stdin, timeout=120)


def vanilla_cluster(**extra):
    ad = {"MyType": '"Job"', "Cmd": '"/home/alice/job.sh"', "Args": '"10"',
          "Iwd": '"/home/alice"', "JobUniverse": "5", "QDate": str(QDATE),
          "EnteredCurrentStatus": str(QDATE), "JobPrio": "0", "ImageSize": "1",
          "RemoteUserCpu": "0.0", "RemoteWallClockTime": "0.0",
          "RequestMemory": "ifthenelse(MemoryUsage =!= undefined,MemoryUsage,(ImageSize + 1023) / 1024)",
          "Requirements": '(TARGET.Arch == "X86_64") && (TARGET.OpSys == "LINUX")'}
    ad.update(extra)
    return ad


def submit(sp, n=1, owner=None, procs=None, **extra):
    """Submit a cluster of n procs; returns the cluster id."""
    cid = sp.reserve_cluster_id()
    ad = vanilla_cluster(**extra)
    if owner:
        ad["Owner"] = '"%s"' % owner
    sp.submit(cid, ad, procs or [{"ProcId": str(i)} for i in range(n)], user="root")
    return cid


def body(title_out):
    """Output with the title's time replaced (it is the current time)."""
    import re
    return re.sub(r"@ \d\d/\d\d/\d\d \d\d:\d\d:\d\d", "@ NOW", title_out)


@pytest.fixture
def H():
    """The helpers above, for test modules (importlib mode cannot import conftest)."""
    import types
    return types.SimpleNamespace(run=run, submit=submit, body=body, QDATE=QDATE,
                                 vanilla_cluster=vanilla_cluster, ROOT=ROOT, BIN=BIN)
