"""The Deltacloud grid type: its job states and calls, on the shared machinery.

Modelled on HTCondor's gridmanager (dcloudjob.cpp / dcloudresource.cpp, 8.4).
DCloudJob's states are HTCondor's GM_* ones; DCloudResource batches status
with ONE instance-list request per probe interval.

Durable facts, so that nothing is launched twice whatever crashes:
GridJobId = "deltacloud <name>" is committed BEFORE the create request, and
"deltacloud <name> <id>" (+ DeltacloudProviderId) after it.

Which instance is the job's (a job acts on nothing else):
- Once the id is known, only the id names the instance: a name match never
  overrides it, and every probe, stop and destroy acts on that id.
- A name the gridmanager makes is unique and never cut short:
  "pcl-<spool id>-<cluster>-<proc>-<launch>", launch = NumGridLaunches. If the
  provider's name limit is shorter, the job is held. The ids that already had
  that name when it was saved (GridForeignInstanceIds, written with it) are
  someone else's: never adopted, never destroyed.
- A user's `deltacloud_instance_name` is HTCondor's: the job takes over an
  existing instance of that name, else creates one so named. One job at a
  time per name: condor_submit refuses a submission that gives one name to
  several jobs, and a later job asking for a name another queued job holds
  is held. Instances with a user's name are never destroyed as duplicates.
- Duplicates of a lost create (several non-foreign instances with the job's
  generated name) are destroyed, keeping the one the job adopted.
"""

import hashlib

from pycondorlite import userlog
from pycondorlite.gridmanager import cloudapi
from pycondorlite.gridmanager.basejob import (
    BACKOFF_MAX, COMPLETED, GM_DELETE, GM_DONE, HELD, IDLE, REMOVED, RUNNING, BaseJob, LaunchError,
    id_set, quote, text_value)
from pycondorlite.gridmanager.errors import (CapacityError, GoneError, NotAllowedError,
                                             PermanentError)
from pycondorlite.gridmanager.resource import BaseResource

GRID_TYPE = "deltacloud"

# ---- job states (HTCondor's GM_* names) ---------------------------------
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

# Remote states HTCondor acts on.
R_RUNNING, R_STOPPED, R_FINISH = "RUNNING", "STOPPED", "FINISH"

DEFAULT_RETRY_TIMEOUT = 90.0
DEFAULT_MAX_NAME_LENGTH = 1024          # HTCondor's, when the provider states none
NAME_PREFIX = "pcl-"


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
        self.username = text_value(get("DeltacloudUsername"))
        if not self.username:
            raise LaunchError("DeltacloudUsername is not set in the job ad")
        self.password_file = text_value(get("DeltacloudPasswordFile"))
        password = text_value(get("DeltacloudPassword"))
        if password is None and not self.password_file:
            raise LaunchError("DeltacloudPasswordFile is not set in the job ad")
        self._password = password
        self.instance_name = text_value(get("DeltacloudInstanceName"))
        self.params = {}
        for attr, param in self.PARAMS:
            v = text_value(get(attr))
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
        return (GRID_TYPE, self.url, self.username, cred)


def make_job(gm, ad, get, now):
    """The job object for a Deltacloud job ad (GridManager._adopt)."""
    spec = LaunchSpec(get)
    gid = get("GridJobId")
    if isinstance(gid, str) and gid.split()[:1] != ["deltacloud"]:
        raise LaunchError("GridJobId not of type deltacloud")
    res = gm.resource(spec.resource_key(), lambda: DCloudResource(gm, spec, now))
    return DCloudJob(gm, ad.id, ad, spec, res, now)


def parse_grid_job_id(value):
    """GridJobId "deltacloud <name> [<id>]" -> (name, id)."""
    if not isinstance(value, str):
        return None, None
    words = value.split()
    if len(words) < 2 or words[0].lower() != "deltacloud":
        return None, None
    return words[1], (words[2] if len(words) > 2 else None)


# ============================================================================
class DCloudJob(BaseJob):
    """One Deltacloud job's state machine."""

    def __init__(self, gm, key, jobad, spec, resource, now):
        super().__init__(gm, key, jobad, spec, resource, now)
        self.instance = None            # last cloudapi.Instance seen (always ours: by id)
        self.remote_state = None
        self.gone = False               # the provider no longer has it
        self.missing = False            # absent from a list taken after we knew it
        self.known_since = None         # monotonic time the id became known
        self.acted_at = 0.0             # monotonic time of our last action's answer
        self.check_since = None         # a state waits for a list started after this
        self.needs_start = jobad.literal("DeltacloudNeedsStart") is True
        self.give_up = None             # a hold reason, once the look for the name is done
        self.refusal = None             # the cloud's words: a launch refused for capacity

    def read_ids(self, jobad):
        self.name, self.inst_id = parse_grid_job_id(jobad.literal("GridJobId"))
        self.name_saved = self.name is not None
        self.foreign = id_set(jobad.literal("GridForeignInstanceIds"))

    def has_remote_identity(self):
        return self.name is not None

    @property
    def user_named(self):
        """Is the job's name the user's deltacloud_instance_name (not one we made)?"""
        return self.spec is not None and self.name is not None \
            and self.name == self.spec.instance_name

    # ---- inputs -----------------------------------------------------------
    def on_list(self, listing, now):
        """The resource's batched instance list arrived."""
        if self.inst_id is None or self.known_since is None:
            return      # the states that wait for a list read it themselves
        if listing.started < self.acted_at:
            return      # taken before our last action's answer: older news
        inst = listing.by_id.get(self.inst_id)
        if inst is not None and self.name and inst.name and inst.name != self.name:
            inst = None         # the id was reused by another instance: not ours
        if inst is not None:
            self.missing = False
            self._apply_instance(inst)
        elif listing.started >= self.known_since and not self.gone:
            self.missing = True

    def _apply_instance(self, inst):
        """Record what the provider says about our instance; write what changed."""
        self.instance = inst
        self.remote_state = inst.state
        self.publish({
            "GridJobStatus": quote(inst.state),
            "DeltacloudPublicNetworkAddresses": quote(",".join(inst.public_addresses)),
            "DeltacloudPrivateNetworkAddresses": quote(",".join(inst.private_addresses)),
            "DeltacloudAvailableActions": quote(",".join(inst.actions)),
        })

    def _grid_job_id(self):
        return "deltacloud " + self.name + (" " + self.inst_id if self.inst_id else "")

    def _fresh_listing(self, now):
        """The resource's last list if it started after check_since, else None
        (and the resource is asked for one soon)."""
        listing = self.resource.listing
        if listing is None or listing.started < self.check_since:
            self.resource.list_soon(now)
            return None
        return listing

    def _password(self):
        """The secret, or None after going to GM_HOLD."""
        try:
            return self.spec.password()
        except LaunchError as e:
            self.hold(str(e), e.code, e.subcode)
            return None

    def _name_taken(self, name):
        """Another job of this resource holds this user-given name."""
        for j in self.resource.jobs.values():
            if j is not self and j.state != GM_DONE and j.name == name:
                return j
        return None

    # ---- states ----------------------------------------------------------------
    def _state_INIT(self, now):
        self.check_since = now
        if self.inst_id is not None:
            # The id is known: only it names our instance (no lookup by name).
            self.known_since = now
            self.resource.take_slot(self)
            self.state = GM_SUBMITTED
        elif self.name is not None:
            self.state = GM_CHECK_VM        # an uncertain create: look before creating
        elif self.spec.instance_name and self._active():
            other = self._name_taken(self.spec.instance_name)
            if other is not None:
                self.hold(f'DeltacloudInstanceName "{self.spec.instance_name}" is already '
                          f"used by job {other.label}")
                return
            # HTCondor's: the job takes over an instance of the user's name.
            self.name = self.spec.instance_name
            self.state = GM_CHECK_VM
        else:
            self.state = GM_CLEAR_REQUEST

    def _state_CLEAR_REQUEST(self, now):
        self.inst_id = None
        self.instance = None
        self.remote_state = None
        self.gone = self.missing = False
        self.check_since = now
        self.state = GM_SAVE_INSTANCE_NAME

    def _state_SAVE_INSTANCE_NAME(self, now):
        if not self._active():
            self.state = GM_DELETE
            return
        if self.name_saved:
            self.state = GM_CREATE_VM
            return
        if self._password() is None:
            return
        if not self.resource.info_ready:
            self.resource.list_soon(now)
            return      # the provider's name limit comes with the first list
        listing = self._fresh_listing(now)
        if listing is None:
            refused = self.resource.refused_at
            if refused is None or refused < self.check_since:
                return
            # The list was refused (bad credentials): nothing can be known to
            # carry the name; the create will be refused too, and hold the job
            # with the provider's words, as HTCondor's does.
            listing = Listing((), refused)
        if not self.resource.may_submit(self):
            return
        attrs = {"Managed": '"External"'}
        if self.name is None:
            launches = self.jobad.literal("NumGridLaunches")
            launches = launches if isinstance(launches, int) and not isinstance(launches, bool) \
                else 0
            name = (f"{NAME_PREFIX}{self.gm.spool_id}-{self.key[0]}-{self.key[1]}"
                    f"-{launches + 1}")
            if len(name) > self.resource.max_name_length:
                self.resource.release_slot(self)
                self.hold(f"Deltacloud server {self.spec.url} limits instance names to "
                          f"{self.resource.max_name_length} characters; a unique name "
                          f"needs {len(name)}")
                return
            self.name = name
            attrs["NumGridLaunches"] = str(launches + 1)
            # Instances that carry the name already are someone else's.
            self.foreign = frozenset(i.id for i in listing.named(name))
        else:
            other = self._name_taken(self.name)
            if other is not None:
                self.resource.release_slot(self)
                self.hold(f'DeltacloudInstanceName "{self.name}" is already used by job '
                          f"{other.label}")
                return
            self.foreign = frozenset()
        attrs["GridForeignInstanceIds"] = quote(",".join(sorted(self.foreign))) \
            if self.foreign else None
        attrs["GridJobId"] = quote(self._grid_job_id())

        def saved(ok):
            if ok:
                self.name_saved = True
                self.state = GM_CREATE_VM
            else:
                self.name = None
                self.resource.release_slot(self)
                self.stale = True
        # Write-ahead: durable before any create is sent.
        self.write(attrs, statuses=(IDLE, RUNNING), then=saved)

    def _state_CHECK_VM(self, now):
        listing = self._fresh_listing(now)
        if listing is None:
            return      # the next batched list (no extra request for one job)
        found = [i for i in listing.named(self.name) if i.id not in self.foreign]
        if found:
            inst = found[0]
            self.gm.log.info("job %s: adopting instance %s (%s) found by name",
                             self.label, inst.id, self.name)
            self.resource.take_slot(self)
            self.inst_id = inst.id
            self._adopted(inst, now)
        elif not self._active():
            self.state = GM_STOPPED
        elif self.give_up:
            self.resource.release_slot(self)
            self.hold(self.give_up)
        elif self.refusal:
            self.rematch_after_refusal(self.refusal, f"Create_Instance_Failure: {self.refusal}")
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
        password = self._password()
        if password is None:
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
        elif isinstance(value, PermanentError):
            self.resource.release_slot(self)
            self.hold(f"Create_Instance_Failure: {value}")
        elif isinstance(value, CapacityError):
            # Refused for capacity: once a look shows nothing of it, match elsewhere.
            self._succeeded()
            self.refusal = str(value)
            self.check_since = now
            self.state = GM_CHECK_VM
        else:
            # The create may have happened anyway: look for the name before retrying.
            self._failed(now, f"create failed ({value})")
            if now - self.first_failure > self.spec.retry_timeout:
                # Failing for longer than DeltacloudRetryTimeout (a backend error
                # passed through as 5xx, say): hold after the last look.
                self.give_up = f"Create_Instance_Failure: {value}"
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
                self.write_running()

    def _ours(self):
        """The last instance document seen, if it is of our recorded id."""
        inst = self.instance
        return inst if inst is not None and inst.id == self.inst_id else None

    def _state_START_VM(self, now):
        if not self._active():
            self.state = GM_SUBMITTED
            return
        if self._waiting(now):
            return
        inst = self._ours()
        if inst is None or "start" not in inst.actions:
            self.state = GM_PROBE_JOB
            return
        password = self._password()
        if password is None:
            return
        self._request("start", cloudapi.action, self.resource.client(password), inst, "start")

    def _result_start(self, ok, value, now):
        self.acted_at = now
        if ok or isinstance(value, NotAllowedError):
            self._succeeded()
            self.needs_start = False
            self.write({"DeltacloudNeedsStart": "false"})
            if value is not None and ok:
                self._apply_instance(value)
            else:
                self.instance = None
            self.state = GM_PROBE_JOB if self.instance is None else GM_SUBMITTED
        elif isinstance(value, GoneError):
            self._succeeded()
            self.gone = True
            self.state = GM_SUBMITTED
        elif isinstance(value, PermanentError):
            self.hold(f"Action_Failure for instance {self.inst_id}: {value}")
        else:
            self._failed(now, f"start of instance {self.inst_id} failed ({value})")

    def _state_PROBE_JOB(self, now):
        if self.inst_id is None:
            self.state = GM_SUBMITTED
            return
        if self._waiting(now):
            return
        password = self._password()
        if password is None:
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
        elif isinstance(value, GoneError):
            self._succeeded()
            self.gone = True
            self.state = GM_SUBMITTED if self.state == GM_PROBE_JOB else self.state
        else:
            self._failed(now, f"instance lookup failed ({value})")
            if (isinstance(value, PermanentError)
                    or now - self.first_failure > self.spec.retry_timeout) and self._active():
                self.hold(f"Instance_Lookup_Failure {self.inst_id}: {value}")

    def _state_DONE_SAVE(self, now):
        if self._active() and not self.completed:
            self.write_completed(GM_CANCEL)
            return
        self.state = GM_CANCEL

    def _state_CANCEL(self, now):
        """Kill the instance off: follow its action links, stop then destroy."""
        if self.gone or self.inst_id is None or self.remote_state == R_FINISH:
            self.state = GM_STOPPED
            return
        if self._waiting(now):
            return
        try:
            password = self.spec.password()
        except LaunchError as e:
            self.gm.log.error("job %s: cannot kill instance %s: %s", self.label, self.inst_id, e)
            self.retry_at = now + BACKOFF_MAX
            return
        client = self.resource.client(password)
        inst = self._ours()
        actions = inst.actions if inst is not None else ()
        if "destroy" in actions:
            self._request("destroy", cloudapi.destroy, client, inst)
        elif "stop" in actions:
            self._request("stop", cloudapi.action, client, inst, "stop")
        else:
            # No kill action offered now (PENDING, STOPPING... or not known yet):
            # look at it again, by its id; _result_probe paces this.
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
            elif value is not None and value.id == self.inst_id:
                self._apply_instance(value)
            else:
                self.instance = None    # unknown now: probe before the next step
        elif isinstance(value, GoneError):
            self._succeeded()
            self.gone = True
        elif isinstance(value, NotAllowedError):
            # 405: not allowed in its current state; look at it again.
            self._succeeded()
            self.instance = None
        else:
            self._failed(now, f"{op} of instance {self.inst_id} failed ({value})")
            if isinstance(value, PermanentError):
                self.retry_at = now + BACKOFF_MAX

    def _state_STOPPED(self, now):
        self.resource.release_slot(self)
        self.inst_id = None
        self.name = None
        self.name_saved = False
        self.foreign = frozenset()
        self.instance = None
        if self.status in (REMOVED, COMPLETED, HELD) or self.completed:
            self.state = GM_DELETE
        else:
            self.write({"GridJobId": None, "GridJobStatus": None,
                        "GridForeignInstanceIds": None}, then=self._refused)
            self.state = GM_CLEAR_REQUEST

    def leaving_attrs(self):
        return {"GridJobId": None, "GridForeignInstanceIds": None}


# ============================================================================
class Listing:
    """One instance-list answer, indexed for the jobs of a resource."""

    def __init__(self, instances, started):
        self.started = started
        self.info = None
        self.by_id = {}
        self.by_name = {}               # name -> [instances], in the list's order
        for inst in instances:
            self.by_id[inst.id] = inst
            if inst.name:
                self.by_name.setdefault(inst.name, []).append(inst)

    def named(self, name):
        return self.by_name.get(name, ()) if name else ()


class DCloudResource(BaseResource):
    """One Deltacloud endpoint (URL, username, credentials)."""
    kind = GRID_TYPE

    def __init__(self, gm, spec, now):
        super().__init__(gm, f"{spec.url} ({spec.username})", spec.grid_resource, now)
        self.url = spec.url
        self.username = spec.username
        self.max_name_length = DEFAULT_MAX_NAME_LENGTH
        self.autostart = True
        self.info_ready = False         # limits and autostart read from the provider
        self._clients = {}
        self.sweeping = set()           # ids of duplicate instances being destroyed
        self._password = None           # the secret the status thread uses

    # ---- credentials and clients --------------------------------------------
    def client(self, password):
        c = self._clients.get(password)
        if c is None:
            c = cloudapi.make_client(self.url, self.username, password,
                                     pool_size=self.gm.max_requests + 1)
            self._clients[password] = c
            self._password = password
        return c

    def status_client(self):
        password = self._password
        if password is None:
            for j in self.jobs.values():
                if j.state == GM_DONE:
                    continue
                try:
                    password = j.spec.password()
                    break
                except LaunchError:
                    continue
        return None if password is None else self.client(password)

    # ---- batched status ------------------------------------------------------
    def fetch_status(self, client, started):
        info = None if self.info_ready else cloudapi.provider_info(client)
        value = Listing(cloudapi.list_instances(client), started)
        value.info = info
        return value

    def on_status(self, listing, now):
        if not self.info_ready and listing.info is not None:
            limit, self.autostart = listing.info
            if limit:
                self.max_name_length = limit
            self.info_ready = True
        super().on_status(listing, now)
        self._sweep_duplicates(listing)

    def on_status_refused(self, err, started, now):
        # A job in CHECK_VM sends no request of its own (it waits for this
        # list), so it is held here, as HTCondor holds a failed GM_CHECK_VM lookup.
        self.info_ready = True
        for j in self.jobs.values():
            if (j.state == GM_CHECK_VM and not j.pending
                    and j.check_since is not None and started >= j.check_since):
                j.hold(str(err))

    def _sweep_duplicates(self, listing):
        """A create whose answer was lost went through after all, and the retry
        made another: the job keeps the one it adopted, the other copies of
        its GENERATED name that were not there before it are destroyed."""
        if self._password is None:
            return
        for job in self.jobs.values():
            if job.inst_id is None or job.user_named or job.state == GM_DONE:
                continue
            for inst in listing.named(job.name):
                if inst.id == job.inst_id or inst.id in job.foreign or inst.id in self.sweeping:
                    continue
                self.gm.log.warning("job %s: destroying duplicate instance %s (%s)",
                                    job.label, inst.id, job.name)
                self.sweeping.add(inst.id)
                self.track(self.pool.submit(self._kill, self.client(self._password), inst))

    def _kill(self, client, inst):
        try:
            cloudapi.kill(client, inst)
        except Exception as e:
            self.gm.log.info("duplicate instance %s: %s (will retry)", inst.id, e)
        finally:
            self.sweeping.discard(inst.id)
