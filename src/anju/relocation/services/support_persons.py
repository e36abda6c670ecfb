"""Per-person follow-up records: labour capacity (one per person), employment spells, training, insurance and medical
costs per person-year. Typed services over the engine in `support`."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from anju.core.exceptions import ValidationFailed
from anju.projects.money import yuan_text
from anju.relocation.models import Employment, Insurance, LabourCapacity, MedicalCost, Source, Training
from anju.relocation.services.support import (
    YEAR,
    F,
    Spec,
    bool_field,
    check_end_after_start,
    choice_field,
    date_field,
    int_field,
    money_field,
    record_create,
    record_delete,
    record_end,
    record_update,
    register,
    text_field,
    today,
)

MSG_CAPACITY_EXISTS = _("该成员已登记劳动能力，请修改原记录")
MSG_INSURANCE_EXISTS = _("该成员 %(year)s 年的参保情况已登记，请修改原记录")
MSG_MEDICAL_EXISTS = _("该成员 %(year)s 年的医疗费用已登记，请修改原记录")
MSG_OUT_OF_POCKET = _("“合规自付费用”（%(oop)s 元）不能超过“医疗总费用”（%(total)s 元）")
MSG_EMPLOYMENT_ENDED = _("该就业记录已于 %(date)s 结束")


def _unique_per_person_year(model, message):
    def duplicate(values, household, person, instance):
        qs = model.objects.filter(person=person, year=values.get("year"))
        if instance is not None:
            qs = qs.exclude(pk=instance.pk)
        return message % {"year": values.get("year")} if qs.exists() else None
    return duplicate


def _capacity_duplicate(values, household, person, instance):
    if instance is None and LabourCapacity.objects.filter(person=person).exists():
        return MSG_CAPACITY_EXISTS
    return None


def _medical_check(values, household, instance):
    total, oop = values.get("total_fen") or 0, values.get("out_of_pocket_fen") or 0
    if oop > total:
        raise ValidationFailed(MSG_OUT_OF_POCKET % {"oop": yuan_text(oop), "total": yuan_text(total)}, code="out_of_pocket_over_total",
                               detail={"field": "out_of_pocket"})


def dates_check(spec_getter):
    """The check of a kind with a period: its end not before its start."""
    def check(values, household, instance):
        check_end_after_start(values, spec_getter())
    return check


CAPACITY = register(Spec("capacity", LabourCapacity, _("劳动能力"), per_person=True, duplicate=_capacity_duplicate, fields={
    "capacity": F(_("劳动能力"), choice_field(LabourCapacity.Capacity), required=True),
    "disability_grade": F(_("残疾等级"), int_field(1, 4)),
    "recorded_on": F(_("登记日期"), date_field(not_future=True), default=today),
}))

EMPLOYMENT = register(Spec("employment", Employment, _("就业情况"), per_person=True, extra={"source": Source.MANUAL},
                           check=dates_check(lambda: EMPLOYMENT), fields={
    "kind": F(_("就业类型"), choice_field(Employment.Kind), required=True),
    "employer": F(_("就业单位"), text_field(100)),
    "place": F(_("就业地点"), text_field(100)),
    "started_on": F(_("开始日期"), date_field(), required=True),
    "ended_on": F(_("结束日期"), date_field()),
    "monthly_income": F(_("月收入（元）"), money_field(), target="monthly_income_fen"),
}))

TRAINING = register(Spec("training", Training, _("技能培训"), per_person=True, extra={"source": Source.MANUAL},
                         check=dates_check(lambda: TRAINING), fields={
    "course": F(_("培训项目"), text_field(100), required=True),
    "organiser": F(_("培训机构"), text_field(100)),
    "started_on": F(_("开始日期"), date_field(), required=True),
    "ended_on": F(_("结束日期"), date_field()),
    "certificate": F(_("取得证书"), text_field(100)),
}))

INSURANCE = register(Spec("insurance", Insurance, _("参保情况"), per_person=True, extra={"source": Source.MANUAL},
                          duplicate=_unique_per_person_year(Insurance, MSG_INSURANCE_EXISTS), fields={
    "year": F(_("年度"), YEAR, required=True),
    "medical": F(_("参加基本医疗保险"), bool_field()),
    "pension": F(_("参加基本养老保险"), bool_field()),
}))

MEDICAL = register(Spec("medical", MedicalCost, _("医疗费用"), per_person=True, extra={"source": Source.MANUAL}, check=_medical_check,
                        duplicate=_unique_per_person_year(MedicalCost, MSG_MEDICAL_EXISTS), fields={
    "year": F(_("年度"), YEAR, required=True),
    "total": F(_("医疗总费用（元）"), money_field(), target="total_fen"),
    "out_of_pocket": F(_("合规自付费用（元）"), money_field(), target="out_of_pocket_fen"),
}))



# --- typed services -------------------------------------------------------------------------------------------------

def capacity_create(*, actor, household, person, capacity: str, disability_grade: int | None = None,
                    recorded_on: dt.date | None = None) -> LabourCapacity:
    """Record a member's labour capacity (one row per person; a second is a Conflict: edit the first)."""
    return record_create(actor=actor, entity="capacity", household=household, person=person,
                         data={"capacity": capacity, "disability_grade": disability_grade, "recorded_on": recorded_on})


def employment_create(*, actor, household, person, kind: str, started_on: dt.date, employer: str = "", place: str = "",
                      ended_on: dt.date | None = None, monthly_income="0") -> Employment:
    """Record an employment spell; `monthly_income` in 元 (exact to the fen), `ended_on` (if any) not before `started_on`."""
    return record_create(actor=actor, entity="employment", household=household, person=person,
                         data={"kind": kind, "employer": employer, "place": place, "started_on": started_on, "ended_on": ended_on,
                               "monthly_income": monthly_income})


def employment_end(*, actor, employment: Employment, ended_on: dt.date) -> Employment:
    """End an open spell on `ended_on` (inclusive; not before it started). An ended spell is a Conflict."""
    return record_end(actor=actor, record=employment, ended_on=ended_on, message_ended=MSG_EMPLOYMENT_ENDED)


def training_create(*, actor, household, person, course: str, started_on: dt.date, organiser: str = "", ended_on: dt.date | None = None,
                    certificate: str = "") -> Training:
    return record_create(actor=actor, entity="training", household=household, person=person,
                         data={"course": course, "organiser": organiser, "started_on": started_on, "ended_on": ended_on,
                               "certificate": certificate})


def insurance_create(*, actor, household, person, year: int, medical: bool | None = None, pension: bool | None = None) -> Insurance:
    return record_create(actor=actor, entity="insurance", household=household, person=person,
                         data={"year": year, "medical": medical, "pension": pension})


def medical_create(*, actor, household, person, year: int, total="0", out_of_pocket="0") -> MedicalCost:
    """A member's medical costs of a year in 元: total and eligible out-of-pocket (合规自付, not above the total)."""
    return record_create(actor=actor, entity="medical", household=household, person=person,
                         data={"year": year, "total": total, "out_of_pocket": out_of_pocket})


def support_update(*, actor, record, **changes):
    """Change fields of any support record (input names as in the create services)."""
    return record_update(actor=actor, record=record, data=changes)


def support_delete(*, actor, record) -> None:
    record_delete(actor=actor, record=record)
