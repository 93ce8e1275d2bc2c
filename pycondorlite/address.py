"""Where the local schedd is: its name and its sinful string.

The tools work on the spool directly, so the address is what condor_q's title,
the user log's submit events and htcondor.Collector().locate() show: the one a
running schedd wrote to SCHEDD_ADDRESS_FILE (or <spool>/.schedd_address), else
the loopback address on HTCondor's default port.
"""

import os
import socket

from pycondorlite.config import param


def schedd_name():
    return param("SCHEDD_NAME") or socket.getfqdn()


def schedd_address(spool_dir=None):
    path = param("SCHEDD_ADDRESS_FILE")
    if not path and spool_dir:
        path = os.path.join(spool_dir, ".schedd_address")
    if path:
        try:
            with open(path) as f:
                line = f.readline().strip()
            if line.startswith("<"):
                return line
        except (OSError, ValueError):
            pass
    ip = param("IP_ADDRESS") or "127.0.0.1"
    return "<%s:9618?addrs=%s-9618&noUDP&sock=schedd>" % (ip, ip)


def collector_name(pool=None):
    """The collector a tool reports talking to (COLLECTOR_HOST)."""
    if pool:
        return pool
    return param("COLLECTOR_HOST") or socket.getfqdn()
