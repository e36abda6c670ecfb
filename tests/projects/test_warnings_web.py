"""Warning lists and pages: scope, the highest level per project and measure, counts per county, the history, the
export read back, one project's warnings, the evaluation button and the rule pages."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import NotFound
from anju.core.models import AuditEvent
from anju.projects.models import Stage, Warning, WarningRule
from anju.projects.seeds import projects_seed_load
from anju.projects.selectors_warnings import project_warnings, warning_counts, warning_list
from anju.projects.services import warnings as svc

from .factories import OTHER_VILLAGE, make_allocation, make_payment, make_project

TODAY = dt.date(2026, 7, 10)
QINGSHAN = "429922101201"


@pytest.fixture
def world(make_user, other_city):
    """白云县: one project 190 days unstarted (red and yellow); 青山县: one 131 days (yellow) that pays on time; another city: one."""
    projects_seed_load()
    people = {"city": make_user("city_clerk", "4299", username="l_city"), "clerk": make_user("county_clerk", "429921", username="l_clerk"),
              "qs_clerk": make_user("county_clerk", "429922", username="l_qs"), "township": make_user("township_clerk", "429921101", username="l_tw"),
              "foreign": make_user("city_clerk", "4298", username="l_foreign"), "leader": make_user("leader", "4299", username="l_leader")}
    red = make_project(name="白云红色项目", owner=people["clerk"])
    make_allocation(red, 1_000_000, doc_date=dt.date(2026, 1, 1))
    make_payment(red, 600_000, paid_on=dt.date(2026, 3, 1))
    yellow = make_project(division_code=QINGSHAN, name="青山黄色项目")
    make_allocation(yellow, 1_000_000, doc_date=dt.date(2026, 3, 1))
    make_payment(yellow, 600_000, paid_on=dt.date(2026, 3, 2))
    elsewhere = make_project(division_code=OTHER_VILLAGE, name="外县项目")
    make_allocation(elsewhere, 1_000_000, doc_date=dt.date(2026, 1, 1))
    svc.warnings_evaluate(today=TODAY)
    return {**people, "red": red, "yellow": yellow, "elsewhere": elsewhere}


def test_open_list_shows_the_highest_level_per_project_and_measure(world):
    rows = list(warning_list(actor=world["city"]))
    assert [(w.project.name, w.rule.code) for w in rows] == [("白云红色项目", "not_started_180"), ("青山黄色项目", "not_started_90")]
    assert Warning.objects.filter(project=world["red"], cleared_at__isnull=True).count() == 2  # both rules hold
    assert [w.rule.code for w in warning_list(actor=world["city"], level="yellow")] == ["not_started_90"]
    assert [w.project.name for w in warning_list(actor=world["city"], county="429922")] == ["青山黄色项目"]
    assert [w.project.name for w in warning_list(actor=world["city"], rule="not_started_180")] == ["白云红色项目"]
    assert len(warning_list(actor=world["city"], state="all")) == 3


def test_lists_are_scoped(world):
    assert [w.project.name for w in warning_list(actor=world["clerk"])] == ["白云红色项目"]
    assert [w.project.name for w in warning_list(actor=world["township"])] == ["白云红色项目"]
    assert [w.project.name for w in warning_list(actor=world["qs_clerk"])] == ["青山黄色项目"]
    assert {(w.project.name, w.rule.code) for w in warning_list(actor=world["foreign"])} == {  # it pays nothing either
        ("外县项目", "not_started_180"), ("外县项目", "payment_far_behind")}
    assert [w.project.name for w in warning_list(actor=world["clerk"], county="429922")] == []
    with pytest.raises(NotFound):
        project_warnings(actor=world["clerk"], project_id=world["yellow"].pk)


def test_counts_per_county_and_level(world):
    assert warning_counts(world["city"]) == {"429921": {"red": 1, "yellow": 0}, "429922": {"red": 0, "yellow": 1}}
    assert warning_counts(world["city"], "429922") == {"429922": {"red": 0, "yellow": 1}}
    assert warning_counts(world["clerk"]) == {"429921": {"red": 1, "yellow": 0}}
    assert warning_counts(world["clerk"], "4299") == {"429921": {"red": 1, "yellow": 0}}  # never wider than the view scope
    assert warning_counts(world["clerk"], "429922") == {}
    assert warning_counts(world["foreign"]) == {"429821": {"red": 2, "yellow": 0}}


def test_history_keeps_cleared_warnings(world):
    red = world["red"]
    red.actual_start, red.stage = dt.date(2026, 7, 1), Stage.IMPLEMENTING
    red.save()
    svc.warnings_evaluate(today=TODAY)
    assert [w.project.name for w in warning_list(actor=world["city"])] == ["青山黄色项目"]
    cleared = list(warning_list(actor=world["city"], state="cleared"))
    assert {w.rule.code for w in cleared} == {"not_started_90", "not_started_180"} and all(w.cleared_at for w in cleared)
    _project, history = project_warnings(actor=world["clerk"], project_id=red.pk)
    assert history.count() == 2


def test_list_page_export_and_project_page(world, login):
    client = login(world["city"])
    page = client.get("/projects/warnings/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "白云红色项目" in text and "青山黄色项目" in text and "外县项目" not in text and "立即评估" in text
    assert "白云县" in text and "青山县" in text  # the per-county table
    filtered = client.get("/projects/warnings/?level=yellow&state=open").content.decode()
    assert "青山黄色项目" in filtered and "白云红色项目" not in filtered
    assert client.get("/projects/warnings/?state=cleared").status_code == 200

    export = client.get("/projects/warnings/export/?county=429921")
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert sheet[0][0].startswith("预警清单（未解除）")
    assert sheet[1][:3] == ["序号", "预警等级", "县（市、区）"]
    assert len(sheet) == 3
    row = sheet[2]
    assert row[1] == "红色预警" and row[2] == "白云县" and row[5] == "白云红色项目" and row[7] == 190
    assert "已 190 天未开工" in row[8] and row[9] == "l_clerk"

    mine = login(world["clerk"])
    assert "立即评估" not in mine.get("/projects/warnings/").content.decode()
    own = mine.get(f"/projects/warnings/project/{world['red'].pk}/")
    assert own.status_code == 200 and "资金下达180天未开工" in own.content.decode()
    assert mine.get(f"/projects/warnings/project/{world['yellow'].pk}/").status_code == 404


def test_evaluate_button(world, login):
    red = world["red"]
    red.actual_start, red.stage = dt.date(2026, 7, 1), Stage.IMPLEMENTING
    red.save()
    client = login(world["city"])
    response = client.post("/projects/warnings/evaluate/", follow=True)
    assert response.status_code == 200 and "评估完成" in response.content.decode()
    assert not Warning.objects.filter(project=red, rule__measure="days_not_started", cleared_at__isnull=True).exists()
    event = AuditEvent.objects.filter(action="projects.warning.evaluated").order_by("-id").first()
    assert event.actor == world["city"] and event.object_id == "4299"
    assert login(world["clerk"]).post("/projects/warnings/evaluate/").status_code == 403
    assert client.get("/projects/warnings/evaluate/").status_code == 405


def test_rule_pages(world, login):
    client = login(world["city"])
    page = client.get("/projects/warnings/rules/")
    assert page.status_code == 200 and "资金支付率低于序时进度" in page.content.decode() and "6月 50%" in page.content.decode()
    payment = WarningRule.objects.get(code="payment_behind", scope="")
    form = client.get(f"/projects/warnings/rules/{payment.pk}/edit/")
    assert form.status_code == 200 and 'name="target_6" id="id_target_6" value="50"' in form.content.decode()
    data = {"name": payment.name, "operator": "gt", "threshold": "0", "level": "yellow", "active": "on", "note": "",
            "target_3": "20", "target_6": "45", "target_9": "75", "target_12": "90"}
    assert client.post(f"/projects/warnings/rules/{payment.pk}/edit/", data).status_code == 302
    payment.refresh_from_db()
    assert payment.params["targets"] == {"3": "0.2", "6": "0.45", "9": "0.75", "12": "0.9"}
    bad = client.post(f"/projects/warnings/rules/{payment.pk}/edit/", {**data, "target_6": "10"})
    assert bad.status_code == 200 and str(svc.MSG_TARGETS_ORDER % {"month": 6}) in bad.content.decode()
    payment.refresh_from_db()
    assert payment.params["targets"]["6"] == "0.45"

    days = WarningRule.objects.get(code="not_started_90", scope="")
    bad = client.post(f"/projects/warnings/rules/{days.pk}/edit/", {"name": days.name, "operator": "gt", "threshold": "90.5", "level": "yellow"})
    assert bad.status_code == 200 and str(svc.MSG_THRESHOLD_DAYS) in bad.content.decode()
    assert client.get(f"/projects/warnings/rules/{days.pk}/override/").status_code == 200
    created = client.post(f"/projects/warnings/rules/{days.pk}/override/", {"scope": "429921"})
    override = WarningRule.objects.get(code="not_started_90", scope="429921")
    assert created.status_code == 302 and created.url == f"/projects/warnings/rules/{override.pk}/edit/"
    assert "白云县专门设置" in client.get("/projects/warnings/rules/").content.decode()
    assert client.post(f"/projects/warnings/rules/{override.pk}/delete/").status_code == 302
    assert not WarningRule.objects.filter(pk=override.pk).exists()
    refused = client.post(f"/projects/warnings/rules/{days.pk}/delete/", follow=True)
    assert str(svc.MSG_DELETE_BASE) in refused.content.decode() and WarningRule.objects.filter(pk=days.pk).exists()

    clerk = login(world["clerk"])
    assert clerk.get("/projects/warnings/rules/").status_code == 200  # read by every project role
    assert clerk.get(f"/projects/warnings/rules/{days.pk}/edit/").status_code == 403
    assert Decimal(WarningRule.objects.get(pk=days.pk).threshold) == Decimal("90")
