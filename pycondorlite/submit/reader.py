"""Reader of submit files and condor_config files (PLY).

The lexer turns the text into one token per logical line (backslash
continuations joined, comments and blank lines dropped); the grammar groups
the if/elif/else/endif blocks; `run()` then walks the statements in order,
evaluating conditions against the macros defined so far, reading included
files and handing assignments and queue statements to a handler.
"""

import os
import re

import ply.lex as lex
import ply.yacc as yacc

from pycondorlite.submit.macros import MacroError


class SubmitSyntaxError(Exception):
    """A submit/config file error: message, file name and line number."""

    def __init__(self, msg, lineno=0, source=None, kind="line"):
        super().__init__(msg)
        self.msg = msg
        self.lineno = lineno
        self.source = source
        self.kind = kind      # "line" (ERROR: on Line N of F: msg) or "raw"


class Line:
    """One logical line: its kind, text and the number of its last physical line."""
    __slots__ = ("kind", "text", "lineno", "name", "op", "value", "block")

    def __init__(self, kind, text, lineno, name=None, op=None, value=None):
        self.kind = kind
        self.text = text
        self.lineno = lineno
        self.name = name
        self.op = op
        self.value = value
        self.block = None


# ---------------------------------------------------------------- lexer

tokens = ("IF", "ELIF", "ELSE", "ENDIF", "STMT")

_KEYWORD_RE = re.compile(r"(if|elif|else|endif)(?:[ \t]+|$)", re.I)
_QUEUE_RE = re.compile(r"queue(?:[ \t]|$)", re.I)
_BLOCK_OPEN_RE = re.compile(r"\b(from|in|matching)\b[^()]*\([^)]*$", re.I)
_ISOP = "=:"


def t_NEWLINE(t):
    r"\n"
    t.lexer.lineno += 1


def t_STMT(t):
    r"[^\n]+"
    lexer = t.lexer
    data = lexer.lexdata
    text = t.value.rstrip()
    lineno = lexer.lineno
    stripped = text.lstrip()
    if not stripped or stripped.startswith("#"):
        return None
    # Backslash continuation: join the next lines, their leading blanks removed.
    parts = []
    pos = lexer.lexpos
    while text.endswith("\\"):
        parts.append(text[:-1])
        if pos >= len(data) or data[pos] != "\n":
            text = ""
            break
        nl = data.find("\n", pos + 1)
        nxt = data[pos + 1:] if nl < 0 else data[pos + 1:nl]
        if not nxt.strip():
            # A blank line ends the continuation.
            text = ""
            break
        pos = len(data) if nl < 0 else nl
        lineno += 1
        if nxt.lstrip().startswith("#"):
            text = ""
            break
        text = nxt.lstrip().rstrip()
    if parts:
        parts.append(text)
        text = "".join(parts)
        lexer.lexpos = pos
        lexer.lineno = lineno
    line = text.strip()
    m = _KEYWORD_RE.match(line)
    if m:
        t.type = m.group(1).upper()
        t.value = Line(t.type, line[m.end():].strip(), lineno)
        t.lineno = lineno
        return t
    t.type = "STMT"
    t.value = classify(line, lineno)
    # queue ... from ( / in ( / matching ( : the items follow, up to a line ")".
    if t.value.kind == "queue" and _BLOCK_OPEN_RE.search(line):
        pos = lexer.lexpos
        items = []
        while pos < len(data):
            nl = data.find("\n", pos + 1)
            nxt = data[pos + 1:] if nl < 0 else data[pos + 1:nl]
            pos = len(data) if nl < 0 else nl
            lineno += 1
            if nxt.strip().startswith(")"):
                break
            items.append(nxt)
        else:
            raise SubmitSyntaxError("Reached end of file without finding closing brace ')' "
                                    f"for Queue command on line {t.value.lineno}", lineno)
        t.value.block = items
        lexer.lexpos = pos
        lexer.lineno = lineno
    t.lineno = lineno
    return t


def t_error(t):   # pragma: no cover - t_STMT matches every character but \n
    t.lexer.skip(1)


def classify(line, lineno):
    """Split a statement line into name, operator and value, as HTCondor does."""
    i = 0
    n = len(line)
    while i < n and not line[i].isspace() and line[i] not in _ISOP:
        i += 1
    name = line[:i]
    if _QUEUE_RE.match(line) and not re.match(r"queue[ \t]*=", line, re.I):
        return Line("queue", line, lineno, name="queue", value=line[5:].strip())
    if i == n:
        return Line("bare", line, lineno, name=name)
    op = None
    word_before_op = False
    j = i
    if line[j] in _ISOP:
        op = line[j]
        j += 1
    else:
        while j < n and line[j].isspace():
            j += 1
        if j < n and line[j] not in _ISOP and line[j] != "@":
            word_before_op = True
        while j < n and line[j] not in _ISOP and line[j] != "@":
            j += 1
        if j < n:
            op = line[j]
            j += 1
            if op == "@":
                if j < n and line[j] == "=":
                    j += 1
                else:
                    op = None
    rhs = line[j:].strip()
    lname = name.lower().lstrip("@")
    if op == ":":
        if lname == "include":
            # include [ifexist] [command] : target
            opts = line[len(name):line.index(":")].strip()
            return Line("include", line, lineno, name="include", op=opts, value=rhs)
        if lname in ("error", "warning", "use"):
            return Line(lname, line, lineno, name=lname, value=rhs)
    if word_before_op:
        return Line("bare", line, lineno, name=name)
    if op is None:
        return Line("bare", line, lineno, name=name)
    return Line("assign", line, lineno, name=name, op=op, value=rhs)


# ---------------------------------------------------------------- grammar

def p_file(p):
    "file : stmts"
    p[0] = p[1]


def p_stmts(p):
    "stmts : stmts stmt"
    p[1].append(p[2])
    p[0] = p[1]


def p_stmts_empty(p):
    "stmts : "
    p[0] = []


def p_stmt(p):
    "stmt : STMT"
    p[0] = p[1]


def p_stmt_if(p):
    "stmt : IF stmts elifs elsepart ENDIF"
    # ("if", [(cond_line, body), ...], else_body or None)
    p[0] = ("if", [(p[1], p[2])] + p[3], p[4])


def p_elifs(p):
    "elifs : elifs ELIF stmts"
    p[1].append((p[2], p[3]))
    p[0] = p[1]


def p_elifs_empty(p):
    "elifs : "
    p[0] = []


def p_elsepart(p):
    "elsepart : ELSE stmts"
    p[0] = p[2]


def p_elsepart_empty(p):
    "elsepart : "
    p[0] = None


def p_error(t):
    if t is None:
        raise SubmitSyntaxError("endif(s) not found before end-of-file", -1)
    inside = any(getattr(s, "type", None) == "IF" for s in _parser.symstack)
    after_else = any(getattr(s, "type", None) == "ELSE" for s in _parser.symstack)
    word = t.type.lower()
    if inside and after_else and t.type in ("ELSE", "ELIF"):
        msg = f"{word} is not allowed after else"
    else:
        msg = f"{word} without matching if"
    raise SubmitSyntaxError(msg, t.lineno)


_lexer = lex.lex(reflags=re.MULTILINE)
# As for the ClassAd grammar: the tables from reader_tables.py when current.
TABLES = "pycondorlite.submit.reader_tables"
_parser = yacc.yacc(tabmodule=TABLES, debug=False, write_tables=False,
                    errorlog=yacc.NullLogger())


def parse(text):
    """The statement tree of a file's text (SubmitSyntaxError on bad structure)."""
    lexer = _lexer.clone()
    lexer.lineno = 1
    try:
        return _parser.parse(text, lexer=lexer)
    except SubmitSyntaxError as e:
        if e.lineno == -1:
            e.lineno = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        raise


# ---------------------------------------------------------------- if conditions

def _characterize(expr, keyword_check):
    """HTCondor's classification of an if expression (number, bool, identifier...)."""
    s = expr.strip()
    if not s:
        return "empty"
    low = s.lower()
    if re.fullmatch(r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|-?\.[0-9]+", s):
        return "number"
    if low in ("true", "false"):
        return "bool"
    if keyword_check:
        if re.match(r"version\b", low):
            if re.fullmatch(r"version\s*(!?[<>=]=?|==)?\s*v?[0-9.]*", low) and low != "version" \
                    and re.search(r"[<>=]", low):
                return "version"
            if low == "version":
                return "version"
        if re.match(r"defined\b", low) and re.fullmatch(r"defined(\s+[A-Za-z0-9_./:]+)?", s, re.I):
            return "ifdef"
    if re.fullmatch(r"[A-Za-z0-9_./]+", s) and re.search(r"[A-Za-z]", s):
        return "identifier"
    if re.fullmatch(r"[$A-Za-z0-9_./:()]+", s) and "$(" in s:
        return "macro"
    return "complex"


def _version_tuple(text):
    nums = re.findall(r"\d+", text)
    return tuple(int(x) for x in nums[:3]) + (0,) * (3 - len(nums[:3]))


def eval_if(expr, macros, own_version):
    """(result) or raises SubmitSyntaxError-like ValueError(reason)."""
    inverted = False
    expanded = False
    if "$" in expr:
        expr = macros.expand(expr).rstrip()
        expanded = True
    expr = expr.lstrip()
    if expr.startswith("!"):
        inverted = True
        expr = expr[1:].lstrip()
    if expanded and not expr:
        return inverted
    ec = _characterize(expr, True)
    low = expr.strip().lower()
    if ec == "number":
        val = float(expr) != 0
    elif ec == "bool":
        val = low == "true"
    elif ec == "identifier" and low in ("yes", "t", "no", "f"):
        val = low in ("yes", "t")
    elif ec == "version":
        m = re.fullmatch(r"version\s*(!?)([<>=]?)(=?)\s*v?([0-9.]+)", low)
        if not m:
            raise ValueError("the version literal is invalid")
        negated, op, eq, ver = m.groups()
        vt = _version_tuple(ver)
        if len(re.findall(r"\d+", ver)) < 2 or vt[0] < 6:
            raise ValueError("the version literal is invalid")
        if len(re.findall(r"\d+", ver)) < 3:
            vt = (vt[0], vt[1], own_version[2])
        diff = (own_version > vt) - (own_version < vt)
        opv = {"<": -1, "=": 0, ">": 1, "": 0}[op]
        val = diff == opv or (eq == "=" and diff == 0)
        if negated:
            val = not val
    elif ec == "ifdef":
        rest = expr.strip()[7:].strip()
        if not rest:
            val = False
        else:
            ec2 = _characterize(rest, False)
            if ec2 == "identifier":
                v = macros.lookup(rest)
                if v is None and rest.lower() in ("yes", "t", "no", "f"):
                    v = "true"
                val = bool(v)
            elif ec2 in ("number", "bool"):
                val = True
            else:
                raise ValueError("defined argument must be param name, boolean, or number")
    elif ec == "complex":
        raise ValueError("complex conditionals are not supported")
    else:
        raise ValueError("expression is not a conditional")
    return (not val) if inverted else val


# ---------------------------------------------------------------- walking

MAX_INCLUDE_DEPTH = 20


class Reader:
    """Walks a parsed file, calling handler.assign / handler.queue in order.

    handler must provide: macros (a MacroSet), assign(name, value, line),
    queue(line) and optionally keyword(line) for error/warning.
    """

    def __init__(self, handler, submit=True, own_version=(24, 12, 24)):
        self.handler = handler
        self.submit = submit
        self.own_version = own_version

    def read_text(self, text, source, depth=0):
        try:
            tree = parse(text)
        except SubmitSyntaxError as e:
            e.source = e.source or source
            raise
        self.walk(tree, source, depth)

    def read_file(self, path, depth=0):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        self.read_text(text, path, depth)

    def walk(self, stmts, source, depth):
        macros = self.handler.macros
        for st in stmts:
            if isinstance(st, tuple):
                chosen = None
                for cond, body in st[1]:
                    word = "if" if cond.kind == "IF" else "elif"
                    try:
                        ok = eval_if(cond.text, macros, self.own_version)
                    except (ValueError, MacroError) as e:
                        raise SubmitSyntaxError(
                            f"{cond.text} is not a valid {word} condition because {e}",
                            cond.lineno, source)
                    if ok:
                        chosen = body
                        break
                if chosen is None:
                    chosen = st[2]
                if chosen:
                    self.walk(chosen, source, depth)
                continue
            self.statement(st, source, depth)

    def statement(self, st, source, depth):
        h = self.handler
        kind = st.kind
        if kind == "assign":
            name = st.name
            if self.submit and name[:1] in ("+", "-") and st.op == "=":
                h.assign("MY." + name[1:], st.value if name[0] == "+" else "", st)
                return
            if self.submit and st.op != "=":
                if st.op == "@":
                    raise SubmitSyntaxError("", st.lineno, source)
                raise SubmitSyntaxError("invalid queue statement.", st.lineno, source)
            if not re.fullmatch(r"[A-Za-z0-9_.]+", name):
                raise SubmitSyntaxError(f"Illegal Identifier: <{name}>", st.lineno, source)
            h.assign(name, st.value, st)
        elif kind == "queue":
            if not self.submit:
                raise SubmitSyntaxError("", st.lineno, source)
            if depth > 0:
                raise SubmitSyntaxError("Queue statement not allowed in include file or command",
                                        st.lineno, source)
            h.queue(st, source)
        elif kind == "include":
            self.include(st, source, depth)
        elif kind in ("error", "warning"):
            msg = h.macros.expand(st.value)
            if kind == "error":
                raise SubmitSyntaxError(f"Error : {msg}", st.lineno, source)
            warn = getattr(h, "warning", None)
            if warn:
                warn(f"Warning : {msg}")
        elif kind == "use":
            if self.submit:
                raise SubmitSyntaxError("", st.lineno, source)
            # Metaknobs (use ROLE : ...) set nothing pycondorlite reads.
        else:   # "bare": neither assignment nor keyword nor queue
            raise SubmitSyntaxError("", st.lineno, source)

    def include(self, st, source, depth):
        h = self.handler
        opts = (st.op or "").split()
        must_exist = True
        is_command = False
        for o in opts:
            if o in ("ifexist", "ifexists"):
                must_exist = False
            elif o in ("command", "output"):
                is_command = True
            else:
                raise SubmitSyntaxError(
                    f"unexpected keyword(s) '{st.op}' after include ", st.lineno, source)
        target = h.macros.expand(st.value).strip()
        if target.endswith("|"):
            is_command = True
        if depth + 1 >= MAX_INCLUDE_DEPTH:
            raise SubmitSyntaxError("includes nested too deep", st.lineno, source)
        if is_command:
            from pycondorlite.submit.popen import CommandError, output_of
            cmd = target[:-1].rstrip() if target.endswith("|") else target
            try:
                out, code = output_of(cmd, timeout=60)
            except CommandError as e:
                raise SubmitSyntaxError(str(e), st.lineno, source)
            self.read_text(out, target, depth + 1)
            if code != 0:
                raise SubmitSyntaxError(f'Error "{target}": command terminated with exit '
                                        f'code {code}', st.lineno, source)
            return
        path = target
        if not os.path.isabs(path) and source and os.path.dirname(source) and self.submit is False:
            path = os.path.join(os.path.dirname(source), path)
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except (OSError, ValueError):       # ValueError: a NUL in the name
            if not must_exist:
                return
            raise SubmitSyntaxError(
                f"Error \"{target}\", Line 0, Include Depth {depth + 1}: can't open file",
                st.lineno, source)
        self.read_text(text, target, depth + 1)


class _ConfigHandler:
    def __init__(self, macros):
        self.macros = macros

    def assign(self, name, value, line):
        self.macros.set(name, value)

    def queue(self, line, source):   # pragma: no cover - refused in Reader.statement
        raise SubmitSyntaxError("", line.lineno, source)


def read_config_file(path, macros):
    """Read a condor_config file into `macros` (raises SubmitSyntaxError)."""
    Reader(_ConfigHandler(macros), submit=False).read_file(path)


def read_config_text(text, macros, source="<string>"):
    Reader(_ConfigHandler(macros), submit=False).read_text(text, source)
