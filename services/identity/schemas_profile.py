"""The seeker profile (求職情報) as HTTP input: the fields a PATCH, a counter registration and an
online application share, and the fields a seeker may not set (refused with their own
message). The field types are in ``fields_profile``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from services.identity.domain_seeker import ProfileInvalid, Violation
from services.identity.fields_profile import (
    MAX_DESIRED,
    EmploymentType,
    Flag,
    Line50,
    Line100,
    Line300,
    OccupationCode,
    PrefectureCode,
    Prose1000,
    Prose2000,
    RequiredLine100,
    Wage,
    WageUnit,
    YearMonth,
    distinct,
    fail,
    not_null,
)
from services.identity.schemas import RequestBody


class DesiredPlaceIn(RequestBody):
    prefecture: PrefectureCode
    municipality: Line50 = Field(default=None, examples=["新宿区"])


class WorkHistoryIn(RequestBody):
    company: Line100 = Field(default=None, description="never shown to employers")
    occupation: RequiredLine100 = Field(examples=["経理事務"])
    from_: YearMonth = Field(alias="from")
    to: YearMonth | None = Field(default=None, description="null: to this day")
    description: Prose1000 = None

    @model_validator(mode="after")
    def _in_order(self) -> WorkHistoryIn:
        if self.to is not None and self.to < self.from_:
            raise fail(
                "period_order",
                "'to' is before 'from'.",
                "終了年月が開始年月より前になっています。",
            )
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "occupation": self.occupation,
            "from": self.from_,
            "to": self.to,
            "description": self.description,
        }


Occupations = Annotated[
    list[OccupationCode] | None,
    AfterValidator(distinct(MAX_DESIRED, "希望職種")),
    Field(json_schema_extra={"maxItems": MAX_DESIRED}),
]
Prefectures = Annotated[
    list[PrefectureCode] | None,
    AfterValidator(distinct(MAX_DESIRED, "希望勤務地")),
    Field(json_schema_extra={"maxItems": MAX_DESIRED}),
]
Places = Annotated[
    list[DesiredPlaceIn] | None,
    AfterValidator(distinct(MAX_DESIRED, "希望勤務地")),
    Field(json_schema_extra={"maxItems": MAX_DESIRED}),
]
EmploymentTypes = Annotated[
    list[EmploymentType] | None,
    AfterValidator(distinct(5, "雇用形態")),
    Field(json_schema_extra={"maxItems": 5}),
]
WorkHistory = Annotated[
    list[WorkHistoryIn] | None,
    AfterValidator(distinct(20, "職歴")),
    Field(json_schema_extra={"maxItems": 20}),
]
Licenses = Annotated[
    list[Line100] | None,
    AfterValidator(distinct(20, "免許・資格")),
    Field(json_schema_extra={"maxItems": 20}),
]
# stored profile fields (the registration's personal data is not part of the profile)
PROFILE_FIELDS = (
    "desired_occupations",
    "desired_places",
    "employment_types",
    "desired_wage_min",
    "desired_wage_unit",
    "working_hours",
    "working_days",
    "work_history",
    "education",
    "licenses",
    "self_pr",
    "accepts_direct_requests",
)
LIST_FIELDS = frozenset({"desired_occupations", "employment_types", "licenses"})


class ProfileFields(RequestBody):
    """The profile fields, each optional: a PATCH changes only the fields it names (null or an
    empty list clears one)."""

    desired_occupations: Occupations = Field(default=None, examples=[["C", "25"]])
    desired_prefectures: Prefectures = Field(
        default=None, description="the simple form of desired_places (prefectures only)"
    )
    desired_places: Places = None
    employment_types: EmploymentTypes = None
    desired_wage_min: Wage = None
    desired_wage_unit: WageUnit | None = None
    working_hours: Line100 = Field(default=None, examples=["9:00〜18:00"])
    working_days: Line100 = Field(default=None, examples=["週5日（土日休み）"])
    work_history: WorkHistory = None
    education: Line300 = None
    licenses: Licenses = None
    self_pr: Prose2000 = None
    accepts_direct_requests: Flag = None

    def profile_changes(self) -> dict[str, Any]:
        """The named fields in their stored form (``desired_prefectures`` becomes places)."""
        given = self.model_fields_set
        if "desired_prefectures" in given and "desired_places" in given:
            raise ProfileInvalid(
                [
                    Violation(
                        "desired_places",
                        "ambiguous",
                        "desired_prefectures と desired_places はどちらか一方で指定してください。",
                        "Give desired_prefectures or desired_places, not both.",
                    )
                ]
            )
        out: dict[str, Any] = {}
        for name in given & set(PROFILE_FIELDS):
            value = getattr(self, name)
            if name == "desired_places":
                value = [
                    {"prefecture": p.prefecture, "municipality": p.municipality}
                    for p in value or []
                ]
            elif name == "work_history":
                value = [item.stored() for item in value or []]
            elif name in LIST_FIELDS:
                value = list(value or [])
            out[name] = value
        if "desired_prefectures" in given:
            out["desired_places"] = [
                {"prefecture": code, "municipality": None}
                for code in self.desired_prefectures or []
            ]
        return out


def _refuse(code: str, en: str, ja: str) -> Callable[[object], object]:
    def refuse(value: object) -> object:
        raise fail(code, en, ja)

    return refuse


# fields a seeker may not set: refused with their own message, absent from the schema
AnnotationsGuard = SkipJsonSchema[
    Annotated[
        Any,
        BeforeValidator(
            _refuse(
                "read_only",
                "Annotations are added by the office; a seeker cannot change or delete them.",
                "ハローワーク追記は求職者が変更・削除することはできません。",
            )
        ),
    ]
]
OfficeOnly = SkipJsonSchema[
    Annotated[
        Any,
        BeforeValidator(
            _refuse(
                "read_only",
                "Registration details are changed at the office.",
                "氏名・生年月日・連絡先などの登録内容はハローワークの窓口で変更してください。",
            )
        ),
    ]
]
Fixed = SkipJsonSchema[
    Annotated[
        Any,
        BeforeValidator(
            _refuse("read_only", "This field cannot be changed.", "この項目は変更できません。")
        ),
    ]
]


class ProfilePatch(ProfileFields):
    visibility: Annotated[Literal["public", "private"] | None, AfterValidator(not_null)] = None
    annotations: AnnotationsGuard = None
    name: OfficeOnly = None
    name_kana: OfficeOnly = None
    birth_date: OfficeOnly = None
    email: OfficeOnly = None
    phone: OfficeOnly = None
    postal_code: OfficeOnly = None
    address: OfficeOnly = None
    seeker_id: Fixed = None
    seeker_number: Fixed = None
    office_code: Fixed = None
    status: Fixed = None
    registered_on: Fixed = None
    expires_on: Fixed = None
    public_view: Fixed = None
