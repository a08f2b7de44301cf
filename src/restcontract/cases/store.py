"""Generated cases, kept: a fuzzing test whose cases were generated before gets the same cases again.

With a fixed seed (the default) schemathesis and Hypothesis generate exactly the same cases for
an operation on every run, and generating them is the harness's largest cost: 13-16 ms of CPU
per case, more than Prefect takes to answer one (docs/performance.md). So the first run stores
each test's cases, as the test function received them, and later runs feed the stored cases to
the test function without running Hypothesis. Everything after generation is the same on both
paths: references are filled from the live server, each case is sent, checked and recorded.

Key: a test's file is named by a digest of everything that decides its cases: the test's node
id and source, the operation, the whole document, the test's Hypothesis settings (budget,
phases, the ``ci`` profile Hypothesis loads under ``CI=true``) and its seed (derived from
``--seed``), the versions of schemathesis, Hypothesis and Python, restcontract's generation
settings (``cases.fuzzing.settings``) and format number (``GENERATION_FORMAT``, bumped when the
generator changes), and the schemathesis hooks and string formats registered in the process. Change any
of them and the test generates (and stores) afresh; nothing is ever invalidated by hand. Files are JSON,
never pickle: a cache restored in CI runs no code.

A test's cases are stored only when Hypothesis ran it to the end without an error, only if
every case survives the round trip through JSON (a body or metadata value JSON cannot hold is
generated every time), and only if the case is all Hypothesis draws for it (a test with its own
``@schema.given`` strategies generates every run). A stored file that cannot be read is ignored
and rewritten.

Stored cases hold no credentials: ``--api-key`` and ``--header`` values are added when a case is
sent (``ContractContext.call_case``), so a store can go into a shared CI cache.

Where: ``--case-cache DIR`` (default ``.restcontract_cache`` in pytest's rootdir; ``none``
generates every run). CI keeps it between runs like any other cache directory; a file no run
has replayed or stored for 30 days is deleted at the end of a run.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import hypothesis
import schemathesis
from hypothesis.errors import UnsatisfiedAssumption
from requests.structures import CaseInsensitiveDict
from schemathesis.core import NOT_SET, NotSet

from restcontract import compat
from restcontract.cases import fuzzing

if TYPE_CHECKING:
    import pytest

FORMAT = 1
UNUSED_DAYS = 30  # a stored test not replayed or stored for this long is deleted at the end of a run


class CaseCache:
    """The directory of stored cases, and how many tests used it (for the report)."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self.replayed = 0  # tests fed stored cases
        self.stored = 0  # tests whose generated cases were stored
        self._run_key: str | None = None

    @classmethod
    def from_option(cls, value: str, rootdir: Path) -> CaseCache:
        if value == "none":
            return cls(None)
        return cls(rootdir / ".restcontract_cache" if value == "auto" else Path(value))

    # -- keys ---------------------------------------------------------------------------------
    def run_key(self, document: dict, settings: dict) -> str:
        """What decides every test's cases in this process (computed once)."""
        if self._run_key is None:
            self._run_key = _digest({
                "format": FORMAT,
                "generation": fuzzing.GENERATION_FORMAT,
                "settings": settings,
                "schemathesis": schemathesis.__version__,
                "hypothesis": hypothesis.__version__,
                "python": list(sys.version_info[:2]),
                "document": _digest(document),
                "hooks": compat.registered_hooks(),
                "formats": compat.string_formats(),
            })
        return self._run_key

    def path_for(self, item: pytest.Item, document: dict, settings: dict) -> Path | None:
        label = getattr(item, "operation_label", None)
        test_function = getattr(item, "test_function", None)
        inner = compat.inner_test(getattr(item, "obj", None))
        if self.directory is None or label is None or test_function is None or inner is None:
            return None  # not a schemathesis test, or the cache is off
        try:
            source = inspect.getsource(test_function)
        except (OSError, TypeError):
            return None
        # the test's settings (budget, phases, CI profile) and seed decide the cases
        hypothesis_settings, seed = compat.hypothesis_settings_and_seed(item.obj)
        key = _digest({"run": self.run_key(document, settings), "test": item.nodeid, "operation": label,
                       "source": source, "settings": hypothesis_settings, "seed": seed})
        return self.directory / "cases" / f"{key}.json"

    # -- the test call ------------------------------------------------------------------------
    def run(self, item: pytest.Function, document: dict, settings: dict) -> bool:
        """Run a schemathesis test: from stored cases if there are any, else through Hypothesis
        (storing what it generated). False: not a test this cache handles (pytest runs it)."""
        path = self.path_for(item, document, settings)
        if path is None:
            return False
        inner = compat.inner_test(item.obj)
        fixtures = {name: item.funcargs[name] for name in compat.fixture_names(item)}
        stored = _load(path)
        if stored is not None:
            operation = compat.api_operation_of(item.obj)
            self.replayed += 1
            _touch(path)  # in use: not pruned
            for data in stored:
                try:
                    inner(**fixtures, case=decode(operation, data))
                except UnsatisfiedAssumption:
                    pass  # the test rejected this case (hypothesis.assume), as it did when generated
            return True
        recorded: list[dict] = []
        storable = True

        def recording(*args, **kwargs):
            nonlocal storable
            drawn = set(kwargs) - set(fixtures)  # what Hypothesis drew for this call
            data = encode(kwargs["case"]) if storable and not args and drawn == {"case"} else None
            if data is None:
                storable = False  # a case JSON cannot hold, or more than a case (@schema.given): generate every run
            else:
                recorded.append(data)
            return inner(*args, **kwargs)

        with compat.replaced_inner_test(item.obj, recording):
            item.obj(**fixtures)  # Hypothesis runs the test; an error or a skip leaves nothing stored
        if storable:
            _store(path, recorded)
            self.stored += 1
        return True

    def summary(self) -> dict | None:
        """For the report; None when no test of this process used the store (an xdist controller,
        ``-m guidelines``, ``--case-cache none``), so merged worker counts are not overwritten."""
        if self.directory is None or not (self.replayed or self.stored):
            return None
        return {"directory": str(self.directory), "replayed": self.replayed, "stored": self.stored}

    def prune(self) -> None:
        """Delete what no run has used for ``UNUSED_DAYS`` (old documents, old versions): a cache
        that CI restores and saves on every run does not grow without end."""
        if self.summary() is None:
            return
        cutoff = time.time() - UNUSED_DAYS * 86400
        for path in (self.directory / "cases").glob("*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass


# -- cases <-> JSON ---------------------------------------------------------------------------
def encode(case) -> dict | None:
    """A case as JSON-ready data (schemathesis's own metadata transport), or None if JSON
    cannot hold it exactly."""
    body = case.body
    if isinstance(body, NotSet):
        body_data = ["none"]
    elif isinstance(body, bytes):
        body_data = ["bytes", base64.b64encode(body).decode()]
    else:
        body_data = ["json", body]
    data = {
        "method": case.method,
        "path_parameters": case.path_parameters,
        "query": case.query,
        "headers": dict(case.headers),
        "cookies": case.cookies,
        "body": body_data,
        "media_type": case.media_type,
        "multipart_content_types": case.multipart_content_types,
        "meta": case.meta.to_dict() if case.meta is not None else None,
    }
    try:
        text = _dumps(data)
        back = json.loads(text)  # what a later run will read
        return back if _dumps(back) == text else None
    except (TypeError, ValueError):
        return None


def decode(operation, data: dict):
    kind, *value = data["body"]
    body = NOT_SET if kind == "none" else base64.b64decode(value[0]) if kind == "bytes" else value[0]
    return compat.make_case(
        operation,
        data["meta"],
        method=data["method"],
        path_parameters=data["path_parameters"],
        query=data["query"],
        headers=CaseInsensitiveDict(data["headers"]),
        cookies=data["cookies"],
        body=body,
        media_type=data["media_type"],
        multipart_content_types=data["multipart_content_types"],
    )


# -- helpers ----------------------------------------------------------------------------------
def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def _digest(value) -> str:
    return hashlib.sha256(_dumps(value).encode()).hexdigest()[:32]


def _load(path: Path) -> list[dict] | None:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(document, dict) or document.get("format") != FORMAT
            or not isinstance(document.get("cases"), list)):
        return None
    return document["cases"]


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _store(path: Path, cases: list[dict]) -> None:
    """Write atomically (xdist workers write side by side); a cache that cannot be written is
    not an error: the next run generates again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump({"format": FORMAT, "cases": cases}, handle, separators=(",", ":"))
        os.replace(temporary, path)
    except OSError:
        pass
