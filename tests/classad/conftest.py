"""The differential harness: pycondorlite.classad against real libclassad.

Expressions come from exprgen.py. Each (implementation, mode) runs in its own
subprocess, oracle_worker.py, because both libraries pick their evaluation
mode process-wide. The helpers are handed to the tests by the `harness`
fixture (tests cannot import each other under --import-mode=importlib).
"""

import collections
import importlib.util
import json
import math
import os
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WORKER = HERE / "oracle_worker.py"
MODES = ("strict", "old")
IMPLS = ("classad2", "ours")
SEED = int(os.environ.get("PYCONDORLITE_DIFF_SEED", "20240601"))
# Generated expressions per mode; CI uses the default, a long run sets it higher.
N_EVAL = int(os.environ.get("PYCONDORLITE_DIFF_N", "20000"))
# Parse cases (half the eval count: a mutated string seldom needs many).
N_PARSE = int(os.environ.get("PYCONDORLITE_DIFF_PARSE_N", str(N_EVAL // 2)))
THRESHOLD = 0.999  # the acceptance figure


def _load(name):
    spec = importlib.util.spec_from_file_location("classad_diff_" + name, HERE / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exprgen = _load("exprgen")
expected = _load("expected_differences")


def ours_problem():
    """Why pycondorlite.classad cannot be measured, or None."""
    try:
        import pycondorlite.classad as ours
    except Exception as e:  # noqa: BLE001
        return "pycondorlite.classad does not import: %s: %s" % (type(e).__name__, e)
    missing = [n for n in ("ExprTree", "ClassAd", "parseAds", "parseOne") if not hasattr(ours, n)]
    return "pycondorlite.classad lacks %s" % ", ".join(missing) if missing else None


def worker_env(impl, mode, extra=None):
    env = dict(os.environ)
    env.update(extra or {})
    env.setdefault("CONDOR_CONFIG", "/dev/null")
    env.pop("_CONDOR_STRICT_CLASSAD_EVALUATION", None)
    if mode == "strict":
        env["_CONDOR_STRICT_CLASSAD_EVALUATION"] = "true"
    return env


def _setup_line():
    return json.dumps({"scope": exprgen.SCOPE_AD, "target": exprgen.TARGET_AD}) + "\n"


def _run_worker(impl, mode, requests, timeout, env=None):
    data = _setup_line() + "".join(json.dumps(r) + "\n" for r in requests)
    proc = subprocess.run([sys.executable, str(WORKER), impl, mode], input=data,
                          capture_output=True, text=True, env=worker_env(impl, mode, env),
                          timeout=timeout)
    return proc, [json.loads(x) for x in proc.stdout.splitlines()]


def run_batch(impl, mode, requests, timeout=600, env=None):
    """Send all requests through one worker; return its answers in order.

    A worker that dies mid-batch (classad2 24.12 segfaults on some sequences,
    e.g. `strs[(splitUserName("")).q]` after an evaluation returned a nested
    ad) is restarted: the request it died on is retried alone in a fresh
    process (its answer if that works, ["crash"] if not), then the batch
    goes on."""
    answers = []
    while len(answers) < len(requests):
        rest = requests[len(answers):]
        proc, got = _run_worker(impl, mode, rest, timeout, env)
        answers.extend(got)
        if proc.returncode == 0 and len(got) == len(rest):
            break
        if proc.returncode >= 0 or len(got) == len(rest):
            raise RuntimeError("worker %s/%s failed (rc %s, %d of %d answers): %s" % (
                impl, mode, proc.returncode, len(got), len(rest), proc.stderr[-3000:]))
        proc, alone = _run_worker(impl, mode, [requests[len(answers)]], timeout, env)
        answers.append(alone[0] if alone else ["crash"])
    return answers


def run_all(requests, modes=MODES, env=None):
    """{(impl, mode): answers} for every implementation and mode, concurrently;
    env: more environment for the workers (TZ...)."""
    keys = [(impl, mode) for mode in modes for impl in IMPLS]
    with ThreadPoolExecutor(len(keys)) as pool:
        futures = {k: pool.submit(run_batch, k[0], k[1], requests, env=env) for k in keys}
        return {k: f.result() for k, f in futures.items()}


class Worker:
    """A long-lived worker for one-at-a-time requests (the hypothesis tests).
    If it dies on a request (a classad2 segfault), it is restarted and the
    request retried once in the fresh process; ["crash"] if that dies too."""

    def __init__(self, impl, mode):
        self.impl, self.mode = impl, mode
        self._start()

    def _start(self):
        self.proc = subprocess.Popen([sys.executable, str(WORKER), self.impl, self.mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=worker_env(self.impl, self.mode))
        self.proc.stdin.write(_setup_line())
        self.proc.stdin.flush()

    def _ask_once(self, request):
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if line:
            return json.loads(line)
        self.proc.wait()
        self._start()
        return None

    def ask(self, request):
        answer = self._ask_once(request)
        if answer is None:
            answer = self._ask_once(request)
        return ["crash"] if answer is None else answer

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def same(a, b):
    """Equal values of equal types; reals exactly (NaN equals NaN); a raised
    exception equals a raised exception; answers with several parts
    (dictionaries) equal part for part."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(a[k] == b[k] if not isinstance(a[k], list) else same(a[k], b[k])
                        for k in a))
    if a[0] != b[0]:
        return False
    tag = a[0]
    if tag == "exception":  # classad2 raises ClassAdException, ours its own class
        return True
    if len(a) != len(b):
        return False
    if tag == "real":
        x, y = float(a[1]), float(b[1])
        return x == y or (math.isnan(x) and math.isnan(y))
    if tag == "list":
        return len(a[1]) == len(b[1]) and all(same(x, y) for x, y in zip(a[1], b[1]))
    if tag == "ad":
        return (len(a[1]) == len(b[1])
                and all(ka == kb and same(va, vb) for (ka, va), (kb, vb) in zip(a[1], b[1])))
    return a == b


def show(v, limit=300):
    """A short human form of a normalized value."""
    text = _show(v)
    return text if len(text) <= limit else text[:limit] + "..."


def _show(v):
    tag = v[0]
    if tag in ("int", "bool", "str"):
        return "%s %r" % (tag, v[1])
    if tag == "real":
        return "real " + v[1]
    if tag == "list":
        return "{" + ", ".join(_show(x) for x in v[1]) + "}"
    if tag == "ad":
        return "[" + "; ".join("%s = %s" % (k, _show(x)) for k, x in v[1]) + "]"
    return " ".join(str(x) for x in v)


def vtype(v):
    return v[0] if v[0] != "exception" else "exception:" + v[1]


def eval_request(text, index=0):
    """Every tenth expression is evaluated in the scope ad alone (no TARGET),
    as condor_q -constraint does; the rest with MY and TARGET."""
    req = {"op": "eval", "expr": text}
    if index % 10 == 9:
        req["no_target"] = True
    return req


def classify(nodes, mode, limit=400, no_target=()):
    """For differing expressions, the smallest sub-expression that differs.
    no_target: the positions in nodes that were evaluated without a TARGET.

    Returns a list of (node, minimal_node, classad2_value, ours_value). All
    sub-expressions are evaluated in one more batch per implementation."""
    nodes = nodes[:limit]
    subs = set()
    for k, node in enumerate(nodes):
        subs.update((n.text, k in no_target) for n in node.walk())
    keys = sorted(subs)
    reqs = [{"op": "eval", "expr": t, "no_target": alone} for t, alone in keys]
    with ThreadPoolExecutor(2) as pool:
        ref_f = pool.submit(run_batch, "classad2", mode, reqs)
        ours_f = pool.submit(run_batch, "ours", mode, reqs)
        ref = dict(zip(keys, ref_f.result()))
        ours = dict(zip(keys, ours_f.result()))
    out = []
    for k, node in enumerate(nodes):
        alone = k in no_target
        smallest = node
        for n in node.walk():
            key = (n.text, alone)
            if not same(ref[key], ours[key]) and len(n.text) < len(smallest.text):
                smallest = n
        key = (smallest.text, alone)
        out.append((node, smallest, ref[key], ours[key]))
    return out


def difference_class(minimal, ref, ours):
    """A label grouping differences: the construct and the two result types."""
    return "%s: classad2 %s, ours %s" % (minimal.kind, vtype(ref), vtype(ours))


def known_reason(text, mode):
    """The documented reason if this expression is a known difference."""
    for entry in expected.KNOWN_EVAL_DIFFERENCES:
        if entry["mode"] not in (mode, "both"):
            continue
        if entry["expr"] == text or (entry.get("match") and entry["match"](text)):
            return entry["reason"]
    return None


def known_parse_reason(req, mode):
    """The documented reason if this parse request is a known difference."""
    text = req.get("expr", req.get("text"))
    for entry in expected.KNOWN_PARSE_DIFFERENCES:
        if entry["mode"] not in (mode, "both"):
            continue
        if entry["text"] == text or (entry.get("match") and entry["match"](text)):
            return entry["reason"]
    return None


def summarize(title, n, agree, classes, examples, max_classes=30, max_examples=8):
    """The figures, the classes of differences (each with its shortest
    example) and the first differing examples, as printed by the tests.
    classes: {label: [count, shortest example text]}."""
    lines = ["", "=== %s: %d/%d agree (%.3f%%), %d differ" % (
        title, agree, n, 100.0 * agree / max(n, 1), n - agree)]
    if classes:
        lines.append("--- classes of differences (count, smallest differing construct: shortest example):")
        ranked = sorted(classes.items(), key=lambda kv: -kv[1][0])
        for label, (count, example) in ranked[:max_classes]:
            lines.append("%6d  %s\n          e.g. %s" % (count, label, example))
    if examples:
        lines.append("--- first differing examples:")
        lines.extend(examples[:max_examples])
    return "\n".join(lines)


def add_class(classes, label, example):
    """Count a difference under label, keeping the shortest example."""
    entry = classes.setdefault(label, [0, example])
    entry[0] += 1
    if len(example) < len(entry[1]):
        entry[1] = example


@pytest.fixture
def semantics_knob():
    """set(strict): the ClassAd layer's semantics as a configuration with
    STRICT_CLASSAD_EVALUATION = strict would set them; forgotten after the test."""
    from pycondorlite.classad import semantics
    yield semantics.configure
    semantics.reset()


@pytest.fixture(scope="session")
def harness():
    problem = ours_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return types.SimpleNamespace(
        exprgen=exprgen, expected=expected, run_batch=run_batch, run_all=run_all,
        Worker=Worker, eval_request=eval_request, same=same, show=show, vtype=vtype, classify=classify,
        difference_class=difference_class, known_reason=known_reason,
        known_parse_reason=known_parse_reason,
        summarize=summarize, add_class=add_class, SEED=SEED, N_EVAL=N_EVAL, N_PARSE=N_PARSE,
        THRESHOLD=THRESHOLD, MODES=MODES, Counter=collections.Counter)
