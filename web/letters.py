"""The printable 紹介状, the same document for the seeker, the employer and staff: rendered from
the letter's JSON (``GET /api/v1/applications/{id}/referral-letter``), not the API's own HTML,
whose inline script and style web's CSP refuses. The print stylesheet (style.css) leaves only
the letter on paper."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from web.auth import api
from web.deps import render
from web.reference import EMPLOYMENT_TYPE_NAMES

PRINT_HINT = (
    "この画面をブラウザの印刷機能（パソコンは Ctrl+P、スマートフォンは共有メニューの「プリント」）"
    "で印刷できます。印刷すると紹介状の部分だけが出力されます。"
)


async def letter_page(
    request: Request,
    application_id: str,
    *,
    back: str,
    back_label: str,
    statuses: dict[str, str],
    name: str | None = None,
    hint: str = PRINT_HINT,
) -> Response:
    """``application_id`` already checked as a path segment; ``statuses`` names the status for
    this reader; ``name`` (the seeker's own page only) adds the seeker's name."""
    letter = await api(request, "GET", f"/api/v1/applications/{application_id}/referral-letter")
    posting = letter.get("posting") or {}
    return await render(
        request,
        "letter.html",
        forms=False,
        letter=letter,
        posting=posting,
        name=name,
        back=back,
        back_label=back_label,
        hint=hint,
        employment_type=EMPLOYMENT_TYPE_NAMES.get(str(posting.get("employment_type")), ""),
        status_name=statuses.get(str(letter.get("status")), ""),
    )
