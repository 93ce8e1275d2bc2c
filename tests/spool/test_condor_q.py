"""condor_q views, byte for byte, as queue.cpp / ad_printmask.cpp lay them out."""

import json
import subprocess
import sys

import pytest


TITLE = "\n\n-- Schedd: testschedd.example.org : <127.0.0.1:9618?... @ NOW\n"


_H = None


@pytest.fixture(autouse=True)
def _bind(H):
    global _H
    _H = H


def q(env, *args):
    r = _H.run(env, "condor_q", *args)
    assert r.returncode == 0, r.stderr
    return _H.body(r.stdout)


def totals(query, all_users=None, me=None):
    def line(label, c):
        idle, run_, rem, comp, held, susp = c
        return ("Total for %s: %d jobs; %d completed, %d removed, %d idle, %d running, %d held, "
                "%d suspended" % (label, idle + run_ + rem + comp + held + susp, comp, rem, idle,
                                  run_, held, susp))
    lines = [line("query", query)]
    if me:
        lines.append(line(me[0], me[1]))
    lines.append(line("all users", all_users or query))
    return " \n".join(lines) + "\n"


def test_empty_queue_batch(H, spool_env):
    # the real output quoted in the reference (empty queue): HOLD shown, widths of the headings
    assert q(spool_env) == (
        TITLE +
        "OWNER BATCH_NAME      SUBMITTED   DONE   RUN    IDLE   HOLD  TOTAL JOB_IDS\n"
        "\n" + totals((0, 0, 0, 0, 0, 0)))


def test_one_job_batch(H, spool_env, sp):
    sp.submit(14994430, {"Owner": '"sanju.timsina"', "QDate": str(H.QDATE), "JobUniverse": "5",
                         "Cmd": '"/bin/true"'}, [{"ProcId": "0"}], user="root")
    assert q(spool_env) == (
        TITLE +
        "OWNER         BATCH_NAME      SUBMITTED   DONE   RUN    IDLE  TOTAL JOB_IDS\n"
        "sanju.timsina ID: 14994430   8/26 11:53      _      _      1      1 14994430.0\n"
        "\n" + totals((1, 0, 0, 0, 0, 0)))


def test_batch_groups_named_batches_and_counts(H, spool_env, sp):
    c1 = H.submit(sp, 3, owner="bob")                         # ID: 1, procs 0-2
    c2 = H.submit(sp, 2, owner="bob", JobBatchName='"sweep"')
    c3 = H.submit(sp, 1, owner="bob", JobBatchName='"sweep"')
    sp.update({(c1, 1): {"JobStatus": "5"}, (c1, 2): {"JobStatus": "2"}})
    assert (c1, c2, c3) == (1, 2, 3)
    assert q(spool_env) == (
        TITLE +
        "OWNER    BATCH_NAME    SUBMITTED   DONE   RUN    IDLE   HOLD  TOTAL JOB_IDS\n"
        "bob      ID: 1        8/26 11:53      _      1      1      1      3 1.0-2\n"
        "bob      sweep        8/26 11:53      _      _      3      _      3 2.0 ... 3.0\n"
        "\n" + totals((4, 1, 0, 0, 1, 0)))


def test_batch_owner_column_min_width_and_done(H, spool_env, sp):
    c = H.submit(sp, 3, owner="al")
    # two procs left the queue: DONE counts TotalSubmitProcs minus procs present
    sp.move_to_history([(c, 0), (c, 1)])
    assert q(spool_env) == (
        TITLE +
        "OWNER    BATCH_NAME    SUBMITTED   DONE   RUN    IDLE  TOTAL JOB_IDS\n"
        "al       ID: 1        8/26 11:53      2      _      1      3 1.2\n"
        "\n" + totals((1, 0, 0, 0, 0, 0)))


def test_nobatch(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice")
    sp.update({(c, 1): {"JobStatus": "5"}})
    assert q(spool_env, "-nobatch") == (
        TITLE +
        " ID      OWNER            SUBMITTED     RUN_TIME ST PRI SIZE CMD\n"
        "   1.0   alice           8/26 11:53   0+00:00:00 I  0    0.0 job.sh 10\n"
        "   1.1   alice           8/26 11:53   0+00:00:00 H  0    0.0 job.sh 10\n"
        "\n" + totals((1, 0, 0, 0, 1, 0)))


def test_nobatch_wide_cluster_and_memory(H, spool_env, sp):
    # a 5-digit cluster widens the ID column (fixup_std_column_widths)
    sp.submit(35106, {"Owner": '"yesw2000"', "QDate": "1785676320", "JobUniverse": "5",
                      "Cmd": '"/home/y/Exam_JetsPlot"', "JobPrio": "0", "ImageSize": "300",
                      "RemoteUserCpu": "0.0"}, [{"ProcId": "0"}], user="root")
    out = q(spool_env, "-nobatch")
    assert out.splitlines()[3] == " ID       OWNER            SUBMITTED     RUN_TIME ST PRI SIZE CMD"
    assert out.splitlines()[4] == "35106.0   yesw2000        8/2  13:12   0+00:00:00 I  0    0.3 Exam_JetsPlot"


def test_run_view_has_no_totals(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice", JobUniverse="9", GridResource='"deltacloud http://h/api"',
               ShadowBday=str(H.QDATE))
    sp.update({(c, 0): {"JobStatus": "2"}})
    out = H.run(spool_env, "condor_q", "-run").stdout
    lines = H.body(out).splitlines()
    assert lines[3] == " ID      OWNER            SUBMITTED     RUN_TIME HOST(S)"
    assert lines[4].startswith("   1.0   alice           8/26 11:53 ")
    assert lines[4].endswith(" deltacloud http://h/api")
    assert len(lines) == 5          # no summary with -run


def test_hold_view(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice")
    r = H.run(spool_env, "condor_hold", "-reason", "too hot", "%d.1" % c)
    assert r.returncode == 0 and r.stdout == "Job 1.1 held\n"
    sp.update({(c, 1): {"EnteredCurrentStatus": str(H.QDATE)}})
    assert q(spool_env, "-hold") == (
        TITLE +
        " ID      OWNER          HELD_SINCE  HOLD_REASON\n"
        "   1.1   alice           8/26 11:53 too hot (by user root)\n"
        "\n" + totals((0, 0, 0, 0, 1, 0), (1, 0, 0, 0, 1, 0)))


def test_totals(H, spool_env, sp):
    H.submit(sp, 3, owner="alice")
    assert q(spool_env, "-totals") == TITLE + totals((3, 0, 0, 0, 0, 0))


def test_only_my_jobs_and_my_line(H, spool_env, sp):
    spool_env = dict(spool_env, _CONDOR_QUEUE_SUPER_USERS="condor")
    H.submit(sp, 1, owner="root")
    H.submit(sp, 2, owner="other")
    out = q(spool_env)
    assert "ID: 1 " in out and "ID: 2" not in out
    assert out.endswith(totals((1, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0),
                               me=("root@example.org", (1, 0, 0, 0, 0, 0))))
    # -allusers / an owner name / a job id lift the restriction, and drop the "me" line
    for args in (["-allusers"], ["other"], ["2"]):
        out = q(spool_env, *args)
        assert "ID: 2" in out and "Total for root@" not in out


def test_restrictions(H, spool_env, sp):
    H.submit(sp, 2, owner="alice")
    H.submit(sp, 2, owner="bob")
    af = lambda *a: q(spool_env, *a, "-af", "ClusterId", "ProcId")  # noqa: E731
    assert af("2") == "2 0\n2 1\n"
    assert af("1.1") == "1 1\n"
    assert af("bob") == "2 0\n2 1\n"
    assert af("alice", "2.0") == ""          # owner AND id groups
    assert af("-constraint", 'Owner == "alice" && ProcId > 0') == "1 1\n"
    assert af("-limit", "3") == "1 0\n1 1\n2 0\n"


def test_autoformat_options(H, spool_env, sp):
    H.submit(sp, 2, owner="alice", Rank="2.5")
    assert q(spool_env, "-af", "ClusterId", "Owner", "Rank", "Missing", "Rank * 2") == (
        "1 alice 2.5 undefined 5.0\n1 alice 2.5 undefined 5.0\n")
    assert q(spool_env, "-af:V", "Owner") == '"alice"\n"alice"\n'
    assert q(spool_env, "-af:j", "Owner") == "1.0 alice\n1.1 alice\n"
    assert q(spool_env, "-af:l", "Owner", "ProcId") == (
        "Owner = alice ProcId = 0\nOwner = alice ProcId = 1\n")
    assert q(spool_env, "-af:,", "Owner", "ProcId") == "alice, 0\nalice, 1\n"
    assert q(spool_env, "-af:t", "Owner", "ProcId") == "alice\t0\nalice\t1\n"
    assert q(spool_env, "-af:r", "RequestMemory") == (
        "ifthenelse(MemoryUsage =!= undefined,MemoryUsage,(ImageSize + 1023) / 1024)\n" * 2)
    assert q(spool_env, "-af:h", "Owner", "ProcId") == (
        "Owner ProcId\nalice 0     \nalice 1     \n")
    assert q(spool_env, "-af:lrng", "ProcId", "Owner") == (
        "\nProcId = 0\nOwner = \"alice\"\n\nProcId = 1\nOwner = \"alice\"\n")


def test_format(H, spool_env, sp):
    H.submit(sp, 2, owner="alice")
    assert q(spool_env, "-format", "%d.", "ClusterId", "-format", "%d\\n", "ProcId") == "1.0\n1.1\n"
    # a missing attribute, or a value of the wrong type, prints nothing for that item
    assert q(spool_env, "-format", "x=%d ", "Missing", "-format", "%s\\n", "Owner") == (
        "alice\nalice\n")
    assert q(spool_env, "-format", "%d ", "Owner", "-format", "%v\\n", "JobPrio") == "0\n0\n"
    # ...but %v prints a missing attribute as undefined, as -af does
    assert q(spool_env, "-format", "[%v]", "Missing", "-format", "%s\\n", "Owner") == (
        "[undefined]alice\n" * 2)


def test_long_is_sorted_and_private_attributes_hidden(H, spool_env, sp):
    H.submit(sp, 1, owner="alice", DeltacloudPassword='"s3cret"', zeta="1", Alpha='"a"')
    out = q(spool_env, "-long")
    assert "s3cret" not in out and "DeltacloudPassword" not in out
    lines = out.split("\n")
    assert lines[-2:] == ["", ""]          # each ad ends with a blank line
    names = [ln.split(" = ")[0] for ln in lines if ln]
    assert names == sorted(names, key=str.lower)
    assert "ServerTime" in names
    for args in (["-json"], ["-xml"], ["-af", "DeltacloudPassword"],
                 ["-format", "%s", "DeltacloudPassword"]):
        assert "s3cret" not in q(spool_env, *args)


def _oracle(code, stdin):
    """Run code in a fresh interpreter with the real classad2 (strict, no htcondor2)."""
    r = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True,
                       timeout=120, env={"CONDOR_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_long_output_reads_with_classad2(H, spool_env, sp):
    H.submit(sp, 3, owner="alice", Rank="0.0", Env='"a=\\"b\\" c"', Lst="{ 1,2.5,\"x\" }",
           Nested="[ a = 1; b = \"x\" ]")
    out = q(spool_env, "-long")
    got = _oracle("import sys, classad2, json\n"
                  "ads = list(classad2.parseAds(sys.stdin.read()))\n"
                  "print(json.dumps([[a['ProcId'], a['Owner'], a['Rank'], a['Env'], a['Lst'],"
                  " str(a.lookup('RequestMemory'))] for a in ads]))", out)
    ads = json.loads(got)
    assert [a[0] for a in ads] == [0, 1, 2]
    assert ads[0][1:5] == ["alice", 0.0, 'a="b" c', [1, 2.5, "x"]]
    assert ads[0][5] == "ifthenelse(MemoryUsage isnt undefined,MemoryUsage,(ImageSize + 1023) / 1024)"


def test_json_shape_matches_classad2(H, spool_env, sp):
    H.submit(sp, 2, owner="alice", Rank="2.5", Lst="{ 1,\"x\" }", Flag="true", U="undefined")
    out = q(spool_env, "-json")
    assert out.startswith("[\n{\n") and out.endswith("}\n]\n") and "},\n{\n" in out
    ours = json.loads(out)
    assert len(ours) == 2
    # classad2 prints the same ad (from our -long) with the same JSON unparser rules
    longout = q(spool_env, "-long")
    servertime = [ln for ln in longout.splitlines() if ln.startswith("ServerTime = ")]
    for ad in ours:
        ad["ServerTime"] = int(servertime[0].split(" = ")[1])
    out = "\n".join(ln if not ln.startswith('  "ServerTime"') else
                    '  "ServerTime": %d,' % ours[0]["ServerTime"] for ln in out.splitlines())
    ref = _oracle("import sys, classad2\n"
                  "ads = list(classad2.parseAds(sys.stdin.read()))\n"
                  "print('[\\n' + ',\\n'.join(a.printJson().rstrip('\\n') for a in ads) + '\\n]')",
                  longout)
    assert json.loads(ref) == ours
    # each attribute line looks like classad2's: 2-space indent, "Name": value
    ref_lines = {ln.rstrip(",") for ln in ref.splitlines() if ln.startswith('  "')}
    our_lines = {ln.rstrip(",") for ln in out.splitlines() if ln.startswith('  "')}
    assert our_lines == ref_lines


def test_xml(H, spool_env, sp):
    H.submit(sp, 1, owner="alice", Rank="2.5", Flag="true")
    out = q(spool_env, "-xml", "-attributes", "ClusterId,Owner,Rank,Flag,RequestMemory")
    assert out == ('<?xml version="1.0"?>\n<!DOCTYPE classads SYSTEM "classads.dtd">\n<classads>\n'
                   '<c>\n'
                   '    <a n="ClusterId"><i>1</i></a>\n'
                   '    <a n="Flag"><b v="t"/></a>\n'
                   '    <a n="Owner"><s>alice</s></a>\n'
                   '    <a n="Rank"><r>2.500000000000000E+00</r></a>\n'
                   '    <a n="RequestMemory"><e>ifthenelse(MemoryUsage =!= undefined,MemoryUsage,'
                   '(ImageSize + 1023) / 1024)</e></a>\n'
                   '</c>\n</classads>\n')
    empty = q(spool_env, "-xml", "99")
    assert empty == ('<?xml version="1.0"?>\n<!DOCTYPE classads SYSTEM "classads.dtd">\n'
                     '<classads>\n</classads>\n')
    assert q(spool_env, "-json", "99") == ""


@pytest.mark.parametrize("args,err", [
    (["-constraint"], "Error: -constraint requires another parameter\n"),
    (["-constraint", "ClusterId =="], "Error: Argument 2 (ClusterId ==) is not a valid constraint\n"),
    (["-limit", "x"], "Error: Unable to convert (x) to a number for -limit.\n"),
    (["-limit", "0"], "Error: 0 is not a valid for -limit.\n"),
    (["-af"], "Error: -autoformat requires at least one attribute parameter\n"),
    (["-format", "%d"], "Error: -format requires format and attribute parameters\n"),
    (["-json", "-xml"], "Error: Cannot print as both XML and JSON\n"),
])
def test_errors(H, spool_env, args, err):
    r = H.run(spool_env, "condor_q", *args)
    assert r.returncode == 1 and r.stderr == err and "Traceback" not in r.stderr


def test_unknown_option_and_incompatible(H, spool_env):
    r = H.run(spool_env, "condor_q", "-bogus")
    assert r.returncode == 1 and r.stderr == "Error: unrecognized argument -bogus\n"
    assert r.stdout.startswith("Usage: condor_q")
    r = H.run(spool_env, "condor_q", "-run", "-hold")
    assert r.returncode == 1 and r.stderr == "-run and -hold/held or -idle are incompatible\n"


def test_grid_view(H, spool_env, sp):
    c = H.submit(sp, 2, owner="alice", JobUniverse="9",
                 GridResource='"deltacloud http://127.0.0.1:3002/api"')
    H.submit(sp, 1, owner="alice")                       # not a grid job: not shown
    sp.update({(c, 0): {"GridJobId": '"deltacloud job_1_0 inst-42"',
                        "GridJobStatus": '"RUNNING"'}})
    assert q(spool_env, "-grid") == (
        TITLE +
        " ID      OWNER          STATUS     GRID->MANAGER    HOST       GRID_JOB_ID\n"
        "   1.0   alice          RUNNING    deltacloud->[?] 127.0.0.1   inst-42\n"
        "   1.1   alice                     deltacloud->[?] 127.0.0.1\n")


def test_idle_view(H, spool_env, sp):
    H.submit(sp, 1, owner="alice", RequestCpus="1", NumShadowStarts="undefined")
    assert q(spool_env, "-idle") == (
        TITLE +
        " ID      OWNER          UNIVERSE  CPUS MEMORY STARTS LAST_HOST\n"
        "   1.0   alice          Vanilla    1      1      0\n")


def test_better_analyze(H, spool_env, sp):
    H.submit(sp, 1, owner="alice", Requirements='hardwareprofile == "large"')
    out = q(spool_env, "-better-analyze", "1.0")
    assert out.startswith("\n\n-- Schedd: testschedd.example.org : <127.0.0.1:9618?...\n"
                          "The Requirements expression for job 1.000")
