"""Printing ClassAd expressions, values and ads, as HTCondor prints them.

Three syntaxes: "new" (``repr(ExprTree)``, ``string()``, ``unparse()``;
reals as ``%1.15E``, strings C-escaped), "old" (``printOld``,
``condor_q -long``; reals as ``%.16G``, only ``"`` escaped), and the
indented form ``str(ExprTree)`` / ``str(ClassAd)`` gives. Plus JSON.
"""

import json
import math
import re

from . import nodes as N
from . import times
from .value import AbsTime, RelTime, Value

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED = frozenset(("true", "false", "undefined", "error", "is", "isnt", "parent"))
_PLAIN = re.compile(r'[ !#-\[\]-~]*\Z')   # printable ASCII but " and \
_ESC = {"\\": "\\\\", '"': '\\"', "\a": "\\a", "\b": "\\b", "\f": "\\f",
        "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
_OPS_NEW = {"=?=": "is", "=!=": "isnt"}


def quote_name(name):
    """An attribute name as it must be written: quoted when not a plain identifier."""
    if _IDENT.match(name) and name.lower() not in _RESERVED:
        return name
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_string(s):
    """A string literal in new syntax (C escapes, octal for the rest)."""
    if _PLAIN.match(s):
        return '"' + s + '"'
    out = []
    for c in s:
        e = _ESC.get(c)
        if e is not None:
            out.append(e)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.extend("\\%03o" % b for b in c.encode("utf-8", "surrogateescape"))
    return '"' + "".join(out) + '"'


def quote_string_old(s):
    """A string literal in old syntax: only the double quote is escaped."""
    return '"' + s.replace('"', '\\"') + '"'


def _real_special(f):
    if f == 0.0:
        return "-0.0" if math.copysign(1.0, f) < 0 else "0.0"
    if f != f:
        return 'real("NaN")'
    if f in (math.inf, -math.inf):
        return 'real("INF")' if f > 0 else 'real("-INF")'
    return None


def format_real(f):
    """A real in new syntax: ``2.500000000000000E+00``."""
    return _real_special(f) or "%.15E" % f


def format_real_old(f):
    """A real in old syntax: ``2.5``, ``1000.0``, ``1E+30``."""
    s = _real_special(f)
    if s:
        return s
    s = "%.16G" % f
    if "." not in s and "E" not in s:
        s += ".0"
    return s


class _Style:
    """How the atoms of one syntax print."""
    def __init__(self, real, string, ops):
        self.real, self.string, self.ops = real, string, ops


NEW = _Style(format_real, quote_string, _OPS_NEW)
OLD = _Style(format_real_old, quote_string_old, {})


def _atom(v, st):
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return st.real(v)
    if t is str:
        return st.string(v)
    if v is Value.Undefined:
        return "undefined"
    if v is Value.Error:
        return "error"
    if t is AbsTime:
        return 'absTime("%s")' % times.abstime_text(v)
    if t is RelTime:
        return 'relTime("%s")' % times.reltime_text(v)
    return None


def unparse(node, st=NEW):
    """One-line text of an expression tree (or of the bare value an ad keeps)."""
    t = type(node)
    if t in N.BARE:
        return _atom(node, st)
    if t is N.Instance:
        node = node.tree
        t = type(node)
    if t is N.Literal:
        return _atom(node.value, st)
    if t is N.RelTimeLiteral:
        return 'relTime("%s")' % times.reltime_text(node.value)
    if t is N.AttrRef:
        if node.base is not None:
            return unparse(node.base, st) + "." + node.name
        return ("." if node.absolute else "") + quote_name(node.name)
    if t is N.Binary:
        return "%s %s %s" % (unparse(node.left, st), st.ops.get(node.op, node.op),
                             unparse(node.right, st))
    if t is N.Unary:
        return " " + node.op + unparse(node.operand, st)
    if t is N.Paren:
        return "(" + unparse(node.expr, st) + ")"
    if t is N.Ternary:
        if node.then is None:
            return "%s ?: %s" % (unparse(node.cond, st), unparse(node.other, st))
        return "%s ? %s : %s" % (unparse(node.cond, st), unparse(node.then, st),
                                 unparse(node.other, st))
    if t is N.Call:
        return node.name + "(" + ",".join(unparse(a, st) for a in node.args) + ")"
    if t is N.Subscript:
        return unparse(node.base, st) + "[" + unparse(node.index, st) + "]"
    if t is N.ListExpr:
        return "{ " + ",".join(unparse(i, st) for i in node.items) + " }"
    if t is N.AdExpr:
        return "[ " + "; ".join(quote_name(n) + " = " + unparse(e, st)
                                for n, e in sorted_pairs(node.attrs)) + " ]"
    if t is N.AdRef:
        return unparse_value(node.ad, st)
    raise TypeError("not an expression node: %r" % (node,))


def _order(key):
    # libclassad keeps attributes ordered by length, then case-insensitively
    return (len(key), key)


def sorted_pairs(pairs):
    """(name, expr) pairs in the order classad2 prints and iterates them."""
    return sorted(pairs, key=lambda p: (len(p[0]), p[0].lower()))


def _ad_pairs(ad):
    names = ad._names
    attrs = ad._attrs
    return [(names[k], attrs[k]) for k in sorted(attrs, key=_order)]


def unparse_value(value, st=NEW):
    """New-syntax text of an evaluated value: ``2.500000000000000E+00``, ``{ 1,2 }``."""
    s = _atom(value, st)
    if s is not None:
        return s
    if isinstance(value, list):
        exprs = getattr(value, "exprs", None)
        if exprs is not None:
            return "{ " + ",".join(unparse(e, st) for e in exprs) + " }"
        return "{ " + ",".join(unparse_value(v, st) for v in value) + " }"
    if hasattr(value, "_attrs"):
        return "[ " + "; ".join(quote_name(n) + " = " + unparse(e, st)
                                for n, e in _ad_pairs(value)) + " ]"
    if isinstance(value, N.Node):
        return unparse(value, st)
    raise TypeError("not a ClassAd value: %r" % (value,))


def unparse_value_old(value):
    return unparse_value(value, OLD)


# --- the indented form of str() ------------------------------------------

def pretty(node, level=0):
    """``str(ExprTree)``: like unparse, but lists and ads spread over lines."""
    t = type(node)
    if t in N.BARE:
        return _atom(node, NEW)
    if t is N.Instance:
        node = node.tree
        t = type(node)
    if t is N.ListExpr:
        return _pretty_list([pretty(i, level + 6) for i in node.items], level)
    if t is N.AdExpr:
        return _pretty_ad([(n, pretty(e, level + 8)) for n, e in sorted_pairs(node.attrs)],
                          level)
    if t in (N.Literal, N.RelTimeLiteral, N.AttrRef) and (t is not N.AttrRef or node.base is None):
        return unparse(node)
    if t is N.AttrRef:
        return pretty(node.base, level) + "." + node.name
    if t is N.Binary:
        return "%s %s %s" % (pretty(node.left, level), _OPS_NEW.get(node.op, node.op),
                             pretty(node.right, level))
    if t is N.Unary:
        return " " + node.op + pretty(node.operand, level)
    if t is N.Paren:
        return "(" + pretty(node.expr, level) + ")"
    if t is N.Ternary:
        if node.then is None:
            return "%s ?: %s" % (pretty(node.cond, level), pretty(node.other, level))
        return "%s ? %s : %s" % (pretty(node.cond, level), pretty(node.then, level),
                                 pretty(node.other, level))
    if t is N.Call:
        return node.name + "(" + ",".join(pretty(a, level) for a in node.args) + ")"
    if t is N.Subscript:
        return pretty(node.base, level) + "[" + pretty(node.index, level) + "]"
    if t is N.AdRef:
        return _pretty_ad([(n, pretty(e, level + 8)) for n, e in _ad_pairs(node.ad)], level)
    raise TypeError("not an expression node: %r" % (node,))


def _pretty_list(items, level):
    pad = " " * (level + 3)
    inner = " " * (level + 6)
    if not items:
        return "\n" + pad + "{\n" + pad + "}"
    return ("\n" + pad + "{\n" + inner + (",\n" + inner).join(items)
            + "\n" + pad + "}")


def _pretty_ad(pairs, level):
    pad = " " * (level + 4)
    inner = " " * (level + 8)
    if not pairs:
        return "\n" + pad + "[\n" + pad + "]"
    return ("\n" + pad + "[\n" + inner
            + ("; \n" + inner).join(quote_name(n) + " = " + s for n, s in pairs)
            + "\n" + pad + "]")


# --- whole ads -------------------------------------------------------------

def ad_repr(ad):
    """``repr(ClassAd)``: ``[ a = 1; b = a + 1 ]``."""
    return unparse_value(ad)


def ad_str(ad):
    """``str(ClassAd)``: the indented form."""
    return _pretty_ad([(n, pretty(e, 8)) for n, e in _ad_pairs(ad)], 0)


def ad_old(ad):
    """``printOld()``: one ``Name = expr`` a line."""
    pairs = _ad_pairs(ad)
    if not pairs:
        return "\n"
    return "".join("%s = %s\n" % (quote_name(n), unparse(e, OLD)) for n, e in pairs)


def _json_str(s):
    return json.dumps(s, ensure_ascii=False)


def _json_expr(node, indent):
    t = type(node)
    if t is N.Instance:
        node = node.tree
        t = type(node)
    if t is N.Literal or t in N.BARE:
        v = node.value if t is N.Literal else node
        tv = type(v)
        if tv is bool:
            return "true" if v else "false"
        if tv is int:
            return str(v)
        if tv is float and v == v and v not in (math.inf, -math.inf):
            return format_real_old(v)
        if tv is str:
            return _json_str(v)
        if v is Value.Undefined:
            return "null"
    elif t is N.RelTimeLiteral:
        v = node.value      # libclassad writes it as the real it evaluates to
        if v == v and v not in (math.inf, -math.inf):
            return format_real_old(v)
    elif t is N.ListExpr:
        return _json_list([_json_expr(i, indent + 2) for i in node.items], indent)
    elif t is N.AdExpr:
        return _json_obj([(n, _json_expr(e, indent + 2)) for n, e in sorted_pairs(node.attrs)],
                         indent)
    return '"\\/Expr(' + _json_str(unparse(node))[1:-1] + ')\\/"'


def _json_list(items, indent):
    pad = " " * indent
    if not items:
        return "[\n" + pad + "]"
    inner = " " * (indent + 2)
    return "[\n" + ",\n".join(inner + i for i in items) + "\n" + pad + "]"


def _json_obj(pairs, indent):
    pad = " " * indent
    if not pairs:
        return "{\n" + pad + "}"
    inner = " " * (indent + 2)
    return ("{\n" + ",\n".join(inner + _json_str(n) + ": " + v for n, v in pairs)
            + "\n" + pad + "}")


def ad_json(ad):
    """``printJson()``."""
    return _json_obj([(n, _json_expr(e, 2)) for n, e in _ad_pairs(ad)], 0)
