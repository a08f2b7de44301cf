"""Every recorded client against every document: one markdown table (``restcontract compat --matrix``).

A row per recorded client version, a column per document (``prefect-*.json`` of a folder, oldest first).
A cell is the first call of the client that the document rejects (spec gaps of a version's own document
left out, ``compare.breaking``) and how many of its requests break, or ``ok``.
"""

from __future__ import annotations

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


def matrix(folder: Path, versions: list[str] | None = None) -> str:
    """The markdown table (see the module docstring)."""
    versions = versions or recorded_versions()
    paths = documents(folder)
    specs = [load_spec(p) for p in paths]
    validators = [Validator(spec) for spec in specs]
    header = "| client \\ document | " + " | ".join(f"`{p.name}`" for p in paths) + " |"
    lines = [header, "|---|" + "---|" * len(paths)]
    for version in versions:
        recording = load_recording(version)
        cells = [cell(judge(recording, spec, validator=v)) for spec, v in zip(specs, validators)]
        row = f"Prefect {version} client ({len(recording['requests'])} requests)"
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
