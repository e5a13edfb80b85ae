"""The package's shape: no import cycles, every module importable on its own, no hidden wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "eventapp"


def _modules() -> list[str]:
    """Every module of the package, found on disk (importing could hide a failure).

    The migration scripts are left out: Alembic runs them, they are not modules to import.
    """
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "migrations"):
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _run(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter that imports this tree's package, not an installed one."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm).

    An import inside a function counts like one at the top: deferring an import hides a
    cycle, it does not remove it. The edge from a package's ``__init__`` to its own
    submodules is left out: it is how a blueprint package attaches its views (the views
    import ``bp`` from the package, which Python has initialised by then), not a
    dependency of the package on a feature.
    """
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if not imported.startswith(module + ".")
        }
        for module in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(components)


def test_no_module_of_eventapp_takes_part_in_an_import_cycle():
    graph = grimp.build_graph("eventapp", include_external_packages=False, cache_dir=None)
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")  # e.g. deferred into a function
    graph.add_import(importer="pkg", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg")  # a blueprint package and its views
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]


@pytest.mark.slow
def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    modules = _modules()
    # First learn which third-party modules the package uses, then load only those into
    # an interpreter and fork it once per module: each child starts without any eventapp
    # module, as a fresh interpreter would, without paying for Flask's import each time.
    listing = _run(
        f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] != "eventapp")))
        """
    )
    assert listing.returncode == 0, listing.stderr
    third_party = json.loads(listing.stdout)
    result = _run(
        f"""
        import importlib, os, sys, traceback
        for name in {third_party!r}:
            try:
                importlib.import_module(name)
            except Exception:
                pass
        assert not [m for m in sys.modules if m.split(".")[0] == "eventapp"]

        def start(name):
            pid = os.fork()
            if pid == 0:
                try:
                    importlib.import_module(name)
                except BaseException:
                    traceback.print_exc()
                    os._exit(1)
                os._exit(0)
            return pid

        # A few children at a time: each is independent of the others.
        waiting, running, failed = list({modules!r}), {{}}, []
        while waiting or running:
            while waiting and len(running) < (os.cpu_count() or 2):
                name = waiting.pop(0)
                running[start(name)] = name
            pid, status = os.wait()
            name = running.pop(pid)
            if status != 0:
                failed.append(name)
        print("failed:", failed)
        sys.exit(1 if failed else 0)
        """
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed: []" in result.stdout


def test_importing_every_module_registers_nothing():
    """Listeners and login settings come from ``create_app``, never from an import."""
    result = _run(
        f"""
        import importlib, json
        for name in {_modules()!r}:
            importlib.import_module(name)
        from sqlalchemy.orm import Session
        from eventapp.extensions import db, login_manager
        print(json.dumps({{
            "orm_session": len(Session().dispatch.before_flush),
            "db_session": len(db.session.session_factory.class_(db).dispatch.before_flush),
            "after_commit": len(db.session.session_factory.class_(db).dispatch.after_commit),
            "login_view": login_manager.login_view,
        }}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "orm_session": 0,
        "db_session": 0,
        "after_commit": 0,
        "login_view": None,
    }
