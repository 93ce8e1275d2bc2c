"""Our job ads and queue items against real HTCondor's (htcondor 24.12 wheel).

Every file of tests/data/submit is built by both; the ads must agree attribute
by attribute (except the time/host/tool-dependent ones listed in conftest.py),
and our queue items must equal the oracle's itemdata().
"""

import os
import pathlib

import pytest

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "submit"
CORPUS = sorted(p.name for p in DATA.glob("*.sub"))


@pytest.fixture(scope="module")
def results(sub):
    """{file: (our ads, our items, oracle result)} for the whole corpus at once."""
    here = os.getcwd()
    os.chdir(DATA)
    try:
        mine = {}
        for name in CORPUS:
            mine[name] = sub.ours((DATA / name).read_text(), source=name)
    finally:
        os.chdir(here)
    reqs = {name: {"op": "jobs", "text": (DATA / name).read_text(), "normalize": mine[name][0]}
            for name in CORPUS}
    theirs = sub.run_oracle(reqs)
    return {name: (mine[name][0], mine[name][1], theirs[name]) for name in CORPUS}


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("name", CORPUS)
def test_job_ads_match_htcondor(name, sub, results):
    mine, my_items, theirs = results[name]
    assert "error" not in theirs, theirs.get("error")
    assert len(mine) == len(theirs["ads"])
    for i, (m, t) in enumerate(zip(theirs["normalized"], theirs["ads"])):
        diff = sub.differences(m, t)
        assert not diff, f"proc {i}: " + "; ".join(diff)
    assert my_items == theirs["items"]


def test_a_wrong_attribute_is_caught(sub, results):
    """The comparison itself can fail."""
    mine, _, theirs = results["io_files.sub"]
    bad = dict(theirs["normalized"][0], Out='"elsewhere"')
    assert sub.differences(bad, theirs["ads"][0]) == [
        "Out: ours '\"elsewhere\"' != '\"out.txt\"'"]
