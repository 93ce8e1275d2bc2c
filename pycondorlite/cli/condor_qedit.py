"""condor_qedit: change attributes of queued jobs (HTCondor's qedit.cpp).

    condor_qedit [-debug] [-n schedd] [-pool pool] [-forward]
                 {cluster | cluster.proc | owner | -constraint expr} edit-list

The edit list is `name value ...` or `name=value ...`; see pycondorlite.qedit.
"""

import sqlite3
import sys

from pycondorlite import qedit
from pycondorlite.cmdline import MAX_ID, Opt, Parser, Usage, text
from pycondorlite.spool import Spool, SpoolError

PROG = "condor_qedit"
USAGE = ("Usage: %s [-debug] [-n schedd-name] [-pool pool-name] [-forward] "
         "{cluster | cluster.proc | owner | -constraint constraint} edit-list\n")
OPTIONS = [
    Opt("debug", 1),
    Opt("name", 1, args=1, missing="{prog}: -n requires another argument"),
    Opt("pool", 1, args=1, missing="{prog}: -pool requires another argument"),
    Opt("forward", 1),
    Opt("constraint", 1, args=1, missing=None, usage_on_missing=True),
    Opt("help", 1), Opt("version", 1),
]
PARSER = Parser(PROG, OPTIONS, lambda prog: USAGE % prog, help_stream="stderr",
                unknown="", version=Opt("version", 1))


def _usage():
    return Usage(None, usage=True)


def _split(argv):
    """(option words before the target, the rest): options end at the first
    word that is not one (edit values such as -1 are not options)."""
    i = 0
    while i < len(argv):
        opt, _ = PARSER.lookup(argv[i])
        if opt is None:
            if PARSER.help.matches(argv[i])[0] or PARSER.version.matches(argv[i])[0]:
                i += 1
                continue
            break
        i += 1 + opt.args
    return argv[:i], argv[i:]


def _strtol(text):
    digits = ""
    for ch in text:
        if not ch.isdigit() or not ch.isascii():
            break
        digits += ch
    return (int(digits) if digits else 0), text[len(digits):]


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    try:
        # only the options before the target are options (edit values may be -1):
        # _run parses them; PARSER.run gives its errors, -help and -version their output
        return PARSER.run([], lambda _hits: _run(args))
    except (SpoolError, sqlite3.Error) as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 1


def _run(argv):
    if not argv:
        raise _usage()
    head, rest = _split(argv)
    constraints = []
    for h in PARSER.parse(head):
        if h.key == "constraint":
            constraints.append(h.value)
    ids, where, params = [], None, ()
    target = None
    if rest and rest[0][:1].isdigit():
        target = rest.pop(0)
        cid, tail = _strtol(target)
        if cid <= 0 or cid > MAX_ID:
            raise Usage("Invalid cluster # from %s." % target)
        if tail.startswith("."):
            pid, tail = _strtol(tail[1:])
            if pid > MAX_ID or tail:
                raise Usage("Invalid proc # from %s." % target)
            ids = [(cid, pid)]
        else:
            where, params = "cluster_id = ?", (cid,)
    elif rest and not constraints:
        target = text(rest.pop(0))
        where, params = "owner = ?", (target,)
    # more -constraint options may follow the target
    while rest and PARSER.lookup(rest[0])[0] is not None and \
            PARSER.lookup(rest[0])[0].key == "constraint":
        if len(rest) < 2:
            raise _usage()
        if ids:
            sys.stderr.write("condor_qedit: proc_id specified. Ignoring constraint option\n")
        else:
            constraints.append(rest[1])
        rest = rest[2:]
    if not rest or (not ids and where is None and not constraints):
        raise _usage()
    try:
        edits = qedit.parse_edit_list(rest)
    except qedit.EditError:
        raise _usage()
    constraint = None
    if constraints and not ids:
        constraint = " && ".join("(%s)" % c for c in constraints)
        try:
            qedit.check("X", constraint)
        except qedit.EditError:
            raise Usage("Update aborted, illegal constraint specified: %s\n"
                        "Transaction failed.  No attributes were set." % constraint)
    if where is None and constraint is not None and not ids:
        where = None
    sp = Spool.open()
    try:
        changed, refused = qedit.edit(sp, edits, ids=ids, where=where, params=params,
                                      constraint=constraint if not ids else None)
    except qedit.EditError as e:
        raise Usage(e.msg + "\nTransaction failed.  No attributes were set.")
    finally:
        sp.close()
    if not changed:
        name = edits[0][0]
        if ids:
            msg = 'Failed to set attribute "%s" for job %d.%d.' % ((name,) + ids[0])
        else:
            shown = [("(ClusterId == %d)" % params[0]) if where == "cluster_id = ?" else
                     ('(Owner == "%s")' % params[0]) if where == "owner = ?" else None,
                     constraint]
            msg = 'Failed to set attribute "%s" by constraint: %s' % (
                name, " && ".join(s for s in shown if s))
        raise Usage(msg + "\nTransaction failed.  No attributes were set.")
    for name, _ in edits:
        print('Set attribute "%s".' % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
