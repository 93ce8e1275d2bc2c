"""The fast reader of new-syntax ads (parsing._fast_new_ad) against the
grammar (grammar.py, PLY), which defines the language.

On generated ad texts -- plain ones, and ones with everything the fast
reader leaves to the grammar (comments, nested ads, subscripts, quoted and
reserved names, escapes, separators, time literals, syntax errors) -- an ad
the fast reader takes must be exactly the ad the grammar reads: the same
attributes, spelt the same, with equal trees; an ad the grammar refuses the
fast reader must not take. Both semantics (they differ on leading zeros).
"""

import importlib.util
import os
from pathlib import Path

import pytest

from pycondorlite import classad
from pycondorlite.classad import grammar, parsing
from pycondorlite.classad.errors import ClassAdSyntaxError

HERE = Path(__file__).resolve().parent
N = int(os.environ.get("PYCONDORLITE_DIFF_FAST_N", "6000"))


def _load(name):
    spec = importlib.util.spec_from_file_location("classad_fast_" + name, HERE / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exprgen = _load("exprgen")


def by_grammar(text, old):
    """{key: (spelling, tree key)} of the ad the grammar reads, or None."""
    try:
        node = grammar.parse(text, False, old)
    except ClassAdSyntaxError:
        return None
    if node.__class__ is not parsing.N.AdExpr:
        return None
    out = {}
    for name, tree in node.attrs:
        out[name.lower()] = (name, tree.key())
    return out


def by_fast_reader(text, old):
    """({key: (spelling, tree key)}, where the ad ends) as the fast reader
    reads the ad at the start of text, or (None, None)."""
    read = parsing._fast_new_ad(text, 0, old)
    if read is None:
        return None, None
    attrs, names, end = read
    return {k: (names[k], parsing.N.as_node(t).key()) for k, t in attrs.items()}, end


@pytest.mark.parametrize("old", [True, False], ids=["old", "strict"])
def test_the_fast_reader_reads_as_the_grammar(old):
    texts = exprgen.new_syntax_corpus(N, 20240611)
    taken = 0
    wrong = []
    for text in texts:
        fast, end = by_fast_reader(text, old)
        if fast is None:
            continue
        taken += 1
        # the grammar's ad: where the grammar ends it, and what it reads there
        grammar_end = parsing._ad_end(text, 0, old)
        want = by_grammar(text[:grammar_end], old)
        if fast != want or end != grammar_end:
            wrong.append((text, (fast, end), (want, grammar_end)))
    print("\nfast reader took %d of %d generated ads" % (taken, len(texts)))
    assert not wrong, "\n".join("%r\n  fast:    %s\n  grammar: %s" % w for w in wrong[:10])
    assert taken > len(texts) // 10     # it takes a fair share of them


def test_it_takes_plain_provider_ads():
    text = ('[ Name = "provider_1"; MyType = "Machine"; Requirements = TARGET.JobUniverse == 9;'
            ' Memory = 7680; Price = 1.770; hardwareprofile = "large"; ok = true; none = undefined;'
            ' Rank = Memory / 1024 ]')
    assert by_fast_reader(text, True) == (by_grammar(text, True), len(text))
    assert classad.parseOne(text).printOld() == (
        'ok = true\nName = "provider_1"\nnone = undefined\nRank = Memory / 1024\n'
        'Price = 1.77\nMemory = 7680\nMyType = "Machine"\nRequirements = TARGET.JobUniverse == 9\n'
        'hardwareprofile = "large"\n')


@pytest.mark.parametrize("text", [
    "[ true = 1 ]", "[ a = 1 b = 2 ]", "[ ; ]", "[ a = ]", "[ a = (1 ]", "[ 'a' = 1 ]",
    "[ a = [b = 1] ]", "[ a = 1 /* c */ ]", "[ a = x[1] ]",
    '[ a = absTime("bad") ]'])
def test_what_it_leaves_to_the_grammar(text):
    assert parsing._fast_new_ad(text, 0, True) is None


def test_a_later_definition_replaces_an_earlier_one_keeping_the_first_spelling():
    text = "[ a = 1; A = 2; b = 3 ]"
    assert by_fast_reader(text, True) == (by_grammar(text, True), len(text))
    ad = classad.ClassAd(text)
    assert ad["a"] == 2 and list(ad) == ["a", "b"]


@pytest.mark.parametrize("mode", ["strict", "old"])
def test_new_syntax_files_read_as_classad2_reads_them(harness, mode):
    """parseAds(text, ParserType.New) of generated files of new-syntax ads
    (several ads, space and comments between them) against classad2."""
    import random
    import re
    rnd = random.Random(20240612)
    # an empty ad with more after it: classad2 24.12 reads on in old syntax
    # (a documented difference, tested in test_differential_parse.py)
    empty = re.compile(r"\[\s*\]\Z")
    ads = [a for a in exprgen.new_syntax_corpus(4 * max(300, harness.N_PARSE // 10), 20240613)
           if not empty.match(a.strip())]
    ads = ads[:3 * (len(ads) // 3)]
    reqs = []
    for k in range(0, len(ads), 3):
        seps = [rnd.choice(["\n", "\n\n", " ", "\n// comment\n", "/* c */"]) for _ in range(3)]
        reqs.append({"op": "parse_ads", "parser": "new",
                     "text": "".join(a + sep for a, sep in zip(ads[k:k + 3], seps))})
    results = harness.run_all(reqs, modes=[mode])
    ref, ours = results[("classad2", mode)], results[("ours", mode)]
    differing = [i for i in range(len(reqs)) if ref[i] != ["crash"] and ref[i] != ours[i]]
    for i in differing[:5]:
        print("\n%r\n  classad2: %s\n  ours:     %s" % (reqs[i]["text"], ref[i], ours[i]))
    n = sum(1 for r in ref if r != ["crash"])
    print("\nnew-syntax files, %s: %d/%d agree" % (mode, n - len(differing), n))
    assert len(differing) <= (1 - harness.THRESHOLD) * n
