"""The job's Requirements (HTCondor's SetRequirements): the user's expression,
then the clauses condor_submit adds for what the user did not ask about
(architecture and operating system, disk, memory, CPUs, custom resources,
file transfer and its plugins, deferral, checkpoints, CUDA)."""

import re

from pycondorlite import config
from pycondorlite.jobad import quote
from pycondorlite.submit import exprs
from pycondorlite.submit.values import (GRID, JAVA, LOCAL, MPI, PARALLEL, VANILLA, VM, SubmitError,
                                        container_image_type, exprs_text_string, is_url, url_type)

MIGHT_TRANSFER = (VANILLA, MPI, PARALLEL, JAVA, VM)
_OPSYS_ATTRS = ("opsys", "opsysandver", "opsyslongname", "opsysshortname", "opsysname",
                "opsyslegacy")


def set_requirements(b, ad):
    orig = b.param("requirements")
    answer = f"({orig})" if orig else ""
    if b.param("MY.Requirements") is not None:
        if orig:
            b.warn("Use of MY.Requirements or +Requirements  overrides requirements. You "
                   "should remove one of these statements from your submit file.")
        return
    append = None
    if b.universe == VANILLA:
        append = config.param("APPEND_REQ_VANILLA")
    elif b.universe == VM:
        append = config.param("APPEND_REQ_VM")
    append = append or config.param("APPEND_REQUIREMENTS")
    if append:
        answer += f" && ({append})" if answer else f"({append})"

    gridtype = ad.get(".gridtype")
    if b.universe == GRID and (gridtype != "condor" or not config.param_bool(
            "SUBMIT_GENERATE_CONDOR_C_REQUIREMENTS", True)):
        if answer:
            b.assign_expr(ad, "Requirements", answer)
        else:
            ad["Requirements"] = "true"
        return

    try:
        _, machine = exprs.references(answer, ("RequestMemory", "VM_CkptMac")) if answer \
            else (set(), set())
    except exprs.ExprError:
        # As HTCondor: the clauses are added all the same, and the whole
        # expression is refused when it is assigned.
        machine = set()
    container = b.container or b.docker
    checks_arch = "arch" in machine
    checks_opsys = container or any(a in machine for a in _OPSYS_ATTRS)
    might_transfer = b.universe in MIGHT_TRANSFER
    parts = [answer] if answer else []

    def add(clause):
        parts.append(clause)

    arch = config.param("ARCH") or ""
    if b.universe == JAVA:
        add("TARGET.HasJava")
    elif b.universe == VM:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        tail = []
        if "hasvm" not in machine:
            tail.append(" && (TARGET.HasVM =?= true)")
        if "vm_type" not in machine:
            tail.append(" && (TARGET.VM_Type == MY.JobVMType)")
        if "vm_avail_num" not in machine:
            tail.append(" && (TARGET.VM_AvailNum > 0)")
        if ad.get("JobVMCheckpoint") == "true":
            job_refs, _ = exprs.references(answer, ("RequestMemory", "VM_CkptMac")) \
                if answer else (set(), set())
            if "vm_ckptmac" not in job_refs:
                tail.append(" && ((MY.VM_CkptMac =?= undefined) || (TARGET.VM_All_Guest_Macs "
                            "=?= undefined) || (stringListIMember(MY.VM_CkptMac,"
                            "TARGET.VM_All_Guest_Macs,\",\") == false))")
        if parts:
            parts[-1] += "".join(tail)
        else:
            parts.append("".join(tail)[4:])
    elif b.docker:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        add("TARGET.HasDocker")
        net = exprs_text_string(ad.get("DockerNetworkType", ""))
        if net and net not in ("host", "none", "nat"):
            parts[-1] += " && StringListMember(My.DockerNetworkType,TARGET.DockerNetworks)"
    elif b.container:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        clause = "TARGET.HasContainer"
        if "DockerImage" in ad:
            clause += " && TARGET.HasDockerURL"
        else:
            image = exprs_text_string(ad.get("ContainerImage", ""))
            if image or "ContainerImage" in ad:
                kind = container_image_type(exprs_text_string(
                    ad.get("ContainerImageFullPath", "")) or image)
                clause += {"docker": " && TARGET.HasDockerURL", "sif": " && TARGET.HasSIF"}.get(
                    kind, " && TARGET.HasSandboxImage")
        add(clause)
    else:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        if not checks_opsys:
            add(f'(TARGET.OpSys == "{config.param("OPSYS") or ""}")')

    if "disk" not in machine:
        disk = ad.get("RequestDisk")
        if disk is not None:
            n = exprs.literal_number(disk)
            if n is None or n > 0:
                add("(TARGET.Disk >= RequestDisk)")
        elif b.universe == VM:
            add("(TARGET.TotalDisk >= DiskUsage)")
        else:
            add("(TARGET.Disk >= DiskUsage)")
    elif b.universe != VM and "RequestDisk" in ad:
        add("(TARGET.Disk >= RequestDisk)")

    if b.universe == VM:
        if ad.get(".vmtype") != "xen":
            add("(TARGET.TotalMemory >= MY.JobVMMemory)")
        if "vm_memory" not in machine:
            add("(TARGET.VM_Memory >= MY.JobVMMemory)")
        if ad.get("JobVMHardwareVT") == "true" and "vm_hardware_vt" not in machine:
            add("TARGET.VM_HardwareVT")
        if ad.get("JobVMNetworking") == "true":
            if "vm_networking" not in machine:
                add("TARGET.VM_Networking")
            if "JobVMNetworkingType" in ad:
                add('stringListIMember(JobVMNetworkingType,TARGET.VM_Networking_Types,",")')
    else:
        mem = ad.get("RequestMemory")
        if mem is not None:
            n = exprs.literal_number(mem)
            if n is None or n > 1.0:
                add("(TARGET.Memory >= RequestMemory)")

    if b.universe != GRID and "cpus" not in machine:
        cpus = ad.get("RequestCpus")
        if cpus is not None:
            n = exprs.literal_number(cpus)
            if n is None or n > 1.0:
                add("(TARGET.Cpus >= RequestCpus)")

    _custom_resources(ad, machine, add)

    if "TDPCmd" in ad and "hastdp" not in machine:
        add("TARGET.HasTDP")
    if ad.get("EncryptExecuteDirectory") == "true" and \
            "encryptexecutedirectory" not in machine:
        add("TARGET.HasEncryptExecuteDirectory")
    if b.universe == MPI and "hasmpi" not in machine:
        add("TARGET.HasMPI")
    if might_transfer:
        _file_transfer(b, ad, machine, add)
    if b._needs_deferral(ad):
        deferral = ("(((time() + ScheddInterval) >= (DeferralTime - DeferralPrepTime)) && "
                    "(time() < (DeferralTime + DeferralWindow)))")
        if b.universe != LOCAL:
            add("TARGET.HasJobDeferral")
        if "ScheddInterval" not in ad:
            interval = config.param("SCHEDD_INTERVAL")
            if interval:
                b.assign_expr(ad, "ScheddInterval", interval)
            else:
                ad["ScheddInterval"] = "300"
        add(deferral)
    if ad.get("WantFTOnCheckpoint") == "true" and \
            "hasselfcheckpointtransfers" not in machine:
        add("TARGET.HasSelfCheckpointTransfers")
    cuda = exprs_text_string(ad.get("CUDAVersion", "")) if "CUDAVersion" in ad else None
    if cuda is not None:
        m = re.fullmatch(r"(\d+)\.(\d+)", cuda)
        if m:
            ad["CUDAVersion"] = str(int(m.group(1)) * 1000 + int(m.group(2)) % 100)
        elif re.fullmatch(r"\d+", cuda):
            n = int(cuda)
            ad["CUDAVersion"] = str(n * 1000 if n < 1000 else n)
        else:
            raise SubmitError("cuda_version must be of the form 'x' or 'x.y', where x and y "
                              "are positive integers.")
        parts[-1] += " && CUDAVersion <= TARGET.CUDAMaxSupportedVersion"
    # Clauses we add are written as HTCondor prints them: only the user's part
    # needs the parser.
    b.assign_expr(ad, "Requirements", " && ".join(parts), canonical=not answer)


def _custom_resources(ad, machine, add):
    """A clause per Request<name> attribute other than cpus, disk and memory."""
    tags = sorted((k for k in ad if len(k) >= 9 and k[:7].lower() == "request" and k[7] != "_"
                   and k.lower() not in ("requestcpus", "requestdisk", "requestmemory")),
                  key=str.lower)
    if not config.param_bool("SUBMIT_GENERATE_CUSTOM_RESOURCE_REQUIREMENTS", True):
        tags = [t for t in tags if t.lower() == "requestgpus"]
    for attr in tags:
        tag = attr[7:]
        if tag.lower() in machine:
            continue
        text = ad[attr]
        value = exprs.literal(text)
        if isinstance(value, str):
            if value:
                add(f"regexp({attr},TARGET.{tag})")
            continue
        if type(value) in (int, float) and not isinstance(value, bool) and value <= 0:
            continue
        if isinstance(value, bool):
            continue
        require = "Require" + tag
        if require in ad or any(k.lower() == require.lower() for k in ad):
            add(f"(countMatches(MY.{require},TARGET.Available{tag}) >= {attr})")
        else:
            add(f"(TARGET.{tag} >= {attr})")


def _file_transfer(b, ad, machine, add):
    checks_fs = "filesystemdomain" in machine
    checks_ft = "hasfiletransfer" in machine or "hasjobtransferplugins" in machine
    checks_methods = "hasfiletransferpluginmethods" in machine
    domain = "(TARGET.FileSystemDomain == MY.FileSystemDomain)"
    xfer = "TARGET.HasFileTransfer"
    crypt = ""
    if "hasperfileencryption" not in machine and any(
            a in ad for a in ("EncryptInputFiles", "EncryptOutputFiles", "DontEncryptInputFiles",
                              "DontEncryptOutputFiles")):
        crypt = " && TARGET.HasPerFileEncryption"
    stf = exprs_text_string(ad.get("ShouldTransferFiles", "")) or "IF_NEEDED"
    if stf == "NO":
        if not checks_fs:
            add(domain)
        return
    if checks_ft:
        return
    text = ""
    close = ")"
    if stf == "IF_NEEDED" and not checks_fs:
        text = "(" + domain + " || ("
        close = "))"
    else:
        text = "("
    plugins = exprs_text_string(ad.get("TransferPlugins", ""))
    if plugins:
        xfer = "TARGET.HasJobTransferPlugins"
    text += xfer + crypt
    version_check = ("TransferCheckpoint" in ad or ad.get("PreserveRelativePaths") == "true"
                     or exprs_text_string(ad.get("WhenToTransferOutput", "")) == "ON_SUCCESS")
    if version_check:
        text += ' && versioncmp(split(TARGET.CondorVersion)[1],"8.9.7") >= 0'
    job_methods = set()
    for plug in plugins.split(";"):
        if "=" in plug:
            job_methods |= {m.strip().lower() for m in re.split(r"[\s,]+", plug.split("=")[0])
                            if m.strip()}
    methods = set()
    for f in (exprs_text_string(ad.get("TransferInput", "")) or "").split(","):
        f = f.strip()
        if f and is_url(f) and url_type(f) not in job_methods:
            methods.add(url_type(f))
    dest = exprs_text_string(ad.get("OutputDestination", ""))
    if dest and is_url(dest) and url_type(dest) not in job_methods:
        methods.add(url_type(dest))
    for remap in (exprs_text_string(ad.get("TransferOutputRemaps", "")) or "").split(";"):
        if "=" in remap:
            url = remap.split("=", 1)[1].strip()
            if is_url(url) and url_type(url) not in job_methods:
                methods.add(url_type(url))
    want = []
    for m in sorted(methods, key=str.lower):
        want.append(m)
        if checks_methods:
            continue
        text += f' && stringListIMember("{m}",TARGET.HasFileTransferPluginMethods)'
        if m in ("s3", "gs") and config.param_bool("SIGN_S3_URLS", True):
            missing = []
            if "EC2AccessKeyId" not in ad:
                missing.append("[s3|gs]:// URLs require [s3|aws|gs]_access_key_id_file to be "
                               "set.")
            if "EC2SecretAccessKey" not in ad:
                missing.append("[s3|gs]:// URLS require [s3|aws|gs]_secret_access_key_file to "
                               "be set.")
            if missing:
                raise SubmitError("\n".join(missing))
    if want:
        ad["WantTransferPluginMethods"] = quote(",".join(want))
    add(text + close)
