"""The user job event log (`log = file` in a submit file), in HTCondor's text format.

Each event is a header `NNN (CCC.PPP.SSS) YYYY-MM-DD HH:MM:SS ` (local time),
a body, and the line `...`. Writers append whole events with O_APPEND under
an exclusive flock, so condor_submit, condor_rm and the schedd can write the
same file at once without interleaving. htcondor2.JobEventLog reads it.

Secrets never reach this file: events carry no job attributes beyond those
named here.
"""

import fcntl
import os
import time

SUBMIT = 0
EXECUTE = 1
JOB_TERMINATED = 5
JOB_ABORTED = 9
JOB_HELD = 12
JOB_RELEASED = 13
REMOTE_ERROR = 21
GRID_RESOURCE_UP = 25
GRID_RESOURCE_DOWN = 26
GRID_SUBMIT = 27


def _header(code, cid, pid, when):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    return "%03d (%03d.%03d.%03d) %s " % (code, cid, pid, 0, stamp)


def _usage(seconds_usr=0, seconds_sys=0):
    def hms(s):
        s = int(s)
        return "%d %02d:%02d:%02d" % (s // 86400, s % 86400 // 3600, s % 3600 // 60, s % 60)
    return "Usr %s, Sys %s" % (hms(seconds_usr), hms(seconds_sys))


class Event:
    """One event: its number, job id, time and body text (ending in a newline)."""

    def __init__(self, code, cid, pid, body, when=None):
        self.code, self.cid, self.pid, self.body = code, cid, pid, body
        self.when = time.time() if when is None else when

    def text(self):
        return _header(self.code, self.cid, self.pid, self.when) + self.body + "...\n"


def submit(cid, pid, host, notes=None, when=None):
    body = f"Job submitted from host: {host}\n"
    if notes:
        body += f"    {notes}\n"
    return Event(SUBMIT, cid, pid, body, when)


def execute(cid, pid, host, slot_name=None, when=None):
    body = f"Job executing on host: {host}\n"
    if slot_name:
        body += f"\tSlotName: {slot_name}\n"
    return Event(EXECUTE, cid, pid, body, when)


def terminated(cid, pid, return_value=0, signal=None, core_file=None,
               run_remote=(0, 0), run_local=(0, 0), total_remote=(0, 0), total_local=(0, 0),
               sent=0, received=0, total_sent=0, total_received=0, when=None):
    """005: normal termination with return_value, or abnormal with signal."""
    if signal is None:
        body = f"Job terminated.\n\t(1) Normal termination (return value {return_value})\n\t"
    else:
        body = f"Job terminated.\n\t(0) Abnormal termination (signal {signal})\n"
        body += f"\t(1) Corefile in: {core_file}\n\t" if core_file else "\t(0) No core file\n\t"
    body += f"\t{_usage(*run_remote)}  -  Run Remote Usage\n"
    body += f"\t\t{_usage(*run_local)}  -  Run Local Usage\n"
    body += f"\t\t{_usage(*total_remote)}  -  Total Remote Usage\n"
    body += f"\t\t{_usage(*total_local)}  -  Total Local Usage\n"
    body += f"\t{sent:.0f}  -  Run Bytes Sent By Job\n"
    body += f"\t{received:.0f}  -  Run Bytes Received By Job\n"
    body += f"\t{total_sent:.0f}  -  Total Bytes Sent By Job\n"
    body += f"\t{total_received:.0f}  -  Total Bytes Received By Job\n"
    return Event(JOB_TERMINATED, cid, pid, body, when)


def aborted(cid, pid, reason=None, when=None):
    body = "Job was aborted.\n"
    if reason:
        body += f"\t{reason}\n"
    return Event(JOB_ABORTED, cid, pid, body, when)


def held(cid, pid, reason=None, code=0, subcode=0, when=None):
    body = f"Job was held.\n\t{reason or 'Reason unspecified'}\n\tCode {code} Subcode {subcode}\n"
    return Event(JOB_HELD, cid, pid, body, when)


def released(cid, pid, reason=None, when=None):
    body = "Job was released.\n"
    if reason:
        body += f"\t{reason}\n"
    return Event(JOB_RELEASED, cid, pid, body, when)


def remote_error(cid, pid, daemon, host, message, critical=True, when=None):
    """021 (HTCondor's RemoteErrorEvent): "Error" (critical) or "Message" from a
    daemon on a host, each line of the message indented by a tab."""
    body = f"{'Error' if critical else 'Message'} from {daemon} on {host}:\n"
    body += "".join(f"\t{line}\n" for line in message.split("\n"))
    return Event(REMOTE_ERROR, cid, pid, body, when)


def grid_resource_up(cid, pid, resource=None, when=None):
    return Event(GRID_RESOURCE_UP, cid, pid,
                 f"Grid Resource Back Up\n    GridResource: {resource or 'UNKNOWN'}\n", when)


def grid_resource_down(cid, pid, resource=None, when=None):
    return Event(GRID_RESOURCE_DOWN, cid, pid,
                 f"Detected Down Grid Resource\n    GridResource: {resource or 'UNKNOWN'}\n", when)


def grid_submit(cid, pid, resource, job_id, when=None):
    return Event(GRID_SUBMIT, cid, pid,
                 f"Job submitted to grid resource\n    GridResource: {resource}\n"
                 f"    GridJobId: {job_id}\n", when)


def append(path, events):
    """Append events to the log at `path` in one locked write."""
    if isinstance(events, Event):
        events = [events]
    data = "".join(e.text() for e in events).encode()
    if not data:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)        # releases the lock


def log_path(job):
    """The UserLog path of a JobAd (absolute; Iwd-relative otherwise), or None."""
    p = job.literal("UserLog")
    if not isinstance(p, str) or not p:
        return None
    if not os.path.isabs(p):
        iwd = job.literal("Iwd")
        if isinstance(iwd, str):
            p = os.path.join(iwd, p)
    return p


def append_for_jobs(pairs):
    """pairs: iterable of (JobAd, Event). Groups by log file; a failing log is skipped
    (as in HTCondor, a log that cannot be written does not stop the queue change)."""
    by_path = {}
    for job, ev in pairs:
        p = log_path(job)
        if p:
            by_path.setdefault(p, []).append(ev)
    failed = []
    for p, evs in by_path.items():
        try:
            append(p, evs)
        except (OSError, ValueError) as e:      # ValueError: a NUL in the name
            failed.append((p, e))
    return failed
