"""Positive coverage, side by side: plain schemathesis vs restcontract on the same real Prefect.

    python bench/bench_coverage.py [--max-examples N] [--seed S] [--keep DIR]

Runs, each on a fresh embedded Prefect 3.8.8 (``bench_parallel.on_fresh_server``):

1. restcontract: ``pytest tests/test_contracts.py::test_conformance --base-url ... --contract-report``
   (``--allow-destructive``, so it tests the same bulk deletes schemathesis does);
2. the plain schemathesis CLI: ``schemathesis run .../api/openapi.json --url .../api -n N
   --seed S --exclude-path-regex '^/admin' --phases examples,fuzzing --continue-on-failure`` with a
   HAR report;

and prints for each: operations with a 2xx (of the operations it called), requests sent,
wall time, requests per second. Both runs use the same number of generated cases per
operation and the same phases, and each starts from an empty database (on a shared server
the second run would meet the first one's logs and events). One run on a noisy 2-core
machine: read ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_parallel import on_fresh_server  # noqa: E402
from restcontract.spec.document import default_spec_path, load_spec  # noqa: E402


def har_statuses(path: Path, spec) -> tuple[dict[str, Counter], int]:
    """Operation -> statuses, and the number of requests, from a schemathesis HAR report."""
    data = json.loads(path.read_text())
    statuses: dict[str, Counter] = {}
    requests = 0
    for entry in data.get("log", {}).get("entries", []):
        requests += 1
        url = urlsplit(entry["request"]["url"]).path
        route = url[len("/api"):] if url.startswith("/api/") else url
        operation = spec.match(entry["request"]["method"], route)
        if operation is not None:
            statuses.setdefault(operation, Counter())[str(entry["response"]["status"])] += 1
    return statuses, requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", "-n", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="keep logs and reports here")
    args = parser.parse_args()
    spec = load_spec(default_spec_path(ROOT / "spec"))
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-coverage-"))
    work.mkdir(parents=True, exist_ok=True)
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))

    rows = []
    har = work / "schemathesis.har"
    wall, _, _ = on_fresh_server(
        lambda base: [schemathesis, "run", f"{base}/openapi.json", "--url", base,
                      "-n", str(args.max_examples), "--seed", str(args.seed),
                      "--exclude-path-regex", "^/admin", "--phases", "examples,fuzzing",
                      "--generation-database", "none", "--no-color", "--continue-on-failure",
                      "--report", "har", "--report-har-path", str(har)],
        work / "schemathesis.log", dict(os.environ), cwd=work)  # its .schemathesis/ cache stays out of the project
    statuses, requests = har_statuses(har, spec)
    with_2xx = sum(1 for s in statuses.values() if any(k.startswith("2") for k in s))
    rows.append(("schemathesis CLI", with_2xx, len(statuses), requests, wall))

    report = work / "restcontract.json"
    wall, _, _ = on_fresh_server(
        lambda base: [sys.executable, "-m", "pytest", "tests/test_contracts.py::test_conformance", "--base-url", base,
                      "--contract-report", str(report), "--baseline", "none", "--allow-destructive",
                      "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                      "--case-cache", "none",  # generated, like the CLI's, not replayed from an earlier run
                      "-p", "no:cacheprovider", "-q", "--no-header"],
        work / "restcontract.log", dict(os.environ))
    data = json.loads(report.read_text())
    ops = {op: e["statuses"] for op, e in data["operations"].items() if e["statuses"]}
    with_2xx = sum(1 for s in ops.values() if any(k.startswith("2") for k in s))
    rows.append(("restcontract", with_2xx, len(ops), data["summary"]["requests"], wall))

    print(f"a fresh embedded Prefect 3.8.8 per tool, -n {args.max_examples}, seed {args.seed}, "
          f"phases examples+fuzzing; logs in {work}")
    print(f"{'tool':<18} {'ops with 2xx':>16} {'requests':>9} {'wall s':>8} {'req/s':>7}")
    for name, got, called, requests, wall in rows:
        share = f"{got}/{called} ({100 * got / called:.0f}%)" if called else "0/0"
        print(f"{name:<18} {share:>16} {requests:>9} {wall:>8.1f} {requests / wall:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
