"""Render a ``Report`` as text, markdown, json, junit XML, or GitHub Actions annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from restcontract.diff.model import Change, Level, Report


def summary_line(report: Report) -> str:
    counts = report.counts
    parts = ", ".join(f"{counts[level.name]} {level.name}" for level in sorted(Level, reverse=True))
    verdict = "FAIL" if report.exit_code else "ok"
    return f"{parts}, {counts['ignored']} ignored{live_summary(report)}; fail on {report.fail_on.name} and above: " \
           f"{verdict}"


def live_summary(report: Report) -> str:
    """``; live on URL: 12 confirmed, 3 not confirmed, 40 not probed`` (empty without --against)."""
    if not report.against:
        return ""
    counts = report.live_counts
    return (f"; live on {report.against}: {counts['confirmed']} confirmed, {counts['not_confirmed']} not confirmed, "
            f"{counts['not_probed']} not probed")


def live_text(change: Change) -> str:
    """``  [live: confirmed: why]`` for a probed change, else ``""``."""
    return f"  [live: {change.live.status}: {change.live.why}]" if change.live is not None else ""


def render_text(report: Report) -> str:
    lines = [f"restcontract diff {report.old} -> {report.new}"]
    for change in report.changes:
        tail = f"  [ignored: {change.reason or 'no reason given'}]" if change.ignored else ""
        lines.append(f"{change.level.name:<4} {change.rule}  {change.location}: {change.message}{tail}"
                     f"{live_text(change)}")
        if change.live is not None and change.live.request:
            lines += [f"       request: {change.live.request}", f"       answer:  {change.live.answer}"]
    lines += [f"note: ignore entry {entry} matched nothing" for entry in report.unused_ignores]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    counts = report.counts
    lines = [f"## API changes: `{report.old}` → `{report.new}`", "",
             "| Level | Changes |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in counts.items()]
    lines += ["", f"**{summary_line(report)}**"]
    for level in sorted(Level, reverse=True):
        group = [c for c in report.counted if c.level == level]
        if group:
            live = report.against and level == Level.ERR
            head = "| Rule | Location | Change |" + (" Live | Request | Answer |" if live else "")
            rule = "|---|---|---|" + ("---|---|---|" if live else "")
            lines += ["", f"### {level.name} ({len(group)})", "", head, rule]
            for c in group:
                row = f"| `{c.rule}` | `{_cell(c.location)}` | {_cell(c.message)} |"
                if live:
                    row += live_cells(c)
                lines.append(row)
    if report.ignored:
        lines += ["", f"### Ignored ({len(report.ignored)})", "", "| Rule | Location | Reason |", "|---|---|---|"]
        lines += [f"| `{c.rule}` | `{_cell(c.location)}` | {_cell(c.reason)} |" for c in report.ignored]
    return "\n".join(lines) + "\n"


def live_cells(change: Change) -> str:
    """`` status: why | `curl ...` | `answer` |`` for the Live, Request and Answer columns."""
    if change.live is None:
        return " | | |"
    request = f"`{_cell(change.live.request)}`" if change.live.request else ""
    answer = f"`{_cell(change.live.answer)}`" if change.live.answer else ""
    return f" {change.live.status}: {_cell(change.live.why)} | {request} | {answer} |"


def render_json(report: Report) -> str:
    document = {
        "old": report.old,
        "new": report.new,
        "fail_on": report.fail_on.name,
        "exit_code": report.exit_code,
        "summary": report.counts,
        **({"against": report.against, "live": report.live_counts} if report.against else {}),
        "changes": [c.as_dict() for c in report.changes],
        "unused_ignores": report.unused_ignores,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit(report: Report) -> str:
    """One test case per change: failed when at or above --fail-on, skipped when ignored."""
    failures = sum(1 for c in report.changes if report.failing(c))
    suite = ET.Element("testsuite", name="restcontract diff", tests=str(max(len(report.changes), 1)),
                       failures=str(failures), errors="0", skipped=str(len(report.ignored)))
    for change in report.changes:
        case = ET.SubElement(suite, "testcase", classname=change.rule, name=change.location)
        if change.live is not None:
            props = ET.SubElement(case, "properties")
            for name, value in change.live.as_dict().items():
                ET.SubElement(props, "property", name=name, value=value)
        if change.ignored:
            ET.SubElement(case, "skipped", message=f"ignored: {change.reason}")
        elif report.failing(change):
            failure = ET.SubElement(case, "failure", message=change.message, type=change.level.name)
            failure.text = f"{change.level.name} {change.rule} {change.location}: {change.message}{live_text(change)}"
        else:
            ET.SubElement(case, "system-out").text = f"{change.level.name}: {change.message}"
    if not report.changes:
        ET.SubElement(suite, "testcase", classname="restcontract.diff", name="no changes")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


GITHUB_COMMANDS = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(change: Change, file: str | None) -> str:
    props = ([f"file={_gh_property(file)}"] if file else []) + [f"title={_gh_property(change.rule)}"]
    text = f"{change.location}: {change.message}{live_text(change)}"
    if change.live is not None and change.live.request:
        text += f"\n{change.live.request}\n{change.live.answer}"
    return f"::{GITHUB_COMMANDS[change.level]} {','.join(props)}::{_gh_data(text)}"


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands; INFO changes are annotated only with --fail-on INFO."""
    file = None if report.new.startswith(("http://", "https://")) else report.new
    shown = min(report.fail_on, Level.WARN)
    lines = [github_annotation(c, file) for c in report.counted if c.level >= shown]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
}
