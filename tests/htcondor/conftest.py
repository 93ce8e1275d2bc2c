"""The htcondor2 user-code suite: the same test code runs against
pycondorlite.htcondor (always) and, for the parts that need no daemon
(Submit, JobEventLog, param), against the real htcondor2 wheel too, so the
expectations are HTCondor's."""

import importlib
import os

import pytest


def _module(name):
    if name == "ours":
        return importlib.import_module("pycondorlite.htcondor")
    os.environ.setdefault("CONDOR_CONFIG", "/dev/null")
    return importlib.import_module("htcondor2")


@pytest.fixture(params=["ours", "wheel"])
def htcondor2(request):
    """Offline parts: ours and the real wheel."""
    return _module(request.param)


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Ours against a live scratch spool (the wheel would need a schedd)."""
    monkeypatch.setenv("_CONDOR_SPOOL", str(tmp_path / "spool"))
    monkeypatch.setenv("CONDOR_CONFIG", "/dev/null")
    monkeypatch.chdir(tmp_path)
    return _module("ours")
