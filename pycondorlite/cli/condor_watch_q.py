"""condor_watch_q: follow jobs through their user logs (HTCondor's condor_watch_q).

    condor_watch_q [-users U ...] [-clusters C ...] [-files F ...] [-batches B ...]
                   [-exit GROUPER,STATUS[,EXIT]] [-groupby batch|log|cluster]
                   [-[no-]table] [-[no-]progress] [-[no-]row-progress] [-[no-]summary]
                   [-summary-type totals|percentages] [-[no-]updated-at]
                   [-[no-]color] [-[no-]refresh]

One query to the schedd finds the logs; from then on only the logs are read,
every two seconds. The model and the screen are pycondorlite.watchq.
"""

import datetime
import os
import shutil
import sys
import time

from pycondorlite import users, watchq
from pycondorlite.cmdline import MANY, Done, Opt, Parser, Usage, unique_prefixes

PROG = "condor_watch_q"
REFRESH_SECONDS = 2.0
TOGGLES = ["table", "progress", "row-progress", "summary", "updated-at", "abbreviate", "color",
           "refresh"]
_NAMES = (["help", "debug", "users", "clusters", "files", "batches", "collector", "schedd", "exit",
           "groupby", "summary-type"] + TOGGLES + ["no-" + t for t in TOGGLES])
_MIN = unique_prefixes(_NAMES)
USAGE = ("usage: condor_watch_q [-help] [-debug] [-users USER [USER ...]]\n"
         "                      [-clusters CLUSTER_ID [CLUSTER_ID ...]]\n"
         "                      [-files FILE [FILE ...]]\n"
         "                      [-batches BATCH_NAME [BATCH_NAME ...]]\n"
         "                      [-collector COLLECTOR] [-schedd SCHEDD]\n"
         "                      [-exit GROUPER,JOB_STATUS[,EXIT_STATUS]]\n"
         "                      [-groupby {batch,log,cluster}] [-table] [-progress]\n"
         "                      [-row-progress] [-summary]\n"
         "                      [-summary-type {totals,percentages}] [-updated-at]\n"
         "                      [-abbreviate] [-color] [-refresh]\n")


def _opt(name, args=0):
    missing = f"{PROG}: error: argument -{name}: expected " + (
        "at least one argument" if args == MANY else "one argument")
    return Opt(name, _MIN[name], args=args, missing=missing, usage_on_missing=True)


OPTIONS = ([_opt("help"), _opt("debug"), _opt("users", MANY), _opt("clusters", MANY),
            _opt("files", MANY), _opt("batches", MANY), _opt("collector", 1), _opt("schedd", 1),
            _opt("exit", 1), _opt("groupby", 1), _opt("summary-type", 1)]
           + [_opt(t) for t in TOGGLES] + [_opt("no-" + t) for t in TOGGLES])


def _error(msg):
    return Usage(f"{PROG}: error: {msg}", usage=True, code=2)


def _hint(arg, rest):
    """condor_watch_q's advice for condor_q habits (check_unknown_args_for_known_errors)."""
    if arg.isdigit():
        ids = [arg] + [a for a in rest if a.isdigit()]
        return "to track specific cluster IDs, try -clusters " + " ".join(ids)
    if "-totals" in arg:
        return "to only print totals, try -no-table"
    if "-userlog" in arg:
        return "to track jobs from specific event logs, try -files " + " ".join(
            a for a in rest if not a.startswith("-"))
    if "-nobatch" in arg:
        return "to group by something other than batch name, try -groupby {batch,log,cluster}"
    if not arg.startswith("-"):
        return "to track jobs from specific users, try -users " + " ".join(
            [arg] + [a for a in rest if not a.isdigit()])
    return None


class Settings:
    def __init__(self, tty):
        self.users = self.clusters = self.files = self.batches = None
        self.exits = []
        self.group_by = "batch"
        self.flags = {t: True for t in TOGGLES}
        self.flags["abbreviate"] = False
        self.flags["color"] = self.flags["refresh"] = tty


def parse(argv, tty):
    s = Settings(tty)
    parser = Parser(PROG, OPTIONS, USAGE, unknown="", help_stream="stdout")
    try:
        hits = parser.parse(argv)
    except Usage as e:
        if e.msg == "":
            bad = next(a for a in argv if a.startswith("-") and parser.lookup(a)[0] is None)
            rest = argv[argv.index(bad) + 1:]
            hint = _hint(bad, rest)
            raise Usage(f"{PROG}: error: argument {bad}: {hint}" if hint else
                        f"{PROG}: error: unrecognized arguments: {bad}",
                        usage=True, code=1 if hint else 2)
        raise Usage(e.msg, usage=True, code=2)
    for h in hits:
        k = h.key
        if k is None:
            rest = argv[h.index + 1:]
            raise Usage(f"{PROG}: error: argument {h.arg}: {_hint(h.arg, rest)}", usage=True)
        if k in ("users", "files", "batches"):
            setattr(s, k, (getattr(s, k) or []) + h.values)
        elif k == "clusters":
            bad = [v for v in h.values if not (v.isascii() and v.isdigit()) or len(v) > 10]
            if bad:
                raise _error(f"argument -clusters: invalid cluster id: '{bad[0]}'")
            s.clusters = (s.clusters or []) + [int(v) for v in h.values]
        elif k == "exit":
            s.exits.append(_exit_condition(h.value))
        elif k == "groupby":
            if h.value not in watchq.GROUP_KEYS:
                raise _error(f"argument -groupby: invalid choice: '{h.value}' (choose from "
                             f"'batch', 'log', 'cluster')")
            s.group_by = h.value
        elif k == "summary-type":
            if h.value not in ("totals", "percentages"):
                raise _error(f"argument -summary-type: invalid choice: '{h.value}' (choose from "
                             f"'totals', 'percentages')")
            s.summary_type = h.value
        elif k in TOGGLES:
            s.flags[k] = True
        elif k.startswith("no-"):
            s.flags[k[3:]] = False
    return s


def _exit_condition(text):
    v = text.split(",")
    if len(v) not in (2, 3):
        raise _error("invalid -exit specification")
    grouper, status = v[0], v[1]
    if grouper not in watchq.EXIT_GROUPERS:
        raise _error(f'invalid GROUPER "{grouper}", must be one of {{all, any, none}}')
    if status not in watchq.EXIT_CHECKS:
        raise _error(f'invalid JOB_STATUS "{status}", must be one of {{active, done, idle, held}}')
    code = 0
    if len(v) == 3:
        try:
            code = int(v[2])
        except ValueError:
            raise _error(f'exit_status must be an integer, but was "{v[2]}"')
        if not -2**31 <= code < 2**31:
            raise _error(f'exit_status must be an integer, but was "{v[2]}"')
    return grouper, status, code


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    tty = sys.stdout.isatty()
    try:
        s = parse(args, tty)
    except Usage as e:
        if e.usage:
            sys.stderr.write(USAGE)
        if e.msg:
            sys.stderr.write(e.msg + "\n")
        return e.code
    except Done as e:               # -help
        return e.code
    try:
        return watch(s)
    except KeyboardInterrupt:
        return 0


def watch(s):
    import pycondorlite.htcondor as htcondor2
    if s.users is None and s.clusters is None and s.files is None and s.batches is None:
        s.users = [users.current_user()]
    try:
        schedd = htcondor2.Schedd()
        logs, batch_names, warnings = watchq.find_logs(schedd, s.users or (), s.clusters or (),
                                                       s.files or (), s.batches or ())
    except htcondor2.HTCondorException as e:
        sys.stderr.write(f"WARNING: Was not able to query to discover job event logs due to: {e}\n")
        logs, batch_names, warnings = {os.path.abspath(f) for f in s.files or ()}, {}, []
    for w in warnings:
        sys.stderr.write(f"WARNING: {w}\n")
    if not logs:
        sys.stderr.write("WARNING: No jobs found, exiting...\n")
        return 0
    tracker = watchq.Tracker(logs, batch_names)
    for w in tracker.warnings:
        sys.stderr.write(f"WARNING: {w}\n")
    d = watchq.Display(s.group_by, s.flags["table"], s.flags["progress"], s.flags["row-progress"],
                       s.flags["summary"], getattr(s, "summary_type", "totals"),
                       s.flags["updated-at"], s.flags["color"])
    refresh = s.flags["refresh"]
    out = sys.stdout
    previous = None
    while True:
        if refresh:
            out.write("Processing new events...")
            out.flush()
        messages = tracker.process_events()
        now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        if refresh:
            out.write("\r" + " " * len("Processing new events...") + "\r")
        columns, lines = shutil.get_terminal_size()
        text = watchq.screen(tracker, d, columns, lines, now) if tracker.clusters else \
            _empty_screen(d, now)
        if not refresh:
            text += "\n..."
        if previous is not None and refresh:
            prev = watchq.strip_ansi(previous).splitlines()
            move = "\033[%dA\r" % len(prev)
            out.write(move + "\n".join(" " * len(ln) for ln in prev) + "\n" + move)
        for m in messages:
            sys.stderr.write(f"{now} | {m}\n")
        out.write(text + "\n")
        out.flush()
        previous = text
        states = list(tracker.states())     # all([]) is true, as in HTCondor's
        for grouper, status, code in s.exits:
            if watchq.EXIT_GROUPERS[grouper](watchq.EXIT_CHECKS[status](x) for x in states):
                out.write(f'Exiting with code {code} because of condition "{grouper} {status}" '
                          f"at {now}\n")
                out.flush()
                return code
        time.sleep(REFRESH_SECONDS)


def _empty_screen(d, now):
    return "Updated at %s" % now if d.updated_at else ""


if __name__ == "__main__":
    sys.exit(main())
