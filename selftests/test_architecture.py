"""The house: every import of the library goes down the stages, never up, and no module imports itself back.

Parses every module of ``src/restcontract`` (imports inside functions and ``TYPE_CHECKING`` blocks
included) in-process: no server, no child pytest. The stage order is ``restcontract.STAGES``
(docs/architecture.md draws it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from restcontract import STAGES

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "restcontract"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The project modules ``name`` imports (``from pkg import module`` names the module)."""
    tree = ast.parse(MODULES[name].read_text(), str(MODULES[name]))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in MODULES and t != name}
    return out


GRAPH = {name: imports_of(name) for name in MODULES}


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_stage():
    unknown = sorted({stage_of(m) for m in MODULES} - set(STAGES))
    assert not unknown, f"modules outside the declared stages (restcontract.STAGES): {unknown}"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            mine, theirs = stage_of(module), stage_of(target)
            if mine != theirs and STAGES[theirs] >= STAGES[mine]:
                out.append(f"{module} (stage {mine}, rank {STAGES[mine]}) imports {target} "
                           f"(stage {theirs}, rank {STAGES[theirs]})")
    return out


def cycles_of(graph: dict[str, set[str]]) -> list[str]:
    cycles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_imports_only_go_down_the_stages():
    upward = upward_imports(GRAPH)
    assert not upward, "imports that go up or sideways:\n" + "\n".join(upward)


def test_no_import_cycles():
    cycles = cycles_of(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_rules_can_fail():
    """An upward import and a cycle, added to the real graph, are both reported."""
    graph = {module: set(targets) for module, targets in GRAPH.items()}
    graph["restcontract.cases.store"].add("restcontract.run.harness")  # the knot the house cut
    graph["restcontract.run.harness"].add("restcontract.cases.store")
    assert any("restcontract.cases.store (stage cases" in line for line in upward_imports(graph))
    assert any("restcontract.cases.store" in cycle and "restcontract.run.harness" in cycle for cycle in cycles_of(graph))
    # a TYPE_CHECKING import counts: checks.support names the run's context for its type hints
    assert "restcontract.run.context" in GRAPH["restcontract.checks.support"]


def test_few_modules_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, f"{len(top)} modules directly in src/restcontract: {top}"


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_each_folder_says_what_lives_there_and_what_it_may_import(folder):
    doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text())) or ""
    assert "may import" in doc.lower(), f"src/restcontract/{folder}/__init__.py: the docstring must say what it may import"
