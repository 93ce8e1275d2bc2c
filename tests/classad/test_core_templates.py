"""Parsing by template (expressions that differ only in their literals share
a parse tree and a compiled closure) must give what parsing the text gives."""

import pytest
from hypothesis import given, settings, strategies as st

from pycondorlite.classad import ClassAd, ExprTree, grammar, nodes, parsing, printer
from pycondorlite.classad.compiler import Env, run_node

SHAPES = [
    "(TARGET.ImageSize =?= undefined || TARGET.ImageSize < {n}) && MY.Memory >= {m}",
    'stringListMember(image, "{s}") && TARGET.JobPrio >= {n}',
    "TARGET.JobPrio * {r} + Price",
    '{{ {n}, "{s}", {r} }}[1]',
    '[ a = {n}; b = "{s}" ].b',
    'x == "{s}" ? {n} : {r}',
    "ifThenElse(Memory > {n}, {r}, {m})",
]

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz,_ 0123456789", max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHAPES), st.integers(0, 10 ** 12), st.integers(0, 99),
       st.floats(0, 1e6, allow_nan=False).map(lambda f: round(f, 3)), words)
def test_template_parse_equals_direct_parse(shape, n, m, r, s):
    text = shape.format(n=n, m=m, r=repr(float(r)), s=s)
    templated = parsing.parse_expr(text, True, True)
    direct = grammar.parse(text, True, True)
    assert templated == direct
    assert printer.unparse(templated) == printer.unparse(direct)
    assert printer.pretty(templated) == printer.pretty(direct)
    ad = ClassAd({"Memory": 1024, "image": "rhel6", "Price": 1.5, "x": s})
    target = ClassAd({"ImageSize": 5000, "JobPrio": 3})
    results = []
    for tree in (templated, direct, templated, templated, templated, templated):
        env = Env(ad, target, True)
        results.append(run_node(tree, env))     # the 4th+ use the hot closure
    first = results[0]
    for v in results[1:]:
        assert v == first or (v != v and first != first)


def test_same_shape_shares_the_template():
    a = parsing.parse_expr("TARGET.x < 123456 && y == \"abc\"", True, True)
    b = parsing.parse_expr("TARGET.x < 654321 && y == \"xyz\"", True, True)
    assert isinstance(a, nodes.Instance) and isinstance(b, nodes.Instance)
    assert a.template is b.template
    assert a.consts == (123456, "abc") and b.consts == (654321, "xyz")
    assert repr(ExprTree._wrap(b)) == 'TARGET.x < 654321 && y == "xyz"'


@pytest.mark.parametrize("text", ['"a" "b"', "x - -1", '"a\\"b" + 1', "007", "1e3 + 2",
                                  "x[1] + 2.5", "'odd' + 3", "/* 1 */ 2"])
def test_what_templates_leave_alone(text):
    try:
        direct = grammar.parse(text, False, False)
    except Exception:
        direct = None
    try:
        templated = parsing.parse_expr(text, False, False)
    except Exception:
        templated = None
    assert (direct is None) == (templated is None)
    if direct is not None:
        assert printer.unparse(templated) == printer.unparse(direct)
