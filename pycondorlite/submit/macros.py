"""Macro sets and $(...) expansion, shared by submit files and condor_config.

A MacroSet maps case-insensitive names to raw (unexpanded) values; expansion is
lazy, done when a value is used, as HTCondor does.  `$$(...)` is left untouched
(it belongs to matchmaking).
"""

import math
import os
import random
import re

MAX_DEPTH = 64


class MacroError(Exception):
    """A macro could not be expanded (bad function call, loop)."""


class MacroSet:
    """Case-insensitive name -> raw value, keeping the first spelling of a name."""

    def __init__(self, defaults=None):
        self.table = {}          # lower name -> [name, value, used]
        self.defaults = defaults or {}   # lower name -> value, looked up last
        self.special = {}        # lower name -> value, looked up first (Process, Item...)

    def set(self, name, value):
        key = name.lower()
        # A self-reference takes the previous value at the time of assignment.
        if "$" in value and key in _names_referenced(value):
            old = self.lookup(name)
            value = _replace_self(value, key, old if old is not None else "")
        item = self.table.get(key)
        if item is None:
            self.table[key] = [name, value, False]
        else:
            item[1] = value

    def lookup(self, name):
        key = name.lower()
        v = self.special.get(key)
        if v is not None:
            return v
        item = self.table.get(key)
        if item is not None:
            item[2] = True
            return item[1]
        return self.defaults.get(key)

    def defined(self, name):
        key = name.lower()
        return key in self.special or key in self.table or key in self.defaults

    def keys(self):
        return [item[0] for item in self.table.values()]

    def expand(self, text, depth=0):
        return expand(text, self.lookup, depth)

    def param(self, name, default=None):
        """The expanded value of `name`, or `default` when it is not defined."""
        raw = self.lookup(name)
        if raw is None:
            return default
        return self.expand(raw)


_REF_RE = re.compile(r"(?<!\$)\$\(\s*([A-Za-z0-9_.]+)\s*(?::[^)]*)?\)")


def _names_referenced(value):
    return {m.group(1).lower() for m in _REF_RE.finditer(value)}


def _replace_self(value, key, old):
    def repl(m):
        if m.group(1).lower() != key:
            return m.group(0)
        return old
    return _REF_RE.sub(repl, value)


def _find_close(text, start):
    """Index of the ')' matching the '(' just before `start`, or -1."""
    depth = 1
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_FUNC_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\(")


def expand(text, lookup, depth=0):
    """Expand every $(...) and $FUNC(...) in text; `lookup(name)` gives raw values."""
    if "$" not in text:
        return text
    if depth > MAX_DEPTH:
        raise MacroError("Macro expansion loop detected")
    out = []
    i = 0
    n = len(text)
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("$$", j):
            # $$(...) is for matchmaking: copy it through untouched.
            if j + 2 < n and text[j + 2] == "(":
                close = _find_close(text, j + 3)
                if close < 0:
                    out.append(text[j:])
                    break
                out.append(text[j:close + 1])
                i = close + 1
            else:
                out.append("$$")
                i = j + 2
            continue
        if j + 1 < n and text[j + 1] == "(":
            close = _find_close(text, j + 2)
            if close < 0:
                out.append(text[j:])
                break
            body = text[j + 2:close]
            out.append(_expand_ref(body, lookup, depth))
            i = close + 1
            continue
        m = _FUNC_RE.match(text, j)
        if m:
            close = _find_close(text, m.end())
            if close < 0:
                out.append(text[j:])
                break
            fname = m.group(1)
            body = text[m.end():close]
            res = _expand_func(fname, body, lookup, depth)
            if res is None:      # not a function we know: leave the text as is
                out.append(text[j:close + 1])
            else:
                out.append(res)
            i = close + 1
            continue
        out.append("$")
        i = j + 1
    return "".join(out)


def _split_default(body):
    k = body.find(":")
    if k < 0:
        return body, None
    return body[:k], body[k + 1:]


def _expand_ref(body, lookup, depth):
    name, default = _split_default(body)
    if "$" in name:
        name = expand(name, lookup, depth + 1)
    name = name.strip()
    if name.upper() == "DOLLAR":
        return "$"
    raw = lookup(name)
    if raw is None:
        if default is None:
            return ""
        return expand(default, lookup, depth + 1)
    return expand(raw, lookup, depth + 1)


def _value_of(arg, lookup, depth):
    """A function argument names a macro; its expanded value."""
    arg = arg.strip()
    if "$" in arg:
        arg = expand(arg, lookup, depth + 1)
    name, default = _split_default(arg)
    raw = lookup(name.strip())
    if raw is None:
        return None if default is None else expand(default, lookup, depth + 1)
    return expand(raw, lookup, depth + 1)


def _split_args(body):
    return [a for a in body.split(",")]


def _path_parts(path, opts):
    """$F<opts>(path): d=parent dir, p=path, n=name, x=.ext, q=quote, b=strip slash..."""
    res = path
    o = opts.lower()
    want_p = "p" in o
    want_d = "d" in o
    want_n = "n" in o
    want_x = "x" in o
    if want_p or want_d or want_n or want_x:
        slash = max(res.rfind("/"), res.rfind("\\"))
        dirpart = res[:slash + 1] if slash >= 0 else ""
        filepart = res[slash + 1:]
        dot = filepart.rfind(".")
        if dot <= 0:
            name, ext = filepart, ""
        else:
            name, ext = filepart[:dot], filepart[dot:]
        parts = []
        if want_p:
            parts.append(dirpart)
        elif want_d:
            d = dirpart.rstrip("/\\")
            k = max(d.rfind("/"), d.rfind("\\"))
            parts.append(dirpart[k + 1:] if dirpart else "")
        if want_n:
            parts.append(name)
        if want_x:
            parts.append(ext)
        res = "".join(parts)
    if "b" in o:
        res = res.rstrip("/\\")
    if "w" in o:
        res = res.replace("/", "\\")
    if "u" in o:
        res = res.replace("\\", "/")
    if "q" in o:
        res = '"' + res + '"'
    elif "a" in o:
        res = "'" + res + "'"
    return res


def _eval_number(text, want_int):
    """$INT/$REAL evaluate a ClassAd expression to a number."""
    t = text.strip()
    try:
        return float(t) if not want_int else int(t)
    except ValueError:
        pass
    from pycondorlite import classad
    from pycondorlite.classad.value import Value
    try:
        v = classad.ExprTree(t).eval()
    except Exception:
        v = None
    if isinstance(v, bool) or isinstance(v, Value) or not isinstance(v, (int, float)):
        what = "INT" if want_int else "REAL"
        raise MacroError(f"${what}() macro: {t} does not evaluate to an "
                         f"{'integer' if want_int else 'real'}!")
    return v


def _format_number(v, fmt, want_int):
    if want_int:
        v = int(math.trunc(v)) if isinstance(v, float) else int(v)
    if fmt:
        try:
            return fmt.strip() % v
        except (TypeError, ValueError):
            raise MacroError(f"invalid format {fmt}")
    if want_int:
        return str(v)
    fv = float(v)
    if fv == int(fv) and abs(fv) < 1e16:
        return str(int(fv))
    return "%.16G" % fv


def _expand_func(fname, body, lookup, depth):
    f = fname.upper()
    if f == "ENV":
        name, default = _split_default(expand(body, lookup, depth + 1))
        v = os.environ.get(name.strip())
        if v is None:
            return default if default is not None else ""
        return v
    if f.startswith("F") and re.fullmatch(r"F[pdnxqabwu]*", f, re.I):
        v = _value_of(body, lookup, depth)
        return _path_parts(v or "", fname[1:])
    if f == "BASENAME":
        v = _value_of(body, lookup, depth) or ""
        return _path_parts(v, "nx")
    if f == "DIRNAME":
        v = _value_of(body, lookup, depth) or ""
        return _path_parts(v, "p")
    if f in ("INT", "REAL"):
        args = _split_args(body)
        v = _value_of(args[0], lookup, depth)
        if v is None:
            v = args[0]
        num = _eval_number(v, f == "INT")
        fmt = ",".join(args[1:]) if len(args) > 1 else None
        return _format_number(num, fmt, f == "INT")
    if f == "SUBSTR":
        args = _split_args(body)
        v = _value_of(args[0], lookup, depth) or ""
        start = int(args[1]) if len(args) > 1 and args[1].strip() else 0
        if start < 0:
            start = max(0, len(v) + start)
        if len(args) > 2 and args[2].strip():
            ln = int(args[2])
            end = start + ln if ln >= 0 else len(v) + ln
            return v[start:max(start, end)]
        return v[start:]
    if f == "CHOICE":
        args = _split_args(expand(body, lookup, depth + 1))
        idx_raw = lookup(args[0].strip())
        idx_txt = expand(idx_raw, lookup, depth + 1) if idx_raw is not None else args[0]
        idx = int(_eval_number(idx_txt, True))
        choices = args[1:]
        if len(choices) == 1:
            lst = lookup(choices[0].strip())
            if lst is not None:
                choices = expand(lst, lookup, depth + 1).split(",")
        if idx < 0 or idx >= len(choices):
            raise MacroError(f"$CHOICE() index {idx} is out of range")
        return choices[idx].strip()
    if f in ("RANDOM_CHOICE", "RANDOM_INTEGER"):
        lookup("Process")   # a new draw per proc: mark the value as per-proc
    if f == "RANDOM_CHOICE":
        args = _split_args(expand(body, lookup, depth + 1))
        return random.choice(args).strip()
    if f == "RANDOM_INTEGER":
        args = [a.strip() for a in _split_args(expand(body, lookup, depth + 1))]
        # HTCondor's messages (it EXCEPTs on these; we refuse the submit cleanly).
        lo = _int_arg(args, 0, "$RANDOM_INTEGER() config macro: invalid min!")
        hi = _int_arg(args, 1, "$RANDOM_INTEGER() config macro: invalid max!")
        step = _int_arg(args, 2, "$RANDOM_INTEGER() config macro: invalid step!") \
            if len(args) > 2 else 1
        if lo > hi:
            raise MacroError("$RANDOM_INTEGER() config macro: min > max!")
        return str(random.randrange(lo, hi + 1, max(step, 1)))
    return None


def _int_arg(args, i, message):
    try:
        return int(args[i])
    except (ValueError, IndexError):
        raise MacroError(message) from None
