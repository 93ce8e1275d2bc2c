#!/usr/bin/env python3
"""Queue benchmark: condor_q and condor_rm against a spool holding 100,000 jobs.

Prints medians (wall clock, whole command including Python start-up) and the
ratio to the target of issue 5:
    condor_q (batch view)                   <= 1.0 s
    condor_q -af ClusterId ProcId JobStatus <= 1.5 s
    condor_rm of a 10,000-job cluster       <= 1.0 s
and Spool.submit() of one 100,000-proc cluster (the library call alone).

usage: python bench/queue_bench.py [--jobs N] [--runs R]
"""

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from pycondorlite.spool import Spool  # noqa: E402


def cluster_ad(now):
    # A realistic submit-produced cluster ad (the attributes condor_submit writes).
    return {
        "MyType": '"Job"', "TargetType": '"Machine"', "Cmd": '"/home/bench/job.sh"',
        "Iwd": '"/home/bench"', "In": '"/dev/null"', "Out": '"/dev/null"', "Err": '"/dev/null"',
        "Arguments": '""', "Environment": '""', "JobUniverse": "5", "QDate": str(now),
        "EnteredCurrentStatus": str(now), "JobPrio": "0", "ImageSize": "1", "DiskUsage": "1",
        "ExecutableSize": "1", "RequestCpus": "1", "RequestDisk": "DiskUsage",
        "RequestMemory": "ifthenelse(MemoryUsage =!= undefined,MemoryUsage,(ImageSize + 1023) / 1024)",
        "Requirements": '(TARGET.Arch == "X86_64") && (TARGET.OpSys == "LINUX") && '
                        '(TARGET.Disk >= RequestDisk) && (TARGET.Memory >= RequestMemory)',
        "Rank": "0.0", "MaxHosts": "1", "MinHosts": "1", "CurrentHosts": "0", "NumCkpts": "0",
        "NumRestarts": "0", "NumJobStarts": "0", "ExitStatus": "0", "ExitBySignal": "false",
        "RemoteUserCpu": "0.0", "RemoteSysCpu": "0.0", "RemoteWallClockTime": "0.0",
        "CumulativeSlotTime": "0", "CommittedTime": "0", "JobNotification": "0",
        "LeaveJobInQueue": "false", "ShouldTransferFiles": '"IF_NEEDED"',
        "WhenToTransferOutput": '"ON_EXIT"', "TransferIn": "false", "JobLeaseDuration": "2400",
        "FileSystemDomain": '"bench.example"', "CondorVersion": '"$CondorVersion: pycondorlite $"',
    }


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once(cmd, env):
    """(wall seconds, CPU seconds) of one command; CPU time is what the machine's
    load does not inflate, so both are reported."""
    c0 = child_cpu()
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.decode()))
    return wall, child_cpu() - c0


def timed(cmd, env, runs):
    res = [run_once(cmd, env) for _ in range(runs)]
    return statistics.median(w for w, _ in res), statistics.median(c for _, c in res)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--submitters", action="store_true",
                    help="instead: 8 concurrent processes x 50 real condor_submit runs each")
    args = ap.parse_args()
    # The commands start from byte-compiled modules, as an installed copy does
    # (pip compiles at install), even where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(os.path.join(ROOT, "pycondorlite"), quiet=1)
    if args.submitters:
        return concurrent_submit(8, 50)

    tmp = tempfile.mkdtemp(prefix="queue_bench.")
    spool_dir = os.path.join(tmp, "spool")
    env = dict(os.environ, _CONDOR_SPOOL=spool_dir, CONDOR_CONFIG="/dev/null",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    py = sys.executable
    bin_dir = os.path.join(ROOT, "bin")
    try:
        sp = Spool.open(spool_dir)
        now = int(time.time())
        # submit of one big cluster, the library call alone
        cid = sp.reserve_cluster_id()
        procs = [{"ProcId": str(i)} for i in range(args.jobs)]
        t = time.perf_counter()
        c0 = time.process_time()
        sp.submit(cid, cluster_ad(now), procs)
        submit_s = (time.perf_counter() - t, time.process_time() - c0)
        # the queue now holds args.jobs jobs; the rm runs add and remove 10,000 more
        rm_size = 10_000

        def add_cluster():
            c = sp.reserve_cluster_id()
            sp.submit(c, cluster_ad(now), [{"ProcId": str(i)} for i in range(rm_size)])
            add_cluster.cid = c

        q_s = timed([py, os.path.join(bin_dir, "condor_q")], env, args.runs)
        af_s = timed([py, os.path.join(bin_dir, "condor_q"), "-af", "ClusterId", "ProcId",
                      "JobStatus"], env, args.runs)

        rm_res = []
        for _ in range(args.runs):
            add_cluster()
            rm_res.append(run_once([py, os.path.join(bin_dir, "condor_rm"), str(add_cluster.cid)], env))
        rm_s = (statistics.median(w for w, _ in rm_res), statistics.median(c for _, c in rm_res))
        sp.close()

        print("queue_bench: %d jobs in the spool, medians of %d runs; load average %.1f"
              % (args.jobs, args.runs, os.getloadavg()[0]))
        rows = [("Spool.submit of %d procs" % args.jobs, submit_s, 2.0),
                ("condor_q (batch view)", q_s, 1.0),
                ("condor_q -af ClusterId ProcId JobStatus", af_s, 1.5),
                ("condor_rm of a %d-job cluster" % rm_size, rm_s, 1.0)]
        print("  %-42s %8s %8s  %6s  %s" % ("", "wall", "cpu", "target", "wall/target"))
        for name, (wall, cpu), target in rows:
            print("  %-42s %7.3fs %7.3fs  %5.1fs  %.2f %s"
                  % (name, wall, cpu, target, wall / target, "ok" if wall <= target else "SLOW"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def concurrent_submit(nproc, each):
    """nproc processes each running condor_submit `each` times on one spool; checks that
    every submit got its own cluster and every job is in the queue."""
    tmp = tempfile.mkdtemp(prefix="queue_bench.")
    spool_dir = os.path.join(tmp, "spool")
    env = dict(os.environ, _CONDOR_SPOOL=spool_dir, CONDOR_CONFIG="/dev/null",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    sub = os.path.join(tmp, "job.sub")
    with open(sub, "w") as f:
        f.write("executable = /bin/true\nqueue 2\n")
    script = ("import subprocess, sys\n"
              "bad = 0\n"
              "for _ in range(%d):\n"
              "    r = subprocess.run([sys.executable, %r, %r], capture_output=True, text=True)\n"
              "    bad += r.returncode != 0\n"
              "    if r.returncode: sys.stderr.write(r.stderr)\n"
              "sys.exit(1 if bad else 0)\n") % (each, os.path.join(ROOT, "bin", "condor_submit"), sub)
    try:
        Spool.open(spool_dir).close()
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp)
                 for _ in range(nproc)]
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - t
        sp = Spool.open(spool_dir)
        clusters = sp.conn.execute("SELECT count(DISTINCT cluster_id) FROM jobs").fetchone()[0]
        jobs = sp.conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        sp.close()
        print("concurrent condor_submit: %d processes x %d submits in %.1f s (load average %.1f)"
              % (nproc, each, wall, os.getloadavg()[0]))
        print("  failed processes: %d; distinct clusters: %d (expected %d); jobs: %d (expected %d)"
              % (sum(1 for c in codes if c), clusters, nproc * each, jobs, nproc * each * 2))
        ok = not any(codes) and clusters == nproc * each and jobs == nproc * each * 2
        print("  %s" % ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
