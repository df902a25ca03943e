"""The fault suite's checker: what the clients were told against what every service's own database
shows, per numbered action.

Two kinds of action, each with effects in more than one service:

- ``apply`` (a seeker applies directly to a posting): the application in applications (one per
  seeker and posting); from its ``applications.application.submitted.v1`` event a conversation
  in messaging and a notification to the employer in the notifier;
- ``message`` (``#<n>`` sent in a conversation with Idempotency-Key ``fault-<n>``): the message in
  messaging; from its ``messaging.message.sent.v1`` event the recipient's unread mark in the
  notifier (one per message) and a notification (counted per recipient and conversation: its
  link names the conversation, not the message).

An action the client was told succeeded (``acked``) must have exactly one effect everywhere. One
whose answer never came (``uncertain``: the process or the connection died mid-request) may have
been applied or not: its producer effect may be 0 or 1, and every downstream effect must then
equal what the producer holds (whatever was written went out, once). One never accepted
(``refused``) has no effect at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["apply", "message"]
Outcome = Literal["acked", "uncertain", "refused"]


@dataclass
class Action:
    number: int
    kind: Kind
    # apply: the seeker's index and the posting; message: the conversation and who sends it
    seeker: int = 0
    job_id: str = ""
    conversation_id: str = ""
    sender: str = ""
    outcome: Outcome = "uncertain"
    attempts: int = 0
    answers: list[str] = field(default_factory=list)


@dataclass
class Effects:
    """What the services' databases hold, reduced to what the checker counts."""

    # applications: (seeker id, job id) → the application ids
    applications: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # messaging: application id → conversations opened for it
    conversations: Counter[str] = field(default_factory=Counter)
    # notifier: application id → "new application" notifications to the employer
    application_notifications: Counter[str] = field(default_factory=Counter)
    # messaging: action number → (message id, conversation id, recipient party keys) per copy
    messages: dict[int, list[tuple[str, str, list[str]]]] = field(default_factory=dict)
    # notifier: message id → unread marks (one per recipient)
    message_marks: Counter[str] = field(default_factory=Counter)
    # notifier: (recipient, conversation id) → message notifications
    message_notifications: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    lost: int = 0
    duplicated: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, what: str, expected_range: tuple[int, int], found: int) -> None:
        low, high = expected_range
        self.expected += high
        self.found += found
        if found < low:
            self.lost += low - found
            self._example(f"lost {what}: {found} < {low}")
        elif found > high:
            self.duplicated += found - high
            self._example(f"duplicated {what}: {found} > {high}")

    def _example(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


@dataclass
class Report:
    actions: int
    outcomes: Counter[str]
    tallies: dict[str, Tally]
    # applications answered 409 already_applied (after an attempt whose answer was lost) that do
    # not exist: the seeker was told they had applied (an orphaned claim, see the report)
    conflict_without_effect: list[int] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tallies.values())

    @property
    def duplicated(self) -> int:
        return sum(t.duplicated for t in self.tallies.values())

    @property
    def effects(self) -> int:
        return sum(t.found for t in self.tallies.values())

    def line(self) -> str:
        per = " ".join(
            f"{name}={t.found}(lost {t.lost}, dup {t.duplicated})"
            for name, t in self.tallies.items()
        )
        return (
            f"actions={self.actions} accepted={self.outcomes['acked']} "
            f"uncertain={self.outcomes['uncertain']} refused={self.outcomes['refused']} "
            f"effects={self.effects} lost={self.lost} duplicated={self.duplicated} "
            f"already_applied_but_absent={len(self.conflict_without_effect)} [{per}]"
        )

    def problems(self) -> list[str]:
        return [f"{name}: {e}" for name, t in self.tallies.items() for e in t.examples]


def _range(outcome: Outcome) -> tuple[int, int]:
    return {"acked": (1, 1), "uncertain": (0, 1), "refused": (0, 0)}[outcome]


def check(actions: list[Action], effects: Effects, seeker_ids: list[str]) -> Report:
    names = (
        "applications",
        "messaging.conversations",
        "notifier.application_notifications",
        "messaging.messages",
        "notifier.message_marks",
        "notifier.message_notifications",
    )
    tallies = {name: Tally() for name in names}
    known_messages: set[int] = set()
    absent: list[int] = []
    for action in actions:
        if action.kind == "apply":
            key = (seeker_ids[action.seeker], action.job_id)
            apps = effects.applications.get(key, [])
            tallies["applications"].add(
                f"#{action.number} {key}", _range(action.outcome), len(apps)
            )
            if not apps and action.answers[-1:] == ["409"]:
                absent.append(action.number)
            for app_id in apps:  # every application written went out, once
                tallies["messaging.conversations"].add(
                    f"#{action.number} {app_id}", (1, 1), effects.conversations[app_id]
                )
                tallies["notifier.application_notifications"].add(
                    f"#{action.number} {app_id}", (1, 1), effects.application_notifications[app_id]
                )
        else:
            known_messages.add(action.number)
            copies = effects.messages.get(action.number, [])
            tallies["messaging.messages"].add(
                f"#{action.number}", _range(action.outcome), len(copies)
            )
            for message_id, _, recipients in copies:
                tallies["notifier.message_marks"].add(
                    f"#{action.number} {message_id}",
                    (len(recipients), len(recipients)),
                    effects.message_marks[message_id],
                )
    for number, copies in effects.messages.items():  # a message no action sent
        if number not in known_messages:
            tallies["messaging.messages"].add(f"#{number} (never sent)", (0, 0), len(copies))
    # notifications name the conversation: per recipient and conversation, one per message
    sent: Counter[tuple[str, str]] = Counter()
    for copies in effects.messages.values():
        for _, conversation_id, recipients in copies:
            for recipient in recipients:
                sent[(recipient, conversation_id)] += 1
    for key in sorted(set(sent) | set(effects.message_notifications)):
        tallies["notifier.message_notifications"].add(
            f"{key}", (sent[key], sent[key]), effects.message_notifications[key]
        )
    outcomes: Counter[str] = Counter(str(a.outcome) for a in actions)
    return Report(
        actions=len(actions), outcomes=outcomes, tallies=tallies, conflict_without_effect=absent
    )


async def collect(dbs: dict[str, Any], job_ids: set[str]) -> Effects:
    """Read the effects from the services' databases (``dbs``: service name → its database)."""
    effects = Effects()
    apps = dbs["applications"]["applications"].find(
        {"job_id": {"$in": sorted(job_ids)}}, {"seeker_id": 1, "job_id": 1}
    )
    app_ids: set[str] = set()
    async for doc in apps:
        effects.applications.setdefault((doc["seeker_id"], doc["job_id"]), []).append(doc["_id"])
        app_ids.add(doc["_id"])
    async for doc in dbs["messaging"]["conversations"].find({}, {"application_id": 1}):
        if doc.get("application_id") in app_ids:
            effects.conversations[doc["application_id"]] += 1
    async for doc in dbs["notifier"]["notifications"].find(
        {}, {"type": 1, "link": 1, "recipient": 1}
    ):
        link = doc.get("link") or {}
        if doc.get("type") == "application":
            app_id = str(link.get("web", "")).rsplit("/", 1)[-1]
            if app_id in app_ids:
                effects.application_notifications[app_id] += 1
        elif doc.get("type") == "message":
            api = str(link.get("api", ""))  # /api/v1/conversations/<id>/messages
            conversation_id = api.removeprefix("/api/v1/conversations/").removesuffix("/messages")
            effects.message_notifications[(doc["recipient"], conversation_id)] += 1
    query = {"kind": "user", "body": {"$regex": "^#[0-9]+$"}}
    fields = {"body": 1, "conversation_id": 1, "recipients": 1}
    async for doc in dbs["messaging"]["messages"].find(query, fields):
        number = int(doc["body"][1:])
        copy = (doc["_id"], doc["conversation_id"], list(doc.get("recipients") or []))
        effects.messages.setdefault(number, []).append(copy)
    async for doc in dbs["notifier"]["message_marks"].find({"kind": "in"}, {"_id": 1}):
        # in|<recipient>|<message id>
        effects.message_marks[str(doc["_id"]).rsplit("|", 1)[-1]] += 1
    return effects
