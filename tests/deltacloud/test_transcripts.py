"""The simulator answers the real deltacloudd 1.1.3 transcripts' requests as the
real server did: status codes, key headers and document structure.

The transcripts (reference/deltacloud-transcripts/) were captured in one
server run, in the order readonly, lifecycle, misc; replaying them in that
order against a fresh simulator reproduces the same ids (inst4 is reused after
its destroy, as the mock does).  Volatile values (generated names, key
material, backtraces, host:port) are masked before comparing.
"""

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from pycondorlite.deltacloud import Simulator

TRANSCRIPTS = Path("/work/shared/reference/deltacloud-transcripts")
ORDER = ("transcript_readonly.txt", "transcript_lifecycle.txt", "transcript_misc.txt")
REAL_BASE = "http://127.0.0.1:3001"

pytestmark = pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason="reference transcripts not available")


def parse_transcript(text):
    """[(curl command, status, headers dict, body)] from one transcript file."""
    out = []
    for section in text.split("################ ")[1:]:
        command, _, rest = section.partition("\n")
        head, _, body = rest.partition("\n\n")
        lines = head.strip("\n").split("\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        out.append((command.strip(), status, headers, body.rstrip("\n")))
    return out


def parse_curl(command):
    """A request dict from the transcript's (unquoted) curl command line."""
    toks = command.split(" ")[1:]
    req = {"method": None, "headers": {}, "auth": None, "data": [], "files": [], "url": None}
    i = 0

    def value():
        nonlocal i
        vals = []
        while i < len(toks) and not toks[i].startswith("http://") and not (vals and toks[i].startswith("-")):
            vals.append(toks[i])
            i += 1
        return " ".join(vals)

    while i < len(toks):
        tok = toks[i]
        i += 1
        if tok == "-u":
            req["auth"] = tuple(value().split(":", 1))
        elif tok == "-H":
            name, _, val = value().partition(":")
            req["headers"][name.strip()] = val.strip() or None   # "-H Accept:" removes it
        elif tok == "-X":
            req["method"] = value()
        elif tok == "-d":
            req["data"].append(value())
        elif tok == "--data-urlencode":
            k, _, v = value().partition("=")
            req["data"].append(f"{k}={urllib.parse.quote(v, safe='')}")
        elif tok == "-F":
            k, _, v = value().partition("=")
            req["files"].append((k, (None, v)))
        elif tok == "-I":
            req["method"] = "HEAD"
        elif tok.startswith("http://"):
            req["url"] = tok
        else:
            raise AssertionError(f"unhandled curl option {tok} in {command}")
    if req["method"] is None:
        req["method"] = "POST" if req["data"] or req["files"] else "GET"
    return req


def send(req, base):
    headers = {"Accept": "*/*"}   # curl's default
    headers.update(req["headers"])
    kw = {}
    if req["data"]:
        kw["data"] = "&".join(req["data"])
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if req["files"]:
        kw["files"] = req["files"]
    return requests.request(req["method"], req["url"].replace(REAL_BASE, base), headers=headers,
                            auth=req["auth"], timeout=10, allow_redirects=False, **kw)


def first_xml_element(text):
    """The root element, ignoring anything after it (the transcript interleaves notes)."""
    parser = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    for line in text.splitlines(keepends=True):
        parser.feed(line)
        for event, el in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth == 0:
                return el
    raise AssertionError("no complete XML element in body")


def mask(text, base):
    text = text.replace(base, "BASE")
    return re.sub(r"\bi-\d{6,}\b", "i-NNN", text)


def xml_shape(el, base):
    attrs = {k: mask(v, base) for k, v in el.attrib.items()}
    text = mask((el.text or "").strip(), base)
    if el.tag == "error":
        attrs["url"] = re.sub(r"^https?://[^/]+", "", el.get("url", ""))
    if el.tag == "backtrace":
        text = ""
    if el.tag == "message" and text.startswith("Driver '"):
        text = text.split(" (")[0]
    if el.tag in ("fingerprint", "pem"):
        text = "KEY-MATERIAL" if "5e:ce:b6" not in text and "P9mRXOY7" not in text else text
    return (el.tag, sorted(attrs.items()), text, [xml_shape(c, base) for c in el])


def json_shape(value, base):
    if isinstance(value, dict):
        out = {k: json_shape(v, base) for k, v in value.items()}
        if "pem_rsa_key" in out and out.get("id") != "test-key":
            out["pem_rsa_key"] = out["fingerprint"] = "KEY-MATERIAL"
        return out
    if isinstance(value, list):
        return [json_shape(v, base) for v in value]
    if isinstance(value, str):
        return mask(value, base)
    return value


def compare(command, status, headers, body, resp, real_base, sim_base):
    problems = []
    if resp.status_code != status:
        return [f"{command}: status {resp.status_code}, real server {status}"]
    ctype = headers.get("content-type")
    got_ctype = resp.headers.get("Content-Type")
    if ctype != got_ctype and not (status == 406 and not ctype):
        problems.append(f"{command}: Content-Type {got_ctype!r}, real {ctype!r}")
    for name in ("location", "allow", "x-deltacloud-driver", "x-deltacloud-provider"):
        if name in headers and resp.headers.get(name, "").replace(sim_base, real_base) != headers[name]:
            problems.append(f"{command}: {name} {resp.headers.get(name)!r}, real {headers[name]!r}")
    if "www-authenticate" in headers and not resp.headers.get("WWW-Authenticate", "").startswith(
            'Basic realm="mock-deltacloud@'):
        problems.append(f"{command}: WWW-Authenticate missing")
    if "www-authenticate" not in headers and "WWW-Authenticate" in resp.headers:
        problems.append(f"{command}: unexpected WWW-Authenticate")
    if problems or not body:
        if not body and resp.content and resp.request.method != "HEAD":
            problems.append(f"{command}: body {resp.text[:80]!r}, real server sent none")
        return problems
    ours = resp.text
    if ctype == "application/xml":
        real_decl = body.startswith("<?xml")
        if ours.startswith("<?xml") != real_decl:
            problems.append(f"{command}: XML declaration {'missing' if real_decl else 'unexpected'}")
        want = xml_shape(first_xml_element(body), real_base)
        got = xml_shape(first_xml_element(ours), sim_base)
        if want != got:
            problems.append(f"{command}: XML differs\n  real: {want}\n  ours: {got}")
    elif ctype == "application/json":
        want = json_shape(json.loads(body.splitlines()[0]), real_base)
        got = json_shape(json.loads(ours), sim_base)
        if want != got:
            problems.append(f"{command}: JSON differs\n  real: {want}\n  ours: {got}")
    elif body.lstrip().startswith("<!DOCTYPE html>"):
        if not ours.lstrip().startswith("<!DOCTYPE html>"):
            problems.append(f"{command}: expected an HTML page, got {ours[:60]!r}")
    elif ours.strip() != body.strip():
        problems.append(f"{command}: body {ours.strip()!r}, real {body.strip()!r}")
    return problems


def test_simulator_replays_real_transcripts():
    exchanges = []
    for name in ORDER:
        exchanges.extend(parse_transcript((TRANSCRIPTS / name).read_text()))
    assert len(exchanges) > 60
    with Simulator(port=0) as sim:
        sim_base = sim.url[: -len("/api")]
        problems = []
        for command, status, headers, body in exchanges:
            resp = send(parse_curl(command), sim_base)
            problems.extend(compare(command, status, headers, body, resp, REAL_BASE, sim_base))
    assert not problems, "\n".join(problems)


def test_transcript_parser_reads_the_files():
    exchanges = parse_transcript((TRANSCRIPTS / "transcript_lifecycle.txt").read_text())
    statuses = {s for _, s, _, _ in exchanges}
    assert {200, 201, 202, 204, 400, 401, 403, 404, 405} <= statuses
    req = parse_curl("curl -u mockuser:mockpassword -X POST -H Accept: application/xml "
                     "--data-urlencode name=my instance --data-urlencode image_id=img3 http://h/api/instances")
    assert req["data"] == ["name=my%20instance", "image_id=img3"]
    assert req["headers"] == {"Accept": "application/xml"} and req["method"] == "POST"
