"""Reports from saved results: ``restcontract report r.json [more.json ...] --html out.html --markdown out.md``.

``load`` reads a JSON report (``--contract-report``) and checks that it is one (bad input is one line,
``ReportError``). One report is rendered as it is. Several (one per server version, one per xdist-less
shard, ...) are merged into one report of the same shape, so every renderer reads it unchanged:

- ``runs``: one entry per input, in order: its label (``--label``, else the file's name), file, target
  and summary;
- an operation's ``statuses`` are summed, its result per check is the most telling of the runs' (failed
  over accepted over passed over skipped over excluded), and ``runs`` holds each run's own statuses and
  results;
- a finding (by fingerprint) is listed once with ``runs``, the runs that found it; it is accepted only
  if every run that found it accepted it; occurrences are summed;
- the summary is recomputed from the merged operations and findings; the outcome is the worst run's;
  notes are prefixed with their run's label; stale baseline entries are those of any run.
"""

from __future__ import annotations

import json
from pathlib import Path

from restcontract.errors import ContractError
from restcontract.reporting import outcome
from restcontract.run.results import (
    ACCEPTED,
    EXCLUDED,
    FAILED,
    NOT_APPLICABLE,
    NOT_SERVED,
    PASSED,
    RAN,
    SKIPPED,
    classify,
)

REQUIRED = {"summary": dict, "operations": dict, "failures": list}
# the most telling result first: a merged cell shows the first one any run had
RESULT_ORDER = (FAILED, ACCEPTED, PASSED, SKIPPED, EXCLUDED, NOT_SERVED, NOT_APPLICABLE)


class ReportError(ContractError):
    """A file given to ``restcontract report`` is not a restcontract JSON report."""


def load(path: str | Path) -> dict:
    """Read one JSON report; ``ReportError`` (one line) when it is missing, not JSON or not a report."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read: {exc}") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(report, dict):
        raise ReportError(f"{path}: not a restcontract report (a JSON {type(report).__name__}, expected an object)")
    for key, kind in REQUIRED.items():
        if not isinstance(report.get(key), kind):
            raise ReportError(f"{path}: not a restcontract report (no {key!r} {kind.__name__}; "
                              f"write one with pytest --contract-report)")
    for number, failure in enumerate(report["failures"], 1):
        if not isinstance(failure, dict) or not {"operation", "check", "fingerprint"} <= set(failure):
            raise ReportError(f"{path}: not a restcontract report (failure {number} has no operation, check "
                              f"and fingerprint)")
    return report


def labels_for(paths: list[str | Path], given: list[str] | None = None) -> list[str]:
    """One distinct label per input: the ones given (``--label``), else the file name without .json."""
    given = list(given or [])
    if len(given) > len(paths):
        raise ReportError(f"{len(given)} labels for {len(paths)} reports")
    labels = given + [Path(p).name.removesuffix(".json") for p in paths[len(given):]]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _best(results) -> str:
    results = [r for r in results if r]
    return min(results, key=lambda r: RESULT_ORDER.index(r) if r in RESULT_ORDER else len(RESULT_ORDER))


def merge(reports: list[dict], labels: list[str], files: list[str] | None = None) -> dict:
    """One report from several (see the module docstring); a single report comes back unchanged."""
    if len(reports) == 1:
        return reports[0]
    files = files or ["" for _ in reports]
    operations = _operations(reports, labels)
    failures = _findings(reports, labels)
    tested, not_served, excluded = classify(operations)  # as reporting.build
    with_2xx = _with_2xx(reports, tested)
    stale = _stale(reports)
    first, excluded_reasons = reports[0], _union(reports, "excluded")
    return {
        "target": dict(first.get("target") or {}, server_version=", ".join(
            dict.fromkeys(str((r.get("target") or {}).get("server_version") or "?") for r in reports))),
        "operations": dict(sorted(operations.items())),
        "failures": failures,
        "summary": _summary(reports, labels, operations, failures, (tested, not_served, excluded), with_2xx, stale),
        "excluded": {op: excluded_reasons.get(op, "") for op in sorted(excluded)},
        "not_served": {op: operations[op].get("reason", "") for op in sorted(not_served)},
        "without_2xx": {op: _first_reason(reports, op) for op in sorted(tested + excluded) if op not in with_2xx},
        "baseline": {"path": (first.get("baseline") or {}).get("path"), "stale": list(stale.values())},
        "notes": _notes(reports, labels),
        "extra": {},
        "server_errors": _union(reports, "server_errors"),
        "runs": [{"label": label, "file": str(file), "target": report.get("target") or {}, "summary": report["summary"]}
                 for label, report, file in zip(labels, reports, files, strict=True)],
    }


def _operations(reports: list[dict], labels: list[str]) -> dict[str, dict]:
    """Operation -> statuses summed, each check's most telling result, the first reason, and each run's own."""
    operations: dict[str, dict] = {}
    for label, report in zip(labels, reports, strict=True):
        for op, entry in report["operations"].items():
            merged = operations.setdefault(op, {"statuses": {}, "checks": {}, "runs": {}})
            for status, count in (entry.get("statuses") or {}).items():
                merged["statuses"][status] = merged["statuses"].get(status, 0) + count
            for check, result in (entry.get("checks") or {}).items():
                merged["checks"][check] = _best([merged["checks"].get(check), result])
            if entry.get("reason") and "reason" not in merged:
                merged["reason"] = entry["reason"]
            merged["runs"][label] = {"statuses": entry.get("statuses") or {}, "checks": entry.get("checks") or {}}
    for entry in operations.values():
        entry["statuses"] = dict(sorted(entry["statuses"].items()))
        entry["checks"] = dict(sorted(entry["checks"].items()))
    return operations


def _findings(reports: list[dict], labels: list[str]) -> list[dict]:
    """Each finding once (by fingerprint) with the runs that found it, occurrences summed, accepted only if
    every run that found it accepted it; sorted by operation, check, rule, fingerprint."""
    findings: dict[str, dict] = {}
    for label, report in zip(labels, reports, strict=True):
        for failure in report["failures"]:
            merged = findings.get(failure["fingerprint"])
            if merged is None:
                findings[failure["fingerprint"]] = dict(failure, runs=[label])
                continue
            merged["runs"].append(label)
            merged["occurrences"] = merged.get("occurrences", 1) + failure.get("occurrences", 1)
            merged["baselined"] = bool(merged.get("baselined")) and bool(failure.get("baselined"))
    return sorted(findings.values(), key=lambda f: (f["operation"], f["check"], f.get("rule", ""), f["fingerprint"]))


def _with_2xx(reports: list[dict], tested: list[str]) -> list[str]:
    """Tested operations some run tested and got a 2xx from (a run's with_2xx excludes its factories' calls)."""
    return sorted({op for r in reports for op, e in r["operations"].items()
                   if any(v in RAN for v in (e.get("checks") or {}).values())
                   and op not in (r.get("without_2xx") or {}) and op not in (r.get("not_served") or {})}
                  & set(tested))


def _stale(reports: list[dict]) -> dict[str, dict]:
    """Stale baseline entries of any run, by fingerprint, the first run's entry kept."""
    stale: dict[str, dict] = {}
    for report in reports:
        for entry in (report.get("baseline") or {}).get("stale") or []:
            stale.setdefault(entry.get("fingerprint", ""), entry)
    return stale


def _union(reports: list[dict], section: str) -> dict:
    """The runs' ``section`` dictionaries as one: for a key several runs have, the first run's value."""
    out: dict = {}
    for report in reports:
        for key, value in (report.get(section) or {}).items():
            out.setdefault(key, value)
    return out


def _first_reason(reports: list[dict], op: str) -> str:
    """Why ``op`` never got a 2xx: the first run that says."""
    return next((r["without_2xx"][op] for r in reports if (r.get("without_2xx") or {}).get(op)), "")


def _summary(reports, labels, operations, failures, classified, with_2xx, stale) -> dict:
    """The summary recomputed from the merged operations and findings; the outcome is the worst run's."""
    tested, not_served, excluded = classified
    summary = {
        "operations": len(operations),
        "tested": len(tested),
        "excluded": len(excluded),
        "not_served": len(not_served),
        "with_2xx": len(with_2xx),
        "failures": len(failures),
        "new_failures": sum(1 for f in failures if not f.get("baselined")),
        "accepted": sum(1 for f in failures if f.get("baselined")),
        "stale_baseline": len(stale),
        "requests": sum(int(r["summary"].get("requests", 0)) for r in reports),
    }
    worst = max((r["summary"].get("outcome")
                 or (outcome.NEW_FINDINGS if r["summary"].get("new_failures") else outcome.PASSED) for r in reports),
                key=lambda o: outcome.ORDER.index(o) if o in outcome.ORDER else 0)
    reasons = [f"{label}: {r['summary'].get('outcome_reason')}" for label, r in zip(labels, reports, strict=True)
               if r["summary"].get("outcome_reason")]
    summary["outcome"], summary["outcome_reason"] = worst, "; ".join(reasons)
    return summary


def _notes(reports: list[dict], labels: list[str]) -> list[str]:
    """What was merged, one line per run (its target and numbers), then each run's notes under its label."""
    notes = [f"merged {len(reports)} runs: " + ", ".join(labels)]
    for label, report in zip(labels, reports, strict=True):
        target, s = report.get("target") or {}, report["summary"]
        where = "embedded Prefect" if target.get("embedded") else target.get("base_url") or "?"
        notes.append(f"[{label}] {where} {target.get('server_version') or ''}".rstrip()
                     + f": {s.get('tested', 0)} tested, {s.get('requests', 0)} requests, "
                       f"{s.get('failures', 0)} findings ({s.get('new_failures', 0)} new)")
        notes += [f"[{label}] {note}" for note in report.get("notes") or []]
    return notes


USAGE = """usage: restcontract report REPORT.json [MORE.json ...] [--html OUT.html] [--markdown OUT.md]
                           [--json OUT.json] [--label NAME ...]

Render the HTML and markdown reports from saved JSON reports (pytest --contract-report); several reports
(one per server version, say) are merged into one that says which run each operation and finding came from.
  --html PATH       the single-file HTML report
  --markdown PATH   the markdown PR comment
  --json PATH       the (merged) JSON report
  --label NAME      a name for each input, in order (default: the file name without .json)"""


def main(argv: list[str]) -> int:
    """``restcontract report``: 0 when the reports are written, 4 on bad input (one line)."""
    import sys

    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 4
    try:
        inputs, outputs, labels = parse_args(argv)
        reports = [load(path) for path in inputs]
        report = merge(reports, labels_for(inputs, labels), inputs)
        for kind, text in render(report, outputs).items():
            try:
                Path(outputs[kind]).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise ReportError(f"{outputs[kind]}: cannot be written: {exc.strerror or exc}") from None
    except ContractError as exc:
        print(f"restcontract report: {exc}", file=sys.stderr)
        return 4
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a report that passed load() but not its shape
        print(f"restcontract report: not a restcontract report ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 4
    s = report["summary"]
    print(f"restcontract report: {len(inputs)} report(s), {s['operations']} operations, {s['failures']} findings "
          f"({s['new_failures']} new) -> " + ", ".join(outputs.values()))
    return 0


def parse_args(argv: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """The inputs, the outputs (kind -> path) and the labels; ``ReportError`` (one line) for bad arguments."""
    inputs, outputs, labels = [], {}, []
    args = iter(argv)
    for arg in args:
        if arg in ("--html", "--markdown", "--json", "--label"):
            value = next(args, None)
            if value is None or value.startswith("--"):
                raise ReportError(f"{arg} needs a value")
            if arg == "--label":
                labels.append(value)
            else:
                outputs[arg[2:]] = value
        elif arg.startswith("-"):
            raise ReportError(f"unknown option {arg!r} (see restcontract report --help)")
        else:
            inputs.append(arg)
    if not inputs:
        raise ReportError("no JSON report given")
    if not outputs:
        raise ReportError("nothing to write: give --html, --markdown or --json")
    return inputs, outputs, labels


def render(report: dict, outputs: dict[str, str]) -> dict[str, str]:
    """Each requested kind (html, markdown, json) -> the report rendered as it."""
    rendered = {}
    if "html" in outputs:
        from restcontract.reporting.html import render as render_html

        rendered["html"] = render_html(report)
    if "markdown" in outputs:
        from restcontract.reporting.markdown import render as render_markdown

        rendered["markdown"] = render_markdown(report)
    if "json" in outputs:
        rendered["json"] = json.dumps(report, indent=2, sort_keys=True) + "\n"
    return rendered
