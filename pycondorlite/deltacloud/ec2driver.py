"""The simulator's `ec2` driver: the Deltacloud API in front of an EC2 endpoint.

What deltacloud-core's own ec2 driver (1.1.x, server/lib/deltacloud/drivers/
ec2/ec2_driver.rb) did, over pycondorlite.ec2's client:

* credentials: the request's Basic-auth user and password are the access key
  id and the secret key, handed to EC2 as they are (no local check);
* provider (`deltacloudd -i ec2 -P ...`, or the request's X-Deltacloud-Provider):
  a region name means https://ec2.<region>.amazonaws.com/, anything with
  "://" is the service URL itself; none means us-east-1;
* realms = availability zones; images = AMIs (the account's own, or any one
  named by id; never the catalogue of public AMIs); hardware profiles = the
  instance types in HARDWARE_PROFILES (static, as the driver's, and like its
  collection readable without credentials); keys = key pairs;
* instances: create (name -> the `Name` tag, keyname, realm_id -> zone,
  hwp_id -> instance type, user_data, firewalls1..N -> security groups), show,
  list, stop, start, reboot, destroy (TerminateInstances);
* states as convert_state maps them: pending PENDING, running RUNNING,
  stopping STOPPING, stopped / shutting-down / terminated STOPPED; the
  actions of each state from the driver's state machine (STATE_MACHINE);
* EC2 errors as its `exceptions` block maps them: AuthFailure... 401,
  NotFound / InvalidInstanceID / InvalidAMIID / "Invalid availability zone"
  404, anything else 502 (504 for a timeout), the message "<code>: <words>".

Differences, on purpose: an instance's name is its `Name` tag (1.1.x showed
the AMI id; older drivers kept names in tags too), so a client can find its
instance by name after a crash; the name also goes in as the ClientToken.
Every driver method takes (user, password) and returns the dicts
documents.py renders; a failure is a CloudError(status, message).
"""

import base64
import binascii
import hashlib
import re
import threading
from collections import OrderedDict

from pycondorlite.ec2 import Client, EC2Error, parse_service_url
from pycondorlite.ec2 import errors as ec2errors

from .cloud import CloudError

NAME = "ec2"
DEFAULT_REGION = "us-east-1"
STATE_BY_EC2 = {"pending": "PENDING", "running": "RUNNING", "stopping": "STOPPING",
                "stopped": "STOPPED", "shutting-down": "STOPPED", "terminated": "STOPPED"}

# define_instance_states of the ec2 driver: (state, [(action or None, to)]).
STATE_MACHINE = (
    ("start", ((None, "pending"),)),
    ("pending", ((None, "running"), ("stop", "stopping"), (None, "stopped"))),
    ("running", (("reboot", "running"), ("stop", "stopping"))),
    ("stopping", ((None, "stopped"),)),
    ("stopped", (("start", "running"), ("destroy", "finish"))),
    ("finish", ()),
)
ACTIONS_BY_STATE = {state.upper(): tuple(a for a, _ in moves if a)
                    for state, moves in STATE_MACHINE}

# The collections the ec2 driver's entry point lists (those it does not model
# are served empty by the simulator).
COLLECTIONS = (
    "addresses", "buckets", "drivers", "firewalls", "hardware_profiles", "images",
    "instance_states", "instances", "keys", "load_balancers", "metrics", "network_interfaces",
    "networks", "realms", "storage_snapshots", "storage_volumes", "subnets",
)

# The instances collection's features (name, rel, param), as the entry point lists them.
INSTANCE_FEATURES = (
    ("user_name", "create", "name"),
    ("user_data", "create", "user_data"),
    ("authentication_key", "create", "keyname"),
    ("firewalls", "create", "firewalls"),
)


def _profile(name, cpu, memory, storage, arch):
    """A hardware profile in documents.py's shape (all properties fixed but
    architecture, an enum when the type runs both)."""
    archs = (arch,) if isinstance(arch, str) else tuple(arch)
    props = [("cpu", "count", "fixed", _num(cpu), None),
             ("memory", "MB", "fixed", _num(memory), None),
             ("storage", "GB", "fixed", _num(storage), None)]
    if len(archs) == 1:
        props.append(("architecture", "label", "fixed", archs[0], None))
    else:
        props.append(("architecture", "label", "enum", archs[0], archs))
    return {"id": name, "properties": tuple(props)}


def _num(value):
    """Ruby's to_s of the driver's numbers: 613 stays 613, 1.7 * 1024 is 1740.8."""
    return str(value) if isinstance(value, int) else repr(float(value))


# The driver's profiles (deltacloud-core 1.1.x), then today's common types.
HARDWARE_PROFILES = tuple(_profile(*p) for p in (
    ("t1.micro", 1, 613, 160, ("i386", "x86_64")),
    ("m1.small", 1, 1.7 * 1024, 160, ("i386", "x86_64")),
    ("m1.medium", 2, 3.75 * 1024, 410, ("i386", "x86_64")),
    ("m1.large", 4, 7.5 * 1024, 850, "x86_64"),
    ("m1.xlarge", 8, 15 * 1024, 1690, "x86_64"),
    ("c1.medium", 5, 1.7 * 1024, 350, ("i386", "x86_64")),
    ("c1.xlarge", 20, 7 * 1024, 1690, "x86_64"),
    ("m2.xlarge", 6.5, 17.1 * 1024, 420, "x86_64"),
    ("m2.2xlarge", 13, 34.2 * 1024, 850, "x86_64"),
    ("m2.4xlarge", 26, 68.4 * 1024, 1690, "x86_64"),
    ("t3.micro", 2, 1024, 0, "x86_64"),
    ("t3.small", 2, 2048, 0, "x86_64"),
    ("t3.medium", 2, 4096, 0, "x86_64"),
    ("t3.large", 2, 8192, 0, "x86_64"),
    ("m5.large", 2, 8192, 0, "x86_64"),
    ("m5.xlarge", 4, 16384, 0, "x86_64"),
    ("c5.large", 2, 4096, 0, "x86_64"),
    ("c5.xlarge", 4, 8192, 0, "x86_64"),
    ("r5.large", 2, 16384, 0, "x86_64"),
    ("m6g.large", 2, 8192, 0, "arm64"),
))
_ARCHS = {p["id"]: next(d if k == "enum" else (v,) for n, _, k, v, d in p["properties"]
                        if n == "architecture") for p in HARDWARE_PROFILES}
_TOKEN = re.compile(r"[\x21-\x7e]{1,64}\Z")     # EC2's ClientToken: 64 printable ASCII


def service_url_for(provider):
    """The EC2 service URL a Deltacloud provider names."""
    provider = (provider or "").strip()
    if not provider:
        provider = DEFAULT_REGION
    if "://" in provider:
        return provider
    return f"https://ec2.{provider}.amazonaws.com/"


def _decode_user_data(text):
    """Ruby's Base64.decode64, as the driver decoded user_data: never fails."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text or "")
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def cloud_error(err):
    """The Deltacloud status for an EC2Error (the driver's exceptions block)."""
    code, message = err.code, str(err)
    if err.kind == ec2errors.AUTH:
        return CloudError(401, message)
    if ("NotFound" in code or "InvalidInstanceID" in code or "InvalidAMIID" in code
            or "Invalid availability zone" in err.message):
        return CloudError(404, message)
    if code in (ec2errors.READ_TIMEOUT, ec2errors.CONNECT_TIMEOUT):
        return CloudError(504, message)
    return CloudError(502, message)


class EC2Driver:
    name = NAME
    title = "EC2"
    collections = COLLECTIONS
    features = INSTANCE_FEATURES
    state_machine = STATE_MACHINE
    hardware_profiles = HARDWARE_PROFILES
    max_clients = 64

    def __init__(self, provider=None, *, connect_timeout=5.0, read_timeout=60.0):
        self.provider = provider
        self.service_url = service_url_for(provider)
        parse_service_url(self.service_url)     # a bad URL fails now (EC2Error)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._clients = OrderedDict()   # (url, user, sha256(password)) -> Client, in memory only
        self._lock = threading.Lock()

    def close(self):
        with self._lock:
            for c in self._clients.values():
                c.close()
            self._clients.clear()

    # ---- clients, one per endpoint and credentials ---------------------------------------

    def client(self, user, password, provider=None):
        url = service_url_for(provider) if provider else self.service_url
        key = (url, user, hashlib.sha256((password or "").encode()).hexdigest())
        with self._lock:
            c = self._clients.get(key)
            if c is not None:
                self._clients.move_to_end(key)
                return c
        try:
            c = Client(url, user, password, connect_timeout=self.connect_timeout,
                       read_timeout=self.read_timeout)
        except EC2Error as e:
            raise CloudError(400, str(e)) from None
        with self._lock:
            self._clients[key] = c
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)[1].close()
        return c

    def _do(self, creds, fn, *args, **kw):
        client = self.client(*creds)
        try:
            return getattr(client, fn)(*args, **kw)
        except EC2Error as e:
            raise cloud_error(e) from None

    # ---- views in documents.py's shapes ---------------------------------------------------

    @staticmethod
    def view(inst):
        state = STATE_BY_EC2.get(inst.state, (inst.state or "UNKNOWN").upper())
        public = [[inst.public_dns, "hostname"]] if inst.public_dns else []
        private = [[inst.private_dns, "hostname"]] if inst.private_dns else []
        return {
            "id": inst.id, "name": inst.tags.get("Name") or inst.image_id, "state": state,
            "keyname": inst.key_name, "image_id": inst.image_id,
            "owner_id": inst.owner_id or "", "realm_id": inst.availability_zone or "",
            "hwp_id": inst.instance_type, "hwp_props": {},
            "public_addresses": public, "private_addresses": private,
            # the driver's `can_create_image = 'ebs'.eql?(...) and ...` is only the first test
            "create_image": inst.root_device_type == "ebs",
            "network_interfaces": [], "actions": list(ACTIONS_BY_STATE.get(state, ())),
            "launch_time": inst.launch_time,
        }

    @staticmethod
    def _image(img):
        archs = {img.architecture} if img.architecture else set()
        return {"id": img.id, "name": img.name or img.id,
                "description": img.description or "", "owner_id": img.owner_id or "",
                "architecture": img.architecture or "", "state": img.state or "",
                "creation_time": img.creation_date or "",
                "root_type": "persistent" if img.root_device_type == "ebs" else "transient",
                "hardware_profiles": [p["id"] for p in HARDWARE_PROFILES
                                      if not archs or archs & set(_ARCHS[p["id"]])]}

    # ---- collections ------------------------------------------------------------------

    def realms(self, creds, id=None):
        try:
            zones = self._do(creds, "describe_availability_zones", [id] if id else None)
        except CloudError as e:
            if id and e.status in (400, 404, 502):
                return []       # the driver: an unknown zone is no realm
            raise
        return [{"id": z.name, "name": z.name, "state": z.state or "",
                 "limit": "unlimited" if z.state == "available" else "0"} for z in zones]

    def images(self, creds, id=None, owner_id=None, architecture=None):
        if id:
            try:
                images = self._do(creds, "describe_images", image_ids=[id])
            except CloudError as e:
                if e.status == 404 or "Malformed" in str(e):
                    return []
                raise
            return [self._image(i) for i in images]
        owner = "self" if owner_id in (None, "", "self") else owner_id
        items = [self._image(i) for i in self._do(creds, "describe_images", owners=[owner])]
        if architecture:
            items = [i for i in items if i["architecture"] == architecture]
        return sorted(items, key=lambda i: (i["owner_id"], i["name"]))

    def keys(self, creds, id=None):
        try:
            pairs = self._do(creds, "describe_key_pairs", [id] if id else None)
        except CloudError as e:
            if id and e.status == 404:
                return []
            raise
        return [{"id": k.name, "fingerprint": k.fingerprint or "", "pem": None,
                 "state": "AVAILABLE"} for k in pairs]

    def create_key(self, creds, name):
        pair, pem = self._do(creds, "create_key_pair_full", name)
        return {"id": pair.name, "fingerprint": pair.fingerprint or "", "pem": pem,
                "state": "AVAILABLE"}

    def destroy_key(self, creds, name):
        if not self.keys(creds, name):
            raise CloudError(404, "Not Found")
        self._do(creds, "delete_key_pair", name)

    def instances(self, creds, filters=None):
        items = [self.view(i) for i in self._do(creds, "describe_instances")]
        for key, value in (filters or {}).items():
            items = [i for i in items if str(i.get(key)) == value]
        return items

    def instance(self, creds, id):
        try:
            found = self._do(creds, "describe_instances", instance_ids=[id])
        except CloudError as e:
            if e.status in (404,) or "Malformed" in str(e):
                return None
            raise
        return self.view(found[0]) if found else None

    def create_instance(self, creds, params):
        launch = {"image_id": params["image_id"]}
        if params.get("keyname"):
            launch["key_name"] = params["keyname"]
        if params.get("realm_id"):
            launch["availability_zone"] = params["realm_id"]
        if params.get("hwp_id"):
            launch["instance_type"] = params["hwp_id"]
        if params.get("user_data"):
            launch["user_data"] = _decode_user_data(params["user_data"])
        groups = [v for k, v in sorted(params.items()) if re.fullmatch(r"firewalls\d+", k) and v]
        if groups:
            launch["security_groups"] = groups
        name = params.get("name")
        tags = {"Name": name} if name else None
        token = name if name and _TOKEN.match(name) else None
        inst = self._do(creds, "run_instances", launch, client_token=token, tags=tags)
        return self.view(inst)

    def act(self, creds, id, action):
        """deltacloud's instance_action: 403 for an unknown instance, 405 if the
        state does not offer the action; the instance after it (destroy: None)."""
        inst = self.instance(creds, id)
        if inst is None:
            raise CloudError(403, "Forbidden")
        if action not in ACTIONS_BY_STATE.get(inst["state"], ()):
            raise CloudError(405, "Method Not Allowed")
        call = {"stop": "stop_instances", "start": "start_instances",
                "reboot": "reboot_instances", "destroy": "terminate_instances"}[action]
        self._do(creds, call, [id])
        if action == "destroy":
            return None
        return self.instance(creds, id) or inst
