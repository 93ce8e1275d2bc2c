"""The grid universe's submit commands (HTCondor's SetGridParams), by grid type.

GridResource names the grid type and its endpoint; each type has its own
commands: arc_*, batch_*, ec2_* (the EC2 grid type: the job ad holds the
FILE NAMES of the access key and secret key, never their contents), gce_*,
azure_*, and deltacloud_* (pycondorlite's first grid type, as HTCondor 7.x
to 8.x submitted it).
"""

import os

from pycondorlite.jobad import quote
from pycondorlite.submit.values import GRID, SubmitError, string_list

# The magic value that means "use the credentials of the instance role".
USE_INSTANCE_ROLE = "FROM INSTANCE"

# (command, attribute): commands copied as strings for any grid type.
_ARC_BATCH = [
    ("arc_rte", "ArcRte"), ("arc_resources", "ArcResources"),
    ("arc_application", "ArcApplication"), ("arc_data_staging", "ArcDataStaging"),
    ("batch_extra_submit_args", "BatchExtraSubmitArgs"), ("batch_project", "BatchProject"),
    ("batch_queue", "BatchQueue"),
]
_EC2_STRINGS = [
    ("ec2_security_groups", "EC2SecurityGroups"), ("ec2_security_ids", "EC2SecurityIDs"),
]
_EC2_STRINGS_AFTER_AMI = [
    ("ec2_instance_type", "EC2InstanceType"), ("ec2_vpc_subnet", "EC2VpcSubnet"),
    ("ec2_vpc_ip", "EC2VpcIp"), ("ec2_elastic_ip", "EC2ElasticIp"),
    ("ec2_availability_zone", "EC2AvailabilityZone"),
]

DELTACLOUD_COMMANDS = [
    ("deltacloud_username", "DeltacloudUsername"),
    ("deltacloud_password", "DeltacloudPassword"),
    ("deltacloud_image_id", "DeltacloudImageId"),
    ("deltacloud_instance_name", "DeltacloudInstanceName"),
    ("deltacloud_realm_id", "DeltacloudRealmId"),
    ("deltacloud_hardware_profile", "DeltacloudHardwareProfile"),
    ("deltacloud_hardware_profile_memory", "DeltacloudHardwareProfileMemory"),
    ("deltacloud_hardware_profile_cpu", "DeltacloudHardwareProfileCpu"),
    ("deltacloud_hardware_profile_storage", "DeltacloudHardwareProfileStorage"),
    ("deltacloud_keyname", "DeltacloudKeyname"),
    ("deltacloud_user_data", "DeltacloudUserData"),
]


def set_grid_params(b, ad):
    if b.universe != GRID:
        return
    gr = b.param("grid_resource", "GridResource")
    if gr:
        ad["GridResource"] = quote(gr)
        if gr.lower() == "ec2":
            raise SubmitError("EC2 grid jobs require a service URL")
        ad[".gridtype"] = gr.split(" ")[0].lower()
    elif "GridResource" not in ad:
        raise SubmitError("No resource identifier was found.")
    gridtype = ad.get(".gridtype", "")
    iwd = ad[".iwd"]

    for cmd, attr in _ARC_BATCH:
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
    v = b.param("batch_runtime", "BatchRuntime")
    if v:
        b.assign_expr(ad, "BatchRuntime", v)
    ad[".use_default_resources"] = gridtype != "batch"

    _ec2(b, ad, gridtype, iwd)
    _tags(b, ad, "ec2_tag_names", "EC2TagNames", "ec2_tag_", "EC2Tag", gridtype)
    _tags(b, ad, "cloud_label_names", "CloudLabelNames", "cloud_label_", "CloudLabel", gridtype)
    _gce(b, ad, gridtype, iwd)
    _azure(b, ad, gridtype, iwd)
    if gridtype == "deltacloud":
        _deltacloud(b, ad, iwd)


def _key_file(b, ad, value, iwd, what):
    """An EC2 key file: the magic instance-role value, or a file name made full."""
    if value.lower() == USE_INSTANCE_ROLE.lower():
        ad["EC2AccessKeyId"] = quote(USE_INSTANCE_ROLE)
        ad["EC2SecretAccessKey"] = quote(USE_INSTANCE_ROLE)
        return None
    path = b.full_path(value, iwd)
    if b.file_checks and "$$(" not in value:
        _check_readable(path, what)
    return path


def _check_readable(path, what):
    try:
        with open(path):
            pass
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or str(e)
        raise SubmitError(f"Failed to open {what} file {path} ({why})")
    if os.path.isdir(path):
        raise SubmitError(f"{path} is a directory")


def _file_command(b, ad, cmd, attr, iwd, what, skip_match_refs=False):
    """A command naming a file: its full name into attr, once it is readable
    (with file checks on; skip_match_refs: not if $$() fills it in at match time)."""
    v = b.param(cmd, attr)
    if v:
        path = b.full_path(v, iwd)
        if b.file_checks and not (skip_match_refs and "$$(" in v):
            _check_readable(path, what)
        ad[attr] = quote(path)


def _ec2(b, ad, gridtype, iwd):
    v = b.param("ec2_access_key_id", "EC2AccessKeyId") or \
        b.param("aws_access_key_id_file", "EC2AccessKeyId")
    if v:
        path = _key_file(b, ad, v, iwd, "public key")
        if path is not None:
            ad["EC2AccessKeyId"] = quote(path)
    v = b.param("ec2_secret_access_key", "EC2SecretAccessKey") or \
        b.param("aws_secret_access_key_file", "EC2SecretAccessKey")
    if v:
        path = _key_file(b, ad, v, iwd, "private key")
        if path is not None:
            ad["EC2SecretAccessKey"] = quote(path)
    if gridtype == "ec2":
        if "EC2AccessKeyId" not in ad:
            raise SubmitError("EC2 jobs require a 'ec2_access_key_id' or "
                              "'aws_access_key_id_file' parameter")
        if "EC2SecretAccessKey" not in ad:
            raise SubmitError("EC2 jobs require a 'ec2_secret_access_key' or "
                              "'aws_secret_access_key_file' parameter")
    v = b.param("ec2_keypair", "EC2KeyPair") or b.param("ec2_keyid", "EC2KeyPair")
    if v:
        ad["EC2KeyPair"] = quote(v)
    v = b.param("ec2_keypair_file", "EC2KeyPairFile") or \
        b.param("ec2_keyidfile", "EC2KeyPairFile")
    if v:
        if "EC2KeyPair" in ad:
            b.warn("EC2 job(s) contain both ec2_keypair && ec2_keypair_file, ignoring "
                   "ec2_keypair_file")
        else:
            ad["EC2KeyPairFile"] = quote(b.full_path(v, iwd))
    for cmd, attr in _EC2_STRINGS:
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
    v = b.param("ec2_ami_id", "EC2AmiID")
    if v:
        ad["EC2AmiID"] = quote(v)
    elif gridtype == "ec2" and "EC2AmiID" not in ad:
        raise SubmitError('EC2 jobs require a "ec2_ami_id" parameter')
    for cmd, attr in _EC2_STRINGS_AFTER_AMI:
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
    v = b.param("ec2_ebs_volumes", "EC2ElasticBlockStorageVolumes")
    if v:
        if not _valid_disk_list(v, 2, 2):
            raise SubmitError("'ec2_ebs_volumes' has incorrect format.\n"
                              "The format shoud be like \"<instance_id>:<devicename>\"\n"
                              "e.g.> For single volume: ec2_ebs_volumes = vol-35bcc15e:hda1\n"
                              "      For multiple disks: ec2_ebs_volumes = "
                              "vol-35bcc15e:hda1,vol-35bcc16f:hda2")
        if "EC2AvailabilityZone" not in ad:
            raise SubmitError("'ec2_ebs_volumes' requires 'ec2_availability_zone'")
        ad["EC2ElasticBlockStorageVolumes"] = quote(v)
    for cmd, attr in (("ec2_spot_price", "EC2SpotPrice"),
                      ("ec2_block_device_mapping", "EC2BlockDeviceMapping"),
                      ("ec2_user_data", "EC2UserData")):
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
    _file_command(b, ad, "ec2_user_data_file", "EC2UserDataFile", iwd, "user data",
                  skip_match_refs=True)
    v = b.param("ec2_iam_profile_arn", "EC2IamProfileArn")
    if v:
        ad["EC2IamProfileArn"] = quote(v)
    v = b.param("ec2_iam_profile_name", "EC2IamProfileName")
    if v:
        # As HTCondor does: the name is kept only beside an ARN.
        if "EC2IamProfileArn" not in ad:
            b.warn("EC2 job(s) contain both ec2_iam_profile_arn and ec2_iam_profile_name; "
                   "ignoring ec2_iam_profile_name.")
        else:
            ad["EC2IamProfileName"] = quote(v)
    _ec2_parameters(b, ad)


def _ec2_parameters(b, ad):
    names_text = b.param("ec2_parameter_names", "EC2ParamNames")
    names = string_list(names_text) if names_text else []
    prefix = "ec2_parameter_"
    for key in b.sorted_keys():
        low = key.lower()
        if low == "ec2_parameter_names" or not low.startswith(prefix):
            continue
        pname = key[len(prefix):]
        raw = b.macros.lookup(key)
        b.used.add(low)
        ad["EC2Param_" + pname] = quote(raw)
        if not any(n.replace(".", "_").lower() == pname.lower() for n in names):
            names.append(pname)
    if names:
        ad["EC2ParamNames"] = quote(", ".join(names))


def _tags(b, ad, names_cmd, names_attr, submit_prefix, job_prefix, gridtype):
    """EC2 tags and GCE labels: each <prefix><name> command, and the list of
    names in the case the user wants (the commands' own case otherwise)."""
    text = b.param(names_cmd, names_attr)
    names = string_list(text) if text else []
    lowered = {n.lower() for n in names}
    sp, jp = submit_prefix.lower(), job_prefix.lower()
    for key in b.sorted_keys():
        low = key.lower()
        if low.startswith(sp) and len(low) > len(sp):
            name = key[len(sp):]
        elif low.startswith(jp) and len(low) > len(jp):
            name = key[len(jp):]
        else:
            continue
        if name.lower().startswith("names"):
            continue
        if name.lower() not in lowered:
            names.append(name)
            lowered.add(name.lower())
    for name in names:
        v = b.param(submit_prefix + name, job_prefix + name)
        if v:
            ad[job_prefix + name] = quote(v)
    if gridtype == "ec2" and "name" not in lowered:
        want, _ = b.param_bool("WantNameTag", None, True)
        if want and "Cmd" in ad:
            ad[job_prefix + "Name"] = ad["Cmd"]
    if names:
        ad[names_attr] = quote(",".join(names))


def _gce(b, ad, gridtype, iwd):
    _file_command(b, ad, "gce_auth_file", "GceAuthFile", iwd, "auth")
    v = b.param("gce_account", "GceAccount")
    if v:
        ad["GceAccount"] = quote(v)
    for cmd, attr in (("gce_image", "GceImage"), ("gce_machine_type", "GceMachineType")):
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
        elif gridtype == "gce" and attr not in ad:
            raise SubmitError(f'GCE jobs require a "{cmd}" parameter')
    v = b.param("gce_metadata", "GceMetadata")
    if v:
        ad["GceMetadata"] = quote(",".join(x.strip() for x in v.split(",") if x.strip()))
    _file_command(b, ad, "gce_metadata_file", "GceMetadataFile", iwd, "metadata")
    pre, given = b.param_bool("gce_preemptible", "GcePreemptible")
    if given:
        ad["GcePreemptible"] = "true" if pre else "false"
    _file_command(b, ad, "gce_json_file", "GceJsonFile", iwd, "json")


def _azure(b, ad, gridtype, iwd):
    _file_command(b, ad, "azure_auth_file", "AzureAuthFile", iwd, "auth")
    for cmd, attr in (("azure_image", "AzureImage"), ("azure_location", "AzureLocation"),
                      ("azure_size", "AzureSize"), ("azure_admin_username", "AzureAdminUsername"),
                      ("azure_admin_key", "AzureAdminKey")):
        v = b.param(cmd, attr)
        if v:
            ad[attr] = quote(v)
        elif gridtype == "azure" and attr not in ad:
            raise SubmitError(f'\nERROR: Azure jobs require an "{cmd}" parameter')


def _deltacloud(b, ad, iwd):
    vals = {}
    for cmd, attr in DELTACLOUD_COMMANDS:
        v = b.param(cmd, attr)
        if v:
            vals[attr] = v
            ad[attr] = quote(v)
    if "DeltacloudUsername" not in vals:
        raise SubmitError('Deltacloud jobs require a "deltacloud_username" parameter')
    pwfile = b.param("deltacloud_password_file", "DeltacloudPasswordFile")
    if pwfile:
        full = b.full_path(pwfile, iwd)
        if "$$" not in pwfile:
            try:
                with open(full):
                    pass
            except (OSError, ValueError) as e:   # ValueError: a NUL in the name
                why = getattr(e, "strerror", None) or str(e)
                raise SubmitError(f"Failed to open password file {full!r} ({why})"
                                  if "\0" in full else
                                  f"Failed to open password file {full} ({why})")
        ad["DeltacloudPasswordFile"] = quote(full)
    elif "DeltacloudPassword" not in vals:
        raise SubmitError('Deltacloud jobs require a "deltacloud_password_file" parameter')
    if "DeltacloudImageId" not in vals and "DeltacloudInstanceName" not in vals:
        raise SubmitError('Deltacloud jobs require a "deltacloud_image_id" or '
                          '"deltacloud_instance_name" parameters')


def _valid_disk_list(text, least, most):
    """HTCondor's validate_disk_param: comma-separated entries of `least` to
    `most` colon-separated fields."""
    entries = [e for e in text.lstrip(" ").split(",") if e.strip()]
    if not entries:
        return False
    for e in entries:
        fields = [f for f in e.split(":") if f.strip()]
        if not least <= len(fields) <= most:
            return False
    return True
