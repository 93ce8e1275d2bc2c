"""From text to trees and ads: expressions (cached by text), ads in new
syntax (``[ a = 1; b = a ]``) and in old syntax (one ``Attr = expr`` a line,
ads separated by blank lines, ``#`` comments)."""

import re

from . import grammar
from .templates import parse_templated
from . import nodes as N
from .errors import ClassAdException, ClassAdSyntaxError
from .value import Value

_cache = {}
_CACHE_MAX = 200000


def parse_expr(text, old_syntax=False, old_semantics=False):
    """The tree of one expression, shared by every caller with the same text."""
    key = (text, old_syntax, old_semantics)
    node = _cache.get(key)
    if node is None:
        node = parse_templated(text, old_syntax, old_semantics)
        if node is None:
            node = grammar.parse(text, old_syntax, old_semantics)
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = node
    return node


# --- old syntax --------------------------------------------------------------

# The common line `Name = literal` is recognised without the parser.
_LINE = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.]*|\'[^\']*\')\s*=\s*(.*?)\s*\Z', re.S)
_STR = re.compile(r'"([^"\\]*)"\Z')
_INT = re.compile(r'-?(?:0|[1-9][0-9]{0,17})\Z')
_REAL = re.compile(r'-?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?\Z')
_BOOLS = {"true": True, "false": False, "TRUE": True, "FALSE": False,
          "True": True, "False": False}


def _fast_literal(rhs):
    c = rhs[:1]
    if c == '"':
        m = _STR.match(rhs)
        if m:
            return N.Literal(m.group(1))
    elif c.isdigit() or c == "-":
        if _INT.match(rhs):
            return N.Literal(int(rhs))
        if _REAL.match(rhs):
            return N.Literal(float(rhs))
    else:
        b = _BOOLS.get(rhs)
        if b is not None:
            return N.Literal(b)
    return None


def parse_prefix(text, old_syntax, old_semantics):
    """The tree of the longest leading part of text that is an expression,
    as libclassad's old-ad reader takes it (``x = 1 2`` is ``x = 1``)."""
    try:
        return parse_expr(text, old_syntax, old_semantics)
    except ClassAdSyntaxError as e:
        if not e.pos:
            raise
        try:
            return parse_expr(text[:e.pos], old_syntax, old_semantics)
        except ClassAdSyntaxError:
            raise e from None


def parse_old_line(line, old_semantics=True):
    """(name, tree) of one ``Name = expr`` line; ClassAdSyntaxError if it is not one.

    As libclassad: the name is whatever precedes the first ``=``; trailing
    text after a complete expression is ignored."""
    name, eq, rhs = line.partition("=")
    name = name.strip()
    if not eq or not name:
        raise ClassAdSyntaxError("expected 'Name = expression'", 1, 1, line)
    start = len(line) - len(rhs)
    rhs = rhs.strip()
    try:
        node = _fast_literal(rhs) if rhs else None
        if node is None:
            node = parse_prefix(rhs, True, old_semantics)
    except ClassAdSyntaxError as e:
        col = start + (e.column or 1)
        raise ClassAdSyntaxError(e.msg, 1, col, line) from None
    return name, node


_rhs_cache = {True: {}, False: {}}   # old_semantics -> {rhs text: tree}


def _rhs_tree(rhs, old_semantics):
    cache = _rhs_cache[old_semantics]
    node = cache.get(rhs)
    if node is None:
        node = _fast_literal(rhs)
        if node is None:
            node = parse_expr(rhs, True, old_semantics)
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[rhs] = node
    return node


_BLANK = ("", "")
_COMMENT = ("#", "#")
_OTHER = ("?", "?")
_left_cache = {}     # text left of the first '=' -> (key, name) | _COMMENT | _OTHER
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _classify_left(left):
    s = left.strip()
    if s[:1] == "#":
        kind = _COMMENT
    elif _NAME_RE.match(s):
        kind = (s.lower(), s)
    else:
        kind = _OTHER
    if len(_left_cache) < 100000:
        _left_cache[left] = kind
    return kind


def _more_after(text, nlines):
    """Is there anything but white space after the first nlines lines of text?"""
    pos = 0
    for _ in range(nlines):
        pos = text.find("\n", pos)
        if pos < 0:
            return False
        pos += 1
    return bool(text[pos:].strip())


def iter_old_ads(text, old_semantics=True, strict=False, first_line=1):
    """Yield (attrs, names, end_offset) for each old-syntax ad in text:
    attrs maps lower-case names to trees, names lower-case to written names.

    Lenient (classad2's behaviour) unless strict: a bad line ends the input.
    Strict: ClassAdSyntaxError with the line number in text.

    Speed matters (thousands of provider ads): names and right-hand sides
    repeat from ad to ad, so both are looked up in caches by their raw text.
    """
    rcache = _rhs_cache[old_semantics]
    lcache = _left_cache
    attrs = {}
    names = {}
    lineno = first_line - 1
    skipping = False
    for line in text.split("\n"):
        lineno += 1
        if skipping:
            if line.strip():
                continue
            skipping = False
        left, eq, rhs = line.partition("=")
        if eq:
            kind = lcache.get(left)
            if kind is None:
                kind = _classify_left(left)
            if kind is _COMMENT:
                continue
            node = rcache.get(rhs)
            if node is None and kind is not _OTHER:
                r = rhs.strip()
                if len(r) > 1 and r[0] == '"' and r[-1] == '"' and '"' not in r[1:-1] \
                        and "\\" not in r:
                    node = N.Literal(r[1:-1])
                    if len(rcache) < _CACHE_MAX:
                        rcache[rhs] = node
            if node is not None and kind is not _OTHER:
                key = kind[0]
                attrs[key] = node
                if key not in names:
                    names[key] = kind[1]
                continue
        else:
            s = left.strip()
            if not s:
                if attrs:
                    yield attrs, names, 0
                    attrs = {}
                    names = {}
                elif not strict and _more_after(text, lineno - first_line + 1):
                    # libclassad: an empty ad before the end is an error
                    raise ClassAdException("Unable to parse input stream into a ClassAd.")
                continue
            if s[0] == "#":
                continue
        # the general case: parse the line
        try:
            name, node = parse_old_line(line.strip(), old_semantics)
        except ClassAdSyntaxError as e:
            if strict:
                col = (e.column or 1) + (len(line) - len(line.lstrip()))
                raise ClassAdSyntaxError(e.msg, lineno, col, line.rstrip("\r")) from None
            # libclassad ends the ad at a bad line and goes on with the next
            skipping = True
            continue
        if eq and rhs not in rcache and len(rcache) < _CACHE_MAX:
            rcache[rhs] = node
        key = name.lower()
        attrs[key] = node
        if key not in names:
            names[key] = name
    if attrs:
        yield attrs, names, 0


# --- new syntax ---------------------------------------------------------------

def _ad_end(text, start, old_semantics):
    """Offset just past the ``]`` closing the ad that opens at text[start]."""
    depth = 0
    for tok in grammar.tokenize(text[start:], False, old_semantics):
        if tok.type == "LBRACKET":
            depth += 1
        elif tok.type == "RBRACKET":
            depth -= 1
            if depth == 0:
                return start + tok.lexpos + 1
    return len(text)


_SKIP = re.compile(r'(?:\s+|/\*.*?\*/|//[^\n]*)*', re.S)


def iter_new_ads(text, old_semantics=True, strict=False):
    """Yield (AdExpr, end_offset) for each ``[...]`` ad in text."""
    pos = 0
    while True:
        pos = _SKIP.match(text, pos).end()
        if pos >= len(text):
            return
        if text[pos] != "[":
            if strict:
                line, col = grammar.position(text, pos)
                raise ClassAdSyntaxError("expected '['", line, col, text)
            return
        try:
            end = _ad_end(text, pos, old_semantics)
            node = parse_expr(text[pos:end], False, old_semantics)
        except ClassAdSyntaxError as e:
            if strict:
                raise
            return
        if node.__class__ is not N.AdExpr:
            if strict:
                line, col = grammar.position(text, pos)
                raise ClassAdSyntaxError("not a ClassAd", line, col, text)
            return
        yield node, end
        pos = end


_exprtree_cache = {}


def parse_exprtree_text(text, old_semantics):
    """What classad2's ExprTree(text) reads: it parses ``[expression = TEXT]``
    and takes the first ad, so text after a stray ``]`` is ignored and a
    ``//`` comment swallows the closing bracket."""
    key = (text, old_semantics)
    node = _exprtree_cache.get(key)
    if node is not None:
        return node
    try:
        if "//" in text:
            raise ClassAdSyntaxError("comment", None, None, text)
        node = parse_expr(text, False, old_semantics)
    except ClassAdSyntaxError as e:
        wrapped = "[expression = " + text + "]"
        try:
            end = _ad_end(wrapped, 0, old_semantics)
            ad = parse_expr(wrapped[:end], False, old_semantics)
        except ClassAdSyntaxError:
            raise e from None
        found = [x for n, x in ad.attrs if n.lower() == "expression"]
        if not found:
            raise e from None
        node = found[-1]
    if len(_exprtree_cache) >= _CACHE_MAX:
        _exprtree_cache.clear()
    _exprtree_cache[key] = node
    return node


def looks_new(text):
    """The Auto rule: new syntax when the first non-space character is [ or /."""
    s = text.lstrip()
    return s[:1] in ("[", "/")
