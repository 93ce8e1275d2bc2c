"""The ClassAd abstract syntax tree.

Nodes are immutable and shared: the parser caches them by source text, and
each node caches its compiled closure in ``fn`` (see compiler.py). The tree
keeps what the user wrote (parentheses, attribute-name case) so that
printing gives back the same text HTCondor would print.

An ad stores a plain literal -- a string, integer, real or boolean, most of
a provider ad -- as the bare Python value, not as a Literal node: thousands
of ads hold fewer objects (for memory and for the garbage collector to
visit). ``stored(node)`` is the form an ad keeps, ``as_node(v)`` the tree of
what an ad keeps; code that reads an ad's values takes either.
"""


class Node:
    __slots__ = ("fn",)

    def key(self):
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, Node) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())


class Literal(Node):
    """true/false, integers, reals, strings, undefined, error."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.fn = None
        self.value = value

    def key(self):
        v = self.value
        return ("lit", type(v).__name__, v if v == v else "nan")


class RelTimeLiteral(Node):
    """A relative time written ``relTime("1+02:03:04")`` (or made by
    simplify()): libclassad prints it as a relative time but evaluates it
    to a plain real (isReal, not isRelTime)."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.fn = None
        self.value = float(value)

    def key(self):
        return ("reltime", self.value if self.value == self.value else "nan")


BARE = frozenset((str, int, float, bool))   # the literals an ad keeps bare


def stored(node):
    """What an ad keeps for node: the bare value of a plain literal, else node."""
    if node.__class__ is Literal and node.value.__class__ in BARE:
        return node.value
    return node


def as_node(v):
    """The tree of what an ad keeps (a bare value or a node)."""
    return Literal(v) if v.__class__ in BARE else v


class AttrRef(Node):
    """``name``, ``.name`` (absolute) or ``base.name`` (selection)."""
    __slots__ = ("base", "name", "lname", "absolute")

    def __init__(self, base, name, absolute=False):
        self.fn = None
        self.base = base
        self.name = name
        self.lname = name.lower()
        self.absolute = absolute

    def key(self):
        return ("ref", self.base.key() if self.base is not None else None,
                self.lname, self.absolute)


class Unary(Node):
    __slots__ = ("op", "operand")

    def __init__(self, op, operand):
        self.fn = None
        self.op = op
        self.operand = operand

    def key(self):
        return ("un", self.op, self.operand.key())


class Binary(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right):
        self.fn = None
        self.op = op
        self.left = left
        self.right = right

    def key(self):
        return ("bin", self.op, self.left.key(), self.right.key())


class Ternary(Node):
    """``c ? a : b``; with ``then`` None it is the Elvis ``c ?: b``."""
    __slots__ = ("cond", "then", "other")

    def __init__(self, cond, then, other):
        self.fn = None
        self.cond = cond
        self.then = then
        self.other = other

    def key(self):
        return ("tern", self.cond.key(),
                self.then.key() if self.then is not None else None,
                self.other.key())


class Paren(Node):
    __slots__ = ("expr",)

    def __init__(self, expr):
        self.fn = None
        self.expr = expr

    def key(self):
        return ("paren", self.expr.key())


class Subscript(Node):
    __slots__ = ("base", "index")

    def __init__(self, base, index):
        self.fn = None
        self.base = base
        self.index = index

    def key(self):
        return ("sub", self.base.key(), self.index.key())


class Call(Node):
    __slots__ = ("name", "lname", "args")

    def __init__(self, name, args):
        self.fn = None
        self.name = name
        self.lname = name.lower()
        self.args = tuple(args)

    def key(self):
        return ("call", self.lname, tuple(a.key() for a in self.args))


class ListExpr(Node):
    __slots__ = ("items",)

    def __init__(self, items):
        self.fn = None
        self.items = tuple(items)

    def key(self):
        return ("list", tuple(i.key() for i in self.items))


class AdExpr(Node):
    """A nested ClassAd literal ``[ a = 1; b = a ]``: (name, node) pairs."""
    __slots__ = ("attrs",)

    def __init__(self, attrs):
        self.fn = None
        self.attrs = tuple(attrs)

    def key(self):
        return ("ad", frozenset((n.lower(), e.key()) for n, e in self.attrs))


class AdRef(Node):
    """An existing ClassAd object as an expression (the match context's
    LEFT and RIGHT); never produced by the parser."""
    __slots__ = ("ad",)

    def __init__(self, ad):
        self.fn = None
        self.ad = ad

    def key(self):
        return ("adref", id(self.ad))


class Param(Node):
    """The k-th literal of a template (templates.py); never in a finished tree."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.fn = None
        self.k = k

    def key(self):
        return ("param", self.k)


class Instance(Node):
    """A template tree with its literals: what a parsed expression is when
    only its literals differ from one parsed before. The tree is built only
    when something needs it (printing, comparing)."""
    __slots__ = ("template", "consts", "_tree", "calls")

    def __init__(self, template, consts):
        self.fn = None
        self.template = template
        self.consts = consts
        self._tree = None
        self.calls = 0          # evaluations so far (compiler.run_node)

    @property
    def tree(self):
        t = self._tree
        if t is None:
            t = self._tree = substitute(self.template, self.consts)
        return t

    def key(self):
        return self.tree.key()


def substitute(node, consts):
    """node with each Param replaced by the literal it stands for."""
    t = node.__class__
    if t is Param:
        return Literal(consts[node.k])
    if t is Literal or t is RelTimeLiteral or t is AttrRef and node.base is None:
        return node
    if t is AttrRef:
        return AttrRef(substitute(node.base, consts), node.name, node.absolute)
    if t is Binary:
        return Binary(node.op, substitute(node.left, consts), substitute(node.right, consts))
    if t is Unary:
        return Unary(node.op, substitute(node.operand, consts))
    if t is Paren:
        return Paren(substitute(node.expr, consts))
    if t is Ternary:
        return Ternary(substitute(node.cond, consts),
                       substitute(node.then, consts) if node.then is not None else None,
                       substitute(node.other, consts))
    if t is Subscript:
        return Subscript(substitute(node.base, consts), substitute(node.index, consts))
    if t is Call:
        return Call(node.name, [substitute(a, consts) for a in node.args])
    if t is ListExpr:
        return ListExpr([substitute(i, consts) for i in node.items])
    if t is AdExpr:
        return AdExpr([(n, substitute(e, consts)) for n, e in node.attrs])
    return node


def children(node):
    """The sub-expressions of node."""
    t = node.__class__
    if t is AttrRef:
        return (node.base,) if node.base is not None else ()
    if t is Binary:
        return (node.left, node.right)
    if t is Unary:
        return (node.operand,)
    if t is Paren:
        return (node.expr,)
    if t is Ternary:
        return tuple(c for c in (node.cond, node.then, node.other) if c is not None)
    if t is Subscript:
        return (node.base, node.index)
    if t is Call:
        return node.args
    if t is ListExpr:
        return node.items
    if t is AdExpr:
        return tuple(e for _, e in node.attrs)
    return ()


def post_order(node):
    """node's sub-expressions, each before the node it is in, node last."""
    for child in children(node):
        yield from post_order(child)
    yield node


def clone(node):
    """A copy of node's tree, every node new (none shares a compiled closure)."""
    t = node.__class__
    if t is Literal:
        return Literal(node.value)
    if t is RelTimeLiteral:
        return RelTimeLiteral(node.value)
    if t is AttrRef:
        return AttrRef(clone(node.base) if node.base is not None else None, node.name,
                       node.absolute)
    if t is Binary:
        return Binary(node.op, clone(node.left), clone(node.right))
    if t is Unary:
        return Unary(node.op, clone(node.operand))
    if t is Paren:
        return Paren(clone(node.expr))
    if t is Ternary:
        return Ternary(clone(node.cond), clone(node.then) if node.then is not None else None,
                       clone(node.other))
    if t is Subscript:
        return Subscript(clone(node.base), clone(node.index))
    if t is Call:
        return Call(node.name, [clone(a) for a in node.args])
    if t is ListExpr:
        return ListExpr([clone(i) for i in node.items])
    if t is AdExpr:
        return AdExpr([(n, clone(e)) for n, e in node.attrs])
    if t is Instance:
        return clone(node.tree)
    if t is AdRef:
        return AdRef(node.ad)
    return node


def materialize(node):
    """A plain tree for node (an Instance's tree; any other node itself)."""
    return node.tree if node.__class__ is Instance else node


UNDEFINED_LIT = None  # set below, after value import
ERROR_LIT = None


def _init_constants():
    global UNDEFINED_LIT, ERROR_LIT
    from .value import Value
    UNDEFINED_LIT = Literal(Value.Undefined)
    ERROR_LIT = Literal(Value.Error)


_init_constants()
