"""condor_advertise: send provider ads to the collector (the spool).

    condor_advertise [-pool host] [-tcp|-udp] [-multiple] [-debug] UPDATE_STARTD_AD [file]
    condor_advertise INVALIDATE_STARTD_ADS query-file

Ads are old ClassAd syntax, one `Attr = expr` a line; with -multiple a blank
line ends an ad. Messages and exit codes are HTCondor's (advertise.cpp).
"""

import sys

from pycondorlite import collector as coll
from pycondorlite.address import collector_name
from pycondorlite.cmdline import Opt, Parser, Usage

PROG = "condor_advertise"

UPDATE_CMDS = {"UPDATE_STARTD_AD", "UPDATE_STARTD_AD_WITH_ACK"}
INVALIDATE_CMDS = {"INVALIDATE_STARTD_ADS"}
# Collector commands HTCondor knows but that have no meaning here.
OTHER_CMDS = {
    "UPDATE_SCHEDD_AD", "UPDATE_MASTER_AD", "UPDATE_SUBMITTOR_AD", "UPDATE_COLLECTOR_AD",
    "UPDATE_NEGOTIATOR_AD", "UPDATE_AD_GENERIC", "UPDATE_LICENSE_AD", "UPDATE_STORAGE_AD",
    "UPDATE_ACCOUNTING_AD", "UPDATE_GRID_AD", "UPDATE_HAD_AD", "MERGE_STARTD_AD",
    "INVALIDATE_SCHEDD_ADS", "INVALIDATE_MASTER_ADS", "INVALIDATE_SUBMITTOR_ADS",
    "INVALIDATE_COLLECTOR_ADS", "INVALIDATE_NEGOTIATOR_ADS", "INVALIDATE_ADS_GENERIC",
    "INVALIDATE_LICENSE_ADS", "INVALIDATE_STORAGE_ADS", "INVALIDATE_ACCOUNTING_ADS",
    "INVALIDATE_GRID_ADS", "INVALIDATE_HAD_ADS",
}


def usage(cmd, show_cmds):
    out = [f"Usage: {cmd} [options] <update-command> [<classad-filename>]\n",
           "Where options are:\n",
           "    -help             Display options\n",
           "    -version          Display Condor version\n",
           "    -pool <hostname>  Use this central manager\n",
           "    -debug            Show extra debugging info\n",
           "    -tcp              Ship classad via TCP (default)\n",
           "    -udp              Ship classad via UDP\n",
           "    -multiple         Publish multiple ads, separated by blank lines\n"]
    if show_cmds:
        out.append("\nAnd <update-command> is one of:\n")
        out.extend(f"    {c}\n" for c in sorted(UPDATE_CMDS | INVALIDATE_CMDS))
    out.append("\nIf <classad-filename> does not exist or is -, classads will be read from "
               "standard input\n")
    out.append(f"Example: {cmd} -debug UPDATE_STARTD_AD adfile\n\n")
    return "".join(out)


OPTIONS = [
    Opt("help", -1),
    Opt("pool", -1, args=1, missing="-pool requires an argument.\n", usage_on_missing=True),
    Opt("tcp", 1, key="ignored"), Opt("udp", 1, key="ignored"),
    Opt("many-connections", 1, key="ignored"), Opt("fake-private-ad", 1, key="ignored"),
    Opt("multiple", 1),
    Opt("version", -1),
    Opt("debug", -1),
]


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    parser = Parser(PROG, OPTIONS, usage=lambda prog: usage(prog, True), help_stream="stderr",
                    unknown="Unknown argument: {arg}\n",
                    error_usage_stream="stderr")
    return parser.run(args, lambda hits: _body(hits, parser))


def _body(hits, parser):
    cmd = PROG
    filename = None
    command = None
    multiple = False
    debug = False
    pool = None
    for h in hits:
        if h.key == "pool":
            pool = h.value
        elif h.key == "multiple":
            multiple = True
        elif h.key == "debug":
            debug = True
        elif h.key is None:
            a = h.arg
            if command is None:
                if a not in UPDATE_CMDS | INVALIDATE_CMDS | OTHER_CMDS:
                    raise Usage(f"Unknown command name {a}\n", usage=True)
                command = a
            elif filename is None:
                filename = a
            else:
                sys.stderr.write(f"Extra argument: {a}\n\n")
                sys.stderr.write(usage(cmd, False))
                return 1

    if filename is None or filename == "-":
        filename = "(stdin)"
        text = sys.stdin.read()
    else:
        try:
            with open(filename, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            sys.stderr.write(f"couldn't open {filename}: {e.strerror}\n")
            return 1

    try:
        raw_ads = coll.read_ad_file(text, multiple)
        ads = [coll.normalize_ad(a) for a in raw_ads]
    except coll.CollectorError as e:
        if debug:
            sys.stderr.write(f"failed to create classad; bad expr = '{e.args[1]}' "
                             f"(line {e.args[0]})\n")
        sys.stderr.write(f"couldn't parse ClassAd in {filename}\n")
        return 1
    ads = [a for a in ads if a]
    if not ads:
        sys.stderr.write(f"{filename} is empty\n")
        return 1

    if command is None:
        low = {k.lower(): v for k, v in ads[0].items()}
        my_type = coll._string_value(low.get("mytype")) or ""
        if not my_type:
            sys.stderr.write("MyType not set in ad, aborting.\n")
            return 1
        command = "UPDATE_AD_GENERIC" if my_type.upper() == "GENERIC" \
            else f"UPDATE_{my_type.upper()}_AD"
    if command == "UPDATE_MACHINE_AD":
        command = "UPDATE_STARTD_AD"
    if command not in UPDATE_CMDS | INVALIDATE_CMDS:
        sys.stderr.write(f"{cmd}: {command} is not supported: this collector holds "
                         f"provider (startd) ads only\n")
        return 1

    from pycondorlite.spool import Spool
    name = collector_name(pool)
    try:
        sp = Spool.open()
    except Exception as e:
        sys.stderr.write(f"couldn't locate collector: {e}\n")
        return 1
    sent = failed = 0
    try:
        c = coll.Collector(sp)
        if command in UPDATE_CMDS:
            results = c.update(ads)
            for adname, outcome in results:
                if outcome == "noname":
                    failed += 1
                    sys.stderr.write(f"failed to send classad to {name}: "
                                     f"neither Name nor Machine is set in the ad\n")
                else:
                    sent += 1
                    if debug:
                        sys.stderr.write(f"{adname}: {outcome}\n")
        else:
            for q in ads:
                n = c.invalidate(q)
                sent += 1
                if debug:
                    sys.stderr.write(f"invalidated {n} ad(s)\n")
        sp.nudge_schedd()
    except Exception as e:
        sys.stderr.write(f"failed to send classad to {name}: {e}\n")
        return 1
    finally:
        sp.close()
    total = sent + failed
    print(f"Sent {sent} of {total} ad{'' if total == 1 else 's'} to {name}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
