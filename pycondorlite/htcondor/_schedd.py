"""htcondor2.Schedd over the spool: the same library calls the commands make.

submit() is condor_submit's own path (pycondorlite.submit.clusters: the ads
built and stored in the spool as condor_submit does); act() is jobactions.act
(condor_rm/hold/release); edit() is qedit.edit (condor_qedit); query() and
history() read the spool as condor_q and condor_history do, and return
pycondorlite.classad ClassAds.
"""

import re
import time

from pycondorlite import adformat, jobactions, qedit, users
from pycondorlite import classad
from pycondorlite.collector import classad_from_texts
from pycondorlite.htcondor._enums import DaemonType, JobAction, QueryOpt, TransactionFlag
from pycondorlite.htcondor._errors import HTCondorException
from pycondorlite.htcondor._submit import SUBMIT_ERRORS, DefaultItemData, Submit, submit_error
from pycondorlite.jobad import CIAd, JobAd, literal
from pycondorlite.spool import Spool, SpoolError
from pycondorlite.submit import clusters as submit_clusters

_ACTIONS = {JobAction.Hold: jobactions.HOLD, JobAction.Release: jobactions.RELEASE,
            JobAction.Remove: jobactions.REMOVE, JobAction.RemoveX: jobactions.REMOVE_X}
_RESULT_NAMES = (("TotalError", jobactions.ERROR), ("TotalSuccess", jobactions.SUCCESS),
                 ("TotalNotFound", jobactions.NOT_FOUND),
                 ("TotalBadStatus", jobactions.BAD_STATUS),
                 ("TotalAlreadyDone", jobactions.ALREADY_DONE),
                 ("TotalPermissionDenied", jobactions.PERMISSION_DENIED))


def _open():
    try:
        return Spool.open()
    except SpoolError as e:
        raise HTCondorException(str(e)) from None


def job_spec(spec):
    """htcondor2's job_spec: ([(cid, pid)], constraint text or None)."""
    if isinstance(spec, bool):
        raise TypeError("The job_spec must be list of strings, a string, an int, or an ExprTree.")
    if isinstance(spec, list):
        if not all(isinstance(i, str) for i in spec):
            raise TypeError("All elements of the job_spec list must be strings.")
        if all(re.fullmatch(r"\d+\.\d+", i) for i in spec):
            return [_ids(i) for i in spec], None
        parts = []
        for i in spec:
            if re.fullmatch(r"\d+", i):
                parts.append(f"(ClusterID == {int(i)})")
            elif re.fullmatch(r"\d+\.\d+", i):
                c, p = _ids(i)
                parts.append(f"(ClusterID == {c} && ProcID == {p})")
            else:
                raise ValueError("All elements of the job_spec list must be strings of the form "
                                 "clusterID[.procID]")
        return [], " || ".join(parts) or "false"
    if isinstance(spec, int):
        return [], f"ClusterID == {spec}"
    if isinstance(spec, classad.ExprTree):
        return [], str(spec)
    if isinstance(spec, str):
        if re.fullmatch(r"\d+\.\d+", spec):
            return [_ids(spec)], None
        if re.fullmatch(r"\d+", spec):
            return [], f"ClusterID == {int(spec)}"
        try:
            classad.ExprTree(spec)
        except classad.ClassAdException:
            raise ValueError("The job_spec string must be a clusterID[.procID] or the string "
                             "form of an ExprTree.") from None
        return [], spec
    raise TypeError("The job_spec must be list of strings, a string, an int, or an ExprTree.")


def _ids(text):
    c, p = (int(x) for x in text.split("."))
    if c >= 2**31 or p >= 2**31:
        raise ValueError("job id out of range: " + text)
    return c, p


def _check_constraint(text):
    try:
        adformat.check_expression(text)
    except ValueError:
        raise HTCondorException(f"Invalid constraint: {text}") from None


def _classad(items, projection):
    if projection:
        want = {p.lower() for p in projection}
        items = [(k, v) for k, v in items if k.lower() in want]
    return classad_from_texts(items)


class SubmitResult:
    """What a successful submit() made."""

    def __init__(self, clusterID, procID, num_procs, clusterAd, spooled_proc_ads=None):
        self._cluster, self._first_proc = clusterID, procID
        self._num_procs, self._clusterad = num_procs, clusterAd
        self._spooledProcAds = spooled_proc_ads

    def cluster(self):
        return self._cluster

    def clusterad(self):
        return self._clusterad

    def first_proc(self):
        return self._first_proc

    def num_procs(self):
        return self._num_procs

    def __int__(self):
        return self._cluster

    def __str__(self):
        return (f"Submitted {self._num_procs} jobs into cluster {self._cluster},"
                f"{self._first_proc} :\n{self._clusterad}")

    def __repr__(self):
        return (f"SubmitResult(cluster={self._cluster}, first_proc={self._first_proc}, "
                f"num_procs={self._num_procs}, clusterad={self._clusterad})")


class Schedd:
    """The local schedd (htcondor2.Schedd): its queue is the spool."""

    def __init__(self, location=None):
        if location is None:
            from pycondorlite.htcondor._collector import Collector
            location = Collector().locate(DaemonType.Schedd)
        if not isinstance(location, classad.ClassAd):
            raise TypeError("location must be a ClassAd")
        self._addr = location["MyAddress"]
        self._version = location.get("CondorVersion")

    # -- reading
    def query(self, constraint="True", projection=[], callback=None, limit=-1,
              opts=QueryOpt.Default):
        text = str(constraint)
        _check_constraint(text)
        limit = int(limit)
        where, params = None, ()
        if QueryOpt(opts) & QueryOpt.DefaultMyJobsOnly:
            where, params = "owner = ?", (users.current_user(),)
        ev = adformat.Evaluator()
        now = str(int(time.time()))
        out = []
        with _open() as sp:
            with sp.snapshot():
                jobs = sp.jobs(where, params)
        always = text.strip().lower() == "true"
        for j in jobs:
            if not always and not ev.matches(j, text):
                continue
            ad = _classad(j.items() + [("ServerTime", now)], projection)
            if callback is not None:
                ad = callback(ad)
                if ad is None:
                    continue
            out.append(ad)
            if 0 <= limit <= len(out):
                break
        return out

    def history(self, constraint=None, projection=[], match=-1, since=None):
        text = None if constraint is None else str(constraint)
        if text is not None and text.strip():
            _check_constraint(text)
        stop = self._since(since)
        ev = adformat.Evaluator()
        out = []
        match = int(match)
        with _open() as sp:
            rows = list(sp.history())
        for cid, pid, ad in rows:
            st = literal(ad.get("JobStatus", "0"))
            job = JobAd(cid, pid, st if type(st) is int else 0, CIAd.from_dict(ad), CIAd())
            if stop is not None and stop(job, ev):
                break
            if text and text.strip() and not ev.matches(job, text):
                continue
            out.append(_classad(job.items(), projection))
            if 0 <= match <= len(out):
                break
        return out

    @staticmethod
    def _since(since):
        if since is None:
            return None
        if isinstance(since, int):
            return lambda j, ev: j.cluster_id == since
        if isinstance(since, str):
            m = re.fullmatch(r"(\d+)\.(\d+)", since)
            if m:
                c, p = int(m.group(1)), int(m.group(2))
                return lambda j, ev: j.id == (c, p)
            _check_constraint(since)
            return lambda j, ev: ev.matches(j, since)
        if isinstance(since, classad.ExprTree):
            text = str(since)
            return lambda j, ev: ev.matches(j, text)
        raise TypeError("since must be an int, string, or ExprTree")

    def jobEpochHistory(self, constraint=None, projection=[], match=-1, since=None, **kwargs):
        """No job here ever starts on an execute slot, so there are no epochs."""
        return []

    # -- changing
    def act(self, action, job_spec_, reason=None):
        if not isinstance(action, JobAction):
            raise TypeError("action must be a JobAction")
        ids, constraint = job_spec(job_spec_)
        subcode = 0
        if reason is None:
            reason = "Python-initiated action"
        elif isinstance(reason, tuple):
            reason, code = reason
            subcode = int(code) if code is not None else 0
        if constraint is not None:
            _check_constraint(constraint)
        with _open() as sp:
            mode = _ACTIONS.get(action)
            if mode is None:
                out = self._cannot(sp, ids, constraint)
            else:
                out = jobactions.act(sp, mode, ids=ids,
                                     where="1" if constraint is not None else None,
                                     constraint=constraint, reason=str(reason), subcode=subcode)
        ad = classad.ClassAd()
        for name, code in _RESULT_NAMES:
            ad[name] = out.count(code)
        ad["TotalJobAds"] = out.total_jobs
        ad["TotalChangedAds"] = 1 if out.any_success else 0
        return ad

    @staticmethod
    def _cannot(sp, ids, constraint):
        """Vacate, Suspend, Continue: no job here runs on an execute slot, so
        every job named is in the wrong state for them."""
        out = jobactions.Outcome()
        with sp.snapshot():
            out.total_jobs = sp.conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
            for cid, pid in ids:
                out.results[(cid, pid)] = (jobactions.BAD_STATUS if sp.job(cid, pid) is not None
                                           else jobactions.NOT_FOUND)
        return out

    def edit(self, job_spec_, attr, value, flags=TransactionFlag.Default):
        if not isinstance(flags, TransactionFlag):
            raise TypeError("flags must be a TransactionFlag")
        if not isinstance(attr, str):
            raise TypeError("attr must be a string")
        text = repr(value) if isinstance(value, classad.ExprTree) else str(value)
        ids, constraint = job_spec(job_spec_)
        if constraint is not None:
            _check_constraint(constraint)
        with _open() as sp:
            try:
                changed, refused = qedit.edit(sp, [(attr, text)], ids=ids, constraint=constraint)
            except qedit.EditError as e:
                raise HTCondorException(e.msg) from None
        if ids and refused:
            raise HTCondorException("Unable to edit job %d.%d" % refused[0])
        return changed

    def submit(self, description, count=0, spool=False, itemdata=DefaultItemData, queue=None):
        if not isinstance(description, Submit):
            raise TypeError("description must be an htcondor2.Submit object")
        if itemdata is not DefaultItemData and itemdata is not None:
            itemdata = list(itemdata)
        if itemdata is None:            # htcondor2: a plain `queue` whatever the description says
            desc, spec = description.prepare(0, DefaultItemData, "")
            if count:
                spec.count = int(count)
        else:
            desc, spec = description.prepare(count, itemdata, queue)
        n = spec.procs()
        if n == 0:
            raise HTCondorException("Submit description queues no jobs")
        if submit_clusters.over_limit(n):
            raise HTCondorException("Number of submitted jobs would exceed "
                                    "MAX_JOBS_PER_SUBMISSION")

        def edit(cluster, procs):
            cluster = description.stamp(cluster)
            if spool:
                cluster = dict(cluster, JobStatus="5", HoldReason='"Spooling input data files"',
                               HoldReasonCode="16", HoldReasonSubCode="0")
                procs = [{k: v for k, v in p.items() if k != "JobStatus"} for p in procs]
            return cluster, procs

        # condor_submit's own path from here: one cluster (a Submit has one queue
        # statement), built and stored as condor_submit stores it.
        with _open() as sp:
            try:
                (cid, cluster, procs), = submit_clusters.queue(sp, desc, [desc.blocks], edit)
            except SUBMIT_ERRORS as e:
                raise submit_error(e) from None
            except SpoolError as e:
                raise HTCondorException(str(e)) from None
            stored = sp.cluster_ad(cid)
        ad = classad_from_texts([pair for pair in stored.values()] if stored else cluster.items())
        first = int(procs[0]["ProcId"])
        return SubmitResult(cid, first, len(procs), ad,
                            [(cid, int(p["ProcId"])) for p in procs] if spool else None)

    def spool(self, result):
        """Input files are where they are already: release the jobs a
        spool=True submit left on hold."""
        if result._spooledProcAds is None:
            raise ValueError("result must have come from submit() with spool set")
        with _open() as sp:
            jobactions.act(sp, jobactions.RELEASE, ids=result._spooledProcAds,
                           reason="Input files spooled")

    def retrieve(self, job_spec_):
        """Output files stay where the jobs wrote them: nothing to fetch."""
        job_spec(job_spec_)

    def reschedule(self):
        """Wake the schedd to negotiate now."""
        with _open() as sp:
            sp.nudge_schedd()
