"""Job ads as the spool holds them: attribute name -> ClassAd expression text.

A job ad is its cluster ad overlaid by its proc ad, as in HTCondor's schedd.
Attribute names are case-insensitive, so ads are kept as CIAd: a dict keyed
by the lower-cased name whose values are (Name, text). The three columns the
spool keeps (ClusterId, ProcId, JobStatus) are served from the row itself.

The literal helpers here read the few kinds of text that need no ClassAd
parser (integers, reals, booleans, plain strings, undefined); everything
else goes through pycondorlite.classad.
"""

import re

# HTCondor hides these from every view (ClassAdAttributeIsPrivate), and we add
# the cloud secret of the Deltacloud grid type.
PRIVATE_ATTRS = frozenset(n.lower() for n in (
    "ClaimId", "Capability", "ClaimIds", "ChildClaimIds", "PairedClaimId",
    "TransferKey", "ClaimIdList", "DeltacloudPassword",
))


def is_private(name):
    low = name.lower()
    return (low in PRIVATE_ATTRS or low.startswith("_condor_priv")
            or _is_secret_match_attr(low))


# (added by the schedd/negotiator work) Matching copies provider secrets into
# the job: MATCH_EXP_DeltacloudPassword and MATCH_password (from $$(password)).
# Any MATCH_ attribute naming a password or secret is private too.
def _is_secret_match_attr(low):
    return (low.startswith("match_") and ("password" in low or "secret" in low)
            and not low.endswith("passwordfile"))


class CIAd(dict):
    """lower-name -> (Name, text). Insertion order is kept."""

    @classmethod
    def from_dict(cls, d):
        ad = cls()
        if d:
            for k, v in d.items():
                ad[k.lower()] = (k, v)
        return ad

    def text(self, name):
        hit = self.get(name.lower())
        return None if hit is None else hit[1]

    def set(self, name, text):
        self[name.lower()] = (name, text)

    def plain(self):
        """As a plain {Name: text} dict (for JSON storage)."""
        return {n: t for n, t in self.values()}


class JobAd:
    """A job as read from the spool: cluster ad overlaid by proc ad."""

    __slots__ = ("cluster_id", "proc_id", "status", "cluster", "proc")

    def __init__(self, cluster_id, proc_id, status, cluster, proc):
        self.cluster_id = cluster_id
        self.proc_id = proc_id
        self.status = status
        self.cluster = cluster      # CIAd, shared by all procs of the cluster
        self.proc = proc            # CIAd of this proc's own attributes

    @property
    def id(self):
        return (self.cluster_id, self.proc_id)

    def text(self, name):
        """The expression text of an attribute, or None when absent."""
        low = name.lower()
        if low == "clusterid":
            return str(self.cluster_id)
        if low == "procid":
            return str(self.proc_id)
        if low == "jobstatus":
            return str(self.status)
        hit = self.proc.get(low)
        if hit is None:
            hit = self.cluster.get(low)
        return None if hit is None else hit[1]

    def items(self, private=False):
        """(Name, text) pairs of the merged ad; private attributes only if asked."""
        merged = {}
        for low, pair in self.cluster.items():
            merged[low] = pair
        for low, pair in self.proc.items():
            merged[low] = pair
        merged["clusterid"] = ("ClusterId", str(self.cluster_id))
        merged["procid"] = ("ProcId", str(self.proc_id))
        merged["jobstatus"] = ("JobStatus", str(self.status))
        return [p for low, p in merged.items() if private or not is_private(low)]

    def as_dict(self, private=False):
        return dict(self.items(private))

    def literal(self, name, default=None):
        """The attribute's value if its text is a plain literal (not undefined or
        error), else default."""
        t = self.text(name)
        if t is None:
            return default
        v = literal(t)
        return default if v is NOT_LITERAL or _is_special(v) else v

    def classad(self, private=False):
        """A pycondorlite.classad.ClassAd of the merged ad (parses every attribute)."""
        from pycondorlite import classad
        return classad.parseOne("\n".join(f"{n} = {t}" for n, t in self.items(private)))


def _is_special(v):
    """Is v classad's Value.Undefined or Value.Error (an IntEnum: not a number here)?"""
    return isinstance(v, int) and type(v).__name__ == "Value"


class _NotLiteral:
    def __repr__(self):
        return "NOT_LITERAL"


NOT_LITERAL = _NotLiteral()
UNDEFINED = None   # literal() returns classad Value.Undefined for "undefined"

_INT = re.compile(r"-?[1-9][0-9]*\Z|-?0\Z")
_REAL = re.compile(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z|-?[0-9]+[eE][-+]?[0-9]+\Z")
# Old ClassAd syntax: a backslash is special only before a double quote.
_STR = re.compile(r'"((?:[^"\\]|\\.|\\\Z)*)"\Z', re.S)


def literal(text):
    """Python value of a literal expression text; NOT_LITERAL if it is not one.

    int, float, bool, str, or Value.Undefined/Value.Error.
    """
    t = text.strip()
    if not t:
        return NOT_LITERAL
    c = t[0]
    if c == '"':
        m = _STR.match(t)
        if m:
            body = m.group(1)
            if "\\" not in body:
                return body
            if re.search(r'\\[^"]', body) is None:
                return body.replace('\\"', '"')
        return NOT_LITERAL
    if c.isdigit() or c in "-.":
        if _INT.match(t):
            return int(t)
        if _REAL.match(t):
            return float(t)
        return NOT_LITERAL
    low = t.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low in ("undefined", "error"):
        from pycondorlite.classad.value import Value
        return Value.Undefined if low == "undefined" else Value.Error
    return NOT_LITERAL


def quote(s):
    """A Python string as an old-syntax ClassAd string literal."""
    return '"' + s.replace('"', '\\"') + '"'
