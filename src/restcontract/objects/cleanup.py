"""Replaying the journals runs killed outright left (``objects.journal``): at the start of the next run
against the same live server (``replay``, said in the report's notes) and on demand, ``restcontract cleanup
--base-url URL`` (``main``).

A replay deletes what a journal names and nothing else: the routes it recorded (ids, or names the run's
201 proved were its own) with what the server hung on them, and the objects a ``side_creates`` request
named that did not exist when that run started. Objects that poison listings go first
(``removal.POISONS_LISTINGS``). A journal is removed once nothing it names is left; one whose objects could
not all be deleted stays for the next try.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from restcontract.errors import ContractError
from restcontract.objects.journal import LeftBehind, left_behind, normalised, servers
from restcontract.objects.ledger import Created, Ledger
from restcontract.objects.removal import Removal
from restcontract.tables.versions import Version, for_version

USAGE = ("usage: restcontract cleanup --base-url URL [--auth-string USER:PASS | --api-key KEY] "
         "[--header NAME:VALUE ...] [--request-timeout SECONDS] (or their --contract-* names, as in a run)")


@dataclass
class Replay:
    """What replaying a server's journals did: each journal with its removal; journals of runs still running."""

    journals: list[tuple[LeftBehind, Removal]] = field(default_factory=list)
    running: int = 0

    @property
    def problems(self) -> list[str]:
        return [problem for _, removal in self.journals for problem in removal.problems]


def replay(client: httpx.Client, base_url: str, version: Version, directory: Path | None = None) -> Replay:
    """Replay every journal of ``base_url`` whose run is gone (see the module docstring)."""
    journals, running = left_behind(base_url, directory)
    result = Replay(running=running)
    for index, journal in enumerate(journals):
        try:
            removal = _replay_one(client, journal, version)
        except BaseException:
            for rest in journals[index:]:
                rest.done(nothing_left=False)
            raise
        journal.done(nothing_left=not removal.problems)
        result.journals.append((journal, removal))
    return result


def _replay_one(client: httpx.Client, journal: LeftBehind, version: Version) -> Removal:
    ledger = Ledger(None, version)  # removes only: no document, no journal of its own
    ledger.created = [Created(operation, path) for operation, path in journal.made]
    unknown = sorted(set(journal.may_make) - set(version.side_creates))
    ledger.sent = {op: names for op, names in journal.may_make.items() if op in version.side_creates}
    removal = ledger.cleanup(client)
    removal.problems += [f"{op}: cannot tell what it made on a server of Prefect {version.major}" for op in unknown]
    return removal


def describe(journal: LeftBehind) -> str:
    header = journal.header
    return (f"a run started {header.get('started', '?')} (pid {header.get('pid', '?')} on {header.get('host', '?')}) "
            f"left a journal naming {len(journal.made)} objects")


def notes(result: Replay) -> list[str]:
    """The report's notes for a replay at the start of a run."""
    lines = []
    for journal, removal in result.journals:
        lines.append(f"cleanup journal replayed first: {describe(journal)}: {len(removal.deleted)} deleted, "
                     f"{len(removal.gone)} already gone, {len(removal.problems)} could not be deleted")
        lines += [f"cleanup journal replay: {problem}" for problem in removal.problems]
    return lines


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, never argparse's usage block
        raise _Usage(message)


def _header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {value!r}")
    return name.strip(), content.strip()


def _parser() -> _Parser:
    """The run's options of the same names (``--contract-base-url`` or ``--base-url``, ...), the same defaults."""
    parser = _Parser(prog="restcontract cleanup", add_help=False)
    parser.add_argument("--base-url", "--contract-base-url", dest="base_url", required=True)
    parser.add_argument("--auth-string", "--contract-auth-string", dest="auth_string",
                        default=os.environ.get("PREFECT_API_AUTH_STRING"))
    parser.add_argument("--api-key", "--contract-api-key", dest="api_key", default=os.environ.get("PREFECT_API_KEY"))
    parser.add_argument("--header", "--contract-header", dest="header", action="append", type=_header, default=[])
    parser.add_argument("--request-timeout", "--contract-request-timeout", dest="request_timeout", type=float,
                        default=30.0)
    return parser


def main(argv: list[str]) -> int:
    """``restcontract cleanup``: one line per object deleted or not; 0 when nothing is left, 1 when
    something is, 2 for bad input (one line)."""
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    try:
        options = _parser().parse_args(argv)
        target = _target(options)
    except (_Usage, ContractError) as exc:
        print(f"restcontract cleanup: {exc}", file=sys.stderr)
        return 2
    try:
        with target.client() as client:
            result = replay(client, target.base_url, for_version(target.server_version))
    except ContractError as exc:  # the server went away meanwhile: the journals stay for the next try
        print(f"restcontract cleanup: {exc}", file=sys.stderr)
        return 1
    for line in _lines(result, target.base_url):
        print(line)
    return 1 if result.problems else 0


def _target(options: argparse.Namespace):
    """The server to clean, checked with one request (a one-line ``ContractError`` if it does not answer)."""
    from restcontract.server.auth import credentials
    from restcontract.server.target import Target, check_reachable

    if options.auth_string and ":" not in options.auth_string:
        raise _Usage("--auth-string: expected USER:PASS (the server's PREFECT_SERVER_API_AUTH_STRING)")
    base_url = normalised(options.base_url)
    headers, secrets = credentials(options.api_key, options.auth_string)
    headers.update(dict(options.header))
    secrets += [value for _, value in options.header if value]
    check_reachable(base_url, headers, options.request_timeout, options.api_key, options.auth_string)
    target = Target(base_url, headers, secrets, options.request_timeout, None)
    target.server_version = _server_version(target)
    return target


def _server_version(target) -> str:
    """Prefect's own version (``/admin/version``), which says what a version's cleanup adds."""
    with target.client() as client:
        response = client.get("/admin/version")
    try:
        return str(response.json()) if response.status_code == 200 else ""
    except ValueError:
        return ""


def _lines(result: Replay, base_url: str) -> list[str]:
    lines = []
    for journal, removal in result.journals:
        lines.append(f"restcontract cleanup: {describe(journal)}")
        lines += [f"deleted {path}" for path in removal.deleted]
        lines += [f"could not delete: {problem}" for problem in removal.problems]
    if result.running:
        lines.append(f"restcontract cleanup: {result.running} journal(s) of runs still running: left to them")
    if not result.journals:
        others = [url for url in servers() if url != base_url]
        hint = f" (journals exist for: {', '.join(others)})" if others else ""
        lines.append(f"restcontract cleanup: no journal left for {base_url}: nothing to do{hint}")
        return lines
    deleted = sum(len(removal.deleted) for _, removal in result.journals)
    gone = sum(len(removal.gone) for _, removal in result.journals)
    lines.append(f"restcontract cleanup: {len(result.journals)} journal(s) of {base_url} replayed: {deleted} deleted, "
                 f"{gone} already gone, {len(result.problems)} could not be deleted")
    return lines
