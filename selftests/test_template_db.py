"""The replayed empty database (``server.template``) is the database Prefect's migrations make, per version.

For every version ``tables.versions.EMPTY_DATABASE`` replays: a fresh file migrated by that version's own
Prefect (a child process: the installed one, or a tox environment's ``.tox/*/bin/python`` with that version;
skipped when none is at hand), and a file built from ``schemas/prefect-<version>.sql``, described by
``template.describe`` (each table's definition, columns with name, type, notnull, default and pk, indexes with
their columns, uniqueness and SQL, foreign keys and rows, which is the ``alembic_version`` row; triggers,
views; the journal mode) must be equal. The comparison itself is shown to notice a dropped index, a changed
default and another alembic revision. No suite: a migration per version (10-20 s each).

The blocks files (``schemas/blocks-prefect-*.sql``): the rows a real server of that environment registers on
a replayed database (a child server, started until it answers) are the file's rows, ids and timestamps aside.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from functools import cache
from importlib.metadata import version

import pytest

from conftest import ROOT
from restcontract.server import template
from restcontract.tables.versions import EMPTY_DATABASE, REPLAY_SCHEMA

REPLAYED = sorted(v for v, how in EMPTY_DATABASE.items() if how == REPLAY_SCHEMA)
LOCAL = version("prefect") if version("prefect") in REPLAYED else REPLAYED[-1]  # for the in-process tests


@cache
def python_with(prefect_version: str) -> str | None:
    """An interpreter whose Prefect is ``prefect_version``: this one, or a tox environment's (asked once)."""
    if version("prefect") == prefect_version:
        return sys.executable
    for python in sorted((ROOT / ".tox").glob("*/bin/python")):
        found = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('prefect'))"],
                               capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == prefect_version:
            return str(python)
    return None


def differences(left: dict, right: dict) -> list[str]:
    """What differs between two descriptions, one line per table (and field) or object."""
    lines = [f"journal_mode: {left['journal_mode']} != {right['journal_mode']}"] * (
        left["journal_mode"] != right["journal_mode"])
    for name in sorted(left["tables"].keys() | right["tables"].keys()):
        one, other = left["tables"].get(name), right["tables"].get(name)
        if one is None or other is None:
            lines.append(f"table {name}: only in the {'replayed' if one is None else 'migrated'} database")
            continue
        lines += [f"table {name} {key}: {one[key]} != {other[key]}" for key in one if one[key] != other[key]]
    for name in sorted(left["other"].keys() | right["other"].keys()):
        if left["other"].get(name) != right["other"].get(name):
            lines.append(f"{name}: {left['other'].get(name)} != {right['other'].get(name)}")
    return lines


def test_every_replayed_version_has_its_schema_file():
    for prefect_version in REPLAYED:
        path = template.dump_path(prefect_version)
        assert path.exists(), f"{path} missing: python -m restcontract.server.template dump (Prefect {prefect_version})"
        assert template.replays(prefect_version)
    listed = {p.stem.removeprefix("prefect-") for p in template.SCHEMAS.glob("prefect-*.sql")}
    assert listed == set(REPLAYED), "a schema file no version replays, or a replayed version without one"


def test_a_version_not_listed_migrates(tmp_path):
    assert not template.build(tmp_path / "prefect.db", "9.9.9")
    assert not (tmp_path / "prefect.db").exists()


@pytest.mark.parametrize("prefect_version", REPLAYED)
def test_the_replay_is_the_migrated_database(prefect_version, tmp_path):
    python = python_with(prefect_version)
    if python is None:
        pytest.skip(f"no interpreter with Prefect {prefect_version} (tox -e contract-... makes one)")
    assert template.migrated(tmp_path / "migrated.db", python) == prefect_version
    assert template.build(tmp_path / "replayed.db", prefect_version, blocks=False)
    migrated, replayed = template.describe(tmp_path / "migrated.db"), template.describe(tmp_path / "replayed.db")
    assert not differences(migrated, replayed), "\n".join(differences(migrated, replayed))
    assert len(replayed["tables"]) > 30 and sum(len(t["indexes"]) for t in replayed["tables"].values()) > 100
    revision = replayed["tables"]["alembic_version"]["rows"]
    header = template.dump_path(prefect_version).read_text(encoding="utf-8").splitlines()[0]
    assert len(revision) == 1 and f"(alembic revision {revision[0][0]})" in header


@pytest.mark.parametrize("change", [
    "DROP INDEX ix_flow__updated",
    "UPDATE alembic_version SET version_num = 'other'",
    "ALTER TABLE flow ADD COLUMN extra VARCHAR DEFAULT 'x'",
    "CREATE VIEW v AS SELECT 1",
])
def test_the_comparison_notices_a_change(change, tmp_path):
    assert template.build(tmp_path / "replayed.db", LOCAL, blocks=False)
    shutil.copyfile(tmp_path / "replayed.db", tmp_path / "changed.db")
    with closing(sqlite3.connect(tmp_path / "changed.db")) as db:
        db.execute(change)
        db.commit()
    assert differences(template.describe(tmp_path / "replayed.db"), template.describe(tmp_path / "changed.db"))


def test_dump_round_trips(tmp_path):
    """``dump`` of a replayed database is its schema file again (nothing in the file is lost or added)."""
    assert template.build(tmp_path / "replayed.db", LOCAL, blocks=False)
    assert template.dump(tmp_path / "replayed.db", LOCAL) == template.dump_path(LOCAL).read_text(encoding="utf-8")



BLOCKS = sorted(template.SCHEMAS.glob("blocks-prefect-*.sql"))


def key_of(path) -> dict:
    header = path.read_text(encoding="utf-8").splitlines()[1]
    return json.loads(header.split("key ", 1)[1])


def test_every_blocks_file_is_named_by_its_key():
    assert BLOCKS, "no blocks file: python -m restcontract.server.template blocks"
    for path in BLOCKS:
        key = key_of(path)
        assert template.blocks_path(key) == path
        assert key["prefect"] in REPLAYED


def test_the_blocks_replay_only_in_their_environment(tmp_path, monkeypatch):
    if not template.blocks_path(template.blocks_key()).exists():
        pytest.skip("no blocks file for this environment")
    assert template.build(tmp_path / "with.db") == template.BLOCKS
    assert template.block_rows(tmp_path / "with.db")["block_type"]
    monkeypatch.setattr(template, "blocks_key", lambda: {**key_of(BLOCKS[0]), "pydantic": "0.0"})
    assert template.build(tmp_path / "other.db") == template.SCHEMA
    assert not template.block_rows(tmp_path / "other.db")


@pytest.mark.parametrize("path", BLOCKS, ids=lambda p: p.stem)
def test_the_blocks_are_a_registration(path, tmp_path):
    """A server of the file's environment registering its blocks on a replayed database writes the file's rows."""
    key = key_of(path)
    python = python_with(key["prefect"])
    if python is None:
        pytest.skip(f"no interpreter with Prefect {key['prefect']}")
    assert template.registered(tmp_path / "registered.db", python) == key, "another environment: other rows"
    assert template.build(tmp_path / "replayed.db", key["prefect"], blocks=False)
    template._replay(path, tmp_path / "replayed.db")
    registered = template.block_rows(tmp_path / "registered.db")
    replayed = template.block_rows(tmp_path / "replayed.db")
    assert set(registered) == {"block_type", "block_schema", "block_schema_reference"}
    assert registered == replayed
