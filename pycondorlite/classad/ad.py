"""ClassAd (a case-insensitive mapping of attribute names to expressions)
and ExprTree, with the surface of classad2's."""

import datetime
from collections.abc import Mapping, MutableMapping

from . import compiler
from . import debugging
from . import nodes as N
from . import printer
from . import times
from .compiler import Env, EvalFailure, compile_node
from .errors import ClassAdException, ClassAdSyntaxError
from .parsing import SharedNames, first_new_ad, parse_exprtree_text
from .semantics import old_semantics
from .value import AbsTime, RelTime, Value


def _from_python(value):
    """A tree for a Python value stored into an ad, converted as classad2
    converts it: a datetime is an absolute time, bytes a (UTF-8) string, a
    mapping a nested ad, any other iterable a list."""
    if isinstance(value, ExprTree):
        return value._node
    if value is None:
        return N.UNDEFINED_LIT
    if isinstance(value, Value):
        return N.Literal(Value(value))
    if isinstance(value, bool):
        return N.Literal(bool(value))
    if isinstance(value, str):
        return N.Literal(str(value))
    if isinstance(value, int):
        if not (-(1 << 63) <= value < (1 << 63)):
            raise OverflowError("int too big to convert")
        return N.Literal(int(value))
    if isinstance(value, float):
        return N.Literal(float(value))
    if isinstance(value, bytes):
        # libclassad strings are bytes: ones that are no UTF-8 are kept as they are
        return N.Literal(value.decode("utf-8", "surrogateescape"))
    if isinstance(value, datetime.datetime):
        return N.Literal(times.from_datetime(value))
    if isinstance(value, ClassAd):
        return N.AdExpr([(value._names[k], N.as_node(e)) for k, e in value._attrs.items()])
    if isinstance(value, Mapping):
        pairs = {}      # lower-case name -> (first spelling, last value), as an ad keeps them
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("ClassAd keys are strings")
            key = k.lower()
            pairs[key] = (pairs[key][0] if key in pairs else k, _from_python(v))
        return N.AdExpr(pairs.values())
    if not isinstance(value, (datetime.date, datetime.timedelta)):
        try:
            items = iter(value)
        except TypeError:
            pass
        else:
            return N.ListExpr([_from_python(v) for v in items])
    raise ClassAdException("Unable to convert Python object to a ClassAd expression.")


def _atom_to_python(v):
    """An evaluated atom as classad2 hands it out: an absolute time as the
    UTC datetime of its instant, a relative time as a float."""
    t = type(v)
    if t is AbsTime:
        return times.to_datetime(v)
    if t is RelTime:
        return float(v)
    return v


def _node_to_python(node, parent=None):
    """What ``ad[key]`` gives for a stored tree: a value if literal, else an ExprTree."""
    t = node.__class__
    if t in N.BARE:
        return node
    if t is N.Literal:
        return _atom_to_python(node.value)
    if t is N.RelTimeLiteral:
        return node.value
    if t is N.ListExpr:
        return [_node_to_python(i, parent) for i in node.items]
    if t is N.AdExpr:
        ad = ClassAd._from_pairs(node.attrs)
        ad._parent = parent
        return ad
    if t is N.AdRef:
        return node.ad
    return ExprTree._wrap(node)


def _value_to_python(v):
    """An evaluated value as classad2 returns it."""
    if isinstance(v, list):
        exprs = getattr(v, "exprs", None)
        if exprs is not None:
            out = []
            for e, val in zip(exprs, list.__iter__(v)):
                if e.__class__ is N.Literal:
                    out.append(_atom_to_python(e.value))
                elif e.__class__ is N.RelTimeLiteral:
                    out.append(e.value)
                elif e.__class__ is N.ListExpr or e.__class__ is N.AdExpr:
                    out.append(_value_to_python(val))
                else:
                    out.append(ExprTree._wrap(e))
            return out
        return [_value_to_python(x) for x in v]
    return _atom_to_python(v)


def _failure():
    """What an evaluation that cannot complete raises (and records)."""
    e = ClassAdException("failed to evaluate expression")
    debugging.record_error(e)
    return e


def _value_to_node(v):
    """The literal simplify() makes of an evaluated value: an absolute time
    keeps its zone, a relative time is cut to whole seconds (a C int), as
    libclassad makes the literal."""
    t = type(v)
    if t is AbsTime:
        return N.Literal(v)
    if t is RelTime:
        return N.RelTimeLiteral(times.c_int(v))
    return _from_python(_value_to_python(v))


class ExprTree:
    """An expression in the ClassAd language."""

    __slots__ = ("_node",)

    def __init__(self, expr=None):
        if expr is None:
            self._node = N.UNDEFINED_LIT
        elif isinstance(expr, ExprTree):
            self._node = expr._node
        elif isinstance(expr, str):
            try:
                self._node = parse_exprtree_text(expr, old_semantics())
            except ClassAdSyntaxError as e:
                debugging.record_error(e)
                raise
        else:
            raise TypeError("expr must be None, str, or ExprTree")

    @classmethod
    def _wrap(cls, node):
        e = cls.__new__(cls)
        e._node = node
        return e

    def _evaluate(self, scope, target):
        if scope is not None and not isinstance(scope, ClassAd):
            raise TypeError("scope must be a ClassAd")
        if target is not None and not isinstance(target, ClassAd):
            raise TypeError("target must be a ClassAd")
        node = self._node
        fn = node.fn or compile_node(node)
        try:
            return fn(Env(scope, target, old_semantics()))
        except EvalFailure:
            raise _failure() from None

    def eval(self, scope=None, target=None):
        """The value of the expression, MY being scope and TARGET target."""
        # _evaluate's body written out: this is the negotiator's hot path,
        # where the extra call cost a measurable share of a cycle.
        if scope is not None and not isinstance(scope, ClassAd):
            raise TypeError("scope must be a ClassAd")
        if target is not None and not isinstance(target, ClassAd):
            raise TypeError("target must be a ClassAd")
        node = self._node
        fn = node.fn or compile_node(node)
        try:
            v = fn(Env(scope, target, old_semantics()))
        except EvalFailure:
            raise _failure() from None
        t = v.__class__
        if t is bool or t is str or t is int or t is float:
            return v
        return _value_to_python(v)

    def simplify(self, scope=None, target=None):
        """The value of the expression, as an ExprTree."""
        v = self._evaluate(scope, target)
        if isinstance(v, N.Node):
            return ExprTree._wrap(v)
        return ExprTree._wrap(_value_to_node(v))

    def __eq__(self, other):
        if type(other) is type(self):
            return self._node == other._node
        return False

    __hash__ = None

    def __str__(self):
        return printer.pretty(self._node)

    def __repr__(self):
        return printer.unparse(self._node)


class ClassAd(MutableMapping):
    """A ClassAd: attribute name (any case) to expression."""

    __slots__ = ("_attrs", "_names", "_parent", "__weakref__")
    _subscripted = False   # see SubscriptedAd

    def __init__(self, input=None):
        self._attrs = {}     # lower-case name -> tree
        self._names = {}     # lower-case name -> name as written
        self._parent = None  # the enclosing ad of a nested ad
        if input is None:
            return
        if isinstance(input, dict):
            for k, v in input.items():
                self[k] = v
            return
        if isinstance(input, str):
            try:
                self._attrs, self._names = first_new_ad(input, old_semantics())
            except ClassAdSyntaxError as e:
                debugging.record_error(e)
                raise
            return
        raise TypeError("input must be None, str, or dict")

    @classmethod
    def _from_pairs(cls, pairs):
        ad = cls.__new__(cls)
        ad._attrs = {}
        ad._names = {}
        ad._parent = None
        ad._set_pairs(pairs)
        return ad

    @classmethod
    def _from_dicts(cls, attrs, names):
        ad = cls.__new__(cls)
        ad._attrs = attrs
        ad._names = names
        ad._parent = None
        return ad

    def _own_names(self):
        """The dict of spellings, made this ad's own before a change."""
        names = self._names
        if type(names) is SharedNames:
            names = self._names = dict(names)
        return names

    def _set_pairs(self, pairs):
        attrs, names = self._attrs, self._own_names()
        stored = N.stored
        for name, node in pairs:
            key = name.lower()
            attrs[key] = stored(node)
            if key not in names:
                names[key] = name

    # --- mapping ---------------------------------------------------------
    def __len__(self):
        return len(self._attrs)

    def __iter__(self):
        names = self._names
        return iter([names[k] for k in sorted(names, key=printer._order)])

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._attrs

    def __getitem__(self, key):
        if not isinstance(key, str):
            raise TypeError("ClassAd keys are strings")
        node = self._attrs.get(key.lower())
        if node is None:
            raise KeyError(key)
        return _node_to_python(node, self)

    def get(self, key, default=None):
        if not isinstance(key, str):
            raise TypeError("ClassAd keys are strings")
        node = self._attrs.get(key.lower())
        if node is None:
            return default
        return _node_to_python(node, self)

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError("ClassAd keys are strings")
        node = N.stored(_from_python(value))
        k = key.lower()
        self._attrs[k] = node
        names = self._own_names()
        if k not in names:
            names[k] = key

    def __delitem__(self, key):
        if not isinstance(key, str):
            raise TypeError("ClassAd keys are strings")
        k = key.lower()
        if k not in self._attrs:
            raise KeyError(key)
        del self._attrs[k]
        del self._own_names()[k]

    def update(self, other=(), **kw):
        if isinstance(other, ClassAd):
            names = self._own_names()
            for k, node in other._attrs.items():
                if k not in names:
                    names[k] = other._names[k]
                self._attrs[k] = node
        else:
            MutableMapping.update(self, other)
        for k, v in kw.items():
            self[k] = v

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if self._attrs.keys() != other._attrs.keys():
            return False
        as_node = N.as_node
        return all(as_node(n) == as_node(other._attrs[k]) for k, n in self._attrs.items())

    __hash__ = None

    def __reduce__(self):
        return (ClassAd, (repr(self),))

    def copy(self):
        ad = ClassAd._from_pairs([(self._names[k], e) for k, e in self._attrs.items()])
        ad._parent = self._parent
        return ad

    # --- expressions -----------------------------------------------------
    def lookup(self, attr):
        """The ExprTree of attr (KeyError if absent)."""
        if not isinstance(attr, str):
            raise TypeError("ClassAd keys are strings")
        node = self._attrs.get(attr.lower())
        if node is None:
            raise KeyError(attr)
        return ExprTree._wrap(N.as_node(node))

    def eval(self, attr):
        """The value of attr evaluated in this ad (KeyError if absent)."""
        if not isinstance(attr, str):
            raise TypeError("ClassAd keys are strings")
        key = attr.lower()
        node = self._attrs.get(key)
        if node is None:
            raise KeyError(attr)
        env = Env(self, None, old_semantics())
        try:
            return _value_to_python(compiler.eval_attr(env, self, key, node))
        except EvalFailure:
            raise _failure() from None

    def evaluate(self, expr, target=None):
        """The value of an expression (text or ExprTree) with this ad as MY."""
        if isinstance(expr, str):
            expr = ExprTree(expr)
        return expr.eval(self, target)

    def matches(self, ad):
        """True when ad's Requirements, evaluated with this ad as TARGET, is true."""
        if not isinstance(ad, ClassAd):
            raise TypeError("ad must be a ClassAd")
        return _requirements_hold(ad, self, old_semantics())

    def symmetricMatch(self, ad):
        """self.matches(ad) and ad.matches(self)."""
        if not isinstance(ad, ClassAd):
            raise TypeError("ad must be a ClassAd")
        old = old_semantics()
        if self._parent is not None or ad._parent is not None:
            return _requirements_hold(ad, self, old) and _requirements_hold(self, ad, old)
        return _match_pair(self, ad, old)

    def flatten(self, expr):
        """Partially evaluate expr in this ad: what can be computed is."""
        if not isinstance(expr, ExprTree):
            raise TypeError("expr must be an ExprTree")
        from .flatten import flatten
        return ExprTree._wrap(flatten(expr._node, self, old_semantics()))

    def externalRefs(self, expr):
        """Attributes expr references that this ad does not define."""
        from .flatten import references
        return [r for r in references(expr._node) if r.split(".")[0].lower() not in self._attrs]

    def internalRefs(self, expr):
        """Attributes expr references that this ad defines."""
        from .flatten import references
        return [r for r in references(expr._node) if r.split(".")[0].lower() in self._attrs]

    # --- printing --------------------------------------------------------
    def __repr__(self):
        return printer.ad_repr(self)

    def __str__(self):
        return printer.ad_str(self)

    def printOld(self):
        return printer.ad_old(self)

    def printJson(self):
        return printer.ad_json(self)


_new_env = Env.__new__
_Literal = N.Literal
_BARE = N.BARE
_env_pool = []


def _requirements_hold(ad, target, old):
    """ad's Requirements, with target as TARGET, as classad2's matches() converts it.

    The matchmaking hot path: one small Env, the compiled closure called
    directly (the attribute is top-level, no scope walk)."""
    node = ad._attrs.get("requirements")
    if node is None:
        return False
    if node.__class__ in _BARE:
        v = node
    elif node.__class__ is _Literal:
        v = node.value
    else:
        if ad._parent is None:
            # Envs are reused: allocating one per match wakes the cyclic
            # garbage collector, whose passes over thousands of ads cost more
            # than the matching itself
            env = _env_pool.pop() if _env_pool else _new_env(Env)
            env.cur = env.my = env.root = ad
            env.target = target
            env.old_semantics = old
            env.active = 1
            env.ctx = env.consts = env.alt = env.moved = None
        else:
            env = Env(ad, target, old)
            env.active = 1
        try:
            fn = node.fn
            v = fn(env) if fn is not None else compiler.run_node(node, env)
        except (EvalFailure, RecursionError):
            raise _failure() from None
        finally:
            if len(_env_pool) < 8:
                _env_pool.append(env)
    if v is True:
        return True
    if v is False:
        return False
    t = type(v)
    if t is int or t is float:
        return v != 0
    return False


def _match_pair(a, b, old):
    """b's Requirements with a as TARGET, then a's with b as TARGET, both
    top-level ads: symmetricMatch's hot path, in one reused Env."""
    env = _env_pool.pop() if _env_pool else _new_env(Env)
    env.old_semantics = old
    try:
        for me, other in ((b, a), (a, b)):
            node = me._attrs.get("requirements")
            if node is None:
                return False
            if node.__class__ in _BARE:
                v = node
            elif node.__class__ is _Literal:
                v = node.value
            else:
                env.cur = env.my = env.root = me
                env.target = other
                env.active = 1
                env.ctx = env.consts = env.alt = env.moved = None
                fn = node.fn
                v = fn(env) if fn is not None else compiler.run_node(node, env)
            if v is True:
                continue
            if v is False:
                return False
            t = type(v)
            if (t is not int and t is not float) or v == 0:
                return False
        return True
    except (EvalFailure, RecursionError):
        raise _failure() from None
    finally:
        if len(_env_pool) < 8:
            _env_pool.append(env)




class SubscriptedAd(ClassAd):
    """An ad got by subscripting an ad with a name (ad["inner"]): in
    libclassad another kind of ad value (compiler.subscripted)."""
    __slots__ = ()
    _subscripted = True


compiler.ClassAd = ClassAd
compiler.SubscriptedAd = SubscriptedAd
