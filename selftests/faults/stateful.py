"""Broken servers for the stateful family: a write the server accepts that breaks later reads of that
object until it is deleted.

The poison lives in the object itself, as Prefect's own defects do: the write's request is rewritten
to store a marker tag on the variable (Prefect stores it; the answer is Prefect's own 204), and the
read fault breaks any answer that holds a variable carrying the marker. Deleting the variable, or a
later write that replaces its tags, heals every read.

- ``stateful_listing_500``: ``PATCH /variables/{id}`` with ``tags`` in its body poisons the variable;
  ``POST /variables/filter`` answers 500 while a poisoned variable is among its results. One step.
- ``stateful_three_steps``: ``PATCH /variables/name/{name}`` poisons the variable only on the third of
  three writes in this order: one that sets ``value``, then one that sets ``tags``, then one that sets
  ``value`` again (writes in between that do not advance it change nothing). The progress is kept in
  this module (one test runs at a time; ``POST /variables/``, a new variable, starts it again) and moves
  only when Prefect accepted the write: a write the client sends again (a 503 "database is locked" under
  load) advances it once, as it changes the variable once.
  ``GET /variables/{id}`` then answers the poisoned variable without its ``name``, which the document
  requires: a body breaking its schema. Shrinking must bring any longer sequence down to those three.
- ``stateful_flaky_listing_500``: ``stateful_listing_500`` behind a flaky network: every other answer of
  ``POST /variables/filter`` is a 503 (the client's retry then gets the real one). The defect must keep
  the fingerprint it has without the 503s.
"""

from restcontract.testing.faults import Fault

ONE_STEP = "rc-fault-poison-1"
THREE_STEPS = "rc-fault-poison-3"
ORDER = ("value", "tags", "value")  # what each of the three writes must set, in order
PROGRESS = {"stage": 0, "next": 0}  # how far the newest variable got through ORDER; where this write takes it


def _tagged(body, marker):
    tags = body.get("tags") if isinstance(body.get("tags"), list) else []
    return dict(body, tags=[*tags, marker])


def poison_on_tags(body):
    """A write that sets tags also stores the one-step marker."""
    return _tagged(body, ONE_STEP) if isinstance(body, dict) and isinstance(body.get("tags"), list) else body


def restart(body):
    PROGRESS.update(stage=0, next=0)
    return body


def poison_on_third(body):
    """Where this write takes the progress through ORDER; the write that completes it stores the
    three-step marker."""
    stage = PROGRESS["stage"]
    if isinstance(body, dict) and stage < len(ORDER) and body.get(ORDER[stage]) is not None:
        stage += 1
    PROGRESS["next"] = stage
    return _tagged(body, THREE_STEPS) if isinstance(body, dict) and stage >= len(ORDER) else body


def advance_if_accepted(status, body):
    """The write's progress counts once Prefect accepted it (2xx)."""
    if 200 <= status < 300:
        PROGRESS["stage"] = PROGRESS["next"]
    return status, body


def _carries(item, marker):
    return isinstance(item, dict) and marker in (item.get("tags") or [])


def listing_500(status, body):
    if isinstance(body, list) and any(_carries(item, ONE_STEP) for item in body):
        return 500, {"exception_message": "Internal Server Error"}
    return status, body


def read_without_name(status, body):
    if _carries(body, THREE_STEPS):
        return status, {k: v for k, v in body.items() if k != "name"}
    return status, body


def flaky(response):
    """``response``, with every other answer (the first attempt of each request) a 503."""
    calls = {"n": 0}

    def answer(status, body):
        calls["n"] += 1
        return (503, {"exception_message": "Service Unavailable"}) if calls["n"] % 2 else response(status, body)
    return answer


FAULTS = {
    "stateful_listing_500": [Fault("PATCH /variables/{id}", request=poison_on_tags),
                             Fault("POST /variables/filter", response=listing_500)],
    "stateful_three_steps": [Fault("POST /variables/", request=restart),
                             Fault("PATCH /variables/name/{name}", request=poison_on_third,
                                   response=advance_if_accepted, empty=True),
                             Fault("GET /variables/{id}", response=read_without_name)],
    "stateful_flaky_listing_500": [Fault("PATCH /variables/{id}", request=poison_on_tags),
                                   Fault("POST /variables/filter", response=flaky(listing_500))],
}
