"""The groups of the 求人票 as the posting API takes them (strict: unknown keys refused), each a
contract model (contracts/jobs.py) with the checks an employer's input needs."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, field_validator, model_validator

from contracts import jobs as c
from contracts.jobs import DayOfMonth
from services.jobs.domain import shift_hours

_IN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
Short = Annotated[str, Field(min_length=1, max_length=40)]


def check_day_of_month(value: DayOfMonth | None) -> DayOfMonth | None:
    if isinstance(value, int) and not 1 <= value <= 31:
        raise ValueError("日は 1〜31 か end（月末）で指定してください。")
    return value


class TrialPeriod(c.TrialPeriod):
    model_config = _IN

    @model_validator(mode="after")
    def _note(self) -> TrialPeriod:
        if self.conditions_differ and not self.conditions_note:
            raise ValueError("試用期間中の労働条件が異なる場合は、その内容を記入してください。")
        return self


class FixedOvertimePay(c.FixedOvertimePay):
    model_config = _IN

    @model_validator(mode="after")
    def _hours(self) -> FixedOvertimePay:
        if self.hours is None:
            raise ValueError(
                "固定残業代を記載する場合は、その対象となる時間外労働の時間数が必要です。"
            )
        return self


class CommutingAllowance(c.CommutingAllowance):
    model_config = _IN

    @model_validator(mode="after")
    def _amount(self) -> CommutingAllowance:
        if self.kind in ("capped", "fixed") and self.amount is None:
            raise ValueError("通勤手当の上限額または定額（月額）を入力してください。")
        if self.kind == "none" and self.amount is not None:
            raise ValueError("通勤手当なしのときは金額を指定できません。")
        return self


class PayDay(c.PayDay):
    model_config = _IN
    _valid_day = field_validator("day")(check_day_of_month)


class Raises(c.Raises):
    model_config = _IN


class Retirement(c.Retirement):
    model_config = _IN

    @model_validator(mode="after")
    def _ages(self) -> Retirement:
        for flag, until, label in (
            (self.reemployment, self.reemployment_until, "再雇用"),
            (self.extension, self.extension_until, "勤務延長"),
        ):
            if until is not None and not flag:
                raise ValueError(f"{label}の上限年齢は、{label}ありのときだけ指定できます。")
            if until is not None and self.age is not None and until < self.age:
                raise ValueError(f"{label}の上限年齢は定年以上にしてください。")
        return self


class CarCommute(c.CarCommute):
    model_config = _IN


class SmokingMeasures(c.SmokingMeasures):
    model_config = _IN


class WorkingShift(c.WorkingShift):
    model_config = _IN

    @model_validator(mode="after")
    def _length(self) -> WorkingShift:
        if self.start == self.end:
            raise ValueError("始業と終業が同じ時刻です。")
        if shift_hours(self.start, self.end, 0) * 60 <= self.break_minutes:
            raise ValueError("休憩時間が就業時間より長くなっています。")
        return self


class Establishment(c.Establishment):
    model_config = _IN

    @model_validator(mode="after")
    def _employees(self) -> Establishment:
        site, total = self.employees_site, self.employees_total
        if site is not None and total is not None and site > total:
            raise ValueError("就業場所の従業員数は企業全体の従業員数以下にしてください。")
        return self


class SelectionMethods(c.SelectionMethods):
    model_config = _IN
    documents_to_send: tuple[Short, ...] = Field(default=(), max_length=10)
