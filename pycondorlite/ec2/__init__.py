"""The EC2 layer: one client both the ec2 grid type and `deltacloudd -i ec2` use.

    from pycondorlite.ec2 import Client, EC2Error, read_credentials, parse_service_url

embedded.py (moto on loopback) and faultproxy.py (faults in front of it) are
for the tests, the benches and the demo; importing them needs the test extra
only when they run a server.
"""

from .client import (Image, Instance, InstanceType, KeyPair, RequestCounter, SpotRequest, Zone,
                     Client, parse_block_device_mapping)
from .credentials import Credentials, read_credentials
from .endpoint import Endpoint, parse_service_url
from .errors import KINDS, EC2Error, classify

__all__ = ["Client", "Credentials", "EC2Error", "Endpoint", "Image", "Instance", "InstanceType",
           "KINDS", "KeyPair", "RequestCounter", "SpotRequest", "Zone", "classify",
           "parse_block_device_mapping", "parse_service_url", "read_credentials"]
