"""htcondor2.Submit over condor_submit's own code (pycondorlite.submit).

A Submit is a mapping of submit commands (names case-insensitive, the first
spelling kept, values raw strings) and the arguments of one queue statement.
Reading a description and making its job ads is SubmitDescription's work, the
very code condor_submit runs; this module only writes the description out as
text and hands item data over as a QueueSpec.
"""

import os
from collections.abc import MutableMapping

from pycondorlite.htcondor._enums import SubmitMethod
from pycondorlite.htcondor._errors import HTCondorException
from pycondorlite.submit.description import SubmitDescription
from pycondorlite.submit.values import SubmitError
from pycondorlite.submit.queue import QueueSpec
from pycondorlite.submit.reader import SubmitSyntaxError

DefaultItemData = object()

# What building a description's ads may refuse it with.
SUBMIT_ERRORS = (SubmitError, SubmitSyntaxError)


def submit_error(e):
    """The HTCondorException of one of SUBMIT_ERRORS."""
    return HTCondorException(getattr(e, "msg", str(e)).strip())


def _strip_queue(args):
    return args[6:] if args.casefold().startswith("queue ") else args


def _describe(text):
    """A SubmitDescription of `text`, its errors as HTCondorException."""
    try:
        return SubmitDescription(text, source="<submit>", cwd=os.getcwd())
    except SubmitSyntaxError as e:
        raise HTCondorException(f"Submit description error on line {e.lineno}: {e.msg}") from None
    except SubmitError as e:
        raise HTCondorException(e.msg.strip()) from None


class Submit(MutableMapping):
    """A job submit description (htcondor2.Submit)."""

    def __init__(self, input=None, queue=None, **kwargs):
        self._table = {}            # lower name -> [name, value]
        self._qargs = None          # None: no queue statement
        self._qblock = None         # the lines of a multi-line `from (` list
        self._method = int(SubmitMethod.PythonBindings)
        if isinstance(input, dict):
            for key, value in input.items():
                if not isinstance(key, str):
                    raise TypeError("key must be a string")
                if key.casefold() == "queue":
                    raise ValueError("the queue statement can not be specified in a dictionary")
                if isinstance(value, (bool, int, float, os.PathLike)):
                    value = str(value)
                elif hasattr(value, "printOld") or type(value).__name__ == "ExprTree":
                    value = str(value)
                elif not isinstance(value, str):
                    raise TypeError("value must be a string")
                self._set(key, value)
        elif isinstance(input, str):
            desc = _describe(input)
            for name, value, _ in desc.macros.table.values():
                self._set(name, value)
            if desc.blocks:
                self._qargs = desc.blocks[0].args
                self._qblock = desc.blocks[0].block
        elif input is not None:
            raise TypeError("input must be a dictionary mapping string to strings, a string, or None")
        self.update(kwargs)
        if queue is not None:
            if not isinstance(queue, str):
                raise TypeError("queue must be a string")
            self.setQArgs(queue)

    def _set(self, name, value):
        hit = self._table.get(name.lower())
        if hit is None:
            self._table[name.lower()] = [name, value]
        else:
            hit[1] = value

    # -- the mapping
    def __getitem__(self, key):
        if not isinstance(key, str):
            raise TypeError("key must be a string")
        hit = self._table.get(key.lower())
        if hit is None:
            raise KeyError(key)
        return hit[1]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError("key must be a string")
        if not isinstance(value, str):
            raise TypeError("value must be a string")
        self._set(key, value)

    def __delitem__(self, key):
        raise NotImplementedError("Submit object keys can not be removed, but the empty string "
                                  "is defined to have no effect.")

    def __iter__(self):
        return iter([name for name, _ in self._table.values()])

    def __len__(self):
        return len(self._table)

    def __str__(self):
        out = "".join(f"{k} = {v}\n" for k, v in self.items())
        q = self.getQArgs()
        return out + ("queue\n" if q == "" else f"queue {q}\n")

    def __repr__(self):
        return f"Submit({self})"

    # -- the submit language
    def _text(self, qargs=None, with_block=True):
        """The description as submit-file text, with one queue statement."""
        q = self.getQArgs() if qargs is None else qargs
        text = "".join(f"{k} = {v}\n" for k, v in self.items())
        text += f"queue {q}\n" if q else "queue\n"
        if with_block and qargs is None and self._qblock is not None:
            text += "\n".join(self._qblock) + "\n)\n"
        return text

    def expand(self, attr):
        """The value of `attr` with all macros expanded (KeyError if not set)."""
        if not isinstance(attr, str):
            raise TypeError("attr must be a string")
        if attr.lower() not in self._table:
            raise KeyError(attr)
        desc = _describe(self._text())
        try:
            return desc.macros.param(attr) or ""
        except Exception as e:      # a macro the language cannot expand
            raise HTCondorException(str(e)) from None

    def getQArgs(self):
        return "" if self._qargs is None else self._qargs

    def setQArgs(self, args):
        if not isinstance(args, str):
            raise TypeError("args must be a string")
        self._qargs = _strip_queue(args)
        self._qblock = None

    def itemdata(self, qargs=None):
        """An iterator over the item data of the queue statement (dicts of
        variable -> value), or None when it has none."""
        q = self.getQArgs() if qargs is None else _strip_queue(qargs)
        text = self._text(q if qargs is not None else None)
        desc = _describe(text)
        try:
            spec = desc.spec(desc.blocks[0])
        except SubmitSyntaxError as e:
            raise HTCondorException(e.msg) from None
        if spec.items is None:
            return None
        return iter([dict(d) for _, d in spec.items])

    def setSubmitMethod(self, method_value=-1, allow_reserved_values=False):
        method_value = int(method_value)
        if 0 <= method_value < 100 and not allow_reserved_values:
            raise ValueError("Submit method value must be 100 or greater, or "
                             "allowed_reserved_values must be True.")
        self._method = method_value

    def getSubmitMethod(self):
        return self._method

    # -- job ads (htcondor version 1's jobs()/procs(): htcondor2 raises NotImplementedError)
    def jobs(self, count=0, itemdata=None, clusterid=1, procid=0, qdate=0, owner=""):
        """The job ads condor_submit would queue, one merged ClassAd per job."""
        for cluster, proc in self._ads(count, itemdata, clusterid, procid, qdate, owner):
            merged = dict(cluster)
            merged.update(proc)
            yield _classad(merged)

    def procs(self, count=0, itemdata=None, clusterid=1, procid=0, qdate=0, owner=""):
        """The first job's whole ad, then for each other job ProcId, JobStatus
        and what differs from the first job, as htcondor's procs() gives them."""
        prev = None
        for cluster, proc in self._ads(count, itemdata, clusterid, procid, qdate, owner):
            merged = dict(cluster, **proc)
            if prev is None:
                yield _classad(merged)
            else:
                yield _classad({k: v for k, v in merged.items()
                                if k in ("ProcId", "JobStatus") or prev.get(k) != v})
            prev = prev or merged

    def _ads(self, count, itemdata, clusterid, procid, qdate, owner):
        if itemdata is None:
            itemdata = DefaultItemData
        results = self.build(count=count, itemdata=itemdata, cluster_id=clusterid,
                             first_proc=procid, now=qdate or None, owner=owner or None)
        for cluster, procs, _ in results:
            for p in procs:
                yield cluster, p

    def prepare(self, count=0, itemdata=DefaultItemData, queue=None):
        """(SubmitDescription, QueueSpec) of this description with count, item
        data or queue arguments put in, as Schedd.submit() takes them."""
        if queue is not None and (count or itemdata is not DefaultItemData):
            raise ValueError("queue and count/itemdata are mutually exclusive")
        desc = _describe(self._text(_strip_queue(queue) if queue is not None else None))
        blk = desc.blocks[0]
        try:
            spec = desc.spec(blk)
        except SubmitSyntaxError as e:
            raise HTCondorException(e.msg) from None
        if itemdata is not DefaultItemData and itemdata is not None:
            spec = _spec_from_itemdata(itemdata, spec)
            blk._spec = spec
        if count:
            spec.count = int(count)
        return desc, spec

    def build(self, count=0, itemdata=DefaultItemData, queue=None, cluster_id=1, first_proc=0,
              now=None, owner=None):
        """[(cluster ad, [proc ads], QueueSpec)] of texts, as condor_submit builds
        them (SubmitDescription.jobs)."""
        desc, _ = self.prepare(count, itemdata, queue)
        try:
            results = desc.jobs(cluster_id=cluster_id, first_proc=first_proc, owner=owner,
                                now=now)
        except SUBMIT_ERRORS as e:
            raise submit_error(e) from None
        return [(None if c is None else self.stamp(c), p, s) for c, p, s in results]

    def stamp(self, cluster):
        """The cluster ad with this description's JobSubmitMethod."""
        cluster = dict(cluster)
        if self._method < 0:
            cluster.pop("JobSubmitMethod", None)
        else:
            cluster["JobSubmitMethod"] = str(self._method)
        return cluster


def _spec_from_itemdata(itemdata, spec):
    """A QueueSpec of the given items (strings, or dicts whose first one names
    the variables), keeping the statement's count."""
    items = list(itemdata)
    if not items:
        return QueueSpec(spec.count, spec.vars or ["Item"], [], spec.mode)
    first = items[0]
    if isinstance(first, str):
        names = ["Item"]
    elif isinstance(first, dict):
        if any(not isinstance(k, str) for k in first):
            raise TypeError("itemdata dictionaries must have string keys")
        names = list(first)
    else:
        raise TypeError("itemdata must be a list of strings or dictionaries")
    rows = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            if "\n" in item or "\x1f" in item:
                raise ValueError("itemdata strings must not contain newlines")
            rows.append((i, {"Item": item.strip()}))
        elif isinstance(item, dict):
            values = {k: str(item.get(k, "")) for k in names}
            if any("\n" in v for v in values.values()) or any("\n" in k for k in item):
                raise ValueError("itemdata values must not contain newlines")
            rows.append((i, {k: v.strip() for k, v in values.items()}))
        else:
            raise TypeError("itemdata must be a list of strings or dictionaries")
    return QueueSpec(spec.count, names, rows, "from")


def _classad(texts):
    from pycondorlite.collector import classad_from_texts
    return classad_from_texts(texts.items())
