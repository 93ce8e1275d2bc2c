"""Which evaluation semantics are in force: the tools' "old" ones by default,
strict "new" ones when the configuration knob STRICT_CLASSAD_EVALUATION is true
(``_CONDOR_STRICT_CLASSAD_EVALUATION=true`` in the environment, or in the
configuration read by pycondorlite.config, as HTCondor reads it).

The environment variable is checked at every call (cheap); the configuration
is read once per value of CONDOR_CONFIG (call reset() after changing it).
"""

import os

_override = None
_from_config = {}   # CONDOR_CONFIG value -> old semantics?
_environ_get = os.environ.get
# os.environ's own dict (bytes keys on POSIX): reading it skips encoding the
# key at each call, which matters when every match asks
_data = getattr(os.environ, "_data", None)
if _data is not None and not isinstance(next(iter(_data), b""), bytes):
    _data = None
_STRICT_KEY = b"_CONDOR_STRICT_CLASSAD_EVALUATION"
_CONFIG_KEY = b"CONDOR_CONFIG"
_last = (None, None, None)   # (raw knob, raw CONDOR_CONFIG, answer) of the last call


def _truthy(v):
    return str(v).strip().lower() in ("true", "t", "yes", "y", "1")


def set_old_semantics(old):
    """Force a mode (True/False) for this process, or None to follow the knob."""
    global _override
    _override = old


def reset():
    """Forget what the configuration said."""
    global _last
    _from_config.clear()
    _last = (None, None, None)


def _config_says_old():
    try:
        from pycondorlite import config
        return not config.param_bool("STRICT_CLASSAD_EVALUATION", False)
    except Exception:
        return True


def old_semantics():
    """True unless STRICT_CLASSAD_EVALUATION is set true."""
    if _override is not None:
        return _override
    if _data is not None:
        global _last
        v = _data.get(_STRICT_KEY)
        where = _data.get(_CONFIG_KEY)
        last = _last
        if v is last[0] and where is last[1] and last[2] is not None:
            return last[2]      # nothing changed since the last call
        if v is not None:
            old = not _truthy(v.decode("utf-8", "replace"))
        else:
            old = _from_config.get(where)
            if old is None:
                old = _from_config[where] = _config_says_old()
        _last = (v, where, old)
        return old
    else:
        v = _environ_get("_CONDOR_STRICT_CLASSAD_EVALUATION")
        if v is not None:
            return not _truthy(v)
        where = _environ_get("CONDOR_CONFIG")
    old = _from_config.get(where)
    if old is None:
        old = _from_config[where] = _config_says_old()
    return old
