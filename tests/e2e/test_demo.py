"""`make demo` runs the whole story and says nothing is missing."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_runs_the_story():
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run([sys.executable, os.path.join(REPO, "demo", "run.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Not built yet" not in out
    assert "$ condor_submit deltacloud_job.sub" in out
    assert "1 job(s) submitted to cluster 1." in out
    assert "PENDING" in out and "RUNNING" in out
    assert "HTTP 404" in out                                # the instance is gone
    assert "$ condor_off" in out and "$ kill " in out       # everything stopped
    assert "mockpassword" not in out


def test_demo_examples_are_the_reference_ones():
    shared = os.path.join(os.path.dirname(REPO), "shared", "examples")
    for name in ("deltacloud_job.sub", "provider_combination_1.ad"):
        with open(os.path.join(REPO, "demo", name), "rb") as f:
            ours = f.read()
        path = os.path.join(shared, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                assert ours == f.read(), name
