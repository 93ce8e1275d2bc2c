"""What every grid type's job shares (HTCondor's BaseJob): the machinery around
an explicit state machine.

A grid type subclasses BaseJob with its states (`_state_<NAME>` handlers) and
its result callbacks (`_result_<op>`); every transition is an assignment to
`self.state` in one of them. The machine never blocks: cloud calls run on the
resource's thread pool (`_request`) and come back through `on_result`, and
spool writes are queued (`write`) and committed by the GridManager in one
transaction per poll; a handler that needs a write to be durable passes
`then=` and the job waits for the commit.

Shared here: the write/commit protocol, backoff, the user-visible
transitions every grid type makes the same way (Running, Completed, Held,
handing the job back) and the grid-resource down/up events.
"""

import random
import time

from pycondorlite import refusals, userlog
from pycondorlite.config import param_float
from pycondorlite.jobad import quote as _quote

# States every grid type has (HTCondor's GM_* names).
GM_INIT = "INIT"
GM_HOLD = "HOLD"            # put the job on hold (an error)
GM_DELETE = "DELETE"        # hand the job back to the schedd
GM_DONE = "DONE"            # the manager forgets this job

# JobStatus
IDLE, RUNNING, REMOVED, COMPLETED, HELD = 1, 2, 3, 4, 5

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


def backoff(failures, cap=BACKOFF_MAX):
    """Seconds to wait after the n-th consecutive failure (n >= 1), jittered."""
    d = min(cap, BACKOFF_FIRST * (2 ** min(max(0, failures - 1), 16)))
    return d * random.uniform(0.5, 1.0)


def quote(s):
    return _quote(str(s))


def text_value(v):
    """A job-ad value as the text a cloud request takes (None for undefined)."""
    if v is None or isinstance(v, bool):
        return None if v is None else ("true" if v else "false")
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    return None     # undefined / error


def id_set(text):
    """The ids of a comma-separated text (GridForeignInstanceIds), as a set."""
    return frozenset(i for i in text.split(",") if i) if isinstance(text, str) else frozenset()


class LaunchError(Exception):
    """The job ad cannot describe an instance: a hold reason (with HTCondor's
    HoldReasonCode/SubCode where the grid type has them)."""

    def __init__(self, message, code=0, subcode=0):
        super().__init__(message)
        self.code, self.subcode = code, subcode


class NoResource:
    """Stands in for a resource for a job whose ad cannot name one."""
    up = True
    backoff_cap = BACKOFF_MAX

    def __init__(self):
        self.jobs = {}

    def release_slot(self, job):
        pass


class BaseJob:
    """One grid job's state machine. Runs only in the GridManager's poll thread."""

    def __init__(self, gm, key, jobad, spec, resource, now):
        self.gm = gm
        self.key = key                  # (cluster, proc)
        self.jobad = jobad              # latest spool JobAd (for the user log)
        self.spec = spec                # the grid type's LaunchSpec (None: a bad ad)
        self.resource = resource
        self.state = GM_INIT
        self.status = jobad.status
        self.pending = None             # name of the request in flight
        self.waiting_commit = False
        self.stale = False              # a guarded write lost a race: re-read first
        self.retry_at = 0.0
        self.failures = 0
        self.first_failure = None
        self.completed = self.status == COMPLETED
        self.running_logged = self.status == RUNNING
        self.hold_reason = None
        self.hold_code = self.hold_subcode = 0
        self.written = {}               # attribute texts we last wrote (to skip no-ops)
        # HTCondor's BaseJob starts "resource down" when the ad says so, so that
        # a restarted gridmanager still logs the Back Up event (025) later.
        self.unavailable_logged = jobad.literal("GridResourceUnavailableTime") is not None
        self.read_ids(jobad)

    def __repr__(self):
        return f"<{type(self).__name__} {self.label} {self.state}>"

    @property
    def label(self):
        return f"{self.key[0]}.{self.key[1]}"

    # ---- for the grid type ----------------------------------------------------
    def read_ids(self, jobad):
        """Take the durable identity (GridJobId and friends) from the ad."""
        raise NotImplementedError

    def leaving_attrs(self):
        """What to clear when the job leaves the gridmanager for good."""
        return {"GridJobId": None}

    # ---- inputs -------------------------------------------------------------
    def refresh(self, jobad):
        """A newer view of the job from the spool."""
        self.jobad = jobad
        if jobad.status != self.status:
            self.gm.log.debug("job %s: JobStatus %s -> %s", self.label, self.status, jobad.status)
        self.status = jobad.status
        if self.stale:
            # A write of ours was refused: start over from the durable facts.
            self.stale = False
            self.read_ids(jobad)
            self.completed = self.status == COMPLETED
            self.running_logged = self.status == RUNNING
            if self.spec is None:       # an ad that names no instance: hold or let go
                self.state = GM_HOLD if self._active() else GM_DELETE
            else:
                self.state = GM_INIT

    def on_result(self, op, ok, value, now):
        """A cloud request finished (poll thread)."""
        self.pending = None
        getattr(self, "_result_" + op)(ok, value, now)

    def on_resource_down(self, down, now):
        if down:
            self.write({"GridResourceUnavailableTime": str(int(time.time()))})
            self.gm.event(self, userlog.grid_resource_down(*self.key, self.spec.grid_resource))
        else:
            self.write({"GridResourceUnavailableTime": None})
            self.gm.event(self, userlog.grid_resource_up(*self.key, self.spec.grid_resource))

    # ---- running the machine ------------------------------------------------
    def evaluate(self, now):
        """Run handlers until the state settles. Returns when next to look (monotonic)."""
        for _ in range(20):
            if self.pending or self.waiting_commit or self.stale or self.state == GM_DONE:
                return None
            before = self.state
            getattr(self, "_state_" + before)(now)
            if self.state == before:
                break
            self.gm.log.debug("job %s: %s -> %s", self.label, before, self.state)
        return self.retry_at if self.retry_at > now else None

    def write(self, attrs, statuses=None, then=None, history=False):
        """Queue a spool write (committed by the manager this poll).

        statuses: the write applies only if the job's JobStatus is one of these
        at commit time. then(ok) runs after the commit. The job waits for it."""
        self.gm.queue_write(self, attrs, statuses, then, history)
        if then is not None:
            self.waiting_commit = True

    def committed(self, then, ok):
        self.waiting_commit = False
        if then is not None:
            then(ok)

    def _refused(self, ok):
        if not ok:
            self.stale = True

    def publish(self, attrs):
        """Write the attributes whose text changed since we last wrote them."""
        changed = {k: v for k, v in attrs.items() if self.written.get(k) != v}
        if changed:
            if "GridJobStatus" in changed:
                changed["LastRemoteStatusUpdate"] = str(int(time.time()))
            self.written.update(changed)
            self.write(changed)

    def _request(self, op, fn, *args):
        self.pending = op
        self.resource.submit(self, op, fn, *args)

    def _failed(self, now, err):
        """A transient failure: back off."""
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = now
        # Capped near the probe interval: a flaky cloud is retried about as
        # often as it is polled, not ever more rarely.
        self.retry_at = now + backoff(self.failures, self.resource.backoff_cap)
        self.gm.log.info("job %s: %s; retrying in %.1fs", self.label, err,
                         self.retry_at - now)

    def _succeeded(self):
        self.failures = 0
        self.first_failure = None
        self.retry_at = 0.0

    def _waiting(self, now):
        return now < self.retry_at or not self.resource.up

    def _active(self):
        return self.status in (IDLE, RUNNING)

    def hold(self, reason, code=0, subcode=0):
        """Go to GM_HOLD with this reason (HTCondor's HoldReason/Code/SubCode)."""
        self.hold_reason, self.hold_code, self.hold_subcode = reason, code, subcode
        self.state = GM_HOLD

    # ---- user-visible transitions, the same for every grid type ------------------
    def write_running(self):
        """Idle -> Running (HTCondor's JobRunning), with the execute event."""
        def done(ok):
            if ok:
                self.running_logged = True
                self.gm.log.info("job %s: running", self.label)
            else:
                self.stale = True
        t = str(int(time.time()))
        starts = self.jobad.literal("NumJobStarts")
        starts = starts + 1 if isinstance(starts, int) and not isinstance(starts, bool) else 1
        self.write({"JobStatus": str(RUNNING), "JobCurrentStartDate": t, "ShadowBday": t,
                    "JobStartDate": self.jobad.text("JobStartDate") or t,
                    "NumJobStarts": str(starts)},
                   statuses=(IDLE,), then=done)
        self.gm.event(self, userlog.execute(*self.key, self.spec.grid_resource), guarded=True)

    def write_completed(self, then_state):
        """Idle/Running -> Completed with exit code 0 (HTCondor's JobTerminated),
        and the terminated event; then_state once it is committed."""
        def done(ok):
            if ok:
                self.completed = True
                self.status = COMPLETED
                self.state = then_state
                self.gm.log.info("job %s: completed", self.label)
            else:
                self.stale = True
        t = str(int(time.time()))
        attrs = {"JobStatus": str(COMPLETED), "CompletionDate": t, "ExitCode": "0",
                 "ExitBySignal": "false"}
        attrs.update(self._wall_clock(self.status == RUNNING))
        self.write(attrs, statuses=(IDLE, RUNNING), then=done)
        self.gm.event(self, userlog.terminated(*self.key, return_value=0), guarded=True)

    def _wall_clock(self, was_running):
        """RemoteWallClockTime grown by the run that ends now (HTCondor's
        UpdateRuntimeStats), and the run's start forgotten."""
        start = self.jobad.literal("JobCurrentStartDate")
        if not isinstance(start, int) or isinstance(start, bool) or not was_running:
            return {}
        total = self.jobad.literal("RemoteWallClockTime")
        total = total if isinstance(total, (int, float)) and not isinstance(total, bool) else 0
        return {"RemoteWallClockTime": str(float(total + max(0, int(time.time()) - start))),
                "JobCurrentStartDate": None}

    def rematch_after_refusal(self, reason, hold_reason, code=0, subcode=0):
        """The provider refused the launch for capacity or quota, and a look
        found nothing of it there: the job goes back to Idle, unmatched, with
        the refusal in ProviderRefusals and a 021 event, for the negotiator to
        match it elsewhere (refusals.py). A job that came through no provider
        ad (a literal grid_resource) has nowhere else to go: it is held."""
        provider = self.jobad.literal("MatchedProvider")
        if not isinstance(provider, str) or self.jobad.literal("Matched") is not True:
            self.hold(hold_reason, code, subcode)
            return
        t = int(time.time())
        window = param_float("PROVIDER_REFUSAL_WINDOW", refusals.DEFAULT_WINDOW)
        record = refusals.add(self.jobad.text(refusals.ATTR),
                              refusals.Refusal(provider, t, reason), t, window)
        attrs = dict(self.leaving_attrs(), Matched="false", CurrentHosts="0",
                     MatchedProvider=None, GridJobStatus=None, Managed='"Schedd"')
        attrs[refusals.ATTR] = record
        self.gm.log.info("job %s: %s refused the launch (%s); matching it again", self.label,
                         provider, reason)

        def done(ok):
            if ok:
                self.resource.release_slot(self)
                self.state = GM_DONE
                self.gm.rematch_pending = True
            else:
                self.stale = True
        self.write(attrs, statuses=(IDLE, RUNNING), then=done)
        self.gm.event(self, userlog.remote_error(
            *self.key, "gridmanager", provider,
            f"The provider refused to launch the job: {reason}", critical=False), guarded=True)

    # ---- the shared states --------------------------------------------------------
    def _state_HOLD(self, now):
        reason = self.hold_reason or "Unspecified gridmanager error"
        if self.status != HELD:
            self.gm.log.warning("job %s: holding: %s", self.label, reason)
            holds = self.jobad.literal("NumSystemHolds")
            holds = holds + 1 if isinstance(holds, int) and not isinstance(holds, bool) else 1
            attrs = {"JobStatus": str(HELD), "HoldReason": quote(reason),
                     "HoldReasonCode": str(self.hold_code),
                     "HoldReasonSubCode": str(self.hold_subcode),
                     "NumSystemHolds": str(holds),
                     "JobStatusOnRelease": str(IDLE),   # back to idle: re-looked-at
                     "Managed": '"Schedd"'}

            def done(ok):
                if ok:
                    self.resource.release_slot(self)
                    self.state = GM_DONE
                else:
                    self.stale = True
            self.write(attrs, statuses=(IDLE, RUNNING), then=done)
            self.gm.event(self, userlog.held(*self.key, reason, self.hold_code,
                                             self.hold_subcode), guarded=True)
            return
        self.state = GM_DELETE

    def _state_DELETE(self, now):
        """Hand the job back: done ones leave the queue, held/idle go to the schedd."""
        self.resource.release_slot(self)
        if self.status == REMOVED:
            reason = self.jobad.literal("RemoveReason")
            attrs = dict(self.leaving_attrs(), Managed='"ScheddDone"', GridJobStatus='"FINISH"')
            attrs.update(self._wall_clock(self.jobad.literal("LastJobStatus") == RUNNING))
            self.write(attrs, statuses=(REMOVED,), history=True, then=self._deleted)
            self.gm.event(self, userlog.aborted(*self.key, reason if isinstance(reason, str)
                                                else None), guarded=True)
        elif self.status == COMPLETED or self.completed:
            attrs = dict(self.leaving_attrs(), Managed='"ScheddDone"', GridJobStatus='"FINISH"')
            self.write(attrs, statuses=(COMPLETED,), history=True, then=self._deleted)
        else:
            attrs = {"Managed": '"Schedd"'}
            if not self.has_remote_identity():
                attrs.update(self.leaving_attrs())
                attrs["GridJobStatus"] = None
            self.write(attrs, then=self._deleted)

    def has_remote_identity(self):
        """Does the ad still name something at the provider (kept across a hold)?"""
        raise NotImplementedError

    def _deleted(self, ok):
        if ok:
            self.state = GM_DONE
        else:
            self.stale = True
