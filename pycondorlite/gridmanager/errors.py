"""How the state machines see a failed cloud request: five kinds, whatever the
grid type. Each grid type's call layer (cloudapi.py for Deltacloud, the
EC2 calls in ec2.py) turns its client's errors into these."""


class CloudError(Exception):
    """A failed cloud request, as the state machine classifies it. `code` is
    the cloud's own error code where it gives one (EC2's "AuthFailure")."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class PermanentError(CloudError):
    """Retrying will not help: bad credentials, unknown image, bad request."""


class AuthError(PermanentError):
    """The cloud refused the credentials."""


class CapacityError(CloudError):
    """The cloud refused a launch for capacity or quota (InsufficientInstanceCapacity,
    InstanceLimitExceeded, ...): the request was sound, this provider is full."""


class GoneError(CloudError):
    """The instance does not exist (403 on an action, 404, InvalidInstanceID.NotFound)."""


class NotAllowedError(CloudError):
    """405: not allowed in the instance's current state."""


class TransientError(CloudError):
    """5xx, throttling, timeouts, dropped connections: try again later."""


def as_cloud_error(e):
    """Any exception from a request, as a CloudError (an unknown one is transient:
    the state machines retry with backoff and look before they create again)."""
    if isinstance(e, CloudError):
        return e
    return TransientError(f"{type(e).__name__}: {e}")
