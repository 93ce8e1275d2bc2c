"""condor_master: start the daemons of this spool (the schedd) in the background.

    condor_master [-f]

pycondorlite has one daemon, the schedd (which runs the negotiator and the
gridmanager); condor_master starts it detached and returns. With -f it runs
the schedd in the foreground instead. Stop it with condor_off.
"""

import sys

from pycondorlite.cli.condor_schedd import already_running_message

PROG = "condor_master"


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    foreground = False
    for a in args:
        if a in ("-f", "-foreground"):
            foreground = True
        elif a in ("-help", "--help", "-h"):
            print(f"Usage: {PROG} [-f]")
            return 0
        elif a in ("-b", "-background", "-t"):
            pass
        else:
            sys.stderr.write(f"{PROG}: unknown option {a}\nUsage: {PROG} [-f]\n")
            return 1
    if foreground:
        from pycondorlite.cli import condor_schedd
        return condor_schedd.main(["-f"])
    from pycondorlite import schedd
    try:
        schedd.start_background()
    except schedd.AlreadyRunning as e:
        sys.stderr.write(already_running_message(e))
        return 1
    except Exception as e:
        sys.stderr.write(f"{PROG}: failed to start condor_schedd: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
