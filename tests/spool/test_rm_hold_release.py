"""condor_rm / condor_hold / condor_release: messages (rm.cpp, dc_schedd.cpp), exit codes,
state changes, the user log events, permissions."""

import json
import subprocess
import sys



def status(sp, cid, pid):
    j = sp.job(cid, pid)
    return None if j is None else j.status


def test_per_job_messages_and_exit_codes(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice")
    r = H.run(spool_env, "condor_hold", "1.0")
    assert (r.returncode, r.stdout, r.stderr) == (0, "Job 1.0 held\n", "")
    r = H.run(spool_env, "condor_hold", "1.0")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "\nJob 1.0 already held\n")
    r = H.run(spool_env, "condor_release", "1.1")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "\nJob 1.1 not held to be released\n")
    r = H.run(spool_env, "condor_release", "1.0")
    assert (r.returncode, r.stdout, r.stderr) == (0, "Job 1.0 released\n", "")
    assert status(sp, c, 0) == 1
    r = H.run(spool_env, "condor_rm", "1.0", "7.3")
    assert (r.returncode, r.stdout, r.stderr) == (0, "Job 1.0 marked for removal\n", "Job 7.3 not found\n")
    r = H.run(spool_env, "condor_rm", "7.3")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "\nJob 7.3 not found\n")


def test_constraint_forms(H, spool_env, sp):
    H.submit(sp, 2, owner="alice")
    H.submit(sp, 1, owner="bob")
    r = H.run(spool_env, "condor_hold", "1")
    assert (r.returncode, r.stdout) == (0, "All jobs in cluster 1 have been held\n")
    r = H.run(spool_env, "condor_hold", "1")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "\nCouldn't find/hold all jobs in cluster 1\n")
    r = H.run(spool_env, "condor_release", "alice")
    assert (r.returncode, r.stdout) == (0, 'All jobs of user "alice" have been released\n')
    r = H.run(spool_env, "condor_hold", "-constraint", "ProcId == 1")
    assert r.stdout == "All jobs matching constraint (ProcId == 1) have been held\n"
    r = H.run(spool_env, "condor_release", "alice", "-constraint", "ProcId == 1")
    assert r.stdout == ('All jobs matching constraint ((ProcId == 1) && (Owner == "alice")) '
                        "have been released\n")
    r = H.run(spool_env, "condor_rm", "1", "2")
    assert r.stdout == "All jobs matching constraint (ClusterId == 1 || ClusterId == 2) " \
                       "have been marked for removal\n"
    r = H.run(spool_env, "condor_rm", "-all")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "condor_rm:0:There are no jobs in the queue\n")


def test_argument_errors(H, spool_env):
    r = H.run(spool_env, "condor_rm")
    assert r.returncode == 1 and r.stderr.startswith("You did not specify any jobs\nUsage: condor_rm")
    r = H.run(spool_env, "condor_rm", "-constraint")
    assert (r.returncode, r.stderr) == (1, "condor_rm: -constraint requires another argument\n")
    r = H.run(spool_env, "condor_rm", "1", "-all")
    assert (r.returncode, r.stderr) == (1, "condor_rm: can't mix -all with other constraints\n")
    r = H.run(spool_env, "condor_hold", "-forcex", "1")
    assert r.returncode == 1 and r.stderr.startswith("-forcex is only valid with condor_rm\n")
    r = H.run(spool_env, "condor_rm", "-bogus")
    assert r.returncode == 1 and r.stderr.startswith("Unrecognized option: -bogus\nUsage:")
    r = H.run(spool_env, "condor_rm", "0")
    assert r.stderr.startswith("Invalid cluster # from 0.\n")
    r = H.run(spool_env, "condor_rm", "3.0e1")
    assert r.stderr.startswith('Warning: unrecognized "3.0e1" skipped.\n')
    r = H.run(spool_env, "condor_rm", "3.x")        # not a number: a user name
    assert r.stderr == "condor_rm:0:There are no jobs in the queue\n"


def test_totals_option(H, spool_env, sp):
    H.submit(sp, 2, owner="alice")
    r = H.run(spool_env, "condor_hold", "-totals", "1.0", "1.1", "5.0")
    assert r.stdout.splitlines()[0] == (
        "2 Succeeded, 0 Failed, 1 Not Found, 0 Bad Status, 0 Already Done, 0 Permission Denied")


def test_state_changes(H, spool_env, sp):
    c = H.submit(sp, 1, owner="alice")
    H.run(spool_env, "condor_hold", "-reason", "maintenance", "-subcode", "7", "1.0")
    ad = sp.job_ad(c, 0)
    assert ad["JobStatus"] == "5" and ad["HoldReason"] == '"maintenance (by user root)"'
    assert ad["HoldReasonCode"] == "1" and ad["HoldReasonSubCode"] == "7"
    assert ad["LastJobStatus"] == "1"
    H.run(spool_env, "condor_release", "1.0")
    ad = sp.job_ad(c, 0)
    assert ad["JobStatus"] == "1" and "HoldReason" not in ad
    assert ad["LastHoldReason"] == '"maintenance (by user root)"'
    assert ad["ReleaseReason"] == '"via condor_release (by user root)"'
    H.run(spool_env, "condor_rm", "1.0")
    assert sp.job(c, 0) is None
    (cid, pid, hist), = list(sp.history())
    assert (cid, pid) == (c, 0)
    assert hist["JobStatus"] == "3" and hist["RemoveReason"] == '"via condor_rm (by user root)"'


def test_cloud_job_stays_until_gridmanager_finishes(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice", JobUniverse="9",
                 GridResource='"deltacloud http://localhost/api"')
    sp.update({(c, 0): {"GridJobId": '"deltacloud job_1_0 inst-42"', "JobStatus": "2"}})
    r = H.run(spool_env, "condor_rm", str(c))
    assert r.returncode == 0
    assert status(sp, c, 0) == 3               # waits for the gridmanager
    assert status(sp, c, 1) is None            # no instance: gone at once
    r = H.run(spool_env, "condor_rm", "1.0")
    assert r.stderr == "\nJob 1.0 already marked for removal\n"
    assert sorted((h[0], h[1]) for h in sp.history()) == [(c, 1)]
    # -forcex takes a removed job out whatever the gridmanager does
    c2 = H.submit(sp, 1, owner="alice", GridJobId='"deltacloud x y"')
    H.run(spool_env, "condor_rm", str(c2))
    r = H.run(spool_env, "condor_rm", "-forcex", "%d.0" % c2)
    assert r.stdout == "Job %d.0 removed locally (remote state unknown)\n" % c2
    assert status(sp, c2, 0) is None


def test_permissions(H, spool_env, sp):
    env = dict(spool_env, _CONDOR_QUEUE_SUPER_USERS="condor")   # root is an ordinary user here
    H.submit(sp, 1, owner="alice")
    H.submit(sp, 1, owner="root")
    r = H.run(env, "condor_rm", "1.0")
    assert (r.returncode, r.stderr) == (1, "\nPermission denied to remove job 1.0\n")
    r = H.run(env, "condor_hold", "alice")
    assert r.returncode == 1 and "Couldn't find/hold all jobs of user \"alice\"" in r.stderr
    r = H.run(env, "condor_hold", "-all")
    assert r.stdout == "All jobs have been held\n"
    assert status(sp, 1, 0) == 1 and status(sp, 2, 0) == 5
    # a super user may act on anyone's jobs
    r = H.run(spool_env, "condor_rm", "1.0")
    assert r.returncode == 0


def _read_log_with_htcondor(path):
    code = ("import sys, json, htcondor2\n"
            "out = []\n"
            "for e in htcondor2.JobEventLog(sys.argv[1]).events(0):\n"
            "    out.append([int(e.type), e.cluster, e.proc, dict(e.items())])\n"
            "print(json.dumps(out, default=str))\n")
    r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                       timeout=120, env={"CONDOR_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_user_log_events_read_by_htcondor(H, spool_env, sp, tmp_path):
    log = tmp_path / "job.log"
    c = H.submit(sp, 2, owner="alice", UserLog='"%s"' % log)
    H.run(spool_env, "condor_hold", "-subcode", "3", "1.0")
    H.run(spool_env, "condor_release", "1.0")
    H.run(spool_env, "condor_rm", "1")
    events = _read_log_with_htcondor(str(log))
    kinds = [(t, cl, p) for t, cl, p, _ in events]
    assert kinds == [(0, c, 0), (0, c, 1), (12, c, 0), (13, c, 0), (9, c, 0), (9, c, 1)]
    held = events[2][3]
    assert held["HoldReason"] == "via condor_hold (by user root)"
    assert held["HoldReasonCode"] == 1 and held["HoldReasonSubCode"] == 3
    assert events[3][3]["Reason"] == "via condor_release (by user root)"
    assert events[4][3]["Reason"] == "via condor_rm (by user root)"
    assert events[0][3]["SubmitHost"].startswith("<127.0.0.1:")


def test_unusable_spool_is_a_one_line_error(H, spool_env, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "job_queue.db").write_text("not a database\n")
    env = dict(spool_env, _CONDOR_SPOOL=str(bad))
    for cmd, args in (("condor_rm", ["1"]), ("condor_history", []), ("condor_q", [])):
        r = H.run(env, cmd, *args)
        assert r.returncode == 1 and "Traceback" not in r.stderr and "not a database" in r.stderr
