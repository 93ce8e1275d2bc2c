"""Deltacloud 1.1.3 documents: XML, JSON and a minimal HTML, in the real shapes.

The XML follows the server's Haml views as the transcripts show them (no
indentation, single-quoted attributes, element order of the views; the entry
point, instance_states and drivers have no XML declaration).  JSON follows the
models' `to_hash`.  `base` is the API root URL, e.g. "http://127.0.0.1:3001/api",
built from the request's Host header as the real server does.
"""

import html
import json

from . import fixtures
from .cloud import ACTIONS_BY_STATE

XML_DECL = "<?xml version='1.0' encoding='utf-8' ?>\n"


def esc(text):
    """Escape for element text and single-quoted attributes."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&#39;"))


def cdata(text):
    return "<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- entry point ------------------------------------------------------------

def api_xml(base, provider, driver=fixtures.DRIVER, collections=fixtures.COLLECTIONS,
            features=fixtures.INSTANCE_FEATURES):
    prov = f" provider='{esc(provider)}'" if provider else ""
    out = [f"<api driver='{driver}'{prov} version='{fixtures.API_VERSION}'>\n"]
    for rel in collections:
        out.append(f"<link href='{base}/{rel}' rel='{rel}'>\n")
        if rel == "instances":
            for name, frel, param in features:
                out.append(f"<feature name='{name}' rel='{frel}'>\n<param name='{param}' />\n</feature>\n")
        out.append("</link>\n")
    out.append("</api>\n")
    return "".join(out)


def api_json(base, provider, driver=fixtures.DRIVER, collections=fixtures.COLLECTIONS,
             features=fixtures.INSTANCE_FEATURES):
    links = []
    for rel in collections:
        feats = []
        if rel == "instances":
            feats = [[{"name": name, "rel": frel, "params": [f"{param}:string:optional"],
                       "constraints": {}}] for name, frel, param in features]
        links.append({"rel": rel, "href": f"{base}/{rel}", "features": feats})
    return dumps({"api": {"version": fixtures.API_VERSION, "driver": driver,
                          "provider": provider or "default", "links": links}})


# ---- instances ----------------------------------------------------------------

def instance_links(base, inst):
    """(rel, method, href) of the instance's <actions>, as the mock lists them."""
    href = f"{base}/instances/{inst['id']}"
    links = []
    actions = inst["actions"] if "actions" in inst else ACTIONS_BY_STATE.get(inst["state"], ())
    for action in actions:
        if action == "destroy":
            links.append(("destroy", "delete", href))
        else:
            links.append((action, "post", f"{href}/{action}"))
    links.append(("run", "post", f"{href}/run;id={inst['id']}"))
    if inst.get("create_image"):
        links.append(("create_image", "post", f"{base}/images;instance_id={inst['id']}"))
    return links


def _profile_units():
    return dict(fixtures.PROFILE_OVERRIDES)


def instance_xml(base, inst, decl=True):
    iid = inst["id"]
    units = _profile_units()
    props = "".join(f"<property kind='fixed' name='{n}' unit='{units[n]}' value='{esc(v)}'></property>\n"
                    for n, v in inst["hwp_props"].items())
    links = "".join(f"<link href='{esc(h)}' method='{m}' rel='{r}' />\n"
                    for r, m, h in instance_links(base, inst))

    def addrs(items):
        return "".join(f"<address port='' type='{t}'>{esc(a)}</address>" for a, t in items)

    out = [XML_DECL if decl else "",
           f"<instance href='{base}/instances/{esc(iid)}' id='{esc(iid)}'>\n",
           f"<name>{esc(inst['name'])}</name>\n",
           f"<owner_id>{esc(inst['owner_id'])}</owner_id>\n",
           f"<image href='{base}/images/{esc(inst['image_id'])}' id='{esc(inst['image_id'])}'></image>\n",
           f"<realm href='{base}/realms/{esc(inst['realm_id'])}' id='{esc(inst['realm_id'])}'></realm>\n",
           f"<state>{inst['state']}</state>\n",
           f"<hardware_profile id='{esc(inst['hwp_id'])}' href='{base}/hardware_profiles/{esc(inst['hwp_id'])}'>"
           f"{props}</hardware_profile><actions>\n{links}</actions>\n",
           f"<public_addresses>{addrs(inst['public_addresses'])}</public_addresses>\n",
           f"<private_addresses>{addrs(inst['private_addresses'])}</private_addresses>\n",
           "<storage_volumes></storage_volumes>\n",
           "<authentication type='key'>\n"]
    if inst.get("keyname") is not None:
        out.append(f"<login>\n<keyname>{esc(inst['keyname'])}</keyname>\n</login>\n")
    out.append("</authentication>\n")
    if inst.get("network_interfaces"):
        nics = "".join(f"<network_interface href='{base}/network_interfaces/{esc(n)}' id='{esc(n)}'>"
                       "</network_interface>" for n in inst["network_interfaces"])
        out.append(f"<network_interfaces>{nics}</network_interfaces>\n")
    out.append("</instance>\n")
    return "".join(out)


def instance_hash(base, inst):
    iid = inst["id"]
    h = {
        "id": iid, "href": f"{base}/instances/{iid}", "name": inst["name"],
        "state": inst["state"], "owner": inst["owner_id"],
        "image": {"href": f"{base}/images/{inst['image_id']}", "id": inst["image_id"], "rel": "image"},
        "realm": {"href": f"{base}/realms/{inst['realm_id']}", "id": inst["realm_id"], "rel": "realm"},
        "actions": [{"href": href, "rel": rel, "method": m} for rel, m, href in instance_links(base, inst)],
        "hardware_profile": {"id": inst["hwp_id"], "href": f"{base}/hardware_profiles/{inst['hwp_id']}",
                             "rel": "hardware_profile", "properties": dict(inst["hwp_props"])},
        "public_addresses": [{"address": a, "type": t} for a, t in inst["public_addresses"]],
        "private_addresses": [{"address": a, "type": t} for a, t in inst["private_addresses"]],
    }
    if inst.get("create_image"):
        h["create_image"] = True
    h["storage_volumes"] = []
    h["authentication_type"] = "key"
    if inst.get("keyname") is not None:
        h["authentication"] = {"keyname": inst["keyname"]}
    return h


# ---- read-only collections ------------------------------------------------------

def realm_xml(base, realm):
    return (f"<realm href='{base}/realms/{realm['id']}' id='{realm['id']}'>\n"
            f"<name>{esc(realm['name'])}</name>\n<state>{realm['state']}</state>\n</realm>\n")


def realm_hash(base, realm):
    return {"id": realm["id"], "href": f"{base}/realms/{realm['id']}", "name": realm["name"],
            "state": realm["state"], "limit": realm["limit"]}


def _image_profiles(img):
    """The ids of the profiles an image runs on (the mock: all of its own)."""
    if "hardware_profiles" in img:
        return img["hardware_profiles"]
    return [p["id"] for p in fixtures.HARDWARE_PROFILES]


def image_xml(base, img):
    iid = img["id"]
    hwps = "".join(f"<hardware_profile href='{base}/hardware_profiles/{p}' id='{p}' "
                   "rel='hardware_profile'></hardware_profile>\n" for p in _image_profiles(img))
    return (f"<image href='{base}/images/{iid}' id='{iid}'>\n"
            f"<name>{esc(img['name'])}</name>\n<description>{esc(img['description'])}</description>\n"
            f"<owner_id>{esc(img['owner_id'])}</owner_id>\n<architecture>{img['architecture']}</architecture>\n"
            f"<state>{img['state']}</state>\n<creation_time>{img['creation_time']}</creation_time>\n"
            f"<hardware_profiles>\n{hwps}</hardware_profiles>\n"
            f"<root_type>{img.get('root_type', 'transient')}</root_type>\n"
            "<actions>\n"
            f"<link href='{base}/instances;image_id={iid}' method='post' rel='create_instance' />\n"
            f"<link href='{base}/images/{iid}' method='delete' rel='destroy_image' />\n"
            "</actions>\n</image>\n")


def image_hash(base, img):
    return {"id": img["id"], "href": f"{base}/images/{img['id']}", "name": img["name"],
            "description": img["description"], "owner": img["owner_id"],
            "architecture": img["architecture"], "state": img["state"],
            "root_type": img.get("root_type", "transient"), "creation_time": img["creation_time"],
            "hardware_profiles": [{"id": p, "href": f"{base}/hardware_profiles/{p}",
                                   "rel": "hardware_profile"} for p in _image_profiles(img)]}


def hwp_xml(base, hwp):
    pid = hwp["id"]
    out = [f"<hardware_profile href='{base}/hardware_profiles/{pid}' id='{pid}'>\n",
           f"<id>{pid}</id>\n<name>{pid}</name>\n"]
    for name, unit, kind, default, detail in hwp["properties"]:
        head = f"<property kind='{kind}' name='{name}' unit='{unit}' value='{default}'"
        if kind == "fixed":
            out.append(head + " />\n")
            continue
        out.append(head + ">\n"
                   f"<param href='{base}/instances' method='post' name='hwp_{name}' operation='create' />\n")
        if kind == "range":
            out.append(f"<range first='{detail[0]}' last='{detail[1]}' />\n")
        else:
            out.append("<enum>\n" + "".join(f"<entry value='{v}' />\n" for v in detail) + "</enum>\n")
        out.append("</property>\n")
    out.append("</hardware_profile>\n")
    return "".join(out)


def hwp_hash(base, hwp):
    h = {"id": hwp["id"], "href": f"{base}/hardware_profiles/{hwp['id']}", "name": hwp["id"]}
    if hwp["properties"]:
        h["properties"] = {name: default for name, _, _, default, _ in hwp["properties"]}
    return h


def key_xml(base, key):
    kid = key["id"]
    return (f"<key href='{base}/keys/{esc(kid)}' id='{esc(kid)}' type='key'>\n"
            f"<name>{esc(kid)}</name>\n<actions>\n"
            f"<link href='{base}/keys/{esc(kid)}' method='delete' rel='destroy' />\n</actions>\n"
            f"<fingerprint>{key['fingerprint']}</fingerprint>\n"
            + (f"<pem>\n{cdata(key['pem'])}\n</pem>\n" if key.get("pem") is not None else "")
            + f"<state>{key.get('state') or ''}</state>\n</key>\n")


def key_hash(base, key):
    return {"id": key["id"], "href": f"{base}/keys/{key['id']}", "credential_type": "key",
            "username": None, "password": None, "state": key.get("state"), "pem_rsa_key": key["pem"],
            "fingerprint": key["fingerprint"]}


def driver_xml(base, driver="mock", title="Mock"):
    return f"<driver href='{base}/drivers/{driver}' id='{driver}'>\n<name>{title}</name>\n</driver>\n"


def driver_hash(base, driver="mock", title="Mock"):
    return {"id": driver, "href": f"{base}/drivers/{driver}", "name": title}


def states_xml(machine):
    out = ["<states>\n"]
    for state, transitions in machine:
        out.append(f"<state name='{state}'>\n")
        for action, to in transitions:
            if action is None:
                out.append(f"<transition auto='true' to='{to}'></transition>\n")
            else:
                out.append(f"<transition action='{action}' to='{to}'></transition>\n")
        out.append("</state>\n")
    out.append("</states>\n")
    return "".join(out)


def states_json(machine):
    return dumps([{"name": state,
                   "transitions": [({"to": to, "auto": "true"} if action is None
                                    else {"to": to, "action": action}) for action, to in transitions]}
                  for state, transitions in machine])


# ---- generic wrappers ---------------------------------------------------------------

# Collections whose XML views carry the declaration (all but api/states/drivers).
def xml_collection(tag, items_xml, decl=True):
    body = f"<{tag}>\n" + "".join(x + "\n" for x in items_xml) + f"</{tag}>\n"
    return (XML_DECL if decl else "") + body


def xml_single(item_xml, decl=True):
    return (XML_DECL if decl else "") + item_xml


def error_xml(status, url, message, params, provider, driver="mock", backtrace=""):
    out = [XML_DECL, f"<error status='{status}' url='{esc(url)}'>\n",
           f"<backend driver='{esc(driver)}' provider='{esc(provider or 'default')}'></backend>\n",
           f"<code>{status}</code>\n<message>{cdata(message)}</message>\n",
           f"<backtrace>\n{cdata(backtrace)}\n</backtrace>\n<request>\n"]
    for name, value in params:
        out.append(f"<param name='{esc(name)}'>{cdata(json.dumps(value))}</param>\n")
    out.append("</request>\n</error>\n")
    return "".join(out)


ERROR_CLASSES = {
    400: "ValidationFailure", 401: "AuthenticationFailure", 403: "ForbiddenError",
    404: "ObjectNotFound", 405: "MethodNotAllowed", 500: "BackendError",
    501: "NotImplemented", 502: "ProviderError", 503: "ProviderError", 504: "ProviderTimeout",
}


def error_json(status, message):
    cls = ERROR_CLASSES.get(status, "BackendError")
    return dumps({"code": status, "message": message, "error": f"Deltacloud::Exceptions::{cls}"})


def html_page(title, body_text):
    """A small HTML page: what a browser-ish Accept (*/*) gets from the real server."""
    return ("<!DOCTYPE html>\n<html>\n<head>\n"
            f"<title>Deltacloud API {fixtures.API_VERSION}</title>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n<pre>{html.escape(body_text)}</pre>\n</body>\n</html>\n")


SINATRA_404 = ("<!DOCTYPE html>\n<html>\n<head>\n</head>\n<body>\n"
               "  <h2>Sinatra doesn\u2019t know this ditty.</h2>\n</body>\n</html>\n")
