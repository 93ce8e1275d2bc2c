"""A Deltacloud API server that behaves like `deltacloudd -i mock` (1.1.3).

Serves the Deltacloud REST API under `/api` (routes, content negotiation,
Basic auth, status codes, error documents and documents as the real server
with the mock driver, see reference/deltacloud-api.md and the transcripts),
plus what tests need:

* a PENDING delay before RUNNING (and optionally STOPPING before STOPPED),
* state persisted to a file (see cloud.py),
* fault injection on `/api` requests: a fraction answered 500/502/503, added
  latency, dropped connections,
* an admin interface under `/admin` (JSON, no auth, never faulted):
    GET    /admin/instances          every live instance + created/destroyed counts
    GET    /admin/instances/<id>     one instance
    POST   /admin/instances/<id>     {"state": "STOPPED"}: the provider changes it
    DELETE /admin/instances/<id>     the provider loses it (no destroy request)
    GET    /admin/history            every instance ever created through the API
    GET    /admin/faults             current fault settings
    POST   /admin/faults             {"fail_rate": .3, "latency": .05, ...} (partial)
    GET    /admin/stats              request counts per route, injected faults
    POST   /admin/stats/reset

Python use (tests):

    with Simulator(pending_delay=1.0, state_file=p, faults={"fail_rate": 0.3}) as sim:
        sim.url             # "http://127.0.0.1:<port>/api"
        sim.instances()     # live instances (dicts, current state)
        sim.set_state("inst4", "STOPPED")
        sim.counts()        # created/destroyed/live counts, duplicate names
"""

import base64
import dataclasses
import hashlib
import http.server
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY

from . import documents as doc
from . import fixtures as fx
from .cloud import CloudError, MockCloud
from .ec2driver import EC2Driver

SERVER_NAME = f"Apache-Deltacloud/{fx.API_VERSION}"

MEDIA_TYPES = {
    "application/xml": "xml", "text/xml": "xml",
    "application/json": "json",
    "text/html": "html", "application/xhtml+xml": "html", "*/*": "html",
}
CONTENT_TYPES = {"xml": "application/xml", "json": "application/json", "html": "text/html"}
TEXT_HTML = "text/html;charset=utf-8"

# Collections that need credentials on the mock (it reads them lazily).
NO_AUTH = {"hardware_profiles", "instance_states", "drivers"}
INSTANCE_ACTIONS = {"start", "stop", "reboot", "run"}
# Collections the simulator models; the others are served as empty lists.
MODELLED = {"drivers", "hardware_profiles", "images", "instance_states", "instances", "keys",
            "realms"}
EMPTY_COLLECTIONS = set(fx.COLLECTIONS) - MODELLED
# Those the ec2 driver answers from EC2 (the rest as the mock's code does them).
EC2_COLLECTIONS = {"images", "instances", "keys", "realms"}


@dataclasses.dataclass
class Faults:
    """Fault injection on /api requests.

    fail_rate: fraction answered with an error from fail_codes before anything
    is done.  drop_rate: fraction whose connection is closed without a reply;
    a POST or DELETE is carried out first, so the client cannot know whether
    it happened (a lost reply).  latency: seconds added to every request.
    """
    fail_rate: float = 0.0
    fail_codes: tuple = (500, 502, 503)
    latency: float = 0.0
    drop_rate: float = 0.0

    def update(self, **kw):
        """Change some settings; all or nothing (ValueError names the bad one)."""
        names = {f.name for f in dataclasses.fields(self)}
        new = {}
        for key, value in kw.items():
            if key not in names:
                raise ValueError(f"unknown fault setting {key!r}")
            if key == "fail_codes":
                value = tuple(int(c) for c in value)
                if not value or not all(400 <= c <= 599 for c in value):
                    raise ValueError("fail_codes must be HTTP error statuses")
            else:
                value = float(value)
                if value < 0 or (key.endswith("_rate") and value > 1):
                    raise ValueError(f"{key} must be between 0 and 1" if key.endswith("_rate")
                                     else f"{key} must not be negative")
            new[key] = value
        for key, value in new.items():
            setattr(self, key, value)

    def as_dict(self):
        d = dataclasses.asdict(self)
        d["fail_codes"] = list(self.fail_codes)
        return d


class Response:
    def __init__(self, status, body=b"", content_type=None, headers=(), drop=False):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = list(headers)
        self.drop = drop


class Request:
    """One /api request, parsed the way the Sinatra app sees it."""

    def __init__(self, method, segments, matrix, query, form, has_body, headers):
        self.method = method
        self.segments = segments      # path segments after /api, unquoted
        self.matrix = matrix          # matrix params of every segment, merged
        self.query = query            # [(k, v)] from the query string
        self.form = form              # [(k, v)] from the body
        self.has_body = has_body
        self.headers = headers
        self.fmt = None
        self.base = None
        self.provider = None
        self.user = None
        self.password = None          # kept only for the ec2 driver (the secret key)
        self.id = None

    def params(self):
        """Ordered (name, value) as Sinatra's params: format first, then the rest."""
        out = [("format", self.fmt)]
        seen = {"format"}
        extra = list(self.matrix.items()) if (self.method != "POST" or self.has_body) else []
        for k, v in self.query + self.form + extra:
            if k not in seen and not k.startswith("api["):
                out.append((k, v))
                seen.add(k)
        if self.id is not None and "id" not in seen:
            out.append(("id", self.id))
        return out

    def param_dict(self):
        return dict(self.params())


def negotiate(accept):
    """Format from an Accept header: None or empty means XML; None if nothing fits."""
    if accept is None or not accept.strip():
        return "xml"
    candidates = []
    for i, part in enumerate(accept.split(",")):
        media, *opts = [p.strip() for p in part.split(";")]
        q = 1.0
        for opt in opts:
            if opt.startswith("q="):
                try:
                    q = float(opt[2:])
                except ValueError:
                    q = 0.0
        fmt = MEDIA_TYPES.get(media.lower())
        if fmt and q > 0:
            candidates.append((q, -i, fmt))
    return max(candidates)[2] if candidates else None


def parse_form(content_type, body):
    if not body:
        return []
    ctype = (content_type or "").lower()
    if ctype.startswith("multipart/form-data"):
        msg = BytesParser(policy=HTTP_POLICY).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        out = []
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                out.append((name, (part.get_payload(decode=True) or b"").decode("utf-8", "replace")))
        return out
    return urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, sim):
        self.sim = sim
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, handler)


    def handle_error(self, request, client_address):
        # A client that hung up (timeout, dropped fault) is routine, not an error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or not self.sim.verbose:
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer each response and send it whole (flushed by handle_one_request):
    # headers and body in separate segments meet delayed ACKs, 40 ms a request.
    wbufsize = 1 << 16
    server_version = SERVER_NAME
    sys_version = ""

    def version_string(self):
        return SERVER_NAME

    def setup(self):
        super().setup()
        self.timeout = self.server.sim.request_timeout
        self.connection.settimeout(self.timeout)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        with self.server.conns_lock:
            self.server.conns.add(self.connection)

    def finish(self):
        with self.server.conns_lock:
            self.server.conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.server.sim.verbose:
            sys.stderr.write("%s - - [%s] %s\n" % (self.address_string(),
                                                   self.log_date_time_string(), fmt % args))

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_PUT(self):
        self._serve("PUT")

    def do_HEAD(self):
        self._serve("HEAD")

    def do_OPTIONS(self):
        self._serve("OPTIONS")

    def _serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        sim = self.server.sim
        try:
            if _is_admin(self.path):
                resp = sim._admin(method, self.path, body)
            else:
                resp = sim._api(method, self.path, body, self.headers)
        except Exception as exc:  # a bug must still answer like the real server's `safely`
            resp = Response(500, f"Unhandled exception or status code ({exc})", TEXT_HTML)
        if resp.drop:
            self.close_connection = True
            return
        self.send_response(resp.status)
        if not _is_admin(self.path) and not any(
                n == "X-Deltacloud-Driver" for n, _ in resp.headers):
            self.send_header("X-Deltacloud-Driver", sim.driver_name)
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        if resp.status in (200, 201) and resp.body and not _is_admin(self.path):
            self.send_header("ETag", hashlib.md5(resp.body).hexdigest())
            self.send_header("Cache-Control", "max-age=0, private, must-revalidate")
        if resp.status != 204 and method != "HEAD":
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if method != "HEAD" and resp.status != 204:
            self.wfile.write(resp.body)


class Simulator:
    """The Deltacloud server, embeddable in tests and run by `deltacloudd`: the
    mock driver, or (driver="ec2") the ec2 driver in front of an EC2 endpoint
    (ec2driver.py; `provider` names the region or the service URL)."""

    def __init__(self, host="127.0.0.1", port=0, *, pending_delay=0.0, stopping_delay=0.0,
                 state_file=None, faults=None, users=None, provider=None, fixtures=True,
                 unique_ids=False, seed=None, verbose=False, request_timeout=60.0,
                 driver=fx.DRIVER, ec2_timeouts=(5.0, 60.0)):
        self.host = host
        self.requested_port = port
        self.users = dict(users) if users else {fx.DEFAULT_USER: fx.DEFAULT_PASSWORD}
        self.provider = provider
        self.verbose = verbose
        self.request_timeout = request_timeout
        self.faults = faults if isinstance(faults, Faults) else Faults()
        if isinstance(faults, dict):
            self.faults.update(**faults)
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.driver_name = driver
        self.ec2 = None
        self.cloud = None
        if driver == "ec2":
            self.ec2 = EC2Driver(provider, connect_timeout=ec2_timeouts[0],
                                 read_timeout=ec2_timeouts[1])
            self.collections = self.ec2.collections
        elif driver == fx.DRIVER:
            self.cloud = MockCloud(pending_delay=pending_delay, stopping_delay=stopping_delay,
                                   state_file=state_file, fixtures_enabled=fixtures,
                                   unique_ids=unique_ids)
            self.collections = fx.COLLECTIONS
        else:
            raise ValueError(f"unknown driver {driver!r}")
        self.stats_lock = threading.Lock()
        self._stats = {}
        self.server = None
        self.thread = None

    # ---- lifecycle -----------------------------------------------------------

    def bind(self):
        if self.server is None:
            server_class = _Server6 if ":" in self.host else _Server
            self.server = server_class((self.host, self.requested_port), _Handler, self)
        return self

    def start(self):
        """Serve in a background thread; returns self."""
        self.bind()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"deltacloud-sim-{self.port}", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop serving, close every open connection and compact the state file."""
        if self.server is not None:
            if self.thread is not None:
                self.server.shutdown()
                self.thread.join(timeout=5)
                self.thread = None
            with self.server.conns_lock:
                conns = list(self.server.conns)
            for conn in conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.server.server_close()
            self.server = None
        if self.cloud is not None:
            self.cloud.close()
        if self.ec2 is not None:
            self.ec2.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def url(self):
        return f"http://{self._host_for_url()}:{self.port}/api"

    @property
    def admin_url(self):
        return f"http://{self._host_for_url()}:{self.port}/admin"

    def _host_for_url(self):
        host = self.server.server_address[0]
        return f"[{host}]" if ":" in host else host

    # ---- inspection and provider-side changes (tests) ---------------------------

    def instances(self):
        return self.cloud.list_instances()

    def instance(self, id):
        return self.cloud.get_instance(id)

    def set_state(self, id, state):
        return self.cloud.set_state(id, state)

    def vanish(self, id):
        self.cloud.vanish(id)

    def counts(self):
        return self.cloud.counts()

    def refuse_capacity(self, **kw):
        """Creates refused for capacity (MockCloud.refuse_capacity)."""
        self.cloud.refuse_capacity(**kw)

    def set_faults(self, **kw):
        self.faults.update(**kw)
        return self.faults

    def stats(self):
        with self.stats_lock:
            return dict(self._stats)

    def reset_stats(self):
        with self.stats_lock:
            self._stats.clear()

    def _count(self, key):
        with self.stats_lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    def _chance(self, rate):
        if rate <= 0:
            return False
        with self.rng_lock:
            return self.rng.random() < rate

    # ---- admin interface ----------------------------------------------------------

    def _admin(self, method, path, body):
        parts = [p for p in urllib.parse.urlsplit(path).path.split("/") if p][1:]

        def ok(obj, status=200):
            return Response(status, json.dumps(obj, indent=1) + "\n", "application/json")

        def err(status, message):
            return ok({"error": message}, status)

        try:
            data = json.loads(body or b"{}") if method == "POST" else {}
        except ValueError:
            return err(400, "body must be JSON")
        if self.cloud is None and parts[:1] in (["instances"], ["history"]):
            return err(404, "the ec2 driver keeps no instances: ask the EC2 API")
        if not parts and method == "GET":
            return ok({"endpoints": ["/admin/instances", "/admin/history", "/admin/faults", "/admin/stats"]})
        head = parts[0] if parts else ""
        if head == "instances" and len(parts) == 1 and method == "GET":
            return ok(dict(self.counts(), instances=self.instances()))
        if head == "instances" and len(parts) == 2:
            try:
                if method == "GET":
                    inst = self.instance(parts[1])
                    return ok(inst) if inst else err(404, "no such instance")
                if method == "POST":
                    if "state" not in data:
                        return err(400, "expected {\"state\": ...}")
                    return ok(self.set_state(parts[1], str(data["state"])))
                if method == "DELETE":
                    self.vanish(parts[1])
                    return ok({"vanished": parts[1]})
            except KeyError:
                return err(404, "no such instance")
        if head == "history" and method == "GET":
            return ok({"history": self.cloud.history_list()})
        if head == "faults" and method == "GET":
            return ok(self.faults.as_dict())
        if head == "faults" and method == "POST":
            try:
                self.set_faults(**data)
            except (ValueError, TypeError) as exc:
                return err(400, str(exc))
            return ok(self.faults.as_dict())
        if head == "stats" and len(parts) == 1 and method == "GET":
            return ok(self.stats())
        if parts == ["stats", "reset"] and method == "POST":
            self.reset_stats()
            return ok({})
        return err(404, "unknown admin request")

    # ---- the API -----------------------------------------------------------------------

    def _api(self, method, raw, body, headers):
        path, _, query_string = raw.partition("?")
        if self.faults.latency > 0:
            time.sleep(self.faults.latency)
        segs = path.split("/")
        if len(segs) < 2 or segs[0] != "" or segs[1].split(";")[0] != "api":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        matrix, segments, api_matrix = {}, [], {}
        for i, seg in enumerate(segs[1:]):
            name, *mparams = seg.split(";")
            pairs = dict(p.split("=", 1) if "=" in p else (p, "") for p in mparams)
            pairs = {urllib.parse.unquote(k): urllib.parse.unquote(v) for k, v in pairs.items()}
            if i == 0:
                api_matrix = pairs
            else:
                matrix.update(pairs)
            if i > 0 and name != "":
                segments.append(urllib.parse.unquote(name))
        query = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
        qdict = dict(query)
        form = parse_form(headers.get("Content-Type"), body) if method in ("POST", "PUT") else []
        if method == "POST" and dict(form).get("_method", "").lower() == "delete":
            method = "DELETE"  # Rack::MethodOverride
            form = [(k, v) for k, v in form if k != "_method"]
        req = Request(method, segments, matrix, query, form, bool(body), headers)
        self._count(method + " " + _route_key(segments))

        driver = (headers.get("X-Deltacloud-Driver") or api_matrix.get("driver")
                  or qdict.get("api[driver]") or self.driver_name).lower()
        provider = (headers.get("X-Deltacloud-Provider") or api_matrix.get("provider")
                    or qdict.get("api[provider]") or self.provider)
        req.provider = provider.lower() if provider else None
        extra = [("X-Deltacloud-Driver", driver)]
        if req.provider:
            extra.append(("X-Deltacloud-Provider", req.provider))

        if "format" in qdict:
            req.fmt = qdict["format"] if qdict["format"] in CONTENT_TYPES else None
        else:
            req.fmt = negotiate(headers.get("Accept"))
        if req.fmt is None:
            return Response(406, b"", None, extra)
        host = headers.get("Host")
        if not host:
            return Response(400, "Unable to find HTTP Host header", TEXT_HTML, extra)
        req.base = f"http://{host}/api"

        def finish(resp):
            resp.headers = extra + resp.headers
            return resp

        if driver != self.driver_name:
            return finish(self._error(req, 500, f"Driver '{driver}' is not available (uninitialized "
                                      f"constant Deltacloud::Drivers::{driver.capitalize()}).",
                                      path, driver=driver))
        if self._chance(self.faults.fail_rate):
            self._count("fault:fail")
            with self.rng_lock:
                code = self.rng.choice(self.faults.fail_codes)
            return finish(self._fault_response(req, code, path))
        drop = self._chance(self.faults.drop_rate)
        if drop and method not in ("POST", "DELETE", "PUT"):
            self._count("fault:drop")
            return Response(0, drop=True)
        try:
            resp = self._route(req, path)
        except CloudError as exc:
            resp = self._error(req, exc.status, exc.message, path, driver=self.driver_name)
        if drop:
            self._count("fault:drop")
            return Response(0, drop=True)
        return finish(resp)

    def _fault_response(self, req, code, path):
        messages = {500: "DeltacloudErrorMessage", 501: "NotImplementedMessage",
                    502: "ProviderErrorMessage", 504: "ProviderTimeoutMessage"}
        if code in messages:
            return self._error(req, code, messages[code], path, backtrace="(injected fault)")
        # Anything else (503...) comes from in front of the app: a plain page.
        return Response(code, f"{code} {http.HTTPStatus(code).phrase}\n", TEXT_HTML)

    def _error(self, req, status, message, path, driver="mock", backtrace=""):
        headers = []
        if status == 401 and not req.headers.get("Authorization"):
            host = os.environ.get("HOSTNAME", "")
            headers.append(("WWW-Authenticate", f'Basic realm="mock-deltacloud@{host}"'))
        if req.fmt == "json":
            return Response(status, doc.error_json(status, message), "application/json", headers)
        if req.fmt == "html":
            return Response(status, doc.html_page(f"{status} {message}", message), "text/html", headers)
        return Response(status, doc.error_xml(status, path, message, req.params(), req.provider,
                                              driver=driver, backtrace=backtrace),
                        "application/xml", headers)

    def _authenticate(self, req):
        """Set req.user (and req.password for the ec2 driver), or raise CloudError(401).
        The ec2 driver checks nothing here: EC2 judges the keys."""
        auth = req.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise CloudError(401, "Unauthorized")
            if self.ec2 is not None and user:
                req.user, req.password = user, password
                return
            if user in self.users and self.users[user] == password:
                req.user = user
                return
        raise CloudError(401, "Unauthorized")

    def _doc(self, req, status, xml, json_text, title, headers=()):
        if req.fmt == "json":
            return Response(status, json_text, "application/json", headers)
        if req.fmt == "html":
            return Response(status, doc.html_page(title, xml), "text/html", headers)
        return Response(status, xml, "application/xml", headers)

    def _route(self, req, path):
        segs = req.segments
        method = req.method
        not_found = Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        base = req.base
        if not segs:
            if method != "GET":
                return not_found
            if req.param_dict().get("force_auth"):
                try:
                    self._authenticate(req)
                    if self.ec2 is not None:
                        self.ec2.realms(self._ec2_creds(req))   # valid_credentials?
                except CloudError as e:
                    if e.status != 401:
                        raise
                    return Response(401, "Authentication failed", TEXT_HTML)
            shape = dict(driver=self.driver_name, collections=self.collections,
                         features=self.ec2.features if self.ec2 else fx.INSTANCE_FEATURES)
            return self._doc(req, 200, doc.api_xml(base, req.provider, **shape),
                             doc.api_json(base, req.provider, **shape), "Deltacloud API")
        coll = segs[0]
        if coll not in self.collections or len(segs) > 3:
            return not_found
        if method == "HEAD" and len(segs) == 1:
            return Response(200, b"", "text/html")
        if method == "OPTIONS" and len(segs) == 1:
            allow = "OPTIONS,GET,POST,DELETE" if coll in ("instances", "keys", "images") else "OPTIONS,GET"
            return Response(200, b"", TEXT_HTML, [("Allow", allow)])
        if len(segs) >= 2:
            req.id = segs[1]
        if len(segs) == 3:
            if coll != "instances" or method != "POST" or segs[2] not in INSTANCE_ACTIONS:
                return not_found
            self._authenticate(req)
            if self.ec2 is not None:
                return self._ec2_instance_action(req, segs[2])
            return self._instance_action(req, segs[2])
        if coll not in NO_AUTH:
            self._authenticate(req)
        if self.ec2 is not None and coll in EC2_COLLECTIONS:
            handler = getattr(self, f"_ec2_{coll}")
        elif coll in EMPTY_COLLECTIONS or coll not in MODELLED:
            handler = self._empty
        else:
            handler = getattr(self, f"_{coll}", None)
        return handler(req) if handler else not_found

    # ---- collections ----------------------------------------------------------------------

    def _index_or_show(self, req, tag, items, to_xml, to_hash, decl=True):
        base = req.base
        if req.method != "GET":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        if req.id is not None:
            item = next((i for i in items if i["id"] == req.id), None)
            if item is None:
                raise CloudError(404, "Not Found")
            return self._doc(req, 200, doc.xml_single(to_xml(base, item), decl),
                             doc.dumps({tag: to_hash(base, item)}), tag)
        return self._doc(req, 200, doc.xml_collection(tag + "s", [to_xml(base, i) for i in items], decl),
                         doc.dumps({tag + "s": [to_hash(base, i) for i in items]}), tag + "s")

    def _realms(self, req):
        if req.id in fx.REALM_TEST_HOOKS:
            status, message = fx.REALM_TEST_HOOKS[req.id]
            raise CloudError(status, message)
        items = _filter(fx.REALMS, req, ("id",))
        return self._index_or_show(req, "realm", items, doc.realm_xml, doc.realm_hash)

    def _images(self, req):
        items = _filter(fx.IMAGES, req, ("id", "architecture"))
        owner = req.param_dict().get("owner_id")
        if owner:
            items = [i for i in items if i["owner_id"] == (req.user if owner == "self" else owner)]
        return self._index_or_show(req, "image", items, doc.image_xml, doc.image_hash)

    def _hardware_profiles(self, req):
        items = self.ec2.hardware_profiles if self.ec2 else fx.HARDWARE_PROFILES
        arch = req.param_dict().get("architecture")
        if arch:
            items = [p for p in items if any(n == "architecture" and d == arch
                                             for n, _, _, d, _ in p["properties"])]
        items = _filter(items, req, ("id",))
        return self._index_or_show(req, "hardware_profile", items, doc.hwp_xml, doc.hwp_hash)

    def _drivers(self, req):
        name, title = (self.ec2.name, self.ec2.title) if self.ec2 else ("mock", "Mock")
        items = [{"id": name}]
        return self._index_or_show(req, "driver", items,
                                   lambda b, _: doc.driver_xml(b, name, title),
                                   lambda b, _: doc.driver_hash(b, name, title), decl=False)

    def _instance_states(self, req):
        if req.method != "GET" or req.id is not None:
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        machine = self.ec2.state_machine if self.ec2 else self.cloud.state_machine()
        return self._doc(req, 200, doc.states_xml(machine), doc.states_json(machine), "Instance States")

    def _empty(self, req):
        tag = req.segments[0]
        if req.method != "GET":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        if req.id is not None:
            raise CloudError(404, "Not Found")
        return self._doc(req, 200, doc.xml_collection(tag, []), doc.dumps({tag: []}), tag)

    def _keys(self, req):
        base = req.base
        if req.method == "POST" and req.id is None:
            name = req.param_dict().get("name")
            if name is None:
                return _missing_param(req, "name")
            key = self.cloud.create_key(name)
            return self._doc(req, 201, doc.xml_single(doc.key_xml(base, key)),
                             doc.dumps({"key": doc.key_hash(base, key)}), "key",
                             [("Location", f"{base}/keys/{name}")])
        if req.method == "DELETE" and req.id is not None:
            self.cloud.destroy_key(req.id)
            return Response(204)
        with self.cloud.lock:
            items = sorted(self.cloud.keys.values(), key=lambda k: k["id"])
        items = _filter(items, req, ("id",))
        return self._index_or_show(req, "key", items, doc.key_xml, doc.key_hash)

    def _instances(self, req):
        base = req.base
        if req.method == "POST" and req.id is None:
            params = req.param_dict()
            if "image_id" not in params:
                return _missing_param(req, "image_id")
            inst = self.cloud.create_instance(req.user, params)
            return self._instance_doc(req, 201, inst,
                                      [("Location", f"{base}/instances/{inst['id']}")])
        if req.method == "DELETE" and req.id is not None:
            self.cloud.act(req.id, "destroy")
            return Response(204)
        if req.method != "GET":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        if req.id is not None:
            inst = self.cloud.get_instance(req.id)
            if inst is None:
                raise CloudError(404, "Not Found")
            return self._instance_doc(req, 200, inst)
        params = req.param_dict()
        owner = params.get("owner_id", req.user)
        filters = {k: params[k] for k in ("id", "state", "realm_id") if k in params}
        return self._instance_list_doc(req, self.cloud.list_instances(owner, filters))

    def _instance_list_doc(self, req, items):
        base = req.base
        return self._doc(req, 200,
                         doc.xml_collection("instances", [doc.instance_xml(base, i, False) for i in items]),
                         doc.dumps({"instances": [doc.instance_hash(base, i) for i in items]}),
                         "Instances")

    def _instance_doc(self, req, status, inst, headers=(), wrap=True):
        h = doc.instance_hash(req.base, inst)
        return self._doc(req, status, doc.instance_xml(req.base, inst),
                         doc.dumps({"instance": h} if wrap else h), "Instance", headers)

    # ---- the ec2 driver's collections (ec2driver.py does the EC2 side) ---------------------

    def _ec2_creds(self, req):
        """(access key id, secret key, provider named by the request or None)."""
        own = (self.provider or "").lower()
        return (req.user, req.password, req.provider if req.provider and req.provider != own
                else None)

    def _ec2_realms(self, req):
        items = self.ec2.realms(self._ec2_creds(req), req.id)
        return self._index_or_show(req, "realm", items, doc.realm_xml, doc.realm_hash)

    def _ec2_images(self, req):
        params = req.param_dict()
        items = self.ec2.images(self._ec2_creds(req), req.id, params.get("owner_id"),
                                params.get("architecture"))
        return self._index_or_show(req, "image", items, doc.image_xml, doc.image_hash)

    def _ec2_keys(self, req):
        base, creds = req.base, self._ec2_creds(req)
        if req.method == "POST" and req.id is None:
            name = req.param_dict().get("name")
            if name is None:
                return _missing_param(req, "name")
            key = self.ec2.create_key(creds, name)
            return self._doc(req, 201, doc.xml_single(doc.key_xml(base, key)),
                             doc.dumps({"key": doc.key_hash(base, key)}), "key",
                             [("Location", f"{base}/keys/{name}")])
        if req.method == "DELETE" and req.id is not None:
            self.ec2.destroy_key(creds, req.id)
            return Response(204)
        if req.method != "GET":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        return self._index_or_show(req, "key", self.ec2.keys(creds, req.id), doc.key_xml,
                                   doc.key_hash)

    def _ec2_instances(self, req):
        base, creds = req.base, self._ec2_creds(req)
        if req.method == "POST" and req.id is None:
            params = req.param_dict()
            if "image_id" not in params:
                return _missing_param(req, "image_id")
            inst = self.ec2.create_instance(creds, params)
            return self._instance_doc(req, 201, inst,
                                      [("Location", f"{base}/instances/{inst['id']}")])
        if req.method == "DELETE" and req.id is not None:
            self.ec2.act(creds, req.id, "destroy")
            return Response(204)
        if req.method != "GET":
            return Response(404, doc.SINATRA_404, TEXT_HTML, [("X-Cascade", "pass")])
        if req.id is not None:
            inst = self.ec2.instance(creds, req.id)
            if inst is None:
                raise CloudError(404, "Not Found")
            return self._instance_doc(req, 200, inst)
        params = req.param_dict()
        filters = {k: params[k] for k in ("id", "state", "realm_id") if k in params}
        return self._instance_list_doc(req, self.ec2.instances(creds, filters))

    def _ec2_instance_action(self, req, action):
        if action == "run":
            raise CloudError(501, "Running commands on instances is not supported by this server")
        inst = self.ec2.act(self._ec2_creds(req), req.id, action)
        return self._instance_doc(req, 202, inst, wrap=False)

    def _instance_action(self, req, action):
        if action == "run":
            if self.cloud.get_instance(req.id) is None:
                raise CloudError(404, "Not Found")
            cmd = req.param_dict().get("cmd", "")
            text = (f"This is where the output from '{cmd}' would appear "
                    "if this were not a mock provider")
            return self._doc(req, 200, doc.XML_DECL + f"<instance_action>\n<output>{doc.cdata(text)}"
                             "</output>\n</instance_action>\n", doc.dumps({"output": text}), "run")
        inst = self.cloud.act(req.id, action)
        # 202 with the instance; JSON without the {"instance": ...} wrapper (as observed).
        return self._instance_doc(req, 202, inst, wrap=False)


def _is_admin(path):
    return path == "/admin" or path.startswith(("/admin/", "/admin?"))


def _filter(items, req, keys):
    params = req.param_dict()
    for key in keys:
        if key in params:
            items = [i for i in items if str(i.get(key)) == params[key]]
    return list(items)


def _missing_param(req, name):
    names = ",".join(k for k, _ in req.params() if k != "id")
    return Response(400, f"Required parameter '{name}' not found in [{names}]", TEXT_HTML)


def _route_key(segments):
    """A route pattern for the request counters: /api/instances/:id/stop."""
    parts = ["/api"] + segments[:1]
    if len(segments) >= 2:
        parts.append(":id")
    parts.extend(segments[2:3])
    return "/".join(parts)
