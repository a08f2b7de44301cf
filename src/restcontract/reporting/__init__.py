"""Reports: one dictionary (``build``) rendered as JSON, terminal lines, HTML and markdown.

``build`` is the single source: every renderer reads the same numbers, so the terminal,
the JSON file, the HTML matrix and the PR comment never disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from restcontract.state import ACCEPTED, EXCLUDED, FAILED, PASSED

if TYPE_CHECKING:
    from restcontract.plugin import Harness

RAN = (PASSED, FAILED, ACCEPTED)


def ran_pairs(harness: "Harness") -> set[tuple[str, str]]:
    return {(op, check) for op, checks in harness.run.checks.items() for check, r in checks.items() if r in RAN}


def build(harness: "Harness") -> dict:
    run, spec = harness.run, harness.spec
    findings = run.unique_findings()
    operations = {}
    for op in spec.operations:
        entry = {"statuses": dict(sorted(run.statuses.get(op, {}).items())), "checks": dict(sorted(run.checks.get(op, {}).items()))}
        if op in run.reasons:
            entry["reason"] = run.reasons[op]
        operations[op] = entry
    tested = [op for op, e in operations.items() if any(r in RAN for r in e["checks"].values())]
    excluded = [op for op, e in operations.items() if e["checks"] and all(r == EXCLUDED for r in e["checks"].values())]
    with_2xx = sorted(run.with_2xx() & set(operations))
    seen = {f.fingerprint for f in findings}
    stale = harness.baseline.stale(seen, ran_pairs(harness))
    target = harness.target_info() if not harness.is_controller else (run.extra.get("target") or harness.target_info())
    return {
        "target": target,
        "operations": operations,
        "failures": [f.to_dict() for f in sorted(findings, key=lambda f: (f.operation, f.check, f.rule, f.fingerprint))],
        "summary": {
            "operations": len(operations),
            "tested": len(tested),
            "excluded": len(excluded),
            "with_2xx": len(with_2xx),
            "failures": len(findings),
            "new_failures": sum(1 for f in findings if not f.baselined),
            "accepted": sum(1 for f in findings if f.baselined),
            "stale_baseline": len(stale),
            "requests": run.requests,
        },
        "excluded": {op: run.reasons.get(op, "") for op in excluded},
        "without_2xx": sorted(op for op in tested if op not in with_2xx),
        "baseline": {"path": str(harness.baseline.path) if harness.baseline.path else None,
                     "stale": stale},
        "notes": list(run.notes),
        "extra": {k: v for k, v in run.extra.items() if k != "target"},
    }


def write_all(harness: "Harness") -> bool:
    """Write every requested report; return True when the gate must fail beyond test outcomes."""
    option = harness.option
    if option.update_baseline:
        harness.baseline.path = harness.baseline.path or harness.baseline_path()
        harness.baseline.write(harness.run.unique_findings(), ran_pairs(harness))
        for finding in harness.run.findings:
            finding.baselined = True
    report = build(harness)
    harness.report = report
    if option.contract_report:
        Path(option.contract_report).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if option.contract_html:
        from restcontract.reporting.html import render as render_html

        Path(option.contract_html).write_text(render_html(report), encoding="utf-8")
    if option.contract_markdown:
        from restcontract.reporting.markdown import render as render_markdown

        Path(option.contract_markdown).write_text(render_markdown(report), encoding="utf-8")
    return bool(option.strict_baseline and report["baseline"]["stale"])


def terminal_lines(harness: "Harness") -> list[str]:
    report = getattr(harness, "report", None) or build(harness)
    s = report["summary"]
    lines = ["", "=" * 20 + " restcontract " + "=" * 20]
    t = report["target"]
    where = "embedded Prefect" if t.get("embedded") else t.get("base_url")
    lines.append(f"target: {where} {t.get('server_version', '')}  spec: {t.get('spec')}")
    excluded = report["excluded"]
    text = f"{s['operations']} operations: {s['tested']} tested, {s['excluded']} excluded"
    if excluded:
        text += ": " + ", ".join(sorted(excluded))
    lines.append(text)
    lines.append(f"{s['with_2xx']} of {s['tested']} tested operations got a 2xx; {s['requests']} requests")
    lines.append(f"findings: {s['failures']} ({s['new_failures']} new, {s['accepted']} accepted by the baseline)"
                 + (f"; {s['stale_baseline']} stale baseline entries" if s["stale_baseline"] else ""))
    for note in report["notes"]:
        lines.append(f"note: {note}")
    return lines
