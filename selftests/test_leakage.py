"""Leakage: a write answered 422 that the server did anyway is caught, with the whole sequence as
its reproduction (a 500 before it is no rejection: asked again); the real server's rejections leave
nothing behind."""

# The child runs are conftest.unbroken_sequences / broken_sequences: methods, leakage and hierarchy in one run.


def test_rejected_writes_leave_nothing_on_the_real_server(unbroken_sequences):
    results = {op: unbroken_sequences.result(op, "leakage") for op in ("POST /variables/", "PATCH /variables/{id}")}
    assert set(results.values()) == {"passed"}, f"{results}\n{unbroken_sequences.output[-3000:]}"
    assert not unbroken_sequences.findings(check="leakage")  # (the run fails: methods finds Prefect's Allow header)


def test_rejected_create_that_created_is_caught(broken_sequences):
    found = broken_sequences.findings("POST /variables/", "leakage")
    assert [f["rule"] for f in found] == ["create_leaked"], broken_sequences.output[-3000:]
    assert found[0]["kind"] == "server_defect" and found[0]["step"] == "POST /variables/"


def test_rejected_update_that_updated_is_caught_with_its_sequence(broken_sequences):
    found = broken_sequences.findings("PATCH /variables/{id}", "leakage")
    assert [f["rule"] for f in found] == ["update_leaked"], \
        broken_sequences.report["operations"].get("PATCH /variables/{id}")
    assert "$.tags" in found[0]["message"]
    lines = found[0]["reproduce"].splitlines()
    # the first broken update was answered 500 (no rejection: asked again), the next two 422 with the change made
    assert [line.split("-X ", 1)[1].split()[0] for line in lines] == ["POST", "GET", "PATCH"] + ["GET", "PATCH",
                                                                                              "GET"] * 2, lines
    assert lines[0].startswith("ID1=$(curl -s -X POST ") and all('"${ID1}"' in line for line in lines[1:]), lines
    assert broken_sequences.returncode == 1
