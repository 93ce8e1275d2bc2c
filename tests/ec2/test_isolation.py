"""boto3 is used with nothing from the environment or ~/.aws, and never reaches
anything but the endpoint named: no instance-metadata service, no configured
endpoint, no retries of its own."""

import socket
import threading

import pytest
import urllib3.util.connection

from pycondorlite.ec2 import client as client_mod
from pycondorlite.ec2.client import Client
from pycondorlite.ec2.errors import EC2Error


class Trap:
    """A loopback listener that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def trap():
    t = Trap()
    yield t
    t.close()


def test_hostile_environment_and_config_files_are_ignored(ec2, trap, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    trap_url = f"http://127.0.0.1:{trap.port}/"
    (home / ".aws" / "config").write_text(
        f"[default]\nregion = eu-west-3\nendpoint_url = {trap_url}\nmax_attempts = 9\n"
        f"[profile hostile]\nendpoint_url = {trap_url}\n")
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAFROMFILE0000000\naws_secret_access_key = file\n")
    for name, value in {"HOME": str(home), "AWS_PROFILE": "hostile",
                        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
                        "AWS_ENDPOINT_URL": trap_url, "AWS_ENDPOINT_URL_EC2": trap_url,
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT": trap_url,
                        "AWS_MAX_ATTEMPTS": "9", "AWS_RETRY_MODE": "adaptive",
                        "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "AKIAENV",
                        "AWS_SECRET_ACCESS_KEY": "env"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(client_mod, "_session", None)     # built anew under this environment
    connected = []
    real = urllib3.util.connection.create_connection

    def watch(address, *a, **kw):
        connected.append(address)
        return real(address, *a, **kw)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", watch)
    c = Client(ec2.url("us-east-1"), "AKIAEMBEDDEDEC2TESTS0", "x")
    assert c.describe_availability_zones()[0].name.startswith("us-east-1")   # not eu-west-3
    assert trap.hits == 0
    assert connected and all(host == "127.0.0.1" and port == ec2.port
                             for host, port in connected)
    monkeypatch.setattr(client_mod, "_session", None)


def test_one_attempt_per_call(ec2, proxy):
    proxy.add_fault("unavailable")
    c = Client(proxy.url(), "AKIAEMBEDDEDEC2TESTS0", "x", connect_timeout=2, read_timeout=5)
    with pytest.raises(EC2Error):
        c.describe_instances()
    assert proxy.counts() == {"DescribeInstances": 1}


def test_connection_refused_is_transient(unique):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()       # nothing listens there now
    c = Client(f"http://ec2.us-east-1.localhost:{port}/", "A", "B", connect_timeout=1)
    with pytest.raises(EC2Error) as e:
        c.describe_instances()
    assert e.value.code == "ConnectionError" and e.value.kind == "transient"
    assert "B" not in e.value.message.split("localhost")[0]
