"""From text to trees and ads: expressions (cached by text), ads in new
syntax (``[ a = 1; b = a ]``) and in old syntax (one ``Attr = expr`` a line,
ads separated by blank lines, ``#`` comments)."""

import operator
import re
from itertools import compress, count, repeat

from . import grammar
from pycondorlite.caches import MIB, TREE_PER_CHAR, Cache, text_size, tree_size
from .templates import parse_templated
from . import nodes as N
from .errors import ClassAdException, ClassAdStreamError, ClassAdSyntaxError

_cache = Cache(32 * MIB, second_chance=True)   # (text, old syntax?, old semantics?) -> tree


def parse_expr(text, old_syntax=False, old_semantics=False):
    """The tree of one expression, shared by every caller with the same text."""
    key = (text, old_syntax, old_semantics)
    node = _cache.get(key)
    if node is None:
        node = parse_templated(text, old_syntax, old_semantics)
        if node is None:
            node = grammar.parse(text, old_syntax, old_semantics)
        _cache.learn(key, node, tree_size(text))
    return node


# --- old syntax --------------------------------------------------------------

# Plain literals are recognised without the parser.
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


_rhs_cache = {True: Cache(16 * MIB, second_chance=True),       # old semantics? ->
              False: Cache(16 * MIB, second_chance=True)}      # {rhs text: tree}


def _rhs_tree(rhs, old_semantics):
    cache = _rhs_cache[old_semantics]
    node = cache.get(rhs)
    if node is None:
        node = _fast_literal(rhs)
        if node is None:
            node = parse_expr(rhs, True, old_semantics)
        cache.learn(rhs, node, tree_size(rhs))
    return node


_BLANK = ("", "")
_COMMENT = ("#", "#")
_OTHER = ("?", "?")
_left_cache = Cache(4 * MIB)    # text left of the first '=' -> (key, name) | _COMMENT | _OTHER
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _classify_left(left):
    s = left.strip()
    if s[:1] == "#":
        kind = _COMMENT
    elif _NAME_RE.match(s):
        kind = (s.lower(), s)
    else:
        kind = _OTHER
    _left_cache.learn(left, kind, 2 * text_size(left) + 150)
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


# Lines seen before, whole: the ones learnt first (the lines every ad
# shares) stay when the budget is spent.
_LINE_BUDGET = 32 * MIB
_BLANK_LINE = ("", None, "")
_BAD_LINE = ("\0", None, "\0")      # a line that is no attribute
_COMMENT_LINE = ("#", None, "#")
_line_cache = {True: Cache(_LINE_BUDGET, keep_first=True, second_chance=True),   # old semantics?
               False: Cache(_LINE_BUDGET, keep_first=True, second_chance=True)}  # -> {line: entry}


def _line_size(line):
    """What a line's entry holds: the line, its tree, the entry."""
    return tree_size(line) + 64


def _learn_line(cache, line, entry):
    cache.learn(line, entry, _line_size(line))


_SEP = re.compile(r"\n[ \t\r\f\v]*\n")
_name_pairs = Cache(2 * MIB)     # attribute spelling -> (lower-case key, the spelling)
_PAIR_SIZE = 300                 # an entry: the spelling, its lower case, the pair
# A whole line `Name = "text"` (no escapes), else the catch-all (groups
# empty); each line ends in a newline. (Possessive quantifiers: a line that
# is not one fails without backtracking.)
_STRING_LINES = re.compile(
    r'(?:([A-Za-z_][A-Za-z0-9_]*+)[ \t]*+=[ \t]*+"([^"\\\n]*+)"[ \t\r]*+|[^\n]*+)\n')


class SharedNames(dict):
    """An ad's dict of attribute spellings, shared with other ads: not to be
    changed in place (see ClassAd._own_names)."""
    __slots__ = ()


def _line_entry(line, old_semantics):
    """(key, tree, name), _COMMENT_LINE or _BLANK_LINE for one line; None
    for a line that is not an attribute (a bad line)."""
    left, eq, rhs = line.partition("=")
    if not eq:
        s = left.strip()
        entry = _BLANK_LINE if not s else _COMMENT_LINE if s[0] == "#" else None
    else:
        kind = _left_cache.get(left)
        if kind is None:
            kind = _classify_left(left)
        entry = None
        if kind is _COMMENT:
            entry = _COMMENT_LINE
        elif kind is not _OTHER:
            r = rhs.strip()
            node = _fast_literal(r)
            if node is None:
                # an expression: by template (cached by shape), else parsed
                node = parse_templated(r, True, old_semantics)
                if node is None:
                    try:
                        node = _rhs_tree(r, old_semantics)
                    except ClassAdSyntaxError:
                        return None
            entry = (kind[0], N.stored(node), kind[1])
        else:
            try:
                name, node = parse_old_line(line.strip(), old_semantics)
            except ClassAdSyntaxError:
                return None
            entry = (name.lower(), N.stored(node), name)
    return entry


def _learn_lines(new_lines, old_semantics, lines_seen):
    """(trees, spellings) of new_lines (lines not seen before), in order;
    the lines met before are learnt for next time (see caches.py).

    Most lines of a provider ad are `Name = "text"`: one regular expression
    over all the new lines finds those (one match a line, the others match
    its catch-all), and list comprehensions make their trees; the rest go
    through _line_entry one by one. A bad line gets spelling "\0" (and no
    tree), for the ad's reader to see. No tuple is made for a line that is
    not learnt (what lives on until the reading ends, the garbage collector
    visits)."""
    # every ad spells its names alike: one (key, spelling) pair a spelling,
    # shared by all the ads (fewer strings kept)
    _name_pairs.room(len(new_lines) * _PAIR_SIZE)   # past its budget, it forgets
    before = len(_name_pairs)
    pair, add = _name_pairs.get, _name_pairs.setdefault
    pairs, trees = [], []
    for k in range(0, len(new_lines), _CHUNK):
        # (a chunk at a time: the matches' tuples go before there are many)
        chunk = new_lines[k:k + _CHUNK]
        found = _STRING_LINES.findall("\n".join(chunk) + "\n")
        if len(found) != len(chunk):    # cannot happen (one match a line)
            found = [("", "")] * len(chunk)
        pairs += [pair(name) or add(name, (name.lower(), name)) if name else None
                  for name, _ in found]
        trees += [value if name else None for name, value in found]   # bare strings (nodes.py)
    _name_pairs.held += (len(_name_pairs) - before) * _PAIR_SIZE
    bad = False
    i = -1
    try:
        while True:
            i = pairs.index(None, i + 1)
            entry = _line_entry(new_lines[i], old_semantics)
            if entry is None:
                entry = _BAD_LINE
                bad = True
            pairs[i] = (entry[0], entry[2])
            trees[i] = entry[1]
    except ValueError:
        pass
    spellings = list(map(_SECOND, pairs))
    # the lines met before are learnt (a bad line never is: the line-by-line
    # reader must see it afresh)
    met = lines_seen.met_before(new_lines)
    if True in met:
        if bad:
            met = [again and sp != "\0" for again, sp in zip(met, spellings)]
        keys = list(compress(new_lines, met))
        entries = [(p[0], t, p[1]) for p, t in zip(compress(pairs, met), compress(trees, met))]
        size = len(keys) * (tree_size("") + 64) + (TREE_PER_CHAR + 1) * sum(map(len, keys))
        lines_seen.learn_many(keys, entries, size)
    return trees, spellings


_SECOND = operator.itemgetter(1)
_CHUNK = 500


def iter_old_ads(text, old_semantics=True, strict=False, first_line=1):
    """Yield (attrs, names, 0) for each old-syntax ad in text (see read_old_ads)."""
    for attrs, names in read_old_ads(text, old_semantics, strict, first_line):
        yield attrs, names, 0


def _pair(attrs, names):
    return attrs, names


def read_old_ads(text, old_semantics=True, strict=False, first_line=1, make=_pair):
    """[make(attrs, names)] for the old-syntax ads in text: attrs maps
    lower-case names to trees, names lower-case names to their spelling.

    Lenient (classad2's behaviour) unless strict: a bad line ends the ad
    (classad2's behaviour); strict: ClassAdSyntaxError naming the line.

    Speed matters (thousands of provider ads): every line is looked up whole
    in a cache of lines seen before, and each ad's dictionary is zipped at C
    speed from its spellings' keys and the lines' trees; only new lines are
    read one by one. An ad spelt line for line as the one before it (the
    usual case) is recognised by one comparison. Anything unusual (a bad
    line, an empty ad, blank lines that are not empty) goes to the
    line-by-line reader, _iter_old_lines.
    """
    lines_seen = _line_cache[old_semantics]
    lines = text.split("\n")
    hits = list(map(lines_seen.get, lines, repeat(_UNSEEN)))
    unseen = hits.count(_UNSEEN)
    if not unseen:
        spellings = list(map(_SPELLING, hits))
        trees = map(_TREE, hits)
    elif unseen * 2 < len(lines):
        # a few new lines among known ones: each new one is (nearly always)
        # there once, and finding its twins would cost more; their trees and
        # spellings are put in place
        new = list(map(operator.is_, hits, repeat(_UNSEEN)))
        new_trees, new_spellings = _learn_lines(list(compress(lines, new)), old_semantics,
                                                lines_seen)
        spellings = list(map(_SPELLING, hits))
        trees = list(map(_TREE, hits))
        for i, tree, spelling in zip(compress(count(), new), new_trees, new_spellings):
            trees[i] = tree
            spellings[i] = spelling
        trees = iter(trees)
    else:
        # mostly new (a cold cache): lines recur within the text, each is
        # read once; and the text is looked up again at C speed
        unique = list(dict.fromkeys(compress(lines, map(operator.is_, hits, repeat(_UNSEEN)))))
        new_trees, new_spellings = _learn_lines(unique, old_semantics, lines_seen)
        spellings = list(map(dict(zip(unique, new_spellings)).get, lines, map(_SPELLING, hits)))
        trees = map(dict(zip(unique, new_trees)).get, lines, map(_TREE, hits))
    n = len(lines)
    if lines[-1] == "":
        n -= 1          # the text's final newline
    # trees: taken ad by ad, in step with a
    skip = next
    out = []
    a = 0
    shape = None        # the spellings of the ad before, a regular one
    while a < n:
        b = a + len(shape) if shape else 0
        if not (spellings[a:b] == shape and (b >= n or lines[b] == "")):
            # not spelt as the ad before: find its end and check it
            try:
                b = lines.index("", a, n)
            except ValueError:
                b = n
            shape = spellings[a:b]
            if not shape or "" in shape or "\0" in shape or shape.count("#") == len(shape):
                try:    # an empty ad, a blank line with spaces, a bad line
                    for attrs, names, _ in _iter_old_lines("\n".join(lines[a:]), old_semantics,
                                                           strict, first_line + a):
                        out.append(make(attrs, names))
                except ClassAdException as e:
                    e.partial = out     # the ads read before it
                    raise
                return out
            names, keys, comments = _shape_of(shape)
        attrs = dict(zip(keys, trees))
        skip(trees, None)       # the blank line after the ad
        if comments:
            del attrs["#"]
        out.append(make(attrs, names))
        a = b + 1
    return out


_SPELLING = operator.itemgetter(2)
_TREE = operator.itemgetter(1)
_UNSEEN = ("\1", None, "\1")       # a line not in the cache (until read)
_shapes = Cache(8 * MIB)     # tuple of an ad's spellings -> (names, keys, has comments)


def _shape_of(spellings):
    """(names, keys, comments) of an ad spelt so line for line: its shared
    dict of spellings, each line's key, and whether a line is a comment."""
    shape = tuple(spellings)
    found = _shapes.get(shape)
    if found is None:
        keys = [s.lower() for s in shape]     # a comment's key is '#', as its spelling
        names = SharedNames()
        for key, spelling in zip(keys, shape):
            if key not in names:    # libclassad keeps an attribute's first spelling
                names[key] = spelling
        names.pop("#", None)
        found = (names, keys, "#" in keys)
        _shapes.learn(shape, found, 400 * len(shape))
    return found


def _iter_old_lines(text, old_semantics=True, strict=False, first_line=1):
    """iter_old_ads, line by line (the general case): lines seen before are
    looked up whole; names and right-hand sides are cached by raw text too."""
    rcache = _rhs_cache[old_semantics]
    lcache = _left_cache
    lines_seen = _line_cache[old_semantics]
    attrs = {}
    names = {}
    skipping = False
    lines = text.split("\n")
    for i, hit in enumerate(list(map(lines_seen.get, lines))):
        if hit is None and "=" not in lines[i]:
            # a blank or comment line not seen before: learnt, then read as seen
            s = lines[i].strip()
            if not s or s[0] == "#":
                hit = _BLANK_LINE if not s else _COMMENT_LINE
                _learn_line(lines_seen, lines[i], hit)
        if hit is not None:
            key = hit[0]
            if key == "":                       # blank line: the end of an ad
                skipping = False
                if attrs:
                    yield attrs, names, 0
                    attrs = {}
                    names = {}
                elif not strict and _more_after(text, i + 1):
                    # libclassad: an empty ad before the end is an error
                    raise ClassAdStreamError(_UNREADABLE)
                continue
            if skipping or key == "#":
                continue
            attrs[key] = hit[1]
            names.setdefault(key, hit[2])    # libclassad keeps the first spelling
            continue
        line = lines[i]
        left, eq, rhs = line.partition("=")
        if eq:
            kind = lcache.get(left)
            if kind is None:
                kind = _classify_left(left)
            if kind is _COMMENT:
                _learn_line(lines_seen, line, _COMMENT_LINE)
                continue
            if skipping:
                continue
            if kind is not _OTHER:
                # a line not seen before: plain literals without the parser
                node = _fast_literal(rhs.strip())
                if node is None:
                    node = rcache.get(rhs)
                if node is not None:
                    key, name = kind
                    node = N.stored(node)
                    attrs[key] = node
                    names.setdefault(key, name)
                    _learn_line(lines_seen, line, (key, node, name))
                    continue
        if skipping:
            continue
        # the general case: parse the line
        try:
            name, node = parse_old_line(line.strip(), old_semantics)
        except ClassAdSyntaxError as e:
            if strict:
                col = (e.column or 1) + (len(line) - len(line.lstrip()))
                raise ClassAdSyntaxError(e.msg, i + first_line, col, line.rstrip("\r")) from None
            # libclassad ends the ad at a bad line and goes on with the next
            skipping = True
            continue
        if eq:
            rcache.learn(rhs, node, tree_size(rhs))
        key = name.lower()
        node = N.stored(node)
        attrs[key] = node
        names.setdefault(key, name)
        _learn_line(lines_seen, line, (key, node, name))
    if attrs:
        yield attrs, names, 0


# --- new syntax ---------------------------------------------------------------

def _ad_end(text, start, old_semantics):
    """Offset just past the ``]`` closing the ad that opens at text[start]
    (the end of the text if none does, or if a token cannot be read on the
    way: the grammar then finds the first error in order)."""
    depth = 0
    try:
        for tok in grammar.tokenize(text[start:], False, old_semantics):
            if tok.type == "LBRACKET":
                depth += 1
            elif tok.type == "RBRACKET":
                depth -= 1
                if depth == 0:
                    return start + tok.lexpos + 1
    except ClassAdSyntaxError:
        pass
    return len(text)


_SKIP = re.compile(r'(?:\s+|/\*.*?\*/|//[^\n]*)*', re.S)

# The fast path for new-syntax ads (``[ a = 1; b = "x"; c = a + 1 ]``), on
# fresh text: regular expressions find the ad, its attributes and their plain
# literals at C speed; any other value is parsed by the grammar (through
# parse_expr, by template). An ad it does not take -- comments, nested ads or
# subscripts, quoted names, escapes it does not read, anything odd -- goes to
# the grammar whole, so the grammar stays the definition of the language
# (tests/classad/test_fast_new_syntax.py checks that the two agree).
_NEW_AD = re.compile(r'\[((?:[^\]\["\'/]++|"(?:[^"\\]|\\.)*+"|/(?![/*]))*+)\]', re.S)
_WS = "[ \\t\\r\\n\\f\\v]*+"
_END = "(?=" + _WS + "(?:;|\\Z))"
_NEW_ATTR = re.compile(
    _WS + "(?:"
    "([A-Za-z_][A-Za-z0-9_]*+)" + _WS + "=" + _WS + "(?:"
    '("[^"\\\\]*+")' + _END +                                   # 2: a string without escapes
    "|(-?(?:0|[1-9][0-9]{0,17}))" + _END +                       # 3: an integer
    "|(-?(?:[0-9]*+\\.[0-9]++(?:[eE][+-]?[0-9]++)?|[0-9]++[eE][+-]?[0-9]++))" + _END +  # 4: a real
    '|((?:[^;"]++|"(?:[^"\\\\]|\\\\.)*+")++)'                      # 5: any other expression
    ")" + _WS + "(?:;|\\Z)"
    "|(;)"                                                       # 6: a semicolon more
    "|([^;]++;?))",                                              # 7: what the fast path leaves
    re.S)
_RESERVED_NAMES = frozenset(("true", "false", "undefined", "error", "is", "isnt"))
_new_shapes = Cache(8 * MIB)  # tuple of an ad's spellings -> (names, keys), or None: not for the fast path


def _new_shape_of(spellings):
    """(shared dict of spellings, each attribute's key) of an ad spelt so,
    or None when a name is a reserved word (the grammar refuses it)."""
    found = _new_shapes.get(spellings, False)
    if found is False:
        keys = [s.lower() for s in spellings]
        found = None
        if _RESERVED_NAMES.isdisjoint(keys):
            names = SharedNames()
            for key, spelling in zip(keys, spellings):
                names.setdefault(key, spelling)     # a name's first spelling stays
            found = (names, keys)
        _new_shapes.learn(spellings, found, 400 * len(spellings))
    return found


def _fast_new_ad(text, pos, old_semantics):
    """(attrs, names, end) of the plain new-syntax ad at text[pos], or None
    when it is not one the fast path takes (the grammar reads it then)."""
    m = _NEW_AD.match(text, pos)
    if m is None:
        return None
    found = _NEW_ATTR.findall(m.group(1))
    spellings = tuple([f[0] for f in found if f[0]])
    if len(spellings) + sum(1 for f in found if f[5]) != len(found) or not spellings:
        return None     # something it does not read, or an ad of semicolons alone
    shape = _new_shape_of(spellings)
    if shape is None:
        return None
    names, keys = shape
    stored = N.stored
    try:
        # plain literals bare, as an ad keeps them (nodes.py)
        trees = [s[1:-1] if s else int(i) if i else float(r) if r
                 else stored(parse_expr(x.rstrip(), False, old_semantics))
                 for name, s, i, r, x, _, _ in found if name]
    except ClassAdSyntaxError:
        return None     # the grammar says where
    return dict(zip(keys, trees)), names, m.end()


_UNREADABLE = "Unable to parse input stream into a ClassAd."


def read_new_ads(text, old_semantics=True, strict=False):
    """Yield (attrs, names) for each ``[...]`` ad in text, as classad2's
    parseAds reads a new-syntax stream: attrs maps lower-case names to trees,
    names lower-case names to their spelling. What is no ad ends the reading
    when it runs to the end of the text, and is an error (ClassAdException,
    after the ads before it) when more follows; so is an empty ad, which is
    not handed out. Strict (the command-line tools): anything but ads raises
    ClassAdSyntaxError, saying where."""
    pos = 0
    n = len(text)
    while True:
        pos = _SKIP.match(text, pos).end()
        if pos >= n:
            return
        if text[pos] != "[":
            if strict:
                line, col = grammar.position(text, pos)
                raise ClassAdSyntaxError("expected '['", line, col, text)
            if _token_end(text, pos, old_semantics) >= n:
                return
            raise ClassAdStreamError(_UNREADABLE)
        read = _fast_new_ad(text, pos, old_semantics)
        if read is None:
            try:
                read = _grammar_new_ad(text, pos, old_semantics)
            except ClassAdSyntaxError as e:
                if strict:
                    raise
                if e.pos is None or _token_end(text, pos + e.pos, old_semantics) >= n:
                    return
                raise ClassAdStreamError(_UNREADABLE) from None
        attrs, names, pos = read
        if not attrs and not strict:
            # an empty ad ends the reading if the text ends with it or with
            # one more token, as classad2's reader takes it
            after = len(text) - len(text[pos:].lstrip())
            if after < n and _token_end(text, after, old_semantics) < n:
                raise ClassAdStreamError(_UNREADABLE)
            return
        yield attrs, names


def first_new_ad(text, old_semantics=True):
    """(attrs, names) of the ad text starts with (space and comments before
    it skipped, anything after it ignored, as ClassAd(text) reads it);
    ClassAdSyntaxError when there is none."""
    pos = _SKIP.match(text).end()
    if text[pos:pos + 1] != "[":
        line, col = grammar.position(text, pos)
        raise ClassAdSyntaxError("expected '['", line, col, text)
    read = _fast_new_ad(text, pos, old_semantics) or _grammar_new_ad(text, pos, old_semantics)
    return read[0], read[1]


def _token_end(text, pos, old_semantics):
    """Where the token at text[pos] ends (pos + 1 when none starts there;
    the end of the text for a string or quoted name left open)."""
    end = grammar.token_end(text, pos, False, old_semantics)
    if end is None:
        quote = text[pos:pos + 1]
        if quote in ('"', "'"):     # a string (or name) that does not read: where it closes
            m = re.compile(quote + r"(?:[^%s\\]|\\.)*" % quote + quote, re.S).match(text, pos)
            return m.end() if m else len(text)
        return pos + 1
    return end


def _grammar_new_ad(text, pos, old_semantics):
    """(attrs, names, end) of the ad at text[pos], as the grammar reads it."""
    end = _ad_end(text, pos, old_semantics)
    node = grammar.parse(text[pos:end], False, old_semantics)
    if node.__class__ is not N.AdExpr:
        line, col = grammar.position(text, pos)
        raise ClassAdSyntaxError("not a ClassAd", line, col, text)
    attrs, names = {}, {}
    for name, tree in node.attrs:
        key = name.lower()
        attrs[key] = N.stored(tree)
        names.setdefault(key, name)
    return attrs, names, end


_exprtree_cache = Cache(16 * MIB)    # (text, old semantics?) -> tree


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
    _exprtree_cache.learn(key, node, tree_size(text))
    return node


def looks_new(text):
    """The Auto rule: new syntax when the first non-space character is [ or /."""
    s = text.lstrip()
    return s[:1] in ("[", "/")
