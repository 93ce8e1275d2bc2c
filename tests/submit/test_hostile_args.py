"""condor_submit's own command line under hostile input.

The chaos suite's harness and generator are reused as they are (imported from
tests/chaos): its Fuzz runs each case through condor_submit's main() and
checks that no Python traceback escapes, that a failure exits non-zero with a
message, and that a failing run leaves the spool exactly as it was. The
arguments are made of condor_submit's options, whole, cut short, repeated
and spelt with two dashes, with hostile values (numbers past 64 bits, huge
and negative numbers, NULs, bytes that are not UTF-8, cut-off quotes and
macros), and the chaos suite's text mutations applied to them.

Quick mode runs a few hundred cases; PYCONDORLITE_CHAOS=long runs over 10,000.
"""

import importlib.util
import pathlib
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CHAOS = pathlib.Path(__file__).resolve().parent.parent / "chaos"


def _load(name, path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


C = _load("_chaos_conftest_for_submit_args", CHAOS / "conftest.py")
H = _load("_chaos_hostile_input_for_submit_args", CHAOS / "test_hostile_input.py")

OPTIONS = ["-file", "-terse", "-verbose", "-capabilities", "-debug", "-append", "-queue",
           "-batch-name", "-batch-id", "-disable", "-dry-run", "-maxjobs", "-single-cluster",
           "-unused", "-allow-crlf-script", "-dump", "-factory", "-name", "-remote", "-addr",
           "-spool", "-pool", "-help", "-generator", "-force-mpi-universe"]
NUMBERS = ["99999999999999999999", "-99999999999999999999", "18446744073709551616",
           "9223372036854775808", "-9223372036854775809", "2147483648", "-2147483649",
           "4294967296", "-1", "0", "-0", "1e999", "-1e999", "nan", "inf", "0x7fffffff", "007",
           "1.5", " 3", "3 ", "+5", "--5"]
HOSTILE = NUMBERS + [
    "", "-", "--", "=", "==", "a=b", "+X=1", "+=1", "MY.Y=2", "x=$(", "x=$$(", "x=\x00",
    "\x00", "a\x00b", "\udcff", "\udcff\udcfe.sub", "caf\udce9", "\u202e", "\ufeff",
    "queue", "queue 99999999999999999999", "queue -1", "queue in (", "queue x from (",
    "queue matching \x00", "arguments = \"unterminated", "executable =", "universe = grid",
    "include : /etc/passwd", "log = /", "<127.0.0.1:9618>", "<::1>", "localhost",
    "-dry-run:cluster=99999999999999999999", "-dry-run:cluster=-5", "-dry-run:bogus",
    "-dry-run:", "-debug:", "-capabilities:7", "nope.sub", "/", ".", "base.sub", "x" * 5000,
]
SUBMIT_NAMES = ["base.sub", "missing.sub", "dir.sub", "/", "\x00", "\udcff.sub"]


def _option_spellings(opt):
    """An option whole, cut short (down to one letter), or with two dashes."""
    name = opt[1:]
    out = [opt, "--" + name, opt + opt[1:2]]
    out += ["-" + name[:k] for k in range(1, len(name))]
    return out


SPELLINGS = sorted({s for o in OPTIONS for s in _option_spellings(o)})

tokens = st.one_of(st.sampled_from(SPELLINGS), st.sampled_from(HOSTILE),
                   st.sampled_from(SUBMIT_NAMES), H.payloads)
argv_strategy = st.lists(tokens, min_size=0, max_size=8)


def _hostile_argv(draw_tokens, ops):
    """An argv of drawn tokens, some of them mutated as the chaos suite mutates text."""
    argv = list(draw_tokens)
    if argv and ops:
        k = int(ops[0][1] * (len(argv) - 1))
        argv[k] = H.mutate(argv[k], ops)
    return argv


@pytest.fixture
def fuzz(tmp_path, monkeypatch):
    f = H.Fuzz(C, tmp_path)
    # No condor_ssh_to_job (-interactive) nor stray program (`from cmd |`) to find.
    f.h.env["PATH"] = str(pathlib.Path(sys.executable).parent)
    f.h.env["_CONDOR_MAX_JOBS_PER_SUBMISSION"] = "2000"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.sub").write_text(C.submit_text(2))
    (tmp_path / "dir.sub").mkdir()
    return f


# Cases chosen by hand: every option without its value, with values past the
# integer limits, NULs and bytes that are not UTF-8, and options repeated.
FIXED = ([[o] for o in OPTIONS] + [[o, "base.sub"] for o in OPTIONS]
         + [[o, v, "base.sub"] for o in ("-maxjobs", "-dry-run", "-dump", "-file", "-append",
                                         "-queue", "-batch-name", "-name", "-addr", "-pool",
                                         "-remote", "-batch-id")
            for v in NUMBERS + ["\x00", "\udcff", "", "-"]]
         + [["-queue", "1", "-queue", "2", "base.sub"], ["-dump", "a", "-dump", "b", "base.sub"],
            ["-dry-run", "-", "-dry-run", "-", "base.sub"], ["base.sub", "base.sub"],
            ["-terse", "-verbose", "-terse", "base.sub"], ["-a", "queue 1", "-a", "queue 2"],
            ["x=1", "-queue", "2"], ["executable=\x00", "-queue", "1"],
            ["-dry-run:cluster=99999999999999999999", "-", "base.sub"],
            ["-maxjobs", "99999999999999999999", "base.sub"],
            ["-maxjobs", "-99999999999999999999", "base.sub"],
            ["-file", "\x00"], ["\udcff\udcfe.sub"], ["-dump", "\x00", "base.sub"],
            ["-dry-run", "/", "base.sub"], ["-dump", "dir.sub", "base.sub"]])


def test_fixed_hostile_command_lines(fuzz):
    for argv in FIXED:
        fuzz.run("condor_submit", argv, mutating=True)
    _report("fixed", fuzz)
    fuzz.check()
    assert fuzz.stats["cases"] == len(FIXED)
    assert fuzz.stats["rejected"] > 100 and fuzz.stats["accepted"] > 5


def test_generated_hostile_command_lines(fuzz):
    @settings(max_examples=C.size(400, 10000), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=not C.LONG)
    @given(argv_strategy, st.lists(H.mutation, max_size=2))
    def one(drawn, ops):
        fuzz.run("condor_submit", _hostile_argv(drawn, ops), mutating=True)

    one()
    _report("generated", fuzz)
    fuzz.check()
    assert fuzz.stats["cases"] >= C.size(400, 10000)
    assert fuzz.stats["rejected"] > 50 and fuzz.stats["accepted"] > 5


def _report(what, fuzz):
    """The figures (shown with -s): cases tried, accepted, rejected, tracebacks."""
    sys.__stdout__.write(f"\n[submit hostile args, {what}, "
                         f"{'long' if C.LONG else 'quick'} mode] {fuzz.stats}\n")
