"""condor_submit end to end: output, options, errors, the spool after each."""

import io
import re
import os
import sqlite3
import sys

import pytest

from pycondorlite import config
from pycondorlite.cli import condor_submit


@pytest.fixture
def env(tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setenv("_CONDOR_SPOOL", str(spool))
    monkeypatch.setenv("_CONDOR_LOG", str(tmp_path / "log"))
    monkeypatch.chdir(tmp_path)
    config.reload()
    (tmp_path / "job.sh").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "job.sh").chmod(0o755)
    return tmp_path


def run(capsys, monkeypatch, args, stdin=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    rc = condor_submit.main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def spool_dump(env):
    """Every row of the spool database (or None before it exists)."""
    db = env / "spool"
    files = list(db.glob("*.db")) + list(db.glob("*.sqlite*"))
    files = [f for f in files if not f.name.endswith(("-wal", "-shm"))]
    if not files:
        return None
    conn = sqlite3.connect(files[0])
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def jobs_in_spool():
    from pycondorlite.spool import Spool
    with Spool.open() as sp:
        return [(j, sp.job_ad(*j)) for j in sp.job_ids()]


def write(env, name, text):
    p = env / name
    p.write_text(text)
    return name


def test_submit_prints_banner_dots_and_count(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\noutput = out.$(Process)\nqueue 3\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert (rc, err) == (0, "")
    assert out == "Submitting job(s)...\n3 job(s) submitted to cluster 1.\n"
    jobs = jobs_in_spool()
    assert [j for j, _ in jobs] == [(1, 0), (1, 1), (1, 2)]
    assert jobs[2][1]["Out"] == '"out.2"'
    assert jobs[0][1]["Cmd"] == f'"{env}/job.sh"'
    assert jobs[0][1]["Owner"] == f'"{config.current_user()}"'


def test_second_submit_gets_next_cluster_and_terse(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue 2\n")
    assert run(capsys, monkeypatch, [f])[0] == 0
    rc, out, err = run(capsys, monkeypatch, ["-terse", f])
    assert (rc, out, err) == (0, "2.0 - 2.1\n", "")


def test_verbose_prints_sorted_ads_and_no_count(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\n+Zed = 1\nqueue 2\n")
    rc, out, err = run(capsys, monkeypatch, ["-verbose", f])
    assert rc == 0
    assert out.startswith("Submitting job(s)\n** Proc 1.0:\n")
    assert "\n** Proc 1.1:\n" in out
    assert "job(s) submitted" not in out
    block = out.split("** Proc 1.0:\n")[1].split("\n\n")[0].splitlines()
    names = [ln.split(" = ")[0] for ln in block]
    assert names == sorted(names)
    assert "Zed = 1" in block


def test_stdin_implies_verbose(env, capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, ["-"], stdin="executable = job.sh\nqueue\n")
    assert rc == 0
    assert out.startswith("\n** Proc 1.0:\n")
    assert "Submitting" not in out


def test_dry_run_writes_ads_and_leaves_spool_alone(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\narguments = $(Item)\nqueue in (a, b)\n")
    rc, out, err = run(capsys, monkeypatch, ["-dry-run", "ads.txt", f])
    assert (rc, err) == (0, "")
    assert out == "Dry-Run job(s)..\n2 job(s) dry-run to cluster 1.\n"
    text = (env / "ads.txt").read_text()
    assert "ClusterId=1\n" in text and "ProcId=1\nJobStatus=1\nArgs=\"b\"\n" in text
    assert spool_dump(env) is None


def test_append_queue_batch_name_and_key_value(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\narguments = $(x)\n")
    rc, out, err = run(capsys, monkeypatch,
                       ["-a", "output = o.$(Process)", "-batch-name", "nightly", "x=42",
                        "+Extra=7", f, "-queue", "2"])
    assert (rc, err) == (0, ""), err
    assert out.endswith("2 job(s) submitted to cluster 1.\n")
    ad = dict(jobs_in_spool())[(1, 1)]
    assert ad["Out"] == '"o.1"'
    assert ad["JobBatchName"] == '"nightly"'
    assert ad["Args"] == '"42"'
    assert ad["Extra"] == "7"


def test_queue_option_conflicts_with_queue_statement(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f, "-queue", "2"])
    assert rc == 1
    assert "-queue argument conflicts with queue statement in submit file" in err


def test_multiple_queue_statements_continue_proc_ids(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\narguments = one\nqueue\narguments = two\nqueue 2\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 0 and out.endswith("3 job(s) submitted to cluster 1.\n")
    ads = dict(jobs_in_spool())
    assert [ads[(1, p)]["Args"] for p in range(3)] == ['"one"', '"two"', '"two"']


def test_empty_item_list_queues_nothing(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue x in ()\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 0
    assert 'WARNING: "a.sub" has only empty "queue" commands -- no jobs queued' in err
    assert spool_dump(env) is None


def test_reference_deltacloud_example(env, capsys, monkeypatch):
    example = "/work/shared/examples/deltacloud_job.sub"
    if not os.path.exists(example):
        example = write(env, "dc.sub", DELTACLOUD_EXAMPLE)
    rc, out, err = run(capsys, monkeypatch, [example])
    assert (rc, err) == (0, "")
    assert out == "Submitting job(s).\n1 job(s) submitted to cluster 1.\n"
    ad = dict(jobs_in_spool())[(1, 0)]
    expect = {
        "JobUniverse": "9", "Cmd": '"job_name"', "TransferExecutable": "false",
        "JobNotification": "0",
        "Requirements": '(hardwareprofile == "large" && image == "fedora13")',
        "GridResource": '"deltacloud $$(provider_url)"',
        "Matched": "false", "CurrentHosts": "0", "MaxHosts": "1", "WantClaiming": "false",
        "DeltacloudUsername": '"$$(username)"', "DeltacloudPassword": '"$$(password)"',
        "DeltacloudImageId": '"$$(image_key)"',
        "DeltacloudHardwareProfile": '"$$(hardwareprofile_key)"',
        "DeltacloudKeyname": '"$$(keypair)"', "JobStatus": "1",
    }
    for k, v in expect.items():
        assert ad.get(k) == v, k


DELTACLOUD_EXAMPLE = """universe = grid
executable = job_name
notification = never
requirements = hardwareprofile == "large" && image == "fedora13"
grid_resource = deltacloud $$(provider_url)
DeltacloudUsername = $$(username)
DeltacloudPassword = $$(password)
DeltacloudImageId = $$(image_key)
DeltacloudHardwareProfile = $$(hardwareprofile_key)
DeltacloudKeyname = $$(keypair)
queue
"""


def test_deltacloud_submit_commands_and_secret_never_printed(env, capsys, monkeypatch):
    (env / "pw").write_text("s3cret\n")
    f = write(env, "dc.sub", """universe = grid
executable = vm
grid_resource = deltacloud http://localhost:3002/api
deltacloud_username = bob
deltacloud_password = TopSecretValue
deltacloud_image_id = ami-1
deltacloud_instance_name = inst
deltacloud_realm_id = us-east-1a
deltacloud_hardware_profile = m1.large
deltacloud_hardware_profile_memory = 7680
deltacloud_hardware_profile_cpu = 2
deltacloud_hardware_profile_storage = 850
deltacloud_keyname = kp
deltacloud_user_data = hello
queue
""")
    rc, out, err = run(capsys, monkeypatch, ["-verbose", f])
    assert rc == 0
    assert "TopSecretValue" not in out + err
    ad = dict(jobs_in_spool())[(1, 0)]
    for attr, val in (("DeltacloudUsername", "bob"), ("DeltacloudImageId", "ami-1"),
                      ("DeltacloudInstanceName", "inst"), ("DeltacloudRealmId", "us-east-1a"),
                      ("DeltacloudHardwareProfile", "m1.large"),
                      ("DeltacloudHardwareProfileMemory", "7680"),
                      ("DeltacloudHardwareProfileCpu", "2"),
                      ("DeltacloudHardwareProfileStorage", "850"),
                      ("DeltacloudKeyname", "kp"), ("DeltacloudUserData", "hello"),
                      ("GridResource", "deltacloud http://localhost:3002/api")):
        assert ad[attr] == f'"{val}"', attr
    assert "Matched" not in ad      # no $$ in grid_resource: no matchmaking
    assert ad["Requirements"] == "true"
    rc, out, err = run(capsys, monkeypatch, ["-dry-run", "-", f])
    assert rc == 0 and "TopSecretValue" not in out


def test_deltacloud_password_file_is_made_absolute(env, capsys, monkeypatch):
    (env / "pw").write_text("s3cret\n")
    f = write(env, "dc.sub", "universe = grid\nexecutable = vm\n"
              "grid_resource = deltacloud http://h/api\ndeltacloud_username = u\n"
              "deltacloud_password_file = pw\ndeltacloud_image_id = i\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 0, err
    assert dict(jobs_in_spool())[(1, 0)]["DeltacloudPasswordFile"] == f'"{env}/pw"'


DC = "universe = grid\nexecutable = vm\ngrid_resource = deltacloud http://h/api\n"

# (submit text, exact stderr) -- HTCondor's wording; the file is bad.sub
MALFORMED = [
    ("executable = job.sh\nelse\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: else without matching if\n"
     "\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nendif\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: endif without matching if\n"
     "\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nif true\nqueue\n",
     "\nERROR: on Line 3 of bad.sub: endif(s) not found before end-of-file\n"
     "\nERROR: Failed to parse command file (line 3).\n"),
    ("executable = job.sh\nif foo bar\nendif\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: foo bar is not a valid if condition because complex "
     "conditionals are not supported\n\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nif abc\nendif\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: abc is not a valid if condition because expression "
     "is not a conditional\n\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nfoo bar\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: \n\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nqueue 2 foo bar baz\n",
     "\nERROR: on Line 2 of bad.sub: Invalid Queue count expression\n"
     "\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nqueue -1\n",
     "\nERROR: on Line 2 of bad.sub: Queue count out of range\n"
     "\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nqueue x in (a b\n",
     "\nERROR: on Line 3 of bad.sub: Reached end of file without finding closing brace ')' "
     "for Queue command on line 2\n\nERROR: Failed to parse command file (line 3).\n"),
    ("executable = job.sh\n",
     '\nERROR: "bad.sub" doesn\'t contain any "queue" commands -- no jobs queued\n'),
    ("arguments = x\nqueue\n",
     "ERROR: No 'executable' parameter was provided\n"),
    ("executable = job.sh\nuniverse = bogus\nqueue\n",
     "ERROR: I don't know about the 'bogus' universe.\n"),
    ("executable = job.sh\n+Foo = bar baz\nqueue\n",
     "ERROR: Parse error in expression: \n\tFoo = bar baz\n\t\n"),
    ("executable = job.sh\n+Mem = $$(Memory)\nqueue\n",
     "ERROR: Parse error in expression: \n\tMem = $$(Memory)\n\t\n"),
    ("executable = job.sh\nuniverse = grid\nqueue\n",
     "ERROR: grid_resource attribute not defined for grid universe job\n"),
    ("executable = job.sh\nuniverse = grid\ngrid_resource = gt2 foo\nqueue\n",
     "ERROR: Invalid value 'gt2' for grid type\n"
     "Must be one of: condor, batch, arc, ec2, gce, azure, or deltacloud\n"),
    ("executable = job.sh\nnotification = bogus\nqueue\n",
     "ERROR: Notification must be 'Never', 'Always', 'Complete', 'Start', or 'Error'\n"),
    ("executable = job.sh\npriority = abc\nqueue\n",
     "ERROR: priority=abc is invalid, must eval to an integer.\n"),
    ("executable = job.sh\narguments = a b \"c d\"\nqueue\n",
     "ERROR: Found illegal unescaped double-quote: \"c d\"\n"
     "The full arguments you specified were: a b \"c d\"\n"),
    (DC + "deltacloud_password = p\ndeltacloud_image_id = i\nqueue\n",
     'ERROR: Deltacloud jobs require a "deltacloud_username" parameter\n'),
    (DC + "deltacloud_username = u\ndeltacloud_image_id = i\nqueue\n",
     'ERROR: Deltacloud jobs require a "deltacloud_password_file" parameter\n'),
    (DC + "DeltacloudUsername = $$(u)\nDeltacloudPassword = $$(p)\nqueue\n",
     'ERROR: Deltacloud jobs require a "deltacloud_image_id" or "deltacloud_instance_name" '
     "parameters\n"),
    (DC + "deltacloud_username = u\ndeltacloud_password_file = /no/such/pw\n"
          "deltacloud_image_id = i\nqueue\n",
     "ERROR: Failed to open password file /no/such/pw (No such file or directory)\n"),
    ("executable = job.sh\ninclude : /no/such/file.inc\nqueue\n",
     "\nERROR: on Line 2 of bad.sub: Error \"/no/such/file.inc\", Line 0, Include Depth 1: "
     "can't open file\n\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = job.sh\nqueue x from /no/such/rows\n",
     "\nERROR: on Line 2 of bad.sub: Failed to open file /no/such/rows (No such file or "
     "directory)\n\nERROR: Failed to parse command file (line 2).\n"),
    ("executable = no_such_exe\nqueue\n",
     "\nERROR: Can't access executable file {cwd}/no_such_exe: No such file or directory\n"),
]


@pytest.mark.parametrize("text,expected", MALFORMED)
def test_malformed_files_fail_like_htcondor(env, capsys, monkeypatch, text, expected):
    # a first good submit so that the spool exists and "unchanged" means something
    good = write(env, "good.sub", "executable = job.sh\nqueue\n")
    assert run(capsys, monkeypatch, [good])[0] == 0
    before = spool_dump(env)
    f = write(env, "bad.sub", text)
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 1
    assert err == expected.replace("{cwd}", str(env))
    assert "Traceback" not in err
    assert spool_dump(env) == before


ORACLE_CASES = [m for m in MALFORMED
                if "deltacloud" not in m[0] and "gt2" not in m[0] and "no_such" not in m[0]
                and "/no/such" not in m[0] and "queue" in m[0] and "endif(s)" not in m[1]]


@pytest.fixture(scope="module")
def oracle_errors(sub):
    reqs = {str(i): {"op": "error", "text": t} for i, (t, _) in enumerate(ORACLE_CASES)}
    res = sub.run_oracle(reqs)
    return [res[str(i)].get("error", "") for i in range(len(ORACLE_CASES))]


@pytest.mark.parametrize("index", range(len(ORACLE_CASES)))
def test_malformed_messages_are_htcondors(oracle_errors, index):
    """The message part of each error is what the oracle's submit code says."""
    msg = re.sub(r" on line -?\d+$", "", oracle_errors[index]).strip()
    if not msg:
        # HTCondor's message is empty too (a line that is no command): ours as well.
        assert re.search(r"of bad\.sub: \n", ORACLE_CASES[index][1])
    else:
        assert msg in ORACLE_CASES[index][1]


def test_queue_from_command_output(env, capsys, monkeypatch):
    # No shell runs the command (as in HTCondor): its words are its arguments.
    f = write(env, "a.sub", "executable = job.sh\narguments = $(x) $(y)\n"
              "queue x,y from printf %s_%s\\n a 1 b 2 |\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert (rc, err) == (0, "")
    ads = dict(jobs_in_spool())
    assert [ads[(1, p)]["Args"] for p in (0, 1)] == ['"a_1"', '"b_2"']


def test_queue_in_include_is_refused(env, capsys, monkeypatch):
    write(env, "q.inc", "queue 2\n")
    f = write(env, "a.sub", "executable = job.sh\ninclude : q.inc\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 1
    assert "Queue statement not allowed in include file or command" in err
    assert spool_dump(env) is None


def test_key_value_and_queue_need_no_file(env, capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, ["executable=job.sh", "arguments=$(Item)",
                                             "-queue", "in", "a", "b", "-terse"])
    assert (rc, err) == (0, "")
    assert out == "1.0 - 1.1\n"


def test_file_option_and_dry_run_cluster(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\noutput = o.$(Cluster)\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, ["-dry-run:cluster=5", "-", "-file", f])
    assert rc == 0, err
    assert "ClusterId=5\n" in out and 'Out="o.5"' in out
    assert out.endswith("1 job(s) dry-run to cluster 5.\n")


def test_unknown_option_prints_usage(env, capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, ["-bogus-option"])
    assert rc == 1 and err.startswith("Usage: condor_submit")


def test_missing_file(env, capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, ["nope.sub"])
    assert rc == 1
    assert err == "\nERROR: Failed to open command file (nope.sub) (No such file or directory)\n"


def test_unused_lines_are_warned_about_after_submit(env, capsys, monkeypatch):
    f = write(env, "a.sub", 'executable = job.sh\nrequrements = (OpSys=="LINUX")\n'
              "base = x\noutput = $(base).out\n+Custom = 1\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 0
    assert out.endswith("1 job(s) submitted to cluster 1.\n")
    assert err == ("WARNING: the line 'requrements = (OpSys==\"LINUX\")' was unused by "
                   "condor_submit. Is it a typo?\n")


# ---------------------------------------------------------------- options of the usage

def test_usage_is_htcondors(env, capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, ["-help"])
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Usage: condor_submit [options] [<attrib>=<value>] [- | <submit-file>]"
    assert "\t-dump <filename>\tWrite job ClassAds to <filename> instead of" in lines
    assert lines[-1] == ("     are read from stdin. Use of - implies verbose output unless "
                         "-terse is specified")


def test_dump_writes_the_ads_and_submits_nothing(env, capsys, monkeypatch):
    # no such executable: -dump does not look (condor_submit's check_sub_file skips it)
    f = write(env, "a.sub", "executable = not_there.sh\narguments = $(Process)\nqueue 2\n")
    rc, out, err = run(capsys, monkeypatch, ["-dump", "ads.txt", f])
    assert (rc, err) == (0, "")
    assert out == "Storing job ClassAd(s)..\n2 job(s) submitted to cluster 1.\n"
    text = (env / "ads.txt").read_text()
    assert text.startswith("\nClusterId=1\n")
    assert "\nProcId=0\nJobStatus=1\nArgs=\"0\"\n" in text
    assert "\nProcId=1\nJobStatus=1\nArgs=\"1\"\n" in text
    assert f'Cmd="{env}/not_there.sh"' in text
    assert spool_dump(env) is None


def test_dump_to_stdout_prints_only_the_ads(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, ["-dump", "-", f])
    assert (rc, err) == (0, "")
    assert out.startswith("\nClusterId=1\n") and out.endswith("\n\n")
    assert "job(s)" not in out and "Storing" not in out


def test_dump_and_dry_run_exclude_each_other(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    assert run(capsys, monkeypatch, ["-dump", "x", "-dry-run", "y", f])[2] == \
        "condor_submit: -dry-run <file> and -dump <file> cannot be used together\n"
    assert run(capsys, monkeypatch, ["-dry-run", "y", "-dump", "x", f])[2] == \
        "condor_submit: -dump <file> and -dry-run <file> cannot be used together\n"
    rc, out, err = run(capsys, monkeypatch, ["-dump", "x"], stdin="")
    assert rc == 1 and err.startswith("\nERROR: No submit filename was provided, and 'x'\n")


def test_maxjobs_and_single_cluster(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue 3\n")
    rc, out, err = run(capsys, monkeypatch, ["-maxjobs", "2", f])
    assert rc == 1 and err == "\nERROR: Number of submitted jobs would exceed -maxjobs (2)\n"
    assert spool_dump(env) is None
    assert run(capsys, monkeypatch, ["-maxjobs", "3", f])[0] == 0
    assert run(capsys, monkeypatch, ["-maxjobs", "lots", f])[2] == \
        "Error: Unable to convert argument (lots) to a number for -maxjobs.\n"
    assert run(capsys, monkeypatch, ["-maxjobs", "-5", f])[2] == \
        "Error: -5 is not a valid for -maxjobs.\n"
    (env / "other.sh").write_text("#!/bin/sh\n")
    two = write(env, "two.sub", "executable = job.sh\nqueue\nexecutable = other.sh\nqueue\n")
    before = spool_dump(env)
    rc, out, err = run(capsys, monkeypatch, ["-single-cluster", two])
    assert rc == 1 and err == ("\nERROR: Number of submitted clusters would exceed 1 and "
                               "-single-cluster was specified\n")
    assert spool_dump(env) == before


def test_a_new_executable_makes_a_new_cluster(env, capsys, monkeypatch):
    (env / "other.sh").write_text("#!/bin/sh\n")
    f = write(env, "two.sub", "executable = job.sh\nqueue 2\narguments = x\nqueue\n"
              "executable = other.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert (rc, err) == (0, "")
    assert out == ("Submitting job(s)....\n3 job(s) submitted to cluster 1.\n"
                   "1 job(s) submitted to cluster 2.\n")
    jobs = dict(jobs_in_spool())
    assert sorted(jobs) == [(1, 0), (1, 1), (1, 2), (2, 0)]
    assert jobs[(2, 0)]["Cmd"] == f'"{env}/other.sh"'
    assert run(capsys, monkeypatch, ["-terse", f])[1] == "3.0 - 3.2\n4.0 - 4.0\n"


def test_unused_toggles_the_typo_warnings(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nrequrements = x\nqueue\n")
    assert "was unused" in run(capsys, monkeypatch, [f])[2]
    assert run(capsys, monkeypatch, ["-unused", f])[2] == ""
    assert "was unused" in run(capsys, monkeypatch, ["-unused", "-u", f])[2]


def test_option_prefixes_are_htcondors(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    assert run(capsys, monkeypatch, ["-ter", f])[1] == "1.0 - 1.0\n"
    assert run(capsys, monkeypatch, ["--terse", f])[1] == "2.0 - 2.0\n"
    assert run(capsys, monkeypatch, ["-te", f])[2].startswith("Usage: condor_submit")
    assert run(capsys, monkeypatch, ["--ter", f])[2].startswith("Usage: condor_submit")
    assert run(capsys, monkeypatch, ["-v", f])[1].startswith("Submitting job(s)\n** Proc 3.0:")


def test_the_command_line_is_read_as_htcondors_chain(env, capsys, monkeypatch):
    """Argument by argument, stopping at the first bad one (submit.cpp's if/else
    chain): what is wrong earlier is what is reported."""
    assert run(capsys, monkeypatch, ["-maxjobs", "lots", "-bogus"])[2] == \
        "Error: Unable to convert argument (lots) to a number for -maxjobs.\n"
    assert run(capsys, monkeypatch, ["-bogus", "-maxjobs", "lots"])[2].startswith(
        "Usage: condor_submit")
    # -dry-run looks for -dump, and at its sub-options, before it looks for its file
    assert run(capsys, monkeypatch, ["-dump", "x", "-dry-run"])[2] == \
        "condor_submit: -dry-run <file> and -dump <file> cannot be used together\n"
    assert run(capsys, monkeypatch, ["-dry-run:bogus"])[2] == \
        "unknown option bogus for -dry-run:<opts>\n"
    assert run(capsys, monkeypatch, ["-dry-run", "-terse", "a.sub"])[2] == \
        "condor_submit: -dry-run requires another argument\n"
    assert run(capsys, monkeypatch, ["-q", ""])[2] == \
        "condor_submit: -queue requires at least one argument\n"
    assert run(capsys, monkeypatch, ["-fi"])[2] == "condor_submit: -file requires another argument\n"
    assert run(capsys, monkeypatch, ["-batch-i"])[2] == \
        "condor_submit: -batch-id requires another argument\n"
    # no -version in condor_submit's chain: the usage, exit 1
    rc, out, err = run(capsys, monkeypatch, ["-version"])
    assert (rc, out) == (1, "") and err.startswith("Usage: condor_submit")
    assert spool_dump(env) is None


def test_queue_words_run_to_the_next_option(env, capsys, monkeypatch):
    """-queue takes the words up to the next option, attrib=value ones too."""
    rc, out, err = run(capsys, monkeypatch, ["executable=job.sh", "-queue", "A", "in", "x=1",
                                             "y=2", "-terse", "arguments=$(A)"])
    assert (rc, out, err) == (0, "1.0 - 1.1\n", "")
    assert [ad["Args"] for _, ad in jobs_in_spool()] == ['"x=1"', '"y=2"']


def test_schedd_and_address_options(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, ["-name", "elsewhere.example.org", f])
    assert rc == 1 and err == "\nERROR: Can't find address of schedd elsewhere.example.org\n"
    rc, out, err = run(capsys, monkeypatch, ["-addr", "nowhere", f])
    assert rc == 1 and err == ('condor_submit: "nowhere" is not a valid address\n'
                               "Should be of the form <ip:port>\n"
                               "For example: <123.456.789.123:6789>\n")
    assert run(capsys, monkeypatch, ["-addr", "<127.0.0.1:9618>", "-pool", "cm", f])[0] == 0
    rc, out, err = run(capsys, monkeypatch, ["-name", "localhost", "-spool", f])
    assert (rc, err) == (0, "")


def test_dos_line_endings_in_a_script(env, capsys, monkeypatch):
    (env / "dos.sh").write_bytes(b"#!/bin/sh\r\necho hi\r\n")
    (env / "empty.sh").write_bytes(b"")
    f = write(env, "a.sub", "executable = dos.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 1
    assert err == (f"\nERROR: Executable file {env}/dos.sh is a script with CRLF (DOS/Windows) "
                   f"line endings.\nThis generally doesn't work, and you should probably run "
                   f"'dos2unix {env}/dos.sh' -- or a similar tool -- before you resubmit.\n")
    assert spool_dump(env) is None
    rc, out, err = run(capsys, monkeypatch, ["-allow-crlf-script", f])
    assert rc == 0 and err.startswith(f"\nWARNING: Executable file {env}/dos.sh is a script")
    g = write(env, "b.sub", "executable = empty.sh\nqueue\n")
    assert run(capsys, monkeypatch, [g])[2] == \
        f"\nERROR: Executable file {env}/empty.sh has zero length\n"


def test_submit_file_is_recorded(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    assert run(capsys, monkeypatch, [f])[0] == 0
    assert dict(jobs_in_spool())[(1, 0)]["SubmitFile"] == f'"{env}/a.sub"'


def test_queue_zero_queues_nothing(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nqueue 0\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 0 and out == "Submitting job(s)\n"
    assert err == '\nWARNING: "a.sub" has only empty "queue" commands -- no jobs queued\n'
    assert spool_dump(env) is None


def test_wrapped_errors_are_laid_out_as_htcondor(env, capsys, monkeypatch):
    f = write(env, "a.sub", "executable = job.sh\nshould_transfer_files = SOMETIMES\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 1
    # print_wrapped_text: blanks collapsed, lines filled to 78 columns
    assert err == ("\nERROR: invalid value (SOMETIMES) for ShouldTransferFiles. Please either "
                   "\nspecify YES, NO, or IF_NEEDED and try again. \n")


def test_interactive_needs_condor_ssh_to_job(env, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(env))
    f = write(env, "a.sub", "executable = job.sh\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, ["-interactive", f])
    assert rc == 1
    assert err == ("ERROR: Failed to spawn condor_ssh_to_job condor_ssh_to_job -auto-retry "
                   "-remove-on-interrupt -X 1.0 : No such file or directory\n")
    assert dict(jobs_in_spool())[(1, 0)]["InteractiveJob"] == "true"


# ---------------------------------------------------------------- grid jobs

def test_ec2_job_ad_holds_key_file_names_never_keys(env, capsys, monkeypatch):
    (env / "ak").write_text("AKIASECRETKEYID\n")
    (env / "sk").write_text("TheSecretAccessKeyContents\n")
    f = write(env, "ec2.sub", "universe = grid\ngrid_resource = ec2 https://ec2.example.org/\n"
              "executable = vm\nec2_access_key_id = ak\nec2_secret_access_key = sk\n"
              "ec2_ami_id = ami-1\nec2_instance_type = m1.small\nqueue\n")
    rc, out, err = run(capsys, monkeypatch, ["-verbose", f])
    assert (rc, err) == (0, "")
    ad = dict(jobs_in_spool())[(1, 0)]
    assert ad["EC2AccessKeyId"] == f'"{env}/ak"'
    assert ad["EC2SecretAccessKey"] == f'"{env}/sk"'
    assert ad["EC2TagName"] == '"vm"'
    dump = "\n".join(spool_dump(env))
    assert "TheSecretAccessKeyContents" not in dump + out and "AKIASECRETKEYID" not in dump


def test_ec2_missing_commands_are_refused(env, capsys, monkeypatch):
    head = "universe = grid\ngrid_resource = ec2 https://ec2.example.org/\nexecutable = vm\n"
    for body, msg in (
            ("ec2_secret_access_key = sk\nec2_ami_id = a\n",
             "ERROR: EC2 jobs require a 'ec2_access_key_id' or 'aws_access_key_id_file' "
             "parameter\n"),
            ("ec2_access_key_id = ak\nec2_ami_id = a\n",
             "ERROR: EC2 jobs require a 'ec2_secret_access_key' or "
             "'aws_secret_access_key_file' parameter\n"),
            ("ec2_access_key_id = ak\nec2_secret_access_key = sk\n",
             'ERROR: EC2 jobs require a "ec2_ami_id" parameter\n')):
        f = write(env, "ec2.sub", head + body + "queue\n")
        rc, out, err = run(capsys, monkeypatch, [f])
        assert (rc, err) == (1, msg)
    assert spool_dump(env) is None


DC_JOB = ("universe = grid\nexecutable = vm\ngrid_resource = deltacloud http://h/api\n"
          "deltacloud_username = u\ndeltacloud_password = p\ndeltacloud_image_id = i\n")


def test_one_instance_name_for_two_jobs_is_refused(env, capsys, monkeypatch):
    good = write(env, "good.sub", "executable = job.sh\nqueue\n")
    assert run(capsys, monkeypatch, [good])[0] == 0
    before = spool_dump(env)
    f = write(env, "dc.sub", DC_JOB + "deltacloud_instance_name = myvm\nqueue 2\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert rc == 1
    assert err == ('ERROR: deltacloud_instance_name "myvm" is given to 2 jobs of this '
                   'submission; an instance name must be unique (put $(Process) in it)\n')
    assert spool_dump(env) == before
    # the same name in two queue statements is refused too
    g = write(env, "dc2.sub", DC_JOB + "deltacloud_instance_name = vm-a\nqueue\nqueue\n")
    assert run(capsys, monkeypatch, [g])[0] == 1
    assert spool_dump(env) == before


def test_instance_names_that_differ_per_proc_are_accepted(env, capsys, monkeypatch):
    f = write(env, "dc.sub", DC_JOB + "deltacloud_instance_name = myvm-$(Process)\nqueue 2\n")
    rc, out, err = run(capsys, monkeypatch, [f])
    assert (rc, err) == (0, "")
    jobs = dict(jobs_in_spool())
    assert [jobs[(1, p)]["DeltacloudInstanceName"] for p in (0, 1)] == ['"myvm-0"', '"myvm-1"']
    one = write(env, "dc1.sub", DC_JOB + "deltacloud_instance_name = solo\nqueue\n")
    assert run(capsys, monkeypatch, [one])[0] == 0
    # a name taken from the matched offer is the same for jobs matched to one offer
    same = write(env, "dc3.sub", DC_JOB + "deltacloud_instance_name = $$(name)\nqueue 2\n")
    assert run(capsys, monkeypatch, [same])[0] == 1
    per = write(env, "dc4.sub", DC_JOB + "deltacloud_instance_name = $$(name)-$(Process)\n"
                "queue 2\n")
    assert run(capsys, monkeypatch, [per])[0] == 0


def test_a_new_process_builds_every_kind_of_value(env):
    """condor_submit run as users run it, a new process: the ClassAd library is
    loaded only when an expression needs parsing, and then it is."""
    import subprocess
    write(env, "e.sub", "executable = job.sh\nrequirements = (Memory>1)&&(Disk>2)\n"
          "+Rank = Memory*2\n+Name = \"n\"\nqueue\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, os.path.join(root, "bin", "condor_submit"), "-dump",
                        "-", "e.sub"], cwd=env, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=root))
    assert (p.returncode, p.stderr) == (0, "")
    ad = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    assert ad["Rank"] == "Memory * 2"
    assert ad["Name"] == '"n"'
    assert ad["Requirements"].startswith("((Memory > 1) && (Disk > 2)) && ")
