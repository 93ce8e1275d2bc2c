"""The client against the simulator: the full instance lifecycle and errors."""

import base64
import logging
import time

import pytest
import requests

from pycondorlite.deltacloud import (ActionNotAllowed, AuthError, Client, NotFound, ProtocolError,
                                     RequestError, Simulator, TransientError)
from pycondorlite.deltacloud.client import Instance


def test_entry_point_is_discovered_once(sim, client):
    links = client.entry_point()["links"]
    assert links["instances"] == sim.url + "/instances"
    assert {"realms", "images", "hardware_profiles", "keys", "instance_states"} <= set(links)
    assert client.entry_point()["features"]["instances"]["user_name"]["params"] == ["name"]
    sim.reset_stats()
    client.instances()
    client.instances()
    assert sim.stats() == {"GET /api/instances": 2}   # no second GET /api


def test_full_lifecycle(sim, client):
    inst = client.create_instance("img3", name="job-1", realm_id="eu", hwp_id="m1-large",
                                  hwp_memory=12288, hwp_cpu=2, hwp_storage=1024,
                                  keyname="test-key", user_data="#!/bin/sh\necho hi\n")
    assert inst.id == "inst4" and inst.name == "job-1" and inst.state == "RUNNING"
    assert (inst.image_id, inst.realm_id, inst.profile_id, inst.keyname) == ("img3", "eu", "m1-large", "test-key")
    assert inst.profile == {"memory": "12288", "storage": "1024", "cpu": "2"}
    assert inst.public_addresses == ("img3.inst4.public.com",)
    assert inst.private_addresses == ("img3.inst4.private.com",)
    assert inst.owner == "mockuser"
    assert inst.action_names == ["reboot", "stop", "run", "create_image"]
    # user_data travelled base64-encoded and was decoded by the server
    assert sim.instance("inst4")["user_data"] == "#!/bin/sh\necho hi\n"

    assert client.reboot(inst).state == "RUNNING"
    stopped = client.stop(inst.id)
    assert stopped.state == "STOPPED" and stopped.action_names[:2] == ["start", "destroy"]
    # the stale RUNNING document still has a stop link: the server says 405
    with pytest.raises(ActionNotAllowed) as exc:
        client.stop(inst)
    assert exc.value.status == 405 and "Method Not Allowed" in str(exc.value)
    # a fresh document has no stop link: refused without a request
    with pytest.raises(ActionNotAllowed) as exc:
        client.stop(inst.id)
    assert exc.value.status is None
    assert client.start(inst.id).state == "RUNNING"
    with pytest.raises(ActionNotAllowed):
        client.destroy(inst.id)        # destroy needs STOPPED on the mock
    client.stop(inst.id)
    assert client.destroy(inst.id) is None
    with pytest.raises(NotFound) as exc:
        client.instance(inst.id)
    assert exc.value.status == 404
    with pytest.raises(NotFound) as exc:
        client.destroy(stopped)       # action on a gone instance: 403
    assert exc.value.status == 403
    assert sim.counts()["created_count"] == 1 and sim.counts()["destroyed_count"] == 1


def test_create_201_with_location(sim, client):
    r = requests.post(sim.url + "/instances", data={"image_id": "img1"}, auth=("mockuser", "mockpassword"),
                      headers={"Accept": "application/xml"}, timeout=5)
    assert r.status_code == 201
    assert r.headers["Location"] == sim.url + "/instances/inst4"
    inst = client.instance("inst4")
    assert inst.name.startswith("i-") and inst.profile_id == "m1-small" and inst.realm_id == "us"


def test_list_filters_and_find_by_name(sim, client):
    a = client.create_instance("img1", name="alpha")
    client.create_instance("img2", name="beta", realm_id="eu")
    client.stop(a.id)
    assert [i.id for i in client.instances()] == ["inst0", "inst1", "inst2", "inst3", "inst4", "inst5"]
    assert [i.id for i in client.instances(state="STOPPED")] == [a.id]
    assert client.instances(state="stopped") == []          # filters are case-sensitive
    assert [i.name for i in client.instances(realm_id="eu")] == ["", "beta"]
    assert [i.id for i in client.instances(id="inst5")] == ["inst5"]
    assert client.find_by_name("beta").id == "inst5"
    assert client.find_by_name("nosuch") is None


def test_unknown_hardware_profile_is_a_permanent_request_error(client):
    with pytest.raises(RequestError) as exc:
        client.create_instance("img1", hwp_id="nosuch")
    assert exc.value.status == 400 and "Hardware profile 'nosuch' does not exists." in str(exc.value)


def test_bad_password_is_permanent_and_never_shown(sim, caplog):
    secret = "s3cr3t-Pa55"
    token = base64.b64encode(f"mockuser:{secret}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    c = Client(sim.url, "mockuser", secret, timeout=(2, 5))
    assert not c.valid_credentials()
    errors = []
    for call in (c.instances, lambda: c.create_instance("img1"), lambda: c.stop("inst1"),
                 lambda: c.instance("inst1")):
        with pytest.raises(AuthError) as exc:
            call()
        assert exc.value.status == 401 and not exc.value.transient
        errors.append(exc.value)
    bad_url = Client("http://127.0.0.1:1/api", "mockuser", secret, timeout=(0.5, 1))
    with pytest.raises(TransientError) as exc:
        bad_url.instances()
    errors.append(exc.value)
    in_url = Client(f"http://mockuser:{secret}@127.0.0.1:1/api", "mockuser", secret, timeout=(0.5, 1))
    with pytest.raises(TransientError) as exc:
        in_url.instances()
    errors.append(exc.value)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [str(e.args) for e in errors]
    texts += [repr(c), repr(in_url), caplog.text]
    for text in texts:
        assert secret not in text and token not in text, text
    assert Client(sim.url, "mockuser", "mockpassword").valid_credentials()


def test_missing_credentials_get_401_with_challenge(sim):
    r = requests.get(sim.url + "/instances", headers={"Accept": "application/xml"}, timeout=5)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith('Basic realm="mock-deltacloud@')
    assert "<message><![CDATA[Unauthorized]]></message>" in r.text
    # these need no credentials on the mock
    for path in ("", "/hardware_profiles", "/instance_states", "/drivers"):
        assert requests.get(sim.url + path, headers={"Accept": "application/xml"}, timeout=5).status_code == 200


def test_starts_automatically_and_name_length(client):
    assert client.starts_automatically() is True
    assert client.max_name_length() is None
    assert client.instance_states()["stopped"] == [("start", "running"), ("destroy", "finish")]


def test_read_only_collections(client):
    assert [r["id"] for r in client.realms()] == ["us", "eu"]
    assert [i["id"] for i in client.images()] == ["img1", "img2", "img3"]
    assert [i["id"] for i in client.images(architecture="x86_64")] == ["img1"]
    hwps = {p["id"]: p for p in client.hardware_profiles()}
    assert hwps["m1-large"]["properties"]["memory"]["range"] == ("7680", "15360")
    assert hwps["m1-xlarge"]["properties"]["storage"]["enum"] == ["1024", "2048", "4096"]
    assert hwps["opaque"]["properties"] == {}
    assert [k["id"] for k in client.keys()] == ["test-key"]


def test_html_instead_of_xml_is_a_protocol_error(sim):
    c = Client(sim.url, "mockuser", "mockpassword")
    c.session.headers["Accept"] = "*/*"     # what requests sends by default: the server answers HTML
    with pytest.raises(ProtocolError):
        c.instances()


def test_pending_delay_advances_on_read():
    with Simulator(port=0, pending_delay=5, fixtures=False) as sim:
        c = Client(sim.url, "mockuser", "mockpassword")
        inst = c.create_instance("img1", name="slow")
        assert inst.state == "PENDING" and inst.action_names == ["run", "create_image"]
        with pytest.raises(ActionNotAllowed):
            c.stop(inst.id)
        with pytest.raises(ActionNotAllowed) as exc:   # the server also refuses
            c.action(Instance(**{**inst.__dict__, "actions": {"stop": _link(sim, inst, "stop")}}), "stop")
        assert exc.value.status == 405
        assert c.instances(state="PENDING")[0].id == inst.id
        sim.cloud.clock = lambda: time.time() + 5.1       # the delay has passed
        assert c.instance(inst.id).state == "RUNNING"
        assert c.instances(state="RUNNING")[0].id == inst.id
        assert c.stop(inst.id).state == "STOPPED"


def test_stopping_delay():
    with Simulator(port=0, stopping_delay=5, fixtures=False) as sim:
        c = Client(sim.url, "mockuser", "mockpassword")
        inst = c.create_instance("img1")
        stopping = c.stop(inst)
        assert stopping.state == "STOPPING" and "destroy" not in stopping.actions
        assert c.instance_states()["stopping"] == [(None, "stopped")]
        sim.cloud.clock = lambda: time.time() + 5.1
        assert c.instance(inst.id).state == "STOPPED"
        c.destroy(inst.id)


def test_pending_delay_in_real_time():
    with Simulator(port=0, pending_delay=0.2, fixtures=False) as sim:
        c = Client(sim.url, "mockuser", "mockpassword")
        inst = c.create_instance("img1")
        deadline = time.monotonic() + 5
        while c.instance(inst.id).state != "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_provider_side_changes_are_seen(sim, client):
    inst = client.create_instance("img1", name="victim")
    sim.set_state(inst.id, "STOPPED")
    assert client.instance(inst.id).state == "STOPPED"
    sim.vanish(inst.id)
    with pytest.raises(NotFound):
        client.instance(inst.id)
    assert sim.counts()["destroyed_count"] == 1


def _link(sim, inst, rel):
    from pycondorlite.deltacloud.client import Action
    return Action(rel, "post", f"{sim.url}/instances/{inst.id}/{rel}")


def test_environment_is_read_once_when_the_client_is_made(sim, monkeypatch):
    """The proxy and CA bundle settings requests would read for every request
    are read when the Client is made: a proxy applies unless NO_PROXY names
    the host, and the requests themselves no longer look at the environment."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/pki/bundle.pem")
    far = Client("https://cloud.example/api", "u", "p")
    assert far.session.proxies.get("https") == "http://proxy.example:3128"
    assert far.session.verify == "/etc/pki/bundle.pem"
    near = Client(sim.url, "mockuser", "mockpassword", timeout=(2, 10))
    assert "http" not in near.session.proxies
    monkeypatch.setenv("NO_PROXY", "")         # read once: a later change is not seen
    assert [i.id for i in near.instances()][:1] == ["inst0"]   # reached without the proxy
