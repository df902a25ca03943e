"""Identity's problem+json renderers beyond servicekit's: validation errors whose Japanese
message travels with the error (``ctx.ja``), and the profile's checks across fields."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from servicekit.errors import problem, validation_errors, wants_english
from services.identity.domain_seeker import ProfileInvalid

# Japanese for the common pydantic errors servicekit has no word for
FIELD_JA = {
    "list_type": "配列（リスト）で指定してください。",
    "string_type": "文字列で指定してください。",
    "int_type": "整数で指定してください。",
    "bool_type": "true か false で指定してください。",
    "model_type": "オブジェクトで指定してください。",
    "model_attributes_type": "オブジェクトで指定してください。",
    "dict_type": "オブジェクトで指定してください。",
    "date_type": "日付は YYYY-MM-DD で入力してください。",
    "value_error.email": "メールアドレスの形式が正しくありません。",
}


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """422 ``validation_error`` with ``errors`` per field in the reader's language."""
    assert isinstance(exc, RequestValidationError)
    english = wants_english(request)
    errors = validation_errors(exc, english)
    if not english:
        for out, raw in zip(errors, exc.errors(), strict=True):
            ctx = raw.get("ctx") or {}
            if isinstance(ctx.get("ja"), str):
                out["message"] = ctx["ja"]
            elif out["code"] in FIELD_JA:
                out["message"] = FIELD_JA[out["code"]]
    detail = "The input is not valid." if english else "入力内容に誤りがあります。"
    return problem(422, "validation_error", detail, errors=errors)


async def profile_invalid_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProfileInvalid)
    english = wants_english(request)
    return problem(
        exc.status,
        exc.code,
        exc.en if english else exc.ja,
        errors=[v.as_error(english=english) for v in exc.violations],
    )
