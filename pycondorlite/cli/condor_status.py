"""condor_status over the provider ads in the collector (the spool).

Views: the default slot table, -long, -af/-autoformat, -json, -total;
-constraint filters; names given as arguments select ads by Name/Machine.

Provider ads are machine ads without slot attributes, so the default table
prints what HTCondor's startdPFV_Normal print format prints for missing
attributes: `??` for OpSys, Arch, State, Activity, LoadAv and Mem, and `-`
for the activity time (its `OR -` alternative); they have no Arch/OpSys key,
so the totals count them as malformed ("Omitted N malformed ads ...") as
totals.cpp does. Secret attributes (passwords) are never shown.
"""

import sys
import time

from pycondorlite import adformat, printmask
from pycondorlite import collector as coll
from pycondorlite.cmdline import MANY, Opt, Parser, Usage

PROG = "condor_status"


USAGE = (f"Usage: {PROG} [help-opt] [query-opt] [display-opt] [custom-opts ...] [name ...]\n"
         "    where [display-opt] is one of\n"
         "\t-long\t\t\tDisplay entire classads\n"
         "\t-json\t\t\tDisplay entire classads in JSON form\n"
         "\t-xml\t\t\tDisplay entire classads in XML form\n"
         "\t-total\t\t\tDisplay totals only\n"
         "    and [custom-opts ...] are one or more of\n"
         "\t-constraint <const>\tAdd constraint on classads\n"
         "\t-format <fmt> <attr>\tPrint attribute attr using format fmt\n"
         "\t-autoformat[:lhVr,tng] <attr> [<attr2> [...]]\n"
         "\t\t\t\tPrint attr(s) with automatic formatting\n")


def _activity_time(ad, now):
    t = coll.literal_int(ad.text("EnteredCurrentActivity") or "")
    if t is None:
        return None
    s = max(0, now - t)
    return "%d+%02d:%02d:%02d" % (s // 86400, s // 3600 % 24, s // 60 % 60, s % 60)


def _str_attr(ad, name):
    return coll._string_value(ad.text(name))


def default_view(ads, out, totals_only=False):
    now = int(time.time())
    rows = []
    for ad in ads:
        name = _str_attr(ad, "Name") or "??"
        opsys = _str_attr(ad, "OpSys") or "??"
        arch = _str_attr(ad, "Arch") or "??"
        state = _str_attr(ad, "State") or "??"
        activity = _str_attr(ad, "Activity") or "??"
        la = ad.text("CondorLoadAvg")
        try:
            load = "%.3f" % float(la) if la is not None else "??"
        except ValueError:
            load = "??"
        mem = coll.literal_int(ad.text("Memory") or "")
        mem = "%6d" % mem if mem is not None else "??"
        at = _activity_time(ad, now) or "-"
        rows.append((name, opsys, arch, state, activity, load, mem, at))
    if not totals_only:
        wname = max([4] + [len(r[0]) for r in rows])
        wstate = max([5] + [len(r[3]) for r in rows])
        hdr = (f"{'Name':<{wname}} {'OpSys':<10} {'Arch':<8} {'State':<{wstate}} "
               f"{'Activity':<8} {'LoadAv':>6} {'Mem':>6} {'ActvtyTime':>12}")
        out.write(hdr.rstrip() + "\n\n")
        for r in rows:
            line = (f"{r[0]:<{wname}} {r[1]:<10} {r[2]:<8} {r[3]:<{wstate}} "
                    f"{r[4]:<8} {r[5]:>6} {r[6]:>6} {r[7]:>12}")
            out.write(line.rstrip() + "\n")
        out.write("\n")
    _totals(ads, out)


_STATES = ["Owner", "Claimed", "Unclaimed", "Matched", "Preempting", "Drained", "Backfill",
           "BkIdle"]


def _totals(ads, out):
    keys = {}
    total = [0] * 9
    malformed = 0
    for ad in ads:
        arch, opsys = _str_attr(ad, "Arch"), _str_attr(ad, "OpSys")
        state = _str_attr(ad, "State")
        if arch is None or opsys is None:
            malformed += 1
            continue
        row = keys.setdefault(f"{arch}/{opsys}", [0] * 9)
        if state is None or state not in _STATES:
            malformed += 1
            continue
        for r in (row, total):
            r[0] += 1
            r[1 + _STATES.index(state)] += 1
    width = max([14] + [len(k) for k in keys])
    out.write(" " * width + "%6.6s %5.5s %7.7s %9.9s %7.7s %10.10s %6.6s %8.8s %6.6s\n"
              % ("Total", "Owner", "Claimed", "Unclaimed", "Matched", "Preempting", "Drain",
                 "Backfill", "BkIdle"))
    out.write("\n")
    fmt = "%6d %5d %7d %9d %7d %10d %6d %8d %6d\n"
    for k in sorted(keys):
        out.write(f"{k:>{width}}" + fmt % tuple(keys[k]))
    out.write("\n" + f"{'Total':>{width}}" + fmt % tuple(total))
    if malformed:
        out.write("\n" + " " * width + f"(Omitted {malformed} malformed ads in computed "
                  "attribute totals)\n\n")


_AF_MISSING = "Error: Argument {arg} requires at last one attribute parameter"
OPTIONS = [
    Opt("help", 1),
    Opt("long", 1, colon=True), Opt("json", 2), Opt("xml", 2), Opt("total", 2),
    Opt("constraint", 3, args=1, missing="Error: Argument {arg} requires another argument"),
    Opt("autoformat", 2, args=MANY, colon=True, key="af", missing=_AF_MISSING),
    Opt("af", 2, args=MANY, colon=True, missing=_AF_MISSING),
    Opt("format", 1, args=2, missing="Error: Argument {arg} requires format and attribute "
                                     "parameters"),
    Opt("startd", 2, key="ignored"), Opt("any", 2, key="ignored"),
    Opt("machine", 2, key="ignored"), Opt("debug", -1, key="ignored"),
    Opt("pool", 1, args=1, missing="Error: Argument {arg} requires another argument"),
    Opt("version", 1),
]
PARSER = Parser(PROG, OPTIONS, USAGE, unknown="Error: unknown argument {arg}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, _body)


def _body(hits):
    view = "default"
    constraints = []
    custom = []
    names = []
    for h in hits:
        k = h.key
        if k in ("long", "json", "xml"):
            view = k
            for opt in (h.colon or "").split(","):
                if k == "long" and opt in ("json", "xml"):
                    view = opt
        elif k == "total":
            view = "total"
        elif k == "constraint":
            constraints.append(h.value)
        elif k == "af":
            view = "custom"
            custom.append(("af", h.colon, h.values))
        elif k == "format":
            view = "custom"
            custom.append(("format", h.values[0], h.values[1]))
        elif k is None:
            names.append(h.arg)

    from pycondorlite import classad
    trees = []
    for n, c in enumerate(constraints):
        try:
            trees.append(classad.ExprTree(c))
        except Exception:
            raise Usage(f"Error: Argument {n} ({c}) is not a valid constraint")
    from pycondorlite.spool import Spool, SpoolError
    try:
        sp = Spool.open()
    except SpoolError as e:
        raise Usage(f"Error: Couldn't contact the condor_collector: {e}")
    try:
        ads = coll.Collector(sp).ads_with_instances()
    finally:
        sp.close()
    if names:
        wanted = {n.lower() for n in names}
        ads = [a for a in ads if (_str_attr(a, "Name") or "").lower() in wanted
               or (_str_attr(a, "Machine") or "").lower() in wanted]
    if trees:
        kept = []
        for ad in ads:
            cad = ad.classad(private=False)
            if all(coll._true(t.eval(cad)) for t in trees):
                kept.append(ad)
        ads = kept
    ads.sort(key=lambda a: (_str_attr(a, "Machine") or "", a.name))
    out = sys.stdout
    if view in ("long", "json", "xml"):
        out.write(adformat.whole_ads(view, [ad.public_items() for ad in ads]))
    elif view == "custom":
        out.write(printmask.render(ads, custom, adformat.Evaluator(hidden=coll.is_secret_attr)))
    elif ads:
        default_view(ads, out, totals_only=(view == "total"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
