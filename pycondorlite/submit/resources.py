"""Resource requests (HTCondor's SetRequestResources and SetResourceRequirements):
request_cpus, request_memory, request_disk, request_gpus and any request_<name>,
with their defaults and units, and the RequireGPUs constraints."""

from pycondorlite import config
from pycondorlite.submit import exprs
from pycondorlite.submit.values import SubmitError, parse_bytes

DEFAULT_REQUEST_MEMORY = "ifthenelse(MemoryUsage =!= undefined,MemoryUsage,(ImageSize + 1023) / 1024)"
DEFAULT_REQUEST_DISK = "DiskUsage"
DEFAULT_REQUEST_CPUS = "1"

# request_<name> commands HTCondor refuses as resources (likely GPU typos).
DISALLOWED = {"request_gpu_memory", "request_gpus_memory"}


def set_request_resources(b, ad):
    handled = set()
    for key in b.sorted_keys():
        low = key.lower()
        if not low.startswith("request_"):
            continue
        fn = _SPECIAL.get(low)
        if fn:
            fn(b, ad, key)
            handled.add(_SPECIAL_NAME.get(low, low))
            continue
        rname = key[len("request_"):]
        if len(rname) < 2 or rname.startswith("_") or low in DISALLOWED:
            continue
        val = b.param(key)
        if val is None:
            continue
        b.assign_expr(ad, "Request" + rname, val)
    for name, fn in (("request_cpus", request_cpus), ("request_gpus", request_gpus),
                     ("request_disk", request_disk), ("request_memory", request_memory)):
        if name not in handled:
            fn(b, ad, name)


def _defaults_allowed(ad):
    return ad.get(".use_default_resources", True)


def request_cpus(b, ad, key):
    if key.lower() in ("request_cpu", "requestcpu"):
        b.warn(f"{key} is not a valid submit keyword, did you mean request_cpus?")
        return
    v = b.param("request_cpus", "RequestCpus")
    if v is None and "RequestCpus" not in ad and _defaults_allowed(ad):
        v = config.param("JOB_DEFAULT_REQUESTCPUS") or DEFAULT_REQUEST_CPUS
    if v is not None and v.lower() != "undefined":
        b.assign_expr(ad, "RequestCpus", v)


def request_gpus(b, ad, key):
    if key.lower() in ("request_gpu", "requestgpu"):
        b.warn(f"{key} is not a valid submit keyword, did you mean request_gpus?")
        return
    v = b.param("request_gpus", "RequestGPUs")
    if v is None and "RequestGPUs" not in ad and _defaults_allowed(ad):
        v = config.param("JOB_DEFAULT_REQUESTGPUS")
    if v is not None and v.lower() != "undefined":
        b.assign_expr(ad, "RequestGPUs", v)
    if "RequestGPUs" not in ad:
        return
    v = b.param("require_gpus", "RequireGPUs")
    if v:
        b.assign_expr(ad, "RequireGPUs", v)
    for cmd, attr in (("gpus_minimum_capability", "GPUsMinCapability"),
                      ("gpus_maximum_capability", "GPUsMaxCapability")):
        v = b.param(cmd, attr)
        if v:
            b.assign_expr(ad, attr, v)
    v = b.param("gpus_minimum_memory", "GPUsMinMemory")
    if v:
        got = parse_bytes(v, 1024 * 1024)
        if got is not None:
            ad["GPUsMinMemory"] = str(got[0])
        else:
            b.assign_expr(ad, "GPUsMinMemory", v)
    elif b.param("request_gpu_memory", "request_gpus_memory"):
        b.warn("\nWARNING: request_gpu_memory is not a submit command, did you mean "
               "gpus_minimum_memory?")
    v = b.param("gpus_minimum_runtime", "GPUsMinRuntime")
    if v:
        ver = _runtime_version(v)
        if ver is not None:
            ad["GPUsMinRuntime"] = str(ver)
        else:
            b.assign_expr(ad, "GPUsMinRuntime", v)


def _runtime_version(text):
    """x or x.y as major*1000 + minor*10 (a number over 1000 is already coded)."""
    t = text.strip()
    major, dot, minor = t.partition(".")
    if not major.isdigit() or (dot and not minor.isdigit()):
        return None
    mj = int(major)
    mn = int(minor) if dot else -1
    if mn >= 100:
        return None
    if mn == -1 and mj > 1000:
        return mj
    return mj * 1000 + (mn * 10 if mn > 0 else 0)


def request_disk(b, ad, key):
    v = b.param("request_disk", "RequestDisk")
    if v is None and "RequestDisk" not in ad and _defaults_allowed(ad):
        v = config.param("JOB_DEFAULT_REQUESTDISK") or DEFAULT_REQUEST_DISK
    _sized(b, ad, "RequestDisk", v, 1024, "request_disk", "kilobytes")


def request_memory(b, ad, key):
    v = b.param("request_memory", "RequestMemory")
    if v is None and "RequestMemory" not in ad:
        if "JobVMMemory" in ad:
            b.warn("request_memory was NOT specified.  Using RequestMemory = MY.JobVMMemory")
            ad["RequestMemory"] = "MY.JobVMMemory"
            return
        if _defaults_allowed(ad):
            v = config.param("JOB_DEFAULT_REQUESTMEMORY") or DEFAULT_REQUEST_MEMORY
    _sized(b, ad, "RequestMemory", v, 1024 * 1024, "request_memory", "megabytes")


def _sized(b, ad, attr, v, base, cmd, unit_name):
    if v is None:
        return
    got = parse_bytes(v, base)
    if got is not None:
        missing = config.param("SUBMIT_REQUEST_MISSING_UNITS")
        if missing and not got[1]:
            if missing.lower() == "error":
                raise SubmitError(f"\nERROR: {cmd}={v} defaults to {unit_name}, but must "
                                  f"contain a units suffix (i.e K, M, or B)")
            b.warn(f"\nWARNING: {cmd}={v} defaults to {unit_name}, but should contain a "
                   f"units suffix (i.e K, M, or B)")
        ad[attr] = str(got[0])
    elif v.lower() != "undefined":
        b.assign_expr(ad, attr, v, canonical=v == DEFAULT_REQUEST_MEMORY)


_SPECIAL = {"request_cpus": request_cpus, "request_cpu": request_cpus,
            "request_gpus": request_gpus, "request_gpu": request_gpus,
            "request_disk": request_disk, "request_memory": request_memory}
_SPECIAL_NAME = {"request_cpu": "request_cpu", "request_gpu": "request_gpu"}


def set_resource_requirements(b, ad):
    """RequireGPUs from the gpus_minimum_* / gpus_maximum_* constraints."""
    if "RequestGPUs" not in ad:
        return
    require = ad.get("RequireGPUs")
    props = set()
    if require:
        job, machine = exprs.references(require, ("Capability", "GlobalMemoryMb",
                                                  "DriverVersion", "MaxSupportedVersion"))
        props = job
    clauses = []
    if "GPUsMinCapability" in ad and "capability" not in props:
        clauses.append("Capability >= GPUsMinCapability")
    if "GPUsMaxCapability" in ad and "capability" not in props:
        clauses.append("Capability <= GPUsMaxCapability")
    if "GPUsMinMemory" in ad and "globalmemorymb" not in props:
        clauses.append("GlobalMemoryMb >= GPUsMinMemory")
    if "GPUsMinRuntime" in ad and "maxsupportedversion" not in props:
        clauses.append("MaxSupportedVersion >= GPUsMinRuntime")
    if not clauses:
        return
    text = " && ".join(clauses)
    if require:
        req = require if not exprs.needs_parens_for(require, "&&") else f"({require})"
        text = req + " && " + text
    b.assign_expr(ad, "RequireGPUs", text)
