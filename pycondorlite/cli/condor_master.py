"""condor_master: start the daemons of this spool (the schedd) in the background.

    condor_master [-f]

pycondorlite has one daemon, the schedd (which runs the negotiator and the
gridmanager); condor_master starts it detached and returns. With -f it runs
the schedd in the foreground instead. Stop it with condor_off.
"""

import sys

from pycondorlite.cli.condor_schedd import already_running_message
from pycondorlite.cmdline import Opt, Parser

PROG = "condor_master"
PARSER = Parser(PROG, [Opt("foreground", 1, key="f"), Opt("background", 1, key="b"),
                       Opt("t", -1, key="b"), Opt("help", 1), Opt("version", 1)],
                f"Usage: {PROG} [-f]\n", unknown=f"{PROG}: unknown option {{arg}}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, _body)


def _body(hits):
    foreground = False
    for h in hits:
        if h.key == "f":
            foreground = True
        elif h.key is None:
            sys.stderr.write(f"{PROG}: unknown option {h.arg}\n" + PARSER.usage_text())
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
