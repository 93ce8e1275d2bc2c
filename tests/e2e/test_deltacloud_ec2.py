"""The reference example through `deltacloudd -i ec2` in front of the embedded EC2.

provider_combination_1.ad as written but for provider_url (our deltacloudd -i
ec2), username and password (the EC2 access key id and secret key);
deltacloud_job.sub unchanged.  The instance is checked in the EC2 API's own
list (AMI, instance type, key pair, Name tag), condor_rm terminates it.
"""

import os
import re

import pytest

from pycondorlite.deltacloud.simulator import Simulator
from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.faultproxy import FaultProxy


@pytest.fixture
def cloud():
    with EmbeddedEC2(regions=("us-east-1",), auth=True) as ec2:
        ec2.seed_image("us-east-1", "ami-ac3fc9c5", name="fedora13")
        ec2.seed_key_pair("us-east-1", "mykeypair")
        with FaultProxy(ec2.port) as proxy, \
                Simulator(driver="ec2", provider=proxy.url("us-east-1"),
                          ec2_timeouts=(2, 20)) as dcloud:
            yield ec2, proxy, dcloud


def example_ad(e2e, url, username, password):
    """The example's provider ad, but for provider_url, username and password."""
    with open(os.path.join(e2e.example_dir(), "provider_combination_1.ad")) as f:
        text = f.read()
    for attr, value in (("provider_url", url), ("username", username), ("password", password)):
        text, n = re.subn(rf'^{attr}=".*"$', f'{attr}="{value}"', text, flags=re.M)
        assert n == 1
    return text


def files_under(path):
    for root, _, names in os.walk(path):
        for name in names:
            yield os.path.join(root, name)


def test_reference_example_through_deltacloudd_ec2(stack, e2e, tmp_path, cloud):
    ec2, proxy, dcloud = cloud
    creds = ec2.credentials
    ad = tmp_path / "provider_combination_1.ad"
    ad.write_text(example_ad(e2e, dcloud.url, creds.access_key_id, creds.secret_key))
    assert 'hardwareprofile_key="m1.large"' in ad.read_text()      # EC2's own type name
    sub = e2e.copy_example(tmp_path)

    stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))
    assert "1 job(s) submitted to cluster 1." in stack.tool("condor_submit", str(sub)).stdout
    stack.start_schedd()
    stack.wait(lambda sp: sp.job(1, 0).status == 2, timeout=60, what="job Running")
    with stack.spool() as sp:
        job = sp.job(1, 0)
        assert job.literal("MATCH_EXP_GridResource") == "deltacloud " + dcloud.url
        _, name, inst_id = job.literal("GridJobId").split()
        assert job.literal("GridJobStatus") == "RUNNING"
    assert inst_id.startswith("i-")
    [rec] = [i for i in ec2.instances() if i["id"] == inst_id]      # EC2's own list
    assert rec["state"] == "running" and rec["tags"] == {"Name": name}
    assert (rec["image_id"], rec["instance_type"], rec["key_name"]) == (
        "ami-ac3fc9c5", "m1.large", "mykeypair")

    stack.remove("1")
    stack.wait(lambda sp: sp.job(1, 0) is None, timeout=60, what="job gone from the queue")
    [rec] = [i for i in ec2.instances() if i["id"] == inst_id]
    assert rec["state"] == "terminated"
    live = [i for i in ec2.instances() if i["state"] not in ("terminated", "shutting-down")]
    assert live == []
    counts = proxy.counts()
    assert counts.get("RunInstances") == 1 and counts.get("TerminateInstances") == 1
    assert counts.get("StopInstances") == 1       # the gridmanager stops, then destroys
    stack.stop_schedd()
    assert "Matched 1.0 to provider_combination_1" in stack.schedlog()
    assert creds.secret_key not in stack.schedlog()


def test_a_wrong_secret_holds_the_job_with_the_clouds_words(stack, e2e, tmp_path, cloud):
    ec2, proxy, dcloud = cloud
    wrong = "NotTheSecretKeyAtAll0123456789abcdefWXYZ"
    ad = tmp_path / "provider_combination_1.ad"
    ad.write_text(example_ad(e2e, dcloud.url, ec2.credentials.access_key_id, wrong))
    sub = e2e.copy_example(tmp_path)
    stack.tool("condor_advertise", "UPDATE_STARTD_AD", str(ad))
    stack.tool("condor_submit", str(sub))
    stack.start_schedd()
    stack.wait(lambda sp: sp.job(1, 0).status == 5, timeout=60, what="job Held")
    with stack.spool() as sp:
        reason = sp.job(1, 0).literal("HoldReason")
    assert "AuthFailure: AWS was not able to validate the provided access credentials" in reason
    assert wrong not in reason
    assert [i for i in ec2.instances() if i["state"] != "terminated"] == []
    q = stack.tool("condor_q", "-hold").stdout
    assert wrong not in q
    stack.stop_schedd()
    assert wrong not in stack.schedlog()
    assert wrong not in (tmp_path / "schedd.stderr").read_text()
    log_dir = stack.log_dir
    for path in files_under(log_dir):
        with open(path, "rb") as f:
            assert wrong.encode() not in f.read(), path
