"""Our job ads against real HTCondor's (htcondor 24.12 wheel), file by file.

Two corpora: tests/data/submit (the first one), and tests/data/submit/manual,
written from HTCondor's manual (docs/man-pages/condor_submit.rst: one file or
more per submit command it lists, plus the universes, queue forms and macros
the user guide shows) and from condor_submit's source, not from our code.

For each file, ours and htcondor.Submit(text).jobs() must agree on accepting
or refusing it. Accepted: the ads agree attribute by attribute (every one,
except the time- and tool-dependent ones of conftest.EXCLUDED) and so do the
queue items. Refused: our message is HTCondor's (the oracle's exception, or
what its submit code printed on stderr, or, where the oracle says nothing,
the wording of condor_submit's source written down below).

The few files where Submit.jobs() and condor_submit itself behave differently
(it makes one job of a file with no queue statement, it reads only the first
queue statement) are listed with what condor_submit does; ours must do that.
"""

import os
import pathlib
import re

import pytest

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "submit"
MANUAL = DATA / "manual"
CORPUS = sorted(p.name for p in DATA.glob("*.sub"))
MANUAL_CORPUS = sorted(p.name for p in MANUAL.glob("*.sub"))

# Every submit command docs/man-pages/condor_submit.rst lists (its :subcom-def:
# entries, in its order). <name> stands for any name.
MANUAL_COMMANDS = [
    # BASIC COMMANDS
    "arguments", "environment", "error", "executable", "batch_name", "getenv", "input",
    "log", "notification", "notify_user", "output", "priority", "queue", "universe",
    "max_materialize", "max_idle",
    # COMMANDS FOR MATCHMAKING
    "rank", "request_cpus", "request_disk", "request_gpus", "require_gpus", "request_memory",
    "request_GPUs", "request_<name>", "gpus_minimum_capability", "gpus_maximum_capability",
    "gpus_minimum_memory", "gpus_minimum_runtime", "cuda_version", "requirements",
    # FILE TRANSFER COMMANDS
    "dont_encrypt_input_files", "dont_encrypt_output_files", "encrypt_execute_directory",
    "encrypt_input_files", "encrypt_output_files", "erase_output_and_error_on_restart",
    "max_transfer_input_mb", "max_transfer_output_mb", "output_destination",
    "should_transfer_files", "skip_filechecks", "skip_if_dataflow", "stream_error",
    "stream_input", "stream_output", "transfer_executable", "transfer_input_files",
    "public_input_files", "transfer_output_files", "transfer_checkpoint_files",
    "checkpoint_destination", "preserve_relative_paths", "transfer_output_remaps",
    "transfer_plugins", "when_to_transfer_output", "aws_access_key_id_file",
    "s3_access_key_id_file", "aws_secret_access_key_file", "s3_secret_access_key_file",
    "aws_region", "gs_access_key_id_file", "gs_secret_access_key_file",
    # POLICY COMMANDS
    "allowed_execute_duration", "allowed_job_duration", "max_retries", "retry_until",
    "success_exit_code", "checkpoint_exit_code", "hold", "keep_claim_idle", "leave_in_queue",
    "next_job_start_delay", "on_exit_hold", "on_exit_hold_reason", "on_exit_hold_subcode",
    "on_exit_remove", "periodic_hold", "periodic_hold_reason", "periodic_hold_subcode",
    "periodic_release", "periodic_remove", "periodic_vacate",
    # COMMANDS FOR THE GRID
    "arc_application", "arc_data_staging", "arc_resources", "arc_rte", "azure_admin_key",
    "azure_admin_username", "azure_auth_file", "azure_image", "azure_location", "azure_size",
    "batch_extra_submit_args", "batch_project", "batch_queue", "batch_runtime",
    "cloud_label_names", "cloud_label_<name>", "delegate_job_GSI_credentials_lifetime",
    "ec2_access_key_id", "ec2_ami_id", "ec2_availability_zone", "ec2_block_device_mapping",
    "ec2_ebs_volumes", "ec2_elastic_ip", "ec2_iam_profile_arn", "ec2_iam_profile_name",
    "ec2_instance_type", "ec2_keypair", "ec2_keypair_file", "ec2_parameter_names",
    "ec2_parameter_<name>", "ec2_secret_access_key", "ec2_security_groups", "ec2_security_ids",
    "ec2_spot_price", "ec2_tag_names", "ec2_tag_<name>", "WantNameTag", "ec2_user_data",
    "ec2_user_data_file", "ec2_vpc_ip", "ec2_vpc_subnet", "gce_account", "gce_auth_file",
    "gce_image", "gce_json_file", "gce_machine_type", "gce_metadata", "gce_metadata_file",
    "gce_preemptible", "grid_resource", "transfer_error", "transfer_input", "transfer_output",
    "use_x509userproxy", "x509userproxy", "use_scitokens", "scitokens_file",
    # COMMANDS FOR PARALLEL, JAVA, and SCHEDULER UNIVERSES
    "hold_kill_sig", "jar_files", "java_vm_args", "machine_count", "remove_kill_sig",
    # COMMANDS FOR THE VM UNIVERSE
    "vm_disk", "vm_checkpoint", "vm_macaddr", "vm_memory", "vm_networking",
    "vm_networking_type", "vm_no_output_vm", "vm_type", "xen_initrd", "xen_kernel",
    "xen_kernel_params", "xen_root",
    # COMMANDS FOR THE DOCKER UNIVERSE
    "docker_image", "docker_network_type", "docker_pull_policy", "container_service_names",
    "<service-name>_container_port", "<service-name>_HostPort", "docker_override_entrypoint",
    # COMMANDS FOR THE CONTAINER UNIVERSE
    "container_image", "transfer_container", "container_target_dir", "mount_under_scratch",
    # ADVANCED COMMANDS
    "accounting_group", "accounting_group_user", "concurrency_limits",
    "concurrency_limits_expr", "copy_to_spool", "coresize", "cron_day_of_month",
    "cron_day_of_week", "cron_hour", "cron_minute", "cron_month", "cron_prep_time",
    "cron_window", "dagman_log", "deferral_prep_time", "deferral_time", "deferral_window",
    "description", "email_attributes", "image_size", "initialdir", "job_ad_information_attrs",
    "job_lease_duration", "job_machine_attrs", "job_machine_attrs_history_length",
    "want_graceful_removal", "kill_sig", "kill_sig_timeout", "load_profile", "log_xml",
    "match_list_length", "job_max_vacate_time", "manifest", "manifest_dir",
    "max_job_retirement_time", "nice_user", "noop_job", "noop_job_exit_code",
    "noop_job_exit_signal", "primary_unix_group", "remote_initialdir", "rendezvousdir",
    "run_as_owner", "stack_size", "starter_debug", "starter_log", "submit_event_notes",
    "ulog_execute_attrs", "use_oauth_services", "<credential_service_name>_oauth_permissions",
    "<credential_service_name>_oauth_resource", "MY.<attribute>",
]

# What the user guide and the man page show besides the commands.
UNIVERSES = ["vanilla", "scheduler", "local", "grid", "java", "vm", "parallel", "docker",
             "container"]
QUEUE_FORMS = {
    "queue": r"(?im)^\s*queue\s*$",
    "queue <int expr>": r"(?im)^\s*queue\s+[0-9$][^\n]*$",
    "queue <var> in <list>": r"(?im)^\s*queue\b.*\bin\b",
    "queue in [slice]": r"(?im)^\s*queue\b.*\bin\s*\[",
    "queue <vars> from <file>": r"(?im)^\s*queue\b.*\bfrom\s+[\w.]+\s*$",
    "queue from (inline list)": r"(?im)^\s*queue\b.*\bfrom\s*\(",
    "queue from [slice]": r"(?im)^\s*queue\b.*\bfrom\s*\[",
    "queue from <command> |": r"(?im)^\s*queue\b.*\bfrom\b.*\|\s*$",
    "queue matching files": r"(?im)^\s*queue\b.*\bmatching\s+files\b",
    "queue matching dirs": r"(?im)^\s*queue\b.*\bmatching\s+dirs\b",
}
MACROS = ["$(Cluster)", "$(ClusterId)", "$(Process)", "$(ProcId)", "$(JobId)", "$(Node)",
          "$(Step)", "$(ItemIndex)", "$(Row)", "$(Item)", "$(ARCH)", "$(OPSYS)",
          "$(IsLinux)", "$(IsWindows)", "$(YEAR)", "$(MONTH)", "$(DAY)", "$(DOLLAR)",
          "$$(DOLLARDOLLAR)", "$ENV(", "$RANDOM_CHOICE(", "$RANDOM_INTEGER(", "$INT(",
          "$REAL(", "$CHOICE(", "$SUBSTR(", "$Fp(", "$Fn(", "$Fx(", "$Fq(", "$$([", ":24)",
          "$$(input_file_path:"]

# Where Submit.jobs() and condor_submit part ways, what condor_submit does
# (its source, src/condor_submit.V6/submit.cpp): file -> ("refuse", message)
# or ("jobs", number of jobs).
CONDOR_SUBMIT_ONLY = {
    # Submit.jobs() makes one job of a description with no queue statement.
    "no_queue.sub": ("refuse", 'doesn\'t contain any "queue" commands -- no jobs queued'),
    "queue_only_in_false_if.sub": ("refuse",
                                   'doesn\'t contain any "queue" commands -- no jobs queued'),
    # condor_submit skips a queue statement whose item list is empty.
    "queue_empty_list.sub": ("jobs", 0),
    # condor_submit makes queue 0 jobs of `queue 0` (queue_item's loop); Submit.jobs()
    # makes one.
    "queue_zero_only.sub": ("jobs", 0),
}

# Refusals where the oracle's exception carries no text: the wording of
# HTCondor's source (config.cpp's Parse_macros and submit_utils.cpp).
SOURCE_MESSAGES = {
    "err_bare_word.sub": "",      # "ERROR: on Line 3 of ...: " and nothing more, as HTCondor
    "err_error_keyword.sub": "Error : this configuration is not supported",
    "err_include_missing.sub": 'Error "no_such_file.inc", Line 0, Include Depth 1: '
                               "can't open file",
}

# Differences kept on purpose: file -> reason.
KNOWN_DIFFERENCES = {
    "err_grid_bad_type.sub": "pycondorlite also accepts the deltacloud grid type (its "
                             "first one), so the list of grid types names it too",
}


def _norm(text):
    text = re.sub(r"(?m)^\d\d/\d\d/\d\d \d\d:\d\d:\d\d .*$", "", text or "")
    text = text.replace("ERROR: ", "").replace("ERROR:", "")
    return " ".join(text.split())


def _oracle_message(res):
    """What real HTCondor said when it refused: the exception, what its submit
    code printed (wrapped) on stderr, or the message of the EXCEPT that aborted it."""
    if res.get("aborted"):
        m = re.search(r'ERROR "(.*)" at line \d+', res.get("stderr", ""))
        return _norm(m.group(1) if m else res.get("error", ""))
    msg = re.sub(r" on line -?\d+$", "", res.get("error", ""))
    if msg == "Failed to get next job" and res.get("stderr", "").strip():
        return _norm(res["stderr"])
    return _norm(msg)


def _run_corpus(sub, folder, names):
    here = os.getcwd()
    os.chdir(folder)
    mine = {}
    try:
        for name in names:
            text = (folder / name).read_text()
            try:
                mine[name] = sub.ours(text, source=name, first_block_only=True)
            except Exception as e:      # SubmitError, SubmitSyntaxError
                mine[name] = e
    finally:
        os.chdir(here)
    reqs = {name: {"op": "jobs", "text": (folder / name).read_text(),
                   "normalize": [] if isinstance(mine[name], Exception) else mine[name][0]}
            for name in names}
    theirs = sub.run_oracle(reqs, cwd=folder)
    return {name: (mine[name], theirs[name]) for name in names}


@pytest.fixture(scope="module")
def results(sub):
    """{file: (ours: (ads, items) or the exception, oracle result)}, both corpora."""
    out = {name: r for name, r in _run_corpus(sub, DATA, CORPUS).items()}
    out.update({"manual/" + name: r for name, r in _run_corpus(sub, MANUAL, MANUAL_CORPUS).items()})
    return out


def _verdict(name, mine, theirs, sub):
    """(kind, problems): kind is "same", "refused" or "differ"."""
    base = name.split("/")[-1]
    refused_mine = isinstance(mine, Exception)
    if base in CONDOR_SUBMIT_ONLY:
        what, expect = CONDOR_SUBMIT_ONLY[base]
        return "condor_submit", []
    if refused_mine != ("error" in theirs):
        return "differ", [f"ours {'refuses: ' + str(mine) if refused_mine else 'accepts'}; "
                          f"HTCondor {'refuses: ' + theirs['error'] if 'error' in theirs else 'accepts'}"]
    if refused_mine:
        ours_msg = _norm(getattr(mine, "msg", str(mine)))
        their_msg = SOURCE_MESSAGES.get(base) if base in SOURCE_MESSAGES else \
            _oracle_message(theirs)
        if base in SOURCE_MESSAGES:
            their_msg = _norm(their_msg)
        # equal, or HTCondor's (its last error) is one of the errors we report
        if ours_msg == their_msg or (their_msg and their_msg in ours_msg):
            return "refused", []
        return "differ", [f"message: ours {ours_msg!r} != HTCondor's {their_msg!r}"]
    ads, items = mine
    problems = []
    if len(ads) != len(theirs["ads"]):
        problems.append(f"{len(ads)} jobs != {len(theirs['ads'])}")
    for i, (m, t) in enumerate(zip(theirs["normalized"], theirs["ads"])):
        problems += [f"proc {i}: {d}" for d in sub.differences(m, t)]
    if items != theirs["items"]:
        problems.append(f"items {items} != {theirs['items']}")
    return ("differ" if problems else "same"), problems


def test_corpora_are_large_enough():
    assert len(CORPUS) >= 60
    assert len(MANUAL_CORPUS) >= len(MANUAL_COMMANDS)


@pytest.mark.parametrize("name", CORPUS + ["manual/" + n for n in MANUAL_CORPUS])
def test_file_agrees_with_htcondor(name, sub, results):
    mine, theirs = results[name]
    kind, problems = _verdict(name, mine, theirs, sub)
    base = name.split("/")[-1]
    if base in KNOWN_DIFFERENCES:
        assert kind == "differ", f"{name} no longer differs: drop it from KNOWN_DIFFERENCES"
        return
    assert kind != "differ", "; ".join(problems[:20])


@pytest.mark.parametrize("name", sorted(CONDOR_SUBMIT_ONLY))
def test_what_condor_submit_does_where_submit_jobs_differs(name, sub, tmp_path, monkeypatch):
    """These files, run through our condor_submit, do what condor_submit's source does."""
    from pycondorlite import config
    from pycondorlite.cli import condor_submit
    monkeypatch.chdir(MANUAL)
    monkeypatch.setenv("_CONDOR_SPOOL", str(tmp_path / "spool"))
    monkeypatch.setenv("_CONDOR_LOG", str(tmp_path / "log"))
    config.reload()
    what, expect = CONDOR_SUBMIT_ONLY[name]
    import io
    import contextlib
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = condor_submit.main(["-terse", name])
    if what == "refuse":
        assert rc == 1 and expect in err.getvalue()
    else:
        assert rc == 0 and out.getvalue() == ""
        assert not (tmp_path / "spool" / "job_queue.db").exists() or expect == 0


def _commands_used(text):
    """Lower-case names of the commands a submit file assigns, and 'queue'."""
    used = set()
    for line in re.split(r"\n", re.sub(r"\\\n\s*", " ", text)):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if re.match(r"queue(\s|$)", s, re.I):
            used.add("queue")
            continue
        m = re.match(r"([+A-Za-z_][A-Za-z0-9_.]*)\s*=", s)
        if m:
            name = m.group(1)
            used.add("my.<attribute>" if name.startswith("+") or name.lower().startswith("my.")
                     else name.lower())
    return used


_PATTERNS = {
    "request_<name>": re.compile(r"request_(?!cpus$|disk$|memory$|gpus$)\w\w+$"),
    "cloud_label_<name>": re.compile(r"cloud_label_(?!names$)\w+$"),
    "ec2_parameter_<name>": re.compile(r"ec2_parameter_(?!names$)\w+$"),
    "ec2_tag_<name>": re.compile(r"ec2_tag_(?!names$)\w+$"),
    "<service-name>_container_port": re.compile(r"\w+_container_port$"),
    "<service-name>_hostport": re.compile(r"\w+_hostport$"),
    "<credential_service_name>_oauth_permissions": re.compile(r"\w+_oauth_permissions(_\w+)?$"),
    "<credential_service_name>_oauth_resource": re.compile(r"\w+_oauth_resource(_\w+)?$"),
}


def coverage():
    """(covered, listed, missing) over MANUAL_COMMANDS, from the manual corpus."""
    used = set()
    texts = [(MANUAL / n).read_text() for n in MANUAL_CORPUS]
    for t in texts:
        used |= _commands_used(t)
    listed = []
    for cmd in MANUAL_COMMANDS:
        key = cmd.lower()
        if key not in listed:
            listed.append(key)
    missing = []
    for key in listed:
        pat = _PATTERNS.get(key)
        hit = any(pat.match(u) for u in used) if pat else key in used
        if not hit:
            missing.append(key)
    return len(listed) - len(missing), len(listed), missing, texts


def test_every_command_of_the_manual_is_in_the_corpus():
    covered, listed, missing, texts = coverage()
    assert not missing, f"{covered}/{listed} commands covered; missing {missing}"
    every = "\n".join(texts)
    assert not [u for u in UNIVERSES if not re.search(rf"(?im)^\s*universe\s*=\s*{u}\s*$", every)]
    assert not [q for q, rx in QUEUE_FORMS.items() if not re.search(rx, every)]
    assert not [m for m in MACROS if m.lower() not in every.lower()]


def test_agreement_figures(sub, results, capsys):
    """The figures of the issue: commands covered, files, accept/refuse agreement,
    identical ads; every difference left is listed with its reason."""
    covered, listed, _, _ = coverage()
    manual = {n: r for n, r in results.items() if n.startswith("manual/")}
    kinds = {n: _verdict(n, *r, sub)[0] for n, r in manual.items()}
    compared = {n: k for n, k in kinds.items() if k != "condor_submit"}
    agree = sum(1 for n, k in compared.items() if k != "differ" or _accept_refuse_same(*manual[n]))
    accepted = [n for n, (mine, theirs) in manual.items()
                if kinds[n] != "condor_submit" and not isinstance(mine, Exception)
                and "error" not in theirs]
    identical = sum(1 for n in accepted if kinds[n] == "same")
    with capsys.disabled():
        print(f"\n[submit corpus] manual commands covered {covered}/{listed}; files "
              f"{len(manual)} ({len(compared)} compared with Submit.jobs(), "
              f"{len(manual) - len(compared)} with condor_submit's own behaviour); "
              f"accept/refuse agree {agree}/{len(compared)} "
              f"({100.0 * agree / len(compared):.1f} %); identical ads "
              f"{identical}/{len(accepted)} ({100.0 * identical / max(len(accepted), 1):.1f} %); "
              f"known differences: {KNOWN_DIFFERENCES}")
    assert covered == listed
    assert agree / len(compared) >= 0.99
    assert identical / len(accepted) >= 0.95
    unexplained = [n for n, k in compared.items()
                   if k == "differ" and n.split("/")[-1] not in KNOWN_DIFFERENCES]
    assert not unexplained


def _accept_refuse_same(mine, theirs):
    return isinstance(mine, Exception) == ("error" in theirs)


def test_a_wrong_attribute_is_caught(sub, results):
    """The comparison itself can fail."""
    (ads, _), theirs = results["io_files.sub"]
    bad = dict(theirs["normalized"][0], Out='"elsewhere"')
    assert sub.differences(bad, theirs["ads"][0]) == [
        "Out: ours '\"elsewhere\"' != '\"out.txt\"'"]


def test_a_wrong_refusal_is_caught(sub, results):
    mine, theirs = results["manual/err_notification.sub"]
    assert _verdict("manual/err_notification.sub", ValueError("something else"), theirs,
                    sub)[0] == "differ"
    assert _verdict("manual/err_notification.sub", ([], []), theirs, sub)[0] == "differ"


def test_wrapped_errors_match_htcondors_stderr_byte_for_byte(results):
    """Errors condor_submit prints with print_wrapped_text: our layout is the one
    HTCondor's submit code printed."""
    import io
    from pycondorlite.cli.condor_submit import print_wrapped
    checked = 0
    for name, (mine, theirs) in results.items():
        if theirs.get("error") != "Failed to get next job" or not isinstance(mine, Exception):
            continue
        buf = io.StringIO()
        print_wrapped(buf, mine.msg)
        assert buf.getvalue() == theirs["stderr"], name
        checked += 1
    assert checked >= 6


def test_every_value_is_written_as_htcondor_prints_it(results):
    """What we store is HTCondor's printed form (old syntax), so condor_q -long,
    -dump and -dry-run show what HTCondor shows: each value reads back the same."""
    from pycondorlite.submit import exprs
    checked = 0
    for name, (mine, theirs) in results.items():
        if isinstance(mine, Exception):
            continue
        for ad in mine[0][:3]:
            for attr, text in ad.items():
                assert exprs.normalize(text) == text, f"{name}: {attr} = {text}"
                checked += 1
    assert checked > 10000
