"""Stage 9, reporting: one dictionary (``build``) rendered as JSON, terminal lines, HTML and markdown.

``build`` is the single source: every renderer reads the same numbers, so the terminal, the JSON file,
the HTML matrix and the PR comment never disagree. ``model`` (every field of the JSON report declared),
``outcome`` (passed, new findings, interrupted, target unusable: one word and one reason), ``html`` (the
single-file HTML report), ``markdown`` (the PR comment), ``junit`` (the outcome in pytest's JUnit XML),
``merge`` (``restcontract report``: saved reports rendered, several merged into one).

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases, run, checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from restcontract.reporting import outcome
from restcontract.run.results import RAN, by_reason, classify

if TYPE_CHECKING:
    from restcontract.run.harness import Harness

def ran_pairs(harness: Harness) -> set[tuple[str, str]]:
    return {(op, check) for op, checks in harness.results.checks.items() for check, r in checks.items() if r in RAN}


def unreached_pairs(harness: Harness) -> set[tuple[str, str]]:
    """(operation, family) pairs a whole run of the families that ran would have given a result and this
    one did not (deselected, or the run stopped first): baseline entries covering them are not judged."""
    from restcontract.checks.registry import FAMILIES

    settled = {(op, check) for op, checks in harness.results.checks.items() for check in checks}
    out = set()
    for name in {check for _, check in settled}:
        family = FAMILIES.get(name)
        if family is None or family.scope == "run":
            continue
        operations = family.operations(harness.spec) if family.operations else harness.spec.operations
        out |= {(op, name) for op in operations} - settled
    return out


def build(harness: Harness) -> dict:
    run, spec = harness.results, harness.spec
    findings = run.unique_findings()
    operations = {}
    for op in spec.operations:
        entry = {"statuses": dict(sorted(run.statuses.get(op, {}).items())),
                 "checks": dict(sorted(run.checks.get(op, {}).items()))}
        if op in run.reasons:
            entry["reason"] = run.reasons[op]
        operations[op] = entry
    tested, not_served, excluded = classify(operations)
    with_2xx = sorted(run.with_2xx() & set(tested))  # of the tested operations (factories' calls do not count)
    stale = harness.baseline.stale(findings, ran_pairs(harness), unreached_pairs(harness))
    target = harness.target_info() if not harness.is_controller else (run.extra.get("target") or harness.target_info())
    report = {
        "target": target,
        "operations": operations,
        "failures": [f.to_dict()
                     for f in sorted(findings, key=lambda f: (f.operation, f.check, f.rule, f.fingerprint))],
        "summary": {
            "operations": len(operations),
            "tested": len(tested),
            "excluded": len(excluded),
            "not_served": len(not_served),
            "with_2xx": len(with_2xx),
            "failures": len(findings),
            "new_failures": sum(1 for f in findings if not f.baselined),
            "accepted": sum(1 for f in findings if f.baselined),
            "stale_baseline": len(stale),
            "requests": run.requests,
        },
        "excluded": {op: run.reasons.get(op, "") for op in excluded},
        "not_served": {op: run.reasons.get(op, "") for op in not_served},
        "without_2xx": _without_2xx(harness, operations, [op for op in tested + excluded if op not in with_2xx],
                                    excluded, run),
        "baseline": {"path": str(harness.baseline.path) if harness.baseline.path else None,
                     "stale": stale},
        "notes": list(run.notes),
        "extra": {k: v for k, v in run.extra.items() if k != "target"},
        "server_errors": server_errors(findings),
    }
    summary = report["summary"]
    summary["outcome"], summary["outcome_reason"] = outcome.decide(
        summary, ended=getattr(harness, "ended", None), exitstatus=getattr(harness, "exitstatus", 0),
        tests_failed=getattr(harness, "tests_failed", 0), strict_baseline=harness.options.strict_baseline,
        notes=report["notes"], judged=getattr(harness, "tests_judged", None))
    return report


def server_errors(findings) -> dict[str, dict]:
    """5xx findings grouped by the server-side cause, across operations: one bug, one group.

    The key is the exception type and its normalized message (not the frame: one bug reached
    through several routes fails in different callers); without a server-side record
    (a server not run by ``restcontract.serve``) the key is the status alone."""
    from restcontract.server.records import normalize

    groups: dict[str, dict] = {}
    for f in sorted(findings, key=lambda f: (f.operation, f.rule, f.fingerprint)):
        status = (f.extra or {}).get("status")
        if not isinstance(status, int) or status < 500:
            continue
        err = f.server_error or {}
        key = (f"{err['type']}: {normalize(err.get('message', ''))}" if err.get("type")
               else f"HTTP {status} (no server-side record)")
        group = groups.setdefault(key, {"count": 0, "operations": [], "frames": [], "fingerprints": [],
                                        "message": err.get("message", ""), "reproduce": f.reproduce})
        group["count"] += f.occurrences
        group["fingerprints"].append(f.fingerprint)
        if f.operation not in group["operations"]:
            group["operations"].append(f.operation)
        if err.get("frame") and err["frame"] not in group["frames"]:
            group["frames"].append(err["frame"])
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]["operations"]), kv[0])))


def _without_2xx(harness: Harness, operations: dict, without: list[str], excluded: list[str], run) -> dict[str, str]:
    """Tested operations that never got a 2xx -> the reason the harness believes (``restcontract.objects.graph``)."""
    from restcontract.objects.graph import never_2xx_reasons

    return never_2xx_reasons(harness.graph, operations, sorted(without),
                             {op: run.reasons.get(op, "") for op in excluded})


def write_all(harness: Harness) -> bool:
    """Write every requested report; return True when the gate must fail beyond test outcomes."""
    options = harness.options
    if options.update_baseline:
        harness.baseline.path = harness.baseline.path or harness.baseline_path()
        harness.baseline.write(harness.results.unique_findings(), ran_pairs(harness), unreached_pairs(harness))
        for finding in harness.results.findings:
            finding.baselined = True
    report = build(harness)
    harness.report = report
    if options.report:
        Path(options.report).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if options.html:
        from restcontract.reporting.html import render as render_html

        Path(options.html).write_text(render_html(report), encoding="utf-8")
    if options.markdown:
        from restcontract.reporting.markdown import render as render_markdown

        Path(options.markdown).write_text(render_markdown(report), encoding="utf-8")
    return bool(options.strict_baseline and report["baseline"]["stale"])


def terminal_lines(harness: Harness) -> list[str]:
    report = getattr(harness, "report", None) or build(harness)
    s = report["summary"]
    lines = ["", "=" * 20 + " restcontract " + "=" * 20]
    t = report["target"]
    where = "embedded Prefect" if t.get("embedded") else t.get("base_url")
    if not s["requests"] and not t.get("server_version"):
        where = "none"
    lines.append(f"target: {where} {t.get('server_version', '')}  spec: {t.get('spec')}")
    excluded = report["excluded"]
    text = (f"{s['operations']} operations: {s['tested']} tested, "
            + (f"{s['not_served']} not served, " if s.get("not_served") else "") + f"{s['excluded']} excluded")
    if excluded:
        text += ": " + ", ".join(sorted(excluded))
    lines.append(text)
    lines += not_served_lines(report.get("not_served") or {})
    if s["requests"]:  # a run of the document-only families (guidelines) sends nothing
        share = f" ({100 * s['with_2xx'] / s['tested']:.1f}%)" if s["tested"] else ""
        lines.append(f"{s['with_2xx']} of {s['tested']} tested operations got a 2xx{share}; {s['requests']} requests")
        for op, reason in sorted(report.get("without_2xx", {}).items()):
            lines.append(f"  never 2xx: {op}: {reason}")
    else:
        lines.append("no requests sent (document-only checks)")
    cache = report["extra"].get("case_cache")  # present when a fuzzing test used the store
    if cache:
        shipped = cache.get("shipped")
        lines.append(f"cases: {cache['replayed']} fuzzing test(s) replayed the cases they generated before"
                     + (f" ({shipped} from {Path(cache['shipped_file']).name})" if shipped else "")
                     + f", {cache['stored']} generated theirs and stored them ({cache['directory']})")
    lines.append(f"findings: {s['failures']} ({s['new_failures']} new, {s['accepted']} accepted by the baseline)"
                 + (f"; {s['stale_baseline']} stale baseline entries" if s["stale_baseline"] else ""))
    groups = report.get("server_errors", {})
    if groups:
        lines.append(f"server errors: {len(groups)} distinct cause(s) behind the 5xx findings")
        for key, group in groups.items():
            ops = group["operations"]
            lines.append(f"  {key} -- {len(ops)} operation(s), {group['count']} answer(s): "
                         + ", ".join(ops[:4]) + (f", +{len(ops) - 4} more" if len(ops) > 4 else ""))
            if group["frames"]:
                lines.append(f"    at {group['frames'][0]}")
    for note in report["notes"]:
        lines.append(f"note: {note}")
    lines.append(outcome.line(s))
    return lines


def not_served_lines(not_served: dict[str, str]) -> list[str]:
    """``  not served: op, op: reason``, one line per reason (the operations of one feature)."""
    return [f"  not served: {', '.join(ops)}: {reason}" for reason, ops in by_reason(not_served).items()]
