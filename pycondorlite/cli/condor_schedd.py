"""condor_schedd: the schedd daemon (matchmaking, gridmanager, history).

    condor_schedd [-f] [-t]

-f stays in the foreground (as under condor_master); without it the daemon
detaches into the background. -t also copies the log to stderr.
"""

import sys

from pycondorlite.cmdline import Opt, Parser

PROG = "condor_schedd"


PARSER = Parser(PROG, [Opt("foreground", 1, key="f"), Opt("t", -1), Opt("background", 1, key="b"),
                       Opt("help", 1), Opt("version", 1)],
                f"Usage: {PROG} [-f] [-t]\n", unknown=f"{PROG}: unknown option {{arg}}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, _body)


def _body(hits):
    foreground = False
    to_stderr = False
    for h in hits:
        if h.key == "f":
            foreground = True
        elif h.key == "t":
            to_stderr = True
        elif h.key == "b":
            foreground = False
        elif h.key is None:
            sys.stderr.write(f"{PROG}: unknown option {h.arg}\n" + PARSER.usage_text())
            return 1
    from pycondorlite import schedd
    if not foreground:
        try:
            schedd.start_background()
        except schedd.AlreadyRunning as e:
            sys.stderr.write(already_running_message(e))
            return 1
        except Exception as e:
            sys.stderr.write(f"{PROG}: failed to start: {e}\n")
            return 1
        return 0
    try:
        d = schedd.Schedd(log_to_stderr=to_stderr, handle_signals=True)
    except schedd.AlreadyRunning as e:
        sys.stderr.write(already_running_message(e))
        return 1
    except Exception as e:
        sys.stderr.write(f"{PROG}: failed to start: {e}\n")
        return 1
    return d.run()


def already_running_message(e):
    pid = f" (pid {e.pid})" if e.pid and e.pid > 0 else ""
    return (f"ERROR: condor_schedd is already running{pid} on spool {e.spool}; "
            f"only one schedd may use a spool\n")


if __name__ == "__main__":
    sys.exit(main())
