"""The ec2 grid type end to end against the embedded EC2: condor_submit of
ordinary EC2 submit files, the schedd, condor_q, condor_rm; every instance
checked in the EC2 API's own list."""

import pytest

from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.gridmanager.ec2 import TOKEN_TAG

REGIONS = (("us-east-1", "ami-11111111"), ("eu-west-1", "ami-22222222"))


@pytest.fixture
def ec2(stack):
    with EmbeddedEC2(regions=tuple(r for r, _ in REGIONS)) as e:
        for region, ami in REGIONS:
            e.seed_image(region, ami, name="fedora13")
            e.seed_key_pair(region, "mykeypair")
        e.sg = e.seed_security_group("us-east-1", "condor-sg")
        (stack.tmp / "ak").write_text("AKIAIOSFODNN7EXAMPLE\n")
        (stack.tmp / "sk").write_text("not-a-real-secret\n")
        yield e


def instances_of(ec2, cid):
    return [i for i in ec2.instances()
            if (i["tags"].get(TOKEN_TAG) or "").split("-")[2:3] == [str(cid)]]


def test_ordinary_ec2_submit_file(stack, ec2):
    sub = stack.tmp / "ec2.sub"
    (stack.tmp / "boot.sh").write_text("#!/bin/sh\necho booted\n")
    sub.write_text(f"""universe = grid
executable = my_ec2_vm
grid_resource = ec2 {ec2.url('us-east-1')}
ec2_access_key_id = ak
ec2_secret_access_key = sk
ec2_ami_id = ami-11111111
ec2_instance_type = m1.large
ec2_keypair = mykeypair
ec2_security_groups = condor-sg
ec2_user_data = role=worker;
ec2_user_data_file = boot.sh
ec2_tag_names = Project, Owner
ec2_tag_Project = condor
ec2_tag_Owner = alice
queue
""")
    assert "1 job(s) submitted to cluster 1." in stack.tool("condor_submit", str(sub)).stdout
    stack.start_schedd()
    stack.wait(lambda sp: sp.job(1, 0).status == 2, timeout=60, what="Running")
    (inst,) = instances_of(ec2, 1)
    assert inst["state"] == "running"
    assert (inst["image_id"], inst["instance_type"], inst["key_name"]) == \
        ("ami-11111111", "m1.large", "mykeypair")
    assert inst["security_groups"] == ["condor-sg"]
    assert inst["user_data"] == "role=worker;#!/bin/sh\necho booted\n"
    assert {k: v for k, v in inst["tags"].items() if k != TOKEN_TAG} == \
        {"Name": "my_ec2_vm", "Project": "condor", "Owner": "alice"}
    long = stack.tool("condor_q", "-long", "1.0").stdout
    assert f'EC2InstanceName = "{inst["id"]}"' in long
    assert 'GridJobStatus = "running"' in long
    grid = stack.tool("condor_q", "-grid").stdout
    assert "running" in grid and inst["id"] in grid and "ec2 " in grid
    stack.remove("1")
    stack.wait(lambda sp: sp.job(1, 0) is None, timeout=60, what="job gone")
    (inst,) = instances_of(ec2, 1)
    assert inst["state"] == "terminated"


def test_spot_job(stack, ec2):
    sub = stack.tmp / "spot.sub"
    sub.write_text(f"""universe = grid
executable = spot_vm
grid_resource = ec2 {ec2.url('us-east-1')}
ec2_access_key_id = ak
ec2_secret_access_key = sk
ec2_ami_id = ami-11111111
ec2_instance_type = m1.large
ec2_spot_price = 0.25
queue
""")
    stack.tool("condor_submit", str(sub))
    stack.start_schedd()
    stack.wait(lambda sp: sp.job(1, 0).status == 2, timeout=60, what="Running")
    with stack.spool() as sp:
        inst_id = sp.job(1, 0).literal("EC2InstanceName")
    (req,) = [r for r in ec2.spot_requests("us-east-1") if r["instance_id"] == inst_id]
    assert req["price"].startswith("0.25")
    stack.remove("1")
    stack.wait(lambda sp: sp.job(1, 0) is None, timeout=60, what="job gone")
    assert [i["state"] for i in ec2.instances() if i["id"] == inst_id] == ["terminated"]


def test_matchmaking_across_two_regions(stack, ec2):
    """The seed's matchmaking story on EC2: provider ads for two regions, $$()
    values in an ordinary EC2 submit file, jobs placed by their requirements."""
    ads = "\n".join(f'''Name="ec2_{region}"
MyType="Machine"
Requirements=true
WantAdRevaluate=True
region="{region}"
image="fedora13"
hardwareprofile="large"
ec2_url="{ec2.url(region)}"
image_key="{ami}"
hardwareprofile_key="m1.large"
keypair="mykeypair"
''' for region, ami in REGIONS)
    (stack.tmp / "ec2.ad").write_text(ads)
    stack.tool("condor_advertise", "-multiple", "UPDATE_STARTD_AD", str(stack.tmp / "ec2.ad"))
    for cid, region in ((1, "us-east-1"), (2, "eu-west-1")):
        sub = stack.tmp / f"{region}.sub"
        sub.write_text(f"""universe = grid
executable = matched_vm
requirements = image == "fedora13" && hardwareprofile == "large" && region == "{region}"
grid_resource = ec2 $$(ec2_url)
ec2_access_key_id = ak
ec2_secret_access_key = sk
ec2_ami_id = $$(image_key)
ec2_instance_type = $$(hardwareprofile_key)
ec2_keypair = $$(keypair)
queue 2
""")
        assert f"2 job(s) submitted to cluster {cid}." in stack.tool("condor_submit", str(sub)).stdout
    stack.start_schedd()
    stack.wait(lambda sp: sp.count_by_status() == {2: 4}, timeout=60, what="all Running")
    for cid, (region, ami) in zip((1, 2), REGIONS):
        insts = instances_of(ec2, cid)
        assert [(i["region"], i["image_id"], i["state"]) for i in insts] == \
            [(region, ami, "running")] * 2
        with stack.spool() as sp:
            assert sp.job(cid, 0).literal("MATCH_EXP_GridResource") == f"ec2 {ec2.url(region)}"
    stack.remove("-all")
    stack.wait(lambda sp: sp.count() == 0, timeout=60, what="queue empty")
    assert all(i["state"] == "terminated" for i in ec2.instances())
