"""Guideline and application pages: the guideline form in 万元, publish; the application form from the reserve, the live
completeness list, submit (refused with what is missing), review, scores, decisions; the ranking page and its Excel."""

from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from anju.projects.models import Application, Guideline, Stage
from anju.projects.services import applications as svc
from anju.projects.services import applications_guidelines as gsvc

from .applications_data import actors, add_documents, application_at, published_guideline, reserve_project

W = "/projects/planning"
S = Application.State


@pytest.fixture
def people(make_user):
    return actors(make_user)


GUIDELINE_FORM = {"year": "2027", "title": "2027年度项目申报指南", "doc_number": "清移发〔2026〕8号", "division_code": "4299",
                  "categories": ["infrastructure", "industry"], "programs": ["reservoir"], "unit": "wan", "min_investment": "10",
                  "max_investment": "100", "required_documents": ["feasibility"], "min_beneficiaries": "50", "conditions": "须经村民会议讨论",
                  "deadline": "2026-12-31"}


def test_guideline_form_publish_and_close(tree, people, login):
    client = login(people["city"])
    page = client.get(W + "/guidelines/new/").content.decode()
    assert "可行性研究报告" in page and "基础设施" in page and "水库移民后期扶持" in page and "万元" in page
    response = client.post(W + "/guidelines/new/", GUIDELINE_FORM)
    g = Guideline.objects.get()
    assert response.url == f"{W}/guidelines/{g.pk}/"
    assert (g.min_investment, g.max_investment, g.categories, g.required_documents) == (10_000_000, 100_000_000, ["infrastructure", "industry"],
                                                                                         ["feasibility"])
    edit = client.get(f"{W}/guidelines/{g.pk}/edit/").content.decode()
    assert 'value="10"' in edit and 'value="100"' in edit
    bad = client.post(f"{W}/guidelines/{g.pk}/edit/", {**GUIDELINE_FORM, "min_investment": "200"})
    assert str(gsvc.MSG_BOUNDS) in bad.content.decode()
    client.post(f"{W}/guidelines/{g.pk}/edit/", {**GUIDELINE_FORM, "unit": "yuan", "min_investment": "150000", "max_investment": ""})
    g.refresh_from_db()
    assert (g.min_investment, g.max_investment) == (15_000_000, None)
    detail = client.get(f"{W}/guidelines/{g.pk}/").content.decode()
    assert "不低于 15 万元" in detail and "发布" in detail and "可行性研究报告" in detail
    client.post(f"{W}/guidelines/{g.pk}/publish/")
    g.refresh_from_db()
    assert g.state == Guideline.State.PUBLISHED
    refused = client.post(f"{W}/guidelines/{g.pk}/edit/", GUIDELINE_FORM)
    assert str(gsvc.MSG_NOT_DRAFT) in refused.content.decode()
    assert login(people["clerk"]).get(W + "/guidelines/").content.decode().count("2027年度项目申报指南") == 1
    assert login(people["clerk"]).post(f"{W}/guidelines/{g.pk}/close/").status_code == 403
    client.post(f"{W}/guidelines/{g.pk}/close/")
    assert Guideline.objects.get().state == Guideline.State.CLOSED
    draft = gsvc.guideline_create(actor=people["city"], year=2028, title="草稿", division_code="4299")
    assert client.post(f"{W}/guidelines/{draft.pk}/delete/").url == W + "/guidelines/"


def test_application_form_and_live_checks(tree, people, login):
    published_guideline(people["city"])
    project = reserve_project(documents=["feasibility"], name="茶坝村产业路")
    client = login(people["clerk"])
    page = client.get(f"{W}/applications/new/?project={project.pk}").content.decode()
    assert "茶坝村产业路" in page and f'value="{project.pk}" selected' in page and "申请资金：中央水库移民扶持基金" in page
    response = client.post(W + "/applications/new/", {"project": project.pk, "unit": "wan", "source__central": "30", "source__local": "5.5",
                                                      "justification": "改善出行"})
    a = Application.objects.get()
    assert response.url == f"{W}/applications/{a.pk}/"
    assert (a.requested, a.requested_by_source) == (35_500_000, {"central": 30_000_000, "local": 5_500_000})
    detail = client.get(f"{W}/applications/{a.pk}/").content.decode()
    assert "对照指南检查" in detail and str(svc.MSG_CHECK_DOCUMENT % {"name": "实施方案"}) in detail and "尚有 1 项不符合" in detail
    client.post(f"{W}/applications/{a.pk}/submit/")
    a.refresh_from_db()
    assert a.state == S.DRAFT
    refused = client.get(f"{W}/applications/{a.pk}/").content.decode()
    assert str(svc.MSG_CHECKS_FAILED % {"n": 1, "items": "必备材料：实施方案"}) in refused
    add_documents(project, ["implementation_plan"])
    assert "尚有" not in client.get(f"{W}/applications/{a.pk}/").content.decode()  # live: the upload counts at once
    edit = client.get(f"{W}/applications/{a.pk}/edit/").content.decode()
    assert 'value="30"' in edit and 'value="5.5"' in edit
    client.post(f"{W}/applications/{a.pk}/edit/", {"unit": "yuan", "source__central": "400000", "justification": "改善出行条件"})
    a.refresh_from_db()
    assert (a.requested, a.justification) == (40_000_000, "改善出行条件")
    bad = client.post(f"{W}/applications/{a.pk}/edit/", {"unit": "yuan", "source__central": "1.001"})
    assert "精确不到分" in bad.content.decode()
    client.post(f"{W}/applications/{a.pk}/submit/")
    a.refresh_from_db()
    a.project.refresh_from_db()
    assert a.state == S.SUBMITTED and a.project.stage == Stage.APPLIED
    listing = client.get(W + "/applications/?state=submitted").content.decode()
    assert "茶坝村产业路" in listing and "40.00" in listing
    assert login(people["leader"]).get(W + "/applications/new/").status_code == 403


def test_review_score_approve_and_ranking(tree, people, login):
    g = published_guideline(people["city"])
    a = application_at(S.SUBMITTED, people, project=reserve_project(name="甲项目"))
    b = application_at(S.REVIEWING, people, project=reserve_project(name="乙项目"), requested=20_000_000, scores=["90", "80"])
    city = login(people["city"])
    page = city.get(f"{W}/applications/{a.pk}/").content.decode()
    assert "开始评审" in page and "退回修改" in page
    city.post(f"{W}/applications/{a.pk}/start-review/")
    city.post(f"{W}/applications/{a.pk}/score/", {"score": "85", "comment": "可行"})
    city.post(f"{W}/applications/{a.pk}/approve/")  # one review: refused with a message
    a.refresh_from_db()
    assert (a.state, a.score) == (S.REVIEWING, 85)
    assert str(svc.MSG_APPROVE_REVIEWS % {"n": 1}) in city.get(f"{W}/applications/{a.pk}/").content.decode()
    login(people["city2"]).post(f"{W}/applications/{a.pk}/score/", {"score": "95"})
    bad = login(people["city2"]).post(f"{W}/applications/{a.pk}/score/", {"score": "101"}, follow=True)
    assert str(svc.MSG_SCORE_RANGE) in bad.content.decode()
    a.refresh_from_db()
    assert (a.score, a.rank) == (90, 1)  # 90 beats 85; b is second
    ranking = city.get(f"{W}/guidelines/{g.pk}/ranking/").content.decode()
    assert ranking.index("甲项目") < ranking.index("乙项目") and "90.00" in ranking
    response = city.get(f"{W}/guidelines/{g.pk}/ranking/export/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("评审排名").to_python()
    assert rows[2][0] == "排名" and [r[0] for r in rows[3:]] == [1, 2] and [r[9] for r in rows[3:]] == [90.0, 85.0]
    assert [r[2] for r in rows[3:]] == ["甲项目", "乙项目"]
    login(people["admin"]).post(f"{W}/applications/{a.pk}/approve/")
    a.refresh_from_db()
    assert a.state == S.APPROVED and a.project.stage == Stage.APPROVED
    city.post(f"{W}/applications/{b.pk}/reject/", {"reason": ""})  # a reason is required
    b.refresh_from_db()
    assert b.state == S.REVIEWING
    city.post(f"{W}/applications/{b.pk}/return/", {"reason": "请补充材料"})
    b.refresh_from_db()
    assert (b.state, b.reason) == (S.RETURNED, "请补充材料")
    county_page = login(people["clerk"]).get(f"{W}/applications/{b.pk}/").content.decode()
    assert "请补充材料" in county_page and "提交申报" in county_page and "a_city2" not in county_page
    assert login(people["clerk"]).post(f"{W}/applications/{b.pk}/approve/").status_code == 403


def test_submitter_sees_no_score_button(tree, people, login):
    published_guideline(people["city"])
    a = svc.application_create(actor=people["city2"], project=reserve_project(), requested_by_source={"central": 1_000_000})
    svc.application_submit(actor=people["city2"], application=a)
    svc.application_review_start(actor=people["city"], application=a)
    client = login(people["city2"])
    assert "保存评分" not in client.get(f"{W}/applications/{a.pk}/").content.decode()
    page = client.post(f"{W}/applications/{a.pk}/score/", {"score": "99"}, follow=True).content.decode()
    assert str(svc.MSG_SUBMITTER_SCORES) in page and not a.reviews.exists()


def test_draft_delete(tree, people, login):
    published_guideline(people["city"])
    a = application_at(S.DRAFT, people)
    client = login(people["clerk"])
    assert client.post(f"{W}/applications/{a.pk}/delete/").url == W + "/applications/"
    assert not Application.objects.exists()
