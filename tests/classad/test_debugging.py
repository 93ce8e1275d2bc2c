"""lastError() and debug(): what the library records.

libclassad keeps the last error message (CondorErrMsg, which classad2's
lastError() returns), and debug(expr) traces each attribute reference,
function call, list and ad evaluated in expr, then expr itself, in the
words of libclassad's ExprTree::debug_format_value, to the debug log
(here the logger pycondorlite.classad). The 24.12 oracle's lastError()
returns "" whatever happens and its trace goes to HTCondor's own debug log,
so these are checked against libclassad's source, not against classad2."""

import logging
import re

import pytest

from pycondorlite import classad
from pycondorlite.classad import ClassAd, ExprTree, Value


@pytest.fixture
def trace(caplog):
    caplog.set_level(logging.DEBUG, logger="pycondorlite.classad")

    def lines():
        return [re.sub(r"\[[0-9.]+ms\] ", "", r.getMessage())
                for r in caplog.records if r.name == "pycondorlite.classad"]
    return lines


def test_a_text_that_does_not_parse_is_the_last_error():
    with pytest.raises(classad.ClassAdException) as info:
        ExprTree("1 +")
    assert classad.lastError() == str(info.value)
    assert "unexpected end of input" in classad.lastError()
    with pytest.raises(classad.ClassAdException):
        ClassAd("[a = ]")
    assert "Unable to parse" in classad.lastError()


def test_an_evaluation_that_cannot_complete_is_the_last_error():
    ad = ClassAd("[loop = loop + 1]")
    with pytest.raises(classad.ClassAdException):
        ad.eval("loop")
    assert classad.lastError() == "failed to evaluate expression"


def test_debug_traces_references_calls_and_the_whole(trace):
    ad = ClassAd("[x = 5; y = x * 2]")
    assert ExprTree("debug(x + y)").eval(ad) == 15
    assert trace() == ["Classad debug: x --> 5", "Classad debug: y --> 10",
                       "Classad debug: x + y --> 15"]


def test_debug_writes_each_kind_of_value(trace):
    got = ExprTree('debug(strcat(nosuch(1), z))').eval()
    assert got is Value.Error
    lines = trace()
    assert lines[:2] == ["Classad debug: nosuch(1) --> ERROR (function is not defined)",
                         "Classad debug: z --> UNDEFINED"]
    # an error says the last error, if there was one (libclassad's CondorErrMsg)
    last = " (%s)" % classad.lastError() if classad.lastError() else ""
    assert lines[2:] == ["Classad debug: strcat(nosuch(1),z) --> ERROR" + last] * 2
    ExprTree('debug(size("abc") > 1 && isReal(real(2)))').eval()
    ExprTree('debug(relTime(3))').eval()
    ExprTree('debug(string(1.5))').eval()
    lines = trace()[4:]
    assert lines[:3] == ['Classad debug: size("abc") --> 3', "Classad debug: real(2) --> 2",
                         "Classad debug: isReal(real(2)) --> TRUE"]
    assert 'Classad debug: size("abc") > 1 && isReal(real(2)) --> TRUE' in lines
    assert "Classad debug: relTime(3) --> RELATIVE TIME" in lines
    assert 'Classad debug: string(1.500000000000000E+00) --> 1.500000000000000E+00' in lines


def test_debug_is_its_argument_and_checks_its_arity(trace):
    assert ExprTree("debug(1 + 2)").eval() == 3       # operators and literals: no trace
    assert trace() == ["Classad debug: 1 + 2 --> 3"]
    assert ExprTree("debug(1, 2)").eval() is Value.Error
    assert ExprTree("debug()").eval() is Value.Error


def test_debug_leaves_the_shared_compiled_expression_untraced(trace):
    ad = ClassAd("[x = 5]")
    plain = ExprTree("x + 1")
    assert plain.eval(ad) == 6
    assert ExprTree("debug(x + 1)").eval(ad) == 6
    n = len(trace())
    assert plain.eval(ad) == 6
    assert len(trace()) == n
