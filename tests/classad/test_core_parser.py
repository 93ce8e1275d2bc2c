"""The ClassAd lexer and parser: both syntaxes, literals, precedence, errors.
Expected values were checked against classad2 (htcondor 24.12.24)."""

import pytest

from pycondorlite import classad
from pycondorlite.classad import ClassAdSyntaxError, ExprTree, Value


@pytest.fixture(autouse=True)
def _old(semantics_knob):
    semantics_knob(False)


@pytest.mark.parametrize("text,value", [
    ("7 / 2", 3), ("-7 / 2", -3), ("-7 % 2", -1), ("7 % -2", 1),
    ("2 + 3 * 4", 14), ("2 - 3 - 4", -5), ("16 / 4 / 2", 2),
    ("1 < 2 < 3", True), ("1 == 1 == 1", True), ("true ? 1 : 2 + 10", 1),
    ("1e3", 1000.0), (".5", 0.5), ("1.5E-3", 0.0015), ("TRUE", True), ("UnDefined", Value.Undefined),
    ('"abc" "def"', "abcdef"), ('"\\101"', "A"), ('"\\x41"', "x41"), ('"\\400"', " 0"),
    ("9223372036854775807 + 1", -9223372036854775808),
    ("-9223372036854775808 / -1", 9223372036854775807),
    ("x ? : 3", 3), ("[a=1;;b=2].b", 2), ("{10,20,30}[1]", 20),
    ("[a=1;b=[a=5;c=a+1]].b.c", 6), ("[a=1;b=[c=a+1]].b.c", 2),
    ("a /* comment */ + 1", Value.Undefined),
])
def test_literals_and_precedence(text, value):
    got = ExprTree(text).eval()
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["5.", "1 +", "", "f(x)(y)", "{1,2,}", "[;]", '"\\0"',
                                  "1.e5", "ad . . x", "5.TARGET.k"])
def test_syntax_errors(text):
    with pytest.raises(ClassAdSyntaxError):
        ExprTree(text)


def test_error_is_a_classad_exception_with_position():
    with pytest.raises(classad.ClassAdException) as info:
        ExprTree("1 +\n  * 2")
    assert (info.value.line, info.value.column) == (2, 3)
    assert isinstance(info.value, ValueError)


def test_leading_zero_integers_depend_on_semantics(semantics_knob):
    with pytest.raises(ClassAdSyntaxError):
        ExprTree("007")
    semantics_knob(True)
    assert ExprTree("007").eval() == 7
    assert ExprTree("0x1F").eval() == 0
    with pytest.raises(ClassAdSyntaxError):
        ExprTree("09")


def test_negative_literal_folding():
    assert repr(ExprTree("-1")) == "-1"
    assert repr(ExprTree("- 1")) == " -1"
    assert repr(ExprTree("2 -1")) == "2 - 1"
    assert repr(ExprTree("a - -1")) == "a - -1"
    assert repr(ExprTree("-(1)")) == " -(1)"
    ad = classad.ClassAd("[ e2 = -1; e4 = - 1 ]")
    assert ad["e2"] == -1
    assert isinstance(ad["e4"], ExprTree)


def test_exprtree_text_is_read_like_classad2():
    # classad2 parses "[expression = TEXT]": a stray "]" ends the text, and a
    # "//" comment swallows the closing bracket
    assert repr(ExprTree("s[4]]")) == "s[4]"
    with pytest.raises(ClassAdSyntaxError):
        ExprTree("1 // c")
    assert repr(ExprTree("MY..x")) == "MY.x"


OLD_AD = '''Name="provider_combination_1"
MyType="Machine"
Requirements=true
# Stuff needed to match:
hardwareprofile="large"
image="fedora13"
realm="1"
# Backend info to complete this job:
image_key="ami-ac3fc9c5"
'''


def test_old_syntax_file():
    ads = list(classad.parseAds(OLD_AD + "\n" + OLD_AD.replace("_1", "_2"), classad.ParserType.Old))
    assert len(ads) == 2
    assert ads[1]["Name"] == "provider_combination_2"
    assert ads[0]["requirements"] is True
    assert sorted(ads[0].keys()) == sorted(
        ["Name", "MyType", "Requirements", "hardwareprofile", "image", "realm", "image_key"])


def _provider_text(first, count, tag):
    """count old-syntax ads: most lines shared, one unique a ad, and a line
    (new to the reader) shared by every ad of this text."""
    return "\n".join(
        'Name = "p_%d"\nMyType = "Machine"\n# shared\nRequirements = TARGET.x < %d\n'
        'image = "%s"\nMemory = %d\n' % (k, k % 3, tag, 512 * (k % 2 + 1))
        for k in range(first, first + count))


def test_fast_old_reader_agrees_with_the_line_by_line_one(monkeypatch):
    """Whatever the reader's line cache holds -- nothing (a cold text: its
    lines recur within it), or most lines of the text (a few new lines, some
    of them twice) -- the fast reader reads what the general one reads."""
    from pycondorlite.classad import parsing
    from pycondorlite.caches import Cache
    monkeypatch.setattr(parsing, "_line_cache", {True: Cache(1 << 20, keep_first=True),
                                                 False: Cache(1 << 20, keep_first=True)})
    for text in (_provider_text(0, 40, "cold"), _provider_text(100, 40, "cold"),
                 _provider_text(100, 40, "warm")):
        fast = parsing.read_old_ads(text, True)
        general = [(attrs, names) for attrs, names, _ in
                   parsing._iter_old_lines(text, True)]
        assert len(fast) == 40
        assert fast == general


def test_old_syntax_strings_keep_backslashes():
    ad = classad.parseOne('a = "a\\\\b"\nb = "q\\"x"\nc = "x\\n"\n', classad.ParserType.Old)
    assert ad["a"] == "a\\\\b"
    assert ad["b"] == 'q"x'
    assert ad["c"] == "x\\n"


@pytest.mark.parametrize("line,expected", [
    ("x = 1 2", "[ x = 1; pre = 0; post = 9 ]"),
    ("x = 1 +", "[ pre = 0 ]"),
    ("x = a b c", "[ x = a; pre = 0; post = 9 ]"),
    ("x y = 3", "[ pre = 0; 'x y' = 3; post = 9 ]"),
    ("x = 1; junk junk", "[ x = 1; pre = 0; post = 9 ]"),
    ("= 3", "[ pre = 0 ]"),
])
def test_old_syntax_lines_as_libclassad_reads_them(line, expected):
    ads = list(classad.parseAds("pre = 0\n" + line + "\npost = 9\n", classad.ParserType.Old))
    assert len(ads) == 1
    assert dict(ads[0].items()) == dict(classad.ClassAd(expected).items())


def test_old_syntax_bad_line_ends_the_ad_not_the_file():
    text = "a = 1\nb = (\nc = 3\n\nd = 4\n"
    ads = list(classad.parseAds(text, classad.ParserType.Old))
    assert [sorted(ad.keys()) for ad in ads] == [["a"], ["d"]]


def test_strict_reader_names_the_line():
    with pytest.raises(ClassAdSyntaxError) as info:
        classad.parse_ads_strict("a = 1\n\nb = 1\nc = 2 +\n", classad.ParserType.Old)
    assert info.value.line == 4


def test_new_syntax_stream_and_auto_detection():
    text = '[ a = 1; b = "x" ]\n/* c */ [ a = 2 ]\n'
    ads = list(classad.parseAds(text))
    assert [ad["a"] for ad in ads] == [1, 2]
    assert classad.parseNext(text)["b"] == "x"
    assert classad.parseOne(text)["a"] == 2


def test_parse_next_from_file(tmp_path):
    path = tmp_path / "ads"
    path.write_text("a = 1\nb = 2\n\nc = 3\n")
    with open(path) as f:
        first = classad.parseNext(f, classad.ParserType.Old)
        second = classad.parseNext(f, classad.ParserType.Old)
    assert dict(first.items()) == {"a": 1, "b": 2}
    assert dict(second.items()) == {"c": 3}


def test_parse_ads_from_file(tmp_path):
    path = tmp_path / "ads"
    path.write_text(OLD_AD)
    with open(path) as f:
        (ad,) = list(classad.parseAds(f))
    assert ad["image_key"] == "ami-ac3fc9c5"
