"""condor_version: print the version lines in HTCondor's shape."""

import platform
import sys

from pycondorlite.version import CONDOR_VERSION, RELEASE_DATE, __version__

USAGE = "Usage: condor_version [-arch] [-opsys] [-syscall] [-help]\n"


def version_line():
    return (f"$CondorVersion: {CONDOR_VERSION} {RELEASE_DATE} "
            f"BuildID: pycondorlite PackageID: pycondorlite-{__version__} $")


def platform_line():
    return f"$CondorPlatform: {platform.machine().upper()}-{platform.system()} $"


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    for arg in args:
        if arg in ("-help", "-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if arg == "-arch":
            print(platform.machine().upper())
            return 0
        if arg == "-opsys":
            print(platform.system().upper())
            return 0
        if arg != "-syscall":
            sys.stderr.write(USAGE)
            return 1
    print(version_line())
    print(platform_line())
    return 0
