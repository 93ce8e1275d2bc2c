"""The two syntaxes of `arguments` and `environment`, as HTCondor reads and writes them.

Old ("V1") syntax: arguments separated by blanks, `\\"` a literal quote;
environment entries separated by `;`.  New ("V2") syntax: the whole value in
double quotes (`""` a literal one), entries separated by blanks, single quotes
group blanks, `''` inside them a literal single quote.  A job ad keeps
arguments as Args (V1, when the input was V1) or Arguments (V2), and the
environment as Environment (V2) or Env + EnvDelim (V1, when `env` was used).
"""

import re


class ArgError(ValueError):
    """A value HTCondor refuses; the message is HTCondor's."""


_BLANKS = " \t\r\n"


def is_v2_quoted(s):
    """HTCondor's IsV2QuotedString: the value begins with a double quote."""
    return s.lstrip(_BLANKS).startswith('"')


def v2_quoted_to_raw(s, what):
    """The inside of a V2 quoted value, `""` turned into `"`."""
    t = s.strip(_BLANKS)
    if len(t) < 2 or not t.endswith('"'):
        raise ArgError(f"Failed to find terminating double-quote in string: {t}")
    body = t[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == '"':
            if body[i + 1:i + 2] == '"':
                out.append('"')
                i += 2
                continue
            raise ArgError(f"Found illegal unescaped double-quote: {body[i:]}")
        out.append(c)
        i += 1
    return "".join(out)


def split_v2(raw):
    """V2 raw text into its arguments (blanks separate, single quotes group)."""
    args = []
    cur = None
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c in _BLANKS:
            if cur is not None:
                args.append("".join(cur))
                cur = None
            i += 1
            continue
        if cur is None:
            cur = []
        if c == "'":
            start = i
            i += 1
            while True:
                if i >= n:
                    raise ArgError(f"Unbalanced quote starting here: {raw[start:]}")
                if raw[i] == "'":
                    if raw[i + 1:i + 2] == "'":
                        cur.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                cur.append(raw[i])
                i += 1
            continue
        cur.append(c)
        i += 1
    if cur is not None:
        args.append("".join(cur))
    return args


def v1_wacked_to_raw(s):
    """Old-syntax arguments: `\\"` is a quote, a bare `"` is an error."""
    if '"' not in s:
        return s
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and s[i + 1:i + 2] == '"':
            out.append('"')
            i += 2
            continue
        if c == '"':
            raise ArgError(f"Found illegal unescaped double-quote: {s[i:]}")
        out.append(c)
        i += 1
    return "".join(out)


def quote_v2(arg):
    """One argument in V2 raw syntax: each run of blanks and single quotes is
    put in single quotes (a quote doubled), an empty argument is ''."""
    if arg == "":
        return "''"
    out = []
    in_quote = False
    for c in arg:
        special = c in _BLANKS or c == "'"
        if special and not in_quote:
            out.append("'")
            in_quote = True
        elif not special and in_quote:
            out.append("'")
            in_quote = False
        out.append("''" if c == "'" else c)
    if in_quote:
        out.append("'")
    return "".join(out)


class Arguments:
    """The `arguments` of a job: a list, and whether the input was V1."""

    def __init__(self):
        self.args = []
        self.input_was_v1 = False

    def append_v1_wacked_or_v2_quoted(self, s):
        if is_v2_quoted(s):
            self.append_v2_quoted(s)
        else:
            self.args.extend(v1_wacked_to_raw(s).split())
            self.input_was_v1 = True

    def append_v2_quoted(self, s):
        self.args.extend(split_v2(v2_quoted_to_raw(s, "arguments")))

    def v1_raw(self):
        return " ".join(self.args)

    def v2_raw(self):
        return " ".join(quote_v2(a) for a in self.args)


class Environment:
    """A job's environment: name -> value, printed in name order as HTCondor's Env does."""

    V1_DELIM = ";"

    def __init__(self):
        self.vars = {}

    def merge_v1_raw_or_v2_quoted(self, s):
        if is_v2_quoted(s):
            self.merge_v2_quoted(s)
            return
        for entry in s.split(self.V1_DELIM):
            if not entry.strip():
                continue
            self._set_entry(entry, s)

    def merge_v2_quoted(self, s):
        raw = v2_quoted_to_raw(s, "environment")
        for entry in split_v2(raw):
            self._set_entry(entry, s)

    def merge_from_ad_texts(self, environment, env, delim):
        """Env::MergeFrom(ad): the v2 `Environment` string, else the v1 `Env`
        one split at EnvDelim (the values as plain strings; None when absent)."""
        if environment is not None:
            for entry in split_v2(environment):
                self._set_entry(entry, environment)
        elif env is not None:
            for entry in env.split(delim or self.V1_DELIM):
                if entry.strip():
                    self._set_entry(entry, env)

    def _set_entry(self, entry, whole):
        name, eq, value = entry.partition("=")
        if not eq or not name:
            raise ArgError(f"ERROR: Missing '=' after environment variable '{entry}'.\n"
                           f"The environment you specified was: '{whole}'")
        self.vars[name] = value

    def import_from(self, environ, wanted):
        """Add the submitter's variables that `wanted(name, value)` accepts and
        that the environment does not set already (getenv)."""
        for name, value in environ.items():
            if name and name not in self.vars and wanted(name, value):
                self.vars[name] = value

    def __len__(self):
        return len(self.vars)

    def v2_raw(self):
        return " ".join(quote_v2(f"{k}={v}") for k, v in sorted(self.vars.items()))

    def v1_raw(self):
        for k, v in self.vars.items():
            if not safe_v1_value(v):
                raise ArgError(f"Environment entry is not compatible with V1 syntax: {k}={v}")
        return self.V1_DELIM.join(f"{k}={v}" for k, v in sorted(self.vars.items()))


def safe_v1_value(value):
    """A value the V1 (`;`-separated) syntax can hold."""
    return ";" not in value and "\n" not in value


class GetenvFilter:
    """`getenv = <match list>`: names and patterns (`*` a wildcard), `!` to refuse,
    matched without regard to case; no accepting pattern means accept the rest."""

    def __init__(self, matchlist):
        self.accept = []
        self.refuse = []
        for tok in matchlist.replace(",", " ").replace(";", " ").split():
            if tok.startswith("!"):
                if tok[1:]:
                    self.refuse.append(_pattern(tok[1:]))
            else:
                self.accept.append(_pattern(tok))

    def __call__(self, name, value):
        if any(p.match(name) for p in self.refuse):
            return False
        if not self.accept:
            return True
        return any(p.match(name) for p in self.accept)


def _pattern(text):
    """A getenv pattern: only `*` is special; case does not matter."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")) + r"\Z",
                      re.IGNORECASE | re.DOTALL)
