"""A fault-injecting reverse proxy on loopback, in front of an EC2 endpoint.

    with EmbeddedEC2() as ec2, FaultProxy(ec2.port, seed=1) as proxy:
        url = proxy.url("us-east-1")      # what a job's grid_resource names
        proxy.set_latency(0.05)           # added to every request
        proxy.add_fault("drop_after", probability=0.2, actions={"RunInstances"})
        proxy.outage(5, mode="refuse")    # connection refused for 5 s
        proxy.refuse_capacity(instance_type="m1.large", zone="us-east-1a")
        proxy.counts()                    # {"DescribeInstances": 12, "RunInstances": 3, ...}

Requests are forwarded byte for byte, Host header included, so signatures stay
valid and the region (read from the `ec2.<region>.localhost` host name) is
what the client signed for.  Faults, per request, chosen with a probability and
for some Actions / regions only:

    http_500      500 InternalError, EC2's XML error body, nothing forwarded
    unavailable   503 Unavailable
    throttle      503 RequestLimitExceeded
    drop_before   the connection is closed before anything is forwarded
    drop_after    forwarded and carried out, then the connection is closed
                  without the answer (the request happened; the client cannot know)
    hang          nothing is answered for `seconds`, then the connection is closed

An outage answers every request (mode "503") or refuses connections (mode
"refuse": the listening socket is closed and opened again after the window).
Capacity refusals answer RunInstances / RequestSpotInstances with
InsufficientInstanceCapacity (or another code) for an AMI, instance type or
zone, or once a number of instances are live (`live_instances` callable).

Everything is settable from the test process while the proxy runs; the
settings are guarded by one lock.
"""

import dataclasses
import http.client
import http.server
import random
import socket
import threading
import time
import urllib.parse
import uuid

from .endpoint import scope_of

FAULT_KINDS = ("http_500", "unavailable", "throttle", "drop_before", "drop_after", "hang")
LAUNCH_ACTIONS = ("RunInstances", "RequestSpotInstances")

# (HTTP status, code, message) as EC2 words them.
ERRORS = {
    "http_500": (500, "InternalError", "An internal error has occurred. Retry your request, "
                 "but if the problem persists, contact us with details by posting a message on "
                 "the AWS forums."),
    "unavailable": (503, "Unavailable", "The server is overloaded and can't handle the "
                    "request."),
    "throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
}
CAPACITY_MESSAGES = {
    "InsufficientInstanceCapacity": (500, "We currently do not have sufficient {type} capacity "
                                     "in the Availability Zone you requested ({zone}). Our system "
                                     "will be working on provisioning additional capacity."),
    "InstanceLimitExceeded": (400, "You have requested more instances than your current "
                              "instance limit allows for the specified instance type."),
    "VcpuLimitExceeded": (400, "You have requested more vCPU capacity than your current vCPU "
                          "limit allows for the instance bucket that the specified instance "
                          "type belongs to."),
    "MaxSpotInstanceCountExceeded": (400, "Max spot instance count exceeded"),
    "Unsupported": (400, "The requested configuration is currently not supported. Please check "
                    "the documentation for supported configurations."),
}


def error_xml(code, message):
    """An EC2 Query API error document."""
    esc = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{esc}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>").encode()


@dataclasses.dataclass
class Rule:
    kind: str
    probability: float = 1.0
    actions: frozenset = None       # None: every Action
    regions: frozenset = None       # None: every region
    remaining: int = None           # None: unlimited
    seconds: float = 0.0            # for "hang"

    def applies(self, action, region):
        return ((self.actions is None or action in self.actions)
                and (self.regions is None or region in self.regions)
                and (self.remaining is None or self.remaining > 0))


@dataclasses.dataclass
class CapacityRule:
    code: str = "InsufficientInstanceCapacity"
    image_id: str = None
    instance_type: str = None
    zone: str = None
    region: str = None
    max_live: int = None            # refuse once this many instances are live


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, addr, proxy):
        self.proxy = proxy
        super().__init__(addr, _Handler)

    def handle_error(self, request, client_address):
        pass    # clients hanging up, dropped faults: routine here


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def do_POST(self):
        self._serve()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.proxy._handle(self, body)

    def reply(self, status, body, content_type="text/xml;charset=UTF-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FaultProxy:
    """See the module docstring."""

    def __init__(self, target_port, target_host="127.0.0.1", *, host="127.0.0.1", port=0,
                 seed=None, live_instances=None, upstream_timeout=120.0, record=False):
        self.target = (target_host, target_port)
        self.host = host
        self.requested_port = port
        self.live_instances = live_instances
        self.upstream_timeout = upstream_timeout
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.latency = 0.0
        self.rules = []
        self.capacity = []
        self.outage_until = 0.0
        self.outage_mode = None
        self._counts = {}
        self._injected = {}
        self.record = record
        self.recorded = []          # (Action, {param: value}) of each request, if record
        self.server = None
        self.thread = None
        self.port = None
        self._reopen = None

    # ---- lifecycle -----------------------------------------------------------------

    def start(self):
        self.server = _Server((self.host, self.requested_port), self)
        self.port = self.server.server_address[1]
        self._serve_in_thread()
        return self

    def _serve_in_thread(self):
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       name=f"ec2-faultproxy-{self.port}", daemon=True)
        self.thread.start()

    def _close_server(self):
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
            self.thread = None

    def stop(self):
        if self._reopen is not None:
            self._reopen.cancel()
            self._reopen = None
        self._close_server()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, region="us-east-1"):
        if self.host in ("127.0.0.1", "localhost"):
            return f"http://ec2.{region}.localhost:{self.port}/"
        return f"http://{self.host}:{self.port}/"

    # ---- settings (any thread, at any time) --------------------------------------------

    def set_latency(self, seconds):
        with self.lock:
            self.latency = max(0.0, float(seconds))

    def add_fault(self, kind, probability=1.0, actions=None, regions=None, count=None,
                  seconds=0.0):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (one of {', '.join(FAULT_KINDS)})")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        rule = Rule(kind, probability, frozenset(actions) if actions else None,
                    frozenset(regions) if regions else None, count, float(seconds))
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear_faults(self):
        with self.lock:
            self.rules.clear()
            self.capacity.clear()
            self.latency = 0.0
            self.outage_until = 0.0
            self.outage_mode = None

    def refuse_capacity(self, code="InsufficientInstanceCapacity", image_id=None,
                        instance_type=None, zone=None, region=None, max_live=None):
        if code not in CAPACITY_MESSAGES:
            raise ValueError(f"unknown capacity code {code!r}")
        if max_live is not None and self.live_instances is None:
            raise ValueError("max_live needs the live_instances callable")
        rule = CapacityRule(code, image_id, instance_type, zone, region, max_live)
        with self.lock:
            self.capacity.append(rule)
        return rule

    def outage(self, seconds, mode="503"):
        """Every request answered 503 ("503"), or connections refused ("refuse"), for a while."""
        if mode not in ("503", "refuse"):
            raise ValueError("mode must be '503' or 'refuse'")
        with self.lock:
            self.outage_until = time.monotonic() + seconds
            self.outage_mode = mode
        if mode == "refuse":
            self._close_server()
            self._reopen = threading.Timer(seconds, self._listen_again)
            self._reopen.daemon = True
            self._reopen.start()

    def _listen_again(self):
        self._reopen = None
        for _ in range(50):
            try:
                self.server = _Server((self.host, self.port), self)
                break
            except OSError:
                time.sleep(0.1)
        else:
            return
        self._serve_in_thread()

    def counts(self):
        """Requests received by Action (faulted ones included)."""
        with self.lock:
            return dict(self._counts)

    def injected(self):
        """Faults injected, by kind (and capacity code)."""
        with self.lock:
            return dict(self._injected)

    def reset_counts(self):
        with self.lock:
            self._counts.clear()
            self._injected.clear()
            self.recorded.clear()

    # ---- one request ------------------------------------------------------------------

    def _decide(self, action, region, form):
        """(fault kind or capacity rule or None, latency, hang seconds), under the lock."""
        with self.lock:
            self._counts[action] = self._counts.get(action, 0) + 1
            if self.record:
                self.recorded.append((action, dict(form)))
            latency = self.latency
            if self.outage_until and time.monotonic() < self.outage_until:
                self._injected["outage"] = self._injected.get("outage", 0) + 1
                return "outage", latency, 0.0
            for rule in self.rules:
                if rule.applies(action, region) and self.rng.random() < rule.probability:
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self._injected[rule.kind] = self._injected.get(rule.kind, 0) + 1
                    return rule.kind, latency, rule.seconds
            if action in LAUNCH_ACTIONS:
                for rule in self.capacity:
                    if self._capacity_applies(rule, action, region, form):
                        self._injected[rule.code] = self._injected.get(rule.code, 0) + 1
                        return rule, latency, 0.0
        return None, latency, 0.0

    def _capacity_applies(self, rule, action, region, form):
        prefix = "LaunchSpecification." if action == "RequestSpotInstances" else ""
        image = form.get(prefix + "ImageId")
        itype = form.get(prefix + "InstanceType") or "m1.small"
        zone = form.get(prefix + "Placement.AvailabilityZone")
        if rule.region and rule.region != region:
            return False
        if rule.image_id and rule.image_id != image:
            return False
        if rule.instance_type and rule.instance_type != itype:
            return False
        if rule.zone and rule.zone != zone:
            return False
        if rule.max_live is not None:
            return self.live_instances() >= rule.max_live
        return True

    def _handle(self, handler, body):
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                           keep_blank_values=True)) if body else {}
        if not form and "?" in handler.path:
            form = dict(urllib.parse.parse_qsl(handler.path.split("?", 1)[1]))
        action = form.get("Action", "(none)")
        region = scope_of(handler.headers.get("Host", ""))[1]
        fault, latency, hang = self._decide(action, region, form)
        if latency:
            time.sleep(latency)
        if fault == "outage":
            status, code, message = 503, "Unavailable", "The service is unavailable."
            return handler.reply(status, error_xml(code, message))
        if isinstance(fault, CapacityRule):
            status, text = CAPACITY_MESSAGES[fault.code]
            prefix = "LaunchSpecification." if action == "RequestSpotInstances" else ""
            message = text.format(type=form.get(prefix + "InstanceType") or "m1.small",
                                  zone=form.get(prefix + "Placement.AvailabilityZone") or region)
            return handler.reply(status, error_xml(fault.code, message))
        if fault in ERRORS:
            status, code, message = ERRORS[fault]
            return handler.reply(status, error_xml(code, message))
        if fault == "drop_before":
            return handler.drop()
        if fault == "hang":
            time.sleep(hang)
            return handler.drop()
        try:
            status, headers, payload = self._forward(handler, body)
        except (OSError, http.client.HTTPException):
            return handler.drop()       # the EC2 behind us is gone: so is the answer
        if fault == "drop_after":
            return handler.drop()
        handler.reply(status, payload, headers.get("Content-Type", "text/xml"),
                      [(k, v) for k, v in headers.items()
                       if k.lower() not in ("content-type", "content-length", "connection",
                                            "transfer-encoding", "keep-alive", "server", "date")])

    def _forward(self, handler, body):
        """One upstream connection per request: never a retry that could run a
        request twice behind the client's back."""
        conn = http.client.HTTPConnection(*self.target, timeout=self.upstream_timeout)
        try:
            headers = {k: v for k, v in handler.headers.items()
                       if k.lower() not in ("connection", "keep-alive", "proxy-connection")}
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()
