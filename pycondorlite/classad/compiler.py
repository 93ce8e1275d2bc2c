"""Compilation of expression trees into Python closures, and their evaluation.

Each node compiles once into ``fn(env) -> value`` (cached on the node, and
nodes are cached by source text), so evaluating a Requirements expression
walks no tree. Values are Python bool/int/float/str, ``ListValue`` (a list
that remembers the expressions it came from), ClassAd, Value.Undefined and
Value.Error.

Attribute lookup follows libclassad (classad.cpp LookupInScope,
attrrefs.cpp FindExpr): the current ad, then its enclosing ads; the special
names ``self``/``parent``/``root``/``toplevel`` (plus ``my`` and
``CurrentTime`` in old semantics); in a match, ``my``/``target`` name the two
ads; and in old semantics an unscoped name missing from MY is looked up in
TARGET.
"""

import math
import time

from . import debugging
from . import functions as _functions
from . import nodes as N
from pycondorlite.caches import ENTRY, Cache, text_size
from . import times
from .functions import EXACT_CASE_NAMES, FUNCTIONS, made_by_function
from .functions import EvalFailed as _FnEvalFailed
from .value import AbsTime, RelTime, Value

UNDEF = Value.Undefined
ERROR = Value.Error
_BARE = N.BARE


# A function that turns an argument it cannot evaluate into error rather
# than failing.
_ARG_FAILURE_ALWAYS_ERROR = frozenset(("stringlistsintersect",))


def _apply(fn, values, env):
    try:
        return fn(values, env)
    except _FnEvalFailed:
        raise EvalFailure("failed to evaluate expression") from None
    except EvalFailure:
        raise
    except Exception:
        return ERROR


# Pure functions of strings, often called with the same arguments (a
# provider's Requirements against each job): their results are remembered.
_MEMO_FUNCTIONS = frozenset("""stringlistsize stringlistsum stringlistavg stringlistmin
    stringlistmax stringlistmember stringlistimember stringlistsubsetmatch
    stringlistisubsetmatch stringlist_regexpmember stringlistsintersect regexp regexps
    regexpmember replace replaceall split splitusername splitslotname versioncmp
    versiongt versionge versionlt versionle versioneq version_in_range""".split())


def _special_arg(n, v):
    return v if (v is ERROR or v is UNDEF) else None


def _error_arg(n, v):
    # join skips an undefined argument and goes on to the next
    return v if v is ERROR else None


_COMPARE_OPS = frozenset(("<", "<=", "!=", "==", ">", ">=", "is", "isnt"))


def _compare_op_arg(n, v):
    if n == 0 and v is UNDEF:
        return UNDEF
    if n == 0 and not (type(v) is str and v.lower() in _COMPARE_OPS):
        return ERROR
    if n == 1 and not isinstance(v, list):
        # the list is looked at before the value is evaluated
        return UNDEF if v is UNDEF else ERROR
    return None


# Functions that stop at an argument before evaluating the next ones (which
# only shows when a later one cannot be evaluated): n, value -> result or None.
_EARLY_EXIT = {"strcat": _special_arg, "join": _error_arg,
               "anycompare": _compare_op_arg, "allcompare": _compare_op_arg,
               "argstolist": _functions.args_version_arg,
               "listtoargs": _functions.args_version_arg,
               "mergeenvironment": _functions.merge_environment_arg}

# Functions that evaluate their arguments in another order (HTCondor's
# listToArgs / argsToList read the version, the second, first).
_ARG_ORDER = {"argstolist": (1, 0), "listtoargs": (1, 0)}


# Argument counts of the core functions, (min, max). libclassad checks the
# count before evaluating the arguments, which only shows when an argument
# cannot be evaluated (a loop): then a bad count gives error, not failure.
_ARITY = {}
for _names, _range in (
        ("isundefined iserror isstring isinteger isreal isboolean islist isclassad "
         "isabstime isreltime int real bool string floor ceiling ceil round toupper "
         "tolower size sum avg min max interval getyear getmonth getdayofmonth "
         "getdayofweek getdayofyear getdays gethours getminutes getseconds splittime "
         "splitusername splitslotname", (1, 1)),
        ("pow quantize strcmp stricmp member identicalmember versioncmp versiongt "
         "versionge versionlt versionle versioneq", (2, 2)),
        ("substr regexp regexpmember", (2, 3)),
        ("anycompare allcompare version_in_range", (3, 3)),
        ("regexps replace replaceall", (3, 4)),
        ("split stringlistsize stringlistsum stringlistmin stringlistmax stringlistavg",
         (1, 2)),
        ("stringlistmember stringlistimember stringlistsintersect "
         "stringlistsubsetmatch stringlistisubsetmatch", (2, 3)),
        ("reltime", (0, 2)), ("time timezoneoffset", (0, 0)), ("random", (0, 1)), ("formattime abstime", (0, 2)),
        # HTCondor's
        ("envv1tov2", (1, 1)), ("listtoargs argstolist", (1, 2)), ("usermap", (2, 4)),
        ("stringlist_regexpmember", (2, 4)),
        ("join strcat", (0, 1 << 30))):
    for _n in _names.split():
        _ARITY[_n] = _range

ClassAd = None  # set by ad.py (it imports this module)

_M64 = 1 << 64
_MIN = -(1 << 63)
_MAX = (1 << 63) - 1


def _wrap(v):
    if _MIN <= v <= _MAX:
        return v
    return ((v - _MIN) % _M64) + _MIN


class EvalFailure(Exception):
    """Evaluation cannot complete (a circular reference): classad2 raises
    "failed to evaluate expression" rather than giving error."""


class ListValue(list):
    """An evaluated list; ``exprs`` holds the element expressions it came from,
    ``failed`` the indexes of elements whose evaluation failed (a loop):
    libclassad lists are lazy, so that only fails what uses those elements."""
    __slots__ = ("exprs", "failed")
    made = False    # made by a function (see MadeList)

    def __init__(self, values=(), exprs=None, failed=None):
        list.__init__(self, values)
        self.exprs = exprs
        self.failed = failed


class MadeList(ListValue):
    """A list a function made from values (evalInEachContext), with
    expressions for printing: for =?= it is of the kind of split()'s."""
    __slots__ = ()
    made = True


class Env:
    """The state of one evaluation: the scope, the match partner, the mode.

    ``old_semantics`` is part of the contract with functions.py.
    """
    __slots__ = ("cur", "my", "target", "old_semantics", "active", "root", "ctx", "consts",
                 "alt", "moved")

    def __init__(self, cur, target=None, old=True):
        self.cur = cur
        self.target = target
        self.old_semantics = old
        self.active = 0        # depth of attribute evaluation
        my = cur
        while my is not None and my._parent is not None:
            my = my._parent
        self.my = my           # the top-level ad of the scope
        self.root = my
        self.ctx = None        # the match context ads, made when needed
        self.consts = None     # the literals of the template being evaluated
        self.alt = None        # (nested ad, its alternate scope): see _in_context
        self.moved = None      # (ad moved to, ad written in, depth): see _home


# --- attribute lookup -------------------------------------------------------

_MAX_DEPTH = 100
_HOT = 3


def run_node(node, env):
    """Evaluate node in env. An Instance runs its template's closure with its
    literals, allocating nothing (one per provider ad: closures for each
    would wake the garbage collector); one evaluated often gets its own
    closure, with the literals as constants."""
    fn = node.fn
    if fn is not None:
        return fn(env)
    if node.__class__ is N.Instance:
        node.calls += 1
        if node.calls > _HOT:
            fn = node.fn = compile_node(node.tree)
            return fn(env)
        template = node.template
        body = template.fn or compile_node(template)
        saved = env.consts
        env.consts = node.consts
        try:
            return body(env)
        finally:
            env.consts = saved
    return compile_node(node)(env)


def eval_attr(env, scope, key, node):
    """Evaluate node, the value of attribute key of ad scope (a tree, or
    the bare value an ad keeps for a plain literal)."""
    t = node.__class__
    if t in _BARE:
        return node
    if t is N.Literal:
        return node.value
    # like libclassad, a depth limit (not a search for loops) ends a
    # circular reference: evaluation fails
    depth = env.active
    if depth >= _MAX_DEPTH:
        raise EvalFailure("failed to evaluate expression")
    env.active = depth + 1
    saved = env.cur
    env.cur = scope
    try:
        fn = node.fn
        if fn is not None:
            return fn(env)
        return run_node(node, env)
    except RecursionError:
        raise EvalFailure("failed to evaluate expression") from None
    finally:
        env.cur = saved
        env.active = depth


def _special(env, scope, key, parent):
    """The special names, tried at each scope lacking the attribute."""
    if key == "self" or (key == "my" and env.old_semantics):
        return scope
    if key == "parent":
        return parent if parent is not None else UNDEF
    if key in ("root", "toplevel"):
        root = env.root if env.target is None else match_context(env)[0]
        return root if root is not None else UNDEF
    if key == "currenttime" and env.old_semantics:
        return int(time.time())
    return None


_SPECIAL = frozenset(("self", "my", "parent", "root", "toplevel", "currenttime"))

# What a match puts around the two ads (libclassad's MatchClassAd):
#   [ lCtx = [ad = .LEFT; my = .LEFT; other = .RIGHT; target = .RIGHT];
#     LEFT = <my>; rCtx = [...]; RIGHT = <target>; leftRankValue = LEFT.rank; ... ]
_MATCH_NAMES = frozenset(("ad", "my", "other", "target", "lctx", "rctx", "left", "right",
                          "leftrankvalue", "rightrankvalue", "symmetricmatch",
                          "leftmatchesright", "rightmatchesleft"))
_MATCH_AD_ATTRS = (("leftRankValue", "LEFT.rank"), ("rightRankValue", "RIGHT.rank"),
                   ("symmetricMatch", "RIGHT.requirements && LEFT.requirements"),
                   ("leftMatchesRight", "RIGHT.requirements"),
                   ("rightMatchesLeft", "LEFT.requirements"))


def match_context(env):
    """(match ad, left context ad, right context ad) of a match, made once."""
    ctx = env.ctx
    if ctx is None:
        from .parsing import parse_expr

        def ctx_ad(me, other):
            ad = ClassAd._from_pairs([
                (n, N.AttrRef(None, v, absolute=True))
                for n, v in (("ad", me), ("my", me), ("other", other), ("target", other))])
            return ad
        lctx = ctx_ad("LEFT", "RIGHT")
        rctx = ctx_ad("RIGHT", "LEFT")
        match = ClassAd._from_pairs(
            [("lCtx", N.AdRef(lctx)), ("LEFT", N.AdRef(env.my)),
             ("rCtx", N.AdRef(rctx)), ("RIGHT", N.AdRef(env.target))]
            + [(n, parse_expr(t)) for n, t in _MATCH_AD_ATTRS])
        lctx._parent = rctx._parent = match
        ctx = env.ctx = (match, lctx, rctx)
    return ctx


def lookup_in_scope(env, scope, key, alternate):
    """Find key from ad scope outwards; evaluate it."""
    start = scope
    target = env.target
    while scope is not None:
        node = scope._attrs.get(key)
        if node is not None:
            return eval_attr(env, scope, key, node)
        parent = scope._parent
        if parent is None and target is not None:
            # a top-level ad of a match sits in its context ad
            if scope is env.my:
                parent = match_context(env)[1]
            elif scope is target:
                parent = match_context(env)[2]
        if key in _SPECIAL:
            v = _special(env, scope, key, parent)
            if v is not None:
                return v
        scope = parent
    if alternate and target is not None and env.old_semantics:
        # old semantics: an unscoped name missing from MY is looked up in TARGET
        if start is env.my:
            return lookup_in_scope(env, target, key, False)
        if start is target:
            return lookup_in_scope(env, env.my, key, False)
        alt = env.alt
        if alt is not None and start is alt[0]:
            return lookup_in_scope(env, alt[1], key, False)
    return UNDEF


def select(env, base, key):
    """base.key: an attribute of an ad, or of each ad of a list."""
    if ClassAd is not None and isinstance(base, ClassAd):
        if base.__class__ is SubscriptedAd:
            return UNDEF
        return lookup_in_scope(env, base, key, False)
    if isinstance(base, list):
        if getattr(base, "failed", None):
            raise EvalFailure("failed to evaluate expression")
        values = [select(env, v, key) for v in base]
        # a list of the same kind as a list literal's (libclassad's LIST, not
        # the SLIST split() makes: for =?= the two kinds differ)
        return ListValue(values, tuple(map(_literal_of, values)))
    if base is UNDEF:
        return UNDEF
    return ERROR


# --- operators --------------------------------------------------------------

def _num(v):
    """v as a number for arithmetic/comparison, or None."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return int(v)
    return None


def _strict(a, b):
    """Error beats undefined; None when neither is special."""
    if a is ERROR or b is ERROR:
        return ERROR
    if a is UNDEF or b is UNDEF:
        return UNDEF
    return None


_INF = math.inf


def _real(r):
    # libclassad turns a result of +infinity (only +) into error
    return ERROR if r == _INF else r


def op_add(a, b):
    if type(a) is int and type(b) is int:
        return _wrap(a + b)
    s = _strict(a, b)
    if s is not None:
        return s
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return times.arith("+", a, b)
    r = x + y
    return _wrap(r) if type(r) is int else _real(r)


def op_sub(a, b):
    if type(a) is int and type(b) is int:
        return _wrap(a - b)
    s = _strict(a, b)
    if s is not None:
        return s
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return times.arith("-", a, b)
    r = x - y
    return _wrap(r) if type(r) is int else _real(r)


def op_mul(a, b):
    s = _strict(a, b)
    if s is not None:
        return s
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return times.arith("*", a, b)
    r = x * y
    return _wrap(r) if type(r) is int else _real(r)


def op_div(a, b):
    s = _strict(a, b)
    if s is not None:
        return s
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return times.arith("/", a, b)
    if type(x) is int and type(y) is int:
        if y == 0:
            return ERROR
        if x == _MIN and y == -1:
            return _MAX
        q = abs(x) // abs(y)
        return q if (x < 0) == (y < 0) else -q
    if y == 0:
        # IEEE division as libclassad does it: 0.0/0 is NaN, 1.0/-0.0 is -inf,
        # and +inf becomes error
        if x != x or x == 0:
            return math.nan
        return _real(math.copysign(math.inf, x) * math.copysign(1.0, y))
    return _real(x / y)


def op_mod(a, b):
    s = _strict(a, b)
    if s is not None:
        return s
    x, y = _num(a), _num(b)
    if type(x) is not int or type(y) is not int:
        return ERROR
    if y == 0:
        return ERROR
    if y == -1:
        return 0
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _cmp(a, b):
    """(x, y) comparable, or a special value."""
    s = _strict(a, b)
    if s is not None:
        return s
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        return (a.lower(), b.lower())
    x, y = _num(a), _num(b)
    if x is None or y is None:
        # two absolute times compare as instants, two relative times as
        # numbers; a time against anything else is error
        if ta is AbsTime and tb is AbsTime:
            return (a.secs, b.secs)
        if ta is RelTime and tb is RelTime:
            return (float(a), float(b))
        return ERROR
    if type(x) is float or type(y) is float:
        return (float(x), float(y))
    return (x, y)


def _make_cmp(test):
    def op(a, b):
        if type(a) is str and type(b) is str:
            return test(a.lower(), b.lower())
        ta, tb = type(a), type(b)
        if ta is int or ta is float:
            if tb is ta:
                return test(a, b)
            if tb is int or tb is float:
                # an integer against a real: both as reals, as libclassad
                return test(float(a), float(b))
        c = _cmp(a, b)
        if c.__class__ is tuple:
            return test(c[0], c[1])
        return c
    return op


op_eq = _make_cmp(lambda x, y: x == y)
op_ne = _make_cmp(lambda x, y: x != y)
op_lt = _make_cmp(lambda x, y: x < y)
op_le = _make_cmp(lambda x, y: x <= y)
op_gt = _make_cmp(lambda x, y: x > y)
op_ge = _make_cmp(lambda x, y: x >= y)


def op_is(a, b):
    ta, tb = type(a), type(b)
    if ta is not tb:
        if isinstance(a, list) and isinstance(b, list):
            # a list literal and a function's list are different kinds of
            # value in libclassad (LIST vs SLIST)
            if made_by_function(a) != made_by_function(b):
                return False
            return ERROR
        return False
    if ta is list or ta is ListValue or (ClassAd is not None and (ta is ClassAd or ta is SubscriptedAd)):
        return ERROR
    return a == b


def op_isnt(a, b):
    r = op_is(a, b)
    return r if r is ERROR else not r


def _int_operands(a, b):
    s = _strict(a, b)
    if s is not None:
        return s
    if type(a) is not int or type(b) is not int:
        return ERROR
    return None


def op_band(a, b):
    return _int_operands(a, b) or (a & b)


def op_bor(a, b):
    s = _int_operands(a, b)
    return s if s is not None else a | b


def op_bxor(a, b):
    s = _int_operands(a, b)
    return s if s is not None else a ^ b


def op_lshift(a, b):
    s = _int_operands(a, b)
    return s if s is not None else _wrap(a << (b & 63))


def op_rshift(a, b):
    s = _int_operands(a, b)
    if s is not None:
        return s
    if a >= 0:
        return a >> (b & 63)
    # a negative number: as libclassad (built for x86-64) computes it
    if b <= 0:
        return a
    return -1 if b >= 64 else a >> b


def op_urshift(a, b):
    s = _int_operands(a, b)
    if s is not None:
        return s
    if a >= 0:
        return a >> (b & 63)
    # libclassad masks off the sign extension: (a >> b) & ~(~0 << (64 - b))
    keep = ~(-1 << ((64 - b) & 63)) & (_M64 - 1)
    return _wrap((a >> (b & 63)) & keep)


def _truth(v):
    """bool for a logical operand, or a special value."""
    t = type(v)
    if t is bool:
        return v
    if t is int or t is float:
        return v != 0
    if v is UNDEF:
        return UNDEF
    return ERROR


_BINARY = {
    "+": op_add, "-": op_sub, "*": op_mul, "/": op_div, "%": op_mod,
    "==": op_eq, "!=": op_ne, "<": op_lt, "<=": op_le, ">": op_gt, ">=": op_ge,
    "=?=": op_is, "=!=": op_isnt, "&": op_band, "|": op_bor, "^": op_bxor,
    "<<": op_lshift, ">>": op_rshift, ">>>": op_urshift,
}


def op_neg(v):
    t = type(v)
    if t is int:
        return _wrap(-v)
    if t is float:
        return -v
    if t is RelTime:
        return RelTime(-v)
    if v is UNDEF:
        return UNDEF
    return ERROR


def op_pos(v):
    t = type(v)
    if t is int or t is float or t is RelTime:
        return v
    if v is UNDEF:
        return UNDEF
    return ERROR


def op_not(v):
    r = _truth(v)
    if r is True or r is False:
        return not r
    return r


def op_invert(v):
    if type(v) is int:
        return ~v
    if v is UNDEF:
        return UNDEF
    return ERROR


_UNARY = {"-": op_neg, "+": op_pos, "!": op_not, "~": op_invert}


# --- compilation ------------------------------------------------------------

def compile_node(node):
    """The closure of node (compiled once, cached on the node)."""
    fn = node.fn
    if fn is None:
        fn = _COMPILERS[node.__class__](node)
        node.fn = fn
    return fn


def _c_literal(node):
    v = node.value

    def lit(env):
        return v
    return lit


def _c_reltime_literal(node):
    v = node.value      # a plain real: what libclassad evaluates it to

    def lit(env):
        return v
    return lit


def _c_attrref(node):
    key = node.lname
    if node.base is None:
        if node.absolute:
            def absolute(env):
                root = env.root if env.target is None else match_context(env)[0]
                if root is None:
                    return UNDEF
                return lookup_in_scope(env, root, key, False)
            return absolute

        if key in _SPECIAL or key in _MATCH_NAMES:
            def ref(env):
                return lookup_in_scope(env, env.cur, key, True)
            return ref

        def ref(env):
            scope = env.cur
            if scope is not None:
                n = scope._attrs.get(key)
                if n is not None:
                    t = n.__class__
                    if t in _BARE:
                        return n
                    if t is N.Literal:
                        return n.value
                    return eval_attr(env, scope, key, n)
                if scope._parent is None:
                    # a top-level ad lacking it: in a match under old
                    # semantics, the other ad (the common case, inlined)
                    target = env.target
                    if target is None:
                        return UNDEF
                    if not env.old_semantics:
                        return UNDEF
                    if scope is env.my:
                        other = target
                    elif scope is target:
                        other = env.my
                    else:
                        return UNDEF
                    n = other._attrs.get(key)
                    if n is not None:
                        t = n.__class__
                        if t in _BARE:
                            return n
                        if t is N.Literal:
                            return n.value
                        return eval_attr(env, other, key, n)
                    return lookup_in_scope(env, other, key, False)
            return lookup_in_scope(env, scope, key, True)
        return ref
    base = compile_node(node.base)
    b = node.base
    if b.__class__ is N.AttrRef and b.base is None and not b.absolute \
            and b.lname in ("target", "my"):
        # TARGET.x / MY.x: the common matchmaking case, one level less deep
        bkey = b.lname

        def scoped(env):
            scope = env.cur
            if scope is not None and bkey not in scope._attrs and scope is env.my \
                    and env.target is not None:
                ad = env.target if bkey == "target" else scope
                n = ad._attrs.get(key)
                if n is not None:
                    t = n.__class__
                    if t in _BARE:
                        return n
                    if t is N.Literal:
                        return n.value
                    return eval_attr(env, ad, key, n)
                return lookup_in_scope(env, ad, key, False)
            return select(env, base(env), key)
        return scoped

    def selection(env):
        return select(env, base(env), key)
    return selection


def _c_binary(node):
    op = node.op
    left = compile_node(node.left)
    right = compile_node(node.right)
    if op == "&&":
        def land(env):
            a = left(env)
            if a is True:
                b = right(env)
                if b is True or b is False:
                    return b
                return _truth(b)
            a = _truth(a)
            if a is False:
                return False
            b = _truth(right(env))   # evaluated even after error, as libclassad does
            if a is ERROR:
                return ERROR
            if a is True:
                return b
            # a is undefined
            if b is False or b is ERROR:
                return b
            return UNDEF
        return land
    if op == "||":
        def lor(env):
            a = left(env)
            if a is False:
                b = right(env)
                if b is True or b is False:
                    return b
                return _truth(b)
            a = _truth(a)
            if a is True:
                return True
            b = _truth(right(env))
            if a is ERROR:
                return ERROR
            if a is False:
                return b
            if b is True or b is ERROR:
                return b
            return UNDEF
        return lor
    if op in ("==", "!=") and node.right.__class__ is N.Literal \
            and type(node.right.value) is str:
        low = node.right.value.lower()
        slow = _BINARY[op]
        lit = node.right.value
        if op == "==":
            def eq_str(env):
                a = left(env)
                if type(a) is str:
                    return a.lower() == low
                return slow(a, lit)
            return eq_str

        def ne_str(env):
            a = left(env)
            if type(a) is str:
                return a.lower() != low
            return slow(a, lit)
        return ne_str
    if op == "==":
        def eq(env):
            a = left(env)
            b = right(env)
            if type(a) is str and type(b) is str:
                return a.lower() == b.lower()
            return op_eq(a, b)
        return eq
    f = _BINARY[op]

    def binary(env):
        return f(left(env), right(env))
    return binary


def _c_unary(node):
    f = _UNARY[node.op]
    operand = compile_node(node.operand)

    def unary(env):
        return f(operand(env))
    return unary


def _c_paren(node):
    return compile_node(node.expr)


def _c_ternary(node):
    cond = compile_node(node.cond)
    other = compile_node(node.other)
    if node.then is None:
        def elvis(env):
            v = cond(env)
            return other(env) if v is UNDEF else v
        return elvis
    then = compile_node(node.then)

    def ternary(env):
        c = _truth(cond(env))
        if c is True:
            return then(env)
        if c is False:
            return other(env)
        then(env)     # libclassad evaluates both arms then (a loop in one fails)
        other(env)
        return c
    return ternary


def _c_subscript(node):
    base = compile_node(node.base)
    index = compile_node(node.index)

    def subscript(env):
        b = base(env)
        i = index(env)
        if b is ERROR or i is ERROR:
            return ERROR
        if b is UNDEF or i is UNDEF:
            return UNDEF
        if isinstance(b, list):
            if type(i) is not int:
                return ERROR
            i = ((i + 0x80000000) & 0xFFFFFFFF) - 0x80000000   # libclassad takes an int
            if i < 0 or i >= len(b):
                return ERROR
            return b[i]     # an element that failed (a loop) is error, as libclassad
        if ClassAd is not None and isinstance(b, ClassAd) and type(i) is str:
            # libclassad looks in the ad itself (not the ads around it) and
            # evaluates what it finds there; an ad it gets is another kind
            # of ad value (see SubscriptedAd)
            key = i.lower()
            n = b._attrs.get(key)
            if n is None:
                return UNDEF
            v = eval_attr(env, b, key, n)
            if isinstance(v, ClassAd):
                return subscripted(v)
            return v
        return ERROR
    return subscript


def subscripted(ad):
    """The ad ad["name"] gives in libclassad: a value of another kind than
    an ad reached by name (=?= between the two is false, not error), from
    which a selection (.name) finds nothing, though a subscript does."""
    if ad.__class__ is SubscriptedAd:
        return ad
    c = SubscriptedAd.__new__(SubscriptedAd)
    c._attrs = dict(ad._attrs)
    c._names = dict(ad._names)
    c._parent = ad._parent
    return c


SubscriptedAd = None  # made by ad.py (a subclass of its ClassAd)


def _c_param(node):
    k = node.k

    def param(env):
        return env.consts[k]
    return param


def _c_instance(node):
    body = compile_node(node.template)
    consts = node.consts
    calls = 0

    def instance(env):
        nonlocal calls
        calls += 1
        if calls > 3:
            # evaluated often (a job's Requirements): compile its own tree,
            # with the literals as constants
            fn = node.fn = compile_node(node.tree)
            return fn(env)
        saved = env.consts
        env.consts = consts
        try:
            return body(env)
        finally:
            env.consts = saved
    return instance


def _c_adref(node):
    ad = node.ad

    def adref(env):
        return ad
    return adref


def _has_param(node):
    from .templates import _count_params
    return _count_params(node) > 0


def _c_list(node):
    items = [compile_node(i) for i in node.items]
    exprs = node.items
    if _has_param(node):
        # in a template: the element expressions get their literals back
        def listexpr(env):
            return _evaluate_list(env, items, N.substitute(node, env.consts).items)
        return listexpr

    def listexpr(env):
        return _evaluate_list(env, items, exprs)
    return listexpr


def _evaluate_list(env, items, exprs):
    # (libclassad evaluates an element when it is used, not here: where an
    # element's evaluation moves the current ad, see _find_expr, the rest of
    # the expression does not see it)
    cur = env.cur
    try:
        values = []
        for f in items:
            values.append(f(env))
            env.cur = cur
        return ListValue(values, exprs)
    except EvalFailure:
        # lists are lazy in libclassad: a looping element fails only if used
        values = []
        failed = set()
        for n, f in enumerate(items):
            env.cur = cur
            try:
                values.append(f(env))
            except EvalFailure:
                values.append(ERROR)
                failed.add(n)
        return _FailingList(values, exprs, failed)
    finally:
        env.cur = cur


class _FailingList(ListValue):
    """A list with elements whose evaluation failed: reaching one fails."""
    __slots__ = ()

    def __iter__(self):
        failed = self.failed
        for n, v in enumerate(list.__iter__(self)):
            if n in failed:
                raise EvalFailure("failed to evaluate expression")
            yield v

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(self)[i]
        if (i if i >= 0 else i + len(self)) in self.failed:
            return ERROR    # libclassad: {1, loop}[1] is error (iterating fails)
        return list.__getitem__(self, i)


def _c_ad(node):
    attrs = node.attrs
    if _has_param(node):
        def adexpr_t(env):
            ad = ClassAd._from_pairs(N.substitute(node, env.consts).attrs)
            ad._parent = _home(env)
            return ad
        return adexpr_t

    def adexpr(env):
        ad = ClassAd._from_pairs(attrs)
        ad._parent = _home(env)
        return ad
    return adexpr


def _home(env):
    """The ad an ad literal being evaluated is written in: where the
    evaluation is, unless evalInEachContext moved it (_f_each_context)."""
    cur = env.cur
    m = env.moved
    if m is not None and m[0] is cur and m[2] == env.active:
        return m[1]
    return cur


def _c_call(node):
    name = node.lname
    special = _SPECIAL_FUNCTIONS.get(name)
    if special is not None:
        return special(node)
    args = [compile_node(a) for a in node.args]
    fn = FUNCTIONS.get(name)
    exact = EXACT_CASE_NAMES.get(name)
    if fn is None:
        def unknown(env):
            return ERROR
        return unknown
    if exact is not None and node.name != exact:
        def misspelt(env):
            # libclassad looks at the arguments before the spelling: an
            # undefined one makes it undefined, else it is error
            if len(args) != 2:
                return ERROR
            values = [a(env) for a in args]
            return UNDEF if any(v is UNDEF for v in values) else ERROR
        return misspelt
    always = name in _ARG_FAILURE_ALWAYS_ERROR
    early = _EARLY_EXIT.get(name)
    lo, hi = _ARITY.get(name, (0, 1 << 30))
    bad_count = not (lo <= len(args) <= hi)
    if bad_count:
        # libclassad counts the arguments before it evaluates any
        return lambda env: ERROR

    if name in _MEMO_FUNCTIONS:
        memo = Cache(256 * 1024)

        def memo_call(env):
            values = []
            try:
                for a in args:
                    values.append(a(env))
            except EvalFailure:
                if bad_count or always:
                    return ERROR
                raise
            # the same string arguments give the same answer: remember it
            for v in values:
                if type(v) is not str:
                    return _apply(fn, values, env)
            # (strings of ClassAds hold no NUL, so the join is unambiguous)
            key = "\0".join(values) if env.old_semantics else "\1".join(values)
            r = memo.get(key, memo)
            if r is memo:
                r = _apply(fn, values, env)
                memo.learn(key, r, 2 * text_size(key) + ENTRY)
            return r
        return memo_call

    order = _ARG_ORDER.get(name)
    if order is not None and len(order) == len(args):
        def ordered_call(env):
            values = [None] * len(args)
            for k in order:
                try:
                    values[k] = args[k](env)
                except EvalFailure:
                    if bad_count or always:
                        return ERROR
                    if early is not None:
                        for n in order:
                            if n == k:
                                break
                            r = early(n, values[n])
                            if r is not None:
                                return r
                    raise
            return _apply(fn, values, env)
        return ordered_call

    def call(env):
        values = []
        try:
            for a in args:
                values.append(a(env))
        except EvalFailure:
            # what libclassad does before (or instead of) evaluating them
            if bad_count or always:
                return ERROR
            # the few that give up at an earlier argument
            if early is not None:
                for n, v in enumerate(values):
                    r = early(n, v)
                    if r is not None:
                        return r
            raise
        return _apply(fn, values, env)
    return call


# --- functions that need their arguments unevaluated, or the scope --------

def _f_ifthenelse(node):
    if len(node.args) != 3:
        return lambda env: ERROR
    cond, then, other = (compile_node(a) for a in node.args)

    def ifthenelse(env):
        c = _truth(cond(env))
        if c is True:
            return then(env)
        if c is False:
            return other(env)
        return c
    return ifthenelse


def _f_eval(node):
    if len(node.args) != 1:
        return lambda env: ERROR
    arg = compile_node(node.args[0])

    def eval_(env):
        v = arg(env)
        if type(v) is not str:
            return ERROR if (v is UNDEF or v is ERROR) else v
        from .parsing import parse_expr
        try:
            tree = parse_expr(v, old_semantics=env.old_semantics)
        except Exception:
            return ERROR
        return compile_node(tree)(env)
    return eval_


def _f_unparse(node):
    from .printer import pretty
    if len(node.args) != 1 or node.args[0].__class__ is not N.AttrRef:
        return lambda env: ERROR
    ref = node.args[0]

    def unparse_(env):
        # the text of the expression an unscoped reference names
        if ref.base is not None or ref.absolute:
            return ""
        # (libclassad looks in the current ad only, not the ads around it)
        scope = env.cur
        n = scope._attrs.get(ref.lname) if scope is not None else None
        return pretty(N.as_node(n)) if n is not None else ""
    return unparse_


_DEREF_SPECIAL = frozenset(("self", "parent", "root", "toplevel"))


def _find_expr(env, ref):
    """(the expression attribute reference ref names in env, or None when
    it names none; the ad libclassad's look-up leaves its evaluation at, or
    None when it leaves it where it was) -- libclassad's Deref. The look-up
    moves the evaluation to the ad it found the name in, or to the root
    when it found none (LookupInScope), and nothing moves it back before the
    attribute being evaluated is done."""
    key = ref.lname
    base = ref.base
    top = env.root if env.target is None else None
    if ref.absolute:
        scope = env.root if env.target is None else match_context(env)[0]
        scopes = [scope]
    elif base is None:
        scopes = [env.cur]
        if env.old_semantics and env.target is not None:
            scopes.append(env.target if env.cur is env.my else env.my)
    elif base.__class__ is N.AttrRef and base.base is None and base.lname in ("my", "target") \
            and not base.absolute and env.target is not None:
        scopes = [env.my if base.lname == "my" else env.target]
    else:
        try:
            ad = compile_node(base)(env)
        except EvalFailure:
            return None, None
        if ClassAd is None or not isinstance(ad, ClassAd):
            return None, None
        scopes = [ad]
    if scopes[0] is None:
        return None, None
    for scope in scopes:
        while scope is not None:
            n = scope._attrs.get(key)
            if n is not None:
                return N.as_node(n), scope
            if key in _DEREF_SPECIAL:
                # the special names, answered at the first ad that lacks them
                if key == "self":
                    return N.AdRef(scope), scope
                if key == "parent":
                    p = scope._parent
                    return (N.AdRef(p) if p is not None else None), scope
                root = env.root if env.target is None else match_context(env)[0]
                return (N.AdRef(root) if root is not None else None), scope
            last = scope
            scope = scope._parent
    if env.target is not None:
        return None, match_context(env)[0]
    return None, top if top is not None else last


def _in_context(expr, env, element):
    """What expr evaluates to in the ad element (compat_classad's
    evaluateInContext): error when element is no ad (undefined when
    undefined). In a match the other ad stays the alternate scope (old
    semantics) and TARGET; MY is the element."""
    if ClassAd is None or not isinstance(element, ClassAd):
        return UNDEF if element is UNDEF else ERROR
    inner = Env(element, env.target, env.old_semantics)
    if env.target is not None:
        # libclassad gives the element the alternate scope of the side of
        # the match it is on (old semantics: the other ad)
        inner.alt = (element, env.target if inner.my is env.my else env.my)
    try:
        return run_node(expr, inner)
    except (EvalFailure, RecursionError):
        return ERROR


def _f_each_context(counting):
    """evalInEachContext(expr, ads): expr evaluated in each ad of the list;
    countMatches(expr, ads): how many of those are true. An attribute
    reference names the expression to evaluate if it names one (else it is
    evaluated as it is, in each ad)."""
    def compile_(node):
        if len(node.args) != 2:
            return lambda env: ERROR
        expr_node, list_node = node.args
        items = list_node.items if list_node.__class__ is N.ListExpr else None
        item_fns = [compile_node(i) for i in items] if items is not None else None
        list_fn = compile_node(list_node)

        def each(env):
            expr = expr_node
            consts = env.consts
            if expr.__class__ is N.AttrRef:
                found, moved_to = _find_expr(env, expr)
                if found is not None:
                    expr = found
                if moved_to is not None and moved_to is not env.cur:
                    # as in libclassad, the list and the rest of the
                    # attribute being evaluated are read where the look-up
                    # ended (eval_attr moves back when that attribute is done);
                    # an ad written in it still has the ad it is written in
                    # around it (env.moved, for _c_ad)
                    m = env.moved
                    home = m[1] if m is not None and m[0] is env.cur \
                        and m[2] == env.active else env.cur
                    env.moved = (moved_to, home, env.active)
                    env.cur = moved_to
            if consts is not None:
                expr = N.substitute(expr, consts)
            if item_fns is not None:
                elements = []
                for f in item_fns:
                    try:
                        elements.append(f(env))
                    except EvalFailure:
                        elements.append(ERROR)
            else:
                try:
                    v = list_fn(env)
                except EvalFailure:
                    # (HTCondor does not look at whether the list could be
                    # evaluated, only at what it got: error)
                    v = ERROR
                if v is UNDEF:
                    return 0 if counting else UNDEF
                if not isinstance(v, list):
                    return ERROR
                failed = v.failed if isinstance(v, ListValue) else None
                elements = [ERROR if failed and k in failed else x
                            for k, x in enumerate(list.__iter__(v))]
            results = [_in_context(expr, env, e) for e in elements]
            if counting:
                return sum(1 for r in results if _truth(r) is True)
            return MadeList(results, tuple(_literal_of(r) for r in results))
        return each
    return compile_


def _literal_of(v):
    """An expression for a computed value (a list element that prints)."""
    if ClassAd is not None and isinstance(v, ClassAd):
        return N.AdExpr([(v._names[k], N.as_node(e)) for k, e in v._attrs.items()])
    if isinstance(v, list):
        exprs = getattr(v, "exprs", None)
        return N.ListExpr(exprs if exprs is not None else [_literal_of(x) for x in v])
    return N.Literal(v)


def _f_debug(node):
    """debug(expr): expr's value; while it is evaluated, each attribute
    reference, call, list and ad in it is traced (debugging.py), then expr."""
    if len(node.args) != 1:
        return lambda env: ERROR
    arg = node.args[0]
    return _tracing(arg, _compile_traced(arg))


def _compile_traced(node):
    """The closure of a copy of node in which the nodes libclassad traces
    report their values (the shared, cached closures stay as they are)."""
    copy = N.clone(N.materialize(node))
    for n in N.post_order(copy):
        fn = _COMPILERS[n.__class__](n)     # children already compiled (and traced)
        if n.__class__ in debugging.TRACED:
            fn = _tracing(n, fn)
        n.fn = fn
    return copy.fn


def _tracing(node, fn):
    known = _known_function(node)

    def traced(env):
        start = time.perf_counter()
        v = fn(env)
        debugging.report(node, v, time.perf_counter() - start, known)
        return v
    return traced


def _known_function(node):
    """False for a call of a function the library does not have."""
    return node.__class__ is not N.Call or node.lname in FUNCTIONS \
        or node.lname in _SPECIAL_FUNCTIONS


def _f_user_home(node):
    """userHome(name[, default]): HTCondor evaluates the default first;
    one that cannot be evaluated is no default, a name that cannot be is
    error."""
    fn = FUNCTIONS["userhome"]
    args = [compile_node(a) for a in node.args]

    def user_home(env):
        values = [ERROR] * len(args)
        for k in reversed(range(len(args))):
            try:
                values[k] = args[k](env)
            except EvalFailure:
                pass
        return _apply(fn, values, env)
    if len(args) not in (1, 2):
        return lambda env: _apply(fn, [None] * len(args), env)
    return user_home


_SPECIAL_FUNCTIONS = {
    "userhome": _f_user_home,
    "ifthenelse": _f_ifthenelse,
    "eval": _f_eval,
    "unparse": _f_unparse,
    "debug": _f_debug,
    "evalineachcontext": _f_each_context(False),
    "countmatches": _f_each_context(True),
}


_COMPILERS = {
    N.Literal: _c_literal,
    N.RelTimeLiteral: _c_reltime_literal,
    N.AttrRef: _c_attrref,
    N.Binary: _c_binary,
    N.Unary: _c_unary,
    N.Paren: _c_paren,
    N.Ternary: _c_ternary,
    N.Subscript: _c_subscript,
    N.ListExpr: _c_list,
    N.AdExpr: _c_ad,
    N.Call: _c_call,
    N.AdRef: _c_adref,
    N.Param: _c_param,
    N.Instance: _c_instance,
}


def evaluate(node, scope=None, target=None, old=True):
    """The value of node in ad scope, with target as the match partner."""
    fn = node.fn or compile_node(node)
    return fn(Env(scope, target, old))
