"""`make demo`: the project's main job, end to end, on the embedded defaults.

The reference example (the two files beside this script, identical to the
shared examples that define the product): two provider ads like
provider_combination_1.ad, pointed at the bundled Deltacloud simulator, and
deltacloud_job.sub submitted exactly as written. The schedd matches the job,
fills in its $$() values and launches the instance; condor_q shows it go from
idle to running; condor_rm kills the instance in the cloud.

Then the same matchmaking story on today's clouds: provider ads for two
regions of the embedded EC2 (moto's server on loopback), an ordinary EC2
submit file (ec2_job.sub beside this script) with $$() values, the instance
as the EC2 API reports it, condor_rm, the instance terminated.

Each step prints the command it runs and that command's real output; nothing
is simulated in this script. A command that is not built yet is said to be
missing, and the steps that need it are skipped. Everything runs in a scratch
directory (spool, log, config) and everything started is stopped at the end.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUB = os.path.join(HERE, "deltacloud_job.sub")
AD = os.path.join(HERE, "provider_combination_1.ad")
EC2_SUB = os.path.join(HERE, "ec2_job.sub")
# (region, AMI, price per hour): the job ranks the providers by price.
EC2_REGIONS = (("us-east-1", "ami-ac3fc9c5", "0.10"), ("eu-west-1", "ami-0f3a5c2b", "0.08"))
PENDING = 3         # seconds the simulated cloud keeps a new instance PENDING


class Demo:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pycondorlite-demo.")
        self.env = dict(os.environ)
        self.env["CONDOR_CONFIG"] = os.path.join(self.dir, "condor_config")
        for k in list(self.env):
            if k.upper().startswith("_CONDOR_"):
                del self.env[k]     # the scratch config decides
        self.cloud = None
        self.ec2 = None
        self.schedd_started = False
        self.missing = []

    # ---- output -----------------------------------------------------------
    def step(self, title):
        print(f"\n=== {title}", flush=True)

    def note(self, text):
        print(f"# {text}", flush=True)

    def have(self, cmd):
        if shutil.which(cmd, path=self.env.get("PATH")):
            return True
        if cmd not in self.missing:
            self.missing.append(cmd)
        self.note(f"{cmd} is not built yet: this step is skipped")
        return False

    def run(self, *cmd, show=True, check=False):
        if show:
            print("$ " + " ".join(_shell_quote(c) for c in cmd), flush=True)
        done = subprocess.run(cmd, text=True, capture_output=True, env=self.env, cwd=self.dir)
        if show:
            sys.stdout.write(done.stdout)
            sys.stdout.write(done.stderr)
            sys.stdout.flush()
        if check and done.returncode != 0:
            raise SystemExit(f"demo: {cmd[0]} exited with {done.returncode}")
        return done

    # ---- the story --------------------------------------------------------------
    def main(self):
        try:
            self.story()
        finally:
            self.cleanup()
        if self.missing:
            print(f"\nNot built yet, so not shown: {', '.join(self.missing)}.")
            return 1
        return 0

    def story(self):
        print("pycondorlite demo: cloud instances scheduled with ClassAd matchmaking "
              "through the Deltacloud API")
        self.run("condor_version")
        if not self.have("deltacloudd"):
            return

        self.step("1. A cloud: the bundled Deltacloud API server (deltacloud's mock driver)")
        self.note(f"new instances stay PENDING for {PENDING} s, as on a real cloud")
        cmd = ["deltacloudd", "-i", "mock", "-r", "127.0.0.1", "-p", "0",
               "--pending-delay", str(PENDING)]
        print("$ " + " ".join(cmd) + " &", flush=True)
        self.cloud = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, env=self.env, cwd=self.dir)
        line = self.cloud.stdout.readline()
        print(line.rstrip(), flush=True)
        m = re.search(r"(http://\S+/api)", line)
        if not m:
            raise SystemExit("demo: deltacloudd did not start")
        self.url = m.group(1)

        self.step("2. A scratch pool: its own spool, log and configuration")
        with open(self.env["CONDOR_CONFIG"], "w") as f:
            f.write(f"SPOOL = {self.dir}/spool\nLOG = {self.dir}/log\n"
                    "NEGOTIATOR_INTERVAL = 5\nGRIDMANAGER_JOB_PROBE_INTERVAL = 1\n")
        self.run("cat", self.env["CONDOR_CONFIG"])

        self.step("3. The operator advertises two provider ads (two AMIs), "
                  "like provider_combination_1.ad")
        ads = self.provider_ads()
        self.note("providers.ad: the example ad twice, with provider_url pointed at the "
                  "simulator, the mock's profile name and account (password not shown):")
        for line in ads.splitlines():
            print("    " + re.sub(r'^(password\s*=\s*).*', r'\1"********"', line))
        with open(os.path.join(self.dir, "providers.ad"), "w") as f:
            f.write(ads)
        os.chmod(os.path.join(self.dir, "providers.ad"), 0o600)
        if self.have("condor_advertise"):
            self.run("condor_advertise", "-multiple", "UPDATE_STARTD_AD", "providers.ad")
        if self.have("condor_status"):
            self.run("condor_status", "-af", "Name", "image", "hardwareprofile", "image_key",
                     "provider_url")

        self.step("4. The user submits deltacloud_job.sub, exactly as written")
        shutil.copy(SUB, os.path.join(self.dir, "deltacloud_job.sub"))
        self.run("cat", "deltacloud_job.sub")
        if not self.have("condor_submit"):
            return
        self.run("condor_submit", "deltacloud_job.sub", check=True)
        self.condor_q()

        self.step("5. The schedd matches it, fills in $$() and the gridmanager launches it")
        if not self.have("condor_master"):
            return
        self.run("condor_master")
        self.schedd_started = True
        self.watch(until_status="2", timeout=30)
        self.run("condor_q", "-af:h", "ClusterId", "ProcId", "DeltacloudPublicNetworkAddresses",
                 "DeltacloudAvailableActions")
        gid = self.job_attr("GridJobId")
        inst_id = gid.split()[2] if gid and len(gid.split()) == 3 else None
        if inst_id:
            self.note(f"the instance, as the cloud reports it (Deltacloud API, GET /api/instances/{inst_id}):")
            self.cloud_get(f"/instances/{inst_id}")

        self.step("6. condor_rm: the instance is stopped and destroyed, then the job leaves")
        if not self.have("condor_rm"):
            return
        self.run("condor_rm", "1")
        self.watch(until_status=None, timeout=30)
        if self.have("condor_history"):
            self.run("condor_history", "-af", "ClusterId", "ProcId", "JobStatus", "RemoveReason",
                     "DeltacloudProviderId")
        if inst_id:
            self.note(f"the cloud no longer has {inst_id}:")
            self.cloud_get(f"/instances/{inst_id}", status_only=True)
            self.note("instances in the cloud now (the mock's own four seed instances, none of ours):")
            self.cloud_get("/instances", names_only=True)
        self.ec2_story()

    def ec2_story(self):
        """The same matchmaking story on EC2 (HTCondor's ec2 grid type)."""
        from pycondorlite.ec2.embedded import EmbeddedEC2
        self.step("7. Today's clouds: the embedded EC2 (moto's server on loopback), two regions")
        self.ec2 = EmbeddedEC2(regions=tuple(r for r, _, _ in EC2_REGIONS)).start()
        self.note(f"python -m pycondorlite.ec2.embedded --regions "
                  f"{','.join(r for r, _, _ in EC2_REGIONS)} runs the same server by hand")
        for region, ami, _ in EC2_REGIONS:
            self.ec2.seed_image(region, ami, name="fedora13")
            self.ec2.seed_key_pair(region, "mykeypair")
            self.note(f"{region}: {self.ec2.url(region)}  (AMI {ami}, key pair mykeypair)")
        for name, text in (("ec2_access_key", "AKIAIOSFODNN7EXAMPLE"),
                           ("ec2_secret_key", "demo-secret-key-not-shown")):
            fd = os.open(os.path.join(self.dir, name), os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text + "\n")
        self.note("the account's keys are in ec2_access_key and ec2_secret_key (mode 0600), "
                  "named relative to the job's directory: condor_submit makes the key file "
                  "names absolute before $$() is filled in, as HTCondor's does")

        self.step("8. Provider ads for the two regions; an ordinary EC2 submit file with $$()")
        with open(os.path.join(self.dir, "ec2_providers.ad"), "w") as f:
            f.write(self.ec2_provider_ads())
        self.run("cat", "ec2_providers.ad")
        self.run("condor_advertise", "-multiple", "UPDATE_STARTD_AD", "ec2_providers.ad",
                 check=True)
        shutil.copy(EC2_SUB, os.path.join(self.dir, "ec2_job.sub"))
        self.run("cat", "ec2_job.sub")
        out = self.run("condor_submit", "ec2_job.sub", check=True).stdout
        cid = out.rsplit("cluster", 1)[1].strip().rstrip(".")

        self.step("9. Matched to the cheaper region (rank = -TARGET.PricePerHour), launched there")
        self.watch(until_status="2", timeout=30, job=f"{cid}.0")
        self.run("condor_q", "-grid")
        self.run("condor_q", f"{cid}.0", "-af:h", "MATCH_EXP_GridResource", "EC2InstanceName",
                 "EC2RemoteVirtualMachineName")
        inst_id = self.job_attr("EC2InstanceName", job=f"{cid}.0")
        if inst_id:
            self.note("the instance, as the EC2 API reports it (DescribeInstances, boto3):")
            self.describe(inst_id)

        self.step("10. condor_rm: the instance is terminated, then the job leaves")
        self.run("condor_rm", cid)
        self.watch(until_status=None, timeout=30, job=f"{cid}.0")
        if inst_id:
            self.describe(inst_id)

    # ---- helpers ----------------------------------------------------------------
    def provider_ads(self):
        with open(AD) as f:
            text = f.read()
        out = []
        for n, ami in ((1, "ami-ac3fc9c5"), (2, "ami-5c83d9b4")):
            ad = text
            ad = re.sub(r'(?m)^Name=.*$', f'Name="provider_combination_{n}"', ad)
            ad = re.sub(r'(?m)^image_key=.*$', f'image_key="{ami}"', ad)
            ad = re.sub(r'(?m)^provider_url=.*$', f'provider_url="{self.url}"', ad)
            ad = re.sub(r'(?m)^hardwareprofile_key=.*$', 'hardwareprofile_key="m1-large"', ad)
            ad = re.sub(r'(?m)^username=.*$', 'username="mockuser"', ad)
            ad = re.sub(r'(?m)^password=.*$', 'password="mockpassword"', ad)
            out.append(ad.rstrip("\n") + "\n")
        return "\n".join(out)

    def ec2_provider_ads(self):
        out = []
        for region, ami, price in EC2_REGIONS:
            out.append(f'''Name="ec2_{region}"
MyType="Machine"
Requirements=true
PricePerHour={price}
hardwareprofile="large"
image="fedora13"
ec2_url="{self.ec2.url(region)}"
image_key="{ami}"
hardwareprofile_key="m1.large"
keypair="mykeypair"
access_key_file="ec2_access_key"
secret_key_file="ec2_secret_key"
''')
        return "\n".join(out)

    def describe(self, inst_id):
        """DescribeInstances of one instance, straight from the EC2 API (boto3)."""
        region = "eu-west-1"
        code = ("import boto3, json, sys\n"
                f"ec2 = boto3.client('ec2', endpoint_url='http://127.0.0.1:{self.ec2.port}', "
                f"region_name='{region}', aws_access_key_id='AKIAIOSFODNN7EXAMPLE', "
                "aws_secret_access_key=open('ec2_secret_key').read().strip())\n"
                f"i = ec2.describe_instances(InstanceIds=['{inst_id}'])"
                "['Reservations'][0]['Instances'][0]\n"
                "print(json.dumps({k: i.get(k) for k in ('InstanceId', 'ImageId', "
                "'InstanceType', 'KeyName', 'State', 'Placement', 'Tags')}, indent=1, "
                "default=str))\n")
        print(f"$ python -c <DescribeInstances of {inst_id} in {region}>", flush=True)
        done = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True,
                              env=dict(self.env, AWS_CONFIG_FILE="/dev/null",
                                       AWS_SHARED_CREDENTIALS_FILE="/dev/null"), cwd=self.dir)
        sys.stdout.write(done.stdout + done.stderr[-500:])
        sys.stdout.flush()

    def condor_q(self):
        if self.have("condor_q"):
            return self.run("condor_q").stdout
        return ""

    def job_attr(self, name, job="1.0"):
        done = self.run("condor_q", job, "-af", name, show=False)
        v = done.stdout.strip()
        return None if done.returncode or v in ("", "undefined") else v

    def watch(self, until_status, timeout, job="1.0"):
        """Show condor_q each time the job changes (its ST letter, or its
        instance's state), until it has the status (None: has left the queue)."""
        last_row = last_grid = object()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            q = self.run("condor_q", "-nobatch", show=False)
            m = re.search(r"(?m)^\s*" + re.escape(job) + r"\s.*$", q.stdout)
            row = re.sub(r"\d+\+\d\d:\d\d:\d\d", "", m.group(0)) if m else None
            if row != last_row:
                print("$ condor_q -nobatch", flush=True)
                sys.stdout.write(q.stdout)
                last_row = row
            if row is not None:
                cmd = ("condor_q", job, "-af:h", "JobStatus", "GridJobStatus", "GridJobId")
                g = self.run(*cmd, show=False)
                if len(g.stdout.splitlines()) > 1 and g.stdout != last_grid:
                    print("$ " + " ".join(cmd), flush=True)
                    sys.stdout.write(g.stdout)
                    last_grid = g.stdout
            status = {"I": "1", "R": "2", "X": "3", "C": "4", "H": "5"}.get(
                row.split()[4]) if row and len(row.split()) > 4 else None
            if status == until_status:
                return
            if status == "5":
                self.run("condor_q", job, "-af:h", "HoldReason")
                return
            time.sleep(0.2)
        self.note(f"(still not there after {timeout} s)")

    def cloud_get(self, path, status_only=False, names_only=False):
        netrc = os.path.join(self.dir, "netrc")
        if not os.path.exists(netrc):
            host = re.match(r"http://([^:/]+)", self.url).group(1)
            fd = os.open(netrc, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(f"machine {host} login mockuser password mockpassword\n")
        cmd = ["curl", "-s", "--netrc-file", "netrc", "-H", "Accept: application/xml"]
        if status_only:
            cmd += ["-o", "/dev/null", "-w", "HTTP %{http_code}\\n"]
        if not shutil.which("curl"):
            self.note("curl is not installed: cannot show the cloud's own view")
            return
        if names_only:
            print("$ " + " ".join(_shell_quote(c) for c in cmd + [self.url + path])
                  + " | grep -o '<name>.*</name>'", flush=True)
            done = self.run(*cmd, self.url + path, show=False)
            for name in re.findall(r"<name>.*?</name>", done.stdout):
                print(name)
            return
        self.run(*cmd, self.url + path)
        print()

    def cleanup(self):
        self.step("11. Stopping everything the demo started")
        if self.schedd_started:
            self.run("condor_off", "-master") if shutil.which("condor_off", path=self.env.get("PATH")) \
                else self.note("condor_off missing; the schedd is left to exit with its spool")
        if self.ec2 is not None:
            print("# stopping the embedded EC2", flush=True)
            self.ec2.stop()
        if self.cloud is not None:
            print(f"$ kill {self.cloud.pid}    # deltacloudd", flush=True)
            self.cloud.send_signal(signal.SIGTERM)
            try:
                self.cloud.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.cloud.kill()
                self.cloud.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        print(f"# removed the scratch directory {self.dir}")


def _shell_quote(s):
    return s if re.fullmatch(r"[\w@%+=:,./-]+", s) else "'" + s.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    sys.exit(Demo().main())
