"""The collector: provider ads (HTCondor "machine" ads), kept in the spool.

Operators describe each cloud provider combination as a ClassAd and send it
with `condor_advertise UPDATE_STARTD_AD file`; the negotiator matches jobs
against the ads that have not expired. The ads live in the spool's SQLite
database, in a table this module owns (created idempotently), so a match and
the ad's CurMatches are recorded in one transaction.

As HTCondor's collector does:
- ads are keyed by Name (falling back to Machine);
- an update carrying an UpdateSequenceNumber lower than the stored ad's is
  ignored (an older update never replaces a newer ad); an equal or missing
  one replaces the attributes but keeps the negotiator's CurMatches count
  only while the sequence number is unchanged (STARTD_AD_REEVAL_EXPR's
  default, `target.UpdateSequenceNumber > my.UpdateSequenceNumber`);
- an ad expires ClassAdLifetime seconds after it was last heard from
  (CLASSAD_LIFETIME, default 900 s, when the ad does not say);
- LastHeardFrom and MyAddress are added when missing;
- INVALIDATE_STARTD_ADS takes a query ad: its Requirements (query ad as MY,
  each stored ad as TARGET) selects the ads to drop; without Requirements the
  query's Name selects one.
"""

import json
import re
import time

from pycondorlite import classad
from pycondorlite.config import param_int

TABLE = "provider_ads"
DEFAULT_LIFETIME = 900

_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
           name TEXT PRIMARY KEY,
           ad TEXT NOT NULL,
           seq INTEGER,
           updated INTEGER NOT NULL,
           lifetime INTEGER NOT NULL,
           cur_matches INTEGER NOT NULL DEFAULT 0,
           last_matched REAL NOT NULL DEFAULT 0)""",
]

# Provider ads carry the cloud credentials ($$(password) comes from here):
# never printed by condor_status or written to a log.
_SECRET = re.compile(r"password|secret", re.I)


def is_secret_attr(name):
    """Attributes of a provider ad that no view shows (password, ...)."""
    low = name.lower()
    return bool(_SECRET.search(low)) and not low.endswith("passwordfile")


class CollectorError(Exception):
    pass


class ProviderAd:
    """One stored provider ad: attribute texts plus collector bookkeeping."""

    __slots__ = ("name", "attrs", "seq", "updated", "lifetime", "cur_matches",
                 "last_matched", "_low")

    def __init__(self, name, attrs, seq, updated, lifetime, cur_matches=0, last_matched=0.0):
        self.name = name
        self.attrs = attrs            # {Name: old-syntax expression text}
        self.seq = seq
        self.updated = updated
        self.lifetime = lifetime
        self.cur_matches = cur_matches
        self.last_matched = last_matched
        self._low = None

    @property
    def low(self):
        """{lower name: text}."""
        if self._low is None:
            self._low = {k.lower(): v for k, v in self.attrs.items()}
        return self._low

    def text(self, name):
        return self.low.get(name.lower())

    def public_items(self):
        return [(k, v) for k, v in self.attrs.items() if not is_secret_attr(k)]

    def classad(self, private=True):
        """A pycondorlite.classad.ClassAd of the ad."""
        items = self.attrs.items() if private else self.public_items()
        return classad_from_texts(items)


# ---------------------------------------------------------------- parsing

def classad_from_texts(items):
    """A ClassAd from (Name, old-syntax text) pairs. Plain literals (most
    provider attributes) are stored as values, skipping the parser."""
    from pycondorlite.jobad import literal, NOT_LITERAL
    ad = classad.ClassAd()
    for name, text in items:
        v = literal(text)
        if v is NOT_LITERAL or type(v) not in (str, int, float, bool):
            v = classad.ExprTree(text)
        ad[name] = v
    return ad


_ASSIGN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)\Z", re.S)


def read_ad_file(text, multiple):
    """Split an old-syntax ad file into ads, as condor_advertise reads it.

    Returns a list of ads, each a list of (line number, Name, expression text).
    Lines whose first non-blank character is `#` and blank lines are skipped;
    with `multiple`, an empty line ends an ad. Raises CollectorError(line
    number, line) on a line that is not `Name = expression`.
    """
    ads = []
    cur = []
    for num, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if multiple and line == "":
            if cur:
                ads.append(cur)
                cur = []
            continue
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if not m or not m.group(2).strip():
            raise CollectorError(num, line)
        cur.append((num, m.group(1), m.group(2).strip()))
    if cur:
        ads.append(cur)
    return ads


def normalize_ad(lines):
    """[(line, Name, text)] -> {Name: normalized old-syntax text}; a later
    assignment of the same name (any case) replaces the earlier one.
    Raises CollectorError(line number, text) on a bad expression."""
    out = {}
    low = {}
    for num, name, text in lines:
        if "." in name:
            raise CollectorError(num, f"{name} = {text}")
        try:
            tree = _parse_one_expr(text)
        except Exception:       # any failure to read the text is a bad line
            raise CollectorError(num, f"{name} = {text}") from None
        prev = low.get(name.lower())
        if prev is not None:
            del out[prev]
        low[name.lower()] = name
        out[name] = tree
    return out


def format_real(v):
    """A real as old-syntax ClassAds print it (%.16G, `.0` when integral)."""
    if v != v:
        return 'real("NaN")'
    if v in (float("inf"), float("-inf")):
        return 'real("INF")' if v > 0 else 'real("-INF")'
    if v == 0:
        return "-0.0" if str(v).startswith("-") else "0.0"
    t = "%.16G" % v
    if "." not in t and "E" not in t and "e" not in t:
        t += ".0"
    return t


def _literal_text(text):
    """Normalized text of a plain literal without running the parser, or None."""
    from pycondorlite.jobad import literal, NOT_LITERAL
    v = literal(text)
    if v is NOT_LITERAL:
        return None
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v) if -2**63 <= v < 2**63 else None
    if t is float:
        return format_real(v)
    if t is str:
        return '"' + v.replace('"', '\\"') + '"' if "\\" not in text else None
    return None


def _parse_one_expr(text):
    """Old-syntax expression text as the collector stores it (old syntax)."""
    fast = _literal_text(text)
    if fast is not None:
        return fast
    ad = classad.parseOne(f"X = {text}", classad.ParserType.Old)
    if len(ad) != 1:
        raise ValueError(text)
    printed = ad.printOld()
    if not printed.startswith("X = "):
        raise ValueError(text)
    return printed[4:].rstrip("\n")


def literal_int(text):
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        return None


# ---------------------------------------------------------------- storage

class Collector:
    """Provider ads in a spool. `spool` is a pycondorlite.spool.Spool."""

    def __init__(self, spool):
        self.spool = spool
        self.conn = spool.conn
        self._ensure_table()

    def _ensure_table(self):
        exists = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                                   (TABLE,)).fetchone()
        if exists:
            return
        with self.spool.transaction() as c:
            for sql in _SCHEMA:
                c.execute(sql)

    @staticmethod
    def default_lifetime():
        return param_int("CLASSAD_LIFETIME", DEFAULT_LIFETIME)

    # -- updates ------------------------------------------------------
    def update(self, ads, now=None):
        """Store ads ({Name: text} each) in one transaction.

        Returns a list of (ad name, outcome) with outcome "new", "updated",
        "stale" (older UpdateSequenceNumber, ignored) or "noname".
        """
        now = int(now if now is not None else time.time())
        default_life = self.default_lifetime()
        results = []
        with self.spool.transaction() as c:
            self._purge(c, now)
            for attrs in ads:
                attrs = dict(attrs)
                low = {k.lower(): k for k in attrs}
                name = _string_value(attrs.get(low.get("name", ""), None))
                if name is None:
                    name = _string_value(attrs.get(low.get("machine", ""), None))
                if name is None:
                    results.append((None, "noname"))
                    continue
                seq = literal_int(attrs.get(low.get("updatesequencenumber", ""), "") or "")
                life = literal_int(attrs.get(low.get("classadlifetime", ""), "") or "")
                if life is None or life <= 0:
                    life = default_life
                if "myaddress" not in low:
                    attrs["MyAddress"] = '"<127.0.0.1:0>"'
                if "lastheardfrom" in low:
                    del attrs[low["lastheardfrom"]]
                attrs["LastHeardFrom"] = str(now)
                row = c.execute(f"SELECT seq, cur_matches, updated, lifetime FROM {TABLE} "
                                f"WHERE name = ?", (name,)).fetchone()
                if row is None or row[2] + row[3] < now:
                    c.execute(f"INSERT OR REPLACE INTO {TABLE} (name, ad, seq, updated, lifetime, "
                              f"cur_matches, last_matched) VALUES (?, ?, ?, ?, ?, 0, 0)",
                              (name, json.dumps(attrs), seq, now, life))
                    results.append((name, "new"))
                    continue
                old_seq, cur = row[0], row[1]
                if seq is not None and old_seq is not None and seq < old_seq:
                    results.append((name, "stale"))
                    continue
                if seq is None or old_seq is None or seq > old_seq:
                    cur = 0
                c.execute(f"UPDATE {TABLE} SET ad = ?, seq = ?, updated = ?, lifetime = ?, "
                          f"cur_matches = ? WHERE name = ?",
                          (json.dumps(attrs), seq, now, life, cur, name))
                results.append((name, "updated"))
        return results

    def invalidate(self, query, now=None):
        """Drop the ads a query ad ({Name: text}) selects. Returns how many."""
        now = int(now if now is not None else time.time())
        low = {k.lower(): v for k, v in query.items()}
        with self.spool.transaction() as c:
            self._purge(c, now)
            if "requirements" in low:
                qad = classad_from_texts(query.items())
                target_type = _string_value(low.get("targettype"))
                doomed = []
                for ad in self._load(c, now):
                    if target_type and target_type.lower() not in ("any",):
                        my_type = _string_value(ad.text("MyType"))
                        if my_type is not None and my_type.lower() != target_type.lower():
                            continue
                    if _true(qad.lookup("Requirements").eval(qad, ad.classad())):
                        doomed.append(ad.name)
            else:
                name = _string_value(low.get("name")) or _string_value(low.get("machine"))
                doomed = [name] if name is not None else []
            n = 0
            for name in doomed:
                n += c.execute(f"DELETE FROM {TABLE} WHERE name = ?", (name,)).rowcount
            return n

    def _purge(self, c, now):
        c.execute(f"DELETE FROM {TABLE} WHERE updated + lifetime < ?", (now,))

    def purge_expired(self, now=None):
        now = int(now if now is not None else time.time())
        with self.spool.transaction() as c:
            self._purge(c, now)

    # -- reading ------------------------------------------------------
    def _load(self, c, now):
        rows = c.execute(f"SELECT name, ad, seq, updated, lifetime, cur_matches, last_matched "
                         f"FROM {TABLE} WHERE updated + lifetime >= ? ORDER BY name", (now,))
        return [ProviderAd(name, json.loads(ad), seq, updated, life, cur, last)
                for name, ad, seq, updated, life, cur, last in rows]

    def ads(self, now=None):
        """The live (unexpired) provider ads, by name."""
        now = int(now if now is not None else time.time())
        return self._load(self.conn, now)

    def ads_with_instances(self, now=None):
        """The live ads as condor_status shows them: each with CurInstances, the
        jobs of the queue that hold or may hold an instance there (counted as the
        negotiator counts them against the ad's MaxInstances)."""
        ads = self.ads(now)
        live = self.spool.instances_by_provider()
        for ad in ads:
            ad.attrs["CurInstances"] = str(live.get(ad.name, 0))
            ad._low = None
        return ads

    def record_matches(self, conn, counts, now):
        """Inside the caller's transaction: bump CurMatches / LastMatched.

        counts: {ad name: (new cur_matches, last_matched stamp)}.
        """
        conn.executemany(f"UPDATE {TABLE} SET cur_matches = ?, last_matched = ? WHERE name = ?",
                         [(cur, last, name) for name, (cur, last) in counts.items()])


def _string_value(text):
    """The Python string of a plain string literal text, else None."""
    if text is None:
        return None
    t = text.strip()
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"' and '"' not in t[1:-1].replace('\\"', ""):
        return t[1:-1].replace('\\"', '"')
    return None


def _true(v):
    """A ClassAd value as a matchmaking decision: true, or a non-zero number."""
    return v is True or (type(v) in (int, float) and v != 0)
