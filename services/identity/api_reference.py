"""Reference data, no login: the occupation codes profiles use."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from services.identity.reference import occupations

router = APIRouter(prefix="/api/v1", tags=["reference"])


class Occupation(BaseModel):
    code: str
    name: str


@router.get(
    "/occupations",
    response_model=list[Occupation],
    summary="Occupation codes (厚生労働省編職業分類: major groups A–K, middle groups 01–73)",
)
async def list_occupations(response: Response) -> list[Occupation]:
    response.headers["Cache-Control"] = "public, max-age=3600"
    return [Occupation(code=code, name=name) for code, name in occupations().items()]
