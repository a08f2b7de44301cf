"""A family is one module: the registry is what every other place reads (in-process, no server).

The README's table, the suite's tests, the markers and the self-tests' family lists all come from
``restcontract.checks.registry.FAMILIES``; a family added as one decorated module shows up in each, and a
self-test that names it proves it can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restcontract.checks import registry
from restcontract.checks.registry import FAMILIES, family

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_table_is_the_registry():
    table = registry.markdown_table()
    assert table in (ROOT / "README.md").read_text(), f"README.md's family table must read:\n{table}"


def test_every_family_registered_from_its_own_module():
    for name, entry in FAMILIES.items():
        assert entry.module.startswith("restcontract.checks."), entry
        assert entry.entry.__module__.removesuffix(".__init__") == entry.module
        assert (entry.scope == "operation") == (entry.operations is not None), name
        assert (ROOT / "src" / "restcontract" / entry.path).exists(), entry.path


def test_every_family_is_named_by_a_self_test():
    """A family no self-test runs is a check nobody proved can fail."""
    sources = "\n".join(p.read_text() for p in (ROOT / "selftests").glob("test_*.py") if p.name != Path(__file__).name)
    unnamed = [name for name in FAMILIES if not re.search(rf"[\"'](-m )?{name}[\"']|test_{name}\b", sources)]
    assert unnamed == []


def test_the_suite_is_built_from_the_registry(pytester_like_config):
    from restcontract.plugin import collect

    tests = collect.family_tests(pytester_like_config, schema=lambda: pytest.fail("no case-scoped family wanted"))
    assert set(tests) == {f"test_{name}" for name, f in FAMILIES.items() if f.scope != "case"}
    marks = {name: [m.name for m in test.pytestmark] for name, test in tests.items()}
    assert all(marks[f"test_{name}"] == [name] for name in FAMILIES if f"test_{name}" in marks), marks


@pytest.fixture
def pytester_like_config():
    """What ``collect.family_tests`` reads of a config: the arguments and ``-m`` (here: every family but
    conformance)."""

    class Option:
        markexpr = "not conformance"

    class Config:
        args = ["tests"]
        option = Option()

    return Config()


def test_a_registration_needs_what_its_scope_needs():
    with pytest.raises(TypeError, match="needs operations"):
        family("throwaway", "nothing", scope="operation")(lambda ctx: None)
    assert "throwaway" not in registry._REGISTERED
