"""Per-household follow-up records: 低保/特困 periods (no two overlapping periods of one kind), the annual income survey
(one per household-year), industry participation and community services. Typed services over the engine in `support`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.relocation.models import Income, Industry, Service, Term, Welfare
from anju.relocation.services.support import (
    YEAR,
    F,
    Spec,
    check_end_after_start,
    choice_field,
    date_field,
    int_field,
    money_field,
    record_create,
    record_end,
    register,
    term_field,
    text_field,
    today,
)

MSG_WELFARE_OVERLAP = _("与本户已有的%(kind)s期间（%(start)s 至 %(end)s）重叠")
MSG_WELFARE_ENDED = _("该救助期间已于 %(date)s 终止")
MSG_INCOME_EXISTS = _("本户 %(year)s 年的收入调查已登记，请修改原记录")
OPEN_END = _("今")


def _welfare_check(values, household, instance):
    check_end_after_start(values, WELFARE)


def _welfare_overlap(values, household, person, instance):
    """Another period of the same kind that shares at least one day (ends inclusive; an open period runs on)."""
    start, end = values.get("started_on"), values.get("ended_on")
    qs = Welfare.objects.filter(household=household, kind=values.get("kind")).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    if end is not None:
        qs = qs.filter(started_on__lte=end)
    if instance is not None:
        qs = qs.exclude(pk=instance.pk)
    other = qs.order_by("started_on").first()
    if other is None:
        return None
    return MSG_WELFARE_OVERLAP % {"kind": Welfare.Kind(other.kind).label, "start": other.started_on.isoformat(),
                                  "end": other.ended_on.isoformat() if other.ended_on else OPEN_END}


def _income_duplicate(values, household, person, instance):
    qs = Income.objects.filter(household=household, year=values.get("year"))
    if instance is not None:
        qs = qs.exclude(pk=instance.pk)
    return MSG_INCOME_EXISTS % {"year": values.get("year")} if qs.exists() else None


WELFARE = register(Spec("welfare", Welfare, _("低保特困"), check=_welfare_check, duplicate=_welfare_overlap, extra={"source": "manual"},
                        fields={
    "kind": F(_("救助类型"), choice_field(Welfare.Kind), required=True),
    "persons": F(_("保障人数"), int_field(1, 99), default=1),
    "monthly": F(_("月保障金（元）"), money_field(), target="monthly_fen"),
    "started_on": F(_("起始日期"), date_field(), required=True),
    "ended_on": F(_("终止日期"), date_field()),
}))

INCOME = register(Spec("income", Income, _("收入调查"), duplicate=_income_duplicate, extra={"source": "manual"}, fields={
    "year": F(_("年度"), YEAR, required=True),
    "persons": F(_("家庭人口"), int_field(1, 99), required=True),
    "wage": F(_("工资性收入（元）"), money_field(), target="wage_fen"),
    "business": F(_("生产经营性收入（元）"), money_field(), target="business_fen"),
    "property": F(_("财产性收入（元）"), money_field(), target="property_fen"),
    "transfer": F(_("转移性收入（元）"), money_field(), target="transfer_fen"),
    "costs": F(_("生产经营性支出（元）"), money_field(), target="costs_fen"),
    "surveyed_on": F(_("调查日期"), date_field(not_future=True), default=today),
}))

INDUSTRY = register(Spec("industry", Industry, _("产业帮扶"), fields={
    "year": F(_("年度"), YEAR, required=True),
    "kind": F(_("产业类型"), term_field(Term.Kind.INDUSTRY), required=True),
    "mode": F(_("参与方式"), choice_field(Industry.Mode), required=True),
    "partner": F(_("带动主体"), text_field(100)),
    "benefit": F(_("年收益（元）"), money_field(), target="benefit_fen"),
}))

SERVICE = register(Spec("service", Service, _("社区服务"), fields={
    "kind": F(_("服务类型"), term_field(Term.Kind.SERVICE), required=True),
    "on": F(_("服务日期"), date_field(not_future=True), required=True),
    "provider": F(_("服务主体"), text_field(100)),
    "note": F(_("服务内容"), text_field(300)),
}))


def welfare_create(*, actor, household, kind: str, started_on: dt.date, ended_on: dt.date | None = None, persons: int = 1,
                   monthly="0") -> Welfare:
    """A 低保 or 特困 period of the household (ends inclusive, open when None); a period overlapping another of the same
    kind is a Conflict."""
    return record_create(actor=actor, entity="welfare", household=household,
                         data={"kind": kind, "started_on": started_on, "ended_on": ended_on, "persons": persons, "monthly": monthly})


def welfare_end(*, actor, welfare: Welfare, ended_on: dt.date) -> Welfare:
    return record_end(actor=actor, record=welfare, ended_on=ended_on, message_ended=MSG_WELFARE_ENDED)


def income_create(*, actor, household, year: int, persons: int, wage="0", business="0", property="0", transfer="0", costs="0",
                  surveyed_on: dt.date | None = None) -> Income:
    """The household's income survey of `year` (amounts in 元; net = the four incomes − production costs)."""
    return record_create(actor=actor, entity="income", household=household,
                         data={"year": year, "persons": persons, "wage": wage, "business": business, "property": property,
                               "transfer": transfer, "costs": costs, "surveyed_on": surveyed_on})


def industry_create(*, actor, household, year: int, kind: str, mode: str, partner: str = "", benefit="0") -> Industry:
    return record_create(actor=actor, entity="industry", household=household,
                         data={"year": year, "kind": kind, "mode": mode, "partner": partner, "benefit": benefit})


def service_create(*, actor, household, kind: str, on: dt.date, provider: str = "", note: str = "") -> Service:
    return record_create(actor=actor, entity="service", household=household, data={"kind": kind, "on": on, "provider": provider, "note": note})
