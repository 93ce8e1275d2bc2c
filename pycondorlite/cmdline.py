"""HTCondor's command-line conventions, in one place for every command.

HTCondor's tools take single-dash long options, a doubled dash being accepted
too (`--long`). An option may be shortened to any prefix at least as long as
its minimum (is_dash_arg_prefix in HTCondor's match_prefix.cpp: with a
minimum of 3, `-con`, `-const` and `-constraint` are all `-constraint`), but
not after a doubled dash: `--constraint` whole or nothing. An option of the
colon kind carries sub-options after a colon (`-af:jh`, `-long:json`). The
first option of a table that an argument matches wins, as in HTCondor's
if/else chains, so a table lists the option that owns a short prefix first.
A bare `-` is an ordinary argument.

A command declares its options as a table of Opt and folds the Hits that
Parser.parse() returns, in command-line order, or takes them one at a time
from Parser.iterate() to stop at the first bad argument as HTCondor's
if/else chains do. -help and -version are handled here for every command:
`Parser(..., usage=...)` prints the usage text for -help (exit 0) and the
version lines for -version (exit 0).
"""

import sys

from pycondorlite.version import platform_line, version_line

MANY = "+"          # one or more arguments, up to the next that starts with '-'

# HTCondor's job ids are C ints: a cluster or proc past this is no job id.
MAX_ID = 2**31 - 1


class Usage(Exception):
    """A bad command line: `msg` (None: none) to stderr, then the usage text if
    `usage`; exit status `code`."""

    def __init__(self, msg=None, usage=False, code=1):
        super().__init__(msg)
        self.msg, self.usage, self.code = msg, usage, code


class Done(Exception):
    """The command has already answered (help, version): exit with `code`."""

    def __init__(self, code=0):
        super().__init__(code)
        self.code = code


class Opt:
    """One option: its full name, the shortest prefix accepted (-1: only the
    full name), how many arguments follow it (0, n, or MANY), whether it takes
    `:sub-options`, and the message when its arguments are missing
    ({prog}, {arg} and {name} are filled in).

    missing_late: a missing argument is the command's to report, not the
    parser's: the Hit comes with the arguments there are, for a command that
    checks something else first (condor_submit's -dump and -dry-run look for
    each other before they look for their file)."""

    __slots__ = ("name", "min_len", "args", "colon", "missing", "key", "no_dash",
                 "usage_on_missing", "missing_late")

    def __init__(self, name, min_len=-1, args=0, colon=False, missing=None, key=None,
                 no_dash=False, usage_on_missing=False, missing_late=False):
        self.name, self.min_len, self.args, self.colon = name, min_len, args, colon
        self.missing = missing
        self.key = key or name
        self.no_dash = no_dash              # an argument starting with '-' does not count
        self.usage_on_missing = usage_on_missing
        self.missing_late = missing_late

    def matches(self, arg):
        """(True, sub-options or None) when `arg` names this option."""
        head, sep, sub = arg.partition(":") if self.colon else (arg, "", "")
        if not dash_prefix(head, self.name, self.min_len):
            return False, None
        return True, (sub if sep else None)


class Hit:
    """One parsed argument: an option (key = its Opt's key) or, with key None,
    a positional argument (values = [the argument])."""

    __slots__ = ("key", "colon", "values", "arg", "index")

    def __init__(self, key, colon, values, arg, index):
        self.key, self.colon, self.values, self.arg, self.index = key, colon, values, arg, index

    @property
    def value(self):
        return self.values[0] if self.values else None

    def __repr__(self):
        return f"Hit({self.key!r}, {self.colon!r}, {self.values!r})"


def dash_prefix(arg, name, min_len=-1):
    """Is `arg` -<prefix of name> (at least min_len letters; all of name if -1),
    or --name (a doubled dash asks for the whole name)?"""
    if not arg.startswith("-"):
        return False
    word = arg[1:]
    if word.startswith("-"):
        word = word[1:]
        min_len = -1
    if not word or len(word) > len(name) or not name.startswith(word):
        return False
    if min_len < 0:
        return len(word) == len(name)
    return len(word) >= min_len


def dash_colon_prefix(arg, name, min_len=-1):
    """Like dash_prefix but allows `-name:opts`; returns (matched, opts or None)."""
    head, sep, opts = arg.partition(":")
    if not dash_prefix(head, name, min_len):
        return False, None
    return True, (opts if sep else None)


def job_id(text):
    """'12' -> (12, -1); '12.3' -> (12, 3); anything else, ids past a C int
    included, -> None."""
    cluster, dot, proc = text.partition(".")
    if not (cluster.isascii() and cluster.isdigit()) or len(cluster) > 10:
        return None
    c = int(cluster)
    if c > MAX_ID:
        return None
    if not dot:
        return c, -1
    if not (proc.isascii() and proc.isdigit()) or len(proc) > 10 or int(proc) > MAX_ID:
        return None
    return c, int(proc)


def print_version(out=None):
    out = out or sys.stdout
    out.write(version_line() + "\n" + platform_line() + "\n")


class Parser:
    """A command's option table. `usage` is the -help text (a string, or a
    function of the program name); `unknown` the message for an option not in
    the table. help/version: the Opt that asks for them (None: the command
    has none)."""

    def __init__(self, prog, options, usage="", unknown="{prog}: unknown option {arg}",
                 help=Opt("help", 1), version=Opt("version", 1), help_stream="stdout",
                 error_usage_stream="stderr", unknown_usage=True, version_code=0,
                 unknown_code=1):
        self.prog = prog
        self.options = list(options)
        self.usage = usage
        self.unknown = unknown
        self.help, self.version = help, version
        self.help_stream, self.error_usage_stream = help_stream, error_usage_stream
        self.unknown_usage = unknown_usage
        self.version_code = version_code
        self.unknown_code = unknown_code

    def usage_text(self):
        return self.usage(self.prog) if callable(self.usage) else self.usage

    def lookup(self, arg):
        """(Opt, sub-options) of the first option `arg` names, or (None, None)."""
        for opt in self.options:
            ok, sub = opt.matches(arg)
            if ok:
                return opt, sub
        return None, None

    def parse(self, argv):
        """The Hits of argv, in order. Raises Usage, or Done after -help/-version."""
        return list(self.iterate(argv))

    def iterate(self, argv):
        """The Hits of argv one at a time: an argument is looked at only once
        the command has taken the Hit before it."""
        i, n = 0, len(argv)
        while i < n:
            arg = argv[i]
            if not arg.startswith("-") or arg == "-":
                yield Hit(None, None, [arg], arg, i)
                i += 1
                continue
            opt, sub = self.lookup(arg)
            if opt is None:
                for special in (self.help, self.version):
                    if special is not None and special.matches(arg)[0]:
                        opt = special
                        break
                else:
                    raise Usage(self.unknown.format(prog=self.prog, arg=arg),
                                usage=self.unknown_usage, code=self.unknown_code)
            # A table may place -help / -version where its if/else chain has them.
            if opt.key == "help":
                self._stream(self.help_stream).write(self.usage_text())
                raise Done(0)
            if opt.key == "version":
                print_version()
                raise Done(self.version_code)
            values = []
            if opt.args == MANY:
                while i + 1 < n and not argv[i + 1].startswith("-"):
                    i += 1
                    values.append(argv[i])
                if not values:
                    self._missing(opt, arg)
            else:
                for _ in range(opt.args):
                    if i + 1 >= n or (opt.no_dash and argv[i + 1].startswith("-")):
                        if opt.missing_late:
                            break
                        self._missing(opt, arg)
                    i += 1
                    values.append(argv[i])
            yield Hit(opt.key, sub, values, arg, i)
            i += 1

    def _missing(self, opt, arg):
        msg = opt.missing or "{prog}: {arg} requires another argument"
        raise Usage(msg.format(prog=self.prog, arg=arg, name=opt.name), usage=opt.usage_on_missing)

    @staticmethod
    def _stream(name):
        return sys.stdout if name == "stdout" else sys.stderr

    def complain(self, e):
        """Print a Usage error as this command prints it."""
        if e.msg:
            sys.stderr.write(e.msg + "\n")
        if e.usage:
            self._stream(self.error_usage_stream).write(self.usage_text())

    def run(self, argv, body):
        """parse(argv) then body(hits); a Usage or Done anywhere becomes the exit
        status, with the command's messages. Returns the exit status."""
        try:
            return body(self.parse(argv))
        except Done as e:
            return e.code
        except Usage as e:
            self.complain(e)
            return e.code
        except BrokenPipeError:
            return 0


def ambiguous(parser):
    """Pairs of options of a table where an abbreviation allowed for the second
    is taken by the first (the second can then be reached only by the letters
    beyond): for the tests, which keep every table free of them."""
    out = []
    keys = {o.key for o in parser.options}
    opts = parser.options + [o for o in (parser.help, parser.version)
                             if o is not None and o.key not in keys]
    for i, a in enumerate(opts):
        for b in opts[i + 1:]:
            if a.key == b.key:
                continue            # two spellings of one option
            shortest = b.min_len if b.min_len > 0 else len(b.name)
            for k in range(shortest, len(b.name) + 1):
                word = "-" + b.name[:k]
                if a.matches(word)[0] and word != "-" + a.name:
                    out.append((a.name, b.name, word))
                    break
    return out


def unique_prefixes(names):
    """{name: shortest accepted prefix length} by argparse's rule (any prefix
    that no other name shares), for the commands HTCondor writes in Python
    (condor_watch_q); a name that begins another is accepted only in full."""
    out = {}
    for n in names:
        others = [m for m in names if m != n]
        k = 1
        while k < len(n) and any(m.startswith(n[:k]) for m in others):
            k += 1
        out[n] = -1 if any(m.startswith(n) for m in others) else k
    return out


def text(arg):
    """An argument as text fit for the spool and the ClassAd parser: bytes
    that are not UTF-8 (surrogate escapes in argv) become U+FFFD, as a name
    with them matches no owner anyway."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
