"""condor_history: jobs that have left the queue, newest first."""

import sqlite3
import sys

from pycondorlite import adformat, queueview
from pycondorlite.cli.condor_q import render_custom
from pycondorlite.cli.jobtools import dash_prefix, dash_colon_prefix
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


class Fail(Exception):
    def __init__(self, msg, code=1, usage=False):
        super().__init__(msg)
        self.code, self.usage = code, usage


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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    long_fmt = None
    backwards = True
    limit = None
    custom = []
    constraints = []
    ors = []
    i = 0
    n = len(argv)
    try:
        while i < n:
            a = argv[i]
            if dash_prefix(a, "long", 1):
                long_fmt = long_fmt or "long"
            elif dash_prefix(a, "xml", 3):
                long_fmt = "xml"
            elif dash_prefix(a, "json", 2):
                long_fmt = "json"
            elif dash_prefix(a, "backwards", 1):
                backwards = True
            elif dash_prefix(a, "nobackwards", 3) or dash_prefix(a, "forwards", 4):
                backwards = False
            elif dash_colon_prefix(a, "wide", 1)[0]:
                pass
            elif dash_prefix(a, "match", 1) or dash_prefix(a, "limit", 3):
                i += 1
                if i >= n:
                    raise Fail("Error: Argument -match requires a number value  as a parameter.")
                try:
                    limit = int(argv[i])
                except ValueError:
                    limit = 0
            elif dash_prefix(a, "help", 1):
                raise Fail(None, code=0, usage=True)
            elif dash_prefix(a, "format", 1):
                if i + 2 >= n:
                    raise Fail("Error: Argument -format requires a spec and classad attribute name "
                               "as parameters.\n\t\te.g. condor_history -format '%d' ClusterId")
                custom.append(("format", argv[i + 1], argv[i + 2]))
                i += 2
            elif a.startswith("-") and (dash_colon_prefix(a, "af", 2)[0]
                                        or dash_colon_prefix(a, "autoformat", 5)[0]):
                if i + 1 >= n or argv[i + 1].startswith("-"):
                    raise Fail("Error: Argument %s requires at last one attribute parameter\n"
                               "\t\te.g. condor_history %s ClusterId" % (a, a))
                exprs = []
                while i + 1 < n and not argv[i + 1].startswith("-"):
                    i += 1
                    exprs.append(argv[i])
                custom.append(("af", a.partition(":")[2], exprs))
            elif dash_prefix(a, "constraint", 1):
                if i + 1 >= n:
                    raise Fail("Error: Argument %s requires another parameter" % a)
                i += 1
                constraints.append(argv[i])
            elif dash_prefix(a, "name", 1) or dash_prefix(a, "pool", 1) or dash_prefix(a, "file", 2):
                i += 1
                if i >= n:
                    raise Fail("Error: Argument %s requires another parameter" % a, usage=True)
            elif a.startswith("-"):
                raise Fail(None, usage=True)
            else:
                cid, dot, pid = a.partition(".")
                if cid.isdigit() and dot and pid.isdigit():
                    ors.append(("cluster_id = ? AND proc_id = ?", (int(cid), int(pid)),
                                "ClusterId == %s && ProcId == %s" % (cid, pid)))
                elif cid.isdigit() and not dot:
                    ors.append(("cluster_id = ?", (int(cid),), "ClusterId == %s" % cid))
                else:
                    ors.append(("owner = ?", (a,), 'Owner == "%s"' % a))
            i += 1
        for c in constraints:
            try:
                adformat.check_expression(c)
            except ValueError:
                raise Fail("Error:  could not parse constraint %s" % c)
        return _show(long_fmt, backwards, limit, custom, constraints, ors)
    except Fail as e:
        if e.args and e.args[0]:
            sys.stderr.write(str(e) + "\n")
        if e.usage:
            sys.stdout.write(USAGE)
        return e.code
    except (SpoolError, sqlite3.Error) as e:
        sys.stderr.write("condor_history: %s\n" % e)
        return 1


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
        out.append(render_custom(jobs, custom, ev))
    elif long_fmt == "json":
        if jobs:
            out.append("[\n" + ",\n".join(adformat.json_ad(j.items()) for j in jobs) + "\n]\n")
    elif long_fmt == "xml":
        out.append(adformat.XML_HEADER)
        out.extend(adformat.xml_ad(j.items()) for j in jobs)
        out.append(adformat.XML_FOOTER)
    elif long_fmt == "long":
        out.extend(adformat.long_ad(j.items()) for j in jobs)
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
