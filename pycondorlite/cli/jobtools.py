"""Helpers shared by condor_q, condor_rm/hold/release and condor_history.

`-con` matches `-constraint` when at least `min_len` letters are given, and a
doubled dash is accepted (is_dash_arg_prefix / is_dash_arg_colon_prefix in
HTCondor's match_prefix.cpp).
"""


def dash_prefix(arg, name, min_len=-1):
    """True if arg is -<prefix of name> (at least min_len chars; all of name if -1)."""
    if not arg.startswith("-"):
        return False
    word = arg[1:]
    if word.startswith("-"):
        word = word[1:]
    if not word or len(word) > len(name) or not name.startswith(word):
        return False
    if min_len < 0:
        return len(word) == len(name)
    return len(word) >= min_len


def dash_colon_prefix(arg, name, min_len=-1):
    """Like dash_prefix but allows `-name:opts`; returns (matched, opts or None)."""
    head, sep, opts = arg.partition(":")
    if not dash_prefix(head, name, min_len):
        return False, None
    return True, (opts if sep else None)


def parse_job_id(text):
    """'12' -> (12, -1); '12.3' -> (12, 3); anything else -> None."""
    cluster, dot, proc = text.partition(".")
    if not cluster.isdigit():
        return None
    if not dot:
        return int(cluster), -1
    if not proc.isdigit():
        return None
    return int(cluster), int(proc)


def param(name, default=None):
    try:
        from pycondorlite.config import param as p
    except ImportError:
        import os
        return os.environ.get("_CONDOR_" + name, default)
    return p(name, default)


def param_bool(name, default=False):
    v = param(name)
    if v is None:
        return default
    return v.strip().lower() in ("true", "1", "yes", "t")


def schedd_name():
    import socket
    return param("SCHEDD_NAME") or socket.getfqdn()


def schedd_address(spool_dir=None):
    """The schedd's sinful string: from SCHEDD_ADDRESS_FILE when a schedd wrote
    one, else the loopback address (the tools work on the spool directly)."""
    import os
    path = param("SCHEDD_ADDRESS_FILE")
    if not path and spool_dir:
        path = os.path.join(spool_dir, ".schedd_address")
    if path:
        try:
            with open(path) as f:
                line = f.readline().strip()
            if line.startswith("<"):
                return line
        except OSError:
            pass
    ip = param("IP_ADDRESS") or "127.0.0.1"
    return "<%s:9618?addrs=%s-9618&noUDP&sock=schedd>" % (ip, ip)
