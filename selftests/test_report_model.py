"""The report model declares every field a report holds (in-process: no server)."""

from restcontract.checks.registry import FAMILIES
from restcontract.reporting.model import FIELDS, extra_fields, undeclared


def test_a_field_nobody_declared_is_reported():
    report = {"summary": {"tested": 1, "surprise": 2}, "extra": {"cleanup": {}, "mystery": {}}, "oddity": 1,
              "operations": {"GET /flows/{id}": {"statuses": {}, "checks": {}, "colour": "red"}},
              "failures": [{"operation": "GET /x", "fingerprint": "f", "secret_sauce": 1}]}
    assert undeclared(report) == ["extra.mystery", "failures.secret_sauce", "oddity", "operations.*.colour",
                                  "summary.surprise"]


def test_families_declare_what_they_add_to_extra():
    declared = extra_fields()
    for family in FAMILIES.values():
        assert set(family.notes) <= set(declared)
    assert "not_found_shapes" in declared and "cleanup" in declared
    assert all(meaning for meaning in FIELDS.values())
