"""The few Deltacloud calls the gridmanager makes, over pycondorlite.deltacloud.client.

This is the one place that knows the client's surface, so the state machines
in deltacloud.py only see: create, get, list_instances, action, destroy, and
the error kinds of gridmanager/errors.py.
"""

import re

from pycondorlite.deltacloud import client as dc
from pycondorlite.ec2.errors import CAPACITY, KIND_BY_CODE
from pycondorlite.gridmanager.errors import (AuthError, CapacityError, CloudError, GoneError,
                                             NotAllowedError, PermanentError, TransientError)

# A Deltacloud server passes its backend's error text through (deltacloud-core:
# ProviderError, 500/502): EC2's capacity and quota codes in it are a refusal
# for capacity, whatever the status.
_CAPACITY = re.compile(r"\b(%s)\b" % "|".join(
    re.escape(code) for code, kind in KIND_BY_CODE.items() if kind == CAPACITY))


class Instance:
    """What the gridmanager needs of an instance document."""

    __slots__ = ("id", "name", "state", "public_addresses", "private_addresses",
                 "actions", "raw")

    def __init__(self, raw):
        self.raw = raw
        self.id = raw.id
        self.name = raw.name or ""
        self.state = (raw.state or "").upper()
        self.public_addresses = list(raw.public_addresses or ())
        self.private_addresses = list(raw.private_addresses or ())
        self.actions = [a for a in _action_names(raw)]

    def __repr__(self):
        return f"<Instance {self.id} {self.name} {self.state}>"


def _action_names(raw):
    acts = getattr(raw, "actions", None) or {}
    if isinstance(acts, dict):
        return list(acts)
    return [getattr(a, "rel", a) for a in acts]


def _translate(e):
    if isinstance(e, CloudError):
        return e
    msg = str(e) or type(e).__name__
    m = _CAPACITY.search(msg) if isinstance(e, (dc.TransientError, dc.DeltacloudError)) else None
    if m:
        return CapacityError(msg[m.start():], code=m.group(1))     # the backend's own words
    if isinstance(e, dc.AuthError):
        return AuthError(msg)
    if isinstance(e, dc.NotFound):
        return GoneError(msg)
    if isinstance(e, dc.ActionNotAllowed):
        return NotAllowedError(msg)
    if isinstance(e, dc.TransientError):
        return TransientError(msg)
    if isinstance(e, dc.DeltacloudError):
        return PermanentError(msg)     # 400, not XML...: the request itself is wrong
    return TransientError(msg)


def _call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except Exception as e:
        raise _translate(e) from None


def make_client(url, username, password, pool_size=16):
    return dc.Client(url, username, password, pool_size=pool_size)


def close(client):
    c = getattr(client, "close", None)
    if c:
        c()


def provider_info(client):
    """(max instance name length or None, new instances start by themselves?)"""
    limit = _call(client.max_name_length)
    try:
        auto = _call(client.starts_automatically)
    except PermanentError:
        auto = True     # no instance_states collection: assume they do
    return limit, auto


def create(client, params):
    params = dict(params)
    try:
        return Instance(_call(client.create_instance, params.pop("image_id", None), **params))
    except GoneError as e:
        # 404 on the collection: what the create names (an image, a profile)
        # does not exist; deltacloud-core answers so for InvalidAMIID.NotFound.
        raise PermanentError(str(e)) from None


def get(client, inst_id):
    return Instance(_call(client.instance, inst_id))


def list_instances(client):
    return [Instance(i) for i in _call(client.instances)]


def action(client, instance, name):
    raw = _call(client.action, instance.raw, name)
    return Instance(raw) if raw is not None else None


def destroy(client, instance):
    _call(client.action, instance.raw, "destroy")
    return None


def kill(client, instance):
    """Stop (if it must be) and destroy an instance; used for duplicates."""
    if "destroy" not in instance.actions and "stop" in instance.actions:
        after = action(client, instance, "stop")
        instance = after if after is not None else get(client, instance.id)
    if "destroy" in instance.actions:
        destroy(client, instance)
