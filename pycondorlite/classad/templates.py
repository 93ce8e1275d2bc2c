"""Parsing by template: expressions that differ only in their literals
(``TARGET.ImageSize < 753995`` in one provider ad, ``< 26482`` in the next)
share one parse tree and one compiled closure.

The literals are taken out of the text (each becomes the byte \\x01, which the
lexer reads as a PARAM token); the rest is the template's key. A template is
parsed once; each expression is then an Instance: the template plus its
literal values. Only plain literals are taken out -- strings without
escapes, decimal numbers without exponent, sign or leading zero -- so that
the template parses exactly as the text would; anything else stays in the
key, and when the template does not parse the caller parses the text itself.
"""

import re

from . import grammar
from . import nodes as N
from pycondorlite.caches import MIB, Cache, tree_size
from .errors import ClassAdSyntaxError

_LITERALS = re.compile(
    r'(?P<s>"(?:[^"\\\n]|\\.)*")'          # a string (kept if it has escapes)
    r"|'(?:[^'\\]|\\.)*'"                  # a quoted name: kept
    r"|/\*.*?\*/|//[^\n]*"                 # comments: kept
    r"|(?<![\w.\-])(?P<n>(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+)?)(?![\w.])",
    re.S)

# absTime("...") is read at parse time (its string must stay in the text);
# debug(...) compiles its own copy of its argument (literals in place)
_NOT_TEMPLATED = re.compile(r"(?:abs|rel)time")
_templates = Cache(16 * MIB)     # (template text, syntax, semantics) -> (tree, literals)
_NONE = (None, 0)


def _count_params(node, n=0):
    t = node.__class__
    if t is N.Param:
        return n + 1
    for child in N.children(node):
        n = _count_params(child, n)
    return n


# Without backslashes, quoted names or comments a simpler pattern is
# unambiguous, and the key and the literals come from two C-level passes.
# (The lookahead first lets the matcher pass over most characters without
# trying the lookbehind.)
_SIMPLE = re.compile(r'(?=["0-9])("[^"\n]*"|(?<![\w.\-])(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+)?(?![\w.]))')


def parse_templated(text, old_syntax, old_semantics):
    """The tree of text through a template, or None (parse the text itself)."""
    if "\x01" in text:
        return None
    low = text.lower()
    if "time" in low and _NOT_TEMPLATED.search(low) or "debug" in low:
        return None
    if "\\" not in text and "'" not in text and "/*" not in text and "//" not in text:
        parts = _SIMPLE.split(text)     # text, literal, text, literal, ..., text
        if len(parts) == 1:
            return None
        values = [v[1:-1] if v[0] == '"' else float(v) if "." in v else int(v)
                  for v in parts[1::2]]
        return _instance("\x01".join(parts[0::2]), values, old_syntax, old_semantics)
    values = []

    def take(m):
        s = m.group("s")
        if s is not None:
            if "\\" in s:
                return s
            values.append(s[1:-1])
            return "\x01"
        n = m.group("n")
        if n is None:
            return m.group(0)
        values.append(float(n) if "." in n else int(n))
        return "\x01"

    key_text = _LITERALS.sub(take, text)
    if not values:
        return None
    return _instance(key_text, values, old_syntax, old_semantics)


def _instance(key_text, values, old_syntax, old_semantics):
    key = (key_text, old_syntax, old_semantics)
    entry = _templates.get(key)
    if entry is None:
        try:
            tree = grammar.parse(key_text, old_syntax, old_semantics)
            entry = (tree, _count_params(tree))
        except ClassAdSyntaxError:
            entry = _NONE
        _templates.learn(key, entry, tree_size(key_text))
    tree, count = entry
    if tree is None or count != len(values):
        return None
    root = tree.__class__
    if root is N.Param:
        return N.Literal(values[0])
    if root is N.ListExpr or root is N.AdExpr:
        return N.substitute(tree, values)
    return N.Instance(tree, tuple(values))
