"""Background jobs: submission rights, execution states, progress, who sees which job, and the DB worker."""

from __future__ import annotations

import json
import logging
import uuid
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client

from anju.accounts.roles import Perm
from anju.core.exceptions import AuthenticationRequired, PermissionDenied, ValidationFailed
from anju.core.jobs import (
    JOB_KINDS,
    MSG_INTERNAL,
    job_create_inline,
    job_execute,
    job_kind,
    job_list,
    job_progress,
    job_submit,
)
from anju.core.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def kinds():
    """Test job kinds any role that reads divisions may run (Perm.DIVISIONS_VIEW); removed again afterwards."""
    seen: dict[str, list] = {"progress": []}

    def ok(job, progress):
        progress(30, "第一步")
        progress(60, "第二步")
        return {"echo": job.params.get("x")}

    def finishing(job, progress):
        progress(100, "全部写完")
        return {"done": True}

    def silent(job, progress):
        return None

    def app_error(job, progress):
        progress(10, "读取中")
        raise ValidationFailed("第 3 行身份证号有误", detail=[{"file": "a.csv", "line": 3, "reason": "校验位错误"}])

    def boom(job, progress):
        raise RuntimeError("internal detail /srv/anju/secret.py")

    def peek(job, progress):
        seen["state"] = Job.objects.get(pk=job.pk).state
        progress(45, "一半")
        seen["progress"].append(job_progress(Job.objects.get(pk=job.pk)))
        return {}

    handlers = {"test.ok": ok, "test.finishing": finishing, "test.silent": silent, "test.app_error": app_error,
                "test.boom": boom, "test.peek": peek}
    for kind, handler in handlers.items():
        job_kind(kind, title="测试任务", permission=Perm.DIVISIONS_VIEW)(handler)
    yield seen
    for kind in handlers:
        JOB_KINDS.pop(kind, None)


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="clerk_a")


# --- submit ----------------------------------------------------------------------------------------


def test_submit_creates_a_queued_job_and_audits_it(kinds, clerk):
    job = job_submit(actor=clerk, kind="test.ok", params={"x": 7})
    assert (job.state, job.progress, job.kind, job.title) == (Job.State.QUEUED, 0, "test.ok", "测试任务")
    assert job.created_by == clerk and job.division_code == "429921000000" and job.params == {"x": 7}
    event = AuditEvent.objects.get(action="jobs.job.submitted", object_id=str(job.pk))
    assert event.actor_id == clerk.pk and event.division_code == "429921000000"
    assert event.after == {"kind": "test.ok", "params": {"x": 7}}

    titled = job_submit(actor=clerk, kind="test.ok", title="自定义名称", division_code="429921101000")
    assert (titled.title, titled.division_code) == ("自定义名称", "429921101000")


def test_submit_checks_the_kind_and_the_permission(kinds, clerk, make_user):
    with pytest.raises(ValidationFailed) as exc:
        job_submit(actor=clerk, kind="no.such.kind")
    assert exc.value.message == "未知的任务类型：no.such.kind"
    with pytest.raises(PermissionDenied):
        job_submit(actor=clerk, kind="audit.export")
    with pytest.raises(PermissionDenied):
        job_submit(actor=clerk, kind="divisions.load", params={"dir": "/tmp"})
    with pytest.raises(PermissionDenied):
        job_submit(actor=make_user("auditadmin", "4299"), kind="test.ok")  # IT roles hold no business permission
    with pytest.raises(AuthenticationRequired):
        job_submit(actor=None, kind="test.ok")
    assert not Job.objects.exists()


def test_submit_enqueues_only_after_commit(kinds, clerk, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        job_submit(actor=clerk, kind="test.ok")
        raise Boom
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(action="jobs.job.submitted").exists()

    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(actor=clerk, kind="test.ok")
    task = DBTaskResult.objects.get()
    assert task.task_path == "anju.core.jobs.run_job_task"
    assert task.args_kwargs["args"] == [str(job.pk)]
    assert task.status == "READY"


def test_inline_job_for_the_cli(kinds):
    job = job_create_inline(actor=None, kind="test.ok", params={"x": 1})
    assert job.created_by is None and job.division_code == ""
    event = AuditEvent.objects.get(action="jobs.job.submitted", object_id=str(job.pk))
    assert event.actor_username == "(cli)" and event.after["inline"] is True
    assert job_execute(job.pk).state == Job.State.SUCCEEDED
    with pytest.raises(ValidationFailed):
        job_create_inline(actor=None, kind="nope")


# --- execute ---------------------------------------------------------------------------------------


def test_execute_success(kinds, clerk):
    job = job_submit(actor=clerk, kind="test.ok", params={"x": "值"})
    calls = []
    job = job_execute(job.pk, progress=lambda p, m: calls.append((p, m)))
    assert job.state == Job.State.SUCCEEDED and job.is_finished
    assert (job.result, job.progress, job.error) == ({"echo": "值"}, 100, "")
    assert job.message == "完成"
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert calls == [(0, "开始"), (30, "第一步"), (60, "第二步")]
    assert job_progress(job) == (100, "完成")
    fresh = Job.objects.get(pk=job.pk)
    assert (fresh.state, fresh.progress, fresh.result) == (Job.State.SUCCEEDED, 100, {"echo": "值"})

    finished = AuditEvent.objects.get(action="jobs.job.finished", object_id=str(job.pk))
    assert finished.outcome == "success" and finished.actor_id == clerk.pk
    assert finished.after == {"kind": "test.ok", "state": "succeeded", "error": ""}


def test_execute_keeps_the_handlers_final_message(kinds, clerk):
    job = job_execute(job_submit(actor=clerk, kind="test.finishing").pk)
    assert (job.progress, job.message, job.result) == (100, "全部写完", {"done": True})


def test_execute_of_a_silent_handler_ends_at_100_done(kinds, clerk):
    job = job_execute(job_submit(actor=clerk, kind="test.silent").pk)
    assert (job.state, job.progress, job.message, job.result) == (Job.State.SUCCEEDED, 100, "完成", {})


def test_application_error_fails_the_job_with_its_message(kinds, clerk):
    job = job_execute(job_submit(actor=clerk, kind="test.app_error").pk)
    assert job.state == Job.State.FAILED and job.is_finished
    assert job.error == "第 3 行身份证号有误"
    assert job.result == {"code": "invalid", "detail": [{"file": "a.csv", "line": 3, "reason": "校验位错误"}]}
    assert (job.progress, job.message) == (10, "读取中")
    assert job.finished_at is not None
    finished = AuditEvent.objects.get(action="jobs.job.finished", object_id=str(job.pk))
    assert finished.outcome == "failure" and finished.after["error"] == "第 3 行身份证号有误"


def test_unexpected_error_fails_the_job_with_a_generic_message(kinds, clerk, caplog):
    with caplog.at_level(logging.ERROR, logger="anju.core.jobs"):
        job = job_execute(job_submit(actor=clerk, kind="test.boom").pk)
    assert job.state == Job.State.FAILED
    assert job.error == str(MSG_INTERNAL) == "任务执行出错，已记录详细信息，请联系系统管理员"
    assert "RuntimeError" in job.result["trace"]  # kept for the administrator
    assert "RuntimeError: internal detail" in caplog.text
    assert AuditEvent.objects.get(action="jobs.job.finished", object_id=str(job.pk)).outcome == "failure"


def test_job_of_an_unregistered_kind_fails_cleanly(clerk):
    job = Job.objects.create(kind="gone.kind", title="旧任务", created_by=clerk, division_code="429921000000")
    job = job_execute(job.pk)
    assert job.state == Job.State.FAILED and job.error == str(MSG_INTERNAL)


def test_execute_runs_a_job_only_once(kinds, clerk):
    job = job_submit(actor=clerk, kind="test.ok")
    first = job_execute(job.pk)
    again = job_execute(job.pk)
    assert again.finished_at == first.finished_at
    assert AuditEvent.objects.filter(action="jobs.job.finished", object_id=str(job.pk)).count() == 1


def test_progress_is_visible_while_running(kinds, clerk, monkeypatch):
    import anju.core.jobs as jobs_module

    ticks = iter(range(0, 10_000, 1))
    monkeypatch.setattr(jobs_module, "time", SimpleNamespace(monotonic=lambda: float(next(ticks))))
    job = job_submit(actor=clerk, kind="test.peek")
    assert job_progress(job) == (0, "")
    job_execute(job.pk)
    assert kinds["state"] == Job.State.RUNNING
    assert kinds["progress"] == [(45, "一半")]  # read from the cache, not the (stale) row


# --- pages -----------------------------------------------------------------------------------------


@pytest.fixture
def jobs_of_three(kinds, other_city, make_user):
    """Jobs by clerk A and clerk B (same county), and one in another city."""
    a = make_user("county_clerk", "429921", username="clerk_a")
    b = make_user("county_clerk", "429921", username="clerk_b")
    far = make_user("county_clerk", "429821", username="clerk_far")
    return {
        "a": job_submit(actor=a, kind="test.ok", title="A 的任务"),
        "b": job_submit(actor=b, kind="test.ok", title="B 的任务"),
        "far": job_submit(actor=far, kind="test.ok", title="外市任务"),
        "users": SimpleNamespace(a=a, b=b, far=far),
    }


def _page_ids(client, **params) -> set:
    response = client.get("/jobs/", params)
    assert response.status_code == 200
    return {j.pk for j in response.context["page"].object_list}


def test_job_list_shows_only_own_jobs(jobs_of_three, login):
    client = login(jobs_of_three["users"].a)
    assert _page_ids(client) == {jobs_of_three["a"].pk}
    html = client.get("/jobs/").content.decode()
    assert "A 的任务" in html and "B 的任务" not in html
    assert job_list(actor=jobs_of_three["users"].b).get() == jobs_of_three["b"]


def test_job_list_for_roles_that_see_all_jobs_in_scope(jobs_of_three, make_user, login):
    city_admin = login(make_user("city_admin", "4299"))
    assert _page_ids(city_admin) == {jobs_of_three["a"].pk, jobs_of_three["b"].pk}
    sysadmin = make_user("sysadmin", "4299")
    assert set(job_list(actor=sysadmin)) == {jobs_of_three["a"], jobs_of_three["b"]}
    county_sys = make_user("sysadmin", "429821")
    assert set(job_list(actor=county_sys)) == {jobs_of_three["far"]}


def test_job_list_filters_by_state(jobs_of_three, login):
    a = jobs_of_three["a"]
    client = login(jobs_of_three["users"].a)
    assert _page_ids(client, state="succeeded") == set()
    job_execute(a.pk)
    assert _page_ids(client, state="succeeded") == {a.pk}
    assert _page_ids(client, state="queued") == set()
    assert _page_ids(client, state="bogus") == {a.pk}  # unknown state: no filter


def test_other_users_job_is_404(jobs_of_three, login):
    client = login(jobs_of_three["users"].a)
    b = jobs_of_three["b"]
    for url in (f"/jobs/{b.pk}/", f"/jobs/{b.pk}/status/", f"/jobs/{b.pk}/download/", f"/jobs/{uuid.uuid4()}/"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert "对象不存在或不在您的管辖范围内" in client.get(f"/jobs/{b.pk}/").content.decode()
    assert client.get(f"/jobs/{jobs_of_three['a'].pk}/").status_code == 200


def test_job_detail_page(kinds, clerk, login):
    client = login(clerk)
    job = job_execute(job_submit(actor=clerk, kind="test.app_error").pk)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "测试任务" in html and "第 3 行身份证号有误" in html and "a.csv 第 3 行：校验位错误" in html
    assert f"/jobs/{job.pk}/status/" in html


def test_job_status_json(kinds, clerk, login):
    client = login(clerk)
    job = job_submit(actor=clerk, kind="test.ok", params={"x": 1})
    body = client.get(f"/jobs/{job.pk}/status/").json()
    assert set(body) == {"id", "kind", "title", "state", "state_label", "progress", "message", "error", "result",
                         "has_file", "created_at", "finished", "problems"}
    assert (body["id"], body["state"], body["state_label"], body["progress"], body["finished"]) == (
        str(job.pk), "queued", "排队中", 0, False)
    job_execute(job.pk)
    body = client.get(f"/jobs/{job.pk}/status/").json()
    assert (body["state"], body["state_label"], body["progress"], body["finished"], body["has_file"]) == (
        "succeeded", "已完成", 100, True, False)
    assert body["result"] == {"echo": 1}


def test_internal_traceback_is_not_shown_to_the_user(kinds, clerk, login, api):
    client = login(clerk)
    job = job_execute(job_submit(actor=clerk, kind="test.boom").pk)
    for response in (client.get(f"/jobs/{job.pk}/status/"), api(clerk).get(f"/api/v1/jobs/{job.pk}"),
                     client.get(f"/jobs/{job.pk}/")):
        assert response.status_code == 200
        is_json = response["Content-Type"].startswith("application/json")
        text = json.dumps(response.json(), ensure_ascii=False) if is_json else response.content.decode()
        assert "secret.py" not in text and "Traceback" not in text
        assert "任务执行出错" in text


def test_download_needs_a_finished_job_with_a_file(kinds, clerk, login, settings):
    client = login(clerk)
    queued = job_submit(actor=clerk, kind="test.ok")
    assert client.get(f"/jobs/{queued.pk}/download/").status_code == 404
    done = job_execute(job_submit(actor=clerk, kind="test.ok").pk)
    assert client.get(f"/jobs/{done.pk}/download/").status_code == 404  # no file
    Job.objects.filter(pk=done.pk).update(result_file="../../../../etc/passwd")
    assert client.get(f"/jobs/{done.pk}/download/").status_code == 404  # never outside the generated folder
    assert not AuditEvent.objects.filter(action="jobs.result.downloaded").exists()


def test_anonymous_job_pages_redirect_to_login(jobs_of_three):
    for url in ("/jobs/", f"/jobs/{jobs_of_three['a'].pk}/", f"/jobs/{jobs_of_three['a'].pk}/status/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


# --- API -------------------------------------------------------------------------------------------


def test_api_job_list_and_detail(jobs_of_three, api):
    client = api(jobs_of_three["users"].a)
    a = jobs_of_three["a"]
    body = client.get("/api/v1/jobs").json()
    assert body["count"] == 1 and [j["id"] for j in body["items"]] == [str(a.pk)]
    assert body["items"][0]["state"] == "queued" and body["items"][0]["title"] == "A 的任务"
    assert client.get("/api/v1/jobs", {"state": "succeeded"}).json()["count"] == 0
    assert client.get("/api/v1/jobs", {"state": "bogus"}).status_code == 422

    job_execute(a.pk)
    detail = client.get(f"/api/v1/jobs/{a.pk}").json()
    assert (detail["state"], detail["progress"], detail["finished"], detail["result"]) == ("succeeded", 100, True, {"echo": None})
    assert client.get(f"/api/v1/jobs/{a.pk}/file").status_code == 404


def test_api_other_users_job_is_404(jobs_of_three, api):
    client = api(jobs_of_three["users"].a)
    response = client.get(f"/api/v1/jobs/{jobs_of_three['b'].pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"/api/v1/jobs/{jobs_of_three['b'].pk}/file").status_code == 404
    assert client.get("/api/v1/jobs/not-a-uuid").status_code == 422


def test_api_jobs_need_authentication(jobs_of_three):
    assert Client().get("/api/v1/jobs").status_code == 401
    assert Client().get(f"/api/v1/jobs/{jobs_of_three['a'].pk}").status_code == 401


# --- the django-tasks database worker --------------------------------------------------------------


@pytest.fixture
def worker(monkeypatch):
    """Run the real DB worker in batch mode inside the test transaction.

    The worker calls close_old_connections() between tasks; in a test transaction (autocommit off) that
    would drop the connection, so it is a no-op here.
    """
    import django_tasks_db.management.commands.db_worker as db_worker

    from anju.cli import _run_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: _run_worker(interval=0, batch=True)


def test_db_worker_runs_submitted_jobs(kinds, clerk, worker, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        ok = job_submit(actor=clerk, kind="test.ok", params={"x": "w"})
        bad = job_submit(actor=clerk, kind="test.app_error")
    assert DBTaskResult.objects.filter(status="READY").count() == 2

    worker()

    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.state, ok.progress, ok.result) == (Job.State.SUCCEEDED, 100, {"echo": "w"})
    assert (bad.state, bad.error) == (Job.State.FAILED, "第 3 行身份证号有误")
    tasks = {t.args_kwargs["args"][0]: t for t in DBTaskResult.objects.all()}
    assert {t.status for t in tasks.values()} == {"SUCCESSFUL"}  # job failures are recorded on the Job, not raised
    assert tasks[str(ok.pk)].return_value == "succeeded" and tasks[str(bad.pk)].return_value == "failed"
    finished = AuditEvent.objects.get(action="jobs.job.finished", object_id=str(ok.pk))
    assert finished.channel == "job"


def test_db_worker_runs_an_audit_export(make_user, worker, django_capture_on_commit_callbacks):
    admin = make_user("auditadmin", "4299")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(actor=admin, kind="audit.export", params={"action": "accounts."})
    worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["rows"] >= 1 and job.result_file.endswith(".xlsx")


def test_db_worker_batch_with_nothing_to_do_returns(worker):
    worker()
