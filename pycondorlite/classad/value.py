"""ClassAd values as Python sees them, as classad2 returns them.

An evaluated ClassAd value is one of: bool, int, float, str, list (of
evaluated values), a ClassAd (nested ad, still holding expressions), or one
of the two special values below. bool is tested before int everywhere,
since bool is a subclass of int in Python.
"""

import enum


class Value(enum.IntEnum):
    """The special values, numbered as classad2 numbers them."""
    Error = 1
    Undefined = 2


Undefined = Value.Undefined
Error = Value.Error
