"""condor_reschedule: ask the schedd to negotiate now.

    condor_reschedule [-name schedd] [-pool host] [-all]
"""

import sys

from pycondorlite import daemoncmd
from pycondorlite.cmdline import Parser

PROG = "condor_reschedule"
PARSER = Parser(PROG, daemoncmd.TARGET_OPTIONS, daemoncmd.usage(PROG, "reschedule"),
                unknown="ERROR: unknown argument {arg}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv

    def body(hits):
        daemoncmd.read_targets(hits, PROG)
        return daemoncmd.reschedule()
    return PARSER.run(args, body)


if __name__ == "__main__":
    sys.exit(main())
