"""HTCondor's EC2 GAHP rule (amazonCommands.cpp): service and region from the
host name, protocols http/https/x509/euca3/euca3s."""

import pytest

from pycondorlite.ec2.endpoint import parse_service_url, scope_of
from pycondorlite.ec2.errors import EC2Error


@pytest.mark.parametrize("url,service,region", [
    ("https://ec2.us-west-2.amazonaws.com", "ec2", "us-west-2"),
    ("https://ec2.eu-central-1.amazonaws.com/", "ec2", "eu-central-1"),
    ("https://ec2.amazonaws.com/", "ec2", "amazonaws"),          # as HTCondor signs it
    ("http://127.0.0.1:8773/services/Cloud", "127", "0"),        # an IP: the GAHP's "testing" scope
    ("http://localhost:5000", "localhost:5000", "localhost:5000"),
    ("http://cloud.example.org:8773/services/Cloud", "cloud", "example"),
    ("http://ec2.us-west-2.localhost:4566/", "ec2", "us-west-2"),
])
def test_scope_from_the_host(url, service, region):
    ep = parse_service_url(url)
    assert (ep.service, ep.region) == (service, region)
    assert ep.url == url and ep.signature == "v4" and ep.shutdown_behavior


def test_scope_rule_itself():
    assert scope_of("nodots") == ("nodots", "nodots")
    assert scope_of("one.dot") == ("one", "one.dot")


def test_euca3_and_x509():
    ep = parse_service_url("euca3://euca.example.com:8773/services/Eucalyptus")
    assert ep.url == "http://euca.example.com:8773/services/Eucalyptus"
    assert ep.signature == "v2" and not ep.shutdown_behavior
    ep = parse_service_url("euca3s://euca.example.com:8773/services/Eucalyptus")
    assert ep.url.startswith("https://") and not ep.shutdown_behavior
    ep = parse_service_url("x509://service.example")
    assert ep.url == "https://service.example" and ep.signature == "x509"


def test_loopback_names_connect_to_127_0_0_1():
    ep = parse_service_url("http://ec2.eu-west-1.localhost:4566/")
    assert ep.connect_host == "127.0.0.1"
    assert ep.connect_url == "http://127.0.0.1:4566/"
    assert ep.host == "ec2.eu-west-1.localhost:4566"
    assert parse_service_url("http://localhost:4566/").connect_host is None
    assert parse_service_url("https://ec2.us-east-1.amazonaws.com").connect_host is None


@pytest.mark.parametrize("bad", ["", "ec2.us-east-1.amazonaws.com", "ftp://host/", "http://",
                                 "gopher://x", "http://user:pw@host/"])
def test_bad_urls(bad):
    with pytest.raises(EC2Error) as e:
        parse_service_url(bad)
    assert e.value.code == "E_INVALID_SERVICE_URL" and e.value.kind == "bad_request"
    assert "pw" not in str(e.value)
