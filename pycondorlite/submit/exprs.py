"""ClassAd expressions as condor_submit handles them.

A job ad here maps attribute names to old-syntax expression text, as HTCondor
prints it (``condor_q -long``, ``-dump``).  Expression text from a submit file
is parsed with pycondorlite.classad and printed back in that form; the same
parse gives the attribute references requirements generation looks at.
"""

import re

from pycondorlite.caches import ENTRY, MIB, Cache, text_size, tree_size

# pycondorlite.classad is imported when an expression first needs parsing:
# most submissions (a generated Requirements, numbers, strings) never do, and
# the import is a good part of condor_submit's start-up time.
N = None


def _lib():
    global N, ClassAdSyntaxError, parse_expr, OLD, unparse, Value
    if N is None:
        from pycondorlite.classad import nodes
        from pycondorlite.classad.errors import ClassAdSyntaxError
        from pycondorlite.classad.parsing import parse_expr
        from pycondorlite.classad.printer import OLD, unparse
        from pycondorlite.classad.value import Value
        N = nodes
    return N


class ExprError(ValueError):
    """Text that is not a ClassAd expression."""


def boolean(v):
    return "true" if v else "false"


_tree_cache = Cache(16 * MIB)     # text -> parse tree, bounded by its bytes


def tree(text):
    """The parse tree of an expression (ExprError when it does not parse)."""
    node = _tree_cache.get(text)
    if node is None:
        _lib()
        if not text.strip():
            raise ExprError(text)
        try:
            node = parse_expr(text, True, True)
        except (ClassAdSyntaxError, RecursionError, ValueError):
            raise ExprError(text) from None
        _tree_cache.learn(text, node, tree_size(text))
    return node


_norm_cache = Cache(8 * MIB)      # text -> its old-syntax print


_PLAIN = re.compile(r'-?[1-9][0-9]{0,17}\Z|0\Z|"[^"\\]*"\Z|[A-Za-z_][A-Za-z0-9_]*\Z')
_KEYWORDS = {"true", "false", "undefined", "error", "is", "isnt", "parent"}


def normalize(text):
    """Expression text as HTCondor stores it: parsed, then printed in old syntax."""
    if _PLAIN.match(text) and text.lower() not in _KEYWORDS:
        return text         # an integer, a plain string or a name prints as written
    out = _norm_cache.get(text)
    if out is None:
        node = tree(text)       # first: it imports unparse
        out = _norm_cache.learn(text, unparse(node, OLD),
                                ENTRY + text_size(text) + text_size(text))
    return out


def is_expr(text):
    try:
        tree(text)
        return True
    except ExprError:
        return False


_NO_VALUE = object()


def literal(text):
    """The Python value of a literal expression (int, float, bool, str,
    Value.Undefined, Value.Error), or None when the expression is not a literal."""
    if _PLAIN.match(text):
        if text[0] == '"':
            return text[1:-1]
        if text[0].isdigit() or text[0] == "-":
            return int(text)
        low = text.lower()
        if low in ("true", "false"):
            return low == "true"
        if low not in _KEYWORDS:
            return None         # an attribute name
    try:
        node = tree(text)
    except ExprError:
        return None
    node = _unwrap(node)
    if isinstance(node, N.Literal):
        return node.value
    if isinstance(node, N.Unary) and node.op == "-":
        inner = _unwrap(node.operand)
        if isinstance(inner, N.Literal) and type(inner.value) in (int, float):
            return -inner.value
    return None


def _unwrap(node):
    while True:
        if isinstance(node, N.Instance):
            node = node.tree
        elif isinstance(node, N.Paren):
            node = node.expr
        else:
            return node


def literal_number(text):
    """The number of a literal integer or real expression, else None."""
    v = literal(text)
    if type(v) in (int, float):
        return v
    return None


def evaluate(text):
    """The value of an expression with no ad around it (None when it does not parse)."""
    _lib()
    from pycondorlite.classad import ExprTree
    try:
        v = ExprTree(text).eval()
    except Exception:
        return None
    if isinstance(v, Value):      # undefined and error are not values here
        return None
    return v


def references(text, internal=()):
    """(job_refs, machine_refs): lower-case attribute names an expression uses.

    As HTCondor's GetExprReferences: MY.x is the job's, TARGET.x the machine's,
    and a bare name is the job's only when the job ad defines it (`internal`)."""
    job, machine = set(), set()
    _refs(tree(text), job, machine, {n.lower() for n in internal})
    return job, machine


def _refs(node, job, machine, internal):
    if type(node) is N.Instance:
        node = node.tree
    if type(node) is N.AttrRef:
        base = node.base
        if base is None:
            (job if node.lname in internal else machine).add(node.lname)
            return
        if type(base) is N.Instance:
            base = base.tree
        if type(base) is N.AttrRef and base.base is None:
            scope = base.lname
            if scope == "target":
                machine.add(node.lname)
                return
            if scope == "my":
                job.add(node.lname)
                return
        _refs(base, job, machine, internal)
        return
    for child in N.children(node):
        _refs(child, job, machine, internal)


def needs_parens_for(text, op):
    """True when `text`, put on one side of `op` (&& or ||), needs parentheses
    to keep its meaning: HTCondor's WrapExprTreeInParensForOp."""
    node = tree(text)
    if isinstance(node, N.Instance):
        node = node.tree
    if isinstance(node, N.Binary):
        return _PRECEDENCE.get(node.op, 99) < _PRECEDENCE[op]
    return isinstance(node, N.Ternary)


# Binary operator precedence, lowest first (the ClassAd grammar's order).
_PRECEDENCE = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
               "==": 6, "!=": 6, "=?=": 6, "=!=": 6, "is": 6, "isnt": 6,
               "<": 7, "<=": 7, ">": 7, ">=": 7,
               "<<": 8, ">>": 8, ">>>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}

