"""condor_submit: queue jobs from a submit description, as HTCondor's does.

Thin layer over pycondorlite.submit: read the description, build the ads,
store them in the spool in one transaction (or write them out for -dry-run
and -dump), print what condor_submit prints. The options, their prefixes
and messages are those of src/condor_submit.V6/submit.cpp, in a table for the
shared parser (pycondorlite.cmdline).
"""

import os
import re
import shutil
import sys

from pycondorlite.cmdline import Done, Opt, Parser, Usage
from pycondorlite.jobad import quote
from pycondorlite.submit import clusters as submit_clusters
from pycondorlite.submit.description import SubmitDescription
from pycondorlite.submit.values import SubmitError
from pycondorlite.submit.reader import SubmitSyntaxError

MYNAME = "condor_submit"

USAGE = f"""Usage: {MYNAME} [options] [<attrib>=<value>] [- | <submit-file>]
    [options] are
\t-file <submit-file>\tRead Submit commands from <submit-file>
\t-terse  \t\tDisplay terse output, jobid ranges only
\t-verbose\t\tDisplay verbose output, jobid and full job ClassAd
\t-capabilities\t\tDisplay configured capabilities of the schedd
\t-debug  \t\tDisplay debugging output
\t-append <line>\t\tadd line to submit file before processing
\t              \t\t(overrides submit file; multiple -a lines ok)
\t-queue <queue-opts>\tappend Queue statement to submit file before processing
\t                   \t(submit file must not already have a Queue statement)
\t-batch-name <name>\tappend a line to submit file that sets the batch name
\t-disable\t\tdisable file permission checks
\t-dry-run <filename>\tprocess submit file and write ClassAd attributes to <filename>
\t        \t\tbut do not actually submit the job(s) to the SCHEDD
\t-maxjobs <maxjobs>\tDo not submit if number of jobs would exceed <maxjobs>.
\t-single-cluster\t\tDo not submit if more than one ClusterId is needed.
\t-unused\t\t\ttoggles unused or unexpanded macro warnings
\t       \t\t\t(overrides config file; multiple -u flags ok)
\t-allow-crlf-script\tAllow submitting #! executable script with DOS/CRLF line endings
\t-dump <filename>\tWrite job ClassAds to <filename> instead of
\t                \tsubmitting to a schedd.
\t-interactive\t\tsubmit an interactive session job
\t-factory\t\tSubmit a late materialization job factory
\t-name <name>\t\tsubmit to the specified schedd
\t-remote <name>\t\tsubmit to the specified remote schedd
\t              \t\t(implies -spool)
\t-addr <ip:port>\t\tsubmit to schedd at given "sinful string"
\t-spool\t\t\tspool all files to the schedd
\t-pool <host>\t\tUse host as the central manager to query
\t<attrib>=<value>\tSet <attrib>=<value> before reading the submit file.

    If <submit-file> is omitted or is -, and a -queue is not provided, submit commands
     are read from stdin. Use of - implies verbose output unless -terse is specified
"""

# Attributes never printed (secrets); the spool keeps them private too.
HIDDEN = {"deltacloudpassword"}

# Sub-options of -dry-run:<opts> (submit.cpp); only cluster=N changes what we do.
DRY_RUN_OPTIONS = ("hash", "def", "full", "digest", "jobset", "tpl")


def _opt(name, min_len, args=0, **kw):
    """An option of condor_submit's if/else chain; a missing argument is named
    by the option's full name, however it was typed."""
    return Opt(name, min_len, args=args, missing=f"{{prog}}: -{name} requires another argument",
               **kw)


_QUEUE_MISSING = f"{MYNAME}: -queue requires at least one argument"

# In the order of condor_submit's chain (submit.cpp): the first that matches wins.
OPTIONS = [
    Opt("verbose", 1),
    Opt("terse", 3),
    Opt("disable", 1),
    Opt("debug", 2, colon=True),
    # -dry-run and -dump look for each other before they look for their file.
    _opt("dry-run", 3, 1, colon=True, missing_late=True),
    Opt("spool", 1),
    _opt("file", 2, 1),
    Opt("factory", 2),
    Opt("generator", 1, key="factory"),
    _opt("address", 2, 1),
    _opt("remote", 1, 1),
    _opt("name", 1, 1),
    _opt("append", 1, 1),
    _opt("batch-name", 1, 1),
    # HTCondor asks for 1 letter, but -batch-name before it takes all up to -batch-.
    _opt("batch-id", 7, 1),
    # Its first word here; the words after it come as plain arguments (parse_args).
    Opt("queue", 1, args=1, missing=_QUEUE_MISSING),
    _opt("maxjobs", 3, 1),
    Opt("single-cluster", 3),
    _opt("pool", 2, 1),
    Opt("unused", 1),
    _opt("dump", 2, 1, missing_late=True),
    Opt("force-mpi-universe", 7),
    Opt("allow-crlf-script", 8),
    Opt("help", 1),
    Opt("capabilities", 3, colon=True),
    Opt("interactive", 1),
]

# An option not in the chain (-version among them) prints the usage on stderr, exit 1.
PARSER = Parser(MYNAME, OPTIONS, USAGE, unknown="", version=None)

_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_SINFUL = re.compile(r"<[^<>\s]+:\d+(\?[^<>\s]*)?>\Z")


class Options:
    def __init__(self):
        self.file = None
        self.verbose = False
        self.terse = False
        self.dry_run = None
        self.dry_cluster = 1
        self.dump = None
        self.append = []        # -a lines and the -batch-name line, in order
        self.queue = None
        self.pre = []           # attrib=value lines, read before the file
        self.cmdline_keys = False
        self.disable = False
        self.maxjobs = 0
        self.single_cluster = False
        self.unused_toggles = 0
        self.allow_crlf = False
        self.interactive = False
        self.factory = False
        self.spool = False
        self.schedd_name = None
        self.capabilities = False


def parse_args(argv):
    """The Options of a command line, read as condor_submit's chain reads it:
    the first bad argument stops it (Usage), -help prints the usage (Done)."""
    o = Options()
    queue_goes_on = False       # plain arguments after -queue's first are its words
    for h in PARSER.iterate(argv):
        if h.key is None and queue_goes_on:
            # up to the next option; a bare - is a word too, and the last
            o.queue += " " + h.arg
            queue_goes_on = h.arg != "-"
            continue
        queue_goes_on = False
        if h.key is None:
            _plain_argument(o, h.arg)
        elif h.key == "verbose":
            o.verbose, o.terse = True, False
        elif h.key == "terse":
            o.terse, o.verbose = True, False
        elif h.key == "disable":
            o.disable = True
        elif h.key == "debug":
            pass                # dprintf to the console: nothing of ours logs there
        elif h.key == "dry-run":
            _dry_run_options(o, h.colon)
            if o.dump is not None:
                raise Usage(f"{MYNAME}: -dry-run <file> and -dump <file> cannot be used "
                            f"together")
            if not h.value or (h.value.startswith("-") and h.value != "-"):
                raise Usage(f"{MYNAME}: -dry-run requires another argument")
            o.dry_run = h.value
        elif h.key == "spool":
            o.spool = o.disable = True
        elif h.key == "file":
            o.file = h.value
        elif h.key == "factory":
            o.factory = o.disable = True
        elif h.key == "address":
            if not _SINFUL.match(h.value):
                raise Usage(f'{MYNAME}: "{h.value}" is not a valid address\n'
                            f"Should be of the form <ip:port>\n"
                            f"For example: <123.456.789.123:6789>")
        elif h.key == "remote":
            o.spool = o.disable = True
            o.schedd_name = h.value
        elif h.key == "name":
            o.schedd_name = h.value
        elif h.key == "append":
            if re.match(r"queue(\s|$)", h.value, re.I):
                if o.queue is not None:
                    raise Usage(f"{MYNAME}: only one -queue command allowed")
                o.queue = h.value[5:].strip()
            else:
                o.append.append(h.value)
                o.cmdline_keys = True
        elif h.key == "batch-name":
            o.append.append(f"MY.JobBatchName = {_quoted(h.value)}")
        elif h.key == "batch-id":
            o.append.append(f"MY.JobBatchId = {_quoted(h.value)}")
        elif h.key == "queue":
            if not h.value or h.value.startswith("-"):
                raise Usage(_QUEUE_MISSING)
            if o.queue is not None:
                raise Usage(f"{MYNAME}: only one -queue command allowed")
            o.queue = h.value
            queue_goes_on = True
        elif h.key == "maxjobs":
            o.maxjobs = _maxjobs(h.value)
        elif h.key == "single-cluster":
            o.single_cluster = True
        elif h.key == "pool":
            pass                # one pool: the spool's
        elif h.key == "unused":
            o.unused_toggles += 1
        elif h.key == "dump":
            if o.dry_run is not None:
                raise Usage(f"{MYNAME}: -dump <file> and -dry-run <file> cannot be used "
                            f"together")
            if not h.values:
                raise Usage(f"{MYNAME}: -dump requires another argument")
            o.dump = h.value
            o.disable = True
        elif h.key == "force-mpi-universe":
            pass
        elif h.key == "allow-crlf-script":
            o.allow_crlf = True
        elif h.key == "capabilities":
            o.capabilities = True
        elif h.key == "interactive":
            o.interactive = True
            o.append.append("MY.InteractiveJob=True")
    return o


def _plain_argument(o, a):
    """attrib=value (set before the file is read), or the submit file (- is stdin)."""
    if "=" not in a:
        o.file = a
        return
    name, _, value = a.partition("=")
    name, value = name.strip(), value.strip()
    if name[1:2] == "+":            # (sic) HTCondor looks at the second character
        name = "MY." + name[1:]
    elif name.startswith("+"):
        name = "MY." + name[1:]
    if not name or not _PARAM_NAME.match(name):
        raise Usage(f"{MYNAME}: invalid attribute name '{name}' for attrib=value assigment")
    o.pre.append(f"{name} = {value}")
    o.cmdline_keys = True


def _quoted(text):
    """-batch-name / -batch-id: a value already in quotes is taken as it is."""
    return text if text.startswith('"') else quote(text)


def _dry_run_options(o, opts):
    """-dry-run:<opts>: only cluster=N changes what we do; the others are known."""
    for opt in ([x for x in re.split(r"[\s,]+", opts) if x] if opts else []):
        if opt.startswith("cluster="):
            o.dry_cluster = max(_atoi(opt.split("=", 1)[1]) - 1, 0) + 1
        elif opt in DRY_RUN_OPTIONS or opt.startswith("template") or opt.startswith("oauth="):
            pass
        elif _atoi(opt) > 1:
            pass
        else:
            raise Usage(f"unknown option {opt} for -dry-run:<opts>")


def _maxjobs(text):
    """-maxjobs N as strtol reads it into HTCondor's int."""
    if not re.fullmatch(r"\s*[-+]?\d+", text):
        raise Usage(f"Error: Unable to convert argument ({text}) to a number for -maxjobs.")
    n = _clamp_long(int(text))
    if n < -1:
        raise Usage(f"Error: {_c_int(n)} is not a valid for -maxjobs.")
    return _c_int(n)


def _atoi(text):
    m = re.match(r"\s*[-+]?\d+", text)
    return _c_int(_clamp_long(int(m.group(0)))) if m else 0


def _clamp_long(n):
    """strtol's result: a long, saturated at its limits."""
    return max(-2 ** 63, min(n, 2 ** 63 - 1))


def _c_int(n):
    """A long stored in a C int (HTCondor keeps -maxjobs in one)."""
    n &= 0xFFFFFFFF
    return n - 2 ** 32 if n >= 2 ** 31 else n


def ad_order(name):
    """ClassAd iteration order (dry-run, dump): length, then case-insensitive name."""
    return (len(name), name.lower())


def print_wrapped(err, text, width=78):
    """HTCondor's print_wrapped_text: words (split on blanks) filled to 78 columns."""
    out = []
    count = 0
    for word in re.split(r"[ \t]+", text):
        if not word:
            continue
        if len(word) < width - count:
            out.append(word)
            count += len(word)
        else:
            out.append("\n" + word)
            count = len(word)
        if count < width:
            out.append(" ")
            count += 1
        else:
            out.append("\n")
            count = 0
    err.write("".join(out) + "\n")


class _Refused(Exception):
    """condor_submit stops: the text to print on stderr (already formatted)."""


def _check_executables(paths, allow_crlf, err):
    """check_sub_file's executable checks: it exists, is not empty, and is not a
    script with DOS line endings."""
    for path in sorted(paths):
        if "$$" in path:
            continue
        try:
            st = os.stat(path)
        except (OSError, ValueError) as e:      # ValueError: a NUL in the name
            why = getattr(e, "strerror", None) or str(e)
            shown = repr(path) if "\0" in path else path
            raise _Refused(f"\nERROR: Can't access executable file {shown}: {why}\n")
        if st.st_size == 0:
            raise _Refused(f"\nERROR: Executable file {path} has zero length\n")
        if _crlf_shebang(path):
            msg = (f"\n{'WARNING' if allow_crlf else 'ERROR'}: Executable file {path} is a "
                   f"script with CRLF (DOS/Windows) line endings.\n")
            if not allow_crlf:
                raise _Refused(msg + f"This generally doesn't work, and you should probably "
                               f"run 'dos2unix {path}' -- or a similar tool -- before you "
                               f"resubmit.\n")
            err.write(msg)


def _crlf_shebang(path):
    try:
        with open(path, "rb") as f:
            first = f.readline(128)
    except OSError:
        return False
    return first.startswith(b"#!") and first.endswith(b"\r\n")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    out, err = sys.stdout, sys.stderr
    try:
        o = parse_args(args)
    except Done as e:
        return e.code
    except Usage as e:
        PARSER.complain(e)
        return e.code
    try:
        return _submit(o, out, err)
    except _Refused as e:
        out.flush()
        err.write(str(e))
        return 1


def _submit(o, out, err):
    stdin_file = o.file == "-"
    verbose = o.verbose or (stdin_file and not o.terse)
    no_file_needed = o.cmdline_keys and o.queue is not None
    dump_stdout = o.dump == "-"
    if o.schedd_name is not None and not _is_local_schedd(o.schedd_name):
        raise _Refused(f"\nERROR: Can't find address of schedd {o.schedd_name}\n")
    if o.capabilities:
        out.write("LateMaterialize = false\nUseJobsets = false\n")
        return 0
    if o.file is None and (o.dry_run or o.dump):
        raise _Refused(
            f"\nERROR: No submit filename was provided, and '{o.dump or o.dry_run}'\n"
            f"  was given as the output filename for -dump or -dry-run. Was this intended?\n"
            f"  To to avoid confusing the output file with the submit file when using these\n"
            f"  commands, an explicit submit filename argument must be given. You can use -\n"
            f"  as the submit filename argument to read from stdin.\n")
    if stdin_file or (o.file is None and not no_file_needed):
        text, source, shown = _read_stdin(), "(stdin)", "(stdin)"
        stdin_file = True
        submit_file = None
    elif o.file is None:
        text, source, shown, submit_file = "", "null", "null", None
    else:
        try:
            with open(o.file, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except (OSError, ValueError) as e:
            why = getattr(e, "strerror", None) or str(e)
            raise _Refused(f"\nERROR: Failed to open command file ({o.file}) ({why})\n")
        source = shown = submit_file = o.file
    if o.dump is None:
        if not stdin_file and not o.terse:
            out.write("Dry-Run job(s)" if o.dry_run else "Submitting job(s)")
            out.flush()
    elif not dump_stdout and not o.terse:
        out.write("Storing job ClassAd(s)")
        out.flush()

    append = list(o.append)
    try:
        desc = SubmitDescription(text, source=source, pre_lines=o.pre, append_lines=append,
                                 queue_override=o.queue, submit_file=submit_file)
        if not desc.blocks:
            out.flush()
            raise _Refused(f'\nERROR: "{shown}" doesn\'t contain any "queue" commands -- no '
                           f'jobs queued\n')
        specs = [desc.spec(b) for b in desc.blocks]
        for spec in specs:
            for w in spec.warnings:
                err.write(w)
        groups = [[b for b in g if not desc.spec(b).empty_list] for g in submit_clusters.group(desc)]
        groups = [g for g in groups if g]
        if not groups:
            if not o.terse:
                err.write(f'\nWARNING: "{shown}" has only empty "queue" commands -- no jobs '
                          f'queued\n')
            if not stdin_file and not o.terse:
                out.write("\n")
            return 0
        if o.single_cluster and len(groups) > 1:
            raise _Refused("\nERROR: Number of submitted clusters would exceed 1 and "
                           "-single-cluster was specified\n")
        total = sum(desc.spec(b).procs() for g in groups for b in g)
        if o.maxjobs > 0 and total > o.maxjobs:
            raise _Refused(f"\nERROR: Number of submitted jobs would exceed -maxjobs "
                           f"({o.maxjobs})\n")
        # The schedd's limit, checked before any ad is built. (HTCondor's -dry-run
        # and -dump stream their ads and have no limit; ours are built in memory.)
        if submit_clusters.over_limit(total):
            raise _Refused("\nERROR: Failed to queue job.\n"
                           "Number of submitted jobs would exceed MAX_JOBS_PER_SUBMISSION\n")
        # Check what we can before a cluster id is taken from the spool.
        for g in groups:
            desc.jobs(cluster_id=0, probe=True, blocks=g)
            if o.dump is None:
                _check_executables(desc.executables, o.allow_crlf, err)
        return _build_and_store(o, desc, groups, verbose, stdin_file, dump_stdout, out, err)
    except SubmitSyntaxError as e:
        out.flush()
        raise _Refused(f"\nERROR: on Line {e.lineno} of {e.source or source}: {e.msg}\n"
                       f"\nERROR: Failed to parse command file (line {e.lineno}).\n")
    except SubmitError as e:
        out.flush()
        msg = e.msg
        if msg.startswith("\n"):                    # print_wrapped_text messages
            import io
            buf = io.StringIO()
            print_wrapped(buf, msg)
            raise _Refused(buf.getvalue())
        if e.kind == "except":
            raise _Refused(f"ERROR at Queue statement on Line {e.lineno}: {msg}\n")
        raise _Refused(f"ERROR: {msg}" + ("" if msg.endswith("\n") else "\n"))
    except Exception as e:   # spool errors and the like: no traceback for users
        out.flush()
        if type(e).__name__ == "SpoolError" or isinstance(e, OSError):
            raise _Refused(f"\nERROR: Failed to commit job submission into the queue.\n"
                           f"ERROR: {e}\n")
        raise


def _build_and_store(o, desc, groups, verbose, stdin_file, dump_stdout, out, err):
    if o.dry_run is not None or o.dump is not None:
        cids = [o.dry_cluster + k for k in range(len(groups))]
        clusters = submit_clusters.build(desc, groups, cids)
        _write_ads(o.dry_run if o.dry_run is not None else o.dump, clusters, out)
    else:
        from pycondorlite.spool import Spool
        with Spool.open() as sp:
            clusters = submit_clusters.queue(sp, desc, groups)

    banner = not stdin_file and not o.terse
    for cid, cluster, procs in clusters:
        if verbose and not dump_stdout:
            lines = []
            for p in procs:
                ad = dict(cluster)
                ad.update(p)
                lines.append(f"\n** Proc {cid}.{p['ProcId']}:")
                lines.extend(f"{k} = {ad[k]}" for k in sorted(ad) if k.lower() not in HIDDEN)
            out.write("\n".join(lines) + "\n")
        elif not o.terse and not dump_stdout:
            out.write("." * len(procs))
    if banner:
        out.write("\n")
    if not verbose and not dump_stdout:
        for cid, cluster, procs in clusters:
            if o.terse:
                out.write(f"{cid}.{procs[0]['ProcId']} - {cid}.{procs[-1]['ProcId']}\n")
            else:
                what = "dry-run" if o.dry_run else "submitted"
                out.write(f"{len(procs)} job(s) {what} to cluster {cid}.\n")
    for w in getattr(desc, "build_warnings", []):
        err.write(f"WARNING: {w}" + ("" if w.endswith("\n") else "\n"))
    from pycondorlite import config
    # The configuration's choice, turned over by each -unused.
    warn_unused = config.param_bool("WARN_ON_UNUSED_SUBMIT_FILE_MACROS", True)
    if o.unused_toggles % 2:
        warn_unused = not warn_unused
    if warn_unused:
        if verbose:
            out.write("\n")
        for name, value in desc.unused():
            err.write(f"WARNING: the line '{name} = {value}' was unused by condor_submit. "
                      f"Is it a typo?\n")
    if o.interactive and not o.dry_run and o.dump is None:
        return _ssh_to_job(clusters[0][0], err)
    return 0


def _write_ads(target, clusters, out):
    """The Attr=Value stream HTCondor's SimScheddQ writes for -dry-run and -dump."""
    lines = []
    for cid, cluster, procs in clusters:
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
        return
    try:
        with open(target, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or str(e)
        raise _Refused(f"\nERROR: Failed to open file to dump ClassAds into ({why})\n")


def _read_stdin():
    data = sys.stdin.read()
    return data


def _is_local_schedd(name):
    from pycondorlite.address import schedd_name
    import socket
    mine = {n.lower() for n in (schedd_name(), socket.gethostname(), socket.getfqdn(),
                                "localhost") if n}
    mine |= {n.split(".")[0] for n in mine}
    return name.lower() in mine or name.lower().split(".")[0] in mine


def _ssh_to_job(cid, err):
    """-interactive: what condor_submit execs once the job is queued."""
    argv = ["condor_ssh_to_job", "-auto-retry", "-remove-on-interrupt", "-X", f"{cid}.0"]
    exe = shutil.which(argv[0])
    if exe is None:
        err.write("ERROR: Failed to spawn condor_ssh_to_job " + " ".join(argv) +
                  " : No such file or directory\n")
        return 1
    os.execv(exe, argv)
    return 1
