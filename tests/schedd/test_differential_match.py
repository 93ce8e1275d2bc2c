"""Matching decisions agree with real libclassad (classad2, old semantics).

Generated job/provider pairs (>= 1,000 at a fixed seed) go through the
negotiator's own decision path (autoclusters, the equality index,
symmetricMatch, Rank) and through classad2 in a separate process (old
semantics need `import htcondor2` first, which must not leak into ours).
"""

import json
import random
import subprocess
import sys
from pathlib import Path

from pycondorlite.collector import ProviderAd
from pycondorlite.jobad import CIAd, JobAd
from pycondorlite.negotiator import matching_ads

HERE = Path(__file__).resolve().parent
SEED = 20261123
N_JOBS = 60
N_ADS = 40          # 2,400 pairs

STR_VALUES = ['"large"', '"LARGE"', '"small"', '"fedora13"', '"Fedora13"', '"rhel6"', '"1"',
              '"2"', '""']
NUM_VALUES = ["1", "2", "0", "-1", "2.0", "1.5", "1024", "4096", "true", "false"]
ALL_VALUES = STR_VALUES + NUM_VALUES + ["undefined", "error"]
ATTRS = ["hardwareprofile", "image", "realm", "memory", "cpus", "cost", "region"]
CMP = ["==", "!=", "=?=", "=!=", "<", "<=", ">", ">=", "is", "isnt"]


def clause(r):
    a = r.choice(ATTRS)
    ref = r.choice([a, a, f"TARGET.{a}", f"target.{a}", f"MY.{a}"])
    op = r.choice(CMP)
    v = r.choice(ALL_VALUES)
    kind = r.random()
    if kind < 0.08:
        return f"isUndefined({ref})"
    if kind < 0.14:
        return f"{ref} {op} TARGET.{r.choice(ATTRS)}"
    if kind < 0.2:
        return f"({clause(r)} || {clause(r)})"
    if kind < 0.24:
        return f"!({clause(r)})"
    if kind < 0.28:
        return f"{ref} * 2 {op} {r.choice(NUM_VALUES)}"
    if kind < 0.32:
        return f"({clause(r)} ? {clause(r)} : {clause(r)})"
    if kind < 0.34:
        return r.choice(["Rank > 0", "MY.Rank >= 1", "isUndefined(Rank)", "Owner == \"alice\""])
    if r.random() < 0.5:
        return f"{ref} {op} {v}"
    return f"{v} {op} {ref}"


def requirements(r):
    n = r.choice([0, 1, 1, 2, 2, 3, 4])
    if n == 0:
        return r.choice(["true", "false", "undefined", "1", "0", "2.5"])
    text = " && ".join(clause(r) for _ in range(n))
    return f"({text})" if r.random() < 0.5 else text


def job(r, i):
    d = {"JobUniverse": "9", "Matched": "false", "Cmd": '"job_name"',
         "GridResource": '"deltacloud $$(provider_url)"', "Owner": r.choice(['"alice"', '"bob"']),
         "Requirements": requirements(r)}
    if r.random() < 0.3:
        d[r.choice(ATTRS)] = r.choice(ALL_VALUES)      # shadows the unscoped TARGET lookup
    if r.random() < 0.6:
        d["Rank"] = r.choice(["TARGET.cost", "-TARGET.cost", "memory", "TARGET.memory / 1024",
                              'TARGET.image == "fedora13"', "0", "1.5", '"x"', "undefined"])
    d["ClusterId"] = str(i + 1)
    d["ProcId"] = "0"
    return d


def ad(r, i):
    d = {"Name": f'"p{i}"', "MyType": '"Machine"'}
    for a in ATTRS:
        if r.random() < 0.8:
            d[a] = r.choice(ALL_VALUES) if r.random() < 0.9 else \
                r.choice(["TARGET.memory", "1 + 1", 'strcat("la", "rge")', "TARGET.Owner"])
    d["Requirements"] = r.choice([
        "true", "true", "true", 'TARGET.Owner == "alice"', "TARGET.JobUniverse == 9",
        "MY.memory >= 1024", "TARGET.Matched == false", "undefined", "cpus > 1",
        'TARGET.image == "fedora13"'])
    return d


def jobad_of(d):
    rest = {k: v for k, v in d.items() if k not in ("ClusterId", "ProcId")}
    return JobAd(int(d["ClusterId"]), int(d["ProcId"]), 1, CIAd.from_dict(rest), CIAd())


def test_negotiator_agrees_with_classad2():
    r = random.Random(SEED)
    jobs = [job(r, i) for i in range(N_JOBS)]
    ads = [ad(r, i) for i in range(N_ADS)]
    p = subprocess.run([sys.executable, str(HERE / "oracle_match.py")],
                       input=json.dumps({"jobs": jobs, "ads": ads}), capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    oracle = json.loads(p.stdout)

    providers = [ProviderAd(f"p{i}", a, None, 0, 10**9) for i, a in enumerate(ads)]
    ours = matching_ads([jobad_of(j) for j in jobs], providers)
    pairs = differences = matches = 0
    report = []
    for n, j in enumerate(jobs):
        want = {f"p{i}": rank for i, rank in oracle[n]}
        got = dict(ours[(n + 1, 0)])
        pairs += len(ads)
        matches += len(want)
        for name in set(want) | set(got):
            if name not in want or name not in got or abs(want[name] - got[name]) > 1e-9:
                differences += 1
                report.append((j["Requirements"], j.get("Rank"), ads[int(name[1:])],
                               want.get(name), got.get(name)))
    assert pairs >= 1000
    assert matches > 50, "the generator should produce real matches"
    assert differences == 0, report[:5]
