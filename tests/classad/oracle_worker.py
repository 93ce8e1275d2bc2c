#!/usr/bin/env python3
"""Evaluate or parse ClassAd expressions in one implementation and one mode.

    oracle_worker.py IMPL MODE     IMPL: classad2 | ours      MODE: strict | old

One process per (implementation, mode), because the mode is process-wide.
Both run as HTCondor's tools do: the knob STRICT_CLASSAD_EVALUATION
(`_CONDOR_STRICT_CLASSAD_EVALUATION=true` in the environment for strict mode)
chooses the semantics -- classad2 reads it when `htcondor2` reads the
configuration, pycondorlite when it first evaluates. The caller sets or
clears it; this script checks it.

Protocol: JSON lines. The first line is {"scope": TEXT, "target": TEXT} (new
syntax ads); every later line is a request, answered by exactly one line:
  {"op": "eval", "expr": TEXT}     -> a normalized value (see normalize()), evaluated
                                      with MY = scope and TARGET = target, or with
                                      MY = scope alone if "no_target" is true
  {"op": "parse", "expr": TEXT}    -> {"ok": bool, "unparse": TEXT or null, and if ok
                                       "old", "json" (printOld/printJson of [X = expr]), "roundtrip"}
  {"op": "parse_ads", "text": TEXT[, "parser": "old" | "new"]} -> {"ok": bool,
                                       "ads": [normalized ad, ...] or null,
                                       "old": [printOld() of each ad]}
  {"op": "match", "job": TEXT, "ad": TEXT} (old syntax) -> {"job_matches": ...,
      "ad_matches": ..., "symmetric": ..., "rank": the job's Rank with the ad as TARGET}
  {"op": "convert", "py": PYTHON TEXT} -> the value stored in an ad and read back
                                      (see do_convert)
  {"op": "simplify", "expr": TEXT} -> {"repr", "str"} of ExprTree(TEXT).simplify()
Output is flushed after each line, so the same worker serves a batch (all
lines written at once) or a hypothesis test (one line at a time).
"""

import datetime
import json
import os
import signal
import sys

IMPL, MODE = sys.argv[1], sys.argv[2]
os.environ.setdefault("CONDOR_CONFIG", "/dev/null")

want = "true" if MODE == "strict" else ""
if os.environ.get("_CONDOR_STRICT_CLASSAD_EVALUATION", "").lower() != want:
    sys.exit("oracle_worker: _CONDOR_STRICT_CLASSAD_EVALUATION does not match mode %s" % MODE)
if IMPL == "classad2":
    import warnings
    warnings.simplefilter("ignore")
    import classad2 as mod
    # htcondor2 reads the configuration, as every HTCondor tool does: that
    # sets the semantics from STRICT_CLASSAD_EVALUATION (the tools' old ones
    # unless it is true) and registers HTCondor's own functions (the
    # string-list functions, split*, ...), which exist in both semantics.
    import htcondor2  # noqa: F401
    TIME_LIMIT = 0  # C++ code: a signal could not interrupt it anyway
else:
    import pycondorlite.classad as mod
    # CPU seconds per request: a hang is reported, not waited for. CPU time,
    # not wall time: four workers share this machine's cores, and a request
    # that met a full garbage collection of a large heap while the others
    # ran was reported as hung (three of 200,000 in a long run).
    TIME_LIMIT = 5.0

Value = mod.Value
OLD_PARSER = getattr(getattr(mod, "ParserType", None) or getattr(mod, "Parser", None), "Old", None)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def normalize(v, depth=0):
    """A JSON-able, implementation-neutral form of an evaluated value that
    keeps the type: ["bool", b], ["int", n], ["real", repr], ["str", s],
    ["abstime", ISO text of the datetime], ["undefined"], ["error"], ["list", [...]], ["ad", [[name, value]...]],
    ["expr", unparsed text] (an unevaluated element, as classad2 returns
    non-literal list elements and attribute values)."""
    if depth > 20:
        return ["too-deep"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, Value):  # before int: ours may be an IntEnum
        return [v.name.lower()]
    if isinstance(v, int):
        return ["int", v]
    if isinstance(v, float):
        return ["real", repr(v)]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, datetime.datetime):  # an absolute time: classad2 gives its instant in UTC
        return ["abstime", v.isoformat()]
    if isinstance(v, (list, tuple)):
        return ["list", [normalize(x, depth + 1) for x in v]]
    if isinstance(v, mod.ClassAd):
        items = []
        for k in sorted(v.keys(), key=str.lower):
            try:
                items.append([k.lower(), normalize(v[k], depth + 1)])
            except Exception as e:  # noqa: BLE001
                items.append([k.lower(), ["exception", type(e).__name__]])
        return ["ad", items]
    if isinstance(v, mod.ExprTree):
        return ["expr", str(v)]
    return ["unknown", type(v).__name__, repr(v)[:200]]


def make_ad(text):
    return mod.ClassAd(text)


def do_eval(req, scope, target):
    try:
        tree = mod.ExprTree(req["expr"])
    except Exception:  # noqa: BLE001  (any syntax error)
        return ["parse_error"]
    if req.get("no_target"):  # one ad alone, as condor_q -constraint evaluates
        return normalize(tree.eval(scope))
    return normalize(tree.eval(scope, target))


def _printed(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return "<raised %s>" % type(e).__name__


def do_parse(req):
    """Accepted or not; if accepted, how it prints: str() (new syntax), the
    old-syntax and JSON forms of an ad [X = expr], and whether parsing the
    printed text prints the same again (round trip)."""
    try:
        tree = mod.ExprTree(req["expr"])
    except Exception:  # noqa: BLE001
        return {"ok": False, "unparse": None}
    text = _printed(lambda: str(tree))
    ad = mod.ClassAd()
    ad["X"] = tree
    try:
        roundtrip = str(mod.ExprTree(text)) == text
    except Exception:  # noqa: BLE001
        roundtrip = False
    return {"ok": True, "unparse": text, "old": _printed(ad.printOld),
            "json": _printed(ad.printJson), "roundtrip": roundtrip}


def do_parse_ads(req):
    parser = OLD_PARSER if req.get("parser", "old") == "old" else mod.ParserType.New
    try:
        ads = list(mod.parseAds(req["text"], parser))
    except Exception:  # noqa: BLE001
        return {"ok": False, "ads": None}
    return {"ok": True, "ads": [normalize(ad) for ad in ads],
            "old": [_printed(ad.printOld) for ad in ads]}


def do_match(req):
    job, ad = mod.parseOne(req["job"], OLD_PARSER), mod.parseOne(req["ad"], OLD_PARSER)
    rank = job.lookup("Rank")
    return {"job_matches": job.matches(ad), "ad_matches": ad.matches(job),
            "symmetric": job.symmetricMatch(ad), "rank": normalize(rank.eval(job, ad))}


def _python_value(text):
    """The Python value text denotes, built with this implementation's classes."""
    ns = {"datetime": datetime.datetime, "date": datetime.date, "timedelta": datetime.timedelta,
          "timezone": datetime.timezone, "ClassAd": mod.ClassAd, "ExprTree": mod.ExprTree,
          "Value": mod.Value}
    return eval(text, ns)  # noqa: S307  (our own generated test values)


def _attempt(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return ["exception", type(e).__name__]


def do_convert(req):
    """A Python value stored in an ad, and what comes back: printed (repr,
    str, printOld, printJson), looked up, read (ad[k]) and evaluated."""
    value = _python_value(req["py"])
    ad = mod.ClassAd()
    try:
        ad["v"] = value
    except Exception as e:  # noqa: BLE001
        return ["exception", type(e).__name__]
    out = {"repr": _printed(lambda: repr(ad)), "str": _printed(lambda: str(ad)),
           "old": _printed(ad.printOld), "json": _printed(ad.printJson),
           "lookup": _printed(lambda: repr(ad.lookup("v"))),
           "get": _attempt(lambda: normalize(ad["v"])),
           "eval": _attempt(lambda: normalize(ad.eval("v")))}
    if isinstance(value, dict):
        out["ctor"] = _attempt(lambda: repr(mod.ClassAd(_python_value(req["py"]))))
    return out


def do_simplify(req, scope, target):
    """The literal an expression's value makes (simplify()), printed."""
    try:
        tree = mod.ExprTree(req["expr"])
    except Exception:  # noqa: BLE001
        return ["parse_error"]
    s = tree.simplify(scope) if req.get("no_target") else tree.simplify(scope, target)
    return {"repr": repr(s), "str": str(s)}


def handle(req, scope, target):
    op = req["op"]
    if op == "eval":
        return do_eval(req, scope, target)
    if op == "convert":
        return do_convert(req)
    if op == "simplify":
        return do_simplify(req, scope, target)
    if op == "parse":
        return do_parse(req)
    if op == "parse_ads":
        return do_parse_ads(req)
    if op == "match":
        return do_match(req)
    raise ValueError(op)


def main():
    sys.setrecursionlimit(10000)
    signal.signal(signal.SIGPROF, _alarm)
    setup = json.loads(sys.stdin.readline())
    scope, target = make_ad(setup["scope"]), make_ad(setup["target"])
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if TIME_LIMIT:
                signal.setitimer(signal.ITIMER_PROF, TIME_LIMIT)
            try:
                res = handle(req, scope, target)
            finally:
                if TIME_LIMIT:
                    signal.setitimer(signal.ITIMER_PROF, 0)
        except Timeout:
            res = ["timeout"]
        except Exception as e:  # noqa: BLE001  (a crash is a difference, not the end of the batch)
            res = ["exception", type(e).__name__, str(e)[:200]]
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
