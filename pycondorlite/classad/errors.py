"""Exceptions of the ClassAd library, shaped like classad2's."""


class ClassAdException(Exception):
    """What classad2 raises (classad2.ClassAdException) when it cannot do as asked."""


class ClassAdStreamError(ClassAdException, ValueError):
    """A stream of ads (parseAds) that cannot be read on: classad2 raises
    ValueError("Unable to parse input stream into a ClassAd.")."""


class ClassAdSyntaxError(ClassAdException, ValueError):
    """Text that is not a ClassAd expression or ad; carries line and column (1-based)."""

    def __init__(self, message, line=None, column=None, text=None, pos=None):
        self.msg = message
        self.pos = pos          # offset in text of the offending token, if known
        self.line = line
        self.column = column
        self.text = text
        where = ""
        if line is not None:
            where = " at line %d, column %d" % (line, column)
        super().__init__("Unable to parse string into a ClassAd%s: %s" % (where, message))

    # the names SyntaxError uses, for callers that print them
    @property
    def lineno(self):
        return self.line

    @property
    def offset(self):
        return self.column
