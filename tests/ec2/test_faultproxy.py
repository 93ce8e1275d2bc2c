"""The fault proxy in front of the embedded EC2, and what each fault gives the client."""

import time

import pytest

from pycondorlite.ec2.client import Client
from pycondorlite.ec2.errors import EC2Error

from .conftest import AMI

NO_AUTH = ("AKIAEMBEDDEDEC2TESTS0", "embedded-ec2-any-secret")


def through(proxy, region="us-east-1", read_timeout=10):
    return Client(proxy.url(region), *NO_AUTH, connect_timeout=2, read_timeout=read_timeout)


def test_counts_by_action_and_latency(proxy):
    c = through(proxy)
    t = time.monotonic()
    c.describe_instances()
    quick = time.monotonic() - t
    proxy.set_latency(0.2)
    t = time.monotonic()
    c.describe_instances()
    c.describe_availability_zones()
    assert time.monotonic() - t >= 0.4 > quick
    assert proxy.counts() == {"DescribeInstances": 2, "DescribeAvailabilityZones": 1}
    proxy.reset_counts()
    assert proxy.counts() == {}


@pytest.mark.parametrize("kind,code,status", [("http_500", "InternalError", 500),
                                              ("unavailable", "Unavailable", 503),
                                              ("throttle", "RequestLimitExceeded", 503)])
def test_error_answers(proxy, kind, code, status):
    proxy.add_fault(kind, actions={"DescribeInstances"}, count=1)
    c = through(proxy)
    with pytest.raises(EC2Error) as e:
        c.describe_instances()
    assert (e.value.code, e.value.status, e.value.kind) == (code, status, "transient")
    c.describe_instances()                       # the rule was for one request
    assert proxy.counts()["DescribeInstances"] == 2      # no hidden retry by botocore
    assert proxy.injected() == {kind: 1}


def test_drop_before_forwarding_creates_nothing(ec2, proxy, unique):
    proxy.add_fault("drop_before", actions={"RunInstances"})
    name = unique("dropped-before")
    with pytest.raises(EC2Error) as e:
        through(proxy).run_instances({"image_id": AMI}, tags={"Name": name})
    assert e.value.code == "ConnectionError" and e.value.kind == "transient"
    assert [i for i in ec2.instances() if i["tags"].get("Name") == name] == []


def test_drop_after_forwarding_the_instance_exists_and_is_found_by_tag(ec2, proxy, unique):
    proxy.add_fault("drop_after", actions={"RunInstances"}, count=1)
    name = unique("dropped-after")
    c = through(proxy)
    with pytest.raises(EC2Error) as e:
        c.run_instances({"image_id": AMI}, client_token=name, tags={"Name": name})
    assert e.value.code == "ConnectionError"
    # The request was carried out: the instance is there, findable by its tag.
    [rec] = [i for i in ec2.instances() if i["tags"].get("Name") == name]
    assert [i.id for i in c.describe_instances({"tag:Name": name})] == [rec["id"]]


def test_hang_gives_a_read_timeout(proxy):
    proxy.add_fault("hang", actions={"DescribeInstances"}, seconds=3, count=1)
    with pytest.raises(EC2Error) as e:
        through(proxy, read_timeout=0.5).describe_instances()
    assert e.value.code == "ReadTimeout" and e.value.kind == "transient"


def test_outage_503_then_back(proxy):
    c = through(proxy)
    proxy.outage(0.6, mode="503")
    with pytest.raises(EC2Error) as e:
        c.describe_instances()
    assert e.value.code == "Unavailable" and e.value.status == 503
    time.sleep(0.7)
    c.describe_instances()


def test_outage_refused_then_back(proxy):
    c = through(proxy)
    proxy.outage(1.0, mode="refuse")
    with pytest.raises(EC2Error) as e:
        c.describe_instances()
    assert e.value.code == "ConnectionError"
    deadline = time.monotonic() + 10
    while True:
        try:
            c.describe_instances()
            break
        except EC2Error:
            assert time.monotonic() < deadline, "the proxy did not listen again"
            time.sleep(0.2)


def test_capacity_refusals(ec2, proxy):
    c = through(proxy)
    proxy.refuse_capacity(instance_type="m1.large", zone="us-east-1a")
    with pytest.raises(EC2Error) as e:
        c.run_instances({"image_id": AMI, "instance_type": "m1.large",
                         "availability_zone": "us-east-1a"})
    assert e.value.code == "InsufficientInstanceCapacity" and e.value.kind == "capacity"
    assert "m1.large" in e.value.message and "us-east-1a" in e.value.message
    c.run_instances({"image_id": AMI, "instance_type": "m1.large",
                     "availability_zone": "us-east-1b"})      # another zone has room
    with pytest.raises(EC2Error) as e:
        c.request_spot_instances({"image_id": AMI, "instance_type": "m1.large",
                                  "availability_zone": "us-east-1a"}, "0.1")
    assert e.value.kind == "capacity"
    proxy.clear_faults()
    live = sum(1 for i in ec2.instances("us-east-1") if i["state"] in ("pending", "running"))
    proxy.refuse_capacity("InstanceLimitExceeded", max_live=live + 1)
    c.run_instances({"image_id": AMI})
    with pytest.raises(EC2Error) as e:
        c.run_instances({"image_id": AMI})
    assert e.value.code == "InstanceLimitExceeded" and e.value.status == 400
    assert e.value.kind == "capacity"


def test_faults_by_region_and_probability(ec2, proxy):
    proxy.add_fault("http_500", regions={"eu-west-1"})
    through(proxy, "us-east-1").describe_instances()
    with pytest.raises(EC2Error):
        through(proxy, "eu-west-1").describe_instances()
    proxy.clear_faults()
    proxy.add_fault("http_500", probability=0.5)
    c = through(proxy)
    failures = 0
    for _ in range(40):
        try:
            c.describe_availability_zones()
        except EC2Error:
            failures += 1
    assert 8 <= failures <= 32
    with pytest.raises(ValueError):
        proxy.add_fault("meteor")
