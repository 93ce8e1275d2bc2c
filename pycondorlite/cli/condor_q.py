"""condor_q: show the job queue, as HTCondor's condor_q shows it.

Reads the spool directly (no schedd needed). Views: the default batch view,
-nobatch, -run, -hold, -totals, -long, -json, -xml, -af, -format.
"""

import sqlite3
import sys
import time

from pycondorlite import adformat, queueview, users
from pycondorlite import jobstatus as js
from pycondorlite.cli.jobtools import (dash_prefix, dash_colon_prefix, parse_job_id, param_bool,
                                       schedd_name, schedd_address)
from pycondorlite.jobad import literal, NOT_LITERAL
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


class UsageError(Exception):
    def __init__(self, msg, code=1, usage=False):
        super().__init__(msg)
        self.code, self.usage = code, usage


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


def parse_args(argv):
    o = Options()
    i = 0
    n = len(argv)
    while i < n:
        a = argv[i]
        if not a.startswith("-"):
            jid = parse_job_id(a)
            if jid is not None:
                o.ids.append(jid)
            else:
                if not a or any(ch in a for ch in ' \t"\\'):
                    raise UsageError("Error: Argument %d (%s) must be a jobid or user" % (i + 1, a))
                o.owners.append(a)
                o.my_jobs = False
            i += 1
            continue
        ok, colon = dash_colon_prefix(a, "wide", 1)
        if ok:
            i += 1
            continue
        ok, colon = dash_colon_prefix(a, "long", 1)
        if ok:
            o.long = o.long or "long"
            if colon:
                for opt in colon.split(","):
                    if opt in ("json", "xml"):
                        o.long = opt
            i += 1
            continue
        if dash_prefix(a, "xml", 3):
            if o.long == "json":
                raise UsageError("Error: Cannot print as both XML and JSON")
            o.long = "xml"
        elif dash_prefix(a, "json", 2):
            if o.long == "xml":
                raise UsageError("Error: Cannot print as both XML and JSON")
            o.long = "json"
        elif dash_prefix(a, "limit", 3):
            i += 1
            if i >= n:
                raise UsageError("Error: -limit requires the max number of results as an argument.")
            try:
                o.limit = int(argv[i])
            except ValueError:
                raise UsageError("Error: Unable to convert (%s) to a number for -limit." % argv[i])
            if o.limit <= 0:
                raise UsageError("Error: %d is not a valid for -limit." % o.limit)
        elif dash_prefix(a, "pool", 1):
            i += 1
            if i >= n:
                raise UsageError("Error: -pool requires a hostname as an argument.")
        elif dash_prefix(a, "name", 1):
            if i + 1 >= n:
                raise UsageError("Error: -name requires the name of a schedd as an argument.")
            i += 1
        elif dash_prefix(a, "constraint", 1):
            if i + 1 >= n:
                raise UsageError("Error: -constraint requires another parameter")
            i += 1
            expr = argv[i]
            try:
                adformat.check_expression(expr)
            except ValueError:
                raise UsageError("Error: Argument %d (%s) is not a valid constraint" % (i + 1, expr))
            o.constraints.append(expr)
            o.partial = True
        elif dash_prefix(a, "attributes", 2):
            if i + 1 >= n:
                raise UsageError("Error: -attributes requires a list of attributes to show")
            i += 1
            o.attributes = [x for x in argv[i].replace(",", " ").split() if x]
        elif dash_prefix(a, "format", 1):
            if i + 2 >= n:
                raise UsageError("Error: -format requires format and attribute parameters")
            o.custom.append(("format", argv[i + 1], argv[i + 2]))
            i += 2
        elif dash_colon_prefix(a, "autoformat", 5)[0] or dash_colon_prefix(a, "af", 2)[0]:
            colon = a.partition(":")[2]
            if i + 1 >= n or argv[i + 1].startswith("-"):
                raise UsageError("Error: -autoformat requires at least one attribute parameter")
            exprs = []
            while i + 1 < n and not argv[i + 1].startswith("-"):
                i += 1
                exprs.append(argv[i])
            if i + 1 < n and argv[i + 1] == "-":
                i += 1
            for e in exprs:
                try:
                    adformat.check_expression(e)
                except ValueError:
                    raise UsageError("Error: invalid expression: %s" % e)
            o.custom.append(("af", colon, exprs))
        elif any(dash_colon_prefix(a, w, 2)[0] for w in ("better-analyze", "better-analyse",
                                                          "analyze", "analyse")):
            o.analyze = True
        elif dash_prefix(a, "machine", 2):
            if i + 1 >= n:
                raise UsageError("Error: %s requires another parameter" % a)
            i += 1
            o.machine = argv[i]
        elif dash_prefix(a, "global", 1):
            pass
        elif dash_prefix(a, "allusers", 2) or dash_prefix(a, "all-users", 2):
            o.my_jobs = False
        elif dash_prefix(a, "help", 1):
            raise UsageError(None, code=0, usage=True)
        elif dash_prefix(a, "run", 1):
            if o.view in ("hold", "idle"):
                raise UsageError("-run and -hold/held or -idle are incompatible", usage=True)
            o.view = "run"
            o.partial = True
        elif dash_prefix(a, "hold", 2) or dash_prefix(a, "held", 2):
            if o.view in ("run", "idle"):
                raise UsageError("-run and -hold/held or -idle are incompatible", usage=True)
            o.view = "hold"
            o.partial = True
        elif dash_prefix(a, "idle", 3):
            if o.view in ("run", "hold"):
                raise UsageError("-run and -hold/held or -idle are incompatible", usage=True)
            o.view = "idle"
            o.partial = True
        elif dash_colon_prefix(a, "grid", 2)[0]:
            o.view = "grid"
            o.grid = True
        elif dash_colon_prefix(a, "batch", 2)[0] or dash_colon_prefix(a, "progress", 3)[0]:
            o.batch = True
        elif dash_prefix(a, "nobatch", 3):
            o.batch = False
        elif dash_prefix(a, "totals", 3):
            o.view = "totals"
        elif dash_prefix(a, "expert", 1) or dash_prefix(a, "currentrun", 3):
            pass
        elif dash_prefix(a, "version", 1):
            raise UsageError("version", code=0)
        else:
            raise UsageError("Error: unrecognized argument %s" % a, usage=True)
        i += 1
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
    sp = Spool.open()
    now = int(time.time())
    where, params = _sql_filter(o, me)
    ev = adformat.Evaluator()
    with sp.snapshot():
        sql_limit = o.limit if not o.constraints else None
        jobs = sp.jobs(where or None, params, limit=sql_limit)
        if o.constraints:
            kept = []
            for j in jobs:
                if all(ev.matches(j, c) for c in o.constraints):
                    kept.append(j)
                    if o.limit is not None and len(kept) >= o.limit:
                        break
            jobs = kept
        need_totals = not o.custom and o.long is None
        query = None
        if need_totals:
            all_users = _counts(sp)
            if not o.constraints and o.limit is None:
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

    # machine-readable views: no title, no totals
    if o.custom:
        out.append(render_custom(jobs, o.custom, ev))
        return 0
    if o.long is not None:
        proj = {a.lower() for a in o.attributes} if o.attributes else None

        def items(j):
            it = j.items() + [("ServerTime", str(now))]
            if proj is not None:
                it = [p for p in it if p[0].lower() in proj]
            return it
        if o.long == "json":
            if jobs:
                out.append("[\n" + ",\n".join(adformat.json_ad(items(j)) for j in jobs) + "\n]\n")
        elif o.long == "xml":
            out.append(adformat.XML_HEADER)
            out.extend(adformat.xml_ad(items(j)) for j in jobs)
            out.append(adformat.XML_FOOTER)
        else:
            out.extend(adformat.long_ad(items(j)) for j in jobs)
        return 0

    if query is None:
        query = queueview.Counts()
        for j in jobs:
            query.add(j.status, j.literal("JobUniverse", js.UNIVERSE_VANILLA))
    my_name = "%s@%s" % (me, users.uid_domain()) if o.my_jobs else None
    out.append(queueview.title(schedd_name(), schedd_address(sp.path), now))
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
        out.append(queueview.job_view(jobs, now))
    out.append("\n" + footer)
    return 0


# ---- -af and -format ------------------------------------------------------------------

def render_custom(jobs, items, ev):
    """All -af/-format items, in command-line order, one output row per job."""
    # HTCondor keeps one print mask: the last -af's separators apply to all columns.
    cols = []
    seps = {"row_pre": None, "col_pre": None, "col_suf": None, "row_suf": None}
    headings = False
    for kind, a, b in items:
        if kind == "format":
            cols.append({"kind": "format", "fmt": _collapse_escapes(a), "expr": b})
            continue
        opts = a or ""
        flabel = "l" in opts
        fcapv = "V" in opts
        fraw = "r" in opts or "o" in opts
        fhead = "h" in opts or headings
        headings = headings or "h" in opts
        seps = {"row_pre": None, "col_pre": " ", "col_suf": None, "row_suf": "\n"}
        for ch in opts:
            if ch == ",":
                seps["col_suf"] = ","
            elif ch == "n":
                seps["col_suf"] = "\n"
            elif ch == "g":
                seps["col_pre"], seps["row_pre"] = None, "\n"
            elif ch == "t":
                seps["col_pre"] = "\t"
        if "j" in opts:
            if fhead:
                cols.append({"kind": "id_c", "head": " ID", "width": 5, "label": flabel,
                             "auto": True, "left": False, "nosuffix": True})
                cols.append({"kind": "id_p", "head": " ", "width": 3, "auto": True,
                             "left": True, "noprefix": True})
            else:
                cols.append({"kind": "id_c", "label": flabel, "nosuffix": True, "width": 0})
                cols.append({"kind": "id_p", "noprefix": True, "width": 0})
        for e in b:
            letter = "r" if fraw else ("V" if fcapv else "v")
            col = {"kind": "af", "expr": e, "letter": letter, "label": None, "width": 0,
                   "auto": False, "left": False}
            if fhead:
                col.update(head=e, width=len(e), auto=True, left=True)
            elif flabel:
                col["label"] = e
            cols.append(col)

    getters = [_fast_getter(c, ev) or (lambda j, c=c: _render_col(c, j, ev)) for c in cols]
    rendered = [[g(j) for g in getters] for j in jobs]
    plain = (seps["row_pre"] is None and seps["col_suf"] is None and seps["row_suf"] == "\n"
             and seps["col_pre"] is not None
             and not any(c.get("width") or c.get("head") is not None or c.get("noprefix")
                         or c.get("nosuffix") or c["kind"] == "format" for c in cols))
    if plain:
        sep = seps["col_pre"]
        return "".join(sep.join(cells) + "\n" for cells in rendered)
    # auto widths grow with the data
    for idx, c in enumerate(cols):
        if c.get("auto"):
            for cells in rendered:
                if cells[idx] is not None:
                    c["width"] = max(c["width"], len(cells[idx]))
    out = []
    if any(c.get("head") is not None for c in cols):
        out.append(_display_headings(cols, seps))
    for cells in rendered:
        out.append(_display_row(cols, cells, seps))
    return "".join(out)


def _display_headings(cols, seps):
    line = seps["row_pre"] or ""
    ncol = len(cols)
    for i, c in enumerate(cols):
        head = c.get("head", "")
        if i and seps["col_pre"] and not c.get("noprefix"):
            line += seps["col_pre"]
        line += head.ljust(c["width"]) if c.get("width") else head
        if i + 1 < ncol and seps["col_suf"] and not c.get("nosuffix"):
            line += seps["col_suf"]
    return line + (seps["row_suf"] or "")


def _display_row(cols, cells, seps):
    line = seps["row_pre"] or ""
    ncol = len(cols)
    for i, (c, text) in enumerate(zip(cols, cells)):
        if i and seps["col_pre"] and not c.get("noprefix"):
            line += seps["col_pre"]
        text = text or ""
        w = c.get("width") or 0
        if w and len(text) < w:
            text = text.ljust(w) if c.get("left") else text.rjust(w)
        line += text
        if i + 1 < ncol and seps["col_suf"] and not c.get("nosuffix"):
            line += seps["col_suf"]
    return line + (seps["row_suf"] or "")


_ID_COLUMNS = {"clusterid": lambda j: str(j.cluster_id), "procid": lambda j: str(j.proc_id),
               "jobstatus": lambda j: str(j.status)}


def _fast_getter(c, ev):
    """A quick cell function for -af of a plain attribute name (the common case):
    literal texts are formatted once per distinct text."""
    if c["kind"] != "af" or c.get("label") or c["letter"] == "r":
        return None
    name = c["expr"].strip()
    if not adformat._IDENT.fullmatch(name) or name.lower() in adformat._KEYWORDS:
        return None
    from pycondorlite.jobad import is_private
    if is_private(name):
        return lambda j: "undefined"
    low = name.lower()
    if low in _ID_COLUMNS:
        return _ID_COLUMNS[low]
    fmt = adformat.value_v if c["letter"] == "v" else adformat.unparse
    cache = {}

    def get(j):
        t = j.text(name)
        if t is None:
            return "undefined"
        r = cache.get(t)
        if r is None:
            v = literal(t)
            if v is NOT_LITERAL:
                return fmt(ev.expr(j, t))
            r = cache[t] = fmt(v)
        return r
    return get


def _render_col(c, job, ev):
    kind = c["kind"]
    if kind == "id_c":
        w = 4 if c.get("width") else 0
        s = ("%*d." % (w, job.cluster_id)) if w else "%d." % job.cluster_id
        return ("ID = " + s) if c.get("label") else s
    if kind == "id_p":
        return ("%-3d" % job.proc_id) if c.get("width") else str(job.proc_id)
    if kind == "format":
        return _printf(c["fmt"], c["expr"], job, ev)
    expr = c["expr"]
    if c["letter"] == "r":
        t = _raw_text(job, expr)
    else:
        v = ev.value(job, expr)
        t = adformat.value_v(v) if c["letter"] == "v" else adformat.unparse(v)
    if c.get("label"):
        return "%s = %s" % (c["label"], t)
    return t


def _raw_text(job, expr):
    """%r: the attribute's expression unparsed, not evaluated."""
    s = expr.strip()
    if adformat._IDENT.fullmatch(s):
        from pycondorlite.jobad import is_private
        t = None if is_private(s) else job.text(s)
        return "undefined" if t is None else adformat.old_text(t)
    return adformat.old_text(s)


def _collapse_escapes(s):
    out = []
    i = 0
    table = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "a": "\a",
             "b": "\b", "f": "\f", "v": "\v"}
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] in table:
            out.append(table[s[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _find_conversion(fmt):
    """(start, end, spec) of the first %-conversion, or None (%% is literal)."""
    import re
    for m in re.finditer(r"%(%|[-+ #0]*[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGcsvVrRTaAp])", fmt):
        if m.group(1) == "%":
            continue
        return m.start(), m.end(), m.group(0)
    return None


def _printf(fmt, expr, job, ev):
    """-format: one printf conversion applied to the value; nothing if it does not fit."""
    conv = _find_conversion(fmt)
    if conv is None:
        return fmt.replace("%%", "%")
    start, end, spec = conv
    letter = spec[-1]
    pre, post = fmt[:start].replace("%%", "%"), fmt[end:].replace("%%", "%")
    body = spec[:-1]
    for lm in ("hh", "ll", "h", "l", "L", "q", "j", "z", "t"):
        if body.endswith(lm):
            body = body[:-len(lm)]
            break
    s = expr.strip()
    is_attr = bool(adformat._IDENT.fullmatch(s))
    if is_attr and (_private(s) or job.text(s) is None):
        # a missing attribute evaluates to undefined: only %v/%V/%r can print it
        return pre + (body + "s") % "undefined" + post if letter in "vVrR" else ""
    if letter in "rR":
        return pre + (body + "s") % _raw_text(job, expr) + post
    v = ev.value(job, expr)
    if letter == "s":
        if isinstance(v, str):
            return pre + (body + "s") % v + post
        if is_attr:
            return pre + (body + "s") % _raw_text(job, expr) + post
        return ""
    if letter in "vV":
        text = v if (letter == "v" and isinstance(v, str)) else adformat.unparse(v)
        return pre + (body + "s") % text + post
    if adformat.is_special(v) or isinstance(v, (str, list)) or not isinstance(v, (int, float)):
        return ""
    if letter in "diouxXc":
        return pre + (body + letter) % int(v) + post
    if letter in "eEfFgGaA":
        return pre + (body + letter) % float(v) + post
    if letter == "T":
        return pre + queueview.format_time(int(v)) + post
    return ""


def _private(name):
    from pycondorlite.jobad import is_private
    return is_private(name)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = []
    try:
        o = parse_args(argv)
        code = run(o, out)
    except UsageError as e:
        if str(e) == "version":
            from pycondorlite.version import __version__
            sys.stdout.write("$CondorVersion: %s pycondorlite $\n$CondorPlatform: pycondorlite $\n"
                             % __version__)
            return 0
        if e.args and e.args[0]:
            sys.stderr.write(str(e) + "\n")
        if e.usage:
            sys.stdout.write(USAGE)
        return e.code
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
