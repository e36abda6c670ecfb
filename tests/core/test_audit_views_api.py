"""The audit pages and API: scope, filters, Chinese errors, roles, and the Excel export job."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from anju.core.audit import audit_record, audit_seal
from anju.core.jobs import job_execute
from anju.core.jobs_builtin import AUDIT_EXPORT_COLUMNS
from anju.core.models import AuditEvent, Job

pytestmark = pytest.mark.django_db

HEADER = ["序号", "时间", "操作人", "角色", "IP地址", "渠道", "事件", "对象类型", "对象标识", "区划代码", "结果", "说明",
          "变更前", "变更后"]


@pytest.fixture
def events(other_city):
    """One event per place: the city, two counties, another city, scope-less, and a failure."""
    def rec(key, division, **kw):
        return key, audit_record(actor=None, username=kw.pop("username", f"user_{key}"), action=kw.pop("action", f"test.{key}"),
                                 division_code=division, **kw)

    return dict([
        rec("city", "429900000000"),
        rec("c921", "429921000000"),
        rec("c922", "429922101201"),
        rec("other", "429821100200"),
        rec("system", ""),
        rec("fail", "429921101000", username="zhangsan", outcome="failure", message="密码错误"),
    ])


@pytest.fixture
def city_auditor(make_user, login):
    user = make_user("auditadmin", "4299", username="audit_city")
    return user, login(user)


@pytest.fixture
def county_auditor(make_user, login):
    user = make_user("auditadmin", "429921", username="audit_921")
    return user, login(user)


def _listed(client, **params) -> set[int]:
    response = client.get("/audit/", params)
    assert response.status_code == 200
    page = response.context["page"]
    assert page is not None, response.context["form"].errors
    return {e.id for e in page.object_list}


def _ids(events, *keys) -> set[int]:
    return {events[k].id for k in keys}


# --- list page -------------------------------------------------------------------------------------


def test_city_auditor_sees_city_events_but_not_another_city(events, city_auditor):
    _user, client = city_auditor
    assert _listed(client, action="test.") == _ids(events, "city", "c921", "c922", "system", "fail")
    response = client.get("/audit/", {"action": "test."})
    html = response.content.decode()
    assert "审计日志" in html and "test.c921" in html and "test.other" not in html


def test_county_auditor_sees_only_own_county_and_scope_less_events(events, county_auditor):
    _user, client = county_auditor
    assert _listed(client, action="test.") == _ids(events, "c921", "system", "fail")
    # A division filter cannot widen the scope.
    assert _listed(client, action="test.", division="4299") == _ids(events, "c921", "fail")
    assert _listed(client, division="429922") == set()


def test_filters(events, city_auditor):
    _user, client = city_auditor
    assert _listed(client, action="test.c9") == _ids(events, "c921", "c922")
    assert _listed(client, action="test.", division="429921") == _ids(events, "c921", "fail")
    assert _listed(client, action="test.", outcome="failure") == _ids(events, "fail")
    assert _listed(client, action="test.", outcome="success") == _ids(events, "city", "c921", "c922", "system")
    assert _listed(client, username="ZHANG") == _ids(events, "fail")
    assert _listed(client, username="user_c", action="test.") == _ids(events, "city", "c921", "c922")
    assert _listed(client, division="4298") == set()


def test_date_filters_use_local_days(city_auditor):
    _user, client = city_auditor
    tz = timezone.get_current_timezone()

    def at(*args):
        return AuditEvent.objects.create(occurred_at=datetime(*args, tzinfo=tz), action="test.dated").id

    late_jan, early_feb, march = at(2025, 1, 31, 23, 30), at(2025, 2, 1, 0, 10), at(2025, 3, 1, 12, 0)
    assert _listed(client, action="test.dated", date_to="2025-01-31") == {late_jan}
    assert _listed(client, action="test.dated", date_from="2025-02-01") == {early_feb, march}
    assert _listed(client, action="test.dated", date_from="2025-02-01", date_to="2025-02-01") == {early_feb}
    assert _listed(client, action="test.dated", date_from="2025-01-31", date_to="2025-03-01") == {late_jan, early_feb, march}


@pytest.mark.parametrize("params, message", [
    ({"division": "abc"}, "区划代码只能是数字"),
    ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "截止日期不能早于起始日期"),
])
def test_invalid_filters_show_chinese_errors(events, city_auditor, params, message):
    _user, client = city_auditor
    response = client.get("/audit/", params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["page"] is None


def test_invalid_date_and_outcome_are_rejected(city_auditor):
    _user, client = city_auditor
    response = client.get("/audit/", {"date_from": "2025-13-45", "outcome": "maybe"})
    assert response.context["page"] is None
    assert set(response.context["form"].errors) == {"date_from", "outcome"}


def test_list_is_paginated_keeping_filters(city_auditor):
    _user, client = city_auditor
    for i in range(60):
        audit_record(actor=None, action="test.many", message=str(i))
    page1 = client.get("/audit/", {"action": "test.many"}).context["page"]
    page2 = client.get("/audit/", {"action": "test.many", "page": 2}).context["page"]
    assert (len(page1.object_list), len(page2.object_list), page1.paginator.count) == (50, 10, 60)
    assert page1.querystring == "action=test.many"
    assert page1.object_list[0].message == "59"  # newest first


def test_unsealed_and_sealed_events_are_both_listed(city_auditor):
    _user, client = city_auditor
    audit_record(actor=None, action="test.s")
    audit_seal()
    audit_record(actor=None, action="test.s")
    response = client.get("/audit/", {"action": "test.s"})
    assert response.context["page"].paginator.count == 2
    assert "…" in response.content.decode()  # the unsealed one has no seq yet


@pytest.mark.parametrize("role, scope", [("county_clerk", "429921"), ("city_admin", "4299"), ("secadmin", "4299"),
                                         ("sysadmin", "4299")])
def test_other_roles_get_403(make_user, login, role, scope):
    client = login(make_user(role, scope))
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "您的角色无权执行此操作" in response.content.decode()
    for url in ("/audit/export/", "/audit/verify/", "/audit/purge/"):
        assert client.post(url).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/audit/")
    assert response.status_code == 302 and "next=/audit/" in response["Location"]


def test_auditor_without_second_factor_is_sent_to_totp(make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user("auditadmin", "4299"))
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/")


# --- export ----------------------------------------------------------------------------------------


def _sheet(data: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _download(client, job) -> bytes:
    response = client.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    return b"".join(response.streaming_content)  # consuming it closes the file (the test client's wrapper)


def test_export_to_excel(city_auditor):
    user, client = city_auditor
    audit_record(actor=None, action="test.export", division_code="429921000000", message="普通说明",
                 after={"金额": "12.50"})
    audit_record(actor=None, action="test.export", division_code="429921000000", message='=HYPERLINK("http://x","点我")')
    audit_record(actor=None, username="=cmd|' /C calc'!A0", action="test.export", outcome="failure", message="@SUM(A1)")
    audit_seal()
    expected = list(AuditEvent.objects.filter(action="test.export").order_by("-id"))

    response = client.post("/audit/export/", {"action": "test.export"})
    job = Job.objects.get(kind="audit.export")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.created_by == user and job.state == Job.State.QUEUED
    assert job.params["action"] == "test.export"
    submitted = AuditEvent.objects.get(action="jobs.job.submitted", object_id=str(job.pk))
    assert (submitted.channel, submitted.ip, submitted.actor_id) == ("web", "127.0.0.1", user.pk)

    job = job_execute(job.pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"rows": 3} and job.progress == 100
    assert job.result_file.endswith(".xlsx")

    rows = _sheet(_download(client, job))
    assert rows[0] == HEADER == [str(c) for c in AUDIT_EXPORT_COLUMNS]
    assert len(rows) == 1 + 3
    by_col = dict(zip(HEADER, zip(*rows[1:], strict=True), strict=True))
    assert [int(s) for s in by_col["序号"]] == [e.seq for e in expected]
    assert by_col["说明"] == ("'@SUM(A1)", '\'=HYPERLINK("http://x","点我")', "普通说明")
    assert by_col["操作人"][0] == "'=cmd|' /C calc'!A0"
    assert by_col["结果"] == ("失败", "成功", "成功")
    assert by_col["变更后"][2] == '{"金额": "12.50"}'
    assert all(isinstance(v, datetime) for v in by_col["时间"])

    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.object_id == str(job.pk) and exported.actor_id == user.pk
    assert exported.after["rows"] == 3 and exported.after["filters"]["action"] == "test.export"
    downloaded = AuditEvent.objects.get(action="jobs.result.downloaded")
    assert downloaded.object_id == str(job.pk) and downloaded.actor_id == user.pk
    assert downloaded.after["file"] == job.result_file


def test_export_respects_scope_and_filters(events, county_auditor):
    _user, client = county_auditor
    client.post("/audit/export/", {"action": "test.", "outcome": "success"})
    job = job_execute(Job.objects.get(kind="audit.export").pk)
    rows = _sheet(_download(client, job))
    assert sorted(r[6] for r in rows[1:]) == ["test.c921", "test.system"]


def test_export_of_nothing_has_only_the_header(city_auditor):
    _user, client = city_auditor
    client.post("/audit/export/", {"action": "no.such.action"})
    job = job_execute(Job.objects.get(kind="audit.export").pk)
    assert job.result == {"rows": 0}
    assert _sheet(_download(client, job)) == [HEADER]


def test_export_with_invalid_filter_is_refused(city_auditor):
    _user, client = city_auditor
    response = client.post("/audit/export/", {"division": "abc"})
    assert response.status_code == 400
    assert "区划代码只能是数字" in response.content.decode()
    assert not Job.objects.exists()


def test_export_download_by_someone_else_is_404(city_auditor, make_user, login):
    _user, client = city_auditor
    client.post("/audit/export/", {"action": "test."})
    job = job_execute(Job.objects.get(kind="audit.export").pk)
    other = login(make_user("auditadmin", "4299", username="audit_other"))
    assert other.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(action="jobs.result.downloaded").exists()


def test_verify_and_purge_buttons_submit_jobs(city_auditor):
    user, client = city_auditor
    response = client.get("/audit/")
    html = response.content.decode()
    assert "/audit/verify/" in html and "/audit/purge/" in html and "/audit/export/" in html and "184" in html

    response = client.post("/audit/verify/")
    job = Job.objects.get(kind="audit.verify")
    assert response["Location"] == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == Job.State.SUCCEEDED and job.result["ok"] is True
    assert AuditEvent.objects.get(action="audit.verified").outcome == "success"
    assert client.get(f"/jobs/{job.pk}/").status_code == 200

    client.post("/audit/purge/")
    job = job_execute(Job.objects.get(kind="audit.purge").pk)
    assert job.state == Job.State.SUCCEEDED and job.result["purged"] == 0


def test_verify_job_reports_tampering(city_auditor):
    from tests.core.test_audit_tamper import _triggers_off

    user, client = city_auditor
    audit_seal()
    victim = AuditEvent.objects.order_by("seq").first()
    _triggers_off()
    AuditEvent.objects.filter(pk=victim.pk).update(message="改过")
    client.post("/audit/verify/")
    job = job_execute(Job.objects.get(kind="audit.verify").pk)
    assert job.state == Job.State.SUCCEEDED  # the job ran; its finding is a broken chain
    assert job.result["ok"] is False and job.result["first_broken_id"] == victim.id
    assert "修改" in job.message
    assert AuditEvent.objects.get(action="audit.verified").outcome == "failure"


# --- API -------------------------------------------------------------------------------------------

EVENT_KEYS = {"id", "seq", "occurred_at", "actor_username", "actor_role", "ip", "channel", "action", "object_type",
              "object_id", "division_code", "outcome", "message", "before", "after"}


def test_api_lists_events_with_pagination(events, city_auditor):
    _user, client = city_auditor
    response = client.get("/api/v1/audit/events", {"action": "test.", "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5 and len(body["items"]) == 2
    assert set(body["items"][0]) == EVENT_KEYS
    assert body["items"][0]["id"] == events["fail"].id  # newest first
    assert body["items"][0]["outcome"] == "failure" and body["items"][0]["actor_username"] == "zhangsan"
    rest = client.get("/api/v1/audit/events", {"action": "test.", "limit": 10, "offset": 2}).json()
    assert len(rest["items"]) == 3
    seen = {i["id"] for i in body["items"]} | {i["id"] for i in rest["items"]}
    assert seen == _ids(events, "city", "c921", "c922", "system", "fail")


def test_api_filters_and_scope(events, county_auditor):
    _user, client = county_auditor

    def ids(**params):
        response = client.get("/api/v1/audit/events", {"action": "test.", **params})
        assert response.status_code == 200, response.content
        return {i["id"] for i in response.json()["items"]}

    assert ids() == _ids(events, "c921", "system", "fail")
    assert ids(outcome="failure") == _ids(events, "fail")
    assert ids(division="429921101") == _ids(events, "fail")
    assert ids(username="zhang") == _ids(events, "fail")
    today = timezone.localdate().isoformat()
    assert ids(date_from=today, date_to=today) == _ids(events, "c921", "system", "fail")
    assert ids(date_to="2000-01-01") == set()


@pytest.mark.parametrize("params", [{"division": "abc"}, {"outcome": "maybe"}, {"date_from": "2025-13-01"}])
def test_api_rejects_invalid_filters(city_auditor, params):
    _user, client = city_auditor
    response = client.get("/api/v1/audit/events", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["message"].startswith("输入有误")


def test_api_export_returns_a_job(city_auditor):
    user, client = city_auditor
    audit_record(actor=None, action="test.api", message="=1+1")
    response = client.post("/api/v1/audit/exports", {"action": "test.api"}, content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "audit.export" and body["state"] == "queued" and body["finished"] is False
    assert body["title"] == "导出审计日志"
    job = Job.objects.get(pk=body["id"])
    assert job.created_by == user and job.params["action"] == "test.api"

    job_execute(job.pk)
    status = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert status["state"] == "succeeded" and status["has_file"] is True and status["progress"] == 100
    response = client.get(f"/api/v1/jobs/{job.pk}/file")
    assert response.status_code == 200
    rows = _sheet(b"".join(response.streaming_content))
    assert rows[0] == HEADER and rows[1][11] == "'=1+1"


def test_api_export_rejects_invalid_filter(city_auditor):
    _user, client = city_auditor
    response = client.post("/api/v1/audit/exports", {"division": "12ab"}, content_type="application/json")
    assert response.status_code == 422
    assert not Job.objects.exists()


def test_api_requires_authentication(db):
    from django.test import Client

    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer anju_bad_token")):
        response = client.get("/api/v1/audit/events")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
        assert client.post("/api/v1/audit/exports", {}, content_type="application/json").status_code == 401


def test_api_refuses_other_roles(make_user, api):
    client = api(make_user("county_clerk", "429921"))
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "您的角色无权执行此操作", "detail": None}
    for url in ("/api/v1/audit/exports", "/api/v1/audit/verify", "/api/v1/audit/purge"):
        assert client.post(url, {}, content_type="application/json").status_code == 403
    assert not Job.objects.exists()


def test_api_session_without_second_factor_is_refused(make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user("auditadmin", "4299"))
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 403 and response.json()["code"] == "action_required"


def test_api_verify_and_purge_jobs(city_auditor):
    _user, client = city_auditor
    for url, kind in (("/api/v1/audit/verify", "audit.verify"), ("/api/v1/audit/purge", "audit.purge")):
        response = client.post(url)
        assert response.status_code == 202
        assert response.json()["kind"] == kind
        assert job_execute(response.json()["id"]).state == Job.State.SUCCEEDED


def test_export_with_bad_filters_keeps_the_page_whole(tree, make_user, login):
    """An invalid export request re-renders the audit page with its errors and all its actions."""
    client = login(make_user("auditadmin", "4299"))
    response = client.post("/audit/export/", {"division": "abc"})
    assert response.status_code == 400
    assert response.context["form"].errors["division"]
    assert response.context["can_verify"] and response.context["can_purge"]
