"""The ec2 grid type's gridmanager against the embedded EC2 (moto on loopback),
through the fault proxy where a test needs faults or request counts.

Every check on instances is made on the EC2 API's own list (EmbeddedEC2.instances)."""

import time

import pytest

from pycondorlite import jobactions
from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.faultproxy import FaultProxy
from pycondorlite.gridmanager import GridManager
from pycondorlite.gridmanager.ec2 import TOKEN_TAG

AMI = "ami-ac3fc9c5"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def cloud():
    with EmbeddedEC2(regions=(REGION, "eu-west-1"), auth=True) as e:
        e.seed_image(REGION, AMI, name="fedora13")
        e.seed_key_pair(REGION, "mykeypair")
        e.sg = e.seed_security_group(REGION, "condor-sg")
        yield e


@pytest.fixture
def proxy(cloud):
    with FaultProxy(cloud.port, seed=11) as p:
        yield p


@pytest.fixture
def keys(tmp_path, cloud):
    ak, sk = tmp_path / "access_key", tmp_path / "secret_key"
    ak.write_text(cloud.credentials.access_key_id + "\n")
    sk.write_text(cloud.credentials.secret_key + "\n")
    return ak, sk


def ec2_submit(h, spool, url, keys, count=1, log=None, **attrs):
    """An ordinary EC2 job as condor_submit writes it (EC2* attributes)."""
    cid = spool.reserve_cluster_id()
    ak, sk = keys
    ad = {"MyType": '"Job"', "TargetType": '"Machine"', "JobUniverse": "9",
          "Cmd": '"ec2_job"', "Iwd": h.q(str(ak.parent)), "JobStatus": "1",
          "QDate": str(int(time.time())), "Requirements": "true",
          "GridResource": h.q("ec2 " + url), "EC2AccessKeyId": h.q(str(ak)),
          "EC2SecretAccessKey": h.q(str(sk)), "EC2AmiID": h.q(AMI),
          "EC2InstanceType": '"m1.large"', "EC2TagName": '"ec2_job"'}
    if log:
        ad["UserLog"] = h.q(str(log))
    ad.update({k: h.q(v) if isinstance(v, str) else str(v) for k, v in attrs.items()
               if v is not None})
    for k in [k for k, v in attrs.items() if v is None]:
        del ad[k]
    spool.submit(cid, ad, [{"ProcId": str(p)} for p in range(count)])
    return cid


def ours(cloud, spool, cid, pid=0):
    """The EC2 API's instances launched for a job (by our token tag)."""
    prefix = f"pcl-{spool.spool_id}-{cid}-{pid}-"
    return [i for i in cloud.instances(REGION) if (i["tags"].get(TOKEN_TAG) or "").startswith(prefix)]


def state(cloud, inst_id):
    for i in cloud.instances():
        if i["id"] == inst_id:
            return i["state"]
    return None


def test_ordinary_ec2_job_runs_and_condor_rm_terminates(h, cloud, spool, gm, keys, env):
    log = env / "job.log"
    ud = env / "user_data"
    ud.write_text(" and more from a file")
    cid = ec2_submit(h, spool, cloud.url(REGION), keys, log=log, EC2KeyPair="mykeypair",
                     EC2SecurityGroups="condor-sg", EC2UserData="hello",
                     EC2UserDataFile=str(ud), EC2TagNames="Project,Owner",
                     EC2TagProject="condor", EC2TagOwner="alice")
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    gid = h.attr(spool, cid, "GridJobId").split()
    token = f"pcl-{spool.spool_id}-{cid}-0-1"
    assert gid[:3] == ["ec2", cloud.url(REGION), token] and len(gid) == 4
    (inst,) = [i for i in cloud.instances(REGION) if i["id"] == gid[3]]
    assert inst["state"] == "running"
    assert (inst["image_id"], inst["instance_type"], inst["key_name"]) == \
        (AMI, "m1.large", "mykeypair")
    assert inst["security_groups"] == ["condor-sg"]
    assert inst["user_data"] == "hello and more from a file"
    assert inst["tags"] == {"Name": "ec2_job", "Project": "condor", "Owner": "alice",
                            TOKEN_TAG: token}
    assert h.attr(spool, cid, "EC2InstanceName") == gid[3]
    assert h.attr(spool, cid, "GridJobStatus") == "running"
    assert h.attr(spool, cid, "EC2RemoteVirtualMachineName")
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert state(cloud, gid[3]) == "terminated"
    had = h.history_ad(spool, cid)
    assert "GridJobId" not in had and had["JobStatus"] == "3"
    assert h.events(log.read_text()) == ["027", "001", "009"]
    assert cloud.credentials.secret_key not in log.read_text()


def test_hold_terminates_release_launches_anew(h, cloud, spool, gm, keys):
    cid = ec2_submit(h, spool, cloud.url(REGION), keys)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    first = h.attr(spool, cid, "EC2InstanceName")
    h.hold(spool, cid)
    h.drive(gm, lambda: h.attr(spool, cid, "Managed") == "Schedd", what="hold handled")
    assert state(cloud, first) == "terminated"
    assert h.attr(spool, cid, "GridJobId") is None
    h.release(spool, cid)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running again")
    second = h.attr(spool, cid, "EC2InstanceName")
    assert second != first and state(cloud, second) == "running"
    assert h.attr(spool, cid, "GridJobId").split()[2].endswith(f"-{cid}-0-2")
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert state(cloud, second) == "terminated"


def test_spot_job(h, cloud, spool, gm, keys):
    cid = ec2_submit(h, spool, cloud.url(REGION), keys, EC2SpotPrice="0.10")
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    inst_id = h.attr(spool, cid, "EC2InstanceName")
    (req,) = [r for r in cloud.spot_requests(REGION) if r["instance_id"] == inst_id]
    assert h.attr(spool, cid, "EC2SpotRequestID") is None     # forgotten once it has its instance
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert state(cloud, inst_id) == "terminated"


def test_uncertain_launch_adopted_by_token_not_launched_again(h, cloud, spool, gm, keys):
    """Killed after RunInstances but before the id was saved: the instance is
    found by its token tag (moto ignores ClientToken) and adopted."""
    cid = spool.reserve_cluster_id() + 1
    token = f"pcl-{spool.spool_id}-{cid}-0-1"
    with cloud.client(REGION) as c:
        inst = c.run_instances({"image_id": AMI, "instance_type": "m1.large"}, token,
                               {TOKEN_TAG: token})
    before = len(cloud.instances(REGION))
    assert ec2_submit(h, spool, cloud.url(REGION), keys,
                      GridJobId=f"ec2 {cloud.url(REGION)} {token}", Managed="External") == cid
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    assert h.attr(spool, cid, "EC2InstanceName") == inst.id
    assert len(cloud.instances(REGION)) == before
    h.remove(spool, [cid])
    h.drive(gm, lambda: h.in_history(spool, cid), what="history")
    assert state(cloud, inst.id) == "terminated"


def test_answer_lost_after_launch_gives_one_instance(h, cloud, proxy, spool, schedlog, keys):
    proxy.add_fault("drop_after", probability=1.0, actions=["RunInstances"], count=1)
    gm = GridManager(spool, schedlog)
    try:
        cid = ec2_submit(h, spool, proxy.url(REGION), keys)
        h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
        mine = ours(cloud, spool, cid)
        assert len(mine) == 1 and proxy.counts()["RunInstances"] == 1
        h.remove(spool, [cid])
        h.drive(gm, lambda: h.in_history(spool, cid), what="history")
        assert state(cloud, mine[0]["id"]) == "terminated"
    finally:
        gm.shutdown()


def test_wrong_secret_key_holds_with_the_clouds_words(h, cloud, spool, gm, keys, env, schedlog):
    ak, sk = keys
    wrong = "wR0ngS3cr3tK3y-do-not-print-" + "x" * 12
    sk.write_text(wrong + "\n")
    log = env / "job.log"
    cid = ec2_submit(h, spool, cloud.url(REGION), keys, log=log)
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason") == ("Failed to authenticate AuthFailure: AWS was not "
                                                "able to validate the provided access credentials.")
    assert h.attr(spool, cid, "HoldReasonCode") == 37
    for path in (log, schedlog.path):
        assert wrong not in path.read_text()
    assert all(wrong not in str(v) for _, v in spool.job(cid, 0).items())
    # Nor in any file but the user's key file: the spool, its WAL, the logs.
    for path in env.rglob("*"):
        if path.is_file() and path != sk:
            assert wrong.encode() not in path.read_bytes(), path


def test_unknown_ami_holds(h, cloud, spool, gm, keys):
    cid = ec2_submit(h, spool, cloud.url(REGION), keys, EC2AmiID="ami-00000bad")
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason").startswith("InvalidAMIID.NotFound:")
    assert (h.attr(spool, cid, "HoldReasonCode"), h.attr(spool, cid, "HoldReasonSubCode")) == (40, 12)


def test_missing_key_file_attribute_holds(h, cloud, spool, gm, keys):
    cid = ec2_submit(h, spool, cloud.url(REGION), keys, EC2SecretAccessKey=None)
    h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
    assert h.attr(spool, cid, "HoldReason") == "Private key file not defined"
    assert (h.attr(spool, cid, "HoldReasonCode"), h.attr(spool, cid, "HoldReasonSubCode")) == (37, 2)


def test_capacity_refusal_is_its_own_hold(h, cloud, proxy, spool, schedlog, keys):
    proxy.refuse_capacity("InsufficientInstanceCapacity", instance_type="m1.large")
    gm = GridManager(spool, schedlog)
    try:
        cid = ec2_submit(h, spool, proxy.url(REGION), keys)
        h.drive(gm, lambda: h.status(spool, cid) == 5, what="held")
        assert h.attr(spool, cid, "HoldReason").startswith("InsufficientInstanceCapacity:")
        assert ours(cloud, spool, cid) == []
    finally:
        gm.shutdown()


def test_provider_stops_instance_job_completes(h, cloud, spool, gm, keys):
    cid = ec2_submit(h, spool, cloud.url(REGION), keys)
    h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
    inst_id = h.attr(spool, cid, "EC2InstanceName")
    cloud.set_instance_state(REGION, inst_id, "stopped")
    h.drive(gm, lambda: h.in_history(spool, cid), what="completed")
    assert h.history_ad(spool, cid)["JobStatus"] == "4"
    assert state(cloud, inst_id) == "terminated"


def test_one_describe_per_probe_cycle_for_many_jobs(h, cloud, proxy, spool, schedlog, keys):
    gm = GridManager(spool, schedlog)
    try:
        n = 30
        cid = ec2_submit(h, spool, proxy.url(REGION), keys, count=n)
        h.drive(gm, lambda: all(h.status(spool, cid, p) == 2 for p in range(n)), what="Running")
        proxy.reset_counts()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.0:
            time.sleep(min(gm.poll(), 0.05))
        elapsed = time.monotonic() - t0
        counts = proxy.counts()
        interval = gm.probe_interval_for("ec2")
        assert 1 <= counts.get("DescribeInstances", 0) <= elapsed / interval + 1
        # Nothing but the batched list while nothing changes.
        assert set(counts) == {"DescribeInstances"}
        jobactions.act(spool, jobactions.REMOVE, ids=[(cid, p) for p in range(n)])
        h.drive(gm, lambda: all(h.in_history(spool, cid, p) for p in range(n)), what="history")
        # The terminates of one poll go out together, not one request per job.
        assert 1 <= proxy.counts()["TerminateInstances"] <= 3
        assert [i for p in range(n) for i in ours(cloud, spool, cid, p)
                if i["state"] != "terminated"] == []
    finally:
        gm.shutdown()


def test_two_regions_of_one_embedded_ec2(h, cloud, spool, gm, keys):
    """Each region's service URL reaches that region (HTCondor's rule: the
    region is named in the host)."""
    cloud.seed_image("eu-west-1", "ami-0e0e0e0e", name="fedora13-eu")
    cids = {}
    for region, ami in ((REGION, AMI), ("eu-west-1", "ami-0e0e0e0e")):
        cid = ec2_submit(h, spool, cloud.url(region), keys, EC2AmiID=ami)
        cids[region] = cid
    h.drive(gm, lambda: all(h.status(spool, c) == 2 for c in cids.values()), what="Running")
    for region, cid in cids.items():
        inst_id = h.attr(spool, cid, "EC2InstanceName")
        assert [i["region"] for i in cloud.instances() if i["id"] == inst_id] == [region]
    h.remove(spool, list(cids.values()))
    h.drive(gm, lambda: all(h.in_history(spool, c) for c in cids.values()), what="history")


def test_one_unknown_id_in_a_terminate_batch(h, cloud, proxy, spool, schedlog, keys):
    """EC2 refuses a whole TerminateInstances for one id it does not know: each
    instance is then sent alone, so that each job gets its own answer."""
    gm = GridManager(spool, schedlog)
    try:
        cid = ec2_submit(h, spool, proxy.url(REGION), keys)
        h.drive(gm, lambda: h.status(spool, cid) == 2, what="Running")
        job = gm.jobs[(cid, 0)]
        got = []

        class Ghost:          # a job whose recorded instance the cloud never had
            inst_id = "i-0123456789abcdef0"

            def on_result(self, op, ok, value, now):
                got.append((op, ok, type(value).__name__))
        h.remove(spool, [cid])
        h.drive(gm, lambda: bool(job.resource._terminates), what="the terminate queued")
        proxy.reset_counts()
        job.resource._terminates.append((Ghost(), job.resource._terminates[0][1]))
        h.drive(gm, lambda: h.in_history(spool, cid) and got, what="history")
        assert got == [("terminate", False, "GoneError")]
        assert proxy.counts()["TerminateInstances"] == 3     # the batch, then one by one
        assert [i["state"] for i in ours(cloud, spool, cid)] == ["terminated"]
    finally:
        gm.shutdown()
