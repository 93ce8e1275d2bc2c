"""The ClassAd layer's caches are bounded by an estimate of the memory they
hold, not by a number of entries; texts that come once are not kept."""

from pycondorlite import classad
from pycondorlite.classad import parsing
from pycondorlite.caches import Cache, tree_size


def test_a_cache_past_its_budget_forgets_or_keeps_what_it_learnt_first():
    c = Cache(1000)
    for k in range(50):
        c.learn("key%d" % k, k, 100)
        assert c.held <= 1000
    assert len(c) <= 10 and "key49" in c and "key0" not in c
    first = Cache(1000, keep_first=True)
    for k in range(50):
        first.learn("key%d" % k, k, 100)
    assert sorted(first) == ["key%d" % k for k in range(10)]
    assert first.held == 1000


def test_the_size_of_an_entry_grows_with_its_text():
    assert tree_size("x" * 1000) > 10 * tree_size("x")


def test_a_second_chance_cache_keeps_only_what_comes_again():
    c = Cache(1 << 20, second_chance=True)
    assert c.learn("once", 1, 10) == 1 and "once" not in c
    c.learn("twice", 2, 10)
    c.learn("twice", 2, 10)
    assert "twice" in c and c.held == 10
    assert c.met_before(["a", "b", "twice"]) == [False, False, True]
    assert c.met_before(["a"]) == [True]


def _ads(n, run):
    return "".join('Name = "ad_%d_%d"\nKey = "k%d_%d"\nShared = "yes"\nReq = x > %d\n\n'
                   % (run, k, run, k, k) for k in range(n))


def test_reading_fresh_ads_keeps_the_line_cache_within_its_budget(monkeypatch):
    lines = Cache(64 * 1024, keep_first=True, second_chance=True)
    exprs = Cache(64 * 1024, second_chance=True)
    monkeypatch.setattr(parsing, "_line_cache", {True: lines, False: Cache(1)})
    monkeypatch.setattr(parsing, "_cache", exprs)
    for run in range(6):
        ads = list(classad.parseAds(_ads(2000, run), classad.ParserType.Old))
        assert len(ads) == 2000 and ads[-1]["Shared"] == "yes"
        assert ads[7].eval("Req") is classad.Value.Undefined
        assert lines.held <= lines.budget and exprs.held <= exprs.budget
    # the line every ad has is learnt; the names, which come once, are not
    assert 'Shared = "yes"' in lines
    assert not any(line.startswith("Name") for line in lines)
