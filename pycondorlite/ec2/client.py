"""The EC2 client both roads use (the ec2 grid type and `deltacloudd -i ec2`).

One Client is one service URL with one set of credentials, over boto3's EC2
client with:

* botocore's retries off (one attempt per call): the gridmanager backs off
  itself, as HTCondor's does; our connect/read timeouts;
* nothing from the environment or from ~/.aws: no profile, no config or
  credentials file, no AWS_* variable, the credentials given explicitly, so it
  never looks for the instance-metadata service or a configured endpoint;
* the request signed as HTCondor's EC2 GAHP signs it (endpoint.py: the region
  and service from the host name);
* every failure an EC2Error (errors.py), whose text never holds the secret.

Each method is one request (or one paginated sequence of them).  Requests are
counted by Action (`counts()`), for the benches and the chaos suite.

Launch parameters are a neutral dict, what the job ad says:

    image_id, instance_type, key_name, security_groups [names],
    security_group_ids [ids], subnet_id, availability_zone, user_data (text),
    iam_instance_profile_name, iam_instance_profile_arn,
    block_device_mapping (HTCondor's ec2_block_device_mapping text),
    extra {QueryParameterName: value} (HTCondor's ec2_parameter_<name>)
"""

import base64
import dataclasses
import logging
import os
import threading

import botocore.config
import botocore.configprovider
import botocore.exceptions
import botocore.parsers
import botocore.session

from . import errors
from .endpoint import parse_service_url
from .errors import EC2Error

log = logging.getLogger("pycondorlite.ec2")

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 60.0
# botocore insists on a syntactically valid region name to build a client; the
# signature's region is set per request (endpoint.py), whatever this is.
_BUILD_REGION = "us-east-1"


# ---- the objects the calls return ---------------------------------------------------------

@dataclasses.dataclass
class Instance:
    id: str
    state: str                      # EC2's state name: pending running shutting-down terminated stopping stopped
    state_reason_code: str = None   # e.g. "Client.UserInitiatedShutdown", "Server.SpotInstanceTermination"
    state_reason_message: str = None
    launch_time: object = None      # datetime (aware) or None
    image_id: str = None
    instance_type: str = None
    key_name: str = None
    availability_zone: str = None
    public_dns: str = None
    private_dns: str = None
    public_ip: str = None
    private_ip: str = None
    tags: dict = dataclasses.field(default_factory=dict)
    client_token: str = None
    spot_request_id: str = None
    security_groups: list = dataclasses.field(default_factory=list)   # group names
    root_device_type: str = None
    subnet_id: str = None
    owner_id: str = None            # the reservation's owner (the account)

    @property
    def name(self):
        return self.tags.get("Name")


@dataclasses.dataclass
class SpotRequest:
    id: str
    state: str                  # open active closed cancelled failed
    status_code: str = None     # e.g. fulfilled, price-too-low, capacity-not-available
    status_message: str = None
    instance_id: str = None
    price: str = None
    tags: dict = dataclasses.field(default_factory=dict)
    client_token: str = None
    launch_group: str = None


@dataclasses.dataclass
class Image:
    id: str
    name: str = None
    description: str = None
    owner_id: str = None
    architecture: str = None
    state: str = None
    root_device_type: str = None
    creation_date: str = None


@dataclasses.dataclass
class Zone:
    name: str
    state: str
    region: str = None


@dataclasses.dataclass
class KeyPair:
    name: str
    fingerprint: str = None


@dataclasses.dataclass
class InstanceType:
    name: str
    vcpus: int = None
    memory_mib: int = None
    architectures: tuple = ()


def _tags(items):
    return {t.get("Key"): t.get("Value") for t in items or () if t.get("Key") is not None}


def _instance(d, owner_id=None):
    state = d.get("State") or {}
    reason = d.get("StateReason") or {}
    return Instance(
        id=d.get("InstanceId"), state=state.get("Name"),
        state_reason_code=reason.get("Code") or None,
        state_reason_message=reason.get("Message") or None,
        launch_time=d.get("LaunchTime"), image_id=d.get("ImageId"),
        instance_type=d.get("InstanceType"), key_name=d.get("KeyName"),
        availability_zone=(d.get("Placement") or {}).get("AvailabilityZone"),
        public_dns=d.get("PublicDnsName") or None, private_dns=d.get("PrivateDnsName") or None,
        public_ip=d.get("PublicIpAddress"), private_ip=d.get("PrivateIpAddress"),
        tags=_tags(d.get("Tags")), client_token=d.get("ClientToken") or None,
        spot_request_id=d.get("SpotInstanceRequestId"),
        security_groups=[g.get("GroupName") for g in d.get("SecurityGroups") or ()],
        root_device_type=d.get("RootDeviceType"), subnet_id=d.get("SubnetId"),
        owner_id=owner_id)


def _spot(d):
    status = d.get("Status") or {}
    return SpotRequest(id=d.get("SpotInstanceRequestId"), state=d.get("State"),
                       status_code=status.get("Code"), status_message=status.get("Message"),
                       instance_id=d.get("InstanceId"), price=d.get("SpotPrice"),
                       tags=_tags(d.get("Tags")), client_token=d.get("ClientToken") or None,
                       launch_group=d.get("LaunchGroup"))


def _image(d):
    return Image(id=d.get("ImageId"), name=d.get("Name"), description=d.get("Description"),
                 owner_id=d.get("OwnerId"), architecture=d.get("Architecture"),
                 state=d.get("State"), root_device_type=d.get("RootDeviceType"),
                 creation_date=d.get("CreationDate"))


# ---- HTCondor's launch parameters ------------------------------------------------------------

def parse_block_device_mapping(text):
    """HTCondor's ec2_block_device_mapping: `<virtual name>:<device>` items
    separated by commas or white space.  Returns (mappings for boto3, the items
    ignored because they are not exactly two fields, as the GAHP ignores them)."""
    mappings, ignored = [], []
    for item in (text or "").replace(",", " ").split():
        parts = item.split(":")
        if len(parts) != 2:
            ignored.append(item)
            continue
        mappings.append({"VirtualName": parts[0], "DeviceName": parts[1]})
    return mappings, ignored


def _tag_list(tags):
    return [{"Key": str(k), "Value": "" if v is None else str(v)} for k, v in (tags or {}).items()]


def _filters(filters):
    if not filters:
        return []
    items = filters.items() if isinstance(filters, dict) else filters
    return [{"Name": name, "Values": [values] if isinstance(values, str) else list(values)}
            for name, values in items]


# ---- the request counter -----------------------------------------------------------------------

class RequestCounter:
    """Requests by Action, and failures by error code; thread-safe; may be shared."""

    def __init__(self):
        self._lock = threading.Lock()
        self._actions = {}
        self._errors = {}

    def count(self, action):
        with self._lock:
            self._actions[action] = self._actions.get(action, 0) + 1

    def failed(self, code):
        with self._lock:
            self._errors[code] = self._errors.get(code, 0) + 1

    def counts(self):
        with self._lock:
            return dict(self._actions)

    def errors(self):
        with self._lock:
            return dict(self._errors)

    def reset(self):
        with self._lock:
            self._actions.clear()
            self._errors.clear()


# ---- botocore, isolated from the environment ---------------------------------------------------

_session_lock = threading.Lock()
_session = None


def _botocore_session():
    """One botocore session for every client (the EC2 model is loaded once), that
    reads no environment variable and no file under ~/.aws."""
    global _session
    with _session_lock:
        if _session is None:
            variables = {name: (cfg, None, default, conv) for name, (cfg, _env, default, conv)
                         in botocore.configprovider.BOTOCORE_DEFAUT_SESSION_VARIABLES.items()}
            variables["config_file"] = (None, None, os.devnull, None)
            variables["credentials_file"] = (None, None, os.devnull, None)
            variables["ignore_configured_endpoint_urls"] = (None, None, True, None)
            _session = botocore.session.Session(session_vars=variables)
        return _session


def _ca_bundle():
    """HTCondor's GAHP takes its CAs from X509_CERT_FILE / X509_CERT_DIR; a file is what
    urllib3 can use.  Otherwise the default (certifi) bundle."""
    path = os.environ.get("X509_CERT_FILE") or os.environ.get("GAHP_SSL_CAFILE")
    return path if path else True


class _Call(threading.local):
    """What the request hooks need to know about the call in this thread."""
    extra = None        # raw query parameters to add (ec2_parameter_<name>)
    status = None       # HTTP status of the last reply (for unparsable ones)
    body = None


class Client:
    """One EC2 service URL with one set of credentials.  Thread-safe."""

    def __init__(self, service_url, access_key_id, secret_key, *,
                 connect_timeout=DEFAULT_CONNECT_TIMEOUT, read_timeout=DEFAULT_READ_TIMEOUT,
                 max_pool_connections=10, counter=None):
        self.endpoint = parse_service_url(service_url)
        self.service_url = self.endpoint.service_url
        self.access_key_id = access_key_id
        self._secret = secret_key
        self.counter = counter if counter is not None else RequestCounter()
        self._call = _Call()
        ep = self.endpoint
        cfg = dict(connect_timeout=connect_timeout, read_timeout=read_timeout,
                   max_pool_connections=max_pool_connections,
                   retries={"total_max_attempts": 1, "mode": "standard"},
                   user_agent_appid="pycondorlite", parameter_validation=True)
        if ep.connect_host:
            cfg["proxies"] = {}     # a loopback name is never proxied
        if ep.signature == "v2":
            cfg["signature_version"] = "v2"
        elif ep.signature == "x509":
            cfg["signature_version"] = botocore.UNSIGNED
            # the two files are the certificate and its key (the manual's X.509 method)
            cfg["client_cert"] = (access_key_id, secret_key)
        session = _botocore_session()
        with _session_lock:
            self._ec2 = session.create_client(
                "ec2", region_name=_BUILD_REGION, endpoint_url=ep.connect_url,
                aws_access_key_id=access_key_id if ep.signature != "x509" else "x509",
                aws_secret_access_key=secret_key if ep.signature != "x509" else "x509",
                verify=_ca_bundle() if ep.url.startswith("https") else None,
                config=botocore.config.Config(**cfg))
        events = self._ec2.meta.events
        events.register("before-sign.ec2", self._before_sign)
        events.register("before-parse.ec2", self._before_parse)

    def __repr__(self):
        return f"<ec2.Client {self.service_url} {self.access_key_id}>"

    def close(self):
        close = getattr(self._ec2, "close", None)
        if close:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def counts(self):
        """Requests sent so far, by Action."""
        return self.counter.counts()

    # ---- request hooks ---------------------------------------------------------------

    def _before_sign(self, request, **kw):
        ep = self.endpoint
        if ep.connect_host:
            request.headers["Host"] = ep.host
        signing = request.context.setdefault("signing", {})
        signing["region"] = ep.region
        signing["signing_name"] = ep.service
        extra = self._call.extra
        if extra and isinstance(request.data, dict):
            for name, value in extra.items():
                request.data.setdefault(name, value)     # ours win, as in the GAHP

    def _before_parse(self, response_dict, **kw):
        self._call.status = response_dict.get("status_code")
        self._call.body = response_dict.get("body")

    # ---- one request -----------------------------------------------------------------

    def _scrub(self, text):
        text = str(text or "")
        if self._secret and self._secret in text:
            text = text.replace(self._secret, "<secret>")
        return text

    def _request(self, action, method, extra=None, **params):
        self.counter.count(action)
        self._call.extra = extra
        self._call.status = None
        try:
            return getattr(self._ec2, method)(**params)
        except Exception as exc:       # every failure becomes one EC2Error
            err = self._error(action, exc)
            self.counter.failed(err.code)
            raise err from None
        finally:
            self._call.extra = None

    def _error(self, action, exc):
        E = botocore.exceptions
        if isinstance(exc, E.ClientError):
            e = exc.response.get("Error") or {}
            status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            code = e.get("Code") or f"HTTP{status}"
            return EC2Error(code, self._scrub(e.get("Message")), status, action=action)
        if isinstance(exc, (E.ConnectTimeoutError,)):
            return EC2Error(errors.CONNECT_TIMEOUT, f"no connection to {self.endpoint.url} "
                            "within the connect timeout", action=action)
        if isinstance(exc, E.ReadTimeoutError):
            return EC2Error(errors.READ_TIMEOUT, f"no reply from {self.endpoint.url} "
                            "within the read timeout", action=action)
        if isinstance(exc, (E.EndpointConnectionError, E.ConnectionClosedError,
                            E.ProxyConnectionError, E.SSLError, E.HTTPClientError)):
            detail = type(exc).__name__
            if isinstance(exc, E.EndpointConnectionError):
                detail = "connection refused or unreachable"
            elif isinstance(exc, E.ConnectionClosedError):
                detail = "connection closed before a reply"
            elif isinstance(exc, E.SSLError):
                detail = "TLS failure"
            return EC2Error(errors.CONNECTION_ERROR, f"{self.endpoint.url}: {detail}",
                            action=action)
        if isinstance(exc, botocore.parsers.ResponseParserError):
            status = self._call.status
            body = self._call.body or b""
            first = body.decode("utf-8", "replace").strip().splitlines()[:1]
            return EC2Error(errors.INVALID_RESPONSE,
                            self._scrub(f"the reply to {action} is not an EC2 document"
                                        + (f" (HTTP {status})" if status else "")
                                        + (f": {first[0][:120]}" if first else "")),
                            status, kind=errors.TRANSIENT if (status or 500) >= 500
                            else errors.BAD_REQUEST, action=action)
        if isinstance(exc, E.ParamValidationError):
            return EC2Error("InvalidParameterValue", self._scrub(exc), None,
                            kind=errors.BAD_REQUEST, action=action)
        if isinstance(exc, EC2Error):
            return exc
        return EC2Error(errors.CONNECTION_ERROR, self._scrub(f"{type(exc).__name__}: {exc}"),
                        kind=errors.TRANSIENT, action=action)

    def _pages(self, action, method, key, **params):
        """Every item of a paginated Describe* call (one request per page)."""
        out = []
        while True:
            reply = self._request(action, method, **params)
            out.extend(reply.get(key) or ())
            token = reply.get("NextToken")
            if not token:
                return out
            params["NextToken"] = token

    # ---- instances ---------------------------------------------------------------------

    def _launch_spec(self, params, *, spot):
        p = params or {}
        spec = {"ImageId": p.get("image_id")}
        if p.get("key_name"):
            spec["KeyName"] = p["key_name"]
        if p.get("instance_type"):
            spec["InstanceType"] = p["instance_type"]
        elif spot:
            spec["InstanceType"] = "m1.small"      # the GAHP's default for spot requests
        if p.get("availability_zone"):
            spec["Placement"] = {"AvailabilityZone": p["availability_zone"]}
        if p.get("subnet_id"):
            spec["SubnetId"] = p["subnet_id"]
        if p.get("security_groups"):
            spec["SecurityGroups"] = list(p["security_groups"])
        if p.get("security_group_ids"):
            spec["SecurityGroupIds"] = list(p["security_group_ids"])
        if p.get("iam_instance_profile_arn"):
            spec["IamInstanceProfile"] = {"Arn": p["iam_instance_profile_arn"]}
        elif p.get("iam_instance_profile_name"):
            spec["IamInstanceProfile"] = {"Name": p["iam_instance_profile_name"]}
        if p.get("block_device_mapping"):
            mappings, ignored = parse_block_device_mapping(p["block_device_mapping"])
            for item in ignored:
                log.warning("ignoring invalid block device mapping %r", item)
            if mappings:
                spec["BlockDeviceMappings"] = mappings
        if p.get("user_data"):
            data = p["user_data"]
            if spot:    # RunInstances' UserData is encoded by botocore, the spot spec's is not
                raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
                data = base64.b64encode(raw).decode("ascii")
            spec["UserData"] = data
        return spec

    def run_instances(self, params, client_token=None, tags=None):
        """RunInstances of one instance; the tags are applied at launch."""
        args = self._launch_spec(params, spot=False)
        args.update(MinCount=1, MaxCount=1)
        if self.endpoint.shutdown_behavior:
            args["InstanceInitiatedShutdownBehavior"] = "terminate"
        if client_token:
            args["ClientToken"] = client_token
        if tags:
            args["TagSpecifications"] = [{"ResourceType": "instance", "Tags": _tag_list(tags)}]
        reply = self._request("RunInstances", "run_instances",
                              extra=(params or {}).get("extra"), **args)
        instances = reply.get("Instances") or []
        if not instances:
            raise EC2Error(errors.INVALID_RESPONSE, "RunInstances answered without an instance",
                           kind=errors.TRANSIENT, action="RunInstances")
        return _instance(instances[0], reply.get("OwnerId"))

    def describe_instances(self, filters=None, instance_ids=None, max_results=None):
        """Every instance (all pages). max_results: the page size (EC2 allows up
        to 1000; moto's default is 100), not with instance_ids."""
        args = {}
        if filters:
            args["Filters"] = _filters(filters)
        if instance_ids:
            args["InstanceIds"] = list(instance_ids)
        elif max_results:
            args["MaxResults"] = int(max_results)
        reservations = self._pages("DescribeInstances", "describe_instances", "Reservations", **args)
        return [_instance(i, r.get("OwnerId")) for r in reservations
                for i in r.get("Instances") or ()]

    def _state_change(self, action, method, key, ids):
        reply = self._request(action, method, InstanceIds=list(ids))
        return {c.get("InstanceId"): (c.get("CurrentState") or {}).get("Name")
                for c in reply.get(key) or ()}

    def terminate_instances(self, ids):
        """{id: state after} (shutting-down, terminated)."""
        return self._state_change("TerminateInstances", "terminate_instances",
                                  "TerminatingInstances", ids)

    def stop_instances(self, ids):
        return self._state_change("StopInstances", "stop_instances", "StoppingInstances", ids)

    def start_instances(self, ids):
        return self._state_change("StartInstances", "start_instances", "StartingInstances", ids)

    def reboot_instances(self, ids):
        self._request("RebootInstances", "reboot_instances", InstanceIds=list(ids))

    # ---- spot --------------------------------------------------------------------------

    def request_spot_instances(self, params, price, client_token=None, tags=None):
        """RequestSpotInstances of one instance.  The client token also goes in
        LaunchGroup, as the GAHP uses it (RequestSpotInstances had no ClientToken then)."""
        args = {"SpotPrice": str(price), "InstanceCount": 1,
                "LaunchSpecification": self._launch_spec(params, spot=True)}
        if client_token:
            args["ClientToken"] = client_token
            args["LaunchGroup"] = client_token
        if tags:
            args["TagSpecifications"] = [{"ResourceType": "spot-instances-request",
                                          "Tags": _tag_list(tags)}]
        reply = self._request("RequestSpotInstances", "request_spot_instances",
                              extra=(params or {}).get("extra"), **args)
        requests_ = reply.get("SpotInstanceRequests") or []
        if not requests_:
            raise EC2Error(errors.INVALID_RESPONSE, "RequestSpotInstances answered without a "
                           "request", kind=errors.TRANSIENT, action="RequestSpotInstances")
        return _spot(requests_[0])

    def describe_spot_instance_requests(self, ids=None, filters=None):
        args = {}
        if ids:
            args["SpotInstanceRequestIds"] = list(ids)
        if filters:
            args["Filters"] = _filters(filters)
        items = self._pages("DescribeSpotInstanceRequests", "describe_spot_instance_requests",
                            "SpotInstanceRequests", **args)
        return [_spot(d) for d in items]

    def cancel_spot_instance_requests(self, ids):
        reply = self._request("CancelSpotInstanceRequests", "cancel_spot_instance_requests",
                              SpotInstanceRequestIds=list(ids))
        return {c.get("SpotInstanceRequestId"): c.get("State")
                for c in reply.get("CancelledSpotInstanceRequests") or ()}

    # ---- the rest of what a job may ask for ----------------------------------------------

    def create_tags(self, ids, tags):
        self._request("CreateTags", "create_tags", Resources=list(ids), Tags=_tag_list(tags))

    def associate_address(self, instance_id, public_ip):
        """ec2_elastic_ip: a public address, or a VPC allocation id (eipalloc-...)."""
        args = {"InstanceId": instance_id}
        if public_ip.startswith("eipalloc-"):
            args["AllocationId"] = public_ip
        else:
            args["PublicIp"] = public_ip
        self._request("AssociateAddress", "associate_address", **args)

    def attach_volume(self, volume_id, instance_id, device):
        self._request("AttachVolume", "attach_volume", VolumeId=volume_id,
                      InstanceId=instance_id, Device=device)

    def describe_images(self, image_ids=None, owners=None):
        args = {}
        if image_ids:
            args["ImageIds"] = list(image_ids)
        if owners:
            args["Owners"] = list(owners)
        return [_image(d) for d in self._pages("DescribeImages", "describe_images", "Images", **args)]

    def describe_availability_zones(self, names=None):
        args = {"ZoneNames": list(names)} if names else {}
        reply = self._request("DescribeAvailabilityZones", "describe_availability_zones", **args)
        return [Zone(z.get("ZoneName"), z.get("State"), z.get("RegionName"))
                for z in reply.get("AvailabilityZones") or ()]

    def describe_key_pairs(self, names=None):
        args = {"KeyNames": list(names)} if names else {}
        reply = self._request("DescribeKeyPairs", "describe_key_pairs", **args)
        return [KeyPair(k.get("KeyName"), k.get("KeyFingerprint")) for k in reply.get("KeyPairs") or ()]

    def create_key_pair(self, name):
        """Creates the key pair; returns its private key (PEM text)."""
        reply = self._request("CreateKeyPair", "create_key_pair", KeyName=name)
        return reply.get("KeyMaterial")

    def create_key_pair_full(self, name):
        """(KeyPair, private key text)."""
        reply = self._request("CreateKeyPair", "create_key_pair", KeyName=name)
        return KeyPair(reply.get("KeyName"), reply.get("KeyFingerprint")), reply.get("KeyMaterial")

    def delete_key_pair(self, name):
        self._request("DeleteKeyPair", "delete_key_pair", KeyName=name)

    def describe_instance_types(self, names=None):
        args = {"InstanceTypes": list(names)} if names else {}
        items = self._pages("DescribeInstanceTypes", "describe_instance_types", "InstanceTypes",
                            **args)
        return [InstanceType(d.get("InstanceType"), (d.get("VCpuInfo") or {}).get("DefaultVCpus"),
                             (d.get("MemoryInfo") or {}).get("SizeInMiB"),
                             tuple((d.get("ProcessorInfo") or {}).get("SupportedArchitectures") or ()))
                for d in items]
