"""The htcondor2 Python API over pycondorlite's spool and collector.

Code written against htcondor2 runs with

    import pycondorlite.htcondor as htcondor2

Schedd (submit, query, act, edit, history), Submit (condor_submit's own
code), Collector (advertise, query, locate), JobEventLog, the enumerations,
param and the exceptions. The differences from the real module are listed
in the README of tests/htcondor.
"""

from pycondorlite import classad
from pycondorlite.htcondor._collector import Collector
from pycondorlite.htcondor._enums import (AdType, DaemonType, JobAction, JobEventType, JobStatus,
                                          QueryOpt, SubmitMethod, TransactionFlag)
from pycondorlite.htcondor._errors import (HTCondorEnumError, HTCondorException, HTCondorInternalError,
                                           HTCondorIOError, HTCondorLocateError, HTCondorReplyError,
                                           HTCondorTypeError, HTCondorValueError)
from pycondorlite.htcondor._event_log import JobEvent, JobEventLog
from pycondorlite.htcondor._param import param, reload_config
from pycondorlite.htcondor._schedd import Schedd, SubmitResult
from pycondorlite.htcondor._submit import Submit
from pycondorlite.version import platform_line, version_line

# htcondor (version 1) names that htcondor2 keeps as aliases
AdTypes = AdType
DaemonTypes = DaemonType
QueryOpts = QueryOpt
TransactionFlags = TransactionFlag


def version():
    """HTCondor's version string, as htcondor2.version() returns it."""
    return version_line()


def platform():
    return platform_line()


def enable_debug(flags=None):
    """Debug output goes nowhere: there is no daemon log for the API."""


def disable_debug():
    pass


__all__ = ["classad", "Collector", "Schedd", "Submit", "SubmitResult", "JobEventLog", "JobEvent",
           "JobAction", "JobStatus", "JobEventType", "AdType", "AdTypes", "DaemonType",
           "DaemonTypes", "QueryOpt", "QueryOpts", "TransactionFlag", "TransactionFlags",
           "SubmitMethod", "param", "reload_config", "version", "platform", "enable_debug",
           "disable_debug", "HTCondorException", "HTCondorIOError", "HTCondorValueError",
           "HTCondorTypeError", "HTCondorEnumError", "HTCondorLocateError",
           "HTCondorReplyError", "HTCondorInternalError"]
