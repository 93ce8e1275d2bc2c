"""condor_off: stop the daemons of this spool cleanly.

    condor_off [-graceful|-fast|-peaceful] [-master|-schedd|-daemon schedd|-all]

Sends the schedd SIGTERM (it finishes its current step, stops the
gridmanager and exits) and waits for it to be gone. Messages are HTCondor's.
"""

import sys

from pycondorlite import daemoncmd
from pycondorlite.cmdline import Parser

PROG = "condor_off"
PARSER = Parser(PROG, daemoncmd.TARGET_OPTIONS, daemoncmd.usage(
    PROG, "shut down",
    "    -graceful           gracefully shutdown daemons (the default)\n"
    "    -fast               quickly shutdown daemons\n"
    "    -peaceful           shutdown daemons after jobs finish\n"),
    unknown="ERROR: unknown argument {arg}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, lambda hits: daemoncmd.off(daemoncmd.read_targets(hits, PROG)))


if __name__ == "__main__":
    sys.exit(main())
