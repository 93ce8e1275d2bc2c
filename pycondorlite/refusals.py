"""Provider refusals: a job's record of the provider ads that refused to launch it.

When a cloud refuses a launch for capacity or quota (EC2's
InsufficientInstanceCapacity, InstanceLimitExceeded, ...), the gridmanager
sends the job back to Idle, unmatched, and appends the refusal to its ad:

    ProviderRefusals = { [ Provider = "ec2_us-east-1"; Time = 1796170000;
                           Reason = "InsufficientInstanceCapacity: ..." ], ... }

(a ClassAd list of ads, so that condor_q -long shows it and ClassAd
expressions can read it). The negotiator then passes over every provider ad
that refused the job within PROVIDER_REFUSAL_WINDOW seconds (default 1800),
and holds the job once every ad it matches has refused it. condor_release
clears the record: the job tries every provider again.
"""

import dataclasses
import time

from pycondorlite import classad

ATTR = "ProviderRefusals"
DEFAULT_WINDOW = 1800.0


@dataclasses.dataclass(frozen=True)
class Refusal:
    provider: str
    time: int
    reason: str


def parse(text):
    """The refusals of a ProviderRefusals text (anything unreadable: none)."""
    if not text:
        return []
    try:
        value = classad.ExprTree(text).eval()
    except classad.ClassAdException:
        return []
    out = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, classad.ClassAd):
            continue
        provider, when, reason = item.get("Provider"), item.get("Time"), item.get("Reason")
        if isinstance(provider, str) and isinstance(when, int) and not isinstance(when, bool):
            out.append(Refusal(provider, when, reason if isinstance(reason, str) else ""))
    return out


def render(refusals):
    """The ProviderRefusals text of a list of refusals."""
    items = [f"[ Provider = {classad.quote(r.provider)}; Time = {int(r.time)}; "
             f"Reason = {classad.quote(r.reason)} ]" for r in refusals]
    return "{ " + ", ".join(items) + " }"


def recent(refusals, now, window=DEFAULT_WINDOW):
    return [r for r in refusals if now - r.time < window]


def add(text, refusal, now, window=DEFAULT_WINDOW):
    """The record with one refusal more; those outside the window are dropped
    (so that the record stays small), as is an older refusal by the same ad."""
    kept = [r for r in recent(parse(text), now, window) if r.provider != refusal.provider]
    return render(kept + [refusal])


def refused_names(text, now, window=DEFAULT_WINDOW):
    """The names of the provider ads that refused within the window."""
    return frozenset(r.provider for r in recent(parse(text), now, window))


def hold_reason(refusals):
    """HoldReason of a job every matching provider refused."""
    parts = [f"{r.provider} at {time.strftime('%m/%d %H:%M:%S', time.localtime(r.time))} "
             f"({r.reason})" for r in sorted(refusals, key=lambda r: (r.time, r.provider))]
    return "Every matching provider refused the job: " + "; ".join(parts)
