"""Sequence findings reproduce as sequences and name the broken step: a PATCH that changes
nothing is reported with PATCH /variables/{id} as its step and the lifecycle up to it as one
script; the fingerprint stays the one the baseline knows."""

import pytest


@pytest.fixture(scope="module")
def broken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    prefect_server.activate("sequence_patch_ignored")
    try:
        return run_pytest(["tests/test_contracts.py::test_lifecycle", "--base-url", prefect_server.base_url,
                           "--baseline", "none", "--operation", "POST /variables/"],
                          tmp_path_factory.mktemp("sequences"))
    finally:
        prefect_server.activate()


def test_ignored_patch_names_its_step(broken):
    found = broken.findings("POST /variables/", "lifecycle")
    assert [f["rule"] for f in found] == ["read_after_update"], broken.output[-3000:]
    assert found[0]["step"] == "PATCH /variables/{id}" and "PATCH /variables/{id}" in found[0]["message"]
    # same fingerprint as before the step was named (operation, check, rule, detail unchanged)
    assert found[0]["detail"] == "variables|read_after_update"


def test_the_reproduction_is_the_whole_sequence(broken):
    lines = broken.findings("POST /variables/", "lifecycle")[0]["reproduce"].splitlines()
    assert len(lines) == 4, lines
    assert lines[0].startswith("ID1=$(curl -s -X POST ") and "/variables/" in lines[0], lines[0]
    assert [line.split("curl ", 1)[1].split()[1] for line in lines[1:]] == ["GET", "PATCH", "GET"], lines
    assert all('"${ID1}"' in line for line in lines[1:]), lines


def test_the_script_runs(broken, prefect_server):
    """The script, run by a shell against the same (still broken) server, creates its own variable."""
    import subprocess

    script = broken.findings("POST /variables/", "lifecycle")[0]["reproduce"]
    prefect_server.activate("sequence_patch_ignored")
    try:
        out = subprocess.run(["bash", "-euc", script + "\nprintf '\\n%s\\n' \"$ID1\""],
                             capture_output=True, text=True, timeout=60)
    finally:
        prefect_server.activate()
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()[-1]) == 36, out.stdout
