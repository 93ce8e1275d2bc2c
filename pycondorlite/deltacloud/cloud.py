"""The simulated cloud behind the simulator: what deltacloud's mock driver does.

One `MockCloud` holds the instances and keys, applies the mock's state machine,
and persists every change to a state file.  It knows nothing about HTTP.

States follow the mock driver (reference/deltacloud-api.md §8): create gives
RUNNING, stop gives STOPPED, start gives RUNNING, destroy (from STOPPED only)
removes the instance.  Two optional delays model real drivers: with
`pending_delay` a new instance is PENDING until the delay has passed, with
`stopping_delay` a stopped one is STOPPING first.  Those timed states are
computed when read, from wall-clock deadlines stored in the record, so they
also advance while the simulator is down.

State file: JSON lines.  The first line is a snapshot, each later line one
change, appended and flushed before the request is answered (a killed
simulator loses nothing it acknowledged).  On start and stop the file is
compacted into one snapshot line, written to a temporary file and renamed
over the old one; a torn last line (crash mid-append) is ignored on load.
"""

import base64
import binascii
import copy
import json
import os
import random
import re
import threading
import time

from . import fixtures

PENDING, RUNNING, STOPPING, STOPPED = "PENDING", "RUNNING", "STOPPING", "STOPPED"

# Actions a client may take in each state (the mock's non-automatic transitions).
ACTIONS_BY_STATE = {
    RUNNING: ("reboot", "stop"),
    STOPPED: ("start", "destroy"),
}


class CloudError(Exception):
    """A driver-level failure, carried to the HTTP layer as an error document."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _lenient_b64decode(text):
    """Ruby's Base64.decode64: skip characters outside the alphabet, never fail."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


class MockCloud:
    def __init__(self, *, pending_delay=0.0, stopping_delay=0.0, state_file=None,
                 fixtures_enabled=True, unique_ids=False, clock=time.time):
        self.pending_delay = float(pending_delay)
        self.stopping_delay = float(stopping_delay)
        self.state_file = state_file
        self.unique_ids = unique_ids
        self.clock = clock
        self.lock = threading.RLock()
        self.instances = {}          # id -> record
        self.keys = {}               # id -> key
        self.history = {}            # serial -> {id, name, created_at, destroyed_at}
        self.created_count = 0
        self.destroyed_count = 0
        self.capacity = []           # refusals for capacity: see refuse_capacity
        self._journal = None
        self._journal_lines = 0
        loaded = self._load() if state_file else False
        if not loaded and fixtures_enabled:
            for rec in fixtures.FIXTURE_INSTANCES:
                self.instances[rec["id"]] = copy.deepcopy(rec)
            for key in fixtures.FIXTURE_KEYS:
                self.keys[key["id"]] = dict(key)
        if state_file:
            self._compact()

    # ---- reading -------------------------------------------------------

    def state_of(self, rec, now=None):
        """The state as reported now: timed states advance on read."""
        now = self.clock() if now is None else now
        state = rec["state"]
        if state == PENDING and rec.get("pending_until") is not None and now >= rec["pending_until"]:
            return RUNNING
        if state == STOPPING and rec.get("stopping_until") is not None and now >= rec["stopping_until"]:
            return STOPPED
        return state

    def view(self, rec, now=None):
        """A copy of the record with the current state and allowed actions."""
        out = dict(rec)
        out["state"] = self.state_of(rec, now)
        out["actions"] = list(ACTIONS_BY_STATE.get(out["state"], ()))
        return out

    def get_instance(self, id):
        with self.lock:
            rec = self.instances.get(id)
            return self.view(rec) if rec else None

    def list_instances(self, owner_id=None, filters=None):
        """Instances sorted by id as strings (the mock lists its storage dir)."""
        now = self.clock()
        with self.lock:
            recs = [self.view(self.instances[i], now) for i in sorted(self.instances)]
        if owner_id is not None:
            recs = [r for r in recs if r["owner_id"] == owner_id]
        for key, value in (filters or {}).items():
            recs = [r for r in recs if str(r.get(key)) == value]
        return recs

    def state_machine(self):
        """The instance_states document's content, consistent with the delays."""
        if not self.stopping_delay:
            return fixtures.STATE_MACHINE
        return (
            ("start", (("create", "pending"),)),
            ("pending", ((None, "running"),)),
            ("running", (("reboot", "running"), ("stop", "stopping"))),
            ("stopping", ((None, "stopped"),)),
            ("stopped", (("start", "running"), ("destroy", "finish"))),
            ("finish", ()),
        )

    # ---- instance operations ------------------------------------------

    def _next_id(self):
        if self.unique_ids:
            n = self.created_count
            while f"inst{n}" in self.instances:
                n += 1
            return f"inst{n}"
        n = 0  # the mock takes the first unused inst<N>, so ids are reused
        while f"inst{n}" in self.instances:
            n += 1
        return f"inst{n}"

    def refuse_capacity(self, code="InsufficientInstanceCapacity", image_id=None, hwp_id=None,
                        realm_id=None, max_live=None):
        """Refuse creates for capacity, as a real provider behind deltacloud-core
        would (502, the backend's words): those of this image / profile / realm
        (None: any), once max_live of them run (None: always). `code` is one of
        EC2's capacity codes (pycondorlite.ec2.faultproxy.CAPACITY_MESSAGES)."""
        from pycondorlite.ec2.faultproxy import CAPACITY_MESSAGES
        if code not in CAPACITY_MESSAGES:
            raise ValueError(f"unknown capacity code {code!r}")
        with self.lock:
            self.capacity.append({"code": code, "image_id": image_id, "hwp_id": hwp_id,
                                  "realm_id": realm_id, "max_live": max_live})

    def clear_capacity(self):
        with self.lock:
            self.capacity.clear()

    def _check_capacity(self, image_id, hwp_id, realm_id):
        """Raise the refusal of the first capacity rule that applies (under the lock)."""
        from pycondorlite.ec2.faultproxy import CAPACITY_MESSAGES
        for rule in self.capacity:
            if any(rule[k] is not None and rule[k] != v for k, v in
                   (("image_id", image_id), ("hwp_id", hwp_id), ("realm_id", realm_id))):
                continue
            if rule["max_live"] is not None:
                live = sum(1 for r in self.instances.values() if r.get("serial") is not None
                           and all(rule[k] is None or r[k] == v for k, v in
                                   (("image_id", image_id), ("hwp_id", hwp_id),
                                    ("realm_id", realm_id))))
                if live < rule["max_live"]:
                    continue
            _, words = CAPACITY_MESSAGES[rule["code"]]
            raise CloudError(502, f"{rule['code']}: " + words.format(type=hwp_id, zone=realm_id))

    def create_instance(self, owner, params):
        """Create from request params (image_id required).  Returns the view."""
        image_id = params["image_id"]
        hwp_id = params.get("hwp_id") or fixtures.DEFAULT_HWP
        if hwp_id not in {p["id"] for p in fixtures.HARDWARE_PROFILES}:
            raise CloudError(400, f"Hardware profile '{hwp_id}' does not exists.")
        realm_id = params.get("realm_id") or fixtures.REALMS[0]["id"]
        initial = params.get("initial_state") or RUNNING
        if initial == "STARTED":
            initial = RUNNING
        now = self.clock()
        user_data = params.get("user_data")
        with self.lock:
            self._check_capacity(image_id, hwp_id, realm_id)
            id = self._next_id()
            self.created_count += 1
            serial = self.created_count
            rec = {
                "id": id, "name": params.get("name") or f"i-{int(now)}",
                "state": initial, "keyname": params.get("keyname"),
                "image_id": image_id, "owner_id": owner, "realm_id": realm_id,
                "hwp_id": hwp_id,
                "hwp_props": {name: params[f"hwp_{name}"] for name, _ in fixtures.PROFILE_OVERRIDES
                              if params.get(f"hwp_{name}") not in (None, "")},
                "public_addresses": [[f"{image_id}.{id}.public.com", "hostname"]],
                "private_addresses": [[f"{image_id}.{id}.private.com", "hostname"]],
                "create_image": True,
                "user_data": (_lenient_b64decode(user_data).decode("utf-8", "replace")
                              if user_data is not None else None),
                "network_interfaces": [],
                "pending_until": None, "stopping_until": None,
                "created_at": now, "serial": serial,
            }
            if initial == RUNNING and self.pending_delay > 0:
                rec["state"] = PENDING
                rec["pending_until"] = now + self.pending_delay
            self.instances[id] = rec
            self.history[serial] = {"id": id, "name": rec["name"], "created_at": now,
                                    "destroyed_at": None}
            self._append({"op": "create", "rec": rec})
            return self.view(rec, now)

    def act(self, id, action):
        """Run start/stop/reboot/destroy on an instance, checking the state first.

        403 if the instance does not exist, 405 if the action is not allowed in
        its current state (deltacloud's `instance_action`).  Returns the view
        after the action, or None after destroy.
        """
        with self.lock:
            rec = self.instances.get(id)
            if rec is None:
                raise CloudError(403, "Forbidden")
            now = self.clock()
            state = self.state_of(rec, now)
            if action not in ACTIONS_BY_STATE.get(state, ()):
                raise CloudError(405, "Method Not Allowed")
            if action == "destroy":
                self._remove(id, now)
                return None
            if action == "stop":
                if self.stopping_delay > 0:
                    self._set(rec, STOPPING, stopping_until=now + self.stopping_delay)
                else:
                    self._set(rec, STOPPED)
            else:  # start, reboot
                self._set(rec, RUNNING)
            return self.view(rec, now)

    def _set(self, rec, state, *, stopping_until=None):
        rec["state"] = state
        rec["pending_until"] = None
        rec["stopping_until"] = stopping_until
        self._append({"op": "update", "rec": rec})

    def _remove(self, id, now):
        rec = self.instances.pop(id)
        self.destroyed_count += 1
        if rec.get("serial") in self.history:
            self.history[rec["serial"]]["destroyed_at"] = now
        self._append({"op": "destroy", "id": id, "at": now})

    # ---- the provider acting on its own (tests) ------------------------

    def set_state(self, id, state):
        """Change an instance's state as the provider would (e.g. it stopped)."""
        with self.lock:
            rec = self.instances.get(id)
            if rec is None:
                raise KeyError(id)
            self._set(rec, state)
            return self.view(rec)

    def vanish(self, id):
        """Remove an instance without a destroy request (the provider lost it)."""
        with self.lock:
            if id not in self.instances:
                raise KeyError(id)
            self._remove(id, self.clock())

    # ---- keys ------------------------------------------------------------

    def create_key(self, name):
        with self.lock:
            if name in self.keys:
                raise CloudError(403, "Key with same name already exists")
            rng = random.SystemRandom()
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
            body = "".join(rng.choice(alphabet) for _ in range(75 * 22))
            pem_lines = [body[i:i + 75] for i in range(0, len(body), 75)]
            key = {"id": name,
                   "fingerprint": ":".join(f"{rng.randrange(256):02x}" for _ in range(20)),
                   "pem": "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(pem_lines)
                          + "-----END RSA PRIVATE KEY-----"}
            self.keys[name] = key
            self._append({"op": "key_create", "key": key})
            return dict(key)

    def destroy_key(self, name):
        with self.lock:
            if name not in self.keys:
                raise CloudError(404, "Not Found")
            del self.keys[name]
            self._append({"op": "key_destroy", "id": name})

    # ---- accounting (admin interface) ------------------------------------

    def counts(self):
        with self.lock:
            names = {}
            for h in self.history.values():
                names[h["name"]] = names.get(h["name"], 0) + 1
            return {
                "created_count": self.created_count,
                "destroyed_count": self.destroyed_count,
                "live_count": len(self.instances),
                "live_created_count": sum(1 for r in self.instances.values()
                                          if r.get("serial") is not None),
                "duplicate_names": sorted(n for n, c in names.items() if c > 1),
            }

    def history_list(self):
        with self.lock:
            return [dict(h, serial=s) for s, h in sorted(self.history.items())]

    # ---- persistence -------------------------------------------------------

    def _snapshot(self):
        return {"version": 1, "instances": list(self.instances.values()),
                "keys": list(self.keys.values()),
                "history": [dict(h, serial=s) for s, h in self.history.items()],
                "created_count": self.created_count, "destroyed_count": self.destroyed_count}

    def _apply(self, entry):
        op = entry.get("op")
        if op == "snapshot":
            snap = entry["snapshot"]
            self.instances = {r["id"]: r for r in snap["instances"]}
            self.keys = {k["id"]: k for k in snap["keys"]}
            self.history = {h.pop("serial"): h for h in snap.get("history", [])}
            self.created_count = snap.get("created_count", 0)
            self.destroyed_count = snap.get("destroyed_count", 0)
        elif op == "create":
            rec = entry["rec"]
            self.instances[rec["id"]] = rec
            self.created_count = max(self.created_count, rec["serial"])
            self.history[rec["serial"]] = {"id": rec["id"], "name": rec["name"],
                                           "created_at": rec["created_at"], "destroyed_at": None}
        elif op == "update":
            self.instances[entry["rec"]["id"]] = entry["rec"]
        elif op == "destroy":
            rec = self.instances.pop(entry["id"], None)
            self.destroyed_count += 1
            if rec and rec.get("serial") in self.history:
                self.history[rec["serial"]]["destroyed_at"] = entry.get("at")
        elif op == "key_create":
            self.keys[entry["key"]["id"]] = entry["key"]
        elif op == "key_destroy":
            self.keys.pop(entry["id"], None)

    def _load(self):
        try:
            with open(self.state_file, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            return False
        lines = [line for line in lines if line.strip()]
        for n, line in enumerate(lines):
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or (n == 0 and entry.get("op") != "snapshot"):
                    raise ValueError
            except ValueError:
                if n == len(lines) - 1 and n > 0:
                    break  # a torn last line from a crash: everything before it stands
                raise ValueError(f"line {n + 1}: not a deltacloudd state file") from None
            self._apply(entry)
        return bool(lines)

    def _compact(self):
        """Rewrite the state file as one snapshot line, atomically."""
        with self.lock:
            if self._journal:
                self._journal.close()
                self._journal = None
            tmp = f"{self.state_file}.tmp{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps({"op": "snapshot", "snapshot": self._snapshot()}) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_file)
            self._journal = open(self.state_file, "a", encoding="utf-8")
            self._journal_lines = 0

    def _append(self, entry):
        if not self.state_file:
            return
        if self._journal is None:  # closed: the simulator is stopping
            raise CloudError(503, "Service Unavailable")
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()
        self._journal_lines += 1
        if self._journal_lines > max(2000, 4 * len(self.instances)):
            self._compact()

    def close(self):
        with self.lock:
            if self.state_file and self._journal:
                self._compact()
                self._journal.close()
                self._journal = None
