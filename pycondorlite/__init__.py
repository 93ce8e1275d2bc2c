"""pycondorlite: HTCondor's job-submission toolchain for scheduling cloud instances."""

from pycondorlite.version import __version__, CONDOR_VERSION

__all__ = ["__version__", "CONDOR_VERSION"]
