"""Shared helpers of the submit tests: the oracle (htcondor 24.12 wheel) and ours.

The oracle always runs in a child process: importing htcondor switches the
ClassAd library of the whole process (classad2 too) to the tools' "old"
semantics, which must not leak into other tests of the same pytest run.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "submit"

# Attributes that depend on the time or the tool rather than on the submit
# description: never compared.
#   QDate, EnteredCurrentStatus   submit time
#   CondorVersion, CondorPlatform the build
#   JobSubmitMethod               0 for condor_submit, 2 for the Python bindings
EXCLUDED = {"QDate", "EnteredCurrentStatus", "CondorVersion", "CondorPlatform",
            "JobSubmitMethod"}
# Kept from HTCondor 7.x/8.4 on purpose for matchmaking grid jobs (GridResource
# holding $$): Matched = false, WantClaiming = false. 24.12 no longer adds them.
GRID_MATCH_ATTRS = {"Matched", "WantClaiming"}

_ORACLE_SCRIPT = r"""
import json, os, sys, warnings
warnings.simplefilter("ignore")
import htcondor, classad


def one(r):
    res = {}
    try:
        s = htcondor.Submit(r["text"])
        if r["op"] == "jobs":
            res["ads"] = [{k: str(j.lookup(k)) for k in j.keys()}
                          for j in s.jobs(clusterid=r.get("cluster", 42))]
            res["items"] = [i if isinstance(i, str) else dict(i) for i in s.itemdata()]
        elif r["op"] == "expand":
            res["expand"] = {k: s.expand(k) for k in r["keys"]}
        elif r["op"] == "error":
            list(s.jobs())
    except Exception as e:
        res["error"] = str(e)
    norm = []
    for ad in r.get("normalize", []):
        d = {}
        for k, v in ad.items():
            try:
                # our ads hold old-syntax text, as HTCondor's job queue does
                d[k] = str(classad.parseOne("X = " + v + "\n", classad.Parser.Old).lookup("X"))
            except Exception:
                d[k] = "<unparseable: " + v + ">"
        norm.append(d)
    res["normalized"] = norm
    return res


# Each request runs in a forked child: the submit code aborts the whole process
# on some errors (its EXCEPT), which must cost only that request.
reqs = json.load(sys.stdin)
out = {}
for key, r in reqs.items():
    rd, wr = os.pipe()
    errr, errw = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        os.close(errr)
        os.dup2(errw, 2)
        data = json.dumps(one(r)).encode()
        with os.fdopen(wr, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(wr)
    os.close(errw)
    with os.fdopen(rd, "rb") as f:
        data = f.read()
    with os.fdopen(errr, "rb") as f:
        stderr = f.read().decode(errors="replace")
    os.waitpid(pid, 0)
    if data:
        out[key] = json.loads(data)
        if stderr.strip():
            out[key]["stderr"] = stderr
    else:
        # the submit code aborted: its message is the last ERROR line it printed
        lines = [ln for ln in stderr.splitlines() if "ERROR" in ln] or stderr.splitlines() or [""]
        out[key] = {"error": lines[-1], "aborted": True, "stderr": stderr, "normalized": []}
json.dump(out, sys.stdout)
"""


def run_oracle(requests, cwd=DATA):
    """{key: result} for {key: request}; one child process for all of them."""
    env = dict(os.environ, CONDOR_CONFIG="/dev/null")
    res = subprocess.run([sys.executable, "-c", _ORACLE_SCRIPT], input=json.dumps(requests),
                         capture_output=True, text=True, cwd=str(cwd), env=env, timeout=300)
    if res.returncode != 0:
        raise RuntimeError("oracle failed: " + res.stderr[-2000:])
    return json.loads(res.stdout)


def ours(text, cluster_id=42, source="test.sub", first_block_only=False):
    """(ads, items) as we build them. first_block_only: only the first queue
    statement's jobs (all that Submit.jobs() makes of a file)."""
    from pycondorlite.submit.description import SubmitDescription
    desc = SubmitDescription(text, source=source)
    ads = []
    items = []
    for cad, pads, spec in desc.jobs(cluster_id=cluster_id):
        items += spec.itemdata()
        for p in pads:
            ad = dict(cad)
            ad.update(p)
            ads.append(ad)
        if first_block_only:
            break
    return ads, items


def differences(mine_normalized, theirs):
    """Attribute-by-attribute differences between two job ads (excluded ones ignored)."""
    out = []
    skip = set(EXCLUDED)
    if "$$" in mine_normalized.get("GridResource", ""):
        skip |= GRID_MATCH_ATTRS
    for k in sorted(set(mine_normalized) | set(theirs)):
        if k in skip:
            continue
        if k not in mine_normalized:
            out.append(f"missing {k} = {theirs[k]}")
        elif k not in theirs:
            out.append(f"extra {k} = {mine_normalized[k]}")
        elif mine_normalized[k] != theirs[k]:
            out.append(f"{k}: ours {mine_normalized[k]!r} != {theirs[k]!r}")
    return out


class _Helpers:
    DATA = DATA
    EXCLUDED = EXCLUDED
    run_oracle = staticmethod(run_oracle)
    ours = staticmethod(ours)
    differences = staticmethod(differences)


@pytest.fixture(scope="session")
def sub():
    """The helpers above, for test modules (which cannot import this file)."""
    return _Helpers


@pytest.fixture
def in_data_dir(monkeypatch):
    monkeypatch.chdir(DATA)
    return DATA
