import itertools

import pytest

from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.faultproxy import FaultProxy

REGIONS = ("us-east-1", "eu-west-1")
AMI = "ami-ac3fc9c5"
AMI_EU = "ami-0e0e0e0e"
_names = itertools.count()


@pytest.fixture(scope="package")
def ec2():
    """One embedded EC2 (no auth) for the package; tests use unique names."""
    with EmbeddedEC2(regions=REGIONS) as e:
        e.seed_image("us-east-1", AMI, name="fedora13")
        e.seed_image("eu-west-1", AMI_EU, name="fedora13-eu")
        e.seed_key_pair("us-east-1", "mykeypair")
        yield e


@pytest.fixture
def client(ec2):
    c = ec2.client("us-east-1", connect_timeout=2, read_timeout=10)
    yield c
    c.close()


@pytest.fixture
def proxy(ec2):
    with FaultProxy(ec2.port, seed=7, record=True,
                    live_instances=lambda: sum(1 for i in ec2.instances("us-east-1")
                                               if i["state"] in ("pending", "running"))) as p:
        yield p


@pytest.fixture
def unique():
    return lambda prefix="t": f"{prefix}-{next(_names)}"
