"""Record one Prefect client version: ``python -m restcontract.clients.record [OUT.json] [--spec DOCUMENT]``.

Run with the interpreter whose Prefect is the client to record (``tox -e record``, ``record-prefect2``,
``record-prefect30``): an embedded server of that same version starts (``server.embedded``), the workload
runs in a child process pointed at it (``PREFECT_API_URL``; its own ``PREFECT_HOME``), and every request it
sent becomes one entry of the recording: the operation it hits in that version's document (``spec/``), the
concrete path, query, headers that matter, body, answer status and the uuids of the answer.

Deterministic where it can be: each distinct uuid becomes ``00000000-0000-4000-8000-<n>`` in order of first
appearance (a replay maps them again), log batches keep their first ``LOG_ENTRIES`` entries with messages cut
to ``LOG_CHARS``. Timestamps and generated run names stay as sent. Default OUT:
``src/restcontract/clients/recordings/client-<version>.json``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import httpx

from restcontract.clients.recording import FORMAT, RECORDINGS
from restcontract.errors import ContractError
from restcontract.spec import Spec, load_spec

UUID_ANYWHERE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LOG_ENTRIES, LOG_CHARS = 2, 60
WORKLOAD_TIMEOUT = 600.0


class Placeholders:
    """Real uuid -> ``00000000-0000-4000-8000-<n:012d>``, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        def one(match: re.Match) -> str:
            value = match.group(0)
            if value not in self.seen:
                self.seen[value] = f"00000000-0000-4000-8000-{len(self.seen) + 1:012d}"
            return self.seen[value]

        return UUID_ANYWHERE.sub(one, text)

    def value(self, data: object) -> object:
        """The same JSON value with every uuid in a string replaced."""
        return json.loads(self(json.dumps(data)))


def trim_logs(entry: dict) -> None:
    """A log batch keeps its first entries, each message cut short."""
    if entry["method"] == "POST" and entry["path"] == "/logs/" and isinstance(entry["body"], list):
        entry["body"] = entry["body"][:LOG_ENTRIES]
        for log in entry["body"]:
            if isinstance(log, dict) and isinstance(log.get("message"), str):
                log["message"] = log["message"][:LOG_CHARS]


def build(raw: list[dict], spec: Spec, client: str, server: str) -> dict:
    """The recording from the hook's raw entries (see the module docstring)."""
    ids = Placeholders()
    requests = []
    for number, entry in enumerate(raw, 1):
        trim_logs(entry)
        entry = ids.value(entry)
        operation = spec.match(entry["method"], entry["path"])
        requests.append({"call": number, "step": entry["step"], "method": entry["method"], "operation": operation,
                         "path": entry["path"], "query": entry["query"], "headers": entry["headers"],
                         "body": entry["body"], "status": entry["status"], "ids": entry["ids"],
                         **({"answer": entry["answer"]} if "answer" in entry else {})})
    operations = sorted({r["operation"] for r in requests if r["operation"]})
    return {"format": FORMAT, "client": client, "server": server, "document": Path(spec.source).name,
            "operations": len(operations), "requests": requests}


def dumps(recording: dict) -> str:
    """The recording as JSON, one request a line (small, and a re-recording diffs line by line)."""
    head = {k: v for k, v in recording.items() if k != "requests"}
    lines = [json.dumps(r, separators=(",", ":")) for r in recording["requests"]]
    return json.dumps(head, indent=1)[:-2] + ',\n "requests": [\n' + ",\n".join(lines) + "\n ]\n}\n"


def run_workload(base_url: str, out: Path) -> int:
    """The workload in a child process of this interpreter, pointed at ``base_url``; its exit status."""
    home = tempfile.mkdtemp(prefix="restcontract-client-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=base_url, PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    try:
        return subprocess.run([sys.executable, "-m", "restcontract.clients.workload", str(out)], env=env,
                              timeout=WORKLOAD_TIMEOUT).returncode
    except subprocess.TimeoutExpired:
        raise ContractError(f"the workload did not finish within {WORKLOAD_TIMEOUT:.0f} s") from None


def record(spec: Spec) -> dict:
    """Start an embedded server of the installed Prefect, run the workload against it, build the recording."""
    from restcontract.server.embedded import EmbeddedServer

    server = EmbeddedServer().start()
    raw_path = Path(tempfile.mkdtemp(prefix="restcontract-record-")) / "raw.jsonl"
    try:
        server.wait_ready()
        status = run_workload(server.base_url, raw_path)
        served = str(httpx.get(server.base_url + "/admin/version", timeout=10).json())
    finally:
        server.stop()
    if status != 0:
        print(f"record: the workload exited with {status} (its failed steps are above)", file=sys.stderr)
    raw = [json.loads(line) for line in raw_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return build(raw, spec, version("prefect"), served)


def main(argv: list[str] | None = None) -> int:
    """``python -m restcontract.clients.record [OUT.json] [--spec DOCUMENT]``: exit 0, or 2 with one line."""
    argv = sys.argv[1:] if argv is None else argv
    client = version("prefect")
    spec_path = f"spec/prefect-{client}.json"
    if "--spec" in argv:
        index = argv.index("--spec")
        spec_path = argv[index + 1] if index + 1 < len(argv) else ""
        argv = argv[:index] + argv[index + 2:]
    out = Path(argv[0]) if argv else RECORDINGS / f"client-{client}.json"
    try:
        recording = record(load_spec(spec_path))
    except ContractError as exc:
        print(f"record: error: {exc}", file=sys.stderr)
        return 2
    out.write_text(dumps(recording), encoding="utf-8")
    print(f"record: {len(recording['requests'])} requests, {recording['operations']} operations -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
