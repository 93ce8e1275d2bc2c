"""ClassAd time values: absolute times (absTime) and relative times
(relTime), read from text, written as text, and handed to Python.

An absolute time is libclassad's abstime_t: whole seconds since the epoch
and the offset of the zone it is shown in (east of UTC, in seconds). A
relative time is a number of seconds (a double). libclassad does its
arithmetic in C types -- 32-bit ints in places -- and the casts are kept
where they show (``absTime(2147483648)`` is in 1901).

The local zone is the process's (TZ), looked up as libclassad does: the
offset in force at an instant (tm_gmtoff), with or without daylight saving.
"""

import datetime as _dt
import math
import time as _time

from .value import AbsTime, RelTime, Value

_C_SPACE = " \t\n\v\f\r"
_INT32_MIN = -(1 << 31)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def c_int(r):
    """C's (int) cast of a double, as x86-64 does it (out of range: INT_MIN)."""
    if r != r or not (-2147483649.0 < r < 2147483648.0):
        return _INT32_MIN
    return int(r)


def wrap32(i):
    """An integer as a C int holds it."""
    return ((i + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def local_offset(secs, no_dst=False):
    """The local zone's offset from UTC at secs (libclassad's timezone_offset)."""
    try:
        lt = _time.localtime(secs)
    except (OverflowError, OSError, ValueError):
        return 0
    off = lt.tm_gmtoff or 0
    if no_dst and lt.tm_isdst > 0:
        off -= 3600
    return off


def now():
    """The current time, in the local zone (absTime(), currentTime())."""
    secs = int(_time.time())
    return AbsTime(secs, local_offset(secs))


# --- reading ----------------------------------------------------------------

def _atoi(s):
    """C atoi() of a string that starts with a digit."""
    n = 0
    for c in s:
        if not ("0" <= c <= "9"):
            break
        n = n * 10 + ord(c) - 48
    return n


def _isdigit(c):
    return "0" <= c <= "9"          # C's isdigit(): ASCII only


def _bytes_of(text):
    """text as a str of one character per UTF-8 byte: libclassad counts bytes."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _next_digit(s, i):
    while i < len(s) and not _isdigit(s[i]):
        i += 1
    return i


def _zone_suffix(s):
    """(s without a trailing +hhmm / -hhmm, offset), or (s, None)."""
    tail = s[-5:]
    if len(tail) == 5 and tail[0] in "+-" and all(map(_isdigit, tail[1:])):
        hours, mins = int(tail[1:3]), int(tail[3:5])
        off = hours * 3600 + mins * 60
        return s[:-5], (off if tail[0] == "+" else -off)
    return s, None


def parse_abstime(text):
    """The AbsTime an ``absTime("...")`` literal denotes, or None.

    libclassad's reading: an optional zone at the end (Z, +hh:mm, +hhmm);
    then digits are taken wherever they are -- four for the year, two each
    for month, day, hours, minutes, seconds -- anything else separates them
    (so ``1970-01-01T:00:00:01Z`` reads); a digit left over is an error.
    Fields out of range roll over (month 13 is next January), as mktime()
    does; a time without a zone is local."""
    s = _bytes_of(text)
    n = len(s)
    i = n - 1
    while i >= 0 and s[i] in _C_SPACE:
        i -= 1
    offset = None
    if i > 0 and s[i] in "zZ":
        s = s[:i] + s[i + 1:]
        offset = 0
    elif n > 5 and s[n - 5] in "+-":
        s, offset = _zone_suffix(s)
    elif n > 6 and s[n - 6] in "+-" and s[n - 3] == ":":
        s = s[:n - 3] + s[n - 2:]       # the colon goes, zone or not
        s, offset = _zone_suffix(s)
    n = len(s)
    i = _next_digit(s, 0)
    if i > n - 4:
        return None
    fields = [_atoi(s[i:i + 4]), 1, 0, 0, 0, 0]     # year, month, day, h, m, s
    i += 4
    for k in range(1, 6):
        i = _next_digit(s, i)
        if i <= n - 2:
            fields[k] = _atoi(s[i:i + 2])
            i += 2
    i = _next_digit(s, i)
    if i <= n - 1:
        return None                     # more digits than a time has
    year, month, day, hours, mins, secs = fields
    try:
        # mktime() of the fields as local standard time (tm_isdst 0)
        t = _time.mktime((year, month, day, hours, mins, secs, 0, 0, 0))
    except (OverflowError, ValueError):
        return None
    t = int(t)
    if t == -1:
        return None                     # libclassad cannot tell it from failure
    if offset is None:
        offset = local_offset(t)
    t += local_offset(t, no_dst=True)   # the fields as UTC...
    return AbsTime(t - offset, offset)  # ...then in the zone given


def _digits_before(s, i):
    """(the digits ending at s[i], index before them)."""
    j = i
    while j >= 0 and _isdigit(s[j]):
        j -= 1
    return s[j + 1:i + 1], j


def _skip_space_back(s, i):
    while i >= 0 and s[i] in _C_SPACE:
        i -= 1
    return i


def _from_chars(digits):
    """std::from_chars into an int: 0 when there are none or too many."""
    if not digits:
        return 0
    v = int(digits)
    return v if v <= 2147483647 else 0


def parse_reltime(text):
    """The RelTime a ``relTime("...")`` literal denotes, or None.

    ``[-][[[days+|d]hh:|h]mm:|m]ss[.sss][s]``, read from the end as
    libclassad reads it: ``1+02:03:04.5``, ``1d2h3m4.5s``, ``90``."""
    s = _bytes_of(text)
    i = _skip_space_back(s, len(s) - 1)
    secs = 0.0
    if i >= 0 and (s[i] in "sS" or _isdigit(s[i])):
        if s[i] in "sS":
            i -= 1
        i = _skip_space_back(s, i)
        digits, i = _digits_before(s, i)
        number = digits
        if i >= 0 and s[i] == ".":
            more, i = _digits_before(s, i - 1)
            number = more + "." + digits
        try:
            secs = float(number) if number not in ("", ".") else 0.0
        except ValueError:
            secs = 0.0
    parts = []
    for marks in ("mM:", "hH:", "dD+"):
        i = _skip_space_back(s, i)
        value = 0
        if i >= 0 and s[i] in marks:
            i = _skip_space_back(s, i - 1)
            digits, i = _digits_before(s, i)
            value = _from_chars(digits)
        parts.append(value)
    mins, hours, days = parts
    i = _skip_space_back(s, i)
    negative = False
    if i >= 0 and s[i] == "-":
        negative = True
        i -= 1
    i = _skip_space_back(s, i)
    if i >= 0:
        return None
    total = wrap32(days * 86400 + hours * 3600 + mins * 60) + secs  # C int arithmetic
    return RelTime(-total if negative else total)


# --- arithmetic -------------------------------------------------------------

def _ieee_div(x, y):
    if y == 0:
        if x != x or x == 0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def arith(op, a, b):
    """a op b (+ - * /) where an operand is no number: defined on times as
    libclassad defines it (absolute + relative, absolute - absolute, relative
    scaled by a number...), error otherwise."""
    ta, tb = type(a), type(b)
    if op == "+":
        if ta is AbsTime and tb is RelTime:
            return AbsTime(a.secs + c_int(b), a.offset)
        if ta is RelTime and tb is AbsTime:
            return AbsTime(b.secs + c_int(a), b.offset)
        if ta is RelTime and tb is RelTime:
            return RelTime(a + b)
    elif op == "-":
        if ta is AbsTime and tb is AbsTime:
            return RelTime(a.secs - b.secs)
        if ta is AbsTime and tb is RelTime:
            return AbsTime(a.secs - c_int(b), a.offset)
        if ta is RelTime and tb is RelTime:
            return RelTime(a - b)
    elif ta is RelTime and (tb is int or tb is float):
        return RelTime(a * b if op == "*" else _ieee_div(float(a), float(b)))
    elif op == "*" and tb is RelTime and (ta is int or ta is float):
        return RelTime(a * b)
    return Value.Error


# --- writing ----------------------------------------------------------------

def _civil(days):
    """(year, month, day) of a day count from 1970-01-01, any year."""
    d = days + 719468
    era = d // 146097
    doe = d - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def abstime_text(t):
    """``2003-09-03T00:00:00-00:00``: the time in its own zone (UTC is -00:00)."""
    local = t.secs + t.offset
    days, rest = divmod(local, 86400)
    year, month, day = _civil(days)
    tz = t.offset
    sign = "+" if tz > 0 else "-"
    tz = abs(tz)
    return "%d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        year, month, day, rest // 3600, rest % 3600 // 60, rest % 60,
        sign, tz // 3600, tz // 60 % 60)


def cdiv(a, b):
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def cmod(a, b):
    """C's % (the sign of the dividend)."""
    return a - b * cdiv(a, b)


def reltime_text(r):
    """``1+02:03:4.5``: a relative time as libclassad writes its literal."""
    out = ""
    if r < 0:
        out = "-"
        r = -r
    frac = r - math.floor(r) if math.isfinite(r) else math.nan
    whole = c_int(r)
    hours = cmod(whole, 86400)
    mins = cmod(hours, 3600)
    secs = cmod(mins, 60)
    days, hours, mins = cdiv(whole, 86400), cdiv(hours, 3600), cdiv(mins, 60)
    if frac == 0:
        last = "%02d" % secs
    else:
        last = "%02g" % (secs + frac)
    if days:
        return out + "%d+%02d:%02d:%s" % (days, hours, mins, last)
    if hours:
        return out + "%02d:%02d:%s" % (hours, mins, last)
    if mins:
        return out + "%02d:%s" % (mins, last)
    return out + last


def reltime_string(r):
    """string() of a relative time: its whole seconds (a C int), written
    as its literal is (``1+02:03:04``)."""
    return reltime_text(float(c_int(r)))


# --- Python -----------------------------------------------------------------

def to_datetime(t):
    """The datetime classad2 hands out for an absolute time: its instant, in UTC."""
    return _EPOCH + _dt.timedelta(seconds=t.secs)


def from_datetime(d):
    """The absolute time classad2 stores for a datetime: the clock reading
    taken as UTC when the datetime has a zone (its offset is not applied),
    local time when it has none; whole seconds; shown in UTC."""
    if d.tzinfo is not None and d.tzinfo.utcoffset(d) is not None:
        secs = (d.replace(tzinfo=None) - _dt.datetime(1970, 1, 1)) // _dt.timedelta(seconds=1)
    else:
        naive = (d - _dt.datetime(1970, 1, 1)) // _dt.timedelta(seconds=1)
        secs = naive - d.astimezone().utcoffset() // _dt.timedelta(seconds=1)
    return AbsTime(secs, 0)
