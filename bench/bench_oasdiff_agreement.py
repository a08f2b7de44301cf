"""Agreement of ``restcontract diff`` with oasdiff on oasdiff's own checker test corpus.

The corpus (oasdiff's ``data/checker/*.yaml`` pairs and its ``checker/*_test.go`` tests) is read at
run time from ``../shared/reference/oasdiff-checker/`` next to the repository (``--corpus`` to
point elsewhere); nothing of it is copied into the project.

Each Go test function is one case: the two documents it diffs (``open("../data/checker/X.yaml")``
in the order given to ``diff.Get...``) and oasdiff's verdict: "breaking" when the test asserts a
change whose level is ERR (the rule's level in ``rules.go``, an explicit ``Level: checker.ERR``,
or a non-empty result of a check run at ``checker.ERR``); "not breaking" when it asserts only
WARN/INFO changes and lists everything reported, or nothing at all. restcontract's verdict is
"some ERR change"; a test that runs a single request (response) check is compared with
restcontract's request (response) rules only, since many pairs change a schema that a request
and a response share and the test looks at one side. The table is printed per distinct pair
(breaking when any of its tests says so) and per test. Excluded, and counted per reason: tests
that change a loaded document in Go before diffing (mutations we cannot reproduce from the
YAML), tests on documents outside ``data/checker``, table-driven tests, and tests whose
assertion says nothing about breaking.

    python bench/bench_oasdiff_agreement.py [--corpus DIR] [--show-disagreements]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "src"))  # an installed restcontract (or PYTHONPATH) comes first

from restcontract.diff import Level, diff_specs  # noqa: E402
from restcontract.errors import ContractError  # noqa: E402
from restcontract.spec import load_spec  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "reference" / "oasdiff-checker"

# group -> words in the test file name or the asserted rule ids that put a test in it (first match wins)
OTHER = "other (tags, operation ids, components, versioning, webhooks)"
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    (OTHER, ("webhook", "tag_updated", "operation_id", "components_security", "versioning", "changes_test",
             "attributes", "colorize", "example")),
    ("security/readOnly/writeOnly/discriminator/x-extensible-enum/deprecation",
     ("security", "write_only", "read_only", "discriminator", "x_extensible_enum", "deprecation", "deprecated",
      "sunset", "stability")),
    ("newer JSON Schema keywords",
     ("_if_", "dependent", "contains", "prefix_items", "pattern_properties", "property_names", "unevaluated",
      "content_updated", "content_schema", "const_changed", "_not_", "not_sub_schema")),
    ("client-relevant core",
     ("request", "response", "api_added", "api_removed", "breaking", "media_type", "status", "parameter",
      "property", "nullable", "list_of_types", "type", "sub_schema", "additional_properties", "enum")),
]
CLIENT_RELEVANT = ("client-relevant core", "newer JSON Schema keywords")


@dataclass
class Case:
    file: str
    test: str
    base: Path | None = None
    revision: Path | None = None
    breaking: bool | None = None  # oasdiff's verdict
    excluded: str = ""  # why the case is not measured
    group: str = OTHER
    asserted: tuple[str, ...] = ()  # the rule id constants the test expects (RequestPropertyPatternAddedId)
    scope: str = ""  # "request"/"response": the test runs one oasdiff check of that direction only
    ours: bool | None = None
    our_rules: tuple[str, ...] = ()


def rule_levels(corpus: Path) -> dict[str, str]:
    """``RequestPropertyPatternAddedId`` -> ``ERR`` from rules.go (the first level a rule is given)."""
    levels: dict[str, str] = {}
    for name, level in re.findall(r"newBackwardCompatibilityRule\((\w+Id),\s*(ERR|WARN|INFO)",
                                  (corpus / "checker" / "rules.go").read_text()):
        levels.setdefault(name, level)
    return levels


def rule_names(corpus: Path) -> dict[str, str]:
    """``RequestPropertyPatternAddedId`` -> ``request-property-pattern-added``."""
    names = {}
    for path in (corpus / "checker").glob("*.go"):
        for const, value in re.findall(r"^\s*(\w+Id)\s*=\s*\"([\w-]+)\"", path.read_text(), re.M):
            names[const] = value
    return names


TEST_FUNC = re.compile(r"^func (Test\w+)\(t \*testing\.T\) \{\n(.*?)^\}", re.S | re.M)
OPEN = re.compile(r"(\w+), (?:err|_) :?= (?:open|load\.NewSpecInfo)\([^\n]*?\"\.\./data/checker/([\w.-]+)\"")
HELPER_DIFF = re.compile(r"nullableWrapChanges\(t, \"\.\./data/checker/([\w.-]+)\", \"\.\./data/checker/([\w.-]+)\"\)")
DIFF_CALL = re.compile(r"diff\.Get\w*\([^,]+,\s*(\w+),\s*(\w+)\)")
ASSERTS_ABSENT = ("requireNoChange(", "require.Nil(", "require.False(", "NotContains(", "NotEqual(")
# assertions that list every change the check reports (so "no ERR among them" means "not breaking")
EXHAUSTIVE = ("requireSingleChange(", "requireSingleApiChange(", "requireApiChanges(", "ElementsMatch(",
              "[]string{", "require.Len(t, errs, 1)", "require.Len(t, changes, 1)")


def parse_cases(corpus: Path, levels: dict[str, str]) -> list[Case]:
    cases = []
    for path in sorted((corpus / "checker").glob("*_test.go")):
        for test, body in TEST_FUNC.findall(path.read_text()):
            cases.append(parse_case(corpus, path.stem.removesuffix("_test"), test, body, levels))
    return cases


def parse_case(corpus: Path, file: str, test: str, body: str, levels: dict[str, str]) -> Case:
    case = Case(file, test)
    opened = dict(OPEN.findall(body))  # variable -> file
    call = DIFF_CALL.search(body)
    spec_vars = call.groups() if call else ()
    helper = HELPER_DIFF.search(body)  # a helper that opens and diffs both files, all checks at INFO
    if helper:
        opened, spec_vars = {"base": helper.group(1), "revision": helper.group(2)}, ("base", "revision")
    ids = asserted_ids(body)
    case.asserted = tuple(dict.fromkeys(ids))
    case.group = group_of(file, [i for i in ids if i in levels] + [test])
    if "t.Run(" in body or re.search(r"open\(\w+\.\w+", body):
        case.excluded = "table-driven test"
    elif len(spec_vars) != 2 or any(v not in opened for v in spec_vars):
        case.excluded = "documents outside data/checker (or not a file diff)"
    elif mutates(body, *spec_vars):
        case.excluded = "Go mutation of a loaded document"
    if case.excluded:
        return case
    case.base, case.revision = (corpus / "pairs" / opened[v] for v in spec_vars)
    case.breaking = verdict(body, ids, levels)
    single = re.search(r"singleCheckConfig\(checker\.(Request|Response)", body)
    case.scope = single.group(1).lower() if single else ""
    if case.breaking is None:
        case.excluded = "assertion says nothing about breaking"
    return case


def asserted_ids(body: str) -> list[str]:
    """Rule id constants the test expects to be reported (not those it expects to be absent, nor
    those it only filters or switches on)."""
    ids = []
    body = re.sub(r"slices\.Contains\(\[\]string\{.*?\}", "", body, flags=re.S)
    for line in body.splitlines():
        if any(marker in line for marker in ASSERTS_ABSENT) or "case checker." in line:
            continue
        ids += re.findall(r"checker\.(\w+Id)\b", line)
    return ids


def verdict(body: str, ids: list[str], levels: dict[str, str]) -> bool | None:
    explicit = re.findall(r"(?:Level:\s*|require\.Equal\(t, )checker\.(ERR|WARN|INFO)\b", body)
    found = explicit or [levels[i] for i in ids if i in levels]
    if "ERR" in found:
        return True
    if found:  # only WARN/INFO asserted: "not breaking" only if the assertion lists everything reported
        return False if any(marker in body for marker in EXHAUSTIVE) else None
    if re.search(r"require\.(Empty|Len\(t, \w+, 0\))", body):
        return False
    at_err = re.search(r"CheckBackwardCompatibilityUntilLevel\((?:[^()]|\([^()]*\))*checker\.ERR\)", body)
    if at_err and re.search(r"require\.(NotEmpty|Len\(t, \w+, [1-9])", body):
        return True  # something is reported at ERR
    return None


def mutates(body: str, *spec_vars: str) -> bool:
    """Does the test change a loaded document (``s2.Spec.Paths... = ...``, ``delete(...)``, helpers)?"""
    for line in body.splitlines():
        if "diff.Get" in line or "require." in line:
            continue
        if any(re.search(rf"\b{v}\b", line) for v in spec_vars) and not re.search(r":?= open\(", line):
            return True
    return False


def group_of(file: str, ids: list[str]) -> str:
    text = (file + " " + " ".join(re.sub(r"(?<!^)(?=[A-Z])", "_", i).lower() for i in ids if i)).lower() + " "
    for group, words in GROUPS:
        if any(word in text for word in words):
            return group
    return OTHER


def run_ours(case: Case) -> None:
    try:
        changes = diff_specs(load_spec(case.base), load_spec(case.revision))
    except ContractError as exc:
        case.excluded = f"restcontract cannot load the pair ({type(exc).__name__})"
        return
    errs = [c for c in changes if c.level == Level.ERR and in_scope(c.rule, case.scope)]
    case.ours = bool(errs)
    case.our_rules = tuple(sorted({c.rule for c in errs}))


def in_scope(rule: str, scope: str) -> bool:
    """A test that runs only a request (response) check is compared with our request (response) rules:
    the pairs often change a schema that both a request and a response use."""
    if scope == "request":
        return rule.startswith("request-")
    if scope == "response":
        return rule.startswith(("response-", "success-status"))
    return True


def per_pair(cases: list[Case]) -> list[Case]:
    """One case per distinct (base, revision) pair: several tests often diff the same pair.

    oasdiff's verdict for a pair is "breaking" when any of its tests asserts an ERR change; ours is
    taken over the directions its tests check (all of them when one test runs every check).
    """
    pairs: dict[tuple, list[Case]] = {}
    for case in cases:
        if not case.excluded:
            pairs.setdefault((case.base, case.revision), []).append(case)
    out = []
    for group in pairs.values():
        scopes = {c.scope for c in group}
        merged = replace(group[0], breaking=any(c.breaking for c in group),
                         scope=scopes.pop() if len(scopes) == 1 else "")
        run_ours(merged)
        out.append(merged)
    return out


def table(cases: list[Case], unit: str = "tests") -> list[str]:
    measured = [c for c in cases if not c.excluded]
    rows = [("all pairs", measured),
            *((g, [c for c in measured if c.group == g]) for g, _ in GROUPS[1:]),
            (OTHER, [c for c in measured if c.group == OTHER]),
            ("client-relevant (core + newer keywords)", [c for c in measured if c.group in CLIENT_RELEVANT])]
    lines = [f"| group | {unit} | agree | agreement | recall | precision |", "|---|---|---|---|---|---|"]
    for name, group in rows:
        agree = sum(c.ours == c.breaking for c in group)
        tp = sum(c.ours and c.breaking for c in group)
        pos, said = sum(bool(c.breaking) for c in group), sum(bool(c.ours) for c in group)
        lines.append(f"| {name} | {len(group)} | {agree} | {_pct(agree, len(group))} | "
                     f"{_pct(tp, pos)} | {_pct(tp, said)} |")
    return lines


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    parser.add_argument("--show-disagreements", action="store_true")
    parser.add_argument("--group", help="only list disagreements of groups containing this text")
    args = parser.parse_args(argv)
    if not (args.corpus / "checker" / "rules.go").is_file():
        print(f"bench_oasdiff_agreement: no oasdiff checker corpus at {args.corpus}", file=sys.stderr)
        return 2
    levels = rule_levels(args.corpus)
    cases = parse_cases(args.corpus, levels)
    for case in cases:
        if not case.excluded:
            run_ours(case)
    commit = (args.corpus / "OASDIFF_COMMIT").read_text().strip()[:7]
    pairs = {(c.base, c.revision) for c in cases if not c.excluded}
    print(f"oasdiff {commit}: {len(cases)} test functions, {len(cases) - sum(bool(c.excluded) for c in cases)} "
          f"measured on {len(pairs)} distinct pairs\n")
    print("Per distinct pair (base, revision):\n")
    print("\n".join(table(per_pair(cases), "pairs")))
    print("\nPer test function:\n")
    print("\n".join(table(cases)))
    print("\nexcluded:")
    for reason, count in Counter(c.excluded for c in cases if c.excluded).most_common():
        print(f"  {count:4}  {reason}")
    if args.show_disagreements:
        names = rule_names(args.corpus)
        by_group = defaultdict(list)
        for c in cases:
            if not c.excluded and c.ours != c.breaking and (not args.group or args.group in c.group):
                by_group[c.group].append(c)
        for group, items in by_group.items():
            print(f"\n{group}:")
            for c in items:
                theirs = ",".join(names.get(i, i) for i in c.asserted) or "nothing"
                side = (f"oasdiff ERR ({theirs}), ours not" if c.breaking
                        else f"oasdiff {theirs}, ours ERR {','.join(c.our_rules)}")
                print(f"  {c.file}:{c.test}  [{side}]  {c.base.name} -> {c.revision.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
