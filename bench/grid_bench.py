#!/usr/bin/env python3
"""Grid bench: N grid jobs through the whole stack against the bundled clouds.

    .venv/bin/python bench/grid_bench.py [--grid deltacloud|ec2] [--jobs 1000]
                     [--latency 0.05] [--probe 1.0] [--pending 0.5] [--resources 2]

A scratch spool and `--resources` provider ads, each with its own cloud
account (so each is its own gridmanager resource) and WantAdRevaluate = True
so one ad takes many jobs; `condor_submit` of a submit file with `queue N`;
`condor_schedd -f`.
  --grid deltacloud: the bundled simulator with `--latency` seconds added to
      every API request; the reference example's ads and submit file.
  --grid ec2: the embedded EC2 (moto) behind the fault proxy, which adds
      `--latency` to every request; an ordinary EC2 submit file with $$()
      values; each resource a region of the embedded EC2. Its probe interval
      is 5 s by default: moto takes about 1.2 s of CPU to list 500 instances
      (and one process serves every region), so a shorter interval leaves it
      little time for the launches themselves. HTCondor's default is 60 s.
It prints:

  - seconds until every job is Running (target <= 15 s for 1,000 jobs),
  - status requests (the instance list; DescribeInstances for ec2) per probe
    cycle, measured while all jobs run (target: = the number of resources),
    and the per-job requests then (0),
  - seconds from `condor_rm -all` until every instance is destroyed
    (terminated for ec2) and the queue is empty (target <= 15 s),
  - launches made vs jobs (duplicates) and instances left (leaks), counted
    from the cloud's own instance list.
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

from pycondorlite.spool import Spool  # noqa: E402


def example_sub():
    for d in (os.path.join(os.path.dirname(REPO), "shared", "examples"), os.path.join(REPO, "demo")):
        p = os.path.join(d, "deltacloud_job.sub")
        if os.path.isfile(p):
            return p
    sys.exit("grid_bench: deltacloud_job.sub not found")


class DeltacloudCloud:
    """The bundled simulator; the reference example's files."""
    status_name = "GET /api/instances"

    def __init__(self, a, tmp):
        from pycondorlite.deltacloud.simulator import Simulator
        self.a = a
        self.users = {f"account{i + 1}": f"secret{i + 1}" for i in range(a.resources)}
        self.sim = Simulator(users=self.users, pending_delay=a.pending,
                             faults={"latency": a.latency}, fixtures=False)

    def __enter__(self):
        self.sim.start()
        return self

    def __exit__(self, *exc):
        self.sim.stop()

    def ads(self):
        out = []
        for i, (user, password) in enumerate(self.users.items()):
            out.append(f'''Name="provider_combination_{i + 1}"
MyType="Machine"
Requirements=true
WantAdRevaluate=True
hardwareprofile="large"
image="fedora13"
realm="1"
image_key="ami-{0xac3fc9c5 + i:08x}"
hardwareprofile_key="m1-large"
realm_key="us"
provider_url="{self.sim.url}"
username="{user}"
password="{password}"
cloud_account_id="{i + 1}"
keypair="mykeypair"
''')
        return "\n".join(out)

    def submit_text(self, n):
        with open(example_sub()) as f:
            return f.read().replace("\nqueue\n", f"\nqueue {n}\n")

    def reset(self):
        self.sim.reset_stats()

    def requests(self):
        """(launches, status lists, per-job requests) since the last reset."""
        s = self.sim.stats()
        per_job = sum(v for k, v in s.items() if k.startswith(("GET /api/instances/", "POST",
                                                                "DELETE")))
        return s.get("POST /api/instances", 0), s.get(self.status_name, 0), per_job

    def kills(self):
        s = self.sim.stats()
        return (f"stops {s.get('POST /api/instances/:id/stop', 0)}, "
                f"destroys {s.get('DELETE /api/instances/:id', 0)}")

    def live(self):
        return len(self.sim.instances())

    def created(self):
        c = self.sim.counts()
        return c["created_count"], len(c["duplicate_names"])


class EC2Cloud:
    """The embedded EC2 behind the fault proxy; an ordinary EC2 submit file.
    Each resource is a region of the account (its own service URL, as
    provider ads for several regions name them)."""
    AMI = "ami-ac3fc9c5"
    REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1",
               "sa-east-1")

    def __init__(self, a, tmp):
        from pycondorlite.ec2.embedded import EmbeddedEC2
        if a.resources > len(self.REGIONS):
            sys.exit(f"grid_bench: at most {len(self.REGIONS)} resources for ec2")
        self.a, self.tmp = a, tmp
        self.regions = self.REGIONS[:a.resources]
        self.ec2 = EmbeddedEC2(regions=self.regions, auth=True)

    def __enter__(self):
        from pycondorlite.ec2.faultproxy import FaultProxy
        self.ec2.start()
        for region in self.regions:
            self.ec2.seed_image(region, self.AMI, name="fedora13")
            self.ec2.seed_key_pair(region, "mykeypair")
        self.proxy = FaultProxy(self.ec2.port).start()
        self.proxy.set_latency(self.a.latency)
        creds = self.ec2.add_user("account")
        self.keys = (os.path.join(self.tmp, "account.access"),
                     os.path.join(self.tmp, "account.secret"))
        for path, text in zip(self.keys, (creds.access_key_id, creds.secret_key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text + "\n")
        return self

    def __exit__(self, *exc):
        self.proxy.stop()
        self.ec2.stop()

    def ads(self):
        out = []
        # Key files relative to the job's directory (condor_submit makes them
        # absolute from Iwd before $$() is filled in, as HTCondor's does).
        ak, sk = self.keys
        for region in self.regions:
            out.append(f'''Name="ec2_{region}"
MyType="Machine"
Requirements=true
WantAdRevaluate=True
hardwareprofile="large"
image="fedora13"
ec2_url="{self.proxy.url(region)}"
image_key="{self.AMI}"
hardwareprofile_key="m1.large"
access_key_file="{os.path.basename(ak)}"
secret_key_file="{os.path.basename(sk)}"
keypair="mykeypair"
''')
        return "\n".join(out)

    def submit_text(self, n):
        return ("universe = grid\n"
                "executable = ec2_bench\n"
                'requirements = hardwareprofile == "large" && image == "fedora13"\n'
                "grid_resource = ec2 $$(ec2_url)\n"
                "ec2_access_key_id = $$(access_key_file)\n"
                "ec2_secret_access_key = $$(secret_key_file)\n"
                "ec2_ami_id = $$(image_key)\n"
                "ec2_instance_type = $$(hardwareprofile_key)\n"
                "ec2_keypair = $$(keypair)\n"
                f"queue {n}\n")

    def reset(self):
        self.proxy.reset_counts()

    def requests(self):
        c = self.proxy.counts()
        per_job = sum(v for k, v in c.items() if k != "DescribeInstances")
        return c.get("RunInstances", 0), c.get("DescribeInstances", 0), per_job

    def kills(self):
        return f"terminates {self.proxy.counts().get('TerminateInstances', 0)}"

    def live(self):
        return sum(1 for i in self.ec2.instances() if i["state"] != "terminated")

    def created(self):
        insts = self.ec2.instances()
        tokens = [i["tags"].get("pycondorlite:ClientToken") for i in insts]
        return len(insts), len(tokens) - len(set(tokens))


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
        kind = {"deltacloud": DeltacloudCloud, "ec2": EC2Cloud}[a.grid]
        with kind(a, self.tmp) as cloud:
            ads = os.path.join(self.tmp, "providers.ad")
            with open(ads, "w") as f:
                f.write(cloud.ads())
            self.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", ads)
            sub = os.path.join(self.tmp, "job.sub")
            with open(sub, "w") as f:
                f.write(cloud.submit_text(a.jobs))
            t = time.monotonic()
            self.tool("condor_submit", sub)
            t_submit = time.monotonic() - t

            cloud.reset()
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
                launches, launch_lists, _ = cloud.requests()

                # Steady state: every job Running, nothing changing. 20 cycles: a
                # window's edges can cut one list more or less, 1/20 of a cycle.
                cloud.reset()
                window = max(20 * a.probe, 3.0)
                time.sleep(window)
                _, lists, per_job = cloud.requests()
                per_cycle = lists / (window / a.probe)

                live_before = cloud.live()
                cloud.reset()
                t1 = time.monotonic()
                self.tool("condor_rm", "-all")
                while cloud.live():
                    if time.monotonic() - t1 > 300:
                        sys.exit("grid_bench: instances not destroyed after 300 s")
                    time.sleep(0.05)
                t_destroyed = time.monotonic() - t1
                self.wait("empty queue", lambda sp: sp.count_by_status() == {}, 120)
                t_empty = time.monotonic() - t1
                kills = cloud.kills()
                created, twice = cloud.created()
                leaks = cloud.live()
            finally:
                self.stop()

        print(f"grid_bench: {a.grid}, {a.jobs} jobs, {a.resources} resources, "
              f"{a.latency * 1000:.0f} ms latency per request, probe interval {a.probe:g} s"
              + (f", PENDING for {a.pending:g} s" if a.grid == "deltacloud" else ""))
        print(f"  condor_submit ({a.jobs} procs)           {t_submit:6.2f} s")
        print(f"  all matched (from schedd start)         {t_matched:6.2f} s")
        print(f"  all Running (from schedd start)         {t_running:6.2f} s   "
              f"(target <= 15 s; ratio {t_running / 15:.2f})")
        print(f"    launches sent {launches}, status lists {launch_lists}")
        print(f"  status requests per probe cycle         {per_cycle:6.2f}     "
              f"(target = {a.resources} resources; {lists} lists in {window:g} s)")
        print(f"  other requests while steady             {per_job:6d}")
        print(f"  condor_rm -all -> all destroyed         {t_destroyed:6.2f} s   "
              f"(target <= 15 s; ratio {t_destroyed / 15:.2f})")
        print(f"  condor_rm -all -> queue empty           {t_empty:6.2f} s")
        print(f"    {kills}")
        print(f"  instances live before rm {live_before}, created {created}, "
              f"duplicates {created - a.jobs}, names/tokens twice {twice}, leaks {leaks}")
        ok = (t_running <= 15 and t_destroyed <= 15 and abs(per_cycle - a.resources) < 0.6
              and created == a.jobs and leaks == 0 and per_job == 0)
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
    p.add_argument("--grid", choices=("deltacloud", "ec2"), default="deltacloud")
    p.add_argument("--jobs", type=int, default=1000)
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    p.add_argument("--probe", type=float, default=None,
                   help="GRIDMANAGER_JOB_PROBE_INTERVAL (default 1 s; 5 s for ec2, see above)")
    p.add_argument("--pending", type=float, default=0.5, help="simulator PENDING delay")
    p.add_argument("--resources", type=int, default=2, help="provider ads, one account each")
    args = p.parse_args()
    if args.probe is None:
        args.probe = 5.0 if args.grid == "ec2" else 1.0
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
