"""Editing job attributes in the queue: condor_qedit and htcondor.Schedd.edit().

An edit list is HTCondor's (condor_qedit's man page): `name value` pairs, or
`name=value` words, or both. Names must be valid attribute names and values
valid ClassAd expressions; Owner, ClusterId, ProcId, MyType, TargetType and
JobStatus are refused (job state changes go through condor_hold/release/rm).
Every edit of one call is one spool transaction: all of it or none.

Only the job's owner or a queue super user may edit a job, as in the schedd.
"""

import re

from pycondorlite import adformat, users

PROTECTED = frozenset(("owner", "clusterid", "procid", "mytype", "targettype", "jobstatus"))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


class EditError(Exception):
    """A refused edit: `msg` is condor_qedit's message for it."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


def check(name, value):
    """Raise EditError unless `name = value` may be set."""
    if name.lower() in PROTECTED:
        raise EditError('Update of attribute "%s" is not allowed.' % name)
    if not name.strip() or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise EditError('Update aborted, illegal attribute-name specified for attribute "%s".'
                        % name)
    if not value.strip() or "\n" in value or "\0" in value:
        raise EditError('Update aborted, illegal attribute-value specified for attribute "%s".'
                        % name)
    try:
        adformat.check_expression(value)
    except ValueError:
        raise EditError('Update aborted, illegal attribute-value specified for attribute "%s".'
                        % name) from None


def parse_edit_list(args):
    """[(name, value)] from condor_qedit's edit-list words. A word `name=value`
    whose name is an attribute name is one edit; otherwise words pair up."""
    edits = []
    i = 0
    while i < len(args):
        word = args[i]
        name, eq, value = word.partition("=")
        if eq and re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*", name) and \
                not value.startswith("="):
            edits.append((name.strip(), value.strip()))
            i += 1
            continue
        if i + 1 >= len(args):
            raise EditError(None)           # a name without a value: usage
        edits.append((word, args[i + 1]))
        i += 2
    return edits


def edit(sp, edits, ids=(), where=None, params=(), constraint=None, user=None):
    """Apply edits [(name, value text)] to explicit job ids [(cid, pid)] and/or
    to the jobs an SQL condition on the jobs table (`where`) AND a ClassAd
    `constraint` select. One transaction.

    Returns (jobs changed, jobs that were not found or not the user's).
    Refused edits raise EditError before anything changes."""
    for name, value in edits:
        check(name, value)
    user = user or users.current_user()
    ev = adformat.Evaluator()
    changes, refused = {}, []
    attrs = {name: value for name, value in edits}
    with sp.transaction():
        targets = []
        for cid, pid in ids:
            j = sp.job(cid, pid)
            if j is None:
                refused.append((cid, pid))
            else:
                targets.append(j)
        if where is not None or constraint is not None:
            for j in sp.jobs(where, params):
                if constraint is None or ev.matches(j, constraint):
                    targets.append(j)
        for j in targets:
            owner = j.literal("Owner")
            if not users.may_modify(user, owner if isinstance(owner, str) else None):
                refused.append(j.id)
                continue
            changes[j.id] = dict(attrs)
        if changes:
            sp.update(changes)
    if changes:
        sp.nudge_schedd()
    return len(changes), refused
