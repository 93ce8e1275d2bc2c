"""The submit language's vocabulary, shared by every step of the job ad build
(jobad.py and the modules of its steps): universes and grid types, the
values of a few commands, SubmitError, and HTCondor's parsers of booleans,
numbers, sizes, signals, paths and URLs.
"""

import math
import re
import signal

from pycondorlite.submit import exprs

UNIVERSES = {"vanilla": 5, "scheduler": 7, "grid": 9, "java": 10, "parallel": 11,
             "local": 12, "vm": 13}
# Retired universes HTCondor still knows by name and number, and refuses.
RETIRED_UNIVERSES = {"standard": 1, "pipe": 2, "linda": 3, "pvm": 4, "pvmd": 6, "globus": 9,
                     "mpi": 8}
TOPPINGS = ("docker", "container")
VANILLA, SCHEDULER, GRID, JAVA, PARALLEL, LOCAL, VM, MPI = 5, 7, 9, 10, 11, 12, 13, 8
UNIVERSE_NAMES = {1: "Standard", 2: "Pipe", 3: "Linda", 4: "PVM", 5: "Vanilla", 6: "PVMD",
                  7: "Scheduler", 8: "MPI", 9: "Grid", 10: "Java", 11: "Parallel",
                  12: "Local", 13: "VM"}
# Grid types condor_submit accepts; deltacloud is pycondorlite's own first one.
GRID_TYPES = ["condor", "batch", "arc", "ec2", "gce", "azure", "deltacloud"]
GRID_TYPE_ALIASES = {"blah", "pbs", "sge", "lsf", "nqs", "naregi"}
# Grid types whose "executable" is only a label for the instance.
LABEL_EXECUTABLE_GRIDS = {"ec2", "gce", "azure", "deltacloud"}
NOTIFICATION = {"never": 0, "always": 1, "complete": 2, "error": 3}
STF = {"yes": "YES", "true": "YES", "always": "YES", "no": "NO", "false": "NO",
       "never": "NO", "if_needed": "IF_NEEDED", "auto": "IF_NEEDED"}
WTTO = {"on_exit": "ON_EXIT", "false": "ON_EXIT", "never": "ON_EXIT",
        "on_exit_or_evict": "ON_EXIT_OR_EVICT", "true": "ON_EXIT_OR_EVICT",
        "always": "ON_EXIT_OR_EVICT", "on_success": "ON_SUCCESS"}


class SubmitError(Exception):
    """A semantic submit error, worded as HTCondor's (printed as `ERROR: msg`)."""

    def __init__(self, msg, lineno=0, kind="error"):
        super().__init__(msg)
        self.msg = msg
        self.lineno = lineno
        self.kind = kind      # "error", or "except": HTCondor stops on it (EXCEPT)


# ---------------------------------------------------------------- value parsing

def parse_bool(text):
    """HTCondor's string_is_boolean_param: true/false, or an expression of a
    boolean or a number. None when it is neither."""
    low = text.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    v = exprs.evaluate(text)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return None


INT_RE = re.compile(r"\s*[-+]?[0-9]+\s*\Z")


def parse_long(text):
    """HTCondor's string_is_long_param: an integer, or an expression of a number
    (truncated). None when it is neither."""
    if INT_RE.match(text):
        return int(text)
    v = exprs.evaluate(text)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float):
        if v != v or v in (math.inf, -math.inf):
            return None
        return int(v)
    return v


_BYTES_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*([KMGTP]?)"
                       r"(B?)\s*\Z", re.I)
_UNIT = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5}


def parse_bytes(text, base):
    """HTCondor's parse_int64_bytes: a number with an optional K/M/G/T unit (a
    bare number is in units of `base` bytes), as a whole number of `base`
    units rounded up; (value, unit given) or None."""
    m = _BYTES_RE.match(text)
    if not m:
        return None
    try:
        num = float(text.strip().rstrip("bB").rstrip("kKmMgGtTpP ").strip())
    except ValueError:
        return None
    unit = m.group(2).upper()
    if unit:
        mult = _UNIT[unit]
    elif m.group(3):
        mult = 1
    else:
        mult = base
    return int(math.ceil((num * mult) / base)), bool(unit or m.group(3))


def compress_path(path):
    """HTCondor's compress_path: runs of slashes become one."""
    return re.sub(r"/{2,}", "/", path)


def signal_name(text):
    """kill_sig and friends: a signal number or name, as its upper-case name."""
    t = text.strip()
    m = re.match(r"[-+]?\d+", t)
    if m and int(m.group(0)) != 0:
        try:
            return signal.Signals(int(m.group(0))).name
        except ValueError:
            raise SubmitError(f"invalid signal {t}")
    up = t.upper()
    if up in signal.Signals.__members__ and not up.startswith("SIG_") and up != "SIGRTMIN" \
            and up != "SIGRTMAX":
        return up
    raise SubmitError(f"invalid signal {t}")


# ---------------------------------------------------------------- helpers

def exprs_text_string(text):
    """The string of a string-literal attribute text ('' when it is not one)."""
    from pycondorlite.jobad import literal
    v = literal(text)
    return v if isinstance(v, str) else ""


def strip_quotes(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1]
    return s


def string_list(s):
    """HTCondor's StringList: items separated by commas and/or blanks."""
    return [x for x in re.split(r"[\s,]+", s) if x]


def valid_grid_type(gt):
    low = gt.lower()
    return low in GRID_TYPES or low in GRID_TYPE_ALIASES


def container_image_type(image):
    image = image.strip()
    if image.startswith("docker:"):
        return "docker"
    if image.endswith(".sif"):
        return "sif"
    return "sandbox"


_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(name):
    return bool(_URL_RE.match(name))


def url_type(name):
    """The scheme of a URL, lower-cased (HTCondor's getURLType(.., true))."""
    return name.split("://", 1)[0].lower()
