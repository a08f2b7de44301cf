"""The house: every import of the library goes down the stages, never up, and no module imports itself back.

Parses every module of ``src/restcontract`` (imports inside functions and ``TYPE_CHECKING`` blocks
included) in-process: no server, no child pytest. The stage order is ``restcontract.STAGES``
(docs/architecture.md draws it).
"""

from __future__ import annotations

import ast
import re
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
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
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
    assert any("restcontract.cases.store" in cycle and "restcontract.run.harness" in cycle
               for cycle in cycles_of(graph))
    # a TYPE_CHECKING import counts: checks.support names the run's context for its type hints
    assert "restcontract.run.context" in GRAPH["restcontract.checks.support"]


def test_few_modules_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, f"{len(top)} modules directly in src/restcontract: {top}"


FOLDERS = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def may_import_line(folder: str) -> str:
    """The line a folder's docstring must hold: the stages ranked below it, in ``STAGES`` order."""
    below = [stage for stage, rank in STAGES.items() if stage != "__init__" and rank < STAGES[folder]]
    return f"May import: {', '.join(below) or 'nothing'}."


def docstring_problems(folder: str, doc: str, modules: list[str]) -> list[str]:
    """What a folder's docstring gets wrong, each problem saying exactly what to write. The convention:
    the first line starts ``Stage <rank>, <folder>:``; every module (and subpackage) is named as
    ````module```` (or ````module.name````, ````package/````); one paragraph ``May import: a, b, c.`` lists the
    stages ranked below, in ``restcontract.STAGES`` order (``May import: nothing.`` at rank 0)."""
    where = f"src/restcontract/{folder}/__init__.py"
    if folder not in STAGES:
        return [f"{where}: {folder!r} has no rank: add it to restcontract.STAGES (src/restcontract/__init__.py)"]
    problems = []
    first = f"Stage {STAGES[folder]}, {folder}:"
    if not doc.startswith(first):
        problems.append(f"{where}: the docstring's first line must start {first!r}, not {doc.split(chr(10))[0]!r}")
    missing = [module for module in modules if not re.search(rf"``{module}(/|\.\w+)?``", doc)]
    if missing:
        problems.append(f"{where}: the docstring does not name " + ", ".join(f"``{m}``" for m in missing)
                        + ": add each, with what it holds")
    lines = [" ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", doc)
             if paragraph.strip().startswith("May import:")]
    if lines != [may_import_line(folder)]:
        problems.append(f"{where}: the docstring must hold the line {may_import_line(folder)!r} "
                        f"(the stages ranked below {STAGES[folder]} in restcontract.STAGES), not {lines}")
    return problems


def folder_modules(folder: str) -> list[str]:
    """A folder's modules and subpackages, by name (``__init__`` left out). In ``checks`` only the shared
    modules: every other one is a family, listed by the registry (``test_registry.py``), so that adding a
    family touches its own module alone."""
    path = PACKAGE / folder
    if folder == "checks":
        return sorted(SHARED)
    return sorted([p.stem for p in path.glob("*.py") if p.stem != "__init__"]
                  + [p.parent.name for p in path.glob("*/__init__.py")])


def folder_docstring(folder: str) -> str:
    return ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text())) or ""


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_folder_names_its_modules_and_what_it_may_import(folder):
    problems = docstring_problems(folder, folder_docstring(folder), folder_modules(folder))
    assert not problems, "\n".join(problems)


def test_the_docstring_check_can_fail():
    """A module left out, a stage too many in the list, a wrong rank: each reported with what to write."""
    doc = folder_docstring("server")
    assert not docstring_problems("server", doc, folder_modules("server"))
    problems = docstring_problems("server", doc, folder_modules("server") + ["newmodule"])
    assert problems == ["src/restcontract/server/__init__.py: the docstring does not name ``newmodule``: "
                        "add each, with what it holds"]
    wrong = doc.replace("May import: errors,", "May import: objects, errors,").replace("Stage 3,", "Stage 2,")
    problems = docstring_problems("server", wrong, folder_modules("server"))
    assert len(problems) == 2 and "first line must start 'Stage 3, server:'" in problems[0]
    assert "'May import: errors, tables, compat, spec, findings, testing.'" in problems[1]
    assert docstring_problems("nowhere", "", []) == [
        "src/restcontract/nowhere/__init__.py: 'nowhere' has no rank: add it to restcontract.STAGES "
        "(src/restcontract/__init__.py)"]


# -- the check families: each imports checks.support and checks.registry, never another family ---------
SHARED = ("registry", "support")  # restcontract.checks.<shared>: what every family may import


def family_of(module: str) -> str | None:
    """The check family a module belongs to (``filtering`` for ``restcontract.checks.filtering.probe``);
    None for a module outside ``restcontract.checks``, its package and the shared modules."""
    parts = module.split(".")
    if parts[:2] != ["restcontract", "checks"] or len(parts) < 3 or parts[2] in SHARED:
        return None
    return parts[2]


def cross_family_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of one family's module by a module of another family, or of the shared modules."""
    out = []
    for module, targets in sorted(graph.items()):
        if stage_of(module) != "checks":
            continue
        for target in sorted(targets):
            if family_of(target) is not None and family_of(target) != family_of(module):
                out.append(f"{module} imports {target}: move what they share to restcontract.checks.support")
    return out


def test_a_family_imports_no_other_family():
    crossing = cross_family_imports(GRAPH)
    assert not crossing, "check families importing each other:\n" + "\n".join(crossing)


def test_the_family_rule_can_fail():
    """A family importing another (the knot issue 24 cut), or support importing a family, is reported;
    the modules of one family package, and support, are not."""
    graph = {module: set(targets) for module, targets in GRAPH.items()}
    graph["restcontract.checks.leakage"].add("restcontract.checks.graceful_create")
    graph["restcontract.checks.support"].add("restcontract.checks.idempotency")
    crossing = cross_family_imports(graph)
    assert any(line.startswith("restcontract.checks.leakage imports restcontract.checks.graceful_create")
               for line in crossing)
    assert any(line.startswith("restcontract.checks.support imports restcontract.checks.idempotency")
               for line in crossing)
    assert "restcontract.checks.filtering.bodies" in GRAPH["restcontract.checks.filtering.matching"]
    assert "restcontract.checks.support" in GRAPH["restcontract.checks.leakage"]
    assert len(crossing) == 2
