"""The new commands against what HTCondor's print for the same case (qedit.cpp,
wait.cpp, tool.cpp, classad_eval's man page, condor_q's -dag layout)."""


import pytest


def submit(run, n=3, extra=""):
    with open("job.sub", "w") as f:
        f.write("executable = /bin/true\narguments = $(Process)\nlog = job.log\n%squeue %d\n"
                % (extra, n))
    r = run("condor_submit", "job.sub")
    assert r.returncode == 0, r.stderr


def q_af(run, *args):
    r = run("condor_q", "-af", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---------------------------------------------------------------- condor_qedit

def test_qedit_job_and_cluster_and_both_edit_forms(run):
    submit(run)
    r = run("condor_qedit", "1.1", "Answer", "42")
    assert (r.returncode, r.stdout, r.stderr) == (0, 'Set attribute "Answer".\n', "")
    r = run("condor_qedit", "1", "In=\"myinput\"", "OnExitRemove=FALSE")
    assert r.stdout == 'Set attribute "In".\nSet attribute "OnExitRemove".\n'
    assert q_af(run, "ProcId", "Answer", "In") == "0 undefined myinput\n1 42 myinput\n2 undefined myinput\n"


def test_qedit_constraint_and_owner(run):
    submit(run)
    me = run("condor_q", "-af", "Owner").stdout.split()[0]
    r = run("condor_qedit", "-constraint", "ProcId >= 1", "Tag", '"late"')
    assert r.returncode == 0 and r.stdout == 'Set attribute "Tag".\n'
    r = run("condor_qedit", me, "Who", '"owner"')
    assert r.returncode == 0
    assert q_af(run, "Tag", "Who") == 'undefined owner\nlate owner\nlate owner\n'


@pytest.mark.parametrize("attr", ["Owner", "ClusterId", "ProcId", "MyType", "TargetType",
                                  "JobStatus", "jobstatus"])
def test_qedit_protected_attributes(run, attr):
    submit(run, 1)
    r = run("condor_qedit", "1.0", attr, "5")
    assert r.returncode == 1
    assert r.stderr == ('Update of attribute "%s" is not allowed.\n'
                        "Transaction failed.  No attributes were set.\n" % attr)


def test_qedit_bad_name_value_and_missing_job(run):
    submit(run, 1)
    r = run("condor_qedit", "1.0", "Bad-Name", "1")
    assert r.stderr == ('Update aborted, illegal attribute-name specified for attribute '
                        '"Bad-Name".\nTransaction failed.  No attributes were set.\n')
    r = run("condor_qedit", "1.0", "Good", "(((")
    assert r.stderr == ('Update aborted, illegal attribute-value specified for attribute '
                        '"Good".\nTransaction failed.  No attributes were set.\n')
    r = run("condor_qedit", "1.0", "A", "1", "B", "(")       # all or nothing
    assert r.returncode == 1 and q_af(run, "A") == "undefined\n"
    r = run("condor_qedit", "7.0", "A", "1")
    assert (r.returncode, r.stderr) == (1, 'Failed to set attribute "A" for job 7.0.\n'
                                           "Transaction failed.  No attributes were set.\n")
    r = run("condor_qedit", "0", "A", "1")
    assert (r.returncode, r.stderr) == (1, "Invalid cluster # from 0.\n")


def test_qedit_usage(run):
    for args in ([], ["1.0"], ["1.0", "A"]):
        r = run("condor_qedit", *args)
        assert r.returncode == 1 and r.stderr.startswith("Usage: condor_qedit [-debug] [-n ")


def test_qedit_forward_and_negative_values(run):
    submit(run, 1)
    r = run("condor_qedit", "-forward", "1.0", "Offset", "-1")
    assert r.returncode == 0, r.stderr
    assert q_af(run, "Offset") == "-1\n"


# ---------------------------------------------------------------- condor_wait

def test_wait_all_done(run):
    submit(run, 2)
    assert run("condor_rm", "1").returncode == 0
    r = run("condor_wait", "job.log")
    assert (r.returncode, r.stdout) == (0, "All jobs done.\n")
    r = run("condor_wait", "-status", "job.log", "1.1")
    assert r.stdout == "1.1.0 submitted\n1.1.0 aborted\nAll jobs done.\n"


def test_wait_num_time_expired_and_unknown_job(run):
    submit(run, 2)
    run("condor_rm", "1.0")
    r = run("condor_wait", "-num", "1", "job.log")
    assert (r.returncode, r.stdout) == (0, "Specifed number of jobs (1) done.\n")
    r = run("condor_wait", "-wait", "1", "job.log")
    assert (r.returncode, r.stdout) == (1, "Time expired.\n")
    r = run("condor_wait", "-wait", "1", "job.log", "5")
    assert (r.returncode, r.stderr) == (1, "This log does not mention that job!\n")
    r = run("condor_wait", "-wait", "0", "job.log")          # read to the end, then exit 0
    assert r.returncode == 0


def test_wait_errors(run):
    r = run("condor_wait", "nonexistent.log")
    assert (r.returncode, r.stderr) == (1, "Couldn't open nonexistent.log: No such file or "
                                           "directory\n")
    r = run("condor_wait", "-num", "0", "x.log")
    assert r.returncode == 1 and r.stderr.startswith("-num must be greater than zero\n\nUse: ")
    r = run("condor_wait", "a", "b", "c")
    assert r.returncode == 1 and r.stderr.startswith("Extra argument: c\n\n\nUse: ")
    r = run("condor_wait", "job.log", "x.y")
    assert (r.returncode, r.stderr) == (1, "Couldn't understand job number: x.y\n")
    r = run("condor_wait", "-version")
    assert r.returncode == 1 and r.stdout.startswith("$CondorVersion: 24.12.24 ")


# ---------------------------------------------------------------- classad_eval

def test_classad_eval_man_page_examples(run):
    r = run("classad_eval", "x = y", "x", "y = 7", "x", '[ x = 6; z = "foo"; ]', "x")
    # The man page's ads print in its build's hash order; classad2 (24.12) and
    # we print them in insertion order.
    assert r.stdout == ('[ x = y ]\nundefined\n[ x = y; y = 7 ]\n7\n'
                        '[ x = 6; y = 7; z = "foo" ]\n6\n')
    r = run("classad_eval", "x = y", "x", "-quiet", "y = 7", "x", '[ x = 6; z = "foo"; ]', "x")
    assert r.stdout == "[ x = y ]\nundefined\n7\n6\n"
    assert run("classad_eval", "a=2", "a*2").stdout == "[ a = 2 ]\n4\n"
    assert run("classad_eval", 'strcat("foo", "bar")').stdout == '"foobar"\n'


def test_classad_eval_files_and_exit_codes(run):
    with open("job.ad", "w") as f:
        f.write('JobUniverse = 5\nRequirements = TARGET.Memory > 100\n')
    with open("slot.ad", "w") as f:
        f.write('[ Memory = 512; Requirements = true ]\n')
    r = run("classad_eval", "-quiet", "-file", "job.ad", "JobUniverse")
    assert (r.returncode, r.stdout) == (0, "5\n")
    r = run("classad_eval", "-quiet", "-my-file", "job.ad", "-target-file", "slot.ad",
            "MY.requirements", "TARGET.requirements")
    assert r.stdout == "true\ntrue\n"
    assert run("classad_eval", "-nonsense").returncode == 255
    r = run("classad_eval", "a = (")
    assert r.returncode == 1 and r.stderr.strip()
    assert run("classad_eval", "-file", "missing.ad", "1").returncode == 1


# ---------------------------------------------------------------- the daemon commands

def test_on_restart_reschedule_off(run):
    r = run("condor_reschedule")
    assert r.returncode == 1 and r.stderr.startswith("Can't find address for local schedd\n")
    r = run("condor_on")
    assert (r.returncode, r.stdout) == (0, 'Sent "Spawn-All-Daemons" command to local master\n')
    try:
        r = run("condor_reschedule")
        assert (r.returncode, r.stdout) == (0, 'Sent "Reschedule" command to local schedd\n')
        r = run("condor_restart", "-schedd")
        assert (r.returncode, r.stdout) == (0, 'Sent "Restart" command for "schedd" to local '
                                               'master\n')
        r = run("condor_on", "-daemon", "startd")
        assert r.returncode == 1 and "not a daemon of pycondorlite" in r.stderr
    finally:
        r = run("condor_off")
    assert (r.returncode, r.stdout) == (0, 'Sent "Kill-All-Daemons" command to local master\n')
    r = run("condor_off")
    assert r.returncode == 1 and r.stderr.startswith("Can't find address for local master")


# ---------------------------------------------------------------- condor_q additions

def test_q_limit_does_not_count_unseen_procs_as_done(run):
    submit(run, 3)
    out = run("condor_q", "-limit", "1").stdout
    row = [ln for ln in out.splitlines() if "ID: 1" in ln][0]
    # DONE is not known when the query saw part of the cluster: "_", not 2
    assert row.split()[5:10] == ["_", "_", "1", "3", "1.0"], row


def test_q_dag_nobatch_puts_nodes_under_their_dagman(run, env):
    from pycondorlite.spool import Spool
    sp = Spool.open()
    base = {"Owner": '"alice"', "QDate": "1787745229", "Cmd": '"/usr/bin/condor_dagman"',
            "JobPrio": "0", "ImageSize": "0"}
    sp.submit(sp.reserve_cluster_id(), dict(base, JobUniverse="7"), [{"ProcId": "0"}], user="root")
    node = dict(base, Cmd='"/bin/job.sh"', JobUniverse="5", DAGManJobId="1")
    sp.submit(sp.reserve_cluster_id(), dict(node, DAGNodeName='"A"'), [{"ProcId": "0"}], user="root")
    sp.submit(sp.reserve_cluster_id(), {"Owner": '"bob"', "QDate": "1787745229", "JobUniverse": "5",
                                        "Cmd": '"/bin/other"'}, [{"ProcId": "0"}], user="root")
    sp.submit(sp.reserve_cluster_id(), dict(node, DAGNodeName='"B"'), [{"ProcId": "0"}], user="root")
    sp.close()
    lines = run("condor_q", "-dag", "-nobatch", "-allusers").stdout.splitlines()
    rows = [ln for ln in lines if ln[:1] == " " and "." in ln[:9] or ln.startswith(" ID")]
    assert rows[0].startswith(" ID      OWNER/NODENAME   SUBMITTED")
    assert [r.split()[0:2] for r in rows[1:]] == [["1.0", "alice"], ["2.0", "|-A"],
                                                  ["4.0", "|-B"], ["3.0", "bob"]]
    assert rows[2][9:13] == " |-A"


def test_q_print_format_file(run):
    submit(run, 2)
    run("condor_hold", "1.1")
    with open("fmt.cpf", "w") as f:
        f.write('# id and status\nSELECT NOTITLE\n  ClusterId AS " ID" WIDTH 5\n'
                '  ProcId AS PROC WIDTH -4\n  JobStatus AS ST PRINTAS JOB_STATUS\n'
                '  Args AS ARGS\nWHERE JobStatus == 5\nSUMMARY NONE\n')
    r = run("condor_q", "-print-format", "fmt.cpf")
    assert (r.returncode, r.stdout) == (0, " ID   PROC ST ARGS\n    1 1    H  1\n")
    with open("bad.cpf", "w") as f:
        f.write("SELECT\n  Owner PRINTAS NO_SUCH_FUNCTION\n")
    r = run("condor_q", "-print-format", "bad.cpf")
    assert r.returncode == 1 and "line 2 of bad.cpf" in r.stderr


# ---------------------------------------------------------------- the shared parser

def test_parser_prefixes_and_help_version(run):
    submit(run, 1)
    for spelling in ("-constraint", "-const", "-c", "--constraint"):
        r = run("condor_q", "-af", "ProcId", spelling, "ProcId == 0")
        assert r.stdout == "0\n", spelling
    # after a doubled dash the whole name or nothing (match_prefix.cpp)
    r = run("condor_q", "-af", "ProcId", "--const", "ProcId == 0")
    assert (r.returncode, r.stderr.splitlines()[0]) == (1, "Error: unrecognized argument --const")
    for cmd in ("condor_q", "condor_rm", "condor_history", "condor_status", "condor_qedit",
                "condor_on", "condor_off", "condor_reschedule", "condor_restart",
                "condor_config_val", "condor_advertise"):
        r = run(cmd, "-version")
        assert r.returncode == 0 and r.stdout.startswith("$CondorVersion: 24.12.24 "), cmd
        r = run(cmd, "-help")
        assert r.returncode == 0 and "sage" in (r.stdout + r.stderr), cmd


def test_option_tables_have_no_hidden_options():
    """No option of a table is unreachable through its documented shortest
    prefix because an earlier one takes it."""
    from pycondorlite import cmdline
    from pycondorlite.cli import (classad_eval, condor_history, condor_q, condor_qedit,
                                  condor_status, condor_submit, condor_watch_q)
    for p in (condor_q.PARSER, condor_history.PARSER, condor_status.PARSER, condor_qedit.PARSER,
              condor_submit.PARSER, cmdline.Parser("condor_watch_q", condor_watch_q.OPTIONS),
              cmdline.Parser("classad_eval", classad_eval.OPTIONS)):
        clashes = [c for c in cmdline.ambiguous(p)
                   if c[1] not in ("analyse", "better-analyse", "nobackwards")]
        assert clashes == [], (p.prog, clashes)


def test_job_ids_past_a_c_int_are_refused(run):
    submit(run, 1)
    r = run("condor_rm", "99999999999999999999")
    assert (r.returncode, r.stderr.splitlines()[0]) == (1, "Invalid cluster # from "
                                                           "99999999999999999999.")
    r = run("condor_q", "99999999999999999999")
    assert r.returncode == 1 and "Traceback" not in r.stderr
