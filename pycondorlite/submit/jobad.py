"""Job ads from submit descriptions, as condor_submit builds them.

Ads are dict[str, str]: attribute name (HTCondor's spelling) -> ClassAd
expression text in old syntax.  One queue statement gives ONE cluster ad
(what all procs share) and one small proc ad per proc (ProcId, JobStatus and
whatever differs from proc to proc).

The build follows HTCondor's SubmitHash::make_job_ad: the same steps in the
same order (the _set_* methods, named after HTCondor's Set* functions), each
reading submit commands through self.param().  While the first proc is built,
each step records whether it used a per-proc macro ($(Process), $(Item)...)
and which attributes it read and wrote; only the steps that depend on the
proc are run again for later procs, so `queue 100000` costs one full build
plus 100000 small dicts.  Builder state that later steps read (the initial
directory, the grid type) is kept in the ad under names beginning with "."
so that the same bookkeeping covers it; those never reach the job.
"""

import os
import platform
import re
import time

from pycondorlite import config
from pycondorlite.jobad import quote
from pycondorlite.submit import exprs
from pycondorlite.submit.arglist import (ArgError, Arguments, Environment, GetenvFilter,
                                         safe_v1_value)
from pycondorlite.submit.macros import MacroError, expand
from pycondorlite.submit.values import (
    GRID, GRID_TYPES, INT_RE, JAVA, LABEL_EXECUTABLE_GRIDS, LOCAL, MPI, NOTIFICATION, PARALLEL,
    RETIRED_UNIVERSES, SCHEDULER, UNIVERSE_NAMES, UNIVERSES, VANILLA, VM, WTTO, SubmitError,
    compress_path, container_image_type, exprs_text_string, is_url, parse_bool, parse_bytes,
    parse_long, signal_name, string_list, strip_quotes, valid_grid_type)

_UNKNOWN = object()     # not among the known constants


def _ad_string(text):
    """A string attribute's value, or None when absent or not a string."""
    if text is None:
        return None
    v = exprs.literal(text)
    return v if isinstance(v, str) else None


def _ad_bool(text, default):
    """A boolean attribute's text as HTCondor's LookupBool reads it (evaluated;
    a number counts as its truth); default when it is neither."""
    b = parse_bool(text)
    return default if b is None else b


PER_PROC_MACROS = {"process", "procid", "step", "itemindex", "row", "item", "jobid", "node"}
INTEGER_MACROS = {"process", "procid", "step", "itemindex", "row", "cluster", "clusterid"}


# ---------------------------------------------------------------- macro lookups

class _Tracker:
    """Macro lookups that note whether a per-proc macro was used."""

    def __init__(self, macros, per_proc):
        self.macros = macros
        self.per_proc = per_proc
        self.hit = False

    def __call__(self, name):
        if name.lower() in self.per_proc:
            self.hit = True
        return self.macros.lookup(name)


class _Replay(dict):
    """A later proc's ad while its steps are replayed: notes whether a key was
    removed (reading and writing it is reading and writing a dict)."""
    removed = False

    def pop(self, k, *default):
        self.removed = True
        return dict.pop(self, k, *default)

    def __delitem__(self, k):
        self.removed = True
        dict.__delitem__(self, k)


class _Recorder(dict):
    """A dict that notes the keys read from and written to it, to learn what
    a build step depends on and what it sets."""
    reads = None
    written = None

    def __setitem__(self, k, v):
        if self.written is not None:
            self.written.add(k)
        dict.__setitem__(self, k, v)

    def __getitem__(self, k):
        if self.reads is not None:
            self.reads.add(k)
        return dict.__getitem__(self, k)

    def get(self, k, default=None):
        if self.reads is not None:
            self.reads.add(k)
        return dict.get(self, k, default)

    def __contains__(self, k):
        if self.reads is not None:
            self.reads.add(k)
        return dict.__contains__(self, k)

    def pop(self, k, *default):
        if self.written is not None:
            self.written.add(k)
        return dict.pop(self, k, *default)


# A simple command: (submit command, attribute, kind, flags). The command may
# also be spelt as its attribute name. kind: expr, string, bool, int, uint.
# flags: "alt" (an alternate name: skipped when the one before it is given),
# "strip" (surrounding quotes removed), "list" (a comma-separated list,
# tidied), "file" (made a full path).
SIMPLE_COMMANDS = [
    ("next_job_start_delay", "NextJobStartDelay", "expr", ""),
    ("keep_claim_idle", "KeepClaimIdle", "expr", ""),
    ("job_ad_information_attrs", "JobAdInformationAttrs", "string", ""),
    ("ulog_execute_attrs", "UserLogExecuteEventAttrs", "string", ""),
    ("max_idle", "JobMaterializeMaxIdle", "expr", ""),
    ("materialize_max_idle", "JobMaterializeMaxIdle", "expr", "alt"),
    ("docker_network_type", "DockerNetworkType", "string", ""),
    ("docker_pull_policy", "DockerPullPolicy", "string", ""),
    ("docker_override_entrypoint", "DockerOverrideEntrypoint", "bool", ""),
    ("container_target_dir", "ContainerTargetDir", "string", "strip"),
    ("mount_under_scratch", "MountUnderScratch", "string", "strip"),
    ("transfer_container", "TransferContainer", "bool", ""),
    ("transfer_plugins", "TransferPlugins", "string", ""),
    ("want_io_proxy", "WantIOProxy", "bool", ""),
    ("starter_debug", "JobStarterDebug", "string", "strip"),
    ("starter_log", "JobStarterLog", "string", "strip file"),
    ("job_machine_attrs", "JobMachineAttrs", "string", ""),
    ("job_machine_attrs_history_length", "JobMachineAttrsHistoryLength", "int", ""),
    ("notify_user", "NotifyUser", "string", ""),
    ("email_attributes", "EmailAttributes", "string", "list"),
    ("remote_initialdir", "RemoteIwd", "string", ""),
    ("remote_grid_resource", "Remote_GridResource", "string", ""),
    ("remote_remote_grid_resource", "Remote_Remote_GridResource", "string", ""),
    ("output_destination", "OutputDestination", "string", ""),
    ("want_graceful_removal", "WantGracefulRemoval", "expr", ""),
    ("job_max_vacate_time", "JobMaxVacateTime", "expr", ""),
    ("encrypt_execute_directory", "EncryptExecuteDirectory", "bool", ""),
    ("encrypt_input_files", "EncryptInputFiles", "string", ""),
    ("encrypt_output_files", "EncryptOutputFiles", "string", ""),
    ("dont_encrypt_input_files", "DontEncryptInputFiles", "string", ""),
    ("dont_encrypt_output_files", "DontEncryptOutputFiles", "string", ""),
    ("load_profile", "LoadProfile", "bool", ""),
    ("file_remaps", "FileRemaps", "expr", ""),
    ("buffer_files", "BufferFiles", "expr", ""),
    ("buffer_size", "BufferSize", "expr", ""),
    ("buffer_block_size", "BufferBlockSize", "expr", ""),
    ("fetch_files", "FetchFiles", "string", ""),
    ("compress_files", "CompressFiles", "string", ""),
    ("append_files", "AppendFiles", "string", ""),
    ("local_files", "LocalFiles", "string", ""),
    ("log", "UserLog", "string", "file"),
    ("dagman_log", "DAGManNodesLog", "string", "file"),
    ("log_xml", "UserLogUseXML", "bool", ""),
    ("noop_job", "IsNoopJob", "expr", ""),
    ("noop_job_exit_signal", "NoopJobExitSignal", "expr", ""),
    ("noop_job_exit_code", "NoopJobExitCode", "expr", ""),
    ("dag_node_name", "DAGNodeName", "string", ""),
    ("match_list_length", "LastMatchListLength", "int", ""),
    ("dagman_job_id", "DAGManJobId", "uint", ""),
    ("submit_event_notes", "SubmitEventNotes", "string", ""),
    ("submit_event_user_notes", "SubmitEventUserNotes", "string", ""),
    ("stack_size", "StackSize", "expr", ""),
    ("jar_files", "JarFiles", "string", ""),
    ("parallel_script_shadow", "ParallelScriptShadow", "string", ""),
    ("parallel_script_starter", "ParallelScriptStarter", "string", ""),
    ("cron_minute", "CronMinute", "string", ""),
    ("cron_hour", "CronHour", "string", ""),
    ("cron_day_of_month", "CronDayOfMonth", "string", ""),
    ("cron_month", "CronMonth", "string", ""),
    ("cron_day_of_week", "CronDayOfWeek", "string", ""),
    ("description", "JobDescription", "string", ""),
    ("batch_name", "JobBatchName", "string", "strip"),
    ("batch_id", "JobBatchId", "string", "strip"),
    ("max_job_retirement_time", "MaxJobRetirementTime", "expr", ""),
    ("job_lease_duration", "JobLeaseDuration", "expr", ""),
    ("coresize", "CoreSize", "int", ""),
    ("priority", "JobPrio", "int", ""),
    ("prio", "JobPrio", "int", "alt"),
    ("run_as_owner", "RunAsOwner", "bool", ""),
    ("max_transfer_input_mb", "MaxTransferInputMB", "expr", ""),
    ("max_transfer_output_mb", "MaxTransferOutputMB", "expr", ""),
    ("manifest", "ManifestDesired", "bool", ""),
    ("manifest_dir", "ManifestDir", "string", ""),
    ("checkpoint_exit_code", "SuccessCheckpointExitCode", "int", ""),
    ("checkpoint_destination", "CheckpointDestination", "string", ""),
    ("aws_region", "AWSRegion", "string", ""),
    ("aws_access_key_id_file", "EC2AccessKeyId", "string", ""),
    ("aws_secret_access_key_file", "EC2SecretAccessKey", "string", ""),
    ("s3_access_key_id_file", "EC2AccessKeyId", "string", ""),
    ("s3_secret_access_key_file", "EC2SecretAccessKey", "string", ""),
    ("gs_access_key_id_file", "EC2AccessKeyId", "string", ""),
    ("gs_secret_access_key_file", "EC2SecretAccessKey", "string", ""),
    ("erase_output_and_error_on_restart", "EraseOutputAndErrorOnRestart", "bool", ""),
    ("transfer_checkpoint_files", "TransferCheckpoint", "string", ""),
    ("preserve_relative_paths", "PreserveRelativePaths", "bool", ""),
    ("cuda_version", "CUDAVersion", "string", ""),
    ("skip_if_dataflow", "SkipIfDataflow", "bool", ""),
    ("allowed_job_duration", "AllowedJobDuration", "expr", ""),
    ("allowed_execute_duration", "AllowedExecuteDuration", "expr", ""),
    ("primary_unix_group", "PrimaryUnixGroup", "string", ""),
    ("transfer_output_remaps", "TransferOutputRemaps", "string", "strip"),
    ("public_input_files", "PublicInputFiles", "string", "list"),
]


class JobAdBuilder:
    """Builds the ads of one queue statement from a macro set."""

    # (step, runs for every proc when it depends on the proc?) The universe is
    # decided once per cluster, as in HTCondor.
    STEPS = (
        "_set_iwd", "_set_executable", "_set_arguments", "_set_grid_params", "_set_vm_params",
        "_set_java_vm_args", "_set_parallel_params", "_set_environment", "_set_job_status",
        "_set_stdin", "_set_stdout", "_set_stderr", "_set_gsi_credentials",
        "_set_notification", "_set_rank", "_set_periodic_expressions", "_set_leave_in_queue",
        "_set_job_retries", "_set_kill_sig", "_set_container_special",
        "_set_request_resources", "_set_concurrency_limits", "_set_accounting_group",
        "_set_oauth", "_set_simple_job_exprs", "_set_job_deferral", "_set_image_size",
        "_set_transfer_files", "_set_auto_attributes", "_report_common_mistakes",
        "_set_forced_submit_attrs", "_set_forced_attributes", "_set_resource_requirements",
        "_set_requirements", "_set_match_attrs",
    )

    def __init__(self, macros, cluster_id, cwd=None, owner=None, now=None, file_checks=False):
        self.macros = macros
        self.cluster_id = cluster_id
        self.cwd = cwd or os.getcwd()
        self.owner = owner or config.current_user()
        self.now = int(now if now is not None else time.time())
        self.file_checks = file_checks
        self.per_proc = set(PER_PROC_MACROS)
        self.used = set()
        self.warnings = []
        self.executables = set()  # executables to check exist (condor_submit's check_sub_file)
        self._templates = {}
        self._new_record(recording=False)
        self._tracker = _Tracker(macros, self.per_proc)

    def _new_record(self, recording):
        """Forget what the first proc's steps taught (a build starts with them)."""
        self._const = {}          # command -> value, for commands with no macro at all
        self._const_bool = {}     # the same for param_bool's answers
        self._raw = {}            # command -> (raw value, name found) of the others
        # True while the first proc's steps run; False while they are replayed
        # for a later proc (whose cluster ad exists then).
        self._recording = recording

    # -- command lookup
    def param(self, name, alt=None):
        """The expanded value of submit command `name` (or `alt`); None when
        absent or empty (HTCondor's submit_param)."""
        const = self._const
        key = (name, alt)
        v = const.get(key, _UNKNOWN)
        if v is not _UNKNOWN:  # replaying a step for a later proc: constants are known
            return v
        known = self._raw.get(key)
        if known is not None:  # and so are the raw values of the others
            return self._expand(*known) or None
        raw = self.macros.lookup(name)
        used = name
        if raw is None and alt:
            raw = self.macros.lookup(alt)
            used = alt
        if raw is None:
            if self._recording:
                const[key] = None
            return None
        low = used.lower()
        self.used.add(low)
        # A command named as a queue variable (`queue arguments from ...`) takes
        # each proc's value: its step is replayed per proc, nothing is kept.
        per_proc = low in self.per_proc
        if per_proc:
            self._tracker.hit = True
        if "$" not in raw:
            v = raw.strip() or None
            if self._recording and not per_proc:
                const[key] = v
            return v
        if self._recording and not per_proc:
            self._raw[key] = (raw, used)
        return self._expand(raw, used) or None

    def _expand(self, raw, name):
        tpl = self._templates.get(raw, False)
        if tpl is False:
            tpl = self._templates[raw] = self._compile(raw)
        if tpl is not None:
            # Fast path: literal text and per-proc macros only.
            sp = self.macros.special
            self._tracker.hit = True
            return "".join([part if kind else sp.get(part, "") for kind, part in tpl]).strip()
        try:
            return expand(raw, self._tracker).strip()
        except MacroError as e:
            raise SubmitError(str(e), kind="except")
        except RecursionError:
            raise SubmitError(f"Failed to expand macros in: {name}")

    _REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.]*)\)")

    def _compile(self, raw):
        """[(is_literal, text-or-name)] for a value using per-proc macros in a simple
        way ($(Process) and friends, plus macros that do not depend on the proc);
        None when the general expansion is needed."""
        parts = []
        pos = 0
        dynamic = False
        for m in self._REF.finditer(raw):
            lit = raw[pos:m.start()]
            if "$" in lit:
                return None
            if lit:
                parts.append((True, lit))
            name = m.group(1).lower()
            if name in self.per_proc and name in self.macros.special:
                parts.append((False, name))
                dynamic = True
            else:
                probe = _Tracker(self.macros, self.per_proc)
                try:
                    val = probe(name)
                    val = expand(val, probe) if val is not None else ""
                except (MacroError, RecursionError):
                    return None
                if probe.hit:
                    return None
                parts.append((True, val))
            pos = m.end()
        rest = raw[pos:]
        if "$" in rest or not dynamic:
            return None
        if rest:
            parts.append((True, rest))
        return parts

    def param_bool(self, name, alt=None, default=False):
        """(value, given) of a boolean command (HTCondor's submit_param_bool)."""
        key = (name, alt, default)
        known = self._const_bool.get(key)
        if known is not None:
            return known
        v = self.param(name, alt)
        if v is None:
            r = default, False
        else:
            b = parse_bool(v)
            if b is None:
                raise SubmitError(f"{name}={v} is invalid, must eval to a boolean.")
            r = b, True
        if (name, alt) in self._const:     # a constant: the same for every proc
            self._const_bool[key] = r
        return r

    def param_long(self, name, alt=None, int_range=False):
        """The integer value of a command, or None (HTCondor's submit_param_long_exists)."""
        v = self.param(name, alt)
        if v is None:
            return None
        n = parse_long(v)
        if n is None or (int_range and not -2 ** 31 <= n < 2 ** 31 - 1):
            raise SubmitError(f"{name}={v} is invalid, must eval to an integer.")
        return n

    def sorted_keys(self):
        """The submit description's command names in HTCondor's hash order."""
        return sorted(self.macros.keys(), key=str.lower)

    def defined(self, name):
        return self.macros.lookup(name) is not None

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)

    # -- paths
    def full_path(self, name, iwd):
        """HTCondor's full_path: a name made absolute against a directory."""
        if name.startswith("/"):
            return compress_path("/" + name)
        return compress_path(f"/{iwd}/{name}")

    def image_size_kb(self, name, iwd):
        """Size of a file (or a directory's files) in KiB, rounded up; 0 for URLs
        and names that do not exist."""
        if is_url(name):
            return 0
        path = self.full_path(name, iwd)
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return 0
        if os.path.isdir(path):
            total = 0
            for root, _, files in os.walk(path):
                for f in files:
                    try:
                        total += os.lstat(os.path.join(root, f)).st_size
                    except OSError:
                        pass
            return (total + 1023) // 1024
        return (st.st_size + 1023) // 1024

    # -- assigning attributes
    def assign_expr(self, ad, attr, text, canonical=False):
        """HTCondor's AssignJobExpr: the expression as HTCondor prints it.
        canonical: text we wrote ourselves in that form already."""
        if canonical or _PLAIN_LITERAL.match(text):
            ad[attr] = text
            return
        try:
            ad[attr] = exprs.normalize(text)
        except exprs.ExprError:
            raise SubmitError(f"Parse error in expression: \n\t{attr} = {text}\n\t")

    # -- the whole build
    def build(self, spec, first_proc=0):
        """(cluster_ad, [proc_ad, ...]) for one QueueSpec."""
        m = self.macros
        m.special["cluster"] = m.special["clusterid"] = str(self.cluster_id)
        items = spec.items if spec.items is not None else [(0, {})]
        item_vars = {v.lower() for v in spec.vars}
        self.per_proc = set(PER_PROC_MACROS) | item_vars
        if spec.items is None:
            self.per_proc.discard("item")   # a user's own Item macro then

        procs = []   # (proc, step, row, itemdict)
        p = first_proc
        for row, itemd in items:
            for step in range(spec.count):
                procs.append((p, step, row, itemd))
                p += 1

        self._set_proc_macros(procs[0], spec)
        self._new_record(recording=True)
        ad = _Recorder(self._base_ad())
        self._tracker = _Tracker(m, self.per_proc)
        self._set_universe(ad)
        self.macros.special["node"] = self._node_string
        dirty_steps = []
        moved = set()
        for step_name in self.STEPS:
            self._tracker = _Tracker(m, self.per_proc)
            ad.written = set()
            ad.reads = set()
            getattr(self, step_name)(ad)
            if self._tracker.hit or (ad.reads & moved):
                dirty_steps.append(step_name)
                moved |= ad.written
        ad.reads = ad.written = None
        self._recording = False
        ad = {k: v for k, v in ad.items() if k[0] != "."} if len(procs) == 1 else dict(ad)
        ad["ClusterId"] = str(self.cluster_id)
        status = ad.get("JobStatus", "1")
        moved.discard("JobStatus")

        if not dirty_steps or len(procs) == 1:
            ad.pop("JobStatus", None)
            _strip_state(ad)
            proc_ads = [{"ProcId": str(pr[0]), "JobStatus": status} for pr in procs]
            return ad, proc_ads

        # Attributes written by per-proc steps live in the proc ads.
        moved = {k for k in moved}
        proc_ads = [dict({"ProcId": str(procs[0][0]), "JobStatus": status},
                         **{k: ad[k] for k in moved if k in ad and k[0] != "."})]
        steps = [getattr(self, s) for s in dirty_steps]
        self._tracker = _Tracker(m, self.per_proc)     # what it notes no longer matters
        for pr in procs[1:]:
            self._set_proc_macros(pr, spec)
            tmp = _Replay(ad)
            for fn in steps:
                fn(tmp)
            pad = {"ProcId": str(pr[0]), "JobStatus": tmp.get("JobStatus", status)}
            for k in moved:
                if k in tmp and k[0] != ".":
                    pad[k] = tmp[k]
            # What only a later proc sets (the first left it to its default)
            # is that proc's own.
            if tmp.removed or len(tmp) != len(ad):
                for k in tmp.keys() - ad.keys():
                    if k[0] != ".":
                        pad[k] = tmp[k]
            proc_ads.append(pad)
        cluster_ad = ad
        cluster_ad.pop("JobStatus", None)
        _strip_state(cluster_ad)
        for k in moved:
            if k[0] == ".":
                continue
            cluster_ad.pop(k, None)
            # Values the same for every proc go back to the cluster ad.
            first = proc_ads[0].get(k)
            if first is not None and all(p.get(k) == first for p in proc_ads):
                cluster_ad[k] = first
                for p in proc_ads:
                    del p[k]
        return cluster_ad, proc_ads

    def _set_proc_macros(self, pr, spec):
        proc, step, row, itemd = pr
        sp = self.macros.special
        sp["process"] = sp["procid"] = str(proc)
        sp["step"] = str(step)
        sp["itemindex"] = sp["row"] = str(row)
        sp["jobid"] = f"{self.cluster_id}.{proc}"
        sp["node"] = self._node_string
        if spec.items is not None:
            for v in spec.vars:
                if v in itemd:
                    sp[v.lower()] = itemd[v]
                elif v.lower() not in sp:
                    sp[v.lower()] = ""

    _node_string = ""

    def _base_ad(self):
        """HTCondor's init_base_ad: what every job starts with."""
        from pycondorlite.version import CONDOR_VERSION, RELEASE_DATE
        ad = {
            "MyType": '"Job"', "TargetType": '"Machine"', "QDate": str(self.now),
            "JobSubmitMethod": "0", "Owner": "undefined",
            "RemoteWallClockTime": "0.0", "RemoteUserCpu": "0.0", "RemoteSysCpu": "0.0",
            "CumulativeRemoteUserCpu": "0.0", "CumulativeRemoteSysCpu": "0.0",
            "ExitStatus": "0", "NumCkpts": "0", "NumJobStarts": "0", "NumJobCompletions": "0",
            "NumRestarts": "0", "NumSystemHolds": "0", "CommittedTime": "0",
            "CommittedSlotTime": "0", "CumulativeSlotTime": "0", "TotalSuspensions": "0",
            "LastSuspensionTime": "0", "CumulativeSuspensionTime": "0",
            "CommittedSuspensionTime": "0", "ExitBySignal": "false",
        }
        self.forced_submit_attrs = []
        for knob in ("SUBMIT_ATTRS", "SUBMIT_EXPRS", "SYSTEM_SUBMIT_ATTRS"):
            for name in (config.param(knob) or "").replace(",", " ").split():
                if name.startswith("+"):
                    self.forced_submit_attrs.append(name[1:])
                    continue
                if name.lower().startswith("my."):
                    self.forced_submit_attrs.append(name[3:])
                    continue
                v = config.param(name)
                if v and exprs.is_expr(v):
                    ad[name] = exprs.normalize(v)
        ad["CondorVersion"] = quote(f"$CondorVersion: {CONDOR_VERSION} {RELEASE_DATE} "
                                    f"BuildID: pycondorlite $")
        ad["CondorPlatform"] = quote(f"$CondorPlatform: {config.param('ARCH')}-"
                                     f"{platform.system()} $")
        return ad

    # ------------------------------------------------------------ the steps

    def _set_universe(self, ad):
        """Once per cluster: the universe and its topping (docker, container)."""
        u = self.param("universe", "JobUniverse") or config.param("DEFAULT_UNIVERSE")
        self.docker = self.container = False
        num = 0
        if u:
            low = u.lower()
            m = re.match(r"[-+]?\d+", low)
            if m and int(m.group(0)):
                num = int(m.group(0))
            elif low in UNIVERSES:
                num = UNIVERSES[low]
            elif low in RETIRED_UNIVERSES:
                num = RETIRED_UNIVERSES[low]
            elif low == "docker":
                num, self.docker = VANILLA, True
            elif low == "container":
                num, self.container = VANILLA, True
        else:
            num = VANILLA
        if num in (VANILLA, LOCAL):
            container_image = self.param("container_image", "ContainerImage")
            if self.docker:
                if container_image:
                    raise SubmitError("docker universe does not allow use of container_image.")
            else:
                docker_image = self.param("docker_image", "DockerImage")
                if docker_image and container_image:
                    raise SubmitError("cannot declare both docker_image and container_image")
                if docker_image or container_image:
                    self.container = True
                    if docker_image:
                        ad["WantDockerImage"] = "true"
        self.universe = num
        ad["JobUniverse"] = str(num)
        self._node_string = "#pArAlLeLnOdE#" if num == PARALLEL else (
            "#MpInOdE#" if num == MPI else "")
        for prefix in ("Remote_", "Remote_Remote_"):
            ru = self.param(prefix + "universe", prefix + "JobUniverse")
            if ru:
                n = _universe_number(ru)
                if not n:
                    what = "Remote_Universe" if prefix == "Remote_" else "Remote_Remote_Universe"
                    raise SubmitError(f"Unknown {what} of '{ru}' specified")
                ad[prefix + "JobUniverse"] = str(n)
        if self.param_bool("WantParallelScheduling")[0]:
            ad["WantParallelScheduling"] = "true"
        if num == JAVA:
            return
        if num in (VANILLA, LOCAL):
            if self.docker:
                ad["WantDocker"] = "true"
            if self.container:
                ad["WantContainer"] = "true"
            return
        if num in (SCHEDULER, LOCAL, PARALLEL, MPI):
            return
        if num == GRID:
            gr = self.param("grid_resource", "GridResource")
            if not gr:
                raise SubmitError("grid_resource attribute not defined for grid universe job")
            gt = gr.split(" ")[0]
            if not valid_grid_type(gt):
                raise SubmitError(f"Invalid value '{gt}' for grid type\n"
                                  f"Must be one of: {', '.join(GRID_TYPES[:-1])}, "
                                  f"or {GRID_TYPES[-1]}")
            ad[".gridtype"] = gt.lower()
            return
        if num == VM:
            checkpoint = self.param_bool("vm_checkpoint", "JobVMCheckpoint")[0]
            if checkpoint and self.param_bool("vm_networking", "JobVMNetworking")[0]:
                when = self.param("WhenToTransferOutput", "when_to_transfer_output")
                if WTTO.get((when or "").lower()) != "ON_EXIT_OR_EVICT":
                    raise SubmitError(
                        "\nERROR: You explicitly requested both VM checkpoint and VM "
                        "networking. However, VM networking is currently conflict with VM "
                        "checkpoint. If you still want to use both VM networking and VM "
                        "checkpoint, you explicitly must define \"when_to_transfer_output = "
                        "ON_EXIT_OR_EVICT\"")
            self._vm_transfer = ("YES", "ON_EXIT_OR_EVICT" if checkpoint else "ON_EXIT")
            return
        if u and not num:
            raise SubmitError(f"I don't know about the '{u}' universe.")
        raise SubmitError(f"'{UNIVERSE_NAMES.get(num, u)}' is not a supported universe.")

    _vm_transfer = None

    def _set_iwd(self, ad):
        short = (self.param("initialdir", "Iwd") or self.param("initial_dir", "job_iwd"))
        if short:
            iwd = short if short.startswith("/") else _dircat(self.cwd, short)
        else:
            iwd = self.cwd
        iwd = compress_path(iwd)
        if ad.get(".iwd_checked") != iwd:
            path = compress_path("/" + iwd)
            if not os.access(path, os.F_OK | os.X_OK):
                raise SubmitError(f"No such directory: {path}")
            ad[".iwd_checked"] = iwd
        ad[".iwd"] = iwd
        ad["Iwd"] = quote(iwd)
        sf = self.macros.lookup("SUBMIT_FILE")
        if sf:
            ad["SubmitFile"] = quote(sf)

    def _set_executable(self, ad):
        gridtype = ad.get(".gridtype")
        ignore = self.universe == VM or (self.universe == GRID and
                                         gridtype in LABEL_EXECUTABLE_GRIDS)
        if self.docker:
            img = self.param("docker_image", "DockerImage")
            if img:
                image = strip_quotes(img)
                if not image:
                    raise SubmitError(f"'{img}' is not a valid docker_image")
                ad["DockerImage"] = quote(image)
            elif "DockerImage" not in ad:
                raise SubmitError("docker jobs require a docker_image")
        if self.container:
            img = self.param("docker_image", "DockerImage")
            if img:
                image = strip_quotes(img)
                if not image:
                    raise SubmitError(f"'{img}' is not a valid docker_image for container "
                                      f"universe")
                ad["DockerImage"] = quote(image)
            cimg = self.param("container_image", "ContainerImage")
            if cimg:
                image = strip_quotes(cimg)
                if not image or image.startswith(("instance://", "library://", "shub://")):
                    raise SubmitError(f"'{cimg}' is not a valid container image")
                ad["ContainerImage"] = quote(image)
                kind = container_image_type(image)
                ad[{"docker": "WantDockerImage", "sif": "WantSIF"}.get(kind,
                                                                      "WantSandboxImage")] = "true"
            elif "ContainerImage" not in ad and "DockerImage" not in ad:
                raise SubmitError("container jobs require a container_image or docker_image")
        exe = self.param("executable", "Cmd")
        if exe is None:
            if self.docker or self.container:
                ignore = True
            else:
                raise SubmitError("No 'executable' parameter was provided")
        transfer = True
        xfer = self.param("transfer_executable", "TransferExecutable")
        if xfer:
            if xfer[0] in "fF":
                ad["TransferExecutable"] = "false"
                transfer = False
        if ignore and transfer:
            ad["TransferExecutable"] = "false"
            transfer = False
        if transfer:
            full = self.full_path(exe, self.cwd)
        else:
            full = exe or ""
        ad["Cmd"] = quote(full)
        if transfer and not ignore:
            # What condor_submit's executable check looks at (Submit.jobs() does not).
            self.executables.add(full)

    def _set_arguments(self, ad):
        args1 = self.param("arguments", "Args")
        args2 = self.param("arguments2")
        allow_v1 = self.param_bool("allow_arguments_v1")[0]
        if args1 and args2 and not allow_v1:
            raise SubmitError("If you wish to specify both 'arguments' and\n'arguments2' for "
                              "maximal compatibility with different\nversions of Condor, then "
                              "you must also specify\nallow_arguments_v1=true.")
        a = Arguments()
        try:
            if args2:
                a.append_v2_quoted(args2)
            elif args1:
                a.append_v1_wacked_or_v2_quoted(args1)
        except ArgError as e:
            raise SubmitError(f"{e}\nThe full arguments you specified were: {args2 or args1}")
        # (the other form is not removed: a later proc's ad shows its cluster's)
        if a.input_was_v1:
            ad["Args"] = quote(a.v1_raw())
        else:
            ad["Arguments"] = quote(a.v2_raw())
        if self.universe == JAVA and not a.args:
            raise SubmitError("In Java universe, you must specify the class name to run.\n"
                              "Example:\n\narguments = MyClass\n")

    def _set_grid_params(self, ad):
        from pycondorlite.submit import grid
        grid.set_grid_params(self, ad)

    def _set_vm_params(self, ad):
        from pycondorlite.submit import vm
        vm.set_vm_params(self, ad)

    def _set_java_vm_args(self, ad):
        args1 = self.param("java_vm_args")
        args1_ext = self.param("java_vm_arguments", "JavaVMArgs")
        args2 = self.param("java_vm_arguments2")
        allow_v1 = self.param_bool("allow_arguments_v1")[0]
        if args1_ext and args1:
            raise SubmitError("you specified a value for both java_vm_args and "
                              "java_vm_arguments.")
        args1 = args1_ext or args1
        if args2 and args1 and not allow_v1:
            raise SubmitError("If you wish to specify both 'java_vm_arguments' and\n"
                              "'java_vm_arguments2' for maximal compatibility with different\n"
                              "versions of Condor, then you must also specify\n"
                              "allow_arguments_v1=true.")
        if not args1 and not args2:
            return
        a = Arguments()
        try:
            if args2:
                a.append_v2_quoted(args2)
            else:
                a.append_v1_wacked_or_v2_quoted(args1)
        except ArgError as e:
            raise SubmitError(f"failed to parse java VM arguments: {e}\n"
                              f"The full arguments you specified were {args2 or args1}")
        if a.input_was_v1:
            if a.v1_raw():
                ad["JavaVMArgs"] = quote(a.v1_raw())
        elif a.v2_raw():
            ad["JavaVMArguments"] = quote(a.v2_raw())

    def _set_parallel_params(self, ad):
        want = ad.get("WantParallelScheduling") == "true"
        if self.universe in (MPI, PARALLEL) or want:
            count = self.param("machine_count", "MachineCount") or \
                self.param("node_count", "NodeCount")
            if count:
                n = _atoi(count)
                ad["MinHosts"] = ad["MaxHosts"] = str(n)
            elif "MaxHosts" not in ad:
                raise SubmitError("No machine_count specified!")
            ad["RequestCpus"] = "1"
        if self.universe == PARALLEL:
            ad["WantIOProxy"] = "true"
            ad["JobRequiresSandbox"] = "true"

    def _set_environment(self, ad):
        env1 = self.param("environment", "env")
        env2 = self.param("environment2")
        allow_v1 = self.param_bool("allow_environment_v1")[0]
        prefer_v1 = False
        if env1 and not env2:
            v = self.param("env")
            prefer_v1 = bool(v) and not v.lstrip().startswith('"')
        if env1 and env2 and not allow_v1:
            raise SubmitError("If you wish to specify both 'environment' and\n'environment2' "
                              "for maximal compatibility with different\nversions of Condor, "
                              "then you must also specify\nallow_environment_v1=true.")
        env = Environment()
        try:
            if not self._recording:
                # A later proc starts from its cluster's environment (HTCondor's
                # get_cluster_ad()), and keeps it as it is unless told otherwise.
                if not env1 and not env2:
                    return
                env.merge_from_ad_texts(*(_ad_string(ad.get(k))
                                          for k in ("Environment", "Env", "EnvDelim")))
            if env2:
                env.merge_v2_quoted(env2)
            elif env1:
                env.merge_v1_raw_or_v2_quoted(env1)
        except ArgError as e:
            raise SubmitError(f"{e}\nThe environment you specified was: '{env2 or env1}'"
                              if "environment you specified" not in str(e) else str(e))
        getenv = self.param("getenv", "get_env")
        if getenv:
            only_v1 = bool(env1) and not env2

            def v1_safe(name, value):
                return not only_v1 or safe_v1_value(value)
            flag = parse_bool(getenv) if getenv.strip().lower() in ("true", "false") or \
                re.fullmatch(r"\s*[-+]?\d+\s*", getenv) else None
            if flag is not None:
                if flag:
                    if not config.param_bool("SUBMIT_ALLOW_GETENV", True):
                        raise SubmitError("\ngetenv = true command not allowed because "
                                          "administrator has set SUBMIT_ALLOW_GETENV = false")
                    env.import_from(os.environ, v1_safe)
            else:
                wanted = GetenvFilter(getenv)
                env.import_from(os.environ, lambda n, v: v1_safe(n, v) and wanted(n, v))
        has_v1, has_v2 = "Env" in ad, "Environment" in ad
        insert_v1 = prefer_v1
        insert_v2 = not insert_v1
        if not env1 and not env2 and not len(env) and (has_v1 or has_v2):
            return      # SUBMIT_ATTRS (or the cluster) gave one: keep it
        # What the ad has already is overwritten, in both forms.
        insert_v2 = insert_v2 or (insert_v1 and has_v2)
        insert_v1 = insert_v1 or (insert_v2 and has_v1)
        if insert_v1:
            try:
                ad["Env"] = quote(env.v1_raw())
            except ArgError as e:
                raise SubmitError(f"failed to insert environment into job ad: {e}")
            ad["EnvDelim"] = quote(";")
        if insert_v2:
            ad["Environment"] = quote(env.v2_raw())

    def _set_job_status(self, ad):
        hold = self.param_bool("hold")[0]
        if hold:
            ad["JobStatus"] = "5"
            ad["HoldReasonCode"] = "15"
            ad["HoldReason"] = quote("submitted on hold at user's request")
        else:
            # (HoldReason is not removed: a later proc's ad shows its cluster's)
            ad["JobStatus"] = "1"
        ad["EnteredCurrentStatus"] = str(self.now)

    def _std_file(self, ad, cmd, alt, attr, xfer_cmd, xfer_attr, stream_cmd, stream_attr):
        """SetStdin/SetStdout/SetStderr: the file, and whether it is transferred
        or streamed. What the ad already says is the default, as HTCondor looks
        it up in the job ad (a later proc's shows its cluster's)."""
        t = ad.get(xfer_attr)
        transfer = True if t is None else _ad_bool(t, True)
        given = self.param_bool(xfer_cmd, xfer_attr, transfer)[0]
        must_set = given != transfer
        transfer = given
        t = ad.get(stream_attr)
        stream = self.param_bool(stream_cmd, stream_attr,
                                 False if t is None else _ad_bool(t, False))[0]
        value = self.param(cmd, alt)
        if value is not None or attr not in ad:
            if value is None or value == "/dev/null":
                value = "/dev/null"
                transfer = stream = False
            elif self.universe == VM:
                raise SubmitError("You cannot use input, ouput, and error parameters in the "
                                  "submit description file for vm universe")
            ad[attr] = quote(value)
        if transfer:
            ad[stream_attr] = "true" if stream else "false"
            if must_set:
                ad[xfer_attr] = "true"
        else:
            ad[xfer_attr] = "false"

    def _set_stdin(self, ad):
        self._std_file(ad, "input", "stdin", "In", "transfer_input", "TransferIn",
                       "stream_input", "StreamIn")

    def _set_stdout(self, ad):
        self._std_file(ad, "output", "stdout", "Out", "transfer_output", "TransferOut",
                       "stream_output", "StreamOut")

    def _set_stderr(self, ad):
        self._std_file(ad, "error", "stderr", "Err", "transfer_error", "TransferErr",
                       "stream_error", "StreamErr")

    def _set_gsi_credentials(self, ad):
        from pycondorlite.submit import credentials
        credentials.set_gsi_credentials(self, ad)

    def _set_notification(self, ad):
        how = self.param("notification", "JobNotification") or \
            config.param("JOB_DEFAULT_NOTIFICATION")
        n = NOTIFICATION.get((how or "never").lower())
        if n is None:
            raise SubmitError("Notification must be 'Never', 'Always', 'Complete', 'Start', "
                              "or 'Error'")
        ad["JobNotification"] = str(n)

    def _set_rank(self, ad):
        rank = self.param("rank", "preferences")
        default_rank = append_rank = None
        if self.universe == VANILLA:
            default_rank = config.param("DEFAULT_RANK_VANILLA")
            append_rank = config.param("APPEND_RANK_VANILLA")
        default_rank = default_rank or config.param("DEFAULT_RANK")
        append_rank = append_rank or config.param("APPEND_RANK")
        rank = rank or default_rank
        if append_rank:
            rank = f"({rank}) + ({append_rank})" if rank else append_rank
        if rank:
            self.assign_expr(ad, "Rank", rank)
        else:
            ad["Rank"] = "0.0"

    def _set_periodic_expressions(self, ad):
        for cmd, attr in (("periodic_hold", "PeriodicHold"),
                          ("periodic_hold_reason", "PeriodicHoldReason"),
                          ("periodic_hold_subcode", "PeriodicHoldSubCode"),
                          ("periodic_release", "PeriodicRelease"),
                          ("periodic_remove", "PeriodicRemove"),
                          ("periodic_vacate", "PeriodicVacate"),
                          ("on_exit_hold_reason", "OnExitHoldReason"),
                          ("on_exit_hold_subcode", "OnExitHoldSubCode")):
            v = self.param(cmd, attr)
            if v:
                self.assign_expr(ad, attr, v)

    def _set_leave_in_queue(self, ad):
        v = self.param("leave_in_queue", "LeaveJobInQueue")
        if v:
            self.assign_expr(ad, "LeaveJobInQueue", v)
        elif "LeaveJobInQueue" not in ad:
            ad["LeaveJobInQueue"] = "false"

    def _set_job_retries(self, ad):
        erc = self.param("on_exit_remove", "OnExitRemove")
        ehc = self.param("on_exit_hold", "OnExitHold")
        num_retries = self.param_long("max_retries", "JobMaxRetries")
        success = self.param_long("success_exit_code", "JobSuccessExitCode", int_range=True)
        retry_until = self.param("retry_until")
        if num_retries is None and success is None and retry_until is None:
            if erc:
                self.assign_expr(ad, "OnExitRemove", erc)
            if ehc:
                self.assign_expr(ad, "OnExitHold", ehc)
            return
        if retry_until:
            valid = exprs.is_expr(retry_until)
            if valid:
                _, refs = exprs.references(retry_until)
                jrefs, _ = exprs.references(retry_until)
                code = parse_long(retry_until) if not (refs or jrefs) else None
                if code is not None and INT_RE.match(retry_until):
                    if not -2 ** 31 <= code <= 2 ** 31 - 1:
                        valid = False
                    else:
                        retry_until = f"ExitCode =?= {code}"
                elif exprs.needs_parens_for(retry_until, "||"):
                    retry_until = "(" + exprs.normalize(retry_until) + ")"
                else:
                    retry_until = exprs.normalize(retry_until)
            if not valid:
                raise SubmitError(f"retry_until={retry_until} is invalid, it must be an "
                                  f"integer or boolean expression.")
        if num_retries is None and "JobMaxRetries" not in ad:
            num_retries = config.param_int("DEFAULT_JOB_MAX_RETRIES", 2)
        if num_retries is not None:
            ad["JobMaxRetries"] = str(num_retries)
        if ehc:
            self.assign_expr(ad, "OnExitHold", ehc)
        elif "OnExitHold" not in ad:
            ad["OnExitHold"] = "false"
        if "OnExitRemove" in ad and success is None and not retry_until:
            return
        if success is not None:
            ad["JobSuccessExitCode"] = str(success)
            code_check = "JobSuccessExitCode"
        else:
            code_check = "0"
        if retry_until:
            code_check += " || " + retry_until
        onexitrm = "NumJobCompletions > JobMaxRetries || ExitCode =?= " + code_check
        if erc:
            if not exprs.is_expr(erc):
                raise SubmitError(f"on_exit_remove={erc} is invalid, it must be a boolean "
                                  f"expression.")
            text = exprs.normalize(erc)
            if exprs.needs_parens_for(erc, "||"):
                text = f"({text})"
            onexitrm += " || " + text
        self.assign_expr(ad, "OnExitRemove", onexitrm)

    def _set_kill_sig(self, ad):
        sig = self.param("kill_sig", "KillSig")
        if sig:
            name = signal_name(sig)
        elif self.universe != VANILLA:
            name = "SIGTERM"
        else:
            name = None
        if name:
            ad["KillSig"] = quote(name)
        for cmd, attr in (("remove_kill_sig", "RemoveKillSig"),
                          ("hold_kill_sig", "HoldKillSig")):
            sig = self.param(cmd, attr)
            if sig:
                ad[attr] = quote(signal_name(sig))
        timeout = self.param("kill_sig_timeout", "KillSigTimeout")
        if timeout:
            ad["KillSigTimeout"] = str(_atoi(timeout))

    def _set_container_special(self, ad):
        if not (self.docker or self.container):
            return
        services = self.param("container_service_names", "ContainerServiceNames")
        if not services:
            return
        ad["ContainerServiceNames"] = quote(services)
        for svc in string_list(services):
            port = self.param(svc + "_container_port")
            n = parse_long(port) if port is not None else None
            if n is None or not 0 <= n <= 65535:
                if port is not None and n is None:
                    raise SubmitError(f"{svc}_container_port={port} is invalid, must eval to "
                                      f"an integer.")
                raise SubmitError(f"Requested container service '{svc}' was not assigned a "
                                  f"port, or the assigned port was not valid.")
            ad[svc + "_ContainerPort"] = str(n)

    def _set_request_resources(self, ad):
        from pycondorlite.submit import resources
        resources.set_request_resources(self, ad)

    def _set_concurrency_limits(self, ad):
        limits = self.param("concurrency_limits")
        expr = self.param("concurrency_limits_expr")
        if limits:
            if expr:
                raise SubmitError("concurrency_limits and concurrency_limits_expr can't be used "
                                  "together")
            items = string_list(limits.lower())
            for item in items:
                if not _valid_concurrency_limit(item):
                    raise SubmitError(f"Invalid concurrency limit '{item}'")
            ad["ConcurrencyLimits"] = quote(",".join(sorted(items)))
        elif expr:
            self.assign_expr(ad, "ConcurrencyLimits", expr)

    def _set_accounting_group(self, ad):
        group = self.param("accounting_group", "AccountingGroup")
        nice = self.param_bool("nice_user", "NiceUser")[0]
        if nice:
            nice_group = config.param("NICE_USER_ACCOUNTING_GROUP_NAME") or "nice-user"
            if not group:
                group = nice_group
            elif group != nice_group:
                self.warn("nice_user conflicts with accounting_group. nice_user will be ignored")
            ad["MaxJobRetirementTime"] = "0"
        user = self.param("accounting_group_user", "AcctGroupUser")
        if not group and not user:
            return
        user = user or self.owner
        if group and not _valid_submitter_name(group):
            raise SubmitError(f"Invalid accounting_group: {group}")
        if not _valid_submitter_name(user):
            raise SubmitError(f"Invalid accounting_group_user: {user}")
        ad["AcctGroupUser"] = quote(user)
        if group:
            ad["AcctGroup"] = quote(group)
            ad["AccountingGroup"] = quote(f"{group}.{user}")
        else:
            ad["AccountingGroup"] = quote(user)

    def _set_oauth(self, ad):
        services = self.param("use_oauth_services", "use_oauth_service")
        if not services:
            return
        enabled = string_list(services)
        names = set()
        with_handles = set()
        pat = re.compile(r"_oauth_(permissions|resource|options)", re.I)
        for key in self.sorted_keys():
            if key.startswith("+") or key.lower().startswith("my."):
                continue
            m = pat.search(key)
            if not m:
                continue
            service = key[:m.start()]
            if service not in enabled:
                continue
            rest = key[m.end():]
            if rest:
                with_handles.add(service)
                service += "*" + rest[1:]
            names.add(service)
        for s in enabled:
            if s not in with_handles:
                names.add(s)
        ad["OAuthServicesNeeded"] = quote(",".join(sorted(names, key=str.lower)))

    def _set_simple_job_exprs(self, ad):
        last_existed = False
        iwd = ad[".iwd"]
        for cmd, attr, kind, flags in SIMPLE_COMMANDS:
            if "alt" in flags and last_existed:
                last_existed = False
                continue
            v = self.param(cmd, attr)
            last_existed = v is not None
            if v is None:
                continue
            if kind == "string":
                if "strip" in flags:
                    v = strip_quotes(v)
                if "list" in flags:
                    v = ",".join(string_list(v))
                if "file" in flags and v:
                    v = self.full_path(v, iwd)
                ad[attr] = quote(v)
            elif kind == "bool":
                b = parse_bool(v)
                if b is None:
                    raise SubmitError(f"{cmd}={v} is invalid, must eval to a boolean.")
                ad[attr] = exprs.boolean(b)
            elif kind in ("int", "uint"):
                n = parse_long(v)
                if n is None:
                    raise SubmitError(f"{cmd}={v} is invalid, must eval to an integer.")
                if n < 0 and kind == "uint":
                    raise SubmitError(f"{cmd}={v} is invalid, must eval to a non-negative "
                                      f"integer.")
                ad[attr] = str(n)
            else:
                self.assign_expr(ad, attr, v)

    def _set_job_deferral(self, ad):
        t = self.param("deferral_time", "DeferralTime")
        if t:
            self._assign_non_negative(ad, "DeferralTime", "deferral_time", t)
        if not self._needs_deferral(ad):
            return
        w = self.param("cron_window", "CronWindow") or \
            self.param("deferral_window", "DeferralWindow")
        if w:
            self._assign_non_negative(ad, "DeferralWindow", "deferral_window", w)
        else:
            ad["DeferralWindow"] = "0"
        p = self.param("cron_prep_time", "CronPrepTime") or \
            self.param("deferral_prep_time", "DeferralPrepTime")
        if p:
            self._assign_non_negative(ad, "DeferralPrepTime", "deferral_prep_time", p)
        else:
            ad["DeferralPrepTime"] = "300"

    def _assign_non_negative(self, ad, attr, cmd, text):
        try:
            self.assign_expr(ad, attr, text)
            v = exprs.literal(ad[attr])
            valid = v is None or (type(v) is int and v >= 0)
        except SubmitError:
            valid = False
        if not valid:
            raise SubmitError(f"{cmd} = {text} is invalid, must eval to a non-negative "
                              f"integer.")

    @staticmethod
    def _needs_deferral(ad):
        for attr in ("CronMinute", "CronHour", "CronDayOfMonth", "CronMonth",
                     "CronDayOfWeek", "DeferralTime"):
            if attr in ad:
                return attr
        return None

    def _set_image_size(self, ad):
        if self.universe != VM:
            cmd = exprs_text_string(ad.get("Cmd", '""'))
            size = 0
            if cmd and not (self.universe == GRID and
                            ad.get(".gridtype") in LABEL_EXECUTABLE_GRIDS):
                size = self.image_size_kb(cmd, ad[".iwd"])
            ad["ExecutableSize"] = str(size)
        v = self.param("image_size", "ImageSize")
        if v:
            got = parse_bytes(v, 1024)
            if got is None:
                raise SubmitError(f"'{v}' is not valid for Image Size")
            if got[0] < 1:
                raise SubmitError("Image Size must be positive")
            ad["ImageSize"] = str(got[0])
        elif "ImageSize" not in ad:
            ad["ImageSize"] = ad.get("ExecutableSize", "0")

    def _set_transfer_files(self, ad):
        from pycondorlite.submit import transfer
        transfer.set_transfer_files(self, ad)

    def _set_auto_attributes(self, ad):
        if "MaxHosts" not in ad and self.universe != MPI:
            ad["MinHosts"] = ad["MaxHosts"] = "1"
        if "CurrentHosts" not in ad:
            ad["CurrentHosts"] = "0"
        if "SuccessCheckpointExitCode" in ad:
            ad["WantFTOnCheckpoint"] = "true"
        if "MaxJobRetirementTime" not in ad and ad.get("NiceUser") == "true":
            ad["MaxJobRetirementTime"] = "0"
        if self.universe in (VANILLA, JAVA, PARALLEL, VM, MPI) and "JobLeaseDuration" not in ad:
            lease = config.param("JOB_DEFAULT_LEASE_DURATION") or "2400"
            self.assign_expr(ad, "JobLeaseDuration", lease)
        if "JobPrio" not in ad:
            ad["JobPrio"] = "0"
        if "JobStarterLog" in ad and "JobStarterDebug" not in ad:
            ad["JobStarterDebug"] = "true"

    def _report_common_mistakes(self, ad):
        who = exprs_text_string(ad.get("NotifyUser", ""))
        if who and who.lower() in ("false", "never"):
            uid = config.param("UID_DOMAIN") or ""
            self.warn(f"You used  notify_user={who}  in your submit file.\n"
                      f"This means notification email will go to user \"{who}@{uid}\".\n"
                      f"This is probably not what you expect!\n"
                      f"If you do not want notification email, put \"notification = never\"\n"
                      f"into your submit file, instead.")
        hl = ad.get("JobMachineAttrsHistoryLength")
        if hl is not None and not 0 <= int(hl) <= 2 ** 31 - 1:
            raise SubmitError(f"job_machine_attrs_history_length={hl} is out of bounds 0 to "
                              f"2147483647")
        lease = exprs.literal_number(ad.get("JobLeaseDuration", "undefined"))
        if lease is not None and 0 < lease < 20:
            self.warn("JobLeaseDuration less than 20 seconds is not allowed, using 20 instead")
            ad["JobLeaseDuration"] = "20"
        if self.universe == SCHEDULER and "DeferralTime" in ad:
            attr = self._needs_deferral(ad) or "DeferralTime"
            raise SubmitError(f"{attr} does not work for scheduler universe jobs.\n"
                              f"Consider submitting this job using the local universe, "
                              f"instead")

    def _set_forced_submit_attrs(self, ad):
        for name in self.forced_submit_attrs:
            v = config.param(name)
            if v:
                self.assign_expr(ad, name, v)

    def _set_forced_attributes(self, ad):
        for key in self.sorted_keys():
            if not key.lower().startswith("my."):
                continue
            attr = key[3:]
            raw = self.macros.lookup(key)
            self.used.add(key.lower())
            v = self._expand(raw, key) if raw and "$" in raw else (raw or "").strip()
            self.assign_expr(ad, attr, v if v else "undefined")

    def _set_resource_requirements(self, ad):
        from pycondorlite.submit import resources
        resources.set_resource_requirements(self, ad)

    def _set_requirements(self, ad):
        from pycondorlite.submit import requirements
        requirements.set_requirements(self, ad)

    def _set_match_attrs(self, ad):
        """pycondorlite's own: a grid job whose GridResource waits for matchmaking
        ($$) gets the attributes HTCondor 7.x gave such jobs (our negotiator reads them)."""
        gr = ad.get("GridResource")
        if self.universe == GRID and gr and "$$" in gr:
            ad["Matched"] = "false"
            ad["CurrentHosts"] = "0"
            ad["MaxHosts"] = "1"
            ad["WantClaiming"] = "false"


# ---------------------------------------------------------------- helpers

_PLAIN_LITERAL = re.compile(r'-?[1-9][0-9]{0,17}\Z|0\Z|"[^"\\]*"\Z|true\Z|false\Z')


def _strip_state(ad):
    for k in [k for k in ad if k[0] == "."]:
        del ad[k]


def _dircat(cwd, name):
    return cwd + name if cwd.endswith("/") else f"{cwd}/{name}"


def _atoi(s):
    m = re.match(r"\s*[-+]?\d+", s)
    return int(m.group(0)) if m else 0


def _universe_number(u):
    low = u.lower()
    m = re.match(r"[-+]?\d+", low)
    if m and int(m.group(0)):
        return int(m.group(0))
    return UNIVERSES.get(low) or RETIRED_UNIVERSES.get(low) or 0


def _valid_concurrency_limit(item):
    """HTCondor's ParseConcurrencyLimit takes `name[:amount]`, and is lenient
    about the amount; only an empty name is refused."""
    return bool(item.split(":", 1)[0])


_SUBMITTER_RE = re.compile(r"[A-Za-z0-9_.@+-]+\Z")


def _valid_submitter_name(name):
    return bool(_SUBMITTER_RE.match(name))
