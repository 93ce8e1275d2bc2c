"""Version strings.

pycondorlite has its own package version; the HTCondor version it emulates is
what `condor_version` reports first and what `version` in submit/config `if`
conditions compares against, so existing files that test for a Condor version
keep working.
"""

__version__ = "0.1.0"

# The HTCondor release whose behaviour and output we match.
CONDOR_VERSION = "24.12.24"
RELEASE_DATE = "2026-11-23"


def version_line():
    """The first line `condor_version` prints (and every tool's -version)."""
    return (f"$CondorVersion: {CONDOR_VERSION} {RELEASE_DATE} "
            f"BuildID: pycondorlite PackageID: pycondorlite-{__version__} $")


def platform_line():
    import platform
    return f"$CondorPlatform: {platform.machine().upper()}-{platform.system()} $"
