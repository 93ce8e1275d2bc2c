"""The built-in ClassAd function library, as libclassad (and HTCondor's
compat layer) defines it.

FUNCTIONS maps a lower-case function name to ``f(args, ctx) -> value``.
``args`` are already-evaluated values (bool, int, float, str, list, ClassAd,
Value.Undefined, Value.Error); ``ctx.old_semantics`` says whether the
command-line tools' semantics are in force. HTCondor's own functions
(``stringListSize``, ``split``...) exist in both semantics, as every HTCondor
tool registers them whatever STRICT_CLASSAD_EVALUATION says.

Not here, because they need unevaluated arguments or the scope: ifThenElse,
eval, unparse, debug, unresolved, countMatches, evalInEachContext (the compiler
implements them). Unknown names (abs, sqrt, strlen...) are not functions in
libclassad either: the caller gives error.

Also part of the contract with the compiler:
- EvalFailed: raised where libclassad's function returns false (random(0),
  a bad absTime("...") literal); the whole evaluation fails, as classad2
  raises ClassAdException.
- EXACT_CASE_NAMES: versionLE & co only work spelled exactly so.
- AbsTime / RelTime (value.py): the values of absTime() / relTime().
- compare(op, a, b) and identical(a, b): the comparison operators on
  evaluated values, as member() and anyCompare() use them.

Every behaviour here was checked against classad2 (tests/classad/
test_functions.py runs the comparison). Quirks of libclassad are reproduced
on purpose and say so in a comment.
"""

import datetime as _dt
import itertools
import math
import random as _random
import re
import time as _time

from pycondorlite.classad import times
from pycondorlite.caches import ENTRY, MIB, Cache
from pycondorlite.classad.value import AbsTime, RelTime, Value

Undefined = Value.Undefined
Error = Value.Error

INT64_MIN = -(1 << 63)


class EvalFailed(Exception):
    """libclassad's function returned false: the whole evaluation fails
    (classad2 raises ClassAdException "failed to evaluate expression")."""


# Names libclassad looks up case-insensitively but then compares with
# strcmp(), so only this exact spelling works; any other spelling gives
# error. The caller (compiler) checks the spelling as written.
EXACT_CASE_NAMES = {
    'versionle': 'versionLE', 'versionlt': 'versionLT',
    'versionge': 'versionGE', 'versiongt': 'versionGT',
    'versioneq': 'versionEQ',
}

FUNCTIONS = {}


def _register(*names):
    def deco(fn):
        for n in names:
            FUNCTIONS[n.lower()] = fn
        return fn
    return deco


# ---------------------------------------------------------------- types

def _is_ad(v):
    # a nested ClassAd (pycondorlite.classad.ClassAd, a mapping); duck-typed
    # so that this module does not import the container
    if isinstance(v, (str, int, float, list, AbsTime)):
        return False
    return hasattr(v, 'keys')


def _is_num(v):
    # bool, int, float count as numbers (libclassad's IsNumber); a relative
    # time is no number
    t = type(v)
    return t is int or t is float or t is bool


def _wrap64(i):
    return ((i + (1 << 63)) & 0xFFFFFFFFFFFFFFFF) - (1 << 63)


_wrap32 = times.wrap32


def _real_to_ll(r):
    """C's (long long) cast of a double, as x86-64 does it: out of range
    and NaN give INT64_MIN."""
    if r != r or r >= 9.223372036854775807e18 or r < -9.223372036854775808e18:
        return INT64_MIN
    return int(r)


_WS = ' \t\n\v\f\r'
_DEC_RE = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?')
_HEX_RE = re.compile(r'([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)')
_SPECIAL_RE = re.compile(r'([+-]?)(infinity|inf|nan(?:\([0-9A-Za-z_]*\))?)', re.I)


def _strtod(s):
    """C strtod(): the number at the start of s (after white space), or
    None when no characters convert."""
    t = s.lstrip(_WS)
    m = _HEX_RE.match(t)
    if m:
        body = m.group(2)
        if 'p' not in body.lower():
            body += 'p0'
        try:
            v = float.fromhex('0x' + body)
        except (ValueError, OverflowError):
            v = math.inf
        return -v if m.group(1) == '-' else v
    m = _SPECIAL_RE.match(t)
    if m:
        v = math.nan if m.group(2)[0] in 'nN' else math.inf
        return -v if m.group(1) == '-' else v
    m = _DEC_RE.match(t)
    if m:
        return float(m.group(0))
    return None


def _to_real(v):
    """convertValueToRealValue: a float, or Undefined / Error."""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, Value):
        return v
    if isinstance(v, AbsTime):
        return float(v.secs)
    if type(v) is RelTime:
        return float(times.c_int(v))     # libclassad reads whole seconds (a C int)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        r = _strtod(v)
        if r is None:
            return Error
        return r
    return Error


def _to_int(v):
    """convertValueToIntegerValue: an int, or Undefined / Error."""
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, Value):
        return v
    if isinstance(v, AbsTime):
        return v.secs
    if type(v) is RelTime:
        return times.c_int(v)
    if isinstance(v, float):
        return _real_to_ll(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        r = _strtod(v)
        if r is None:
            return Error
        return _real_to_ll(r)
    return Error


def format_real(r):
    """A real as libclassad's new-syntax unparser prints it."""
    if r != r:
        return 'real("NaN")'
    if r == math.inf:
        return 'real("INF")'
    if r == -math.inf:
        return 'real("-INF")'
    if r == 0.0:
        return '-0.0' if math.copysign(1.0, r) < 0 else '0.0'
    return '%1.15E' % r


def to_string(v):
    """convertValueToStringValue: a str, or Undefined / Error."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, Value):
        return v
    if type(v) is RelTime:
        return times.reltime_string(v)
    if isinstance(v, float):
        return format_real(v)
    if isinstance(v, int):
        return str(v)
    if type(v) is AbsTime:
        return times.abstime_text(v)
    from pycondorlite.classad.printer import unparse_value
    return unparse_value(v)


# ------------------------------------------------------- comparisons

def _lower_bytes(s):
    # strcasecmp in the C locale: ASCII-only folding, unsigned byte order
    if s.isascii():
        return s.lower()  # same order as the bytes, and faster
    return s.encode('utf-8', 'surrogateescape').lower().decode('utf-8', 'surrogateescape')


def _numeric_rank(v):
    if isinstance(v, bool):
        return 0
    if isinstance(v, int):
        return 1
    return 2


def _promote(v, rank):
    if rank == 2:
        return float(v)
    if rank == 1:
        return int(v)
    return v


def compare(op, a, b):
    """ClassAd operator op ('<', '<=', '==', '!=', '>=', '>', 'is',
    'isnt') on two evaluated values: bool, Undefined or Error."""
    if op == 'is' or op == 'isnt':
        r = identical(a, b)
        if r is Error:
            return Error
        return r if op == 'is' else not r
    if a is Error or b is Error:
        return Error
    if a is Undefined or b is Undefined:
        return Undefined
    if _is_num(a) and _is_num(b):
        x, y = a, b
        if isinstance(x, float) or isinstance(y, float):
            x, y = float(x), float(y)   # an integer against a real: as reals
    elif isinstance(a, str) and isinstance(b, str):
        x, y = _lower_bytes(a), _lower_bytes(b)
    elif type(a) is AbsTime and type(b) is AbsTime:
        x, y = a.secs, b.secs
    elif type(a) is RelTime and type(b) is RelTime:
        x, y = float(a), float(b)
    else:
        return Error
    if op == '==':
        return x == y
    if op == '!=':
        return x != y
    if op == '<':
        return x < y
    if op == '<=':
        return x <= y
    if op == '>':
        return x > y
    if op == '>=':
        return x >= y
    return Error


def identical(a, b):
    """The =?= / is operator: same type and value, case-sensitive; two
    lists or two ads give Error, a list or an ad against anything else is
    not identical (as compiler.op_is)."""
    a_list, b_list = isinstance(a, list), isinstance(b, list)
    if a_list or b_list or _is_ad(a) or _is_ad(b):
        if a_list and b_list:
            # a list literal and a function's list are different kinds of
            # value in libclassad (see compiler.op_is)
            if made_by_function(a) != made_by_function(b):
                return False
            return Error
        if _is_ad(a) and _is_ad(b):
            # an ad got by a subscript is another kind of value than one
            # reached by name (compiler.subscripted): not the same
            if getattr(a, "_subscripted", False) != getattr(b, "_subscripted", False):
                return False
            return Error
        return False
    if isinstance(a, Value) or isinstance(b, Value):
        return a is b
    if type(a) is not type(b):
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if isinstance(a, float) != isinstance(b, float):
            return False
        if isinstance(a, str) != isinstance(b, str):
            return False
    return a == b


def made_by_function(v):
    """Is list v one a function made (libclassad's SLIST, not a list literal's)?"""
    return getattr(v, "exprs", None) is None or getattr(v, "made", False)


# ---------------------------------------------------- type predicates

def _type_pred(test):
    def f(args, ctx):
        if len(args) != 1:
            return Error
        return bool(test(args[0]))
    return f


FUNCTIONS['isundefined'] = _type_pred(lambda v: v is Undefined)
FUNCTIONS['iserror'] = _type_pred(lambda v: v is Error)
FUNCTIONS['isstring'] = _type_pred(lambda v: isinstance(v, str))
FUNCTIONS['isinteger'] = _type_pred(
    lambda v: isinstance(v, int) and not isinstance(v, (bool, Value)))
FUNCTIONS['isreal'] = _type_pred(lambda v: type(v) is float)
FUNCTIONS['isboolean'] = _type_pred(lambda v: isinstance(v, bool))
FUNCTIONS['islist'] = _type_pred(lambda v: isinstance(v, list))
FUNCTIONS['isclassad'] = _type_pred(_is_ad)
FUNCTIONS['isabstime'] = _type_pred(lambda v: type(v) is AbsTime)
FUNCTIONS['isreltime'] = _type_pred(lambda v: type(v) is RelTime)


# ------------------------------------------------------ conversions

@_register('int')
def fn_int(args, ctx):
    if len(args) != 1:
        return Error
    return _to_int(args[0])


@_register('real')
def fn_real(args, ctx):
    if len(args) != 1:
        return Error
    return _to_real(args[0])


@_register('string')
def fn_string(args, ctx):
    if len(args) != 1:
        return Error
    return to_string(args[0])


@_register('bool')
def fn_bool(args, ctx):
    if len(args) != 1:
        return Error
    v = args[0]
    if isinstance(v, bool):
        return v
    if v is Undefined:
        return Undefined
    if isinstance(v, Value) or isinstance(v, AbsTime):
        return Error
    if type(v) is RelTime:
        return times.c_int(v) != 0     # libclassad takes whole seconds (a C int)
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, str):
        low = v.lower()
        if low == 'true':
            return True
        if low == 'false':
            return False
        return Undefined
    return Error


# ------------------------------------------------------------- math

def _make_round(op):
    def f(args, ctx):
        if len(args) != 1:
            return Error
        v = args[0]
        if isinstance(v, int) and not isinstance(v, (bool, Value)):
            return v
        r = _to_real(v)
        if isinstance(r, Value):
            # libclassad sets error whenever the conversion fails,
            # undefined included
            return Error
        if r != r or math.isinf(r):
            return INT64_MIN
        return _real_to_ll(float(op(r)))
    return f


def _rint(r):
    # C rint() in the default rounding mode: half to even
    return round(r)


FUNCTIONS['floor'] = _make_round(math.floor)
FUNCTIONS['ceil'] = FUNCTIONS['ceiling'] = _make_round(math.ceil)
FUNCTIONS['round'] = _make_round(_rint)


@_register('pow')
def fn_pow(args, ctx):
    if len(args) != 2:
        return Error
    a, b = args
    if (isinstance(a, int) and not isinstance(a, (bool, Value))
            and isinstance(b, int) and not isinstance(b, (bool, Value)) and b >= 0):
        # libclassad computes this in doubles and adds 0.5
        try:
            return _real_to_ll(math.pow(float(a), float(b)) + 0.5)
        except OverflowError:
            return INT64_MIN
    x, y = _to_real(a), _to_real(b)
    if isinstance(x, Value) or isinstance(y, Value):
        return Error
    return _cpow(x, y)


def _cpow(x, y):
    """C pow(): infinities and NaN where Python raises."""
    odd = math.isfinite(y) and y.is_integer() and int(y) % 2 == 1
    try:
        return math.pow(x, y)
    except ValueError:
        if x == 0.0:  # zero to a negative power
            return -math.inf if odd and math.copysign(1.0, x) < 0 else math.inf
        return math.nan  # a negative number to a fractional power
    except OverflowError:
        return -math.inf if odd and x < 0 else math.inf


@_register('quantize')
def fn_quantize(args, ctx):
    if len(args) != 2:
        return Error
    a, b = args
    rval = _to_real(a)
    if isinstance(rval, Value):
        return Error
    if isinstance(b, list):
        base = 0.0
        for item in b:
            rb = _to_real(item)
            if isinstance(rb, Value):
                return Error
            base = item
            if rb >= rval:
                return item
        b = base
    if isinstance(b, list):
        return Error
    rbase = _to_real(b)
    if isinstance(rbase, Value):
        return Error
    if isinstance(b, int) and not isinstance(b, (bool, Value)):
        ibase = b
        if ibase == 0:
            return a
        if isinstance(a, int) and not isinstance(a, (bool, Value)):
            return _wrap64(_cdiv(a + ibase - 1, ibase) * ibase)
        return _cceil(rval / ibase) * float(ibase)
    if -1e-8 <= rbase <= 1e-8:
        return a
    return _cceil(rval / rbase) * rbase


def _cceil(x):
    """C ceil(): a float, -0.0 for (-1, 0), inf and nan unchanged."""
    if not math.isfinite(x):
        return x
    r = float(math.ceil(x))
    if r == 0.0 and math.copysign(1.0, x) < 0:
        return -0.0
    return r


def _cdiv(a, b):
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _cmod(a, b):
    return a - _cdiv(a, b) * b


@_register('random')
def fn_random(args, ctx):
    if len(args) > 1:
        return Error
    v = args[0] if args else 1.0
    if isinstance(v, int) and not isinstance(v, Value):
        n = _wrap32(int(v)) if not isinstance(v, bool) else int(v)
        if isinstance(v, bool):
            # IsIntegerValue is false for booleans
            return Error
        if n <= 0:
            raise EvalFailed('random() of a non-positive integer')
        return _random.randrange(1 << 31) % n
    if isinstance(v, float):
        if v <= 0:
            raise EvalFailed('random() of a non-positive real')
        return v * _random.random()
    return Error


# ---------------------------------------------------------- lists

@_register('size')
def fn_size(args, ctx):
    if len(args) != 1:
        return Error
    v = args[0]
    if v is Undefined:
        return Undefined
    if isinstance(v, list):
        return len(v)
    if isinstance(v, str):
        return len(v.encode('utf-8', 'surrogateescape'))
    if _is_ad(v):
        return len(v)
    return Error


def _add(a, b):
    # the + operator on two numbers (a real sum of +infinity is error)
    if isinstance(a, float) or isinstance(b, float):
        r = float(a) + float(b)
        return Error if r == math.inf else r
    return _wrap64(int(a) + int(b))


def _sum_avg(args, want_avg):
    if len(args) != 1:
        return Error
    lst = args[0]
    if lst is Undefined:
        return Undefined
    if not isinstance(lst, list):
        return Error
    result = 0
    n = 0
    first = True
    for v in lst:
        if v is Undefined:
            continue
        if not _is_num(v):
            return Error
        n += 1
        if first:
            result = v
            first = False
        else:
            result = _add(result, v)
            if result is Error:
                return Error
    if not want_avg:
        return result
    if n == 0:
        # libclassad overwrites its undefined with the (zero) sum
        return result
    return float(result) / float(n)


FUNCTIONS['sum'] = lambda args, ctx: _sum_avg(args, False)
FUNCTIONS['avg'] = lambda args, ctx: _sum_avg(args, True)


def _min_max(args, want_min):
    if len(args) != 1:
        return Error
    lst = args[0]
    if lst is Undefined:
        return Undefined
    if not isinstance(lst, list):
        return Error
    result = Undefined
    for v in lst:
        if v is Undefined:
            continue
        if not _is_num(v):
            return Error
        if result is Undefined:
            result = v
            continue
        # the comparison promotes both operands in place (booleans to at
        # least integers), so the bound takes the wider numeric type
        rank = max(_numeric_rank(v), _numeric_rank(result), 1)
        v, result = _promote(v, rank), _promote(result, rank)
        if (v < result) if want_min else (v > result):
            result = v
    return result


FUNCTIONS['min'] = lambda args, ctx: _min_max(args, True)
FUNCTIONS['max'] = lambda args, ctx: _min_max(args, False)


def _member(args, use_is):
    if len(args) != 2:
        return Error
    item, lst = args
    if lst is Undefined or (not use_is and item is Undefined):
        return Undefined
    if not isinstance(lst, list) or isinstance(item, list) or _is_ad(item):
        return Error
    if not use_is and item is Error:
        return Error
    if not use_is and isinstance(item, str):
        # the common case, member("x", {...strings...}), without compare()
        key = _lower_bytes(item)
        for v in lst:
            if isinstance(v, str) and _lower_bytes(v) == key:
                return True
        return False
    op = 'is' if use_is else '=='
    for v in lst:
        if compare(op, v, item) is True:
            return True
    return False


FUNCTIONS['member'] = lambda args, ctx: _member(args, False)
FUNCTIONS['identicalmember'] = lambda args, ctx: _member(args, True)

_LIST_COMPARE_OPS = {'<', '<=', '!=', '==', '>', '>=', 'is', 'isnt'}


def _list_compare(args, need_all):
    if len(args) != 3:
        return Error
    op, lst, target = args
    if op is Undefined:
        return Undefined
    if not isinstance(op, str) or op not in _LIST_COMPARE_OPS:
        return Error
    if lst is Undefined:
        return Undefined
    if not isinstance(lst, list):
        return Error
    for v in lst:
        r = compare(op, v, target)
        if r is True:
            if not need_all:
                return True
        elif r is False:
            if need_all:
                return False
        elif r is Undefined:
            # libclassad stops at the first undefined comparison and
            # answers false, for anyCompare as for allCompare
            return False
        else:
            return Error
    return need_all


FUNCTIONS['anycompare'] = lambda args, ctx: _list_compare(args, False)
FUNCTIONS['allcompare'] = lambda args, ctx: _list_compare(args, True)


# -------------------------------------------------------- strings

def _concat(args, is_join):
    items = list(args)
    n = len(items)
    if is_join and 0 < n <= 2 and isinstance(items[-1], list):
        # element by element, as libclassad: a bad element ends it before a
        # looping one later in the list is reached
        items = itertools.chain([items[0]] if n == 2 else [''], items[-1])
    buf = []
    sep = ''
    undef = False
    defined = False
    written = False
    for i, v in enumerate(items):
        s = to_string(v)
        if s is Undefined:
            undef = True
            if is_join:
                continue
            defined = False
            break
        if s is Error:
            return Error
        if is_join:
            if i == 0:
                sep = s
                continue
            if written:     # libclassad: a separator only after some text
                buf.append(sep)
        defined = True
        buf.append(s)
        written = written or bool(s)
    if undef and not defined:
        return Undefined
    return ''.join(buf)


FUNCTIONS['strcat'] = lambda args, ctx: _concat(args, False)
FUNCTIONS['join'] = lambda args, ctx: _concat(args, True)


def _change_case(args, lower):
    if len(args) != 1:
        return Error
    s = to_string(args[0])
    if isinstance(s, Value):
        return s
    # C toupper/tolower in the C locale: ASCII letters only
    b = s.encode('utf-8', 'surrogateescape')
    b = b.lower() if lower else b.upper()
    return b.decode('utf-8', 'surrogateescape')


FUNCTIONS['toupper'] = lambda args, ctx: _change_case(args, False)
FUNCTIONS['tolower'] = lambda args, ctx: _change_case(args, True)


def _as_int_arg(v):
    """IsIntegerValue: a true integer (not bool, not real), truncated to
    C int, or None."""
    if isinstance(v, int) and not isinstance(v, (bool, Value)):
        return _wrap32(v)
    return None


@_register('substr')
def fn_substr(args, ctx):
    if len(args) not in (2, 3):
        return Error
    if any(a is Undefined for a in args):
        return Undefined
    s = args[0]
    offset = _as_int_arg(args[1])
    length = _as_int_arg(args[2]) if len(args) == 3 else 0
    if not isinstance(s, str) or offset is None or length is None:
        return Error
    b = s.encode('utf-8', 'surrogateescape')
    alen = len(b)
    if offset < 0:
        offset = max(alen + offset, 0)
    elif offset >= alen:
        offset = alen
    if length <= 0:
        length = max(alen - offset + length, 0)
    elif length > alen - offset:
        length = alen - offset
    if len(args) == 3 and args[2] == 0:
        length = 0
    return b[offset:offset + length].decode('utf-8', 'surrogateescape')


def _str_compare(args, fold):
    if len(args) != 2:
        return Error
    a, b = args
    if a is Undefined or b is Undefined:
        return Undefined
    sa, sb = to_string(a), to_string(b)
    if not isinstance(sa, str) or not isinstance(sb, str):
        return Error
    x = sa.encode('utf-8', 'surrogateescape')
    y = sb.encode('utf-8', 'surrogateescape')
    if fold:
        x, y = x.lower(), y.lower()
    return (x > y) - (x < y)


FUNCTIONS['strcmp'] = lambda args, ctx: _str_compare(args, False)
FUNCTIONS['stricmp'] = lambda args, ctx: _str_compare(args, True)


# ------------------------------------------------ version compare

def _schar(c):
    # a byte as C's (signed) char
    return c - 256 if c > 127 else c


def natural_cmp(s1, s2):
    """strverscmp-like comparison, as libclassad's natural_cmp."""
    a = s1.encode('utf-8', 'surrogateescape') + b'\0'
    b = s2.encode('utf-8', 'surrogateescape') + b'\0'
    i = 0
    while a[i] and a[i] == b[i]:
        i += 1
    if a[i] == b[i]:
        return 0
    isd = lambda c: 48 <= c <= 57  # noqa: E731
    n1 = i
    while n1 > 0 and isd(a[n1 - 1]):
        n1 -= 1
    n2 = n1  # same offset in both strings: they agree up to i
    if n1 == i and (not isd(a[i]) or not isd(b[i])):
        return _schar(a[i]) - _schar(b[i])
    z1 = n1
    while a[z1] == 48:
        z1 += 1
    z2 = n2
    while b[z2] == 48:
        z2 += 1
    if z1 > n1 and not isd(a[z1]):
        z1 -= 1
    if z2 > n2 and not isd(b[z2]):
        z2 -= 1
    if z1 - n1 != z2 - n2:
        return (z2 - n2) - (z1 - n1)
    if z1 > n1:
        return _schar(a[i]) - _schar(b[i])
    e1 = z1
    while isd(a[e1]):
        e1 += 1
    e2 = z2
    while isd(b[e2]):
        e2 += 1
    if e1 - n1 != e2 - n2:
        return (e1 - n1) - (e2 - n2)
    return _schar(a[i]) - _schar(b[i])


def _make_version(test):
    def f(args, ctx):
        if len(args) != 2:
            return Error
        a, b = args
        if a is Undefined or b is Undefined:
            return Undefined
        sa, sb = to_string(a), to_string(b)
        if not isinstance(sa, str) or not isinstance(sb, str):
            return Error
        return test(natural_cmp(sa, sb))
    return f


FUNCTIONS['versioncmp'] = _make_version(lambda r: r)
FUNCTIONS['versionle'] = _make_version(lambda r: r <= 0)
FUNCTIONS['versionlt'] = _make_version(lambda r: r < 0)
FUNCTIONS['versionge'] = _make_version(lambda r: r >= 0)
FUNCTIONS['versiongt'] = _make_version(lambda r: r > 0)
FUNCTIONS['versioneq'] = _make_version(lambda r: r == 0)


@_register('version_in_range')
def fn_version_in_range(args, ctx):
    if len(args) != 3:
        return Error
    test, lo, hi = args
    if lo is Undefined or hi is Undefined:
        return Undefined
    st, sl, sh = to_string(test), to_string(lo), to_string(hi)
    if not all(isinstance(x, str) for x in (st, sl, sh)):
        return Error
    return natural_cmp(sl, st) <= 0 and natural_cmp(st, sh) <= 0


# ------------------------------------------------------------ regex

def _compile(pattern, options):
    flags = 0
    if 'i' in options:
        flags |= re.IGNORECASE
    if 'm' in options:
        flags |= re.MULTILINE
    if 's' in options:
        flags |= re.DOTALL
    if 'x' in options:
        flags |= re.VERBOSE
    return _compile_cached(pattern, flags)


# compiled patterns: some kilobytes each, more for a long pattern
_RE_CACHE = Cache(4 * MIB)


_POSIX_CLASSES = {
    'alpha': 'a-zA-Z', 'digit': '0-9', 'alnum': 'a-zA-Z0-9', 'upper': 'A-Z',
    'lower': 'a-z', 'space': '\\t\\n\\v\\f\\r ', 'blank': ' \\t',
    'xdigit': '0-9A-Fa-f', 'word': '\\w', 'cntrl': '\\x00-\\x1f\\x7f',
    'print': '\\x20-\\x7e', 'graph': '\\x21-\\x7e',
    'punct': '\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e',
}


def _translate_class(pattern, i, out):
    """Copy the character class starting after '[' at i; return the index
    after its ']'. POSIX [:name:] become ranges, a nested '[' is escaped."""
    n = len(pattern)
    if i < n and pattern[i] == '^':
        out.append('^')
        i += 1
    first = True
    while i < n:
        c = pattern[i]
        if c == '\\' and i + 1 < n:
            text, i = _escape(pattern, i, True)
            out.append(text)
        elif c == '[' and pattern.startswith('[:', i):
            j = pattern.find(':]', i + 2)
            name = pattern[i + 2:j] if j > 0 else ''
            if name in _POSIX_CLASSES:
                out.append(_POSIX_CLASSES[name])
                i = j + 2
            else:
                out.append('\\[')
                i += 1
        elif c == '[':
            out.append('\\[')
            i += 1
        elif c == ']' and not first:
            out.append(']')
            return i + 1
        else:
            out.append('\\]' if c == ']' else c)
            i += 1
        first = False
    return i


_SIMPLE_ESCAPES = {
    'e': '\\x1b',
    'h': '[\\t \\xa0]', 'H': '[^\\t \\xa0]',
    'R': '(?:\\r\\n|[\\n\\x0b\\x0c\\r\\x85])',
    'N': '[^\\n]',
    'z': '\\Z',
    'Z': '(?=\\n?\\Z)',  # PCRE \Z: the end, or before a final newline
}
_CLASS_ESCAPES = {'e': '\\x1b', 'h': '\\t \\xa0'}


def _escape(pattern, i, in_class):
    """Translate the PCRE escape at pattern[i] (a backslash); return the
    Python text and the index after it."""
    n = len(pattern)
    d = pattern[i + 1]
    table = _CLASS_ESCAPES if in_class else _SIMPLE_ESCAPES
    if d in table:
        return table[d], i + 2
    if d == 'x' and i + 2 < n and pattern[i + 2] == '{':
        j = pattern.find('}', i + 3)
        if j > 0:
            try:
                code = int(pattern[i + 3:j], 16)
            except ValueError:
                code = None
            if code is not None and code < 256:
                return '\\x%02x' % code, j + 1
    if d == 'c' and i + 2 < n:
        return '\\x%02x' % (ord(pattern[i + 2].upper()) ^ 0x40), i + 3
    if d == 'Q':
        j = pattern.find('\\E', i + 2)
        lit = pattern[i + 2:] if j < 0 else pattern[i + 2:j]
        return re.escape(lit), (n if j < 0 else j + 2)
    if d == 'E':
        return '', i + 2
    if not in_class and d == 'g':
        m = re.match(r'\{?(\d+)\}?', pattern[i + 2:])
        if m:
            return '(?:\\%s)' % m.group(1), i + 2 + m.end()
    if not in_class and d == 'k' and i + 2 < n and pattern[i + 2] in '<{\'':
        close = {'<': '>', '{': '}', "'": "'"}[pattern[i + 2]]
        j = pattern.find(close, i + 3)
        if j > 0:
            return '(?P=%s)' % pattern[i + 3:j], j + 1
    return pattern[i:i + 2], i + 2


def _translate_pcre(pattern):
    """The PCRE spellings Python's re reads differently or not at all."""
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == '[':
            out.append('[')
            i = _translate_class(pattern, i + 1, out)
            continue
        if c == '\\' and i + 1 < n:
            text, i = _escape(pattern, i, False)
            out.append(text)
            continue
        if c == '(' and pattern.startswith('(?<', i) and i + 3 < n and pattern[i + 3] not in '=!':
            out.append('(?P<')  # named group
            i += 3
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def _compile_cached(pattern, flags):
    key = (pattern, flags)
    r = _RE_CACHE.get(key)
    if r is None:
        try:
            r = re.compile(_translate_pcre(pattern).encode('utf-8', 'surrogateescape'), flags)
        except (re.error, OverflowError, RecursionError):
            r = False
        _RE_CACHE.learn(key, r, ENTRY + 2048 + 64 * len(pattern))
    return r


def _group_count(m):
    """PCRE's match status: 1 + the highest group that took part."""
    n = 1
    for g in range(1, (m.re.groups or 0) + 1):
        if m.start(g) != -1:
            n = g + 1
    return n


def _regex_helper(pattern, target, replace, options):
    """libclassad's regexp_helper: a bool (no replace) or a str, or
    Error."""
    rx = _compile(pattern, options)
    if rx is False:
        return Error
    t = target.encode('utf-8', 'surrogateescape')
    if replace is None:
        return rx.search(t) is not None
    full = 'f' in options
    find_all = 'g' in options
    rep = replace.encode('utf-8', 'surrogateescape')
    out = bytearray()
    idx = 0
    empty_match = False
    while True:
        if empty_match:
            # PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED; approximated by an
            # anchored match that is not empty
            m = rx.match(t, idx)
            if m is not None and m.end() == m.start():
                m = None
            if m is None:
                if idx >= len(t):
                    # libclassad appends the terminating NUL, then fails
                    # on the bad offset: error
                    return Error
                out.append(t[idx])
                idx += 1
                empty_match = False
                continue
        else:
            m = rx.search(t, idx)
            if m is None:
                break
        ngroups = _group_count(m)
        if full:
            out += t[idx:m.start()]
        j = 0
        while j < len(rep):
            ch = rep[j]
            if ch == 0x5C and j + 1 < len(rep) and 48 <= rep[j + 1] <= 57:
                g = rep[j + 1] - 48
                j += 1
                if g >= ngroups:
                    return Error
                grp = m.group(g)
                out += grp if grp is not None else b''
            else:
                out.append(ch)
            j += 1
        idx = m.end()
        if m.start() == m.end():
            empty_match = True
        if not find_all:
            break
    if full:
        out += t[idx:]
    return bytes(out).decode('utf-8', 'surrogateescape')


def _regex_args(args, nfixed):
    """Common checks of regexp/regexps: error beats undefined; the
    options must be a string. Returns (args, options) or a value."""
    if len(args) not in (nfixed, nfixed + 1):
        return Error
    if any(a is Error for a in args):
        return Error
    if any(a is Undefined for a in args):
        return Undefined
    options = ''
    if len(args) == nfixed + 1:
        if not isinstance(args[-1], str):
            return Error
        options = args[-1]
    return (args[:nfixed], options)


@_register('regexp')
def fn_regexp(args, ctx):
    r = _regex_args(args, 2)
    if not isinstance(r, tuple):
        return r
    (pattern, target), options = r
    if not isinstance(pattern, str) or not isinstance(target, str):
        return Error
    return _regex_helper(pattern, target, None, options)


def _subst(args, extra):
    r = _regex_args(args, 3)
    if not isinstance(r, tuple):
        return r
    (pattern, target, replace), options = r
    options += extra
    if not all(isinstance(x, str) for x in (pattern, target, replace)):
        return Error
    return _regex_helper(pattern, target, replace, options)


FUNCTIONS['regexps'] = lambda args, ctx: _subst(args, '')
FUNCTIONS['replace'] = lambda args, ctx: _subst(args, 'f')
FUNCTIONS['replaceall'] = lambda args, ctx: _subst(args, 'fg')


@_register('regexpmember')
def fn_regexp_member(args, ctx):
    r = _regex_args(args, 2)
    if not isinstance(r, tuple):
        return r
    (pattern, lst), options = r
    if not isinstance(pattern, str) or not isinstance(lst, list):
        return Error
    maybe_undef = False
    # by index: an element whose evaluation failed (a loop) is then error,
    # as libclassad's regexpMember has it (iterating would fail the call)
    for v in map(lst.__getitem__, range(len(lst))):
        if isinstance(v, str):
            # a bad pattern gives error for each element, which is not a
            # match: the answer is then false, as in libclassad
            if _regex_helper(pattern, v, None, options) is True:
                return True
        elif v is Undefined:
            maybe_undef = True
        else:
            return Error
    return Undefined if maybe_undef else False


# ------------------------------------------------- string lists

_SPLITTERS = Cache(256 * 1024)   # delimiters -> the split of a compiled class of them


def _string_list(s, delims):
    """HTCondor's StringList: split at any delimiter character, trim
    white space around items, drop empty items."""
    if not delims:
        s = s.strip(_WS)
        return [s] if s else []
    split = _SPLITTERS.get(delims)
    if split is None:
        split = _SPLITTERS.learn(delims, re.compile('[' + re.escape(delims) + ']').split,
                                 ENTRY + 1024 + 16 * len(delims))
    return [x for x in (i.strip(_WS) for i in split(s)) if x]


def _sl_args(args, nfixed, nmax):
    """Arguments of the stringList* functions: all must be strings."""
    if len(args) < nfixed or len(args) > nmax:
        return None
    if not all(isinstance(a, str) for a in args):
        return None
    return args


@_register('stringListSize')
def fn_sl_size(args, ctx):
    a = _sl_args(args, 1, 2)
    if a is None:
        return Error
    return len(_string_list(a[0], a[1] if len(a) > 1 else ', '))


def _sl_number(item):
    """sscanf("%lf") of the item; None when it does not convert."""
    return _strtod(item)


def _sl_summarize(args, kind):
    a = _sl_args(args, 1, 2)
    if a is None:
        return Error
    items = _string_list(a[0], a[1] if len(a) > 1 else ', ')
    if not items:
        return 0.0 if kind in ('sum', 'avg') else Undefined
    if kind in ('sum', 'avg'):
        acc = 0.0
    elif kind == 'min':
        acc = 3.4028234663852886e38   # FLT_MAX
    else:
        acc = 1.1754943508222875e-38  # FLT_MIN (sic: the smallest positive)
    is_real = False
    for it in items:
        x = _sl_number(it)
        if x is None:
            return Error
        if it.strip('+-0123456789'):
            is_real = True
        if kind in ('sum', 'avg'):
            acc = x + acc
        elif kind == 'min':
            acc = x if x < acc else acc
        else:
            acc = x if x > acc else acc
    if kind == 'avg':
        acc /= len(items)
    return acc if is_real else _real_to_ll(acc)


FUNCTIONS['stringlistsum'] = lambda args, ctx: _sl_summarize(args, 'sum')
FUNCTIONS['stringlistavg'] = lambda args, ctx: _sl_summarize(args, 'avg')
FUNCTIONS['stringlistmin'] = lambda args, ctx: _sl_summarize(args, 'min')
FUNCTIONS['stringlistmax'] = lambda args, ctx: _sl_summarize(args, 'max')


# stringListMember and the subset matches split at white space too by
# default; stringListSize and the sums split only at ", "
_MEMBER_DELIMS = ' ,\t\r\n'


def _sl_undef_args(args, nmin, nmax):
    """Arguments of stringListMember and friends: an undefined argument
    counts as an empty string (an undefined delimiter as the default);
    both first arguments undefined give undefined, unless the delimiter is
    neither a string nor undefined (error, as libclassad checks it first).
    Returns the argument strings (None for undefined), or Undefined / Error."""
    if len(args) < nmin or len(args) > nmax:
        return Error
    if len(args) > 2 and args[2] is not Undefined and not isinstance(args[2], str):
        return Error
    if args[0] is Undefined and args[1] is Undefined:
        return Undefined
    out = []
    for i, a in enumerate(args):
        if a is Undefined:
            a = _MEMBER_DELIMS if i == 2 else None
        elif not isinstance(a, str):
            return Error
        out.append(a)
    return out


def _sl_member(args, fold):
    a = _sl_undef_args(args, 2, 3)
    if not isinstance(a, list):
        return a
    if a[0] is None:
        return False
    items = _string_list(a[1] or '', a[2] if len(a) > 2 else _MEMBER_DELIMS)
    if fold:
        x = _lower_bytes(a[0])
        return any(_lower_bytes(i) == x for i in items)
    return a[0] in items


FUNCTIONS['stringlistmember'] = lambda args, ctx: _sl_member(args, False)
FUNCTIONS['stringlistimember'] = lambda args, ctx: _sl_member(args, True)


def _sl_subset(args, fold):
    a = _sl_undef_args(args, 2, 3)
    if not isinstance(a, list):
        return a
    d = a[2] if len(a) > 2 else _MEMBER_DELIMS
    sub, sup = _string_list(a[0] or '', d), _string_list(a[1] or '', d)
    if not sub:
        # an empty string is a subset of anything; a string with no items
        # in it (" ", ",") is a subset of nothing
        return not a[0]
    if fold:
        sup = {_lower_bytes(i) for i in sup}
        return all(_lower_bytes(i) in sup for i in sub)
    sup = set(sup)
    return all(i in sup for i in sub)


FUNCTIONS['stringlistsubsetmatch'] = lambda args, ctx: _sl_subset(args, False)
FUNCTIONS['stringlistisubsetmatch'] = lambda args, ctx: _sl_subset(args, True)


@_register('stringList_regexpMember')
def fn_sl_regexp_member(args, ctx):
    a = _sl_args(args, 2, 4)
    if a is None:
        return Error
    # the pattern is compiled first: a bad one is error, even for no items
    options = (a[3] if len(a) > 3 else '').lower()
    rx = _compile(a[0], options)
    if rx is False:
        return Error
    items = _string_list(a[1], a[2] if len(a) > 2 else ', ')
    if not items:
        return Undefined
    return any(rx.search(i.encode('utf-8', 'surrogateescape')) for i in items)


def _split_set(s, delims):
    # libclassad's split_string_list: runs of delimiters separate items,
    # no trimming
    if not delims:
        delims = ' ,'
    return [x for x in re.split('[' + re.escape(delims) + ']', s) if x]


@_register('stringListsIntersect')
def fn_sl_intersect(args, ctx):
    if len(args) not in (2, 3):
        return Error
    if any(a is Error for a in args):
        return Error
    if any(a is Undefined for a in args):
        return Undefined
    if not all(isinstance(a, str) for a in args):
        return Error
    d = args[2] if len(args) == 3 else ''
    other = set(_split_set(args[1], d))
    return any(x in other for x in _split_set(args[0], d))


# ------------------------------------------------ split functions

def _split_at(args, slot):
    if len(args) != 1 or not isinstance(args[0], str):
        return Error
    s = args[0]
    i = s.find('@')
    if i < 0:
        return ['', s] if slot else [s, '']
    return [s[:i], s[i + 1:]]


FUNCTIONS['splitusername'] = lambda args, ctx: _split_at(args, False)
FUNCTIONS['splitslotname'] = lambda args, ctx: _split_at(args, True)


@_register('split')
def fn_split(args, ctx):
    if len(args) not in (1, 2):
        return Error
    if not isinstance(args[0], str):
        return Error
    seps = ', \t'
    if len(args) == 2:
        if not isinstance(args[1], str):
            return Error
        seps = args[1]
    s = args[0]
    out = []
    last = 0
    prev = None
    if seps:
        # runs of white space (and one separator among white space) split
        # once; a repeated non-space separator gives empty items
        for ix, ch in enumerate(s):
            if ch not in seps:
                continue
            if ix - last > 0:
                out.append(s[last:ix])
            elif not (prev is not None and prev in _WS) and prev == ch:
                out.append('')
            if ch not in _WS:
                prev = ch
            last = ix + 1
    if len(s) > last:
        out.append(s[last:])
    return out


# ------------------------------------------------------------ time

@_register('time')
def fn_time(args, ctx):
    if args:
        return Error
    return int(_time.time())


_local_offset = times.local_offset


@_register('currentTime')
def fn_current_time(args, ctx):
    if args:
        return Error
    return times.now()


@_register('timezoneOffset')
def fn_tz_offset(args, ctx):
    if args:
        return Error
    return RelTime(_local_offset(int(_time.time())))


@_register('dayTime')
def fn_day_time(args, ctx):
    if args:
        return Error
    lt = _time.localtime()
    return RelTime(lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec)


def _zone_argument(o):
    """absTime()'s second argument, the zone offset: an int as C holds it,
    or None when it is none of integer, real, relative time."""
    t = type(o)
    if t is int:
        return _wrap32(o)
    if t is float:
        return times.c_int(o)
    if t is RelTime:
        return times.c_int(o)
    return None


def _conv_time(args, relative):
    """absTime() / relTime() as evaluated. (Of a string literal they were
    read when the call was parsed: grammar.py.)"""
    if not args and not relative:
        return times.now()
    if len(args) not in (1, 2):
        return Error
    v = args[0]
    offset = None
    if len(args) == 2:
        if relative:
            return Error
        offset = _zone_argument(args[1])
        if offset is None:
            return Error
    t = type(v)
    if v is Undefined:
        return Undefined
    if t is int:
        secs = _wrap32(v)
        if relative:
            return RelTime(secs)
        if offset is None:
            offset = _local_offset(secs)
        if offset == -1:
            # libclassad takes an offset of -1 for a failure (of integers only)
            raise EvalFailed('absTime() with a zone offset of -1')
        return AbsTime(secs, offset)
    if t is float:
        if relative:
            return RelTime(v)
        secs = times.c_int(v)
    elif t is str:
        # only a computed string gets here, and libclassad falls through to
        # the absolute-time case: absTime() hands the string back, relTime()
        # gives 0
        return RelTime(0.0) if relative else v
    elif t is AbsTime:
        return RelTime(v.secs) if relative else v
    elif t is RelTime:
        if relative:
            return v
        secs = times.c_int(v)
    else:
        return Error        # error, bool, list, ad
    if offset is None:
        offset = _local_offset(secs)
    return AbsTime(secs, offset)


FUNCTIONS['abstime'] = lambda args, ctx: _conv_time(args, False)
FUNCTIONS['reltime'] = lambda args, ctx: _conv_time(args, True)


def _make_get_field(name):
    def f(args, ctx):
        if len(args) != 1:
            return Error
        v = args[0]
        if type(v) is AbsTime:
            try:
                local = _time.localtime(v.secs)   # the local zone's, not the value's
            except (OverflowError, OSError, ValueError):
                return Error
            if name == 'getyear':
                return local.tm_year
            if name == 'getmonth':
                return local.tm_mon
            if name == 'getdayofyear':
                return local.tm_yday - 1
            if name == 'getdayofmonth':
                return local.tm_mday
            if name == 'getdayofweek':
                return (local.tm_wday + 1) % 7
            if name == 'gethours':
                return local.tm_hour
            if name == 'getminutes':
                return local.tm_min
            if name == 'getseconds':
                return local.tm_sec
            return Error
        if type(v) is RelTime:
            r = times.c_int(v)
            if name == 'getdays':
                return _cdiv(r, 86400)
            if name == 'gethours':
                return _cdiv(_cmod(r, 86400), 3600)
            if name == 'getminutes':
                return _cdiv(_cmod(r, 3600), 60)
            if name == 'getseconds':
                return _cmod(r, 60)
            return Error
        return Error
    return f


for _n in ('getyear', 'getmonth', 'getdayofyear', 'getdayofmonth', 'getdayofweek',
           'getdays', 'gethours', 'getminutes', 'getseconds'):
    FUNCTIONS[_n] = _make_get_field(_n)


def _split_time_fields(v):
    """doSplitTime: a dict of the split fields, or None."""
    if isinstance(v, bool) or isinstance(v, Value):
        return None
    if type(v) is RelTime:
        r = float(v)
        neg = r < 0
        r = abs(r)
        whole = times.c_int(r)      # C ints throughout, as libclassad splits it
        hrs = times.cmod(whole, 86400)
        mins = times.cmod(hrs, 3600)
        secs = times.cmod(mins, 60) + (r - math.floor(r) if math.isfinite(r) else math.nan)
        days, hrs, mins = times.cdiv(whole, 86400), times.cdiv(hrs, 3600), times.cdiv(mins, 60)
        if neg:
            if days > 0:
                days = -days
            elif hrs > 0:
                hrs = -hrs
            elif mins > 0:
                mins = -mins
            else:
                secs = -secs
        return {'Type': 'RelativeTime', 'Days': days, 'Hours': hrs,
                'Minutes': mins, 'Seconds': secs}
    if type(v) is AbsTime:
        secs = v.secs
        off = v.offset
    elif isinstance(v, float):
        # libclassad casts the double to a 32-bit int; out of range (and
        # NaN), x86 gives INT_MIN (formatTime(2.5e9) is in 1901), no wrap
        secs = int(v) if -2**31 <= v < 2**31 else -2**31
        off = _local_offset(secs)
    elif isinstance(v, int):
        secs = v            # an integer is a 64-bit time_t (2^31 is in 2038)
        off = _local_offset(secs)
    elif _is_ad(v):
        return v
    else:
        return None
    try:
        t = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=secs + off)
    except OverflowError:
        return None         # beyond year 9999 (libclassad prints nonsense there)
    return {'Type': 'AbsoluteTime', 'Year': t.year, 'Month': t.month, 'Day': t.day,
            'Hours': t.hour, 'Minutes': t.minute, 'Seconds': t.second, 'Offset': off}


@_register('splitTime')
def fn_split_time(args, ctx):
    if len(args) != 1:
        return Error
    v = args[0]
    if v is Undefined:
        return Undefined
    if _is_ad(v):
        return Error
    fields = _split_time_fields(v)
    if fields is None:
        return Error
    from pycondorlite.classad import ClassAd
    ad = ClassAd()
    for k, x in fields.items():
        ad[k] = x
    return ad


def _ad_int(fields, name):
    if isinstance(fields, dict):
        x = fields.get(name)
    else:
        try:
            x = fields.eval(name)
        except Exception:
            return None
    if isinstance(x, int) and not isinstance(x, (bool, Value)):
        return _wrap32(x)
    return None


@_register('formatTime')
def fn_format_time(args, ctx):
    if len(args) >= 3:
        return Error
    if not args:
        return _time.strftime('%c', _time.localtime())
    v = args[0]
    if type(v) is RelTime:
        return Error
    fields = _split_time_fields(v)
    if fields is None:
        return Error
    fmt = '%c'
    if len(args) == 2:
        if not isinstance(args[1], str):
            return Error
        fmt = args[1]
    sec = _ad_int(fields, 'Seconds') or 0
    mins = _ad_int(fields, 'Minutes') or 0
    hour = _ad_int(fields, 'Hours') or 0
    mday = _ad_int(fields, 'Day') or 0
    mon = _ad_int(fields, 'Month')
    year = _ad_int(fields, 'Year')
    mon = 1 if mon is None else mon
    year = 1900 if year is None else year
    try:
        # libclassad counts days from the 1st of the month, so a day out of
        # the month's range (30 Feb, day 0) still has a weekday and a day of
        # the year: 1900-01-00 is a Sunday, the year's day -1
        day1 = _dt.date(year, mon, 1).toordinal()
        ordinal = day1 + mday - 1
        wday = (ordinal - 1) % 7
        yday0 = ordinal - _dt.date(year, 1, 1).toordinal()
    except (ValueError, OverflowError):
        wday, yday0 = 0, 0
    # the day's own directives are printed here, as C's strftime prints the
    # fields it is given (Python's would correct day 0 to 1)
    wday_c = (wday + 1) % 7         # C's: Sunday is 0
    fmt = _DATE_FORMATS.sub(lambda m: _DATE_FORMAT_OF.get(m.group(1), "%%"), fmt)
    fmt = _DAY_DIRECTIVES.sub(
        lambda m: {"%": "%%", "d": "%02d" % mday, "e": "%2d" % mday,
                   "j": "%03d" % (yday0 + 1),
                   "U": "%02d" % int((yday0 + 7 - wday_c) / 7),
                   "W": "%02d" % int((yday0 + 7 - (wday_c + 6) % 7) / 7)}[m.group(1)], fmt)
    # struct tm from the split fields: gmtoff zeroed as libclassad does;
    # %Z prints the process's zone name, as it does
    tup = (year, mon, min(max(mday, 1), 31), hour, mins, sec, wday,
           min(max(yday0 + 1, 1), 366), 0)
    try:
        st = _time.struct_time(tup + (_time.tzname[0], 0))
        out = _time.strftime(fmt, st)
    except (ValueError, OverflowError):
        return Error
    return out[:1023]


_DAY_DIRECTIVES = re.compile(r"%([%dejUW])")
# the C locale's composite directives, spelt out so that the day in them is
# printed as given too
_DATE_FORMATS = re.compile(r"%([%cxDF])")
_DATE_FORMAT_OF = {"%": "%%", "c": "%a %b %e %H:%M:%S %Y", "x": "%m/%d/%y",
                   "D": "%m/%d/%y", "F": "%Y-%m-%d"}


@_register('interval')
def fn_interval(args, ctx):
    if len(args) != 1:
        return Error
    i = _to_int(args[0])
    if isinstance(i, Value):
        return Error
    tot = _wrap32(i)
    days = _cdiv(tot, 86400)
    tot = _cmod(tot, 86400)
    hours = _cdiv(tot, 3600)
    tot = _cmod(tot, 3600)
    mins = _cdiv(tot, 60)
    secs = _cmod(tot, 60)
    if days:
        return '%d+%02d:%02d:%02d' % (days, abs(hours), abs(mins), abs(secs))
    if hours:
        return '%d:%02d:%02d' % (hours, abs(mins), abs(secs))
    if mins:
        return '%d:%02d' % (mins, abs(secs))
    return '%d' % secs


# ------------------------------------------- arguments / environment

def _args_v2_quote(arg):
    # condor's V2 syntax: runs of white space go in single quotes, a single
    # quote is written as a quoted doubled quote; double quotes stay raw
    if arg == '':
        return "''"
    if not any(c in arg for c in " \t\n\r'"):
        return arg
    out = []
    buf = []
    for c in arg:
        if c in ' \t\n\r':
            buf.append(c)
            continue
        if buf:
            out.append("'" + ''.join(buf) + "'")
            buf = []
        if c == "'":
            out.append("''''")
        else:
            out.append(c)
    if buf:
        out.append("'" + ''.join(buf) + "'")
    return ''.join(out)


def _args_version(args):
    """The version argument of listToArgs / argsToList (2 if none): an
    integer, read as a C int, 1 or 2; None if it is not."""
    if len(args) < 2:
        return 2
    v = args[1]
    if type(v) is not int:
        return None
    v = _wrap32(v)
    return v if v in (1, 2) else None


def args_version_arg(n, v):
    """(for the compiler) listToArgs / argsToList read the version first:
    a bad one is error before the first argument is evaluated."""
    if n == 1 and _args_version([None, v]) is None:
        return Error
    return None


def merge_environment_arg(n, v):
    """(for the compiler) mergeEnvironment stops at the first argument
    that is neither undefined nor an environment."""
    if v is Undefined:
        return None
    if not isinstance(v, str):
        return Error
    entries = _parse_args_v2(v)
    if entries is None or not _env_merge({}, entries):
        return Error
    return None


@_register('listToArgs')
def fn_list_to_args(args, ctx):
    if len(args) not in (1, 2):
        return Error
    vers = _args_version(args)
    if vers is None:
        return Error
    lst = args[0]
    if not isinstance(lst, list) or not all(isinstance(x, str) for x in lst):
        return Error
    if vers == 1:
        if any(any(c in x for c in ' \t\n\r"') for x in lst):
            return Error
        return ' '.join(lst)
    return ' '.join(_args_v2_quote(x) for x in lst)


def _parse_args_v2(s):
    out = []
    cur = []
    have = False
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c in ' \t\n\r':
            if have:
                out.append(''.join(cur))
                cur, have = [], False
            i += 1
            continue
        have = True
        if c == "'":
            i += 1
            while True:
                if i >= n:
                    return None
                if s[i] == "'":
                    if i + 1 < n and s[i + 1] == "'":
                        cur.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                cur.append(s[i])
                i += 1
            continue
        cur.append(c)
        i += 1
    if have:
        out.append(''.join(cur))
    return out


@_register('argsToList')
def fn_args_to_list(args, ctx):
    if len(args) not in (1, 2):
        return Error
    vers = _args_version(args)
    if vers is None:
        return Error
    if not isinstance(args[0], str):
        return Error
    if vers == 1:
        return args[0].split()
    r = _parse_args_v2(args[0])
    return Error if r is None else r


@_register('userMap')
def fn_user_map(args, ctx):
    """userMap(map, input[, preferred[, default]]): no map files are
    configured (CLASSAD_USER_MAPFILE_*), so the answer is the default."""
    if len(args) < 2 or len(args) > 4:
        return Error
    if args[0] is Error or args[1] is Error:
        return Error
    return args[3] if len(args) == 4 else Undefined


@_register('userHome')
def fn_user_home(args, ctx):
    if len(args) not in (1, 2):
        raise EvalFailed('userHome() takes one or two arguments')
    default = args[1] if len(args) == 2 and isinstance(args[1], str) else ''
    name = args[0]
    if name is Undefined and not default:
        return Undefined
    if not isinstance(name, str):
        return default or Error
    import pwd
    try:
        home = pwd.getpwnam(name).pw_dir
    except KeyError:
        return default or Undefined
    return home or default or Undefined


def _env_v2_text(env):
    # HTCondor's Env keeps its variables in a map: sorted by name
    return ' '.join(_args_v2_quote(k + '=' + env[k])
                    for k in sorted(env, key=lambda k: k.encode('utf-8', 'surrogateescape')))


def _env_merge(env, entries):
    """Add NAME=VALUE entries to env; False on an entry without a name."""
    for e in entries:
        name, eq, value = e.partition('=')
        if not eq or not name:
            return False
        env[name] = value
    return True


@_register('envV1ToV2')
def fn_env_v1_to_v2(args, ctx):
    if len(args) != 1:
        return Error
    v = args[0]
    if v is Undefined:
        return Undefined
    if not isinstance(v, str):
        return Error
    env = {}
    if not _env_merge(env, [e for e in v.split(';') if e]):
        return Error
    return _env_v2_text(env)


@_register('mergeEnvironment')
def fn_merge_environment(args, ctx):
    env = {}
    for v in args:
        if v is Undefined:
            continue
        if not isinstance(v, str):
            return Error
        entries = _parse_args_v2(v)
        if entries is None or not _env_merge(env, entries):
            return Error
    return _env_v2_text(env)
