"""Remove, hold and release jobs: the transitions the schedd's actOnJobs makes.

Each call is one spool transaction. Per job the outcome is one of the
JobActionResults codes below. After the commit the user job log gets the
matching events (009 aborted, 012 held, 013 released) and a running schedd is
nudged.

    remove : any state but Removed -> Removed (3), RemoveReason set. A job the
             gridmanager manages (GridJobId set, or Managed == "External")
             stays in the queue until the gridmanager has destroyed its
             instance and moves it to history; any other job goes to
             history at once.
    hold   : Idle/Running/... -> Held (5), HoldReason, HoldReasonCode 1.
    release: Held -> JobStatusOnRelease if set, else Idle.
    forcex : Removed -> leaves the queue at once, whatever the gridmanager does.

LastJobStatus and EnteredCurrentStatus are kept by the spool (Spool.update /
archive), as for every change of JobStatus.
"""

import time

from pycondorlite import jobstatus as js
from pycondorlite import userlog, users
from pycondorlite.adformat import Evaluator
from pycondorlite.jobad import quote

REMOVE, REMOVE_X, HOLD, RELEASE = "remove", "remove_x", "hold", "release"

# JobActionResults (action_result_t)
SUCCESS, NOT_FOUND, PERMISSION_DENIED, BAD_STATUS, ALREADY_DONE, ERROR = range(6)

DEFAULT_REASON = {REMOVE: "via condor_rm", REMOVE_X: "via condor_rm -forcex",
                  HOLD: "via condor_hold", RELEASE: "via condor_release"}


class Outcome:
    def __init__(self):
        self.results = {}          # (cid, pid) -> code
        self.total_jobs = 0        # jobs in the queue (TotalJobAds)

    @property
    def any_success(self):
        return any(r == SUCCESS for r in self.results.values())

    def count(self, code):
        return sum(1 for r in self.results.values() if r == code)


def managed_by_gridmanager(job):
    """Does this job have (or may it have) a cloud instance the gridmanager must clean up?"""
    gid = job.literal("GridJobId")
    if isinstance(gid, str) and gid.strip():
        return True
    return job.literal("Managed") == "External"


def _check(action, job):
    st = job.status
    if action == REMOVE:
        return ALREADY_DONE if st == js.REMOVED else SUCCESS
    if action == REMOVE_X:
        return SUCCESS if st == js.REMOVED else BAD_STATUS
    if action == HOLD:
        if st == js.HELD:
            return ALREADY_DONE
        if st in (js.REMOVED, js.COMPLETED):
            return BAD_STATUS
        return SUCCESS
    if action == RELEASE:
        return SUCCESS if st == js.HELD else BAD_STATUS
    raise ValueError(action)


def act(sp, action, ids=(), where=None, params=(), constraint=None, user=None, reason=None,
        subcode=0, now=None):
    """Apply `action` to explicit job ids (cid, pid) and/or to the jobs selected by an
    SQL condition on the jobs table (`where`) AND-ed with a ClassAd `constraint`.

    Returns an Outcome. Jobs selected by where/constraint that are not in a state
    the action applies to are left out (as the schedd's constraint form does).
    """
    user = user or users.current_user()
    now = int(now if now is not None else time.time())
    reason = (reason or DEFAULT_REASON[action]) + " (by user %s)" % user
    out = Outcome()
    ev = Evaluator()
    events = []
    with sp.transaction():
        out.total_jobs = sp.count()
        targets = []
        for cid, pid in ids:
            j = sp.job(cid, pid)
            if j is None:
                out.results[(cid, pid)] = NOT_FOUND
                continue
            targets.append(j)
        if where is not None or constraint is not None:
            for j in sp.jobs(where, params):
                if constraint is not None and not ev.matches(j, constraint):
                    continue
                if _check(action, j) != SUCCESS:
                    continue
                targets.append(j)
        changes = {}
        leaving = []
        for j in targets:
            if j.id in out.results and out.results[j.id] == SUCCESS:
                continue
            owner = j.literal("Owner")
            if not users.may_modify(user, owner if isinstance(owner, str) else None):
                out.results[j.id] = PERMISSION_DENIED
                continue
            code = _check(action, j)
            out.results[j.id] = code
            if code != SUCCESS:
                continue
            attrs, leaves, event = _transition(action, j, reason, subcode, now)
            if leaves:
                leaving.append((j, attrs))
            else:
                changes[j.id] = attrs
            if event is not None:
                events.append((j, event))
        if changes:
            sp.update(changes, now=now)
        if leaving:
            sp.archive(leaving, now)
    if events:
        userlog.append_for_jobs(events)
    if any(r == SUCCESS for r in out.results.values()):
        sp.nudge_schedd()
    return out


def _transition(action, job, reason, subcode, now):
    """(attribute changes, leaves the queue now?, user log event or None)."""
    cid, pid = job.id
    if action in (REMOVE, REMOVE_X):
        attrs = {"JobStatus": str(js.REMOVED)}
        if action == REMOVE:
            attrs["RemoveReason"] = quote(reason)
            leaves = not managed_by_gridmanager(job)
        else:
            leaves = True
        event = userlog.aborted(cid, pid, job.literal("RemoveReason", None)
                                if action == REMOVE_X else reason, when=now) if leaves else None
        return attrs, leaves, event
    if action == HOLD:
        attrs = {"JobStatus": str(js.HELD), "HoldReason": quote(reason),
                 "HoldReasonCode": str(js.HOLD_USER_REQUEST), "HoldReasonSubCode": str(int(subcode)),
                 "ReleaseReason": None}
        return attrs, False, userlog.held(cid, pid, reason, js.HOLD_USER_REQUEST, int(subcode), when=now)
    if action == RELEASE:
        back = job.literal("JobStatusOnRelease")
        new = back if isinstance(back, int) and not isinstance(back, bool) else js.IDLE
        # ProviderRefusals go: a released job tries every provider again.
        attrs = {"JobStatus": str(new), "ReleaseReason": quote(reason), "JobStatusOnRelease": None,
                 "ProviderRefusals": None}
        for name in ("HoldReason", "HoldReasonCode", "HoldReasonSubCode"):
            t = job.text(name)
            if t is not None:
                attrs["Last" + name] = t
            attrs[name] = None
        return attrs, False, userlog.released(cid, pid, reason, when=now)
    raise ValueError(action)
