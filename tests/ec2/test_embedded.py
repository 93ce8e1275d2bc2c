"""The embedded EC2's own life: the README's command line, stopping, several regions."""

import re
import signal
import subprocess
import sys

from pycondorlite.ec2.client import Client
from pycondorlite.ec2.embedded import NO_AUTH_CREDENTIALS, EmbeddedEC2


def test_command_line_prints_one_url_per_region_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "pycondorlite.ec2.embedded", "-p", "0",
                             "--regions", "us-east-1,ap-southeast-2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        urls = dict(re.findall(r"  (\S+): grid_resource = ec2 (\S+)", "".join(lines)))
        assert set(urls) == {"us-east-1", "ap-southeast-2"}
        assert re.fullmatch(r"http://ec2\.ap-southeast-2\.localhost:\d+/", urls["ap-southeast-2"])
        zones = Client(urls["ap-southeast-2"], *NO_AUTH_CREDENTIALS).describe_availability_zones()
        assert {z.region for z in zones} == {"ap-southeast-2"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_a_bad_port_is_one_line_and_exit_1():
    with EmbeddedEC2() as e:
        done = subprocess.run([sys.executable, "-m", "pycondorlite.ec2.embedded", "-p",
                               str(e.port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("embedded EC2: cannot listen on 127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_stop_ends_the_child_and_frees_the_port():
    e = EmbeddedEC2().start()
    proc = e.proc
    e.stop()
    assert proc.poll() is not None
    e.stop()            # twice is fine
