#!/usr/bin/env python3
"""condor_submit end to end into a spool, against real HTCondor's submit code.

For a vanilla job (with per-proc $(Process) macros) and the reference
Deltacloud grid job, `queue 10000` and `queue 100000`:
  ours   = wall time of the `condor_submit FILE` command (a new process: start-up,
           parsing, building every ad, one spool transaction), median of R runs;
  oracle = htcondor.Submit(text).jobs() of the htcondor 24.12 wheel, building the
           same ads in memory only (import excluded), median of R runs. The oracle
           refuses the removed deltacloud grid type, so its grid figure uses
           `grid_resource = condor ...` instead.
Prints a table and the ratio oracle/ours (> 1 means we are faster).

Usage: .venv/bin/python bench/submit_bench.py [--runs R] [--big-runs R]
"""

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PY = os.path.join(VENV_BIN, "python") if os.path.exists(os.path.join(VENV_BIN, "python")) \
    else sys.executable

VANILLA = """executable = job.sh
output = out.$(Process)
error = err.$(Process)
arguments = --index $(Process)
request_memory = 1 GB
queue {n}
"""
GRID = """universe = grid
executable = job_name
notification = never
requirements = hardwareprofile == "large" && image == "fedora13"
grid_resource = {gr}
DeltacloudUsername = $$(username)
DeltacloudPassword = $$(password)
DeltacloudImageId = $$(image_key)
DeltacloudHardwareProfile = $$(hardwareprofile_key)
DeltacloudKeyname = $$(keypair)
queue {n}
"""

ORACLE = r"""
import sys, time, warnings
warnings.simplefilter("ignore")
import htcondor
text = open(sys.argv[1]).read()
t = time.perf_counter()
n = sum(1 for _ in htcondor.Submit(text).jobs(clusterid=1))
print(time.perf_counter() - t, n)
"""


def ours(workdir, subfile, env):
    t = time.perf_counter()
    res = subprocess.run([os.path.join(ROOT, "bin", "condor_submit"), subfile], cwd=workdir,
                         env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"condor_submit failed: {res.stderr}")
    return dt


def oracle(workdir, subfile, env):
    res = subprocess.run([PY, "-c", ORACLE, subfile], cwd=workdir, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        return None
    return float(res.stdout.split()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5, help="runs for queue 10000")
    ap.add_argument("--big-runs", type=int, default=3, help="runs for queue 100000")
    ap.add_argument("--no-oracle", action="store_true")
    a = ap.parse_args()
    # The commands start from byte-compiled modules, as an installed copy does
    # (pip compiles at install), even where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(os.path.join(ROOT, "pycondorlite"), quiet=1)
    work = tempfile.mkdtemp(prefix="submit_bench.")
    try:
        with open(os.path.join(work, "job.sh"), "w") as f:
            f.write("#!/bin/sh\necho hello\n")
        os.chmod(os.path.join(work, "job.sh"), 0o755)
        env = dict(os.environ)
        env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
        env["PYTHONPATH"] = ROOT
        env["CONDOR_CONFIG"] = "/dev/null"
        # queue 100000 is above the schedd's default limit (20000), as in HTCondor.
        env["_CONDOR_MAX_JOBS_PER_SUBMISSION"] = "1000000"
        env["_CONDOR_SPOOL"] = os.path.join(work, "spool")
        env["_CONDOR_LOG"] = os.path.join(work, "log")
        rows = []
        for n, runs in ((10000, a.runs), (100000, a.big_runs)):
            for kind in ("vanilla", "grid"):
                if kind == "vanilla":
                    mine_txt = their_txt = VANILLA.format(n=n)
                else:
                    mine_txt = GRID.format(n=n, gr="deltacloud $$(provider_url)")
                    their_txt = GRID.format(n=n, gr="condor $$(host) $$(pool)")
                mf = os.path.join(work, f"{kind}_{n}.sub")
                tf = os.path.join(work, f"{kind}_{n}_oracle.sub")
                with open(mf, "w") as f:
                    f.write(mine_txt)
                with open(tf, "w") as f:
                    f.write(their_txt)
                mine = statistics.median(ours(work, mf, env) for _ in range(runs))
                theirs = None
                if not a.no_oracle:
                    vals = [oracle(work, tf, env) for _ in range(runs)]
                    vals = [v for v in vals if v is not None]
                    theirs = statistics.median(vals) if vals else None
                rows.append((kind, n, mine, theirs))
                ratio = f"{theirs / mine:6.1f}x" if theirs else "   n/a"
                th = f"{theirs:8.3f}" if theirs else "     n/a"
                print(f"{kind:8} queue {n:>6}: ours {mine:7.3f} s   oracle {th} s   "
                      f"oracle/ours {ratio}", flush=True)
        goal = {10000: 0.5, 100000: 5.0}
        ok = all(m <= goal[n] for _, n, m, _ in rows)
        print("targets (ours, median): queue 10000 <= 0.5 s, queue 100000 <= 5 s:",
              "met" if ok else "NOT met")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
