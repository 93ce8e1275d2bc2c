"""The Deltacloud grid type: one state machine per job, one resource per endpoint.

Modelled on HTCondor's gridmanager (dcloudjob.cpp / dcloudresource.cpp, 8.4):

- DCloudJob is an explicit state machine. Each state has one handler
  (`_state_<NAME>`), and every transition is an assignment to `self.state`
  inside a handler or a result callback. The machine never blocks: slow cloud
  calls run on the resource's thread pool and come back as results, and spool
  writes are queued and committed by the GridManager in one transaction per
  poll (a handler that needs a write to be durable waits for its commit).
- DCloudResource is one (service URL, username, credentials) endpoint. It
  batches status: ONE instance-list request per probe interval, however many
  jobs, run on its own thread so it never queues behind creates. It marks the
  endpoint down after repeated failed lists (grid resource down/up events)
  and, while down, lets no job send new requests.

Durable facts, so that nothing is launched twice whatever crashes:
GridJobId = "deltacloud <name>" is committed BEFORE the create request, and
"deltacloud <name> <id>" (+ DeltacloudProviderId) after it. A machine that
starts with a name in GridJobId (restart, release after an error hold, an
uncertain create) first looks the name up in the provider's list and adopts
what it finds.
"""

import hashlib
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from pycondorlite import userlog
from pycondorlite.jobad import quote as _quote
from pycondorlite.gridmanager import cloudapi

# ---- job states (HTCondor's GM_* names) ---------------------------------
GM_INIT = "INIT"                        # decide from the durable facts
GM_CLEAR_REQUEST = "CLEAR_REQUEST"      # forget any old submission
GM_SAVE_INSTANCE_NAME = "SAVE_INSTANCE_NAME"  # commit the name before creating
GM_CHECK_VM = "CHECK_VM"                # find our name at the provider; adopt
GM_CREATE_VM = "CREATE_VM"              # create request
GM_SAVE_INSTANCE_ID = "SAVE_INSTANCE_ID"  # commit the id after creating
GM_SUBMITTED = "SUBMITTED"              # instance exists: follow its state
GM_START_VM = "START_VM"                # provider needs an explicit start
GM_PROBE_JOB = "PROBE_JOB"              # GET the one instance
GM_DONE_SAVE = "DONE_SAVE"              # provider stopped/finished it: job completes
GM_CANCEL = "CANCEL"                    # kill the instance: stop, then destroy
GM_STOPPED = "STOPPED"                  # instance gone: clear GridJobId
GM_HOLD = "HOLD"                        # put the job on hold (error)
GM_DELETE = "DELETE"                    # hand the job back to the schedd
GM_DONE = "DONE"                        # the manager forgets this job

# ---- JobStatus --------------------------------------------------------------
IDLE, RUNNING, REMOVED, COMPLETED, HELD = 1, 2, 3, 4, 5

# Remote states HTCondor acts on.
R_PENDING, R_RUNNING, R_STOPPED, R_FINISH = "PENDING", "RUNNING", "STOPPED", "FINISH"

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
DOWN_AFTER_FAILED_LISTS = 3
DEFAULT_RETRY_TIMEOUT = 90.0


def backoff(failures, cap=BACKOFF_MAX):
    """Seconds to wait after the n-th consecutive failure (n >= 1), jittered."""
    d = min(cap, BACKOFF_FIRST * (2 ** min(max(0, failures - 1), 16)))
    return d * random.uniform(0.5, 1.0)


def quote(s):
    return _quote(str(s))


class LaunchError(Exception):
    """The job ad cannot describe a Deltacloud instance (a hold reason)."""


class LaunchSpec:
    """What a job asks of the cloud, read once from its expanded ad."""

    PARAMS = (("DeltacloudImageId", "image_id"), ("DeltacloudRealmId", "realm_id"),
              ("DeltacloudHardwareProfile", "hwp_id"),
              ("DeltacloudHardwareProfileMemory", "hwp_memory"),
              ("DeltacloudHardwareProfileCpu", "hwp_cpu"),
              ("DeltacloudHardwareProfileStorage", "hwp_storage"),
              ("DeltacloudKeyname", "keyname"), ("DeltacloudUserData", "user_data"))

    def __init__(self, get):
        """get(Name) -> python value or None, from the expanded job ad."""
        resource = get("GridResource")
        if not isinstance(resource, str) or not resource.strip():
            raise LaunchError("GridResource is not set in the job ad")
        words = resource.split()
        if words[0].lower() != "deltacloud":
            raise LaunchError("GridResource not of type deltacloud")
        if len(words) < 2:
            raise LaunchError("GridResource missing Deltacloud service URL")
        self.grid_resource = resource
        self.url = words[1]
        if not self.url.lower().startswith(("http://", "https://")):
            raise LaunchError(f"GridResource URL is not http(s): {self.url}")
        self.username = _text(get("DeltacloudUsername"))
        if not self.username:
            raise LaunchError("DeltacloudUsername is not set in the job ad")
        self.password_file = _text(get("DeltacloudPasswordFile"))
        password = _text(get("DeltacloudPassword"))
        if password is None and not self.password_file:
            raise LaunchError("DeltacloudPasswordFile is not set in the job ad")
        self._password = password
        self.instance_name = _text(get("DeltacloudInstanceName"))
        self.params = {}
        for attr, param in self.PARAMS:
            v = _text(get(attr))
            if v not in (None, ""):
                self.params[param] = v
        if "image_id" not in self.params and not self.instance_name:
            raise LaunchError("DeltacloudImageId is not set in the job ad")
        timeout = get("DeltacloudRetryTimeout")
        self.retry_timeout = (float(timeout) if isinstance(timeout, (int, float))
                              and not isinstance(timeout, bool) else DEFAULT_RETRY_TIMEOUT)

    def password(self):
        """The secret: the job's password, else its password file's first
        line stripped of trailing whitespace (as HTCondor's GAHP read it)."""
        if self._password is not None:
            return self._password
        try:
            with open(self.password_file) as f:
                return f.read().rstrip()
        except OSError as e:
            raise LaunchError(f"Invalid_Password_File: cannot read {self.password_file} "
                              f"({e.strerror})") from None

    def resource_key(self):
        # HTCondor keys resources by url#user#pwfile; a literal password is
        # keyed by its digest, so the secret itself is never a dict key in logs.
        if self._password is not None:
            cred = "pw:" + hashlib.sha256(self._password.encode()).hexdigest()
        else:
            cred = "file:" + self.password_file
        return (self.url, self.username, cred)


def _text(v):
    if v is None or isinstance(v, bool):
        return None if v is None else ("true" if v else "false")
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    return None     # undefined / error


# ============================================================================
class DCloudJob:
    """One grid job's state machine. Runs only in the GridManager's poll thread."""

    def __init__(self, gm, key, jobad, spec, resource, now):
        self.gm = gm
        self.key = key                  # (cluster, proc)
        self.jobad = jobad              # latest spool JobAd (for the user log)
        self.spec = spec
        self.resource = resource
        self.state = GM_INIT
        self.status = jobad.status
        self.name, self.inst_id = _parse_grid_job_id(jobad.literal("GridJobId"))
        self.name_saved = self.name is not None
        self.instance = None            # last cloudapi.Instance seen
        self.remote_state = None
        self.gone = False               # the provider no longer has it
        self.missing = False            # absent from a list taken after we knew it
        self.known_since = None         # monotonic time the id became known
        self.acted_at = 0.0             # monotonic time of our last action's answer
        self.check_since = None         # CHECK_VM wants a list started after this
        self.pending = None             # name of the request in flight
        self.waiting_commit = False
        self.stale = False              # a guarded write lost a race: re-read first
        self.retry_at = 0.0
        self.failures = 0
        self.first_failure = None
        self.completed = self.status == COMPLETED
        self.running_logged = self.status == RUNNING
        self.needs_start = jobad.literal("DeltacloudNeedsStart") is True
        self.hold_reason = None
        self.written = {}               # attribute texts we last wrote (to skip no-ops)
        # HTCondor's BaseJob starts "resource down" when the ad says so, so that
        # a restarted gridmanager still logs the Back Up event (025) later.
        self.unavailable_logged = jobad.literal("GridResourceUnavailableTime") is not None

    def __repr__(self):
        return f"<DCloudJob {self.key[0]}.{self.key[1]} {self.state}>"

    @property
    def label(self):
        return f"{self.key[0]}.{self.key[1]}"

    # ---- inputs -----------------------------------------------------------
    def refresh(self, jobad):
        """A newer view of the job from the spool."""
        self.jobad = jobad
        if jobad.status != self.status:
            self.gm.log.debug("job %s: JobStatus %s -> %s", self.label, self.status, jobad.status)
        self.status = jobad.status
        if self.stale:
            # A write of ours was refused: start over from the durable facts.
            self.stale = False
            self.name, self.inst_id = _parse_grid_job_id(jobad.literal("GridJobId"))
            self.name_saved = self.name is not None
            self.completed = self.status == COMPLETED
            self.running_logged = self.status == RUNNING
            if self.spec is None:       # an ad that names no instance: hold or let go
                self.state = GM_HOLD if self._active() else GM_DELETE
            else:
                self.state = GM_INIT

    def on_result(self, op, ok, value, now):
        """A cloud request finished (poll thread)."""
        self.pending = None
        handler = getattr(self, "_result_" + op)
        handler(ok, value, now)

    def on_list(self, listing, now):
        """The resource's batched instance list arrived."""
        if self.state == GM_CHECK_VM:
            return      # handled by the state (it needs the list start time)
        if self.inst_id is None or self.known_since is None:
            return
        if listing.started < self.acted_at:
            return      # taken before our last action's answer: older news
        inst = listing.find(self.name, self.inst_id)
        if inst is not None:
            self.missing = False
            self._apply_instance(inst)
        elif listing.started >= self.known_since and not self.gone:
            self.missing = True

    def on_resource_down(self, down, now):
        if down:
            self.write({"GridResourceUnavailableTime": str(int(time.time()))})
            self.gm.event(self, userlog.grid_resource_down(*self.key, self.spec.grid_resource))
        else:
            self.write({"GridResourceUnavailableTime": None})
            self.gm.event(self, userlog.grid_resource_up(*self.key, self.spec.grid_resource))

    # ---- running the machine -------------------------------------------------
    def evaluate(self, now):
        """Run handlers until the state settles. Returns when next to look (monotonic)."""
        for _ in range(20):
            if self.pending or self.waiting_commit or self.stale or self.state == GM_DONE:
                return None
            before = self.state
            getattr(self, "_state_" + before)(now)
            if self.state == before:
                break
            self.gm.log.debug("job %s: %s -> %s", self.label, before, self.state)
        return self.retry_at if self.retry_at > now else None

    def write(self, attrs, statuses=None, then=None, history=False):
        """Queue a spool write (committed by the manager this poll).

        statuses: the write applies only if the job's JobStatus is one of these
        at commit time. then(ok) runs after the commit. The job waits for it."""
        self.gm.queue_write(self, attrs, statuses, then, history)
        if then is not None:
            self.waiting_commit = True

    def committed(self, then, ok):
        self.waiting_commit = False
        if then is not None:
            then(ok)

    def _refused(self, ok):
        if not ok:
            self.stale = True

    def _request(self, op, fn, *args):
        self.pending = op
        self.resource.submit(self, op, fn, *args)

    def _failed(self, now, err):
        """A transient failure: back off."""
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = now
        # Capped near the probe interval: a flaky cloud is retried about as
        # often as it is polled, not ever more rarely.
        self.retry_at = now + backoff(self.failures, self.resource.backoff_cap)
        self.gm.log.info("job %s: %s; retrying in %.1fs", self.label, err,
                         self.retry_at - now)

    def _succeeded(self):
        self.failures = 0
        self.first_failure = None
        self.retry_at = 0.0

    def _waiting(self, now):
        return now < self.retry_at or not self.resource.up

    def _active(self):
        return self.status in (IDLE, RUNNING)

    def _apply_instance(self, inst):
        """Record what the provider says about our instance; write what changed."""
        self.instance = inst
        if inst.id and inst.id != self.inst_id and self.inst_id is None:
            self.inst_id = inst.id
        self.remote_state = inst.state
        attrs = {
            "GridJobStatus": quote(inst.state),
            "DeltacloudPublicNetworkAddresses": quote(",".join(inst.public_addresses)),
            "DeltacloudPrivateNetworkAddresses": quote(",".join(inst.private_addresses)),
            "DeltacloudAvailableActions": quote(",".join(inst.actions)),
        }
        changed = {k: v for k, v in attrs.items() if self.written.get(k) != v}
        if changed:
            if "GridJobStatus" in changed:
                changed["LastRemoteStatusUpdate"] = str(int(time.time()))
            self.written.update(changed)
            self.write(changed)

    def _grid_job_id(self):
        return "deltacloud " + self.name + (" " + self.inst_id if self.inst_id else "")

    # ---- states ----------------------------------------------------------------
    def _state_INIT(self, now):
        if self.name is None and self.spec.instance_name and self._active():
            # A user-given name: look for an existing instance to adopt first.
            self.name = self.spec.instance_name
        if self.name is None:
            self.state = GM_CLEAR_REQUEST
        else:
            self.check_since = now
            self.state = GM_CHECK_VM

    def _state_CLEAR_REQUEST(self, now):
        self.inst_id = None
        self.instance = None
        self.remote_state = None
        self.gone = self.missing = False
        self.state = GM_SAVE_INSTANCE_NAME

    def _state_SAVE_INSTANCE_NAME(self, now):
        if not self._active():
            self.state = GM_DELETE
            return
        if self.name_saved:
            self.state = GM_CREATE_VM
            return
        try:
            self.spec.password()
        except LaunchError as e:
            self.hold_reason = str(e)
            self.state = GM_HOLD
            return
        if not self.resource.info_ready:
            return      # the provider's name limit comes with the first list
        if not self.resource.may_submit(self):
            return
        if self.name is None:
            self.name = self.spec.instance_name or str(uuid.uuid4())[:self.resource.max_name_length]

        def saved(ok):
            if ok:
                self.name_saved = True
                self.state = GM_CREATE_VM
            else:
                self.name = None
                self.resource.release_slot(self)
                self.stale = True
        # Write-ahead: durable before any create is sent.
        self.write({"GridJobId": quote(self._grid_job_id()), "Managed": '"External"'},
                   statuses=(IDLE, RUNNING), then=saved)

    def _state_CHECK_VM(self, now):
        listing = self.resource.listing
        if listing is None or listing.started < self.check_since:
            self.resource.list_soon(now)
            return      # the next batched list (no extra request for one job)
        inst = listing.find(self.name, None)
        if inst is not None:
            self.gm.log.info("job %s: adopting instance %s (%s) found by name",
                             self.label, inst.id, self.name)
            self.resource.take_slot(self)
            self.inst_id = inst.id
            self._adopted(inst, now)
        elif not self._active():
            self.state = GM_STOPPED
        elif not self.name_saved:
            self.state = GM_SAVE_INSTANCE_NAME
        else:
            self.state = GM_CREATE_VM

    def _state_CREATE_VM(self, now):
        if not self._active():
            self.state = GM_STOPPED
            return
        if self._waiting(now) or not self.resource.may_submit(self):
            return
        try:
            password = self.spec.password()
        except LaunchError as e:
            self.hold_reason = str(e)
            self.state = GM_HOLD
            return
        params = dict(self.spec.params, name=self.name)
        self._request("create", cloudapi.create, self.resource.client(password), params)

    def _result_create(self, ok, value, now):
        if ok:
            self._succeeded()
            self.gm.log.info("job %s: created instance %s (%s)", self.label, value.id, self.name)
            self.inst_id = value.id
            # HTCondor's GM_CHECK_AUTOSTART: a provider whose new instances do not
            # start by themselves (pending -> stopped) gets an explicit start.
            self.needs_start = not self.resource.autostart
            self.write({"DeltacloudNeedsStart": "true" if self.needs_start else "false"})
            self.gm.event(self, userlog.grid_submit(*self.key, self.spec.grid_resource,
                                                    self._grid_job_id()))
            self._adopted(value, now)
        elif isinstance(value, cloudapi.PermanentError):
            self.hold_reason = f"Create_Instance_Failure: {value}"
            self.resource.release_slot(self)
            self.state = GM_HOLD
        else:
            # The create may have happened anyway: look for the name before retrying.
            self._failed(now, f"create failed ({value})")
            self.check_since = now
            self.state = GM_CHECK_VM

    def _adopted(self, inst, now):
        """We know our instance's id: make it durable, then follow it."""
        self.known_since = now
        self.gone = self.missing = False
        self.state = GM_SAVE_INSTANCE_ID

        def saved(ok):
            # Facts are written whatever the job's status; only a vanished job refuses.
            self.state = GM_SUBMITTED if ok else GM_SAVE_INSTANCE_ID
            if not ok:
                self.stale = True
        self.write({"GridJobId": quote(self._grid_job_id()),
                    "DeltacloudProviderId": quote(self.inst_id),
                    "Managed": '"External"'}, then=saved)
        self._apply_instance(inst)

    def _state_SAVE_INSTANCE_ID(self, now):
        pass    # waiting for the commit (see _adopted)

    def _state_SUBMITTED(self, now):
        if self.status in (REMOVED, HELD) or self.completed:
            self.state = GM_CANCEL
        elif self.remote_state == R_STOPPED and self.needs_start and not self.gone:
            self.state = GM_START_VM
        elif self.gone or self.remote_state in (R_STOPPED, R_FINISH):
            self.state = GM_DONE_SAVE
        elif self.missing:
            self.state = GM_PROBE_JOB
        elif self.remote_state and self.remote_state.upper() == R_RUNNING:
            if not self.running_logged and self.status == IDLE:
                self._write_running()

    def _state_START_VM(self, now):
        if not self._active():
            self.state = GM_SUBMITTED
            return
        if self._waiting(now):
            return
        if self.instance is None or "start" not in self.instance.actions:
            self.state = GM_PROBE_JOB
            return
        try:
            password = self.spec.password()
        except LaunchError as e:
            self.hold_reason = str(e)
            self.state = GM_HOLD
            return
        self._request("start", cloudapi.action, self.resource.client(password),
                      self.instance, "start")

    def _result_start(self, ok, value, now):
        self.acted_at = now
        if ok or isinstance(value, cloudapi.NotAllowedError):
            self._succeeded()
            self.needs_start = False
            self.write({"DeltacloudNeedsStart": "false"})
            if value is not None and ok:
                self._apply_instance(value)
            else:
                self.instance = None
            self.state = GM_PROBE_JOB if self.instance is None else GM_SUBMITTED
        elif isinstance(value, cloudapi.GoneError):
            self._succeeded()
            self.gone = True
            self.state = GM_SUBMITTED
        elif isinstance(value, cloudapi.PermanentError):
            self.hold_reason = f"Action_Failure for instance {self.inst_id}: {value}"
            self.state = GM_HOLD
        else:
            self._failed(now, f"start of instance {self.inst_id} failed ({value})")

    def _write_running(self):
        def done(ok):
            if ok:
                self.running_logged = True
                self.gm.log.info("job %s: running on %s", self.label, self.inst_id)
            else:
                self.stale = True
        t = str(int(time.time()))
        starts = self.jobad.literal("NumJobStarts")
        starts = starts + 1 if isinstance(starts, int) and not isinstance(starts, bool) else 1
        self.write({"JobStatus": str(RUNNING), "EnteredCurrentStatus": t,
                    "JobCurrentStartDate": t, "ShadowBday": t,
                    "JobStartDate": self.jobad.text("JobStartDate") or t,
                    "NumJobStarts": str(starts)},
                   statuses=(IDLE,), then=done)
        self.gm.event(self, userlog.execute(*self.key, self.spec.grid_resource), guarded=True)

    def _state_PROBE_JOB(self, now):
        if self.inst_id is None:
            self.state = GM_SUBMITTED
            return
        if self._waiting(now):
            return
        try:
            password = self.spec.password()
        except LaunchError as e:
            self.hold_reason = str(e)
            self.state = GM_HOLD
            return
        self._request("probe", cloudapi.get, self.resource.client(password), self.inst_id)

    def _result_probe(self, ok, value, now):
        self.acted_at = now
        if ok:
            self._succeeded()
            if self.name and value.name and value.name != self.name:
                self.gone = True        # the id was reused by another instance
            else:
                self.missing = False
                self._apply_instance(value)
                if self.state == GM_CANCEL and not {"stop", "destroy"} & set(value.actions):
                    # In a transition: give it time before looking again.
                    self.retry_at = now + min(self.resource.probe_interval, 2.0)
            self.state = GM_SUBMITTED if self.state == GM_PROBE_JOB else self.state
        elif isinstance(value, cloudapi.GoneError):
            self._succeeded()
            self.gone = True
            self.state = GM_SUBMITTED if self.state == GM_PROBE_JOB else self.state
        else:
            self._failed(now, f"instance lookup failed ({value})")
            if (isinstance(value, cloudapi.PermanentError)
                    or now - self.first_failure > self.spec.retry_timeout) and self._active():
                self.hold_reason = f"Instance_Lookup_Failure {self.inst_id}: {value}"
                self.state = GM_HOLD

    def _state_DONE_SAVE(self, now):
        if self._active() and not self.completed:
            def done(ok):
                if ok:
                    self.completed = True
                    self.status = COMPLETED
                    self.gm.log.info("job %s: completed (instance %s %s)", self.label,
                                     self.inst_id, "gone" if self.gone else self.remote_state)
                else:
                    self.stale = True
            t = str(int(time.time()))
            attrs = {"JobStatus": str(COMPLETED), "EnteredCurrentStatus": t,
                     "CompletionDate": t, "ExitCode": "0", "ExitBySignal": "false"}
            attrs.update(self._wall_clock(self.status == RUNNING))
            self.write(attrs, statuses=(IDLE, RUNNING), then=done)
            self.gm.event(self, userlog.terminated(*self.key, return_value=0), guarded=True)
            return
        self.state = GM_CANCEL

    def _wall_clock(self, was_running):
        """RemoteWallClockTime grown by the run that ends now (HTCondor's
        UpdateRuntimeStats), and the run's start forgotten."""
        start = self.jobad.literal("JobCurrentStartDate")
        if not isinstance(start, int) or isinstance(start, bool) or not was_running:
            return {}
        total = self.jobad.literal("RemoteWallClockTime")
        total = total if isinstance(total, (int, float)) and not isinstance(total, bool) else 0
        return {"RemoteWallClockTime": str(float(total + max(0, int(time.time()) - start))),
                "JobCurrentStartDate": None}

    def _state_CANCEL(self, now):
        """Kill the instance off: follow its action links, stop then destroy."""
        if self.gone or self.inst_id is None or self.remote_state == R_FINISH:
            self.state = GM_STOPPED
            return
        if self._waiting(now):
            return
        actions = self.instance.actions if self.instance is not None else ()
        try:
            password = self.spec.password()
        except LaunchError as e:
            self.gm.log.error("job %s: cannot kill instance %s: %s", self.label, self.inst_id, e)
            self.retry_at = now + BACKOFF_MAX
            return
        client = self.resource.client(password)
        if "destroy" in actions:
            self._request("destroy", cloudapi.destroy, client, self.instance)
        elif "stop" in actions:
            self._request("stop", cloudapi.action, client, self.instance, "stop")
        else:
            # No kill action offered now (PENDING, STOPPING... or not known yet):
            # look at it again; _result_probe paces this.
            self._request("probe", cloudapi.get, client, self.inst_id)

    def _result_stop(self, ok, value, now):
        self._action_result("stop", ok, value, now)

    def _result_destroy(self, ok, value, now):
        self._action_result("destroy", ok, value, now)

    def _action_result(self, op, ok, value, now):
        self.acted_at = now
        if ok:
            self._succeeded()
            self.gm.log.info("job %s: %s of instance %s accepted", self.label, op, self.inst_id)
            if op == "destroy":
                self.gone = True
            elif value is not None:
                self._apply_instance(value)
            else:
                self.instance = None    # unknown now: probe before the next step
        elif isinstance(value, cloudapi.GoneError):
            self._succeeded()
            self.gone = True
        elif isinstance(value, cloudapi.NotAllowedError):
            # 405: not allowed in its current state; look at it again.
            self._succeeded()
            self.instance = None
        else:
            self._failed(now, f"{op} of instance {self.inst_id} failed ({value})")
            if isinstance(value, cloudapi.PermanentError):
                self.retry_at = now + BACKOFF_MAX

    def _state_STOPPED(self, now):
        self.resource.release_slot(self)
        self.inst_id = None
        self.name = None
        self.name_saved = False
        self.instance = None
        if self.status in (REMOVED, COMPLETED, HELD) or self.completed:
            self.state = GM_DELETE
        else:
            self.write({"GridJobId": None, "GridJobStatus": None}, then=self._refused)
            self.state = GM_CLEAR_REQUEST

    def _state_HOLD(self, now):
        reason = self.hold_reason or "Unspecified gridmanager error"
        if self.status != HELD:
            self.gm.log.warning("job %s: holding: %s", self.label, reason)
            t = str(int(time.time()))
            holds = self.jobad.literal("NumSystemHolds")
            holds = holds + 1 if isinstance(holds, int) and not isinstance(holds, bool) else 1
            attrs = {"JobStatus": str(HELD), "HoldReason": quote(reason),
                     "HoldReasonCode": "0", "HoldReasonSubCode": "0",
                     "EnteredCurrentStatus": t, "NumSystemHolds": str(holds),
                     "JobStatusOnRelease": str(IDLE),   # back to idle: re-looked-at
                     "Managed": '"Schedd"'}

            def done(ok):
                if ok:
                    self.resource.release_slot(self)
                    self.state = GM_DONE
                else:
                    self.stale = True
            self.write(attrs, statuses=(IDLE, RUNNING), then=done)
            self.gm.event(self, userlog.held(*self.key, reason, 0, 0), guarded=True)
            return
        self.state = GM_DELETE

    def _state_DELETE(self, now):
        """Hand the job back: done ones leave the queue, held/idle go to the schedd."""
        self.resource.release_slot(self)
        if self.status == REMOVED:
            reason = self.jobad.literal("RemoveReason")
            attrs = {"Managed": '"ScheddDone"', "GridJobId": None, "GridJobStatus": '"FINISH"'}
            attrs.update(self._wall_clock(self.jobad.literal("LastJobStatus") == RUNNING))
            self.write(attrs, statuses=(REMOVED,), history=True, then=self._deleted)
            self.gm.event(self, userlog.aborted(*self.key, reason if isinstance(reason, str)
                                                else None), guarded=True)
        elif self.status == COMPLETED or self.completed:
            self.write({"Managed": '"ScheddDone"', "GridJobId": None, "GridJobStatus": '"FINISH"'},
                       statuses=(COMPLETED,), history=True, then=self._deleted)
        else:
            attrs = {"Managed": '"Schedd"'}
            if self.name is None:
                attrs["GridJobId"] = None
                attrs["GridJobStatus"] = None
            self.write(attrs, then=self._deleted)

    def _deleted(self, ok):
        if ok:
            self.state = GM_DONE
        else:
            self.stale = True


def _parse_grid_job_id(value):
    """GridJobId "deltacloud <name> [<id>]" -> (name, id)."""
    if not isinstance(value, str):
        return None, None
    words = value.split()
    if len(words) < 2 or words[0].lower() != "deltacloud":
        return None, None
    return words[1], (words[2] if len(words) > 2 else None)


# ============================================================================
class Listing:
    """One instance-list answer, indexed for the jobs of a resource."""

    def __init__(self, instances, started):
        self.started = started
        self.info = None
        self.by_name = {}
        self.by_id = {}
        self.twins = {}                 # name -> every instance with it, when > 1
        for inst in instances:
            self.by_id[inst.id] = inst
            if inst.name:
                first = self.by_name.setdefault(inst.name, inst)
                if first is not inst:
                    self.twins.setdefault(inst.name, [first]).append(inst)

    def find(self, name, inst_id):
        if name:
            for twin in self.twins.get(name, ()) if inst_id else ():
                if twin.id == inst_id:
                    return twin
            inst = self.by_name.get(name)
            if inst is not None and (inst_id is None or inst.id == inst_id):
                return inst
            if inst is not None:
                return inst     # our name wins over an id (ids get reused)
        if inst_id:
            inst = self.by_id.get(inst_id)
            if inst is not None and (not name or not inst.name or inst.name == name):
                return inst
        return None


class DCloudResource:
    """One Deltacloud endpoint (URL, username, credentials): batching and limits."""

    def __init__(self, gm, spec, now):
        self.gm = gm
        self.url = spec.url
        self.username = spec.username
        self.grid_resource = spec.grid_resource
        self.jobs = {}                  # key -> DCloudJob
        self.probe_interval = gm.probe_interval
        self.backoff_cap = min(BACKOFF_MAX, max(2.0, self.probe_interval))
        self.max_submitted = gm.max_submitted
        self.max_name_length = 36       # a UUID, cut to the provider's limit if lower
        self.autostart = True
        self.info_ready = False         # limits and autostart read from the provider
        self.slots = set()              # jobs holding (or about to hold) an instance
        self.pool = ThreadPoolExecutor(max_workers=gm.max_requests,
                                       thread_name_prefix="dcloud-req")
        self.status_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dcloud-status")
        self._clients = {}
        self.futures = set()
        self.sweeping = set()           # ids of duplicate instances being destroyed
        self.listing = None
        self.list_in_flight = False
        self.next_list_at = now         # the first list goes out at once
        self.list_due = now
        self.list_failures = 0
        self.lists_sent = 0
        self.up = True
        self._password = None           # the secret the status thread uses

    def __repr__(self):
        return f"<DCloudResource {self.url} {self.username}>"

    # ---- credentials and clients --------------------------------------------
    def client(self, password):
        c = self._clients.get(password)
        if c is None:
            c = cloudapi.make_client(self.url, self.username, password,
                                      pool_size=self.gm.max_requests + 1)
            self._clients[password] = c
            self._password = password
        return c

    # ---- limits --------------------------------------------------------------
    def may_submit(self, job):
        if not self.up:
            return False
        if job in self.slots:
            return True
        if len(self.slots) >= self.max_submitted:
            return False
        self.slots.add(job)
        return True

    def take_slot(self, job):
        self.slots.add(job)

    def release_slot(self, job):
        self.slots.discard(job)

    # ---- requests ------------------------------------------------------------
    def submit(self, job, op, fn, *args):
        if self.gm._closing:
            return      # shutting down: the job keeps its facts; the next start resumes
        self.gm.requests_in_flight += 1
        self._track(self.pool.submit(self._call, job, op, fn, args))

    def _track(self, future):
        self.futures.add(future)
        future.add_done_callback(self.futures.discard)

    def busy(self):
        """Is a request running (not merely queued and cancelled)?"""
        return any(not f.done() for f in list(self.futures))

    def _call(self, job, op, fn, args):
        try:
            value = fn(*args)
            ok = True
        except Exception as e:      # every failure is a result for the state machine
            value = e if isinstance(e, cloudapi.CloudError) else cloudapi.TransientError(repr(e))
            ok = False
        self.gm.deliver(job.on_result, op, ok, value)

    # ---- batched status ------------------------------------------------------
    def tick(self, now):
        """Start the batched list when it is due. Returns when to look again."""
        if self.list_in_flight:
            return None
        live = [j for j in self.jobs.values() if j.state != GM_DONE]
        if not live:
            return None
        if now < self.next_list_at:
            return self.next_list_at
        password = self._password
        if password is None:
            for j in live:
                try:
                    password = j.spec.password()
                    break
                except LaunchError:
                    continue
        if password is None:
            return None
        # Fixed rate: the next list is due one interval after this one was due,
        # so a slow poll loop does not stretch the cycle.
        self.list_due = self.next_list_at
        self.list_in_flight = True
        self.lists_sent += 1
        client = self.client(password)
        self._track(self.status_pool.submit(self._list, client, now))
        return None

    def list_soon(self, now):
        """A job waits for a list (CHECK_VM): do not make it sit out the long
        pause after bad credentials; the list that answers it holds it."""
        if self.next_list_at > now + self.probe_interval:
            self.next_list_at = now

    def _list(self, client, started):
        try:
            if not self.info_ready:
                info = cloudapi.provider_info(client)
            value = Listing(cloudapi.list_instances(client), started)
            if not self.info_ready:
                value.info = info
            ok = True
        except Exception as e:
            value = e if isinstance(e, cloudapi.CloudError) else cloudapi.TransientError(repr(e))
            ok = False
        self.gm.deliver(self._listed, ok, value, started)

    def _listed(self, ok, value, started, now):
        self.list_in_flight = False
        if ok:
            self.listing = value
            self.list_failures = 0
            if not self.info_ready and getattr(value, "info", None) is not None:
                limit, self.autostart = value.info
                if limit and limit < self.max_name_length:
                    self.max_name_length = limit
                self.info_ready = True
            self.next_list_at = max(self.list_due + self.probe_interval, started)
            if not self.up:
                self.gm.log.info("resource %s (%s) is up again", self.url, self.username)
                self.up = True
            # Also the jobs marked down by an earlier run of the gridmanager.
            for j in self.jobs.values():
                if j.unavailable_logged:
                    j.unavailable_logged = False
                    j.on_resource_down(False, now)
            for j in list(self.jobs.values()):
                j.on_list(value, now)
            self._sweep_twins(value)
            return
        self.list_failures += 1
        self.next_list_at = now + min(self.probe_interval,
                                      backoff(self.list_failures, self.backoff_cap))
        self.gm.log.info("resource %s: status list failed (%s)", self.url, value)
        if isinstance(value, cloudapi.PermanentError):
            # Bad credentials: the jobs' own requests will find out and hold.
            # A job in CHECK_VM sends none of its own (it waits for this list),
            # so it is held here, as HTCondor holds a failed GM_CHECK_VM lookup.
            self.info_ready = True
            self.next_list_at = now + max(self.probe_interval, BACKOFF_MAX)
            for j in self.jobs.values():
                if (j.state == GM_CHECK_VM and not j.pending
                        and j.check_since is not None and started >= j.check_since):
                    j.hold_reason = str(value)
                    j.state = GM_HOLD
            return
        if self.up and self.list_failures >= DOWN_AFTER_FAILED_LISTS:
            self.gm.log.warning("resource %s (%s) is down", self.url, self.username)
            self.up = False
            for j in self.jobs.values():
                if j.state != GM_DONE and not j.unavailable_logged:
                    j.unavailable_logged = True
                    j.on_resource_down(True, now)

    def _sweep_twins(self, listing):
        """Two instances with one job's unique name: a create whose answer was
        lost went through after all. Keep the job's own, destroy the other."""
        if not listing.twins:
            return
        by_name = {j.name: j for j in self.jobs.values() if j.name and j.inst_id}
        for name, insts in listing.twins.items():
            job = by_name.get(name)
            if job is None or self._password is None:
                continue
            for inst in insts:
                if inst.id != job.inst_id and inst.id not in self.sweeping:
                    self.gm.log.warning("job %s: destroying duplicate instance %s (%s)",
                                        job.label, inst.id, name)
                    self.sweeping.add(inst.id)
                    self._track(self.pool.submit(self._kill, self.client(self._password), inst))

    def _kill(self, client, inst):
        try:
            cloudapi.kill(client, inst)
        except Exception as e:
            self.gm.log.info("duplicate instance %s: %s (will retry)", inst.id, e)
        finally:
            self.sweeping.discard(inst.id)

    def shutdown(self):
        """Stop taking requests; queued ones are dropped, running ones finish
        on their own (their results may still be delivered)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.status_pool.shutdown(wait=False, cancel_futures=True)
