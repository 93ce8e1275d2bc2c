"""condor_submit: queue jobs from a submit description, as HTCondor's does.

Thin layer over pycondorlite.submit: read the description, build the ads,
store them in the spool in one transaction, print what condor_submit prints.
"""

import os
import re
import sys

from pycondorlite.jobad import quote
from pycondorlite.submit.description import SubmitDescription
from pycondorlite.submit.jobad import SubmitError
from pycondorlite.submit.reader import SubmitSyntaxError

USAGE = """Usage: condor_submit [options] [- | <submit-file>]
    [options] are
\t-file <submit-file>\tRead Submit commands from <submit-file>
\t-terse\t\t\tDisplay terse output, jobid ranges only
\t-verbose\t\tDisplay full job ClassAds
\t-debug  \t\tDisplay debugging output
\t-append <line>\t\tadd line to submit file before processing
\t\t\t\t(overrides submit file; multiple -a lines ok)
\t-queue <queue-opts>\tappend Queue statement to submit file before processing
\t\t\t\t(submit file must not already have a Queue statement)
\t-batch-name <name>\tappend a line to submit file that sets the batch name
\t-disable\t\tdisable file permission checks
\t-dry-run <filename>\tprocess submit file and write ClassAd attributes to <filename>
\t\t\t\tbut do not actually submit the job(s) to the SCHEDD
\t-help\t\t\tDisplay this message
\t<attrib>=<value>\tset <attrib>=<value> before reading the submit file

    If <submit-file> is omitted or is -, and a -queue is not provided, submit commands
     are read from stdin. Use of - implies -verbose.
"""

# Attributes never printed (secrets); the spool keeps them private too.
HIDDEN = {"deltacloudpassword"}


class Usage(Exception):
    pass


def _prefix(arg, full, minlen):
    """HTCondor's is_dash_arg_prefix: -ver, -verb, ... all mean -verbose."""
    a = arg.lstrip("-")
    return arg.startswith("-") and len(a) >= minlen and full.startswith(a)


class Options:
    def __init__(self):
        self.file = None
        self.verbose = False
        self.terse = False
        self.dry_run = None
        self.dry_cluster = 1
        self.append = []
        self.queue = None
        self.batch_name = None
        self.pre = []
        self.disable = False


def parse_args(argv):
    o = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if a == "-":
            o.file = "-"
        elif not a.startswith("-"):
            if "=" in a and re.match(r"^\+?[A-Za-z_][A-Za-z0-9_.]*=", a):
                k, v = a.split("=", 1)
                if k.startswith("+"):
                    k = "MY." + k[1:]
                o.pre.append(f"{k} = {v}")
            elif "=" in a:
                k = a.split("=", 1)[0]
                raise Usage(f"condor_submit: invalid attribute name '{k}' for attrib=value assigment")
            else:
                o.file = a
        elif _prefix(a, "help", 1):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        elif _prefix(a, "verbose", 1):
            o.verbose = True
            o.terse = False
        elif _prefix(a, "terse", 3):
            o.terse = True
            o.verbose = False
        elif a.startswith("-dry") and _prefix(a.split(":")[0], "dry-run", 3):
            if nxt is None:
                raise Usage("condor_submit: -dry-run requires another argument")
            for opt in (a.split(":", 1)[1].split(",") if ":" in a else []):
                if opt.startswith("cluster="):
                    o.dry_cluster = int(opt.split("=", 1)[1])
                elif opt not in ("hash", "def", "full", "digest", "jobset", "tpl"):
                    raise Usage(f"unknown option {opt} for -dry-run:{a.split(':', 1)[1]}")
            o.dry_run = nxt
            i += 1
        elif _prefix(a, "append", 1):
            if nxt is None:
                raise Usage("condor_submit: -append requires another argument")
            if re.match(r"\s*queue(\s|$)", nxt, re.I):
                if o.queue is not None:
                    raise Usage("condor_submit: only one -queue command allowed")
                o.queue = nxt.strip()[5:].strip()
            else:
                o.append.append(nxt)
            i += 1
        elif _prefix(a, "queue", 1):
            if o.queue is not None:
                raise Usage("condor_submit: only one -queue command allowed")
            parts = []
            while i + 1 < len(argv) and (not argv[i + 1].startswith("-") or argv[i + 1] == "-"):
                if argv[i + 1] == "-":
                    break
                parts.append(argv[i + 1])
                i += 1
            if not parts:
                raise Usage("condor_submit: -queue requires at least one argument")
            o.queue = " ".join(parts)
        elif _prefix(a, "batch-name", 1):
            if nxt is None:
                raise Usage("condor_submit: -batch-name requires another argument")
            o.batch_name = nxt
            i += 1
        elif _prefix(a, "file", 1):
            if nxt is None:
                raise Usage("condor_submit: -file requires another argument")
            o.file = nxt
            i += 1
        elif _prefix(a, "disable", 1):
            o.disable = True
        elif _prefix(a, "debug", 2) or _prefix(a, "unused", 1) or _prefix(a, "single-cluster", 2) \
                or _prefix(a, "spool", 2) or _prefix(a, "factory", 2) or _prefix(a, "interactive", 1):
            pass
        elif _prefix(a, "name", 1) or _prefix(a, "remote", 1) or _prefix(a, "pool", 1) \
                or _prefix(a, "addr", 2) or _prefix(a, "maxjobs", 2):
            if nxt is None:
                raise Usage(f"condor_submit: {a} requires another argument")
            i += 1
        else:
            raise Usage(None)
        i += 1
    return o


def ad_order(name):
    """ClassAd iteration order (dry-run): length, then case-insensitive name."""
    return (len(name), name.lower())


def _merge_blocks(results):
    """One cluster ad for all queue statements; later statements' differences go per proc."""
    cluster = None
    procs = []
    for cad, pads, _ in results:
        if cad is None:
            continue
        if cluster is None:
            cluster = cad
            procs.extend(pads)
            continue
        extra = {k: v for k, v in cad.items() if cluster.get(k) != v}
        missing = {k: "undefined" for k in cluster if k not in cad and k != "ClusterId"}
        for p in pads:
            q = dict(missing)
            q.update(extra)
            q.update(p)
            procs.append(q)
    return cluster, procs


def _check_executable(desc, results):
    for cad, pads, _ in results:
        if cad is None:
            continue
        if cad.get("TransferExecutable") == "false":
            continue
        cmds = {p.get("Cmd", cad.get("Cmd")) for p in pads[:1]} | {p["Cmd"] for p in pads if "Cmd" in p}
        for c in cmds:
            if not c:
                continue
            path = c[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            try:
                st = os.stat(path)
            except (OSError, ValueError) as e:      # ValueError: a NUL in the name
                why = getattr(e, "strerror", None) or str(e)
                raise SubmitError(f"\nERROR: Can't access executable file {path!r}: {why}"
                                  if "\0" in path else
                                  f"\nERROR: Can't access executable file {path}: {why}")
            if st.st_size == 0:
                raise SubmitError(f"\nERROR: Executable file {path} has zero length")


def _print_ad(out, ad, sort_key):
    for k in sorted(ad, key=sort_key):
        if k.lower() in HIDDEN:
            continue
        out.append(f"{k} = {ad[k]}")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    out = sys.stdout
    err = sys.stderr
    try:
        o = parse_args(args)
    except Usage as e:
        err.write((str(e) + "\n") if e.args and e.args[0] else USAGE)
        return 1

    from_stdin = o.file in (None, "-") and not (o.queue is not None and o.file is None and o.pre)
    if o.file in (None, "-") and o.queue is not None and o.pre and o.file is None:
        text, source = "", "(command line)"
        from_stdin = False
    elif o.file in (None, "-"):
        text, source = sys.stdin.read(), "(stdin)"
    else:
        try:
            with open(o.file, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            err.write(f"\nERROR: Failed to open command file ({o.file}) ({e.strerror})\n")
            return 1
        source = o.file
    verbose = o.verbose or (from_stdin and not o.terse)
    banner = not from_stdin and not o.terse
    if banner:
        out.write("Dry-Run job(s)" if o.dry_run else "Submitting job(s)")
        out.flush()

    append = list(o.append)
    if o.batch_name is not None:
        append.append(f"MY.JobBatchName = {quote(o.batch_name)}")
    lineno = 0
    sp = None
    try:
        desc = SubmitDescription(text, source=source, pre_lines=o.pre, append_lines=append,
                                 queue_override=o.queue,
                                 submit_file=None if source.startswith("(") else source)
        if not desc.blocks:
            out.flush()
            err.write(f'\nERROR: "{source}" doesn\'t contain any "queue" commands -- no jobs queued\n')
            return 1
        specs = [desc.spec(b) for b in desc.blocks]
        for spec in specs:
            for w in spec.warnings:
                err.write(w)
        if all(s.empty_list for s in specs):
            if not o.terse:
                err.write(f'\nWARNING: "{source}" has only empty "queue" commands -- no jobs queued\n')
            if banner:
                out.write("\n")
            return 0
        # Check everything we can before a cluster id is taken from the spool.
        lineno = desc.blocks[0].lineno
        if not o.dry_run:
            # The schedd's limit, checked before any ad is built: `queue 100000000`
            # is refused at once instead of exhausting memory.
            from pycondorlite import config
            limit = config.param_int("MAX_JOBS_PER_SUBMISSION", 20000)
            if limit > 0 and sum(s.procs() for s in specs) > limit:
                out.flush()
                err.write("\nERROR: Failed to queue job.\n"
                          "Number of submitted jobs would exceed MAX_JOBS_PER_SUBMISSION\n")
                return 1
        probe = desc.jobs(cluster_id=0, probe=True)
        _check_executable(desc, probe)
        if o.dry_run:
            cid = o.dry_cluster
        else:
            from pycondorlite.spool import Spool
            sp = Spool.open()
            cid = sp.reserve_cluster_id()
        results = desc.jobs(cluster_id=cid)
        cluster, procs = _merge_blocks(results)
        if o.dry_run:
            _dry_run(o.dry_run, cid, cluster, procs, out)
        else:
            sp.submit(cid, cluster, procs)
            nudge = getattr(sp, "nudge_schedd", None)
            if nudge:
                nudge()     # wake a running schedd (never fails)
    except SubmitSyntaxError as e:
        out.flush()
        err.write(f"\nERROR: on Line {e.lineno} of {e.source or source}: {e.msg}\n")
        err.write(f"\nERROR: Failed to parse command file (line {e.lineno}).\n")
        return 1
    except SubmitError as e:
        out.flush()
        msg = e.msg
        if msg.startswith("\n"):
            err.write(msg + "\n")
        else:
            err.write(f"ERROR: {msg}\n")
            err.write(f"\nERROR: Failed to parse command file (line {e.lineno or lineno}).\n")
        return 1
    except Exception as e:   # spool errors and the like: no traceback for users
        out.flush()
        if type(e).__name__ == "SpoolError" or isinstance(e, OSError):
            err.write("\nERROR: Failed to commit job submission into the queue.\n")
            err.write(f"ERROR: {e}\n")
            return 1
        raise
    finally:
        if sp is not None:
            try:
                sp.close()
            except Exception:
                pass

    n = len(procs)
    if verbose:
        lines = []
        for p in procs:
            ad = dict(cluster)
            ad.update(p)
            lines.append(f"\n** Proc {cid}.{p['ProcId']}:")
            _print_ad(lines, ad, lambda k: k)
        out.write("\n".join(lines) + "\n")
    elif banner:
        out.write("." * n)
    if banner:
        out.write("\n")
    if o.terse:
        out.write(f"{cid}.{procs[0]['ProcId']} - {cid}.{procs[-1]['ProcId']}\n")
    elif not verbose:
        what = "dry-run" if o.dry_run else "submitted"
        out.write(f"{n} job(s) {what} to cluster {cid}.\n")
    for name, value in desc.unused():
        err.write(f"WARNING: the line '{name} = {value}' was unused by condor_submit. "
                  f"Is it a typo?\n")
    return 0


def _dry_run(target, cid, cluster, procs, out):
    lines = []
    for i, p in enumerate(procs):
        lines.append("")
        if i == 0:
            lines.append(f"ClusterId={cid}")
            for k in sorted(cluster, key=ad_order):
                if k == "ClusterId" or k.lower() in HIDDEN:
                    continue
                lines.append(f"{k}={cluster[k]}")
        lines.append(f"ProcId={p['ProcId']}")
        lines.append(f"JobStatus={p.get('JobStatus', '1')}")
        for k in sorted(p, key=ad_order):
            if k in ("ProcId", "JobStatus") or k.lower() in HIDDEN:
                continue
            lines.append(f"{k}={p[k]}")
    text = "\n".join(lines) + "\n"
    if target == "-":
        out.write(text)
    else:
        with open(target, "w") as f:
            f.write(text)
