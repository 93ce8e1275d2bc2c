"""The -af / -format print mask that condor_q, condor_history and condor_status share.

HTCondor keeps one AttrListPrintMask per command line: -format items print
through one printf conversion each; -autoformat (-af[:jlhVr,tng]) items
print values with automatic formatting, the last -af's separators applying
to every column. Ads are anything with .text(name) (spool job ads, history
ads, provider ads); -af:j reads .cluster_id and .proc_id.

    items: [("format", fmt, expr) | ("af", sub-options, [expr, ...])]
    render(ads, items, adformat.Evaluator()) -> text
"""

import re

from pycondorlite import adformat
from pycondorlite.jobad import literal, NOT_LITERAL
from pycondorlite.queueview import format_time


def render(jobs, items, ev):
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

    ids = bool(jobs) and hasattr(jobs[0], "cluster_id")     # job ads, not provider ads
    getters = [_fast_getter(c, ev, ids) or (lambda j, c=c: _render_col(c, j, ev)) for c in cols]
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


def _fast_getter(c, ev, ids=True):
    """A quick cell function for -af of a plain attribute name (the common case):
    literal texts are formatted once per distinct text."""
    if c["kind"] != "af" or c.get("label") or c["letter"] == "r":
        return None
    name = c["expr"].strip()
    if not adformat._IDENT.fullmatch(name) or name.lower() in adformat._KEYWORDS:
        return None
    if ev.hidden(name):
        return lambda j: "undefined"
    low = name.lower()
    if ids and low in _ID_COLUMNS:
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
        cid = getattr(job, "cluster_id", 0)
        s = ("%*d." % (w, cid)) if w else "%d." % cid
        return ("ID = " + s) if c.get("label") else s
    if kind == "id_p":
        pid = getattr(job, "proc_id", 0)
        return ("%-3d" % pid) if c.get("width") else str(pid)
    if kind == "format":
        return _printf(c["fmt"], c["expr"], job, ev)
    expr = c["expr"]
    if c["letter"] == "r":
        t = _raw_text(job, expr, ev)
    else:
        v = ev.value(job, expr)
        t = adformat.value_v(v) if c["letter"] == "v" else adformat.unparse(v)
    if c.get("label"):
        return "%s = %s" % (c["label"], t)
    return t


def _raw_text(job, expr, ev):
    """%r: the attribute's expression unparsed, not evaluated."""
    s = expr.strip()
    if adformat._IDENT.fullmatch(s):
        t = None if ev.hidden(s) else job.text(s)
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
    if is_attr and (ev.hidden(s) or job.text(s) is None):
        # a missing attribute evaluates to undefined: only %v/%V/%r can print it
        return pre + (body + "s") % "undefined" + post if letter in "vVrR" else ""
    if letter in "rR":
        return pre + (body + "s") % _raw_text(job, expr, ev) + post
    v = ev.value(job, expr)
    if letter == "s":
        if isinstance(v, str):
            return pre + (body + "s") % v + post
        if is_attr:
            return pre + (body + "s") % _raw_text(job, expr, ev) + post
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
        return pre + format_time(int(v)) + post
    return ""
