"""Test support for messaging and the notifier's in-app side: tokens signed by the test (EdDSA,
kid header, a JWKS of the test's own), other services' events published onto the test's broker
namespace exactly as those services publish them, a spy on what messaging publishes, and a clock
the tests can move."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts import Envelope, Message
from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralIssued,
    RequestSent,
)
from contracts.identity import EmployerRegistered, MypageOpened, SeekerCancelled, SeekerRegistered
from servicekit import outbox
from servicekit.bus import Bus
from servicekit.settings import ServiceSettings
from tests.support import OFFICE, OTHER_OFFICE, Tokens  # noqa: F401 - the suite's tests import them from here
from tests.support import Spy as SharedSpy


def uid() -> str:
    return uuid.uuid4().hex


class SteppingClock:
    """Real time plus what the test moved it on, each reading at least a millisecond after the
    one before. Never behind real time: a service dates a change by the earlier of the event's
    time and its clock, so a clock that lagged would date events by the order they were
    handled in."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._last: datetime | None = None

    def now(self) -> datetime:
        at = datetime.now(UTC) + self._offset
        if self._last is not None and at < self._last + timedelta(milliseconds=1):
            at = self._last + timedelta(milliseconds=1)
        self._last = at
        return at

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class Feed:
    """Publishes identity's and applications' events onto the test's namespace, as they would."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.bus = Bus(settings)
        self._last: datetime | None = None

    async def start(self) -> None:
        await self.bus.broker.connect()

    async def stop(self) -> None:
        await self.bus.broker.stop()

    async def publish(self, event: Message, subject: str, producer: str = "identity") -> Envelope:
        env = outbox.envelope(event, producer=producer, subject=subject)
        # each event at a later millisecond than the one before, as a producer's successive
        # changes are (a database write apart); MongoDB keeps milliseconds, and messages about
        # changes are ordered by when the change happened
        if self._last is not None and env.occurred_at < self._last + timedelta(milliseconds=1):
            env = env.model_copy(update={"occurred_at": self._last + timedelta(milliseconds=1)})
        self._last = env.occurred_at
        await self.bus.publish(env)
        return env

    async def again(self, env: Envelope) -> None:
        await self.bus.publish(env)

    # --- identity -----------------------------------------------------------------------------

    async def employer(
        self,
        employer_id: str | None = None,
        *,
        has_mypage: bool = True,
        name: str = "株式会社テスト商事",
    ) -> tuple[str, Envelope]:
        employer_id = employer_id or uid()
        env = await self.publish(
            EmployerRegistered(
                employer_id=employer_id,
                establishment_number=f"1301-{uuid.uuid4().int % 10**6:06d}-1",
                name=name,
                office_code=OFFICE,
                industry="情報通信業",
                has_mypage=has_mypage,
                version=1,
            ),
            employer_id,
        )
        return employer_id, env

    async def employer_opens_mypage(self, employer_id: str) -> Envelope:
        return await self.publish(
            MypageOpened(
                account_id=uid(), account_type="employer", employer_id=employer_id, version=2
            ),
            employer_id,
        )

    async def seeker(
        self,
        seeker_id: str | None = None,
        *,
        office: str = OFFICE,
        registered_on: date | None = None,
    ) -> tuple[str, str, Envelope]:
        seeker_id = seeker_id or uid()
        number = f"{office}-{uuid.uuid4().int % 10**8:08d}"
        env = await self.publish(
            SeekerRegistered(
                seeker_id=seeker_id,
                seeker_number=number,
                office_code=office,
                status="registered",
                registered_on=registered_on or date(2026, 1, 5),
                version=1,
            ),
            seeker_id,
        )
        return seeker_id, number, env

    async def cancel(self, seeker_id: str) -> Envelope:
        return await self.publish(
            SeekerCancelled(
                seeker_id=seeker_id,
                cancelled_by="seeker",
                cancelled_on=date(2026, 11, 30),
                version=9,
            ),
            seeker_id,
        )

    # --- applications -------------------------------------------------------------------------

    async def submitted(
        self,
        seeker_id: str,
        employer_id: str,
        *,
        application_id: str | None = None,
        route: str = "direct",
        seeker_number: str | None = None,
    ) -> tuple[str, Envelope]:
        application_id = application_id or uid()
        env = await self.publish(
            ApplicationSubmitted(
                application_id=application_id,
                seeker_id=seeker_id,
                seeker_number=seeker_number,
                employer_id=employer_id,
                job_id=uid(),
                job_number="13010-00001234",
                title="社内システムエンジニア",
                revision=1,
                route=route,
                status="applied" if route == "direct" else "referral_requested",
                office_code=OFFICE,
                submitted_on=date(2026, 11, 24),
                version=1,
            ),
            application_id,
            producer="applications",
        )
        return application_id, env

    async def referral_issued(
        self, application_id: str, seeker_id: str, employer_id: str
    ) -> Envelope:
        return await self.publish(
            ReferralIssued(
                application_id=application_id,
                seeker_id=seeker_id,
                employer_id=employer_id,
                job_id=uid(),
                job_number="13010-00001234",
                referral_number="13010-R-2026-000123",
                office_code=OFFICE,
                office_name="ハローワーク新宿",
                issued_on=date(2026, 11, 25),
                issued_by=uid(),
                version=2,
            ),
            application_id,
            producer="applications",
        )

    async def status(
        self,
        application_id: str,
        seeker_id: str,
        employer_id: str,
        to_status: str,
        *,
        version: int,
        from_status: str = "applied",
        **extra: Any,
    ) -> Envelope:
        return await self.publish(
            ApplicationStatusChanged.model_validate(
                {
                    "application_id": application_id,
                    "seeker_id": seeker_id,
                    "employer_id": employer_id,
                    "job_id": uid(),
                    "from_status": from_status,
                    "to_status": to_status,
                    "by_role": "employer",
                    "by_id": uid(),
                    "version": version,
                    **extra,
                }
            ),
            application_id,
            producer="applications",
        )

    async def withdrawn(
        self, application_id: str, seeker_id: str, employer_id: str, *, version: int
    ) -> Envelope:
        return await self.publish(
            ApplicationWithdrawn(
                application_id=application_id,
                seeker_id=seeker_id,
                employer_id=employer_id,
                job_id=uid(),
                from_status="applied",
                by_role="seeker",
                employer_notified=True,
                version=version,
            ),
            application_id,
            producer="applications",
        )

    async def request_sent(
        self, seeker_id: str, employer_id: str, *, message: str, request_id: str | None = None
    ) -> tuple[str, Envelope]:
        request_id = request_id or uid()
        env = await self.publish(
            RequestSent(
                request_id=request_id,
                seeker_id=seeker_id,
                employer_id=employer_id,
                employer_name="株式会社テスト商事",
                job_id=uid(),
                job_number="13010-00001234",
                title="社内システムエンジニア",
                message=message,
                via="http",
                sent_at=datetime.now(UTC),
                version=1,
            ),
            request_id,
            producer="applications",
        )
        return request_id, env


@dataclass
class Spy(SharedSpy):
    """The spy on what this service publishes."""

    pattern: str = "messaging.#"
