"""htcondor2.JobEventLog: reading a user job event log, ours or HTCondor's.

The text format: each event is a header line `NNN (CCC.PPP.SSS) DATE TIME
text`, more lines, and a line `...`. DATE is YYYY-MM-DD (or the old MM/DD);
an event's properties are those htcondor2 gives (MyType, EventTypeNumber,
Cluster, Proc, Subproc, EventTime, and per type SubmitHost, HoldReason,
ReturnValue, ...).

events(stop_after) follows the file as it grows: None waits for ever, 0
never waits, N waits up to N seconds for the next event. A half-written
event (no `...` yet) is not returned until it is complete.
"""

import datetime
import re
import time
from collections.abc import Mapping

from pycondorlite import classad
from pycondorlite.htcondor._enums import JobEventType
from pycondorlite.htcondor._errors import HTCondorIOError

_HEADER = re.compile(r"(\d{3}) \((-?\d+)\.(-?\d+)\.(-?\d+)\) "
                     r"(?:(\d{4})-(\d\d)-(\d\d)|(\d\d)/(\d\d)(?:/(\d\d\d\d))?)[ T]"
                     r"(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)? ?(.*)")

MY_TYPES = {
    0: "SubmitEvent", 1: "ExecuteEvent", 2: "ExecutableErrorEvent", 3: "CheckpointedEvent",
    4: "JobEvictedEvent", 5: "JobTerminatedEvent", 6: "JobImageSizeEvent",
    7: "ShadowExceptionEvent", 8: "GenericEvent", 9: "JobAbortedEvent",
    10: "JobSuspendedEvent", 11: "JobUnsuspendedEvent", 12: "JobHeldEvent",
    13: "JobReleaseEvent", 14: "NodeExecuteEvent", 15: "NodeTerminatedEvent",
    16: "PostScriptTerminatedEvent", 17: "GlobusSubmitEvent", 18: "GlobusSubmitFailedEvent",
    19: "GlobusResourceUpEvent", 20: "GlobusResourceDownEvent", 21: "RemoteErrorEvent",
    22: "JobDisconnectedEvent", 23: "JobReconnectedEvent", 24: "JobReconnectFailedEvent",
    25: "GridResourceUpEvent", 26: "GridResourceDownEvent", 27: "GridSubmitEvent",
    28: "JobAdInformationEvent", 29: "JobStatusUnknownEvent", 30: "JobStatusKnownEvent",
    31: "JobStageInEvent", 32: "JobStageOutEvent", 33: "AttributeUpdateEvent",
    34: "PreSkipEvent", 35: "ClusterSubmitEvent", 36: "ClusterRemoveEvent",
    37: "FactoryPausedEvent", 38: "FactoryResumedEvent", 39: "NoneEvent",
    40: "FileTransferEvent",
}


class JobEvent(Mapping):
    """One event: a mapping of its properties, with type, cluster, proc and
    timestamp as attributes; str() is the event's text."""

    def __init__(self, data, event_text):
        self._data = data
        self._event_text = event_text

    @property
    def type(self):
        return JobEventType(self._data["EventTypeNumber"])

    @property
    def cluster(self):
        return self._data.get("Cluster", -1)

    @property
    def proc(self):
        return self._data.get("Proc", -1)

    @property
    def timestamp(self):
        iso = self._data["EventTime"]
        fmt = "%Y-%m-%dT%H:%M:%S" + (".%f" if "." in iso else "")
        return int(datetime.datetime.strptime(iso.rstrip("Z"), fmt).timestamp())

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return (f"JobEvent(type={self.type}, cluster={self.cluster}, proc={self.proc}, "
                f"timestamp={self.timestamp})")

    def __str__(self):
        return self._event_text


def _usage(text):
    m = re.search(r"(Usr \d+ \d\d:\d\d:\d\d, Sys \d+ \d\d:\d\d:\d\d)", text)
    return m.group(1) if m else None


def _body_properties(code, first, lines, ad):
    """Per-type properties from the header's text and the body lines."""
    body = [ln.strip() for ln in lines]
    if code == 0:
        ad["SubmitHost"] = first.partition("Job submitted from host: ")[2].strip()
        if body and body[0]:
            ad["LogNotes"] = body[0]
            m = re.fullmatch(r"DAG Node: (.*)", body[0])
            if m:
                notes = classad.ClassAd()
                notes["DAGNodeName"] = m.group(1)
                ad["StructuredNotes"] = notes
        if len(body) > 1 and body[1]:
            ad["UserNotes"] = body[1]
    elif code == 1:
        ad["ExecuteHost"] = first.partition("Job executing on host: ")[2].strip()
        for b in body:
            k, sep, v = b.partition(": ")
            if sep and re.fullmatch(r"[A-Za-z_]\w*", k):
                ad[k] = v
    elif code in (5, 4):
        for b in body:
            m = re.match(r"\((\d)\) Normal termination \(return value (-?\d+)\)", b)
            if m:
                ad["TerminatedNormally"] = True
                ad["ReturnValue"] = int(m.group(2))
            m = re.match(r"\((\d)\) Abnormal termination \(signal (-?\d+)\)", b)
            if m:
                ad["TerminatedNormally"] = False
                ad["TerminatedBySignal"] = int(m.group(2))
            m = re.match(r"\(1\) Corefile in: (.*)", b)
            if m:
                ad["CoreFile"] = m.group(1)
            if b.startswith("(0) Job was not checkpointed"):
                ad["Checkpointed"] = False
            elif b.startswith("(1) Job was checkpointed"):
                ad["Checkpointed"] = True
            for label, name in (("Run Remote Usage", "RunRemoteUsage"),
                                ("Run Local Usage", "RunLocalUsage"),
                                ("Total Remote Usage", "TotalRemoteUsage"),
                                ("Total Local Usage", "TotalLocalUsage")):
                if b.endswith(label) and _usage(b):
                    ad[name] = _usage(b)
            m = re.match(r"(-?[\d.]+)\s+-\s+(Run|Total) Bytes (Sent|Received) By Job", b)
            if m:
                prefix = "Total" if m.group(2) == "Total" else ""
                ad[f"{prefix}{m.group(3)}Bytes"] = float(m.group(1))
    elif code == 6:
        m = re.search(r"Image size of job updated: (-?\d+)", first)
        if m:
            ad["Size"] = int(m.group(1))
        for b in body:
            m = re.match(r"(-?\d+)\s+-\s+(\w+) of job", b)
            if m:
                ad[m.group(2)] = int(m.group(1))
    elif code == 9 or code == 13:
        if body and body[0]:
            ad["Reason"] = body[0]
    elif code == 12:
        if body and body[0]:
            ad["HoldReason"] = body[0]
        for b in body[1:]:
            m = re.match(r"Code (-?\d+) Subcode (-?\d+)", b)
            if m:
                ad["HoldReasonCode"] = int(m.group(1))
                ad["HoldReasonSubCode"] = int(m.group(2))
    elif code in (25, 26, 27):
        for b in body:
            k, sep, v = b.partition(": ")
            if sep and k in ("GridResource", "GridJobId"):
                ad[k] = v
    elif code == 21:
        for b in body:
            if b:
                ad.setdefault("ErrorMsg", b)
    elif code in (28, 33):
        for b in body:
            k, sep, v = b.partition(" = ")
            if sep and re.fullmatch(r"[A-Za-z_]\w*", k.strip()):
                try:
                    ad[k.strip()] = classad.ExprTree(v).eval()
                except Exception:       # a value that is no ClassAd expression
                    ad[k.strip()] = v


def parse_event(text):
    """(properties ClassAd) of one event's text (header line to before `...`)."""
    lines = text.split("\n")
    m = _HEADER.match(lines[0])
    if not m:
        raise HTCondorIOError("Unable to parse the job event log: bad event header "
                              f"{lines[0][:80]!r}")
    code = int(m.group(1))
    ad = classad.ClassAd()
    ad["MyType"] = MY_TYPES.get(code, "ULogEvent")
    ad["EventTypeNumber"] = code
    ad["Cluster"] = int(m.group(2))
    if int(m.group(3)) >= 0:
        ad["Proc"] = int(m.group(3))
    ad["Subproc"] = int(m.group(4))
    if m.group(5):
        y, mo, d = int(m.group(5)), int(m.group(6)), int(m.group(7))
    else:
        mo, d = int(m.group(8)), int(m.group(9))
        y = int(m.group(10)) if m.group(10) else datetime.date.today().year
    stamp = "%04d-%02d-%02dT%s:%s:%s" % (y, mo, d, m.group(11), m.group(12), m.group(13))
    if m.group(14):
        stamp += m.group(14)
    ad["EventTime"] = stamp
    _body_properties(code, m.group(16), lines[1:], ad)
    return ad


class JobEventLog:
    """An iterator over the events of a job event log (htcondor2.JobEventLog)."""

    def __init__(self, filename):
        if not isinstance(filename, str):
            raise TypeError("filename must be a string")
        if len(filename) == 0:
            raise ValueError("filename must not be empty")
        self._filename = filename
        self._deadline = 0
        self._offset = 0
        self._pending = b""
        try:
            self._f = open(filename, "rb")
        except (OSError, ValueError) as e:
            raise HTCondorIOError(f"JobEventLog not initialized. Check the permissions and "
                                  f"ownership of the event log {filename}: "
                                  f"{getattr(e, 'strerror', None) or e}") from None

    def events(self, stop_after=None):
        if stop_after is None:
            self._deadline = 0
        elif isinstance(stop_after, int) and not isinstance(stop_after, bool):
            self._deadline = time.time() + stop_after
        else:
            raise TypeError("deadline must be an integer")
        return self

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def __iter__(self):
        return self

    def _next_complete(self):
        """The text of the next complete event, or None."""
        if self._f is None:
            return None
        chunk = self._f.read()
        if chunk:
            self._pending += chunk
        while True:
            end = self._pending.find(b"\n...\n")
            if end < 0:
                if self._pending.startswith(b"...\n"):
                    self._pending = self._pending[4:]
                    continue
                return None
            raw = self._pending[:end]
            self._pending = self._pending[end + 5:]
            self._offset += end + 5
            text = raw.decode("utf-8", errors="replace").lstrip("\n")
            if text.strip():
                return text

    def __next__(self):
        while True:
            text = self._next_complete()
            if text is not None:
                return JobEvent(parse_event(text), text + "\n")
            if self._f is None:
                raise StopIteration
            if self._deadline and time.time() >= self._deadline:
                raise StopIteration         # the iterator stays usable
            time.sleep(0.05)

    def __enter__(self):
        self._deadline = 0
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k != "_f"}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._f = open(self._filename, "rb")
        self._f.seek(self._offset)
        self._pending = b""
