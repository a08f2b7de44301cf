"""The ``restcontract`` command. Subcommands: ``diff`` (compare two documents), ``spec`` (regenerate one)."""

from __future__ import annotations

import sys

USAGE = """usage: restcontract COMMAND ...

commands:
  diff OLD NEW [options]   classify the changes between two OpenAPI documents (files or URLs)
  spec OUT.json            write the installed Prefect's OpenAPI document deterministically

The contract suite itself runs under pytest: `pytest tests [--base-url URL]`."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "diff":
        from restcontract.diff.cli import main as diff_main

        return diff_main(rest)
    if command == "spec":
        from restcontract.spec.generate import main as spec_main

        return spec_main(rest)
    print(f"restcontract: unknown command {command!r} (expected: diff, spec)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
