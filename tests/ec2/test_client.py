"""The client against the embedded EC2: each call, what the EC2 API then holds."""

import pytest

from pycondorlite.ec2.client import Client, parse_block_device_mapping
from pycondorlite.ec2.errors import EC2Error

from .conftest import AMI, AMI_EU


def own(ec2, inst_id):
    [rec] = [i for i in ec2.instances() if i["id"] == inst_id]
    return rec


def test_run_instances_with_the_job_parameters(ec2, client, unique):
    sg = ec2.seed_security_group("us-east-1", unique("sg"))
    name = unique("job")
    inst = client.run_instances({
        "image_id": AMI, "instance_type": "m1.large", "key_name": "mykeypair",
        "security_groups": [], "security_group_ids": [sg],
        "availability_zone": "us-east-1b", "user_data": "#!/bin/sh\necho hello\n",
    }, client_token=name, tags={"Name": name, "HTCondorJob": "1.0"})
    assert inst.id.startswith("i-") and inst.state == "pending"
    assert inst.tags == {"Name": name, "HTCondorJob": "1.0"} and inst.name == name
    assert (inst.image_id, inst.instance_type, inst.key_name) == (AMI, "m1.large", "mykeypair")
    assert inst.availability_zone == "us-east-1b" and inst.client_token == name
    rec = own(ec2, inst.id)          # the EC2 API's own record
    assert rec["image_id"] == AMI and rec["instance_type"] == "m1.large"
    assert rec["key_name"] == "mykeypair" and rec["tags"]["Name"] == name
    assert rec["availability_zone"] == "us-east-1b"
    assert rec["user_data"] == "#!/bin/sh\necho hello\n"
    [seen] = client.describe_instances(instance_ids=[inst.id])
    assert seen.state == "running" and seen.public_dns and seen.private_ip


def test_extra_parameters_are_sent_and_ours_win(ec2, proxy, unique):
    c = Client(proxy.url("us-east-1"), *NO_AUTH)
    name = unique("extra")
    inst = c.run_instances({"image_id": AMI, "extra": {"DisableApiStop": "true",
                                                       "ImageId": "ami-notours"}},
                           tags={"Name": name})
    assert inst.image_id == AMI
    [(action, form)] = [r for r in proxy.recorded if r[0] == "RunInstances"]
    assert form["DisableApiStop"] == "true" and form["ImageId"] == AMI
    assert form["InstanceInitiatedShutdownBehavior"] == "terminate"
    assert form["MinCount"] == form["MaxCount"] == "1"
    with pytest.raises(EC2Error) as e:       # the cloud took the extra parameter
        c.stop_instances([inst.id])
    assert e.value.code == "OperationNotPermitted" and e.value.kind == "bad_request"


def test_block_device_mapping_as_htcondor_parses_it(proxy, unique):
    assert parse_block_device_mapping("ephemeral0:/dev/sdb, ephemeral1:/dev/sdc bad a:b:c") == (
        [{"VirtualName": "ephemeral0", "DeviceName": "/dev/sdb"},
         {"VirtualName": "ephemeral1", "DeviceName": "/dev/sdc"}], ["bad", "a:b:c"])
    c = Client(proxy.url("us-east-1"), *NO_AUTH)
    with pytest.raises(EC2Error) as e:   # moto wants an Ebs part; EC2 takes ephemeral names
        c.run_instances({"image_id": AMI, "block_device_mapping": "ephemeral0:/dev/sdb"})
    assert e.value.code == "MissingParameter"
    [(_, form)] = [r for r in proxy.recorded if r[0] == "RunInstances"]
    assert form["BlockDeviceMapping.1.VirtualName"] == "ephemeral0"
    assert form["BlockDeviceMapping.1.DeviceName"] == "/dev/sdb"


def test_euca3_leaves_out_the_shutdown_behaviour(proxy):
    url = proxy.url("us-east-1").replace("http://", "euca3://")
    c = Client(url, *NO_AUTH)
    with pytest.raises(EC2Error):
        c.describe_instances()   # moto wants SigV4: a SigV2 request is refused...
    assert proxy.recorded and "SignatureVersion" in proxy.recorded[-1][1]   # ...but was V2


def test_state_changes(ec2, client, unique):
    inst = client.run_instances({"image_id": AMI}, tags={"Name": unique()})
    assert client.stop_instances([inst.id]) == {inst.id: "stopping"}
    assert client.describe_instances(instance_ids=[inst.id])[0].state == "stopped"
    assert client.start_instances([inst.id]) == {inst.id: "pending"}
    client.reboot_instances([inst.id])
    assert client.describe_instances(instance_ids=[inst.id])[0].state == "running"
    assert client.terminate_instances([inst.id]) == {inst.id: "shutting-down"}
    [gone] = client.describe_instances(instance_ids=[inst.id])
    assert gone.state == "terminated"       # listed as terminated, not gone
    assert gone.state_reason_code == "Client.UserInitiatedShutdown"
    assert own(ec2, inst.id)["state"] == "terminated"


def test_not_found_and_bad_requests(client):
    with pytest.raises(EC2Error) as e:
        client.describe_instances(instance_ids=["i-0123456789abcdef0"])
    assert (e.value.code, e.value.kind, e.value.status) == ("InvalidInstanceID.NotFound",
                                                            "not_found", 400)
    with pytest.raises(EC2Error) as e:
        client.terminate_instances(["i-0123456789abcdef0"])
    assert e.value.kind == "not_found"
    for params, code in (({"image_id": "ami-12345678"}, "InvalidAMIID.NotFound"),
                         ({"image_id": AMI, "key_name": "nokey"}, "InvalidKeyPair.NotFound"),
                         ({"image_id": AMI, "instance_type": "m9.huge"},
                          "InvalidInstanceType.NotFound")):
        with pytest.raises(EC2Error) as e:
            client.run_instances(params)
        assert e.value.code == code and e.value.kind == "bad_request"


def test_regions_are_apart(ec2, unique):
    us, eu = ec2.client("us-east-1"), ec2.client("eu-west-1")
    name = unique("eu")
    inst = eu.run_instances({"image_id": AMI_EU}, tags={"Name": name})
    assert inst.availability_zone.startswith("eu-west-1")
    assert [i.id for i in eu.describe_instances({"tag:Name": name})] == [inst.id]
    assert us.describe_instances({"tag:Name": name}) == []
    assert own(ec2, inst.id)["region"] == "eu-west-1"
    with pytest.raises(EC2Error) as e:       # each region has its own AMIs
        us.run_instances({"image_id": AMI_EU})
    assert e.value.code == "InvalidAMIID.NotFound"
    assert {z.name for z in eu.describe_availability_zones()} == {
        "eu-west-1a", "eu-west-1b", "eu-west-1c"}


def test_spot_requests(ec2, client, unique):
    name = unique("spot")
    req = client.request_spot_instances({"image_id": AMI, "instance_type": "m1.small",
                                         "user_data": "spot data"}, "0.10",
                                        client_token=name, tags={"Name": name})
    assert req.id.startswith("sir-") and req.price.startswith("0.1")
    [seen] = client.describe_spot_instance_requests(filters={"tag:Name": name})
    assert seen.id == req.id and seen.state == "active" and seen.status_code == "fulfilled"
    assert seen.instance_id and seen.launch_group == name
    assert own(ec2, seen.instance_id)["user_data"] == "spot data"
    assert client.cancel_spot_instance_requests([req.id]) == {req.id: "cancelled"}
    # EC2 says InvalidSpotInstanceRequestID.NotFound; moto 5.2.5 lists nothing
    assert client.describe_spot_instance_requests(ids=["sir-00000000"]) == []


def test_images_zones_keys_types(ec2, client, unique):
    assert {i.id for i in client.describe_images(owners=["self"])} == {AMI}
    [img] = client.describe_images(image_ids=[AMI])
    assert img.name == "fedora13" and img.architecture == "x86_64"
    assert "us-east-1a" in {z.name for z in client.describe_availability_zones()}
    key = unique("key")
    pem = client.create_key_pair(key)
    assert pem.startswith("-----BEGIN")
    assert key in {k.name for k in client.describe_key_pairs()}
    client.delete_key_pair(key)
    assert key not in {k.name for k in client.describe_key_pairs()}
    types = {t.name: t for t in client.describe_instance_types(["m1.large", "t3.micro"])}
    assert types["m1.large"].vcpus == 2 and types["t3.micro"].memory_mib == 1024


def test_tags_addresses_volumes(ec2, client, unique):
    inst = client.run_instances({"image_id": AMI, "availability_zone": "us-east-1a"})
    client.create_tags([inst.id], {"Name": "later", "Owner": "me"})
    assert own(ec2, inst.id)["tags"] == {"Name": "later", "Owner": "me"}
    addr = ec2.seed_address("us-east-1")
    client.associate_address(inst.id, addr["allocation_id"])
    assert client.describe_instances(instance_ids=[inst.id])[0].public_ip == addr["public_ip"]
    vol = ec2.seed_volume("us-east-1", "us-east-1a")
    client.attach_volume(vol, inst.id, "/dev/sdf")
    assert "/dev/sdf" in own(ec2, inst.id)["devices"]


def test_requests_are_counted_by_action(ec2):
    c = ec2.client("us-east-1")
    c.describe_instances()
    c.describe_instances()
    with pytest.raises(EC2Error):
        c.describe_instances(instance_ids=["i-0123456789abcdef0"])
    c.describe_availability_zones()
    assert c.counts() == {"DescribeInstances": 3, "DescribeAvailabilityZones": 1}
    assert c.counter.errors() == {"InvalidInstanceID.NotFound": 1}


def test_bad_params_are_an_ec2error(client):
    with pytest.raises(EC2Error) as e:
        client.run_instances({})          # no image id
    assert e.value.kind == "bad_request"


NO_AUTH = ("AKIAEMBEDDEDEC2TESTS0", "embedded-ec2-any-secret")
