"""Layers point one way: the library never imports the command-line layer, and
the import graph of pycondorlite has no cycle."""

import ast
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(REPO, "pycondorlite")


def _modules():
    """{dotted module name: path} of every module of the package."""
    out = {}
    for d, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                name = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                out[name[:-len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def _graph(mods):
    """module -> the modules its imports run (anywhere in it, lazy ones too;
    importing a.b.c runs the packages a and a.b as well)."""
    def resolve(name):
        while name and name not in mods:
            name = name.rsplit(".", 1)[0] if "." in name else ""
        return name or None

    edges = {m: set() for m in mods}
    for m, path in mods.items():
        pkg = m if path.endswith("__init__.py") else m.rsplit(".", 1)[0]
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [base + "." + a.name for a in node.names]
            else:
                continue
            for t in targets:
                r = resolve(t) if t.startswith("pycondorlite") else None
                if r is None:
                    continue
                parts = r.split(".")
                for i in range(2, len(parts) + 1):
                    q = ".".join(parts[:i])
                    # a module's own enclosing packages are already running
                    if q in mods and q != m and not m.startswith(q + "."):
                        edges[m].add(q)
    return edges


def _cycles(edges):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    assert _cycles(_graph(_modules())) == []


def test_the_graph_sees_a_cycle_when_there_is_one():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_library_imports_no_cli_module_statically():
    edges = _graph(_modules())
    bad = {m: sorted(e for e in deps if e.split(".")[:2] == ["pycondorlite", "cli"])
           for m, deps in edges.items() if m.split(".")[:2] != ["pycondorlite", "cli"]}
    assert {m: d for m, d in bad.items() if d} == {}


def test_library_loads_no_cli_module():
    """Every module but cli/ imported in a fresh interpreter: no pycondorlite.cli
    module is loaded on the way."""
    names = sorted(m for m in _modules() if m.split(".")[:2] != ["pycondorlite", "cli"])
    code = ("import importlib, json, sys\n"
            f"for n in {names!r}:\n"
            "    importlib.import_module(n)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pycondorlite.cli'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env=dict(os.environ, CONDOR_CONFIG="/dev/null"), timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
