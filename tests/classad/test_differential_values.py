"""Differential tests of values: conversion to and from Python, printing of
every value type, and times in other zones -- pycondorlite.classad against
classad2, in both semantics (see conftest.py for the harness).

* conversion: generated Python values (ints, reals, strings, bytes,
  datetimes, None, Value, ExprTree, lists, tuples, dicts, nested ClassAds,
  iterables, and values no ad can hold) stored with ``ad["v"] = value``,
  then printed (repr, str, printOld, printJson), looked up, read back and
  evaluated;
* printing: the literal simplify() makes of each generated expression's
  value, printed with repr() and str();
* zones: expressions about times evaluated (and simplified) with TZ set to
  zones east and west of UTC, with and without daylight saving.

Each must agree on >= 99.9 %; sizes follow $PYCONDORLITE_DIFF_N.
"""

import pytest

MODES = ("strict", "old")
ZONES = ("America/New_York", "Asia/Kolkata")


def _agreement(h, title, reqs, ref, ours, describe):
    crashed = [i for i in range(len(reqs)) if ref[i] == ["crash"]]
    n = len(reqs) - len(crashed)
    differing = [i for i in range(len(reqs)) if ref[i] != ["crash"] and not h.same(ref[i], ours[i])]
    classes, examples = {}, []
    for i in differing:
        label, example = describe(reqs[i], ref[i], ours[i])
        h.add_class(classes, label, example)
        examples.append("  %s\n      classad2: %s\n      ours:     %s" % (
            example, str(ref[i])[:300], str(ours[i])[:300]))
    summary = h.summarize(title, n, n - len(differing), classes, examples)
    summary += "\n--- classad2 crashed on %d (not counted)" % len(crashed)
    print(summary)
    if len(differing) > (1 - h.THRESHOLD) * n:
        pytest.fail("agreement below %.1f%%: %s" % (100 * h.THRESHOLD, summary.splitlines()[1]),
                    pytrace=False)


def _answer_kind(answer):
    if isinstance(answer, dict):
        return "value"
    return answer[0]


@pytest.mark.parametrize("mode", MODES)
def test_conversion_agreement(harness, mode):
    h = harness
    reqs = h.exprgen.value_corpus(max(200, h.N_EVAL // 10), h.SEED + 4)
    results = h.run_all(reqs, modes=[mode])
    ref, ours = results[("classad2", mode)], results[("ours", mode)]

    def describe(req, r, o):
        parts = [k for k in sorted(r) if r[k] != o.get(k)] if isinstance(r, dict) and \
            isinstance(o, dict) else []
        return ("stored value: classad2 %s, ours %s%s" % (
            _answer_kind(r), _answer_kind(o), (" (differ: %s)" % ", ".join(parts)) if parts else ""),
            req["py"])
    _agreement(h, "conversion, %s semantics" % mode, reqs, ref, ours, describe)


@pytest.mark.parametrize("mode", MODES)
def test_printed_values_agreement(harness, mode):
    h = harness
    corpus = h.exprgen.generate(max(500, h.N_EVAL // 4), h.SEED + 5)
    reqs = [dict(h.eval_request(n.text, i), op="simplify") for i, n in enumerate(corpus)]
    results = h.run_all(reqs, modes=[mode])
    ref, ours = results[("classad2", mode)], results[("ours", mode)]

    def describe(req, r, o):
        return "simplify(): classad2 %s, ours %s" % (_answer_kind(r), _answer_kind(o)), req["expr"]
    _agreement(h, "simplify() printed, %s semantics" % mode, reqs, ref, ours, describe)


@pytest.mark.parametrize("zone", ZONES)
def test_times_in_other_zones(harness, zone):
    h = harness
    corpus = h.exprgen.time_corpus(max(300, h.N_EVAL // 20), h.SEED + 6)
    reqs = []
    for i, n in enumerate(corpus):
        reqs.append(h.eval_request(n.text, i))
        reqs.append(dict(h.eval_request(n.text, i), op="simplify"))
    results = h.run_all(reqs, modes=["old"], env={"TZ": zone})
    ref, ours = results[("classad2", "old")], results[("ours", "old")]

    def describe(req, r, o):
        return "%s in %s: classad2 %s, ours %s" % (req["op"], zone, h.vtype(r) if isinstance(
            r, list) else "value", h.vtype(o) if isinstance(o, list) else "value"), req["expr"]
    _agreement(h, "times, TZ=%s" % zone, reqs, ref, ours, describe)
