"""A markdown summary short enough for a PR comment (at most ~60 lines, no links).

Counts, the first new findings (operation, check/rule, kind, one-line message), the first
stale baseline entries, and run notes. The full detail lives in the HTML and JSON reports.
URLs are kept inside code spans so that nothing renders as a link.
"""

from __future__ import annotations

import re

from restcontract.reporting import outcome
from restcontract.run.results import by_reason

MAX_FINDINGS = 20
MAX_STALE = 8
MAX_NOTES = 4
MAX_MESSAGE = 110


def _cell(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("|", "\\|").replace("`", "'")
    # no autolinks; a URL's trailing punctuation stays outside the code span
    return re.sub(r"(?:(?:https?|ftp)://|www\.)\S*[^\s.,:;!?)]", lambda m: f"`{m.group(0)}`", text)


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


# outcome -> the heading's mark (restcontract.reporting.outcome); only a run that passed gets the green one
MARKS = {outcome.PASSED: "✅", outcome.NEW_FINDINGS: "❌", outcome.INTERRUPTED: "⚠️", outcome.TARGET_UNUSABLE: "⛔",
         outcome.ERROR: "⛔"}


def heading(summary: dict, new: int) -> str:
    """``✅ passed: no findings``, ``❌ 3 new finding(s)``, ``⚠️ interrupted: why``, ``⛔ target unusable: why``."""
    result = summary.get("outcome") or (outcome.NEW_FINDINGS if new else outcome.PASSED)
    reason = _cell(summary.get("outcome_reason") or "", 160)
    if result == outcome.NEW_FINDINGS and new:
        return f"{MARKS[result]} {new} new finding(s)"
    return f"{MARKS[result]} {outcome.LABELS[result]}" + (f": {reason}" if reason else "")


def render(report: dict) -> str:
    """The PR comment: the outcome, the target, the numbers, then what a reviewer must look at."""
    s = report["summary"]
    target = report.get("target") or {}
    # server defects first: they are the ones a reviewer must not miss
    new = sorted((f for f in report.get("failures", []) if not f.get("baselined")),
                 key=lambda f: (f.get("kind") != "server_defect", f["operation"], f["check"], f["rule"]))
    lines = [f"### restcontract: {heading(s, len(new))}", ""]
    where = "embedded Prefect" if target.get("embedded") else _code(target.get("base_url", ""))
    version = f" {target['server_version']}" if target.get("server_version") else ""
    baseline = (report.get("baseline") or {}).get("path")
    lines.append(f"Target: {where}{version} · spec {_code(target.get('spec', ''))} · "
                 + (f"baseline {_code(baseline)}" if baseline else "no baseline"))
    lines += ["",
              "| operations | tested | excluded | tested with 2xx | requests | new | accepted | stale baseline |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|",
              f"| {s['operations']} | {s['tested']} | {s['excluded']} | {s['with_2xx']} | {s['requests']} "
              f"| {s['new_failures']} | {s['accepted']} | {s['stale_baseline']} |", ""]
    for why, ops in by_reason(report.get("not_served") or {}).items():  # what the server said it does not serve
        lines += [f"**Not served** ({len(ops)}, not counted as tested): {', '.join(_code(op) for op in ops)}: "
                  f"{_cell(why, 200)}", ""]
    lines += _runs(report.get("runs") or [])
    lines += _new_findings(new)
    lines += _stale((report.get("baseline") or {}).get("stale") or [])
    notes = report.get("notes") or []
    for note in notes[:MAX_NOTES]:
        lines.append(f"> {_cell(note, 200)}")
    if len(notes) > MAX_NOTES:
        lines.append(f"> … and {len(notes) - MAX_NOTES} more notes")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def _runs(runs: list[dict]) -> list[str]:
    """A merged report (restcontract.reporting.merge): one row per run; nothing for a single run."""
    if not runs:
        return []
    lines = ["| run | target | tested | requests | new | accepted |", "|---|---|---:|---:|---:|---:|"]
    for run in runs[:MAX_STALE]:
        t, rs = run.get("target") or {}, run.get("summary") or {}
        where = _code("embedded" if t.get("embedded") else t.get("base_url") or "?")
        lines.append(f"| {_cell(run.get('label', ''), 40)} | {where} "
                     f"{_cell(t.get('server_version') or '', 20)} | {rs.get('tested', 0)} | {rs.get('requests', 0)} "
                     f"| {rs.get('new_failures', 0)} | {rs.get('accepted', 0)} |")
    return lines + [""]


def _new_findings(new: list[dict]) -> list[str]:
    """The first ``MAX_FINDINGS`` new findings, one row each, and how to accept one."""
    if not new:
        return []
    shown = new[:MAX_FINDINGS]
    lines = [f"**New findings** ({len(new)}" + (f", first {len(shown)}" if len(new) > len(shown) else "") + ")",
             "", "| operation | check | kind | message |", "|---|---|---|---|"]
    for f in shown:
        first = " — ".join(line.strip() for line in (f.get("message") or "").splitlines()[:2] if line.strip())
        if f.get("runs"):  # a merged report: the runs that found it
            first = f"[{', '.join(f['runs'])}] {first}"
        lines.append(f"| {_code(f['operation'])} | {_cell(f['check'] + '/' + f['rule'], 60)} "
                     f"| {_cell(f['kind'].replace('_', ' '), 20)} | {_cell(first)} |")
    return lines + ["", "Accept a deviation by adding its fingerprint to the baseline with a reason "
                        "(`--update-baseline`, then edit the `UNREVIEWED` reasons).", ""]


def _stale(stale: list[dict]) -> list[str]:
    """The first ``MAX_STALE`` stale baseline entries: accepted deviations that no longer reproduce."""
    if not stale:
        return []
    shown = stale[:MAX_STALE]
    lines = [f"**Stale baseline entries** ({len(stale)}"
             + (f", first {len(shown)}" if len(stale) > len(shown) else "")
             + "): accepted deviations that no longer reproduce; remove them.", ""]
    for e in shown:
        lines.append(f"- {_code(e.get('fingerprint', ''))} {_code(e.get('operation', ''))} "
                     f"{_cell(e.get('check', '') + '/' + e.get('rule', ''), 60)}: {_cell(e.get('summary', ''), 90)}")
    return lines + [""]
