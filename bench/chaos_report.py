#!/usr/bin/env python3
"""Run the chaos suite (long mode by default) and print its figures as tables.

    python bench/chaos_report.py            # PYCONDORLITE_CHAOS=long, all of tests/chaos
    python bench/chaos_report.py --quick    # the bounded mode `make test` runs
    python bench/chaos_report.py -k crash   # extra arguments go to pytest

Exit status: pytest's (0 when every test passed or is a known, marked bug).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from tabulate import tabulate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def outcomes(junit):
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                kind = "FAILED"
            elif child.tag == "skipped":
                kind = "xfail" if "xfail" in (child.get("type") or "") + \
                    (child.get("message") or "") else "skipped"
        out[name] = (kind, float(case.get("time") or 0))
    return out


def total(figs, *keys):
    return sum(v.get(k, 0) for v in figs.values() for k in keys
               if isinstance(v.get(k, 0), (int, float)))


def main(argv):
    quick = "--quick" in argv
    extra = [a for a in argv if a != "--quick"]
    with tempfile.TemporaryDirectory() as d:
        figs_path = os.path.join(d, "figures.json")
        junit = os.path.join(d, "junit.xml")
        env = dict(os.environ, PYCONDORLITE_CHAOS="quick" if quick else "long",
                   PYCONDORLITE_CHAOS_FIGURES=figs_path)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        t0 = time.monotonic()
        rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-rxXfE", "-p", "no:cacheprovider",
                              f"--junitxml={junit}", os.path.join(ROOT, "tests", "chaos"), *extra],
                             env=env, cwd=ROOT)
        elapsed = time.monotonic() - t0
        figs = json.load(open(figs_path)) if os.path.exists(figs_path) else {}
        results = outcomes(junit) if os.path.exists(junit) else {}

    mode = "quick" if quick else "long"
    print(f"\nChaos suite, {mode} mode: {elapsed:.0f} s wall clock\n")
    rows = [(name, kind, f"{secs:.1f}") for name, (kind, secs) in sorted(results.items())]
    print(tabulate(rows, headers=["test", "outcome", "seconds"]))

    life = {k: v for k, v in figs.items() if k.startswith((
        "test_crash_loop", "test_cloud_faults", "test_concurrent", "test_identity_crash_loop",
        "test_failover_crash_loop", "test_ec2_crash_loop", "test_ec2_cloud_faults"))}
    hostile_cases = total(figs, "submit_cases", "ad_cases", "constraint_cases", "bin_cases",
                          "cli_cases", "cli_bin_cases")
    summary = [
        ("kills survived (SIGKILL of the schedd)", total(life, "kills_survived")),
        ("grid jobs through their whole life", total(life, "jobs")),
        ("instances created", total(life, "instances_created")),
        ("duplicates (a job launched twice)", total(life, "duplicates")),
        ("leaks (an instance whose job left)", total(life, "leaks")),
        ("lost jobs", total(life, "lost_jobs")),
        ("jobs in two places / states", total(life, "in_two_places", "two_live_at_once",
                                               "violations")),
        ("actions on an instance not the job's own", total(life, "actions_on_foreign",
                                                             "actions_on_no_single_job")),
        ("live instances over a MaxInstances limit", sum(
            max(0, v.get("most_live_on_limited_ad", 0) - v.get("limit", 0))
            for v in life.values() if "limit" in v)),
        ("injected cloud failures", total(life, "injected_failures", "injected_faults")),
        ("hostile inputs tried", hostile_cases),
        ("tracebacks from hostile inputs", total(figs, "submit_tracebacks", "ad_tracebacks",
                                                  "constraint_tracebacks", "bin_tracebacks",
                                                  "cli_tracebacks")),
    ]
    print()
    print(tabulate(summary, headers=["figure", "value"]))
    detail = []
    for test, fig in sorted(figs.items()):
        for k, v in sorted(fig.items()):
            detail.append((test, k, v if not isinstance(v, (dict, list)) else json.dumps(v)))
    print()
    print(tabulate(detail, headers=["test", "figure", "value"]))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
