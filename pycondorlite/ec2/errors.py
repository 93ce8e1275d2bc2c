"""EC2Error: every failure of the EC2 layer, with the cloud's code and words.

`kind` says what a caller can do about it, from one table (KIND_BY_CODE) of
codes as AWS's "Error codes for the Amazon EC2 API" lists them:

    auth         the credentials are refused: permanent until they change
    not_found    the instance / spot request / ... does not exist (or not yet:
                 EC2 is eventually consistent right after a create)
    bad_request  the request itself is wrong (bad AMI, bad parameter...)
    capacity     the cloud cannot run it now (capacity, limits): try elsewhere or later
    transient    throttling, 5xx, connection errors, timeouts: retry later

`str(e)` is "<code>: <message>".  Nothing in here ever holds a secret: the
message is the cloud's or ours, and the client scrubs the secret key out of
anything it did not write itself.
"""

AUTH, NOT_FOUND, BAD_REQUEST, CAPACITY, TRANSIENT = (
    "auth", "not_found", "bad_request", "capacity", "transient")
KINDS = (AUTH, NOT_FOUND, BAD_REQUEST, CAPACITY, TRANSIENT)

# Codes of our own, for failures that never reached (or never came back from) the cloud.
CONNECTION_ERROR = "ConnectionError"     # refused, reset, dropped before a reply
READ_TIMEOUT = "ReadTimeout"             # connected, no reply in time
CONNECT_TIMEOUT = "ConnectTimeout"
INVALID_RESPONSE = "InvalidResponse"     # a reply that is not an EC2 document
INVALID_SERVICE_URL = "E_INVALID_SERVICE_URL"   # HTCondor's EC2 GAHP's code
CREDENTIALS_FILE = "E_FILE_IO"                   # HTCondor's EC2 GAHP's code

KIND_BY_CODE = {
    # The credentials, the account or the permissions.
    "AuthFailure": AUTH,
    "Blocked": AUTH,
    "IncompleteSignature": AUTH,
    "InvalidClientTokenId": AUTH,
    "MissingAuthenticationToken": AUTH,
    "OptInRequired": AUTH,
    "PendingVerification": AUTH,
    "SignatureDoesNotMatch": AUTH,
    "UnauthorizedOperation": AUTH,
    "AccessDenied": AUTH,
    CREDENTIALS_FILE: AUTH,
    # Things that are not (or not yet) there.
    "InvalidInstanceID.NotFound": NOT_FOUND,
    "InvalidSpotInstanceRequestID.NotFound": NOT_FOUND,
    "InvalidVolume.NotFound": NOT_FOUND,
    "InvalidAddress.NotFound": NOT_FOUND,
    "InvalidAllocationID.NotFound": NOT_FOUND,
    # Capacity and limits: the request is fine, the cloud cannot run it now.
    "InsufficientAddressCapacity": CAPACITY,
    "InsufficientCapacity": CAPACITY,
    "InsufficientHostCapacity": CAPACITY,
    "InsufficientInstanceCapacity": CAPACITY,
    "InsufficientReservedInstanceCapacity": CAPACITY,
    "InsufficientVolumeCapacity": CAPACITY,
    "InsufficientFreeAddressesInSubnet": CAPACITY,
    "InstanceLimitExceeded": CAPACITY,
    "MaxSpotInstanceCountExceeded": CAPACITY,
    "VcpuLimitExceeded": CAPACITY,
    "SpotMaxPriceTooLow": CAPACITY,
    "Unsupported": CAPACITY,
    # Try again later.
    "RequestLimitExceeded": TRANSIENT,
    "Throttling": TRANSIENT,
    "ThrottlingException": TRANSIENT,
    "RequestExpired": TRANSIENT,
    "InternalError": TRANSIENT,
    "InternalFailure": TRANSIENT,
    "ServiceUnavailable": TRANSIENT,
    "Unavailable": TRANSIENT,
    CONNECTION_ERROR: TRANSIENT,
    CONNECT_TIMEOUT: TRANSIENT,
    READ_TIMEOUT: TRANSIENT,
    # The request itself (most other 4xx fall here by status anyway).
    INVALID_SERVICE_URL: BAD_REQUEST,
}


def classify(code, status=None):
    """The kind of an error code (and HTTP status, for codes not in the table)."""
    kind = KIND_BY_CODE.get(code)
    if kind:
        return kind
    if code and code.endswith(".NotFound") and code.startswith(
            ("InvalidInstanceID", "InvalidSpotInstanceRequestID")):
        return NOT_FOUND
    if status is not None and status >= 500:
        return TRANSIENT
    if status is None and code == INVALID_RESPONSE:
        return TRANSIENT
    return BAD_REQUEST


class EC2Error(Exception):
    """An EC2 request that failed.  code: the AWS error code (or ours),
    message: the cloud's own words, status: the HTTP status or None,
    kind: one of KINDS (see the module docstring)."""

    def __init__(self, code, message, status=None, kind=None, action=None):
        self.code = code or "Unknown"
        self.message = message or ""
        self.status = status
        self.kind = kind or classify(self.code, status)
        self.action = action
        super().__init__(str(self))

    def __str__(self):
        return f"{self.code}: {self.message}" if self.message else self.code

    def __repr__(self):
        return f"EC2Error({self.code!r}, {self.message!r}, status={self.status!r}, kind={self.kind!r})"

    def __reduce__(self):
        return (EC2Error, (self.code, self.message, self.status, self.kind, self.action))

    @property
    def transient(self):
        return self.kind == TRANSIENT
