"""The recorded sequence replayed on a live server: each request's live status, and nothing left behind.

A recording's uuids are placeholders (``record.Placeholders``). ``IdMap`` turns them into the live server's:
after each answer, a uuid at the same place of the live answer as a placeholder in the recorded one
(``id``, ``state.id``, ``0.id``, ...) maps that placeholder; a placeholder never answered (a uuid the client
made itself, or an object whose create was rejected) gets a fresh random uuid, the same one every time.
Names carry ``workload.TOKEN``; a replay gives it a suffix of its own (``rccompat`` -> ``rccompat1a2b3c``),
so it never touches objects it did not make, and two replays never collide.

Requests go through ``server.target``'s client, as in a contract run: the target's auth headers, CSRF tokens
fetched and sent when the server asks for them, 429/503 retried. Every object a create answered is handed
to ``objects.ledger.Ledger`` (plus the runs ``POST /deployments/{id}/create_flow_run`` makes), and removed at
the end, children first; the recording's own deletes run as recorded.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass

from restcontract.clients.hook import uuid_leaves
from restcontract.clients.workload import TOKEN
from restcontract.errors import ContractError
from restcontract.objects.ledger import Ledger
from restcontract.server.target import Target
from restcontract.spec import Spec

PLACEHOLDER = re.compile(r"00000000-0000-4000-8000-[0-9]{12}")
FORWARDED_HEADERS = ("content-type", "x-prefect-api-version", "user-agent")
# action routes whose answer is an object of another collection: its delete route
ACTION_CREATES = {"/create_flow_run": "/flow_runs/{id}"}


class IdMap:
    """Placeholders of a recording -> the uuids of one replay (see the module docstring)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.answered: set[str] = set()  # placeholders some recorded answer named (so far)
        self.learned: set[str] = set()  # those a live answer named too

    def learn(self, recorded: dict[str, str], answer: object) -> None:
        """Map each placeholder of a recorded answer (``ids``: path -> placeholder) to the live answer's
        uuid at the same path; a placeholder already mapped keeps its uuid."""
        live = uuid_leaves(answer)
        for where, placeholder in recorded.items():
            if where not in live:
                continue
            if placeholder not in self.ids:
                self.ids[placeholder] = live[where]
            if self.ids[placeholder] == live[where]:  # an id the client made, echoed, is learned too
                self.learned.add(placeholder)

    def missing(self, text: str) -> list[str]:
        """The placeholders in ``text`` that a recorded answer had named and no live answer did: the
        request names an object whose create or lookup the live server refused."""
        return [p for p in PLACEHOLDER.findall(text) if p in self.answered and p not in self.learned]

    def __call__(self, text: str) -> str:
        """``text`` with every placeholder replaced (a fresh uuid for one never answered)."""
        return PLACEHOLDER.sub(lambda m: self.ids.setdefault(m.group(0), str(uuid.uuid4())), text)


@dataclass
class Sent:
    """One replayed request: where it went and what came back (``status`` None: no answer)."""

    path: str
    status: int | None
    answer: object = None
    error: str = ""
    follows: bool = False  # it names an object an earlier refusal kept from the replay (``IdMap.missing``)


class Replay:
    """One replay of a recording on ``target``, whose document is ``spec``."""

    def __init__(self, target: Target, spec: Spec, suffix: str | None = None):
        self.target = target
        self.spec = spec
        self.suffix = suffix if suffix is not None else secrets.token_hex(3)
        self.ids = IdMap()
        self.ledger = Ledger(spec)
        self.ledger.run_prefix = TOKEN + self.suffix
        self.client = target.client()
        self.problems: list[str] = []  # what the cleanup could not delete, one line each

    def rename(self, text: str) -> str:
        return self.ids(text).replace(TOKEN, TOKEN + self.suffix)

    def request_of(self, entry: dict) -> tuple[str, list, dict, bytes | None, object]:
        """The live form of a recorded request: path, query, headers, body bytes and the body as JSON."""
        body = entry.get("body")
        body = json.loads(self.rename(json.dumps(body))) if body is not None else None
        query = [(k, self.rename(v)) for k, v in entry.get("query") or []]
        headers = {k: v for k, v in (entry.get("headers") or {}).items() if k.lower() in FORWARDED_HEADERS}
        content = None if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
        return self.rename(entry["path"]), query, headers, content, body

    def send(self, entry: dict) -> Sent:
        """Replay one recorded request; learn the ids its answer names; note what it created."""
        follows = bool(self.ids.missing(json.dumps([entry["path"], entry.get("query"), entry.get("body")])))
        path, query, headers, content, body = self.request_of(entry)
        try:
            response = self.client.request(entry["method"], path, params=query,
                                           headers=headers, content=content)
        except ContractError as exc:  # no answer (NoAnswer) or a dead server (TargetDied)
            return Sent(path, None, error=str(exc), follows=follows)
        finally:
            self.ids.answered.update((entry.get("ids") or {}).values())
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        if response.status_code < 300:
            self.ids.learn(entry.get("ids") or {}, answer)
            self.keep(entry["method"], path, response.status_code, answer, body)
        return Sent(path, response.status_code, answer, follows=follows)

    def keep(self, method: str, path: str, status: int, answer: object, body: object) -> None:
        """Hand a create's answer to the ledger (``Ledger.observe``; action creates by ``ACTION_CREATES``)."""
        operation = self.spec.match(method, path)
        if method != "POST" or operation is None or not isinstance(answer, dict):
            return
        # the ledger's API is being renamed (observe/record/(deleted, problems) -> answered/made/Removal): either
        for suffix, delete in ACTION_CREATES.items():
            if operation.endswith(suffix) and status == 201 and isinstance(answer.get("id"), str):
                made = getattr(self.ledger, "made", None) or self.ledger.record
                made(operation, delete.replace("{id}", answer["id"]))
                return
        (getattr(self.ledger, "answered", None) or self.ledger.observe)(operation, status, answer, body)

    def run(self, entries: list[dict]) -> list[Sent]:
        """Replay every entry in order, then remove what the replay made; raises nothing for a rejection."""
        try:
            return [self.send(entry) for entry in entries]
        finally:
            removal = self.ledger.cleanup(self.client)
            self.problems = list(removal.problems if hasattr(removal, "problems") else removal[1])
            self.client.close()
