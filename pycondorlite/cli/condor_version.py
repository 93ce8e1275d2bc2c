"""condor_version: print the version lines in HTCondor's shape."""

import platform
import sys

from pycondorlite.cmdline import Opt, Parser, print_version

USAGE = "Usage: condor_version [-arch] [-opsys] [-syscall] [-help]\n"
PARSER = Parser("condor_version", [Opt("help", 1), Opt("arch", -1), Opt("opsys", -1),
                                   Opt("syscall", -1)], USAGE, unknown="", version=None)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, _body)


def _body(hits):
    for h in hits:
        if h.key == "arch":
            print(platform.machine().upper())
            return 0
        if h.key == "opsys":
            print(platform.system().upper())
            return 0
        if h.key is None:
            sys.stderr.write(USAGE)
            return 1
    print_version()
    return 0


if __name__ == "__main__":
    sys.exit(main())
