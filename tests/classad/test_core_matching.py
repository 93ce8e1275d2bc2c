"""Matchmaking: matches, symmetricMatch, Rank, against the defining example."""

from pathlib import Path

import pytest

from pycondorlite import classad
from pycondorlite.classad import ClassAd, ExprTree

EXAMPLE = Path("/work/shared/examples/provider_combination_1.ad")
PROVIDER = '''Name="provider_combination_1"
MyType="Machine"
Requirements=true
hardwareprofile="large"
image="fedora13"
realm="1"
image_key="ami-ac3fc9c5"
'''


@pytest.fixture(autouse=True)
def _old(semantics_knob):
    semantics_knob(False)


@pytest.fixture
def provider():
    text = EXAMPLE.read_text() if EXAMPLE.exists() else PROVIDER
    return classad.parseOne(text, classad.ParserType.Old)


def job(requirements):
    ad = ClassAd()
    ad["Requirements"] = ExprTree(requirements)
    ad["Cmd"] = "job_name"
    return ad


def test_the_example_matches(provider):
    j = job('hardwareprofile == "large" && image == "fedora13"')
    assert provider.matches(j)          # the job's Requirements, provider as TARGET
    assert j.matches(provider)
    assert j.symmetricMatch(provider)
    assert not job('hardwareprofile == "small"').symmetricMatch(provider)


def test_unscoped_names_need_old_semantics(provider, semantics_knob):
    j = job('hardwareprofile == "large"')
    assert j.symmetricMatch(provider)
    semantics_knob(True)
    assert not j.symmetricMatch(provider)
    assert job('TARGET.hardwareprofile == "large"').symmetricMatch(provider)


def test_provider_requirements_see_the_job(provider):
    provider["Requirements"] = ExprTree('TARGET.Cmd == "job_name" && MY.realm == "1"')
    assert job("true").symmetricMatch(provider)
    provider["Requirements"] = ExprTree('TARGET.Cmd == "other"')
    assert not job("true").symmetricMatch(provider)


@pytest.mark.parametrize("req,result", [
    ("1", True), ("0.0", False), ("undefined", False), ("error", False), ('"yes"', False),
    ("TARGET.nosuch", False), ("2.5", True),
])
def test_matches_converts_like_classad2(provider, req, result):
    assert provider.matches(job(req)) is result


def test_no_requirements_never_matches(provider):
    assert not provider.matches(ClassAd("[x = 1]"))


def test_rank(provider):
    j = job("true")
    j["Rank"] = ExprTree('(TARGET.realm == "1") * 10 + (image == "fedora13")')
    assert j.lookup("Rank").eval(j, provider) == 11


def test_matching_many_providers():
    ads = list(classad.parseAds("\n".join(
        PROVIDER.replace('realm="1"', 'realm="%d"' % (i % 3)) for i in range(30)), classad.ParserType.Old))
    j = job('image == "fedora13" && TARGET.realm == "1"')
    assert sum(j.symmetricMatch(a) for a in ads) == 10


def test_circular_requirements_raise_like_classad2(provider):
    j = ClassAd("[Requirements = a; a = Requirements]")
    with pytest.raises(classad.ClassAdException):
        j.symmetricMatch(provider)
