"""The ClassAd language, with the surface of HTCondor's ``classad2`` module.

    >>> from pycondorlite import classad
    >>> ad = classad.parseOne('hardwareprofile = "large"\\nRequirements = true\\n')
    >>> classad.ExprTree('hardwareprofile == "LARGE"').eval(ad)
    True

Evaluation uses the command-line tools' "old" semantics unless the knob
STRICT_CLASSAD_EVALUATION is true (see semantics.py).
"""

import enum
import importlib

# The names below load their module on first use (PEP 562), so that importing
# a light submodule (semantics, which the configuration sets on every command's
# start) does not build the parser: condor_q's batch view never parses a ClassAd.
_LAZY = {
    "debugging": None, "ad": None, "parsing": None, "printer": None,
    "ClassAd": "ad", "ExprTree": "ad",
    "ClassAdException": "errors", "ClassAdSyntaxError": "errors",
    "looks_new": "parsing", "read_new_ads": "parsing", "read_old_ads": "parsing",
    "quote_string": "printer", "unparse_value": "printer",
    "old_semantics": "semantics",
    "Value": "value", "Undefined": "value", "Error": "value",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    module = importlib.import_module("." + (_LAZY[name] or name), __name__)
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value

__all__ = [
    "ClassAd", "ExprTree", "Value", "ParserType", "Parser", "ClassAdException",
    "ClassAdSyntaxError", "parseAds", "parseOne", "parseNext", "quote", "unquote",
    "lastError", "version",
]


class ParserType(enum.IntEnum):
    """Serialisation formats, numbered as classad2 numbers them."""
    Auto = -1
    Old = 0
    XML = 1
    JSON = 2
    New = 3
    FileAuto = 4


Parser = ParserType


def _text_of(input):
    if isinstance(input, str):
        return input
    return "".join(input)


def _read_old(text, strict):
    """(ads, failure): the old-syntax ads of text, and the exception that
    ended the reading (classad2 raises it after handing out the ads before)."""
    from .ad import ClassAd
    from .errors import ClassAdException, ClassAdSyntaxError
    from .parsing import read_old_ads
    from .semantics import old_semantics
    try:
        return read_old_ads(text, old_semantics(), strict, make=ClassAd._from_dicts), None
    except ClassAdSyntaxError:
        raise
    except ClassAdException as e:
        return getattr(e, "partial", []), e


def _hand_out(ads, failure):
    yield from ads
    raise failure


def _ads(text, parser, strict=False):
    """An iterator over the ClassAds of text."""
    from .ad import ClassAd
    from .errors import ClassAdException
    from .parsing import looks_new, read_new_ads
    from .semantics import old_semantics
    if parser in (ParserType.Auto, ParserType.FileAuto):
        parser = ParserType.New if looks_new(text) else ParserType.Old
    if parser == ParserType.Old:
        ads, failure = _read_old(text, strict)
        return iter(ads) if failure is None else _hand_out(ads, failure)
    if parser == ParserType.New:
        from_dicts = ClassAd._from_dicts
        return (from_dicts(attrs, names)
                for attrs, names in read_new_ads(text, old_semantics(), strict))
    raise ClassAdException("parser type %s is not supported" % parser.name)


def parseAds(input, parser=ParserType.Auto):
    """An iterator over the ads in input (a string or a file), old or new syntax."""
    return _ads(_text_of(input), ParserType(parser))


def parseOne(input, parser=ParserType.Auto):
    """All the ads in input merged into one ClassAd."""
    from .ad import ClassAd
    ads = list(_ads(_text_of(input), ParserType(parser)))
    if len(ads) == 1:
        return ads[0]
    result = ClassAd()
    for ad in ads:
        result.update(ad)
    return result


def parseNext(input, parser=ParserType.Auto):
    """The first ad of input; a file is left positioned after it."""
    from .parsing import looks_new
    if isinstance(input, str):
        for ad in _ads(input, ParserType(parser)):
            return ad
        return None
    lines = []
    parser = ParserType(parser)
    depth = 0
    while True:
        line = input.readline()
        if not line:
            break
        lines.append(line)
        if parser in (ParserType.Auto, ParserType.FileAuto) and "".join(lines).strip():
            parser = ParserType.New if looks_new("".join(lines)) else ParserType.Old
        if parser == ParserType.Old:
            if not line.strip() and "".join(lines).strip():
                break
        elif parser == ParserType.New:
            depth += line.count("[") - line.count("]")
            if depth <= 0 and "]" in line:
                break
    for ad in _ads("".join(lines), parser):
        return ad
    return None


def parse_ads_strict(text, parser=ParserType.Auto):
    """Like parseAds, but a bad line raises ClassAdSyntaxError naming its line
    (for the command-line tools)."""
    return list(_ads(text, ParserType(parser), strict=True))


def quote(input):
    """input as a ClassAd string literal."""
    from .printer import quote_string
    return quote_string(input)


def unquote(input):
    """The string a ClassAd string literal denotes."""
    from .ad import ExprTree
    from .errors import ClassAdSyntaxError
    try:
        v = ExprTree(input).eval()
    except ClassAdSyntaxError:
        raise ValueError("String does not parse to a ClassAd literal") from None
    if not isinstance(v, str):
        raise ValueError("String does not parse to a ClassAd literal")
    return v


def lastError():
    """The message of the last error the ClassAd library met (a text that
    did not parse, an evaluation that could not complete)."""
    from .debugging import last_error
    return last_error()


def version():
    return "24.12.24"
