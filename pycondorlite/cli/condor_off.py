"""condor_off: stop the daemons of this spool cleanly.

    condor_off [-graceful|-fast|-peaceful] [-master|-schedd|-daemon schedd|-all]

Sends the schedd SIGTERM (it finishes its current step, stops the
gridmanager and exits) and waits for it to be gone. Messages are HTCondor's.
"""

import sys

PROG = "condor_off"


def _usage(out):
    out.write(f"Usage: {PROG} [general-options] [targets] [cmd-options]\n"
              "where [general-options] can be zero or more of:\n"
              "    -help               gives this usage information\n"
              "where [targets] can be zero or more of:\n"
              "    -all                all hosts in your pool\n"
              "where [cmd-options] can be zero or more of:\n"
              "    -graceful           gracefully shutdown daemons (the default)\n"
              "    -fast               quickly shutdown daemons\n"
              "    -peaceful           shutdown daemons after jobs finish\n"
              "    -master             shut down the master and all daemons\n"
              "    -schedd             shut down only the condor_schedd\n"
              "    -daemon <name>      shut down only the named daemon\n")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    daemon = None
    fast = False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-help", "--help", "-h"):
            _usage(sys.stdout)
            return 0
        if a in ("-graceful", "-peaceful", "-all", "-debug"):
            pass
        elif a == "-fast":
            fast = True
        elif a == "-master":
            daemon = None
        elif a == "-schedd":
            daemon = "schedd"
        elif a == "-daemon":
            i += 1
            if i >= len(args):
                sys.stderr.write("ERROR: -daemon requires another argument\n")
                _usage(sys.stderr)
                return 1
            daemon = args[i].lower()
            if daemon.startswith("condor_"):
                daemon = daemon[len("condor_"):]
            if daemon == "master":
                daemon = None
        elif a.startswith("-"):
            sys.stderr.write(f"ERROR: unknown argument {a}\n")
            _usage(sys.stderr)
            return 1
        else:
            pass   # a host name: only the local one exists here
        i += 1
    from pycondorlite import schedd
    spool = schedd.spool_dir()
    if not schedd.running_pid(spool):
        sys.stderr.write("Can't find address for local master\n"
                         "Perhaps you need to query another pool.\n")
        return 1
    schedd.stop(spool, timeout=5.0 if fast else 60.0)
    if daemon is None:
        what = "Kill-All-Daemons-Fast" if fast else "Kill-All-Daemons"
        print(f'Sent "{what}" command to local master')
    else:
        what = "Kill-Daemon-Fast" if fast else "Kill-Daemon"
        print(f'Sent "{what}" command for "{daemon}" to local master')
    return 0


if __name__ == "__main__":
    sys.exit(main())
