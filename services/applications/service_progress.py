"""An application's steps after it was made: staff issue the referral letter or decline, the
employer (or staff) moves it through screening → interview → offer → hire or rejection, the
seeker withdraws (辞退). Every step is checked against the state machine (domain.TRANSITIONS),
recorded with who, when and an optional note, and announced by an event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import structlog

from contracts.applications import (
    ApplicationPostingClosed,
    ApplicationStatusChanged,
    ApplicationWithdrawn,
    ConditionsItem,
    ReferralDeclined,
    ReferralIssued,
)
from servicekit.auth import Principal
from services.applications import access
from services.applications.core import Core, Decide, Decision, change, entry
from services.applications.domain import (
    ApplicationNotFound,
    JobNotFound,
    PostingClosed,
    RescheduleLimitReached,
    conditions_summary,
    is_final,
    next_status,
    posting_state,
    recent_changes,
    sort_key,
)
from services.applications.offices import office_name
from services.applications.repository import APPLICATIONS, Doc
from services.applications.service_apply import apply_claim

log = structlog.get_logger()

Progress = Literal["screening", "interview", "offered", "hired", "rejected"]


class ProgressService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def _step(self, application_id: str, decide: Decide) -> Doc | None:
        result = await change(
            self.core, APPLICATIONS, application_id, decide, missing=ApplicationNotFound
        )
        if result is not None and is_final(result["status"]):
            # the seeker may apply to this posting again: the (seeker, posting) claim goes
            await self.core.store.release(
                apply_claim(result["seeker_id"], result["job_id"]), application_id=result["_id"]
            )
        return result

    # --- staff: the referral -------------------------------------------------------------------

    async def issue_referral(self, principal: Principal, application_id: str) -> Doc:
        by = access.actor(principal)
        now = self.core.now()
        today = self.core.today()

        async def decide(app: Doc) -> Decision:
            if not access.staff_office(principal, app["office_code"]):
                raise ApplicationNotFound()
            status = next_status(app["status"], "issue_referral")
            posting = await self.core.projections.posting(app["job_id"])
            if posting is None:
                raise JobNotFound()
            if posting_state(posting, today) != "open":
                raise PostingClosed()
            number = await self.core.store.allocate_referral_number(app["office_code"], today.year)
            version = app["version"] + 1
            referral = {
                "referral_number": number,
                "office_code": app["office_code"],
                "office_name": office_name(app["office_code"]),
                "issued_on": today.isoformat(),
                "issued_at": now,
                "issued_by": principal.account_id,
            }
            event = ReferralIssued(
                application_id=app["_id"],
                seeker_id=app["seeker_id"],
                employer_id=app["employer_id"],
                job_id=app["job_id"],
                job_number=app["job_number"],
                referral_number=number,
                office_code=app["office_code"],
                office_name=referral["office_name"],
                issued_on=today,
                issued_by=principal.account_id,
                version=version,
            )
            fields = {
                "status": status,
                "referral": referral,
                "employer_visible": True,
                "updated_at": now,
            }
            step = entry(
                version=version,
                status=status,
                action="issue_referral",
                at=now,
                by=by,
                referral_number=number,
            )
            return fields, step, [event]

        result = await self._step(application_id, decide)
        assert result is not None
        log.info(
            "applications.referral.issued",
            application_id=application_id,
            referral_number=result["referral"]["referral_number"],
        )
        return result

    async def decline_referral(self, principal: Principal, application_id: str, reason: str) -> Doc:
        by = access.actor(principal)
        now = self.core.now()

        async def decide(app: Doc) -> Decision:
            if not access.staff_office(principal, app["office_code"]):
                raise ApplicationNotFound()
            status = next_status(app["status"], "decline_referral")
            version = app["version"] + 1
            event = ReferralDeclined(
                application_id=app["_id"],
                seeker_id=app["seeker_id"],
                job_id=app["job_id"],
                office_code=app["office_code"],
                reason=reason,
                declined_by=principal.account_id,
                version=version,
            )
            fields = {"status": status, "decline_reason": reason, "updated_at": now}
            step = entry(
                version=version,
                status=status,
                action="decline_referral",
                at=now,
                by=by,
                reason=reason,
            )
            return fields, step, [event]

        result = await self._step(application_id, decide)
        assert result is not None
        return result

    # --- employer (or staff): progress ---------------------------------------------------------

    async def change_status(
        self,
        principal: Principal,
        application_id: str,
        *,
        status: Progress,
        note: str | None = None,
        interview_at: datetime | None = None,
        interview_place: str | None = None,
        conditions_differ: bool | None = None,
        conditions_note: str | None = None,
        conditions_items: list[dict[str, str]] | None = None,
    ) -> Doc:
        by = access.actor(principal)
        items = [{"item": i["item"], "text": i["text"]} for i in conditions_items or []]
        summary = conditions_summary(conditions_note, items) if conditions_differ else None
        now = self.core.now()

        settings = self.core.settings

        async def decide(app: Doc) -> Decision:
            if not access.may_progress(principal, app):
                raise ApplicationNotFound()
            target = next_status(app["status"], status)
            # each change messages and notifies the seeker: a few a minute at most
            recent = recent_changes(app, now, settings.status_changes_per_minute)
            version = app["version"] + 1
            fields: dict[str, Any] = {
                "status": target,
                "updated_at": now,
                "recent_changes": recent,
            }
            if target == "interview":
                fields["interview"] = {"at": interview_at, "place": interview_place}
            if app["status"] == "interview" and target == "interview":  # a reschedule
                moved = int(app.get("interview_reschedules") or 0)
                if moved >= settings.interview_reschedule_limit:
                    raise RescheduleLimitReached()
                fields["interview_reschedules"] = moved + 1
            if conditions_differ is not None:
                fields["conditions"] = {
                    "differ": conditions_differ,
                    "note": conditions_note,
                    "items": items,
                    "status": target,
                    "at": now,
                }
            answer = fields.get("conditions") or app.get("conditions") or {}
            if target == "hired" and answer.get("differ"):
                # the office's list of hires whose conditions differ (index by_office_differing)
                fields["differing_hire_seq"] = sort_key(now, app["_id"])
            event = ApplicationStatusChanged(
                application_id=app["_id"],
                seeker_id=app["seeker_id"],
                employer_id=app["employer_id"],
                job_id=app["job_id"],
                from_status=app["status"],
                to_status=target,
                note=note,
                interview_at=interview_at,
                interview_place=interview_place,
                conditions_differ=conditions_differ,
                conditions_note=summary,
                conditions_items=[ConditionsItem(**i) for i in items] if items else None,
                by_role=by[0],
                by_id=by[1],
                version=version,
            )
            step = entry(
                version=version,
                status=target,
                action=status,
                at=now,
                by=by,
                note=note,
                interview_at=interview_at,
                interview_place=interview_place,
                conditions_differ=conditions_differ,
                conditions_note=conditions_note,
                conditions_items=items or None,
            )
            return fields, step, [event]

        result = await self._step(application_id, decide)
        assert result is not None
        return result

    # --- the seeker: withdraw (辞退) ------------------------------------------------------------

    async def withdraw(self, principal: Principal, application_id: str, reason: str | None) -> Doc:
        seeker_id = access.seeker_id(principal)

        def allowed(app: Doc) -> None:
            if app["seeker_id"] != seeker_id:
                raise ApplicationNotFound()

        result = await self._withdraw(application_id, allowed, reason, ("seeker", seeker_id))
        assert result is not None
        return result

    async def withdraw_for_cancellation(self, application_id: str) -> None:
        """The registration was cancelled: end the application (idempotent)."""

        def allowed(app: Doc) -> None:
            return None

        await self._withdraw(
            application_id,
            allowed,
            "seeker_cancelled",
            ("system", "seeker_cancelled"),
            quiet_if_final=True,
        )

    async def _withdraw(
        self,
        application_id: str,
        allowed: Callable[[Doc], None],
        reason: str | None,
        by: tuple[str, str],
        *,
        quiet_if_final: bool = False,
    ) -> Doc | None:
        now = self.core.now()

        async def decide(app: Doc) -> Decision | None:
            allowed(app)
            if quiet_if_final and is_final(app["status"]):
                return None
            status = next_status(app["status"], "withdraw")
            version = app["version"] + 1
            event = ApplicationWithdrawn(
                application_id=app["_id"],
                seeker_id=app["seeker_id"],
                employer_id=app["employer_id"],
                job_id=app["job_id"],
                from_status=app["status"],
                reason=reason,
                by_role=by[0],
                employer_notified=bool(app.get("employer_visible")),
                version=version,
            )
            fields = {"status": status, "withdrawn_reason": reason, "updated_at": now}
            step = entry(
                version=version, status=status, action="withdraw", at=now, by=by, reason=reason
            )
            return fields, step, [event]

        return await self._step(application_id, decide)

    # --- the posting closed or expired ---------------------------------------------------------

    async def note_posting_closed(
        self, application_id: str, reason: Literal["closed", "expired"], posting_version: int
    ) -> None:
        """Tell the seeker and the employer (event + timeline note); the status stays. Once per
        closing event of the posting (its version), however often the event arrives."""
        now = self.core.now()

        async def decide(app: Doc) -> Decision | None:
            if is_final(app["status"]) or int(app.get("closure_version") or 0) >= posting_version:
                return None
            version = app["version"] + 1
            event = ApplicationPostingClosed(
                application_id=app["_id"],
                seeker_id=app["seeker_id"],
                employer_id=app["employer_id"],
                job_id=app["job_id"],
                status=app["status"],
                reason=reason,
                version=version,
            )
            fields = {
                "posting_notice": {"reason": reason, "at": now},
                "closure_version": posting_version,
                "updated_at": now,
            }
            step = entry(
                version=version,
                status=app["status"],
                action=f"posting_{reason}",
                at=now,
                by=("system", "jobs"),
            )
            return fields, step, [event]

        await self._step(application_id, decide)
