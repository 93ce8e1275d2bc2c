"""The ClassAd layer is the bottom layer: it reads no configuration, the
configuration tells it which semantics to use (STRICT_CLASSAD_EVALUATION,
from the file CONDOR_CONFIG names or from _CONDOR_STRICT_CLASSAD_EVALUATION),
and a caller can fix the semantics for its own thread without touching anyone
else's."""

import ast
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pycondorlite import config
from pycondorlite.classad import ExprTree, Value, semantics

PACKAGE = Path(__file__).resolve().parents[2] / "pycondorlite"
BIN = Path(sys.executable).parent


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


# Leaf modules the ClassAd layer may use: they import nothing of pycondorlite.
LEAVES = ("pycondorlite.caches",)


def test_no_classad_module_imports_another_layer():
    for path in sorted((PACKAGE / "classad").glob("*.py")):
        for name in _imports(path):
            assert not name.startswith("pycondorlite.") or name.startswith(
                ("pycondorlite.classad",) + LEAVES), (path.name, name)
            assert not name.startswith(".."), (path.name, name)
    for leaf in LEAVES:
        path = PACKAGE / (leaf.split(".", 1)[1].replace(".", "/") + ".py")
        assert [n for n in _imports(path) if n.startswith(("pycondorlite", "."))] == [], leaf


def test_importing_the_classad_layer_loads_no_configuration():
    code = ("import sys, pycondorlite.classad as c; c.ExprTree('1 + 1').eval();"
            "print(sorted(m for m in sys.modules if m.startswith('pycondorlite.')"
            " and not m.startswith('pycondorlite.classad')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, CONDOR_CONFIG="/dev/null")).stdout
    # the package's own __init__, and the leaf the caches are
    assert out.strip() == "['pycondorlite.caches', 'pycondorlite.version']"


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """use(text): CONDOR_CONFIG names a file holding text; the configuration is read."""
    monkeypatch.delenv("_CONDOR_STRICT_CLASSAD_EVALUATION", raising=False)

    def use(text, name="condor_config"):
        p = tmp_path / name
        p.write_text(text)
        monkeypatch.setenv("CONDOR_CONFIG", str(p))
        config.get_config()
        return p
    yield use
    monkeypatch.setenv("CONDOR_CONFIG", "/dev/null")
    config.reload()


def test_a_config_file_switches_the_semantics_once_read(config_file):
    config_file("STRICT_CLASSAD_EVALUATION = true\n")
    assert ExprTree("007").eval() == 7             # strict: leading zeros are decimal
    assert ExprTree("CurrentTime").eval() is Value.Undefined
    config_file("STRICT_CLASSAD_EVALUATION = false\n", "other_config")   # CONDOR_CONFIG changed
    assert isinstance(ExprTree("CurrentTime").eval(), int)
    config_file("# nothing\n", "third_config")      # the default: the tools' old semantics
    assert semantics.old_semantics() is True


def test_the_environment_overrides_the_file(config_file, monkeypatch):
    monkeypatch.setenv("_CONDOR_STRICT_CLASSAD_EVALUATION", "true")
    config_file("STRICT_CLASSAD_EVALUATION = false\n")
    assert semantics.old_semantics() is False


def test_forgetting_the_configuration_forgets_its_semantics(config_file):
    config_file("STRICT_CLASSAD_EVALUATION = true\n")
    assert semantics.old_semantics() is False
    config.reload()
    assert semantics.old_semantics() is True


def test_fixed_semantics_are_this_threads_alone(semantics_knob):
    semantics_knob(False)
    seen = []
    inside = threading.Event()
    done = threading.Event()

    def other():
        inside.wait(10)
        seen.append(semantics.old_semantics())
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with semantics.fixed(False):
        assert ExprTree("CurrentTime").eval() is Value.Undefined
        semantics_knob(False)           # a configuration read meanwhile changes nothing here
        assert semantics.old_semantics() is False
        inside.set()
        done.wait(10)
    t.join(10)
    assert seen == [True]
    assert semantics.old_semantics() is True


def _tool(args, env, cwd):
    p = subprocess.run([str(BIN / args[0])] + args[1:], capture_output=True, text=True,
                       env=env, cwd=cwd, timeout=120)
    return p.returncode, p.stdout, p.stderr


def test_strict_evaluation_in_the_config_file_reaches_condor_q(tmp_path):
    """condor_q reads CONDOR_CONFIG; STRICT_CLASSAD_EVALUATION there changes
    how its -constraint and -af expressions evaluate."""
    spool = tmp_path / "spool"
    spool.mkdir()
    (tmp_path / "old.config").write_text("LOCAL_DIR = %s\n" % spool)
    (tmp_path / "strict.config").write_text(
        "LOCAL_DIR = %s\nSTRICT_CLASSAD_EVALUATION = true\n" % spool)
    (tmp_path / "job.sub").write_text("executable = /bin/true\nuniverse = vanilla\nqueue\n")
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("_condor_")}
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")

    def with_config(name):
        return dict(env, CONDOR_CONFIG=str(tmp_path / name))

    rc, out, err = _tool(["condor_submit", "job.sub"], with_config("old.config"), tmp_path)
    assert rc == 0, err
    # old semantics: a leading zero is no integer, CurrentTime is the clock
    rc, out, err = _tool(["condor_q", "-constraint", "ClusterId == 01", "-af", "ClusterId"],
                         with_config("old.config"), tmp_path)
    assert rc != 0 and out == ""
    rc, out, err = _tool(["condor_q", "-constraint", "CurrentTime > 0", "-af", "ClusterId"],
                         with_config("old.config"), tmp_path)
    assert (rc, out) == (0, "1\n"), err
    # strict semantics, from the file
    rc, out, err = _tool(["condor_q", "-constraint", "ClusterId == 01", "-af", "ClusterId"],
                         with_config("strict.config"), tmp_path)
    assert (rc, out) == (0, "1\n"), err
    rc, out, err = _tool(["condor_q", "-constraint", "CurrentTime > 0", "-af", "ClusterId"],
                         with_config("strict.config"), tmp_path)
    assert (rc, out) == (0, ""), err
    # HTCondor's own functions are there in both
    for name in ("old.config", "strict.config"):
        rc, out, err = _tool(["condor_q", "-af", 'stringListMember("b", "a,b")'],
                             with_config(name), tmp_path)
        assert (rc, out) == (0, "true\n"), (name, err)
