"""The data deltacloud's `mock` driver ships with (deltacloud-core 1.1.3).

Realms, images, hardware profiles, the seed key and the four seed instances,
as the real server reports them (see reference/deltacloud-api.md §6 and the
transcripts). Pure data: the simulator copies what it needs.
"""

API_VERSION = "1.1.3"
DRIVER = "mock"
DEFAULT_USER = "mockuser"
DEFAULT_PASSWORD = "mockpassword"

# Every collection the mock's entry point links to, in the order it lists them.
COLLECTIONS = (
    "addresses", "buckets", "drivers", "hardware_profiles", "images",
    "instance_states", "instances", "keys", "metrics", "network_interfaces",
    "networks", "realms", "storage_snapshots", "storage_volumes", "subnets",
)

# Features of the instances collection: (name, rel, param).  The mock declares
# `:user_Data` (sic), so user_data is not advertised although it is accepted.
INSTANCE_FEATURES = (
    ("metrics", "create", "metrics"),
    ("realm_filter", "index", "realm_id"),
    ("user_name", "create", "name"),
    ("authentication_key", "create", "keyname"),
)

REALMS = (
    {"id": "us", "name": "United States", "state": "AVAILABLE", "limit": "unlimited"},
    {"id": "eu", "name": "Europe", "state": "AVAILABLE", "limit": "unlimited"},
)

# GET /api/realms/<code> raises these in the mock (its test hooks).
REALM_TEST_HOOKS = {
    "500": (500, "DeltacloudErrorMessage"),
    "501": (501, "NotImplementedMessage"),
    "502": (502, "ProviderErrorMessage"),
    "504": (504, "ProviderTimeoutMessage"),
}

_IMAGE_TIME = "Thu Oct 25 14:27:53 CEST 2012"
IMAGES = (
    {"id": "img1", "name": "img1", "description": "Fedora 10", "owner_id": "fedoraproject",
     "architecture": "x86_64", "state": "AVAILABLE", "creation_time": _IMAGE_TIME},
    {"id": "img2", "name": "img2", "description": "Fedora 10", "owner_id": "fedoraproject",
     "architecture": "i386", "state": "AVAILABLE", "creation_time": _IMAGE_TIME},
    {"id": "img3", "name": "img3", "description": "JBoss", "owner_id": "mockuser",
     "architecture": "i386", "state": "AVAILABLE", "creation_time": _IMAGE_TIME},
)

# Hardware profiles, in the order the mock sorts them (cpu, memory; empty last).
# A property is (name, unit, kind, default, detail): detail is (first, last)
# for a range, a tuple of values for an enum, None when fixed.
HARDWARE_PROFILES = (
    {"id": "m1-small", "properties": (
        ("cpu", "count", "fixed", "1", None),
        ("memory", "MB", "fixed", "1740.8", None),
        ("storage", "GB", "fixed", "160", None),
        ("architecture", "label", "fixed", "i386", None),
    )},
    {"id": "m1-large", "properties": (
        ("cpu", "count", "range", "1", ("1", "6")),
        ("memory", "MB", "range", "10240", ("7680", "15360")),
        ("storage", "GB", "enum", "850", ("850", "1024")),
        ("architecture", "label", "fixed", "x86_64", None),
    )},
    {"id": "m1-xlarge", "properties": (
        ("cpu", "count", "fixed", "4", None),
        ("memory", "MB", "range", "12288", ("12288", "32768")),
        ("storage", "GB", "enum", "1024", ("1024", "2048", "4096")),
        ("architecture", "label", "fixed", "x86_64", None),
    )},
    {"id": "opaque", "properties": ()},
)
DEFAULT_HWP = "m1-small"

# Order and units of the hwp_* overrides echoed in an instance's profile.
PROFILE_OVERRIDES = (("memory", "MB"), ("storage", "GB"), ("cpu", "count"), ("architecture", "label"))

# The mock's instance state machine: state -> [(action or None for automatic, to)].
STATE_MACHINE = (
    ("start", (("create", "pending"),)),
    ("pending", ((None, "running"),)),
    ("running", (("reboot", "running"), ("stop", "stopped"))),
    ("stopped", (("start", "running"), ("destroy", "finish"))),
    ("finish", ()),
)


def _instance(id, name, image_id, hwp_id, realm_id, addr_image, hwp_props=None,
              keyname=None, create_image=True, network_interfaces=()):
    return {
        "id": id, "name": name, "state": "RUNNING", "keyname": keyname,
        "image_id": image_id, "owner_id": DEFAULT_USER, "realm_id": realm_id,
        "hwp_id": hwp_id, "hwp_props": dict(hwp_props or {}),
        "public_addresses": [[f"{addr_image}.{id}.public.com", "hostname"]],
        "private_addresses": [[f"{addr_image}.{id}.private.com", "hostname"]],
        "create_image": create_image, "user_data": None,
        "network_interfaces": list(network_interfaces),
        "pending_until": None, "stopping_until": None,
        "created_at": None, "serial": None,
    }


# The seed instances (mock/data/instances/inst0..3.yml as 1.1.3 serves them;
# inst1's addresses really do name img1 although it runs img3).
FIXTURE_INSTANCES = (
    _instance("inst0", "Mock Instance With Profile Change", "img1", "m1-large", "us", "img1",
              hwp_props={"memory": "12288"}),
    _instance("inst1", "MockUserInstance", "img3", "m1-small", "us", "img1"),
    _instance("inst2", "AnotherInstance", "img1", "m1-large", "us", "img1"),
    _instance("inst3", "", "img3", "m1-small", "eu", "img3", keyname="",
              create_image=False, network_interfaces=("nicinst3",)),
)

TEST_KEY_PEM = (
    '-----BEGIN RSA PRIVATE KEY-----\n'
    'P9mRXOY7p2SmMzTGA6dwKxUp1NB8LNCIJ7sMGgAljsf=ToAi9qn9myx0EQJkE8FZ8FigUIMHS/T\n'
    '8EwP7Ayjztb8dczbC6sb/Ep2UWcegNUVHimyHstaEaO/3dCaFwLJ/kw=laAfLQAVj4sIr8EHDTg\n'
    '/BFkgmwTAYlS/ybkEfO9J7AJlY6/agwYzDWp+VGAD9rMsl2EkkbkWdoTX4Aob9RqyHaFi2m1AAw\n'
    '2nhhqYpa1W4H=PJvyBcsXT3JynowSI8rTvo41oVwgSzv7YofGP0yV7BePm5pXZUUP2ZMByxbAUv\n'
    'jvYRN/cMHbC6RW1ezR3uehCKdKFRXLTkoivoGj4ugrKgOwQP0HWI2orx/NW+6vYBxyCKiTJPZcK\n'
    'x4BlRrlgvPST/7eaFv7/5Pqc3jWcp+bRC0qyYqQT9iq3gGNoc4ABFTI7zCeZ3p9tK8oje5fWo5m\n'
    '54P32hVGeBjfqT/MrEYbY5gbJU6LejCj7x6Ozlp4iHQtrYNhiZ0iP0W3nRhVFQHamKx9aoBXyeg\n'
    'LLGxBOr+TfaeeBXRkXiaMuWoyPSzUQwWmaJhm0sjHf7e/iKiUggZkOHQ/eF9MWI4M+4wvyepfS0\n'
    '5vl2Ql/2rXv+Mx+c4cx1fjBhRrMPcGKmHGjNMjPyamTrlqueFRJYP45AYABP2U2AsNxoPfEG0qu\n'
    'ki3DJOeC5x/03nODd=hQLzfdiQ3Yyt0GMw1EQN96cPaRtnjr3U4/ngxt0Fi6o7Z8E2+Uh5t4n8D\n'
    'h0exXCOlOi9BDsJJz677mga/=5Sin/4Cw8=D8O1FHrWoA4ZQbWFE71F=/29PM90RHJf2bjgk2WF\n'
    'piltKwVfGAxPOTcpmf=J+V3NHgT/EawMPHuEmwgNvx6smDBUgJaw0QYX/XG5xuiQ7HTkffJN6Cm\n'
    '6D4WCJPZUvO1r+v=T9v7Qu4j9ue/l2WwVZuvQsVD67jpzq2R72EHna6rcwwyMcdAlwikP9nzJIL\n'
    'Ale7hQAWHIEeAvAxtwxEMSfTkuLQcD=i0ORysmInDxdORw4ue2YThj2Id/jmUy6IiEqMYeVpiRq\n'
    '6spq2ukt=+HHn6aBcYWbsD=e8/wOk0X0=ixZ0HF+xqYgsiiAk==rA4QEgrf+5djbIRZk1wegeIO\n'
    'po/HZdF4qk32cKBjrrel2AzxfZeGxWNX7ObAE4HACXi3eSdcnm1fIHsoSC+1eDqFkfAIve3Dj/a\n'
    'afZxrda6zzp3g6IPcHAqleCn7XNcS0v5tk4Fag8Wr5Wq7IipRfixAs+GESGiyugeRvZWN2mtDOL\n'
    'CGHGGAbpvplw2vjdryVyj7P6bVcwLNgl0t1ufZBaGRBpyontJ1/UQQMew7e2lW=EZr/GxHke8HN\n'
    'X5vIw9ssx8=LL00fxAuX9SRdcrtVyTYGXORXe9NnldXjBXmLPgwqJAjoBTjTBQxzrQOtdla=/yw\n'
    'MsDlFWumPz1HAFw7R5zS2VCHrwkLDm=h7k3y+fUvYOx6IYf+MmevANuJT+2qY6s/ilTBNDYq6jJ\n'
    '8LYpsBo4XpQm1ZleFCIyRldHfmaC5EMxkVQVqCV7X9I6JgzDEetUre25LQTpDa31M=ucVHNWlT+\n'
    '6rjiLETNeMTWGcuIkLPe/PElmp4llKeFi6g2=E2AKeSDzNycr5eXHEnBuKfEnENXXo6n-----END RSA PRIVATE KEY-----'
)

FIXTURE_KEYS = (
    {"id": "test-key",
     "fingerprint": "5e:ce:b6:dc:59:3b:5c:93:f8:2e:9d:20:ce:60:ca:f5:0b:8a:66:93",
     "pem": TEST_KEY_PEM},
)
