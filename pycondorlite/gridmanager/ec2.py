"""The EC2 grid type (`grid_resource = ec2 <service URL>`): its job states and
calls, on the shared machinery and the EC2 layer (pycondorlite/ec2).

Modelled on HTCondor's gridmanager (ec2job.cpp / ec2resource.cpp): the state
names are HTCondor's GM_* ones, and EC2Resource is one (service URL, access
key file, secret key file) that batches status with ONE DescribeInstances
(all pages; up to 1,000 instances a page) per probe interval, plus one
DescribeSpotInstanceRequests while it has spot jobs.

Durable facts, so that nothing is launched twice whatever crashes:
- GridJobId = "ec2 <url> <client token>" is committed BEFORE RunInstances (or
  RequestSpotInstances), then "ec2 <url> <token> <instance id>" after it.
- The token is pycondorlite's own and unique: "pcl-<spool id>-<cluster>-<proc>-
  <launch>" (NumGridLaunches). It goes to EC2 as the ClientToken AND as the
  instance's tag TOKEN_TAG, because clouds that ignore ClientToken exist
  (moto does; so may EC2-compatible ones): after any uncertain launch the job
  looks its token up in the batched list (GM_SEEK_INSTANCE_ID, GM_SPOT_CHECK)
  and adopts what it finds instead of launching again.
- Instances that already carried the token when it was saved
  (GridForeignInstanceIds, written with it) are someone else's; once the
  instance id is known, only it names the job's instance.

Errors (pycondorlite.ec2's kinds): auth, a bad request -> hold with the
cloud's words; not found -> the instance is gone; throttling, 5xx and
connection failures -> retry with backoff (after a failed launch: look
first); capacity and instance limits -> after a look that finds nothing, back to Idle
unmatched for the negotiator to try the next provider (basejob.rematch_after_refusal).
Credentials are read from the job's two files for every request that needs
them (HTCondor's GAHP reads them the same way) and are never written down.
"""

import os

from pycondorlite import config, userlog
from pycondorlite.ec2 import errors as ec2errors
from pycondorlite.ec2.client import Client
from pycondorlite.ec2.credentials import read_credentials
from pycondorlite.ec2.endpoint import parse_service_url
from pycondorlite.gridmanager.basejob import (
    BACKOFF_MAX, COMPLETED, GM_DELETE, GM_DONE, HELD, IDLE, REMOVED, RUNNING, BaseJob,
    LaunchError, id_set, quote, text_value)
from pycondorlite.gridmanager.errors import (
    AuthError, CapacityError, GoneError, PermanentError, TransientError, as_cloud_error)
from pycondorlite.gridmanager.resource import BaseResource

GRID_TYPE = "ec2"
TOKEN_TAG = "pycondorlite:ClientToken"
TOKEN_PREFIX = "pcl-"
DESCRIBE_PAGE = 1000            # EC2's largest DescribeInstances page
TERMINATE_BATCH = 1000          # instance ids in one TerminateInstances

# HTCondor's hold codes for EC2 jobs (condor_holdcodes.h)
EC2_USER_ERROR, EC2_INTERNAL_ERROR, EC2_CONNECTION_PROBLEM, EC2_SERVER_ERROR, \
    EC2_INSTANCE_POTENTIALLY_LOST = 37, 38, 40, 41, 42

# ---- job states (HTCondor's GM_* names) ---------------------------------
GM_CLEAR_REQUEST = "CLEAR_REQUEST"
GM_SAVE_CLIENT_TOKEN = "SAVE_CLIENT_TOKEN"      # commit the token before launching
GM_CREATE_KEY_PAIR = "CREATE_KEY_PAIR"          # ec2_keypair_file: make the pair first
GM_START_VM = "START_VM"                        # RunInstances
GM_SEEK_INSTANCE_ID = "SEEK_INSTANCE_ID"        # an uncertain launch: find the token
GM_SAVE_INSTANCE_ID = "SAVE_INSTANCE_ID"        # commit the id
GM_SUBMITTED = "SUBMITTED"                      # follow the instance in the batched list
GM_PROBE_JOB = "PROBE_JOB"                      # act on a change of its state
GM_DONE_SAVE = "DONE_SAVE"                      # it stopped or ended: the job completes
GM_CANCEL = "CANCEL"                            # TerminateInstances
GM_CANCEL_CHECK = "CANCEL_CHECK"                # wait until it is terminated
GM_DESTROY_KEY_PAIR = "DESTROY_KEY_PAIR"        # the job leaves: its generated pair goes
GM_SPOT_START = "SPOT_START"                    # RequestSpotInstances
GM_SPOT_SUBMITTED = "SPOT_SUBMITTED"            # wait for the request to change
GM_SPOT_QUERY = "SPOT_QUERY"                    # act on the request's state
GM_SPOT_CHECK = "SPOT_CHECK"                    # an uncertain request: find the token
GM_SPOT_CANCEL = "SPOT_CANCEL"                  # CancelSpotInstanceRequests
GM_SPOT_CANCEL_CHECK = "SPOT_CANCEL_CHECK"      # wait until it is cancelled

# EC2 instance states
PENDING, RUNNING_, SHUTTING_DOWN, TERMINATED, STOPPING, STOPPED = (
    "pending", "running", "shutting-down", "terminated", "stopping", "stopped")
SHUTOFF = "shutoff"             # OpenStack's
PURGED = "purged"               # no longer listed at all (HTCondor's name)
CANCEL_TRIES = 3                # HTCondor's maxRetryTimes

# State reason codes HTCondor counts as a normal end (ec2job.cpp GM_PROBE_JOB).
NORMAL_ENDS = ("Client.InstanceInitiatedShutdown", "Client.UserInitiatedShutdown",
               "Server.SpotInstanceTermination", PURGED)
ABNORMAL_ENDS = ("Server.InternalError", "Server.InsufficientInstanceCapacity",
                 "Client.VolumeLimitExceeded", "Client.InternalError",
                 "Client.InvalidSnapshot.NotFound")

_KIND_TO_ERROR = {ec2errors.AUTH: AuthError, ec2errors.NOT_FOUND: GoneError,
                  ec2errors.BAD_REQUEST: PermanentError, ec2errors.CAPACITY: CapacityError,
                  ec2errors.TRANSIENT: TransientError}


def _call(fn, *args, **kw):
    """A request of the EC2 layer, its failure as the state machines see it."""
    try:
        return fn(*args, **kw)
    except ec2errors.EC2Error as e:
        raise _KIND_TO_ERROR[e.kind](str(e), code=e.code) from None


def _words(text):
    """HTCondor's lists: names separated by commas and/or spaces."""
    return [w for w in text.replace(",", " ").split() if w] if text else []


class LaunchSpec:
    """What an EC2 job asks of the cloud, read once from its expanded ad."""

    def __init__(self, get):
        def s(name):
            v = text_value(get(name))
            return v if v not in (None, "") else None

        self.access_key_file = s("EC2AccessKeyId")
        if not self.access_key_file:
            raise LaunchError("Public key file not defined", EC2_USER_ERROR, 1)
        self.secret_key_file = s("EC2SecretAccessKey")
        if not self.secret_key_file:
            raise LaunchError("Private key file not defined", EC2_USER_ERROR, 2)
        resource = get("GridResource")
        if not isinstance(resource, str) or not resource.strip():
            raise LaunchError("GridResource is not set in the job ad", EC2_INTERNAL_ERROR, 5)
        words = resource.split()
        if words[0].lower() != "ec2":
            raise LaunchError("GridResource not of type ec2", EC2_INTERNAL_ERROR, 3)
        if len(words) < 2:
            raise LaunchError("GridResource missing EC2 service URL", EC2_USER_ERROR, 4)
        self.grid_resource = resource
        self.url = words[1]
        try:
            parse_service_url(self.url)
        except ec2errors.EC2Error as e:
            raise LaunchError(str(e), EC2_USER_ERROR, 4) from None
        self.spot_price = s("EC2SpotPrice")
        self.key_pair = s("EC2KeyPair")
        self.key_pair_file = s("EC2KeyPairFile")
        self.elastic_ip = s("EC2ElasticIP")
        self.ebs_volumes = s("EC2EBSVolumes")
        user_data = s("EC2UserData")
        self.user_data_file = s("EC2UserDataFile")
        self._user_data = user_data
        self.params = {k: v for k, v in {
            "image_id": s("EC2AmiID"), "instance_type": s("EC2InstanceType"),
            "key_name": self.key_pair,
            "security_groups": _words(s("EC2SecurityGroups")),
            "security_group_ids": _words(s("EC2SecurityIDs")),
            "subnet_id": s("EC2VpcSubnet"), "availability_zone": s("EC2AvailabilityZone"),
            "iam_instance_profile_name": s("EC2IamProfileName"),
            "iam_instance_profile_arn": s("EC2IamProfileArn"),
            "block_device_mapping": s("EC2BlockDeviceMapping"),
        }.items() if v}
        extra = {}
        for name in _words(s("EC2ParamNames")):
            value = s("EC2Param_" + name.replace(".", "_"))
            if value is not None:       # HTCondor ignores a name without a value
                extra[name] = value
        if extra:
            self.params["extra"] = extra
        # The instance's tags: HTCondor's Name (EC2TagName, Cmd by default) and the
        # user's ec2_tag_<name>s, then the token's.
        self.tags = {}
        name = s("EC2TagName")
        if name:
            self.tags["Name"] = name
        for tag in _words(s("EC2TagNames")):
            value = s("EC2Tag" + tag)
            if value is not None:
                self.tags[tag] = value

    def credentials(self):
        """The access key id and secret, read from the two files now."""
        try:
            return read_credentials(self.access_key_file, self.secret_key_file)
        except ec2errors.EC2Error as e:
            raise LaunchError(str(e), EC2_USER_ERROR, 9) from None

    def launch_params(self):
        """The neutral launch dict of the EC2 layer, user data read now
        (EC2UserData, then the file's contents, as HTCondor's GAHP joins them)."""
        params = dict(self.params)
        data = self._user_data or ""
        if self.user_data_file:
            try:
                with open(self.user_data_file) as f:
                    data += f.read()
            except OSError as e:
                raise LaunchError(f"Unable to read user data file '{self.user_data_file}' "
                                  f"({e.strerror})", EC2_USER_ERROR, 12) from None
        if data:
            params["user_data"] = data
        return params

    def resource_key(self):
        # HTCondor's FindOrCreateResource(url, public key file, private key file)
        return (GRID_TYPE, self.url, self.access_key_file, self.secret_key_file)


def make_job(gm, ad, get, now):
    """The job object for an EC2 job ad (GridManager._adopt)."""
    spec = LaunchSpec(get)
    gid = get("GridJobId")
    if isinstance(gid, str) and gid.split()[:1] != ["ec2"]:
        raise LaunchError("GridJobId not of type ec2", EC2_INTERNAL_ERROR, 7)
    res = gm.resource(spec.resource_key(), lambda: EC2Resource(gm, spec, now))
    return EC2Job(gm, ad.id, ad, spec, res, now)


def parse_grid_job_id(value):
    """GridJobId "ec2 <url> <token> [<id>]" -> (token, id)."""
    if not isinstance(value, str):
        return None, None
    words = value.split()
    if len(words) < 3 or words[0].lower() != "ec2":
        return None, None
    return words[2], (words[3] if len(words) > 3 else None)


def _keypair_name(jobad, key):
    """HTCondor's SSH_<collector host>_<GlobalJobId>, with characters OpenStack
    refuses in a key pair name turned to spaces."""
    pool = ",".join((config.param("COLLECTOR_HOST") or "NoPool").split())
    gjid = jobad.literal("GlobalJobId")
    if not isinstance(gjid, str):
        gjid = f"{config.param('SCHEDD_NAME') or 'schedd'}#{key[0]}.{key[1]}#" \
               f"{jobad.literal('QDate') or 0}"
    name = f"SSH_{pool}_{gjid}"
    ok = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_")
    return "".join(c if c in ok else " " for c in name)


# ============================================================================
class EC2Job(BaseJob):
    """One EC2 job's state machine."""

    def __init__(self, gm, key, jobad, spec, resource, now):
        super().__init__(gm, key, jobad, spec, resource, now)
        self.instance = None            # the last ec2 Instance seen of our id
        self.remote_state = jobad.literal("GridJobStatus")
        self.reason_code = None
        self.known_since = None         # monotonic time the id became known
        self.acted_at = 0.0             # our last action's answer (a list must be newer)
        self.check_since = None         # a state waits for a list started after this
        self.probe_now = False          # the batched list changed our instance's state
        self.was_completion = False     # cancelling an instance that stopped by itself
        self.cancel_tries = 0
        self.attached = jobad.literal("JobStatus") == RUNNING   # elastic IP / volumes done
        self.spot_state = None
        self.spot_seen = False          # a list has reported on our spot request
        self.refusal = None             # the cloud's words: a launch refused for capacity

    def read_ids(self, jobad):
        self.token, self.inst_id = parse_grid_job_id(jobad.literal("GridJobId"))
        self.foreign = id_set(jobad.literal("GridForeignInstanceIds"))
        rid = jobad.literal("EC2SpotRequestID")
        self.spot_request_id = rid if isinstance(rid, str) and rid else None
        kp = jobad.literal("EC2KeyPair")
        # A key pair named in the ad AND a key pair file: we made it (HTCondor's rule).
        self.keypair = kp if isinstance(kp, str) and kp else None
        self.keypair_created = bool(self.keypair and self.spec and self.spec.key_pair_file)

    def has_remote_identity(self):
        return self.token is not None

    @property
    def spot(self):
        return self.spec is not None and self.spec.spot_price is not None

    def leaving_attrs(self):
        return {"GridJobId": None, "GridForeignInstanceIds": None, "EC2SpotRequestID": None}

    def _grid_job_id(self):
        return f"ec2 {self.spec.url} {self.token}" + (f" {self.inst_id}" if self.inst_id else "")

    def _client(self):
        """The resource's client for the job's credentials, or None after GM_HOLD."""
        try:
            return self.resource.client(self.spec.credentials())
        except LaunchError as e:
            self.hold(str(e), e.code, e.subcode)
            return None

    def _fresh_listing(self, now):
        listing = self.resource.listing
        if listing is None or listing.started < self.check_since:
            self.resource.list_soon(now)
            return None
        return listing

    # ---- inputs -----------------------------------------------------------------
    def on_list(self, listing, now):
        """The resource's batched status arrived."""
        if listing.started < self.acted_at:
            return      # taken before our last action's answer: older news
        if self.spot_request_id is not None and self.inst_id is None:
            req = listing.spot_by_id.get(self.spot_request_id)
            if req is not None:
                self.spot_seen = True
                if req.instance_id and not self.inst_id:
                    self.inst_id = req.instance_id
                if req.state != self.spot_state:
                    self.spot_state = req.state
                    self.probe_now = True
                    self.publish({"GridJobStatus": quote(req.state)})
            elif listing.spot_listed:
                self.spot_seen = True
                if self.spot_state != PURGED:
                    self.spot_state = PURGED
                    self.probe_now = True
        if self.inst_id is None or self.known_since is None:
            return
        inst = listing.by_id.get(self.inst_id)
        if inst is not None and self.token and inst.tags.get(TOKEN_TAG) not in (None, self.token):
            inst = None         # the id now names an instance of someone else's
        state = inst.state if inst is not None else (
            PURGED if listing.started >= self.known_since else self.remote_state)
        if inst is not None:
            self.instance = inst
            self._publish_instance(inst)
        if state != self.remote_state:
            self.remote_state = state
            self.probe_now = True

    def _publish_instance(self, inst):
        attrs = {"GridJobStatus": quote(inst.state)}
        if inst.public_dns:
            attrs["EC2RemoteVirtualMachineName"] = quote(inst.public_dns)
        if inst.state_reason_code != self.reason_code:
            self.reason_code = inst.state_reason_code
            attrs["EC2StatusReasonCode"] = quote(inst.state_reason_code or "")
        self.publish(attrs)

    # ---- states -------------------------------------------------------------------
    def _state_INIT(self, now):
        self.check_since = now
        if self.token is None:
            self.state = GM_CLEAR_REQUEST
        elif self.inst_id is not None:
            self.known_since = now
            self.resource.take_slot(self)
            self.state = GM_SUBMITTED
        elif self.spot:
            self.state = GM_SPOT_SUBMITTED if self.spot_request_id else GM_SPOT_CHECK
        else:
            # A token but no id: the launch may have happened. Look before launching.
            self.state = GM_SEEK_INSTANCE_ID

    def _state_CLEAR_REQUEST(self, now):
        if self.inst_id is not None and self.status != REMOVED:
            self.hold("Job has an instance still", EC2_INTERNAL_ERROR, 0)
            return
        self.resource.release_slot(self)
        self.token = self.inst_id = self.spot_request_id = None
        self.instance = self.remote_state = self.spot_state = None
        self.foreign = frozenset()
        self.was_completion = False
        self.cancel_tries = 0
        self.attached = False

        def cleared(ok):
            if not ok:
                self.stale = True
            elif self.status in (REMOVED, HELD):
                self.state = GM_DELETE
            else:
                self.check_since = now
                self.state = GM_SAVE_CLIENT_TOKEN
        self.write({"GridJobId": None, "GridJobStatus": None, "GridForeignInstanceIds": None,
                    "EC2SpotRequestID": None, "EC2StatusReasonCode": None}, then=cleared)

    def _state_SAVE_CLIENT_TOKEN(self, now):
        if not self._active():
            self.state = GM_DELETE
            return
        listing = self._fresh_listing(now)
        if listing is None:
            refused = self.resource.refused_at
            if refused is None or refused < self.check_since:
                return
            listing = Listing((), (), refused)      # bad credentials: the launch says so
        if not self.resource.may_submit(self):
            return
        launches = self.jobad.literal("NumGridLaunches")
        launches = launches if isinstance(launches, int) and not isinstance(launches, bool) else 0
        self.token = f"{TOKEN_PREFIX}{self.gm.spool_id}-{self.key[0]}-{self.key[1]}-{launches + 1}"
        self.foreign = frozenset(i.id for i in listing.with_token(self.token))
        attrs = {"GridJobId": quote(self._grid_job_id()), "NumGridLaunches": str(launches + 1),
                 "GridForeignInstanceIds": quote(",".join(sorted(self.foreign)))
                 if self.foreign else None, "Managed": '"External"'}
        if self.spec.key_pair_file and not self.spec.key_pair:
            self.keypair = _keypair_name(self.jobad, self.key)
            attrs["EC2KeyPair"] = quote(self.keypair)

        def saved(ok):
            if ok:
                self.state = GM_CREATE_KEY_PAIR
            else:
                self.token = None
                self.resource.release_slot(self)
                self.stale = True
        # Write-ahead: durable before any launch is sent.
        self.write(attrs, statuses=(IDLE, RUNNING), then=saved)

    def _state_CREATE_KEY_PAIR(self, now):
        target = GM_SPOT_START if self.spot else GM_START_VM
        if not (self.spec.key_pair_file and self.keypair) or self.keypair_created:
            self.state = target
            return
        if not self._active():
            self.state = GM_CLEAR_REQUEST
            return
        if self._waiting(now):
            return
        client = self._client()
        if client is not None:
            self._request("create_key_pair", _call, client.create_key_pair, self.keypair)

    def _result_create_key_pair(self, ok, value, now):
        # An existing pair (a create whose answer was lost) is success, as HTCondor's.
        if ok or "InvalidKeyPair.Duplicate" in str(value):
            self._succeeded()
            if ok and value:
                try:
                    fd = os.open(self.spec.key_pair_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                 0o600)
                    with os.fdopen(fd, "w") as f:
                        f.write(value)
                except OSError as e:
                    self.hold(f"Failed to write key pair file '{self.spec.key_pair_file}' "
                              f"({e.strerror})", EC2_USER_ERROR, 11)
                    return
            self.keypair_created = True
            self.state = GM_SPOT_START if self.spot else GM_START_VM
        elif isinstance(value, TransientError):
            self._failed(now, f"create key pair failed ({value})")
        else:
            self.hold(str(value), EC2_CONNECTION_PROBLEM, 11)

    def _launch_args(self, now):
        """(client, launch params, tags) for RunInstances or RequestSpotInstances,
        or None to wait (or after going to GM_HOLD)."""
        if self._waiting(now) or not self.resource.may_submit(self):
            return None
        try:
            params = self.spec.launch_params()
        except LaunchError as e:
            self.hold(str(e), e.code, e.subcode)
            return None
        client = self._client()
        if client is None:
            return None
        if self.keypair and "key_name" not in params:
            params["key_name"] = self.keypair
        return client, params, dict(self.spec.tags, **{TOKEN_TAG: self.token})

    def _state_START_VM(self, now):
        if not self._active():
            self.resource.release_slot(self)
            self.state = GM_DELETE if self.status in (REMOVED, HELD) else GM_CLEAR_REQUEST
            return
        args = self._launch_args(now)
        if args is not None:
            client, params, tags = args
            self._request("launch", _call, client.run_instances, params, self.token, tags)

    def _result_launch(self, ok, value, now):
        if ok:
            self._succeeded()
            self.gm.log.info("job %s: launched instance %s (token %s)", self.label, value.id,
                             self.token)
            self.gm.event(self, userlog.grid_submit(*self.key, self.spec.grid_resource,
                                                    f"ec2 {self.spec.url} {self.token} {value.id}"))
            self._adopted(value, now)
        elif isinstance(value, TransientError):
            # The launch may have happened anyway: look for the token first.
            self._failed(now, f"launch failed ({value})")
            self.check_since = now
            self.state = GM_SEEK_INSTANCE_ID
        elif isinstance(value, CapacityError):
            # Refused for capacity: once a look shows nothing of it, match elsewhere.
            self._succeeded()
            self.refusal = str(value)
            self.check_since = now
            self.state = GM_SEEK_INSTANCE_ID
        else:
            self.resource.release_slot(self)
            self._hold_refusal(value, 12)

    def _hold_refusal(self, err, subcode):
        """A launch refused for good: the cloud's words, HTCondor's code."""
        if isinstance(err, AuthError):
            self.hold(f"Failed to authenticate {err}.", EC2_USER_ERROR, 9)
        else:
            self.hold(str(err), EC2_CONNECTION_PROBLEM, subcode)

    def _state_SEEK_INSTANCE_ID(self, now):
        listing = self._fresh_listing(now)
        if listing is None:
            return
        found = [i for i in listing.with_token(self.token) if i.id not in self.foreign]
        if found:
            inst = found[0]
            self.gm.log.info("job %s: adopting instance %s found by its token", self.label, inst.id)
            self.resource.take_slot(self)
            self.gm.event(self, userlog.grid_submit(*self.key, self.spec.grid_resource,
                                                    f"ec2 {self.spec.url} {self.token} {inst.id}"))
            self._adopted(inst, now)
        elif not self._active():
            self.state = GM_DELETE
        elif self.refusal:
            self.rematch_after_refusal(self.refusal, self.refusal, EC2_CONNECTION_PROBLEM, 12)
        else:
            self.state = GM_CREATE_KEY_PAIR

    def _adopted(self, inst, now):
        """We know the instance id: make it durable, then follow it."""
        self.inst_id = inst.id
        self.known_since = now
        self.instance = inst
        self.remote_state = inst.state
        self.probe_now = True
        self.state = GM_SAVE_INSTANCE_ID
        attrs = {"GridJobId": quote(self._grid_job_id()), "EC2InstanceName": quote(inst.id),
                 "Managed": '"External"', "GridJobStatus": quote(inst.state)}
        if self.spot_request_id:
            # The request has done its work: forget it (HTCondor's GM_SAVE_INSTANCE_ID).
            attrs["EC2SpotRequestID"] = None
            self.spot_request_id = None

        def saved(ok):
            # Facts are written whatever the job's status; only a vanished job refuses.
            self.state = GM_SUBMITTED if ok else GM_SAVE_INSTANCE_ID
            if not ok:
                self.stale = True
        self.write(attrs, then=saved)
        self._publish_instance(inst)

    def _state_SAVE_INSTANCE_ID(self, now):
        pass    # waiting for the commit (see _adopted)

    def _state_SUBMITTED(self, now):
        if self.remote_state in (STOPPED, SHUTOFF):
            # It stopped of its own accord: terminate it, then the job completes.
            self.was_completion = True
            self.cancel_tries = 0
            self.state = GM_CANCEL
        elif self.remote_state in (TERMINATED, PURGED):
            self.state = GM_DONE_SAVE
        elif self.status in (REMOVED, HELD) or self.completed:
            self.state = GM_CANCEL
        elif self.probe_now:
            self.probe_now = False
            self.state = GM_PROBE_JOB

    def _state_PROBE_JOB(self, now):
        if self.status in (REMOVED, HELD):
            self.state = GM_SUBMITTED
            return
        if self.remote_state in (RUNNING_, SHUTTING_DOWN, TERMINATED) and not self.running_logged \
                and self.status == IDLE:
            self.write_running()
        if self.remote_state == RUNNING_ and not self.attached:
            self.attached = True
            self._associate_and_attach()
        code = self.reason_code
        if code and self.remote_state in (TERMINATED, SHUTTING_DOWN, STOPPED) \
                and code not in NORMAL_ENDS:
            if code in ABNORMAL_ENDS:
                self.hold(f"Abnormal instance termination: {code}.", EC2_SERVER_ERROR, 13)
            else:
                self.hold(f"Unrecognized reason for instance termination: {code}.  Treating as "
                          "abnormal.", EC2_SERVER_ERROR, 14)
            return
        self.state = GM_SUBMITTED

    def _associate_and_attach(self):
        """ec2_elastic_ip and ec2_ebs_volumes, once the instance runs; failures
        are logged and the job goes on (HTCondor's associate_n_attach)."""
        if not (self.spec.elastic_ip or self.spec.ebs_volumes):
            return
        client = self._client()
        if client is None:
            return
        volumes = []
        for item in _words(self.spec.ebs_volumes):
            vol, _, device = item.partition(":")
            volumes.append((vol, device))
        self.resource.background(self, _attach, client, self.inst_id, self.spec.elastic_ip,
                                 volumes)

    def _state_DONE_SAVE(self, now):
        if self.status not in (HELD, REMOVED) and not self.completed:
            self.write_completed(GM_DONE_SAVE)
            return
        self.resource.release_slot(self)
        if self.status in (COMPLETED, REMOVED) or self.completed:
            self.state = GM_DESTROY_KEY_PAIR
        else:
            self.state = GM_CLEAR_REQUEST

    def _state_CANCEL(self, now):
        if self.inst_id is None:
            self.state = GM_CANCEL_CHECK
            return
        if self._waiting(now):
            return
        client = self._client()
        if client is not None:
            self.publish({"GridJobStatus": '"cancelling"'})
            # Sent with the resource's other terminates of this poll, in one request.
            self.pending = "terminate"
            self.resource.terminate_later(self, client)

    def _result_terminate(self, ok, value, now):
        self.acted_at = now
        if ok or isinstance(value, GoneError):
            self._succeeded()
            if not ok:
                self.remote_state = PURGED
            self.gm.log.info("job %s: terminate of instance %s accepted", self.label, self.inst_id)
            self.check_since = now
            self.state = GM_CANCEL_CHECK
        elif isinstance(value, TransientError) or self.status == REMOVED:
            # A removed job is never held: its instance must go, so keep trying.
            self._failed(now, f"terminate of instance {self.inst_id} failed ({value})")
            if not isinstance(value, TransientError):
                self.retry_at = now + BACKOFF_MAX
        else:
            self.hold(f"Job cancel failed: {value}", EC2_INSTANCE_POTENTIALLY_LOST, 15)

    def _state_CANCEL_CHECK(self, now):
        if self.inst_id is not None and self.remote_state != PURGED:
            listing = self._fresh_listing(now)
            if listing is None:
                return
            if self.remote_state != TERMINATED:
                self.cancel_tries += 1
                if self.cancel_tries < CANCEL_TRIES or self.status == REMOVED:
                    self.state = GM_CANCEL
                else:
                    self.hold(f"Job cancel did not succeed after {CANCEL_TRIES} tries, giving up.",
                              EC2_INSTANCE_POTENTIALLY_LOST, 16)
                return
        if self.was_completion:
            self.state = GM_DONE_SAVE
        elif self.status in (COMPLETED, REMOVED) or self.completed:
            self.resource.release_slot(self)
            self.state = GM_DESTROY_KEY_PAIR
        else:
            # Held (or idle again): the job may run anew with a new instance.
            self.inst_id = None
            self.state = GM_CLEAR_REQUEST

    def _state_DESTROY_KEY_PAIR(self, now):
        """The job leaves for good: the key pair we made goes, and its file."""
        if not (self.keypair_created and self.keypair):
            self.state = GM_DELETE
            return
        client = self._client()
        if client is not None:
            self._request("delete_key_pair", _call, client.delete_key_pair, self.keypair)

    def _result_delete_key_pair(self, ok, value, now):
        if not ok:
            self.gm.log.info("job %s: destroy key pair %s failed: %s", self.label, self.keypair,
                             value)
        try:
            if self.spec.key_pair_file and self.spec.key_pair_file != os.devnull:
                os.unlink(self.spec.key_pair_file)
        except OSError:
            pass
        self.keypair_created = False
        self.state = GM_DELETE

    # ---- spot instances -------------------------------------------------------------
    def _state_SPOT_START(self, now):
        if not self._active():
            self.resource.release_slot(self)
            self.state = GM_CLEAR_REQUEST
            return
        args = self._launch_args(now)
        if args is not None:
            client, params, tags = args
            self._request("spot_start", _call, client.request_spot_instances, params,
                          self.spec.spot_price, self.token, tags)

    def _result_spot_start(self, ok, value, now):
        if ok:
            self._succeeded()
            self.spot_request_id = value.id
            self.spot_state = value.state
            self.gm.log.info("job %s: spot request %s (token %s)", self.label, value.id, self.token)
            self.write({"EC2SpotRequestID": quote(value.id), "GridJobStatus": quote(value.state)})
            if value.instance_id:
                self.inst_id = value.instance_id
            self.state = GM_SPOT_SUBMITTED
        elif isinstance(value, TransientError):
            self._failed(now, f"spot request failed ({value})")
            self.check_since = now
            self.state = GM_SPOT_CHECK
        elif isinstance(value, CapacityError):
            self._succeeded()
            self.refusal = str(value)
            self.check_since = now
            self.state = GM_SPOT_CHECK
        else:
            self.resource.release_slot(self)
            self._hold_refusal(value, 17)

    def _state_SPOT_CHECK(self, now):
        """A token and no request id: the request may exist. Look it up."""
        listing = self._fresh_listing(now)
        if listing is None:
            return
        found = [r for r in listing.spot_with_token(self.token)]
        if found:
            req = found[0]
            self.spot_request_id = req.id
            self.spot_state = req.state
            self.write({"EC2SpotRequestID": quote(req.id)})
            self.resource.take_slot(self)
            if req.instance_id:
                self.inst_id = req.instance_id
            self.state = GM_SPOT_SUBMITTED
        elif self.status == REMOVED or self.status == HELD:
            self.state = GM_DELETE
        elif self.refusal:
            self.rematch_after_refusal(self.refusal, self.refusal, EC2_CONNECTION_PROBLEM, 17)
        else:
            self.state = GM_CREATE_KEY_PAIR

    def _state_SPOT_SUBMITTED(self, now):
        if self.inst_id is not None:
            self._adopt_spot_instance(now)
            return
        if self.status in (HELD, REMOVED):
            if self.spot_seen:
                self.state = GM_SPOT_QUERY
            else:
                self.resource.list_soon(now)
            return
        if self.probe_now:
            self.probe_now = False
            self.state = GM_SPOT_QUERY

    def _adopt_spot_instance(self, now):
        """The request made its instance: follow the instance from now on."""
        listing = self.resource.listing
        inst = listing.by_id.get(self.inst_id) if listing is not None else None
        if inst is None:
            # Not in a list yet: enough to record it; the next list fills in the rest.
            from pycondorlite.ec2.client import Instance
            inst = Instance(id=self.inst_id, state=PENDING)
        self.gm.event(self, userlog.grid_submit(*self.key, self.spec.grid_resource,
                                                f"ec2 {self.spec.url} {self.token} {self.inst_id}"))
        self._adopted(inst, now)

    def _state_SPOT_QUERY(self, now):
        self.probe_now = False
        if self.inst_id is not None:
            self._adopt_spot_instance(now)
        elif self.status in (HELD, REMOVED):
            self.state = GM_SPOT_CANCEL
        elif self.spot_state in ("open", "pending", None):
            self.state = GM_SPOT_SUBMITTED
        elif self.spot_state == "cancelled":
            self.hold("You, or somebody like you, cancelled this request.", EC2_USER_ERROR, 20)
        elif self.spot_state == PURGED:
            self.hold("Spot request purged; an instance may still be running.",
                      EC2_INSTANCE_POTENTIALLY_LOST, 19)
        else:
            self.hold(f"Request status '{self.spot_state}' unexpected in GM_SPOT_QUERY.",
                      EC2_INTERNAL_ERROR, 21)

    def _state_SPOT_CANCEL(self, now):
        if self.spot_request_id is None:
            self.state = GM_SUBMITTED
            return
        if self._waiting(now):
            return
        client = self._client()
        if client is not None:
            self.publish({"GridJobStatus": '"spot-cancelling"'})
            self._request("spot_cancel", _call, client.cancel_spot_instance_requests,
                          [self.spot_request_id])

    def _result_spot_cancel(self, ok, value, now):
        self.acted_at = now
        if ok or isinstance(value, GoneError):
            self._succeeded()
            self.check_since = now
            self.state = GM_SPOT_CANCEL_CHECK
        elif isinstance(value, TransientError) or self.status == REMOVED:
            self._failed(now, f"spot request cancel failed ({value})")
            if not isinstance(value, TransientError):
                self.retry_at = now + BACKOFF_MAX
        else:
            self.hold(f"Spot request stop failed: {value}", EC2_INSTANCE_POTENTIALLY_LOST, 17)

    def _state_SPOT_CANCEL_CHECK(self, now):
        listing = self._fresh_listing(now)
        if listing is None:
            return
        if self.inst_id is not None:
            self._adopt_spot_instance(now)      # it made an instance meanwhile: kill that
        elif self.spot_state in ("cancelled", "closed", "failed", PURGED):
            self.spot_request_id = None
            self.state = GM_DELETE if self.status == REMOVED else GM_CLEAR_REQUEST
        else:
            self.cancel_tries += 1
            if self.cancel_tries < CANCEL_TRIES or self.status == REMOVED:
                self.state = GM_SPOT_CANCEL
            else:
                self.hold(f"Spot job cancel did not succeed after {CANCEL_TRIES} tries, giving up.",
                          EC2_INSTANCE_POTENTIALLY_LOST, 18)


def _attach(client, inst_id, elastic_ip, volumes):
    if elastic_ip:
        _call(client.associate_address, inst_id, elastic_ip)
    for vol, device in volumes:
        _call(client.attach_volume, vol, inst_id, device)


# ============================================================================
class Listing:
    """One batched status answer: instances and spot requests, indexed."""

    def __init__(self, instances, spot_requests, started, spot_listed=False):
        self.started = started
        self.spot_listed = spot_listed
        self.by_id = {}
        self._by_token = {}
        for inst in instances:
            self.by_id[inst.id] = inst
            for token in {inst.tags.get(TOKEN_TAG), inst.client_token} - {None, ""}:
                self._by_token.setdefault(token, []).append(inst)
        self.spot_by_id = {}
        self._spot_by_token = {}
        for req in spot_requests:
            self.spot_by_id[req.id] = req
            for token in {req.tags.get(TOKEN_TAG), req.client_token, req.launch_group} - {None, ""}:
                self._spot_by_token.setdefault(token, []).append(req)

    def with_token(self, token):
        return self._by_token.get(token, ()) if token else ()

    def spot_with_token(self, token):
        return self._spot_by_token.get(token, ()) if token else ()


class EC2Resource(BaseResource):
    """One EC2 service URL with one pair of credential files."""
    kind = GRID_TYPE

    def __init__(self, gm, spec, now):
        super().__init__(gm, f"{spec.url} ({spec.access_key_file})", spec.grid_resource, now)
        self.url = spec.url
        self.access_key_file = spec.access_key_file
        self.secret_key_file = spec.secret_key_file
        self._clients = {}              # Credentials -> Client
        self.sweeping = set()           # ids of duplicate instances being terminated
        self._terminates = []           # (job, client) whose terminate goes out next tick
        self.describes = 0              # DescribeInstances requests sent (pages included)

    def client(self, credentials):
        c = self._clients.get(credentials)
        if c is None:
            c = Client(self.url, credentials.access_key_id, credentials.secret_key,
                       max_pool_connections=self.gm.max_requests + 1)
            self._clients = {credentials: c}    # a new key replaces the old one
        return c

    def status_client(self):
        for j in self.jobs.values():
            if j.state != GM_DONE and j.spec is not None:
                try:
                    return self.client(j.spec.credentials())
                except LaunchError:
                    return None     # the jobs' own requests hold them with the reason
        return None

    def terminate_later(self, job, client):
        """Queue the job's TerminateInstances; tick() sends the queue together."""
        self._terminates.append((job, client))

    def tick(self, now):
        if self._terminates:
            batch, self._terminates = self._terminates, []
            for i in range(0, len(batch), TERMINATE_BATCH):
                part = batch[i:i + TERMINATE_BATCH]
                if self.gm.closing:
                    break
                self.gm.requests_in_flight += len(part)
                self.track(self.pool.submit(self._terminate_batch, part))
        return super().tick(now)

    def _terminate_batch(self, part):
        """One TerminateInstances for several jobs (EC2 takes up to 1,000 ids).
        If the cloud refuses the whole request (one id it does not know, say),
        each job's instance is sent alone, so that each gets its own answer."""
        client = part[0][1]
        try:
            states = _call(client.terminate_instances, [job.inst_id for job, _ in part])
        except TransientError as e:
            for job, _ in part:
                self.gm.deliver(job.on_result, "terminate", False, e)
            return
        except Exception:
            for job, c in part:
                try:
                    value, ok = _call(c.terminate_instances, [job.inst_id]), True
                except Exception as e:
                    value, ok = as_cloud_error(e), False
                self.gm.deliver(job.on_result, "terminate", ok, value)
            return
        for job, _ in part:
            self.gm.deliver(job.on_result, "terminate", True, states)

    def background(self, job, fn, *args):
        """A request whose answer no state waits for (associations after start)."""
        def run():
            try:
                fn(*args)
            except Exception as e:
                self.gm.log.info("job %s: %s (continuing with the job)", job.label, e)
        self.track(self.pool.submit(run))

    def fetch_status(self, client, started):
        before = client.counts().get("DescribeInstances", 0)
        instances = _call(client.describe_instances, max_results=DESCRIBE_PAGE)
        spot = [j for j in self.jobs.values() if j.spot and j.state != GM_DONE]
        requests_ = _call(client.describe_spot_instance_requests) if spot else ()
        listing = Listing(instances, requests_, started, spot_listed=bool(spot))
        listing.describes = client.counts().get("DescribeInstances", 0) - before
        return listing

    def on_status(self, listing, now):
        self.describes += listing.describes
        super().on_status(listing, now)
        self._sweep_duplicates(listing)

    def on_status_refused(self, err, started, now):
        # Jobs waiting for a list send no request of their own: hold them here,
        # as HTCondor holds jobs after an authentication failure.
        for j in self.jobs.values():
            if (j.state in (GM_SEEK_INSTANCE_ID, GM_SPOT_CHECK) and not j.pending
                    and j.check_since is not None and started >= j.check_since):
                j._hold_refusal(err, 12)

    def _sweep_duplicates(self, listing):
        """Two launches of one token (a lost answer, a cloud that ignores
        ClientToken): the job keeps the instance it adopted, the others that
        were not there before the token was saved are terminated."""
        extra = []
        for job in self.jobs.values():
            if job.inst_id is None or job.state == GM_DONE:
                continue
            for inst in listing.with_token(job.token):
                if (inst.id != job.inst_id and inst.id not in job.foreign
                        and inst.id not in self.sweeping and inst.state != TERMINATED):
                    self.gm.log.warning("job %s: terminating duplicate instance %s (token %s)",
                                        job.label, inst.id, job.token)
                    extra.append((job, inst.id))
        for job, inst_id in extra:
            try:
                client = self.client(job.spec.credentials())
            except LaunchError:
                continue
            self.sweeping.add(inst_id)
            self.track(self.pool.submit(self._kill, client, inst_id))

    def _kill(self, client, inst_id):
        try:
            _call(client.terminate_instances, [inst_id])
        except Exception as e:
            self.gm.log.info("duplicate instance %s: %s (will retry)", inst_id, e)
        finally:
            self.sweeping.discard(inst_id)
