"""condor_q: show the job queue, as HTCondor's condor_q shows it.

Reads the spool directly (no schedd needed). Views: the default batch view,
-nobatch, -run, -hold, -totals, -long, -json, -xml, -af, -format.
"""

import sqlite3
import sys
import time

from pycondorlite import adformat, printmask, queueview, users
from pycondorlite import jobstatus as js
from pycondorlite.address import schedd_address, schedd_name
from pycondorlite.cmdline import MANY, Opt, Parser, Usage, job_id, text
from pycondorlite.config import param_bool
from pycondorlite.jobad import literal
from pycondorlite.spool import Spool, SpoolError

USAGE = """Usage: condor_q [general-opts] [restriction-list] [output-opts]

    [general-opts] are
\t-name <name>\t\t Name of Scheduler (only the local one is known)
\t-pool <host>\t\t Accepted and ignored

    [restriction-list] each restriction may be one of
\t<cluster>\t\t Get information about specific cluster
\t<cluster>.<proc>\t Get information about specific job
\t<owner>\t\t\t Information about jobs owned by <owner>
\t-constraint <expr>\t Get information about jobs that match <expr>
\t-allusers\t\t Consider jobs from all users

    [output-opts] are
\t-limit <num>\t\t Limit the number of results to <num>
\t-hold\t\t\t Get information about jobs on hold
\t-batch\t\t\t Display DAGs or batches of similar jobs as a single line
\t-nobatch\t\t Display one line per job, rather than one line per batch
\t-idle\t\t\t Get information about idle jobs
\t-grid\t\t\t Get information about grid jobs
\t-run\t\t\t Get information about running jobs
\t-totals\t\t\t Display only job totals
\t-version\t\t Print the version and exit
\t-wide\t\t\t Don't truncate data (never truncated here)
\t-autoformat[:jlhVr,tng] <attr> [<attr2> [...]]
\t-af[:jlhVr,tng] <attr> [attr2 [...]]
\t    Print attr(s) with automatic formatting
\t-format <fmt> <attr>\t Print attribute attr using format fmt
\t-long\t\t\t Display entire ClassAds
\t-xml\t\t\t Display entire ClassAds in XML form
\t-json\t\t\t Display entire ClassAds in JSON form
\t-attributes X,Y,...\t Attributes to show in -xml, -json, and -long

    Only information about jobs owned by the current user will be returned.
This default is overridden when the restriction list has usernames and/or
job ids, when the -allusers argument is specified, or
when the current user is a queue superuser

"""


class Options:
    def __init__(self):
        self.owners = []
        self.ids = []
        self.constraints = []        # user -constraint texts, AND-ed
        self.my_jobs = param_bool("CONDOR_Q_ONLY_MY_JOBS", True)
        self.view = None             # None (normal), 'run', 'hold', 'idle', 'totals'
        self.batch = None            # True/False when given
        self.long = None             # None, 'long', 'json', 'xml'
        self.custom = []             # -af / -format items, in order
        self.attributes = None
        self.limit = None
        self.partial = False
        self.analyze = False
        self.grid = False
        self.machine = None
        self.dag = False
        self.print_format = None     # a printformat.PrintFormat
        self.jobads = None           # read ads from this file instead of the spool


_AF_MISSING = "Error: -autoformat requires at least one attribute parameter"
OPTIONS = [
    Opt("wide", 1, colon=True),
    Opt("long", 1, colon=True),
    Opt("xml", 3), Opt("json", 2),
    Opt("limit", 3, args=1, missing="Error: -limit requires the max number of results as an argument."),
    Opt("pool", 1, args=1, missing="Error: -pool requires a hostname as an argument."),
    Opt("name", 1, args=1, missing="Error: -name requires the name of a schedd as an argument."),
    Opt("constraint", 1, args=1, missing="Error: -constraint requires another parameter"),
    Opt("attributes", 2, args=1, missing="Error: -attributes requires a list of attributes to show"),
    Opt("format", 1, args=2, missing="Error: -format requires format and attribute parameters"),
    Opt("autoformat", 5, args=MANY, colon=True, key="af", missing=_AF_MISSING),
    Opt("af", 2, args=MANY, colon=True, missing=_AF_MISSING),
    Opt("better-analyze", 2, colon=True, key="analyze"),
    Opt("better-analyse", 2, colon=True, key="analyze"),
    Opt("analyze", 2, colon=True), Opt("analyse", 2, colon=True, key="analyze"),
    Opt("machine", 2, args=1, missing="Error: {arg} requires another parameter"),
    Opt("global", 1),
    Opt("allusers", 2), Opt("all-users", 2, key="allusers"),
    Opt("help", 1),
    Opt("run", 1),
    Opt("hold", 2), Opt("held", 4, key="hold"),   # -he and -hel are -help
    Opt("idle", 3),
    Opt("grid", 2, colon=True),
    Opt("batch", 2, colon=True), Opt("progress", 3, colon=True, key="batch"),
    Opt("nobatch", 3),
    Opt("totals", 3),
    Opt("dag", 2),
    Opt("print-format", 2, args=1, missing="Error: -print-format requires a filename argument"),
    Opt("jobads", 2, args=1, missing="Error: -jobads requires a filename"),
    Opt("submitter", 2, args=1, missing="Error: -submitter requires another parameter"),
    Opt("stream-results", 2), Opt("expert", 1), Opt("currentrun", 3),
    Opt("version", 1),
]
PARSER = Parser("condor_q", OPTIONS, USAGE, unknown="Error: unrecognized argument {arg}",
                error_usage_stream="stdout")


def parse_args(argv):
    o = Options()
    for h in PARSER.parse(argv):
        k = h.key
        if k is None:
            a = h.arg
            jid = job_id(a)
            if jid is not None:
                o.ids.append(jid)
            else:
                if not a or a[0].isdigit() or a == "-" or any(ch in a for ch in ' \t"\\'):
                    raise Usage("Error: Argument %d (%s) must be a jobid or user" % (h.index + 1, a))
                o.owners.append(text(a))
                o.my_jobs = False
        elif k == "long":
            o.long = o.long or "long"
            for opt in (h.colon or "").split(","):
                if opt in ("json", "xml"):
                    o.long = opt
        elif k == "xml":
            if o.long == "json":
                raise Usage("Error: Cannot print as both XML and JSON")
            o.long = "xml"
        elif k == "json":
            if o.long == "xml":
                raise Usage("Error: Cannot print as both XML and JSON")
            o.long = "json"
        elif k == "limit":
            try:
                o.limit = int(h.value)
            except ValueError:
                raise Usage("Error: Unable to convert (%s) to a number for -limit." % h.value)
            if o.limit <= 0:
                raise Usage("Error: %d is not a valid for -limit." % o.limit)
        elif k == "constraint":
            try:
                adformat.check_expression(h.value)
            except ValueError:
                raise Usage("Error: Argument %d (%s) is not a valid constraint" % (h.index + 1, h.value))
            o.constraints.append(h.value)
            o.partial = True
        elif k == "attributes":
            o.attributes = [x for x in h.value.replace(",", " ").split() if x]
        elif k == "format":
            o.custom.append(("format", h.values[0], h.values[1]))
        elif k == "af":
            for e in h.values:
                try:
                    adformat.check_expression(e)
                except ValueError:
                    raise Usage("Error: invalid expression: %s" % e)
            o.custom.append(("af", h.colon, h.values))
        elif k == "analyze":
            o.analyze = True
        elif k == "machine":
            o.machine = h.value
        elif k == "allusers":
            o.my_jobs = False
        elif k in ("run", "hold", "idle"):
            if o.view in ("run", "hold", "idle") and o.view != k:
                raise Usage("-run and -hold/held or -idle are incompatible", usage=True)
            o.view = k
            o.partial = True
        elif k == "grid":
            o.view = "grid"
            o.grid = True
        elif k == "batch":
            o.batch = True
        elif k == "nobatch":
            o.batch = False
        elif k == "totals":
            o.view = "totals"
        elif k == "dag":
            o.dag = True
        elif k == "print-format":
            from pycondorlite import printformat
            try:
                o.print_format = printformat.read(h.value)
            except printformat.PrintFormatError as e:
                raise Usage("Error: %s" % e)
        elif k == "jobads":
            o.jobads = h.value
        elif k == "submitter":
            o.owners.append(text(h.value))
            o.my_jobs = False
    if o.ids:
        o.my_jobs = False
        if any(p >= 0 for _, p in o.ids):
            o.partial = True
    return o


def _sql_filter(o, me):
    """SQL over indexed columns for the owner / job id / status restrictions."""
    where, params = [], []
    owners = list(o.owners)
    if o.my_jobs:
        owners = [me]
    if owners:
        where.append("owner IN (%s)" % ",".join("?" * len(owners)))
        params += owners
    if o.ids:
        ors = []
        for c, p in o.ids:
            if p >= 0:
                ors.append("(cluster_id = ? AND proc_id = ?)")
                params += [c, p]
            else:
                ors.append("cluster_id = ?")
                params.append(c)
        where.append("(" + " OR ".join(ors) + ")")
    if o.grid:
        where.append("universe = 9")
    if o.view == "hold":
        where.append("job_status = 5")
    elif o.view == "run":
        where.append("job_status IN (2, 6, 7)")
    elif o.view == "idle":
        where.append("job_status = 1")
    return " AND ".join(where), params


def _counts(sp, where=None, params=()):
    c = queueview.Counts()
    sql = "SELECT job_status, universe, count(*) FROM jobs"
    if where:
        sql += " WHERE " + where
    for st, uni, k in sp.conn.execute(sql + " GROUP BY job_status, universe", params):
        c.add(st, uni, k)
    return c


def run(o, out):
    me = users.current_user()
    if o.my_jobs and users.is_super_user(me):
        o.my_jobs = False
    now = int(time.time())
    ev = adformat.Evaluator()
    if o.jobads is not None:
        return _run_jobads(o, out, me, now, ev)
    sp = Spool.open()
    where, params = _sql_filter(o, me)
    with sp.snapshot():
        # one job past the limit tells whether the limit cut a cluster short
        sql_limit = o.limit + 1 if o.limit is not None and not o.constraints else None
        jobs = sp.jobs(where or None, params, limit=sql_limit)
        if o.constraints:
            constraints = o.constraints + ([o.print_format.where] if o.print_format and
                                           o.print_format.where else [])
            jobs = [j for j in jobs if all(ev.matches(j, c) for c in constraints)]
        elif o.print_format and o.print_format.where:
            jobs = [j for j in jobs if ev.matches(j, o.print_format.where)]
        if o.limit is not None and len(jobs) > o.limit:
            jobs = jobs[:o.limit]
            o.partial = True
        need_totals = not o.custom and o.long is None
        query = None
        if need_totals:
            all_users = _counts(sp)
            if not o.constraints and o.limit is None and not (o.print_format and o.print_format.where):
                query = _counts(sp, where or None, params)
            mine = _counts(sp, "owner = ?", (me,)) if o.my_jobs else None
    if o.analyze:
        from pycondorlite import analyze
        out.append("\n\n-- Schedd: %s : %s\n"
                   % (schedd_name(), queueview.summarize_sinful(schedd_address(sp.path))))
        try:
            for j in jobs:
                out.append(analyze.better_analyze(sp, j, machine=o.machine, now=now))
        finally:
            sp.close()
        return 0
    sp.close()
    return _show(o, out, jobs, query, mine if need_totals else None,
                 all_users if need_totals else None, me, now, ev, sp.path)


def _run_jobads(o, out, me, now, ev):
    """-jobads FILE: the ads of a `condor_q -long` file instead of the spool."""
    from pycondorlite import collector
    try:
        with open(o.jobads, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        blocks = collector.read_ad_file(text, multiple=True)
    except OSError as e:
        raise Usage("Error: unable to read the file %s: %s" % (o.jobads, e.strerror))
    except collector.CollectorError as e:
        raise Usage("Error: invalid ad on line %d of %s" % (e.args[0], o.jobads))
    jobs = [_ad_job({name: text for _, name, text in b}) for b in blocks]
    jobs = [j for j in jobs if j is not None]
    owners = set(o.owners) | ({me} if o.my_jobs else set())
    kept = []
    for j in jobs:
        if owners and j.literal("Owner") not in owners:
            continue
        if o.ids and not any(c == j.cluster_id and p in (-1, j.proc_id) for c, p in o.ids):
            continue
        if not all(ev.matches(j, c) for c in o.constraints):
            continue
        if o.view == "hold" and j.status != js.HELD or o.view == "run" and \
                j.status not in (2, 6, 7) or o.view == "idle" and j.status != js.IDLE:
            continue
        kept.append(j)
    if o.limit is not None and len(kept) > o.limit:
        kept = kept[:o.limit]
        o.partial = True
    all_users = queueview.Counts()
    for j in jobs:
        all_users.add(j.status, j.literal("JobUniverse", js.UNIVERSE_VANILLA))
    return _show(o, out, kept, None, None, all_users, me, now, ev, None)


def _ad_job(ad):
    """A JobAd from {Name: text} (None when it has no ClusterId/ProcId)."""
    from pycondorlite.jobad import CIAd, JobAd
    ci = CIAd.from_dict(ad)
    ids = [literal(ci.text(n) or "x") for n in ("ClusterId", "ProcId", "JobStatus")]
    if not all(type(v) is int for v in ids[:2]):
        return None
    for n in ("clusterid", "procid", "jobstatus"):
        ci.pop(n, None)
    return JobAd(ids[0], ids[1], ids[2] if type(ids[2]) is int else 0, ci, CIAd())


def _show(o, out, jobs, query, mine, all_users, me, now, ev, spool_path):
    # machine-readable views: no title, no totals
    if o.custom:
        out.append(printmask.render(jobs, o.custom, ev))
        return 0
    if o.long is not None:
        proj = {a.lower() for a in o.attributes} if o.attributes else None

        def items(j):
            it = j.items() + [("ServerTime", str(now))]
            if proj is not None:
                it = [p for p in it if p[0].lower() in proj]
            return it
        out.append(adformat.whole_ads(o.long, [items(j) for j in jobs]))
        return 0
    if o.print_format is not None:
        pf = o.print_format
        if pf.title:
            out.append(queueview.title(schedd_name(), schedd_address(spool_path), now))
        out.append(pf.render(jobs, ev))
        if pf.summary == "none":
            return 0
        if query is None:
            query = queueview.Counts()
            for j in jobs:
                query.add(j.status, j.literal("JobUniverse", js.UNIVERSE_VANILLA))
        my_name = "%s@%s" % (me, users.uid_domain()) if o.my_jobs else None
        out.append("\n" + queueview.summary(query, mine, my_name, all_users))
        return 0

    if query is None:
        query = queueview.Counts()
        for j in jobs:
            query.add(j.status, j.literal("JobUniverse", js.UNIVERSE_VANILLA))
    my_name = "%s@%s" % (me, users.uid_domain()) if o.my_jobs else None
    out.append(queueview.title(schedd_name(), schedd_address(spool_path), now))
    footer = queueview.summary(query, mine, my_name, all_users)
    if o.view == "totals":
        out.append(footer)
        return 0
    batch = o.batch
    if batch is None:
        batch = o.view not in ("hold", "run", "idle", "grid")
    if o.view == "hold":
        out.append(queueview.hold_view(jobs))
    elif o.view == "run":
        out.append(queueview.run_view(jobs, now))
        return 0                      # SUMMARY NONE
    elif o.view == "grid":
        out.append(queueview.grid_view(jobs))
        return 0
    elif o.view == "idle" and not batch:
        out.append(queueview.idle_view(jobs, ev.value))
        return 0
    elif batch:
        out.append(queueview.batch_view(jobs, partial=o.partial))
    else:
        out.append(queueview.job_view(jobs, now, dag=o.dag))
    out.append("\n" + footer)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = []

    def body(_hits):
        return run(parse_args(argv), out)
    try:
        code = PARSER.run([], body)
    except (SpoolError, sqlite3.Error) as e:
        sys.stderr.write("\n-- Failed to fetch ads from: %s : %s\n%s\n"
                         % (schedd_address(), schedd_name(), e))
        return 1
    try:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return code


if __name__ == "__main__":
    sys.exit(main())
