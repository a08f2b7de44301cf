"""``restcontract compat``: a recorded Prefect client's requests judged by a document, and on a live server.

Exit 0 when no request breaks (rejected requests that are spec gaps of the client's own version's document
do not), 1 when one does, 2 on bad input: an unknown client version, a file that is not a recording, a
document that cannot be loaded, an unreachable ``--against`` URL, a bad option. One line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restcontract.clients.compare import breaking, judge
from restcontract.clients.matrix import matrix
from restcontract.clients.recording import load_recording
from restcontract.clients.render import RENDERERS
from restcontract.errors import ContractError
from restcontract.server.auth import credentials
from restcontract.server.target import Target, check_reachable
from restcontract.spec import load_spec

PROG = "restcontract compat"
EXIT_OK, EXIT_BREAKS, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the usage and exit
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The options; argparse's own errors become ``UsageError`` (one line, exit 2)."""
    parser = _Parser(prog=PROG, description="Judge a recorded Prefect client's requests by an OpenAPI document.")
    parser.add_argument("--client", metavar="VERSION", help="a recorded client version (2.20.26, 3.0.11, 3.8.8) "
                                                            "or a recording file")
    parser.add_argument("--spec", metavar="DOCUMENT", help="the server's OpenAPI document (a file or a URL)")
    parser.add_argument("--against", metavar="URL", action="append", default=[],
                        help="replay the requests on this live server (its API root); with --matrix, repeatable")
    parser.add_argument("--api-key", metavar="KEY", help="sent as 'Authorization: Bearer KEY' (never printed)")
    parser.add_argument("--auth-string", metavar="USER:PASS", help="HTTP basic credentials (never printed)")
    parser.add_argument("--format", choices=list(RENDERERS), default="text", help="output format (default: text)")
    parser.add_argument("--matrix", action="store_true", help="every recorded client against every document of "
                                                              "--spec-dir: one markdown table")
    parser.add_argument("--spec-dir", metavar="DIR", default="spec", help="the documents of --matrix (default: spec)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    return parser


def live_target(url: str, args: argparse.Namespace) -> Target:
    """The ``--against`` server, checked with one request (a one-line ``TargetError`` when it does not answer)."""
    if args.auth_string is not None and ":" not in args.auth_string:
        raise ContractError("--auth-string: expected USER:PASS")
    headers, secrets = credentials(args.api_key, args.auth_string)
    base_url = url.rstrip("/")
    version = check_reachable(base_url, headers, 30.0, args.api_key, args.auth_string)
    target = Target(base_url, headers, secrets, server_version=version)
    with target.client() as client:  # the Prefect version (GET /version answers the API's: 0.8.4)
        answer = client.get("/admin/version")
    if answer.status_code == 200 and isinstance(answer.json(), str):
        target.server_version = answer.json()
    return target


def replayed(recording: dict, spec, target: Target) -> list:
    """The recorded sequence replayed on ``target`` (``replay.Sent``; everything it made removed)."""
    from restcontract.clients.replay import Replay

    replay = Replay(target, spec)
    sent = replay.run(recording["requests"])
    for problem in replay.problems:
        print(f"{PROG}: warning: could not delete what the replay created: {problem}", file=sys.stderr)
    return sent


def live_columns(args: argparse.Namespace, folder: Path) -> dict:
    """``--matrix --against URL ...``: a column per server, its replays judged by its version's document
    (delete routes for the cleanup), the newest document when the folder has none of that version."""
    from restcontract.clients.matrix import documents

    columns = {}
    for url in args.against:
        target = live_target(url, args)
        paths = documents(folder)
        path = folder / f"prefect-{target.server_version}.json"
        spec = load_spec(path if path.exists() else paths[-1])
        columns[f"live {target.server_version} server"] = (lambda rec, t=target, s=spec: replayed(rec, s, t))
    return columns


def run(args: argparse.Namespace) -> int:
    """One compat run: the matrix, or one client against one document (and ``--against``); its exit status."""
    if args.matrix:
        folder = Path(args.spec_dir)
        if not folder.is_dir():
            raise ContractError(f"--spec-dir {args.spec_dir}: not a folder")
        return write(args, matrix(folder, servers=live_columns(args, folder))) or EXIT_OK
    if not args.client or not args.spec:
        raise UsageError("--client VERSION and --spec DOCUMENT are required (or --matrix)")
    if len(args.against) > 1:
        raise UsageError("--against: one server (several only with --matrix)")
    recording = load_recording(args.client)
    spec = load_spec(args.spec)
    live = [s.status for s in replayed(recording, spec, live_target(args.against[0], args))] if args.against else None
    report = judge(recording, spec, live)
    write(args, RENDERERS[args.format](report, recording))
    return EXIT_BREAKS if breaking(report) else EXIT_OK


def write(args: argparse.Namespace, text: str) -> None:
    """The report to ``--output`` or stdout."""
    if not args.output:
        sys.stdout.write(text)
        return
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ContractError(f"cannot write {args.output}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    """``restcontract compat ...``: exit 0, 1 or 2 (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc} (see {PROG} --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except ContractError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
