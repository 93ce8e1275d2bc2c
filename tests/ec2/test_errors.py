"""The one classification table, checked against codes from AWS's
"Error codes for the Amazon EC2 API" (common client errors, action-specific
client errors, server errors)."""

import pickle

import pytest

from pycondorlite.ec2.errors import EC2Error, classify

# code -> kind, as the EC2 API reference lists the codes.
DOCUMENTED = {
    "AuthFailure": "auth", "Blocked": "auth", "IncompleteSignature": "auth",
    "InvalidClientTokenId": "auth", "MissingAuthenticationToken": "auth",
    "OptInRequired": "auth", "PendingVerification": "auth", "SignatureDoesNotMatch": "auth",
    "UnauthorizedOperation": "auth",
    "InvalidInstanceID.NotFound": "not_found", "InvalidSpotInstanceRequestID.NotFound": "not_found",
    "InvalidAMIID.NotFound": "bad_request", "InvalidAMIID.Malformed": "bad_request",
    "InvalidAMIID.Unavailable": "bad_request", "InvalidParameterValue": "bad_request",
    "InvalidParameterCombination": "bad_request", "InvalidKeyPair.NotFound": "bad_request",
    "InvalidGroup.NotFound": "bad_request", "InvalidSubnetID.NotFound": "bad_request",
    "MissingParameter": "bad_request", "IdempotentParameterMismatch": "bad_request",
    "IncorrectInstanceState": "bad_request", "InvalidInstanceID.Malformed": "bad_request",
    "InsufficientInstanceCapacity": "capacity", "InsufficientCapacity": "capacity",
    "InsufficientHostCapacity": "capacity", "InstanceLimitExceeded": "capacity",
    "MaxSpotInstanceCountExceeded": "capacity", "VcpuLimitExceeded": "capacity",
    "Unsupported": "capacity", "InsufficientFreeAddressesInSubnet": "capacity",
    "RequestLimitExceeded": "transient", "InternalError": "transient",
    "Unavailable": "transient", "ServiceUnavailable": "transient", "RequestExpired": "transient",
}


@pytest.mark.parametrize("code,kind", sorted(DOCUMENTED.items()))
def test_documented_codes(code, kind):
    assert classify(code, 400 if kind != "transient" else 503) == kind
    assert EC2Error(code, "words", 400).kind == kind


def test_unknown_codes_fall_back_on_the_status():
    assert classify("SomethingNew", 503) == "transient"
    assert classify("SomethingNew", 500) == "transient"
    assert classify("SomethingNew", 400) == "bad_request"
    assert classify("SomethingNew", None) == "bad_request"


def test_our_connection_codes_are_transient():
    for code in ("ConnectionError", "ReadTimeout", "ConnectTimeout"):
        assert EC2Error(code, "x").kind == "transient"
    assert EC2Error("E_FILE_IO", "x").kind == "auth"


def test_text_and_pickling():
    e = EC2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401)
    assert str(e) == "AuthFailure: AWS was not able to validate the provided access credentials"
    back = pickle.loads(pickle.dumps(e))
    assert (back.code, back.message, back.status, back.kind) == (e.code, e.message, 401, "auth")
    assert str(EC2Error("Unavailable", "")) == "Unavailable"
