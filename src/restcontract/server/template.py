"""The migrated, empty SQLite database of a Prefect version, made in milliseconds instead of 10-20 s of migrations.

Prefect makes its database by replaying every alembic migration (114 files for 3.8.8): 9-12 s of CPU,
19-40 s of wall time on a shared 2-core machine, once per fresh file. The result is the same for every
file of one Prefect version, so ``schemas/prefect-<version>.sql`` keeps it as SQL (``dump``: the
database Prefect's own migrations made, written by sqlite3's ``iterdump``: every table, index, trigger
and view as SQLite stored it, and every row, which is the ``alembic_version`` row), and ``build``
replays that file into a new database. ``selftests/test_template_db.py`` proves the replay identical to
a migrated database (``describe``: tables, columns, indexes, foreign keys, triggers, views, rows).

SQLAlchemy's ``create_all`` over Prefect's ORM metadata is not identical, so it is not used: measured on
3.8.8 it fails outright (``ix_artifact__key`` is declared twice), and with the duplicate taken out it
lacks the migration-only table ``deployment_version`` and 16 indexes (the case-insensitive name indexes,
among others), adds 5 the migrations drop (``*_gin``, the ``coalesce`` indexes), makes 9 indexes
differently (a partial index without its ``WHERE``; ``DESC``/``ASC`` where the migrations have none; 5
more differ in whitespace only) and renders the column defaults of 34 tables differently.

Which versions replay and which migrate is ``tables.versions.EMPTY_DATABASE`` (a version not listed, or
whose file is missing, migrates as before). ``python -m restcontract.server.template dump`` writes the
file of the installed Prefect (its migrations, then the replay checked against them);
``python -m restcontract.server.template migrate PATH`` is the migration alone (the self-test's other
side).

The blocks: on its first start on a database, Prefect registers its block types and schemas (2.1 s of CPU
for 3.8.8: the JSON schemas pydantic makes of Prefect's blocks and of its collections' block types, written
row by row). Those rows depend on the environment, not on the database: ``blocks_key`` (Prefect, pydantic,
pydantic-core, Python's major.minor, the installed Prefect collections). ``schemas/blocks-prefect-<version>-
<digest of the key>.sql`` keeps the rows a real server registered (``blocks``: the server started on a replayed
file until it answers); ``build`` replays them too when a file for this environment's key exists, and the
server is then told not to register again. ``selftests/test_template_db.py`` proves them the rows a fresh
registration writes (ids and timestamps aside).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from functools import cache
from hashlib import sha256
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path

from restcontract.tables.versions import EMPTY_DATABASE, REPLAY_SCHEMA

SCHEMAS = Path(__file__).with_name("schemas")
HEADER = "-- "


def dump_path(prefect_version: str) -> Path:
    return SCHEMAS / f"prefect-{prefect_version}.sql"


def replays(prefect_version: str) -> bool:
    """Whether this version's empty database is made by replaying its checked-in schema."""
    return EMPTY_DATABASE.get(prefect_version) == REPLAY_SCHEMA and dump_path(prefect_version).exists()


SCHEMA = "replayed"  # what ``build`` made: the migrated, empty database
BLOCKS = "replayed-blocks"  # ... with the rows Prefect's start-up block registration writes in this environment


def blocks_key() -> dict[str, str]:
    """What decides the rows Prefect registers at start-up (block types, schemas, references): its version,
    pydantic's (the blocks' JSON schemas), Python's major.minor, and the installed Prefect collections (entry
    points ``prefect.collections``: block types of their own)."""
    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return ""

    return {"prefect": installed("prefect"), "pydantic": installed("pydantic"),
            "pydantic-core": installed("pydantic-core"), "python": "{}.{}".format(*sys.version_info[:2]),
            "collections": _collections()}


@cache
def _collections() -> str:
    """The installed Prefect collections, ``name==version`` by line (a scan of every installed distribution:
    once per process)."""
    return "\n".join(sorted({f"{ep.dist.name}=={ep.dist.version}" for ep in entry_points(group="prefect.collections")
                             if ep.dist is not None}))


def key_digest(key: dict[str, str]) -> str:
    return sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def blocks_path(key: dict[str, str]) -> Path:
    return SCHEMAS / f"blocks-prefect-{key['prefect']}-{key_digest(key)}.sql"


def build(path: Path, prefect_version: str | None = None, blocks: bool = True) -> str | None:
    """Make ``path`` the migrated, empty database of ``prefect_version`` (default: the installed one) from its
    schema file, and (``blocks``) with the installed Prefect's start-up block rows when this environment has a
    blocks file. Returns ``SCHEMA`` or ``BLOCKS``; None (nothing written) when that version migrates instead."""
    installed = version("prefect")
    prefect_version = prefect_version or installed
    if not replays(prefect_version):
        return None
    rows = blocks_path(blocks_key()) if blocks and prefect_version == installed else None
    rows = rows if rows is not None and rows.exists() else None
    partial = Path(f"{path}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        _replay(dump_path(prefect_version), partial)
        if rows is not None:
            _replay(rows, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BLOCKS if rows is not None else SCHEMA


def _replay(schema: Path, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as db:
        db.execute("PRAGMA synchronous = OFF")  # a new file nobody reads yet (this connection's only): half the time
        db.executescript(schema.read_text(encoding="utf-8"))
        db.execute("PRAGMA journal_mode = WAL")  # as Prefect's connections leave a migrated file


def dump(db_path: Path, prefect_version: str) -> str:
    """The SQL that makes a database identical to ``db_path`` (a freshly migrated one)."""
    with closing(sqlite3.connect(db_path)) as db:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        lines = list(db.iterdump())
    header = [
        f"The migrated, empty SQLite database of Prefect {prefect_version} (alembic revision {revision}),",
        "as Prefect's migrations made it, written by sqlite3's iterdump.",
        "Made by `python -m restcontract.server.template dump`; replayed by restcontract.server.template.build;",
        "selftests/test_template_db.py proves the replay identical to a migrated database.",
    ]
    return "\n".join([HEADER + h for h in header] + lines) + "\n"


def describe(db_path: Path) -> dict:
    """Everything that makes two empty databases the same: each table's definition (its columns and constraints as
    written, in any order), columns (name, type, notnull, default, pk, in order), indexes (name, unique, origin,
    partial, columns, SQL), foreign keys and rows; triggers and views (SQL); the journal mode."""
    with closing(sqlite3.connect(db_path)) as db:
        entries = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        sql_of = {name: sql for _, name, _, sql in entries}
        out: dict = {"journal_mode": db.execute("PRAGMA journal_mode").fetchone()[0], "tables": {}, "other": {}}
        for kind, name, table, sql in entries:
            if kind == "table":
                out["tables"][name] = _table(db, name, sql_of)
            elif kind in ("trigger", "view"):
                out["other"][f"{kind} {name}"] = [table, sql]
    return json.loads(json.dumps(out))  # tuples -> lists: comparable with a description read back from JSON


def _table(db: sqlite3.Connection, name: str, sql_of: dict) -> dict:
    quoted = _quote(name)
    indexes = [
        {"name": index, "unique": unique, "origin": origin, "partial": partial, "sql": sql_of.get(index),
         "columns": [c[2] for c in db.execute(f"PRAGMA index_xinfo({_quote(index)})") if c[5]]}
        for _, index, unique, origin, partial in db.execute(f"PRAGMA index_list({quoted})")]
    return {
        "definition": _definition(sql_of[name]),
        "columns": [row[1:6] for row in db.execute(f"PRAGMA table_info({quoted})")],
        "indexes": sorted(indexes, key=lambda i: i["name"]),
        "foreign_keys": sorted(row[2:] for row in db.execute(f"PRAGMA foreign_key_list({quoted})")),
        "rows": sorted(map(list, db.execute(f"SELECT * FROM {quoted}")), key=repr),
    }


def _definition(sql: str) -> list[str]:
    """The items of a ``CREATE TABLE`` (columns, constraints), whitespace collapsed, sorted: Prefect 2.20.26's
    migrations write a table's foreign-key constraints in a different order on every run (alembic's batch mode
    rebuilds the table from a set), so two migrated files differ in that order and nothing else."""
    body = sql[sql.index("(") + 1:sql.rindex(")")]
    items, depth, start, quoted = [], 0, 0, ""
    for at, char in enumerate(body):
        if quoted:
            quoted = "" if char == quoted else quoted
        elif char in "'\"":
            quoted = char
        elif char in "(,)":
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "," and depth == 0:
                items.append(body[start:at])
                start = at + 1
    return sorted(" ".join(item.split()) for item in [*items, body[start:]])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def migrate(path: Path) -> str:
    """Prefect's own migrations on ``path``, in this process (call before anything imports Prefect: its settings
    are read from the environment once). Returns the Prefect version."""
    home = tempfile.mkdtemp(prefix="restcontract-migrate-")
    os.environ.update({"PREFECT_HOME": home, "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{path}",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL"})
    from prefect.server.database.dependencies import provide_database_interface

    asyncio.run(provide_database_interface().create_db())
    return version("prefect")


def migrated(path: Path, python: str = sys.executable) -> str:
    """A database migrated by the Prefect of ``python`` (a child process: its own, clean settings); returns the
    Prefect version that made it."""
    return _child(python, "migrate", str(path))


def registered(path: Path, python: str = sys.executable) -> dict[str, str]:
    """``path``: the replayed, empty database of ``python``'s Prefect after that Prefect's start-up block
    registration (a child process); returns that environment's ``blocks_key``."""
    return json.loads(_child(python, "register", str(path)))


def _child(python: str, *args: str) -> str:
    """``python -m restcontract.server.template ARGS`` (clean Prefect settings); the last line it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    with tempfile.TemporaryDirectory(prefix="restcontract-path-") as shim:
        # this restcontract alone on the child's path: the folder it is installed in (site-packages, in a tox
        # environment) holds another Prefect, which the child would import instead of its own
        os.symlink(Path(__file__).resolve().parents[1], Path(shim) / "restcontract")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [shim, env.get("PYTHONPATH")]))
        done = subprocess.run([python, "-m", "restcontract.server.template", *args], env=env,
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} with {python} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def register(path: Path, timeout: float = 300.0) -> dict[str, str]:
    """In this process's environment: replay the empty database into ``path``, start the real server on it
    (``server.serve``, registering its blocks as on any first start) until ``GET /health`` answers, stop it.
    Returns ``blocks_key()``."""
    import httpx

    if build(path, blocks=False) is None:
        raise RuntimeError(f"Prefect {version('prefect')} has no schema file to replay")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_API_DATABASE_MIGRATE_ON_START"] = "false"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")]))
    home = tempfile.mkdtemp(prefix="restcontract-register-")
    server = subprocess.Popen([sys.executable, "-m", "restcontract.server.serve", "--port", str(port), "--home", home,
                               "--db-url", f"sqlite+aiosqlite:///{path}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        # one client for the whole poll: each httpx.get() builds an SSL context (~55 ms of CPU, a fifth of a poll)
        with httpx.Client(timeout=2) as client:
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    if client.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"the server registering the blocks did not answer (exit code {server.poll()})")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)
    return blocks_key()


def dump_blocks(db_path: Path, key: dict[str, str]) -> str:
    """The SQL that adds the rows of ``db_path`` (a replayed database after the block registration) to a replayed,
    empty one: every ``INSERT`` of sqlite3's iterdump but the ``alembic_version`` row."""
    with closing(sqlite3.connect(db_path)) as db:
        rows = [line for line in db.iterdump()
                if line.startswith("INSERT INTO ") and not line.startswith('INSERT INTO "alembic_version"')]
    header = [
        f"The rows Prefect {key['prefect']} registers at start-up (block types, schemas, references) in this",
        f"environment: key {json.dumps(key, sort_keys=True)}",
        "Made by `python -m restcontract.server.template blocks` (a real server started on a replayed database);",
        "replayed by restcontract.server.template.build; selftests/test_template_db.py proves them a registration's.",
    ]
    return "\n".join([HEADER + h for h in header] + ["BEGIN TRANSACTION;", *rows, "COMMIT;"]) + "\n"


def block_rows(db_path: Path) -> dict[str, list]:
    """Every row but ``alembic_version``'s, comparable between two registrations: without ``id``, ``created`` and
    ``updated``, a ``*_id`` column naming the row it points to by that row's other values, ``capabilities`` sorted
    (a block's set of them, which Prefect writes in the order of the set: two registrations differ in it)."""
    with closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if name != "alembic_version"]
        rows = {name: [dict(row) for row in db.execute(f"SELECT * FROM {_quote(name)}")] for name in tables}
    for row in (row for table in rows.values() for row in table if row.get("capabilities")):
        row["capabilities"] = sorted(json.loads(row["capabilities"]))
    drop = {"id", "created", "updated"}
    label = {row["id"]: json.dumps({k: v for k, v in row.items() if k not in drop and not k.endswith("_id")},
                                   sort_keys=True) for table in rows.values() for row in table if "id" in row}
    return {name: sorted(json.dumps({k: label.get(v, v) if k.endswith("_id") else v for k, v in row.items()
                                     if k not in drop}, sort_keys=True) for row in table)
            for name, table in rows.items() if table}


def write_blocks(out: Path | None = None) -> Path:
    """Register the blocks with the installed Prefect (``register``) and write this environment's blocks file;
    check that it replays to the same rows."""
    with tempfile.TemporaryDirectory(prefix="restcontract-blocks-") as tmp:
        source = Path(tmp) / "registered.db"
        key = register(source)
        target = out or blocks_path(key)
        target.write_text(dump_blocks(source, key), encoding="utf-8")
        replay = Path(tmp) / "replayed.db"
        build(replay, blocks=False)
        _replay(target, replay)
        if block_rows(replay) != block_rows(source):
            raise RuntimeError(f"{target} does not replay to the registered rows")
    return target


def write_dump(out: Path | None = None) -> Path:
    """Migrate a fresh file with the installed Prefect, write its schema file, and check that it replays
    to an identical database."""
    with tempfile.TemporaryDirectory(prefix="restcontract-dump-") as tmp:
        source = Path(tmp) / "migrated.db"
        prefect_version = migrated(source)
        target = out or dump_path(prefect_version)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(source, prefect_version), encoding="utf-8")
        replay = Path(tmp) / "replayed.db"
        _replay(target, replay)
        if describe(replay) != describe(source):
            raise RuntimeError(f"{target} does not replay to the migrated database")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restcontract.server.template")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="run Prefect's migrations on a new file").add_argument("path", type=Path)
    commands.add_parser("register", help="replay a new file, let the server register its blocks in it"
                        ).add_argument("path", type=Path)
    for name, what in (("dump", "schemas/prefect-<installed version>.sql"),
                       ("blocks", "schemas/blocks-prefect-<installed version>-<environment digest>.sql")):
        commands.add_parser(name, help=f"write {what}").add_argument("--out", type=Path, help="write here instead")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        print(migrate(args.path.resolve()))
    elif args.command == "register":
        print(json.dumps(register(args.path.resolve())))
    else:
        print((write_dump if args.command == "dump" else write_blocks)(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
