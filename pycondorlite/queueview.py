"""condor_q's and condor_history's table views, laid out as HTCondor lays them out.

Column layouts follow queue.cpp's print formats (jobDefault, jobRuntime,
jobHold, jobProgress) and ad_printmask.cpp's alignment rules: a positive
width right-aligns, a negative one left-aligns, width 0 prints as is, columns
are joined by one space, and (as when output is not a terminal) nothing is
truncated and trailing blanks are trimmed from rows.
"""

import os
import time

from pycondorlite import jobstatus as js
from pycondorlite.adformat import format_real

# ---- cell formats ------------------------------------------------------------


def qdate(t):
    """QDATE: '%2d/%-2d %02d:%02d' (month/day hour:minute, local time)."""
    tm = time.localtime(t)
    return "%2d/%-2d %02d:%02d" % (tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min)


def format_time(secs):
    """format_time(): '%3d+%02d:%02d:%02d' days+hh:mm:ss."""
    secs = int(secs)
    if secs < 0:
        return "[?????]"
    return "%3d+%02d:%02d:%02d" % (secs // 86400, secs % 86400 // 3600, secs % 3600 // 60, secs % 60)


def alt_field(width, ch="?"):
    """appendFieldofChar: '[???]' filling the column, or one char when narrow."""
    cq = abs(width)
    if not cq:
        return ""
    if cq < 3:
        return ch
    return "[" + ch * (cq - 2) + "]"


class Col:
    __slots__ = ("head", "width", "left", "noprefix", "hidden")

    def __init__(self, head, width, left=False, noprefix=False):
        self.head, self.width, self.left, self.noprefix = head, width, left, noprefix
        self.hidden = False


def _cell(col, text):
    if not col.width:
        return text
    pad = col.width - len(text)
    if pad <= 0:
        return text
    return text + " " * pad if col.left else " " * pad + text


def header_line(cols):
    out = []
    first = True
    for c in cols:
        if c.hidden:
            continue
        if not first and not c.noprefix:
            out.append(" ")
        first = False
        out.append(c.head.ljust(c.width) if c.width else c.head)
    return "".join(out) + "\n"


def row_line(cols, cells, trim=True):
    out = []
    first = True
    for c, text in zip(cols, cells):
        if c.hidden:
            continue
        if not first and not c.noprefix:
            out.append(" ")
        first = False
        out.append(_cell(c, text))
    line = "".join(out)
    return (line.rstrip() if trim else line) + "\n"


# ---- job attributes used by the views ---------------------------------------

def _int(job, name, default=None):
    v = job.literal(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return default
    return int(v)


def _num(job, name, default=None):
    v = job.literal(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return default
    return v


def _str(job, name, default=None):
    v = job.literal(name)
    return v if isinstance(v, str) else default


def owner_of(job):
    return _str(job, "Owner")


def status_cell(job):
    """ST: the status letter, with HTCondor's transfer markers."""
    st = job.status
    cell = [js.letter(st), " "]
    if job.literal("TransferringInput") is True:
        cell = ["<", "q" if job.literal("TransferQueued") is True else " "]
    if job.literal("TransferringOutput") is True or st == js.TRANSFERRING_OUTPUT:
        cell = ["q" if job.literal("TransferQueued") is True else " ", ">"]
    return "".join(cell)


def run_time(job, now):
    """RUN_TIME for the current run (queue.cpp job_time, current_run)."""
    if _num(job, "RemoteUserCpu") is None:
        return None
    st = job.status
    bday = _int(job, "ShadowBday", 0)
    total = 0.0
    if st in (js.RUNNING, js.TRANSFERRING_OUTPUT, js.SUSPENDED) and bday:
        total += now - bday
    elif st in (js.IDLE, js.HELD, js.JOB_STATUS_BLOCKED):
        total = _num(job, "LastRemoteWallClockTime", 0.0)
    return format_time(total)


def memory_cell(job):
    mu = _int(job, "MemoryUsage")
    if mu is not None:
        return "%.1f" % mu
    isz = _int(job, "ImageSize")
    if isz is not None:
        return "%.1f" % (isz / 1024.0)
    return None


def description(job):
    desc = _str(job, "JobDescription")
    if desc is not None:
        return "(" + desc + ")"
    cmd = _str(job, "Cmd")
    if cmd is None:
        return None
    out = os.path.basename(cmd)
    args = _str(job, "Args")
    if args is None:
        args = _str(job, "Arguments")
    if args:
        out += " " + args
    return out


def remote_host(job):
    uni = _int(job, "JobUniverse", js.UNIVERSE_VANILLA)
    if uni == js.UNIVERSE_GRID:
        return _str(job, "EC2RemoteVirtualMachineName") or _str(job, "GridResource")
    return _str(job, "RemoteHost")


def jobprio_cell(job):
    v = job.literal("JobPrio")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_real(v)
    if isinstance(v, str):
        return v
    return None


# ---- per-job views (-nobatch, -run, -hold) -------------------------------------

def _id_cols(jobs):
    max_cluster = max((j.cluster_id for j in jobs), default=0)
    max_proc = max((j.proc_id for j in jobs), default=0)
    cw = len(str(max_cluster)) if max_cluster >= 9999 else 4
    pw = len(str(max_proc)) if max_proc >= 999 else 3
    cw = min(max(cw, 4), 9)
    pw = min(max(pw, 3), 9)
    cols = [Col(" ID", cw + 1, left=False), Col(" ", pw, left=True, noprefix=True)]

    def cells(j):
        return ["%*d." % (cw, j.cluster_id), "%-*d" % (pw, j.proc_id)]
    return cols, cells


def dag_tree(jobs):
    """-dag: [(job, depth)], each DAGMan job followed by its node jobs (those
    whose DAGManJobId is its cluster), nested DAGs deeper; others at depth 0."""
    present = {j.cluster_id for j in jobs}
    children, roots = {}, []
    for j in jobs:
        parent = _int(j, "DAGManJobId")
        if parent is not None and parent in present and parent != j.cluster_id:
            children.setdefault(parent, []).append(j)
        else:
            roots.append(j)
    out, seen = [], set()

    def walk(j, depth):
        if j.id in seen:
            return
        seen.add(j.id)
        out.append((j, depth))
        if j.proc_id == 0:
            for c in children.get(j.cluster_id, ()):
                walk(c, depth + 1)
    for j in roots:
        walk(j, 0)
    for j in jobs:          # a cycle of DAGManJobIds: shown flat, never lost
        walk(j, 0)
    return out


def node_cell(job, depth):
    """OWNER/NODENAME of a DAG node: ' |-' and its node name, indented per level."""
    name = _str(job, "DAGNodeName") or owner_of(job) or ""
    return "   " * (depth - 1) + " |-" + name


def job_view(jobs, now, trim=True, dag=False):
    """The -nobatch table (jobDefault print format): header line then rows.
    dag: node jobs under their DAGMan job, named in the OWNER/NODENAME column."""
    depth = {}
    if dag:
        tree = dag_tree(jobs)
        jobs = [j for j, _ in tree]
        depth = {j.id: d for j, d in tree}
    idc, idcells = _id_cols(jobs)
    pri = [jobprio_cell(j) for j in jobs]
    pri_w = max([3] + [len(p) for p in pri if p is not None])
    mem = [memory_cell(j) for j in jobs]
    cols = idc + [Col("OWNER/NODENAME" if dag else "OWNER", 14, left=True), Col("  SUBMITTED", 11),
                  Col("    RUN_TIME", 12), Col("ST", 0), Col("PRI", pri_w, left=True),
                  Col("SIZE", 4), Col("CMD", 0)]
    out = [header_line(cols)]
    for j, p, m in zip(jobs, pri, mem):
        q = _int(j, "QDate")
        rt = run_time(j, now)
        d = depth.get(j.id, 0)
        cells = idcells(j) + [
            node_cell(j, d) if d else (owner_of(j) or alt_field(14)),
            qdate(q) if q is not None else "",
            rt if rt is not None else "",
            status_cell(j),
            p if p is not None else "",
            m if m is not None else "",
            description(j) or "",
        ]
        out.append(row_line(cols, cells, trim))
    return "".join(out)


def run_view(jobs, now, trim=True):
    """-run (jobRuntime): ID OWNER SUBMITTED RUN_TIME HOST(S)."""
    idc, idcells = _id_cols(jobs)
    cols = idc + [Col("OWNER", 14, left=True), Col("  SUBMITTED", 11), Col("    RUN_TIME", 12),
                  Col("HOST(S)", 0)]
    out = [header_line(cols)]
    for j in jobs:
        q = _int(j, "QDate")
        rt = run_time(j, now)
        cells = idcells(j) + [owner_of(j) or alt_field(14),
                              qdate(q) if q is not None else alt_field(11),
                              rt if rt is not None else alt_field(12),
                              remote_host(j) or ""]
        out.append(row_line(cols, cells, trim))
    return "".join(out)


def hold_view(jobs, trim=True):
    """-hold (jobHold): ID OWNER HELD_SINCE HOLD_REASON."""
    idc, idcells = _id_cols(jobs)
    cols = idc + [Col("OWNER", 14, left=True), Col("HELD_SINCE", 11), Col("HOLD_REASON", 0)]
    out = [header_line(cols)]
    for j in jobs:
        t = _int(j, "EnteredCurrentStatus")
        cells = idcells(j) + [owner_of(j) or alt_field(14),
                              qdate(t) if t is not None else alt_field(11),
                              _str(j, "HoldReason") or ""]
        out.append(row_line(cols, cells, trim))
    return "".join(out)


# ---- the batch view -------------------------------------------------------------

def batch_name(job):
    """BATCH_NAME: JobBatchName, 'DAG: C' for a dagman, 'NODE: name', else None."""
    name = _str(job, "JobBatchName")
    if name is not None:
        return name
    if _int(job, "JobUniverse") == js.UNIVERSE_SCHEDULER:
        return "DAG: %d" % job.cluster_id
    node = _str(job, "DAGNodeName")
    if job.text("DAGManJobId") is not None and node is not None:
        return "NODE: " + node
    return None


class _Batch:
    __slots__ = ("first", "owner", "name", "qdate", "states", "total", "done", "unknown",
                 "min_id", "max_id")

    def __init__(self, first):
        self.first = first
        self.owner = owner_of(first)
        self.name = batch_name(first)
        self.qdate = _int(first, "QDate")
        self.states = [0] * 11
        self.total = self.done = self.unknown = 0
        self.min_id = self.max_id = None


def batch_view(jobs, partial=False):
    """The default batch table: one row per batch of jobs (header + rows).

    jobs must be sorted by (cluster, proc). `partial` is true when the query
    may return part of a cluster, so DONE cannot be computed.
    """
    batches = []            # in order of their first job
    by_key = {}             # (batch name, owner) -> _Batch, for named batches
    cluster_cache = {}
    i = 0
    n = len(jobs)
    while i < n:
        # one cluster at a time: procs arrive sorted
        cid = jobs[i].cluster_id
        k = i
        while k < n and jobs[k].cluster_id == cid:
            k += 1
        procs = jobs[i:k]
        first = procs[0]
        key_name = batch_name(first)
        b = None
        if key_name is not None and _int(first, "JobUniverse") != js.UNIVERSE_SCHEDULER:
            key = (key_name, owner_of(first))
            b = by_key.get(key)
            if b is None:
                b = by_key[key] = _Batch(first)
                batches.append(b)
        if b is None:
            b = _Batch(first)
            batches.append(b)
        # reduce_procs()
        total_submit = _int(first, "DAGNodesTotal")
        if total_submit is None:
            total_submit = _int(first, "TotalSubmitProcs")
        states = b.states
        for j in procs:
            st = j.status
            states[st if 0 <= st <= 10 else 0] += 1
        if total_submit:
            b.total += total_submit
            if not partial:
                b.done += total_submit - len(procs)
        else:
            b.unknown += 1
        lo = (cid, procs[0].proc_id)
        hi = (cid, procs[-1].proc_id)
        b.min_id = lo if b.min_id is None else min(b.min_id, lo)
        b.max_id = hi if b.max_id is None else max(b.max_id, hi)
        i = k
    del cluster_cache

    rows = []
    any_held = False
    for b in batches:
        done = 0 if b.unknown else b.done
        total = 0 if b.unknown else b.total
        st = b.states
        run = st[js.RUNNING] + st[js.TRANSFERRING_OUTPUT]
        idle = st[js.IDLE] + st[js.SUSPENDED]
        held = st[js.HELD]
        any_held = any_held or held > 0
        name = b.name if b.name is not None else "ID: %d" % b.first.cluster_id
        (c0, p0), (c1, p1) = b.min_id, b.max_id
        if (c0, p0) == (c1, p1):
            ids = "%d.%d" % (c0, p0)
        elif c0 == c1:
            ids = "%d.%d-%d" % (c0, p0, p1)
        else:
            ids = "%d.%d ... %d.%d" % (c0, p0, c1, p1)
        counts = ["%6d" % x if x > 0 else "_" for x in (done, run, idle, held, total)]
        rows.append([b.owner or "", name, qdate(b.qdate) if b.qdate is not None else ""]
                    + counts + [ids])

    owner_col = Col("OWNER", 5, left=True)
    name_col = Col("BATCH_NAME", 12, left=True)
    cols = [owner_col, name_col, Col("   SUBMITTED", 12), Col("  DONE", 6), Col("  RUN ", 6),
            Col("  IDLE", 6), Col("  HOLD", 6), Col(" TOTAL", 6), Col("JOB_IDS", 0)]
    if rows:
        # fnFixupWidthsForProgressFormat
        longest_owner = max(len(r[0]) for r in rows)
        owner_col.width = max(8, longest_owner) if longest_owner < 5 else longest_owner
        name_col.width = max(10, max(len(r[1]) for r in rows))
        cols[6].hidden = not any_held
    out = [header_line(cols)]
    for r in rows:
        out.append(row_line(cols, r))
    return "".join(out)


# ---- title and totals ------------------------------------------------------------

def summarize_sinful(addr):
    q = addr.find("?")
    return addr if q < 0 else addr[:q] + "?..."


def title(schedd_name, addr, when):
    stamp = time.strftime("%m/%d/%y %H:%M:%S", time.localtime(when))
    return "\n\n-- Schedd: %s : %s @ %s\n" % (schedd_name, summarize_sinful(addr), stamp)


class Counts:
    """LiveJobCounters for the summary lines (scheduler universe kept apart)."""

    def __init__(self):
        self.by_status = [0] * 11

    def add(self, status, universe, n=1):
        if universe == js.UNIVERSE_SCHEDULER:
            return
        if status == js.TRANSFERRING_OUTPUT:
            status = js.RUNNING
        if 0 <= status <= 10:
            self.by_status[status] += n

    def line(self, label):
        s = self.by_status
        idle, run, rem, comp, held, susp = s[1], s[2], s[3], s[4], s[5], s[7]
        jobs = idle + run + rem + comp + held + susp
        return ("Total for %s: %d jobs; %d completed, %d removed, %d idle, %d running, "
                "%d held, %d suspended" % (label, jobs, comp, rem, idle, run, held, susp))


def summary(query, mine=None, my_name=None, all_users=None):
    """The standard summary: lines joined by ' \\n' (HTCondor's field separator)."""
    lines = [query.line("query")]
    if mine is not None:
        lines.append(mine.line(my_name))
    lines.append(all_users.line("all users"))
    return " \n".join(lines) + "\n"


# ---- -grid and -idle ------------------------------------------------------------------

def grid_resource_cell(job):
    """GRID->MANAGER HOST: local_render_grid_resource() of queue.cpp."""
    s = _str(job, "GridResource")
    if s is None:
        return None
    sp = s.find(" ")
    if sp >= 0:
        grid_type, ix_host = s[:sp], sp + 1
    else:
        grid_type, ix_host = "globus", 0
    mgr = "[?]"
    ix2 = s.find(" ", ix_host)
    if ix2 >= 0:
        mgr = s[ix2 + 1:]
    else:
        ixm = s.find("jobmanager-", ix_host)
        if ixm >= 0:
            mgr = s[ixm + 11:]
        ix2 = ixm if ixm >= 0 else len(s)
    ix3 = s.find("://", ix_host)
    ix3 = ix3 + 3 if ix3 >= 0 else ix_host
    ends = [k for k in (s.find(":", ix3), s.find("/", ix3)) if k >= 0]
    ix4 = min(ends) if ends else len(s)
    ix4 = min(ix4, ix2)
    host = s[ix3:ix4]
    mgr = mgr.replace(" ", "/")
    if grid_type == "ec2":
        return "%s %s" % (grid_type, _str(job, "EC2RemoteVirtualMachineName") or host)
    return "%s->%s %s" % (grid_type, mgr, host)


def grid_job_id_cell(job):
    """GRID_JOB_ID: the last word of GridJobId (the remote id)."""
    s = _str(job, "GridJobId")
    if s is None:
        return None
    return s.split()[-1] if s.split() else ""


def grid_view(jobs, trim=True):
    """-grid (jobGrid): ID OWNER STATUS GRID->MANAGER HOST GRID_JOB_ID; no totals."""
    idc, idcells = _id_cols(jobs)
    cols = idc + [Col("OWNER", 14, left=True), Col("STATUS", 10, left=True),
                  Col("GRID->MANAGER    HOST", 27, left=True), Col("GRID_JOB_ID", 0)]
    out = [header_line(cols)]
    for j in jobs:
        st = j.literal("GridJobStatus")
        st = st if isinstance(st, str) else (str(st) if isinstance(st, int) else "")
        cells = idcells(j) + [owner_of(j) or "", st, grid_resource_cell(j) or "",
                              grid_job_id_cell(j) or ""]
        out.append(row_line(cols, cells, trim))
    return "".join(out)


def idle_view(jobs, evaluate, trim=True):
    """-idle (jobIdle): ID OWNER UNIVERSE CPUS MEMORY STARTS LAST_HOST; no totals.
    `evaluate(job, name)` gives an attribute's value (RequestMemory is an expression)."""
    idc, idcells = _id_cols(jobs)
    cols = idc + [Col("OWNER", 14, left=True), Col("UNIVERSE ", 0), Col("CPUS", 4),
                  Col("MEMORY", 6), Col("STARTS", 6), Col("LAST_HOST", 0)]
    out = [header_line(cols)]

    def num(j, name, fmt, default=None):
        v = evaluate(j, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or type(v).__name__ == "Value":
            if default is None:
                return ""
            v = default
        return fmt % int(v)
    for j in jobs:
        uni = _int(j, "JobUniverse")
        cells = idcells(j) + [owner_of(j) or "", js.UNIVERSES.get(uni, "") if uni else "",
                              num(j, "RequestCpus", "%4d"), num(j, "RequestMemory", "%6d"),
                              num(j, "NumShadowStarts", "%6d", 0),
                              _str(j, "LastRemoteHost") or ""]
        out.append(row_line(cols, cells, trim))
    return "".join(out)
