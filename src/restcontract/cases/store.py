"""Generated cases, kept: a fuzzing test whose cases were generated before gets the same cases again.

With a fixed seed (the default) schemathesis and Hypothesis generate exactly the same cases for
an operation on every run, and generating them is the harness's largest cost: 13-16 ms of CPU
per case, more than Prefect takes to answer one (docs/performance.md). So the first run stores
each test's cases, as the test function received them, and later runs feed the stored cases to
the test function without running Hypothesis. Everything after generation is the same on both
paths: references are filled from the live server, each case is sent, checked and recorded.

Key: a test's file is named by a digest of everything that decides its cases: the test (its file's
name and its name with parameters, not the folder: the suite run from a checkout and from the
installed wheel is the same test) and its source, the operation, the whole document, the test's
Hypothesis settings and its seed (derived from ``--seed``), the versions of schemathesis, Hypothesis
and Python (major.minor, and the Unicode database Python's string handling follows), restcontract's
generation settings (``cases.fuzzing.settings``) and format number (``GENERATION_FORMAT``, bumped when
the generator changes), and the schemathesis hooks and string formats registered in the process.
Change any of them and the test generates (and stores) afresh; nothing is ever invalidated by hand.
Two settings of the ``ci`` profile Hypothesis loads under ``CI=true`` are left out because they
cannot change a case: ``print_blob`` (what a failure prints) and, when the test has a seed (always,
unless schemathesis was given none), ``derandomize`` (a seed overrides it: ``hypothesis.core``'s
``get_random_for_wrapped_test``); measured, a run with ``CI=true`` generates byte for byte the cases
of one without. Files are JSON, never pickle: a cache restored in CI runs no code.

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

Shipped cases (``cases.shipped``): with the default store (``auto``), a test the store does not
hold is looked up in the read-only ``cases-<document>.json.gz`` shipped beside the checked-in
documents (``spec/``, and ``restcontract.documents`` in the wheel), made by ``python -m
restcontract.cases.ship``: a fresh clone, a CI job without a cache and the installed wheel replay
the default seed's cases instead of generating them. Found only when everything in the key matches;
otherwise the test generates exactly as without it. What is replayed from it is not copied into the
store (the shipped file is always there). An explicit ``--case-cache DIR`` is a store you manage and
is used alone (the self-tests rely on it to see generation).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import hypothesis
import schemathesis
from hypothesis.errors import UnsatisfiedAssumption
from requests.structures import CaseInsensitiveDict
from schemathesis.core import NOT_SET, NotSet

from restcontract import compat
from restcontract.cases import fuzzing, shipped
from restcontract.spec.document import packaged_documents

if TYPE_CHECKING:
    import pytest

FORMAT = 2  # 2: the test named without its folder, print_blob and a seeded test's derandomize out, Unicode in
UNUSED_DAYS = 30  # a stored test not replayed or stored for this long is deleted at the end of a run
# Hypothesis settings that cannot change a case (the ``ci`` profile switches them on): what a failure
# prints; and derandomize, which a seed overrides (left in the key for a test without one).
NO_EFFECT = re.compile(r"\bprint_blob=\w+(, )?")
SEED_OVERRIDES = re.compile(r"\bderandomize=\w+(, )?")


class CaseCache:
    """The directory of stored cases, the shipped ones, and how many tests used them (for the report)."""

    def __init__(self, directory: Path | None, shipped_in: list[Path | None] | None = None):
        self.directory = directory
        self.shipped_in = [p for p in shipped_in or [] if p is not None]  # folders of shipped cases, in order
        self.replayed = 0  # tests fed stored cases (the store's or the shipped ones)
        self.stored = 0  # tests whose generated cases were stored
        self.from_shipped = 0  # ... of the replayed, fed from the shipped file
        self._run_key: str | None = None
        self._shipped: shipped.Shipped | None = None
        self._shipped_looked_up = False

    @classmethod
    def from_option(cls, value: str, rootdir: Path) -> CaseCache:
        if value == "none":
            return cls(None)
        if value == "auto":  # the default store, then the cases shipped with the documents
            return cls(rootdir / ".restcontract_cache", shipped_in=[rootdir / "spec", packaged_documents()])
        return cls(Path(value))

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
                "unicode": unicodedata.unidata_version,
                "document": _digest(document),
                "hooks": compat.registered_hooks(),
                "formats": compat.string_formats(),
            })
        return self._run_key

    def key_for(self, item: pytest.Item, document: dict, settings: dict) -> str | None:
        """The digest of what decides ``item``'s cases; None for a test this cache does not handle."""
        label = getattr(item, "operation_label", None)
        test_function = getattr(item, "test_function", None)
        inner = compat.inner_test(getattr(item, "obj", None))
        if label is None or test_function is None or inner is None:
            return None  # not a schemathesis test
        try:
            source = inspect.getsource(test_function)
        except (OSError, TypeError):
            return None
        # the test's settings (budget, phases) and seed decide the cases
        hypothesis_settings, seed = compat.hypothesis_settings_and_seed(item.obj)
        return _digest({"run": self.run_key(document, settings), "test": named_test(item), "operation": label,
                        "source": source, "settings": deciding_settings(hypothesis_settings, seed), "seed": seed})

    def path_for(self, item: pytest.Item, document: dict, settings: dict) -> Path | None:
        key = self.key_for(item, document, settings) if self.directory is not None else None
        return None if key is None else self.directory / "cases" / f"{key}.json"

    def shipped_cases(self, key: str) -> list[dict] | None:
        """The shipped cases of the test ``key`` names, if a shipped file of this run's key holds them
        (looked up once, at the first test the store does not hold)."""
        if not self._shipped_looked_up and self._run_key is not None:
            self._shipped_looked_up = True
            self._shipped = shipped.find(self.shipped_in, self._run_key)
        return self._shipped.tests.get(key) if self._shipped is not None else None

    @property
    def shipped_file(self) -> Path | None:
        """The shipped file this run replays from (None: none looked up yet, or none matched)."""
        return self._shipped.path if self._shipped is not None else None

    # -- the test call ------------------------------------------------------------------------
    def run(self, item: pytest.Function, document: dict, settings: dict) -> bool:
        """Run a schemathesis test: from stored cases if there are any (the store's, else the shipped
        ones), else through Hypothesis (storing what it generated). False: not a test this cache
        handles (pytest runs it)."""
        path = self.path_for(item, document, settings)
        if path is None:
            return False
        fixtures = {name: item.funcargs[name] for name in compat.fixture_names(item)}
        stored = _load(path)
        if stored is not None:
            _touch(path)  # in use: not pruned
        elif (stored := self.shipped_cases(path.stem)) is not None:
            self.from_shipped += 1
        if stored is None:
            self._generate(item, fixtures, path)
            return True
        self.replayed += 1
        operation = compat.api_operation_of(item.obj)
        inner = compat.inner_test(item.obj)
        for data in stored:
            try:
                inner(**fixtures, case=decode(operation, data))
            except UnsatisfiedAssumption:
                pass  # the test rejected this case (hypothesis.assume), as it did when generated
        return True

    def _generate(self, item: pytest.Function, fixtures: dict, path: Path) -> None:
        """Hypothesis runs the test; its cases are stored if it ran to the end and JSON holds them all."""
        inner = compat.inner_test(item.obj)
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
            item.obj(**fixtures)  # an error or a skip leaves nothing stored
        if storable and not compat.broken_examples(item.obj):  # schemathesis raises for those after every run
            _store(path, recorded, self._run_key, item.nodeid)
            self.stored += 1

    def summary(self) -> dict | None:
        """For the report; None when no test of this process used the store (an xdist controller,
        ``-m guidelines``, ``--case-cache none``), so merged worker counts are not overwritten.
        ``shipped``: how many of the replayed tests were fed from ``shipped_file``."""
        if self.directory is None or not (self.replayed or self.stored):
            return None
        out = {"directory": str(self.directory), "replayed": self.replayed, "stored": self.stored}
        if self._shipped is not None:
            out |= {"shipped": self.from_shipped, "shipped_file": str(self.shipped_file)}
        return out

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


def named_test(item: pytest.Item) -> list[str]:
    """The test without the folder it was collected from: its file's name, and its name in that file
    (with its parameters): the same from a checkout (``tests/``) and from the wheel (``restcontract.suite``)."""
    return [Path(str(item.path)).name, item.nodeid.split("::", 1)[-1]]


def deciding_settings(text: str, seed) -> str:
    """``repr`` of a test's Hypothesis settings without those that cannot change its cases (``NO_EFFECT``;
    ``SEED_OVERRIDES`` when it has a seed): the same under Hypothesis's ``ci`` profile as without."""
    text = NO_EFFECT.sub("", text)
    return SEED_OVERRIDES.sub("", text) if seed is not None else text


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
    entry = read_entry(path)
    return None if entry is None else entry["cases"]


def read_entry(path: Path) -> dict | None:
    """A stored test's file: ``format``, ``run`` (the run key), ``test`` (its node id), ``cases``;
    None if it cannot be read or is of another format."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(document, dict) or document.get("format") != FORMAT
            or not isinstance(document.get("cases"), list)):
        return None
    return document


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _store(path: Path, cases: list[dict], run: str | None, test: str) -> None:
    """Write atomically (xdist workers write side by side); a cache that cannot be written is
    not an error: the next run generates again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump({"format": FORMAT, "run": run, "test": test, "cases": cases}, handle, separators=(",", ":"))
        os.replace(temporary, path)
    except OSError:
        pass
