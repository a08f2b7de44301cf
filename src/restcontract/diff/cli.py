"""``restcontract diff OLD NEW``: exit 0 when nothing reaches --fail-on, 1 when something does, 2 on bad input.

Every input problem (missing file, not OpenAPI, unreachable URL, bad option, bad ignore file)
is one line on stderr, never a traceback and never only argparse's usage dump.
"""

from __future__ import annotations

import argparse
import sys

from restcontract.diff.ignore import apply_ignores, load_ignores
from restcontract.diff.live import Prober
from restcontract.diff.model import Level, Report
from restcontract.diff.operations import diff_specs
from restcontract.diff.render import RENDERERS
from restcontract.errors import ContractError
from restcontract.server.auth import credentials
from restcontract.spec import load_spec

PROG = "restcontract diff"
EXIT_OK, EXIT_CHANGES, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the usage and exit
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Classify the changes between two OpenAPI documents.")
    parser.add_argument("old", metavar="OLD", help="the old document: a file or an http(s) URL")
    parser.add_argument("new", metavar="NEW", help="the new document: a file or an http(s) URL")
    levels = [level.name for level in sorted(Level, reverse=True)]
    parser.add_argument("--fail-on", type=str.upper, choices=levels, default="ERR",
                        help="exit 1 when a change at this level or above is found (default: ERR)")
    parser.add_argument("--format", choices=list(RENDERERS), default="text", help="output format (default: text)")
    parser.add_argument("--ignore", metavar="FILE", help="changes accepted deliberately: 'RULE_ID LOCATION # reason'")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    live = parser.add_argument_group("live confirmation")
    live.add_argument("--against", metavar="URL", help="probe each ERR change on this live server of the NEW "
                                                      "version (its API root, e.g. http://127.0.0.1:4200/api)")
    live.add_argument("--api-key", metavar="KEY", help="sent as 'Authorization: Bearer KEY' (never printed)")
    live.add_argument("--auth-string", metavar="USER:PASS",
                      help="HTTP basic credentials, as a server started with PREFECT_SERVER_API_AUTH_STRING "
                           "expects (never printed)")
    live.add_argument("--header", metavar="'NAME: VALUE'", action="append", default=[],
                      help="an extra header for the probes (repeatable)")
    parser.add_argument("--client", metavar="VERSION", help="mark the changes the recorded Prefect client of this "
                                                           "version touches; fail only on those (docs/compat.md)")
    return parser


def probe_headers(args: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    """The probes' headers and the secret values that must never be printed (credentials as
    Prefect's client sends them: ``--auth-string`` as Basic, winning over ``--api-key`` as Bearer)."""
    headers, secrets = credentials(args.api_key, args.auth_string)
    if args.auth_string is not None and ":" not in args.auth_string:
        raise ContractError("--auth-string: expected USER:PASS")
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ContractError(f"--header {item!r}: expected 'NAME: VALUE'")
        headers[name.strip()] = value.strip()
        secrets.append(value.strip())
    return headers, [s for s in secrets if s]


def run(args: argparse.Namespace, client_marker=None) -> int:
    entries = load_ignores(args.ignore) if args.ignore else []
    old, new = load_spec(args.old), load_spec(args.new)
    changes = diff_specs(old, new)
    changes, unused = apply_ignores(changes, entries)
    if args.client:  # clients.touch.mark_touched, passed in by the restcontract command (a later stage)
        if client_marker is None:
            raise ContractError("--client needs the restcontract command (restcontract diff ... --client VERSION)")
        changes = client_marker(changes, args.client)
    if args.against:
        headers, secrets = probe_headers(args)
        prober = Prober(args.against, old, new, headers, secrets)
        prober.check_reachable()
        changes = prober.probe_all(changes)
        for problem in prober.cleanup_problems:
            print(f"{PROG}: warning: could not delete what a probe created: {problem}", file=sys.stderr)
    report = Report(args.old, args.new, changes, Level[args.fail_on],
                    [f"line {e.line} ({e.rule} {e.location})" for e in unused], against=args.against or "")
    text = RENDERERS[args.format](report)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise ContractError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return report.exit_code


def main(argv: list[str] | None = None, client_marker=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"{PROG}: error: {exc} (see {PROG} --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        return run(args, client_marker)
    except ContractError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
