"""``restcontract diff OLD NEW``: exit 0 when nothing reaches --fail-on, 1 when something does, 2 on bad input.

Every input problem (missing file, not OpenAPI, unreachable URL, bad option, bad ignore file)
is one line on stderr, never a traceback and never only argparse's usage dump.
"""

from __future__ import annotations

import argparse
import sys

from restcontract.diff.ignore import apply_ignores, load_ignores
from restcontract.diff.model import Level, Report
from restcontract.diff.operations import diff_specs
from restcontract.diff.render import RENDERERS
from restcontract.errors import ContractError
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
    return parser


def run(args: argparse.Namespace) -> int:
    entries = load_ignores(args.ignore) if args.ignore else []
    changes = diff_specs(load_spec(args.old), load_spec(args.new))
    changes, unused = apply_ignores(changes, entries)
    report = Report(args.old, args.new, changes, Level[args.fail_on],
                    [f"line {e.line} ({e.rule} {e.location})" for e in unused])
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"{PROG}: error: {exc} (see {PROG} --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        return run(args)
    except ContractError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
