"""Every fault set is switched on by some self-test: a broken server nobody runs proves nothing.

In-process (no server): each name of ``selftests/faults/*.py`` must appear in a self-test module,
or its whole module must be switched on through ``fault_sets("<module>")``. Faster self-tests
(fewer, shared child runs) must not drop a fault set on the way; this catches one that is dropped.
"""

from __future__ import annotations

import re

from conftest import FAULTS_DIR, fault_sets

SELFTESTS = FAULTS_DIR.parent


def unused(sources: dict[str, str]) -> list[str]:
    """The fault sets that no source names, directly or through ``fault_sets("<module>")``."""
    text = "\n".join(sources.values())
    whole = set(re.findall(r"fault_sets\(\"(\w+)\"\)", text))
    return [f"{module}:{name}" for module in sorted(p.stem for p in FAULTS_DIR.glob("*.py"))
            for name in fault_sets(module) if module not in whole and f'"{name}"' not in text]


def test_every_fault_set_is_switched_on_by_a_self_test():
    sources = {p.name: p.read_text() for p in SELFTESTS.glob("*.py") if p.name != "test_fault_sets_used.py"}
    assert len(list(FAULTS_DIR.glob("*.py"))) >= 10
    assert unused(sources) == []


def test_a_dropped_fault_set_is_caught():
    sources = {p.name: p.read_text().replace('"conformance_slow"', '"renamed"') for p in SELFTESTS.glob("*.py")
               if p.name != "test_fault_sets_used.py"}
    assert unused(sources) == ["conformance:conformance_slow"]
