"""The configuration file (``restcontract.run.config``): every option of the plugin's group from
``[tool.restcontract]`` or ``restcontract.toml``, the command line wins, per-operation overrides, and
one-line errors naming the key.

Parsing and the overrides' semantics are checked in-process; four child pytest runs of a probe, started
at once, check what a user sees (precedence through pytest's own option parsing; exit 4 with one line;
the README's example), and two runs against the self-test server, also at once, check the overrides
change a real run (and that without them the same run differs).
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

import forkserver
from conftest import ROOT, run_pytest
from restcontract.run import config
from restcontract.run.config import ConfigError, OptionSpec
from restcontract.run.options import header, positive_int

FAMILIES = ["conformance", "idempotency", "not_found", "guidelines"]
OPTIONS = [  # as options_of reads the plugin's group: --contract-<name>, dest contract_<name>
    OptionSpec("contract-max-examples", "contract_max_examples", convert=positive_int),
    OptionSpec("contract-seed", "contract_seed", convert=int, default=0),
    OptionSpec("contract-request-timeout", "contract_request_timeout", convert=float, default=30.0),
    OptionSpec("contract-embedded-db", "contract_embedded_db", choices=("sqlite", "postgresql"), default="sqlite"),
    OptionSpec("contract-update-baseline", "contract_update_baseline", kind="flag", default=False),
    OptionSpec("contract-operation", "contract_operation", kind="list", default=[]),
    OptionSpec("contract-header", "contract_header", kind="list", convert=header, default=[]),
    OptionSpec("contract-api-key", "contract_api_key"),
    OptionSpec("contract-spec", "contract_spec"),
]


def parse(table: dict) -> config.FileConfig:
    return config.parse(table, OPTIONS, FAMILIES, label="pyproject.toml [tool.restcontract]")


def error_of(table: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse(table)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- parsing, in-process ----------------------------------------------------------------------
def test_values_are_converted_like_the_command_line():
    loaded = parse({"max-examples": 25, "seed": "7", "request_timeout": 2, "embedded-db": "postgresql",
                    "update-baseline": True, "operation": "GET /flows/{id}", "header": ["X-Team: data"]})
    assert short(loaded.values) == {"max_examples": 25, "seed": 7, "request_timeout": 2.0, "embedded_db": "postgresql",
                                    "update_baseline": True, "operation": ["GET /flows/{id}"],
                                    "header": [("X-Team", "data")]}
    assert loaded.lists == {"contract_operation", "contract_header"}
    assert "max-examples" in loaded.describe() and loaded.label in loaded.describe()


def short(values: dict) -> dict:
    """dest -> value, without the options' namespace (``contract_seed`` -> ``seed``)."""
    return {k.removeprefix("contract_"): v for k, v in values.items()}


def test_a_key_may_name_the_option_with_or_without_its_namespace():
    """``seed``, ``contract-seed`` and ``contract_seed`` are one key: files written before the options
    were namespaced keep working."""
    for key in ("seed", "contract-seed", "contract_seed"):
        assert parse({key: 5}).values == {"contract_seed": 5}
    assert "did you mean 'max-examples'" in error_of({"contract-max-exampels": 3})


@pytest.mark.parametrize("table, expected", [
    ({"max-exampels": 3}, "unknown key 'max-exampels' (did you mean 'max-examples'?)"),
    ({"max-examples": 0}, "max-examples: expected a positive whole number, got '0'"),
    ({"max-examples": 2.5}, "max-examples: expected a positive whole number, got '2.5'"),
    ({"seed": 1.5}, "seed: expected a whole number, got 1.5"),
    ({"seed": "x"}, "seed: expected a whole number, got 'x'"),
    ({"seed": True}, "seed: expected a single value, got True"),
    ({"request-timeout": "soon"}, "request-timeout: expected a number, got 'soon'"),
    ({"embedded-db": "mysql"}, "embedded-db: expected one of sqlite, postgresql, got 'mysql'"),
    ({"update-baseline": "yes"}, "update-baseline: expected true or false, got 'yes'"),
    ({"header": ["no colon"]}, "header: expected NAME:VALUE, got 'no colon'"),
    ({"spec": {"path": "x"}}, "spec: expected a single value"),
    ({"api-key": "s3cret"}, "'api-key' is a secret"),
    ({"operations": {"match": "GET /x"}}, "'operations' must be an array of tables"),
    ({"operations": [{"skip": ["conformance"]}]}, "operations[1]: 'match' is required"),
    ({"operations": [{"match": "flows"}]}, "operations[1]: match 'flows': expected 'METHOD /path'"),
    ({"operations": [{"match": "GET /x", "skipp": []}]}, "operations[1]: unknown key 'skipp' (did you mean 'skip'?)"),
    ({"operations": [{"match": "GET /x", "skip": ["idempotence"]}]}, "skip: unknown check family 'idempotence'"),
    ({"operations": [{"match": "GET /x", "accept-status": [999]}]}, "accept-status: expected a list of HTTP statuses"),
    ({"operations": [{"match": "GET /x", "request-timeout": 0}]}, "request-timeout: expected a positive number"),
    ({"operations": [{"match": "GET /x", "max-examples": "many"}]}, "max-examples: expected a positive whole number"),
    ({"operations": [{"match": "GET /x", "exclude": 3}]}, "exclude: expected true, false or a reason"),
])
def test_bad_input_is_one_line_naming_the_key(table, expected):
    message = error_of(table)
    assert message.startswith("pyproject.toml [tool.restcontract]: ") and expected in message, message


def test_a_secret_value_is_never_in_the_error():
    assert "s3cret" not in error_of({"api-key": "s3cret"})


def test_options_added_to_the_group_later_are_settable_without_code_changes():
    """``options_of`` reads whatever the group holds: an option another module adds is a key at once."""
    def argument(names, dest, **attrs):
        return SimpleNamespace(names=lambda: names, dest=dest, attrs=lambda: {"dest": dest, **attrs})

    group = SimpleNamespace(options=[
        argument(["--contract-max-response-time"], "max_response_time", type=float, default=None),
        argument(["--strict-thing"], "strict_thing", nargs=0, const=True, default=False),
        argument(["--contract-tag"], "tag", default=[]),
        argument(["-x"], "short_only"),
    ])
    specs = config.options_of(group)
    assert [(s.short, s.kind) for s in specs] == [
        ("max-response-time", "value"), ("strict-thing", "flag"), ("tag", "list")]
    loaded = config.parse({"max-response-time": "1.5", "strict-thing": True, "tag": ["Flows"]}, specs)
    assert loaded.values == {"max_response_time": 1.5, "strict_thing": True, "tag": ["Flows"]}
    with pytest.raises(ConfigError, match="max-response-time: expected a number"):
        config.parse({"max-response-time": "fast"}, specs)


def test_files_found_in_the_rootdir(tmp_path):
    assert config.load(tmp_path, OPTIONS) is not None and not config.load(tmp_path, OPTIONS)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert not config.load(tmp_path, OPTIONS)  # a pyproject.toml without [tool.restcontract]
    (tmp_path / "pyproject.toml").write_text("[tool.restcontract]\nseed = 3\n")
    loaded = config.load(tmp_path, OPTIONS)
    assert short(loaded.values) == {"seed": 3} and loaded.label == "pyproject.toml [tool.restcontract]"
    (tmp_path / "restcontract.toml").write_text("seed = 4\n")
    with pytest.raises(ConfigError, match="both restcontract.toml and pyproject.toml"):
        config.load(tmp_path, OPTIONS)
    (tmp_path / "pyproject.toml").unlink()
    assert short(config.load(tmp_path, OPTIONS).values) == {"seed": 4}
    (tmp_path / "restcontract.toml").write_text("seed = \n")
    with pytest.raises(ConfigError, match=r"^restcontract.toml: not valid TOML: "):
        config.load(tmp_path, OPTIONS)


def test_per_operation_overrides():
    loaded = parse({"operations": [
        {"match": "POST /flows/*", "skip": ["idempotency"], "reason": "flaky here"},
        {"match": ["POST /flows/bulk_delete", "DELETE /admin/storage"], "exclude": False},
        {"match": "/variables/*", "exclude": "shared with another team", "request-timeout": 5},
        {"match": "GET /health", "accept-status": [418, 503], "max-examples": 50},
        {"match": "GET /*", "max-examples": 3, "request-timeout": 9},
    ]})
    destructive = "destructive on a live target"
    assert loaded.exclusion("POST /flows/filter", "idempotency", None) == "idempotency skipped by " \
        "pyproject.toml [tool.restcontract]: flaky here"
    assert loaded.exclusion("POST /flows/filter", "conformance", None) is None
    assert loaded.exclusion("POST /flows/bulk_delete", "conformance", destructive) is None  # the table's reason lifted
    assert loaded.exclusion("POST /work_pools/bulk_delete", "conformance", destructive) == destructive
    assert loaded.exclusion("PATCH /variables/name/{name}", "conformance", None) == \
        "excluded by pyproject.toml [tool.restcontract]: shared with another team"
    assert loaded.accepts("GET /health", "status_code_conformance", 418)
    assert not loaded.accepts("GET /health", "status_code_conformance", 500)
    assert loaded.accepts("GET /health", "positive_data_acceptance", 418)  # valid data "rejected" with it
    assert not loaded.accepts("GET /health", "not_a_server_error", 503)  # only the rules that judge the status alone
    assert not loaded.accepts("GET /version", "status_code_conformance", 418)
    assert loaded.request_timeout("PATCH /variables/name/{name}") == 5.0
    assert loaded.request_timeout("GET /health") == 9.0 and loaded.request_timeout("POST /flows/") is None
    assert loaded.max_examples("GET /health") == 3  # the last matching table wins
    assert loaded.schemathesis_operations({"GET /health": "GET /health", "GET /version": "GET /version",
                                           "POST /flows/": "POST /flows/"}) == [
        {"include-name": ["GET /health", "GET /version"], "generation": {"max-examples": 3}}]
    loaded.check_against(["POST /flows/", "POST /flows/bulk_delete", "DELETE /admin/storage", "GET /variables/x",
                          "GET /health"])
    with pytest.raises(ConfigError, match=r"operations\[2\]: match 'DELETE /admin/storage' matches no operation"):
        loaded.check_against(["POST /flows/", "POST /flows/bulk_delete", "GET /variables/x", "GET /health"])


# -- what a user sees: precedence and errors through pytest ------------------------------------
PROBE = """
import json

from restcontract.plugin import options

def test_options(pytestconfig):
    o = options.of_config(pytestconfig)  # the run's one Options object
    print("OPTIONS=" + json.dumps({k: getattr(o, k) for k in
          ("seed", "max_examples", "embedded_db", "operation", "update_baseline", "header", "base_url")}))
"""


def start_child(directory: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """A child pytest of the probe in ``directory`` (its rootdir: the config file there is read), started."""
    (directory / "test_probe.py").write_text(PROBE)
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_BASE_URL"} | (env or {})
    return forkserver.popen(["-p", "no:cacheprovider", "-q", "-s", "test_probe.py", *args], env=environment,
                            cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def options_seen(proc: subprocess.CompletedProcess) -> dict:
    line = next((printed for printed in proc.stdout.splitlines() if "OPTIONS=" in printed), None)
    assert line, proc.stdout + proc.stderr
    return json.loads(line.split("OPTIONS=", 1)[1])


PRECEDENCE_FILE = """
[tool.restcontract]
seed = 7
max-examples = 25
embedded-db = "postgresql"
operation = ["GET /flows/{id}", "POST /flows/*"]
update-baseline = true
header = ["X-Team: data"]
base-url = "http://127.0.0.1:1/api"
"""


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("```toml\n[tool.restcontract]\n", 1)[1].split("```", 1)[0]


# name -> (file name, its text, command-line arguments, environment): each a child pytest of its own
PROBES = {
    "from_file": ("pyproject.toml", PRECEDENCE_FILE, [], None),
    # the command line wins over the file; PYTEST_BASE_URL (this machine's) over the file's base-url
    # (the namespaced names and the old ones, aliases where no other plugin took them)
    "cli": ("pyproject.toml", PRECEDENCE_FILE, ["--contract-seed", "0", "--max-examples", "3", "--contract-operation",
                                                "GET /health", "--header", "X-Other: 1"],
            {"PYTEST_BASE_URL": "http://127.0.0.1:3/api"}),
    "bad_file": ("restcontract.toml", "max-exampels = 3\n", [], None),
    "readme": ("pyproject.toml", None, [], None),  # the README's example (read when the probe starts)
}


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Every probe child of this module, started at once (independent processes), then waited for."""
    started = {}
    for name, (file_name, text, args, env) in PROBES.items():
        directory = tmp_path_factory.mktemp(name)
        (directory / file_name).write_text(text if text is not None else "[tool.restcontract]\n" + readme_example())
        started[name] = (directory, start_child(directory, *args, env=env))
    done = {}
    for name, (directory, proc) in started.items():
        stdout, stderr = proc.communicate(timeout=300)
        done[name] = (directory, subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return done


def test_command_line_wins_over_the_file_and_the_file_over_defaults(probes):
    from_file = options_seen(probes["from_file"][1])
    assert from_file == {"seed": 7, "max_examples": 25, "embedded_db": "postgresql",
                         "operation": ["GET /flows/{id}", "POST /flows/*"], "update_baseline": True,
                         "header": [["X-Team", "data"]], "base_url": "http://127.0.0.1:1/api"}
    cli = options_seen(probes["cli"][1])
    assert cli == {"seed": 0, "max_examples": 3, "embedded_db": "postgresql", "operation": ["GET /health"],
                   "update_baseline": True, "header": [["X-Other", "1"]], "base_url": "http://127.0.0.1:3/api"}


def test_a_bad_file_is_one_line_and_exit_4(probes):
    proc = probes["bad_file"][1]
    assert proc.returncode == 4, proc.stdout + proc.stderr
    output = (proc.stdout + proc.stderr).strip()
    assert output == "ERROR: restcontract: restcontract.toml: unknown key 'max-exampels' (did you mean 'max-examples'?)"


def test_the_readme_example_is_a_valid_configuration(probes):
    directory, proc = probes["readme"]
    seen = options_seen(proc)
    assert seen["base_url"] == "http://127.0.0.1:4200/api" and seen["max_examples"] == 25
    assert seen["header"] == [["X-Team", "data"]]
    loaded = config.load(directory, OPTIONS + [OptionSpec(k, k.replace("-", "_"), kind="list")
                                               for k in ("tag", "exclude-operation")]
                         + [OptionSpec("contract-html", "contract_html")], FAMILIES)
    assert len(loaded.overrides) == 4 and loaded.accepts("GET /health", "status_code_conformance", 418)
    assert loaded.exclusion("POST /flows/bulk_delete", "conformance", "destructive") is None


# -- the overrides change a real run ------------------------------------------------------------
# (a wrong content type, not a 500: the harness asks the server for each 5xx's cause, 0.5 s a case)
FAULTS = ["conformance_undocumented_status", "conformance_wrong_type", "conformance_wrong_content_type"]
OPERATIONS = ["GET /health", "POST /flows/count", "POST /deployments/count", "POST /flows/filter"]
OVERRIDES = """
max-examples = 2

[[operations]]
match = "GET /health"
accept-status = [418]
reason = "the teapot is a known joke"

[[operations]]
match = "POST /flows/c*"
exclude = "counted elsewhere"

[[operations]]
match = "POST /deployments/count"
skip = ["conformance"]

[[operations]]
match = "POST /flows/filter"
max-examples = 12
"""


@pytest.fixture(scope="module")
def runs(prefect_server, tmp_path_factory):
    """The same run twice on the same broken server, at the same time (two independent child
    processes): without the config file, and with it."""
    plain_dir, tmp = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("config")
    (tmp / "restcontract.toml").write_text(OVERRIDES)
    ops = [arg for op in OPERATIONS for arg in ("--contract-operation", op)]
    common = ["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
              "--contract-baseline", "none",
              "--contract-spec", str(ROOT / "spec" / "prefect-3.8.8.json"), *ops]
    prefect_server.activate(*FAULTS)
    try:
        with ThreadPoolExecutor(2) as pool:
            plain = pool.submit(run_pytest, [*common, "--contract-max-examples", "2"], plain_dir)
            configured = pool.submit(run_pytest, ["--rootdir", str(tmp), *common], tmp)
            return plain.result(), configured.result()
    finally:
        prefect_server.activate()


def test_without_the_file_the_faults_are_findings(runs):
    plain, _ = runs
    assert plain.returncode == 1
    assert any(f["extra"].get("status") == 418 for f in plain.findings("GET /health"))
    assert plain.result("POST /flows/count", "conformance") == "failed"
    assert plain.result("POST /deployments/count", "conformance") == "failed"


def test_the_file_accepts_excludes_skips_and_sets_budgets(runs):
    plain, configured = runs
    assert "config: restcontract.toml: max-examples; 4 operation override(s)" in configured.output
    assert configured.returncode in (0, 1) and configured.report, configured.output[-3000:]  # filter may find gaps
    assert configured.findings("GET /health") == []  # the 418 is accepted by accept-status
    assert configured.report["operations"]["GET /health"]["statuses"].get("418", 0) > 0  # ... and still answered
    assert configured.result("POST /flows/count", "conformance") == "excluded"
    assert "counted elsewhere" in configured.report["excluded"]["POST /flows/count"]
    assert configured.result("POST /deployments/count", "conformance") == "excluded"
    skipped = configured.report["operations"]["POST /deployments/count"]["reason"]
    assert "conformance skipped by restcontract.toml" in skipped
    fuzzed = [sum(run.report["operations"]["POST /flows/filter"]["statuses"].values()) for run in runs]
    health = [sum(run.report["operations"]["GET /health"]["statuses"].values()) for run in runs]
    assert fuzzed[1] > fuzzed[0] + 5 and health[1] == health[0], (fuzzed, health)  # 12 examples there, 2 elsewhere

