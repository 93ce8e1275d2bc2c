"""$$() substitution: completing a matched job from the provider ad it matched.

A job attribute may hold `$$(name)`, `$$(name:default)`, `$$([expression])` or
`$$(DOLLARDOLLAR)` anywhere in its expression text. At match time every such
attribute is expanded against the matched provider ad, as HTCondor's schedd
does in dollarDollarExpand():

- `$$(name)`: the provider's `name` as unparsed text; a string literal loses
  its quotes. The job gains `MATCH_name = <provider text, quotes kept>`.
- `$$(name:default)`: `default` (as written) when the provider lacks `name`.
- `$$([expr])`: `string(expr)` evaluated with the job as MY and the provider
  as TARGET; must give a string.
- `$$(DOLLARDOLLAR)`: a literal `$$`.

The job keeps its raw `$$` text and gains `MATCH_EXP_<Attr>` with the expanded
text of each attribute that had one. Attributes named MATCH_* are never
expanded. The first failure stops everything: DollarDollarError(name), and
the caller holds the job with `Cannot expand $$ expression (name).`

expand_job_ad() gives the fully expanded job (for the gridmanager) from the
MATCH_EXP_/MATCH_ attributes saved at match time, with no provider ad.
"""

import re

MATCH_PREFIX = "match_"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class DollarDollarError(Exception):
    """A $$() that cannot be expanded; .name is what HTCondor prints."""

    def __init__(self, name):
        super().__init__(f"Cannot expand $$ expression ({name}).")
        self.name = name

    @property
    def hold_reason(self):
        return str(self)


def has_dollardollar(text):
    return text is not None and "$$(" in text


def _find_close(text, start):
    """Index of the `)` closing a `$$(` whose body starts at `start`, or -1.

    A bracketed body `[...]` is scanned to its matching `]` skipping string
    literals, so `$$([strcat("a)", x)])` works.
    """
    if start < len(text) and text[start] == "[":
        depth = 0
        i = start
        n = len(text)
        while i < n:
            c = text[i]
            if c == '"':
                i += 1
                while i < n and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    j = i + 1
                    while j < n and text[j] in " \t":
                        j += 1
                    return j if j < n and text[j] == ")" else -1
            i += 1
        return -1
    return text.find(")", start)


def tokens(text):
    """The $$() bodies in text, in order (e.g. ['provider_url', '[x+1]'])."""
    out = []
    pos = 0
    while True:
        i = text.find("$$(", pos)
        if i < 0:
            return out
        j = _find_close(text, i + 3)
        if j < 0:
            out.append(text[i + 3:])
            return out
        out.append(text[i + 3:j])
        pos = j + 1


def _strip_quotes(value_text):
    """A provider value pasted into text: a string literal loses its quotes."""
    t = value_text.strip()
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"':
        return t[1:-1]
    return t


def _unescape_bracket(body):
    # HTCondor unescapes \" and \\ inside $$([...]) before parsing it, since the
    # expression usually sits inside a string literal.
    return body.replace('\\"', '"').replace("\\\\", "\\")


class _Expander:
    """Expands the bodies of one job's $$() against a lookup strategy."""

    def __init__(self, lookup, evaluate):
        self.lookup = lookup          # name -> provider text or None
        self.evaluate = evaluate      # expression text -> str or None
        self.matched_values = {}      # name as written -> provider text

    def body(self, body):
        b = body.strip()
        if b.upper() == "DOLLARDOLLAR":
            return "$$"
        if b.startswith("["):
            if not b.endswith("]"):
                raise DollarDollarError(body)
            value = self.evaluate(_unescape_bracket(b[1:-1]))
            if not isinstance(value, str):
                raise DollarDollarError(body)
            return value
        name, sep, default = b.partition(":")
        name = name.strip()
        if not _NAME.match(name):
            raise DollarDollarError(name)
        text = self.lookup(name)
        if text is None:
            if sep:
                return default
            raise DollarDollarError(name)
        self.matched_values.setdefault(name, text)
        return _strip_quotes(text)

    def text(self, text):
        out = []
        pos = 0
        while True:
            i = text.find("$$(", pos)
            if i < 0:
                out.append(text[pos:])
                return "".join(out)
            j = _find_close(text, i + 3)
            if j < 0:
                raise DollarDollarError(text[i + 3:].strip())
            out.append(text[pos:i])
            out.append(self.body(text[i + 3:j]))
            pos = j + 1


def _ordered(items):
    """Job attributes in HTCondor's expansion order: Cmd first."""
    items = list(items)
    items.sort(key=lambda p: p[0].lower() != "cmd")
    return items


def expand_match(job_items, provider_text, evaluate=None):
    """The attributes a match adds to a job: {MATCH_name: text, MATCH_EXP_Attr: text}.

    job_items: (Name, text) pairs of the job ad.
    provider_text: {lower name: text} of the matched provider ad.
    evaluate(expr_text) -> value: evaluates string(expr) with the job as MY and
    the provider as TARGET (only called for $$([...])).
    Raises DollarDollarError on the first failure.
    """
    def lookup(name):
        return provider_text.get(name.lower())

    def no_eval(_):
        return None

    exp = _Expander(lookup, evaluate or no_eval)
    expanded = {}
    for name, text in _ordered(job_items):
        if name.lower().startswith(MATCH_PREFIX) or not has_dollardollar(text):
            continue
        expanded["MATCH_EXP_" + name] = exp.text(text)
    out = {f"MATCH_{n}": t for n, t in exp.matched_values.items()}
    out.update(expanded)
    return out


def expand_job_ad(job_ad):
    """The job's attributes with every $$() replaced, from its saved MATCH_ values.

    job_ad: {Name: expression text} (e.g. spool JobAd.as_dict(private=True)).
    Returns a new {Name: text}; MATCH_EXP_<Attr> is used when present, else
    each $$(name) comes from MATCH_<name> (or its default). Raises
    DollarDollarError when something cannot be expanded.
    """
    low = {k.lower(): v for k, v in job_ad.items()}

    def lookup(name):
        return low.get("match_" + name.lower())

    def no_eval(_):
        return None

    exp = _Expander(lookup, no_eval)
    out = {}
    for name, text in job_ad.items():
        if name.lower().startswith(MATCH_PREFIX) or not has_dollardollar(text):
            out[name] = text
            continue
        cached = low.get("match_exp_" + name.lower())
        out[name] = cached if cached is not None else exp.text(text)
    return out


def needs_expansion(job_ad):
    """Does any non-MATCH_ attribute of {Name: text} hold a $$()?"""
    return any(has_dollardollar(t) for n, t in job_ad.items()
               if not n.lower().startswith(MATCH_PREFIX))
