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
    Rule("request-parameter-default-changed", ERR, "The default of a parameter changed: a client that omits it "
                                                   "gets other results (limits, sorting, filters)."),
    Rule("request-parameter-serialization-changed", ERR, "The parameter's style/explode changed (form, "
                                                         "deepObject, ...): the server parses what old clients "
                                                         "send differently."),
    # --- request bodies ---------------------------------------------------------------------
    Rule("request-body-became-required", ERR, "The request body is now required (or a required body was added)."),
    Rule("request-body-removed", ERR, "The operation no longer takes a request body: what clients send is "
                                      "ignored or rejected."),
    Rule("request-body-added", INFO, "The operation takes a new, optional request body."),
    Rule("request-body-became-optional", INFO, "The request body is now optional."),
    Rule("request-media-type-removed", ERR, "A request media type (application/json, ...) is no longer accepted."),
    Rule("request-media-type-added", INFO, "A new request media type is accepted."),
    Rule("media-type-renamed", INFO, "A media type became more general in a request or more specific in a "
                                     "response (parameters, application/problem+json for application/json)."),
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
    Rule("request-bound-added", WARN, "A bound (maximum, maxLength, minItems, ...) where there was none: often "
                                      "a limit the server always had, now documented."),
    Rule("request-constraint-added", ERR, "A newer keyword restricts the request now (not, if/then/else, contains, "
                                          "patternProperties, propertyNames, dependent*, unevaluated*, content*)."),
    Rule("request-constraint-changed", ERR, "Such a keyword changed: values it accepted may be rejected now."),
    Rule("request-constraint-removed", INFO, "Such a keyword was dropped (or prefixItems added): the request "
                                             "accepts more."),
    Rule("request-pattern-changed", WARN, "The pattern changed; some values that matched may not match now."),
    Rule("request-format-changed", ERR, "A string format (uuid, date-time, ...) was added or changed: the server "
                                        "validates it, strings that passed may be rejected."),
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
    Rule("response-media-type-removed", ERR, "A response media type is gone: clients that ask for it (Accept) "
                                             "or parse it get something else."),
    Rule("response-media-type-added", INFO, "A new response media type."),
    # --- response schemas -------------------------------------------------------------------
    Rule("response-property-removed", ERR, "A property clients read is gone."),
    Rule("response-property-became-optional", ERR, "A property that was always present may be missing now."),
    Rule("response-became-nullable", ERR, "A value that was never null may be null now."),
    Rule("response-type-changed", ERR, "The response may hold a type the old schema did not allow "
                                       "(type changed, new anyOf/oneOf alternative, type constraint dropped)."),
    Rule("response-bound-relaxed", ERR, "A response value may lie outside the bounds clients were promised "
                                        "(minimum lowered, maxLength raised or dropped, ...)."),
    Rule("response-const-changed", ERR, "A value that was always one constant is another constant now."),
    Rule("response-constraint-removed", ERR, "A newer keyword no longer restricts the response (or prefixItems "
                                             "added): it may hold what clients were promised it would not."),
    Rule("response-constraint-changed", ERR, "Such a keyword changed: the response may hold values it excluded."),
    Rule("response-format-changed", ERR, "The format of a response string changed or was dropped: clients "
                                         "parsing it (dates, uuids) may fail."),
    Rule("response-optional-property-removed", WARN, "An optional property is gone; clients must already cope "
                                                     "with its absence, but some read it when it was there."),
    Rule("response-enum-value-added", WARN, "The response may hold an enum value clients do not know."),
    Rule("response-property-added-closed", WARN, "A new required property in an object the old document "
                                                 "declared closed (additionalProperties: false)."),
    Rule("response-property-added", INFO, "A new property in a response."),
    Rule("response-property-became-required", INFO, "A property is now always present."),
    Rule("response-type-narrowed", INFO, "The response holds fewer kinds of values (a type, null or "
                                         "an alternative dropped, an enum introduced)."),
    Rule("response-enum-value-removed", INFO, "An enum value no longer appears in responses."),
    Rule("response-additional-properties-allowed", INFO, "A closed response object may carry extra properties now."),
    Rule("response-bound-changed", INFO, "A bound (minimum, maxLength, ...) of a response value was tightened "
                                         "or added: responses stay within what clients expect."),
    Rule("response-constraint-added", INFO, "A newer keyword restricts the response more (or prefixItems "
                                            "removed)."),
    Rule("response-pattern-changed", INFO, "The pattern of a response value changed."),
    Rule("response-format-added", INFO, "A response string now declares a format."),
    Rule("response-default-changed", INFO, "The default of a response value changed."),
    # --- documentation ----------------------------------------------------------------------
    Rule("description-changed", INFO, "A summary or description changed."),
    Rule("example-changed", INFO, "An example changed."),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _TABLE}


def level_of(rule_id: str) -> Level:
    return RULES[rule_id].level
