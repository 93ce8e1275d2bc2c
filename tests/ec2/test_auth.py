"""The embedded EC2 with signatures checked: a wrong secret key gets EC2's own
refusal, and the secret appears in no error, repr or log record."""

import logging

import pytest

from pycondorlite.ec2.client import Client
from pycondorlite.ec2.embedded import EmbeddedEC2
from pycondorlite.ec2.errors import EC2Error


@pytest.fixture(scope="module")
def authed():
    with EmbeddedEC2(regions=("us-east-1",), auth=True) as e:
        e.seed_image("us-east-1", "ami-ac3fc9c5")
        yield e


def test_the_right_keys_work(authed):
    c = authed.client()
    inst = c.run_instances({"image_id": "ami-ac3fc9c5"}, tags={"Name": "ok"})
    assert inst.id in {i["id"] for i in authed.instances()}


def test_a_wrong_secret_is_refused_in_the_clouds_words(authed, caplog):
    secret = "Wr0ngSecretKeyThatMustNotLeak/abcdefghijklmnop"
    caplog.set_level(logging.DEBUG)
    c = Client(authed.url(), authed.credentials.access_key_id, secret)
    with pytest.raises(EC2Error) as e:
        c.run_instances({"image_id": "ami-ac3fc9c5"})
    err = e.value
    assert (err.code, err.status, err.kind) == ("AuthFailure", 401, "auth")
    assert err.message == "AWS was not able to validate the provided access credentials"
    for text in (str(err), repr(err), err.message, repr(c), caplog.text):
        assert secret not in text
    assert not any(i["image_id"] == "ami-ac3fc9c5" and i["tags"] == {}
                   for i in authed.instances())       # nothing was launched


def test_an_unknown_access_key_is_refused(authed):
    c = Client(authed.url(), "AKIANOTAKNOWNKEY0000", authed.credentials.secret_key)
    with pytest.raises(EC2Error) as e:
        c.describe_instances()
    assert e.value.code == "AuthFailure" and e.value.kind == "auth"


def test_a_second_user_of_the_same_account_sees_the_same_instances(authed):
    other = authed.add_user("second")
    assert other.access_key_id != authed.credentials.access_key_id
    mine = {i.id for i in authed.client().describe_instances()}
    assert {i.id for i in authed.client(credentials=other).describe_instances()} == mine
