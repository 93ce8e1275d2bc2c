"""`condor_q -better-analyze` for grid jobs: why is my job idle?

better_analyze(spool, job) explains a job against the live provider ads in
HTCondor's wording and layout (condor_q.V6/jobmatch.cpp, analysis.cpp): the
Requirements expression, the job attributes it uses, the table of its
top-level conditions with how many provider ads satisfy each, the last
match / last failure, and the run analysis summary. Then, since grid pools
are small, one line per provider ad saying whether it matches and, if not,
the first failing clause of the job's Requirements or of the ad's own, or
that it refused to launch the job lately, or is full (MaxInstances).
"""

import time

from pycondorlite import refusals
from pycondorlite.collector import Collector, classad_from_texts, _true
from pycondorlite.config import param_float
from pycondorlite.negotiator import conjuncts, idents

STATUS_WORDS = {2: "running", 3: "removed", 4: "completed", 5: "held", 6: "transferring output",
                7: "suspended"}


def _job_items(job):
    if hasattr(job, "items") and hasattr(job, "cluster_id"):
        return list(job.items(private=True))
    return list(job.items())


def _lit_int(text):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _lit_str(text):
    if text is None:
        return None
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == '"':
        return t[1:-1].replace('\\"', '"')
    return None


def _ctime(t):
    return time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(t))


def _clause_text(c):
    return c.strip()


def _first_failing(clauses, scope, target):
    from pycondorlite import classad
    for c in clauses:
        try:
            v = classad.ExprTree(c).eval(scope, target)
        except Exception:
            v = None
        if not _true(v):
            return c
    return None


def better_analyze(spool, job, machine=None, now=None):
    """The -better-analyze text for one job (a spool JobAd or {Name: text})."""
    from pycondorlite import classad
    items = _job_items(job)
    low = {n.lower(): t for n, t in items}
    cid = _lit_int(low.get("clusterid")) or 0
    pid = _lit_int(low.get("procid")) or 0
    jid = f"{cid}.{pid:03d}"
    sid = f"{cid:03d}.{pid:03d}"
    status = _lit_int(low.get("jobstatus")) or 1
    out = []
    w = out.append

    req = low.get("requirements") or "true"
    w(f"The Requirements expression for job {jid} is\n\n    {req}\n\n")

    # The job's own attributes its Requirements use (MY or unscoped references).
    used = sorted({n for n in idents(req) if n in low and n not in ("requirements",)},
                  key=str.lower)
    names = {n.lower(): n for n, _ in items}
    if used:
        w(f"Job {jid} defines the following attributes:\n\n")
        for n in used:
            w(f"    {names[n]} = {low[n]}\n")
        w("\n")

    ads = Collector(spool).ads(now)
    if machine:
        ads = [a for a in ads if a.name == machine or _lit_str(a.text("Machine")) == machine]
    jad = classad_from_texts(items)
    prov = [a.classad() for a in ads]

    clauses = [_clause_text(c) for c in conjuncts(req)]
    w(f"The Requirements expression for job {jid} reduces to these conditions:\n\n")
    w("         Slots\nStep    Matched  Condition\n-----  --------  ---------\n")
    trees = []
    for c in clauses:
        try:
            trees.append(classad.ExprTree(c))
        except Exception:
            trees.append(None)
    for i, (c, t) in enumerate(zip(clauses, trees)):
        n = 0
        if t is not None:
            for p in prov:
                try:
                    if _true(t.eval(jad, p)):
                        n += 1
                except Exception:
                    pass
        w(f"[{i}]".ljust(5) + f"{n:>10}  {c}\n")
    w("\n")

    if status == 5:
        reason = _lit_str(low.get("holdreason")) or ""
        w(f"{sid}:  Job is held.\n\nHold reason: {reason}\n\n")
    elif status in STATUS_WORDS:
        w(f"{sid}:  Job is {STATUS_WORDS[status]}.\n\n")
    last_match = _lit_int(low.get("lastmatchtime"))
    if last_match:
        w(f"Last successful match: {_ctime(last_match)}\n\n")
    else:
        w("No successful match recorded.\n")
        rej_time = _lit_int(low.get("lastrejmatchtime"))
        if rej_time:
            w(f"Last failed match: {_ctime(rej_time)}\n\n")
            reason = _lit_str(low.get("lastrejmatchreason"))
            if reason:
                w(f"Reason for last match failure: {reason}\n\n")
        else:
            w("\n")

    window = param_float("PROVIDER_REFUSAL_WINDOW", refusals.DEFAULT_WINDOW)
    refused = {r.provider: r for r in refusals.recent(
        refusals.parse(low.get(refusals.ATTR.lower())), now or time.time(), window)}
    live = spool.instances_by_provider()
    rejected_by_job = rejected_by_ad = willing = n_refused = n_full = 0
    detail = []
    jreq = jad.lookup("Requirements") if "requirements" in low else None
    for ad, p in zip(ads, prov):
        ok_job = True if jreq is None else _true(_safe_eval(jreq, jad, p))
        if not ok_job:
            rejected_by_job += 1
            c = _first_failing(clauses, jad, p)
            detail.append(f"    {ad.name}: rejected by your job's requirements: {c or req}\n")
            continue
        areq_text = ad.text("Requirements")
        areq = p.lookup("Requirements") if areq_text is not None else None
        ok_ad = areq is not None and _true(_safe_eval(areq, p, jad))
        if not ok_ad:
            rejected_by_ad += 1
            c = _first_failing(conjuncts(areq_text or "undefined"), p, jad)
            detail.append(f"    {ad.name}: rejects your job because of its own requirements: "
                          f"{c or areq_text}\n")
            continue
        willing += 1
        limit = _lit_int(ad.text("MaxInstances"))
        if ad.name in refused:
            n_refused += 1
            r = refused[ad.name]
            detail.append(f"    {ad.name} refused the job at {_ctime(r.time)}: {r.reason}\n")
        elif limit is not None and live.get(ad.name, 0) >= limit:
            n_full += 1
            detail.append(f"    {ad.name}: matches, but is full ({live.get(ad.name, 0)} of "
                          f"MaxInstances {limit} instances)\n")
        else:
            detail.append(f"    {ad.name}: matches\n")
    machines = {(_lit_str(a.text("Machine")) or a.name) for a in ads}
    w(f"{sid}:  Run analysis summary ignoring user priority.  "
      f"Of {len(ads)} slots on {len(machines)} machines,\n")
    w(f"  {rejected_by_job:5d} slots are rejected by your job's requirements\n")
    w(f"  {rejected_by_ad:5d} slots reject your job because of their own requirements\n")
    w(f"  {willing:5d} slots match and are willing to run your job\n")
    if n_refused:
        w(f"  {n_refused:5d} of them refused to launch your job within the last "
          f"{window:g} seconds\n")
    if n_full:
        w(f"  {n_full:5d} of them are full (MaxInstances)\n")
    if willing == 0:
        w("\nWARNING:  Be advised:\n   No machines matched the jobs's constraints\n")
    if detail:
        w(f"\nProvider ads considered for job {jid}:\n\n")
        out.extend(detail)
    return "".join(out)


def _safe_eval(tree, scope, target):
    try:
        return tree.eval(scope, target)
    except Exception:
        return None
