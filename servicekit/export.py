"""A service's answer to a seeker's whole export (contracts/export.py): on
``identity.export.requested.v1`` the service builds its part of this seeker's data — read with the
seeker's own principal through the same use cases, views and indexes as the seeker's own API —
and publishes it.

The reply changes no state, so it is published at once with the broker's confirm rather than
through an outbox: a failed publish fails the handler, which the consumer retries; identity takes
a part once, so a repeated reply is harmless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from contracts import Envelope, Message
from contracts.export import ExportRequested
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.bus import Bus

log = structlog.get_logger()

BuildPart = Callable[[ExportRequested, Principal], Awaitable[Message]]


def responder(
    bus: Bus, producer: str, build: BuildPart
) -> Callable[[ExportRequested, Envelope], Awaitable[None]]:
    """The handler of ``identity.export.requested.v1``: ``build`` makes the part, it is sent."""

    async def on_export_requested(event: ExportRequested, env: Envelope) -> None:
        principal = Principal(
            account_id=event.account_id,
            role="seeker",
            seeker_id=event.seeker_id,
            office_code=event.office_code,
        )
        part = await build(event, principal)
        await bus.publish(outbox.envelope(part, producer=producer, subject=event.export_id))
        log.info("export.part_sent", producer=producer, export_id=event.export_id)

    return on_export_requested


def truncated(**found: Any) -> list[str]:
    """The names of the lists with a further page (``next_cursor`` set)."""
    return [name for name, page in found.items() if page["next_cursor"] is not None]
