"""The gridmanager: drives grid-universe jobs, run inside the schedd's loop.

    gm = GridManager(spool, logger)
    timeout = gm.poll()      # non-blocking; seconds until it wants polling again
    gm.shutdown()            # stop threads; every durable fact is in the spool

Everything happens in the caller's thread except the cloud requests, which run
on per-resource thread pools and come back through a queue (and a nudge to
the schedd). All spool writes of one poll are committed in ONE transaction,
with per-write guards on JobStatus so a concurrent condor_rm/hold is never
overwritten (a refused write makes the job re-read its facts).

The shared machinery is in basejob.py (the job's protocol and the
transitions every grid type makes alike) and resource.py (request pool,
batched status, up/down, limits); each grid type's module holds its states
and calls: deltacloud.py, ec2.py. GRID_TYPES maps a GridResource's first
word to its module.

Configuration (condor_config / _CONDOR_<KNOB>):
  GRIDMANAGER_JOB_PROBE_INTERVAL_<TYPE>, else GRIDMANAGER_JOB_PROBE_INTERVAL
      (default 60 s): one status request per resource per interval.
  GRIDMANAGER_MAX_PENDING_REQUESTS (default 50): concurrent requests per resource.
  GRIDMANAGER_MAX_SUBMITTED_JOBS_PER_RESOURCE (default 1000): instances per resource.
"""

import queue
import time

from pycondorlite import userlog
from pycondorlite.config import param_float, param_int
from pycondorlite.dollardollar import DollarDollarError, expand_job_ad
from pycondorlite.gridmanager import deltacloud, ec2
from pycondorlite.gridmanager.basejob import (
    COMPLETED, GM_DELETE, GM_DONE, HELD, REMOVED, BaseJob, LaunchError, NoResource)
from pycondorlite.jobad import NOT_LITERAL, literal

# The GridResource prefix that selects each grid type's module, compared
# case-insensitively as HTCondor's *JobAdMatch functions do (DCloudJobAdMatch:
# 6 characters of "deltacloud"; EC2JobAdMatch: "ec2").
GRID_TYPES = (("deltac", deltacloud), ("ec2", ec2))

SCAN_INTERVAL = 0.25        # seconds between reads of the queue while jobs are active
IDLE_INTERVAL = 1.0         # poll period with no grid jobs at all
SHUTDOWN_GRACE = 5.0        # seconds shutdown() waits for requests in flight


def grid_type_of(text):
    """The grid type module a GridResource text selects, or None."""
    low = text.lower()
    for prefix, module in GRID_TYPES:
        if low.startswith(prefix):
            return module
    return None


class _BadJob(BaseJob):
    """A job whose ad names no instance it could launch: it is held (or let go)."""

    def read_ids(self, jobad):
        self.gid = jobad.literal("GridJobId")

    def has_remote_identity(self):
        return isinstance(self.gid, str)


class _Write:
    __slots__ = ("job", "attrs", "statuses", "then", "history", "events", "ok")

    def __init__(self, job, attrs, statuses, then, history):
        self.job, self.attrs, self.statuses = job, attrs, statuses
        self.then, self.history = then, history
        self.events = []
        self.ok = False


class GridManager:
    def __init__(self, spool, logger):
        self.spool = spool
        self.log = logger
        self.spool_id = spool.spool_id
        self.max_requests = max(1, param_int("GRIDMANAGER_MAX_PENDING_REQUESTS", 50))
        self.max_submitted = max(1, param_int("GRIDMANAGER_MAX_SUBMITTED_JOBS_PER_RESOURCE", 1000))
        self.jobs = {}                  # (cluster, proc) -> job
        self.resources = {}             # (grid type, url, user, credential key) -> resource
        self.results = queue.SimpleQueue()
        self.requests_in_flight = 0
        self.closing = False
        self.rematch_pending = False    # a refused job went back to Idle: negotiate soon
        self._writes = []
        self._loose_events = []         # (job, event) not tied to a guarded write
        self._last_scan = float("-inf")
        self._seen = {}                 # key -> (job_status, matched, grid_job_id) last read
        self._nudge_sent = False

    def resource(self, key, make):
        """The resource of this key (grid type, endpoint, credentials), made on first use."""
        res = self.resources.get(key)
        if res is None:
            res = self.resources[key] = make()
            self.log.info("gridmanager: new resource %s", res.label)
        return res

    def probe_interval_for(self, kind):
        """GRIDMANAGER_JOB_PROBE_INTERVAL_<TYPE>, else GRIDMANAGER_JOB_PROBE_INTERVAL."""
        v = param_float("GRIDMANAGER_JOB_PROBE_INTERVAL_" + kind.upper(), None)
        return v if v is not None else param_float("GRIDMANAGER_JOB_PROBE_INTERVAL", 60.0)

    # ---- called from worker threads --------------------------------------------
    def deliver(self, callback, *args):
        """A request finished: hand its result to the poll thread and wake the schedd."""
        self.results.put((callback, args))
        if not self._nudge_sent:
            self._nudge_sent = True
            self.spool.nudge_schedd()       # never fails

    # ---- the schedd's interface ----------------------------------------------
    def poll(self):
        now = time.monotonic()
        self._nudge_sent = False
        self._drain(now)
        if now - self._last_scan >= SCAN_INTERVAL:
            self._scan(now)
        wake = []
        for r in self.resources.values():
            w = r.tick(now)
            if w is not None:
                wake.append(w)
        wake += self._step(now)
        for _ in range(5):
            if not self._writes and not self._loose_events:
                break
            if not self._commit():
                break
            wake += self._step(now)
        now2 = time.monotonic()
        if not self.results.empty():
            return 0.0
        if not self.jobs:
            return IDLE_INTERVAL
        wake.append(self._last_scan + SCAN_INTERVAL)
        return max(0.0, min(wake) - now2)

    def shutdown(self):
        """Stop the threads; results that arrived are committed, nothing new is sent."""
        self.closing = True
        for r in self.resources.values():
            r.shutdown()
        # Requests already on the wire get a moment to answer, so their results
        # (an instance id, say) are saved now; any that do not are recovered at
        # the next start from the name written before each create.
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while time.monotonic() < deadline and any(r.busy() for r in self.resources.values()):
            time.sleep(0.02)
        self._drain(time.monotonic())
        if self._writes or self._loose_events:
            self._commit()
        self.log.info("gridmanager stopped (%d jobs in flight left to the next start)",
                      sum(1 for j in self.jobs.values() if j.state != GM_DONE))

    # ---- figures for tests and benches ----------------------------------------
    def stats(self):
        return {"jobs": len(self.jobs), "resources": len(self.resources),
                "lists_sent": sum(r.lists_sent for r in self.resources.values()),
                "requests_in_flight": self.requests_in_flight,
                "states": _count(j.state for j in self.jobs.values())}

    # ---- for the job state machines ---------------------------------------------
    def queue_write(self, job, attrs, statuses, then, history):
        self._writes.append(_Write(job, attrs, statuses, then, history))

    def event(self, job, event, guarded=False):
        """A user-log event; guarded ones go out only if the job's last queued
        write (the status change they report) commits."""
        if guarded and self._writes and self._writes[-1].job is job:
            self._writes[-1].events.append(event)
        else:
            self._loose_events.append((job, event))

    # ---- internals --------------------------------------------------------------
    def _drain(self, now):
        while True:
            try:
                callback, args = self.results.get_nowait()
            except queue.Empty:
                return
            if getattr(callback, "__name__", "") == "on_result":
                self.requests_in_flight -= 1
            try:
                callback(*args, now)
            except Exception:
                self.log.exception("gridmanager: error handling a cloud result")

    def _step(self, now):
        wake = []
        for key, job in list(self.jobs.items()):
            try:
                w = job.evaluate(now)
            except Exception:
                self.log.exception("job %s: error in state %s", job.label, job.state)
                continue
            if w is not None:
                wake.append(w)
            if job.state == GM_DONE and not job.pending and not job.waiting_commit:
                self._forget(key)
        return wake

    def _forget(self, key):
        self._seen.pop(key, None)
        job = self.jobs.pop(key, None)
        if job is not None:
            job.resource.release_slot(job)
            job.resource.jobs.pop(key, None)

    def _scan(self, now):
        """Read the grid jobs from the queue: new ones, and changes to ours.

        Cheap when nothing changed: only the indexed columns are read, and a
        job's whole ad only when its status, match or GridJobId moved."""
        self._last_scan = now
        try:
            rows = self.spool.grid_job_rows()
        except Exception:
            self.log.exception("gridmanager: cannot read the job queue")
            return
        seen = {}
        changed = []
        for cid, pid, st, matched, gid in rows:
            key = (cid, pid)
            sig = seen[key] = (st, matched, gid)
            if self._seen.get(key) != sig:
                changed.append(key)
        if changed:
            try:
                if len(changed) > 200:
                    want = set(changed)
                    ads = [a for a in self.spool.jobs("universe = 9", order=False) if a.id in want]
                else:
                    ads = [a for a in (self.spool.job(*k) for k in changed) if a is not None]
            except Exception:
                self.log.exception("gridmanager: cannot read the job queue")
                return
            for ad in ads:
                key = ad.id
                # The columns as read above: a change since then shows up next scan.
                self._seen[key] = seen[key]
                job = self.jobs.get(key)
                if job is not None:
                    if job.state != GM_DONE:
                        job.refresh(ad)
                else:
                    module = self._wants(ad)
                    if module is not None:
                        self._adopt(module, ad, now)
        for key in [k for k in self._seen if k not in seen]:
            del self._seen[key]
        for key, job in list(self.jobs.items()):
            if key not in seen and not job.pending and not job.waiting_commit:
                if job.state != GM_DONE:
                    self.log.info("job %s left the queue while in %s", job.label, job.state)
                self._forget(key)

    def _wants(self, ad):
        """The grid type module of a job the gridmanager must manage now, or
        None (HTCondor's selection)."""
        managed = ad.literal("Managed")
        if managed == "ScheddDone":
            return None
        if managed != "External":
            # (an External one may be mid-way: a completed job whose stopped
            # instance is still to be destroyed, a held one still to be cancelled)
            if ad.status in (HELD, COMPLETED):
                return None
            if ad.status == REMOVED and ad.literal("GridJobId") is None:
                return None     # never launched: condor_rm removes it itself
        raw = ad.text("GridResource")
        if raw is None:
            return None
        if "$$(" in raw:
            if ad.literal("Matched") is not True:
                return None
            raw = ad.text("MATCH_EXP_GridResource")
            if raw is None:
                return None
        value = literal(raw)
        return grid_type_of(value if isinstance(value, str) else raw.strip().strip('"'))

    def _adopt(self, module, ad, now):
        full = ad.as_dict(private=True)
        try:
            expanded = expand_job_ad(full)
        except DollarDollarError:
            return      # the negotiator holds such jobs
        low = {k.lower(): v for k, v in expanded.items()}

        def get(name):
            t = low.get(name.lower())
            if t is None:
                return None
            v = literal(t)
            return t.strip() if v is NOT_LITERAL else v

        try:
            job = module.make_job(self, ad, get, now)
        except LaunchError as e:
            job = _BadJob(self, ad.id, ad, None, NoResource(), now)
            job.hold(str(e), e.code, e.subcode)
            if ad.status in (REMOVED, HELD):
                job.state = GM_DELETE
        job.resource.jobs[ad.id] = job
        self.jobs[ad.id] = job

    def _commit(self):
        """Commit the queued writes in one transaction; then events and callbacks."""
        writes, self._writes = self._writes, []
        loose, self._loose_events = self._loose_events, []
        if writes:
            try:
                self._apply(writes)
            except Exception:
                self.log.exception("gridmanager: cannot write the job queue; will retry")
                self._writes = writes + self._writes
                self._loose_events = loose + self._loose_events
                return False
        pairs = [(w.job.jobad, e) for w in writes if w.ok for e in w.events]
        pairs += [(j.jobad, e) for j, e in loose]
        if pairs:
            for path, err in userlog.append_for_jobs(pairs):
                self.log.error("cannot write user log %s: %s", path, err)
        for w in writes:
            if not w.ok:
                self._seen.pop(w.job.key, None)     # re-read it: something changed
            if w.then is not None or w.job.waiting_commit:
                w.job.committed(w.then, w.ok)
        return True

    def _apply(self, writes):
        """The queued writes in one transaction. Each write is guarded by the
        job's JobStatus as it stands after the writes before it; the spool's
        update keeps LastJobStatus/EnteredCurrentStatus."""
        sp = self.spool
        by_job = {}
        for w in writes:
            by_job.setdefault(w.job.key, []).append(w)
        with sp.transaction():
            states = sp.job_states(by_job)
            changes = []            # [{key: attrs}]: one round per JobStatus change
            leaving = []
            for key, ws in by_job.items():
                if key not in states:
                    continue
                status = states[key][0]
                attrs = {}
                history = False
                rounds = 0
                for w in ws:
                    if w.statuses is not None and status not in w.statuses:
                        continue
                    w.ok = True
                    if "JobStatus" in w.attrs and "JobStatus" in attrs:
                        _add(changes, rounds, key, attrs)   # keep each transition's bookkeeping
                        rounds += 1
                        attrs = {}
                    attrs.update(w.attrs)
                    if "JobStatus" in w.attrs:
                        status = int(w.attrs["JobStatus"])
                    history = history or w.history
                if attrs:
                    _add(changes, rounds, key, attrs)
                if history:
                    leaving.append(key)
            for round_changes in changes:
                sp.update(round_changes)
            if leaving:
                sp.move_to_history(leaving)


def _add(changes, i, key, attrs):
    while len(changes) <= i:
        changes.append({})
    changes[i][key] = attrs


def _count(items):
    out = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


__all__ = ["GridManager"]
