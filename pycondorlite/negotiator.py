"""The negotiator: grid matchmaking of idle jobs against provider ads.

One cycle (Negotiator.negotiate):
1. Read the idle jobs that need a match (grid universe, Matched false, a
   `$$()` to fill in; `WantMatching` overrides) and the live provider ads.
2. Group jobs into autoclusters: jobs whose attributes that matching can see
   are identical (the job's Requirements and Rank and what they reference,
   plus every attribute any provider ad's expressions mention) behave
   identically, so matching work is done once per autocluster.
3. For each autocluster, the provider ads where both Requirements hold
   (ClassAd symmetricMatch, the tools' old semantics), each ranked by the
   job's Rank. A conservative index on `attr == literal` conjuncts of the
   job's Requirements prunes ads that cannot match before any evaluation.
4. Jobs in priority order (JobPrio, then submission order) take the best
   available ad; ties in Rank go to the ad matched least recently, so equal
   providers share the load. An ad without WantAdRevaluate serves one job per
   cycle; with it, the ad stays and its CurMatches grows (and is
   re-evaluated, so `Requirements = CurMatches < 10` works).
5. One transaction records everything: per match the $$() expansion
   (MATCH_<name>, MATCH_EXP_<Attr>), Matched, CurrentHosts, NumJobMatches,
   LastMatchTime, MatchedProvider (the ad's Name), and the ad's CurMatches;
   jobs whose expansion fails are held (`Cannot expand $$ expression
   (name).`); jobs no ad matches get LastRejMatchReason / LastRejMatchTime.
   A crash can therefore never leave a match without its expansion, nor
   record a match twice.

Beyond HTCondor (issue: failover across providers):
- A provider ad may say how many instances it can hold (`MaxInstances`):
  the jobs matched to it that hold or may hold an instance are counted from
  the spool (Spool.instances_by_provider) at every cycle, so no cycle and
  no restart puts more there; a full ad is passed over.
- A job whose launch a provider refused for capacity comes back unmatched
  with the refusal in ProviderRefusals (refusals.py); ads that refused it
  within PROVIDER_REFUSAL_WINDOW are passed over, and once every ad it
  matches has refused it, it is held with a HoldReason that lists them.
"""

import re
import time

from pycondorlite import dollardollar, refusals
from pycondorlite.caches import ENTRY, MIB, Cache, text_size, tree_size
from pycondorlite.collector import Collector, classad_from_texts
from pycondorlite.config import param_float
from pycondorlite.jobad import literal, NOT_LITERAL, quote as _quote

GRID_UNIVERSE = 9
REJECT_REASON = "no match found"
# How often an unmatched job's LastRejMatchTime is refreshed (it is written
# at least this often, not on every cycle, to keep cycles cheap).
REJECT_REFRESH = 60

_IDENT = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|([A-Za-z_][A-Za-z0-9_]*)', re.S)
_KEYWORDS = frozenset(("true", "false", "undefined", "error", "is", "isnt", "my", "target",
                       "parent", "other"))
# text -> its identifiers; bounded by an estimate of the bytes it holds
_ident_cache = Cache(16 * MIB)


def idents(text):
    """Lower-cased identifiers an expression text mentions (a superset of the
    attributes it references; function names and scope prefixes included)."""
    got = _ident_cache.get(text)
    if got is None:
        got = frozenset(m.group(1).lower() for m in _IDENT.finditer(text)
                        if m.group(1) and m.group(1).lower() not in _KEYWORDS)
        _ident_cache.learn(text, got, ENTRY + 2 * text_size(text))
    return got


# ---------------------------------------------------------------- pruning

_LIT = r'"[^"\\]*"|-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|true|false'
_CONJ = re.compile(r'\s*(?:(TARGET)\s*\.\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(==|=\?=)\s*(' + _LIT + r')\s*\Z',
                   re.I)
_CONJ_REV = re.compile(r'\s*(' + _LIT + r')\s*(==|=\?=)\s*(?:(TARGET)\s*\.\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\Z',
                       re.I)


_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"|&&|\|\||=\?=|[()\[\]{}?:]', re.S)


def _top_level_split(text):
    """Split text on top-level `&&`; None when the top level also holds an
    operator binding looser than && (`||`, `?:`), or anything the scanner does
    not follow (comments, quoted names)."""
    if "/*" in text or "'" in text or "//" in text:
        return None
    parts = []
    depth = 0
    start = 0
    for m in _SCAN.finditer(text):
        tok = m.group(0)
        c = tok[0]
        if c == '"' or tok == "=?=":
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            if tok == "&&":
                parts.append(text[start:m.start()])
                start = m.end()
            else:
                return None     # ||, ? or : at the top level
    parts.append(text[start:])
    return parts


def _strip_parens(text):
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        depth = 0
        for i, c in enumerate(t):
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0 and i != len(t) - 1:
                    return t
        t = t[1:-1].strip()
    return t


def conjuncts(text):
    """The top-level && conjuncts of an expression text (possibly just [text])."""
    out = []
    stack = [text]
    while stack:
        t = _strip_parens(stack.pop())
        parts = _top_level_split(t)
        if parts is None or len(parts) == 1:
            out.append(t)
        else:
            stack.extend(reversed(parts))
    return out


def _key(value):
    """Index key of a literal value under ClassAd `==`: equal values (strings
    case-insensitively, numbers and booleans numerically) share a key."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return float(value)
    if isinstance(value, str):
        return ("s", value.lower()) if value.isascii() else None
    return None


def equality_terms(requirements, job_low):
    """[(attr lower name, key)] for conjuncts `[TARGET.]attr == literal` of the
    job's Requirements that refer to the provider ad. Each is a necessary
    condition of a match: the ad's attribute must equal the literal."""
    terms = []
    for c in conjuncts(requirements):
        m = _CONJ.match(c)
        if m:
            scope, attr, lit = m.group(1), m.group(2), m.group(4)
        else:
            m = _CONJ_REV.match(c)
            if not m:
                continue
            lit, scope, attr = m.group(1), m.group(3), m.group(4)
        low = attr.lower()
        if low == "currenttime":
            continue
        if not scope and low in job_low:
            continue      # unscoped and defined in the job: refers to the job
        v = literal(lit)
        if v is NOT_LITERAL:
            continue
        k = _key(v)
        if k is None:
            continue
        terms.append((low, k))
    return terms


# text -> parsed and compiled tree: conjuncts repeat across autoclusters
# even when whole Requirements do not
_tree_cache = Cache(32 * MIB)


def _tree(text):
    """A parsed (and compiled) expression, cached by text."""
    t = _tree_cache.get(text)
    if t is None:
        from pycondorlite import classad
        t = _tree_cache.learn(text, classad.ExprTree(text), tree_size(text))
    return t


class _AdIndex:
    """Per attribute: provider ads by the key of their literal value, plus the
    ads whose value is not a literal (always candidates)."""

    def __init__(self, ads):
        self.ads = ads
        self._by_attr = {}

    def candidates(self, attr, key):
        idx = self._by_attr.get(attr)
        if idx is None:
            idx = ({}, set())
            for i, ad in enumerate(self.ads):
                t = ad.low.get(attr)
                if t is None:
                    continue      # undefined: the conjunct cannot be true
                v = literal(t)
                k = None if v is NOT_LITERAL else _key(v)
                if k is None:
                    if v is NOT_LITERAL or isinstance(v, str):
                        idx[1].add(i)
                    continue      # undefined/error literals never compare equal
                idx[0].setdefault(k, set()).add(i)
            self._by_attr[attr] = idx
        by_key, wild = idx
        hit = by_key.get(key)
        return (hit | wild) if hit else set(wild)


# ---------------------------------------------------------------- model

class _Provider:
    __slots__ = ("ad", "_classad", "revaluate", "cur", "last", "version", "used", "keep_cur",
                 "cur_sensitive", "_cache", "needed", "room", "_req")

    def __init__(self, ad, cache=None, needed=None, live=0):
        self.ad = ad
        self._cache = cache
        # Lower-case names the jobs' expressions mention: the ClassAd holds only
        # those and what the ad's own Requirements/Rank reach (None: everything).
        self.needed = needed
        self._classad = None
        self._req = None        # (ClassAd, its Requirements tree)
        self.keep_cur = ad.seq is not None
        self.cur = ad.cur_matches if self.keep_cur else 0
        self.revaluate = False
        wr = ad.low.get("wantadrevaluate")
        if wr is not None:
            v = literal(wr)
            self.revaluate = _true(self.classad.eval("WantAdRevaluate")) \
                if v is NOT_LITERAL else _true(v)
        self.last = ad.last_matched
        self.version = 0
        self.used = False
        # MaxInstances: how many more jobs the ad may take (None: no limit).
        self.room = None
        limit = ad.low.get("maxinstances")
        if limit is not None:
            v = literal(limit)
            if v is NOT_LITERAL:
                v = self.classad.eval("MaxInstances")
            if type(v) in (int, float):
                self.room = max(0, int(v) - live)
        # Does any expression of the ad mention CurMatches? If not, a match
        # does not change how the ad evaluates (unless the job mentions it).
        self.cur_sensitive = any("curmatches" in idents(t) for t in ad.attrs.values())

    @property
    def classad(self):
        """The ad as a ClassAd, built on first use (pruned ads never are).
        Ads a match cannot change come from the negotiator's cache."""
        if self._classad is None:
            ad = self.ad
            key = (ad.name, ad.updated, ad.seq, self.needed)
            cached = self._cache.get(key) if self._cache is not None else None
            if cached is None or self.revaluate or self.cur:
                cached = self._build()
                if self._cache is not None and not self.revaluate and not self.cur:
                    self._cache[key] = cached
            self._classad = cached
            if self.cur:
                cached["CurMatches"] = self.cur
        return self._classad

    def requirements(self):
        """The ClassAd's Requirements tree (None if it has none), looked up once
        per ClassAd: a plain value such as `true` comes back as a new tree from
        each lookup, to be compiled again at each evaluation."""
        pad = self.classad
        r = self._req
        if r is None or r[0] is not pad:
            r = self._req = (pad, pad.lookup("Requirements") if "Requirements" in pad else None)
        return r[1]

    def _build(self):
        if self.needed is None:
            return self.ad.classad()
        low = self.ad.low
        names = set()
        todo = list(self.needed | _AD_ALWAYS)
        while todo:
            n = todo.pop()
            if n in names or n not in low:
                continue
            names.add(n)
            refs = idents(low[n])
            if "eval" in refs:
                return self.ad.classad()    # names built at run time: keep everything
            todo.extend(refs - names)
        return classad_from_texts([(k, v) for k, v in self.ad.attrs.items()
                                   if k.lower() in names])


def _needed(acs):
    """Names the autoclusters' expressions mention (None: they build names at
    run time with eval(), so provider ads must be whole)."""
    needed = frozenset().union(*(idents(t) for ac in acs for _, t in ac.sig))
    return None if "eval" in needed else needed


_AD_ALWAYS = frozenset(("requirements", "rank", "curmatches", "wantadrevaluate"))


class _Autocluster:
    __slots__ = ("id", "job", "jobs", "classad", "cands", "evaluated", "dead", "cur_sensitive",
                 "sig", "req_trees", "rank_tree", "refused", "all_refused")

    def __init__(self, acid, job, sig=()):
        self.id = acid
        self.sig = sig          # ((lower name, text), ...): all that matching can see
        self.job = job          # a representative JobAd
        self.jobs = []
        self.classad = None
        self.cands = None       # [(rank, provider index)] best first
        self.evaluated = {}     # provider index -> version evaluated at
        self.dead = False
        self.cur_sensitive = True
        self.req_trees = None   # the job's Requirements, one tree per && conjunct
        self.rank_tree = None
        self.refused = frozenset()  # names of the ads that refused these jobs lately
        self.all_refused = None     # HoldReason once every matching ad has refused


def _true(v):
    return v is True or (type(v) in (int, float) and v != 0)


def _rank_value(v):
    if v is True:
        return 1.0
    if type(v) in (int, float):
        return float(v)
    return 0.0


class CycleResult:
    """What one negotiation cycle did (for the log, tests and the bench)."""

    def __init__(self):
        self.considered = 0
        self.autoclusters = 0
        self.providers = 0
        self.matches = []       # (cid, pid, provider name)
        self.held = []          # (cid, pid, reason)
        self.rejected = 0
        self.evaluations = 0
        self.seconds = 0.0

    def __repr__(self):
        return (f"<cycle jobs={self.considered} autoclusters={self.autoclusters} "
                f"ads={self.providers} matches={len(self.matches)} held={len(self.held)} "
                f"rejected={self.rejected} evals={self.evaluations} {self.seconds:.3f}s>")


_DECISION_KEYS = frozenset(("wantmatching", "jobuniverse", "matched", "gridresource"))


def needs_match(job):
    """Is a spool JobAd an idle grid job waiting for matchmaking?"""
    if job.status != 1:
        return False
    want = job.literal("WantMatching", None)
    if want is not None and not isinstance(want, (str,)):
        return _true(want)
    if job.literal("JobUniverse") != GRID_UNIVERSE:
        return False
    if job.literal("Matched", None) is not False:
        return False
    gr = job.text("GridResource")
    if dollardollar.has_dollardollar(gr):
        return True
    return any(dollardollar.has_dollardollar(t) for n, t in job.items(private=True)
               if not n.lower().startswith("match_"))


def _dollar_items(job, by_cluster):
    """The job's (Name, text) pairs that hold a $$() (MATCH_* excluded), shared
    by the procs of a cluster that override none of them."""
    hit = by_cluster.get(id(job.cluster))
    if hit is None:
        hit = by_cluster[id(job.cluster)] = [
            (n, t) for n, t in job.cluster.values()
            if "$$(" in t and not n.lower().startswith("match_")]
    if not job.proc:
        return hit
    if not any("$$(" in t for _, t in job.proc.values()) and \
            not any(n.lower() in job.proc for n, _ in hit):
        return hit
    return [(n, t) for n, t in job.items(private=True)
            if "$$(" in t and not n.lower().startswith("match_")]


def job_sort_key(job):
    prio = job.literal("JobPrio", 0)
    if type(prio) not in (int, float):
        prio = 0
    return (-prio, job.cluster_id, job.proc_id)


def matching_ads(jobs, ads):
    """{job id: [(ad name, rank)]}, best rank first, for spool JobAds against
    ProviderAds: the decisions a cycle is built on (autoclusters, the index,
    symmetricMatch and Rank), without taking ads or writing anything."""
    neg = Negotiator(None)
    res = CycleResult()
    acs, job_ac = neg._autoclusters(jobs, ads)
    providers = [_Provider(a, None, _needed(acs)) for a in ads]
    index = _AdIndex(ads)
    out = {}
    for job in jobs:
        ac = job_ac[job.id]
        if ac.cands is None:
            neg._evaluate(ac, providers, index, res)
        out[job.id] = [(providers[i].ad.name, rank) for rank, i in ac.cands]
    return out


class Negotiator:
    """Matchmaking over one spool. Keep one per schedd: it is cheap to make,
    but it remembers nothing a restart would need (all state is in the spool)."""

    def __init__(self, spool):
        self.spool = spool
        self.collector = Collector(spool) if spool is not None else None
        self._ad_cache = {}     # (name, updated, seq) -> ClassAd of an unchanging ad
        self._ads_idents = frozenset()

    # -- reading ------------------------------------------------------
    def idle_jobs(self):
        jobs = self.spool.jobs("job_status = 1 AND universe = ? AND matched = 0",
                               (GRID_UNIVERSE,), order=False)
        # Procs that override nothing the decision reads share their cluster's.
        memo = {}
        out = []
        for j in jobs:
            if j.status != 1:
                continue
            if _DECISION_KEYS.isdisjoint(j.proc) and not any(
                    "$$(" in t for _, t in j.proc.values()):
                k = id(j.cluster)
                v = memo.get(k)
                if v is None:
                    v = memo[k] = needs_match(j)
            else:
                v = needs_match(j)
            if v:
                out.append(j)
        return out

    # -- the cycle ----------------------------------------------------
    def negotiate(self, now=None, jobs=None, ads=None, commit=True):
        """One negotiation cycle. Returns a CycleResult."""
        from pycondorlite.classad import semantics
        # The semantics are chosen once for the cycle, for this thread only.
        with semantics.fixed(semantics.old_semantics()):
            return self._negotiate(now, jobs, ads, commit)

    def _negotiate(self, now, jobs, ads, commit):
        t0 = time.perf_counter()
        now = int(now if now is not None else time.time())
        res = CycleResult()
        if jobs is None:
            jobs = self.idle_jobs()
        res.considered = len(jobs)
        if not jobs:
            res.seconds = time.perf_counter() - t0
            return res
        if ads is None:
            ads = self.collector.ads(now)
        res.providers = len(ads)
        live = {(a.name, a.updated, a.seq) for a in ads}
        for k in [k for k in self._ad_cache if k[:3] not in live]:
            del self._ad_cache[k]
        acs, job_ac = self._autoclusters(jobs, ads)
        needed = _needed(acs)
        live = self.spool.instances_by_provider() if self.spool is not None else {}
        providers = [_Provider(a, self._ad_cache, needed, live.get(a.name, 0)) for a in ads]
        res.autoclusters = len(acs)
        index = _AdIndex(ads)
        window = param_float("PROVIDER_REFUSAL_WINDOW", refusals.DEFAULT_WINDOW)
        for ac in acs:
            ac.refused = refusals.refused_names(ac.job.text(refusals.ATTR), now, window)

        order = sorted(jobs, key=job_sort_key)
        matches = []            # (job, provider)
        no_match = []           # jobs whose autocluster matches no ad at all
        refused = []            # (job, HoldReason): every matching ad refused it
        stamp = time.time()
        for job in order:
            ac = job_ac[job.id]
            if ac.all_refused is not None:
                refused.append((job, ac.all_refused))
                continue
            if ac.dead:
                continue
            if ac.cands is None:
                self._evaluate(ac, providers, index, res)
                if not ac.cands:
                    ac.dead = True
                    no_match.extend(ac.jobs)
                    continue
            p = self._pick(ac, providers, res)
            if p is None:
                if ac.refused and ac.cands and all(
                        providers[i].ad.name in ac.refused for _, i in ac.cands):
                    ac.all_refused = refusals.hold_reason(refusals.recent(
                        refusals.parse(ac.job.text(refusals.ATTR)), now, window))
                    refused.append((job, ac.all_refused))
                    continue
                ac.dead = True  # every matching ad is taken (or full) this cycle
                continue
            prov = providers[p]
            if prov.room is not None:
                prov.room -= 1
            stamp += 1e-6
            prov.last = stamp
            if prov.revaluate:
                prov.cur += 1
                if prov._classad is not None and prov._classad is self._ad_cache.get(
                        (prov.ad.name, prov.ad.updated, prov.ad.seq, prov.needed)):
                    prov._classad = prov._build()     # never touch the cached copy
                prov.classad["CurMatches"] = prov.cur
                prov.version += 1
            else:
                prov.used = True
            matches.append((job, prov))

        if commit:
            self._record(matches, no_match, refused, now, res)
        else:
            res.matches = [(j.cluster_id, j.proc_id, p.ad.name) for j, p in matches]
            res.rejected = len(no_match)
        res.seconds = time.perf_counter() - t0
        return res

    def _autoclusters(self, jobs, ads):
        """Group jobs by the texts of every attribute matching can see."""
        seen_by_ads = set()
        for ad in ads:
            for t in ad.attrs.values():
                seen_by_ads |= idents(t)
        self._ads_idents = frozenset(seen_by_ads)
        # (the refusals decide which ads a job may take, so they split autoclusters)
        base = frozenset(seen_by_ads | {"requirements", "rank", refusals.ATTR.lower()})
        by_sig = {}
        job_ac = {}
        cluster_memo = {}
        proc_memo = {}      # (cluster, the proc's own texts) -> sig: procs alike share it
        for job in jobs:
            sig = None
            memo = cluster_memo.get(job.cluster_id)
            if memo is not None and memo[0] is job.cluster:
                names, csig = memo[1], memo[2]
                if not names.intersection(job.proc) and "procid" not in names:
                    sig = csig
            proc_key = None
            if sig is None and job.proc:
                proc_key = (id(job.cluster), tuple(sorted(t for _, t in job.proc.items())))
                sig = proc_memo.get(proc_key)
            if sig is None:
                names = self._closure(job, base)
                sig = tuple(sorted((n, job.text(n)) for n in names if job.text(n) is not None))
                if "procid" not in names:
                    if not any(n in job.proc for n in names):
                        cluster_memo[job.cluster_id] = (job.cluster, names, sig)
                    elif proc_key is not None:
                        proc_memo[proc_key] = sig
            ac = by_sig.get(sig)
            if ac is None:
                ac = by_sig[sig] = _Autocluster(len(by_sig) + 1, job, sig)
                ac.cur_sensitive = any(n == "curmatches" for n, _ in sig) or any(
                    "curmatches" in idents(t) for _, t in sig)
            ac.jobs.append(job)
            job_ac[job.id] = ac
        return list(by_sig.values()), job_ac

    @staticmethod
    def _closure(job, base):
        names = set()
        todo = list(base)
        while todo:
            n = todo.pop()
            if n in names:
                continue
            names.add(n)
            t = job.text(n)
            if t is not None:
                todo.extend(idents(t) - names)
        return frozenset(names)

    def _job_classad(self, ac):
        """The autocluster as a ClassAd: only the attributes matching can see
        (the signature), which evaluates exactly as the whole job would.
        Requirements and Rank are evaluated from their own trees, so they are
        left out unless something else refers to them."""
        if ac.classad is None:
            refs = set(self._ads_idents)
            for n, t in ac.sig:
                refs |= idents(t)
            ac.classad = classad_from_texts(
                [(n, t) for n, t in ac.sig if n not in ("requirements", "rank") or n in refs])
            req = ac.job.text("Requirements")
            # A job without Requirements never matches (as in classad2).
            ac.req_trees = [_tree(c) for c in conjuncts(req)] if req is not None else None
            rank = ac.job.text("Rank")
            ac.rank_tree = _tree(rank) if rank is not None else None
        return ac.classad

    def _matches(self, ac, prov):
        """symmetricMatch, conjunct by conjunct: `a && b && c` is true exactly
        when every conjunct is true (or a non-zero number)."""
        jad = self._job_classad(ac)
        if ac.req_trees is None:
            return False
        pad = prov.classad
        for t in ac.req_trees:
            if not _true(t.eval(jad, pad)):
                return False
        preq = prov.requirements()
        return preq is not None and _true(preq.eval(pad, jad))

    def _rank(self, ac, prov):
        jad = self._job_classad(ac)
        return _rank_value(ac.rank_tree.eval(jad, prov.classad)) if ac.rank_tree is not None \
            else 0.0

    def _evaluate(self, ac, providers, index, res):
        """The autocluster's matching ads, ranked best first."""
        job = ac.job
        req = job.text("Requirements") or "true"
        job_low = set(job.cluster) | set(job.proc) | {"clusterid", "procid", "jobstatus"}
        cand = None
        for attr, key in equality_terms(req, job_low):
            s = index.candidates(attr, key)
            cand = s if cand is None else cand & s
            if not cand:
                break
        if cand is None:
            cand = range(len(providers))
        self._job_classad(ac)
        rank_text = job.text("Rank")
        rank_const = 0.0 if rank_text is None else None
        if rank_text is not None:
            v = literal(rank_text)
            if v is not NOT_LITERAL:
                rank_const = _rank_value(v)
        out = []
        for i in sorted(cand):
            prov = providers[i]
            res.evaluations += 1
            if not self._matches(ac, prov):
                continue
            ac.evaluated[i] = prov.version
            rank = rank_const if rank_const is not None else self._rank(ac, prov)
            out.append((rank, i))
        out.sort(key=lambda ri: -ri[0])
        ac.cands = out

    def _pick(self, ac, providers, res):
        """The best available ad for the next job of ac, or None."""
        while True:
            best = None
            best_rank = None
            changed = False
            for pos, (rank, i) in enumerate(ac.cands):
                if best_rank is not None and rank < best_rank:
                    break
                prov = providers[i]
                if prov.used or prov.room == 0 or prov.ad.name in ac.refused:
                    continue
                if prov.version != ac.evaluated.get(i) and (prov.cur_sensitive
                                                            or ac.cur_sensitive):
                    # its CurMatches changed since: evaluate again
                    res.evaluations += 1
                    if not self._matches(ac, prov):
                        ac.cands.pop(pos)
                        changed = True
                        break
                    ac.evaluated[i] = prov.version
                    newrank = self._rank(ac, prov)
                    if newrank != rank:
                        ac.cands[pos] = (newrank, i)
                        ac.cands.sort(key=lambda ri: -ri[0])
                        changed = True
                        break
                if best is None or (prov.last, prov.ad.name) < (providers[best].last,
                                                                 providers[best].ad.name):
                    best = i
                    best_rank = rank
            if changed:
                continue
            if best is None:
                # drop used and full ads so later jobs of this autocluster skip them fast
                ac.cands = [(r, i) for r, i in ac.cands
                            if not providers[i].used and providers[i].room != 0]
            return best

    # -- recording ----------------------------------------------------
    def _record(self, matches, no_match, refused, now, res):
        sp = self.spool
        changes = {}
        held = []
        matched = []
        by_cluster = {}
        for job, prov in matches:
            items = _dollar_items(job, by_cluster)
            try:
                extra = dollardollar.expand_match(
                    items, prov.ad.low, self._bracket_evaluator(job, prov))
            except dollardollar.DollarDollarError as e:
                held.append((job, e.hold_reason))
                continue
            nmatch = job.literal("NumJobMatches", 0)
            nmatch = nmatch if type(nmatch) is int else 0
            attrs = dict(extra)
            attrs.update({"Matched": "true", "CurrentHosts": "1",
                          "NumJobMatches": str(nmatch + 1), "LastMatchTime": str(now),
                          "MatchedProvider": _quote(prov.ad.name)})
            changes[job.id] = attrs
            matched.append((job, prov))
        held += refused
        for job, reason in held:
            nsys = job.literal("NumSystemHolds", 0)
            nsys = nsys if type(nsys) is int else 0
            changes[job.id] = {"JobStatus": "5", "HoldReason": _quote(reason),
                               "HoldReasonCode": "0", "HoldReasonSubCode": "0",
                               "JobStatusOnRelease": "1",
                               "NumSystemHolds": str(nsys + 1)}
        for job in no_match:
            old_reason = job.literal("LastRejMatchReason")
            old_time = job.literal("LastRejMatchTime", 0)
            if old_reason == REJECT_REASON and type(old_time) is int \
                    and now - old_time < REJECT_REFRESH:
                continue
            changes[job.id] = {"LastRejMatchReason": _quote(REJECT_REASON),
                               "LastRejMatchTime": str(now)}
        counts = {}
        for _job, prov in matched:
            counts[prov.ad.name] = (prov.cur if prov.keep_cur else 0, prov.last)
        if changes:
            with sp.transaction() as c:
                # Only jobs still idle and unmatched now: a condor_rm/hold that
                # won the race keeps its job out of this cycle.
                live = {j for j, (status, m) in sp.job_states(changes).items()
                        if status == 1 and m == 0}
                changes = {j: a for j, a in changes.items() if j in live}
                sp.update(changes, now=now)
                if counts:
                    kept = {}
                    for job, prov in matched:
                        if job.id in live:
                            kept[prov.ad.name] = counts[prov.ad.name]
                    self.collector.record_matches(c, kept, now)
        res.matches = [(j.cluster_id, j.proc_id, p.ad.name) for j, p in matched if j.id in changes]
        res.held = [(j.cluster_id, j.proc_id, r) for j, r in held if j.id in changes]
        res.rejected = sum(1 for j in no_match if j.id in changes)

    def _bracket_evaluator(self, job, prov):
        def evaluate(expr_text):
            from pycondorlite import classad
            jad = classad_from_texts(job.items(private=True))
            try:
                v = classad.ExprTree(f"string({expr_text})").eval(jad, prov.ad.classad())
            except Exception:
                return None
            return v if isinstance(v, str) else None
        return evaluate


