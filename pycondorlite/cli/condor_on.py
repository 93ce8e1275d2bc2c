"""condor_on: start the daemons of this spool (the schedd), as a master would.

    condor_on [-master|-schedd|-daemon schedd|-all]
"""

import sys

from pycondorlite import daemoncmd
from pycondorlite.cmdline import Parser

PROG = "condor_on"
PARSER = Parser(PROG, daemoncmd.TARGET_OPTIONS, daemoncmd.usage(PROG, "start"),
                unknown="ERROR: unknown argument {arg}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, lambda hits: daemoncmd.on(daemoncmd.read_targets(hits, PROG)))


if __name__ == "__main__":
    sys.exit(main())
