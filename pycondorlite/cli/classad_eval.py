"""classad_eval: evaluate ClassAd expressions in a context ad built on the
command line (HTCondor's classad_eval).

    classad_eval [-quiet] [-[my-]file path] [-target-file path] <ad|assignment|expr> ...

Arguments take effect left to right: an inline ad `[ a = 1; b = 2 ]` or an
assignment `a = 1` changes the context ad (which starts empty); -file
replaces it with the first ad of a file (new or old syntax); anything else
is an expression, evaluated with the context ad as MY and the -target-file
ad as TARGET. Before an evaluation, a context changed since it was last
printed is printed (not with -quiet). Exit 1 when the context cannot be
updated, 255 for a bad option.
"""

import re
import sys

from pycondorlite import classad
from pycondorlite.cmdline import Opt, Parser

PROG = "classad_eval"
USAGE = ("Usage: classad_eval [options] <ad|expr|assignment>[ <ad|expr|assignment>]*\n"
         "Options:\n"
         "\t-help                  Display this help message\n"
         "\t-quiet                 Do not print the ClassAd context before evaluation\n"
         "\t-debug                 Enable debugging output\n"
         "\t-[my-]file <file>      Read the source ClassAd context from <file>\n"
         "\t-target-file <file>    Read the target ClassAd context from <file>\n")
OPTIONS = [
    Opt("help", 1), Opt("quiet", 1), Opt("debug", 1),
    Opt("file", 1, args=1, key="file", missing="{prog}: {arg} requires an argument"),
    Opt("my-file", 2, args=1, key="file", missing="{prog}: {arg} requires an argument"),
    Opt("target-file", 2, args=1, missing="{prog}: {arg} requires an argument"),
]
_ASSIGN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?![=?!])(.*)\Z", re.S)


class Failed(Exception):
    pass


def read_ad_file(path):
    """The first ad of a file, new syntax (`[...]`) or old (`a = 1` lines)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        raise Failed(f"{PROG}: Failed to open file '{path}': "
                     f"{getattr(e, 'strerror', None) or e}")
    try:
        if text.lstrip().startswith("["):
            ad = classad.ExprTree(text.strip()).eval()
        else:
            ads = list(classad.parseAds(text, classad.ParserType.Old))
            ad = ads[0] if ads else classad.ClassAd()
    except classad.ClassAdException:
        raise Failed(f"{PROG}: Failed to parse ClassAd in file '{path}'")
    if not isinstance(ad, classad.ClassAd):
        raise Failed(f"{PROG}: Failed to parse ClassAd in file '{path}'")
    return ad


def update(context, arg):
    """Apply an inline ad or an assignment; False if `arg` is an expression."""
    text = arg.strip()
    if text.startswith("["):
        try:
            ad = classad.ExprTree(text).eval()
        except classad.ClassAdException:
            raise Failed(f"Failed to parse argument '{arg}' as a ClassAd")
        if not isinstance(ad, classad.ClassAd):
            return False        # e.g. [a = 1].a: an expression after all
        for k in ad.keys():
            context[k] = ad.lookup(k)
        return True
    m = _ASSIGN.match(arg)
    if not m:
        return False
    try:
        context[m.group(1)] = classad.ExprTree(m.group(2))
    except classad.ClassAdException:
        raise Failed(f"Failed to parse argument '{arg}' as an assignment")
    return True


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    parser = Parser(PROG, OPTIONS, USAGE, unknown="{prog}: unknown option {arg}",
                    error_usage_stream="stderr", version=None, unknown_code=255)
    return parser.run(args, _body)


def _body(hits):
    quiet = False
    context = classad.ClassAd()
    target = None
    dirty = False
    try:
        for h in hits:
            if h.key == "quiet":
                quiet = True
            elif h.key == "file":
                context = read_ad_file(h.value)
                dirty = True
            elif h.key == "target-file":
                target = read_ad_file(h.value)
            elif h.key is None:
                if update(context, h.arg):
                    dirty = True
                    continue
                try:
                    tree = classad.ExprTree(h.arg)
                except classad.ClassAdException:
                    raise Failed(f"Failed to parse argument '{h.arg}' as an expression")
                if dirty and not quiet:
                    print(repr(context))
                dirty = False
                value = tree.eval(context, target) if target is not None else tree.eval(context)
                print(classad.unparse_value(value))
    except Failed as e:
        sys.stderr.write(str(e) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
