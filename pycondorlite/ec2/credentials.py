"""EC2 credentials, read from the two files a job names, when they are needed.

As HTCondor's EC2 GAHP reads them: the whole file, whitespace trimmed from both
ends (`ec2_access_key_id` / `ec2_secret_access_key` name the files).  Nothing
is cached: every call reads the files again, so a rotated key is picked up and
the secret lives only as long as the caller keeps the object.  An error names
the file, never its content; the object's repr/str never shows the secret.
"""

from .errors import CREDENTIALS_FILE, EC2Error

# HTCondor's magic value for "use the instance's IAM role" (169.254.169.254):
# refused here, since it would make the client reach the instance-metadata service.
FROM_INSTANCE = "FROM INSTANCE"
MAX_FILE_SIZE = 64 * 1024     # a key file is a few dozen bytes; refuse anything huge


class Credentials:
    """An access key id and a secret key.  The secret is only in `.secret_key`."""

    __slots__ = ("access_key_id", "_secret")

    def __init__(self, access_key_id, secret_key):
        self.access_key_id = access_key_id
        self._secret = secret_key

    @property
    def secret_key(self):
        return self._secret

    def __repr__(self):
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_key=<hidden>)"

    __str__ = __repr__

    def __eq__(self, other):
        return (isinstance(other, Credentials) and other.access_key_id == self.access_key_id
                and other._secret == self._secret)

    def __hash__(self):
        return hash(self.access_key_id)

    def __reduce__(self):
        raise TypeError("Credentials are not to be pickled")


def _read(path, what):
    if path == FROM_INSTANCE:
        raise EC2Error(CREDENTIALS_FILE, f"Instance-role credentials ({FROM_INSTANCE}) are not "
                       "supported; name the accesskey and secretkey files.")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_SIZE + 1)
    except (OSError, TypeError, ValueError):
        raise EC2Error(CREDENTIALS_FILE, f"Unable to read from {what} file '{path}'.") from None
    if len(data) > MAX_FILE_SIZE:
        raise EC2Error(CREDENTIALS_FILE, f"The {what} file '{path}' is too large to be a key.")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise EC2Error(CREDENTIALS_FILE, f"The {what} file '{path}' is not text.") from None
    if not text:
        raise EC2Error(CREDENTIALS_FILE, f"The {what} file '{path}' is empty.")
    return text


def read_credentials(access_key_file, secret_key_file):
    """Read both files now; EC2Error (code E_FILE_IO, kind auth) names a bad one."""
    return Credentials(_read(access_key_file, "accesskey"), _read(secret_key_file, "secretkey"))
