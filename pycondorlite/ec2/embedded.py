"""The embedded EC2: moto's server on loopback, for the tests, the demo and a README line.

    python -m pycondorlite.ec2.embedded [-p PORT] [--regions us-east-1,eu-west-1] [--auth]

prints one service URL per region and serves until killed.  From Python:

    with EmbeddedEC2(regions=("us-east-1", "eu-west-1"), auth=True) as ec2:
        ec2.url("eu-west-1")        # "http://ec2.eu-west-1.localhost:<port>/"
        ec2.credentials             # Credentials of a user the cloud knows (auth=True)
        ec2.seed_image("us-east-1", "ami-ac3fc9c5")
        ec2.seed_key_pair("us-east-1", "mykeypair")
        ec2.instances("us-east-1")  # the EC2 API's own list (dicts), not through any proxy

The server runs in a child process (moto keeps its state in module globals and
its auth switch is process-wide): one moto per EmbeddedEC2, stopped with it,
and gone with its parent (it exits when its stdin closes).

Several regions on one loopback port: a region is chosen by the host name of
its URL, `ec2.<region>.localhost`, by HTCondor's own rule (endpoint.py); the
client connects such names to 127.0.0.1 and signs for that region, and moto
keeps each region's instances apart by the region the request is signed for.

Closer to EC2 than moto's defaults: AMIs, instance types and key pairs are
checked (InvalidAMIID.NotFound, InvalidParameterValue, InvalidKeyPair.NotFound),
and only the AMIs seeded are there (no catalogue of public AMIs).

auth=True makes moto check every request's signature against IAM access keys
(INITIAL_NO_AUTH_ACTION_COUNT=0): a wrong secret key gets EC2's own refusal,
`AuthFailure: AWS was not able to validate the provided access credentials`.
The child creates one IAM user with an allow-all policy and hands its keys to
the parent on the control line; `add_user()` makes more.

Admin interface (JSON under /_embedded/, never signed, never through the fault
proxy): POST images, security_groups, subnets, users, instances/<id>/state;
GET instances, ping.
"""

import argparse
import base64
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from .client import Client
from .credentials import Credentials

DEFAULT_REGIONS = ("us-east-1",)
ADMIN_PREFIX = "/_embedded/"
# Any key pair works when auth is off (moto files everything under one account).
NO_AUTH_CREDENTIALS = ("AKIAEMBEDDEDEC2TESTS0", "embedded-ec2-any-secret")
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def region_url(host, port, region):
    """The service URL of one region of an embedded EC2 listening on host:port."""
    if host not in ("127.0.0.1", "localhost"):
        return f"http://{host}:{port}/"       # no loopback name to carry the region
    return f"http://ec2.{region}.localhost:{port}/"


class EmbeddedEC2:
    """A moto server in a child process on loopback (see the module docstring)."""

    def __init__(self, host="127.0.0.1", port=0, regions=DEFAULT_REGIONS, auth=False,
                 startup_timeout=60.0):
        self.host = host
        self.requested_port = port
        self.regions = tuple(regions)
        self.auth = auth
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = None
        self._credentials = None
        self._stderr = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self):
        cmd = [sys.executable, "-m", "pycondorlite.ec2.embedded", "--host", self.host,
               "--port", str(self.requested_port), "--regions", ",".join(self.regions),
               "--control"]
        if self.auth:
            cmd.append("--auth")
        self._stderr = open(os.devnull, "wb") if not os.environ.get(
            "PYCONDORLITE_EC2_DEBUG") else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=_child_env())
        line = _readline(self.proc.stdout, self.startup_timeout)
        if not line:
            self.stop()
            raise RuntimeError("the embedded EC2 did not start")
        info = json.loads(line)
        self.port = info["port"]
        self._credentials = Credentials(*info["credentials"])
        return self

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()          # the child's cue to shut down
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        if self._stderr:
            self._stderr.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- what the tests use --------------------------------------------------------------

    def url(self, region=None):
        return region_url(self.host, self.port, region or self.regions[0])

    @property
    def credentials(self):
        """Credentials the cloud accepts (any with auth off; an IAM user's with auth on)."""
        return self._credentials

    def client(self, region=None, credentials=None, **kw):
        """Our Client straight to one region (no proxy)."""
        creds = credentials or self._credentials
        return Client(self.url(region), creds.access_key_id, creds.secret_key, **kw)

    def _admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://{self.host}:{self.port}{ADMIN_PREFIX}{path}",
                                     data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise ValueError(json.loads(e.read() or b"{}").get("error", str(e))) from None

    def seed_image(self, region, image_id, name=None, architecture="x86_64",
                   root_device_type="ebs", description=None, public=False):
        """An AMI with the id given (EC2's API cannot choose an AMI id), owned by the account."""
        return self._admin("POST", "images", {
            "region": region, "image_id": image_id, "name": name or image_id,
            "architecture": architecture, "root_device_type": root_device_type,
            "description": description or "", "public": public})

    def seed_key_pair(self, region, name):
        """A key pair (CreateKeyPair); returns its private key."""
        with self.client(region) as c:
            return c.create_key_pair(name)

    def seed_security_group(self, region, name, description="pycondorlite tests"):
        return self._admin("POST", "security_groups", {"region": region, "name": name,
                                                       "description": description})["id"]

    def seed_subnet(self, region, availability_zone, cidr):
        return self._admin("POST", "subnets", {"region": region, "zone": availability_zone,
                                               "cidr": cidr})["id"]

    def seed_address(self, region):
        """An Elastic IP of the account: {"public_ip", "allocation_id"}."""
        return self._admin("POST", "addresses", {"region": region})

    def seed_volume(self, region, zone, size=1):
        return self._admin("POST", "volumes", {"region": region, "zone": zone, "size": size})["id"]

    def add_user(self, name):
        """Another IAM user (auth=True), allowed everything; its Credentials."""
        keys = self._admin("POST", "users", {"name": name})
        return Credentials(keys["access_key_id"], keys["secret_key"])

    def instances(self, region=None):
        """Every instance the EC2 API holds (all regions, or one), as dicts:
        id, region, state, image_id, instance_type, key_name, availability_zone,
        tags, client_token, launch_time, spot_request_id, security_groups, user_data
        (decoded), public_ip, devices (attached block devices)."""
        q = f"?region={region}" if region else ""
        return self._admin("GET", "instances" + q)["instances"]

    def spot_requests(self, region=None):
        q = f"?region={region}" if region else ""
        return self._admin("GET", "spot_requests" + q)["spot_requests"]

    def set_instance_state(self, region, instance_id, state):
        """The provider acts on its own: 'stopped' or 'terminated' (with the reason
        a spot interruption or an outage would give)."""
        return self._admin("POST", f"instances/{instance_id}/state",
                           {"region": region, "state": state})


def _child_env():
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("AWS_"):
            del env[name]        # the child's boto pieces must not see the user's AWS settings
    env.update({"MOTO_ENABLE_AMI_VALIDATION": "true",
                "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
                "MOTO_ENABLE_KEYPAIR_VALIDATION": "true",
                "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
                "MOTO_CALL_RESET_API": "false"})
    return env


def _readline(stream, timeout):
    deadline = time.monotonic() + timeout
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        buf += chunk
    return buf.decode()


# ---- the child: moto's WSGI app, our admin routes beside it ------------------------------------

class _Admin:
    """The admin routes, over moto's backends (in the child process)."""

    def __init__(self, regions):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends
        from moto.iam.models import iam_backends
        self.account = DEFAULT_ACCOUNT_ID
        self.ec2 = ec2_backends
        self.iam = iam_backends
        self.regions = regions
        self.lock = threading.Lock()

    def backend(self, region):
        return self.ec2[self.account][region]

    def add_user(self, name):
        iam = self.iam[self.account]["aws"]
        iam.create_user(region_name="us-east-1", user_name=name)
        iam.put_user_policy(name, "allow-all", ALLOW_ALL)
        key = iam.create_access_key(name)
        return {"access_key_id": key.access_key_id, "secret_key": key.secret_access_key}

    def handle(self, method, path, query, body):
        from moto.ec2.models.amis import Ami
        parts = [p for p in path.split("/") if p]
        region = body.get("region") or query.get("region")
        with self.lock:
            if parts == ["ping"]:
                return {"ok": True}
            if parts == ["images"] and method == "POST":
                be = self.backend(region)
                ami = Ami(be, body["image_id"], name=body.get("name"),
                          description=body.get("description"),
                          architecture=body.get("architecture"),
                          root_device_type=body.get("root_device_type", "ebs"),
                          public=bool(body.get("public")), virtualization_type="hvm",
                          hypervisor="xen", region_name=region)
                be.amis[ami.id] = ami
                return {"id": ami.id}
            if parts == ["security_groups"] and method == "POST":
                sg = self.backend(region).create_security_group(body["name"], body["description"])
                return {"id": sg.id}
            if parts == ["subnets"] and method == "POST":
                be = self.backend(region)
                sn = be.create_subnet(be.get_default_vpc().id, body["cidr"],
                                      availability_zone=body["zone"])
                return {"id": sn.id}
            if parts == ["addresses"] and method == "POST":
                addr = self.backend(region).allocate_address(domain="vpc")
                return {"public_ip": addr.public_ip, "allocation_id": addr.allocation_id}
            if parts == ["volumes"] and method == "POST":
                vol = self.backend(region).create_volume(int(body.get("size", 1)), body["zone"])
                return {"id": vol.id}
            if parts == ["users"] and method == "POST":
                return self.add_user(body["name"])
            if parts == ["instances"] and method == "GET":
                return {"instances": [self._view(r, i) for r in self._regions(region)
                                      for res in self.backend(r).all_reservations()
                                      for i in res.instances]}
            if parts == ["spot_requests"] and method == "GET":
                return {"spot_requests": [
                    {"id": s.id, "region": r, "state": s.state, "instance_id":
                     getattr(s.instance, "id", None), "price": str(s.price),
                     "tags": {t["key"]: t["value"] for t in s.get_tags()}}
                    for r in self._regions(region)
                    for s in self.backend(r).spot_instance_requests.values()]}
            if len(parts) == 3 and parts[0] == "instances" and parts[2] == "state" \
                    and method == "POST":
                be = self.backend(region)
                if body["state"] == "terminated":
                    be.terminate_instances([parts[1]])
                elif body["state"] == "stopped":
                    be.stop_instances([parts[1]])
                else:
                    raise ValueError("state must be stopped or terminated")
                return {"id": parts[1], "state": body["state"]}
        raise KeyError(path)

    def _regions(self, region):
        return [region] if region else list(self.regions)

    def _view(self, region, inst):
        return {"id": inst.id, "region": region, "state": inst.state,
                "image_id": inst.image_id, "instance_type": inst.instance_type,
                "key_name": inst.key_name, "availability_zone": inst.placement.zone,
                "tags": {t["key"]: t["value"] for t in inst.get_tags()},
                "client_token": inst.client_token,
                "launch_time": inst.launch_time.isoformat() if hasattr(inst.launch_time, "isoformat")
                else str(inst.launch_time),
                "spot_request_id": getattr(inst, "spot_instance_request_id", None) or None,
                "security_groups": [g.name for g in inst.security_groups],
                "user_data": _user_data(inst.user_data),
                "public_ip": inst.public_ip, "devices": sorted(inst.block_device_mapping)}


def _user_data(value):
    """moto keeps RunInstances' UserData as sent (base64), in a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not value:
        return None
    value = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    try:
        return base64.b64decode(value).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return value


def _make_app(admin):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    moto_app = DomainDispatcherApplication(create_backend_app)
    ec2_app = []

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(ADMIN_PREFIX):
            # A request signed for EC2 goes straight to moto's EC2 app: its
            # dispatcher would match the host against every service's URL
            # patterns, under a lock, for every request (a sixth of the time
            # of a RunInstances, measured with py-spy).
            if "/ec2/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
                if not ec2_app:
                    ec2_app.append(moto_app.get_application(environ))
                return ec2_app[0](environ, start_response)
            return moto_app(environ, start_response)
        import urllib.parse
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
            out, status = admin.handle(environ["REQUEST_METHOD"], path[len(ADMIN_PREFIX):],
                                       query, body), "200 OK"
        except KeyError as e:
            out, status = {"error": f"unknown admin request or name {e}"}, "404 Not Found"
        except Exception as e:     # a bad admin request is the test's error: say so
            out, status = {"error": f"{type(e).__name__}: {e}"}, "400 Bad Request"
        data = json.dumps(out, default=str).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(data)))])
        return [data]
    return app


def _check_free(host, port):
    """Raise OSError now if host:port cannot be listened on (werkzeug would exit)."""
    import socket
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))


def _faster_moto():
    """moto's InstanceBackend.get_instance copies every reservation to find one
    instance, for every RunInstances (through attach_volume) and every action:
    quadratic in the instances the cloud holds. The same lookup without the
    copies (behaviour unchanged: the instance or InvalidInstanceIdError)."""
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models.instances import InstanceBackend

    def get_instance(self, instance_id):
        for reservation in list(self.reservations.values()):
            for instance in reservation.instances:
                if instance.id == instance_id:
                    return instance
        raise InvalidInstanceIdError(instance_id)
    InstanceBackend.get_instance = get_instance


def serve(host, port, regions, auth, control, verbose=False):
    _check_free(host, port)
    os.environ.update(_child_env())
    _faster_moto()
    from moto import settings
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    admin = _Admin(regions)
    if auth:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        keys = admin.add_user("pycondorlite")
        credentials = (keys["access_key_id"], keys["secret_key"])
    else:
        credentials = NO_AUTH_CREDENTIALS
    for region in regions:
        admin.backend(region)       # the default VPC and zones of each region, now
    class Handler(MotoRequestHandler):
        def log_request(self, *a, **kw):
            if verbose:
                super().log_request(*a, **kw)

    server = make_server(host, port, _make_app(admin), threaded=True, request_handler=Handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    if control:
        print(json.dumps({"port": bound, "credentials": credentials}), flush=True)
        # The parent closes our stdin to stop us (or dies, which closes it too).
        threading.Thread(target=_stop_on_eof, args=(server,), daemon=True).start()
    else:
        print(f"Embedded EC2 (moto) on {host}:{bound}", flush=True)
        for region in regions:
            print(f"  {region}: grid_resource = ec2 {region_url(host, bound, region)}", flush=True)
        if auth:
            print(f"  access key id {credentials[0]}; secret key {credentials[1]}", flush=True)
        else:
            print("  any access key id and secret key are accepted", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(
            target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _stop_on_eof(server):
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    server.shutdown()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m pycondorlite.ec2.embedded",
                                description="The embedded EC2 (moto) on loopback.")
    p.add_argument("-p", "--port", type=int, default=0, help="port (default: 0, any free one)")
    p.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    p.add_argument("--regions", default=",".join(DEFAULT_REGIONS),
                   help="comma-separated regions to show (default: us-east-1)")
    p.add_argument("--auth", action="store_true",
                   help="check signatures against IAM access keys (prints the keys made)")
    p.add_argument("-V", "--verbose", action="store_true", help="log every request to stderr")
    p.add_argument("--control", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
    if not regions:
        p.error("--regions needs at least one region")
    try:
        serve(args.host, args.port, regions, args.auth, args.control, args.verbose)
    except OSError as e:
        print(f"embedded EC2: cannot listen on {args.host}:{args.port}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
