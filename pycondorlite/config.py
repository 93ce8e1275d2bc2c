"""condor_config: knobs read from CONDOR_CONFIG, overridden by _CONDOR_<KNOB>.

param(name) gives the expanded value of a knob (names are case-insensitive),
as HTCondor's param() does.  The configuration file is read once per process
with the same reader as submit files (include, if/elif/else, $(X) macros);
_CONDOR_<KNOB> environment variables are looked at on every call, so tests
can change them at any time.
"""

import os
import platform
import pwd
import socket

from pycondorlite.submit.macros import MacroSet

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def checkout_dir():
    """The checkout this package runs from, or None when installed normally."""
    if (os.path.isfile(os.path.join(_PACKAGE_PARENT, "setup.cfg"))
            and os.path.isfile(os.path.join(_PACKAGE_PARENT, "spool", "README.md"))):
        return _PACKAGE_PARENT
    return None


def default_local_dir():
    co = checkout_dir()
    if co:
        return os.path.join(co, "spool")
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "pycondorlite")


def _full_hostname():
    name = socket.gethostname()
    if "." not in name:
        try:
            fq = socket.getfqdn(name)
            if fq and not fq.startswith("localhost"):
                name = fq
        except OSError:
            pass
    return name


def _arch():
    m = platform.machine().upper()
    return {"AMD64": "X86_64", "ARM64": "AARCH64"}.get(m, m)


def builtin_defaults():
    """HTCondor's defaults for the knobs pycondorlite uses (raw, unexpanded)."""
    full = _full_hostname()
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = os.environ.get("USER", "nobody")
    d = {
        "LOCAL_DIR": default_local_dir(),
        "SPOOL": "$(LOCAL_DIR)",
        "LOG": "$(LOCAL_DIR)/log",
        "FULL_HOSTNAME": full,
        "HOSTNAME": full.split(".")[0],
        "IP_ADDRESS": "127.0.0.1",
        "SCHEDD_NAME": "$(FULL_HOSTNAME)",
        "UID_DOMAIN": "$(FULL_HOSTNAME)",
        "FILESYSTEM_DOMAIN": "$(FULL_HOSTNAME)",
        "CONDOR_HOST": "$(FULL_HOSTNAME)",
        "COLLECTOR_HOST": "$(CONDOR_HOST)",
        "QUEUE_SUPER_USERS": "root, condor",
        "STRICT_CLASSAD_EVALUATION": "false",
        "NEGOTIATOR_INTERVAL": "60",
        "GRIDMANAGER_JOB_PROBE_INTERVAL": "60",
        "SCHEDD_INTERVAL": "300",
        "SUBMIT_SKIP_FILECHECKS": "true",
        "ARCH": _arch(),
        "OPSYS": platform.system().upper(),
        "USERNAME": user,
        "TILDE": os.path.expanduser("~"),
        "DETECTED_CPUS": str(os.cpu_count() or 1),
    }
    return {k.lower(): v for k, v in d.items()}


class Config:
    """The configuration of this process: defaults, then files, then environment."""

    def __init__(self, config_file=None):
        self.macros = MacroSet(builtin_defaults())
        self.files = []
        if config_file:
            self.read(config_file)
            for extra in self._local_files():
                self.read(extra)

    def _local_files(self):
        files = []
        local = self.macros.param("LOCAL_CONFIG_FILE")
        if local:
            files += [f for f in local.replace(",", " ").split() if f]
        ldir = self.macros.param("LOCAL_CONFIG_DIR")
        if ldir:
            for d in ldir.replace(",", " ").split():
                if os.path.isdir(d):
                    files += [os.path.join(d, f) for f in sorted(os.listdir(d))
                              if not f.startswith(".") and not f.endswith("~")]
        return files

    def read(self, path):
        from pycondorlite.submit import reader
        self.files.append(path)
        reader.read_config_file(path, self.macros)

    def _lookup_env(self, name):
        v = os.environ.get("_CONDOR_" + name)
        if v is None:
            v = os.environ.get("_condor_" + name)
        if v is None:
            up = name.upper()
            if up != name:
                v = os.environ.get("_CONDOR_" + up)
        if v is None:
            low = "_condor_" + name.lower()
            for k, val in os.environ.items():
                if len(k) == len(low) and k.lower() == low:
                    return val
        return v

    def lookup(self, name):
        v = self._lookup_env(name)
        if v is not None:
            return v
        return self.macros.lookup(name)

    def param(self, name, default=None):
        raw = self.lookup(name)
        if raw is None:
            return default
        from pycondorlite.submit.macros import expand
        return expand(raw, self.lookup).strip()


_cached = {}


class ConfigError(SystemExit):
    """The configuration cannot be read. A SystemExit carrying HTCondor's kind of
    message, so that every tool stops with it (exit 1) instead of a traceback."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


def _config_path():
    path = os.environ.get("CONDOR_CONFIG")
    if not path or path == "/dev/null":
        return None
    return path


def get_config():
    """The process-wide Config, re-read when CONDOR_CONFIG names another file."""
    path = _config_path()
    cfg = _cached.get(path)
    if cfg is None:
        from pycondorlite.submit.reader import SubmitSyntaxError
        try:
            cfg = Config(path)
        except SubmitSyntaxError as e:
            raise ConfigError(f"ERROR: on Line {e.lineno} of {e.source or path}: {e.msg}")
        except OSError as e:
            raise ConfigError(f"ERROR: can't read configuration file {path}: {e.strerror}")
        _cached.clear()
        _cached[path] = cfg
        _tell_classad_layer()
    return cfg


def _tell_classad_layer():
    """The ClassAd layer evaluates as STRICT_CLASSAD_EVALUATION says (from the
    file or _CONDOR_STRICT_CLASSAD_EVALUATION); it never reads the configuration.
    (Called once the configuration is cached: param_bool reads it from there.)"""
    from pycondorlite.classad import semantics
    semantics.configure(param_bool("STRICT_CLASSAD_EVALUATION", False))


def reload():
    """Forget the configuration read so far (the next param() reads it again)."""
    _cached.clear()
    from pycondorlite.classad import semantics
    semantics.configure(None)


def param(name, default=None):
    """The expanded value of knob `name` (case-insensitive), or `default`."""
    return get_config().param(name, default)


def string_is_boolean(text):
    """True/False for a knob's text as HTCondor's string_is_boolean_param reads
    it (true/false/1/0 in any case, then only spaces; otherwise the text as a
    ClassAd expression that evaluates to a boolean or a number), else None."""
    low = text.strip().lower()
    for word, value in (("true", True), ("1", True), ("false", False), ("0", False)):
        if low.startswith(word) and not low[len(word):].strip():
            return value
    from pycondorlite.classad import ClassAdException, ExprTree, Value
    try:
        v = ExprTree(text).eval()
    except ClassAdException:        # not an expression at all
        return None
    if isinstance(v, Value):    # undefined or error (an IntEnum: test it first)
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return None


def param_bool(name, default=False):
    """A boolean knob; a value that is no boolean gives the default (as HTCondor)."""
    v = param(name)
    if v is None or v.strip() == "":
        return default
    b = string_is_boolean(v)
    return default if b is None else b


def param_int(name, default=0):
    v = param(name)
    if v is None or v == "":
        return default
    try:
        return int(v.strip())
    except ValueError:
        try:
            return int(float(v.strip()))
        except ValueError:
            return default


def param_float(name, default=0.0):
    v = param(name)
    if v is None or v.strip() == "":
        return default
    try:
        return float(v.strip())
    except ValueError:
        return default


def current_user():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ.get("USER", "nobody")
