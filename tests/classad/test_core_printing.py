"""Printing: new syntax, old syntax, the indented str(), JSON, round trips.
Expected texts were produced by classad2 (htcondor 24.12.24)."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from pycondorlite.classad import ClassAd, ExprTree, unparse_value
from pycondorlite.classad.printer import format_real_old

AD = ('[a = 1; b = a + 1; c = "x\\ny"; d = 2.5; e = {1,2}; f = [x=1]; g = undefined; '
      'h = true; i = -1; j = 1e10; k = real("INF"); l = 0.1 + 0.2; m = 1E-5]')


def test_repr():
    assert repr(ClassAd(AD)) == (
        '[ a = 1; b = a + 1; c = "x\\ny"; d = 2.500000000000000E+00; e = { 1,2 }; f = [ x = 1 ]; '
        'g = undefined; h = true; i = -1; j = 1.000000000000000E+10; k = real("INF"); '
        'l = 1.000000000000000E-01 + 2.000000000000000E-01; m = 1.000000000000000E-05 ]')
    assert repr(ClassAd()) == "[  ]"


def test_print_old():
    assert ClassAd(AD).printOld() == (
        'a = 1\nb = a + 1\nc = "x\ny"\nd = 2.5\ne = { 1,2 }\nf = [ x = 1 ]\ng = undefined\n'
        'h = true\ni = -1\nj = 10000000000.0\nk = real("INF")\nl = 0.1 + 0.2\nm = 1E-05\n')
    assert ClassAd().printOld() == "\n"


def test_print_json():
    assert ClassAd(AD).printJson() == (
        '{\n  "a": 1,\n  "b": "\\/Expr(a + 1)\\/",\n  "c": "x\\ny",\n  "d": 2.5,\n  "e": [\n    1,\n'
        '    2\n  ],\n  "f": {\n    "x": 1\n  },\n  "g": null,\n  "h": true,\n  "i": -1,\n'
        '  "j": 10000000000.0,\n  "k": "\\/Expr(real(\\"INF\\"))\\/",\n'
        '  "l": "\\/Expr(1.000000000000000E-01 + 2.000000000000000E-01)\\/",\n  "m": 1E-05\n}')
    assert ClassAd().printJson() == "{\n}"


def test_str_is_indented():
    assert str(ClassAd("[a = 1; e = {1,2}; f = [x=1]]")) == (
        "\n    [\n        a = 1; \n        e = \n           {\n              1,\n              2\n"
        "           }; \n        f = \n            [\n                x = 1\n            ]\n    ]")
    assert str(ExprTree("size({1,2})")) == "size(\n   {\n      1,\n      2\n   })"
    assert str(ClassAd()) == "\n    [\n    ]"


def test_attributes_print_by_length_then_name():
    assert repr(ClassAd("[t = 1; m = 2; l = 3; c = 4; rq = 5]")) == \
        "[ c = 4; l = 3; m = 2; t = 1; rq = 5 ]"
    assert list(ClassAd("[memory = 1; l = 2; Bar = 3; e1 = 4]")) == ["l", "e1", "Bar", "memory"]


@pytest.mark.parametrize("text,printed", [
    ("a + -b * !c", "a +  -b *  !c"), ("x =?= y && z is w", "x is y && z is w"), ("x=!=y", "x isnt y"),
    ("(1+2)*3", "(1 + 2) * 3"), ("f( 1 , 2 )", "f(1,2)"), ("TARGET.x", "TARGET.x"), (".x", ".x"),
    ("'a b'", "'a b'"), ("'true'", "'true'"), ("'parent'.a", "'parent'.a"), ("x.'true'", "x.true"),
    ("x ? y : z", "x ? y : z"), ("x ?: z", "x ?: z"), ("{ }", "{  }"), ("[ ]", "[  ]"),
    ('"a\\tb"', '"a\\tb"'), ('"\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\\'\\?\\001\\177 é"',
                             '"\\a\\b\\f\\n\\r\\t\\v\\\\\\"\'?\\001\\177 \\303\\251"'),
    ("1e300", "1.000000000000000E+300"), ("0.0", "0.0"), ("-0.0", "-0.0"),
])
def test_unparse(text, printed):
    assert repr(ExprTree(text)) == printed


@pytest.mark.parametrize("value,text", [
    (2.5, "2.500000000000000E+00"), ([1, 2], "{ 1,2 }"), ([], "{  }"), (True, "true"),
    (float("nan"), 'real("NaN")'), (float("-inf"), 'real("-INF")'), ("a\"b", '"a\\"b"'),
    (1e-5, "1.000000000000000E-05"), (123456789012.0, "1.234567890120000E+11"),
])
def test_unparse_value(value, text):
    assert unparse_value(value) == text


def test_unparse_value_of_ads_and_lists():
    assert unparse_value(ClassAd("[b = {1,2}; a = 1]")) == "[ a = 1; b = { 1,2 } ]"
    assert ExprTree('string({1,"a",2.5,[a=1;b="x"],{}, []})').eval() == \
        '{ 1,"a",2.500000000000000E+00,[ a = 1; b = "x" ],{  },[  ] }'


@pytest.mark.parametrize("value,text", [
    (2.5, "2.5"), (3.0, "3.0"), (1000.0, "1000.0"), (0.1 + 0.2, "0.3"), (1 / 3, "0.3333333333333333"),
    (1e-5, "1E-05"), (1e20, "1E+20"), (1.234567890123457e18, "1.234567890123457E+18"),
])
def test_old_reals(value, text):
    assert format_real_old(value) == text


ROUND_TRIP = [
    "a + -b * !c", "x =?= y && z is w", "(1 + 2) * 3", "{ 1,{ 2,3 },[ a = 1; b = { } ] }[1]",
    "TARGET.x >= MY.y || .z", "f(1, g(2), h())", 'strcat("a\\"b", "\\n")', "x ? y : z ?: w",
    "-1 - -2 - x", "a.b.c[0].d", "'odd name' + 'parent'", "1e-300 * 2.5e10", "~5 >>> 2 << 1",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    tree = ExprTree(text)
    assert ExprTree(repr(tree)) == tree
    assert ExprTree(str(tree)) == tree


def test_old_round_trip():
    from pycondorlite.classad import parseOne, ParserType
    ad = ClassAd(AD)
    again = parseOne(ad.printOld().replace('"x\ny"', '"xy"'), ParserType.Old)
    assert again.lookup("b") == ad.lookup("b")
    assert again["j"] == 1e10 and again["m"] == 1e-5


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e307, max_value=1e307))
def test_reals_round_trip(x):
    # %.15E keeps 16 significant digits, as HTCondor's printer does
    printed = unparse_value(x)
    back = ExprTree(printed).eval()
    assert back == x or math.isclose(back, x, rel_tol=1e-15)
    assert math.isclose(float(format_real_old(x)), x, rel_tol=1e-15)
