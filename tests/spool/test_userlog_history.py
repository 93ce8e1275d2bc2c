"""The user job event log (read by htcondor2.JobEventLog) and condor_history."""

import json
import subprocess
import sys

from pycondorlite import userlog


def _read(path):
    code = ("import sys, json, htcondor2\n"
            "out = [[int(e.type), e.cluster, e.proc, dict(e.items())]\n"
            "       for e in htcondor2.JobEventLog(sys.argv[1]).events(0)]\n"
            "print(json.dumps(out, default=str))\n")
    r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                       timeout=120, env={"CONDOR_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_every_event_reads_back(tmp_path):
    log = str(tmp_path / "all.log")
    res = "deltacloud http://127.0.0.1:3002/api"
    userlog.append(log, [
        userlog.submit(12, 0, "<127.0.0.1:9618?addrs=127.0.0.1-9618>", "a note"),
        userlog.grid_submit(12, 0, res, "deltacloud job_12_0 inst-1"),
        userlog.execute(12, 0, res),
        userlog.grid_resource_down(12, 0, res),
        userlog.grid_resource_up(12, 0, res),
        userlog.held(12, 0, "via condor_hold (by user bob)", 1, 0),
        userlog.released(12, 0, "via condor_release (by user bob)"),
        userlog.terminated(12, 0, return_value=3),
        userlog.terminated(12, 1, signal=9),
        userlog.aborted(1234567, 2, "via condor_rm (by user bob)"),
    ])
    ev = _read(log)
    assert [e[:3] for e in ev] == [[0, 12, 0], [27, 12, 0], [1, 12, 0], [26, 12, 0], [25, 12, 0],
                                   [12, 12, 0], [13, 12, 0], [5, 12, 0], [5, 12, 1],
                                   [9, 1234567, 2]]
    d = [e[3] for e in ev]
    assert d[0]["SubmitHost"] == "<127.0.0.1:9618?addrs=127.0.0.1-9618>" and d[0]["LogNotes"] == "a note"
    assert d[1]["GridResource"] == res and d[1]["GridJobId"] == "deltacloud job_12_0 inst-1"
    assert d[2]["ExecuteHost"] == res
    assert d[3]["GridResource"] == res and d[4]["GridResource"] == res
    assert (d[5]["HoldReason"], d[5]["HoldReasonCode"], d[5]["HoldReasonSubCode"]) == (
        "via condor_hold (by user bob)", 1, 0)
    assert d[6]["Reason"] == "via condor_release (by user bob)"
    assert d[7]["TerminatedNormally"] is True and d[7]["ReturnValue"] == 3
    assert d[8]["TerminatedNormally"] is False and d[8]["TerminatedBySignal"] == 9
    assert d[9]["Reason"] == "via condor_rm (by user bob)"
    text = open(log).read()
    assert text.startswith("000 (012.000.000) ") and "\n...\n009 (1234567.002.000) " in text


def _writer(path, k, n):
    for i in range(n):
        userlog.append(path, [userlog.held(k, i, "x" * 300, 1, 0), userlog.released(k, i)])


def test_concurrent_appends_do_not_interleave(tmp_path):
    import multiprocessing
    log = str(tmp_path / "shared.log")
    ctx = multiprocessing.get_context("fork")
    ps = [ctx.Process(target=_writer, args=(log, k + 1, 100)) for k in range(6)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(timeout=120)
        assert p.exitcode == 0
    ev = _read(log)
    assert len(ev) == 1200
    for k in range(1, 7):
        mine = [(t, p) for t, c, p, _ in ev if c == k]
        assert mine == [x for i in range(100) for x in ((12, i), (13, i))]


def _hist_setup(H, sp):
    c = H.submit(sp, 3, owner="alice", RemoteWallClockTime="3725.0")
    sp.move_to_history([(c, 0)], {"JobStatus": "4", "CompletionDate": str(H.QDATE + 3725)})
    sp.move_to_history([(c, 2)], {"JobStatus": "3", "EnteredCurrentStatus": str(H.QDATE + 60)})
    return c


def test_history_default_view(H, spool_env, sp):
    _hist_setup(H, sp)
    r = H.run(spool_env, "condor_history")
    assert r.returncode == 0
    assert r.stdout == (
        " ID      OWNER            SUBMITTED     RUN_TIME ST   COMPLETED CMD\n"
        "   1.2   alice           8/26 11:53   0+01:02:05 X   8/26 11:54 job.sh 10\n"
        "   1.0   alice           8/26 11:53   0+01:02:05 C   8/26 12:55 job.sh 10\n")


def test_history_options(H, spool_env, sp):
    _hist_setup(H, sp)
    r = H.run(spool_env, "condor_history", "-af", "ClusterId", "ProcId", "JobStatus")
    assert r.stdout == "1 2 3\n1 0 4\n"
    assert H.run(spool_env, "condor_history", "-limit", "1", "-af", "ProcId").stdout == "2\n"
    assert H.run(spool_env, "condor_history", "-forwards", "-af", "ProcId").stdout == "0\n2\n"
    r = H.run(spool_env, "condor_history", "-constraint", "JobStatus == 4", "-af", "ProcId")
    assert r.stdout == "0\n"
    assert H.run(spool_env, "condor_history", "1.2", "-af", "ProcId").stdout == "2\n"
    assert H.run(spool_env, "condor_history", "bob", "-af", "ProcId").stdout == ""
    out = H.run(spool_env, "condor_history", "-json").stdout
    assert [a["ProcId"] for a in json.loads(out)] == [2, 0]


def test_history_long_reads_with_classad2(H, spool_env, sp):
    _hist_setup(H, sp)
    out = H.run(spool_env, "condor_history", "-long").stdout
    code = ("import sys, classad2\n"
            "print([(a['ProcId'], a['JobStatus'], a['Owner']) for a in classad2.parseAds(sys.stdin.read())])")
    r = subprocess.run([sys.executable, "-c", code], input=out, capture_output=True, text=True,
                       timeout=120, env={"CONDOR_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"})
    assert r.stdout.strip() == "[(2, 3, 'alice'), (0, 4, 'alice')]"
