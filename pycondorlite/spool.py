"""The job queue and its history, in SQLite: the single source of truth.

Layout (schema version 1):
  meta(key, value)          next_cluster_id, ...
  schema_version(version)   one row; MIGRATIONS below bring a spool up to date
  clusters(cluster_id, ad)  the cluster ad, JSON {Name: expression text}, stored once
  jobs(cluster_id, proc_id, job_status, owner, universe, matched, grid_job_id, ad,
       provider)        one row per proc; `ad` holds only what differs from the
                            cluster ad (NULL when nothing does). ClusterId, ProcId and
                            JobStatus live only in their columns; owner, universe,
                            matched, grid_job_id and provider (schema v4) are indexed
                            copies of the merged ad's Owner, JobUniverse, Matched,
                            GridJobId and MatchedProvider, refreshed on every write
                            (see _columns).
  history(seq, cluster_id, proc_id, owner, completion_date, ad, base_id)
                            finished jobs, newest = highest seq: `ad` holds what
                            differs from history_bases(id, ad), the public cluster
                            ad stored once (schema v2); secrets are not kept.

Every change is one transaction (BEGIN IMMEDIATE), so concurrent writers
serialize; WAL lets readers go on meanwhile. Commits are durable
(synchronous=FULL). The directory is 0700 and the files 0600.

Tools wake a running schedd with nudge_schedd(): a datagram on the unix socket
`<spool>/schedd.nudge`, which the schedd binds with nudge_listener().

API (ads are {Name: ClassAd expression text}; a JobAd is jobad.JobAd):
  sp = Spool.open([path])               create/migrate; SpoolError on any failure
  cid = sp.reserve_cluster_id()         committed at once
  sp.submit(cid, cluster_ad, proc_ads)  one transaction; sets Owner/User/TotalSubmitProcs,
                                        writes 000 events to UserLog files
  sp.job(cid, pid) -> JobAd | None      .text(name), .literal(name), .items(), .status
  sp.job_ad(cid, pid) -> dict           merged ad, private attributes included
  sp.jobs(where, params) -> [JobAd]     where: SQL on the indexed columns, e.g.
                                        "job_status = 1 AND universe = 9 AND matched = 1"
  sp.update({(cid, pid): {Name: text | None}}, expect={(cid, pid): statuses})
                                        one transaction (None deletes); returns the ids
                                        changed. The ONE place a JobStatus changes: a
                                        job whose status is not among `expect` is left
                                        alone, and a new status sets LastJobStatus and
                                        EnteredCurrentStatus here (set_status_attrs)
  sp.job_states(ids) -> {id: (status, matched)}    the guards' view, inside a transaction
  sp.grid_job_rows() -> [(cid, pid, status, matched, grid_job_id)]   the gridmanager's scan
  sp.instances_by_provider() -> {provider ad name: jobs that hold or may hold an instance}
  sp.spool_id                           a random id made with the spool (instance names)
  sp.set_cluster_attrs(cid, {...}), sp.move_to_history(ids, attrs), sp.history(...)
  sp.archive([(JobAd, attrs)], when)    move jobs already read into history
  with sp.transaction(): sp.update(...); sp.archive(...)   several steps, one commit
  sp.nudge_schedd(); sp.nudge_listener()
  sp.db                                 sqlite_utils.Database on the same connection
New tables (e.g. provider ads) come as new MIGRATIONS entries.
"""

import contextlib
import errno
import json
import os
import socket
import sqlite3
import time

from pycondorlite.config import param
from pycondorlite.jobad import CIAd, JobAd, _is_special, is_private, literal, NOT_LITERAL, quote

DB_NAME = "job_queue.db"
NUDGE_NAME = "schedd.nudge"

# Each entry: (version, list of SQL statements). Append; never edit a shipped one.
MIGRATIONS = [
    (1, [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
        "INSERT INTO meta (key, value) VALUES ('next_cluster_id', 1)",
        "CREATE TABLE clusters (cluster_id INTEGER PRIMARY KEY, ad TEXT NOT NULL)",
        """CREATE TABLE jobs (
               cluster_id INTEGER NOT NULL,
               proc_id INTEGER NOT NULL,
               job_status INTEGER NOT NULL,
               owner TEXT,
               universe INTEGER,
               matched INTEGER,
               grid_job_id TEXT,
               ad TEXT,
               PRIMARY KEY (cluster_id, proc_id)) WITHOUT ROWID""",
        # (job_status, universe) serves "idle jobs" and "idle grid jobs" alike
        "CREATE INDEX jobs_status ON jobs (job_status, universe)",
        "CREATE INDEX jobs_owner ON jobs (owner, job_status)",
        "CREATE INDEX jobs_grid ON jobs (grid_job_id) WHERE grid_job_id IS NOT NULL",
        """CREATE TABLE history (
               seq INTEGER PRIMARY KEY AUTOINCREMENT,
               cluster_id INTEGER NOT NULL,
               proc_id INTEGER NOT NULL,
               owner TEXT,
               completion_date INTEGER,
               ad TEXT NOT NULL)""",
        "CREATE INDEX history_job ON history (cluster_id, proc_id)",
        "CREATE INDEX history_owner ON history (owner)",
    ]),
    # v2: a finished job's history row holds only what differs from its cluster's
    # public ad, stored once in history_bases (a 10,000-job cluster writes one base).
    (2, [
        "CREATE TABLE history_bases (id INTEGER PRIMARY KEY, ad TEXT NOT NULL)",
        "ALTER TABLE history ADD COLUMN base_id INTEGER",
    ]),
    # v3: a random id of this spool, so that cloud names made by two spools never meet.
    (3, [
        "INSERT INTO meta (key, value) VALUES ('spool_id', lower(hex(randomblob(5))))",
    ]),
    # v4: the provider ad a job is matched to (MatchedProvider), so that the
    # negotiator counts each ad's live instances from the queue (MaxInstances).
    (4, [
        "ALTER TABLE jobs ADD COLUMN provider TEXT",
        "CREATE INDEX jobs_provider ON jobs (provider) WHERE provider IS NOT NULL",
        # no job of an older spool is matched to an ad by name: nothing to copy
    ]),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Attributes that live in columns and never in the stored JSON.
_ID_ATTRS = {"clusterid", "procid", "jobstatus"}
# Attributes copied into indexed columns.
_COLUMN_ATTRS = {"owner", "jobuniverse", "matched", "gridjobid", "matchedprovider"}


class SpoolError(Exception):
    pass


def default_spool_dir():
    d = param("SPOOL")
    if not d:
        d = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "spool")
    return d


def _int_of(text, attr):
    v = literal(text)
    if isinstance(v, bool) or not isinstance(v, int) or _is_special(v):
        raise SpoolError(f"{attr} must be an integer, not {text}")
    return v


def _columns(cluster, proc):
    """(owner, universe, matched, grid_job_id, provider) of a merged ad, from literal texts."""
    def val(low):
        hit = proc.get(low) or cluster.get(low)
        if hit is None:
            return None
        v = literal(hit[1])
        return None if v is NOT_LITERAL or _is_special(v) else v
    owner = val("owner")
    universe = val("jobuniverse")
    matched = val("matched")
    gid = val("gridjobid")
    provider = val("matchedprovider")
    return (owner if isinstance(owner, str) else None,
            universe if isinstance(universe, int) and not isinstance(universe, bool) else None,
            int(matched) if isinstance(matched, (bool, int)) else None,
            gid if isinstance(gid, str) else None,
            provider if isinstance(provider, str) else None)


_ENCODER = json.JSONEncoder(separators=(",", ":"))    # json.dumps makes one a call


def _dumps(ciad):
    return _ENCODER.encode(ciad.plain()) if ciad else None


_PROC_IDS = frozenset(("procid", "jobstatus", "clusterid"))


def _plain_proc(p):
    """(pid, status or None, {Name: text} of the rest, lower names) of a proc ad
    written the usual way (ProcId and JobStatus as digits, no two names that
    differ only in case); None for anything else (the general path)."""
    t = p.get("ProcId")
    if t is None or not t.isdigit():
        return None
    lows = [k.lower() for k in p]
    if len(set(lows)) != len(lows):
        return None
    s = p.get("JobStatus")
    if s is not None and not s.isdigit():
        return None
    rest = {k: v for (k, v), low in zip(p.items(), lows) if low not in _PROC_IDS}
    if len(rest) + 1 + (s is not None) + ("ClusterId" in p) != len(p):
        return None         # a spelling such as "procid" or "JOBSTATUS"
    return int(t), None if s is None else int(s), rest, lows


class Spool:
    """One open spool. Cheap to open; not shared across threads."""

    def __init__(self, path, conn):
        self.path = path
        self.conn = conn
        self._db = None
        self._cluster_cache = {}
        self._writing = 0       # depth of transaction() blocks open

    @property
    def db(self):
        """A sqlite_utils.Database over the same connection (imported lazily: the
        tools' hot paths use plain SQL, and sqlite-utils takes ~0.2 s to import)."""
        if self._db is None:
            import sqlite_utils
            self._db = sqlite_utils.Database(self.conn)
        return self._db

    # ---- opening -------------------------------------------------------
    @classmethod
    def open(cls, path=None):
        """Open (creating if needed) the spool at `path` (default: param SPOOL).
        Any failure is a SpoolError naming the spool."""
        path = os.path.abspath(path or default_spool_dir())
        try:
            return cls._open(path)
        except (OSError, sqlite3.Error) as e:
            raise SpoolError(f"cannot open the spool {path}: {e}") from None

    @classmethod
    def _open(cls, path):
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)
        dbfile = os.path.join(path, DB_NAME)
        if not os.path.exists(dbfile):
            # SQLite gives its -wal and -shm files the database file's mode.
            fd = os.open(dbfile, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        conn = sqlite3.connect(dbfile, timeout=60, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 60000")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        sp = cls(path, conn)
        sp._migrate()
        return sp

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _migrate(self):
        cur = self._version()
        if cur == SCHEMA_VERSION:
            return
        with self.transaction():
            cur = self._version()     # re-read under the write lock
            if cur is None:
                self.conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                self.conn.execute("INSERT INTO schema_version VALUES (0)")
                cur = 0
            if cur > SCHEMA_VERSION:
                raise SpoolError(f"spool {self.path} has schema version {cur}, newer than this "
                                 f"pycondorlite ({SCHEMA_VERSION})")
            for version, statements in MIGRATIONS:
                if version > cur:
                    for sql in statements:
                        self.conn.execute(sql)
                    self.conn.execute("UPDATE schema_version SET version = ?", (version,))

    def _version(self):
        try:
            row = self.conn.execute("SELECT version FROM schema_version").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else 0

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction: BEGIN IMMEDIATE ... COMMIT, rolled back on error.

        Inside another one it is that one: update(), move_to_history() and
        archive() in a `with sp.transaction():` block commit together (the
        guarded writes of the negotiator and the gridmanager)."""
        if self._writing:
            self._writing += 1
            try:
                yield self.conn
            finally:
                self._writing -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._writing = 1
        self._cluster_cache.clear()     # other processes may have changed them
        try:
            yield self.conn
            # A COMMIT that fails (full disk, I/O error) leaves SQLite's
            # transaction open: it is rolled back below like any other failure,
            # so that this connection can begin the next one.
            self.conn.execute("COMMIT")
        except BaseException:
            self._writing = 0
            self._cluster_cache.clear()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._writing = 0

    @contextlib.contextmanager
    def snapshot(self):
        """A read transaction: one consistent view for several queries."""
        self.conn.execute("BEGIN")
        self._cluster_cache.clear()
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    # ---- submit ---------------------------------------------------------
    def reserve_cluster_id(self):
        """A new cluster id, committed at once (never handed out twice)."""
        with self.transaction() as c:
            cid = c.execute("SELECT value FROM meta WHERE key = 'next_cluster_id'").fetchone()[0]
            c.execute("UPDATE meta SET value = ? WHERE key = 'next_cluster_id'", (cid + 1,))
        return int(cid)

    def submit(self, cid, cluster_ad, proc_ads, user=None, log_events=True):
        """Store a cluster and its procs in one transaction.

        cluster_ad and proc_ads map attribute names to ClassAd expression text;
        a proc ad holds only what differs from the cluster ad (ProcId at least).
        Owner/User are set here from the submitting user (as the schedd does);
        TotalSubmitProcs is the number of procs. Jobs with a UserLog get their
        000 (submit) event once committed, unless log_events is false.
        """
        from pycondorlite import users
        user = user or users.current_user()
        cluster = CIAd.from_dict(cluster_ad)
        owner = literal(cluster.text("Owner") or "undefined")
        if not isinstance(owner, str):
            cluster.set("Owner", quote(user))
        elif owner != user and not users.is_super_user(user):
            raise SpoolError(f"user {user} may not submit jobs owned by {owner}")
        owner = literal(cluster.text("Owner"))
        if not isinstance(literal(cluster.text("User") or "undefined"), str):
            cluster.set("User", quote(f"{owner}@{users.uid_domain()}"))
        cluster.set("ClusterId", str(cid))
        cluster.set("TotalSubmitProcs", str(len(proc_ads)))
        default_status = 1
        st = cluster.pop("jobstatus", None)
        if st is not None:
            default_status = _int_of(st[1], "JobStatus")
        cluster.pop("procid", None)
        base_cols = _columns(cluster, {})
        rows = []
        with_log = []       # (row index, proc CIAd) of jobs that may have a UserLog
        has_log = cluster.text("UserLog") is not None
        base_row = base_cols + (None,)
        for p in proc_ads:
            # fast path: the usual proc ad is {"ProcId": "N"} (maybe with JobStatus)
            n = len(p)
            t = p.get("ProcId")
            if t is not None and t.isdigit() and (n == 1 or (n == 2 and "JobStatus" in p)):
                s = p.get("JobStatus")
                if s is None or s.isdigit():
                    if has_log:
                        with_log.append((len(rows), CIAd()))
                    rows.append((cid, int(t), default_status if s is None else int(s))
                                + base_row)
                    continue
            plain = _plain_proc(p)
            if plain is not None:
                # the next fastest: a proc with attributes of its own (Out, Arguments...)
                pid, status, rest, lows = plain
                if status is None:
                    status = default_status
                if not rest:
                    cols, text = base_cols, None
                else:
                    cols = base_cols
                    if _COLUMN_ATTRS.intersection(lows):
                        cols = _columns(cluster, CIAd.from_dict(rest))
                    text = _ENCODER.encode(rest)
                if has_log or "userlog" in lows:
                    with_log.append((len(rows), CIAd.from_dict(rest)))
                rows.append((cid, pid, status) + cols + (text,))
                continue
            proc = CIAd.from_dict(p)
            hit = proc.pop("procid", None)
            if hit is None:
                raise SpoolError("a proc ad has no ProcId")
            pid = _int_of(hit[1], "ProcId")
            hit = proc.pop("jobstatus", None)
            status = default_status if hit is None else _int_of(hit[1], "JobStatus")
            proc.pop("clusterid", None)
            if has_log or "userlog" in proc:
                with_log.append((len(rows), proc))
            if proc:
                cols = _columns(cluster, proc) if _COLUMN_ATTRS.intersection(proc) else base_cols
                rows.append((cid, pid, status) + cols + (_dumps(proc),))
            else:
                rows.append((cid, pid, status) + base_cols + (None,))
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM clusters WHERE cluster_id = ?", (cid,)).fetchone():
                raise SpoolError(f"cluster {cid} already exists")
            c.execute("INSERT INTO clusters (cluster_id, ad) VALUES (?, ?)", (cid, _dumps(cluster)))
            c.executemany("INSERT INTO jobs (cluster_id, proc_id, job_status, owner, universe, "
                          "matched, grid_job_id, provider, ad) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          rows)
            c.execute("UPDATE meta SET value = max(value, ?) WHERE key = 'next_cluster_id'",
                      (cid + 1,))
        if log_events and with_log:
            self._log_submit(cid, cluster, rows, with_log)
        return cid

    def _log_submit(self, cid, cluster, rows, with_log):
        """000 submit events for jobs that have a UserLog (after the commit, as the
        schedd logs only committed jobs). with_log: [(row index, proc CIAd)]."""
        from pycondorlite import userlog
        from pycondorlite.address import schedd_address
        host = schedd_address(self.path)
        now = time.time()
        pairs = []
        for i, proc in with_log:
            row = rows[i]
            job = JobAd(cid, row[1], row[2], cluster, proc)
            if job.text("UserLog") is None:
                continue
            pairs.append((job, userlog.submit(cid, row[1], host, when=now)))
        userlog.append_for_jobs(pairs)

    # ---- reading --------------------------------------------------------
    def cluster_ad(self, cid):
        """The cluster ad as a CIAd (cached for the life of this Spool object)."""
        ad = self._cluster_cache.get(cid)
        if ad is None:
            row = self.conn.execute("SELECT ad FROM clusters WHERE cluster_id = ?", (cid,)).fetchone()
            if row is None:
                return None
            ad = CIAd.from_dict(json.loads(row[0]))
            self._cluster_cache[cid] = ad
        return ad

    def _load_clusters(self, cids=None):
        if cids is None:
            rows = self.conn.execute("SELECT cluster_id, ad FROM clusters")
        else:
            cids = [c for c in cids if c not in self._cluster_cache]
            if not cids:
                return
            rows = []
            for i in range(0, len(cids), 500):
                chunk = cids[i:i + 500]
                rows += self.conn.execute(
                    f"SELECT cluster_id, ad FROM clusters WHERE cluster_id IN "
                    f"({','.join('?' * len(chunk))})", chunk).fetchall()
        for cid, text in rows:
            self._cluster_cache[cid] = CIAd.from_dict(json.loads(text))

    def job(self, cid, pid):
        """The JobAd of cid.pid, or None."""
        row = self.conn.execute("SELECT job_status, ad FROM jobs WHERE cluster_id = ? AND proc_id = ?",
                                (cid, pid)).fetchone()
        if row is None:
            return None
        cluster = self.cluster_ad(cid)
        proc = CIAd.from_dict(json.loads(row[1])) if row[1] else CIAd()
        return JobAd(cid, pid, row[0], cluster, proc)

    def job_ad(self, cid, pid, private=True):
        """The merged job ad as {Name: text}, or None. Private attributes included
        by default: this is the schedd's view."""
        j = self.job(cid, pid)
        return None if j is None else j.as_dict(private)

    def jobs(self, where=None, params=(), order=True, limit=None):
        """JobAds matching an SQL condition on the jobs table's columns
        (cluster_id, proc_id, job_status, owner, universe, matched, grid_job_id).

        e.g. sp.jobs("job_status = ? AND universe = 9", (1,))
        """
        sql = "SELECT cluster_id, proc_id, job_status, ad FROM jobs"
        if where:
            sql += " WHERE " + where
        if order:
            sql += " ORDER BY cluster_id, proc_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self.conn.execute(sql, params).fetchall()
        cache = self._cluster_cache
        need = {r[0] for r in rows if r[0] not in cache}
        if need:
            self._load_clusters(list(need) if len(need) < 2000 else None)
        empty = CIAd()
        loads = json.loads
        out = []
        for cid, pid, status, ad in rows:
            cl = cache.get(cid)
            if cl is None:
                continue        # removed meanwhile
            out.append(JobAd(cid, pid, status, cl, CIAd.from_dict(loads(ad)) if ad else empty))
        return out

    def job_ids(self, where=None, params=()):
        sql = "SELECT cluster_id, proc_id FROM jobs"
        if where:
            sql += " WHERE " + where
        return self.conn.execute(sql + " ORDER BY cluster_id, proc_id", params).fetchall()

    def count_by_status(self, where=None, params=()):
        """{JobStatus: count} over the queue (or the rows matching `where`)."""
        sql = "SELECT job_status, count(*) FROM jobs"
        if where:
            sql += " WHERE " + where
        return dict(self.conn.execute(sql + " GROUP BY job_status", params).fetchall())

    # ---- changing -------------------------------------------------------
    def update(self, changes, expect=None, now=None):
        """Set attributes of jobs in ONE transaction; the one way a JobStatus changes.

        changes: {(cid, pid): {Name: text or None}}; None deletes the attribute
        from the proc ad. Setting ClusterId/ProcId is refused. expect (optional):
        {(cid, pid): statuses}: a job whose JobStatus, read in this transaction,
        is not one of its statuses is left as it is (a condor_rm that won the
        race keeps its job). A change of JobStatus sets LastJobStatus and
        EnteredCurrentStatus (set_status_attrs). Returns the set of ids changed
        (missing jobs are skipped).
        """
        with self.transaction():
            return self._update(changes, expect, now)

    def _update(self, changes, expect=None, now=None):
        c = self.conn
        done = set()
        rows = []
        ad_rows = []    # changes that touch no column attribute: its columns stand
        when = int(now if now is not None else time.time())
        for key, attrs in changes.items():
            cid, pid = key
            row = c.execute("SELECT job_status, ad FROM jobs WHERE cluster_id = ? AND proc_id = ?",
                            (cid, pid)).fetchone()
            if row is None:
                continue
            status, ad = row
            if expect is not None and key in expect and status not in expect[key]:
                continue
            proc = CIAd.from_dict(json.loads(ad)) if ad else CIAd()
            attrs = set_status_attrs(status, attrs, when)
            columns = False
            for name, text in attrs.items():
                low = name.lower()
                if low in ("clusterid", "procid"):
                    raise SpoolError(f"{name} cannot be changed")
                if low == "jobstatus":
                    status = _int_of(text, "JobStatus")
                    continue
                if low in _COLUMN_ATTRS:
                    columns = True
                if text is None:
                    proc.pop(low, None)
                else:
                    proc.set(name, text)
            if columns:
                cluster = self.cluster_ad(cid)
                rows.append((status,) + _columns(cluster, proc) + (_dumps(proc), cid, pid))
            else:
                ad_rows.append((status, _dumps(proc), cid, pid))
            done.add(key)
        c.executemany("UPDATE jobs SET job_status = ?, owner = ?, universe = ?, matched = ?, "
                      "grid_job_id = ?, provider = ?, ad = ? WHERE cluster_id = ? AND proc_id = ?",
                      rows)
        c.executemany("UPDATE jobs SET job_status = ?, ad = ? WHERE cluster_id = ? AND proc_id = ?",
                      ad_rows)
        return done

    def job_states(self, ids):
        """{(cid, pid): (JobStatus, Matched as 0/1/None)} of the jobs still queued:
        what guarded writes check, inside the caller's transaction."""
        out = {}
        for key in ids:
            row = self.conn.execute("SELECT job_status, matched FROM jobs WHERE cluster_id = ? "
                                    "AND proc_id = ?", key).fetchone()
            if row is not None:
                out[key] = row
        return out

    def grid_job_rows(self):
        """(cid, pid, JobStatus, Matched, GridJobId) of every grid-universe job,
        from the indexed columns only (the gridmanager's cheap scan)."""
        return self.conn.execute("SELECT cluster_id, proc_id, job_status, matched, grid_job_id "
                                 "FROM jobs WHERE universe = 9").fetchall()

    def instances_by_provider(self):
        """{provider ad name: jobs matched to it that hold, or may yet hold, an
        instance there}: matched ones (a launch may come) and those whose
        GridJobId still names something at the provider (being destroyed)."""
        return dict(self.conn.execute(
            "SELECT provider, count(*) FROM jobs WHERE provider IS NOT NULL "
            "AND (matched = 1 OR grid_job_id IS NOT NULL) GROUP BY provider").fetchall())

    def count(self):
        """The number of jobs in the queue."""
        return self.conn.execute("SELECT count(*) FROM jobs").fetchone()[0]

    @property
    def spool_id(self):
        """A random hex id made with this spool (meta 'spool_id', schema v3)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'spool_id'").fetchone()
        return str(row[0])

    def set_cluster_attrs(self, cid, attrs):
        """Set attributes in a cluster ad (seen by every proc not overriding them)."""
        with self.transaction() as c:
            row = c.execute("SELECT ad FROM clusters WHERE cluster_id = ?", (cid,)).fetchone()
            if row is None:
                return 0
            cluster = CIAd.from_dict(json.loads(row[0]))
            for name, text in attrs.items():
                if name.lower() in _ID_ATTRS:
                    raise SpoolError(f"{name} cannot be set in a cluster ad")
                if text is None:
                    cluster.pop(name.lower(), None)
                else:
                    cluster.set(name, text)
            c.execute("UPDATE clusters SET ad = ? WHERE cluster_id = ?", (_dumps(cluster), cid))
            self._cluster_cache[cid] = cluster
            if _COLUMN_ATTRS.intersection(n.lower() for n in attrs):
                rows = []
                for pid, ad in c.execute("SELECT proc_id, ad FROM jobs WHERE cluster_id = ?", (cid,)):
                    proc = CIAd.from_dict(json.loads(ad)) if ad else CIAd()
                    rows.append(_columns(cluster, proc) + (cid, pid))
                c.executemany("UPDATE jobs SET owner = ?, universe = ?, matched = ?, grid_job_id = ?, "
                              "provider = ? "
                              "WHERE cluster_id = ? AND proc_id = ?", rows)
            return 1

    def move_to_history(self, job_ids, attrs=None, when=None):
        """Remove jobs from the queue into history, in one transaction.

        attrs (optional {Name: text}) are set on each ad on the way, e.g.
        CompletionDate or EnteredCurrentStatus. Clusters left with no procs are
        deleted. Returns the number of jobs moved.
        """
        with self.transaction():
            return self._move_to_history(job_ids, attrs, when)

    def _move_to_history(self, job_ids, attrs=None, when=None):
        leaving = []
        for cid, pid in job_ids:
            j = self.job(cid, pid)
            if j is not None:
                leaving.append((j, attrs or {}))
        return self._archive(leaving, when)

    def archive(self, leaving, when=None):
        """Move jobs already read into history, in one transaction:
        leaving is [(JobAd, {Name: text or None} to set on the way)]."""
        with self.transaction():
            return self._archive(leaving, when)

    def _archive(self, leaving, when=None):
        """Inside a transaction: [(JobAd, {Name: text or None})] -> history rows.

        Private attributes (secrets) are dropped: nothing needs them any more.
        The public part of each cluster ad is serialized once per cluster."""
        c = self.conn
        when = int(when if when is not None else time.time())
        hist = []
        gone = []
        clusters = set()
        base_cache = {}
        dumps = json.dumps
        for job, attrs in leaving:
            extra = {}
            for low, (name, text) in job.proc.items():
                if not is_private(low):
                    extra[name] = text
            extra["ClusterId"] = str(job.cluster_id)
            extra["ProcId"] = str(job.proc_id)
            extra["JobStatus"] = str(job.status)
            if attrs:
                attrs = set_status_attrs(job.status, attrs, when)
                lows = {k.lower(): k for k in extra}
                for name, text in attrs.items():
                    k = lows.get(name.lower())
                    if k is not None:
                        del extra[k]
                    if text is not None:
                        extra[name] = text
            deleted = frozenset(n.lower() for n, t in (attrs or {}).items() if t is None)
            override = frozenset(k.lower() for k in extra) | deleted
            key = (job.cluster_id, override)
            base_id = base_cache.get(key)
            if base_id is None:
                pub = {name: text for low, (name, text) in job.cluster.items()
                       if low not in override and not is_private(low)}
                base_id = c.execute("INSERT INTO history_bases (ad) VALUES (?)",
                                    (dumps(pub, separators=(",", ":")),)).lastrowid
                base_cache[key] = base_id
            owner = job.literal("Owner")
            hist.append((job.cluster_id, job.proc_id, owner if isinstance(owner, str) else None, when,
                         dumps(extra, separators=(",", ":")), base_id))
            gone.append(job.id)
            clusters.add(job.cluster_id)
        c.executemany("INSERT INTO history (cluster_id, proc_id, owner, completion_date, ad, "
                      "base_id) VALUES (?, ?, ?, ?, ?, ?)", hist)
        c.executemany("DELETE FROM jobs WHERE cluster_id = ? AND proc_id = ?", gone)
        for cid in clusters:
            if c.execute("SELECT 1 FROM jobs WHERE cluster_id = ? LIMIT 1", (cid,)).fetchone() is None:
                c.execute("DELETE FROM clusters WHERE cluster_id = ?", (cid,))
                self._cluster_cache.pop(cid, None)
        return len(gone)

    # ---- history --------------------------------------------------------
    def history(self, where=None, params=(), limit=None):
        """Finished jobs, newest first, as (cid, pid, {Name: text}) with private attrs."""
        sql = "SELECT cluster_id, proc_id, ad, base_id FROM history"
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        bases = {}
        for cid, pid, ad, base_id in self.conn.execute(sql, params).fetchall():
            if base_id is None:
                yield cid, pid, json.loads(ad)
                continue
            base = bases.get(base_id)
            if base is None:
                row = self.conn.execute("SELECT ad FROM history_bases WHERE id = ?",
                                        (base_id,)).fetchone()
                base = bases[base_id] = json.loads(row[0]) if row else {}
            full = dict(base)
            full.update(json.loads(ad))
            yield cid, pid, full

    # ---- waking the schedd ---------------------------------------------
    @property
    def nudge_path(self):
        return os.path.join(self.path, NUDGE_NAME)

    def nudge_schedd(self):
        """Wake a running schedd (if any) to look at the queue now. Never fails."""
        nudge(self.path)

    def nudge_listener(self):
        """For the schedd: a bound non-blocking datagram socket to select()/recv() on."""
        return nudge_listener(self.path)


def set_status_attrs(old_status, attrs, when):
    """attrs with the bookkeeping of a JobStatus change (HTCondor's schedd keeps
    it on every transition): LastJobStatus = the status left, and
    EnteredCurrentStatus = when, unless the caller gives them itself."""
    text = None
    for name, t in attrs.items():
        if name.lower() == "jobstatus":
            text = t
    if text is None:
        return attrs
    new = literal(text)
    if new == old_status:
        return attrs
    lows = {name.lower() for name in attrs}
    out = dict(attrs)
    if "lastjobstatus" not in lows:
        out["LastJobStatus"] = str(old_status)
    if "enteredcurrentstatus" not in lows:
        out["EnteredCurrentStatus"] = str(int(when))
    return out


def nudge(spool_dir):
    path = os.path.join(spool_dir, NUDGE_NAME)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    except OSError:
        return
    try:
        s.setblocking(False)
        s.sendto(b"nudge", path)
    except OSError:
        pass    # no schedd listening, or its buffer is full: it will wake anyway
    finally:
        s.close()


def nudge_listener(spool_dir):
    path = os.path.join(spool_dir, NUDGE_NAME)
    try:
        os.unlink(path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    old = os.umask(0o077)
    try:
        s.bind(path)
    finally:
        os.umask(old)
    s.setblocking(False)
    return s
