"""condor_history: jobs that have left the queue, newest first."""

import sqlite3
import sys

from pycondorlite import adformat, printmask, queueview
from pycondorlite.cmdline import MANY, Opt, Parser, Usage, job_id, text
from pycondorlite.jobad import CIAd, JobAd, literal
from pycondorlite.spool import Spool, SpoolError

USAGE = """Usage: condor_history [source] [restriction-list] [options]

   and [restriction-list] is one or more of
\t<cluster>\t\tGet information about specific cluster
\t<cluster>.<proc>\tGet information about specific job
\t<owner>\t\t\tInformation about jobs owned by <owner>
\t-constraint <expr>\tInformation about jobs matching <expr>

   and [options] are one or more of
\t-help\t\t\tDisplay this screen
\t-backwards\t\tList jobs in reverse chronological order
\t-forwards\t\tList jobs in chronological order
\t-limit <number>\t\tLimit the number of jobs displayed
\t-match <number>\t\tOld name for -limit
\t-long\t\t\tDisplay entire classads
\t-json\t\t\tDisplay entire classads as JSON
\t-xml\t\t\tDisplay entire classads as XML
\t-format <fmt> <attr>\tDisplay attr using printf formatting
\t-autoformat[:lhVr,tng] <attr> [<attr2 ...]   Display attr(s) with automatic formatting
\t-af[:lhVr,tng] <attr> [<attr2 ...]\t    Same as -autoformat above
"""


def _job(cid, pid, ad):
    st = literal(ad.get("JobStatus", "0"))
    status = st if type(st) is int else 0
    return JobAd(cid, pid, status, CIAd.from_dict(ad), CIAd())


def history_view(jobs):
    cols = [queueview.Col(" ID", 5), queueview.Col(" ", 3, left=True, noprefix=True),
            queueview.Col("OWNER", 14, left=True), queueview.Col("  SUBMITTED", 11),
            queueview.Col("    RUN_TIME", 12), queueview.Col("ST", 0),
            queueview.Col("  COMPLETED", 11), queueview.Col("CMD", 0)]
    out = [queueview.header_line(cols)]
    for j in jobs:
        q = queueview._int(j, "QDate")
        wall = queueview._num(j, "RemoteWallClockTime", 0)
        done = queueview._int(j, "CompletionDate", 0) or queueview._int(j, "EnteredCurrentStatus", 0)
        cells = ["%4d." % j.cluster_id, "%-3d" % j.proc_id,
                 queueview.owner_of(j) or "",
                 queueview.qdate(q) if q is not None else "",
                 queueview.format_time(wall),
                 queueview.status_cell(j),
                 queueview.qdate(done) if done else "???",
                 queueview.description(j) or ""]
        out.append(queueview.row_line(cols, cells))
    return "".join(out)


_AF_MISSING = ("Error: Argument {arg} requires at last one attribute parameter\n"
               "\t\te.g. condor_history {arg} ClusterId")
OPTIONS = [
    Opt("long", 1, colon=True), Opt("xml", 3), Opt("json", 2),
    Opt("backwards", 1), Opt("nobackwards", 3, key="forwards"), Opt("forwards", 4),
    Opt("wide", 1, colon=True),
    Opt("match", 1, args=1, key="limit",
        missing="Error: Argument -match requires a number value  as a parameter."),
    Opt("limit", 3, args=1,
        missing="Error: Argument -match requires a number value  as a parameter."),
    Opt("help", 1),
    Opt("format", 1, args=2,
        missing="Error: Argument -format requires a spec and classad attribute name "
                "as parameters.\n\t\te.g. condor_history -format '%d' ClusterId"),
    Opt("af", 2, args=MANY, colon=True, missing=_AF_MISSING),
    Opt("autoformat", 5, args=MANY, colon=True, key="af", missing=_AF_MISSING),
    Opt("constraint", 1, args=1, missing="Error: Argument {arg} requires another parameter"),
    Opt("name", 1, args=1, missing="Error: Argument {arg} requires another parameter",
        usage_on_missing=True),
    Opt("pool", 1, args=1, missing="Error: Argument {arg} requires another parameter",
        usage_on_missing=True),
    Opt("file", 2, args=1, missing="Error: Argument {arg} requires another parameter",
        usage_on_missing=True),
    Opt("version", 1),
]
PARSER = Parser("condor_history", OPTIONS, USAGE, unknown="Error: unknown argument {arg}",
                error_usage_stream="stdout")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        return PARSER.run(argv, _body)
    except (SpoolError, sqlite3.Error) as e:
        sys.stderr.write("condor_history: %s\n" % e)
        return 1


def _body(hits):
    long_fmt = None
    backwards = True
    limit = None
    custom = []
    constraints = []
    ors = []
    for h in hits:
        k = h.key
        if k == "long":
            long_fmt = long_fmt or "long"
            for opt in (h.colon or "").split(","):
                if opt in ("json", "xml"):
                    long_fmt = opt
        elif k in ("xml", "json"):
            long_fmt = k
        elif k == "backwards":
            backwards = True
        elif k == "forwards":
            backwards = False
        elif k == "limit":
            try:
                limit = int(h.value)
            except ValueError:
                limit = 0
        elif k == "format":
            custom.append(("format", h.values[0], h.values[1]))
        elif k == "af":
            custom.append(("af", h.colon, h.values))
        elif k == "constraint":
            constraints.append(h.value)
        elif k is None:
            a = h.arg
            jid = job_id(a)
            if jid is not None and jid[1] >= 0:
                ors.append(("cluster_id = ? AND proc_id = ?", jid))
            elif jid is not None:
                ors.append(("cluster_id = ?", (jid[0],)))
            elif a[:1].isdigit():
                raise Usage("Error: Argument %s is not a valid job id" % a)
            else:
                ors.append(("owner = ?", (text(a),)))
    for c in constraints:
        try:
            adformat.check_expression(c)
        except ValueError:
            raise Usage("Error:  could not parse constraint %s" % c)
    return _show(long_fmt, backwards, limit, custom, constraints, ors)


def _show(long_fmt, backwards, limit, custom, constraints, ors):
    sp = Spool.open()
    where, params = None, []
    if ors:
        where = " OR ".join("(%s)" % o[0] for o in ors)
        for o in ors:
            params += list(o[1])
    rows = list(sp.history(where, params, limit=None if constraints or not backwards else limit))
    sp.close()
    if not backwards:
        rows.reverse()
    ev = adformat.Evaluator()
    jobs = []
    for cid, pid, ad in rows:
        j = _job(cid, pid, ad)
        if constraints and not all(ev.matches(j, c) for c in constraints):
            continue
        jobs.append(j)
        if limit is not None and limit > 0 and len(jobs) >= limit:
            break
    out = []
    if custom:
        out.append(printmask.render(jobs, custom, ev))
    elif long_fmt is not None:
        out.append(adformat.whole_ads(long_fmt, [j.items() for j in jobs]))
    else:
        out.append(history_view(jobs))
    try:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
