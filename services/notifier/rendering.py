"""The mail texts: one Jinja2 template per template name and locale under ``templates/``.

A template's first line is the subject, then an empty line, then the plain-text body. Nothing is
HTML, so nothing is escaped; the subject comes from the template and settings only and must stay
one line (it becomes a header)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contracts.notifier import EmailTemplate
from services.notifier.domain import MailParams, RenderedMail
from services.notifier.settings import NotifierSettings

TEMPLATES: tuple[EmailTemplate, ...] = ("mypage_opening", "account_creation", "password_reset")
LOCALES = ("ja", "en")
FOLDER = Path(__file__).parent / "templates"

JST = timezone(timedelta(hours=9), "JST")

MYPAGE_NAMES = {
    "ja": {"seeker": "求職者マイページ", "employer": "求人者マイページ", None: "マイページ"},
    "en": {"seeker": "seeker My Page", "employer": "employer My Page", None: "My Page"},
}


class Renderer:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(FOLDER),
            # text/plain only: escaping would garble the mails
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, template: EmailTemplate, locale: str, params: MailParams) -> RenderedMail:
        if template not in TEMPLATES:
            raise ValueError(f"unknown template {template!r}")
        locale = locale if locale in LOCALES else "ja"
        text = self.env.get_template(f"{locale}/{template}.txt").render(
            self._context(locale, params)
        )
        subject, sep, body = text.replace("\r\n", "\n").partition("\n\n")
        subject = subject.strip()
        if not sep or not subject or "\n" in subject or "\r" in subject:
            raise ValueError(f"template {locale}/{template} must start with a one-line subject")
        return RenderedMail(subject=subject, body=body.strip("\n") + "\n")

    def _context(self, locale: str, params: MailParams) -> dict[str, Any]:
        s = self.settings
        return {
            "auth_key": params.auth_key,
            "valid_minutes": params.valid_minutes,
            "expires_at": _deadline(params.expires_at, locale),
            "mypage_name": MYPAGE_NAMES[locale][params.account_type],
            "sender": s.sender_address,
            "site_name": s.site_name,
            "helpdesk_phone": s.helpdesk_phone,
            "helpdesk_hours": s.helpdesk_hours_en if locale == "en" else s.helpdesk_hours,
            "helpdesk_email": s.helpdesk_email,
        }


def _deadline(at: datetime | None, locale: str) -> str | None:
    """The key's deadline in Japan time, as the office states it."""
    if at is None:
        return None
    jst = at.astimezone(JST)
    if locale == "en":
        return jst.strftime("%Y-%m-%d %H:%M (JST)")
    return f"{jst.year}年{jst.month}月{jst.day}日 {jst:%H:%M}（日本時間）"
