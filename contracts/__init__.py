"""Typed events and commands shared between services. Imports nothing from ``services``."""

from __future__ import annotations

from contracts import applications, export, identity, jobs, messaging, notifier
from contracts.envelope import Command, Envelope, Event, Message

ALL: tuple[type[Message], ...] = (
    *identity.EVENTS,
    *jobs.EVENTS,
    *applications.EVENTS,
    *applications.COMMANDS,
    *messaging.EVENTS,
    *notifier.COMMANDS,
    *export.EVENTS,
)
REGISTRY: dict[str, type[Message]] = {m.TYPE: m for m in ALL}

__all__ = ["ALL", "REGISTRY", "Command", "Envelope", "Event", "Message"]
