"""Every known difference between pycondorlite.classad and classad2, with why.

Each entry becomes a `pytest.mark.xfail(strict=True)` case in the
differential tests, evaluating (or parsing) the exact expression in both,
in MY = exprgen.SCOPE_AD with TARGET = exprgen.TARGET_AD: when the
difference goes away the case XPASSes, fails, and the entry must go.
`match` (optional) also attributes generated expressions of the same kind
to the entry in the bulk run's report; the bulk agreement figure counts
them as disagreements all the same.

mode: "strict", "old" or "both".
"""

import re


def _matcher(pattern):
    rx = re.compile(pattern, re.IGNORECASE)
    return lambda text: rx.search(text) is not None


# Sequences on which libclassad 24.12.24 itself segfaults (selection of an
# attribute from the list that split/splitUserName/splitSlotName return, in
# the tools' semantics, where those functions exist). The bulk run does not
# count them (no oracle answer); listed so the crash is on record.
_CRASH = ("classad2 24.12.24 segfaults selecting an attribute from the list split*() returns "
          "(old semantics); pycondorlite answers, the oracle has no answer")

KNOWN_EVAL_DIFFERENCES = [
    {"expr": "(splitSlotName(s)).y", "mode": "old", "reason": _CRASH},
]

KNOWN_PARSE_DIFFERENCES = [
    # {"text": "...", "kind": "expr" | "ads", "mode": "both", "reason": "...", "match": ...},
    # (fixed: "x ? 1 + : y" -- pycondorlite now reads it as libclassad does, `x ?: y`)
]
