"""What the ClassAd library records for whoever looks: the last error
(classad2.lastError(), libclassad's CondorErrMsg) and the trace the
``debug(expr)`` function writes while it evaluates expr.

libclassad hands each trace line to a debug function that HTCondor's tools
point at their debug log; here it goes to the logger
``pycondorlite.classad`` at DEBUG level, in libclassad's words:
``Classad debug: [0.00200ms] x + y --> 15``.
"""

import logging

from . import nodes as N
from .value import AbsTime, RelTime, Value

log = logging.getLogger("pycondorlite.classad")

_last_error = ""


def record_error(message):
    """Remember message as the library's last error."""
    global _last_error
    _last_error = str(message)


def last_error():
    return _last_error


def _value_text(node, v, known=True):
    t = type(v)
    if v is Value.Error:
        if node.__class__ is N.Call and not known:
            return "ERROR (function is not defined)"
        return "ERROR (%s)" % _last_error if _last_error else "ERROR"
    if v is Value.Undefined:
        return "UNDEFINED"
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return "%d" % v
    if t is float:
        return "%g" % v
    if t is RelTime:
        return "RELATIVE TIME"
    if t is AbsTime:
        return "ABSOLUTE TIME"
    if t is str:
        return v
    if isinstance(v, list):
        return "LIST" if getattr(v, "exprs", None) is not None else "SLIST"
    return "CLASSAD"


def report(node, value, seconds, known=True):
    """One trace line: node evaluated to value in seconds. known: False for
    a call of a function the library does not have (the compiler knows)."""
    if node.__class__ is N.AdExpr:
        return          # libclassad does not print whole ads
    from .printer import pretty
    head = "Classad debug: "
    if seconds:
        head += "[%5.5fms] " % (seconds * 1000)
    log.debug("%s%s --> %s", head, pretty(node), _value_text(node, value, known))


# The nodes libclassad traces: not literals, not operators.
TRACED = (N.AttrRef, N.Call, N.ListExpr, N.AdExpr)
