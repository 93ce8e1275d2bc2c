"""A Deltacloud REST API client (over requests), for the gridmanager.

It talks to the API the way HTCondor's deltacloud GAHP (libdeltacloud) did
(reference/htcondor-deltacloud.md §2.6, deltacloud-api.md §10, §13):
discover the collections from the `/api` entry point, always ask for XML,
HTTP Basic auth, create with a form POST (id from `Location`), run actions by
following the instance's `<actions>` links, destroy with DELETE, find an
instance by listing and matching `<name>`.

Status codes become typed exceptions:

    201/202/204 (and 200)             success
    401                               AuthError          (permanent: bad credentials)
    403, 404                          NotFound           (the instance is gone)
    405                               ActionNotAllowed   (not in its current state)
    408, 429, 5xx but 501,
    connection errors, timeouts       TransientError     (retry later)
    other 4xx (400 bad hwp_id...), 501 RequestError      (permanent)
    a 2xx body that is not the XML    ProtocolError      (permanent: wrong URL?)

The password is only ever handed to requests' auth; it never appears in an
exception, a log line or the client's repr.

A Client owns one requests.Session (connection reuse, a pool sized for
concurrent use from several threads) and caches the entry point's links.
"""

import base64
import dataclasses
import logging
import os
import threading
import urllib.parse
import xml.etree.ElementTree as ET

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger("pycondorlite.deltacloud")

DEFAULT_TIMEOUT = (5.0, 60.0)   # (connect, read) seconds


class DeltacloudError(Exception):
    """Base class.  `status` is the HTTP status (None for connection errors)."""

    transient = False

    def __init__(self, message, status=None, url=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url


class TransientError(DeltacloudError):
    transient = True


class AuthError(DeltacloudError):
    pass


class NotFound(DeltacloudError):
    pass


class ActionNotAllowed(DeltacloudError):
    pass


class RequestError(DeltacloudError):
    pass


class ProtocolError(DeltacloudError):
    pass


@dataclasses.dataclass(frozen=True)
class Action:
    rel: str
    method: str
    href: str


@dataclasses.dataclass(frozen=True)
class Instance:
    id: str
    name: str
    state: str
    href: str
    owner: str = None
    image_id: str = None
    realm_id: str = None
    profile_id: str = None
    profile: dict = dataclasses.field(default_factory=dict)       # hwp overrides: memory, cpu, storage...
    actions: dict = dataclasses.field(default_factory=dict)       # rel -> Action, in document order
    public_addresses: tuple = ()
    private_addresses: tuple = ()
    keyname: str = None
    launch_time: str = None

    @property
    def action_names(self):
        """Every action rel, in order (HTCondor's DeltacloudAvailableActions)."""
        return list(self.actions)

    def to_dict(self):
        return {"id": self.id, "name": self.name, "state": self.state, "href": self.href,
                "owner": self.owner, "image_id": self.image_id, "realm_id": self.realm_id,
                "profile_id": self.profile_id, "profile": dict(self.profile),
                "actions": {r: {"method": a.method, "href": a.href} for r, a in self.actions.items()},
                "public_addresses": list(self.public_addresses),
                "private_addresses": list(self.private_addresses),
                "keyname": self.keyname, "launch_time": self.launch_time}


def safe_url(url):
    """The URL without any user:password@ part, for messages."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _text(el, tag):
    child = el.find(tag)
    return child.text or "" if child is not None else None


def parse_instance(el):
    """An Instance from an <instance> element (one pass over its children)."""
    fields = {"id": el.get("id"), "href": el.get("href"), "name": "", "state": ""}
    actions, profile, public, private = {}, {}, (), ()
    for child in el:
        tag = child.tag
        if tag in ("name", "state", "launch_time"):
            fields[tag] = (child.text or "").strip() if tag != "name" else (child.text or "")
        elif tag == "owner_id":
            fields["owner"] = child.text or ""
        elif tag in ("image", "realm"):
            fields[tag + "_id"] = child.get("id")
        elif tag == "hardware_profile":
            fields["profile_id"] = child.get("id")
            for prop in child:
                if prop.tag == "property":
                    profile[prop.get("name")] = prop.get("value")
        elif tag == "actions":
            for link in child:
                rel = link.get("rel")
                if link.tag == "link" and rel and rel not in actions:
                    actions[rel] = Action(rel, (link.get("method") or "post").lower(), link.get("href"))
        elif tag in ("public_addresses", "private_addresses"):
            addrs = tuple(a.text.strip() for a in child if a.tag == "address" and (a.text or "").strip())
            if tag == "public_addresses":
                public = addrs
            else:
                private = addrs
        elif tag == "authentication":
            key = child.find("login/keyname")
            if key is not None:
                fields["keyname"] = key.text or ""
    return Instance(actions=actions, profile=profile, public_addresses=public,
                    private_addresses=private, **fields)


def error_message(resp):
    """The server's message from an error response (XML, JSON or plain text)."""
    body = resp.content or b""
    ctype = resp.headers.get("Content-Type", "")
    try:
        if "xml" in ctype or body.lstrip().startswith(b"<?xml") or body.lstrip().startswith(b"<error"):
            el = ET.fromstring(body)
            msg = el.findtext("message")
            if msg:
                return msg.strip()
        if "json" in ctype:
            data = resp.json()
            if isinstance(data, dict) and data.get("message"):
                return str(data["message"])
    except (ET.ParseError, ValueError):
        pass
    if "html" in ctype and b"<html" in body.lower():
        return resp.reason or f"HTTP {resp.status_code}"
    text = body.decode("utf-8", "replace").strip().splitlines()
    return (text[0][:200] if text else "") or resp.reason or f"HTTP {resp.status_code}"


class Client:
    """One Deltacloud endpoint with one set of credentials."""

    def __init__(self, url, username, password, *, timeout=DEFAULT_TIMEOUT, pool_size=16,
                 driver=None, provider=None, session=None):
        self.url = url.rstrip("/")
        self.username = username
        self._password = password
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.auth = requests.auth.HTTPBasicAuth(username, password)
        self.session.headers.update({"Accept": "application/xml", "User-Agent": "pycondorlite-deltacloud"})
        if driver:
            self.session.headers["X-Deltacloud-Driver"] = driver
        if provider:
            self.session.headers["X-Deltacloud-Provider"] = provider
        # requests reads the environment (proxies, CA bundle) again for every
        # request, a tenth of a request's CPU here; read it once instead. (A
        # bundle's path also costs a stat a request: set only where used.)
        self.session.proxies.update(requests.utils.get_environ_proxies(self.url))
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle and self.session.verify is True and self.url.startswith("https:"):
            self.session.verify = ca_bundle
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._entry = None
        self._entry_lock = threading.Lock()

    def __repr__(self):
        return f"Client({safe_url(self.url)!r}, user={self.username!r})"

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- HTTP --------------------------------------------------------------------

    def _request(self, method, url, *, ok=(200, 201, 202, 204), **kw):
        shown = safe_url(url)
        kw.setdefault("timeout", self.timeout)
        try:
            resp = self.session.request(method, url, **kw)
        except requests.Timeout as exc:
            raise TransientError(f"{method} {shown}: timed out ({type(exc).__name__})", url=shown) from None
        except requests.ConnectionError as exc:
            raise TransientError(f"{method} {shown}: connection failed ({type(exc).__name__})",
                                 url=shown) from None
        except requests.RequestException as exc:
            raise TransientError(f"{method} {shown}: {type(exc).__name__}", url=shown) from None
        log.debug("%s %s -> %s", method, shown, resp.status_code)
        status = resp.status_code
        if status in ok:
            return resp
        message = self._scrub(f"{method} {shown}: {status} {error_message(resp)}")
        if status == 401:
            raise AuthError(message, status, shown)
        if status in (403, 404):
            raise NotFound(message, status, shown)
        if status == 405:
            raise ActionNotAllowed(message, status, shown)
        if status in (408, 429) or (status >= 500 and status != 501):
            raise TransientError(message, status, shown)
        raise RequestError(message, status, shown)

    def _scrub(self, text):
        """Belt and braces: a server might echo the credentials back."""
        if self._password:
            text = text.replace(self._password, "********")
            token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode()
            text = text.replace(token, "********")
        return text

    def _xml(self, resp):
        shown = safe_url(resp.url)
        ctype = resp.headers.get("Content-Type", "")
        if "xml" not in ctype:
            raise ProtocolError(f"{resp.request.method} {shown}: expected XML, got {ctype or 'no content type'}",
                                resp.status_code, shown)
        try:
            return ET.fromstring(resp.content)
        except ET.ParseError as exc:
            raise ProtocolError(f"{resp.request.method} {shown}: unparsable XML ({exc})",
                                resp.status_code, shown) from None

    # ---- entry point -----------------------------------------------------------------

    def entry_point(self, refresh=False):
        """{"links": {rel: href}, "features": {rel: {name: {param..., constraints}}},
        "driver", "version", "provider"}; fetched once per client."""
        with self._entry_lock:
            if self._entry is None or refresh:
                el = self._xml(self._request("GET", self.url))
                if el.tag != "api":
                    raise ProtocolError(f"GET {safe_url(self.url)}: not a Deltacloud entry point", 200)
                links, features = {}, {}
                for link in el.findall("link"):
                    rel = link.get("rel")
                    links[rel] = link.get("href")
                    feats = {}
                    for feat in link.findall("feature"):
                        feats[feat.get("name")] = {
                            "rel": feat.get("rel"),
                            "params": [p.get("name") for p in feat.findall("param")],
                            "constraints": {c.get("name"): (c.text or "").strip()
                                            for c in feat.findall("constraint")},
                        }
                    features[rel] = feats
                self._entry = {"links": links, "features": features, "driver": el.get("driver"),
                               "version": el.get("version"), "provider": el.get("provider")}
            return self._entry

    def link(self, rel):
        links = self.entry_point()["links"]
        if rel not in links:
            raise ProtocolError(f"{safe_url(self.url)} offers no '{rel}' collection")
        return links[rel]

    def valid_credentials(self):
        """True if the server accepts the credentials (GET /api?force_auth=1)."""
        try:
            self._request("GET", self.url, params={"force_auth": "1"})
        except AuthError:
            return False
        return True

    def max_name_length(self):
        """The provider's limit on instance names (feature user_name, constraint
        max_length), or None if it states none (HTCondor then allows 1024)."""
        feat = self.entry_point()["features"].get("instances", {}).get("user_name")
        if feat:
            value = feat["constraints"].get("max_length")
            if value and value.isdigit():
                return int(value)
        return None

    def instance_states(self):
        """{state: [(action or None if automatic, to_state)]} from /api/instance_states."""
        el = self._xml(self._request("GET", self.link("instance_states")))
        return {s.get("name"): [(None if t.get("auto") == "true" else t.get("action"), t.get("to"))
                                for t in s.findall("transition")] for s in el.findall("state")}

    def starts_automatically(self):
        """True if pending -> running is automatic (HTCondor's DELTACLOUD_START_AUTO)."""
        return any(action is None and to == "running"
                   for action, to in self.instance_states().get("pending", []))

    # ---- read-only collections -----------------------------------------------------------

    def _collection(self, rel, tag, **filters):
        el = self._xml(self._request("GET", self.link(rel), params=filters or None))
        return el.findall(tag)

    def realms(self):
        return [{"id": r.get("id"), "name": _text(r, "name"), "state": _text(r, "state")}
                for r in self._collection("realms", "realm")]

    def images(self, **filters):
        return [{"id": i.get("id"), "name": _text(i, "name"), "description": _text(i, "description"),
                 "owner_id": _text(i, "owner_id"), "architecture": _text(i, "architecture"),
                 "state": _text(i, "state")} for i in self._collection("images", "image", **filters)]

    def hardware_profiles(self):
        out = []
        for p in self._collection("hardware_profiles", "hardware_profile"):
            props = {}
            for prop in p.findall("property"):
                entry = {"kind": prop.get("kind"), "unit": prop.get("unit"), "value": prop.get("value")}
                rng = prop.find("range")
                if rng is not None:
                    entry["range"] = (rng.get("first"), rng.get("last"))
                values = [e.get("value") for e in prop.findall("enum/entry")]
                if values:
                    entry["enum"] = values
                props[prop.get("name")] = entry
            out.append({"id": p.get("id"), "name": _text(p, "name"), "properties": props})
        return out

    def keys(self):
        return [{"id": k.get("id"), "fingerprint": _text(k, "fingerprint")}
                for k in self._collection("keys", "key")]

    # ---- instances --------------------------------------------------------------------------

    def instances(self, **filters):
        """All instances visible to these credentials; filters: state, id, realm_id..."""
        return [parse_instance(el) for el in self._collection("instances", "instance", **filters)]

    def instance(self, id):
        """One instance by id; NotFound if it does not exist (any more)."""
        url = f"{self.link('instances')}/{urllib.parse.quote(str(id), safe='')}"
        el = self._xml(self._request("GET", url))
        return parse_instance(el)

    def find_by_name(self, name):
        """The first instance whose name is `name`, or None (HTCondor's VM_FIND)."""
        for inst in self.instances():
            if inst.name == name:
                return inst
        return None

    def find_all_by_name(self, name):
        return [i for i in self.instances() if i.name == name]

    def create_instance(self, image_id, *, name=None, realm_id=None, hwp_id=None, hwp_memory=None,
                        hwp_cpu=None, hwp_storage=None, keyname=None, user_data=None, **extra):
        """POST to the instances collection; returns the new Instance.

        None values are left out.  user_data (str or bytes) is sent base64
        encoded, as the API expects.  The id comes from the Location header
        (as libdeltacloud reads it), the rest from the body.
        """
        form = {"image_id": image_id, "name": name, "realm_id": realm_id, "hwp_id": hwp_id,
                "hwp_memory": hwp_memory, "hwp_cpu": hwp_cpu, "hwp_storage": hwp_storage,
                "keyname": keyname}
        form.update(extra)
        if user_data is not None:
            raw = user_data.encode("utf-8") if isinstance(user_data, str) else bytes(user_data)
            form["user_data"] = base64.b64encode(raw).decode("ascii")
        form = {k: str(v) for k, v in form.items() if v is not None}
        resp = self._request("POST", self.link("instances"), data=form, ok=(200, 201, 202))
        location = resp.headers.get("Location")
        el = None
        if resp.content and "xml" in resp.headers.get("Content-Type", ""):
            el = self._xml(resp)
        if el is not None and el.tag == "instance":
            inst = parse_instance(el)
            if location and not inst.id:
                inst = dataclasses.replace(inst, id=location.rstrip("/").rsplit("/", 1)[-1])
            return inst
        if location:
            return self.instance(location.rstrip("/").rsplit("/", 1)[-1])
        raise ProtocolError(f"POST {safe_url(self.link('instances'))}: no instance in the reply",
                            resp.status_code)

    def _resolve(self, instance):
        return instance if isinstance(instance, Instance) else self.instance(instance)

    def action(self, instance, rel):
        """Run start/stop/reboot/destroy by following the instance's action link.

        `instance` is an Instance (its links are used as they are, as a client
        holding an old document would) or an id (fetched first, as the GAHP
        does).  Returns the Instance from a 200/202 reply, None after destroy.
        Raises ActionNotAllowed if the link is absent or the server answers 405.
        """
        inst = self._resolve(instance)
        link = inst.actions.get(rel)
        if link is None:
            if rel == "destroy":
                link = Action("destroy", "delete", inst.href)  # the server decides (405 if running)
            else:
                raise ActionNotAllowed(f"{rel} is not available for instance {inst.id} in state "
                                       f"{inst.state} (actions: {','.join(inst.action_names) or 'none'})",
                                       None, safe_url(inst.href))
        method = "DELETE" if link.method == "delete" else "POST"
        resp = self._request(method, link.href, headers={"Content-Length": "0"} if method == "POST" else None)
        if resp.status_code == 204 or not resp.content:
            return None
        el = self._xml(resp)
        return parse_instance(el) if el.tag == "instance" else None

    def start(self, instance):
        return self.action(instance, "start")

    def stop(self, instance):
        return self.action(instance, "stop")

    def reboot(self, instance):
        return self.action(instance, "reboot")

    def destroy(self, instance):
        return self.action(instance, "destroy")

