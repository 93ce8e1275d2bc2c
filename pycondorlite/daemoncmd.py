"""Commands sent to the daemons of this spool: condor_off, condor_on,
condor_restart and condor_reschedule (HTCondor's tool.cpp family).

pycondorlite has one daemon, the schedd (it runs the negotiator and the
gridmanager); condor_master only starts it. So the master's commands act on
the schedd: Spawn-All-Daemons starts it, Kill-All-Daemons stops it, Restart
does both, and Reschedule wakes a running schedd to negotiate now (the nudge
every tool sends after changing the queue). The messages are tool.cpp's:
`Sent "<command>" command to local master` (or `... for "schedd" ...`).
"""

import sys

from pycondorlite import schedd
from pycondorlite.cmdline import Opt, Usage
from pycondorlite.spool import nudge

# The options every tool of this family takes (targets and how).
TARGET_OPTIONS = [
    Opt("all", 1), Opt("graceful", 1), Opt("fast", 1), Opt("peaceful", 2),
    Opt("master", 1), Opt("schedd", 2), Opt("collector", 1, key="other"),
    Opt("negotiator", 2, key="other"), Opt("startd", 3, key="other"),
    Opt("daemon", 2, args=1, missing="ERROR: -daemon requires another argument",
        usage_on_missing=True),
    Opt("name", 1, args=1, missing="ERROR: -name requires another argument"),
    Opt("pool", 1, args=1, missing="ERROR: -pool requires another argument"),
    Opt("addr", 2, args=1, missing="ERROR: -addr requires another argument"),
    Opt("debug", 1, key="ignored"), Opt("help", 1), Opt("version", 1),
]


def usage(prog, verb, extra=""):
    return (f"Usage: {prog} [general-options] [targets] [cmd-options]\n"
            "where [general-options] can be zero or more of:\n"
            "    -help               gives this usage information\n"
            "    -version            prints the version\n"
            "    -pool hostname      use the given central manager to find daemons\n"
            "where [targets] can be zero or more of:\n"
            "    -all                all hosts in your pool\n"
            "    hostname            given host\n"
            f"where [cmd-options] can be zero or more of:\n{extra}"
            f"    -master             {verb} the condor_master (and every daemon)\n"
            f"    -schedd             {verb} only the condor_schedd\n"
            f"    -daemon <name>      {verb} only the named daemon\n")


class Target:
    """What the command line asks for: daemon None (the master, i.e. all) or
    'schedd', and the fast / peaceful flavour."""

    def __init__(self):
        self.daemon = None
        self.fast = False
        self.peaceful = False


def read_targets(hits, prog):
    t = Target()
    for h in hits:
        if h.key == "fast":
            t.fast = True
        elif h.key == "peaceful":
            t.peaceful = True
        elif h.key == "master":
            t.daemon = None
        elif h.key == "schedd":
            t.daemon = "schedd"
        elif h.key == "other":
            raise Usage(f"ERROR: {h.arg[1:].lstrip('-')} is not a daemon of pycondorlite "
                        f"(it has a condor_schedd only)")
        elif h.key == "daemon":
            name = h.value.lower()
            if name.startswith("condor_"):
                name = name[len("condor_"):]
            if name not in ("master", "schedd"):
                raise Usage(f"ERROR: {h.value} is not a daemon of pycondorlite "
                            f"(it has a condor_schedd only)")
            t.daemon = None if name == "master" else "schedd"
    return t


def sent(command, daemon, to="local master"):
    if daemon is None:
        print(f'Sent "{command}" command to {to}')
    else:
        print(f'Sent "{command}" command for "{daemon}" to {to}')


def no_master():
    sys.stderr.write("Can't find address for local master\n"
                     "Perhaps you need to query another pool.\n")
    return 1


def off(t):
    spool = schedd.spool_dir()
    if not schedd.running_pid(spool):
        return no_master()
    schedd.stop(spool, timeout=5.0 if t.fast else 60.0)
    if t.daemon is None:
        sent("Kill-All-Daemons-Fast" if t.fast else "Kill-All-Daemons", None)
    else:
        sent("Kill-Daemon-Fast" if t.fast else "Kill-Daemon", t.daemon)
    return 0


def on(t):
    """Spawn the schedd when it is not running (a running one is left alone)."""
    spool = schedd.spool_dir()
    if not schedd.running_pid(spool):
        try:
            schedd.start_background(spool)
        except schedd.AlreadyRunning:
            pass            # started meanwhile by someone else: what was asked
        except (OSError, RuntimeError) as e:
            sys.stderr.write(f"ERROR: failed to start condor_schedd: {e}\n")
            return 1
    sent("Spawn-All-Daemons" if t.daemon is None else "Spawn-Daemon", t.daemon)
    return 0


def restart(t):
    spool = schedd.spool_dir()
    if schedd.running_pid(spool):
        schedd.stop(spool, timeout=5.0 if t.fast else 60.0)
    try:
        schedd.start_background(spool)
    except schedd.AlreadyRunning:
        pass
    except (OSError, RuntimeError) as e:
        sys.stderr.write(f"ERROR: failed to start condor_schedd: {e}\n")
        return 1
    sent("Restart-Peaceful" if t.peaceful else "Restart", t.daemon)
    return 0


def reschedule():
    """Wake the schedd to negotiate now."""
    spool = schedd.spool_dir()
    if not schedd.running_pid(spool):
        sys.stderr.write("Can't find address for local schedd\n"
                         "Perhaps you need to query another pool.\n")
        return 1
    nudge(spool)
    sent("Reschedule", None, to="local schedd")
    return 0
