"""Stateful: a write the server accepts that breaks later reads is one finding on the write, naming the
reads it broke, reproduced by the shortest sequence that breaks them; the real server's variables pass.

Three child runs of the family on the two variable writes (``faults/stateful.py``): both faults on, with
``--max-examples 12`` (twelve drawn writes per operation, room for the three-step fault to complete among
other writes; the default is six); the unbroken server, as a user runs it; the one-step fault behind a
flaky network (a 503 before every answer of the listing) with another seed, which must give the same
fingerprint.
"""

from __future__ import annotations

import pytest

from conftest import family_tests

WRITES = ["PATCH /variables/{id}", "PATCH /variables/name/{name}"]
DEFAULT = [*family_tests("stateful"), "--operation", WRITES[0], "--operation", WRITES[1]]
ARGS = [*DEFAULT, "--max-examples", "12"]
LISTING = "PATCH /variables/{id} -> POST /variables/filter 5xx"


@pytest.fixture(scope="module")
def broken_run(shared_run):
    return shared_run(ARGS, faults=["stateful_listing_500", "stateful_three_steps"])


@pytest.fixture(scope="module")
def unbroken_run(shared_run):
    return shared_run(DEFAULT)


@pytest.fixture(scope="module")
def flaky_run(shared_run):
    return shared_run([*family_tests("stateful"), "--operation", WRITES[0], "--seed", "1"],
                      faults=["stateful_flaky_listing_500"])


def methods(finding: dict) -> list[str]:
    return [line.split("-X ", 1)[1].split()[0] for line in finding["reproduce"].splitlines()]


def test_the_real_servers_variables_pass(unbroken_run):
    assert unbroken_run.results("stateful") == {op: "passed" for op in WRITES}, unbroken_run.output[-3000:]
    assert not unbroken_run.findings(check="stateful") and unbroken_run.returncode == 0


def test_a_write_that_breaks_a_listing_is_one_finding_on_the_write(broken_run):
    found = broken_run.findings(WRITES[0], "stateful")
    assert [(f["rule"], f["kind"], f["detail"]) for f in found] == [
        ("write_poisons_reads", "server_defect", LISTING)], broken_run.output[-3000:]
    assert found[0]["step"] == WRITES[0] and "POST /variables/filter answered HTTP 500" in found[0]["message"]
    assert "deleting the object made them answer again" in found[0]["message"]
    assert methods(found[0]) == ["POST", "PATCH", "POST"]  # create, the one poisoning write, the listing
    assert not [f for f in broken_run.report["failures"] if f["operation"] == "POST /variables/filter"]
    assert broken_run.returncode == 1 and not broken_run.report["extra"]["cleanup"]["problems"]


def test_a_three_step_defect_is_shrunk_to_its_three_steps(broken_run):
    found = broken_run.findings(WRITES[1], "stateful")
    assert [f["detail"] for f in found] == [f"{WRITES[1]} -> GET /variables/{{id}} schema"], broken_run.output[-3000:]
    assert "'name' is a required property" in found[0]["message"]
    explored = int(found[0]["message"].split("shrunk from ", 1)[1].split(")")[0])
    assert explored > 3, found[0]["message"]  # the run's sequence had other writes between the three
    assert methods(found[0]) == ["POST", "PATCH", "PATCH", "PATCH", "GET"], found[0]["reproduce"]
    lines = found[0]["reproduce"].splitlines()
    assert lines[0].startswith("ID1=$(curl -s -X POST ") and lines[-1].endswith('/variables/"${ID1}"'), lines


def test_the_fingerprint_holds_through_503s_retries_and_other_values(broken_run, flaky_run):
    first = broken_run.findings(WRITES[0], "stateful")
    again = flaky_run.findings(WRITES[0], "stateful")
    assert [f["detail"] for f in again] == [LISTING], flaky_run.output[-3000:]
    assert again[0]["fingerprint"] == first[0]["fingerprint"]
    assert flaky_run.report["extra"]["transient_retries"] > 0  # the 503s were there, and retried
