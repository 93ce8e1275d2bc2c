"""The chaos suite's harness: a scratch spool, the simulator, the real commands,
a condor_schedd that can be SIGKILLed and restarted, and the invariants.

Two sizes: QUICK (default, runs inside `make test`, a few minutes on 2 cores)
and LONG (PYCONDORLITE_CHAOS=long, `make chaos`). `size(quick, long)` picks.
Tests record figures with the `figures` fixture; when
PYCONDORLITE_CHAOS_FIGURES names a file, they are written there as JSON at
the end of the session (bench/chaos_report.py prints them as a table).
"""

import contextlib
import io
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(REPO, "bin")

LONG = os.environ.get("PYCONDORLITE_CHAOS", "").strip().lower() == "long"
SEED = int(os.environ.get("PYCONDORLITE_CHAOS_SEED", "0") or 0) or None

USER = "ec2_username"
PASSWORD = "ec2-S3cr3t-ch40s-pw-7f3a9"     # distinctive, so a grep finds any leak


def size(quick, long):
    return long if LONG else quick


def rng_for(name):
    """A per-test RNG: reproducible when PYCONDORLITE_CHAOS_SEED is set."""
    seed = SEED if SEED is not None else random.SystemRandom().randrange(1 << 30)
    print(f"[chaos] {name}: seed {seed}")
    return random.Random(seed)


# ------------------------------------------------------------------ figures

_FIGURES = {}


@pytest.fixture(scope="session")
def _figures_file():
    yield
    path = os.environ.get("PYCONDORLITE_CHAOS_FIGURES")
    if path and _FIGURES:
        with open(path, "w") as f:
            json.dump(_FIGURES, f, indent=1, sort_keys=True)


@pytest.fixture
def figures(request, _figures_file):
    """A dict for this test's figures (printed, and saved for the report)."""
    d = {}
    yield d
    if d:
        _FIGURES[request.node.name] = d
        print(f"\n[chaos] {request.node.name}: {d}")


# ------------------------------------------------------------------ inputs

def provider_ad(url, name="provider_combination_1", password=PASSWORD, extra=""):
    """The reference example's provider ad, pointed at the simulator (whose
    mock driver calls the profile m1-large)."""
    return f'''Name="{name}"
MyType="Machine"
Requirements=true
# Stuff needed to match:
hardwareprofile="large"
image="fedora13"
realm="1"
# Backend info to complete this job:
image_key="ami-ac3fc9c5"
hardwareprofile_key="m1-large"
realm_key="us-east-1a"
provider_url="{url}"
username="{USER}"
password="{password}"
cloud_account_id="1"
keypair="mykeypair"
{extra}'''


def submit_text(n, log=None, extra=""):
    """The reference example's submit file, with a user log and `queue n`."""
    return ("universe = grid\n"
            "executable = job_name\n"
            "notification = never\n"
            'requirements = hardwareprofile == "large" && image == "fedora13"\n'
            "grid_resource = deltacloud $$(provider_url)\n"
            "DeltacloudUsername = $$(username)\n"
            "DeltacloudPassword = $$(password)\n"
            "DeltacloudImageId = $$(image_key)\n"
            "DeltacloudHardwareProfile = $$(hardwareprofile_key)\n"
            "DeltacloudKeyname = $$(keypair)\n"
            + (f"log = {log}\n" if log else "")
            + extra
            + f"queue {n}\n")


# ------------------------------------------------------------------ running commands

@contextlib.contextmanager
def _swapped_env(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Result:
    def __init__(self, code, out, err, tb=None):
        self.returncode, self.stdout, self.stderr, self.traceback = code, out, err, tb

    def __repr__(self):
        return f"<Result {self.returncode} out={self.stdout[-200:]!r} err={self.stderr[-300:]!r}>"


MODULES = {"condor_hold": "condor_rm", "condor_release": "condor_rm"}


def run_main(env, name, argv, stdin=""):
    """Run a command's main(argv) in this process (fast path for fuzzing).

    Output is captured; an exception escaping main is returned as .traceback
    (a real user would have seen a Python traceback)."""
    import importlib
    mod = importlib.import_module("pycondorlite.cli." + MODULES.get(name, name))
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_in = sys.argv, sys.stdin
    sys.argv = [os.path.join(BIN, name)] + list(argv)
    sys.stdin = io.StringIO(stdin)
    tb = None
    try:
        with _swapped_env(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = mod.main(list(argv))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception:
        tb = traceback.format_exc()
        code = None
    finally:
        sys.argv, sys.stdin = saved_argv, saved_in
    return Result(code, out.getvalue(), err.getvalue(), tb)


class Harness:
    """One scratch installation: spool, log dir, env, schedd, tools."""

    def __init__(self, tmp, probe_interval="0.5", extra_env=None):
        self.tmp = tmp
        self.spool_dir = str(tmp / "spool")
        self.log_dir = str(tmp / "log")     # created by the schedd, with its modes
        self.env = dict(os.environ)
        self.env.update({
            "CONDOR_CONFIG": "/dev/null",
            "_CONDOR_SPOOL": self.spool_dir,
            "_CONDOR_LOG": self.log_dir,
            "_CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL": probe_interval,
            "_CONDOR_NEGOTIATOR_INTERVAL": "2",
            "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        })
        self.env.update(extra_env or {})
        self.schedd = None
        self.schedd_starts = 0
        self.kills = 0
        self._stderr = open(tmp / "schedd.stderr", "a")

    # -- tools
    def tool(self, name, *args, check=True, stdin=None, timeout=120):
        """bin/NAME args, in a new process, as a user runs it."""
        done = subprocess.run([sys.executable, os.path.join(BIN, name), *map(str, args)],
                              env=self.env, cwd=self.tmp, capture_output=True, text=True,
                              input=stdin, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{name} {' '.join(map(str, args))} exited "
                                 f"{done.returncode}:\n{done.stdout}{done.stderr}")
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def main(self, name, *args, stdin=""):
        return run_main(self.env, name, [str(a) for a in args], stdin)

    # -- the schedd
    def start_schedd(self, wait=True, timeout=30.0):
        from pycondorlite.schedd import running_pid
        assert self.schedd is None or self.schedd.poll() is not None
        self.schedd = subprocess.Popen(
            [sys.executable, os.path.join(BIN, "condor_schedd"), "-f"], env=self.env,
            cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._stderr)
        self.schedd_starts += 1
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while running_pid(self.spool_dir) != self.schedd.pid:
            if self.schedd.poll() is not None:
                raise AssertionError(f"condor_schedd exited {self.schedd.returncode}: "
                                     + self.stderr_text()[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError("condor_schedd did not start")
            time.sleep(0.02)

    def kill_schedd(self):
        """SIGKILL: no cleanup, no flush, no goodbye."""
        if self.schedd is not None and self.schedd.poll() is None:
            self.schedd.send_signal(signal.SIGKILL)
            self.schedd.wait(timeout=30)
            self.kills += 1
        self.schedd = None

    def stop_schedd(self, timeout=30):
        if self.schedd is not None and self.schedd.poll() is None:
            self.schedd.send_signal(signal.SIGTERM)
            try:
                self.schedd.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.schedd.kill()
                self.schedd.wait(timeout=10)
                raise AssertionError("condor_schedd ignored SIGTERM for %ss" % timeout)
        self.schedd = None

    def close(self):
        if self.schedd is not None and self.schedd.poll() is None:
            self.schedd.kill()
            self.schedd.wait(timeout=10)
        self._stderr.close()

    def stderr_text(self):
        self._stderr.flush()
        return (self.tmp / "schedd.stderr").read_text(errors="replace")

    def schedlog(self):
        p = os.path.join(self.log_dir, "SchedLog")
        return open(p, errors="replace").read() if os.path.exists(p) else ""

    # -- the spool
    def spool(self):
        from pycondorlite.spool import Spool
        return Spool.open(self.spool_dir)

    def queue_state(self):
        """{(cid, pid): (status, GridJobId)} and [(cid, pid, status)] of history, in one read."""
        with self.spool() as sp:
            with sp.snapshot():
                q = {j.id: (j.status, j.literal("GridJobId")) for j in sp.jobs(order=False)}
                h = [(c, p, int(a.get("JobStatus", "0"))) for c, p, a in sp.history()]
        return q, h

    def wait(self, cond, timeout, what, keep_alive=False):
        """Poll cond(spool) until true. keep_alive: restart a schedd found dead
        (the crash loop's killer may be between kill and restart)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.spool() as sp:
                if cond(sp):
                    return
            if (not keep_alive and self.schedd is not None and self.schedd.poll() is not None):
                raise AssertionError(f"condor_schedd died while waiting for {what}: "
                                     + self.stderr_text()[-3000:])
            if time.monotonic() > deadline:
                with self.spool() as sp:
                    counts = sp.count_by_status()
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                     f"queue by status {counts}; SchedLog tail:\n"
                                     + self.schedlog()[-3000:])
            time.sleep(0.2)


@pytest.fixture
def harness(tmp_path):
    h = Harness(tmp_path)
    yield h
    h.close()


def spool_dump(spool_dir):
    """Everything in the spool's database, as text (to compare before/after)."""
    path = os.path.join(spool_dir, "job_queue.db")
    if not os.path.exists(path):
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


# ------------------------------------------------------------------ background work

class Killer(threading.Thread):
    """SIGKILLs the schedd at random moments and restarts it, until stopped
    and at least `target` kills have happened."""

    def __init__(self, h, rng, target, spacing=(0.5, 2.5)):
        super().__init__(daemon=True, name="chaos-killer")
        self.h, self.rng, self.target, self.spacing = h, rng, target, spacing
        self.stop_evt = threading.Event()
        self.error = None
        self.lock = threading.Lock()

    def run(self):
        try:
            while True:
                if self.stop_evt.wait(self.rng.uniform(*self.spacing)):
                    return
                with self.lock:
                    self.h.kill_schedd()
                    # Sometimes kill it again while it starts up.
                    if self.rng.random() < 0.2:
                        self.h.start_schedd(wait=False)
                        time.sleep(self.rng.uniform(0.0, 0.4))
                        self.h.kill_schedd()
                    self.h.start_schedd()
        except BaseException as e:     # surfaced by finish()
            self.error = e

    def finish(self, timeout=120):
        """Stop after at least `target` kills; leave a schedd running."""
        deadline = time.monotonic() + timeout
        while self.h.kills < self.target and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.stop_evt.set()
        self.join(timeout=60)
        if self.error:
            raise self.error
        with self.lock:
            if self.h.schedd is None or self.h.schedd.poll() is not None:
                self.h.start_schedd()


class Monitor(threading.Thread):
    """Reads the queue every few tenths of a second: which instance names each
    job has held in GridJobId, and whether a job was ever seen twice."""

    def __init__(self, h, period=0.25, sim=None):
        super().__init__(daemon=True, name="chaos-monitor")
        self.h, self.period, self.sim = h, period, sim
        self.names = {}             # name -> set of job ids
        self.both = set()           # jobs seen in queue and history at once
        self.two_live = {}          # job -> instance ids, seen live at once (needs sim)
        self.stop_evt = threading.Event()
        self.samples = 0

    def sample(self):
        try:
            q, h = self.h.queue_state()
        except sqlite3.Error:
            return
        self.samples += 1
        for key, (_, gid) in q.items():
            if isinstance(gid, str):
                parts = gid.split()
                if len(parts) >= 2:
                    self.names.setdefault(parts[1], set()).add(key)
        hist = {(c, p) for c, p, _ in h}
        self.both |= hist & set(q)
        if self.sim is not None:
            live = {}
            for inst in self.sim.instances():
                for job in self.names.get(inst["name"], ()):
                    live.setdefault(job, []).append(inst["id"])
            self.two_live.update({j: ids for j, ids in live.items() if len(ids) > 1})

    def run(self):
        while not self.stop_evt.wait(self.period):
            self.sample()

    def finish(self):
        self.stop_evt.set()
        self.join(timeout=30)
        self.sample()


# ------------------------------------------------------------------ user log

EVENT_RE = re.compile(r"^(\d{3}) \((\d+)\.(\d+)\.\d+\) ", re.M)


def log_events(path):
    """[(code, (cid, pid))] from a user log."""
    if not os.path.exists(path):
        return []
    text = open(path, errors="replace").read()
    return [(m.group(1), (int(m.group(2)), int(m.group(3)))) for m in EVENT_RE.finditer(text)]


def log_grid_names(path):
    """{instance name: {job ids}} from the GridSubmit (027) events."""
    out = {}
    if not os.path.exists(path):
        return out
    text = open(path, errors="replace").read()
    for block in text.split("...\n"):
        m = re.match(r"\s*027 \((\d+)\.(\d+)\.\d+\)", block)
        g = re.search(r"GridJobId:\s*(.*)", block)
        if m and g:
            parts = g.group(1).strip().strip('"').split()
            if len(parts) >= 2:
                out.setdefault(parts[1], set()).add((int(m.group(1)), int(m.group(2))))
    return out


# ------------------------------------------------------------------ the invariants

def job_invariants(h, submitted):
    """Every job submitted is in the queue or in history exactly once.
    Returns (queue, {job: history JobStatus}, lost, twice, problems)."""
    q, hist = h.queue_state()
    problems = []
    seen = {}
    for key in q:
        seen[key] = seen.get(key, 0) + 1
    hist_status = {}
    for c, p, st in hist:
        seen[(c, p)] = seen.get((c, p), 0) + 1
        hist_status[(c, p)] = st
    lost = sorted(set(submitted) - set(seen))
    twice = sorted(k for k, n in seen.items() if n > 1)
    strangers = sorted(set(seen) - set(submitted))
    if lost:
        problems.append(f"lost jobs (in neither queue nor history): {lost[:20]}")
    if twice:
        problems.append(f"jobs in queue/history more than once: {twice[:20]}")
    if strangers:
        problems.append(f"jobs nobody submitted: {strangers[:20]}")
    return q, hist_status, lost, twice, problems


def check_invariants(h, sim, submitted, removed, completed, names_by_job=None,
                     relaunch_ok=False, foreign=()):
    """Check the issue's invariants against the simulator's own instance list.

    submitted: every job id submitted; removed / completed: those we condor_rm'd
    / completed by stopping their instance. names_by_job: {name: {job ids}}
    observed during the run. foreign: ids of instances made outside
    pycondorlite (left out: they are nobody's). Returns figures; asserts at
    the end so that the figures are complete when something fails."""
    counts = sim.counts()
    foreign = set(foreign)
    live = [i for i in sim.instances() if i.get("serial") is not None and i["id"] not in foreign]
    created = [r for r in sim.cloud.history_list() if r["id"] not in foreign]
    q, hist_status, lost, twice, problems = job_invariants(h, submitted)

    # Instances: whose are they?
    owner = {}
    for name, jobs in (names_by_job or {}).items():
        owner.setdefault(name, set()).update(jobs)
    per_job = {}
    unattributed = []
    for rec in created:
        jobs = owner.get(rec["name"], set())
        if len(jobs) > 1:
            problems.append(f"instance name {rec['name']} used by several jobs {sorted(jobs)}")
        if not jobs:
            unattributed.append(rec["name"])
        for j in jobs:
            per_job.setdefault(j, []).append(rec["id"])
    # relaunch_ok: hold + release legitimately gives a job a new instance.
    doubled = {} if relaunch_ok else {j: ids for j, ids in per_job.items() if len(ids) > 1}
    named = {}
    for rec in created:
        named[rec["name"]] = named.get(rec["name"], 0) + 1
    twice_named = sorted(n for n, c in named.items() if c > 1)
    duplicates = len(twice_named) + sum(len(v) - 1 for v in doubled.values())
    if twice_named:
        problems.append(f"instance names created twice: {twice_named[:10]}")
    if doubled:
        problems.append(f"jobs with two instances: {dict(list(doubled.items())[:10])}")
    ours = counts["created_count"] - len(foreign)
    if ours > len(submitted) and not relaunch_ok:
        problems.append(f"{ours} instances created for {len(submitted)} jobs")

    live_names = {i["name"]: i for i in live}
    leaks = []
    for name, inst in live_names.items():
        jobs = owner.get(name, set())
        if not jobs or all(j not in q for j in jobs):
            leaks.append((inst["id"], name, sorted(jobs)))
    if leaks:
        problems.append(f"instances whose job has left (or never was): {leaks[:10]}")
    not_destroyed = sorted(j for j in removed if any(
        j in owner.get(n, ()) for n in live_names))
    if not_destroyed:
        problems.append(f"removed jobs whose instance still exists: {not_destroyed[:10]}")
    wrong_end = sorted(j for j in removed if hist_status.get(j, 3) != 3) + \
        sorted(j for j in completed if hist_status.get(j, 4) != 4)
    if wrong_end:
        problems.append(f"jobs that ended in the wrong state: {wrong_end[:10]}")

    fig = {"jobs": len(submitted), "instances_created": ours,
           "duplicates": duplicates, "leaks": len(leaks), "lost_jobs": len(lost),
           "in_two_places": len(twice), "removed_not_destroyed": len(not_destroyed),
           "unattributed_instances": len(unattributed), "live_at_end": len(live)}
    return fig, problems


# ------------------------------------------------------------------ the whole story

# (Fixed; kept as a plain failure so the wait below stays short if it returns.)
STUCK = ("completed jobs stuck in the queue with Managed=External (see "
         "test_completed_job_killed_before_destroy)")


class Stuck:
    """A wait predicate: true once the only jobs left in the queue have sat
    Completed with Managed = "External" for `grace` seconds (a gridmanager
    that will never look at them again)."""

    def __init__(self, grace=20.0):
        self.grace, self.since, self.jobs, self.names = grace, None, set(), set()

    def __call__(self, sp):
        jobs = list(sp.jobs(order=False))
        if not jobs or any(j.status != 4 or j.literal("Managed") != "External" for j in jobs):
            self.since = None
            return False
        now = time.monotonic()
        if self.since is None:
            self.since = now
        if now - self.since < self.grace:
            return False
        self.jobs = {j.id for j in jobs}
        self.names = {(j.literal("GridJobId") or "x x").split()[1] for j in jobs}
        return True


def fail_or_xfail(problems):
    """Fail on any problem; xfail when every one is a known, reported bug."""
    if not problems:
        return
    if all(p.startswith("KNOWN BUG") for p in problems):
        pytest.xfail("\n".join(problems))
    raise AssertionError("\n".join(problems))


def run_life(h, sim, rng, n_jobs, kills, figures, tmp, down_for=0.0, sim_factory=None,
             spacing=None, ads=None, submit=None):
    """The whole story while a Killer SIGKILLs the schedd at random moments.

    down_for: after every job runs, stop the simulator for that many seconds
    (condor_rm happens meanwhile), then sim_factory(port, state_file) brings
    it back. ads: the provider ads' text (default: the example's ad);
    submit(n, log): a submit file's text (default: submit_text).
    Returns (sim, problems, user log events, monitor)."""
    ad = tmp / "providers.ad"
    ad.write_text(ads if ads is not None else provider_ad(sim.url))
    h.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", ad)
    h.start_schedd()
    killer = Killer(h, rng, kills, spacing=spacing or size((0.6, 2.0), (1.0, 4.0)))
    mon = Monitor(h)
    killer.start()
    mon.start()
    log = tmp / "jobs.log"
    submitted = []
    problems = []
    clusters = size(3, 8)
    per = [n_jobs // clusters + (1 if i < n_jobs % clusters else 0) for i in range(clusters)]
    timeout = size(150, 900)
    try:
        for i, n in enumerate(per):
            sub = tmp / f"job{i}.sub"
            sub.write_text((submit or submit_text)(n, log=log))
            out = h.tool("condor_submit", sub).stdout
            cid = int(out.rsplit("cluster", 1)[1].strip().rstrip("."))
            submitted += [(cid, p) for p in range(n)]
        h.wait(lambda sp: sp.count_by_status() == {2: n_jobs}, timeout, f"all {n_jobs} Running",
               keep_alive=True)
        if down_for:
            # The cloud goes away entirely, mid-life; jobs are removed meanwhile.
            # No kills from here until it is seen up again (see
            # test_resource_up_event_survives_a_restart for why).
            killer.lock.acquire()
            port, state_file = sim.port, sim.cloud.state_file
            sim.stop()
        order = list(submitted)
        rng.shuffle(order)
        removed = sorted(order[: n_jobs // 2])
        completed = sorted(order[n_jobs // 2:])
        for i in range(0, len(removed), 50):
            h.tool("condor_rm", *[f"{c}.{p}" for c, p in removed[i:i + 50]])
        if down_for:
            time.sleep(down_for)
            sim = sim_factory(port, state_file)
            try:
                h.wait(lambda sp: all(j.literal("GridResourceUnavailableTime") is None
                                      for j in sp.jobs(order=False)),
                       timeout, "the resource seen up again")
            finally:
                killer.lock.release()
        with h.spool() as sp:
            ids = {}
            for key in completed:
                j = sp.job(*key)
                assert j is not None and j.status == 2, (key, j and j.status)
                ids[key] = j.literal("GridJobId").split()[2]
        for key in completed:
            sim.set_state(ids[key], "STOPPED")      # the job's work is done
        stuck = Stuck()
        h.wait(lambda sp: sp.count_by_status() == {} or stuck(sp), timeout, "queue empty",
               keep_alive=True)
        killer.finish(timeout=size(60, 300))
        # A last settle with a live schedd: nothing left to do, nothing left over.
        stuck = Stuck()
        h.wait(lambda sp: (sp.count_by_status() == {} or stuck(sp))
               and not [i for i in sim.instances() if i.get("serial") is not None
                        and i["name"] not in stuck.names],
               60, "every instance destroyed")
        if stuck.jobs:
            problems.append(f"{STUCK}: {sorted(stuck.jobs)[:10]}")
    finally:
        killer.stop_evt.set()
        killer.join(timeout=60)
        mon.finish()
    h.stop_schedd()
    names = dict(mon.names)
    for name, jobs in log_grid_names(log).items():
        names.setdefault(name, set()).update(jobs)
    fig, found = check_invariants(h, sim, submitted, removed, completed, names)
    problems += found
    events = log_events(log)
    fig.update({"kills_survived": h.kills, "schedd_starts": h.schedd_starts,
                "held_events": sum(1 for c, _ in events if c == "012")})
    figures.update(fig)
    if h.kills < kills:
        problems.append(f"only {h.kills} kills (wanted {kills})")
    return sim, problems, events, mon


@pytest.fixture(scope="session")
def chaos():
    """This module: the tests' helpers (test files cannot import each other)."""
    return sys.modules[__name__]
