"""Partial evaluation (ClassAd.flatten) and the references of an expression."""

from . import nodes as N
from .compiler import Env, compile_node
from .value import Value


def references(node):
    """Names of the attributes node references (``x``, ``target.x``), in order, once."""
    out = []
    node = N.materialize(node)

    def walk(n):
        t = n.__class__
        if t is N.AttrRef:
            if n.base is None:
                out.append(n.name)
            elif n.base.__class__ is N.AttrRef and n.base.base is None:
                out.append(n.base.name + "." + n.name)
            else:
                walk(n.base)
        elif t is N.Binary:
            walk(n.left)
            walk(n.right)
        elif t is N.Unary:
            walk(n.operand)
        elif t is N.Paren:
            walk(n.expr)
        elif t is N.Ternary:
            walk(n.cond)
            if n.then is not None:
                walk(n.then)
            walk(n.other)
        elif t is N.Call:
            for a in n.args:
                walk(a)
        elif t is N.Subscript:
            walk(n.base)
            walk(n.index)
        elif t is N.ListExpr:
            for i in n.items:
                walk(i)
    walk(node)
    # libclassad returns them from a std::set: sorted, byte-wise
    return sorted(set(out))


def _literal_of(v):
    if isinstance(v, (bool, int, float, str, Value)) and not isinstance(v, list):
        return N.Literal(v)
    return None


def flatten(node, ad, old):
    """node with every sub-expression that does not depend on an attribute
    missing from ad replaced by its value."""
    def defined(n):
        for r in references(n):
            if r.split(".")[0].lower() not in ad._attrs:
                return False
        return True

    def fl(n):
        t = n.__class__
        if t is N.Literal:
            return n
        if defined(n) and t is not N.AdExpr:
            lit = _literal_of(compile_node(n)(Env(ad, None, old)))
            if lit is not None:
                return lit
        if t is N.Binary:
            return N.Binary(n.op, fl(n.left), fl(n.right))
        if t is N.Unary:
            return N.Unary(n.op, fl(n.operand))
        if t is N.Paren:
            inner = fl(n.expr)
            return inner if inner.__class__ is N.Literal else N.Paren(inner)
        if t is N.Ternary:
            return N.Ternary(fl(n.cond), fl(n.then) if n.then is not None else None,
                             fl(n.other))
        if t is N.Call:
            return N.Call(n.name, [fl(a) for a in n.args])
        return n
    return fl(N.materialize(node))
