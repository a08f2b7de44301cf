"""Every rule the diff can report: its id, its level, and what it means.

This table is the single place where levels are decided; the comparison code only names rule
ids. The documentation (``docs/diff.md``) and ``restcontract diff --format markdown`` list it.

The level answers one question: can a client written against the OLD document break when it
talks to a server that implements the NEW one? Requests and responses are asymmetric: a
request schema that accepts more is harmless (the client sends what it always sent), a
response schema that allows more is not (the client receives something it did not expect).
"""

from __future__ import annotations

from dataclasses import dataclass

from restcontract.diff.model import Level


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    meaning: str


ERR, WARN, INFO = Level.ERR, Level.WARN, Level.INFO

_TABLE: list[Rule] = [
    # --- operations -------------------------------------------------------------------------
    Rule("operation-removed", ERR, "An operation (METHOD /path) of the old document is gone."),
    Rule("deprecated-operation-removed", WARN, "An operation already marked deprecated is gone."),
    Rule("operation-added", INFO, "A new operation."),
    Rule("operation-deprecated", INFO, "An operation is now marked deprecated."),
    Rule("operation-id-changed", INFO, "The operationId changed (generated clients rename a method)."),
    Rule("path-parameter-renamed", INFO, "A path parameter has a new name; the route is the same."),
    Rule("security-requirement-added", ERR, "Some client that could authenticate before cannot now "
                                            "(credentials now needed, or an accepted scheme dropped)."),
    Rule("security-requirement-removed", INFO, "Security relaxed: no credentials needed, "
                                               "or more ways to authenticate."),
    # --- parameters -------------------------------------------------------------------------
    Rule("request-parameter-added-required", ERR, "A new parameter that clients must send."),
    Rule("request-parameter-became-required", ERR, "An optional parameter is now required."),
    Rule("request-parameter-removed", WARN, "A parameter is gone; clients that send it are ignored or rejected."),
    Rule("request-parameter-added", INFO, "A new optional parameter."),
    Rule("request-parameter-became-optional", INFO, "A required parameter is now optional."),
    # --- request bodies ---------------------------------------------------------------------
    Rule("request-body-became-required", ERR, "The request body is now required (or a required body was added)."),
    Rule("request-body-removed", WARN, "The operation no longer takes a request body."),
    Rule("request-body-added", INFO, "The operation takes a new, optional request body."),
    Rule("request-body-became-optional", INFO, "The request body is now optional."),
    Rule("request-media-type-removed", ERR, "A request media type (application/json, ...) is no longer accepted."),
    Rule("request-media-type-added", INFO, "A new request media type is accepted."),
    # --- request schemas (bodies and parameters) ---------------------------------------------
    Rule("request-property-added-required", ERR, "A new property that clients must send."),
    Rule("request-property-became-required", ERR, "An optional property is now required."),
    Rule("request-type-narrowed", ERR, "A value the old schema accepted is rejected now: type changed, "
                                       "null or an alternative (anyOf/oneOf) no longer accepted, enum introduced."),
    Rule("request-enum-value-removed", ERR, "An enum value clients may send is no longer accepted."),
    Rule("request-maximum-lowered", ERR, "maximum/exclusiveMaximum lowered or added."),
    Rule("request-minimum-raised", ERR, "minimum/exclusiveMinimum raised or added."),
    Rule("request-max-length-lowered", ERR, "maxLength lowered or added."),
    Rule("request-min-length-raised", ERR, "minLength raised or added."),
    Rule("request-max-items-lowered", ERR, "maxItems/maxProperties lowered or added."),
    Rule("request-min-items-raised", ERR, "minItems/minProperties raised or added."),
    Rule("request-pattern-added", ERR, "A string that had no pattern must match one now."),
    Rule("request-additional-properties-forbidden", ERR, "An object that accepted extra properties rejects them now."),
    Rule("request-property-removed-closed", ERR, "A property clients may send is gone from an object with "
                                                 "additionalProperties: false, so sending it is rejected."),
    Rule("request-property-removed", WARN, "A property is gone; clients that send it are ignored or rejected."),
    Rule("request-pattern-changed", WARN, "The pattern changed; some values that matched may not match now."),
    Rule("request-format-changed", WARN, "A string format (uuid, date-time, ...) was added or changed."),
    Rule("request-default-changed", WARN, "A default changed: clients that omit the value get other behaviour."),
    Rule("request-property-added", INFO, "A new optional property."),
    Rule("request-property-became-optional", INFO, "A required property is now optional."),
    Rule("request-type-widened", INFO, "The schema accepts more than before (new type, null, alternative, "
                                       "format or enum dropped)."),
    Rule("request-enum-value-added", INFO, "A new enum value is accepted."),
    Rule("request-bound-relaxed", INFO, "A minimum/maximum/length/items bound was relaxed or dropped."),
    Rule("request-pattern-removed", INFO, "A pattern was dropped."),
    # --- responses --------------------------------------------------------------------------
    Rule("success-status-removed", ERR, "A 2xx status the operation used to document is gone."),
    Rule("status-removed", INFO, "A non-2xx status is no longer documented."),
    Rule("status-added", INFO, "A new documented status."),
    Rule("response-media-type-removed", WARN, "A response media type is gone."),
    Rule("response-media-type-added", INFO, "A new response media type."),
    # --- response schemas -------------------------------------------------------------------
    Rule("response-property-removed", ERR, "A property clients read is gone."),
    Rule("response-property-became-optional", ERR, "A property that was always present may be missing now."),
    Rule("response-became-nullable", ERR, "A value that was never null may be null now."),
    Rule("response-type-changed", ERR, "The response may hold a type the old schema did not allow "
                                       "(type changed, new anyOf/oneOf alternative, type constraint dropped)."),
    Rule("response-enum-value-added", WARN, "The response may hold an enum value clients do not know."),
    Rule("response-property-added-closed", WARN, "A new required property in an object the old document "
                                                 "declared closed (additionalProperties: false)."),
    Rule("response-property-added", INFO, "A new property in a response."),
    Rule("response-property-became-required", INFO, "A property is now always present."),
    Rule("response-type-narrowed", INFO, "The response holds fewer kinds of values (a type, null or "
                                         "an alternative dropped, an enum introduced)."),
    Rule("response-enum-value-removed", INFO, "An enum value no longer appears in responses."),
    Rule("response-additional-properties-allowed", INFO, "A closed response object may carry extra properties now."),
    Rule("response-bound-changed", INFO, "A bound (minimum, maxLength, ...) of a response value changed."),
    Rule("response-pattern-changed", INFO, "The pattern of a response value changed."),
    Rule("response-format-changed", INFO, "The format of a response value changed."),
    Rule("response-default-changed", INFO, "The default of a response value changed."),
    # --- documentation ----------------------------------------------------------------------
    Rule("description-changed", INFO, "A summary or description changed."),
    Rule("example-changed", INFO, "An example changed."),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _TABLE}


def level_of(rule_id: str) -> Level:
    return RULES[rule_id].level
