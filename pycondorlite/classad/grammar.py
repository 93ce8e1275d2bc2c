"""Tokens and grammar of the ClassAd expression language (PLY).

Precedence, lowest first, as in libclassad's parser (source.cpp):
``?:`` (right), ``||``, ``&&``, ``|``, ``^``, ``&``, ``== != =?= =!= is isnt``,
``< <= > >=``, ``<< >> >>>``, ``+ -``, ``* / %``, unary ``- + ! ~``,
then postfix ``.attr``, ``[index]`` and function calls. Each level is its own
rule, so the grammar reads like the table.

Two lexical variants, chosen per parse:
- old syntax strings (old ad files, ``-constraint``): a backslash is literal
  except ``\\"``;
- old semantics (the tools' mode): a multi-digit integer with a leading zero
  is an error (in new semantics ``017`` is 17 and ``0x1F`` is 0).
"""

import re
import threading

import ply.lex as lex
import ply.yacc as yacc

from . import nodes as N
from . import times
from .errors import ClassAdSyntaxError
from .value import Value

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

reserved = {
    "true": "TRUE", "false": "FALSE", "undefined": "UNDEFINED", "error": "ERROR",
    "is": "IS", "isnt": "ISNT",
}

tokens = (
    "INTEGER", "REAL", "STRING", "NAME", "QNAME",
    "TRUE", "FALSE", "UNDEFINED", "ERROR", "IS", "ISNT",
    "OROR", "ANDAND", "BOR", "BXOR", "BAND",
    "EQ", "NE", "META_EQ", "META_NE", "LT", "LE", "GT", "GE",
    "LSHIFT", "RSHIFT", "URSHIFT", "PLUS", "MINUS", "TIMES", "DIVIDE", "MOD",
    "NOT", "TILDE", "QUESTION", "COLON", "DOT", "COMMA", "SEMI",
    "LPAREN", "RPAREN", "LBRACKET", "RBRACKET", "LBRACE", "RBRACE", "ASSIGN", "DOTDOT",
    "PARAM",
)

t_ignore = " \t\r\n\f\v"

t_OROR = r"\|\|"
t_ANDAND = r"&&"
t_BOR = r"\|"
t_BXOR = r"\^"
t_BAND = r"&"
t_META_EQ = r"=\?="
t_META_NE = r"=!="
t_EQ = r"=="
t_NE = r"!="
t_LE = r"<="
t_GE = r">="
t_URSHIFT = r">>>"
t_LSHIFT = r"<<"
t_RSHIFT = r">>"
t_LT = r"<"
t_GT = r">"
t_PLUS = r"\+"
t_TIMES = r"\*"
t_MOD = r"%"
t_NOT = r"!"
t_TILDE = r"~"
t_QUESTION = r"\?"
t_COLON = r":"
t_COMMA = r","
t_DOT = r"\."
t_DOTDOT = r"\.\."
t_SEMI = r";"
t_LPAREN = r"\("
t_RPAREN = r"\)"
t_LBRACKET = r"\["
t_RBRACKET = r"\]"
t_LBRACE = r"\{"
t_RBRACE = r"\}"
t_ASSIGN = r"="


def t_PARAM(t):
    r"\x01"
    # a literal taken out of the text by templates.py, numbered in order
    t.value = t.lexer.param_count
    t.lexer.param_count += 1
    return t


def t_COMMENT(t):
    r"/\*(.|\n)*?\*/|//[^\n]*"
    return None


def t_DIVIDE(t):
    r"/"
    return t


def t_MINUS(t):
    r"-"
    # A minus written right against a number makes a negative literal.
    data, pos = t.lexer.lexdata, t.lexer.lexpos
    nxt = data[pos:pos + 2]
    if nxt[:1].isdigit() or (nxt[:1] == "." and nxt[1:2].isdigit()):
        t.value = "-#"
    return t


def _number_end(t):
    # a number running into letters (`1e`, `09`, `12abc`) is a lexical error
    # that libclassad does not read past
    nxt = t.lexer.lexdata[t.lexer.lexpos:t.lexer.lexpos + 1]
    if nxt and (nxt.isdigit() or nxt in ".eE"):
        line, col = position(t.lexer.lexdata, t.lexpos)
        raise ClassAdSyntaxError("malformed number", line, col, t.lexer.lexdata, t.lexpos)


def t_REAL(t):
    r"\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+"
    data, end = t.lexer.lexdata, t.lexer.lexpos
    if not (data[end:end + 1] == "." and data[end + 1:end + 2].isdigit()):
        _number_end(t)
    # else `1.5.5` is two reals, `1.5` and `.5`, as libclassad reads it (the
    # parser then fails at the second, and an old-syntax line keeps `1.5`)
    t.value = float(t.value)
    return t


def t_INTEGER(t):
    r"0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9]\d*"
    text = t.value
    _number_end(t)
    if len(text) > 1 and text[0] == "0" and t.lexer.old_semantics:
        _lex_fail(t, "integer with a leading zero")
    digits = re.match(r"\d+", text).group(0)
    v = int(digits)
    t.value = v if v <= _INT64_MAX + 1 else 0
    return t


_NEW_ESC = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"v": b"\v", b"\\": b"\\", b'"': b'"', b"'": b"'", b"?": b"?"}
_ESC_RE = re.compile(rb"\\([0-3][0-7]{0,2}|[4-7][0-7]?|.)", re.S)


def _unescape_new(s, t):
    """C escapes; octal ones give bytes, and the string is UTF-8 (as
    libclassad's strings are bytes that Python reads as UTF-8)."""
    if "\\" not in s:
        return s

    def rep(m):
        e = m.group(1)
        if e[0] in b"01234567":
            code = int(e, 8)
            if code == 0:
                _lex_fail(t, "\\0 in a string")
            return bytes((code,))
        return _NEW_ESC.get(e, e)
    raw = _ESC_RE.sub(rep, s.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "surrogateescape")


def _unescape_old(s):
    if "\\" not in s:
        return s
    return re.sub(r'\\(.)', lambda m: '"' if m.group(1) == '"' else m.group(0), s,
                  flags=re.S)


def t_STRING(t):
    r'"(?:[^"\\]|\\.)*"'
    body = t.value[1:-1]
    t.value = _unescape_old(body) if t.lexer.old_strings else _unescape_new(body, t)
    return t


def t_STRING_OLD_END(t):
    r'"(?:[^"\\]|\\.)*\\"\Z'
    # old syntax: `"abc\"` ending the text keeps the backslash and closes
    if not t.lexer.old_strings:
        _lex_fail(t, "unterminated string")
    t.type = "STRING"
    t.value = _unescape_old(t.value[1:-2]) + "\\"
    return t


def t_QNAME(t):
    r"'(?:[^'\\]|\\.)*'"
    t.value = _unescape_new(t.value[1:-1], t)
    return t


def t_NAME(t):
    r"[A-Za-z_][A-Za-z0-9_]*"
    t.type = reserved.get(t.value.lower(), "NAME")
    return t


def position(data, pos):
    """(line, column), both 1-based, of offset pos in data."""
    line = data.count("\n", 0, pos) + 1
    col = pos - (data.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _lex_fail(t, what):
    line, col = position(t.lexer.lexdata, t.lexpos)
    raise ClassAdSyntaxError(what, line, col, t.lexer.lexdata, t.lexpos)


def t_error(t):
    _lex_fail(t, "unexpected character %r" % t.value[0])


# --- grammar ---------------------------------------------------------------

start = "expr"


def p_expr(p):
    """expr : lor
            | lor QUESTION expr COLON expr
            | lor QUESTION COLON expr"""
    if len(p) == 2:
        p[0] = p[1]
    elif len(p) == 6:
        p[0] = N.Ternary(p[1], p[3], p[5])
    else:
        p[0] = N.Ternary(p[1], None, p[4])


def _binary(p):
    if len(p) == 2:
        p[0] = p[1]
    else:
        p[0] = N.Binary(_OPNAME.get(p[2].lower(), p[2]), p[1], p[3])


_OPNAME = {"is": "=?=", "isnt": "=!="}


def p_lor(p):
    """lor : lor OROR land
           | land"""
    _binary(p)


def p_land(p):
    """land : land ANDAND bor
            | bor"""
    _binary(p)


def p_bor(p):
    """bor : bor BOR bxor
           | bxor"""
    _binary(p)


def p_bxor(p):
    """bxor : bxor BXOR band
            | band"""
    _binary(p)


def p_band(p):
    """band : band BAND equality
            | equality"""
    _binary(p)


def p_equality(p):
    """equality : equality EQ relational
                | equality NE relational
                | equality META_EQ relational
                | equality META_NE relational
                | equality IS relational
                | equality ISNT relational
                | relational"""
    _binary(p)


def p_relational(p):
    """relational : relational LT shift
                  | relational LE shift
                  | relational GT shift
                  | relational GE shift
                  | shift"""
    _binary(p)


def p_shift(p):
    """shift : shift LSHIFT additive
             | shift RSHIFT additive
             | shift URSHIFT additive
             | additive"""
    _binary(p)


def p_additive(p):
    """additive : additive PLUS multiplicative
                | additive MINUS multiplicative
                | multiplicative"""
    if len(p) == 4 and p[2] == "-#":
        p[2] = "-"
    _binary(p)


def p_multiplicative(p):
    """multiplicative : multiplicative TIMES unary
                      | multiplicative DIVIDE unary
                      | multiplicative MOD unary
                      | unary"""
    _binary(p)


def p_unary(p):
    """unary : MINUS unary
             | PLUS unary
             | NOT unary
             | TILDE unary
             | postfix"""
    if len(p) == 2:
        p[0] = p[1]
        return
    op, operand = p[1], p[2]
    if op == "-#":
        if (type(operand) is N.Literal and type(operand.value) in (int, float)
                and id(operand) in _numtoks):
            v = _INT64_MIN if _numtoks[id(operand)] else -operand.value
            p[0] = N.Literal(v)
            return
        op = "-"
    p[0] = N.Unary(op, operand)


def p_postfix_select(p):
    """postfix : postfix DOT NAME
               | postfix DOT QNAME"""
    p[0] = N.AttrRef(p[1], p[3])


def p_postfix_select_dots(p):
    """postfix : postfix DOTDOT NAME
               | postfix DOTDOT QNAME"""
    # libclassad reads `a..b` as `a.b`
    p[0] = N.AttrRef(p[1], p[3])


def p_postfix_subscript(p):
    """postfix : postfix LBRACKET expr RBRACKET"""
    p[0] = N.Subscript(p[1], p[3])


def p_postfix_primary(p):
    """postfix : primary"""
    p[0] = p[1]


# ids of number literals straight from a token (candidates for -1 folding);
# cleared at each parse, while the nodes are alive.
_numtoks = {}    # id -> literal was 2**63 (only valid negated)


def p_primary_number(p):
    """primary : INTEGER
               | REAL"""
    v = p[1]
    big = type(v) is int and v > _INT64_MAX
    p[0] = N.Literal(0 if big else v)
    _numtoks[id(p[0])] = big


def p_primary_param(p):
    """primary : PARAM"""
    p[0] = N.Param(p[1])


def p_primary_string(p):
    """primary : string"""
    p[0] = N.Literal(p[1])


def p_string(p):
    """string : STRING
              | string STRING"""
    if len(p) == 2:
        p[0] = p[1]
        return
    if _lexer.old_strings:
        # old syntax has no concatenation of adjacent strings
        data = _lexer.lexdata
        line, col = position(data, p.lexpos(2))
        raise ClassAdSyntaxError("unexpected string", line, col, data, p.lexpos(2))
    p[0] = p[1] + p[2]


_KEYWORD_VALUES = {"true": True, "false": False,
                   "undefined": Value.Undefined, "error": Value.Error}


def p_primary_keyword(p):
    """primary : TRUE
               | FALSE
               | UNDEFINED
               | ERROR"""
    p[0] = N.Literal(_KEYWORD_VALUES[p[1].lower()])


def p_primary_name(p):
    """primary : NAME
               | QNAME"""
    p[0] = N.AttrRef(None, p[1])


def p_primary_absolute(p):
    """primary : DOT NAME
               | DOT QNAME
               | DOTDOT NAME
               | DOTDOT QNAME"""
    p[0] = N.AttrRef(None, p[2], absolute=True)


def p_primary_call(p):
    """primary : NAME LPAREN RPAREN
               | NAME LPAREN arglist RPAREN
               | QNAME LPAREN RPAREN
               | QNAME LPAREN arglist RPAREN"""
    # libclassad takes a quoted name for a function's too: 'f'(1) is f(1)
    args = p[3] if len(p) == 5 else []
    kind = p[1].lower()
    if kind in _TIME_PARSERS and len(args) == 1 and args[0].__class__ is N.Literal \
            and type(args[0].value) is str:
        p[0] = _time_literal(kind, args[0].value, p)
        return
    p[0] = N.Call(p[1], args)


def _abstime_literal(text):
    t = times.parse_abstime(text)
    return None if t is None else N.Literal(t)


def _reltime_literal(text):
    r = times.parse_reltime(text)
    return None if r is None else N.RelTimeLiteral(r)


# absTime("...") and relTime("...") of a string literal are read when the
# call is parsed, as libclassad does; a string that is no time is a syntax error
_TIME_PARSERS = {"abstime": _abstime_literal, "reltime": _reltime_literal}


def _time_literal(kind, text, p):
    node = _TIME_PARSERS[kind](text)
    if node is None:
        # libclassad fails once the whole call is read: the parse stops
        # after its ')' (where the ?: recovery goes on)
        data = _lexer.lexdata
        line, col = position(data, p.lexpos(1))
        raise ClassAdSyntaxError("%s() of a string that is no time" % p[1], line, col, data,
                                 p.lexpos(len(p) - 1) + 1)
    return node


def p_primary_paren(p):
    """primary : LPAREN expr RPAREN"""
    p[0] = N.Paren(p[2])


def p_primary_list(p):
    """primary : LBRACE RBRACE
               | LBRACE exprlist RBRACE"""
    p[0] = N.ListExpr(p[2] if len(p) == 4 else [])


def p_exprlist(p):
    """exprlist : expr
                | exprlist COMMA expr"""
    if len(p) == 2:
        p[0] = [p[1]]
    else:
        p[1].append(p[3])
        p[0] = p[1]


def p_arglist(p):
    """arglist : expr
               | arglist COMMA expr
               | arglist SEMI expr"""
    # a function's arguments: old semantics also take ';' between them, as
    # libclassad does (old ClassAds did)
    if len(p) == 2:
        p[0] = [p[1]]
        return
    if p.slice[2].type == "SEMI" and not _lexer.old_semantics:
        data = _lexer.lexdata
        line, col = position(data, p.lexpos(2))
        raise ClassAdSyntaxError("unexpected ';'", line, col, data, p.lexpos(2))
    p[1].append(p[3])
    p[0] = p[1]


def p_primary_ad(p):
    """primary : LBRACKET RBRACKET
               | LBRACKET attrlist RBRACKET
               | LBRACKET attrlist semis RBRACKET
               | LBRACKET semis attrlist RBRACKET
               | LBRACKET semis attrlist semis RBRACKET"""
    # semicolons before the first attribute are skipped, as libclassad does
    # ([;z=1]); an ad of semicolons alone ([;]) stays an error
    if len(p) == 3:
        p[0] = N.AdExpr([])
    else:
        p[0] = N.AdExpr(_dedupe(p[3] if p[2] is None else p[2]))


def p_attrlist(p):
    """attrlist : attr
                | attrlist semis attr"""
    if len(p) == 2:
        p[0] = [p[1]]
    else:
        p[1].append(p[3])
        p[0] = p[1]


def p_semis(p):
    """semis : SEMI
             | semis SEMI"""


def p_attr(p):
    """attr : NAME ASSIGN expr
            | QNAME ASSIGN expr"""
    p[0] = (p[1], p[3])


def _dedupe(pairs):
    """A later definition of the same name (any case) replaces the earlier one."""
    seen = {}
    for name, expr in pairs:
        key = name.lower()
        if key in seen:
            seen[key] = (seen[key][0], expr)
        else:
            seen[key] = (name, expr)
    return list(seen.values())


def p_error(tok):
    if tok is None:
        data = _lexer.lexdata
        line, col = position(data, len(data))
        raise ClassAdSyntaxError("unexpected end of input", line, col, data)
    data = tok.lexer.lexdata
    line, col = position(data, tok.lexpos)
    raise ClassAdSyntaxError("unexpected %r" % (tok.value,), line, col, data, tok.lexpos)


_lexer = lex.lex()
_lexer.old_strings = False
_lexer.old_semantics = False
_lexer.param_count = 0
# The tables come from grammar_tables.py when its signature is this grammar's
# (tools/write_parse_tables.py writes it); else PLY builds them, never writing.
TABLES = "pycondorlite.classad.grammar_tables"
_parser = yacc.yacc(tabmodule=TABLES, write_tables=False, debug=False)


_lock = threading.RLock()   # one PLY parser and lexer for the process


def parse(text, old_strings=False, old_semantics=False):
    """Parse one expression; raise ClassAdSyntaxError."""
    with _lock:
        return _parse(text, old_strings, old_semantics)


def _parse(text, old_strings, old_semantics):
    _lexer.old_strings = old_strings
    _lexer.old_semantics = old_semantics
    if not text.strip():
        line, col = position(text, len(text))
        raise ClassAdSyntaxError("empty expression", line, col, text)
    _numtoks.clear()
    _lexer.param_count = 0
    try:
        return _parser.parse(text, lexer=_lexer)
    except ClassAdSyntaxError as e:
        if e.pos is None or "?" not in text:
            raise
        retry = _drop_failed_middle(text, e.pos, old_strings, old_semantics)
        if retry is None:
            raise
        try:
            return parse(retry, old_strings, old_semantics)
        except ClassAdSyntaxError:
            raise e from None


_OPERAND_ENDS = frozenset(("INTEGER", "REAL", "STRING", "NAME", "QNAME", "TRUE", "FALSE",
                           "UNDEFINED", "ERROR", "RPAREN", "RBRACKET", "RBRACE", "PARAM"))


def _drop_failed_middle(text, pos, old_strings, old_semantics):
    """libclassad's quirk: when the middle of `c ? a : b` fails to parse, it
    goes on at the next `:` and reads `c ?: b`. The text with that done, or None."""
    open_questions = []  # (offset, depth of brackets then)
    brackets = []        # open brackets: "call" for f(, "brace", "paren", "bracket"
    question = colon = None
    prev = None          # the token before the failing one
    failing = None
    try:
        for tok in tokenize(text, old_strings, old_semantics):
            if tok.lexpos < pos:
                t = tok.type
                if t == "QUESTION":
                    open_questions.append((tok.lexpos, len(brackets)))
                elif t == "COLON" and open_questions:
                    open_questions.pop()
                elif t == "LPAREN":
                    brackets.append("call" if prev == "NAME" else "paren")
                elif t == "LBRACE":
                    brackets.append("brace")
                elif t == "LBRACKET":
                    # after an operand a subscript, else an ad literal
                    brackets.append("subscript" if prev in _OPERAND_ENDS else "ad")
                elif t in ("RPAREN", "RBRACE", "RBRACKET") and brackets:
                    brackets.pop()
                prev = t
                continue
            if failing is None:
                failing = tok.type
                # a `:` a selection `.` swallowed, or a closing parenthesis
                # or bracket consumed, is gone; after a failed argument list
                # or list, the parse goes on at it
                if failing == "COLON" and prev != "DOT":
                    inner = brackets[-1] if open_questions and \
                        len(brackets) > open_questions[-1][1] else None
                    # in ( or a subscript's [ it goes on only where an operand
                    # was wanted (`(b + :`), not where the closing one was (`(b :`);
                    # in an ad literal never
                    if inner == "ad" or (inner in ("paren", "subscript")
                                         and prev in _OPERAND_ENDS):
                        break
                    colon = tok.lexpos
                    break
                if prev != "DOT":
                    break
                continue
            # the selection swallowed the failing token: the next may be `:`
            if tok.type == "COLON":
                colon = tok.lexpos
            break
    except ClassAdSyntaxError:
        pass
    if open_questions:
        question = open_questions[-1][0]
    if question is None or colon is None:
        return None
    return text[:question + 1] + text[colon:]


def token_end(text, pos, old_strings=False, old_semantics=False):
    """Where the first token at or after text[pos] ends, or None when there
    is none (or no token can start there)."""
    lx = _lexer.clone()
    lx.old_strings = old_strings
    lx.old_semantics = old_semantics
    lx.param_count = 0
    lx.input(text)
    lx.lexpos = pos
    try:
        tok = lx.token()
    except ClassAdSyntaxError:
        return None
    return lx.lexpos if tok is not None else None


def tokenize(text, old_strings=False, old_semantics=False):
    """All tokens of text (for scanning ad boundaries)."""
    lx = _lexer.clone()
    lx.old_strings = old_strings
    lx.old_semantics = old_semantics
    lx.param_count = 0
    lx.input(text)
    return iter(lx.token, None)
