"""Helpers for the gridmanager tests: a scratch spool, the simulator, grid jobs."""

import logging
import os
import time

import pytest

from pycondorlite import jobactions, users
from pycondorlite.deltacloud.simulator import Simulator
from pycondorlite.spool import Spool

USER, PASSWORD = "mockuser", "mockpassword"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("_CONDOR_SPOOL", str(tmp_path / "spool"))
    monkeypatch.setenv("_CONDOR_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("_CONDOR_GRIDMANAGER_JOB_PROBE_INTERVAL", "0.3")
    os.makedirs(tmp_path / "log", exist_ok=True)
    return tmp_path


@pytest.fixture
def spool(env):
    sp = Spool.open(str(env / "spool"))
    yield sp
    sp.close()


@pytest.fixture
def schedlog(env):
    """A logger writing to <LOG>/SchedLog, as the schedd's."""
    path = env / "log" / "SchedLog"
    logger = logging.getLogger(f"test-gridmanager-{id(env)}")
    logger.setLevel(logging.DEBUG)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.path = path
    yield logger
    handler.close()
    logger.removeHandler(handler)


@pytest.fixture
def sim():
    s = Simulator(port=0).start()
    yield s
    s.stop()


@pytest.fixture
def gm(spool, schedlog):
    from pycondorlite.gridmanager import GridManager
    g = GridManager(spool, schedlog)
    yield g
    g.shutdown()


def q(s):
    return '"' + s.replace('"', '\\"') + '"'


def submit(spool, url, count=1, *, user=USER, password=PASSWORD, password_file=None,
           matched=True, image="img1", hwp="m1-large", keyname="test-key", realm=None,
           log=None, extra=None):
    """Put `count` grid jobs in the queue as condor_submit + the negotiator leave them.

    matched=True: the reference example's $$() form, already matched (MATCH_EXP_*).
    matched=False: plain `grid_resource = deltacloud <url>` with literal values.
    """
    cid = spool.reserve_cluster_id()
    ad = {"MyType": '"Job"', "TargetType": '"Machine"', "JobUniverse": "9",
          "Cmd": '"job_name"', "Iwd": q(str(log.parent)) if log else '"/tmp"',
          "JobStatus": "1", "JobNotification": "0", "QDate": str(int(time.time())),
          "Requirements": 'hardwareprofile == "large" && image == "fedora13"'}
    values = {"GridResource": "deltacloud " + url, "DeltacloudUsername": user,
              "DeltacloudImageId": image, "DeltacloudHardwareProfile": hwp,
              "DeltacloudKeyname": keyname}
    if realm:
        values["DeltacloudRealmId"] = realm
    if password is not None:
        values["DeltacloudPassword"] = password
    if password_file is not None:
        ad["DeltacloudPasswordFile"] = q(str(password_file))
    macro = {"GridResource": "deltacloud $$(provider_url)", "DeltacloudUsername": "$$(username)",
             "DeltacloudPassword": "$$(password)", "DeltacloudImageId": "$$(image_key)",
             "DeltacloudHardwareProfile": "$$(hardwareprofile_key)",
             "DeltacloudKeyname": "$$(keypair)", "DeltacloudRealmId": "$$(realm_key)"}
    for name, value in values.items():
        if matched:
            ad[name] = q(macro[name])
            ad["MATCH_EXP_" + name] = q(value)
        else:
            ad[name] = q(value)
    if matched:
        ad.update({"Matched": "true", "CurrentHosts": "1", "NumJobMatches": "1",
                   "MATCH_provider_url": q(url)})
    if log:
        ad["UserLog"] = q(str(log))
    if extra:
        ad.update(extra)
    spool.submit(cid, ad, [{"ProcId": str(p)} for p in range(count)])
    return cid


def drive(gm, cond, timeout=20.0, what="condition"):
    """Poll the gridmanager as the schedd would until cond() holds."""
    deadline = time.monotonic() + timeout
    while True:
        t = gm.poll()
        if cond():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; gridmanager: {gm.stats()}")
        time.sleep(min(max(t, 0.005), 0.05))


def status(spool, cid, pid=0):
    j = spool.job(cid, pid)
    return None if j is None else j.status


def attr(spool, cid, name, pid=0):
    j = spool.job(cid, pid)
    return None if j is None else j.literal(name)


def in_history(spool, cid, pid=0):
    return any(True for _ in spool.history("cluster_id = ? AND proc_id = ?", (cid, pid)))


def history_ad(spool, cid, pid=0):
    for _, _, ad in spool.history("cluster_id = ? AND proc_id = ?", (cid, pid)):
        return ad
    return None


def live(sim, name=None):
    """The simulator's live instances created through the API (optionally by name)."""
    out = [i for i in sim.instances() if i.get("serial") is not None]
    if name is not None:
        out = [i for i in out if i.get("name") == name]
    return out


def remove(spool, cids):
    """condor_rm of whole clusters, through the real job actions."""
    ids = spool.job_ids("cluster_id IN (%s)" % ",".join("?" * len(cids)), tuple(cids))
    out = jobactions.act(spool, jobactions.REMOVE, ids=ids)
    assert all(r == jobactions.SUCCESS for r in out.results.values()), out.results


def hold(spool, cid, pid=0):
    out = jobactions.act(spool, jobactions.HOLD, ids=[(cid, pid)])
    assert out.results[(cid, pid)] == jobactions.SUCCESS


def release(spool, cid, pid=0):
    out = jobactions.act(spool, jobactions.RELEASE, ids=[(cid, pid)])
    assert out.results[(cid, pid)] == jobactions.SUCCESS


def generated_name(spool, cid, pid=0, launch=1):
    """The instance name the gridmanager makes for a job's n-th launch."""
    return f"pcl-{spool.spool_id}-{cid}-{pid}-{launch}"


def events(text):
    """The event numbers in a user log's text, without the submit events (000)
    that condor_submit/the spool write before the gridmanager sees the job."""
    return [line[:3] for line in text.splitlines()
            if line[:3].isdigit() and line[3:4] == " " and line[:3] != "000"]


class Helpers:
    """The helpers above, as a fixture (test modules cannot import conftest)."""
    USER, PASSWORD = USER, PASSWORD
    submit = staticmethod(submit)
    drive = staticmethod(drive)
    status = staticmethod(status)
    attr = staticmethod(attr)
    in_history = staticmethod(in_history)
    history_ad = staticmethod(history_ad)
    live = staticmethod(live)
    remove = staticmethod(remove)
    hold = staticmethod(hold)
    release = staticmethod(release)
    generated_name = staticmethod(generated_name)
    ME = users.current_user()
    q = staticmethod(q)
    events = staticmethod(events)


@pytest.fixture
def h():
    return Helpers
