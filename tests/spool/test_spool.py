"""The spool library: layout, permissions, transactions, concurrency, history, nudges."""

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from pycondorlite.spool import Spool, SpoolError, SCHEMA_VERSION, DB_NAME


def test_open_creates_private_files(tmp_path):
    d = tmp_path / "newspool"
    sp = Spool.open(str(d))
    sp.reserve_cluster_id()
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    for name in os.listdir(d):
        if name.startswith(DB_NAME):
            assert stat.S_IMODE(os.stat(d / name).st_mode) == 0o600, name
    assert sp.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sp.conn.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    sp.close()
    sp = Spool.open(str(d))           # reopening migrates nothing and keeps the data
    assert sp.reserve_cluster_id() == 2
    assert sp.db["jobs"].exists()     # sqlite-utils view of the same database


def test_submit_and_read_back(sp, H):
    cid = sp.reserve_cluster_id()
    sp.submit(cid, {"Cmd": '"/bin/true"', "JobUniverse": "9", "Owner": "undefined",
                    "DeltacloudPassword": '"pw"'},
              [{"ProcId": "0"}, {"ProcId": "1", "JobStatus": "5", "Arguments": '"x"'},
               {"ProcId": "2", "GridJobId": '"deltacloud n i"'}], user="alice")
    ad = sp.job_ad(cid, 1)
    assert ad["Owner"] == '"alice"' and ad["User"] == '"alice@example.org"'
    assert ad["TotalSubmitProcs"] == "3" and ad["JobStatus"] == "5" and ad["Arguments"] == '"x"'
    assert ad["ClusterId"] == str(cid) and ad["ProcId"] == "1"
    assert ad["DeltacloudPassword"] == '"pw"'               # the schedd's view has secrets
    assert "DeltacloudPassword" not in sp.job(cid, 1).as_dict()
    assert sp.job_ad(cid, 0).get("Arguments") is None
    # indexed columns follow the attribute text
    assert [j.id for j in sp.jobs("job_status = 1 AND universe = 9")] == [(cid, 0), (cid, 2)]
    assert [j.id for j in sp.jobs("grid_job_id IS NOT NULL")] == [(cid, 2)]
    assert [j.id for j in sp.jobs("owner = ?", ("alice",))] == [(cid, 0), (cid, 1), (cid, 2)]
    assert sp.count_by_status() == {1: 2, 5: 1}


def test_update_is_case_insensitive_and_keeps_columns(sp, H):
    cid = H.submit(sp, 2, owner="alice")
    sp.update({(cid, 0): {"jobstatus": "2", "MATCHED": "true", "GridJobId": '"deltacloud a"'},
               (cid, 1): {"HoldReason": '"x"'}})
    assert [j.id for j in sp.jobs("matched = 1 AND job_status = 2")] == [(cid, 0)]
    sp.update({(cid, 0): {"gridjobid": None}, (cid, 1): {"holdreason": None}})
    assert sp.jobs("grid_job_id IS NOT NULL") == []
    assert "HoldReason" not in sp.job_ad(cid, 1)
    sp.set_cluster_attrs(cid, {"Owner": '"bob"'})
    assert len(sp.jobs("owner = 'bob'")) == 2
    with pytest.raises(SpoolError):
        sp.update({(cid, 0): {"ProcId": "7"}})


def test_update_of_other_attributes_keeps_the_columns_and_sets_the_status(sp, H):
    """A change that names no column attribute writes the ad and the status only;
    the columns stay what the ad says, mixed with changes that do name one."""
    cid = H.submit(sp, 3, owner="alice")
    sp.update({(cid, 0): {"Matched": "true", "MatchedProvider": '"p1"'},
               (cid, 1): {"Matched": "true", "MatchedProvider": '"p2"'}})
    sp.update({(cid, 0): {"LastRejMatchTime": "7", "JobStatus": "5"},
               (cid, 1): {"MatchedProvider": '"p3"'},
               (cid, 2): {"LastRejMatchReason": '"none"'}}, now=100)
    assert sp.instances_by_provider() == {"p1": 1, "p3": 1}
    assert [j.id for j in sp.jobs("job_status = 5 AND matched = 1 AND owner = 'alice'")] \
        == [(cid, 0)]
    ad = sp.job_ad(cid, 0)
    assert ad["LastRejMatchTime"] == "7" and ad["LastJobStatus"] == "1" \
        and ad["EnteredCurrentStatus"] == "100"
    assert sp.job_ad(cid, 2)["LastRejMatchReason"] == '"none"'
    assert [j.id for j in sp.jobs("job_status = 1 AND matched IS NULL OR matched = 0")] \
        == [(cid, 2)]


def test_submit_is_all_or_nothing(sp, H):
    cid = sp.reserve_cluster_id()
    with pytest.raises(SpoolError):
        sp.submit(cid, {"Cmd": '"x"'}, [{"ProcId": "0"}, {"Arguments": '"no proc id"'}])
    assert sp.jobs() == [] and sp.cluster_ad(cid) is None
    sp.submit(cid, {"Cmd": '"x"'}, [{"ProcId": "0"}])
    with pytest.raises(SpoolError):
        sp.submit(cid, {"Cmd": '"x"'}, [{"ProcId": "0"}])     # a cluster id is used once
    assert len(sp.jobs()) == 1


def test_writes_in_one_transaction_commit_or_roll_back_together(sp, H):
    """update / move_to_history / archive inside `with sp.transaction()` join it."""
    cid = H.submit(sp, 3, owner="alice")
    with pytest.raises(RuntimeError):
        with sp.transaction():
            sp.update({(cid, 0): {"HoldReason": '"x"'}})
            sp.move_to_history([(cid, 1)])
            raise RuntimeError("a guard failed after the writes")
    assert "HoldReason" not in sp.job_ad(cid, 0)
    assert len(sp.jobs()) == 3 and list(sp.history()) == []
    with sp.transaction():
        sp.update({(cid, 0): {"HoldReason": '"x"'}})
        sp.archive([(sp.job(cid, 2), {"JobStatus": "3"})])
        # another connection sees nothing before the commit
        other = Spool.open(sp.path)
        try:
            assert "HoldReason" not in other.job_ad(cid, 0)
            assert len(other.jobs()) == 3
        finally:
            other.close()
    assert sp.job_ad(cid, 0)["HoldReason"] == '"x"'
    assert [(c, p) for c, p, _ in sp.history()] == [(cid, 2)]
    sp.update({(cid, 1): {"HoldReason": '"y"'}})      # and alone, its own transaction
    assert sp.job_ad(cid, 1)["HoldReason"] == '"y"'


def test_foreign_owner_needs_super_user(sp, monkeypatch):
    monkeypatch.setenv("_CONDOR_QUEUE_SUPER_USERS", "condor")
    cid = sp.reserve_cluster_id()
    with pytest.raises(SpoolError):
        sp.submit(cid, {"Owner": '"bob"'}, [{"ProcId": "0"}], user="alice")


def test_history_drops_secrets_and_is_newest_first(sp, H):
    cid = H.submit(sp, 3, owner="alice", DeltacloudPassword='"pw"')
    sp.move_to_history([(cid, 1)], {"JobStatus": "4", "CompletionDate": "1787745300"})
    sp.move_to_history([(cid, 0), (cid, 2)])
    hist = list(sp.history())
    assert [(c, p) for c, p, _ in hist] == [(cid, 2), (cid, 0), (cid, 1)]
    assert all("DeltacloudPassword" not in ad for _, _, ad in hist)
    assert hist[2][2]["JobStatus"] == "4" and hist[2][2]["CompletionDate"] == "1787745300"
    assert sp.cluster_ad(cid) is None          # the last proc took its cluster along


def test_nudge_reaches_a_listener(sp):
    s = sp.nudge_listener()
    try:
        sp.nudge_schedd()
        s.settimeout(5)
        assert s.recv(64) == b"nudge"
    finally:
        s.close()
    os.unlink(sp.nudge_path)
    sp.nudge_schedd()                            # no listener: silently nothing


def _submitter(spool_dir, n, q):
    os.environ["_CONDOR_SPOOL"] = spool_dir
    sp = Spool.open()
    got = []
    for _ in range(n):
        cid = sp.reserve_cluster_id()
        sp.submit(cid, {"Cmd": '"/bin/true"', "JobUniverse": "5"},
                  [{"ProcId": str(i)} for i in range(3)], user="root")
        got.append(cid)
    q.put(got)


def test_eight_concurrent_submitters(tmp_path):
    """8 processes x 50 submits: 400 distinct clusters, every job there."""
    d = str(tmp_path / "spool")
    Spool.open(d).close()
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_submitter, args=(d, 50, q)) for _ in range(8)]
    for p in procs:
        p.start()
    results = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    cids = [c for r in results for c in r]
    assert len(cids) == 400 and len(set(cids)) == 400
    sp = Spool.open(d)
    assert sp.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1200
    assert sp.conn.execute("SELECT count(DISTINCT cluster_id) FROM jobs").fetchone()[0] == 400


def test_concurrent_condor_submit(tmp_path, spool_env, H):
    """The real condor_submit, 8 at once (5 each here; bench/queue_bench.py --submitters runs 8x50)."""
    sub = tmp_path / "job.sub"
    sub.write_text("executable = /bin/true\nqueue 2\n")
    script = textwrap.dedent("""
        import subprocess, sys
        for _ in range(%d):
            r = subprocess.run([sys.executable, %r, %r], capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stderr, file=sys.stderr); sys.exit(1)
    """) % (5, os.path.join(H.BIN, "condor_submit"), str(sub))
    procs = [subprocess.Popen([sys.executable, "-c", script], env=spool_env) for _ in range(8)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    sp = Spool.open()
    assert sp.conn.execute("SELECT count(DISTINCT cluster_id) FROM jobs").fetchone()[0] == 40
    assert sp.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 80


def test_migration_from_v1_keeps_history(tmp_path):
    import sqlite3
    from pycondorlite import spool as S
    d = tmp_path / "old"
    d.mkdir()
    conn = sqlite3.connect(str(d / DB_NAME))
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for sql in S.MIGRATIONS[0][1]:
        conn.execute(sql)
    conn.execute("INSERT INTO history (cluster_id, proc_id, owner, completion_date, ad) "
                 "VALUES (7, 0, 'alice', 1, ?)", (json.dumps({"ClusterId": "7", "Owner": '"alice"'}),))
    conn.commit()
    conn.close()
    sp = Spool.open(str(d))
    assert sp.conn.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert list(sp.history()) == [(7, 0, {"ClusterId": "7", "Owner": '"alice"'})]
    # v3 gave the old spool an id of its own
    assert len(sp.spool_id) == 10 and int(sp.spool_id, 16) >= 0


def test_spool_id_is_random_per_spool_and_kept(tmp_path):
    a = Spool.open(str(tmp_path / "a"))
    b = Spool.open(str(tmp_path / "b"))
    try:
        assert a.spool_id != b.spool_id
        first = a.spool_id
    finally:
        a.close()
        b.close()
    with Spool.open(str(tmp_path / "a")) as again:
        assert again.spool_id == first


def test_status_change_keeps_its_bookkeeping(tmp_path):
    """Every JobStatus change goes through Spool.update, which sets
    LastJobStatus and EnteredCurrentStatus; `expect` guards it."""
    with Spool.open(str(tmp_path / "s")) as sp:
        cid = sp.reserve_cluster_id()
        sp.submit(cid, {"JobUniverse": "5", "Cmd": '"/bin/true"'}, [{"ProcId": "0"}])
        assert sp.update({(cid, 0): {"JobStatus": "2"}}, now=1000) == {(cid, 0)}
        j = sp.job(cid, 0)
        assert (j.status, j.literal("LastJobStatus"), j.literal("EnteredCurrentStatus")) == \
            (2, 1, 1000)
        # Not in the expected state: left alone.
        assert sp.update({(cid, 0): {"JobStatus": "5"}}, expect={(cid, 0): (1,)}) == set()
        assert sp.job(cid, 0).status == 2
        # No status change: no bookkeeping.
        sp.update({(cid, 0): {"Foo": "1"}}, now=2000)
        assert sp.job(cid, 0).literal("EnteredCurrentStatus") == 1000
        sp.update({(cid, 0): {"JobStatus": "5"}}, expect={(cid, 0): (2,)}, now=3000)
        j = sp.job(cid, 0)
        assert (j.status, j.literal("LastJobStatus"), j.literal("EnteredCurrentStatus")) == \
            (5, 2, 3000)
