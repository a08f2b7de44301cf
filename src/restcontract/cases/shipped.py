"""Shipped cases: the default seed's generated cases of a checked-in document, shipped beside it.

``spec/cases-prefect-<version>.json.gz`` (``restcontract.documents`` in the wheel) holds, for the
document ``spec/prefect-<version>.json``, what the store (``cases.store``) holds after a generating run
of the suite's conformance tests with the default options: made by ``python -m restcontract.cases.ship``
(``tox -e cases``), read-only afterwards. A run with the default store (``--case-cache auto``) that
does not hold a test looks it up here, so a fresh clone, a CI job without a cache and the installed
wheel replay instead of generating.

The file is gzip'd JSON lines, never pickle: the first line is the header (``format``, ``run``: the
store's run key, which digests the document, the generation settings and the library versions;
``document``, ``tests``, ``versions``, the ``command`` that made it), then one line per test,
``{"key", "test", "cases"}``, sorted by test; ``key`` is the store's key of the test
(``CaseCache.key_for``). Only a file whose ``run`` is this process's run key is read whole, and a test
is replayed from it only when its own key is there: anything that decides the cases and differs makes
the test generate, as without the file. The cases are kept as generated, ``meta`` included (its
``generation.time`` differs from one generation to the next; nothing but a report reads it).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = 1
PATTERN = "cases-*.json.gz"


@dataclass
class Shipped:
    path: Path
    header: dict
    tests: dict[str, list[dict]] = field(default_factory=dict)  # key -> cases
    names: dict[str, str] = field(default_factory=dict)  # key -> the test's node id in the generating run


def name_for(document: Path) -> Path:
    """Where the shipped cases of ``document`` lie: beside it, ``cases-<its stem>.json.gz``."""
    return document.with_name(f"cases-{document.stem}.json.gz")


def find(folders: list[Path], run_key: str) -> Shipped | None:
    """The first shipped file in ``folders`` (in order) whose run key is ``run_key``, read whole."""
    seen: set[Path] = set()
    for folder in folders:
        try:
            resolved = folder.resolve()
            paths = sorted(folder.glob(PATTERN)) if resolved not in seen and folder.is_dir() else []
        except OSError:
            continue
        seen.add(resolved)
        for path in paths:
            header = read_header(path)
            if header is not None and header.get("run") == run_key:
                found = read(path)
                if found is not None:
                    return found
    return None


def read_header(path: Path) -> dict | None:
    """The first line only (a few hundred bytes decompressed); None if it is not a shipped file of this format."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    return header if isinstance(header, dict) and header.get("format") == FORMAT else None


def read(path: Path) -> Shipped | None:
    """The whole file; None if any of it cannot be read (a cut file is not half used)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            tests, names = {}, {}
            for line in handle:
                entry = json.loads(line)
                tests[entry["key"]], names[entry["key"]] = entry["cases"], entry["test"]
    except (OSError, EOFError, ValueError, zlib.error, KeyError, TypeError):
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT or len(tests) != header.get("tests"):
        return None
    return Shipped(path, header, tests, names)


def write(path: Path, header: dict, entries: list[dict]) -> None:
    """Write atomically: the header (with ``format`` and ``tests``), then the entries sorted by test."""
    header = {**header, "format": FORMAT, "tests": len(entries)}
    lines = [header, *sorted(entries, key=lambda entry: (entry["test"], entry["key"]))]
    data = "".join(json.dumps(line, sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n"
                   for line in lines).encode()
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                       compresslevel=9) as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
