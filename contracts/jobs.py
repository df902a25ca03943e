"""Events published by the jobs service. Postings carry a full ``PostingSnapshot`` of the revision
they describe, so that applications and referral letters keep what the seeker applied to."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

EmploymentType = Literal["full_time", "contract", "dispatch", "part_time", "other"]
WageUnit = Literal["monthly", "daily", "hourly"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TwoDayWeekend = Literal["every_week", "biweekly", "monthly", "other", "none"]
Insurance = Literal["employment", "workers_comp", "health", "pension"]
Education = Literal["none", "high_school", "vocational", "junior_college", "university", "graduate"]
Remote = Literal["none", "partial", "full"]
# 労働施策総合推進法施行規則 第1条の3 第1項: the legal exceptions that allow an age limit
AgeLimitReason = Literal["1", "2a", "2b", "2c", "2d", "3a", "3b"]
PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
JOB_NUMBER = r"^\d{5}-\d{8}$"


class WorkPlace(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    prefecture: str = Field(pattern=PREFECTURE, description="JIS X 0401 code")
    prefecture_name: str
    municipality: str
    nearest_station: str | None = None


# --- the rest of the 求人票 (issue #15): each group optional, as on Hello Work's form ---------

DayOfMonth = int | Literal["end"]  # 1–31, or "end" (月末)
SmokingMeasure = Literal["premises", "indoors", "smoking_room", "other", "none"]
CommutingKind = Literal["actual", "capped", "fixed", "none"]
_GROUP = ConfigDict(frozen=True, extra="ignore")


class TrialPeriod(BaseModel):
    """試用期間 (none when the posting has no ``trial_period``)."""

    model_config = _GROUP
    months: int = Field(ge=1, le=12, description="期間（月）")
    conditions_differ: bool = Field(default=False, description="期間中の労働条件が異なる")
    conditions_note: str | None = Field(default=None, max_length=200)


class FixedOvertimePay(BaseModel):
    """固定残業代: shown apart from the base wage; the hours it covers are required."""

    model_config = _GROUP
    amount: int = Field(ge=1, le=1_000_000, description="月額（円）")
    hours: int | None = Field(
        default=None, ge=1, le=100, description="対象となる時間外労働（時間/月）"
    )
    note: str | None = Field(default=None, max_length=200, description="超過分の扱いなど")


class CommutingAllowance(BaseModel):
    """通勤手当: 実費支給 (actual), 実費・上限あり (capped), 定額 (fixed) or なし (none)."""

    model_config = _GROUP
    kind: CommutingKind
    amount: int | None = Field(default=None, ge=1, le=1_000_000, description="月額（円）")


class PayDay(BaseModel):
    """賃金支払日: the month (当月 / 翌月) and the day."""

    model_config = _GROUP
    month: Literal["same", "next"]
    day: DayOfMonth


class Raises(BaseModel):
    """昇給."""

    model_config = _GROUP
    available: bool
    note: str | None = Field(default=None, max_length=200, description="前年度実績など")


class Retirement(BaseModel):
    """定年制, 再雇用制度, 勤務延長 (ages)."""

    model_config = _GROUP
    age: int | None = Field(default=None, ge=60, le=99, description="定年（一律）; none: 定年なし")
    reemployment: bool = False
    reemployment_until: int | None = Field(default=None, ge=60, le=99)
    extension: bool = False
    extension_until: int | None = Field(default=None, ge=60, le=99)


class CarCommute(BaseModel):
    """マイカー通勤 and parking."""

    model_config = _GROUP
    allowed: bool
    parking: Literal["free", "paid", "none"] | None = None


class SmokingMeasures(BaseModel):
    """受動喫煙対策: 敷地内禁煙, 屋内禁煙, 喫煙室設置, その他, なし."""

    model_config = _GROUP
    measure: SmokingMeasure
    note: str | None = Field(default=None, max_length=100)


class WorkingShift(BaseModel):
    """One shift (就業時間): HH:MM, an end before the start runs past midnight."""

    model_config = _GROUP
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    break_minutes: int = Field(default=0, ge=0, le=180)


class Establishment(BaseModel):
    """事業所情報."""

    model_config = _GROUP
    employees_site: int | None = Field(default=None, ge=0, le=1_000_000, description="就業場所")
    employees_total: int | None = Field(default=None, ge=0, le=10_000_000, description="企業全体")
    founded_year: int | None = Field(default=None, ge=1600, le=2100)
    capital: int | None = Field(default=None, ge=0, le=100_000_000_000_000, description="円")
    business: str | None = Field(default=None, max_length=300, description="事業内容")
    features: str | None = Field(default=None, max_length=500, description="会社の特長")


class SelectionMethods(BaseModel):
    """選考方法 and 応募書類."""

    model_config = _GROUP
    documents: bool = Field(default=False, description="書類選考")
    interview: bool = Field(default=False, description="面接")
    written_test: bool = Field(default=False, description="筆記試験")
    other: str | None = Field(default=None, max_length=100)
    result_within_days: int | None = Field(default=None, ge=1, le=60, description="結果通知")
    documents_to_send: tuple[str, ...] = Field(default=(), max_length=10)


class PostingSnapshot(BaseModel):
    """Everything a referral letter or an application needs of one revision of a posting."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER, description="求人番号: office code + serial")
    revision: int = Field(ge=1)
    employer_id: str
    employer_name: str
    office_code: str = Field(pattern=r"^\d{5}$")
    title: str
    description: str
    occupation_code: str = Field(description="MHLW occupation classification, middle group")
    occupation_name: str
    places: tuple[WorkPlace, ...] = Field(min_length=1, description="the first is the main one")
    employment_type: EmploymentType
    fixed_term: bool
    contract_period: str | None = None
    wage_min: int = Field(ge=0)
    wage_max: int | None = None
    wage_unit: WageUnit
    bonus: bool
    bonus_note: str | None = None
    working_hours: str | None = None
    overtime: bool
    overtime_hours_monthly: int | None = None
    days_off: tuple[Weekday, ...] = ()
    public_holidays_off: bool
    annual_holidays: int | None = None
    two_day_weekend: TwoDayWeekend
    insurance: tuple[Insurance, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    age_limit_reason: AgeLimitReason | None = None
    education_required: Education
    experience_required: bool
    experience_note: str | None = None
    licenses_required: tuple[str, ...] = ()
    openings: int = Field(ge=1)
    remote: Remote
    accepts_online_referral: bool
    accepts_direct_application: bool
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
    working_shifts: tuple[WorkingShift, ...] = ()
    establishment: Establishment | None = None
    selection_methods: SelectionMethods | None = None
    special_notes: str | None = None
    published_at: datetime
    valid_until: date = Field(description="last day the posting is valid (Japan time)")


class PostingPublished(Event):
    """A new posting is open for applications and in search."""

    TYPE: ClassVar[str] = "jobs.posting.published.v1"
    job_id: str
    version: int = Field(ge=1, description="aggregate version, for order-safe projections")
    posting: PostingSnapshot


class PostingChanged(Event):
    """The posting's content changed: a new revision, with its full snapshot."""

    TYPE: ClassVar[str] = "jobs.posting.changed.v1"
    job_id: str
    version: int = Field(ge=1)
    revision: int = Field(ge=2)
    changed_fields: tuple[str, ...]
    status: Literal["open", "expired"]
    posting: PostingSnapshot


class PostingClosed(Event):
    """The employer (or staff) closed the posting: no new applications."""

    TYPE: ClassVar[str] = "jobs.posting.closed.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    closed_by: Literal["employer", "staff"]
    reason: str | None = None


class PostingExpired(Event):
    """The posting's validity ended (checked by the jobs service, not by a TTL)."""

    TYPE: ClassVar[str] = "jobs.posting.expired.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    valid_until: date


class PostingRenewed(Event):
    """The validity was extended; an expired posting is open again (``reopened``)."""

    TYPE: ClassVar[str] = "jobs.posting.renewed.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    revision: int = Field(ge=1)
    valid_until: date
    reopened: bool


class MatchedJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    employer_name: str


class SavedSearchMatched(Event):
    """A new posting matches a seeker's saved search. At most one per saved search per day (Japan
    time): later matches of the same day are kept by the jobs service, not announced again."""

    TYPE: ClassVar[str] = "jobs.saved_search.matched.v1"
    saved_search_id: str
    seeker_id: str
    name: str
    date: date
    jobs: tuple[MatchedJob, ...] = Field(min_length=1)
    query: str = Field(description="the saved conditions as a query string for GET /api/v1/jobs")


class RecommendationSent(Event):
    """Staff recommended a posting to a seeker of their office (おすすめ求人)."""

    TYPE: ClassVar[str] = "jobs.recommendation.sent.v1"
    recommendation_id: str
    seeker_id: str
    office_code: str = Field(pattern=r"^\d{5}$")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    employer_name: str
    revision: int = Field(ge=1)
    note: str
    sent_by: str = Field(description="the staff account id")


EVENTS: tuple[type[Event], ...] = (
    PostingPublished,
    PostingChanged,
    PostingClosed,
    PostingExpired,
    PostingRenewed,
    SavedSearchMatched,
    RecommendationSent,
)
