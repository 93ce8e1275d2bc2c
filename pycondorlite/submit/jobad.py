"""Job ads from submit descriptions, as condor_submit builds them.

Ads are dict[str, str]: attribute name (HTCondor's spelling) -> ClassAd
expression text in old syntax.  One submit gives ONE cluster ad (what all
procs share) and one small proc ad per proc (ProcId, JobStatus and whatever
per-proc macros such as $(Process) or $(Item) changed).

The ad is built by a list of steps (methods named _set_*); each reads submit
commands through self.cmd(), which records whether the expansion touched a
per-proc macro.  Only the steps that did are run again for procs after the
first, so `queue 100000` costs one full build plus 100000 small dicts.
"""

import math
import os
import platform
import re
import time

from pycondorlite import config
from pycondorlite.submit.macros import MacroError, MacroSet, expand
from pycondorlite.submit.queue import QueueError, QueueSpec, parse_queue
from pycondorlite.submit.reader import Reader, SubmitSyntaxError

UNIVERSES = {
    "standard": 1, "vanilla": 5, "docker": 5, "container": 5, "scheduler": 7,
    "mpi": 8, "grid": 9, "globus": 9, "java": 10, "parallel": 11, "local": 12, "vm": 13,
}
GRID_TYPES = ["condor", "batch", "arc", "ec2", "gce", "azure", "deltacloud"]
GRID_TYPE_ALIASES = {"pbs", "lsf", "sge", "nqs"}
NOTIFICATION = {"never": 0, "always": 1, "complete": 2, "error": 3}

# Submit commands of the Deltacloud grid type -> job attribute (string values).
DELTACLOUD_COMMANDS = [
    ("deltacloud_username", "DeltacloudUsername"),
    ("deltacloud_password", "DeltacloudPassword"),
    ("deltacloud_image_id", "DeltacloudImageId"),
    ("deltacloud_instance_name", "DeltacloudInstanceName"),
    ("deltacloud_realm_id", "DeltacloudRealmId"),
    ("deltacloud_hardware_profile", "DeltacloudHardwareProfile"),
    ("deltacloud_hardware_profile_memory", "DeltacloudHardwareProfileMemory"),
    ("deltacloud_hardware_profile_cpu", "DeltacloudHardwareProfileCpu"),
    ("deltacloud_hardware_profile_storage", "DeltacloudHardwareProfileStorage"),
    ("deltacloud_keyname", "DeltacloudKeyname"),
    ("deltacloud_user_data", "DeltacloudUserData"),
]

# Plain commands that copy an expression (or a string) into one attribute.
EXPR_COMMANDS = [
    ("periodic_hold", "PeriodicHold"), ("periodic_release", "PeriodicRelease"),
    ("periodic_remove", "PeriodicRemove"), ("on_exit_remove", "OnExitRemove"),
    ("on_exit_hold", "OnExitHold"), ("periodic_vacate", "PeriodicVacate"),
    ("job_max_vacate_time", "JobMaxVacateTime"), ("allowed_execute_duration", "AllowedExecuteDuration"),
    ("allowed_job_duration", "AllowedJobDuration"), ("coresize", "CoreSize"),
    ("max_job_retirement_time", "MaxJobRetirementTime"), ("next_job_start_delay", "NextJobStartDelay"),
]
STRING_COMMANDS = [
    ("batch_name", "JobBatchName"), ("description", "JobDescription"),
    ("notify_user", "NotifyUser"), ("kill_sig", "KillSig"), ("submit_event_notes", "SubmitEventNotes"),
    ("remove_kill_sig", "RemoveKillSig"), ("hold_kill_sig", "HoldKillSig"),
    ("transfer_input_files", "TransferInput"), ("transfer_output_files", "TransferOutput"),
    ("docker_image", "DockerImage"), ("container_image", "ContainerImage"),
]

INTEGER_MACROS = {"process", "procid", "step", "itemindex", "row", "cluster", "clusterid"}
PER_PROC_MACROS = {"process", "procid", "step", "itemindex", "row", "item", "jobid", "node"}


class SubmitError(Exception):
    """A semantic submit error, worded as HTCondor's (printed as `ERROR: msg`)."""

    def __init__(self, msg, lineno=0):
        super().__init__(msg)
        self.msg = msg
        self.lineno = lineno


def quote(s):
    """A ClassAd string literal (old syntax: backslash and double quote escaped)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_expr(text):
    """True when `text` is a valid ClassAd expression (pycondorlite.classad decides)."""
    try:
        from pycondorlite.classad import ExprTree
    except ImportError:
        return _rough_check(text)
    try:
        ExprTree(text)
        return True
    except Exception:
        return False


_TOK_RE = re.compile(r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)
    |(?P<id>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op>=\?=|=!=|==|!=|<=|>=|&&|\|\||<<|>>>|>>|[-+*/%<>!?:,.()\[\]{}=;&|^~]))""",
                     re.X)


def _rough_check(text):
    """Stand-in syntax check until pycondorlite.classad exists: tokens, brackets,
    and no two operands in a row."""
    pos = 0
    depth = []
    prev_operand = False
    text = text.strip()
    if not text:
        return False
    while pos < len(text):
        m = _TOK_RE.match(text, pos)
        if not m or m.end() == pos:
            return False
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(kind)
        if kind in ("str", "num", "id"):
            if prev_operand and tok.lower() not in ("is", "isnt"):
                return False
            prev_operand = tok.lower() not in ("is", "isnt")
        else:
            if tok in "([{":
                if prev_operand and tok == "{":
                    return False
                depth.append(tok)
                prev_operand = False
            elif tok in ")]}":
                if not depth or "([{"[")]}".index(tok)] != depth.pop():
                    return False
                prev_operand = True
            else:
                prev_operand = False
    return not depth and text.rstrip()[-1:] not in "+-*/&|<>=!?:,"


# ---------------------------------------------------------------- arguments/environment

def args_v2_to_list(s):
    """Split V2 arguments (whitespace separated, single quotes group, '' is a quote)."""
    out = []
    cur = None
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            if cur is not None:
                out.append(cur)
                cur = None
            i += 1
            continue
        if c == "'":
            cur = cur or ""
            i += 1
            while True:
                if i >= n:
                    raise SubmitError("Unterminated single quote in arguments")
                if s[i] == "'":
                    if i + 1 < n and s[i + 1] == "'":
                        cur += "'"
                        i += 2
                        continue
                    i += 1
                    break
                cur += s[i]
                i += 1
            continue
        cur = (cur or "") + c
        i += 1
    if cur is not None:
        out.append(cur)
    return out


def args_list_to_v2(args):
    parts = []
    for a in args:
        if a == "":
            parts.append("''")
            continue
        if re.search(r"[\s']", a):
            # Quote only the runs that need it, as HTCondor does ("c d" -> c' 'd).
            buf = []
            for ch in a:
                if ch.isspace():
                    buf.append("'" + ch + "'")
                elif ch == "'":
                    buf.append("''''")
                else:
                    buf.append(ch)
            parts.append("".join(buf))
        else:
            parts.append(a)
    return " ".join(parts)


def env_v2_to_list(s):
    out = []
    for tok in args_v2_to_list(s):
        if "=" not in tok:
            raise SubmitError(f"ERROR: Missing '=' after environment variable '{tok}'.\n"
                              f"The environment you specified was: '\"{s}\"'")
        k, v = tok.split("=", 1)
        out.append((k, v))
    return out


def env_v1_to_list(s):
    out = []
    for tok in s.split(";"):
        if not tok.strip():
            continue
        if "=" not in tok:
            raise SubmitError(f"ERROR: Missing '=' after environment variable '{tok}'.\n"
                              f"The environment you specified was: '{s}'")
        k, v = tok.split("=", 1)
        out.append((k.strip(), v))
    return out


def env_list_to_v2(pairs):
    parts = []
    for k, v in pairs:
        item = f"{k}={v}"
        parts.append(args_list_to_v2([item]))
    return " ".join(parts)


_UNIT_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([KMGTP]?)I?B?\s*$", re.I)
_SCALE = {"": 1, "K": 1, "M": 1024, "G": 1024 ** 2, "T": 1024 ** 3, "P": 1024 ** 4}


def scaled_size(value, default_unit):
    """'2 GB' -> MiB (default_unit 'M') or KiB (default_unit 'K'); None if an expression."""
    m = _UNIT_RE.match(value)
    if not m:
        return None
    num = float(m.group(1))
    unit = m.group(2).upper() or default_unit
    kib = num * _SCALE[unit]
    if default_unit == "M":
        return str(int(math.ceil(kib / 1024)))
    return str(int(math.ceil(kib)))


# ---------------------------------------------------------------- the builder

class _Tracker:
    """Macro lookups that note whether a per-proc macro was used."""

    def __init__(self, macros, per_proc):
        self.macros = macros
        self.per_proc = per_proc
        self.hit = False

    def __call__(self, name):
        key = name.lower()
        if key in self.per_proc:
            self.hit = True
        return self.macros.lookup(name)


class JobAdBuilder:
    """Builds the ads of one queue statement from a macro set."""

    STEPS = (
        "_set_universe", "_set_executable", "_set_iwd", "_set_arguments", "_set_environment",
        "_set_io", "_set_log", "_set_priority", "_set_notification", "_set_requests",
        "_set_transfer", "_set_simple", "_set_hold", "_set_retries", "_set_grid",
        "_set_misc", "_set_requirements", "_set_rank", "_set_my",
    )

    def __init__(self, macros, cluster_id, cwd=None, owner=None, now=None):
        self.macros = macros
        self.cluster_id = cluster_id
        self.cwd = cwd or os.getcwd()
        self.owner = owner or config.current_user()
        self.now = int(now if now is not None else time.time())
        self.per_proc = set(PER_PROC_MACROS)
        self.used = set()
        self._templates = {}
        self._submit_attrs = None
        self._const = {}          # command -> value, for commands with no macro at all
        self._recording = False
        self._my_keys = None
        self._valid_shapes = set()

    # -- command lookup
    def cmd(self, name, alt=None):
        """The expanded value of submit command `name` (or its attribute name `alt`)."""
        const = self._const
        if name in const:       # replaying a step for a later proc: constants are known
            return const[name]
        raw = self.macros.lookup(name)
        key = name
        if raw is None and alt:
            raw = self.macros.lookup(alt)
            key = alt
        if raw is None:
            if self._recording:
                const[name] = None
            return None
        self.used.add(key.lower())
        if self._recording and "$" not in raw:
            const[name] = raw.strip()
        return self._expand(raw)

    def _expand(self, raw):
        if "$" not in raw:
            return raw.strip()
        tpl = self._templates.get(raw, False)
        if tpl is False:
            tpl = self._templates[raw] = self._compile(raw)
        if tpl is not None:
            # Fast path: literal text and per-proc macros only.
            sp = self.macros.special
            self._tracker.hit = True
            return "".join(part if kind else sp.get(part, "") for kind, part in tpl).strip()
        try:
            return expand(raw, self._tracker).strip()
        except MacroError as e:
            raise SubmitError(str(e))

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
                except MacroError:
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

    def bool_cmd(self, name, default=False, alt=None):
        v = self.cmd(name, alt)
        if v is None or v == "":
            return default
        low = v.lower()
        if low in ("true", "t", "yes", "y", "1"):
            return True
        if low in ("false", "f", "no", "n", "0"):
            return False
        raise SubmitError(f"{name}={v} is invalid, must eval to a boolean.")

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
        self._const = {}
        self._recording = True
        ad = _Recorder()
        dirty_steps = []
        moved = set()
        for step_name in self.STEPS:
            self._tracker = _Tracker(m, self.per_proc)
            ad.written = set()
            getattr(self, step_name)(ad)
            if self._tracker.hit:
                dirty_steps.append(step_name)
                moved |= ad.written
        self._recording = False
        ad = dict(ad)
        ad["ClusterId"] = str(self.cluster_id)
        status = ad.get("JobStatus", "1")
        moved.discard("JobStatus")

        if not dirty_steps:
            ad.pop("JobStatus", None)
            proc_ads = [{"ProcId": str(pr[0]), "JobStatus": status} for pr in procs]
            return ad, proc_ads

        # Attributes written by per-proc steps live in the proc ads.
        proc_ads = [dict({"ProcId": str(procs[0][0]), "JobStatus": status},
                         **{k: ad[k] for k in moved if k in ad})]
        steps = [getattr(self, s) for s in dirty_steps]
        for pr in procs[1:]:
            self._set_proc_macros(pr, spec)
            tmp = dict(ad)
            for fn in steps:
                self._tracker = _Tracker(m, self.per_proc)
                fn(tmp)
            pad = {"ProcId": str(pr[0]), "JobStatus": tmp.get("JobStatus", status)}
            for k in moved:
                if k in tmp:
                    pad[k] = tmp[k]
            proc_ads.append(pad)
        cluster_ad = ad
        cluster_ad.pop("JobStatus", None)
        for k in moved:
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
        sp["node"] = "#pArAlLeLnOdE#"
        if spec.items is not None:
            for v in spec.vars:
                if v in itemd:
                    sp[v.lower()] = itemd[v]
                elif v.lower() not in sp:
                    sp[v.lower()] = ""

    # -- steps
    def _set_universe(self, ad):
        u = self.cmd("universe")
        self.universe_name = "vanilla"
        if u:
            low = u.lower()
            if low.isdigit() and int(low) in UNIVERSES.values():
                self.universe_name = [k for k, v in UNIVERSES.items() if v == int(low)][0]
            elif low == "standard":
                raise SubmitError("'Standard' is not a supported universe.")
            elif low in UNIVERSES:
                self.universe_name = "grid" if low == "globus" else low
            else:
                raise SubmitError(f"I don't know about the '{u}' universe.")
        self.universe = UNIVERSES[self.universe_name]
        ad["JobUniverse"] = str(self.universe)
        ad["MyType"] = '"Job"'
        ad["TargetType"] = '"Machine"'
        ad["Owner"] = quote(self.owner)
        uid_domain = config.param("UID_DOMAIN") or config.param("FULL_HOSTNAME")
        ad["User"] = quote(f"{self.owner}@{uid_domain}")
        ad["QDate"] = str(self.now)
        ad["EnteredCurrentStatus"] = str(self.now)
        ad["JobStatus"] = "1"
        for k, v in (("NumCkpts", "0"), ("NumRestarts", "0"), ("NumSystemHolds", "0"),
                     ("CommittedTime", "0"), ("CommittedSlotTime", "0"),
                     ("CumulativeSlotTime", "0"), ("TotalSuspensions", "0"),
                     ("LastSuspensionTime", "0"), ("CumulativeSuspensionTime", "0"),
                     ("CommittedSuspensionTime", "0"), ("ExitBySignal", "false"),
                     ("ExitStatus", "0"), ("NumJobStarts", "0"), ("NumJobCompletions", "0"),
                     ("RemoteUserCpu", "0.0"), ("RemoteSysCpu", "0.0"),
                     ("CumulativeRemoteUserCpu", "0.0"), ("CumulativeRemoteSysCpu", "0.0"),
                     ("RemoteWallClockTime", "0.0"), ("CurrentHosts", "0"),
                     ("MinHosts", "1"), ("MaxHosts", "1"), ("TransferInputSizeMB", "0"),
                     ("LeaveJobInQueue", "false")):
            ad[k] = v
        from pycondorlite.version import CONDOR_VERSION, RELEASE_DATE
        ad["CondorVersion"] = quote(f"$CondorVersion: {CONDOR_VERSION} {RELEASE_DATE} "
                                    f"BuildID: pycondorlite $")
        ad["CondorPlatform"] = quote(f"$CondorPlatform: {config.param('ARCH')}-"
                                     f"{platform.system()} $")
        ad["JobSubmitMethod"] = "0"
        if self.universe in (7, 9, 10, 11, 12, 13):
            ad["KillSig"] = '"SIGTERM"'
        if self.universe not in (7, 9, 12):
            ad["JobLeaseDuration"] = "2400"
        if self.universe in (8, 11):
            mc = self.cmd("machine_count")
            if not mc:
                raise SubmitError("No machine_count specified!")
            ad["MinHosts"] = ad["MaxHosts"] = mc
            ad["WantIOProxy"] = "true"
            ad["JobRequiresSandbox"] = "true"
        if self.universe == 10 and not (self.cmd("arguments") or self.cmd("args")):
            raise SubmitError("In Java universe, you must specify the class name to run.\n"
                              "Example:\n\narguments = MyClass\n")
        # grid type, needed by later steps
        self.grid_type = None
        self.grid_resource = None
        if self.universe == 9:
            gr = self.cmd("grid_resource", "GridResource")
            if not gr:
                raise SubmitError("grid_resource attribute not defined for grid universe job")
            self.grid_resource = gr
            if gr.startswith("$$("):
                self.grid_type = None   # full matchmaking: no per-type checks
            else:
                gt = gr.split()[0].lower()
                if gt not in GRID_TYPES and gt not in GRID_TYPE_ALIASES:
                    raise SubmitError(f"Invalid value '{gr.split()[0]}' for grid type\n"
                                      f"Must be one of: {', '.join(GRID_TYPES[:-1])}, "
                                      f"or {GRID_TYPES[-1]}")
                self.grid_type = gt

    def _nonfile_executable(self):
        return self.universe == 9 and self.grid_type in ("deltacloud", "ec2", "gce", "azure")

    def _set_iwd(self, ad):
        iwd = self.cmd("initialdir") or self.cmd("initial_dir") or self.cmd("iwd")
        if iwd:
            iwd = os.path.normpath(os.path.join(self.cwd, iwd))
        else:
            iwd = self.cwd
        self.iwd = iwd
        ad["Iwd"] = quote(iwd)
        self._finish_executable(ad)

    def _set_executable(self, ad):
        exe = self.cmd("executable", "Cmd")
        if not exe:
            raise SubmitError("No 'executable' parameter was provided")
        self.executable = exe

    def _finish_executable(self, ad):
        exe = self.executable
        transfer = self.bool_cmd("transfer_executable", True)
        if self._nonfile_executable():
            ad["Cmd"] = quote(exe)
            ad["TransferExecutable"] = "false"
            size = 0
        else:
            path = exe if os.path.isabs(exe) else os.path.join(self.iwd, exe)
            ad["Cmd"] = quote(path if transfer else exe)
            if not transfer:
                ad["TransferExecutable"] = "false"
            try:
                size = int(math.ceil(os.path.getsize(path) / 1024))
            except (OSError, ValueError):     # ValueError: a NUL in the name
                size = 0
        self.exe_path = None if self._nonfile_executable() else (
            exe if os.path.isabs(exe) else os.path.join(self.iwd, exe))
        self.exe_size = size
        s = str(size)
        ad["ExecutableSize"] = s
        image = self.cmd("image_size")
        ad["ImageSize"] = scaled_size(image, "K") if image else s
        ad["DiskUsage"] = s

    def _set_arguments(self, ad):
        raw = self.macros.lookup("arguments")
        name = "arguments"
        if raw is None:
            raw = self.macros.lookup("args")
            name = "args"
        if raw is None:
            ad["Arguments"] = '""'
            return
        v = self.cmd(name)
        if len(v) >= 2 and v.startswith('"') and v.endswith('"'):
            inner = v[1:-1].replace('""', '\x00')
            args = [a.replace("\x00", '"') for a in args_v2_to_list(inner)]
            ad["Arguments"] = quote(args_list_to_v2(args))
        else:
            if '"' in v:
                bad = v[v.index('"'):]
                raise SubmitError(f"Found illegal unescaped double-quote: {bad}\n"
                                  f"The full arguments you specified were: {v}")
            ad["Args"] = quote(" ".join(v.split()))

    def _set_environment(self, ad):
        v = self.cmd("environment", "env")
        pairs = []
        if self.bool_cmd("getenv", False):
            pairs = sorted(os.environ.items())
        if v:
            if len(v) >= 2 and v.startswith('"') and v.endswith('"'):
                new = env_v2_to_list(v[1:-1])
            else:
                new = env_v1_to_list(v)
            d = dict(pairs)
            for k, val in new:
                d[k] = val
            pairs = list(d.items()) if self.bool_cmd("getenv", False) else new
        ad["Environment"] = quote(env_list_to_v2(pairs))

    def _set_io(self, ad):
        # A real file gets Stream<X>; /dev/null (the default) gets Transfer<X> = false.
        for cmd, attr in (("input", "In"), ("output", "Out"), ("error", "Err")):
            v = self.cmd(cmd)
            if not v or v == "/dev/null":
                ad[attr] = '"/dev/null"'
                ad["Transfer" + attr] = "false"
                continue
            ad[attr] = quote(v)
            ad["Stream" + attr] = "true" if self.bool_cmd("stream_" + cmd, False) else "false"

    def _set_log(self, ad):
        v = self.cmd("log", "UserLog")
        if v:
            ad["UserLog"] = quote(v if os.path.isabs(v) else os.path.join(self.iwd, v))
            if self.bool_cmd("log_xml", False):
                ad["UserLogUseXML"] = "true"

    def _set_priority(self, ad):
        v = self.cmd("priority", "prio")
        if v:
            try:
                ad["JobPrio"] = str(int(v))
            except ValueError:
                raise SubmitError(f"priority={v} is invalid, must eval to an integer.")
        else:
            ad["JobPrio"] = "0"

    def _set_notification(self, ad):
        v = self.cmd("notification")
        if v:
            if v.lower() not in NOTIFICATION:
                raise SubmitError("Notification must be 'Never', 'Always', 'Complete', "
                                  "'Start', or 'Error'")
            ad["JobNotification"] = str(NOTIFICATION[v.lower()])
        else:
            ad["JobNotification"] = "0"

    def _set_requests(self, ad):
        batch = self.universe == 9 and self.grid_type == "batch"
        self.has_request_cpus = False
        cpus = self.cmd("request_cpus", "RequestCpus")
        if cpus:
            ad["RequestCpus"] = cpus
            self.has_request_cpus = True
        elif not batch:
            ad["RequestCpus"] = "1"
        mem = self.cmd("request_memory", "RequestMemory")
        if mem:
            ad["RequestMemory"] = scaled_size(mem, "M") or mem
        elif not batch:
            ad["RequestMemory"] = ("ifthenelse(MemoryUsage =!= undefined,MemoryUsage,"
                                   "(ImageSize + 1023) / 1024)")
        disk = self.cmd("request_disk", "RequestDisk")
        if disk:
            ad["RequestDisk"] = scaled_size(disk, "K") or disk
        elif not batch:
            ad["RequestDisk"] = "DiskUsage"

    def _set_transfer(self, ad):
        stf = self.cmd("should_transfer_files")
        stf = (stf or "IF_NEEDED").upper()
        if stf not in ("YES", "NO", "IF_NEEDED"):
            raise SubmitError(f"should_transfer_files = {stf} is invalid.  "
                              f"Must be YES, NO, or IF_NEEDED.")
        self.should_transfer = stf
        ad["ShouldTransferFiles"] = quote(stf)
        if stf != "NO":
            wtt = (self.cmd("when_to_transfer_output") or "ON_EXIT").upper()
            ad["WhenToTransferOutput"] = quote(wtt)
        if stf != "YES":
            ad["FileSystemDomain"] = quote(config.param("FILESYSTEM_DOMAIN") or "")

    def _set_simple(self, ad):
        for cmd, attr in STRING_COMMANDS:
            v = self.cmd(cmd)
            if v:
                ad[attr] = quote(v)
        for cmd, attr in EXPR_COMMANDS:
            v = self.cmd(cmd)
            if v:
                ad[attr] = v
        v = self.cmd("concurrency_limits")
        if v:
            ad["ConcurrencyLimits"] = quote(v.lower())
        v = self.cmd("leave_in_queue")
        if v:
            ad["LeaveJobInQueue"] = v
        v = self.cmd("match_list_length")
        if v:
            ad["LastMatchListLength"] = v
        v = self.cmd("job_lease_duration")
        if v and "JobLeaseDuration" in ad:
            try:
                ad["JobLeaseDuration"] = str(max(int(v), 20)) if int(v) else "0"
            except ValueError:
                ad["JobLeaseDuration"] = v
        grp = self.cmd("accounting_group")
        nice = self.bool_cmd("nice_user", False)
        if nice:
            grp = "nice-user"
            ad["MaxJobRetirementTime"] = "0"
        if grp:
            user = self.cmd("accounting_group_user") or self.owner
            ad["AcctGroup"] = quote(grp)
            ad["AcctGroupUser"] = quote(user)
            ad["AccountingGroup"] = quote(f"{grp}.{user}")

    def _set_hold(self, ad):
        if self.bool_cmd("hold", False):
            ad["JobStatus"] = "5"
            ad["HoldReason"] = quote("submitted on hold at user's request")
            ad["HoldReasonCode"] = "15"

    def _set_retries(self, ad):
        v = self.cmd("max_retries")
        if v:
            ad["JobMaxRetries"] = v
            if "OnExitHold" not in ad:
                ad["OnExitHold"] = "false"
            success = self.cmd("success_exit_code") or "0"
            if "OnExitRemove" not in ad:
                ad["OnExitRemove"] = f"NumJobCompletions > JobMaxRetries || ExitCode =?= {success}"

    def _set_grid(self, ad):
        if self.universe != 9:
            return
        gr = self.grid_resource
        ad["GridResource"] = quote(gr)
        if "$$" in gr:
            ad["Matched"] = "false"
            ad["CurrentHosts"] = "0"
            ad["MaxHosts"] = "1"
            ad["WantClaiming"] = "false"
        if self.grid_type == "deltacloud":
            self._set_deltacloud(ad)

    def _set_deltacloud(self, ad):
        vals = {}
        for cmd, attr in DELTACLOUD_COMMANDS:
            v = self.cmd(cmd, attr)
            if v:
                vals[attr] = v
                ad[attr] = quote(v)
        if "DeltacloudUsername" not in vals:
            raise SubmitError('Deltacloud jobs require a "deltacloud_username" parameter')
        pwfile = self.cmd("deltacloud_password_file", "DeltacloudPasswordFile")
        if pwfile:
            full = pwfile if os.path.isabs(pwfile) else os.path.join(self.iwd, pwfile)
            if "$$" not in pwfile:
                try:
                    with open(full):
                        pass
                except (OSError, ValueError) as e:   # ValueError: a NUL in the name
                    why = getattr(e, "strerror", None) or str(e)
                    raise SubmitError(f"Failed to open password file {full!r} ({why})"
                                      if "\0" in full else
                                      f"Failed to open password file {full} ({why})")
            ad["DeltacloudPasswordFile"] = quote(full)
        elif "DeltacloudPassword" not in vals:
            raise SubmitError('Deltacloud jobs require a "deltacloud_password_file" parameter')
        if "DeltacloudImageId" not in vals and "DeltacloudInstanceName" not in vals:
            raise SubmitError('Deltacloud jobs require a "deltacloud_image_id" or '
                              '"deltacloud_instance_name" parameters')

    def _set_misc(self, ad):
        if self.universe_name == "docker":
            ad["WantDocker"] = "true"
        dt = self.cmd("deferral_time")
        if dt:
            ad["DeferralTime"] = dt
            ad["DeferralWindow"] = self.cmd("deferral_window") or "0"
            ad["DeferralPrepTime"] = self.cmd("deferral_prep_time") or "300"
            ad["ScheddInterval"] = str(config.param_int("SCHEDD_INTERVAL", 300))

    def _set_requirements(self, ad):
        req = self.cmd("requirements", "Requirements")
        if req and not check_expr(req):
            raise SubmitError(f"Parse error in expression: \n\tRequirements = {req}\n\t")
        clauses = []
        defaults = self.universe != 9 or self.grid_type == "condor"
        if defaults:
            low = (req or "")
            refs = {m.lower() for m in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", low)}
            if "arch" not in refs:
                clauses.append(f'(TARGET.Arch == "{config.param("ARCH")}")')
            if self.universe_name == "docker":
                clauses.append("TARGET.HasDocker")
            elif "opsys" not in refs:
                clauses.append(f'(TARGET.OpSys == "{config.param("OPSYS")}")')
            clauses.append("(TARGET.Disk >= RequestDisk)")
            clauses.append("(TARGET.Memory >= RequestMemory)")
            if self.has_request_cpus:
                clauses.append("(TARGET.Cpus >= RequestCpus)")
            if self.universe not in (7, 9, 12):
                stf = self.should_transfer
                if stf == "YES":
                    if "hasfiletransfer" not in refs:
                        clauses.append("(TARGET.HasFileTransfer)")
                elif stf == "NO":
                    if "filesystemdomain" not in refs:
                        clauses.append("(TARGET.FileSystemDomain == MY.FileSystemDomain)")
                elif "hasfiletransfer" not in refs and "filesystemdomain" not in refs:
                    clauses.append("((TARGET.FileSystemDomain == MY.FileSystemDomain) || "
                                   "(TARGET.HasFileTransfer))")
            if "DeferralTime" in ad:
                clauses.append("TARGET.HasJobDeferral && (((time() + ScheddInterval) >= "
                               "(DeferralTime - DeferralPrepTime)) && (time() < "
                               "(DeferralTime + DeferralWindow)))")
        append = config.param("APPEND_REQUIREMENTS")
        if append:
            req = f"({req}) && ({append})" if req else append
        if req:
            clauses.insert(0, f"({req})")
        ad["Requirements"] = " && ".join(clauses) if clauses else "true"

    def _set_rank(self, ad):
        r = self.cmd("rank", "Rank")
        if r:
            if not check_expr(r):
                raise SubmitError(f"Parse error in expression: \n\tRank = {r}\n\t")
            ad["Rank"] = r
        else:
            ad["Rank"] = "0.0"

    def _set_my(self, ad):
        if self._submit_attrs is None:
            # SUBMIT_ATTRS (SUBMIT_EXPRS): configuration knobs copied into every job ad.
            self._submit_attrs = {}
            for knob in ("SUBMIT_ATTRS", "SUBMIT_EXPRS"):
                names = config.param(knob)
                for name in (names or "").replace(",", " ").split():
                    v = config.param(name)
                    if v and check_expr(v):
                        self._submit_attrs[name.lstrip("+")] = v
        ad.update(self._submit_attrs)
        if self._my_keys is None:
            self._my_keys = [n for n in self.macros.keys() if n.lower().startswith("my.")]
        for name in self._my_keys:
            attr = name[3:]
            raw = self.macros.lookup(name)
            v = self._expand(raw)
            if v == "":
                ad.pop(attr, None)
                continue
            if raw in self._valid_shapes:
                ad[attr] = v
                continue
            if not check_expr(v):
                raise SubmitError(f"Parse error in expression: \n\t{attr} = {v}\n\t")
            tpl = self._templates.get(raw)
            if tpl and all(kind or part in INTEGER_MACROS for kind, part in tpl):
                # Only integers vary from proc to proc: one check holds for all.
                self._valid_shapes.add(raw)
            ad[attr] = v


class _Recorder(dict):
    """A dict that notes the keys written to it (to learn what a build step sets)."""
    written = None

    def __setitem__(self, k, v):
        if self.written is not None:
            self.written.add(k)
        dict.__setitem__(self, k, v)


# ---------------------------------------------------------------- the description

# Submit commands HTCondor knows that pycondorlite accepts without acting on
# them: never reported as unused.
KNOWN_IGNORED = {
    "copy_to_spool", "transfer_output_remaps", "want_graceful_removal", "encrypt_input_files",
    "encrypt_output_files", "dont_encrypt_input_files", "dont_encrypt_output_files",
    "preserve_relative_paths", "max_materialize", "max_idle", "materialize_max_idle",
    "want_remote_io", "buffer_size", "buffer_block_size", "rendezvousdir", "run_as_owner",
    "load_profile", "use_x509userproxy", "x509userproxy", "use_oauth_services",
    "cron_minute", "cron_hour", "cron_day_of_month", "cron_month", "cron_day_of_week",
    "cron_prep_time", "cron_window", "ec2_access_key_id", "ec2_secret_access_key",
    "ec2_ami_id", "ec2_instance_type", "ec2_keypair", "ec2_user_data", "vm_type",
    "vm_memory", "vm_disk", "vm_networking", "vm_vnc", "vm_checkpoint", "vm_no_output_vm",
    "machine_count", "java_vm_args", "jar_files", "docker_network_type", "container_service_names",
    "request_gpus", "gpus_minimum_capability", "gpus_minimum_memory", "request_gpu_memory",
    "skip_filechecks", "dagman_log", "dag_status", "failed_count", "success_exit_code",
    "on_exit_hold_reason", "on_exit_hold_subcode", "periodic_hold_reason",
    "periodic_hold_subcode", "retry_until", "job_machine_attrs", "job_machine_attrs_history_length",
    "want_name_tag", "hold_reason", "hold_reason_code", "accounting_group_user", "keep_claim_idle",
    "nordugrid_rsl", "batch_queue", "batch_project", "batch_runtime", "batch_extra_submit_args",
    "arc_resources", "arc_rte", "arc_application", "remote_initialdir", "globus_rsl",
    "deltacloud_password_file", "transfer_plugins", "output_destination", "job_ad_information_attrs",
    "initial_dir", "iwd", "prio", "env", "job_lease_duration", "deferral_window",
    "deferral_prep_time", "stream_input", "stream_output", "stream_error", "log_xml",
    "transfer_executable", "when_to_transfer_output", "should_transfer_files",
}


class QueueBlock:
    """One queue statement with the macros as they stood when it was read."""
    __slots__ = ("macros", "args", "block", "lineno", "source", "_spec")

    def __init__(self, macros, args, block, lineno, source):
        self.macros = macros
        self.args = args
        self.block = block
        self.lineno = lineno
        self.source = source
        self._spec = None


class SubmitDescription:
    """A parsed submit description: macros and its queue statements, in order."""

    def __init__(self, text, source="(stdin)", cwd=None, pre_lines=(), append_lines=(),
                 queue_override=None, submit_file=None):
        self.source = source
        self.cwd = cwd or os.getcwd()
        self.macros = MacroSet(_submit_defaults(submit_file, self.cwd))
        self.blocks = []
        self.warnings = []
        self.append_lines = list(append_lines)
        self.queue_override = queue_override
        self.reader = Reader(self, submit=True, own_version=_own_version())
        for ln in pre_lines:
            self.reader.read_text(ln, source)
        self._queue_allowed = True
        self.reader.read_text(text, source)
        if queue_override is not None:
            if self.blocks:
                raise SubmitSyntaxError("-queue argument conflicts with queue statement in "
                                        "submit file", self.blocks[0].lineno, source, kind="raw")
            for ln in self.append_lines:
                self.reader.read_text(ln, source)
            self.blocks.append(QueueBlock(self._snapshot(), queue_override, None, 0, source))

    # Reader handler interface
    def assign(self, name, value, line):
        self.macros.set(name, value)

    def warning(self, msg):
        self.warnings.append(msg)

    def queue(self, line, source):
        if self.queue_override is not None:
            raise SubmitSyntaxError("-queue argument conflicts with queue statement in "
                                    "submit file", line.lineno, source, kind="raw")
        for ln in self.append_lines:
            self.reader.read_text(ln, source)
        self.append_lines = []
        self.blocks.append(QueueBlock(self._snapshot(), line.value, line.block, line.lineno,
                                      source))

    def _snapshot(self):
        m = MacroSet(self.macros.defaults)
        m.table = {k: list(v) for k, v in self.macros.table.items()}
        return m

    # Queue statements -> specs
    def spec(self, blk):
        """The QueueSpec of a queue statement (computed once: `from cmd |` runs once)."""
        cached = getattr(blk, "_spec", None)
        if cached is not None:
            return cached
        blk._spec = self._spec(blk)
        return blk._spec

    def _spec(self, blk):
        try:
            args = expand(blk.args, blk.macros.lookup)
        except MacroError as e:
            raise SubmitSyntaxError(str(e), blk.lineno, blk.source)
        try:
            return parse_queue(args, blk.block, cwd=self.cwd)
        except QueueError as e:
            raise SubmitSyntaxError(str(e), blk.lineno, blk.source, kind="queue")

    def unused(self):
        """[(name, raw value)] of the assignments nothing used, sorted by name, for
        condor_submit's "was unused by condor_submit. Is it a typo?" warnings."""
        sets = [self.macros] + [b.macros for b in self.blocks]
        out = []
        for key, (name, value, _) in self.macros.table.items():
            if key.startswith("my.") or key in KNOWN_IGNORED:
                continue
            if any(m.table.get(key, (0, 0, False))[2] for m in sets):
                continue
            out.append((name, value))
        return sorted(out, key=lambda nv: nv[0].lower())

    def jobs(self, cluster_id=1, first_proc=0, owner=None, now=None, probe=False):
        """[(cluster_ad, proc_ads, spec)] for every queue statement (ids continue).

        probe: build only the first proc of each statement (a cheap check)."""
        out = []
        proc = first_proc
        for blk in self.blocks:
            spec = self.spec(blk)
            if probe and not spec.empty_list:
                spec = QueueSpec(1, spec.vars, spec.items[:1] if spec.items is not None else None,
                                 spec.mode)
            if spec.empty_list:
                out.append((None, [], spec))
                continue
            b = JobAdBuilder(blk.macros, cluster_id, cwd=self.cwd, owner=owner, now=now)
            try:
                cad, pads = b.build(spec, proc)
            except SubmitError as e:
                e.lineno = blk.lineno
                raise
            proc += len(pads)
            out.append((cad, pads, spec))
        return out


def _own_version():
    from pycondorlite.version import CONDOR_VERSION
    nums = [int(x) for x in re.findall(r"\d+", CONDOR_VERSION)[:3]]
    while len(nums) < 3:
        nums.append(0)
    return tuple(nums)


def _submit_defaults(submit_file, cwd):
    """Macros every submit file sees: host facts and submit time."""
    t = time.localtime()
    d = {
        "arch": config.param("ARCH") or "",
        "opsys": config.param("OPSYS") or "",
        "islinux": "1" if platform.system() == "Linux" else "0",
        "iswindows": "0",
        "spool": config.param("SPOOL") or "",
        "submit_time": str(int(time.time())),
        "year": str(t.tm_year), "month": str(t.tm_mon), "day": str(t.tm_mday),
        "dollar": "$",
    }
    if submit_file:
        d["submit_file"] = os.path.join(cwd, submit_file) if not os.path.isabs(submit_file) \
            else submit_file
    return d
