"""Hostile command lines for every command but condor_submit (issue 14):
hypothesis builds argv from each command's own options (whole, abbreviated,
doubled dash, with colons, repeated, cut short before their argument), job
ids past 64 bits, huge and negative numbers, NULs and non-UTF-8 bytes.

For every case, through the command's main() in this process: no Python
traceback; a non-zero exit comes with a message on stderr; a failed command
leaves the spool as it was (a dump of the database before and after); a
read-only command never changes it. Daemons are not started for real (the
functions that would start or stop one are replaced), so a case that asks
for one is a success that leaves the spool alone.

Quick size inside `make test`; PYCONDORLITE_CHAOS=long runs >= 10,000 cases.
"""

import os
import re
import sqlite3
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

COMMANDS = {
    # name: (options, read_only)
    "condor_q": (["-long", "-long:json", "-xml", "-json", "-limit", "-pool", "-name", "-constraint",
                  "-attributes", "-format", "-af", "-af:jlh", "-autoformat:,tng", "-analyze",
                  "-better-analyze", "-machine", "-allusers", "-run", "-hold", "-held", "-idle",
                  "-grid", "-batch", "-nobatch", "-totals", "-dag", "-print-format", "-jobads",
                  "-submitter", "-wide", "-global", "-help", "-version"], True),
    "condor_history": (["-long", "-xml", "-json", "-backwards", "-forwards", "-limit", "-match",
                        "-format", "-af", "-constraint", "-name", "-pool", "-file"], True),
    "condor_status": (["-long", "-json", "-xml", "-total", "-constraint", "-af", "-format",
                       "-pool", "-startd"], True),
    "condor_rm": (["-long", "-totals", "-constraint", "-all", "-addr", "-reason", "-forcex",
                   "-name", "-pool", "-debug"], False),
    "condor_hold": (["-constraint", "-all", "-reason", "-subcode", "-addr", "-totals"], False),
    "condor_release": (["-constraint", "-all", "-reason", "-totals"], False),
    "condor_qedit": (["-debug", "-n", "-name", "-pool", "-forward", "-constraint"], False),
    "condor_advertise": (["-pool", "-tcp", "-multiple", "-debug", "UPDATE_STARTD_AD",
                          "INVALIDATE_STARTD_ADS", "UPDATE_SCHEDD_AD"], False),
    "condor_wait": (["-status", "-echo", "-num", "-debug", "-wait"], True),
    "condor_watch_q": (["-users", "-clusters", "-files", "-batches", "-exit", "-groupby",
                        "-no-table", "-summary-type", "-color", "-no-refresh", "-abbreviate"],
                       True),
    "classad_eval": (["-quiet", "-file", "-my-file", "-target-file", "-debug"], True),
    "condor_config_val": (["-verbose", "-dump", "-config"], True),
    "condor_version": (["-arch", "-opsys", "-syscall"], True),
    "condor_off": (["-fast", "-graceful", "-peaceful", "-master", "-schedd", "-daemon", "-name",
                    "-all"], True),
    "condor_on": (["-master", "-schedd", "-daemon", "-all"], True),
    "condor_restart": (["-fast", "-peaceful", "-schedd", "-daemon"], True),
    "condor_reschedule": (["-name", "-pool", "-all"], True),
    "condor_master": (["-f", "-b", "-t"], True),
    "condor_schedd": (["-f", "-t", "-b"], True),
}

HOSTILE = ["99999999999999999999", "18446744073709551616", "-99999999999999999999", "-1", "0",
           "1", "1.0", "1.1", "1.99999999999999999999", "99999999999999999999.0", "1.2.3", "1.",
           ".1", "2147483647", "2147483648", "-2147483649", "1e999", "nan", "-0", "0x10", "\x00",
           "a\x00b", "\udcff\udcfe", "caf\udce9", "é", "\u202e", "", " ", "-", "--", "---",
           ":", "-:", "ClusterId == 1", "JobStatus ==", "(", '"', "\\", "x" * 3000,
           "%s%n%d", "$(x)", "all,done,0", "any,held,99999999999999999999", "none", "log",
           "batch", "/nonexistent/file", "A=1", "A", "B", "(((", "[ a = 1 ]", "a = 2", "a*2"]


def _variants(opt):
    """An option as users (mis)type it."""
    if not opt.startswith("-"):
        return [opt]
    word = opt.lstrip("-")
    out = [opt, "-" + opt, opt.upper(), opt + ":", opt + ":x,y"]
    out += ["-" + word[:k] for k in range(1, len(word))]
    return out


def _argv(name):
    opts, _ = COMMANDS[name]
    words = [v for o in opts for v in _variants(o)]
    return st.lists(st.one_of(st.sampled_from(words), st.sampled_from(HOSTILE),
                              st.text(max_size=12)), min_size=0, max_size=7)


class _FakeDaemon:
    """condor_schedd -f in a fuzz case: no daemon loop."""

    def __init__(self, *a, **k):
        pass

    def run(self):
        return 0


@pytest.fixture
def cli_fuzz(tmp_path, chaos, monkeypatch):
    from pycondorlite import schedd
    from pycondorlite.cli import condor_watch_q
    h = chaos.Harness(tmp_path)
    h.env["_CONDOR_SCHEDD_RUN_GRIDMANAGER"] = "false"
    monkeypatch.setattr(schedd, "start_background", lambda *a, **k: 1)
    monkeypatch.setattr(schedd, "stop", lambda *a, **k: True)
    monkeypatch.setattr(schedd, "Schedd", _FakeDaemon)

    def no_wait(_s):
        raise KeyboardInterrupt      # condor_watch_q's loop: the user presses ^C
    # Its own reference to the time module only: subprocess.run(timeout=) sleeps
    # in time.sleep too, and a ^C there would stop the whole test session.
    monkeypatch.setattr(condor_watch_q, "time", types.SimpleNamespace(sleep=no_wait))
    ad = tmp_path / "base.ad"
    ad.write_text(chaos.provider_ad("http://127.0.0.1:9/api"))
    assert h.main("condor_advertise", "UPDATE_STARTD_AD", ad).returncode == 0
    sub = tmp_path / "base.sub"
    sub.write_text(chaos.submit_text(3, log=str(tmp_path / "base.log")))
    assert h.main("condor_submit", sub).returncode == 0
    db = os.path.join(h.spool_dir, "job_queue.db")
    pristine = str(tmp_path / "pristine.db")
    _copy(db, pristine)
    return h, db, pristine, chaos.spool_dump(h.spool_dir)


_DONE = re.compile(r"^(Job \d+\.\d+ (held|released|marked for removal|removed locally)|"
                   r"All jobs.* have been )", re.M)


def _partial(name, r):
    """condor_rm/hold/release act on the valid part of a command line and exit 1
    for the rest, as rm.cpp does: a change they report on stdout is no leftover."""
    return name in ("condor_rm", "condor_hold", "condor_release") and bool(_DONE.search(r.stdout))


def _copy(src, dst):
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def test_hostile_command_lines(cli_fuzz, chaos, figures):
    h, db, pristine, baseline = cli_fuzz
    per_command = chaos.size(25, 600)
    stats = {"cases": 0, "tracebacks": 0, "rejected": 0, "accepted": 0}
    problems = []

    for name in sorted(COMMANDS):
        read_only = COMMANDS[name][1]

        @settings(max_examples=per_command, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=not chaos.LONG)
        @given(_argv(name))
        def one(argv):
            if name == "condor_wait":
                argv = ["-wait", "1"] + argv        # a log that exists would be waited on
            r = h.main(name, *argv)
            stats["cases"] += 1
            where = f"{name} {argv!r}"[:300]
            if r.traceback or "Traceback (most recent call last)" in r.stderr:
                stats["tracebacks"] += 1
                problems.append(f"traceback from {where}:\n{r.traceback or r.stderr}")
                _copy(pristine, db)
                return
            after = chaos.spool_dump(h.spool_dir)
            if r.returncode == 0:
                stats["accepted"] += 1
                if after != baseline and read_only:
                    problems.append(f"{where} changed the spool but is read-only")
            else:
                stats["rejected"] += 1
                if r.returncode is None:
                    problems.append(f"{where}: no exit status")
                if not r.stderr.strip():
                    problems.append(f"{where}: exit {r.returncode} with no message")
                if after != baseline and not _partial(name, r):
                    problems.append(f"{where}: failed (exit {r.returncode}) but changed the "
                                    f"spool; stderr {r.stderr[:200]!r}")
            if after != baseline:
                _copy(pristine, db)
        one()

    figures.update({f"cli_{k}": v for k, v in stats.items()})
    figures["cli_commands"] = len(COMMANDS)
    assert stats["cases"] >= per_command * len(COMMANDS) // 2
    groups = {}
    for p in problems:
        groups.setdefault(p.split(" ", 1)[0] + " " + p.rsplit(":", 1)[-1][:60], []).append(p)
    assert not problems, f"{len(problems)} problems:\n" + "\n---\n".join(
        f"[{len(v)}x] {v[0]}" for v in groups.values())


def test_hostile_bytes_through_bin(cli_fuzz, chaos, figures):
    """Real argv as the kernel hands it over: bytes that are not UTF-8, huge ids."""
    import subprocess
    import sys
    h, db, pristine, baseline = cli_fuzz
    bad = [b"\xff\xfe", b"caf\xe9", b"99999999999999999999", b"-\xff", b"1.\xff"]
    cases = [[name.encode()] + [b] for name in ("condor_q", "condor_rm", "condor_hold",
                                                 "condor_history", "condor_qedit", "condor_status",
                                                 "classad_eval", "condor_wait") for b in bad]
    problems = []
    for argv in cases:
        if argv[0] == b"condor_wait":
            argv = argv[:1] + [b"-wait", b"1"] + argv[1:]
        done = subprocess.run([sys.executable.encode(), os.path.join(chaos.BIN, argv[0].decode())
                               .encode()] + argv[1:], env=h.env, capture_output=True, timeout=60,
                              cwd=h.tmp)
        err = done.stderr.decode("utf-8", "replace")
        if "Traceback" in err:
            problems.append(f"{argv}: {err[-400:]}")
        elif done.returncode != 0 and not err.strip():
            problems.append(f"{argv}: exit {done.returncode} without a message")
        if chaos.spool_dump(h.spool_dir) != baseline:
            if done.returncode != 0:
                problems.append(f"{argv}: failed but changed the spool")
            _copy(pristine, db)
    figures["cli_bin_cases"] = len(cases)
    assert not problems, "\n".join(problems[:5])
