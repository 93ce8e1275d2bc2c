"""Evaluating and printing spool job ads the way HTCondor's tools do.

Job ads come from the spool as expression text. Plain literals (the vast
majority: ClusterId, JobStatus, Owner, QDate...) are read and printed here
without the ClassAd parser, which keeps condor_q fast on large queues; any
other expression goes through pycondorlite.classad (old, tool semantics).
"""

import json
import math
import re

from pycondorlite.caches import ENTRY, MIB, Cache, text_size
from pycondorlite.jobad import literal, NOT_LITERAL, is_private

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_KEYWORDS = {"true", "false", "undefined", "error", "is", "isnt", "my", "target", "parent"}


def lib():
    from pycondorlite import classad
    return classad


def special():
    from pycondorlite.classad.value import Value
    return Value


# ---- values -> text --------------------------------------------------------
def format_real(f):
    """Old ClassAd syntax for a real: %.16G, with .0 when it looks like an integer."""
    if math.isnan(f):
        return 'real("NaN")'
    if math.isinf(f):
        return 'real("INF")' if f > 0 else 'real("-INF")'
    if f == 0:
        return "-0.0" if math.copysign(1, f) < 0 else "0.0"
    s = "%.16G" % f
    if "." not in s and "E" not in s and "e" not in s:
        s += ".0"
    return s


def quote_old(s):
    return '"' + s.replace('"', '\\"') + '"'


def unparse(v):
    """Old-syntax text of an evaluated value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        Value = special()
        if isinstance(v, Value):
            return "undefined" if v == Value.Undefined else "error"
        return str(v)
    if isinstance(v, float):
        return format_real(v)
    if isinstance(v, str):
        return quote_old(v)
    if isinstance(v, list):
        return "{ " + ",".join(unparse(x) for x in v) + " }"
    # a nested ClassAd
    text = v.printOld() if hasattr(v, "printOld") else str(v)
    lines = [ln for ln in text.splitlines() if ln.strip() and ln.strip() not in "[]"]
    return "[ " + "; ".join(ln.strip() for ln in lines) + " ]"


def is_special(v):
    Value = special()
    return isinstance(v, Value)


def value_v(v):
    """%v: strings bare, everything else unparsed."""
    if isinstance(v, str):
        return v
    return unparse(v)


# ---- expression text -------------------------------------------------------
_old_cache = Cache(8 * MIB)       # text -> its old-syntax print, bounded by its bytes


def old_text(text):
    """Canonical old-syntax unparse of an expression text (as condor_q -long prints it)."""
    v = literal(text)
    if v is not NOT_LITERAL:
        return unparse(v)
    hit = _old_cache.get(text)
    if hit is None:
        out = lib().parseOne("X = " + text).printOld()
        hit = out.split("=", 1)[1].strip() if "=" in out else text.strip()
        _old_cache.learn(text, hit, ENTRY + text_size(text) + text_size(hit))
    return hit


def referenced_names(text):
    """Attribute names an expression may refer to (a superset; textual scan)."""
    body = _STRING.sub(" ", text)
    names = set()
    for m in _IDENT.finditer(body):
        word = m.group(0)
        if word.lower() not in _KEYWORDS:
            names.add(word)
    return names


class Evaluator:
    """Evaluates expressions against ads read from the spool (job ads, provider
    ads: anything with .text(name)), without the attributes `hidden` names
    (a job's private attributes by default; a provider ad's secrets)."""

    def __init__(self, hidden=is_private):
        self._parsed = {}
        self.hidden = hidden

    def tree(self, text):
        t = self._parsed.get(text)
        if t is None:
            t = lib().ExprTree(text)
            self._parsed[text] = t
        return t

    def attr(self, job, name):
        """Value of attribute `name` of the job (Undefined if absent or private)."""
        if self.hidden(name):
            return special().Undefined
        t = job.text(name)
        if t is None:
            return special().Undefined
        v = literal(t)
        if v is not NOT_LITERAL:
            return v
        return self.expr(job, t)

    def value(self, job, expr_text):
        """Value of an attribute name or expression text in the job's context."""
        s = expr_text.strip()
        if _IDENT.fullmatch(s) and s.lower() not in _KEYWORDS:
            return self.attr(job, s)
        v = literal(s)
        if v is not NOT_LITERAL:
            return v
        return self.expr(job, s)

    def expr(self, job, text):
        try:
            ad = self.scope(job, text)
            return self.tree(text).eval(ad)
        except Exception:       # a value the library cannot evaluate counts as error
            return special().Error

    def scope(self, job, text):
        """A small ClassAd with the attributes `text` may reach, transitively."""
        C = lib()
        ad = C.ClassAd()
        todo = list(referenced_names(text))
        seen = set()
        while todo:
            name = todo.pop()
            low = name.lower()
            if low in seen or self.hidden(low):
                continue
            seen.add(low)
            t = job.text(name)
            if t is None:
                continue
            v = literal(t)
            if v is NOT_LITERAL:
                ad[name] = C.ExprTree(t)
                todo.extend(referenced_names(t))
            else:
                ad[name] = v
        return ad

    def matches(self, job, text):
        """Does the constraint hold (old semantics: true, or a non-zero number)?"""
        v = self.value(job, text)
        if isinstance(v, bool):
            return v
        if is_special(v):
            return False
        if isinstance(v, (int, float)):
            return v != 0
        return False


def check_expression(text):
    """Raise ValueError if `text` is not a valid ClassAd expression."""
    if literal(text) is not NOT_LITERAL:
        return
    try:
        lib().ExprTree(text)
    except Exception as e:      # the parser's own error type
        raise ValueError(str(e)) from None


# ---- whole ads ---------------------------------------------------------------
def sorted_items(items):
    return sorted(items, key=lambda p: p[0].lower())


def long_ad(items):
    """condor_q -long: Name = value lines sorted case-insensitively, then a blank line."""
    return "".join(f"{n} = {old_text(t)}\n" for n, t in sorted_items(items)) + "\n"


def _json_value(text, indent):
    v = literal(text)
    if v is not NOT_LITERAL and not is_special(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return format_real(v) if not (math.isnan(v) or math.isinf(v)) else json.dumps(str(v))
        return json.dumps(v, ensure_ascii=False)
    if v is not NOT_LITERAL and is_special(v):
        return "null" if v == special().Undefined else '"\\/Expr(error)\\/"'
    # anything else: let the ClassAd library's JSON unparser speak
    out = lib().parseOne("X = " + text).printJson()
    body = out.strip()
    assert body.startswith("{") and body.endswith("}")
    inner = body[1:-1].strip("\n")
    val = inner.split(":", 1)[1].strip()
    if indent != "  ":
        val = val.replace("\n  ", "\n" + indent)
    return val


def json_ad(items):
    """One ad as HTCondor's ClassAdJsonUnParser prints it (2-space indent)."""
    parts = [f'  {json.dumps(n)}: {_json_value(t, "  ")}' for n, t in sorted_items(items)]
    if not parts:
        return "{\n}"
    return "{\n" + ",\n".join(parts) + "\n}"


def _xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_value(v):
    if isinstance(v, bool):
        return '<b v="t"/>' if v else '<b v="f"/>'
    if is_special(v):
        return "<un/>" if v == special().Undefined else "<er/>"
    if isinstance(v, int):
        return f"<i>{v}</i>"
    if isinstance(v, float):
        return "<r>%1.15E</r>" % v
    if isinstance(v, str):
        return f"<s>{_xml_escape(v)}</s>"
    if isinstance(v, list):
        return "<l>" + "".join(_xml_value(x) for x in v) + "</l>"
    return f"<e>{_xml_escape(unparse(v))}</e>"


XML_HEADER = '<?xml version="1.0"?>\n<!DOCTYPE classads SYSTEM "classads.dtd">\n<classads>\n'
XML_FOOTER = "</classads>\n"


def xml_ad(items):
    out = ["<c>\n"]
    for n, t in sorted_items(items):
        v = literal(t)
        body = _xml_value(v) if v is not NOT_LITERAL else f"<e>{_xml_escape(old_text(t))}</e>"
        out.append(f'    <a n="{n}">{body}</a>\n')
    out.append("</c>\n")
    return "".join(out)


def whole_ads(kind, ads_items):
    """-long, -json or -xml of several ads, each [(Name, text)], as condor_q,
    condor_history and condor_status print them (-json of no ads: nothing)."""
    if kind == "json":
        if not ads_items:
            return ""
        return "[\n" + ",\n".join(json_ad(it) for it in ads_items) + "\n]\n"
    if kind == "xml":
        return XML_HEADER + "".join(xml_ad(it) for it in ads_items) + XML_FOOTER
    return "".join(long_ad(it) for it in ads_items)
