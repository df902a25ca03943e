"""Unit: the mail texts and their MIME form (no I/O)."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.notifier.domain import InvalidMailParams, parse_params
from services.notifier.mail import compose
from services.notifier.rendering import TEMPLATES, Renderer
from services.notifier.settings import NotifierSettings

SUBJECT_WORDS = {
    "mypage_opening": "パスワード登録申込受付通知",
    "account_creation": "アカウント登録申込受付通知",
    "password_reset": "パスワード再設定申込受付通知",
}
SENDER = "system@mail.hataraku.example"


@pytest.fixture
def settings() -> NotifierSettings:
    return NotifierSettings(
        helpdesk_phone="0570-123-456", helpdesk_email="help@hataraku.example", _env_file=None
    )


@pytest.fixture
def renderer(settings: NotifierSettings) -> Renderer:
    return Renderer(settings)


PARAMS = {"auth_key": "ABCD2345", "valid_minutes": "50"}


@pytest.mark.parametrize("template", TEMPLATES)
def test_japanese_mail_has_subject_key_line_validity_sender_and_helpdesk(renderer, template):
    mail = renderer.render(template, "ja", parse_params(PARAMS))
    assert SUBJECT_WORDS[template] in mail.subject
    assert "\n" not in mail.subject
    lines = mail.body.splitlines()
    assert "認証キー: ABCD2345" in lines
    assert mail.body.count("ABCD2345") == 1
    assert "50分以内有効" in mail.body
    assert f"{SENDER} からのメール受信を許可" in mail.body
    assert "0570-123-456" in mail.body
    assert "help@hataraku.example" in mail.body
    assert "月曜～金曜" in mail.body
    # nothing left unrendered
    assert "{{" not in mail.body and "{%" not in mail.body


@pytest.mark.parametrize("template", TEMPLATES)
def test_english_variant(renderer, template):
    mail = renderer.render(template, "en", parse_params({"auth_key": "ABCD2345"}))
    # the Japanese name stays in the subject so a reader (or a filter) recognises the mail
    assert SUBJECT_WORDS[template] in mail.subject
    assert mail.subject.isascii() is False and mail.subject.startswith("[Hataraku]")
    assert "認証キー: ABCD2345" in mail.body.splitlines()
    assert "valid for 50 minutes" in mail.body
    assert f"allow mail from {SENDER}" in mail.body
    assert "Monday to Friday" in mail.body
    assert "受付日時" not in mail.body


def test_valid_minutes_and_account_type_come_from_params(renderer):
    mail = renderer.render(
        "mypage_opening",
        "ja",
        parse_params({"auth_key": "K-1234", "valid_minutes": "30", "account_type": "employer"}),
    )
    assert "30分以内有効" in mail.body
    assert "求人者マイページ" in mail.body
    assert "認証キー: K-1234" in mail.body.splitlines()


def test_wording_params_are_optional_and_lenient(renderer):
    # a staff password reset: no dedicated wording, the mail still goes
    params = parse_params({"auth_key": "ABCD2345", "account_type": "staff", "expires_at": "soon"})
    assert params.account_type is None and params.expires_at is None
    mail = renderer.render("password_reset", "ja", params)
    assert "マイページのパスワード再設定" in mail.body
    assert "有効期限:" not in mail.body


def test_expiry_is_shown_in_japan_time(renderer):
    params = parse_params({"auth_key": "ABCD2345", "expires_at": "2026-11-24T06:50:00+00:00"})
    ja = renderer.render("mypage_opening", "ja", params).body.splitlines()
    assert "有効期限: 2026年11月24日 15:50（日本時間）" in ja
    assert ja[ja.index("認証キー: ABCD2345") + 1].startswith("有効期限:")
    en = renderer.render("mypage_opening", "en", params).body.splitlines()
    assert "Valid until: 2026-11-24 15:50 (JST)" in en


@pytest.mark.parametrize(
    "params, word",
    [
        ({}, "auth_key"),
        ({"auth_key": "AB\nBcc: x@example.org"}, "auth_key"),
        ({"auth_key": "{{ 7*7 }}"}, "auth_key"),
        ({"auth_key": "ABCD2345", "valid_minutes": "0"}, "valid_minutes"),
        ({"auth_key": "ABCD2345", "valid_minutes": "fifty"}, "valid_minutes"),
    ],
)
def test_bad_params_are_refused_without_echoing_values(params, word):
    with pytest.raises(InvalidMailParams) as caught:
        parse_params(params)
    assert word in caught.value.reason
    for value in params.values():
        assert value not in caught.value.reason


def test_mime_message_headers_and_body(renderer, settings):
    delivery_id = uuid.uuid4()
    at = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)
    msg = compose(
        settings=settings,
        rendered=renderer.render("mypage_opening", "ja", parse_params(PARAMS)),
        to="taro@example.jp",
        delivery_id=delivery_id,
        locale="ja",
        at=at,
    )
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # the Japanese subject is RFC 2047-encoded
    assert b"=?utf-8?" in head
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "【Hataraku】パスワード登録申込受付通知"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["To"] == "taro@example.jp"
    assert parsed["Message-ID"] == f"<{delivery_id.hex}.notifier@mail.hataraku.example>"
    assert parsed["Date"].datetime == at
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert "認証キー: ABCD2345" in parsed.get_content().splitlines()


def test_settings_refuse_header_injection_and_bad_sender():
    with pytest.raises(ValidationError):
        NotifierSettings(site_name="Hataraku\r\nBcc: x@example.org", _env_file=None)
    with pytest.raises(ValidationError):
        NotifierSettings(mail_from="no address here", _env_file=None)
    with pytest.raises(ValidationError):
        NotifierSettings(smtp_tls=True, smtp_starttls=True, _env_file=None)
    assert NotifierSettings(_env_file=None).sender_address == SENDER
