"""The public surface, as classad2's: ClassAd as a mapping, ExprTree,
quote/unquote, Value. Behaviours checked against classad2 (htcondor 24.12.24)."""

import pickle
from collections.abc import MutableMapping

import pytest

from pycondorlite import classad
from pycondorlite.classad import ClassAd, ExprTree, Value


def test_names_exist():
    for name in ("ClassAd", "ExprTree", "Value", "ParserType", "Parser", "ClassAdException",
                 "parseAds", "parseOne", "parseNext", "quote", "unquote", "lastError", "version"):
        assert hasattr(classad, name), name
    assert int(Value.Error) == 1 and int(Value.Undefined) == 2
    assert int(classad.ParserType.Old) == 0 and int(classad.ParserType.New) == 3


def test_values_come_back_as_classad2_gives_them():
    ad = ClassAd('[a = 1; b = a + 1; c = "x"; d = 2.5; e = {1, a+1}; f = [x=1]; g = undefined; '
                 'h = true; i = -1; k = real("INF"); l = {}]')
    assert ad["a"] == 1 and type(ad["a"]) is int
    assert isinstance(ad["b"], ExprTree) and repr(ad["b"]) == "a + 1"
    assert ad["d"] == 2.5
    assert ad["e"][0] == 1 and isinstance(ad["e"][1], ExprTree)
    assert isinstance(ad["f"], ClassAd) and ad["f"]["x"] == 1
    assert ad["g"] is Value.Undefined
    assert ad["h"] is True
    assert isinstance(ad["k"], ExprTree)
    assert ad["l"] == []
    assert ad.eval("b") == 2
    assert repr(ad.lookup("a")) == "1" and isinstance(ad.lookup("a"), ExprTree)


def test_mapping_is_case_insensitive_and_keeps_the_first_spelling():
    ad = ClassAd()
    ad["Memory"] = 1024
    ad["MEMORY"] = 2048
    assert ad["memory"] == 2048
    assert list(ad.keys()) == ["Memory"]
    assert "mEmOrY" in ad and "cpus" not in ad
    assert ad.get("nope") is None and ad.get("nope", 3) == 3
    with pytest.raises(KeyError):
        ad["nope"]
    with pytest.raises(KeyError):
        ad.lookup("nope")
    del ad["memory"]
    assert len(ad) == 0
    assert isinstance(ad, MutableMapping)
    assert ad.setdefault("x", 5) == 5


def test_setting_python_values():
    ad = ClassAd()
    ad["p"] = None
    ad["q"] = {"x": 1}
    ad["r"] = [1, "a", 2.5, None]
    ad["s"] = ExprTree("1 + 2")
    ad["t"] = Value.Error
    assert repr(ad) == '[ p = undefined; q = [ x = 1 ]; r = { 1,"a",2.500000000000000E+00,undefined }; ' \
                       's = 1 + 2; t = error ]'
    with pytest.raises(classad.ClassAdException):
        ad["u"] = object()
    with pytest.raises(TypeError):
        ad[1] = 2


def test_update_items_equality():
    a = ClassAd("[a = 1; b = 2]")
    b = ClassAd("[B = 2; A = 1]")
    assert a == b
    a.update({"c": 3})
    a.update(ClassAd("[d = x + 1]"))
    assert a != b
    assert dict(a.items())["c"] == 3
    assert repr(a["d"]) == "x + 1"
    assert pickle.loads(pickle.dumps(a)) == a


def test_exprtree():
    assert ExprTree("1+2") == ExprTree("1 + 2")
    assert ExprTree("1+2") != ExprTree("2+1")
    assert ExprTree().eval() is Value.Undefined
    assert ExprTree(ExprTree("x")) == ExprTree("x")
    assert repr(ExprTree("1 + 2").simplify()) == "3"
    with pytest.raises(TypeError):
        ExprTree("x").eval({"x": 1})


def test_classad_from_string_must_be_one_ad():
    with pytest.raises(classad.ClassAdException):
        ClassAd("[a = ]")
    with pytest.raises(classad.ClassAdException):
        ClassAd("a = 1")


def test_quote_unquote():
    assert classad.quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert classad.unquote('"a\\"b\\\\c\\nd"') == 'a"b\\c\nd'
    with pytest.raises(ValueError):
        classad.unquote("abc")


def test_flatten_and_references():
    ad = ClassAd("[RequestMemory = 2; x = 1]")
    assert repr(ad.flatten(ExprTree("RequestMemory * 1024 * 1024"))) == "2097152"
    assert repr(ad.flatten(ExprTree("RequestMemory * 1024 + Other"))) == "2048 + Other"
    assert ad.externalRefs(ExprTree("x + y + TARGET.z")) == ["TARGET.z", "y"]
    assert ad.internalRefs(ExprTree("x + y")) == ["x"]


def test_parse_one_merges():
    ad = classad.parseOne("a = 1\nb = 2\n\na = 3\n")
    assert dict(ad.items()) == {"a": 3, "b": 2}


def test_empty_ad_in_a_stream_is_an_error_as_in_classad2():
    with pytest.raises(classad.ClassAdException):
        list(classad.parseAds("\na = 1\n", classad.ParserType.Old))
    # the tools' reader is forgiving
    assert len(classad.parse_ads_strict("\n\na = 1\n\n\nb = 2\n", classad.ParserType.Old)) == 2
