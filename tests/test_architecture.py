"""The enforced wall and the one-way flow: import graph of the source, computed from the AST.

Rules (docs/architecture.md §1.2): no import cycle among our modules; pytest_a2a's layers import
downwards only (``LAYERS``); judge and judged share nothing but ``pytest_a2a.script``
(``REFERENCE_SERVER_IMPORTERS`` is the allow-list for booting the reference server); no module
over ``MAX_LINES`` lines. Each failure names the importing module, line and kind of import.

Every import counts, wherever it is: module level, lazy imports inside functions, imports under
``if TYPE_CHECKING:`` and ``importlib.import_module("<constant>")`` calls. TYPE_CHECKING imports
count for cycles on purpose: they never run, but a type-only cycle still means neither module
can be read (or moved) without the other; the fix is the same as for a runtime cycle (move the
shared type down a layer). Edges point at the module named (``from a import b`` → ``a.b`` when
``a/b.py`` exists, else ``a``); the parent packages Python executes on the way are not edges,
so a submodule's import of a sibling does not make a cycle through its package ``__init__``,
while an ``__init__`` that imports its submodules is an edge like any other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pytest_a2a", "reference_server", "conformance_tests")
MAX_LINES = 400
SIZED = ("pytest_a2a", "reference_server")  # packages whose modules must stay under MAX_LINES

# pytest_a2a modules allowed to import reference_server: none, since run/target.py boots the
# embedded target as `python -m reference_server` (a subprocess is not an import).
REFERENCE_SERVER_IMPORTERS: frozenset[str] = frozenset()
# The only pytest_a2a module reference_server may import: the script contract both sides share.
SHARED_CONTRACT = "pytest_a2a.script"
# pytest_a2a's layers, bottom first: a module may import its own layer and the ones below, never
# one above (the run drives wire, judge and reports; reports render verdicts; the judge grades
# decoded events; the wire knows no verdicts). Each entry: module names or sub-package prefixes.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pytest_a2a", "pytest_a2a.budget", "pytest_a2a.script"),
    ("pytest_a2a.wire",),
    ("pytest_a2a.judge",),
    ("pytest_a2a.reports",),
    ("pytest_a2a.run",),
    ("pytest_a2a.recording",),  # [helper H] record/replay: drive a run from recordings
    ("pytest_a2a.plugin", "pytest_a2a.adapters"),
)


@dataclass(frozen=True)
class Import:
    """One import statement: who imports what, where, and how (``lazy``, ``type-only``)."""

    source: str
    target: str
    line: int
    how: str = "module level"

    def where(self) -> str:
        return f"{self.source}:{self.line} ({self.how})"


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under the given top-level packages."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, how: str) -> Iterator[tuple[ast.AST, str]]:
    """Every node under ``node`` with how an import there would run."""
    for child in ast.iter_child_nodes(node):
        child_how = how
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            child_how = "lazy" if how == "module level" else how
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield child, how
            for stmt in child.body:
                yield stmt, "type-only"
                yield from _walk(stmt, "type-only")
            for stmt in child.orelse:
                yield stmt, how
                yield from _walk(stmt, how)
            continue
        yield child, child_how
        yield from _walk(child, child_how)


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path, known: Iterable[str]) -> list[Import]:
    """The imports in one file, resolved to dotted names (known modules where possible)."""
    known = set(known)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node, how in _walk(tree, "module level"):
        if isinstance(node, ast.Import):
            found += [Import(module, a.name, node.lineno, how) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in known else base
                found.append(Import(module, target, node.lineno, how))
        elif isinstance(node, ast.Call) and (dynamic := _dynamic_target(node)) is not None:
            found.append(Import(module, dynamic, node.lineno, how + ", dynamic"))
    return list(dict.fromkeys(found))  # `from a import x, y` names one edge once


def _dynamic_target(call: ast.Call) -> str | None:
    """``importlib.import_module("x")`` / ``__import__("x")`` with a constant name."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not call.args:
        return None
    first = call.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def import_graph(root: Path, packages: Iterable[str]) -> list[Import]:
    """Every import in every module of ``packages`` under ``root``."""
    mods = modules(root, packages)
    edges: list[Import] = []
    for name, path in mods.items():
        edges += imports_of(name, path, mods)
    return edges


def _owner(target: str, known: set[str]) -> str | None:
    """The known module an import target lands in (``a.b.func`` → ``a.b``), if any."""
    parts = target.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def cycles(edges: Iterable[Import], known: Iterable[str]) -> list[list[Import]]:
    """One witness cycle (as the chain of imports) per strongly connected component."""
    known = set(known)
    graph: dict[str, list[Import]] = {m: [] for m in sorted(known)}
    for edge in edges:
        target = _owner(edge.target, known)
        if edge.source in known and target is not None and target != edge.source:
            graph[edge.source].append(Import(edge.source, target, edge.line, edge.how))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def strongconnect(start: str) -> None:  # iterative Tarjan: no recursion limit on big trees
        work = [(start, 0)]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, i = work[-1]
            if i < len(graph[node]):
                work[-1] = (node, i + 1)
                nxt = graph[node][i].target
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)

    for module in graph:
        if module not in index:
            strongconnect(module)
    return [_witness(graph, sorted(c)) for c in components]


def _witness(graph: dict[str, list[Import]], component: list[str]) -> list[Import]:
    """A shortest import chain from the component's first module back to itself (BFS)."""
    start, members = component[0], set(component)
    came: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target not in members:
                    continue
                if edge.target == start:
                    chain = [edge]
                    while chain[0].source != start:
                        chain.insert(0, came[chain[0].source])
                    return chain
                if edge.target not in came:
                    came[edge.target] = edge
                    nxt_frontier.append(edge.target)
        frontier = nxt_frontier
    raise AssertionError(f"no cycle through {start} in component {component}")  # unreachable


def format_cycle(chain: list[Import]) -> str:
    return " -> ".join([chain[0].source, *(f"{e.target} [{e.where()}]" for e in chain)])


def wall_crossings(
    edges: Iterable[Import], allowed: frozenset[str] = REFERENCE_SERVER_IMPORTERS
) -> list[str]:
    """Imports across the judge/judged wall, each as ``importer:line (how) imports target``."""
    bad = []
    for edge in edges:
        top, target_top = edge.source.split(".")[0], edge.target.split(".")[0]
        if top == "reference_server" and target_top == "pytest_a2a":
            crossing = edge.target != SHARED_CONTRACT
        elif target_top == "reference_server" and top == "pytest_a2a":
            crossing = edge.source not in allowed
        elif target_top == "reference_server" and top == "conformance_tests":
            crossing = True
        else:
            crossing = False
        if crossing:
            bad.append(f"{edge.where()} imports {edge.target}")
    return bad


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    """Index of the layer holding ``module`` (longest matching name or prefix), if any."""
    best: tuple[int, int] | None = None
    for level, names in enumerate(layers):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > best[1]
            ):
                best = (level, len(name))
    return None if best is None else best[0]


def upward_imports(
    edges: Iterable[Import], known: Iterable[str], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[str]:
    """Imports from a lower layer into a higher one, each naming both layers."""
    known = set(known)
    bad = []
    for edge in edges:
        target = _owner(edge.target, known)
        low, high = layer_of(edge.source, layers), layer_of(target or "", layers)
        if low is not None and high is not None and high > low:
            bad.append(
                f"{edge.where()} imports {target}: layer {'/'.join(layers[low])} "
                f"may not import {'/'.join(layers[high])}"
            )
    return bad


def oversized(root: Path, packages: Iterable[str], limit: int = MAX_LINES) -> list[str]:
    found = []
    for name, path in modules(root, packages).items():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            found.append(f"{path.relative_to(root)} ({name}): {count} lines > {limit}")
    return found


# --- the rules, on the real tree ---------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return import_graph(ROOT, PACKAGES)


def test_no_import_cycles(graph: list[Import]) -> None:
    found = cycles(graph, modules(ROOT, PACKAGES))
    if found:
        pytest.fail(
            "import cycles (break each by moving the shared piece down a layer):\n"
            + "\n".join(format_cycle(c) for c in found),
            pytrace=False,
        )


def test_layers_import_downwards_only(graph: list[Import]) -> None:
    bad = upward_imports(graph, modules(ROOT, PACKAGES))
    if bad:
        pytest.fail(
            "upward imports (pass the value in from the caller, or move the piece down):\n"
            + "\n".join(bad),
            pytrace=False,
        )


def test_judge_and_judged_share_no_code(graph: list[Import]) -> None:
    bad = wall_crossings(graph)
    if bad:
        pytest.fail(
            "judge/judged wall crossed: reference_server may import only pytest_a2a.script; "
            f"pytest_a2a may import reference_server only in "
            f"{sorted(REFERENCE_SERVER_IMPORTERS)}; conformance_tests never:\n" + "\n".join(bad),
            pytrace=False,
        )


def test_wall_allow_list_is_current(graph: list[Import]) -> None:
    """An allow-list entry that no longer imports reference_server is a hole: remove it."""
    users = {e.source for e in graph if e.target.split(".")[0] == "reference_server"}
    stale = sorted(REFERENCE_SERVER_IMPORTERS - users)
    if stale:
        pytest.fail(
            f"REFERENCE_SERVER_IMPORTERS lists {stale}, which import no reference_server: "
            "remove them from the allow-list",
            pytrace=False,
        )


def test_modules_stay_small() -> None:
    big = oversized(ROOT, SIZED)
    if big:
        pytest.fail("split these modules by responsibility:\n" + "\n".join(big), pytrace=False)


def test_the_graph_sees_the_known_edges(graph: list[Import]) -> None:
    """Guard against a silently empty graph: edges everybody knows exist are found."""
    pairs = {(e.source, e.target) for e in graph}
    assert ("reference_server.agent", "pytest_a2a.script") in pairs
    assert any(e.source == "pytest_a2a.plugin" and e.how == "lazy" for e in graph)


# --- the checker can fail: a synthetic package per rule ----------------------------------------


def _package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _cycles_in(root: Path, top: str) -> list[str]:
    return [format_cycle(c) for c in cycles(import_graph(root, [top]), modules(root, [top]))]


def test_detects_a_module_level_cycle(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "import pkg.c\n",
            "pkg/c.py": "from . import a\n",
            "pkg/d.py": "from pkg import a\n",  # imports into the cycle, not part of it
        },
    )
    found = _cycles_in(tmp_path, "pkg")
    assert len(found) == 1
    assert found[0].startswith("pkg.a -> pkg.b [pkg.a:1 (module level)] -> pkg.c")
    assert found[0].endswith("-> pkg.a [pkg.c:1 (module level)]")


def test_detects_lazy_and_type_only_cycles(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/x.py": "from ..y import thing\n",
            "pkg/y.py": "def thing():\n    from pkg.sub import x\n    return x\n",
            "pkg/p.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import q\n"
            ),
            "pkg/q.py": "import importlib\nM = importlib.import_module('pkg.p')\n",
        },
    )
    found = sorted(_cycles_in(tmp_path, "pkg"))
    assert found == [
        "pkg.p -> pkg.q [pkg.p:3 (type-only)] -> pkg.p [pkg.q:2 (module level, dynamic)]",
        "pkg.sub.x -> pkg.y [pkg.sub.x:1 (module level)] -> pkg.sub.x [pkg.y:2 (lazy)]",
    ]


def test_package_init_edges_count_parents_do_not(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",
            "pkg/a.py": "from pkg.b import B\nA = B\n",
            "pkg/b.py": "B = 1\n",  # reached through pkg/__init__ at run time: not an edge
        },
    )
    assert _cycles_in(tmp_path, "pkg") == []
    (tmp_path / "pkg/b.py").write_text("from pkg import A\nB = 1\n", encoding="utf-8")
    assert _cycles_in(tmp_path, "pkg") == [
        "pkg -> pkg.a [pkg:1 (module level)] -> pkg.b [pkg.a:1 (module level)]"
        " -> pkg [pkg.b:1 (module level)]"
    ]


def test_detects_wall_crossings(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pytest_a2a/__init__.py": "",
            "pytest_a2a/script.py": "",
            "pytest_a2a/wire.py": "def boot():\n    import reference_server.app\n",
            "pytest_a2a/run/__init__.py": "",
            "pytest_a2a/run/target.py": (
                "import importlib\nimportlib.import_module('reference_server')\n"
            ),
            "reference_server/__init__.py": "from pytest_a2a import script\n",
            "reference_server/sse.py": "from pytest_a2a.wire import boot\n",
            "conformance_tests/__init__.py": "",
            "conformance_tests/test_x.py": "from reference_server import sse\n",
        },
    )
    edges = import_graph(tmp_path, PACKAGES)
    assert sorted(wall_crossings(edges, allowed=frozenset({"pytest_a2a.run.target"}))) == [
        "conformance_tests.test_x:1 (module level) imports reference_server.sse",
        "pytest_a2a.wire:2 (lazy) imports reference_server.app",
        "reference_server.sse:1 (module level) imports pytest_a2a.wire",
    ]
    assert "pytest_a2a.run.target:2 (module level, dynamic) imports reference_server" in (
        wall_crossings(edges, allowed=frozenset())
    )


def test_detects_upward_imports(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "pytest_a2a/__init__.py": "",
            "pytest_a2a/budget.py": "",
            "pytest_a2a/wire/__init__.py": "",
            "pytest_a2a/wire/client.py": "from pytest_a2a.budget import Budget\n",
            "pytest_a2a/judge/__init__.py": "",
            "pytest_a2a/judge/context.py": (
                "from pytest_a2a.wire import client\n"
                "def rss():\n    from pytest_a2a.run.process import rss_bytes\n"
            ),
            "pytest_a2a/run/__init__.py": "",
            "pytest_a2a/run/process.py": "from pytest_a2a.judge import context\n",
        },
    )
    edges = import_graph(tmp_path, ["pytest_a2a"])
    assert upward_imports(edges, modules(tmp_path, ["pytest_a2a"])) == [
        "pytest_a2a.judge.context:3 (lazy) imports pytest_a2a.run.process: "
        "layer pytest_a2a.judge may not import pytest_a2a.run"
    ]
    assert layer_of("pytest_a2a.budget") == 0 and layer_of("pytest_a2a.wire.sse") == 1
    assert layer_of("pytest_a2a.adapters.fasta2a") == len(LAYERS) - 1
    assert layer_of("reference_server.app") is None


def test_detects_oversized_modules(tmp_path: Path) -> None:
    _package(tmp_path, {"pkg/__init__.py": "", "pkg/big.py": "x = 1\n" * (MAX_LINES + 1)})
    assert oversized(tmp_path, ["pkg"]) == [
        f"{Path('pkg/big.py')} (pkg.big): {MAX_LINES + 1} lines > {MAX_LINES}"
    ]
    assert oversized(tmp_path, ["pkg"], limit=MAX_LINES + 1) == []
