"""Monitoring pages: the case list with counts and filters, identification from the list and from a signal, the case
page with its decisions, measures and elimination forms, the warning list and its scan button."""

from __future__ import annotations

import datetime as dt

from anju.relocation.models import Measure, MonitoringCase, RiskSignal

from . import test_monitoring_services as base
from .factories import OTHER_VILLAGE, make_relocated_household
from .test_monitoring_services import ALL, TODAY, income, monitored, propose, ready

people = base.people
M = "/relocation/monitoring"


def test_case_list_counts_and_filters(people, login):
    monitored(people)
    propose(people["township"], make_relocated_household(), category="sudden", risks=["disaster"])
    propose(people["foreign"], make_relocated_household(village=OTHER_VILLAGE))
    client = login(people["leader"])
    page = client.get(f"{M}/cases/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "边缘易致贫户" in text and "因灾" in text and "外村" not in text
    assert page.context["counts"]["total"] == 2 and page.context["counts"]["category"]["sudden"] == 1
    assert page.context["counts"]["colour"]["red"] == 2
    assert "红色：待认定或已纳入监测但尚无帮扶措施" in text  # the rule is written on the page
    assert len(client.get(f"{M}/cases/?category=sudden").context["page"].object_list) == 1
    assert len(client.get(f"{M}/cases/?state=monitoring&colour=red").context["page"].object_list) == 1
    assert len(client.get(f"{M}/cases/?county=429922").context["page"].object_list) == 0


def test_propose_by_number_then_approve_on_the_case_page(people, login):
    household = make_relocated_household()
    client = login(people["township"])
    form = client.get(f"{M}/cases/new/")
    assert form.status_code == 200 and "因病" in form.content.decode()
    data = {"household_number": household.number, "category": "unstable", "channel": "application", "risks": ["illness", "education"],
            "per_capita_income": "6,800.5", "identified_on": TODAY.isoformat(), "description": "子女上学支出大"}
    response = client.post(f"{M}/cases/new/", data)
    case = MonitoringCase.objects.get()
    assert response.status_code == 302 and response.url == f"{M}/cases/{case.pk}/"
    assert (case.per_capita_income_fen, case.risks, case.channel) == (680_050, ["illness", "education"], "application")
    again = client.post(f"{M}/cases/new/?household={household.pk}", data)
    assert again.status_code == 200 and "同一户同时只能有一条" in again.content.decode()
    unknown = client.post(f"{M}/cases/new/", {**data, "household_number": "NOPE"})
    assert "没有户编号为“NOPE”的搬迁户" in unknown.content.decode()

    page = client.get(f"{M}/cases/{case.pk}/")
    assert page.status_code == 200 and page.context["actions"]["approve"] is False  # a township clerk cannot decide
    assert page.context["household_url"] in page.content.decode()
    reviewer = login(people["reviewer"])
    assert reviewer.get(f"{M}/cases/{case.pk}/").context["actions"]["approve"] is True
    done = reviewer.post(f"{M}/cases/{case.pk}/approve/", {"included_on": TODAY.isoformat(), "note": "属实"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == "monitoring" and case.approved_by == people["reviewer"]
    timeline = reviewer.get(f"{M}/cases/{case.pk}/").context["timeline"]
    assert [e["label"] for e in timeline] == ["提出纳入监测", "认定纳入监测"] and timeline[1]["by"] == "rm_reviewer"


def test_proposer_is_refused_on_the_page(people, login):
    case = propose(people["clerk"], make_relocated_household())
    client = login(people["clerk"])
    response = client.post(f"{M}/cases/{case.pk}/approve/", {"included_on": TODAY.isoformat()}, follow=True)
    assert "不能审批自己提出的监测对象纳入申请" in response.content.decode()
    assert MonitoringCase.objects.get().state == "proposed"
    login(people["reviewer"]).post(f"{M}/cases/{case.pk}/reject/", {"reason": "收入达标"})
    assert MonitoringCase.objects.get().state == "rejected"


def test_measures_and_elimination_pages(people, login):
    case = monitored(people)
    client = login(people["township"])
    assert client.get(f"{M}/cases/{case.pk}/measures/new/").status_code == 200
    response = client.post(f"{M}/cases/{case.pk}/measures/new/", {
        "kind": "public_post", "content": "安排保洁公益性岗位", "responsible": "王书记", "started_on": "2025-01-01", "amount": "1,200",
        "effect": "effective", "effect_note": ""})
    assert response.status_code == 200 and "评定帮扶成效时请填写成效说明" in response.content.decode()
    client.post(f"{M}/cases/{case.pk}/measures/new/", {
        "kind": "public_post", "content": "安排保洁公益性岗位", "responsible": "王书记", "started_on": "2025-01-01", "amount": "1,200",
        "effect": "pending"})
    m = Measure.objects.get()
    assert m.amount_fen == 120_000
    edit = client.post(f"{M}/measures/{m.pk}/edit/", {"kind": "public_post", "content": "安排保洁公益性岗位", "started_on": "2025-01-01",
                                                     "amount": "1200", "effect": "effective", "effect_note": "月增收800元"})
    assert edit.status_code == 302
    m.refresh_from_db()
    assert (m.effect, m.effect_note) == ("effective", "月增收800元")
    income(case.household, 30_000)
    form = client.get(f"{M}/cases/{case.pk}/elimination/")
    assert form.status_code == 200 and "住房安全有保障" in form.content.decode()
    refused = client.post(f"{M}/cases/{case.pk}/elimination/", {"proposed_on": TODAY.isoformat(), "confirm_food_clothing": "on"})
    assert "请逐项核实并确认" in refused.content.decode()
    data = {"proposed_on": TODAY.isoformat(), **{f"confirm_{c}": "on" for c in ALL}, "note_housing": "已入住安置房"}
    assert client.post(f"{M}/cases/{case.pk}/elimination/", data).status_code == 302
    case.refresh_from_db()
    assert case.state == "elimination_proposed" and case.colour == "green"
    page = login(people["reviewer"]).get(f"{M}/cases/{case.pk}/")
    assert page.context["actions"]["approve_elimination"] and "已入住安置房" in page.content.decode()
    login(people["reviewer"]).post(f"{M}/cases/{case.pk}/elimination/approve/", {"eliminated_on": TODAY.isoformat()})
    case.refresh_from_db()
    assert case.state == "eliminated"


def test_send_back_on_the_page(people, login):
    case = ready(people)
    from anju.relocation.services.monitoring import elimination_propose

    elimination_propose(actor=people["township"], case=case, confirmed=ALL)
    login(people["reviewer"]).post(f"{M}/cases/{case.pk}/elimination/send-back/", {"reason": "再核实"})
    case.refresh_from_db()
    assert (case.state, case.decision_note) == ("monitoring", "再核实")


def test_signal_list_scan_and_handling(people, login):
    poor = make_relocated_household()
    income(poor, 3_000)
    other = make_relocated_household()
    income(other, 6_000)
    watched = monitored(people)
    reviewer = login(people["reviewer"])
    scanned = reviewer.post(f"{M}/scan/", {"as_of": TODAY.isoformat()}, follow=True)
    assert "新增风险预警 2 条" in scanned.content.decode()
    page = reviewer.get(f"{M}/signals/")
    assert page.context["open_count"] == 2 and "低于监测线 7,000.00 元" in page.content.decode()
    s_poor, s_other = RiskSignal.objects.get(household=poor), RiskSignal.objects.get(household=other)

    clerk = login(people["township"])
    form = clerk.get(f"{M}/signals/{s_poor.pk}/case/")
    assert form.status_code == 200 and form.context["form"].initial["channel"] == "department"
    assert form.context["form"].initial["per_capita_income"] == "1000.00"
    created = clerk.post(f"{M}/signals/{s_poor.pk}/case/", {"category": "marginal", "channel": "department", "risks": ["no_labour"],
                                                           "per_capita_income": "1000", "identified_on": TODAY.isoformat()})
    assert created.status_code == 302
    s_poor.refresh_from_db()
    assert s_poor.state == "case" and s_poor.case.household == poor
    dismissed = clerk.post(f"{M}/signals/{s_other.pk}/dismiss/", {"note": ""}, follow=True)
    assert "请填写核实情况" in dismissed.content.decode()
    clerk.post(f"{M}/signals/{s_other.pk}/dismiss/", {"note": "另有务工收入"})
    assert RiskSignal.objects.get(pk=s_other.pk).state == "dismissed"
    extra = RiskSignal.objects.create(household=watched.household, division_code=watched.division_code, kind="employment",
                                      found_on=TODAY, source="import:employment")
    attached = clerk.post(f"{M}/signals/{extra.pk}/attach/")
    assert attached.status_code == 302 and attached.url == f"{M}/cases/{watched.pk}/"
    assert login(people["leader"]).post(f"{M}/scan/").status_code == 403
    assert clerk.get(f"{M}/signals/?state=all").context["page"].paginator.count == 3
    assert dt.date.today() == TODAY
