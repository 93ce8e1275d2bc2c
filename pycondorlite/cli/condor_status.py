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

from pycondorlite import collector as coll

PROG = "condor_status"


def _usage(out):
    out.write(f"Usage: {PROG} [help-opt] [query-opt] [display-opt] [custom-opts ...] [name ...]\n"
              "    where [display-opt] is one of\n"
              "\t-long\t\t\tDisplay entire classads\n"
              "\t-json\t\t\tDisplay entire classads in JSON form\n"
              "\t-total\t\t\tDisplay totals only\n"
              "    and [custom-opts ...] are one or more of\n"
              "\t-constraint <const>\tAdd constraint on classads\n"
              "\t-autoformat[:lhVr,tng] <attr> [<attr2> [...]]\n"
              "\t\t\t\tPrint attr(s) with automatic formatting\n")


def _prefix(arg, name, min_len):
    word = arg[1:] if arg.startswith("-") else None
    if word is None:
        return False
    if word.startswith("-"):
        word = word[1:]
    return len(word) >= min_len and name.startswith(word)


def format_value(v, quote_strings=False):
    """An evaluated value as -af prints it (%v; %V quotes strings)."""
    from pycondorlite.classad.value import Value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Value) or type(v).__name__ == "Value":
        return "undefined" if int(v) == int(Value.Undefined) else "error"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"' if quote_strings else v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return coll.format_real(v)
    if isinstance(v, list):
        return "{ " + ",".join(format_value(x, True) for x in v) + " }"
    try:
        return "[ " + "; ".join(f"{k} = {format_value(x, True)}" for k, x in v.items()) + " ]"
    except Exception:
        return str(v)


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


def long_view(ads, out):
    for ad in ads:
        items = sorted(ad.public_items(), key=lambda kv: kv[0].lower())
        for k, v in items:
            out.write(f"{k} = {v}\n")
        out.write("\n")


def json_view(ads, out):
    if not ads:
        return
    out.write("[\n")
    out.write(",\n".join(ad.classad(private=False).printJson().rstrip("\n") for ad in ads))
    out.write("\n]\n")


def af_view(ads, exprs, opts, out):
    from pycondorlite import classad
    trees = [classad.ExprTree(e) for e in exprs]
    sep = "\t" if "t" in opts else " "
    for ad in ads:
        cad = ad.classad(private=False)
        fields = []
        for e, tree in zip(exprs, trees):
            if "r" in opts and e.lower() in ad.low and not coll.is_secret_attr(e):
                s = ad.low[e.lower()]
            elif coll.is_secret_attr(e):
                s = "undefined"
            else:
                s = format_value(tree.eval(cad), "V" in opts)
            if "l" in opts:
                s = f"{e} = {s}"
            if "," in opts:
                s += ","
            fields.append(s)
        if "n" in opts:
            out.write("".join(f + "\n" for f in fields))
        else:
            out.write(sep.join(fields) + "\n")
        if "g" in opts:
            out.write("\n")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    view = "default"
    constraints = []
    af = []
    af_opts = ""
    names = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-"):
            head, _, opts = a.partition(":")
            if _prefix(head, "help", 1):
                _usage(sys.stdout)
                return 0
            if _prefix(head, "long", 1):
                view = "long"
            elif _prefix(head, "json", 2):
                view = "json"
            elif _prefix(head, "total", 2):
                view = "total"
            elif _prefix(head, "constraint", 3):
                i += 1
                if i >= len(args):
                    sys.stderr.write(f"Error: Argument {a} requires another argument\n")
                    return 1
                constraints.append(args[i])
            elif _prefix(head, "autoformat", 2) or _prefix(head, "af", 2):
                view = "af"
                af_opts = opts
                i += 1
                while i < len(args) and not args[i].startswith("-"):
                    af.append(args[i])
                    i += 1
                if not af:
                    sys.stderr.write(f"Error: Argument {a} requires at last one attribute "
                                     f"parameter\n")
                    return 1
                continue
            elif _prefix(head, "startd", 2) or _prefix(head, "any", 2) or \
                    _prefix(head, "machine", 2) or head in ("-debug",):
                pass
            else:
                sys.stderr.write(f"Error: unknown argument {a}\n")
                _usage(sys.stderr)
                return 1
        else:
            names.append(a)
        i += 1

    from pycondorlite import classad
    trees = []
    for n, c in enumerate(constraints):
        try:
            trees.append(classad.ExprTree(c))
        except Exception:
            sys.stderr.write(f"Error: Argument {n} ({c}) is not a valid constraint\n")
            return 1
    from pycondorlite.spool import Spool
    try:
        sp = Spool.open()
    except Exception as e:
        sys.stderr.write(f"Error: Couldn't contact the condor_collector: {e}\n")
        return 1
    try:
        ads = coll.Collector(sp).ads()
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
    if view == "long":
        long_view(ads, out)
    elif view == "json":
        json_view(ads, out)
    elif view == "af":
        af_view(ads, af, af_opts, out)
    elif ads:
        default_view(ads, out, totals_only=(view == "total"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
