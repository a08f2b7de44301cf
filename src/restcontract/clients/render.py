"""The compat report (``compare.judge``) as text, markdown or JSON: ``RENDERERS[format](report, recording)``."""

from __future__ import annotations

import json

from restcontract.clients.compare import breaking, is_gap


def live_text(item: dict) -> str:
    live = item["live"]
    if live is None:
        return ""
    return f"; live {live['status']}" if live["status"] is not None else "; live: no answer"


def reasons_text(item: dict) -> str:
    return "; ".join(f"{r['field']} {r['keyword']}" + (" [spec gap]" if "spec_gap" in r else "")
                     for r in item["reasons"])


def summary_line(report: dict) -> str:
    summary, gaps = report["summary"], sum(is_gap(r) for r in report["requests"])
    live = any(r["live"] is not None for r in report["requests"])
    return (f"{summary['requests']} requests, {summary['rejected']} rejected ({gaps} of them spec gaps of the "
            f"document)" + (f", {summary['confirmed']} confirmed live" if live else ""))


def surprising(item: dict, recorded: int | None) -> bool:
    """A live answer of another class than the recorded one (a 4xx where the client got a 2xx, no answer)."""
    live = item["live"]
    return live is not None and (live["status"] is None or recorded is None or live["status"] // 100 != recorded // 100)


def text(report: dict, recording: dict | None = None) -> str:
    """Rejected requests, and those the live server answered otherwise than when the client was recorded."""
    recorded = [r.get("status") for r in (recording or {}).get("requests", [])]
    recorded += [None] * (len(report["requests"]) - len(recorded))
    lines = [f"client {report['client']} against server {report['server']}"]
    for item, status in zip(report["requests"], recorded, strict=False):
        if item["verdict"] == "rejected" or surprising(item, status):
            lines.append(f"#{item['call']} {item['method']} {item['path']}: {item['verdict']}"
                         + (f" ({reasons_text(item)})" if item["reasons"] else "") + live_text(item)
                         + (f" (recorded {status})" if surprising(item, status) and status else ""))
            lines += [f"    spec gap: {r['spec_gap']}" for r in item["reasons"] if "spec_gap" in r][:1]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def markdown(report: dict, recording: dict | None = None) -> str:
    """A summary line, a table of the rejected requests (reasons, spec gap, live status), the first break."""
    live = any(r["live"] is not None for r in report["requests"])
    lines = [f"## Prefect client {report['client']} against the {report['server']} document", "",
             summary_line(report), ""]
    shown = [r for r in report["requests"] if r["verdict"] == "rejected"]
    if shown:
        lines += ["| call | request | reasons | spec gap |" + (" live |" if live else ""),
                  "|---|---|---|---|" + ("---|" if live else "")]
        for item in shown:
            reasons = "<br>".join(f"`{r['field']}` {r['keyword']}" for r in item["reasons"])
            gap = "yes" if is_gap(item) else ""
            status = (item["live"] or {}).get("status", "") if live else None
            lines.append(f"| #{item['call']} | `{item['method']} {item['path']}` | {reasons} | {gap} |"
                         + (f" {status} |" if live else ""))
    first = next(iter(breaking(report)), None)
    if first is not None:
        lines += ["", f"First call that breaks: #{first['call']} `{first['method']} {first['path']}`."]
    return "\n".join(lines) + "\n"


def as_json(report: dict, recording: dict | None = None) -> str:
    return json.dumps(report, indent=2) + "\n"


RENDERERS = {"text": text, "json": as_json, "markdown": markdown}
