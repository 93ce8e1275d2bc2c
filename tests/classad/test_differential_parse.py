"""Differential parsing: pycondorlite.classad against real libclassad.

N strings (exprgen.parse_corpus, fixed seed; N = $PYCONDORLITE_DIFF_PARSE_N,
default half of $PYCONDORLITE_DIFF_N, so 10,000): valid generated expressions,
mutated ones (deleted/duplicated/swapped tokens, stray brackets, bad escapes,
octal/hex and malformed reals), and old-syntax provider ad files, valid and
mutated. Per mode, we count the strings one parser accepts and the other
rejects -- for ad files, "accepts" means the same ads with the same
attribute names, since libclassad's old-syntax reader silently truncates an
ad at a bad line rather than failing. The issue asks for < 0.1 %.

Also printed, not asserted: for expressions both accept, how often
str(ExprTree), printOld() and printJson() give the same text and how often
printing round-trips; for ad files both read alike, how often the attribute
values are the same.

    .venv/bin/python -m pytest -s tests/classad/test_differential_parse.py
"""

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load(name):
    spec = importlib.util.spec_from_file_location("classad_diffp_t_" + name, HERE / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exprgen = _load("exprgen")
expected = _load("expected_differences")
MODES = ("strict", "old")
LIMIT = 0.001  # the acceptance figure


def outcome(answer):
    """What must agree: accepted or not, and for ad files which ads/attributes."""
    if not isinstance(answer, dict):
        return ("worker", answer[0])
    if not answer["ok"]:
        return ("rejected",)
    if "ads" in answer:
        return ("accepted", tuple(tuple(name for name, _ in ad[1]) for ad in answer["ads"]))
    return ("accepted",)


def brief(answer):
    """An answer, with ad files shown as attribute names only."""
    if isinstance(answer, dict) and answer.get("ads") is not None:
        return "accepted: " + " | ".join(",".join(name for name, _ in ad[1]) for ad in answer["ads"])
    return str(answer)[:300]


def describe(req):
    return repr(req.get("expr", req.get("text")))


@pytest.mark.parametrize("mode", MODES)
def test_parse_agreement(harness, mode):
    h = harness
    reqs = exprgen.parse_corpus(h.N_PARSE, h.SEED + 1)
    results = h.run_all(reqs, modes=[mode])
    ref, ours = results[("classad2", mode)], results[("ours", mode)]
    n = len(reqs)
    differ = [i for i in range(n) if outcome(ref[i]) != outcome(ours[i])]
    classes = {}
    examples = []
    for i in differ:
        reason = h.known_parse_reason(reqs[i], mode)
        label = "%s (%s): classad2 %s, ours %s%s" % (
            reqs[i]["op"], reqs[i]["why"], outcome(ref[i])[0], outcome(ours[i])[0],
            " [known]" if reason else "")
        h.add_class(classes, label, describe(reqs[i])[:300])
        if len(examples) < 25:
            examples.append("  %s (%s) %s\n      classad2: %s\n      ours:     %s" % (
                reqs[i]["op"], reqs[i]["why"], describe(reqs[i])[:400], brief(ref[i]), brief(ours[i])))
    # Informational: printing and ad contents where both accept.
    both = [i for i in range(n) if outcome(ref[i]) == outcome(ours[i]) == ("accepted",)]
    differ_set = set(differ)
    ads_both = [i for i in range(n) if reqs[i]["op"] == "parse_ads" and i not in differ_set
                and outcome(ref[i])[0] == "accepted"]
    same_ads = sum(all(h.same(a, b) for a, b in zip(ref[i]["ads"], ours[i]["ads"])) for i in ads_both)
    accepted = sum(outcome(r)[0] == "accepted" for r in ref)
    known = sum(h.known_parse_reason(reqs[i], mode) is not None for i in differ)
    summary = h.summarize("parse, %s semantics, seed %d (classad2 accepts %d)" % (mode, h.SEED + 1, accepted),
                          n, n - len(differ), classes, examples)
    summary += "\n--- printing, on the %d expressions both accept:" % len(both)
    for key, what in (("unparse", "str(ExprTree)"), ("old", "printOld() of [X = expr]"),
                      ("json", "printJson() of [X = expr]")):
        diff = [i for i in both if ref[i][key] != ours[i][key]]
        summary += "\n      %s identical on %d" % (what, len(both) - len(diff))
        for i in diff[:3]:
            summary += "\n        %s\n          classad2: %r\n          ours:     %r" % (
                describe(reqs[i])[:200], ref[i][key][:200], ours[i][key][:200])
    summary += "\n      round trip (str of the parse of str prints the same): classad2 %d, ours %d" % (
        sum(ref[i]["roundtrip"] for i in both), sum(ours[i]["roundtrip"] for i in both))
    for i in [i for i in both if ref[i]["roundtrip"] and not ours[i]["roundtrip"]][:3]:
        summary += "\n        ours does not round-trip %r" % ours[i]["unparse"][:200]
    summary += "\n--- ad files: same attribute values in %d of %d both read alike" % (same_ads, len(ads_both))
    printed = [i for i in ads_both if ref[i]["old"] != ours[i]["old"]]
    summary += "\n      printOld() identical in %d of them" % (len(ads_both) - len(printed))
    for i in printed[:2]:
        summary += "\n        classad2: %r\n        ours:     %r" % (ref[i]["old"][0][:300], ours[i]["old"][0][:300])
    summary += "\n--- of the differences, %d are documented in expected_differences.py" % known
    print(summary)
    if len(differ) >= LIMIT * n:
        pytest.fail("parse disagreement not below %.1f%%: %s (the figures are in the captured output)"
                    % (100 * LIMIT, summary.splitlines()[1]), pytrace=False)


def _known_cases():
    for entry in expected.KNOWN_PARSE_DIFFERENCES:
        modes = MODES if entry["mode"] == "both" else (entry["mode"],)
        for mode in modes:
            yield pytest.param(entry["text"], entry["kind"], mode, id="%s-%s" % (mode, entry["text"][:40]),
                               marks=pytest.mark.xfail(strict=True, reason=entry["reason"]))


def _read_alike(harness, kind, text, mode):
    if kind == "expr":
        req = {"op": "parse", "expr": text}
    else:
        req = {"op": "parse_ads", "text": text, "parser": "new" if kind == "new_ads" else "old"}
    r = harness.run_batch("classad2", mode, [req])[0]
    o = harness.run_batch("ours", mode, [req])[0]
    assert outcome(r) == outcome(o), "classad2: %s, ours: %s" % (r, o)


@pytest.mark.parametrize("text,kind,mode", list(_known_cases()))
def test_known_parse_difference(harness, text, kind, mode):
    _read_alike(harness, kind, text, mode)


# -- differences the bulk run found and that were fixed: pinned ------------------

FIXED = [
    ("expr", "a ? (b + : c"),       # libclassad goes on at the `:` (reads `a ?: c`)
    ("expr", "a ? (b)[1][ : c"),
    ("expr", "a ? ((b) : c"),       # ... but not where a `)` was wanted
    ("expr", "a ? b[1 : c"),
    ("expr", "a ? [ : c"),
    ("expr", "'a b'(1)"),           # a quoted name as a function's
    ("expr", "[;z = 1]"),           # semicolons before the first attribute
    ("expr", "[;]"),
    ("ads", "x = 1.5.5 \"u\"\ny = 1\n"),   # two reals: the line keeps 1.5
    ("ads", "x = .5.\ny = 1\n"),
    ("expr", "f(1 ; 2)"),           # old semantics: ';' between arguments (strict: error)
    ("expr", "strcat((1) ; .X, 2)"),
    ("expr", "{1 ; 2}"),            # ... of a function only
    ("new_ads", "[a = f(1; 2); b = 3]"),
    ("ads", "A = strcat(\"x\"; \"y\")\nB = 2\n"),
]


@pytest.mark.parametrize("kind,text", FIXED)
@pytest.mark.parametrize("mode", MODES)
def test_fixed_parse_difference_stays_fixed(harness, kind, text, mode):
    _read_alike(harness, kind, text, mode)


# The fast old-syntax reader (parsing.read_old_ads) against classad2: the
# forms its one-regex path takes or leaves to the general path, lines
# repeated within a text, and the same text read twice (the line cache).
READER_TEXTS = [
    'a = "x"\nb="y"\nc =  "z"  \nd = "w"\r\n\ne = "x"\nb="y"\n',
    ' a = "x"\nb = "q\\"y"\nc = "x" junk\nd = "tab\there"\n',
    'A = "x"\na = "y"\nB = 1\nb = "two"\n',
    'a = "x"\nb = (\nc = "z"\n\nd = "x"\n',
    'a = ""\nb = " "\nc = "#"\n# d = "no"\ne = "=="\n',
    'Name = "p1"\nimage = "f"\n\nName = "p2"\nimage = "f"\n\nName = "p1"\nimage = "g"\n',
    # the same names spelt otherwise in the next ad, with the same lines around them
    'Name = "p1"\n# c\nimage = "f"\n\nNAME = "p2"\n# c\nImage = "f"\n\nName = "p3"\n# c\nimage = "f"\n',
    # ads of one shape, then one longer, then the first shape again; no final newline
    'a = 1\nb = "x"\n\na = 2\nb = "y"\n\na = 3\nb = "z"\nc = 1\n\na = 4\nb = "w"',
]


@pytest.mark.parametrize("text", READER_TEXTS)
@pytest.mark.parametrize("mode", MODES)
def test_old_reader_values_as_classad2(harness, text, mode):
    req = {"op": "parse_ads", "text": text}
    r = harness.run_batch("classad2", mode, [req, req])
    o = harness.run_batch("ours", mode, [req, req])
    for ref, ours in zip(r, o):
        assert outcome(ref) == outcome(ours), "classad2: %s, ours: %s" % (ref, ours)
        if ref["ok"]:
            assert all(harness.same(a, b) for a, b in zip(ref["ads"], ours["ads"])), (ref, ours)
            assert ref["old"] == ours["old"]      # the names as spelt, ad by ad
