"""``filter_mismatch``: the objects a filter body selects are those the oracle selects.

For generated filter bodies (``bodies``) and a few hand-picked ones (``EXPLICIT``), the
objects the server returns, restricted to the seeded ones, must be exactly those
``oracle.expected`` selects. A mismatch is narrowed (``locate``) to the single criterion that
disagrees (``collection.field.operator``), else to the field whose operators are combined
wrongly, else to how criteria combine (``combination.and_``/``combination.or_``). A valid
body answered with anything but a list is ``filter_rejected``.
"""

from __future__ import annotations

from restcontract.checks.filtering import oracle
from restcontract.checks.filtering.bodies import body_strategy, scope_body
from restcontract.checks.filtering.model import COLLECTIONS, Coll, Group
from restcontract.checks.filtering.probe import MAX_LIMIT, Probe, run_examples

EXAMPLES = 15


def _names(ids: list[str], seeded: dict[str, dict]) -> list[str]:
    return [str(seeded[i].get("name") or seeded[i].get("key") or seeded[i].get("message") or i) for i in ids]


def criteria_of(body: dict, coll: Coll) -> list[tuple[str, dict, str]]:
    """Every single criterion of a body: (label ``coll.field.op``, single-criterion body, collection)."""
    out = []
    for name, crit in body.items():
        if not isinstance(crit, dict) or name not in COLLECTIONS:
            continue
        model = COLLECTIONS[name]
        for field, fcrit in crit.items():
            if field == "operator" or not isinstance(fcrit, dict):
                continue
            if isinstance(model.fields.get(field), Group):
                for sub, subcrit in fcrit.items():
                    if isinstance(subcrit, dict):
                        for op, value in subcrit.items():
                            if op != "operator":
                                out.append((f"{name}.{field}.{sub}.{op}", {name: {field: {sub: {op: value}}}}, name))
            else:
                for op, value in fcrit.items():
                    if op != "operator":
                        out.append((f"{name}.{field}.{op}", {name: {field: {op: value}}}, name))
    return out


def scoped_single(probe: Probe, single: dict, name: str, label: str) -> dict:
    coll = probe.coll
    scope = scope_body(coll, probe.world)
    if name != coll.name:
        return {**scope, **single}
    crit = dict(single[name])
    field = next(iter(crit))
    if field == coll.scope_field:
        if label.endswith(".any_"):
            return single  # run-unique values: scoped by themselves
        crit[field] = {**scope[name][field], **crit[field]}
    else:
        crit.update(scope[name])
    return {name: crit}


def compare(probe: Probe, body: dict) -> tuple[list[str], list[str]] | None:
    """(expected ids, returned ids) of seeded objects for a body; None when the answer is not a list."""
    route = probe.route("filter")
    response = probe.post(route, {**body, "limit": MAX_LIMIT})
    if response.status_code != 200 or not isinstance(response.json(), list):
        labels = ",".join(sorted(label for label, _, _ in criteria_of(body, probe.coll)))
        probe.report("filter_rejected", f"HTTP {response.status_code}|{labels}",
                     f"expected 200 and a list for a valid filter body, got HTTP {response.status_code}: "
                     f"{response.text[:300]}\nbody: {body}", route, body)
        return None
    expected = [probe.coll.key(o) for o in oracle.expected(probe.coll, body, probe.world)]
    return expected, probe.mine(response.json())


def fields_of(body: dict) -> list[tuple[str, dict, str]]:
    """Every field criterion of a body, whole (all its operators): (label, body, collection)."""
    out = []
    for name, crit in body.items():
        if not isinstance(crit, dict) or name not in COLLECTIONS:
            continue
        for field, fcrit in crit.items():
            if field == "operator" or not isinstance(fcrit, dict):
                continue
            if isinstance(COLLECTIONS[name].fields.get(field), Group):
                for sub, subcrit in fcrit.items():
                    if isinstance(subcrit, dict) and len([k for k in subcrit if k != "operator"]) > 1:
                        ops = "+".join(sorted(k for k in subcrit if k != "operator"))
                        out.append((f"{name}.{field}.{sub}({ops})", {name: {field: {sub: subcrit}}}, name))
                if len(fcrit) > 1:
                    out.append((f"{name}.{field}({'+'.join(sorted(fcrit))})", {name: {field: fcrit}}, name))
            elif len(fcrit) > 1:
                out.append((f"{name}.{field}({'+'.join(sorted(fcrit))})", {name: {field: fcrit}}, name))
    return out


def locate(probe: Probe, body: dict) -> str:
    """The single criterion the server gets wrong, else the field whose operators it combines
    wrongly, else how criteria combine."""
    for label, single, name in criteria_of(body, probe.coll) + fields_of(body):
        result = compare(probe, scoped_single(probe, single, name, label))
        if result is not None and set(result[0]) != set(result[1]):
            return label
    operators = {crit.get("operator", "and_") for crit in body.values() if isinstance(crit, dict)}
    operators |= {f.get("operator") for crit in body.values() if isinstance(crit, dict)
                  for f in crit.values() if isinstance(f, dict) and f.get("operator")}
    return "combination." + ("or_" if "or_" in operators else "and_")


def check_body(probe: Probe, body: dict) -> None:
    result = compare(probe, body)
    if result is None:
        return
    expected, got = result
    if set(expected) == set(got) and len(got) == len(set(got)):
        return
    seeded = probe.seeded
    label = locate(probe, body)
    probe.report("filter_mismatch", label,
                 f"filter {label} selects the wrong objects\nbody: {body}\n"
                 f"expected ids: {sorted(expected)} ({_names(expected, seeded)})\n"
                 f"returned ids: {sorted(got)} ({_names(got, seeded)})\n"
                 f"missing: {sorted(set(expected) - set(got))} extra: {sorted(set(got) - set(expected))}",
                 probe.route("filter"), body)


def _state_both(name: str):
    """Both operators of one state criterion: the runs in any_ minus those in not_any_."""
    return lambda world, tags: {name: {"state": {"type": {"any_": ["COMPLETED", "FAILED"], "not_any_": ["FAILED"]}}}}


# Bodies always checked before the generated ones (hand-picked splits the oracle must agree on).
EXPLICIT = {
    "flows": [lambda world, tags: {"flows": {"tags": {"all_": tags[:2]}}},
              lambda world, tags: {"flows": {"deployment": {"is_null_": True}}},
              lambda world, tags: {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}],
    "flow_runs": [_state_both("flow_runs"),
                  lambda world, tags: {"deployments": {"name": {"any_": [world["deployments"][0]["name"]]}}}],
    "task_runs": [lambda world, tags: {"flow_runs": {"tags": {"any_": tags[:1]}}}],
}


def declared(spec, schema, body) -> bool:
    """Whether every key of ``body``, at every depth, is a property of ``schema`` in the document (an older
    Prefect's filters lack some operators: 3.0.11's FlowRunFilterTags has no ``any_``)."""
    if not isinstance(body, dict):
        return True
    options = [o for o in spec.branches(schema, ("anyOf", "oneOf", "allOf"))
               if isinstance(o, dict) and "properties" in o]
    return any(all(k in o["properties"] and declared(spec, o["properties"][k], v) for k, v in body.items())
               for o in options)


def check_oracle(probe: Probe) -> None:
    tags = probe.world.get("_tags", [])
    scope = scope_body(probe.coll, probe.world)
    for make in EXPLICIT.get(probe.coll.name, []):
        body = make(probe.world, tags)
        if not declared(probe.ctx.spec, probe.schema, body):
            continue  # a hand-picked split this version's document cannot express
        main = {**body.get(probe.coll.name, {}), **scope[probe.coll.name]}
        check_body(probe, {**body, probe.coll.name: main})
    strategy = body_strategy(probe.coll, probe.schema, probe.world, probe.ctx.spec, probe.ctx.objects.prefix)
    run_examples(probe.ctx, strategy, EXAMPLES, lambda body: check_body(probe, body))
