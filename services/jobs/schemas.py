"""HTTP models of postings (求人票): the body to create or change one, and what a reader gets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.jobs import (
    AgeLimitReason,
    DayOfMonth,
    Education,
    EmploymentType,
    Insurance,
    Remote,
    TwoDayWeekend,
    WageUnit,
    Weekday,
    WorkPlace,
)
from services.jobs.reference import occupations
from services.jobs.schemas_sheet import (
    CarCommute,
    CommutingAllowance,
    Establishment,
    FixedOvertimePay,
    PayDay,
    Raises,
    Retirement,
    SelectionMethods,
    SmokingMeasures,
    TrialPeriod,
    WorkingShift,
    check_day_of_month,
)

PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
Text = Annotated[str, Field(min_length=1, max_length=100)]
Status = Literal["draft", "open", "closed", "expired"]


class Place(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefecture: str = Field(pattern=PREFECTURE, description="JIS X 0401 code, 01–47")
    municipality: str = Field(min_length=1, max_length=40)
    nearest_station: str | None = Field(default=None, max_length=40)


class PostingFields(BaseModel):
    """A Hello Work posting's fields. ``prefecture``/``municipality``/``nearest_station`` are the
    main work place; ``other_places`` lists further ones."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100, description="職種 / 求人のタイトル")
    description: str = Field(min_length=1, max_length=3000, description="仕事内容")
    occupation_code: str = Field(description="厚生労働省編職業分類の中分類コード (01–73)")
    prefecture: str = Field(pattern=PREFECTURE)
    municipality: str = Field(min_length=1, max_length=40)
    nearest_station: str | None = Field(default=None, max_length=40)
    other_places: list[Place] = Field(default_factory=list, max_length=4)
    employment_type: EmploymentType
    fixed_term: bool = Field(default=False, description="雇用期間の定めあり")
    contract_period: str | None = Field(default=None, max_length=100)
    wage_min: int = Field(ge=1, le=10_000_000)
    wage_max: int | None = Field(default=None, ge=1, le=10_000_000)
    wage_unit: WageUnit
    bonus: bool = False
    bonus_note: str | None = Field(default=None, max_length=200)
    working_hours: str | None = Field(
        default=None,
        max_length=200,
        description="就業時間 as free text: kept for postings written before working_shifts",
    )
    working_shifts: list[WorkingShift] = Field(
        default_factory=list, max_length=3, description="就業時間: up to three shifts"
    )
    overtime: bool = False
    overtime_hours_monthly: int | None = Field(default=None, ge=0, le=100)
    days_off: list[Weekday] = Field(default_factory=list, max_length=7, description="休日")
    public_holidays_off: bool = Field(default=False, description="祝日休み")
    annual_holidays: int | None = Field(default=None, ge=0, le=366, description="年間休日数")
    two_day_weekend: TwoDayWeekend = Field(default="none", description="週休二日制")
    insurance: list[Insurance] = Field(default_factory=list, max_length=4, description="加入保険")
    age_min: int | None = Field(default=None, ge=15, le=99)
    age_max: int | None = Field(default=None, ge=15, le=99)
    age_limit_reason: AgeLimitReason | None = Field(
        default=None,
        validate_default=True,
        description="年齢制限の例外事由 (1号, 2号イ〜ニ → 2a–2d, 3号イ・ロ → 3a, 3b)",
    )
    education_required: Education = "none"
    experience_required: bool = False
    experience_note: str | None = Field(default=None, max_length=200)
    licenses_required: list[Text] = Field(default_factory=list, max_length=10)
    openings: int = Field(default=1, ge=1, le=999, description="採用人数")
    remote: Remote = "none"
    accepts_online_referral: bool = Field(default=True, description="オンライン紹介を受け付ける")
    accepts_direct_application: bool = Field(
        default=False, description="オンライン自主応募を受け付ける（求人者マイページが必要）"
    )
    trial_period: TrialPeriod | None = Field(default=None, description="試用期間; null: なし")
    fixed_overtime_pay: FixedOvertimePay | None = Field(
        default=None, description="固定残業代 (not part of wage_min/wage_max)"
    )
    commuting_allowance: CommutingAllowance | None = Field(default=None, description="通勤手当")
    pay_closing_day: DayOfMonth | None = Field(default=None, description="賃金締切日 (1–31, end)")
    pay_day: PayDay | None = Field(default=None, description="賃金支払日")
    raises: Raises | None = Field(default=None, description="昇給")
    paid_leave_days: int | None = Field(
        default=None, ge=0, le=40, description="年次有給休暇（6か月経過後の日数）"
    )
    retirement: Retirement | None = Field(default=None, description="定年・再雇用・勤務延長")
    car_commute: CarCommute | None = Field(default=None, description="マイカー通勤")
    transfer_possible: bool | None = Field(default=None, description="転勤の可能性")
    smoking_measures: SmokingMeasures | None = Field(default=None, description="受動喫煙対策")
    establishment: Establishment | None = Field(default=None, description="事業所情報")
    selection_methods: SelectionMethods | None = Field(default=None, description="選考方法")
    special_notes: str | None = Field(default=None, max_length=1000, description="特記事項")

    _valid_closing_day = field_validator("pay_closing_day")(check_day_of_month)

    @field_validator("occupation_code")
    @classmethod
    def _known_occupation(cls, value: str) -> str:
        if not occupations().is_middle(value):
            raise ValueError("職業分類コード（中分類）が正しくありません。")
        return value

    @field_validator("fixed_overtime_pay")
    @classmethod
    def _overtime_paid(
        cls, value: FixedOvertimePay | None, info: ValidationInfo
    ) -> FixedOvertimePay | None:
        # ``overtime`` comes before ``fixed_overtime_pay``: already validated here
        if value is not None and info.data.get("overtime") is False:
            raise ValueError(
                "固定残業代を記載する場合は、時間外労働「あり」にしてください"
                "（時間外労働なしとは両立しません）。"
            )
        return value

    @field_validator("days_off", "insurance")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> PostingFields:
        if self.wage_max is not None and self.wage_max < self.wage_min:
            raise ValueError("賃金の上限は下限以上にしてください。")
        return self

    @field_validator("age_max")
    @classmethod
    def _age_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("age_min")
        if value is not None and low is not None and low > value:
            raise ValueError("年齢の上限は下限以上にしてください。")
        return value

    @field_validator("age_limit_reason")
    @classmethod
    def _age_reason(
        cls, value: AgeLimitReason | None, info: ValidationInfo
    ) -> AgeLimitReason | None:
        # after age_min and age_max (validated first); at this field, where the form asks it
        limited = info.data.get("age_min") is not None or info.data.get("age_max") is not None
        if limited and value is None:
            raise ValueError("年齢制限を設ける場合は、その理由（例外事由）を選んでください。")
        if not limited and value is not None and {"age_min", "age_max"} <= info.data.keys():
            raise ValueError("年齢制限がないときは例外事由を指定できません。")
        return value


class PostingCreate(PostingFields):
    employer_id: str | None = Field(
        default=None, max_length=64, description="staff: the employer the posting is for"
    )
    draft: bool = Field(
        default=False,
        description="save as a draft (下書き): not published, not in search, no events; "
        "changed with PATCH, published with POST /api/v1/jobs/{job_id}/publish",
    )


class PostingChange(BaseModel):
    """Any subset of the fields; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    description: str | None = None
    occupation_code: str | None = None
    prefecture: str | None = None
    municipality: str | None = None
    nearest_station: str | None = None
    other_places: list[Place] | None = None
    employment_type: EmploymentType | None = None
    fixed_term: bool | None = None
    contract_period: str | None = None
    wage_min: int | None = None
    wage_max: int | None = None
    wage_unit: WageUnit | None = None
    bonus: bool | None = None
    bonus_note: str | None = None
    working_hours: str | None = None
    overtime: bool | None = None
    overtime_hours_monthly: int | None = None
    days_off: list[Weekday] | None = None
    public_holidays_off: bool | None = None
    annual_holidays: int | None = None
    two_day_weekend: TwoDayWeekend | None = None
    insurance: list[Insurance] | None = None
    age_min: int | None = None
    age_max: int | None = None
    age_limit_reason: AgeLimitReason | None = None
    education_required: Education | None = None
    experience_required: bool | None = None
    experience_note: str | None = None
    licenses_required: list[str] | None = None
    openings: int | None = None
    remote: Remote | None = None
    accepts_online_referral: bool | None = None
    accepts_direct_application: bool | None = None
    trial_period: TrialPeriod | None = None
    fixed_overtime_pay: FixedOvertimePay | None = None
    commuting_allowance: CommutingAllowance | None = None
    pay_closing_day: DayOfMonth | None = None
    pay_day: PayDay | None = None
    raises: Raises | None = None
    paid_leave_days: int | None = None
    retirement: Retirement | None = None
    car_commute: CarCommute | None = None
    transfer_possible: bool | None = None
    smoking_measures: SmokingMeasures | None = None
    working_shifts: list[WorkingShift] | None = None
    establishment: Establishment | None = None
    selection_methods: SelectionMethods | None = None
    special_notes: str | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=200)


class PostingCreated(BaseModel):
    job_id: str
    job_number: str
    status: Status
    revision: int
    valid_until: date


class PostingPublic(PostingFields):
    """A posting as anyone reads it."""

    model_config = ConfigDict(extra="ignore")
    job_id: str
    job_number: str
    status: Status

    @field_validator("fixed_overtime_pay")
    @classmethod
    def _overtime_paid(
        cls, value: FixedOvertimePay | None, info: ValidationInfo
    ) -> FixedOvertimePay | None:
        """A posting stored before the rule (fixed overtime pay, no overtime) still reads; a
        change to it is refused until it is made consistent."""
        return value

    revision: int
    employer_id: str
    employer_name: str
    office_code: str
    occupation_name: str
    places: list[WorkPlace]
    published_at: datetime
    updated_at: datetime
    valid_until: date
    closed_at: datetime | None = None


class Revision(BaseModel):
    revision: int
    revised_at: datetime
    changed_fields: list[str]
    posting: dict[str, Any] = Field(description="the full PostingSnapshot of this revision")


class Revisions(BaseModel):
    job_id: str
    current_revision: int
    items: list[Revision]
    next_cursor: str | None = None


class PostingSummary(BaseModel):
    """A posting in a list (search results, favourites, recommendations)."""

    job_id: str
    job_number: str
    status: Status
    title: str
    employer_name: str
    occupation_code: str
    occupation_name: str
    prefecture: str
    prefecture_name: str
    municipality: str
    nearest_station: str | None = None
    employment_type: EmploymentType
    wage_min: int
    wage_max: int | None = None
    wage_unit: WageUnit
    remote: Remote
    experience_required: bool
    accepts_online_referral: bool
    accepts_direct_application: bool
    published_at: datetime
    valid_until: date


class PostingList(BaseModel):
    items: list[PostingSummary]
    next_cursor: str | None = None
