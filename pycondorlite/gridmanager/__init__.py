"""The gridmanager: drives grid-universe jobs, run inside the schedd's loop.

    gm = GridManager(spool, logger)
    timeout = gm.poll()      # non-blocking; seconds until it wants polling again
    gm.shutdown()            # stop threads; every durable fact is in the spool

Everything happens in the caller's thread except the cloud requests, which run
on per-resource thread pools and come back through a queue (and a nudge to
the schedd). All spool writes of one poll are committed in ONE transaction,
with per-write guards on JobStatus so a concurrent condor_rm/hold is never
overwritten (a refused write makes the job re-read its facts).

Only the Deltacloud grid type exists (deltacloud.py).

Configuration (condor_config / _CONDOR_<KNOB>):
  GRIDMANAGER_JOB_PROBE_INTERVAL_DELTACLOUD, else GRIDMANAGER_JOB_PROBE_INTERVAL
      (default 60 s): one instance-list request per resource per interval.
  GRIDMANAGER_MAX_PENDING_REQUESTS (default 50): concurrent requests per resource.
  GRIDMANAGER_MAX_SUBMITTED_JOBS_PER_RESOURCE (default 1000): instances per resource.
"""

import queue
import time

from pycondorlite import userlog
from pycondorlite.gridmanager.deltacloud import (
    COMPLETED, GM_DELETE, GM_DONE, GM_HOLD, HELD, REMOVED,
    DCloudJob, DCloudResource, LaunchError, LaunchSpec)

SCAN_INTERVAL = 0.25        # seconds between reads of the queue while jobs are active
IDLE_INTERVAL = 1.0         # poll period with no grid jobs at all
SHUTDOWN_GRACE = 5.0        # seconds shutdown() waits for requests in flight


def _param(name, default):
    try:
        from pycondorlite.config import param
        v = param(name)
    except ImportError:
        import os
        v = os.environ.get("_CONDOR_" + name)
    return default if v in (None, "") else v


def _param_num(names, default, kind=float):
    for n in names:
        v = _param(n, None)
        if v is not None:
            try:
                return kind(float(v))
            except ValueError:
                pass
    return default


class _NoResource:
    """Stands in for a resource for a job whose ad cannot name one."""
    up = True

    def release_slot(self, job):
        pass


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
        self.probe_interval = _param_num(("GRIDMANAGER_JOB_PROBE_INTERVAL_DELTACLOUD",
                                          "GRIDMANAGER_JOB_PROBE_INTERVAL"), 60.0)
        self.max_requests = max(1, _param_num(("GRIDMANAGER_MAX_PENDING_REQUESTS",), 50, int))
        self.max_submitted = max(1, _param_num(
            ("GRIDMANAGER_MAX_SUBMITTED_JOBS_PER_RESOURCE",), 1000, int))
        self.jobs = {}                  # (cluster, proc) -> DCloudJob
        self.resources = {}             # (url, user, credential key) -> DCloudResource
        self.results = queue.SimpleQueue()
        self.requests_in_flight = 0
        self._writes = []
        self._loose_events = []         # (job, event) not tied to a guarded write
        self._last_scan = float("-inf")
        self._seen = {}                 # key -> (job_status, matched, grid_job_id) last read
        self._closing = False
        self._nudge_sent = False

    # ---- called from worker threads --------------------------------------------
    def deliver(self, callback, *args):
        """A request finished: hand its result to the poll thread and wake the schedd."""
        self.results.put((callback, args))
        if not self._nudge_sent:
            self._nudge_sent = True
            try:
                self.spool.nudge_schedd()
            except Exception:
                pass

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
        self._closing = True
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
        if job is not None and job.resource is not None:
            res = job.resource
            if isinstance(res, DCloudResource):
                res.jobs.pop(key, None)
                res.release_slot(job)

    def _scan(self, now):
        """Read the grid jobs from the queue: new ones, and changes to ours.

        Cheap when nothing changed: only the indexed columns are read, and a
        job's whole ad only when its status, match or GridJobId moved."""
        self._last_scan = now
        try:
            rows = self.spool.conn.execute(
                "SELECT cluster_id, proc_id, job_status, matched, grid_job_id FROM jobs "
                "WHERE universe = 9").fetchall()
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
                elif self._wants(ad):
                    self._adopt(ad, now)
        for key in [k for k in self._seen if k not in seen]:
            del self._seen[key]
        for key, job in list(self.jobs.items()):
            if key not in seen and not job.pending and not job.waiting_commit:
                if job.state != GM_DONE:
                    self.log.info("job %s left the queue while in %s", job.label, job.state)
                self._forget(key)

    def _forget_seen(self, key):
        """Make the next scan read this job's ad again."""
        self._seen.pop(key, None)

    def _wants(self, ad):
        """Is this a grid job the gridmanager must manage now? (HTCondor's selection)"""
        managed = ad.literal("Managed")
        if managed == "ScheddDone":
            return False
        if managed != "External":
            # (an External one may be mid-way: a completed job whose stopped
            # instance is still to be destroyed, a held one still to be cancelled)
            if ad.status in (HELD, COMPLETED):
                return False
            if ad.status == REMOVED and ad.literal("GridJobId") is None:
                return False    # never launched: condor_rm removes it itself
        raw = ad.text("GridResource")
        if raw is None:
            return False
        if "$$(" in raw:
            if ad.literal("Matched") is not True:
                return False
            exp = ad.text("MATCH_EXP_GridResource")
            if exp is None:
                return False
            raw = exp
        from pycondorlite.jobad import literal
        value = literal(raw)
        text = value if isinstance(value, str) else raw.strip().strip('"')
        # HTCondor's DCloudJobAdMatch compares the first 6 characters.
        return text[:6].lower() == "deltac"

    def _adopt(self, ad, now):
        from pycondorlite.jobad import NOT_LITERAL, literal
        try:
            from pycondorlite.dollardollar import DollarDollarError, expand_job_ad
        except ImportError:
            expand_job_ad, DollarDollarError = None, Exception
        full = ad.as_dict(private=True)
        try:
            expanded = expand_job_ad(full) if expand_job_ad else full
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
            spec = LaunchSpec(get)
            gid = get("GridJobId")
            if isinstance(gid, str) and gid.split()[:1] != ["deltacloud"]:
                raise LaunchError("GridJobId not of type deltacloud")
        except LaunchError as e:
            job = DCloudJob(self, ad.id, ad, None, _NoResource(), now)
            job.hold_reason = str(e)
            job.state = GM_HOLD if ad.status not in (REMOVED, HELD) else GM_DELETE
            self.jobs[ad.id] = job
            return
        rkey = spec.resource_key()
        res = self.resources.get(rkey)
        if res is None:
            res = DCloudResource(self, spec, now)
            self.resources[rkey] = res
            self.log.info("gridmanager: new resource %s (user %s)", spec.url, spec.username)
        job = DCloudJob(self, ad.id, ad, spec, res, now)
        res.jobs[ad.id] = job
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
        sp = self.spool
        by_job = {}
        for w in writes:
            by_job.setdefault(w.job.key, []).append(w)
        with sp.transaction() as c:
            changes = {}
            leaving = []
            for key, ws in by_job.items():
                row = c.execute("SELECT job_status FROM jobs WHERE cluster_id = ? AND proc_id = ?",
                                key).fetchone()
                if row is None:
                    continue
                status = row[0]
                attrs = {}
                history = False
                for w in ws:
                    if w.statuses is not None and status not in w.statuses:
                        continue
                    w.ok = True
                    attrs.update(w.attrs)
                    if "JobStatus" in w.attrs:
                        status = int(w.attrs["JobStatus"])
                    history = history or w.history
                if attrs:
                    changes[key] = attrs
                if history:
                    leaving.append(key)
            if changes:
                sp.update(changes)
            if leaving:
                sp.move_to_history(leaving)


def _count(items):
    out = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


__all__ = ["GridManager"]
