"""Shared helpers for the schedd / collector / negotiator tests.

Every test gets its own spool and log directory through the environment
(_CONDOR_SPOOL, _CONDOR_LOG), as HTCondor tools read knobs; commands run
from the checkout's .venv/bin.
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT.parent / "shared" / "examples"
if not EXAMPLES.is_dir():
    EXAMPLES = Path("/work/shared/examples")
EXAMPLE_AD = EXAMPLES / "provider_combination_1.ad"
EXAMPLE_SUB = EXAMPLES / "deltacloud_job.sub"
BIN = ROOT / ".venv" / "bin"


@pytest.fixture
def condor_env(tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    log = tmp_path / "log"
    monkeypatch.setenv("_CONDOR_SPOOL", str(spool))
    monkeypatch.setenv("_CONDOR_LOG", str(log))
    monkeypatch.setenv("_CONDOR_SCHEDD_RUN_GRIDMANAGER", "false")
    monkeypatch.setenv("_CONDOR_NEGOTIATOR_INTERVAL", "60")
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def spool(condor_env):
    from pycondorlite.spool import Spool
    sp = Spool.open(str(condor_env / "spool"))
    yield sp
    sp.close()


def run(*cmd, input=None, timeout=60, check=False):
    p = subprocess.run([str(c) for c in cmd], input=input, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stdout}{p.stderr}")
    return p


def advertise(ads_text, multiple=True):
    args = ["condor_advertise"] + (["-multiple"] if multiple else []) + ["UPDATE_STARTD_AD", "-"]
    return run(*args, input=ads_text, check=True)


def provider_ad(name, image_key="ami-ac3fc9c5", extra=""):
    """The reference example ad with another Name / image_key."""
    text = EXAMPLE_AD.read_text()
    text = text.replace('"provider_combination_1"', f'"{name}"')
    text = text.replace('"ami-ac3fc9c5"', f'"{image_key}"')
    return text.rstrip("\n") + "\n" + extra


def submit_file(path, text):
    Path(path).write_text(text)
    return run("condor_submit", path, check=True)


GRID_JOB = {
    "JobUniverse": "9", "Cmd": '"job_name"', "GridResource": '"deltacloud $$(provider_url)"',
    "DeltacloudUsername": '"$$(username)"', "DeltacloudPassword": '"$$(password)"',
    "DeltacloudImageId": '"$$(image_key)"',
    "DeltacloudHardwareProfile": '"$$(hardwareprofile_key)"',
    "DeltacloudKeyname": '"$$(keypair)"', "Matched": "false", "CurrentHosts": "0",
    "MaxHosts": "1", "WantClaiming": "false",
    "Requirements": '(hardwareprofile == "large" && image == "fedora13")',
}


def submit_ads(sp, attrs=None, count=1, procs=None):
    """Store a cluster directly through the spool API (fast, no condor_submit)."""
    ad = dict(GRID_JOB)
    ad.update(attrs or {})
    cid = sp.reserve_cluster_id()
    procs = procs or [{} for _ in range(count)]
    sp.submit(cid, ad, [dict(p, ProcId=str(i)) for i, p in enumerate(procs)])
    return cid


class Helpers:
    EXAMPLE_AD = EXAMPLE_AD
    EXAMPLE_SUB = EXAMPLE_SUB
    GRID_JOB = GRID_JOB
    run = staticmethod(run)
    advertise = staticmethod(advertise)
    provider_ad = staticmethod(provider_ad)
    submit_file = staticmethod(submit_file)
    submit_ads = staticmethod(submit_ads)


@pytest.fixture
def h():
    """The helpers above (tests cannot import conftest under importlib mode)."""
    return Helpers
