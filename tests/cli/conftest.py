import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "bin")


@pytest.fixture
def env(tmp_path, monkeypatch):
    e = dict(os.environ)
    e.update({"_CONDOR_SPOOL": str(tmp_path / "spool"), "CONDOR_CONFIG": "/dev/null", "TZ": "UTC",
              "_CONDOR_SCHEDD_NAME": "testschedd.example.org",
              "_CONDOR_SCHEDD_RUN_GRIDMANAGER": "false",
              "PYTHONPATH": ROOT + os.pathsep + e.get("PYTHONPATH", "")})
    for k in ("_CONDOR_SPOOL", "CONDOR_CONFIG", "TZ", "_CONDOR_SCHEDD_NAME"):
        monkeypatch.setenv(k, e[k])
    monkeypatch.chdir(tmp_path)
    time.tzset()
    yield e
    time.tzset()


@pytest.fixture
def run(env, tmp_path):
    def go(cmd, *args, stdin=None, timeout=60):
        return subprocess.run([sys.executable, os.path.join(BIN, cmd), *map(str, args)], env=env,
                              capture_output=True, text=True, input=stdin, timeout=timeout,
                              cwd=tmp_path)
    return go
