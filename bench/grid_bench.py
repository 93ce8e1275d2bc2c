#!/usr/bin/env python3
"""Grid bench: N Deltacloud grid jobs through the whole stack against the simulator.

    .venv/bin/python bench/grid_bench.py [--jobs 1000] [--latency 0.05] [--probe 1.0]
                                         [--pending 0.5] [--resources 2]

A scratch spool; the bundled simulator with `--latency` seconds added to every
API request; `--resources` provider ads like the reference example, each with
its own cloud account (so each is its own gridmanager resource) and
WantAdRevaluate = True so one ad takes many jobs; `condor_submit` of the
reference submit file with `queue N`; `condor_schedd -f`. It prints:

  - seconds until every job is Running (target <= 15 s for 1,000 jobs),
  - instance-list (status) requests per probe cycle, measured while all jobs
    run (target: = the number of resources), and the per-job requests then (0),
  - seconds from `condor_rm -all` until every instance is destroyed and the
    queue is empty (target <= 15 s),
  - creates made vs jobs (duplicates) and instances left (leaks).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from pycondorlite.deltacloud.simulator import Simulator  # noqa: E402
from pycondorlite.spool import Spool  # noqa: E402


def example_sub():
    for d in (os.path.join(os.path.dirname(REPO), "shared", "examples"), os.path.join(REPO, "demo")):
        p = os.path.join(d, "deltacloud_job.sub")
        if os.path.isfile(p):
            return p
    sys.exit("grid_bench: deltacloud_job.sub not found")


def provider_ads(url, n):
    ads = []
    for i in range(n):
        ads.append(f'''Name="provider_combination_{i + 1}"
MyType="Machine"
Requirements=true
WantAdRevaluate=True
hardwareprofile="large"
image="fedora13"
realm="1"
image_key="ami-{0xac3fc9c5 + i:08x}"
hardwareprofile_key="m1-large"
realm_key="us"
provider_url="{url}"
username="account{i + 1}"
password="secret{i + 1}"
cloud_account_id="{i + 1}"
keypair="mykeypair"
''')
    return "\n".join(ads)


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="grid_bench.")
        self.spool_dir = os.path.join(self.tmp, "spool")
        self.env = dict(os.environ, CONDOR_CONFIG="/dev/null", _CONDOR_SPOOL=self.spool_dir,
                        _CONDOR_LOG=os.path.join(self.tmp, "log"),
                        _CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL=str(args.probe),
                        _CONDOR_NEGOTIATOR_INTERVAL="5")
        self.schedd = None

    def tool(self, name, *argv):
        module = {"condor_hold": "condor_rm", "condor_release": "condor_rm"}.get(name, name)
        code = (f"import sys; sys.argv[0] = {name!r}; "
                f"from pycondorlite.cli.{module} import main; sys.exit(main())")
        done = subprocess.run([sys.executable, "-c", code, *argv], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"grid_bench: {name} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def wait(self, what, cond, timeout):
        t0 = time.monotonic()
        while True:
            with Spool.open(self.spool_dir) as sp:
                if cond(sp):
                    return time.monotonic() - t0
            if self.schedd.poll() is not None:
                sys.exit(f"grid_bench: condor_schedd died while waiting for {what}")
            if time.monotonic() - t0 > timeout:
                sys.exit(f"grid_bench: timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)

    def run(self):
        a = self.args
        users = {f"account{i + 1}": f"secret{i + 1}" for i in range(a.resources)}
        with Simulator(users=users, pending_delay=a.pending, faults={"latency": a.latency},
                       fixtures=False) as sim:
            ads = os.path.join(self.tmp, "providers.ad")
            with open(ads, "w") as f:
                f.write(provider_ads(sim.url, a.resources))
            self.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", ads)
            sub = os.path.join(self.tmp, "deltacloud_job.sub")
            with open(example_sub()) as f:
                text = f.read()
            with open(sub, "w") as f:
                f.write(text.replace("\nqueue\n", f"\nqueue {a.jobs}\n"))
            t = time.monotonic()
            self.tool("condor_submit", sub)
            t_submit = time.monotonic() - t

            sim.reset_stats()
            t0 = time.monotonic()
            self.schedd = subprocess.Popen(
                [sys.executable, "-c", "import sys; sys.argv[0] = 'condor_schedd'; "
                 "from pycondorlite.cli.condor_schedd import main; sys.exit(main())", "-f"],
                env=self.env, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                n = a.jobs
                self.wait("matches", lambda sp: sp.conn.execute(
                    "SELECT count(*) FROM jobs WHERE matched = 1").fetchone()[0] == n, 120)
                t_matched = time.monotonic() - t0
                self.wait("all Running", lambda sp: sp.count_by_status() == {2: n}, 300)
                t_running = time.monotonic() - t0
                launch_stats = sim.stats()

                # Steady state: every job Running, nothing changing.
                sim.reset_stats()
                # 20 cycles: a window's edges can cut one list more or less, an
                # error of 1/20 of a cycle here (it was 1/5 with 5 cycles)
                window = max(20 * a.probe, 3.0)
                time.sleep(window)
                steady = sim.stats()
                lists = steady.get("GET /api/instances", 0)
                per_cycle = lists / (window / a.probe)
                per_job = sum(v for k, v in steady.items() if k.startswith(("GET /api/instances/",
                                                                            "POST", "DELETE")))

                live_before = len(sim.instances())
                sim.reset_stats()
                t1 = time.monotonic()
                self.tool("condor_rm", "-all")
                while sim.instances():
                    if time.monotonic() - t1 > 300:
                        sys.exit("grid_bench: instances not destroyed after 300 s")
                    time.sleep(0.05)
                t_destroyed = time.monotonic() - t1
                self.wait("empty queue", lambda sp: sp.count_by_status() == {}, 120)
                t_empty = time.monotonic() - t1
                rm_stats = sim.stats()
                counts = sim.counts()
            finally:
                self.stop()

        print(f"grid_bench: {a.jobs} jobs, {a.resources} resources, {a.latency * 1000:.0f} ms "
              f"latency per request, probe interval {a.probe:g} s, PENDING for {a.pending:g} s")
        print(f"  condor_submit ({a.jobs} procs)           {t_submit:6.2f} s")
        print(f"  all matched (from schedd start)         {t_matched:6.2f} s")
        print(f"  all Running (from schedd start)         {t_running:6.2f} s   "
              f"(target <= 15 s; ratio {t_running / 15:.2f})")
        print(f"    creates sent {launch_stats.get('POST /api/instances', 0)}, "
              f"lists {launch_stats.get('GET /api/instances', 0)}, "
              f"instance GETs {launch_stats.get('GET /api/instances/:id', 0)}")
        print(f"  status requests per probe cycle         {per_cycle:6.2f}     "
              f"(target = {a.resources} resources; {lists} lists in {window:g} s)")
        print(f"  other requests while steady             {per_job:6d}")
        print(f"  condor_rm -all -> all destroyed         {t_destroyed:6.2f} s   "
              f"(target <= 15 s; ratio {t_destroyed / 15:.2f})")
        print(f"  condor_rm -all -> queue empty           {t_empty:6.2f} s")
        print(f"    stops {rm_stats.get('POST /api/instances/:id/stop', 0)}, "
              f"destroys {rm_stats.get('DELETE /api/instances/:id', 0)}")
        print(f"  instances live before rm {live_before}, created {counts['created_count']}, "
              f"duplicates {counts['created_count'] - a.jobs}, "
              f"duplicate names {len(counts['duplicate_names'])}, leaks {counts['live_count']}")
        ok = (t_running <= 15 and t_destroyed <= 15 and abs(per_cycle - a.resources) < 0.6
              and counts["created_count"] == a.jobs and counts["live_count"] == 0)
        print("  targets met" if ok else "  TARGETS NOT MET")
        return 0 if ok else 1

    def stop(self):
        if self.schedd is not None and self.schedd.poll() is None:
            self.schedd.send_signal(signal.SIGTERM)
            try:
                self.schedd.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.schedd.kill()
                self.schedd.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=1000)
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    p.add_argument("--probe", type=float, default=1.0, help="GRIDMANAGER_JOB_PROBE_INTERVAL")
    p.add_argument("--pending", type=float, default=0.5, help="simulator PENDING delay")
    p.add_argument("--resources", type=int, default=2, help="provider ads, one account each")
    return Bench(p.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
