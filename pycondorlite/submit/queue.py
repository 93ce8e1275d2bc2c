"""Queue statements: `queue [N] [vars] [in|from|matching [slice] ...]` → items.

A QueueSpec holds the count N, the variable names and the selected items, each
item being (row_index, {var: value}).  Procs are numbered item by item, N per
item, as condor_submit does.
"""

import glob
import os
import re

from pycondorlite.submit.macros import MacroError, _eval_number


class QueueError(Exception):
    """A queue statement that HTCondor refuses (its message)."""


class QueueSpec:
    __slots__ = ("count", "vars", "items", "mode", "warnings", "empty_list")

    def __init__(self, count=1, vars=None, items=None, mode=None):
        self.count = count
        self.vars = vars or []
        self.items = items        # None: plain `queue N`; else [(row, {var: value})]
        self.mode = mode
        self.warnings = []
        self.empty_list = False

    def procs(self):
        """Number of procs this statement makes."""
        if self.items is None:
            return self.count
        return self.count * len(self.items)

    def itemdata(self):
        """The selected items as htcondor.Submit.itemdata() shows them."""
        if self.items is None:
            return []
        if self.vars == ["Item"]:
            return [d.get("Item", "") for _, d in self.items]
        return [dict(d) for _, d in self.items]


_KEYWORD_RE = re.compile(r"(?:^|\s)(in|from|matching)(?=\s|\(|\[|$)", re.I)
_SLICE_RE = re.compile(r"^\[([^\]]*)\]\s*")


def parse_count(text):
    text = text.strip()
    if not text:
        return 1
    try:
        v = _eval_number(text, True)
    except MacroError:
        raise QueueError("Invalid Queue count expression") from None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise QueueError("Invalid Queue count expression")
        v = int(v)      # truncated, as HTCondor's string_is_long_param does
    if v < 0 or v >= 2 ** 31 - 1:
        raise QueueError("Queue count out of range")
    return v            # `queue 0` queues nothing (condor_submit skips it)


def parse_slice(text):
    parts = text.split(":")
    if len(parts) > 3:
        raise QueueError("Invalid slice")
    vals = []
    for p in parts:
        p = p.strip()
        if not p:
            vals.append(None)
            continue
        try:
            vals.append(int(p))
        except ValueError:
            raise QueueError("Invalid slice")
    while len(vals) < 3:
        vals.append(None)
    if len(parts) == 1:
        # [n] selects one item
        if vals[0] is None:
            return slice(None)
        return slice(vals[0], vals[0] + 1 if vals[0] != -1 else None)
    if vals[2] is not None and vals[2] <= 0:
        raise QueueError("Invalid slice: step must be positive")
    return slice(*vals)


def _split_items(text):
    return [x for x in re.split(r"[\s,]+", text) if x]


def _split_row(row, nvars):
    """Split a `from` row into nvars values: commas or blanks; the last takes the rest."""
    vals = []
    rest = row.strip()
    for k in range(nvars - 1):
        m = re.match(r"([^\s,]*)\s*,?\s*", rest)
        vals.append(m.group(1))
        rest = rest[m.end():]
    vals.append(rest)
    return vals


def _run_command(cmd):
    from pycondorlite.submit.popen import CommandError, output_of
    try:
        out, code = output_of(cmd)
    except CommandError as e:
        raise QueueError(str(e)) from None
    if code != 0:
        raise QueueError(f'Error "{cmd} |": command terminated with exit code {code}')
    return out.splitlines()


def parse_queue(args, block=None, cwd=None, rows_reader=None):
    """Parse the text after `queue` (already macro-expanded) into a QueueSpec.

    block: the lines between `(` and `)` when the statement spans lines.
    """
    if block is not None:
        # Comment lines inside the parentheses are skipped, as HTCondor does.
        block = [ln for ln in block if not ln.strip().startswith("#")]
    m = _KEYWORD_RE.search(args)
    if not m:
        spec = QueueSpec(parse_count(args))
        spec.empty_list = spec.count == 0
        return spec
    left = args[:m.start()].strip()
    keyword = m.group(1).lower()
    right = args[m.end():].strip()
    count_txt = ""
    var_txt = left
    first = re.match(r"(\S+)\s*(.*)$", left)
    if first and not re.match(r"[A-Za-z_]", first.group(1)):
        count_txt, var_txt = first.group(1), first.group(2)
    count = parse_count(count_txt)
    names = [v for v in re.split(r"[\s,]+", var_txt) if v]
    for v in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", v):
            raise QueueError("Invalid Queue count expression")
    if not names:
        names = ["Item"]
    names = ["Item" if v.lower() == "item" else v for v in names]

    spec = QueueSpec(count, names, mode=keyword)
    mode_opt = None
    if keyword == "matching":
        mm = re.match(r"(files|dirs|any)\b\s*", right, re.I)
        if mm:
            mode_opt = mm.group(1).lower()
            right = right[mm.end():]
    slc = None
    sm = _SLICE_RE.match(right)
    if sm:
        slc = parse_slice(sm.group(1))
        right = right[sm.end():]

    if keyword == "in":
        if right.startswith("("):
            if block is not None:
                lines = [right[1:]] + list(block)
            else:
                if not right.endswith(")"):
                    raise QueueError("Extra data found after queue statement")
                lines = [right[1:-1]]
            raw = []
            for ln in lines:
                raw += _split_items(ln)
        else:
            raw = _split_items(right)
        rows = [{names[0]: x} for x in raw]
        for r in rows:
            for v in names[1:]:
                r[v] = ""
    elif keyword == "from":
        if right.startswith("("):
            if block is not None:
                lines = list(block)
                if right[1:].strip():
                    lines.insert(0, right[1:])
            else:
                inner = right[1:-1] if right.endswith(")") else right[1:]
                lines = [inner]
        elif right.endswith("|"):
            lines = _run_command(right[:-1].strip())
        else:
            path = right
            if cwd and not os.path.isabs(path):
                path = os.path.join(cwd, path)
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as f:
                    lines = f.read().splitlines()
            except (OSError, ValueError) as e:      # ValueError: a NUL in the name
                name = repr(right) if "\0" in right else right
                raise QueueError(f"Failed to open file {name} "
                                 f"({getattr(e, 'strerror', None) or e})")
        rows = []
        for ln in lines:
            if not ln.strip():
                rows.append({})
                continue
            rows.append(dict(zip(names, _split_row(ln, len(names)))))
    else:   # matching
        patterns = _split_items(right)
        if block is not None:
            for ln in block:
                patterns += _split_items(ln)
        seen = {}
        found = []
        base = cwd or os.getcwd()
        for pat in patterns:
            full = pat if os.path.isabs(pat) else os.path.join(base, pat)
            for p in sorted(glob.glob(full)):
                isdir = os.path.isdir(p)
                if mode_opt == "files" and isdir:
                    continue
                if mode_opt == "dirs" and not isdir:
                    continue
                rel = os.path.relpath(p, base) if not os.path.isabs(pat) else p
                if isdir:
                    rel += "/"
                if rel in seen:
                    spec.warnings.append(
                        f"\nWARNING: '{rel}' matching pattern '{pat}' is a duplicate of "
                        f"item {seen[rel]}, skipping")
                    continue
                seen[rel] = len(found)
                found.append(rel)
        rows = [{names[0]: x} for x in found]
        for r in rows:
            for v in names[1:]:
                r[v] = ""
    indexed = list(enumerate(rows))
    if slc is not None:
        indexed = indexed[slc]
    spec.items = indexed
    if not indexed or count == 0:
        spec.empty_list = True
    return spec
