"""Which evaluation semantics are in force: the command-line tools' "old"
ones (the default) or strict "new" ones (the knob STRICT_CLASSAD_EVALUATION).

The ClassAd layer reads no configuration: it is told. pycondorlite.config
calls configure() each time it reads a configuration, as HTCondor's tools
set libclassad's semantics from the knob when they read theirs. Until a
configuration has been read, the knob's environment form
``_CONDOR_STRICT_CLASSAD_EVALUATION`` decides (a script that uses the
ClassAd layer alone sets it before it starts), read once, when first needed.

A caller that must not see the choice change under it -- the negotiator,
for a cycle -- fixes it for its own thread with ``with fixed(old): ...``;
nobody else sees that.
"""

import contextlib
import contextvars
import os

_ENV_KNOB = "_CONDOR_STRICT_CLASSAD_EVALUATION"

_configured = None      # old semantics? as the configuration said; None: not configured
_from_environment = None  # the same from the environment, once read
_fixed = contextvars.ContextVar("pycondorlite_classad_semantics", default=None)


def truthy(text):
    """A knob's text read as HTCondor reads a boolean (true, yes, 1, ...)."""
    return str(text).strip().lower() in ("true", "t", "yes", "y", "1")


def configure(strict):
    """The configuration's STRICT_CLASSAD_EVALUATION: True for strict
    semantics, False for the tools' old ones, None when no configuration
    is in force any more (the environment decides again)."""
    global _configured, _from_environment
    _configured = None if strict is None else not strict
    _from_environment = None


def reset():
    """Forget what was configured and what the environment said."""
    configure(None)


def old_semantics():
    """True unless strict semantics are in force."""
    old = _fixed.get()
    if old is not None:
        return old
    old = _configured
    if old is not None:
        return old
    global _from_environment
    old = _from_environment
    if old is None:
        old = _from_environment = not truthy(os.environ.get(_ENV_KNOB, ""))
    return old


@contextlib.contextmanager
def fixed(old):
    """Evaluate with old (True) or strict (False) semantics in this thread
    and context until the block ends, whatever is configured meanwhile."""
    token = _fixed.set(bool(old))
    try:
        yield
    finally:
        _fixed.reset(token)
