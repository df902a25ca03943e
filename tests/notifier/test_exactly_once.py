"""Integration: the delivery claim itself (real MongoDB-compatible server, real SMTP sink),
without the consumer's own duplicate check in front of it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from contracts.notifier import SendEmail
from servicekit import outbox
from servicekit.clock import FrozenClock
from services.notifier.domain import SmtpUnavailable
from services.notifier.mail import SmtpMailer
from services.notifier.rendering import Renderer
from services.notifier.repository import DeliveryRepository
from services.notifier.service import EmailService
from services.notifier.settings import NotifierSettings
from tests.conftest import MONGODB_URL, RUN_ID
from tests.notifier.support import Sink, free_port

pytestmark = pytest.mark.integration

LEASE = timedelta(seconds=90)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(infra):
    client: AsyncMongoClient = AsyncMongoClient(MONGODB_URL, tz_aware=True)
    try:
        yield DeliveryRepository(client[f"t{RUN_ID}_notifier_claims"])
    finally:
        await client.close()


async def claim(repo: DeliveryRepository, delivery_id: str, now: datetime):
    return await repo.claim(
        delivery_id=delivery_id,
        to="a@example.jp",
        template="mypage_opening",
        locale="ja",
        correlation_id="c-1",
        now=now,
        lease=LEASE,
    )


async def test_claim_lifecycle(repo):
    did = uuid.uuid4().hex
    first = await claim(repo, did, T0)
    assert (first.outcome, first.attempt) == ("claimed", 1)
    # held by a live attempt
    assert (await claim(repo, did, T0 + timedelta(seconds=5))).outcome == "in_flight"
    # a failed attempt frees it at once
    await repo.mark_failed(
        delivery_id=did, token=first.token, now=T0 + timedelta(seconds=6), error="x"
    )
    second = await claim(repo, did, T0 + timedelta(seconds=7))
    assert (second.outcome, second.attempt) == ("claimed", 2)
    # a stale token cannot mark it failed any more
    await repo.mark_failed(
        delivery_id=did, token=first.token, now=T0 + timedelta(seconds=8), error="y"
    )
    assert (await repo.get(did))["status"] == "sending"
    # an attempt that died mid-send: claimable again once its lease ran out
    assert (await claim(repo, did, T0 + timedelta(seconds=60))).outcome == "in_flight"
    third = await claim(repo, did, T0 + timedelta(seconds=7) + LEASE)
    assert (third.outcome, third.attempt) == ("claimed", 3)
    await repo.mark_sent(delivery_id=did, now=T0 + timedelta(seconds=200), message_id="<m@x>")
    assert (await claim(repo, did, T0 + timedelta(days=1))).outcome == "already_sent"
    doc = await repo.get(did)
    assert doc["status"] == "sent" and doc["attempts"] == 3 and doc["message_id"] == "<m@x>"
    assert "claim" not in doc and "lease_until" not in doc


async def test_claims_race_and_only_one_wins(repo):
    did = uuid.uuid4().hex
    outcomes = await asyncio.gather(*(claim(repo, did, T0) for _ in range(8)))
    assert sorted(o.outcome for o in outcomes) == ["claimed"] + ["in_flight"] * 7


def service(settings: NotifierSettings, repo: DeliveryRepository, clock=None) -> EmailService:
    return EmailService(
        settings=settings,
        repo=repo,
        mailer=SmtpMailer(settings),
        renderer=Renderer(settings),
        clock=clock or FrozenClock(T0),
    )


async def test_two_concurrent_sends_of_one_command_give_one_mail(repo, tmp_path):
    sink = Sink(tmp_path / "mail")
    await sink.start()
    try:
        svc = service(NotifierSettings(smtp_port=sink.port, _env_file=None), repo)
        env = outbox.envelope(
            SendEmail(
                to="goro@example.jp", template="account_creation", params={"auth_key": "ABCD2345"}
            ),
            producer="identity",
            subject="k-1",
        )
        cmd = SendEmail.model_validate(env.data)
        results = await asyncio.gather(
            *(svc.send_email(command=cmd, envelope=env) for _ in range(2)), return_exceptions=True
        )
        assert sorted(type(r).__name__ for r in results) == ["DeliveryInFlight", "str"]
        assert "sent" in results
        # the retry of the loser finds the mail sent
        assert await svc.send_email(command=cmd, envelope=env) == "already_sent"
    finally:
        await sink.stop()
    mails = sink.mails()
    assert len(mails) == 1
    assert "アカウント登録申込受付通知" in mails[0]["Subject"]
    assert "認証キー: ABCD2345" in mails[0].get_content().splitlines()


async def test_smtp_down_marks_failed_and_raises_a_transient_error(repo):
    svc = service(
        NotifierSettings(smtp_port=free_port(), smtp_timeout_seconds=2, _env_file=None), repo
    )
    env = outbox.envelope(
        SendEmail(to="roku@example.jp", template="password_reset", params={"auth_key": "ABCD2345"}),
        producer="identity",
        subject="k-2",
    )
    cmd = SendEmail.model_validate(env.data)
    with pytest.raises(SmtpUnavailable):
        await svc.send_email(command=cmd, envelope=env)
    doc = await repo.get(str(env.id))
    assert doc["status"] == "failed" and doc["attempts"] == 1
    assert "ABCD2345" not in repr(doc)
    with pytest.raises(SmtpUnavailable):  # the retry may claim it again
        await svc.send_email(command=cmd, envelope=env)
    assert (await repo.get(str(env.id)))["attempts"] == 2
