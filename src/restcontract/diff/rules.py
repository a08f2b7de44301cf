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
    Rule("request-maximum-lowered", ERR, "maximum/exclusiveMaximum lowered (a bound where there was none: "
                                         "request-bound-added)."),
    Rule("request-minimum-raised", ERR, "minimum/exclusiveMinimum raised (a bound where there was none: "
                                        "request-bound-added)."),
    Rule("request-max-length-lowered", ERR, "maxLength lowered (a bound where there was none: "
                                            "request-bound-added)."),
    Rule("request-min-length-raised", ERR, "minLength raised (a bound where there was none: "
                                           "request-bound-added)."),
    Rule("request-max-items-lowered", ERR, "maxItems/maxProperties/maxContains lowered (a bound where there was none: "
                                           "request-bound-added)."),
    Rule("request-min-items-raised", ERR, "minItems/minProperties/minContains raised (a bound where there was none: "
                                          "request-bound-added)."),
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

# rule id -> why it has its level, in one line (docs/diff.md prints it next to the rule)
WHY: dict[str, str] = {
    "operation-removed": "every call an old client makes to it fails (404/405)",
    "deprecated-operation-removed": "clients were told to move away; those that did not break",
    "operation-added": "old clients never call it",
    "operation-deprecated": "it still works; only a warning for the future",
    "operation-id-changed": "the wire is the same; only regenerated SDKs rename a method",
    "path-parameter-renamed": "the URL an old client builds is the same",
    "security-requirement-added": "requests without the new credentials are refused (401/403)",
    "security-requirement-removed": "what clients sent before is still enough",
    "request-parameter-added-required": "old requests lack it and are rejected (422)",
    "request-parameter-became-required": "old requests that leave it out are rejected",
    "request-parameter-removed": "servers usually ignore an unknown query parameter, but the client loses what it "
                                 "controlled",
    "request-parameter-added": "old requests without it are still valid",
    "request-parameter-became-optional": "old requests send it anyway",
    "request-parameter-default-changed": "clients that omit it get different results without any error",
    "request-parameter-serialization-changed": "the same value is written differently on the wire "
                                               "(a=1&a=2 vs a=1,2 vs a[x]=1): old requests are misread",
    "request-body-became-required": "old requests without a body are rejected",
    "request-body-removed": "what old clients send is ignored or rejected (as oasdiff)",
    "request-body-added": "optional: old requests stay valid",
    "request-body-became-optional": "old requests send one anyway",
    "request-media-type-removed": "old requests in that media type get 415/422",
    "request-media-type-added": "old requests use the old media type, still accepted",
    "media-type-renamed": "the request media type accepts what it accepted, or the response is of a "
                          "subtype of what clients parse",
    "request-property-added-required": "old bodies lack it and are rejected",
    "request-property-became-required": "old bodies that leave it out are rejected",
    "request-type-narrowed": "some value old clients send is rejected now",
    "request-enum-value-removed": "old clients sending that value are rejected",
    "request-maximum-lowered": "values between the new and the old maximum are rejected",
    "request-minimum-raised": "values between the old and the new minimum are rejected",
    "request-max-length-lowered": "strings between the new and the old maxLength are rejected",
    "request-min-length-raised": "strings shorter than the new minLength are rejected",
    "request-max-items-lowered": "larger arrays/objects are rejected",
    "request-min-items-raised": "smaller arrays/objects are rejected",
    "request-pattern-added": "strings not matching it are rejected (a pattern of '' is no pattern)",
    "request-additional-properties-forbidden": "old bodies with extra properties are rejected",
    "request-property-removed-closed": "old bodies with that property are rejected (extra_forbidden)",
    "request-property-removed": "in an open object the server ignores it: old bodies still pass, "
                                "but what the client set has no effect",
    "request-bound-added": "a limit where there was none usually documents what the server always "
                           "enforced (oasdiff: WARN); --against tells",
    "request-constraint-added": "a keyword that can only reject more (not, then/else, contains, "
                                "dependentRequired, propertyNames, ...) was added",
    "request-constraint-changed": "the keyword's new value may reject what the old one accepted",
    "request-constraint-removed": "the request accepts more",
    "request-pattern-changed": "whether the new pattern rejects old values cannot be decided in general",
    "request-format-changed": "the server validates formats (uuid, date-time): old strings may fail",
    "request-default-changed": "a body default changes behaviour, not validity (oasdiff: INFO)",
    "request-property-added": "old bodies without it are still valid",
    "request-property-became-optional": "old bodies send it anyway",
    "request-type-widened": "everything old clients send is still accepted",
    "request-enum-value-added": "old clients never send it",
    "request-bound-relaxed": "everything old clients send is still accepted",
    "request-pattern-removed": "everything old clients send is still accepted",
    "success-status-removed": "clients that expect it handle the new status as an error",
    "status-removed": "a non-2xx status no longer documented does not change a success",
    "status-added": "a documented status is not new behaviour by itself",
    "response-media-type-removed": "clients asking for it (Accept) or parsing it get something else (as oasdiff)",
    "response-media-type-added": "old clients do not ask for it",
    "response-property-removed": "a required property clients read is gone",
    "response-property-became-optional": "clients that read it unconditionally fail when it is absent",
    "response-became-nullable": "clients that do not expect null fail on it",
    "response-type-changed": "clients parse a type they were never promised",
    "response-bound-relaxed": "values outside the promised bounds reach clients that relied on them "
                              "(as oasdiff)",
    "response-const-changed": "clients comparing with the constant see another value",
    "response-constraint-removed": "the response may hold what the keyword excluded",
    "response-constraint-changed": "the response may hold what the old value excluded",
    "response-format-changed": "clients parsing the old format (dates, uuids) fail (as oasdiff)",
    "response-optional-property-removed": "clients must already cope with it missing (oasdiff: WARN); "
                                          "some read it whenever it was there",
    "response-enum-value-added": "exhaustive switches fail; tolerant clients do not",
    "response-property-added-closed": "clients validating against additionalProperties: false reject it",
    "response-property-added": "clients ignore what they do not read",
    "response-property-became-required": "clients get it more often than before",
    "response-type-narrowed": "clients get a subset of what they handled",
    "response-enum-value-removed": "clients get a subset of what they handled",
    "response-additional-properties-allowed": "only strict validators notice, and they were told "
                                              "nothing else would come",
    "response-bound-changed": "responses stay within the old bounds",
    "response-constraint-added": "responses stay within what the old schema allowed",
    "response-pattern-changed": "clients rarely validate response patterns (as oasdiff)",
    "response-format-added": "the values are the same; only now documented",
    "response-default-changed": "a default in a response is documentation",
    "description-changed": "documentation only",
    "example-changed": "documentation only",
}


def level_of(rule_id: str) -> Level:
    return RULES[rule_id].level
