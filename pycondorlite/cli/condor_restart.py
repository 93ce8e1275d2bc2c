"""condor_restart: stop the schedd of this spool cleanly and start it again.

    condor_restart [-graceful|-fast|-peaceful] [-master|-schedd|-daemon schedd|-all]
"""

import sys

from pycondorlite import daemoncmd
from pycondorlite.cmdline import Parser

PROG = "condor_restart"
PARSER = Parser(PROG, daemoncmd.TARGET_OPTIONS, daemoncmd.usage(
    PROG, "restart",
    "    -graceful           gracefully restart daemons (the default)\n"
    "    -fast               quickly restart daemons\n"
    "    -peaceful           restart daemons after jobs finish\n"),
    unknown="ERROR: unknown argument {arg}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, lambda hits: daemoncmd.restart(daemoncmd.read_targets(hits, PROG)))


if __name__ == "__main__":
    sys.exit(main())
