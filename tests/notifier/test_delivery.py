"""Integration: the notifier against the real broker, the real database and a real SMTP server
(an aiosmtpd sink of the test's own, writing .eml files)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from contracts import Envelope
from contracts.notifier import SendEmail
from servicekit.settings import ServiceSettings
from services.notifier.app import create_app
from services.notifier.settings import NotifierSettings
from tests.conftest import eventually, running
from tests.notifier.support import Publisher, Sink, take_dead
from tests.ports import free_port

pytestmark = pytest.mark.integration

SUBJECT = "パスワード登録申込受付通知"


def new_key() -> str:
    return "K" + uuid.uuid4().hex[:9].upper()


def opening(to: str, key: str) -> SendEmail:
    return SendEmail(
        to=to,
        template="mypage_opening",
        locale="ja",
        params={"auth_key": key, "valid_minutes": "50", "account_type": "seeker"},
    )


def raw_envelope(data: dict[str, object]) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type=SendEmail.TYPE,
        occurred_at=datetime.now(UTC),
        producer="identity",
        correlation_id=str(uuid.uuid4()),
        subject="account-x",
        data=data,
    )


@pytest.fixture
async def sink(tmp_path):
    s = Sink(tmp_path / "mail")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def publisher(make_settings):
    async with Publisher(make_settings(ServiceSettings, service_name="identity")) as p:
        yield p


async def delivery(app, envelope: Envelope) -> dict | None:
    return await app.state.runtime.db["deliveries"].find_one({"_id": str(envelope.id)})


async def test_opening_mail_arrives_once_with_key_line(make_settings, sink, publisher):
    app = create_app(make_settings(NotifierSettings, smtp_port=sink.port))
    key = new_key()
    with capture_logs() as logs:
        async with running(app) as client:
            assert (await client.get("/readyz")).status_code == 200
            env = await publisher.send(opening("taro.yamada@example.jp", key))
            await eventually(lambda: sink.files())
            await asyncio.sleep(0.5)
            doc = await delivery(app, env)

    assert len(sink.files()) == 1
    raw = sink.files()[0].read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "headers must be MIME-encoded"
    mail = sink.mails()[0]
    assert mail["X-Envelope-To"] == "taro.yamada@example.jp"
    assert mail["To"] == "taro.yamada@example.jp"
    assert SUBJECT in mail["Subject"]
    assert mail["From"].addresses[0].addr_spec == "system@mail.hataraku.example"
    assert mail["Message-ID"] == f"<{env.id.hex}.notifier@mail.hataraku.example>"
    assert mail["Date"].datetime is not None
    body = mail.get_content()
    assert f"認証キー: {key}" in body.splitlines()
    assert "50分以内有効" in body

    # the delivery is recorded, without the params
    assert doc is not None
    assert doc["status"] == "sent" and doc["attempts"] == 1
    assert doc["to"] == "taro.yamada@example.jp" and doc["template"] == "mypage_opening"
    assert "params" not in doc and key not in repr(doc)
    # the logs name the delivery, never the key
    assert any(e["event"] == "notifier.email.sent" for e in logs)
    assert key not in repr(logs)


async def test_same_envelope_twice_gives_one_mail(make_settings, sink, publisher):
    app = create_app(make_settings(NotifierSettings, smtp_port=sink.port))
    async with running(app):
        env = await publisher.send(opening("hanako@example.jp", new_key()))
        await publisher.bus.publish(env)
        await eventually(lambda: sink.files())
        await asyncio.sleep(1.5)
        doc = await delivery(app, env)
    assert len(sink.files()) == 1
    assert doc is not None and doc["status"] == "sent" and doc["attempts"] == 1


async def test_two_replicas_receiving_the_same_envelope_send_one_mail(
    make_settings, sink, publisher
):
    settings = make_settings(NotifierSettings, smtp_port=sink.port)
    first, second = create_app(settings), create_app(settings)
    async with running(first), running(second):
        env = await publisher.send(opening("jiro@example.jp", new_key()))
        # both copies are in the queue at once: the two consumers take one each
        await publisher.bus.publish(env)
        await publisher.bus.publish(env)
        await eventually(lambda: sink.files())
        await asyncio.sleep(2.0)
        doc = await delivery(first, env)
    assert len(sink.files()) == 1
    assert doc is not None and doc["status"] == "sent" and doc["attempts"] == 1


async def test_mail_waits_for_smtp_and_is_sent_when_it_comes_back(make_settings, tmp_path, run_id):
    down = Sink(tmp_path / "late", port=free_port())  # nothing listens on the port yet
    # a broker namespace of its own: its retries must not wait behind the duplicates the other
    # tests park in the shared retry queue (a message expires there only at the queue's head)
    prefix = f"t{run_id}smtp."
    settings = make_settings(
        NotifierSettings, smtp_port=down.port, smtp_timeout_seconds=2, bus_prefix=prefix
    )
    app = create_app(settings)
    key = new_key()
    try:
        async with (
            running(app),
            Publisher(
                make_settings(ServiceSettings, service_name="identity", bus_prefix=prefix)
            ) as publisher,
        ):
            env = await publisher.send(opening("saburo@example.jp", key))

            async def failed_once() -> bool:
                doc = await delivery(app, env)
                return doc is not None and doc["status"] == "failed"

            await eventually(failed_once)
            assert down.files() == []
            await asyncio.sleep(0.5)
            await down.start()
            await eventually(lambda: down.files())
            await asyncio.sleep(0.5)
            doc = await delivery(app, env)
    finally:
        await down.stop()
    assert len(down.files()) == 1
    assert f"認証キー: {key}" in down.mails()[0].get_content().splitlines()
    assert doc is not None and doc["status"] == "sent" and doc["attempts"] >= 2
    assert "last_error" in doc and key not in repr(doc)


async def test_invalid_commands_are_dead_lettered_and_the_queue_moves_on(
    make_settings, sink, publisher, run_id
):
    settings = make_settings(NotifierSettings, smtp_port=sink.port)
    dead_queue = f"{settings.bus_prefix}notifier.commands.dead"
    assert dead_queue == f"t{run_id}.notifier.commands.dead"
    good_params = {"auth_key": "ABCD2345"}
    bad_email = raw_envelope(
        {"to": "not-an-address", "template": "mypage_opening", "params": good_params}
    )
    bad_template = raw_envelope(
        {"to": "a@example.jp", "template": "newsletter", "params": good_params}
    )
    no_key = raw_envelope({"to": "b@example.jp", "template": "password_reset", "params": {}})
    app = create_app(settings)
    async with running(app):
        for env in (bad_email, bad_template, no_key):
            await publisher.bus.publish(env)
        good = await publisher.send(opening("shiro@example.jp", new_key()))

        reasons = {}
        for env in (bad_email, bad_template, no_key):
            msg = await take_dead(dead_queue, str(env.id))
            reasons[env.id] = str(msg.headers["x-dead-reason"])
            # dead at once, not after retries
            assert "x-attempt" not in (msg.headers or {})
        await eventually(lambda: sink.files())
        await asyncio.sleep(0.5)
        assert await delivery(app, no_key) is None

    assert "to" in reasons[bad_email.id]
    assert "template" in reasons[bad_template.id]
    assert "auth_key" in reasons[no_key.id]
    mails = sink.mails()
    assert [m["To"] for m in mails] == ["shiro@example.jp"]
    assert mails[0]["Message-ID"] == f"<{good.id.hex}.notifier@mail.hataraku.example>"
