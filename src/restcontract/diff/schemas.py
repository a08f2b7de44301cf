"""Compare two schemas structurally and report what changed, as rule ids from ``rules.py``.

The same schema change means different things in a request and in a response: a request
that accepts more is harmless, a response that may contain more is not. The comparison
first finds *facts* (``"property-removed"``, ``"null-added"``, ...) and ``FACT_RULES`` turns
each fact into a rule id for the direction at hand.

Schemas are compared by structure, never by component name: the walk starts at what an
operation references and follows ``$ref``s on both sides. Recursive schemas are cut by the
pair of absolute pointers being compared (a pair already under comparison further up is
skipped), and results are memoized per pair, so shared components are compared once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from restcontract.diff.model import Level
from restcontract.diff.rules import RULES
from restcontract.diff.shapes import MISSING, Node, Shape, ShapeReader, covers, escape

Direction = Literal["request", "response"]

# fact -> (rule in a request, rule in a response)
FACT_RULES: dict[str, tuple[str, str]] = {
    "narrowed": ("request-type-narrowed", "response-type-narrowed"),
    "widened": ("request-type-widened", "response-type-changed"),
    "null-added": ("request-type-widened", "response-became-nullable"),
    "null-removed": ("request-type-narrowed", "response-type-narrowed"),
    "enum-value-removed": ("request-enum-value-removed", "response-enum-value-removed"),
    "enum-value-added": ("request-enum-value-added", "response-enum-value-added"),
    "enum-introduced": ("request-type-narrowed", "response-type-narrowed"),
    "enum-dropped": ("request-type-widened", "response-type-changed"),
    "bound-relaxed": ("request-bound-relaxed", "response-bound-relaxed"),
    "bound-added": ("request-bound-added", "response-bound-changed"),
    "pattern-added": ("request-pattern-added", "response-pattern-changed"),
    "pattern-changed": ("request-pattern-changed", "response-pattern-changed"),
    "pattern-removed": ("request-pattern-removed", "response-pattern-changed"),
    "format-added": ("request-format-changed", "response-format-added"),
    "format-changed": ("request-format-changed", "response-format-changed"),
    "format-removed": ("request-type-widened", "response-format-changed"),
    "constraint-added": ("request-constraint-added", "response-constraint-added"),
    "constraint-removed": ("request-constraint-removed", "response-constraint-removed"),
    "constraint-changed": ("request-constraint-changed", "response-constraint-changed"),
    "property-removed": ("request-property-removed", "response-property-removed"),
    "optional-property-removed": ("request-property-removed", "response-optional-property-removed"),
    "property-added": ("request-property-added", "response-property-added"),
    "required-property-added": ("request-property-added-required", "response-property-added"),
    "became-required": ("request-property-became-required", "response-property-became-required"),
    "became-optional": ("request-property-became-optional", "response-property-became-optional"),
    "additional-forbidden": ("request-additional-properties-forbidden", "response-type-narrowed"),
    "additional-allowed": ("request-type-widened", "response-additional-properties-allowed"),
    "default-changed": ("request-default-changed", "response-default-changed"),
    "description-changed": ("description-changed", "description-changed"),
    "example-changed": ("example-changed", "example-changed"),
}

# bound keyword -> (is an upper bound, rule when a request bound is tightened)
BOUNDS: dict[str, tuple[bool, str]] = {
    "maximum": (True, "request-maximum-lowered"),
    "exclusiveMaximum": (True, "request-maximum-lowered"),
    "maxLength": (True, "request-max-length-lowered"),
    "maxItems": (True, "request-max-items-lowered"),
    "maxProperties": (True, "request-max-items-lowered"),
    "minimum": (False, "request-minimum-raised"),
    "exclusiveMinimum": (False, "request-minimum-raised"),
    "minLength": (False, "request-min-length-raised"),
    "minItems": (False, "request-min-items-raised"),
    "minProperties": (False, "request-min-items-raised"),
    "maxContains": (True, "request-max-items-lowered"),
    "minContains": (False, "request-min-items-raised"),
}
# ``prefixItems`` relaxes: with it, ``items`` only applies after the prefix (so adding it accepts more)
RELAXING_CONSTRAINTS = {"prefixItems"}


@dataclass(frozen=True)
class SchemaChange:
    """A change inside one schema; ``pointer`` is relative to the schema compared (``/properties/id``)."""

    rule: str
    pointer: str
    message: str


class SchemaDiff:
    """Compares schemas of an old and a new document."""

    def __init__(self, old: ShapeReader, new: ShapeReader):
        self.old, self.new = old, new
        self._memo: dict[tuple, list[SchemaChange]] = {}
        self._active: set[tuple] = set()
        self._cuts = 0  # how many times a recursive pair was skipped

    def compare(self, old: Node, new: Node, direction: Direction) -> list[SchemaChange]:
        """All changes between two schema nodes, with pointers relative to them."""
        old, new = self.old.follow(old), self.new.follow(new)
        key = (old.pointer, new.pointer, direction)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:  # recursion: this pair is already being compared further up
            self._cuts += 1
            return []
        self._active.add(key)
        cuts_before = self._cuts
        try:
            changes = _Walk(self, direction).shapes(self.old.shape(old), self.new.shape(new))
        finally:
            self._active.discard(key)
        if self._cuts == cuts_before:  # a result cut short by recursion is not reusable elsewhere
            self._memo[key] = changes
        return changes


class _Walk:
    """One comparison in one direction; each method looks at one aspect of two shapes."""

    def __init__(self, diff: SchemaDiff, direction: Direction):
        self.diff, self.direction = diff, direction
        self.out: list[SchemaChange] = []

    def report(self, fact: str, message: str, pointer: str = "") -> None:
        request_rule, response_rule = FACT_RULES[fact]
        self.rule(request_rule if self.direction == "request" else response_rule, message, pointer)

    def rule(self, rule_id: str, message: str, pointer: str = "") -> None:
        self.out.append(SchemaChange(rule_id, pointer, message))

    def child(self, old: Node, new: Node, pointer: str) -> None:
        for change in self.diff.compare(old, new, self.direction):
            self.out.append(SchemaChange(change.rule, pointer + change.pointer, change.message))

    def shapes(self, old: Shape, new: Shape) -> list[SchemaChange]:
        self.nullability(old, new)
        if not self.variants(old, new) and self.types(old, new):
            self.enum(old, new)
            self.bounds(old, new)
            self.strings(old, new)
            self.constraints(old, new)
            self.objects(old, new)
            self.arrays(old, new)
        self.docs(old, new)
        return self.out

    def nullability(self, old: Shape, new: Shape) -> None:
        if old.types is None or new.types is None or old.nullable == new.nullable:
            return
        if (old.inferred and not old.nullable) or (new.inferred and not new.nullable):
            return  # no ``type`` written: null was (or is) allowed, whatever ``properties`` suggest
        self.report("null-added" if new.nullable else "null-removed",
                    "may be null now" if new.nullable else "null no longer allowed")

    def types(self, old: Shape, new: Shape) -> bool:
        """Report a type change; False when the types share nothing (comparing further is noise)."""
        before, after = old.without_null().types, new.without_null().types
        if before == after:
            return True
        if before is None or after is None:
            self.report("narrowed" if after is not None else "widened",
                        f"type {type_names(before)} → {type_names(after)}")
            return True
        lost = [t for t in before if not covers(after, t)]
        gained = [t for t in after if not covers(before, t)]
        facts = [f for f, happened in (("narrowed", lost), ("widened", gained)) if happened]
        if facts:
            self.report(self.worst(facts), f"type {type_names(before)} → {type_names(after)}")
        return any(covers(after, t) for t in before)

    def worst(self, facts: list[str]) -> str:
        """Of several facts describing one change, the one whose rule has the highest level here."""
        side = 0 if self.direction == "request" else 1
        return max(facts, key=lambda fact: RULES[FACT_RULES[fact][side]].level)

    def variants(self, old: Shape, new: Shape) -> bool:
        """Compare anyOf/oneOf alternatives pairwise; False when neither side has alternatives.

        An alternative without a partner is only reported when no alternative on the other side
        covers it: ``anyOf: [Ref, <the same schema inline>]`` is not a new alternative.
        """
        olds, news = alternatives(old), alternatives(new)
        if len(olds) == 1 and len(news) == 1:
            return False
        pairs = self.pair_up(olds, news)
        matched = set(pairs.values())
        removed = [self.describe(self.diff.old, alt) for i, alt in enumerate(olds)
                   if i not in pairs and not any(self.covered(alt, other) for other in news)]
        added = [self.describe(self.diff.new, alt) for j, alt in enumerate(news)
                 if j not in matched and not any(self.covered(other, alt) for other in olds)]
        if removed:
            self.report("narrowed", f"alternative(s) removed: {'; '.join(removed)}")
        overlap = self.overlap(self.diff.new, new, news)
        if self.direction == "request" and overlap and not self.overlap(self.diff.old, old, olds):
            i, j = overlap
            self.report("narrowed", f"oneOf alternatives {i} and {j} overlap: a value matching both is rejected now")
        if added:
            self.report("widened", f"alternative(s) added: {'; '.join(added)}")
        for i, j in pairs.items():
            sub = _Walk(self.diff, self.direction).shapes(olds[i], news[j])
            self.out += [replace(c, pointer=news[j].origin + c.pointer) for c in sub]
        return True

    @staticmethod
    def overlap(reader: ShapeReader, shape: Shape, alts: list[Shape]) -> tuple[int, int] | None:
        """Two oneOf alternatives some value can match both of (then oneOf rejects it), or None."""
        if not shape.exclusive:
            return None
        for i, a in enumerate(alts):
            for j in range(i + 1, len(alts)):
                if _may_overlap(reader, a, alts[j]):
                    return i, j
        return None

    def covered(self, old: Shape, new: Shape) -> bool:
        """Is replacing ``old`` by ``new`` harmless here (nothing at WARN or above)?"""
        if self.similarity(old, new) == 0:
            return False
        changes = _Walk(self.diff, self.direction).shapes(old, new)
        return all(RULES[c.rule].level < Level.WARN for c in changes)

    def pair_up(self, olds: list[Shape], news: list[Shape]) -> dict[int, int]:
        """Match old alternatives to new ones, most similar first; incompatible types never match."""
        scored = sorted(((self.similarity(o, n), -abs(i - j), i, j)
                         for i, o in enumerate(olds) for j, n in enumerate(news)), reverse=True)
        pairs: dict[int, int] = {}
        for score, _, i, j in scored:
            if score > 0 and i not in pairs and j not in pairs.values():
                pairs[i] = j
        return pairs

    def similarity(self, old: Shape, new: Shape) -> float:
        """0 for incompatible types; more for the same types, shared properties and equal tags.

        A tag is a property restricted to a few values (``type: "pause-automation"``): alternatives
        with the same property names are told apart by it.
        """
        a, b = old.types, new.types
        if a is not None and b is not None and not any(covers(b, t) or covers(a, t) for t in a | b if t != "null"):
            return 0.0
        score = 1.0 + (a == b) + _jaccard(set(old.properties), set(new.properties))
        score += _jaccard(set(old.enum or ()), set(new.enum or ()))
        old_tags, new_tags = self.tags(self.diff.old, old), self.tags(self.diff.new, new)
        for name in old_tags.keys() & new_tags.keys():
            score += 2 * _jaccard(old_tags[name], new_tags[name])
        return score

    def describe(self, reader: ShapeReader, shape: Shape) -> str:
        """``object {type="call-webhook", block_document_id, ...}``: enough to recognize an alternative."""
        text = type_names(shape.types)
        if shape.properties:
            tags = self.tags(reader, shape)
            names = [f"{n}={'|'.join(sorted(tags[n]))}" for n in sorted(tags)] + sorted(shape.properties.keys() - tags)
            text += " {" + ", ".join(names[:4]) + (", ..." if len(names) > 4 else "") + "}"
        if shape.enum:
            text += " [" + _join(shape.enum, 4) + "]"
        return text

    @staticmethod
    def tags(reader: ShapeReader, shape: Shape) -> dict[str, set[str]]:
        out = {}
        for name, node in shape.properties.items():
            enum = reader.shape(node).enum
            if enum and len(enum) <= 3:
                out[name] = set(enum)
        return out

    def enum(self, old: Shape, new: Shape) -> None:
        if self.direction == "request" and old.extensible and new.extensible is not None:
            gone = [v for v in old.extensible if v not in new.extensible]
            if gone:  # servers that list an open enum's values accept those values at least
                self.rule("request-enum-value-removed", f"x-extensible-enum value(s) removed: {_join(gone)}")
        if old.enum == new.enum:
            return
        if old.enum is None or new.enum is None:
            fact = "enum-introduced" if old.enum is None else "enum-dropped"
            values = new.enum if old.enum is None else old.enum
            self.report(fact, f"{'now restricted to' if old.enum is None else 'no longer restricted to'} "
                              f"{_join(values or ())}")
            return
        removed = [v for v in old.enum if v not in new.enum]
        added = [v for v in new.enum if v not in old.enum]
        if self.direction == "response" and len(old.enum) == 1 and len(new.enum) == 1:
            self.rule("response-const-changed", f"constant {old.enum[0]} → {new.enum[0]}")
            return
        if removed:
            self.report("enum-value-removed", f"enum value(s) removed: {_join(removed)}")
        if added:
            self.report("enum-value-added", f"enum value(s) added: {_join(added)}")

    def bounds(self, old: Shape, new: Shape) -> None:
        for keyword, (upper, request_rule) in BOUNDS.items():
            before, after = old.bounds.get(keyword), new.bounds.get(keyword)
            if before == after:
                continue
            message = f"{keyword} {_num(before)} → {_num(after)}"
            tightened = after is not None and (before is None or (after < before if upper else after > before))
            if not tightened:
                self.report("bound-relaxed", message)
            elif before is None:
                self.report("bound-added", message)
            elif self.direction == "request":
                self.rule(request_rule, message)
            else:
                self.rule("response-bound-changed", message)

    def strings(self, old: Shape, new: Shape) -> None:
        if old.pattern != new.pattern:
            fact = ("pattern-added" if old.pattern is None else
                    "pattern-removed" if new.pattern is None else "pattern-changed")
            self.report(fact, f"pattern {_short(old.pattern)} → {_short(new.pattern)}")
        if old.format != new.format:
            fact = ("format-removed" if new.format is None else
                    "format-added" if old.format is None else "format-changed")
            self.report(fact, f"format {old.format or 'none'} → {new.format or 'none'}")

    def constraints(self, old: Shape, new: Shape) -> None:
        """The newer keywords (if/then/else, contains, dependentRequired, ...), each compared as a whole."""
        for keyword in sorted(old.constraints.keys() | new.constraints.keys()):
            before, after = old.constraints.get(keyword), new.constraints.get(keyword)
            if before == after:
                continue
            fact = "constraint-changed" if before and after else "constraint-added" if after else "constraint-removed"
            if keyword in RELAXING_CONSTRAINTS and fact != "constraint-changed":
                fact = "constraint-removed" if fact == "constraint-added" else "constraint-added"
            self.report(fact, f"{keyword} {'changed' if before and after else 'added' if after else 'removed'}")

    def travelling(self, reader: ShapeReader, shape: Shape) -> dict[str, Node]:
        """The properties that travel in this direction: ``readOnly`` ones are never sent in a
        request, ``writeOnly`` ones never come back in a response (so their coming and going, and
        their ``required``, mean nothing there)."""
        hidden = "readOnly" if self.direction == "request" else "writeOnly"
        return {name: node for name, node in shape.properties.items()
                if not (isinstance(raw := reader.follow(node).raw, dict) and raw.get(hidden) is True)}

    def objects(self, old: Shape, new: Shape) -> None:
        before, after = self.travelling(self.diff.old, old), self.travelling(self.diff.new, new)
        if before.keys() != old.properties.keys() or after.keys() != new.properties.keys():
            old, new = replace(old, properties=before), replace(new, properties=after)
        for name in old.properties.keys() - new.properties.keys():
            if self.direction == "request" and new.additional is False:
                self.rule("request-property-removed-closed", f"property {name!r} removed; "
                          "additionalProperties is false, so sending it is rejected", prop(name))
            elif name in old.required:
                self.report("property-removed", f"property {name!r} removed", prop(name))
            else:
                self.report("optional-property-removed", f"optional property {name!r} removed", prop(name))
        for name in new.properties.keys() - old.properties.keys():
            self.added_property(old, new, name)
        for name in old.properties.keys() & new.properties.keys():
            was, now = name in old.required, name in new.required
            if was != now:
                self.report("became-required" if now else "became-optional",
                            f"property {name!r} is {'required' if now else 'optional'} now", prop(name))
            self.child(old.properties[name], new.properties[name], prop(name))
        self.additional_properties(old, new)

    def added_property(self, old: Shape, new: Shape, name: str) -> None:
        required = name in new.required
        message = f"{'required' if required else 'optional'} property {name!r} added"
        if self.direction == "response" and required and old.additional is False:
            self.rule("response-property-added-closed", message, prop(name))
        else:
            self.report("required-property-added" if required else "property-added", message, prop(name))

    def additional_properties(self, old: Shape, new: Shape) -> None:
        before, after = old.additional, new.additional
        if (before is False) != (after is False):
            fact = "additional-forbidden" if after is False else "additional-allowed"
            self.report(fact, f"additionalProperties {'forbidden' if after is False else 'allowed'} now")
        elif isinstance(before, Node) or isinstance(after, Node):
            self.child(_or_any(before, old, "additionalProperties"), _or_any(after, new, "additionalProperties"),
                       "/additionalProperties")

    def arrays(self, old: Shape, new: Shape) -> None:
        if old.items is not None or new.items is not None:
            self.child(_or_any(old.items, old, "items"), _or_any(new.items, new, "items"), "/items")

    def docs(self, old: Shape, new: Shape) -> None:
        if old.description != new.description:
            self.report("description-changed", "description changed")
        if old.examples != new.examples:
            self.report("example-changed", "example changed")
        if old.default != new.default:
            self.report("default-changed", f"default {_value(old.default)} → {_value(new.default)}")


def alternatives(shape: Shape) -> list[Shape]:
    """The alternatives of a shape, null removed: anyOf/oneOf members, or one per type of a type list."""
    if shape.variants:
        return [alt for variant in shape.variants for alt in alternatives(variant)]
    types = shape.without_null().types
    if types is not None and len(types) > 1:
        return [replace(shape, types=frozenset({t})) for t in sorted(types)]
    return [shape.without_null()]


def _may_overlap(reader: ShapeReader, a: Shape, b: Shape) -> bool:
    """Can one value match both alternatives? Conservative: only disjoint types, disjoint enums, or
    a tag property (a few allowed values) with disjoint values on both sides tell them apart."""
    if a.types is not None and b.types is not None:
        common = {t for t in a.types | b.types if covers(a.types, t) and covers(b.types, t)}
        if not common:
            return False
    if a.enum is not None and b.enum is not None and not set(a.enum) & set(b.enum):
        return False
    if a.pattern != b.pattern or a.format != b.format or a.bounds != b.bounds:
        return False  # cannot tell: stay quiet rather than guess
    for name in a.properties.keys() & b.properties.keys():
        ea, eb = reader.shape(a.properties[name]).enum, reader.shape(b.properties[name]).enum
        if ea is not None and eb is not None and not set(ea) & set(eb):
            return False
    for x, y in ((a, b), (b, a)):  # a closed object cannot hold a property the other requires
        if x.additional is False and y.required - x.properties.keys():
            return False
    return True


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def type_names(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types)) or "nothing"


def prop(name: str) -> str:
    return "/properties/" + escape(name)


def _or_any(node: Node | bool | None, owner: Shape, keyword: str) -> Node:
    """A child schema, or an empty (anything-goes) schema standing in for a missing one."""
    return node if isinstance(node, Node) else Node(f"{owner.pointer}/{keyword}(implicit)", {})


def _join(values: tuple[str, ...] | list[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _num(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _value(value: object) -> str:
    return "none" if value is MISSING else _short(value)


def _short(value: object, limit: int = 60) -> str:
    """``repr`` of a value, cut to ``limit`` characters (patterns can be kilobytes long)."""
    text = "none" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
