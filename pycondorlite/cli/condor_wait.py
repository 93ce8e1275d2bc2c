"""condor_wait: wait for jobs of a user log to finish (HTCondor's wait.cpp).

    condor_wait [-debug] [-status] [-echo] [-wait seconds] [-num jobs] log-file [job-id]

Exit 0 only once the jobs are confirmed done (terminated or aborted); 1 for
anything else: time expired, a log that mentions no such job, a bad log.
Options are matched exactly, as wait.cpp does (strcmp), and -version exits 1.
"""

import math
import re
import sys
import time

from pycondorlite.cmdline import print_version
from pycondorlite.htcondor import HTCondorException, JobEventLog, JobEventType

PROG = "condor_wait"


def usage(cmd):
    return (f"\nUse: {cmd} [options] <log-file> [job-number]\n"
            "Where options are:\n"
            "    -help             Display options\n"
            "    -version          Display Condor version\n"
            "    -debug            Show extra debugging info\n"
            "    -status           Show job start and terminate info\n"
            "    -echo             Echo log events relevant to [job-number]\n"
            "    -num <number>     Wait for this many jobs to end\n"
            "                       (default is all jobs)\n"
            "    -wait <seconds>   Wait no more than this time\n"
            "                       (default is unlimited)\n\n"
            "This command watches a log file, and indicates when\n"
            "a specific job (or all jobs mentioned in the log)\n"
            "have completed or aborted.  It returns success if\n"
            "all such jobs have completed or aborted, and returns\n"
            "failure otherwise.\n\n"
            "Examples:\n"
            f"    {cmd} logfile\n"
            f"    {cmd} logfile 35\n"
            f"    {cmd} logfile 1406.35\n"
            f"    {cmd} -wait 60 logfile 13.25.3\n"
            f"    {cmd} -num 2 logfile\n")


def atoi(text):
    """C atoi: leading blanks, a sign and digits; anything else is 0 (and a
    number past a C int wraps as glibc's does not: it is clamped here)."""
    m = re.match(r"\s*([+-]?\d+)", text)
    if not m:
        return 0
    return max(-2**31, min(2**31 - 1, int(m.group(1))))


def job_number(text):
    """sscanf("%d.%d.%d"): (cluster, proc, subproc) with -1 for absent, or None."""
    m = re.match(r"\s*([+-]?\d+)(?:\.([+-]?\d+)(?:\.([+-]?\d+))?)?", text)
    if not m:
        return None
    return tuple(max(-2**31, min(2**31 - 1, int(g))) if g is not None else -1
                 for g in m.groups())


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    err = sys.stderr
    log_name = job_name = None
    waittime = stoptime = 0
    minjobs = 0
    print_status = echo = dont_wait = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-help":
            err.write(usage(PROG))
            return 0
        elif a == "-version":
            print_version()
            return 1
        elif a == "-debug":
            print_status = False
        elif a == "-status":
            print_status = True
        elif a == "-echo":
            echo = True
        elif a == "-wait":
            i += 1
            if i >= len(args):
                err.write("-wait requires an argument\n" + usage(PROG))
                return 1
            waittime = atoi(args[i])
            if waittime:
                stoptime = time.time() + waittime
            else:
                dont_wait = True
        elif a == "-num":
            i += 1
            if i >= len(args):
                err.write("-num requires an argument\n" + usage(PROG))
                return 1
            minjobs = atoi(args[i])
            if minjobs < 1:
                err.write("-num must be greater than zero\n" + usage(PROG))
                return 1
        elif log_name is not None and job_name is None and a == "-1":
            job_name = a
        elif not a.startswith("-"):
            if log_name is None:
                log_name = a
            elif job_name is None:
                job_name = a
            else:
                err.write(f"Extra argument: {a}\n\n" + usage(PROG))
                return 1
        else:
            err.write(usage(PROG))
            return 1
        i += 1
    if log_name is None:
        err.write(usage(PROG))
        return 1
    want = (-1, -1, -1)
    if job_name is not None:
        want = job_number(job_name)
        if want is None:
            err.write(f"Couldn't understand job number: {job_name}\n")
            return 1
    try:
        log = JobEventLog(log_name)
    except (HTCondorException, ValueError) as e:
        err.write(f"Couldn't open {log_name}: {_reason(e)}\n")
        return 1
    return _watch(log, log_name, want, stoptime, dont_wait, minjobs, print_status, echo)


def _reason(e):
    text = str(e)
    return text.rsplit(": ", 1)[-1] if ": " in text else text


def _matches(ev, want):
    got = (ev.cluster, ev.proc, ev.get("Subproc", 0))
    return all(w == -1 or w == g for w, g in zip(want, got))


def _watch(log, log_name, want, stoptime, dont_wait, minjobs, print_status, echo):
    out = sys.stdout
    submitted = aborted = completed = 0
    table = set()
    while True:
        if not dont_wait and stoptime and time.time() > stoptime:
            out.write("Time expired.\n")
            return 1
        if dont_wait:
            events = log.events(0)
        elif stoptime:
            events = log.events(max(0, math.ceil(stoptime - time.time())))
        else:
            events = log.events(None)
        try:
            ev = next(events)
        except StopIteration:
            if not table and submitted == 0:
                sys.stderr.write("This log does not mention any jobs!\n" if want[0] == -1
                                 else "This log does not mention that job!\n")
                if not dont_wait:
                    return 1
            if dont_wait:
                return 0
            continue
        except HTCondorException as e:
            sys.stderr.write(f"{PROG}: error reading {log_name}: {e}\n")
            return 1
        key = "%d.%d.%d" % (ev.cluster, ev.proc, ev.get("Subproc", 0))
        if _matches(ev, want):
            if echo:
                out.write(str(ev) + "...\n")
            if ev.type == JobEventType.SUBMIT:
                if print_status:
                    out.write(f"{key} submitted\n")
                table.add(key)
                submitted += 1
            elif ev.type == JobEventType.JOB_TERMINATED:
                if print_status:
                    out.write(f"{key} completed\n")
                table.discard(key)
                completed += 1
            elif ev.type == JobEventType.JOB_ABORTED:
                if print_status:
                    out.write(f"{key} aborted\n")
                table.discard(key)
                aborted += 1
            elif ev.type == JobEventType.EXECUTE and print_status:
                out.write(f"{key} executing on host {ev.get('ExecuteHost', '')}\n")
        if minjobs and completed + aborted >= minjobs:
            out.write(f"Specifed number of jobs ({minjobs}) done.\n")
            return 0
        if not table and submitted > 0 and not minjobs:
            out.write("All jobs done.\n")
            return 0


if __name__ == "__main__":
    sys.exit(main())
