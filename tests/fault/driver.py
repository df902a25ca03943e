"""The fault suite's clients: numbered actions sent through the gateway at a steady rate by a few
concurrent drivers, each retried until it gets a definite answer.

Every fourth action is a direct application (seeker ``k`` to the next posting), the others are
messages ``#<n>`` in one of the seekers' conversations, from the seeker or from the employer in
turn. A message carries ``Idempotency-Key: fault-<run>-<n>``, so its retry after an answer that
never came is the same send (201 the first time, 200 with the original after). An application is
unique per seeker and posting: a retry answers 409 ``already_applied`` when an earlier attempt
was applied; the driver then cannot tell whether it was (an interrupted attempt may have left
only its claim), so such an action ends ``uncertain``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from tests.fault.checker import Action
from tests.fault.world import World

# answers that say nothing about whether the request was applied: retry
UNCERTAIN = {500, 502, 503, 504}
GIVE_UP_AFTER = 150.0


def _code(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("code", ""))
    except ValueError:
        return ""


def plan(count: int, world: World) -> list[Action]:
    seekers = len(world.seekers)
    actions: list[Action] = []
    applied = sent = 0
    for n in range(count):
        if n % 4 == 0:
            job = world.job_ids[applied // seekers]
            actions.append(Action(n, "apply", seeker=applied % seekers, job_id=job))
            applied += 1
        else:
            c = sent % seekers
            sender = "seeker" if (sent // seekers) % 2 == 0 else "employer"
            actions.append(
                Action(
                    n, "message", seeker=c, conversation_id=world.conversations[c], sender=sender
                )
            )
            sent += 1
    return actions


def postings_needed(count: int, seekers: int) -> int:
    applications = (count + 3) // 4
    return (applications + seekers - 1) // seekers


class Pacer:
    """Lets actions start at ``rate`` a second in all, or all at once while ``burst`` is set."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.burst = False
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.burst:
            return
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(self._next, now)
            self._next = at + 1 / self.rate
        await asyncio.sleep(at - now)


@dataclass
class Drivers:
    gw: httpx.AsyncClient
    world: World
    actions: list[Action]
    pacer: Pacer
    run: str
    done: int = 0
    surprises: list[str] = field(default_factory=list)
    _next: int = 0

    async def run_all(self, concurrency: int) -> None:
        await asyncio.gather(*(self._driver() for _ in range(concurrency)))

    async def _driver(self) -> None:
        while self._next < len(self.actions):
            action = self.actions[self._next]
            self._next += 1
            await self.pacer.wait()
            await self._perform(action)
            self.done += 1

    async def _send(self, action: Action) -> httpx.Response:
        if action.kind == "apply":
            body = {"job_id": action.job_id, "route": "direct", "motivation": f"#{action.number}"}
            auth = self.world.seekers[action.seeker]
            return await self.gw.post("/api/v1/applications", headers=auth, json=body)
        auth = (
            self.world.seekers[action.seeker] if action.sender == "seeker" else self.world.employer
        )
        headers = {**auth, "Idempotency-Key": f"fault-{self.run}-{action.number}"}
        return await self.gw.post(
            f"/api/v1/conversations/{action.conversation_id}/messages",
            headers=headers,
            json={"body": f"#{action.number}"},
        )

    async def _perform(self, action: Action) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GIVE_UP_AFTER
        unsure = False
        while True:
            action.attempts += 1
            try:
                resp = await self._send(action)
                code = resp.status_code
                action.answers.append(str(code))
            except httpx.HTTPError as exc:
                code = 0
                action.answers.append(type(exc).__name__)
            if code in (200, 201):
                action.outcome = "acked"
                return
            if code == 409 and _code(resp) == "application_pending":
                unsure = True  # an earlier attempt's claim, not yet known to be orphaned
            elif code == 409 and action.kind == "apply":
                action.outcome = "uncertain"
                if not unsure:
                    self.surprises.append(f"#{action.number}: 409 without an earlier attempt")
                return
            elif code == 0 or code in UNCERTAIN:
                unsure = True
            elif code not in (401, 404, 429):  # 404: a posting not known yet; 401: keys
                action.outcome = "uncertain" if unsure else "refused"
                self.surprises.append(f"#{action.number}: {code} {resp.text[:200]}")
                return
            if loop.time() > deadline:
                action.outcome = "uncertain" if unsure else "refused"
                self.surprises.append(f"#{action.number}: gave up after {action.answers}")
                return
            await asyncio.sleep(0.5)
