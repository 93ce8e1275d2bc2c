"""File transfer (HTCondor's SetTransferFiles): should_transfer_files,
when_to_transfer_output, the input and output lists, the java universe's
class and jar files, container images sent with the job, output remaps, and
the sizes (DiskUsage, TransferInputSizeMB) the transferred files add up to."""

from pycondorlite import config
from pycondorlite.jobad import quote
from pycondorlite.submit.values import (GRID, JAVA, STF, VM, WTTO, SubmitError, exprs_text_string,
                                        parse_bytes, string_list)


def _wrapped(msg):
    """A message condor_submit prints with print_wrapped_text (and then stops)."""
    return SubmitError("\nERROR: " + msg)


def _file_list(text):
    if text is None:
        return None
    if text == '""':
        return []
    return [x.strip() for x in text.split(",") if x.strip()]


def set_transfer_files(b, ad):
    iwd = ad[".iwd"]
    in_text = b.param("transfer_input_files", "TransferInputFiles")
    inputs = _file_list(in_text) or []
    size_kb = 0
    for f in inputs:
        size_kb += b.image_size_kb(f, iwd)
    in_given = bool(inputs)
    if b.container and _container_input(b, ad, inputs):
        size_kb += b.image_size_kb(inputs[-1], iwd)
        in_given = True
    if ad.get("TransferIn") != "false":
        stdin = exprs_text_string(ad.get("In", '""'))
        if stdin:
            size_kb += b.image_size_kb(stdin, iwd)

    out_text = b.param("transfer_output_files", "TransferOutputFiles")
    outputs = _file_list(out_text)
    out_given = outputs is not None and (outputs != [] or out_text == '""')
    outputs = outputs or []

    default_should = False
    should = b.param("ShouldTransferFiles", "should_transfer_files")
    when = b.param("WhenToTransferOutput", "when_to_transfer_output")
    if b._vm_transfer:       # the vm universe always transfers (SetUniverse says how)
        should, when = b._vm_transfer
    if should is None:
        should = exprs_text_string(ad.get("ShouldTransferFiles", "")) or None
    if should is None:
        cfg = config.param("SUBMIT_DEFAULT_SHOULD_TRANSFER_FILES")
        if cfg and cfg.lower() in STF:
            should, default_should = cfg, True
    if should is None:
        stf, default_should = "IF_NEEDED", True
        should = "IF_NEEDED"
    else:
        stf = STF.get(should.lower())
        if stf is None:
            raise _wrapped(f"invalid value ({should}) for ShouldTransferFiles.  Please either "
                           f"specify YES, NO, or IF_NEEDED and try again.")
    if stf == "NO" and (in_given or out_given):
        if in_given:
            which = ('transfer_input_files" and "transfer_output_files",' if out_given
                     else 'transfer_input_files",')
        else:
            which = 'transfer_output_files",'
        raise _wrapped(f'you specified files you want Condor to transfer via "{which} but '
                       f"you disabled should_transfer_files.")
    if when is None:
        when = exprs_text_string(ad.get("WhenToTransferOutput", "")) or None
    if when is None:
        wtto, default_when = "ON_EXIT", True
        when = "ON_EXIT"
    else:
        wtto = WTTO.get(when.lower())
        if wtto is None:
            raise _wrapped(f"invalid value ({when}) for WhenToTransferOutput.  Please either "
                           f"specify ON_EXIT, or ON_EXIT_OR_EVICT and try again.")
        default_when = False
    if not default_should and default_when and stf == "NO":
        when, wtto = "NEVER", None
    if (stf == "NO" and wtto is not None) or (stf != "NO" and wtto is None):
        raise _wrapped(f"WhenToTransferOutput specified as {when} yet ShouldTransferFiles "
                       f"defined as {should}.  Please remove this contradiction from your "
                       f"submit file and try again.")
    if default_should and wtto == "ON_EXIT_OR_EVICT" and stf == "IF_NEEDED":
        stf = "YES"
    if wtto == "ON_EXIT_OR_EVICT" and stf == "IF_NEEDED":
        raise _wrapped('"when_to_transfer_output = ON_EXIT_OR_EVICT" and '
                       '"should_transfer_files = IF_NEEDED" are incompatible.  The behavior '
                       'of these two settings together would produce incorrect file access '
                       'in some cases.  Please decide which one of those two settings you\'re '
                       'more interested in. If you really want "IF_NEEDED", set '
                       '"when_to_transfer_output = ON_EXIT".  If you really want '
                       '"ON_EXIT_OR_EVICT", please set "should_transfer_files = YES".  After '
                       'you have corrected this incompatibility, please try running '
                       'condor_submit again.\n')
    ad["ShouldTransferFiles"] = quote(stf)
    if stf != "NO":
        ad["WhenToTransferOutput"] = quote(wtto)
    else:
        ad.pop("WhenToTransferOutput", None)
    if stf != "YES" and "FileSystemDomain" not in ad:
        fs = config.param("FILESYSTEM_DOMAIN")
        if fs:
            ad["FileSystemDomain"] = quote(fs)

    if stf != "NO" and b.universe == JAVA:
        cmd = exprs_text_string(ad.get("Cmd", '""'))
        if cmd and cmd != "java" and cmd not in inputs:
            inputs.append(cmd)
            size_kb += b.image_size_kb(cmd, iwd)
        jars = exprs_text_string(ad.get("JarFiles", ""))
        for jar in _file_list(jars) or []:
            inputs.append(jar)
            size_kb += b.image_size_kb(jar, iwd)
        ad["Cmd"] = quote("java")
        ad["TransferExecutable"] = "false"

    disk = b.param("disk_usage", "DiskUsage")
    if disk:
        got = parse_bytes(disk, 1024)
        if got is None or got[0] < 1:
            raise SubmitError(f"'{disk}' is not valid for disk_usage. It must be >= 1")
        ad["DiskUsage"] = str(got[0])
    else:
        exe_kb = int(ad.get("ExecutableSize", "0"))
        ad["TransferInputSizeMB"] = str((exe_kb + size_kb) // 1024)
        ad["DiskUsage"] = str(exe_kb + size_kb)

    if stf != "NO":
        if in_given:
            ad["TransferInput"] = quote(",".join(inputs))
        if out_given:
            ad["TransferOutput"] = quote(",".join(outputs))
    else:
        ad.pop("PublicInputFiles", None)
    if stf == "NO" and b.universe not in (GRID, JAVA, VM):
        if b.param_bool("transfer_executable", "TransferExecutable")[0]:
            raise _wrapped('You explicitly requested that the executable be transfered, but '
                           'for this to work, you must enable Condor\'s file transfer '
                           'functionality.  You need to define either: '
                           '"when_to_transfer_output = ON_EXIT" or "when_to_transfer_output = '
                           'ON_EXIT_OR_EVICT".  Optionally, you can define '
                           '"should_transfer_files = IF_NEEDED" if you do not want any files '
                           'to be transfered if the job executes on a machine in the same '
                           'FileSystemDomain.  See the Condor manual for more details.')


def _container_input(b, ad, inputs):
    """A container image the job takes with it: added to the inputs. True when it was."""
    image = b.param("container_image", "ContainerImage")
    if ad.get("TransferContainer") == "false":
        ad["ContainerImageSource"] = quote("local")
        return False
    if not image:
        return False
    for root in string_list((config.param("CONTAINER_SHARED_FS") or "").replace(",", " ")):
        if image.startswith(root):
            ad["ContainerImageSource"] = quote("local")
            return False
    for prefix in ("docker://", "oras://"):
        if image.startswith(prefix):
            ad["ContainerImageSource"] = quote(prefix[:-3])
            return False
    inputs.append(image)
    base = image[:-1] if image.endswith("/") else image
    ad["ContainerImage"] = quote(base.rsplit("/", 1)[-1])
    ad["ContainerImageFullPath"] = quote(image)
    ad["ContainerImageSource"] = quote(base.split(":", 1)[0] if ":" in base else "cedar")
    return True
