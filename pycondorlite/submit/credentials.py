"""Credentials a job carries (HTCondor's SetGSICredentials): an X.509 proxy,
the delegated-proxy lifetime and a SciToken file. Only file names go into
the job ad."""

import os

from pycondorlite.jobad import quote
from pycondorlite.submit.values import SubmitError, parse_bool


def set_gsi_credentials(b, ad):
    iwd = ad[".iwd"]
    proxy = b.param("x509userproxy")
    use_proxy, _ = b.param_bool("use_x509userproxy")
    if proxy is None and use_proxy:
        proxy = os.environ.get("X509_USER_PROXY") or f"/tmp/x509up_u{os.getuid()}"
    if proxy is not None:
        full = b.full_path(proxy, iwd)
        _read_proxy(full)
        ad["X509UserProxy"] = quote(full)
    v = b.param("delegate_job_gsi_credentials_lifetime", "DelegateJobGSICredentialsLifetime")
    if v:
        try:
            n = int(v, 10)
        except ValueError:
            raise SubmitError(f"invalid integer setting delegate_job_gsi_credentials_lifetime "
                              f"= {v}")
        ad["DelegateJobGSICredentialsLifetime"] = str(n)
    use = b.param("use_scitokens", "use_scitoken")
    token_file = b.param("scitokens_file", "ScitokensFile")
    use_tokens = bool(token_file)
    if use:
        if use.lower() == "auto":
            use_tokens = bool(token_file) or bool(os.environ.get("BEARER_TOKEN_FILE"))
        else:
            flag = parse_bool(use)
            if flag is None:
                raise SubmitError("use_scitokens error. Value should be true, false, or auto.")
            use_tokens = flag
    if use_tokens:
        path = token_file or os.environ.get("BEARER_TOKEN_FILE")
        if not path:
            raise SubmitError("No Scitokens filename specified. Expected either "
                              "scitokens_file command or the BEARER_TOKEN_FILE environment "
                              "variable to be set.")
        ad["ScitokensFile"] = quote(b.full_path(path, iwd))


def _read_proxy(path):
    """An X.509 proxy must be a readable PEM certificate (its lifetime is not
    checked here: that needs an X.509 parser)."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except (OSError, ValueError):
        raise SubmitError("unable to read proxy file")
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise SubmitError("unable to read proxy file")
