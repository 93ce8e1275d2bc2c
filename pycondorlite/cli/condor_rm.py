"""condor_rm, condor_hold and condor_release: one program, the mode from its name.

Arguments, messages and exit codes follow HTCondor's rm.cpp and the result
strings of dc_schedd.cpp; the work is pycondorlite.jobactions.act().
"""

import os
import re
import sqlite3
import sys

from pycondorlite import adformat, jobactions as ja
from pycondorlite.cmdline import MAX_ID, Done, Opt, Parser, Usage, text
from pycondorlite.spool import Spool, SpoolError

PAST = {ja.REMOVE: "marked for removal", ja.REMOVE_X: "removed locally (remote state unknown)",
        ja.HOLD: "held", ja.RELEASE: "released"}
VERB = {ja.REMOVE: "remove", ja.REMOVE_X: "remove", ja.HOLD: "hold", ja.RELEASE: "release"}
REASON_KIND = {ja.REMOVE: "RemoveReason", ja.REMOVE_X: "RemoveReason", ja.HOLD: "HoldReason",
               ja.RELEASE: "ReleaseReason"}

CT_NONE, CT_ALL, CT_CLUSTER, CT_USER, CT_SIMPLE, CT_COMPLEX = range(6)


class Exit(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def usage_text(name, mode):
    word = VERB[mode]
    out = ["Usage: %s [options] [constraints]\n" % name,
           " where [options] is zero or more of:\n",
           "  -help               Display this message and exit\n",
           "  -version            Display version information and exit\n",
           "  -long               Display full result classad\n",
           "  -totals             Display success/failure totals\n",
           "  -debug              Display debugging information while running\n",
           "  -name schedd_name   Connect to the given schedd\n",
           "  -pool hostname      Use the given central manager to find daemons\n",
           "  -addr <ip:port>     Connect directly to the given \"sinful string\"\n"]
    if mode in (ja.REMOVE, ja.REMOVE_X):
        out.append("  -reason reason      Use the given RemoveReason\n")
    elif mode == ja.RELEASE:
        out.append("  -reason reason      Use the given ReleaseReason\n")
    elif mode == ja.HOLD:
        out.append("  -reason reason      Use the given HoldReason\n")
        out.append("  -subcode number     Set HoldReasonSubCode\n")
    if mode in (ja.REMOVE, ja.REMOVE_X):
        out.append("  -forcex             Force the immediate local removal of jobs in the X state\n"
                   "                      (only affects jobs already being removed)\n")
    out.append(" and where [constraints] is one of:\n")
    out.append("  cluster.proc        %s the given job\n" % word)
    out.append("  cluster             %s the given cluster of jobs\n" % word)
    out.append("  user                %s all jobs owned by user\n" % word)
    out.append("  -constraint expr    %s all jobs matching the boolean expression\n" % word)
    out.append("  -all                %s all jobs (cannot be used with other constraints)\n" % word)
    return "".join(out)


def usage(name, mode, code=1):
    sys.stderr.write(usage_text(name, mode))
    raise Exit(code)


_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_LONG = re.compile(r"[+-]?[0-9]+")


def _is_number_like(arg):
    """str_isint(arg) || str_isreal(arg, true)."""
    return bool(_REAL.match(arg))


def _strtol(text):
    """C strtol: (value, rest); no digits gives (0, text)."""
    m = _LONG.match(text)
    if not m:
        return 0, text
    return int(m.group(0)), text[m.end():]


class State:
    def __init__(self, name, mode):
        self.name, self.mode = name, mode
        self.had_error = False
        self.long = self.totals = False
        self.reason = None
        self.subcode = 0
        self.job_ids = []               # explicit cluster.proc, in order
        self.has_constraint = CT_NONE
        self.constraint = ""            # the global constraint text (for messages)
        self.user_constraints = []      # -constraint texts (AND-ed)
        self.all = False
        self.has_usercluster = CT_NONE
        self.usercluster = ""
        self.clusters = []
        self.users = []

    def add_constraint(self, text, ctype):
        if self.has_constraint in (CT_NONE, CT_ALL):
            self.constraint = text
            self.has_constraint = ctype
        elif self.has_constraint == CT_COMPLEX:
            self.constraint += " && (%s)" % text
        else:
            self.constraint = "(%s) && (%s)" % (self.constraint, text)
            self.has_constraint = CT_COMPLEX

    def add_usercluster(self, text, ctype):
        if not self.has_usercluster:
            self.usercluster = text
            self.has_usercluster = ctype
        else:
            self.usercluster += " || " + text
            self.has_usercluster = CT_COMPLEX

    def proc_arg(self, arg):
        if _is_number_like(arg):
            c, rest = _strtol(arg)
            if c <= 0 or c > MAX_ID:
                sys.stderr.write("Invalid cluster # from %s.\n" % arg)
                self.had_error = True
                return
            if not rest:
                self.clusters.append(c)
                self.add_usercluster("ClusterId == %d" % c, CT_CLUSTER)
                return
            if rest[0] == ".":
                p, tail = _strtol(rest[1:])
                if p < 0 or p > MAX_ID:
                    sys.stderr.write("Invalid proc # from %s.\n" % arg)
                    self.had_error = True
                    return
                if not tail:
                    self.job_ids.append((c, p))
                    return
            sys.stderr.write('Warning: unrecognized "%s" skipped.\n' % arg)
            return
        arg = text(arg)
        self.users.append(arg)
        self.add_usercluster('Owner == "%s"' % arg, CT_USER)


def mode_from_name(name):
    us = name.find("_")
    tail = name[us:].lower() if us >= 0 else ""
    if tail.startswith("_hold"):
        return ja.HOLD
    if tail.startswith("_release"):
        return ja.RELEASE
    if tail.startswith("_rm"):
        return ja.REMOVE
    return None


def _options(mode):
    return [
        Opt("debug", 1, colon=True),
        Opt("long", 1), Opt("totals", 3),
        Opt("constraint", 1, args=1, no_dash=True,
            missing="{prog}: -constraint requires another argument"),
        Opt("all", 1),
        Opt("addr", 2, args=1, no_dash=True, missing="{prog}: -addr requires another argument"),
        Opt("reason", 1, args=1, missing="{prog}: -reason requires another argument"),
        Opt("subcode", 1, args=1, missing="{prog}: -subcode requires another argument"),
        Opt("forcex", 1 if mode == ja.REMOVE else 2),
        Opt("name", 1, args=1, missing="{prog}: -name requires another argument"),
        Opt("pool", 1, args=1, missing="{prog}: -pool requires another argument"),
        Opt("version", 1), Opt("help", 1),
    ]


def parse(argv, st):
    parser = Parser(st.name, _options(st.mode), unknown="Unrecognized option: {arg}",
                    usage=lambda prog: usage_text(prog, st.mode), help_stream="stderr")
    for h in parser.parse(argv):
        k = h.key
        if k == "long":
            st.long = True
        elif k == "totals":
            st.totals = True
        elif k == "constraint":
            try:
                adformat.check_expression(h.value)
            except ValueError:
                raise Usage("%s: invalid constraint %s" % (st.name, h.value))
            st.user_constraints.append(h.value)
            st.add_constraint(h.value, CT_SIMPLE)
        elif k == "all":
            if st.has_constraint or st.has_usercluster:
                raise Usage("%s: can't mix -all with other constraints" % st.name)
            st.all = True
            st.add_constraint("ClusterId >= 0", CT_ALL)
        elif k == "addr":
            if not (h.value.startswith("<") and h.value.endswith(">")):
                raise Usage('%s: "%s" is not a valid address\n'
                            "Should be of the form <ip.address.here:port>\n"
                            "For example: <123.456.789.123:6789>" % (st.name, h.value))
        elif k == "reason":
            st.reason = h.value
        elif k == "subcode":
            try:
                st.subcode = int(h.value)
            except ValueError:
                raise Usage("Invalid -subcode %s!" % h.value)
            if not -2**31 <= st.subcode < 2**31:
                raise Usage("Invalid -subcode %s!" % h.value)
        elif k == "forcex":
            if st.mode in (ja.REMOVE, ja.REMOVE_X):
                st.mode = ja.REMOVE_X
            else:
                raise Usage("-forcex is only valid with condor_rm", usage=True)
        elif k is None:
            if st.has_constraint == CT_ALL:
                raise Usage(None, usage=True)
            st.proc_arg(h.arg)


def _totals_line(outcome):
    return ("%d Succeeded, %d Failed, %d Not Found, %d Bad Status, %d Already Done, "
            "%d Permission Denied\n" % (outcome.count(ja.SUCCESS), outcome.count(ja.ERROR),
                                        outcome.count(ja.NOT_FOUND), outcome.count(ja.BAD_STATUS),
                                        outcome.count(ja.ALREADY_DONE),
                                        outcome.count(ja.PERMISSION_DENIED)))


def result_string(mode, code, cid, pid):
    """(text, success?) as DCSchedd's JobActionResults::getResultString words it."""
    jid = "%d.%d" % (cid, pid)
    if code == ja.SUCCESS:
        return "Job %s %s" % (jid, PAST[mode]), True
    if code == ja.NOT_FOUND:
        return "Job %s not found" % jid, False
    if code == ja.PERMISSION_DENIED:
        verb = "force removal of" if mode == ja.REMOVE_X else VERB[mode]
        return "Permission denied to %s job %s" % (verb, jid), False
    if code == ja.BAD_STATUS:
        if mode == ja.RELEASE:
            return "Job %s not held to be released" % jid, False
        if mode == ja.REMOVE_X:
            return "Job %s not in `X' state to be forcibly removed" % jid, False
        return "Invalid result for job %s" % jid, False
    if code == ja.ALREADY_DONE:
        if mode == ja.HOLD:
            return "Job %s already held" % jid, False
        if mode == ja.REMOVE:
            return "Job %s already marked for removal" % jid, False
        if mode == ja.RELEASE:
            return "Job %s already released" % jid, False
    return "No result found for job %s" % jid, False


def run(st):
    sp = Spool.open()
    try:
        if st.job_ids:
            if st.has_constraint:
                sys.stderr.write("Warning, -constraint is ignored for fully qualified job ids\n")
            out = ja.act(sp, st.mode, ids=st.job_ids, reason=st.reason, subcode=st.subcode)
            if st.totals:
                sys.stdout.write(_totals_line(out))
            if not out.any_success:
                st.had_error = True
                sys.stderr.write("\n")
            for cid, pid in st.job_ids:
                text, ok = result_string(st.mode, out.results.get((cid, pid), ja.ERROR), cid, pid)
                (sys.stdout if ok else sys.stderr).write(text + "\n")
        handle_constraints(sp, st)
    finally:
        sp.close()


def handle_constraints(sp, st):
    if st.has_usercluster:
        st.add_constraint(st.usercluster, st.has_usercluster)
    if not st.has_constraint:
        return
    tmp = st.constraint
    if st.has_constraint == CT_USER:
        cmsg = " of user %s" % tmp.split(" == ", 1)[1]
    elif st.has_constraint == CT_CLUSTER:
        cmsg = " in cluster %s" % tmp.split(" == ", 1)[1]
    elif st.has_constraint == CT_ALL:
        cmsg = ""
    else:
        cmsg = " matching constraint (%s)" % tmp
    # the user/cluster part becomes SQL on indexed columns; -constraint texts are ClassAds
    where, params = [], []
    ors = []
    if st.clusters:
        ors.append("cluster_id IN (%s)" % ",".join("?" * len(st.clusters)))
        params += st.clusters
    if st.users:
        ors.append("owner IN (%s)" % ",".join("?" * len(st.users)))
        params += st.users
    if ors:
        where.append("(" + " OR ".join(ors) + ")")
    constraint = None
    if st.user_constraints:
        constraint = " && ".join("(%s)" % c for c in st.user_constraints)
    out = ja.act(sp, st.mode, where=" AND ".join(where) if where else "1", params=params,
                 constraint=constraint, reason=st.reason, subcode=st.subcode)
    if st.totals:
        sys.stdout.write(_totals_line(out))
    if out.any_success:
        sys.stdout.write("All jobs%s have been %s\n" % (cmsg, PAST[st.mode]))
        return
    if out.total_jobs > 0:
        st.had_error = True
        sys.stderr.write("\n")
        sys.stderr.write("Couldn't find/%s all jobs%s\n" % (VERB[st.mode], cmsg))
    else:
        sys.stderr.write("%s:0:There are no jobs in the queue\n" % st.name)


def main(argv=None):
    name = os.path.basename(sys.argv[0])
    argv = sys.argv[1:] if argv is None else argv
    mode = mode_from_name(name)
    try:
        if mode is None:
            sys.stderr.write('Unrecognized command name, "%s"\n' % name)
            usage(name, ja.REMOVE)
        st = State(name, mode)
        if not argv:
            sys.stderr.write("You did not specify any jobs\n")
            usage(name, mode)
        try:
            parse(argv, st)
        except Done as e:
            return e.code
        except Usage as e:
            if e.msg:
                sys.stderr.write(e.msg + "\n")
            if e.usage:
                usage(name, st.mode)
            return e.code
        if st.had_error and not (st.has_constraint or st.has_usercluster or st.job_ids):
            return 1
        if not st.has_constraint and not st.has_usercluster and not st.job_ids:
            sys.stderr.write("You did not specify any jobs\n")
            usage(name, st.mode)
        run(st)
    except Exit as e:
        return e.code
    except (SpoolError, sqlite3.Error) as e:
        sys.stderr.write("%s: %s\n" % (name, e))
        return 1
    sys.stdout.flush()
    return 1 if st.had_error else 0


if __name__ == "__main__":
    sys.exit(main())
