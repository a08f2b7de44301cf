"""Distinct findings by kind: restcontract vs ``schemathesis run --checks all``, on the same real Prefect.

    python bench/bench_oracles.py [--max-examples N] [--seed S] [--max-response-time SECONDS] [--paths /flows/ ...]
                                  [--keep DIR]

Runs, each on a fresh embedded Prefect 3.8.8 (``bench_parallel.on_fresh_server``: its own empty
SQLite database, so neither run meets the other's objects, logs or events):

1. restcontract, the whole contract suite: ``pytest tests --base-url ... --baseline none
   --allow-destructive --case-cache none --max-examples N --seed S --max-response-time T``;
2. the schemathesis CLI with every check: ``schemathesis run .../api/openapi.json --url .../api
   --checks all -n N --seed S --max-response-time T --exclude-path-regex '^/admin'
   --continue-on-failure`` (its default phases: examples, coverage, fuzzing, stateful), with its
   JSON report (requests: its generated test cases).

``--paths`` narrows both to the operations under these path prefixes (restcontract ``--operation
'/flows/*'``, schemathesis ``--include-path-regex``): the whole document takes each tool many
minutes on a loaded machine. The same budget: N generated cases per operation in the fuzzing phase,
the same seed and the same response-time bound; each tool's own coverage phase (restcontract's is
bounded: ``cases.fuzzing``). Distinct findings are each tool's own deduplication: restcontract's
fingerprints, schemathesis's unique failures (its JSON report's ``failures[].count``). A
restcontract conformance finding is counted under schemathesis's code for the same check
(``ST101``...); restcontract's other families have no schemathesis counterpart and are listed by
family and rule. Prints a markdown table and writes ``oracles.json`` into the work directory. One
run on a noisy 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_parallel import timed  # noqa: E402

# restcontract's conformance rules whose detail does not start with schemathesis's code (the oracles)
ORACLE_CODES = {"negative_data_rejection": "ST201", "positive_data_acceptance": "ST202", "max_response_time": "ST112"}
# restcontract's other rules that judge what a schemathesis check judges
FAMILY_CODES = {"methods/allow_mismatch": "ST205"}


def on_fresh_server(cmd_for, log: Path, env: dict, cwd: Path = ROOT) -> float:
    """``bench_parallel.on_fresh_server`` without the server's request counters (each tool reports its
    own; on a loaded machine the counters' 10 s read timed out): a fresh embedded Prefect, the command's
    wall time."""
    from restcontract.server.embedded import EmbeddedServer

    server = EmbeddedServer().start()
    try:
        server.wait_ready()
        _, wall = timed(cmd_for(server.base_url), log, dict(env, BENCH_BASE_URL=server.base_url), cwd)
    finally:
        server.stop()
    return wall


def restcontract_counts(report: dict) -> tuple[Counter, dict, dict]:
    """(key -> distinct findings, key -> operations, key -> kinds); key: an ST code or family/rule."""
    counts, operations, kinds = Counter(), defaultdict(set), defaultdict(Counter)
    for finding in report.get("failures", []):
        key = f"{finding['check']}/{finding['rule']}"
        key = FAMILY_CODES.get(key, key)
        if finding["check"] == "conformance":
            head = finding["detail"].split("|", 1)[0]
            key = ORACLE_CODES.get(finding["rule"]) or (head if head.startswith("ST") else key)
        counts[key] += 1
        operations[key].add(finding["operation"])
        kinds[key][finding["kind"]] += 1
    return counts, operations, kinds


def schemathesis_counts(report: dict) -> tuple[Counter, dict, dict]:
    counts, operations, titles = Counter(), defaultdict(set), {}
    for group in report.get("failures", []):
        counts[group["code"]] += group["count"]
        operations[group["code"]] |= set(group.get("operations") or [])
        titles[group["code"]] = group["title"]
    return counts, operations, titles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", "-n", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-response-time", type=float, default=2.0)
    parser.add_argument("--paths", nargs="+", default=[], metavar="PREFIX", help="only operations under these paths")
    parser.add_argument("--keep", metavar="DIR", help="keep logs and reports here")
    parser.add_argument("--report-only", action="store_true", help="only print the table of the reports in --keep DIR")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-oracles-"))
    work.mkdir(parents=True, exist_ok=True)

    st_report = work / "schemathesis.json"
    rc_report = work / "restcontract.json"
    if args.report_only:  # the table again from the reports of an earlier run kept in --keep DIR
        st_wall = rc_wall = 0.0
    else:
        st_wall, rc_wall = run_both(args, work, st_report, rc_report)
    return render(args, work, st_report, rc_report, st_wall, rc_wall)


def run_both(args, work: Path, st_report: Path, rc_report: Path) -> tuple[float, float]:
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    st_only = ["--include-path-regex", "^(" + "|".join(re.escape(p) for p in args.paths) + ")"] if args.paths else []
    rc_only = [arg for p in args.paths for arg in ("--operation", f"{p}*")]
    st_wall = on_fresh_server(
        lambda base: [schemathesis, "run", f"{base}/openapi.json", "--url", base, "--checks", "all",
                      "-n", str(args.max_examples), "--seed", str(args.seed),
                      "--max-response-time", str(args.max_response_time), "--exclude-path-regex", "^/admin",
                      "--generation-database", "none", "--no-color", "--continue-on-failure",
                      "--wait-for-schema", "120", "--request-timeout", "30", *st_only,
                      "--report", "json", "--report-json-path", str(st_report)],
        work / "schemathesis.log", dict(os.environ), cwd=work)  # its .schemathesis/ cache stays out of the project

    rc_wall = on_fresh_server(
        lambda base: [sys.executable, "-m", "pytest", "tests", "--base-url", base, "--contract-report", str(rc_report),
                      "--baseline", "none", "--allow-destructive", "--case-cache", "none",
                      "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                      "--max-response-time", str(args.max_response_time), *rc_only,
                      "-p", "no:cacheprovider", "-q", "--no-header"],
        work / "restcontract.log", dict(os.environ))
    return st_wall, rc_wall


def render(args, work: Path, st_report: Path, rc_report: Path, st_wall: float, rc_wall: float) -> int:
    rc_data = json.loads(rc_report.read_text())
    st_data = json.loads(st_report.read_text()) if st_report.exists() else {}
    rc, rc_ops, rc_kinds = restcontract_counts(rc_data)
    st, st_ops, titles = schemathesis_counts(st_data)
    rc_requests = rc_data.get("summary", {}).get("requests", 0)
    st_requests = (st_data.get("test_cases") or {}).get("generated", 0)  # its test cases (one request each)
    rows = []
    for key in sorted(set(rc) | set(st), key=lambda k: (not k.startswith("ST"), k)):
        rows.append({"kind": key, "title": titles.get(key, ""), "restcontract": rc.get(key, 0),
                     "restcontract_operations": len(rc_ops.get(key, ())),
                     "restcontract_kinds": dict(rc_kinds.get(key, {})),
                     "schemathesis": st.get(key, 0), "schemathesis_operations": len(st_ops.get(key, ()))})
    runs = {"restcontract": {"wall_s": round(rc_wall, 1), "requests": rc_requests, "findings": sum(rc.values())},
            "schemathesis": {"wall_s": round(st_wall, 1), "requests": st_requests, "findings": sum(st.values())}}
    if args.report_only:
        previous = work / "oracles.json"
        if previous.exists():  # the wall times of the run that made the reports
            for name, run in json.loads(previous.read_text())["runs"].items():
                runs[name]["wall_s"] = run["wall_s"]
    (work / "oracles.json").write_text(json.dumps({"args": vars(args), "runs": runs, "rows": rows}, indent=2))

    print(f"a fresh embedded Prefect 3.8.8 per tool, -n {args.max_examples}, seed {args.seed}, "
          f"--max-response-time {args.max_response_time}, paths {' '.join(args.paths) or 'all'}; "
          f"logs and reports in {work}")
    for name, run in runs.items():
        print(f"{name}: {run['findings']} distinct findings, {run['requests']} requests, {run['wall_s']} s")
    print("\n| kind | restcontract (operations) | schemathesis --checks all (operations) |\n|---|---|---|")
    for row in rows:
        label = f"{row['kind']} {row['title']}".strip()
        print(f"| {label} | {row['restcontract']} ({row['restcontract_operations']}) "
              f"| {row['schemathesis']} ({row['schemathesis_operations']}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
