"""Make the shipped cases of a document: ``python -m restcontract.cases.ship spec/prefect-3.8.8.json``.

Runs the suite's conformance tests (``pytest tests -m conformance``, or the installed
``restcontract.suite`` outside a checkout) with the default options against an embedded server, every
test generating into an empty store of its own (``--case-cache DIR``: nothing replayed, neither from
the user's store nor from a shipped file), then packs that store into ``spec/cases-<document>.json.gz``
(``cases.shipped``). Run it with the interpreter of the environment the cases are for: ``tox -e cases``
for Prefect 3.8.8; for the others, their contract environments' interpreters on the checkout's code
(once ``tox -e contract-prefect2`` made the environment: ``PYTHONPATH=src .tox/contract-prefect2/bin/python
-m restcontract.cases.ship spec/prefect-2.20.26.json``; ``contract-prefect30`` and ``spec/prefect-3.0.11.json``
likewise). Options after ``--`` go to pytest (``-- -n 2``). Exit 0 when the file was written.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import hypothesis
import schemathesis

from restcontract.cases import shipped, store
from restcontract.spec.document import load_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restcontract.cases.ship",
                                     description="generate a document's cases and ship them beside it")
    parser.add_argument("document", type=Path, help="the checked-in document, e.g. spec/prefect-3.8.8.json")
    parser.add_argument("--output", type=Path, help="default: cases-<document>.json.gz beside the document")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest options (e.g. -n 2)")
    args = parser.parse_args(argv)
    output = args.output or shipped.name_for(args.document)
    with tempfile.TemporaryDirectory(prefix="restcontract-ship-") as temporary:
        folder = Path(temporary)
        returncode = generate(args.document, folder / "store", folder / "report.json", args.pytest_args)
        if returncode not in (0, 1):  # 1: findings the baseline does not accept; the cases are stored all the same
            print(f"restcontract.cases.ship: the generating run ended with {returncode}", file=sys.stderr)
            return returncode
        try:
            run, entries = packed(folder / "store")
        except ValueError as exc:
            print(f"restcontract.cases.ship: {exc}", file=sys.stderr)
            return 1
        missing = not_stored(args.document, entries, json.loads((folder / "report.json").read_text()))
    shipped.write(output, header(args.document, run) | {"not_stored": missing}, entries)
    cases = sum(len(entry["cases"]) for entry in entries)
    print(f"restcontract.cases.ship: {len(entries)} tests, {cases} cases -> {output} ({output.stat().st_size:,} bytes)"
          + "".join(f"\n  not stored: {op}: {why}" for op, why in missing.items()))
    return 0


def generate(document: Path, directory: Path, report: Path, extra: list[str]) -> int:
    """The conformance tests of the suite, each generating into ``directory``."""
    suite = ["tests"] if Path("tests", "test_contracts.py").is_file() else ["--pyargs", "restcontract.suite"]
    command = [sys.executable, "-m", "pytest", *suite, "-m", "conformance", "--contract-spec", str(document),
               "--contract-case-cache", str(directory), "--contract-report", str(report),
               "-p", "no:cacheprovider", "-q", *extra]
    print("restcontract.cases.ship:", " ".join(command), flush=True)
    returncode = subprocess.run(command).returncode
    if report.is_file():
        cache = json.loads(report.read_text()).get("extra", {}).get("case_cache") or {}
        if cache.get("replayed"):
            raise SystemExit(f"restcontract.cases.ship: {cache['replayed']} tests replayed: the store was not empty")
    return returncode


def packed(directory: Path) -> tuple[str, list[dict]]:
    """The run key and the entries of a store one generating run filled."""
    runs, entries = set(), []
    for path in sorted((directory / "cases").glob("*.json")):
        entry = store.read_entry(path)
        if entry is None:
            raise ValueError(f"{path}: not a stored test of format {store.FORMAT}")
        runs.add(entry.get("run"))
        entries.append({"key": path.stem, "test": entry["test"], "cases": entry["cases"]})
    if len(runs) != 1 or None in runs:
        raise ValueError(f"expected the tests of one run, found run keys {sorted(map(str, runs))}")
    return runs.pop(), entries


def not_stored(document: Path, entries: list[dict], report: dict) -> dict[str, str]:
    """The document's operations whose conformance test stored nothing, and why (excluded, not served by
    this Prefect, skipped...): a run of the suite generates them, or does not run them, as without the file."""
    stored = {entry["test"].rpartition("[")[2].rstrip("]") for entry in entries}
    out = {}
    for operation in load_spec(document).operations:
        if operation not in stored:
            result = report.get("operations", {}).get(operation, {}).get("checks", {}).get("conformance")
            out[operation] = (report.get("excluded", {}).get(operation) or report.get("not_served", {}).get(operation)
                              or result or "not run")
    return out


def header(document: Path, run: str) -> dict:
    return {"run": run, "document": document.name,
            "versions": {"schemathesis": schemathesis.__version__, "hypothesis": hypothesis.__version__,
                         "python": sys.version.split()[0]},
            "command": f"python -m restcontract.cases.ship {document.as_posix()}"}


if __name__ == "__main__":
    sys.exit(main())
