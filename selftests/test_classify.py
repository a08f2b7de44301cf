"""The checks' pure classification, in-process: plain values in (statuses, bodies, the key table), the
class and the findings out. No server, no child pytest.

``checks.graceful_create``: which class (graceful, strict, no_key, broken) and which findings each pair of
answers to the same create gives; ``checks.not_found``: which findings an answer to a missing or a
malformed id gives; ``checks.support``: comparing two answers, the read-only actions.
"""

from __future__ import annotations

import pytest

from restcontract.checks.graceful_create import (
    Answer,
    judge_duplicate,
    judge_listed,
    judge_new,
    needs_listing,
    settle,
    table_disagreement,
)
from restcontract.checks.not_found import judge_malformed, judge_missing
from restcontract.checks.support import differences, volatile_fields
from restcontract.findings import SERVER_DEFECT, SPEC_GAP
from restcontract.spec.routes import is_read_only_post
from restcontract.tables.keys import BROKEN, GRACEFUL, NO_KEY, STRICT, UPSERT, Key

NAME = Key(("name",), GRACEFUL)
ALL = {"200", "201", "409", "422"}  # a document that declares every status the contract allows
CREATED = "2026-12-07T06:00:00Z"


def obj(id_: str = "a", created: str = CREATED, **more) -> dict:
    return {"id": id_, "created": created, "name": "rc-flow", **more}


def classify(new: Answer, again: Answer, key: Key | None = NAME, declared: set[str] = ALL):
    """(class after settling, rules of every finding) for a create answered ``new`` then ``again``."""
    verdicts = judge_new(new, declared)
    outcome, duplicate = judge_duplicate(new, again, key, declared)
    verdicts += duplicate
    return settle(outcome, verdicts), [v.rule for v in verdicts]


# -- the first answer -------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "declared", "rules"), [
    (201, ALL, []),
    (201, {"200", "422"}, ["undocumented_201"]),
    (200, ALL, ["new_not_201"]),
    (422, ALL, ["new_refused"]),
    (500, ALL, ["new_5xx"]),
])
def test_a_new_object_is_201_created(status, declared, rules):
    assert [v.rule for v in judge_new(Answer(status, obj()), declared)] == rules


def test_findings_on_the_new_object_name_its_answer_and_kind():
    (refused,) = judge_new(Answer(422, None, "x" * 400), ALL)
    assert (refused.kind, refused.detail, refused.answer) == (SERVER_DEFECT, "422", "new")
    assert refused.message.endswith("x" * 300) and "x" * 301 not in refused.message  # the text is cut at 300
    (gap,) = judge_new(Answer(201, obj()), {"422", "200"})
    assert (gap.kind, gap.detail) == (SPEC_GAP, "201") and gap.message.endswith("declares only 200, 422")


# -- the same create again: the four classes --------------------------------------------------------
@pytest.mark.parametrize(("again", "key", "expected"), [
    (Answer(200, obj()), NAME, (GRACEFUL, [])),
    (Answer(200, obj(description="new")), Key(("name",), UPSERT), (GRACEFUL, [])),
    (Answer(409, {"detail": "exists"}), Key(("name",), STRICT), (STRICT, [])),
    (Answer(201, obj("b")), Key((), NO_KEY), (NO_KEY, [])),
    (Answer(201, obj("b")), None, (NO_KEY, [])),  # unknown to the table: a second object means no key
    (Answer(201, obj("a")), NAME, (BROKEN, ["duplicate_201"])),
    (Answer(201, obj("b")), NAME, (BROKEN, ["duplicate_201", "second_object"])),
    (Answer(200, obj("b")), NAME, (BROKEN, ["second_object"])),
    (Answer(200, None), NAME, (BROKEN, ["duplicate_no_object"])),
    (Answer(200, obj(created="2026-12-07T06:00:01Z")), NAME, (BROKEN, ["created_changed"])),
    (Answer(202, obj()), NAME, (BROKEN, ["duplicate_status"])),
    (Answer(500, None), NAME, (BROKEN, ["duplicate_5xx"])),
    (Answer(422, None, "no"), NAME, (BROKEN, ["duplicate_status"])),
])
def test_each_pair_of_answers_gives_one_class_and_its_findings(again, key, expected):
    assert classify(Answer(201, obj()), again, key) == expected


def test_undocumented_but_kept_contracts_are_spec_gaps_and_keep_the_class():
    assert classify(Answer(201, obj()), Answer(409, None), declared={"201", "422"}) == (STRICT, ["undocumented_409"])
    assert classify(Answer(201, obj()), Answer(200, obj()), declared={"201"}) == (GRACEFUL, ["undocumented_200"])


def test_a_broken_first_answer_breaks_the_class_whatever_the_second():
    assert classify(Answer(200, obj()), Answer(200, obj())) == (BROKEN, ["new_not_201"])


def test_duplicate_findings_reproduce_the_second_answer():
    _, verdicts = judge_duplicate(Answer(201, obj()), Answer(201, obj("b")), NAME, ALL)
    assert {v.answer for v in verdicts} == {"again"}
    assert verdicts[1].message.endswith("id a then b") and verdicts[0].message.count("(name)") == 1


# -- the listing and the table ----------------------------------------------------------------------
def test_the_collection_is_listed_unless_there_is_no_key():
    assert needs_listing(NAME, Answer(201, obj()), GRACEFUL)
    assert not needs_listing(Key((), NO_KEY), Answer(201, obj()), GRACEFUL)
    assert not needs_listing(None, Answer(201, obj()), GRACEFUL)
    assert not needs_listing(NAME, Answer(201, None), GRACEFUL)
    assert not needs_listing(NAME, Answer(201, obj()), NO_KEY)


@pytest.mark.parametrize(("found", "rules"), [
    (None, []), ([], []), ([obj()], []), ([obj(), obj()], []), ([obj("a"), obj("b")], ["second_object"]),
])
def test_two_listed_objects_with_the_key_are_a_second_object(found, rules):
    verdicts = judge_listed(found, NAME)
    assert [v.rule for v in verdicts] == rules
    assert all(v.detail == "listed" and "2 objects have the natural key (name)" in v.message for v in verdicts)
    assert settle(GRACEFUL, verdicts) == (BROKEN if rules else GRACEFUL)


@pytest.mark.parametrize(("key", "outcome", "note"), [
    (NAME, GRACEFUL, None),
    (Key(("name",), UPSERT), GRACEFUL, None),
    (NAME, BROKEN, None),
    (None, STRICT, None),
    (NAME, STRICT, "table says graceful, measured strict"),
    (Key(("name",), STRICT), NO_KEY, "table says strict, measured no_key"),
])
def test_the_report_says_where_the_table_and_the_server_disagree(key, outcome, note):
    assert table_disagreement(key, outcome) == note


# -- not_found ---------------------------------------------------------------------------------------
DETAIL = {"detail": "Flow not found"}


@pytest.mark.parametrize(("status", "answer", "declared", "expected"), [
    (404, DETAIL, {"200", "404"}, ("detail", [])),
    (404, DETAIL, {"200", "422"}, ("detail", [("undocumented_404", SPEC_GAP, "404")])),
    (404, {"exception_message": "missing"}, {"404"}, ("exception_message", [("error_shape", SPEC_GAP,
                                                                              "exception_message")])),
    (404, None, {"404"}, ("none", [("error_body", SERVER_DEFECT, "404-no-message")])),
    (404, {"detail": "  "}, {"404"}, ("none", [("error_body", SERVER_DEFECT, "404-no-message")])),
    (200, None, {"404"}, (None, [("missing_id_2xx", SERVER_DEFECT, "200")])),
    (204, None, {"404"}, (None, [("missing_id_2xx", SERVER_DEFECT, "204")])),
    (500, None, {"404"}, (None, [("missing_id_5xx", SERVER_DEFECT, "500")])),
    (422, None, {"404"}, (None, [("missing_id_status", SERVER_DEFECT, "422")])),
])
def test_a_missing_id_is_404_with_a_message_in_the_documented_key(status, answer, declared, expected):
    shape, verdicts = judge_missing(status, answer, "text", "id", declared, "detail")
    assert (shape, [(v.rule, v.kind, v.detail) for v in verdicts]) == expected
    assert all(v.message.startswith(("404 for {id} naming no object", f"HTTP {status} for {{id}} naming no object"))
               for v in verdicts)


@pytest.mark.parametrize(("status", "rules"), [(422, []), (404, []), (400, []), (200, ["malformed_id"]),
                                               (500, ["malformed_id"]), (307, ["malformed_id"])])
def test_a_malformed_uuid_is_a_4xx(status, rules):
    assert [v.rule for v in judge_malformed(status, "x", "id")] == rules


# -- support: comparing answers ---------------------------------------------------------------------
def test_differences_name_the_paths_and_leave_out_the_volatile_fields():
    a = {"id": "a", "updated": "1", "items": [{"x": 1}, {"x": 2}], "tags": ["t"]}
    b = {"id": "a", "updated": "2", "items": [{"x": 1}, {"x": 3}], "tags": ["t", "u"]}
    assert differences(a, b, set()) == ["$.items[*].x", "$.tags[len]", "$.updated"]
    assert differences(a, b, {"updated", "$.tags"}) == ["$.items[*].x"]
    assert differences(a, a, set()) == []
    assert "estimated_run_time" in volatile_fields("GET /flow_runs/{id}")
    assert "updated" not in volatile_fields("GET /flows/{id}")
    assert "updated" in volatile_fields("GET /flows/{id}", after_write=True)
    assert "$" in volatile_fields("POST /flow_runs/lateness")


@pytest.mark.parametrize(("operation", "expected"), [
    ("POST /flows/filter", True), ("POST /flow_runs/count", True), ("POST /flow_runs/history", True),
    ("POST /flows/", False), ("GET /flows/filter", False), ("POST /flow_runs/{id}/set_state", False),
])
def test_read_only_actions_are_known_by_their_last_literal_segment(operation, expected):
    assert is_read_only_post(operation) is expected
