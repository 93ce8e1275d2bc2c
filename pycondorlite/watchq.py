"""condor_watch_q's model and screen: job states followed through user logs.

As HTCondor's condor_watch_q does: one query finds the job event logs of the
jobs asked for (by user, cluster or batch name); from then on only the logs
are read (JobEventLog, events(0)), each event moving its job to a state; the
screen is a table with a row per batch (or log, or cluster), a progress bar
per row and for all, a summary line and the time of the update.
"""

import datetime
import enum
import os
import re

from pycondorlite.htcondor import JobEventLog, JobEventType

TOTAL, ACTIVE_JOBS, EVENT_LOG, CLUSTER_ID, BATCH_NAME = "TOTAL", "JOB_IDS", "LOG", "CLUSTER", "BATCH"
GROUP_KEYS = {"log": EVENT_LOG, "cluster": CLUSTER_ID, "batch": BATCH_NAME}


class State(enum.Enum):
    REMOVED = "REMOVED"
    HELD = "HELD"
    IDLE = "IDLE"
    RUNNING = "RUN"
    COMPLETED = "DONE"
    TRANSFERRING_OUTPUT = "TRANSFERRING_OUTPUT"
    SUSPENDED = "SUSPENDED"

    def __str__(self):
        return self.value


ORDERED = (State.REMOVED, State.HELD, State.SUSPENDED, State.IDLE, State.RUNNING,
           State.TRANSFERRING_OUTPUT, State.COMPLETED)
ACTIVE = {State.IDLE, State.RUNNING, State.TRANSFERRING_OUTPUT, State.HELD, State.SUSPENDED}
ALWAYS = {State.IDLE, State.RUNNING, State.COMPLETED, EVENT_LOG, TOTAL}
HEADERS = list(ORDERED) + [TOTAL, ACTIVE_JOBS]
ALIGN = {EVENT_LOG: "ljust", CLUSTER_ID: "ljust", TOTAL: "rjust", ACTIVE_JOBS: "ljust",
         BATCH_NAME: "ljust", **{s: "rjust" for s in State}}

# Which state an event puts its job in.
TRANSITIONS = {
    JobEventType.SUBMIT: State.IDLE, JobEventType.JOB_EVICTED: State.IDLE,
    JobEventType.JOB_UNSUSPENDED: State.IDLE, JobEventType.JOB_RELEASED: State.IDLE,
    JobEventType.SHADOW_EXCEPTION: State.IDLE, JobEventType.JOB_RECONNECT_FAILED: State.IDLE,
    JobEventType.JOB_TERMINATED: State.COMPLETED, JobEventType.EXECUTE: State.RUNNING,
    JobEventType.JOB_HELD: State.HELD, JobEventType.JOB_SUSPENDED: State.SUSPENDED,
    JobEventType.JOB_ABORTED: State.REMOVED,
}

EXIT_GROUPERS = {"all": all, "any": any, "none": lambda it: not any(it)}
EXIT_CHECKS = {
    "active": lambda s: s in ACTIVE,
    "done": lambda s: s is State.COMPLETED,
    "idle": lambda s: s is State.IDLE,
    "held": lambda s: s is State.HELD,
}


class Color:
    RED, GREEN, CYAN, YELLOW = "\033[31m", "\033[32m", "\033[36m", "\033[33m"
    BRIGHT_YELLOW, BRIGHT_WHITE, RESET = "\033[33;1m", "\033[37;1m", "\033[0m"


BAR = {State.COMPLETED: (Color.GREEN, "#"), State.RUNNING: (Color.CYAN, "="),
       State.IDLE: (Color.BRIGHT_YELLOW, "-"), State.HELD: (Color.RED, "!"),
       State.SUSPENDED: (Color.RED, "!"), State.REMOVED: (Color.RED, "!")}
BAR_ORDER = (State.COMPLETED, State.RUNNING, State.IDLE, State.HELD, State.SUSPENDED,
             State.REMOVED)
SUMMARY = [(State.COMPLETED, "completed"), (State.REMOVED, "removed"), (State.IDLE, "idle"),
           (State.RUNNING, "running"), (State.HELD, "held"), (State.SUSPENDED, "suspended")]
_ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")


def strip_ansi(s):
    return _ANSI.sub("", s)


def colorize(s, color):
    return color + s + Color.RESET


class Cluster:
    def __init__(self, cluster_id, log_path, batch_name):
        self.cluster_id, self.log_path, self._batch = cluster_id, log_path, batch_name
        self.jobs = {}          # proc -> State

    @property
    def batch_name(self):
        return self._batch or "ID: %d" % self.cluster_id


def find_logs(schedd, users=(), cluster_ids=(), files=(), batches=()):
    """(event log paths, {cluster: batch name}, warnings) from one query."""
    logs, batch_names, warnings, warned = set(), {}, [], set()
    for f in files:
        logs.add(os.path.abspath(f))
    parts = ['Owner == "%s"' % u.replace("\\", "\\\\").replace('"', '\\"') for u in users]
    parts += ["ClusterId == %d" % c for c in cluster_ids]
    parts += ['JobBatchName == "%s"' % b.replace("\\", "\\\\").replace('"', '\\"')
              for b in batches]
    if not parts:
        return logs, batch_names, warnings
    for ad in schedd.query(" || ".join(parts), ["ClusterId", "Owner", "UserLog", "JobBatchName",
                                               "Iwd"]):
        cid = ad["ClusterId"]
        batch_names[cid] = ad.get("JobBatchName")
        path = ad.get("UserLog")
        if not isinstance(path, str):
            if cid not in warned:
                warnings.append("Cluster %d does not have a job event log file (set log=<path> "
                                "in the submit description)" % cid)
                warned.add(cid)
            continue
        if not os.path.isabs(path):
            path = os.path.abspath(os.path.join(ad.get("Iwd", "") or "", path))
        logs.add(path)
    return logs, batch_names, warnings


class Tracker:
    """The state of every job met in the logs, updated by process_events()."""

    def __init__(self, log_paths, batch_names):
        self.readers, self.warnings = {}, []
        for path in sorted(log_paths):
            try:
                self.readers[path] = JobEventLog(path).events(0)
            except (OSError, ValueError) as e:
                self.warnings.append("Could not open event log at %s for reading, so it will be "
                                     "ignored. Reason: %s" % (path, e))
        self.batch_names = batch_names
        self.clusters = {}

    def process_events(self):
        messages = []
        for path, events in self.readers.items():
            while True:
                try:
                    ev = next(events)
                except StopIteration:
                    break
                except Exception as e:      # one bad event must not stop the view
                    messages.append("ERROR: Failed to parse event from %s. Reason: %s" % (path, e))
                    break
                new = TRANSITIONS.get(ev.type)
                if new is None:
                    continue
                c = self.clusters.get(ev.cluster)
                if c is None:
                    c = self.clusters[ev.cluster] = Cluster(ev.cluster, path,
                                                            self.batch_names.get(ev.cluster))
                c.jobs[ev.proc] = new
        return messages

    def states(self):
        for c in self.clusters.values():
            yield from c.jobs.values()


# ---- the screen ------------------------------------------------------------

def nice_path(path):
    """The shortest of: absolute, relative to home (~/...), relative to cwd (./...)."""
    options = [os.path.abspath(path), os.path.join("~", os.path.relpath(path, os.path.expanduser("~")))]
    rel = os.path.relpath(path, os.getcwd())
    if not rel.startswith("../"):
        options.append(os.path.join(".", rel))
    return min(options, key=len)


def row_of(clusters):
    row = {s: 0 for s in State}
    active = []
    for c in clusters:
        for proc, st in c.jobs.items():
            row[st] += 1
            if st in ACTIVE:
                active.append((c.cluster_id, proc))
    row[TOTAL] = sum(row[s] for s in State)
    active.sort()
    ids = ["%d.%d" % a for a in active]
    row[ACTIVE_JOBS] = " ... ".join([ids[0], ids[-1]]) if len(ids) > 2 else ", ".join(ids)
    return row


def rows_and_totals(tracker, key):
    groups = {}
    attr = {EVENT_LOG: "log_path", CLUSTER_ID: "cluster_id", BATCH_NAME: "batch_name"}[key]
    for c in tracker.clusters.values():
        groups.setdefault(getattr(c, attr), []).append(c)
    totals = {s: 0 for s in State}
    totals[TOTAL] = 0
    rows = {}
    for value, clusters in groups.items():
        row = row_of(clusters)
        totals[TOTAL] += row[TOTAL]
        for s in State:
            totals[s] += row[s]
        row[key] = nice_path(value) if key == EVENT_LOG else value
        rows[value] = (min(c.cluster_id for c in clusters), row)
    ordered = [row for _, row in sorted(rows.values(), key=lambda t: t[0])]
    drop = {h for h in HEADERS if all(r[h] == 0 for r in ordered)} - ALWAYS
    headers = [h for h in HEADERS if h not in drop]
    for r in ordered:
        for h in drop:
            r.pop(h, None)
        for h in list(r):
            if r[h] == 0:
                del r[h]
    return headers, ordered, totals


def row_color(row):
    if row.get(State.HELD, 0) > 0:
        return Color.RED
    if row.get(State.COMPLETED) == row.get(TOTAL):
        return Color.GREEN
    if row.get(State.RUNNING, 0) > 0:
        return Color.CYAN
    if row.get(State.IDLE, 0) > 0:
        return Color.YELLOW
    return Color.BRIGHT_WHITE


def progress_bar(counts, width, color):
    width = min(width, 79) - 2
    total = float(counts.get(TOTAL) or 0)
    fracs = [(counts.get(s) or 0) / total if total else 0 for s in BAR_ORDER]
    lengths = [int(width * f) for f in fracs]
    longest = max(range(len(lengths)), key=lambda i: lengths[i])
    lengths[longest] += width - sum(lengths)
    parts = []
    for s, n in zip(BAR_ORDER, lengths):
        col, ch = BAR[s]
        parts.append(colorize(ch * n, col) if color else ch * n)
    return "[" + "".join(parts) + "]"


def table(headers, rows, columns, row_progress, color):
    lengths = [len(str(h)) for h in headers]
    cells = [[str(r.get(h, "")) + " " for h in headers] for r in rows]
    for c in cells:
        lengths = [max(a, len(b)) for a, b in zip(lengths, c)]
    aligns = [ALIGN.get(h, "center") for h in headers]
    head = "  ".join(getattr(str(h), a)(n) for h, n, a in zip(headers, lengths, aligns)).rstrip()
    lines = []
    for r, c in zip(rows, cells):
        line = "  ".join(getattr(f, a)(n) for f, n, a in zip(c, lengths, aligns))
        lines.append(colorize(line, row_color(r)) if color else line)
    remaining = columns - len(strip_ansi(lines[0])) if lines else 0
    if row_progress and remaining > 10:
        lines = [ln + progress_bar(r, remaining, color) for ln, r in zip(lines, rows)]
    else:
        lines = [ln[:columns] for ln in lines]
    return [head] + lines


def summary_totals(totals, width):
    strip = 11
    while True:
        strip -= 1
        text = "Total: %d jobs; %s" % (totals[TOTAL], ", ".join(
            "%d %s" % (totals[s], word[:strip]) for s, word in SUMMARY if totals[s] > 0))
        if len(text) <= width or strip <= 2:
            return text


def summary_percentages(totals, width):
    n = totals[TOTAL]
    pct = [round(100.0 * totals[s] / n) if n and totals[s] else 0 for s, _ in SUMMARY]
    text = "Total: %d jobs; %s" % (n, ", ".join("%d%% %s" % (p, w) for p, (_, w) in
                                                zip(pct, SUMMARY)))
    if len(text) > width:
        text = "Total: %d jobs; %s" % (n, ", ".join("%d%% %s" % (p, w[0].upper()) for p, (_, w)
                                                    in zip(pct, SUMMARY)))
    return text


class Display:
    """What to show (condor_watch_q's display options)."""

    def __init__(self, group_by="batch", show_table=True, progress=True, row_progress=True,
                 summary=True, summary_type="totals", updated_at=True, color=False):
        self.key = GROUP_KEYS[group_by]
        self.show_table, self.progress, self.row_progress = show_table, progress, row_progress
        self.summary, self.summary_type = summary, summary_type
        self.updated_at, self.color = updated_at, color


def screen(tracker, d, columns, lines, now=None):
    """The text of one update (no trailing newline)."""
    now = now or datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    headers, rows, totals = rows_and_totals(tracker, d.key)
    msg = []
    if d.show_table:
        msg += table([d.key] + headers, rows, columns, d.row_progress, d.color) + [""]
    if d.progress:
        msg += [progress_bar(totals, columns, d.color), ""]
    if d.summary:
        msg += [summary_totals(totals, columns) if d.summary_type == "totals"
                else summary_percentages(totals, columns), ""]
    if d.updated_at:
        msg += ["Updated at %s" % now, ""]
    if len(msg) > lines:
        msg = msg[:lines - 1]
        return "\n".join(msg[:-1]) + "\nInsufficient terminal height to display full output!"
    return "\n".join(msg[:-1])
