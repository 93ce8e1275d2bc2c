"""`deltacloudd -i ec2`: the Deltacloud API in front of the embedded EC2 (signatures
checked), through the same Deltacloud client the gridmanager uses, and what the
EC2 API itself then holds."""

import subprocess
import sys

import pytest
import requests

from pycondorlite.deltacloud import (ActionNotAllowed, AuthError, Client, NotFound,
                                     Simulator, TransientError)
from pycondorlite.deltacloud.ec2driver import HARDWARE_PROFILES, service_url_for
from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.faultproxy import FaultProxy

AMI = "ami-ac3fc9c5"


@pytest.fixture(scope="module")
def ec2():
    with EmbeddedEC2(regions=("us-east-1", "eu-west-1"), auth=True) as e:
        e.seed_image("us-east-1", AMI, name="fedora13")
        e.seed_key_pair("us-east-1", "mykeypair")
        yield e


@pytest.fixture(scope="module")
def sim(ec2):
    with Simulator(driver="ec2", provider=ec2.url("us-east-1"), ec2_timeouts=(2, 10)) as s:
        yield s


@pytest.fixture
def dc(ec2, sim):
    c = Client(sim.url, ec2.credentials.access_key_id, ec2.credentials.secret_key, timeout=(2, 20))
    yield c
    c.close()


def own(ec2, inst_id):
    [rec] = [i for i in ec2.instances() if i["id"] == inst_id]
    return rec


def test_entry_point_and_read_only_collections(ec2, sim, dc):
    ep = dc.entry_point()
    assert ep["driver"] == "ec2"
    assert {"instances", "realms", "images", "keys", "hardware_profiles", "instance_states",
            "firewalls"} <= set(ep["links"])
    assert {"user_name", "authentication_key", "user_data"} <= set(ep["features"]["instances"])
    assert {r["id"] for r in dc.realms()} == {f"us-east-1{z}" for z in "abcdef"}
    assert [i["id"] for i in dc.images()] == [AMI]             # the account's own only
    assert dc.images()[0]["name"] == "fedora13"
    profiles = {p["id"]: p for p in dc.hardware_profiles()}
    assert len(profiles) == len(HARDWARE_PROFILES)
    assert profiles["m1.large"]["properties"]["memory"]["value"] == "7680.0"
    assert profiles["m1.large"]["properties"]["cpu"]["value"] == "4"
    assert dc.starts_automatically()
    assert [k["id"] for k in dc.keys()] == ["mykeypair"]
    # hardware profiles need no credentials, as on the real server
    r = requests.get(sim.url + "/hardware_profiles", headers={"Accept": "application/xml"},
                     timeout=10)
    assert r.status_code == 200 and "<hardware_profile " in r.text
    r = requests.get(sim.url + "/images/ami-00000000", auth=(ec2.credentials.access_key_id,
                                                             ec2.credentials.secret_key),
                     headers={"Accept": "application/xml"}, timeout=10)
    assert r.status_code == 404


def test_instance_lifecycle(ec2, dc):
    inst = dc.create_instance(AMI, name="job-1-0-abc", hwp_id="m1.large", keyname="mykeypair",
                              realm_id="us-east-1c", user_data="#cloud-config\n")
    assert inst.id.startswith("i-") and inst.name == "job-1-0-abc"
    assert inst.state == "PENDING" and inst.action_names == ["stop", "run", "create_image"]
    rec = own(ec2, inst.id)                     # in the EC2 API's own list
    assert rec["tags"] == {"Name": "job-1-0-abc"} and rec["image_id"] == AMI
    assert (rec["instance_type"], rec["key_name"], rec["availability_zone"]) == (
        "m1.large", "mykeypair", "us-east-1c")
    assert rec["user_data"] == "#cloud-config\n" and rec["client_token"] == "job-1-0-abc"
    shown = dc.instance(inst.id)
    assert (shown.state, shown.realm_id, shown.profile_id, shown.keyname) == (
        "RUNNING", "us-east-1c", "m1.large", "mykeypair")
    assert shown.action_names[:2] == ["reboot", "stop"]
    assert shown.public_addresses and shown.private_addresses
    assert dc.find_by_name("job-1-0-abc").id == inst.id
    with pytest.raises(ActionNotAllowed):
        dc.action(shown, "start")                   # not offered while RUNNING
    rebooted = dc.action(shown, "reboot")
    assert rebooted.state == "RUNNING"
    stopped = dc.action(shown, "stop")
    assert stopped.state == "STOPPED" and stopped.action_names[:2] == ["start", "destroy"]
    assert own(ec2, inst.id)["state"] == "stopped"
    started = dc.action(stopped, "start")
    assert started.state in ("PENDING", "RUNNING")
    stopped = dc.action(dc.instance(inst.id), "stop")
    assert dc.action(stopped, "destroy") is None
    assert own(ec2, inst.id)["state"] == "terminated"
    # EC2 keeps a terminated instance listed: Deltacloud shows it STOPPED (convert_state)
    after = dc.instance(inst.id)
    assert after.state == "STOPPED"


def test_status_codes(ec2, sim, dc):
    auth = (ec2.credentials.access_key_id, ec2.credentials.secret_key)
    xml = {"Accept": "application/xml"}
    running = dc.create_instance(AMI, name="codes")
    r = requests.delete(f"{sim.url}/instances/{running.id}", auth=auth, headers=xml, timeout=10)
    assert r.status_code == 405                 # destroy only from STOPPED
    r = requests.post(f"{sim.url}/instances/i-0123456789abcdef0/stop", auth=auth, headers=xml,
                      timeout=10)
    assert r.status_code == 403
    with pytest.raises(NotFound):
        dc.instance("i-0123456789abcdef0")
    r = requests.get(f"{sim.url}/instances", headers=xml, timeout=10)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic realm=")
    r = requests.post(f"{sim.url}/instances", auth=auth, headers=xml, data={"name": "x"},
                      timeout=10)
    assert r.status_code == 400 and "image_id" in r.text
    with pytest.raises(NotFound) as e:          # the driver maps InvalidAMIID to 404
        dc.create_instance("ami-12345678", name="bad-ami")
    assert "InvalidAMIID.NotFound" in e.value.message
    with pytest.raises(NotFound) as e:          # moto's code for it has NotFound too
        dc.create_instance(AMI, name="bad-type", hwp_id="m9.huge")
    assert "m9.huge" in e.value.message
    r = requests.post(sim.url + "/keys", auth=auth, headers=xml, data={"name": "newkey"},
                      timeout=10)
    assert r.status_code == 201 and "BEGIN RSA PRIVATE KEY" in r.text
    assert "newkey" in {k["id"] for k in dc.keys()}
    r = requests.delete(sim.url + "/keys/newkey", auth=auth, headers=xml, timeout=10)
    assert r.status_code == 204 and "newkey" not in {k["id"] for k in dc.keys()}


def test_a_wrong_secret_is_a_401_with_the_clouds_words(ec2, sim):
    secret = "ThisIsTheWrongSecretKey0123456789abcdefgh"
    bad = Client(sim.url, ec2.credentials.access_key_id, secret, timeout=(2, 20))
    with pytest.raises(AuthError) as e:
        bad.create_instance(AMI, name="never")
    assert e.value.status == 401 and e.value.message.endswith(
        "401 AuthFailure: AWS was not able to validate the provided access credentials")
    assert secret not in e.value.message
    r = requests.get(sim.url + "/instances", auth=(ec2.credentials.access_key_id, secret),
                     headers={"Accept": "application/xml"}, timeout=10)
    assert r.status_code == 401 and secret not in r.text and "AuthFailure" in r.text
    assert not bad.valid_credentials()
    assert "never" not in {i["tags"].get("Name") for i in ec2.instances()}


def test_regions_by_provider(ec2):
    with Simulator(driver="ec2", provider=ec2.url("eu-west-1")) as eu:
        c = Client(eu.url, ec2.credentials.access_key_id, ec2.credentials.secret_key,
                   timeout=(2, 20))
        assert {r["id"] for r in c.realms()} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
        assert c.images() == []             # the AMI was seeded in us-east-1 only


def test_cloud_faults_become_5xx(ec2):
    with FaultProxy(ec2.port) as proxy, Simulator(driver="ec2", provider=proxy.url("us-east-1"),
                                                  ec2_timeouts=(1, 1)) as s:
        c = Client(s.url, ec2.credentials.access_key_id, ec2.credentials.secret_key,
                   timeout=(2, 20))
        proxy.add_fault("http_500", actions={"DescribeInstances"}, count=1)
        with pytest.raises(TransientError) as e:
            c.instances()
        assert e.value.status == 502 and "InternalError" in e.value.message
        proxy.refuse_capacity(instance_type="m1.large")
        with pytest.raises(TransientError) as e:     # any other EC2 error is a 502
            c.create_instance(AMI, name="no-room", hwp_id="m1.large")
        assert e.value.status == 502 and "InsufficientInstanceCapacity" in e.value.message
        proxy.add_fault("hang", actions={"DescribeInstances"}, seconds=3, count=1)
        with pytest.raises(TransientError) as e:
            c.instances()
        assert e.value.status == 504
        c.instances()
        assert proxy.counts()["DescribeInstances"] == 3


def test_provider_names():
    assert service_url_for("us-west-2") == "https://ec2.us-west-2.amazonaws.com/"
    assert service_url_for(None) == "https://ec2.us-east-1.amazonaws.com/"
    assert service_url_for("http://ec2.x.localhost:1/") == "http://ec2.x.localhost:1/"


def test_command_line(ec2):
    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys; from pycondorlite.cli.deltacloudd import main; "
                             "sys.exit(main())", "-i", "ec2", "-P", ec2.url("us-east-1"),
                             "-p", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"Starting Deltacloud API :: ec2 :: {ec2.url('us-east-1')} :: "
                               "http://127.0.0.1:")
        url = line.split(" :: ")[-1].strip()
        c = Client(url, ec2.credentials.access_key_id, ec2.credentials.secret_key, timeout=(2, 20))
        assert c.entry_point()["driver"] == "ec2"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    for args, words in ((["-i", "ec2", "--state-file", "/tmp/x"], "applies to the mock driver"),
                        (["-i", "ec2", "-P", "ftp://nowhere/"], "not of a known protocol"),
                        (["-i", "openstack"], "not available")):
        done = subprocess.run([sys.executable, "-c", "import sys; from pycondorlite.cli."
                               "deltacloudd import main; sys.exit(main())", *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
