"""Evaluation pages: lists, summary, scores, one evaluation through self-scoring, submit, review and send-back, the
Word downloads, and the template editor; permissions (403) and scope (404)."""

from __future__ import annotations

import io
import re

import docx
import pytest

from anju.core.models import AuditEvent
from anju.projects.models import Evaluation, EvaluationTemplate, Project, Stage
from anju.projects.services import evaluations as svc

from .evaluations_data import YEAR, actors, default_template, full_scores, reviewed, scores_totalling, started, submitted
from .factories import OTHER_VILLAGE, make_allocation, make_payment, make_project


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


W = "/projects/evaluations"


def _score_post(scores: dict, comment: str = "", **extra) -> dict:
    return {**{f"score_{k}": str(v) for k, v in scores.items()}, "comment": comment, **extra}


def test_lists_summary_and_scores_pages(people, login):
    a = reviewed(people, "96", "95", name="甲村道路")
    started(people, name="乙村水池")
    client = login(people["leader"])
    page = client.get(W + "/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "甲村道路" in html and "乙村水池" in html and "95.00" in html and "优" in html
    assert "开始评价" not in html  # a leader cannot start one
    page = client.get(W + f"/?year={YEAR}&grade=excellent")
    assert "甲村道路" in page.content.decode() and "乙村水池" not in page.content.decode()
    page = client.get(W + f"/summary/?year={YEAR}")
    html = page.content.decode()
    assert page.status_code == 200 and "白云县" in html and "95.00" in html
    page = client.get(W + f"/scores/?year={YEAR}")
    assert page.status_code == 200 and "46.00 / 45.00" in page.content.decode()
    page = client.get(W + f"/{a.pk}/")
    assert page.status_code == 200 and "按批复建设内容完成的比例计分" in page.content.decode()


def test_start_score_submit_through_the_pages(people, login):
    project = make_project(stage=Stage.AUDITED, name="丙村便民桥")
    make_allocation(project, 10_000_000)
    make_payment(project, 8_000_000)
    client = login(people["clerk"])
    assert client.get(W + f"/new/?project_id={project.pk}").status_code == 200
    response = client.post(W + "/new/", {"project": project.code, "year": YEAR})
    e = Evaluation.objects.get(project=project)
    assert response.status_code == 302 and response.url == f"{W}/{e.pk}/"
    again = client.post(W + "/new/", {"project": project.code, "year": YEAR})
    assert again.status_code == 200 and str(svc.MSG_EXISTS % {"year": YEAR}) in again.content.decode()
    early = client.post(W + "/new/", {"project": make_project(stage=Stage.COMPLETED).code, "year": YEAR})
    assert str(svc.MSG_START_STAGE % {"stage": "完工"}) in early.content.decode()

    form = client.get(W + f"/{e.pk}/self/")
    assert "建议得分 4.00" in form.content.decode()  # 80% paid × 5

    bad = client.post(W + f"/{e.pk}/self/", _score_post({"output_quantity": "16", "output_quality": "-1"}))
    html = bad.content.decode()
    assert bad.status_code == 200
    assert str(svc.MSG_SCORE_RANGE % {"name": "产出数量", "weight": 15}) in html
    assert str(svc.MSG_SCORE_RANGE % {"name": "产出质量", "weight": 15}) in html
    e.refresh_from_db()
    assert e.self_scores == {}

    scores = {k: v for k, v in full_scores().items() if k != "budget_execution"}
    response = client.post(W + f"/{e.pk}/self/", _score_post(scores, "自评情况", accept_budget_execution="on"))
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.self_scores["budget_execution"] == "4.00" and e.self_comment == "自评情况"
    response = client.post(W + f"/{e.pk}/submit/")
    e.refresh_from_db()
    assert response.status_code == 302 and e.state == Evaluation.State.SUBMITTED and e.self_total == 99


def test_save_and_submit_incomplete_shows_what_is_missing(people, login):
    e = started(people)
    client = login(people["clerk"])
    response = client.post(W + f"/{e.pk}/self/", _score_post({"output_quantity": "10"}, then="submit"), follow=True)
    assert str(svc.MSG_SCORES_MISSING % {"names": ""}).rstrip("：") in response.content.decode()
    e.refresh_from_db()
    assert e.state == Evaluation.State.DRAFT and e.self_scores == {"output_quantity": "10.00"}


def test_review_and_send_back_through_the_pages(people, login):
    e = submitted(people, "90", stage=Stage.AUDITED)
    city = login(people["city"])
    page = city.get(W + f"/{e.pk}/review/")
    assert page.status_code == 200 and 'value="0.00"' not in page.content.decode()
    prefilled = re.search(r'name="score_output_quantity"[^>]*value="([^"]+)"', page.content.decode())
    assert prefilled and prefilled.group(1) == "5.00"
    response = city.post(W + f"/{e.pk}/review/", _score_post({**scores_totalling("90"), "output_quantity": "4"}, "复核意见"))
    assert response.status_code == 302
    e.refresh_from_db()
    assert (e.state, str(e.review_total), e.grade) == (Evaluation.State.REVIEWED, "89.00", "good")
    assert Project.objects.get(pk=e.project_id).stage == Stage.EVALUATED

    other = submitted(people, "70")
    response = city.post(W + f"/{other.pk}/send-back/", {"reason": "佐证材料不全"})
    other.refresh_from_db()
    assert response.status_code == 302 and other.state == Evaluation.State.DRAFT
    assert "市级已退回：佐证材料不全" in login(people["clerk"]).get(W + f"/{other.pk}/").content.decode()


def test_the_submitter_cannot_review_on_the_page(people, login):
    e = started(people, by="city")
    svc.evaluation_self_scores(actor=people["city"], evaluation=e, scores=scores_totalling("90"))
    svc.evaluation_submit(actor=people["city"], evaluation=e)
    client = login(people["city"])
    assert "须由另一人复核" in client.get(W + f"/{e.pk}/").content.decode()
    assert client.get(W + f"/{e.pk}/review/").status_code == 403
    assert client.post(W + f"/{e.pk}/review/", _score_post(scores_totalling("90"))).status_code == 403
    e.refresh_from_db()
    assert e.state == Evaluation.State.SUBMITTED


def test_downloads_are_word_files_and_audited(people, login):
    e = reviewed(people, "92", name="丁村广场")
    client = login(people["leader"])
    response = client.get(W + f"/{e.pk}/report/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessing")
    assert docx.Document(io.BytesIO(response.content)).paragraphs[0].text == "丁村广场项目绩效评价报告"
    response = client.get(W + f"/report/?year={YEAR}&scope=429921")
    assert response.status_code == 200
    assert docx.Document(io.BytesIO(response.content)).paragraphs[0].text == "白云县2025年度扶持项目绩效评价情况汇总报告"
    assert client.get(W + f"/report/?year={YEAR}&scope=429821").status_code == 404
    assert AuditEvent.objects.filter(action__in=["projects.evaluation.report_downloaded", "projects.evaluation.summary_downloaded"]).count() == 2


def test_scope_and_permissions_on_pages(people, login):
    mine = started(people)
    foreign = started(people, village=OTHER_VILLAGE, by="foreign")
    clerk = login(people["clerk"])
    assert clerk.get(W + f"/{foreign.pk}/").status_code == 404
    assert clerk.get(W + f"/{foreign.pk}/self/").status_code == 404
    assert clerk.get(W + f"/{foreign.pk}/report/").status_code == 404
    assert clerk.get(W + f"/{mine.pk}/review/").status_code == 403
    leader = login(people["leader"])
    assert leader.get(W + f"/{mine.pk}/self/").status_code == 403
    assert leader.post(W + f"/{mine.pk}/submit/").status_code == 403
    assert leader.get(W + "/new/").status_code == 403
    assert leader.get(W + f"/templates/{default_template().pk}/copy/").status_code == 403
    assert W + f"/{foreign.pk}/" not in leader.get(W + "/").content.decode()


def test_template_copy_edit_and_activate_pages(people, login):
    source = default_template()
    client = login(people["admin"])
    page = client.get(W + f"/templates/{source.pk}/copy/")
    assert page.status_code == 200 and 'value="output_quantity"' in page.content.decode()
    data = {"name": "2026年评价指标", "g0_code": "output", "g0_name": "产出指标", "g0_weight": "60",
            "g0_i0_code": "output_quantity", "g0_i0_name": "产出数量", "g0_i0_weight": "30", "g0_i0_guide": "按完成比例",
            "g0_i1_code": "output_quality", "g0_i1_name": "产出质量", "g0_i1_weight": "30", "g0_i1_guide": "",
            "g0_i2_code": "", "g0_i2_name": "", "g0_i2_weight": "", "g0_i2_guide": "",
            "g1_code": "budget", "g1_name": "预算执行", "g1_weight": "40",
            "g1_i0_code": "budget_execution", "g1_i0_name": "预算执行率", "g1_i0_weight": "30", "g1_i0_guide": "支付率×30"}
    bad = client.post(W + f"/templates/{source.pk}/copy/", data)
    assert bad.status_code == 200
    assert str(svc.MSG_GROUP_SUM % {"name": "预算执行", "weight": 40, "sum": 30}) in bad.content.decode()
    assert not EvaluationTemplate.objects.filter(name="2026年评价指标").exists()
    data |= {"g1_i1_code": "budget_management", "g1_i1_name": "资金管理", "g1_i1_weight": "10", "g1_i1_guide": ""}
    response = client.post(W + f"/templates/{source.pk}/copy/", data)
    new = EvaluationTemplate.objects.get(name="2026年评价指标")
    assert response.status_code == 302 and not new.active
    assert [(g["code"], g["weight"], [i["code"] for i in g["items"]]) for g in new.indicators] == [
        ("output", 60, ["output_quantity", "output_quality"]), ("budget", 40, ["budget_execution", "budget_management"])]
    edit = client.post(W + f"/templates/{new.pk}/edit/", {**data, "name": "2026年评价指标（修订）", "g0_i1_guide": "合格满分"})
    new.refresh_from_db()
    assert edit.status_code == 302 and new.name == "2026年评价指标（修订）" and new.indicators[0]["items"][1]["guide"] == "合格满分"
    assert client.post(W + f"/templates/{new.pk}/activate/").status_code == 302
    assert EvaluationTemplate.objects.get(pk=new.pk).active
    started(people)  # uses the newest active template: the new one
    response = client.get(W + f"/templates/{new.pk}/edit/", follow=True)
    assert str(svc.MSG_TEMPLATE_IN_USE) in response.content.decode()
    assert client.post(W + f"/templates/{source.pk}/deactivate/").status_code == 302
    assert not EvaluationTemplate.objects.get(pk=source.pk).active
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="projects.evaluation_template.").order_by("id")] == [
        "projects.evaluation_template.created", "projects.evaluation_template.updated", "projects.evaluation_template.activated",
        "projects.evaluation_template.deactivated"]
    assert client.get(W + "/templates/").status_code == 200
    assert client.get(W + f"/templates/{new.pk}/").status_code == 200
