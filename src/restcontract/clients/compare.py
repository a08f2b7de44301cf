"""One recorded client against one document (and a live server): the compat report as one dictionary.

``judge(recording, spec, live)`` gives ``{"client", "server", "summary": {"requests", "rejected",
"confirmed"}, "requests": [{"call", "method", "path", "verdict", "reasons", "live"}]}``: ``path`` is the
document's template without the API prefix, ``live`` ``{"status": N}`` or None. ``confirmed`` counts the
rejected requests (spec gaps left out) the live server refused too (a 4xx).

A request the document rejects although the server of the very version it describes accepted it when
the client was recorded is a gap of the document, not of the client: each of its reasons carries
``spec_gap``, why (``gap_reason``). The gaps the recording of a document's own version shows are the
document's, whichever client meets them (``document_gaps``: ``name: null`` on ``POST /flow_runs/``).
"""

from __future__ import annotations

import re
from pathlib import Path

from restcontract.clients.validate import Reason, Validator
from restcontract.spec import Spec


def document_version(spec: Spec) -> str:
    """``3.0.11`` for ``.../prefect-3.0.11.json``; else the document's ``info.version``."""
    match = re.search(r"prefect-(\d+\.\d+\.\d+)", Path(str(spec.source)).name)
    return match.group(1) if match else str(spec.document.get("info", {}).get("version", spec.source))


def gap_reason(reason: Reason, status: int, version: str) -> str:
    """Why a rejection by a version's own document is the document's gap."""
    accepted = f"the {version} server accepted it (HTTP {status} when recorded)"
    if "None is not of type" in reason.message:
        return f"{accepted}: the document leaves null out of a field whose model defaults to None"
    if reason.keyword == "type" and "is not of type 'string'" in reason.message:
        return f"{accepted}: the model also takes a number here (a duration in seconds) that the document types string"
    return accepted


def gap_key(path: str, method: str, reason: Reason) -> tuple[str, str, str]:
    """A rejection's identity across clients: the operation, the field (list indices erased), the keyword."""
    field, keyword = reason.field, reason.keyword
    return f"{method} {path}", re.sub(r"\.\d+(?=\.|$)", ".*", field), keyword


def document_gaps(spec: Spec, validator: Validator, version: str) -> dict[tuple[str, str, str], str]:
    """The gaps of a version's document that its own recorded client shows (none without a recording):
    what the document rejects although that version's server accepted it, by ``gap_key``."""
    from restcontract.clients.recording import load_recording, recorded_versions

    if version not in recorded_versions():
        return {}
    cached = getattr(validator, "gaps", None)
    if cached is not None:
        return cached
    gaps = {}
    for entry in load_recording(version)["requests"]:
        if entry.get("status", 500) < 300:
            found = validator.check(entry)
            for reason in found.reasons:
                key = gap_key(found.path, entry["method"], reason)
                gaps.setdefault(key, gap_reason(reason, entry["status"], version))
    validator.gaps = gaps  # a document's gaps are the same for every client a matrix judges
    return gaps


def verdict_of(validator: Validator, entry: dict, gaps: dict, own: bool, version: str) -> dict:
    """One request's entry of the report (``live`` left None)."""
    found = validator.check(entry)
    reasons = []
    for reason in found.reasons:
        out = reason.as_dict()
        gap = gaps.get(gap_key(found.path, entry["method"], reason))
        if own and entry.get("status", 500) < 300:
            gap = gap_reason(reason, entry["status"], version)
        if gap:
            out["spec_gap"] = gap
        reasons.append(out)
    return {"call": entry.get("call"), "method": entry["method"], "path": found.path, "verdict": found.verdict,
            "reasons": reasons, "live": None}


def judge(recording: dict, spec: Spec, live: list[int | None] | None = None,
          validator: Validator | None = None) -> dict:
    """The report of ``recording`` against ``spec``; ``live`` the replay's statuses, in recorded order."""
    validator = validator or Validator(spec)
    version = document_version(spec)
    own = str(recording.get("client")) == version
    gaps = document_gaps(spec, validator, version)
    requests = [verdict_of(validator, entry, gaps, own, version) for entry in recording["requests"]]
    if live is not None:
        for item, status in zip(requests, live, strict=False):
            item["live"] = {"status": status}
    rejected = [r for r in requests if r["verdict"] == "rejected"]
    confirmed = [r for r in rejected if not is_gap(r) and 400 <= ((r["live"] or {}).get("status") or 0) < 500]
    return {"client": recording.get("client"), "server": version,
            "summary": {"requests": len(requests), "rejected": len(rejected), "confirmed": len(confirmed)},
            "requests": requests}


def is_gap(item: dict) -> bool:
    """A rejected request every reason of which is a gap of the document."""
    return item["verdict"] == "rejected" and bool(item["reasons"]) and all("spec_gap" in r for r in item["reasons"])


def breaking(report: dict) -> list[dict]:
    """The rejected requests that are not gaps of the document, in call order."""
    return [r for r in report["requests"] if r["verdict"] == "rejected" and not is_gap(r)]
