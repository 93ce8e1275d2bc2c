"""condor_q -print-format FILE: HTCondor's print format files.

    # comment
    SELECT [BARE | NOTITLE | NOHEADER | NOSUMMARY]
       expr [AS label] [PRINTF fmt | PRINTAS function] [WIDTH [-]N | WIDTH AUTO]
            [LEFT | RIGHT] [NOPREFIX] [NOSUFFIX] [TRUNCATE]
       ...
    WHERE constraint        (AND ... continues it)
    SUMMARY [STANDARD | NONE]

Columns are laid out as queueview lays out condor_q's own formats (one
space between columns; WIDTH N right-aligns, -N or LEFT left-aligns).
"""

import shlex

from pycondorlite import jobstatus as js
from pycondorlite import adformat, queueview
from pycondorlite.printmask import render


class PrintFormatError(Exception):
    pass


def _status(j, ev):
    return js.letter(j.status)


PRINTAS = {
    "QDATE": lambda j, ev: queueview.qdate(queueview._int(j, "QDate", 0)),
    "RUNTIME": lambda j, ev: queueview.run_time(j, __import__("time").time()) or "",
    "CPU_TIME": lambda j, ev: queueview.format_time(queueview._num(j, "RemoteUserCpu", 0)),
    "JOB_STATUS": lambda j, ev: queueview.status_cell(j),
    "JOB_STATUS_RAW": _status,
    "OWNER": lambda j, ev: queueview.owner_of(j) or "",
    "MEMORY_USAGE": lambda j, ev: queueview.memory_cell(j) or "",
    "JOB_DESCRIPTION": lambda j, ev: queueview.description(j) or "",
    "BATCH_NAME": lambda j, ev: queueview.batch_name(j) or "ID: %d" % j.cluster_id,
    "JOB_ID": lambda j, ev: "%d.%d" % j.id,
    "JOB_UNIVERSE": lambda j, ev: js.UNIVERSES.get(queueview._int(j, "JobUniverse", 0), ""),
}
_WORDS = {"AS", "PRINTF", "PRINTAS", "WIDTH", "LEFT", "RIGHT", "NOPREFIX", "NOSUFFIX", "TRUNCATE",
          "OR", "FIT"}


class Column:
    def __init__(self, expr):
        self.expr, self.label, self.printf, self.printas = expr, None, None, None
        self.width, self.auto, self.left = 0, False, False
        self.noprefix = self.nosuffix = False


class PrintFormat:
    def __init__(self):
        self.columns = []
        self.title = self.header = True
        self.summary = "standard"
        self.where = None

    def render(self, jobs, ev=None):
        ev = ev or adformat.Evaluator()
        cells = [[self._cell(c, j, ev) for c in self.columns] for j in jobs]
        cols = []
        for i, c in enumerate(self.columns):
            head = c.label if c.label is not None else c.expr
            width = c.width
            if c.auto or not width:
                width = max([len(head)] + [len(r[i]) for r in cells]) if c.auto else 0
            col = queueview.Col(head, width if not c.left else width, left=c.left or c.width < 0,
                                noprefix=c.noprefix)
            col.width = abs(width)
            cols.append(col)
        out = [queueview.header_line(cols)] if self.header else []
        out += [queueview.row_line(cols, r) for r in cells]
        return "".join(out)

    @staticmethod
    def _cell(c, j, ev):
        if c.printas:
            return PRINTAS[c.printas](j, ev)
        if c.printf:
            return render([j], [("format", c.printf, c.expr)], ev)
        return adformat.value_v(ev.value(j, c.expr))


def read(path):
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        raise PrintFormatError(f"can't open print-format file {path}: "
                               f"{getattr(e, 'strerror', None) or e}")
    return parse(text, path)


def parse(text, path="<print-format>"):
    pf = PrintFormat()
    section = None
    for num, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            words = shlex.split(s, posix=True)
        except ValueError:
            raise PrintFormatError(f"unbalanced quotes on line {num} of {path}")
        head = words[0].upper()
        if head == "SELECT":
            section = "select"
            for w in words[1:]:
                w = w.upper()
                if w in ("BARE",):
                    pf.title = pf.header = False
                    pf.summary = "none"
                elif w == "NOTITLE":
                    pf.title = False
                elif w == "NOHEADER":
                    pf.header = False
                elif w == "NOSUMMARY":
                    pf.summary = "none"
            continue
        if head in ("WHERE", "AND") and section in ("select", "where"):
            expr = s.split(None, 1)[1] if len(s.split(None, 1)) > 1 else ""
            expr = expr[len("TARGET."):] if expr.upper().startswith("TARGET.") else expr
            try:
                adformat.check_expression(expr)
            except ValueError:
                raise PrintFormatError(f"invalid WHERE expression on line {num} of {path}")
            pf.where = expr if pf.where is None or head == "WHERE" else f"({pf.where}) && ({expr})"
            section = "where"
            continue
        if head == "SUMMARY":
            kind = words[1].upper() if len(words) > 1 else "STANDARD"
            if kind not in ("STANDARD", "NONE"):
                raise PrintFormatError(f"unknown SUMMARY {words[1]} on line {num} of {path}")
            pf.summary = kind.lower()
            continue
        if section != "select":
            raise PrintFormatError(f"unexpected '{words[0]}' on line {num} of {path}")
        pf.columns.append(_column(words, num, path))
    if not pf.columns:
        raise PrintFormatError(f"no SELECT columns in {path}")
    return pf


def _column(words, num, path):
    i = 0
    expr = []
    while i < len(words) and words[i].upper() not in _WORDS:
        expr.append(words[i])
        i += 1
    c = Column(" ".join(expr))
    try:
        adformat.check_expression(c.expr)
    except ValueError:
        raise PrintFormatError(f"invalid expression '{c.expr}' on line {num} of {path}")
    while i < len(words):
        w = words[i].upper()
        arg = words[i + 1] if i + 1 < len(words) else None
        if w in ("AS", "PRINTF", "PRINTAS", "WIDTH", "OR"):
            if arg is None:
                raise PrintFormatError(f"{w} needs an argument on line {num} of {path}")
            i += 1
            if w == "AS":
                c.label = arg
            elif w == "PRINTF":
                c.printf = arg
            elif w == "PRINTAS":
                if arg.upper() not in PRINTAS:
                    raise PrintFormatError(f"unknown PRINTAS function {arg} on line {num} of {path}")
                c.printas = arg.upper()
            elif w == "WIDTH":
                if arg.upper() == "AUTO":
                    c.auto = True
                else:
                    try:
                        c.width = int(arg)
                    except ValueError:
                        raise PrintFormatError(f"invalid WIDTH {arg} on line {num} of {path}")
                    if abs(c.width) > 4096:
                        raise PrintFormatError(f"invalid WIDTH {arg} on line {num} of {path}")
        elif w == "LEFT":
            c.left = True
        elif w == "RIGHT":
            c.left = False
        elif w == "NOPREFIX":
            c.noprefix = True
        elif w == "NOSUFFIX":
            c.nosuffix = True
        i += 1
    return c
