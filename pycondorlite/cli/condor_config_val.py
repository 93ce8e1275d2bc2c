"""condor_config_val: print the value of configuration knobs."""

import sys

from pycondorlite import config
from pycondorlite.cmdline import Opt, Parser

USAGE = """Usage: condor_config_val [options] variable [variable] ...
   where [options] is zero or more of:
      -config       Print the locations of configuration files
      -dump         Print all variables (optionally only those matching a name)
      -verbose      Print the source of each value
      -help         Print this message
"""


OPTIONS = [Opt("verbose", 1), Opt("dump", 1), Opt("config", 1), Opt("help", 1),
           Opt("version", 3)]
PARSER = Parser("condor_config_val", OPTIONS, USAGE, unknown="", error_usage_stream="stderr")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    return PARSER.run(args, _body)


def _body(hits):
    names = [h.arg for h in hits if h.key is None]
    keys = {h.key for h in hits}
    verbose, dump, show_config = "verbose" in keys, "dump" in keys, "config" in keys
    try:
        cfg = config.get_config()
    except config.ConfigError as e:
        sys.stderr.write(e.msg + "\n")
        return 1
    if show_config:
        print("Configuration source:")
        print("\t" + (cfg.files[0] if cfg.files else "(none)"))
        if len(cfg.files) > 1:
            print("Local configuration sources:")
            for f in cfg.files[1:]:
                print("\t" + f)
        if not names:
            return 0
    if dump:
        want = [n.lower() for n in names]
        keys = {k.lower(): k for k in cfg.macros.defaults}
        keys.update({k.lower(): k for k in cfg.macros.keys()})
        for low in sorted(keys):
            if want and not any(w in low for w in want):
                continue
            print(f"{keys[low].upper() if low in cfg.macros.defaults and keys[low] == low else keys[low]}"
                  f" = {cfg.param(keys[low], '')}")
        return 0
    if not names:
        sys.stderr.write(USAGE)
        return 1
    rc = 0
    for n in names:
        v = cfg.param(n)
        if v is None:
            sys.stderr.write(f"Not defined: {n}\n")
            rc = 1
            continue
        print(v)
        if verbose:
            src = "environment" if cfg._lookup_env(n) is not None else (
                cfg.files[0] if cfg.macros.table.get(n.lower()) else "<Default>")
            print(f"  # at: {src}")
    return rc
