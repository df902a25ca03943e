"""The seeker's whole export (issue #15): identity announces an export job, every service that
keeps something about the seeker answers with its part, identity collects the parts.

- ``identity.export.requested.v1`` (identity, outbox on ``exports``): a seeker asked for
  everything held about them. Every other service consumes it on its own events queue.
- ``<service>.export.part_ready.v1`` (jobs, applications, messaging, notifier): that service's
  part, only this seeker's data (the service reads it with the seeker's own id), each list capped
  at ``item_limit`` items (newest first); ``truncated`` names the lists that were cut.

Items are the same views the seeker's own API answers with (dicts, dates as ISO strings): the
models type the envelope of each part, not every field of every view.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.envelope import Event

ID = r"^[A-Za-z0-9_-]{1,64}$"
# the most items of one list a part carries (a list longer than the limit is cut and named in
# ``truncated``)
MAX_ITEM_LIMIT = 100
# messages across all of a seeker's conversations in messaging's part (the largest items)
MAX_MESSAGES = 1000

Item = dict[str, Any]


class ExportRequested(Event):
    """A seeker asked for everything the services hold about them. Each service answers with
    its ``<service>.export.part_ready.v1`` carrying this ``export_id``."""

    TYPE: ClassVar[str] = "identity.export.requested.v1"
    export_id: str = Field(pattern=ID)
    account_id: str = Field(pattern=ID)
    seeker_id: str = Field(pattern=ID)
    office_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    item_limit: int = Field(default=MAX_ITEM_LIMIT, ge=1, le=MAX_ITEM_LIMIT)


class ExportPart(Event):
    """Base of the replies: which export, whose data, which lists were cut."""

    PART: ClassVar[str]
    export_id: str = Field(pattern=ID)
    account_id: str = Field(pattern=ID)
    seeker_id: str = Field(pattern=ID)
    truncated: list[str] = Field(
        default_factory=list, max_length=10, description="lists cut at the item limit"
    )


class JobsExportPart(ExportPart):
    """The jobs service's part: favourites, saved searches, recommendations received."""

    TYPE: ClassVar[str] = "jobs.export.part_ready.v1"
    PART: ClassVar[str] = "jobs"
    favorites: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)
    saved_searches: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)
    recommendations: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)


class ApplicationsExportPart(ExportPart):
    """The applications service's part: applications with their status timelines and referral
    letters, and the direct requests received."""

    TYPE: ClassVar[str] = "applications.export.part_ready.v1"
    PART: ClassVar[str] = "applications"
    applications: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)
    requests: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)


class MessagingExportPart(ExportPart):
    """The messaging service's part: conversations, each with its messages (``messages``, newest
    first; at most ``MAX_MESSAGES`` across all conversations, else ``messages`` is named in
    ``truncated``), and the notices from the office."""

    TYPE: ClassVar[str] = "messaging.export.part_ready.v1"
    PART: ClassVar[str] = "messaging"
    conversations: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)
    notices: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)


class NotifierExportPart(ExportPart):
    """The notifier's part: the in-app notifications."""

    TYPE: ClassVar[str] = "notifier.export.part_ready.v1"
    PART: ClassVar[str] = "notifier"
    notifications: list[Item] = Field(default_factory=list, max_length=MAX_ITEM_LIMIT)


PARTS: tuple[type[ExportPart], ...] = (
    JobsExportPart,
    ApplicationsExportPart,
    MessagingExportPart,
    NotifierExportPart,
)
EVENTS: tuple[type[Event], ...] = (ExportRequested, *PARTS)
