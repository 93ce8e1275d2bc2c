"""From `grid_resource = ec2 <service URL>` to where requests go and how they are signed.

HTCondor's EC2 GAHP (src/ec2_gahp/amazonCommands.cpp) takes the URL apart as
`<protocol>://<host>[/<path>]`, where <host> keeps any `:port`, and signs
with Signature Version 4, whose scope it derives from the host alone:

    service = the host up to its first dot          ec2.us-west-2.amazonaws.com -> ec2
    region  = between the first and second dots     ec2.us-west-2.amazonaws.com -> us-west-2
              (the whole host when it has fewer than two dots, "for testing")

So a region is chosen by naming its endpoint, and an EC2-compatible cloud
(OpenStack, Eucalyptus) gets whatever scope its host name gives, which such
servers accept.  Protocols: http and https (SigV4); x509 (https with the two
files as the TLS client certificate and key, requests not signed); euca3 and
euca3s (http / https with Signature Version 2 and without the
InstanceInitiatedShutdownBehavior parameter Eucalyptus 3 refuses).

Loopback names: a host that is `localhost` or ends in `.localhost` is
connected to at 127.0.0.1 (RFC 6761 §6.3, as curl >= 7.78 does), keeping the
name as the Host header and for the signature.  That is how the embedded EC2
shows several regions on loopback and stays honest with HTCondor's rule:
`http://ec2.us-west-2.localhost:PORT/` signs for region us-west-2, exactly as
HTCondor would, and moto files the request under the region it is signed for.
"""

import dataclasses
import re

from .errors import INVALID_SERVICE_URL, EC2Error

SCHEMES = ("http", "https", "x509", "euca3", "euca3s")
LOOPBACK = "127.0.0.1"
_URL = re.compile(r"([^:]+)://(([^/]+)(/.*)?)\Z", re.S)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    service_url: str        # as written in grid_resource
    scheme: str             # one of SCHEMES
    url: str                # http(s)://host[:port][/path]: what requests are sent to
    host: str               # host[:port] as written: the Host header and the signature's
    service: str            # SigV4 service name (HTCondor's rule)
    region: str             # SigV4 region (HTCondor's rule)
    signature: str          # "v4", "v2" (euca3) or "x509"
    shutdown_behavior: bool  # send InstanceInitiatedShutdownBehavior=terminate
    connect_host: str = None  # where to connect instead of the host (loopback names)

    @property
    def connect_url(self):
        """The URL the HTTP connection is made to (differs for loopback names)."""
        if not self.connect_host:
            return self.url
        scheme, _, rest = self.url.partition("://")
        hostport, slash, path = rest.partition("/")
        port = hostport.rsplit(":", 1)[1] if ":" in hostport.rsplit("]", 1)[-1] else None
        return f"{scheme}://{self.connect_host}{':' + port if port else ''}{slash}{path}"


def scope_of(host):
    """(service, region) of a host[:port], by HTCondor's rule."""
    i = host.find(".")
    service = host[:i] if i >= 0 else host
    j = host.find(".", i + 1) if i >= 0 else -1
    region = host[i + 1:j] if j >= 0 else host
    return service, region


def _hostname(host):
    """The name part of host[:port] ([v6] kept whole)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def is_loopback_name(host):
    name = _hostname(host).lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def parse_service_url(service_url):
    """An Endpoint for a service URL; EC2Error(E_INVALID_SERVICE_URL) if it is not one."""
    text = (service_url or "").strip()
    m = _URL.match(text)
    if not m:
        raise EC2Error(INVALID_SERVICE_URL, f"Failed to parse service URL '{text}'.")
    scheme, host_and_path, host = m.group(1).lower(), m.group(2), m.group(3)
    if scheme not in SCHEMES:
        raise EC2Error(INVALID_SERVICE_URL, f"Service URL '{text}' not of a known protocol "
                       "(http[s]|x509|euca3[s]).")
    if "@" in host:     # never echo a user:password@ part
        raise EC2Error(INVALID_SERVICE_URL, "Service URL must not hold credentials (user@host); "
                       "name the accesskey and secretkey files instead.")
    if any(c.isspace() for c in host):
        raise EC2Error(INVALID_SERVICE_URL, f"Failed to parse service URL '{text}'.")
    target = {"http": "http", "euca3": "http"}.get(scheme, "https")
    url = text if scheme in ("http", "https") else f"{target}://{host_and_path}"
    service, region = scope_of(host)
    loopback = is_loopback_name(host) and _hostname(host).lower() != "localhost"
    return Endpoint(service_url=text, scheme=scheme, url=url, host=host, service=service,
                    region=region,
                    signature={"x509": "x509", "euca3": "v2", "euca3s": "v2"}.get(scheme, "v4"),
                    shutdown_behavior=scheme not in ("euca3", "euca3s"),
                    connect_host=LOOPBACK if loopback else None)
