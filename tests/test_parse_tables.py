"""The committed PLY tables are the grammars' own: PLY would quietly build
them afresh at every start otherwise (tools/write_parse_tables.py, `make tables`)."""

import importlib

import ply.yacc as yacc
import pytest

from pycondorlite.classad import grammar
from pycondorlite.submit import reader


@pytest.mark.parametrize("mod", [grammar, reader], ids=["classad", "submit"])
def test_tables_match_the_grammar(mod):
    pinfo = yacc.ParserReflect(vars(mod), log=yacc.NullLogger())
    pinfo.get_all()
    tables = importlib.import_module(mod.TABLES)
    assert tables._lr_signature == pinfo.signature(), \
        f"{mod.TABLES} is stale: run `make tables`"


@pytest.mark.parametrize("mod", [grammar, reader], ids=["classad", "submit"])
def test_parser_uses_the_tables(mod):
    tables = importlib.import_module(mod.TABLES)
    # the parser built at import holds the table module's actions, not fresh ones
    assert mod._parser.action is tables._lr_action
