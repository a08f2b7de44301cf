"""The plugin's command-line options: one namespace, ``--contract-<name>``, and the old names as aliases.

``add`` registers every option of ``TABLE`` as ``--contract-<name>`` (dest ``contract_<name>``: no other
plugin's dest can clash). ``add_aliases`` runs once every plugin and the initial conftests have added theirs
(``plugin.pytest_load_initial_conftests``) and registers the names the options had before the namespace
(``--spec``, ``--seed``, ...) only where no other plugin has taken them: pytest-spec owns ``--spec``, so with
it installed ``--contract-spec`` is the only spelling. ``build`` makes the run's ``run.options.Options``.
"""

from __future__ import annotations

import argparse
import os

import pytest

from restcontract.run import config as configfile
from restcontract.run.options import (
    EMBEDDED_CONCURRENCY,
    LIVE_CONCURRENCY,
    Options,
    auth_string,
    header,
    positive_int,
    positive_seconds,
)

OPTIONS_KEY = pytest.StashKey[Options]()
ALIASES_KEY = pytest.StashKey[tuple]()  # (old names registered, old names another plugin had taken)
GROUP = "restcontract"
_APPEND = {"action": "append", "default": []}

# name -> (has the old name --<name> as an alias, addoption's keyword arguments)
TABLE: dict[str, tuple[bool, dict]] = {
    "spec": (True, {"metavar": "PATH", "help": "OpenAPI document to test against (default: the newest "
                    "spec/prefect-*.json in the rootdir, else the newest one shipped with restcontract)"}),
    "operation": (True, {**_APPEND, "metavar": "'METHOD /path'", "help": "run only this operation (repeatable; a "
                         "glob such as 'POST /flows/*' too), e.g. --contract-operation 'GET /flows/{id}'"}),
    "tag": (True, {**_APPEND, "metavar": "TAG", "help": "run only the operations with this tag of the document "
                   "(repeatable), e.g. --contract-tag 'Flow Runs'"}),
    "exclude-operation": (True, {**_APPEND, "metavar": "'METHOD /path'",
                                 "help": "do not run this operation (repeatable; globs too)"}),
    "changed-since": (True, {"metavar": "OLD_SPEC", "help": "run only the operations that changed since this "
                             "document (file or URL): restcontract diff"}),
    "max-examples": (True, {"type": positive_int, "default": None, "metavar": "N",
                            "help": "generated cases per operation in the fuzzing phase (default 10)"}),
    "seed": (True, {"type": int, "default": 0,
                    "help": "generation seed; the same seed gives the same requests (default 0)"}),
    "report": (False, {"metavar": "PATH", "help": "write the JSON report here"}),
    "html": (False, {"metavar": "PATH", "help": "write the single-file HTML report here"}),
    "markdown": (False, {"metavar": "PATH", "help": "write a short markdown summary here"}),
    "baseline": (True, {"metavar": "FILE", "default": "auto", "help": "accepted deviations (default: "
                        "spec/baseline-<spec name>.json; 'none' to disable)"}),
    "update-baseline": (True, {"action": "store_true", "help": "rewrite the baseline from this run's findings"}),
    "strict-baseline": (True, {"action": "store_true", "help": "fail when baseline entries no longer reproduce"}),
    "allow-destructive": (True, {"action": "store_true", "help": "also run operations that can destroy data the "
                                 "harness did not create (live targets)"}),
    "api-key": (True, {"default": os.environ.get("PREFECT_API_KEY"), "metavar": "KEY", "help": "sent as "
                       "'Authorization: Bearer KEY' (default: $PREFECT_API_KEY); never printed"}),
    "auth-string": (True, {"default": os.environ.get("PREFECT_API_AUTH_STRING"), "type": auth_string,
                           "metavar": "USER:PASS", "help": "HTTP Basic credentials of a self-hosted server started "
                           "with PREFECT_SERVER_API_AUTH_STRING (default: $PREFECT_API_AUTH_STRING, as Prefect's "
                           "client); wins over --contract-api-key; never printed"}),
    "header": (True, {**_APPEND, "type": header, "metavar": "NAME:VALUE", "help": "extra request header, repeatable"}),
    "api-version": (True, {"metavar": "X.Y.Z", "help": "send X-PREFECT-API-VERSION"}),
    "request-timeout": (True, {"type": float, "default": 30.0, "metavar": "SECONDS", "help": "per-request timeout"}),
    "max-response-time": (True, {"type": positive_seconds, "default": None, "metavar": "SECONDS", "help": "an answer "
                                 "to a fuzzed case slower than this is a finding (conformance/max_response_time)"}),
    "case-cache": (True, {"default": "auto", "metavar": "DIR", "help": "keep generated cases here and reuse them "
                          "while nothing that decides them changes (default: .restcontract_cache in the rootdir; "
                          "'none' to generate every run)"}),
    "embedded-db": (True, {"choices": ("sqlite", "postgresql"), "default": "sqlite",
                           "help": "database of the embedded server (default sqlite)"}),
    "concurrency": (False, {"type": positive_int, "default": None, "metavar": "N", "help": "fuzzed cases of "
                            "read-only operations (GET, POST .../filter|count|...) on the wire at once; writes stay "
                            "serial and in order; drops to 1 once the server answers 429/503 (default: "
                            f"{LIVE_CONCURRENCY} with --base-url, {EMBEDDED_CONCURRENCY} on the embedded server "
                            "or with --contract-max-response-time)"}),
}


def dest(name: str) -> str:
    """``max-examples`` -> ``contract_max_examples``."""
    return "contract_" + name.replace("-", "_")


def add(parser: pytest.Parser) -> None:
    """Register ``--contract-<name>`` for every option of ``TABLE``."""
    group = parser.getgroup(GROUP, "restcontract: contract tests of the Prefect REST API")
    for name, (_, attrs) in TABLE.items():
        group.addoption(f"--contract-{name}", dest=dest(name), **attrs)


def add_aliases(parser: pytest.Parser) -> tuple[list[str], list[str]]:
    """Register ``--<name>`` for the options that had that name, where no other plugin took it.
    Returns (registered, taken)."""
    group = parser.getgroup(GROUP)
    registered, taken = [], []
    for name, (alias, attrs) in TABLE.items():
        if not alias:
            continue
        try:
            group.addoption(f"--{name}", dest=dest(name), **{**attrs, "help": argparse.SUPPRESS})
        except (argparse.ArgumentError, ValueError):  # another plugin's option string (pytest-spec's --spec)
            taken.append(f"--{name}")
        else:
            registered.append(f"--{name}")
    return registered, taken


def build(config: pytest.Config) -> Options:
    """The run's options, built once (``pytest_configure``, after the config file was applied)."""
    if OPTIONS_KEY not in config.stash:
        config.stash[OPTIONS_KEY] = Options.of_namespace(config.option, configfile.loaded(config))
    return config.stash[OPTIONS_KEY]


def of_config(config: pytest.Config) -> Options:
    """The options of a configured run (``build``'s result)."""
    return build(config)
