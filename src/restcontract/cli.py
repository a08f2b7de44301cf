"""The ``restcontract`` command: ``test``, ``diff``, ``report``, ``compat``, ``cleanup``, ``spec`` (see ``USAGE``)."""

from __future__ import annotations

import sys

USAGE = """usage: restcontract COMMAND ...

commands:
  cleanup --base-url URL   remove what runs killed outright left on that server (their journals), nothing else
                           [--auth-string USER:PASS | --api-key KEY] [--header NAME:VALUE ...]
  diff OLD NEW [options]   classify the changes between two OpenAPI documents (files or URLs)
  compat --client VERSION --spec DOCUMENT [--against URL] [--format text|json|markdown]
                           judge a recorded Prefect client's requests by a document (and a live server);
                           compat --matrix: every recorded client against every document of spec/
  spec OUT.json            write the installed Prefect's OpenAPI document deterministically
  report R.json [MORE.json ...] [--html OUT.html] [--markdown OUT.md] [--json OUT.json]
                           render reports from saved JSON reports (--contract-report); several are merged
  test [pytest options]    run the installed contract suite from any directory, e.g.
                           restcontract test --base-url http://127.0.0.1:4200/api --contract-html report.html
                           (every option of `pytest tests`: -m FAMILY, --contract-operation, --contract-spec,
                           --contract-baseline, -n 2, ...)"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "cleanup":
        from restcontract.objects.cleanup import main as cleanup_main

        return cleanup_main(rest)
    if command == "diff":
        from restcontract.clients.touch import mark_touched
        from restcontract.diff.cli import main as diff_main

        return diff_main(rest, client_marker=mark_touched)
    if command == "compat":
        from restcontract.clients.cli import main as compat_main

        return compat_main(rest)
    if command == "spec":
        from restcontract.spec.generate import main as spec_main

        return spec_main(rest)
    if command == "report":
        from restcontract.reporting.merge import main as report_main

        return report_main(rest)
    if command == "test":
        return run_suite(rest)
    print(f"restcontract: unknown command {command!r} (expected: cleanup, compat, diff, report, spec,"
          " test)", file=sys.stderr)
    return 2


def run_suite(args: list[str]) -> int:
    """``restcontract test``: pytest on the suite shipped in the package (``restcontract.suite``, the
    repository's ``tests/``) with the caller's options. The run's directory is the working directory: its
    ``spec/prefect-*.json`` if it has one, else the documents shipped in the package; the case store
    ``.restcontract_cache`` lands there."""
    import importlib.util

    import pytest

    if importlib.util.find_spec("restcontract.suite") is None:
        print("restcontract: the contract suite (restcontract.suite) is not installed: reinstall restcontract",
              file=sys.stderr)
        return 4
    # this command imported restcontract before pytest could mark its plugin for assertion rewriting (which
    # it does not need: checks report findings, never assert): without the filter pytest warns about it
    return int(pytest.main(["-W", "ignore::pytest.PytestAssertRewriteWarning", "--pyargs", "restcontract.suite",
                            *args]))


if __name__ == "__main__":
    sys.exit(main())
