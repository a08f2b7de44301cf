"""Loading a recording: a recorded client version's name, or a file that is one.

``load_recording("3.8.8")`` reads ``recordings/client-3.8.8.json`` (shipped in the wheel);
``load_recording("my-client.json")`` reads a file. Anything else is a one-line ``ContractError``: an
unknown version (the recorded ones named), a missing file, a file that is not a recording.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from restcontract.errors import ContractError

FORMAT = "restcontract-recording/1"
RECORDINGS = Path(__file__).resolve().parent / "recordings"
REQUIRED = ("method", "path", "status")


def recorded_versions() -> list[str]:
    """The client versions with a shipped recording, oldest first."""
    found = [p.stem[len("client-"):] for p in RECORDINGS.glob("client-*.json")]
    return sorted(found, key=lambda v: [int(x) if x.isdigit() else 0 for x in re.split(r"[.]", v)])


def load_recording(which: str) -> dict:
    """A recording by client version or by file (see the module docstring)."""
    path = RECORDINGS / f"client-{which}.json"
    if not path.exists():
        path = Path(which)
        if not path.exists():
            known = ", ".join(recorded_versions()) or "none"
            kind = "file" if which.endswith(".json") or "/" in which else "client version"
            raise ContractError(f"unknown {kind} {which!r} (recorded client versions: {known})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ContractError(f"{path} is not a restcontract recording ({type(exc).__name__})") from None
    check(data, path)
    return data


def check(data: object, source: Path | str) -> None:
    """Raise a one-line ``ContractError`` unless ``data`` is a recording."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ContractError(f"{source} is not a restcontract recording (no \"format\": \"{FORMAT}\")")
    requests = data.get("requests")
    if not isinstance(requests, list) or not all(isinstance(r, dict) and all(k in r for k in REQUIRED)
                                                 for r in requests):
        raise ContractError(f"{source} is not a restcontract recording (\"requests\" must be a list of "
                            f"objects with {', '.join(REQUIRED)})")
