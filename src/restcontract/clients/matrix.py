"""Every recorded client against every document: one markdown table (``restcontract compat --matrix``).

A row per recorded client version, a column per document (``prefect-*.json`` of a folder, oldest first).
A cell is the first call of the client that the document rejects (spec gaps of a version's own document
left out, ``compare.breaking``) and how many of its requests break, or ``ok``. A live server (``--against``)
adds a column: the recorded sequence replayed on it (``replay``), the first call it refused although the
recorded server accepted it, and how many.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from restcontract.clients.compare import breaking, is_gap, judge
from restcontract.clients.recording import load_recording, recorded_versions
from restcontract.clients.validate import Validator
from restcontract.spec import load_spec


def documents(folder: Path) -> list[Path]:
    """The ``prefect-X.Y.Z.json`` documents of ``folder``, oldest version first."""
    def key(path: Path) -> list[int]:
        return [int(x) for x in path.stem.split("-", 1)[1].split(".") if x.isdigit()]

    return sorted((p for p in folder.glob("prefect-*.json") if p.stem.split("-", 1)[1][:1].isdigit()), key=key)


def cell(report: dict) -> str:
    broken = breaking(report)
    gaps = sum(is_gap(r) for r in report["requests"])
    note = f" ({gaps} spec gaps)" if gaps else ""
    if not broken:
        return f"ok, 0 of {report['summary']['requests']}{note}"
    first = broken[0]
    return f"#{first['call']} `{first['method']} {first['path']}`: {len(broken)} of {report['summary']['requests']}"


def live_cell(recording: dict, sent: list) -> str:
    """The first call a live server refused (4xx/5xx, or no answer) that the recorded server had accepted,
    and how many it refused (later ones often follow from the first: an object never made is not found).
    The call named is the first refusal that is a cause: not a request naming an object an earlier refusal
    kept from the replay (``Sent.follows``), not a ``GET`` answered 404 (a lookup that found nothing: an
    object of another version, such as a block schema's checksum, which the real client then creates)."""
    refused = [(r, s) for r, s in zip(recording["requests"], sent, strict=False)
               if r["status"] < 400 and (s.status is None or s.status >= 400)]
    if not refused:
        return f"ok, 0 of {len(sent)}"
    causes = [r for r, s in refused if not s.follows and not (r["method"] == "GET" and s.status == 404)]
    first = (causes or [r for r, _ in refused])[0]
    where = (first.get("operation") or f"{first['method']} {first['path']}").split(" ", 1)[1]
    return f"#{first['call']} `{first['method']} {where}`: {len(refused)} of {len(sent)}"


def matrix(folder: Path, versions: list[str] | None = None, servers: dict[str, Callable] | None = None) -> str:
    """The markdown table (see the module docstring); ``servers``: a column name -> ``replay(recording)``
    giving that recording replayed on one live server (``replay.Sent``, in recorded order)."""
    versions = versions or recorded_versions()
    servers = servers or {}
    paths = documents(folder)
    specs = [load_spec(p) for p in paths]
    validators = [Validator(spec) for spec in specs]
    header = "| client \\ document | " + " | ".join([f"`{p.name}`" for p in paths] + list(servers)) + " |"
    lines = [header, "|---|" + "---|" * (len(paths) + len(servers))]
    for version in versions:
        recording = load_recording(version)
        cells = [cell(judge(recording, spec, validator=v)) for spec, v in zip(specs, validators, strict=True)]
        cells += [live_cell(recording, replay(recording)) for replay in servers.values()]
        row = f"Prefect {version} client ({len(recording['requests'])} requests)"
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
