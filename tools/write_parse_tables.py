#!/usr/bin/env python3
"""Write the PLY parse tables of the two grammars into the package (`make tables`).

The grammars (the p_* rules of pycondorlite/classad/grammar.py and
pycondorlite/submit/reader.py) stay the definition of the languages: PLY
checks a table module's signature against the rules at import and builds
the tables afresh when they differ, so a stale table only costs the ~40 ms
of building them at every command's start. tests/test_parse_tables.py
fails until this script is run after a change of either grammar.
"""

import os
import sys

import ply.yacc as yacc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pycondorlite.classad import grammar  # noqa: E402
from pycondorlite.submit import reader  # noqa: E402


def main():
    for mod in (grammar, reader):
        name = mod.TABLES.rsplit(".", 1)[1]
        yacc.yacc(module=mod, tabmodule=name, outputdir=os.path.dirname(mod.__file__),
                  write_tables=True, debug=False, errorlog=yacc.NullLogger())
        print("wrote", mod.TABLES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
