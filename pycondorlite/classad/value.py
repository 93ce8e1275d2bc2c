"""ClassAd values as Python sees them, as classad2 returns them.

An evaluated ClassAd value is one of: bool, int, float, str, list (of
evaluated values), a ClassAd (nested ad, still holding expressions), a time
(AbsTime, RelTime below), or one of the two special values. bool is tested
before int everywhere, since bool is a subclass of int in Python; RelTime
is a float subclass, told apart by its exact type.
"""

import enum


class Value(enum.IntEnum):
    """The special values, numbered as classad2 numbers them."""
    Error = 1
    Undefined = 2


Undefined = Value.Undefined
Error = Value.Error


class RelTime(float):
    """A relative time (relTime()): seconds, a double as in libclassad.
    classad2 hands it to Python as a plain float."""
    __slots__ = ()


class AbsTime:
    """An absolute time (absTime()): whole seconds since the epoch and the
    offset of the zone it is shown in, east of UTC (libclassad's abstime_t).
    classad2 hands it to Python as the UTC datetime of the instant."""
    __slots__ = ("secs", "offset")

    def __init__(self, secs, offset):
        self.secs = secs
        self.offset = offset

    def __eq__(self, other):
        # =?= of two absolute times: the same instant shown in the same zone
        return (type(other) is AbsTime and self.secs == other.secs
                and self.offset == other.offset)

    def __hash__(self):
        return hash((self.secs, self.offset))

    def __repr__(self):
        return "AbsTime(%d, %d)" % (self.secs, self.offset)
