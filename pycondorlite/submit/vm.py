"""The vm universe's submit commands (HTCondor's SetVMParams): vm_type, memory,
CPUs, networking, checkpoints and the disk images of xen and kvm."""

from pycondorlite.jobad import quote
from pycondorlite.submit.grid import _valid_disk_list
from pycondorlite.submit.values import VM, SubmitError, parse_bytes, parse_long, strip_quotes


def set_vm_params(b, ad):
    if b.universe != VM:
        return
    vmtype = b.param("vm_type", "JobVMType")
    if vmtype:
        ad["JobVMType"] = quote(vmtype.lower())
        ad[".vmtype"] = vmtype.lower()
    vmtype = ad.get(".vmtype", "")
    for cmd, attr in (("vm_checkpoint", "JobVMCheckpoint"), ("vm_networking", "JobVMNetworking")):
        v, given = b.param_bool(cmd, attr)
        if given or attr not in ad:
            ad[attr] = "true" if v else "false"
    if ad["JobVMNetworking"] == "true":
        v = b.param("vm_networking_type", "JobVMNetworkingType")
        if v:
            ad["JobVMNetworkingType"] = quote(v)
    v, given = b.param_bool("vm_vnc", "JobVMVNCConsole")
    if given or "JobVMVNCConsole" not in ad:
        ad["JobVMVNCConsole"] = "true" if v else "false"
    mem = b.param("vm_memory", "JobVMMemory")
    if mem:
        got = parse_bytes(mem, 1024 * 1024)
        if got is None or got[0] <= 0:
            raise SubmitError("vm_memory is incorrectly specified\n"
                              "For example, for vm memroy of 128 Megabytes,\n"
                              "you need to use 128 in your submit description file.")
        ad["JobVMMemory"] = str(got[0])
    elif "JobVMMemory" not in ad:
        raise SubmitError("vm_memory cannot be found.\nPlease specify vm_memory for vm "
                          "universe in your submit description file.")
    ad["ExecutableSize"] = str(int(ad["JobVMMemory"]) * 1024)
    cpus = b.param("vm_vcpus", "JobVM_VCPUS")
    if cpus:
        n = parse_long(cpus.split()[0]) if cpus.split() else None
        ad["JobVM_VCPUS"] = str(max(n or 0, 1))
    elif "JobVM_VCPUS" not in ad:
        ad["JobVM_VCPUS"] = "1"
    v = b.param("vm_macaddr", "JobVM_MACADDR")
    if v:
        ad["JobVM_MACADDR"] = quote(v)
    v, given = b.param_bool("vm_no_output_vm")
    if given:
        ad["VMPARAM_No_Output_VM"] = "true" if v else "false"
    if vmtype == "xen":
        _xen(b, ad)
    if vmtype in ("xen", "kvm"):
        disk = b.param("vm_disk")
        if disk:
            if not _valid_disk_list(disk, 3, 4):
                raise SubmitError("'vm_disk' has incorrect format.\n"
                                  "The format shoud be like "
                                  "\"<filename>:<devicename>:<permission>\"\n"
                                  "e.g.> For single disk: <vm>_disk = filename1:hda1:w\n"
                                  "      For multiple disks: <vm>_disk = "
                                  "filename1:hda1:w,filename2:hda2:w")
            ad["VMPARAM_vm_Disk"] = quote(disk)
        elif "VMPARAM_vm_Disk" not in ad:
            raise SubmitError("'<vm>_disk' cannot be found.\nPlease specify '<vm>_disk' for "
                              "the virtual machine in your submit description file.")
    elif vmtype == "vmware":
        raise SubmitError("A vm_type of 'vmware' is no longer supported")


def _xen(b, ad):
    kernel = b.param("xen_kernel", "VMPARAM_Xen_Kernel")
    if kernel:
        ad["VMPARAM_Xen_Kernel"] = quote(kernel)
    elif "VMPARAM_Xen_Kernel" not in ad:
        raise SubmitError("'xen_kernel' cannot be found.\nPlease specify 'xen_kernel' for "
                          "the xen virtual machine in your submit description file.\n"
                          "xen_kernel must be one of \"included\", \"vmx\", <file-name>.")
    low = (kernel or "").lower()
    real_kernel = low not in ("included", "vmx")
    if low == "vmx":
        ad["JobVMHardwareVT"] = "true"
    initrd = b.param("xen_initrd")
    if initrd:
        if not real_kernel:
            raise SubmitError("To use xen_initrd, xen_kernel should be a real kernel file.")
        ad["VMPARAM_Xen_Initrd"] = quote(initrd)
    if real_kernel:
        root = b.param("xen_root")
        if not root:
            raise SubmitError("'xen_root' cannot be found.\nPlease specify 'xen_root' for the "
                              "xen virtual machine in your submit description file.")
        ad["VMPARAM_Xen_Root"] = quote(root)
    params = b.param("xen_kernel_params", "VMPARAM_Xen_Kernel_Params")
    if params:
        p = params.strip()
        while len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'":
            p = p[1:-1]
        ad["VMPARAM_Xen_Kernel_Params"] = quote(strip_quotes(p))
