"""Batch and entitlement pages: list, create form (a job), detail with figures, timeline, exceptions and items, workflow
buttons for those who may use them, hold and release, delete, the 测算 page and its CSV job."""

from __future__ import annotations

import csv
import io

import pytest

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.subsidies import jobs  # noqa: F401
from anju.subsidies.models import Batch, Item
from anju.subsidies.services import workflow as wf
from anju.subsidies.services.batches import MSG_EXISTS, batch_create

from .factories import COUNTY, actors, locked, paying_household, roster


@pytest.fixture
def people(make_user):
    return {**actors(make_user), "approver": make_user("county_reviewer", COUNTY, username="b_approver")}


@pytest.fixture
def ready(tree, people):
    roster()
    paying_household("S005", ["孙一"], accounts=[""])
    locked(people, 2025)


@pytest.fixture
def draft(ready, people):
    return batch_create(actor=people["clerk"], county_code=COUNTY, year=2026)


def test_create_form_queues_a_job(ready, people, login):
    client = login(people["clerk"])
    page = client.get("/subsidies/batches/new/").content.decode()
    assert "白云县（429921，按年发放）" in page and "429922" not in page  # the counties of the entry scope only
    response = client.post("/subsidies/batches/new/", {"county": "429921", "year": 2026, "quarter": 0, "fund_source": "central", "note": "首批"})
    job = Job.objects.get(kind="subsidies.batch.create")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"county": "429921", "year": 2026, "quarter": 0, "fund_source": "central", "note": "首批"}
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["persons"] == 7 and job.result["held"] == 1
    batch = Batch.objects.get(pk=job.result["batch"])
    assert (batch.created_by, batch.note) == (people["clerk"], "首批")
    again = client.post("/subsidies/batches/new/", {"county": "429921", "year": 2026, "quarter": 0, "fund_source": "central"})
    assert again.status_code == 200 and str(MSG_EXISTS % {"county": "白云县", "period": "2026 年", "number": batch.number}) in again.content.decode()
    quarterly = client.post("/subsidies/batches/new/", {"county": "429921", "year": 2026, "quarter": 2, "fund_source": "central"})
    assert quarterly.status_code == 200 and "按年发放" in quarterly.content.decode()
    assert Job.objects.filter(kind="subsidies.batch.create").count() == 1
    assert login(people["reviewer"]).get("/subsidies/batches/new/").status_code == 403


def test_list_and_detail(draft, people, login):
    client = login(people["reviewer"])
    listing = client.get("/subsidies/batches/?year=2026").content.decode()
    assert f"/subsidies/batches/{draft.pk}/" in listing and draft.number in listing and "3,600.00" in listing
    assert draft.number not in client.get("/subsidies/batches/?year=2025").content.decode()
    assert client.get("/subsidies/batches/?year=abc&state=zzz&county=x").status_code == 200
    page = client.get(f"/subsidies/batches/{draft.pk}/").content.decode()
    for text in ("白云县2026年度直补发放批次", "3,600.00", "审核通过", "孙一", "无银行账号", "张一", "生成批次", "v_clerk", "分乡镇、村汇总"):
        assert text in page, text
    for text in ("审批通过", "删除批次", "恢复发放"):  # not this reviewer's buttons
        assert text not in page, text
    clerk_page = login(people["clerk"]).get(f"/subsidies/batches/{draft.pk}/").content.decode()
    assert "删除批次" in clerk_page and "恢复发放" in clerk_page and "审核通过" not in clerk_page
    filtered = client.get(f"/subsidies/batches/{draft.pk}/?q=张").content.decode()
    assert "张二" in filtered and "李一" not in filtered.split("发放明细")[1]
    assert client.get(f"/subsidies/batches/{draft.pk}/?division=zz&state=bogus&page=99").status_code == 200
    assert login(people["other_reviewer"]).get(f"/subsidies/batches/{draft.pk}/").status_code == 404


def test_township_clerk_sees_its_part(draft, people, login):
    page = login(people["township"]).get(f"/subsidies/batches/{draft.pk}/").content.decode()
    assert "张一" in page and "李一" not in page and "删除批次" not in page


def test_workflow_through_the_pages(draft, people, login):
    url = f"/subsidies/batches/{draft.pk}"
    assert login(people["township"]).post(url + "/review/").status_code == 403
    assert login(people["other_reviewer"]).post(url + "/review/").status_code == 404
    reviewer = login(people["reviewer"])
    assert reviewer.post(url + "/review/").status_code == 302
    assert Batch.objects.get(pk=draft.pk).state == "reviewed"
    response = reviewer.post(url + "/review/", follow=True)
    assert str(wf.MSG_REVIEW_STATE) in response.content.decode()
    response = reviewer.post(url + "/approve/", follow=True)  # the reviewer may not approve too
    assert response.status_code == 403
    approver = login(people["approver"])
    assert "审批通过" in approver.get(url + "/").content.decode()
    approver.post(url + "/approve/")
    assert Batch.objects.get(pk=draft.pk).state == "approved"
    response = approver.post(url + "/send-back/", {"reason": ""}, follow=True)
    assert str(wf.MSG_REASON_REQUIRED) in response.content.decode()
    approver.post(url + "/send-back/", {"reason": "孙一的账号待补"})
    assert Batch.objects.get(pk=draft.pk).state == "draft"
    page = login(people["clerk"]).get(url + "/").content.decode()
    assert "孙一的账号待补" in page and "退回" in page


def test_hold_release_refresh_and_delete(draft, people, login):
    clerk = login(people["clerk"])
    zhang = Item.objects.get(name="张一")
    url = f"/subsidies/batches/{draft.pk}"
    form = clerk.get(f"{url}/items/{zhang.pk}/hold/")
    assert form.status_code == 200 and "张一" in form.content.decode()
    response = clerk.post(f"{url}/items/{zhang.pk}/hold/", {"cause": "suspended", "reason": ""})
    assert response.status_code == 200 and Item.objects.get(pk=zhang.pk).state == "pending"
    assert clerk.post(f"{url}/items/{zhang.pk}/hold/", {"cause": "suspended", "reason": "待核实"}).status_code == 302
    assert Item.objects.get(pk=zhang.pk).state == "held"
    assert login(people["reviewer"]).post(f"{url}/items/{zhang.pk}/release/").status_code == 403
    clerk.post(f"{url}/items/{zhang.pk}/release/")
    assert Item.objects.get(pk=zhang.pk).state == "pending"
    sun = Item.objects.get(name="孙一")
    response = clerk.post(f"{url}/items/{sun.pk}/release/", follow=True)
    assert "暂缓原因尚未消除" in response.content.decode() and Item.objects.get(pk=sun.pk).state == "held"
    response = clerk.post(f"{url}/refresh-accounts/", follow=True)
    assert "恢复发放 0 笔，仍暂缓 1 笔" in response.content.decode()
    assert clerk.get(f"{url}/items/999999/hold/").status_code == 404
    response = clerk.post(f"{url}/delete/")
    assert response.status_code == 302 and response.url == "/subsidies/batches/"
    assert not Batch.objects.filter(pk=draft.pk).exists()


def test_entitlements_page_and_csv_job(ready, people, login):
    client = login(people["reviewer"])
    page = client.get("/subsidies/entitlements/")
    assert page.status_code == 200 and "白云县（429921）" in page.content.decode()
    page = client.get("/subsidies/entitlements/?scope=429921&year=2026&quarter=0").content.decode()
    for text in ("3,600.00", "1,200.00", "核定名单", "导出 CSV", "导出完整身份证号"):
        assert text in page, text
    bad = client.get("/subsidies/entitlements/?scope=429921&year=2027&quarter=0").content.decode()  # 2026 not locked
    assert "尚未锁定" in bad
    preview = client.get("/subsidies/entitlements/?scope=429921&year=2027&quarter=0&preview=on").content.decode()
    assert "在册名单预览" in preview
    response = client.post("/subsidies/entitlements/export/", {"scope": "429921", "year": 2026, "quarter": 0, "unmasked": "on"})
    job = Job.objects.get(kind="subsidies.entitlements.export")
    assert response.url == f"/jobs/{job.pk}/" and job.params == {"scope": "429921", "year": 2026, "quarter": 0, "preview": False,
                                                                 "unmasked": True}
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["rows"] == 9
    download = client.get(f"/jobs/{job.pk}/download/")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["身份证号", "姓名", "月数", "金额"] and all("*" not in r[0] for r in rows[1:])
    assert AuditEvent.objects.get(action="subsidies.entitlements.exported").after["unmasked"] is True
    leader = login(people["city"])  # 市级管理员: SUBSIDY_VIEW without full IDs
    city_page = leader.get("/subsidies/entitlements/").content.decode()
    assert "全市" in city_page
    assert leader.post("/subsidies/entitlements/export/", {"scope": "429921", "year": 2026, "quarter": 0, "unmasked": "on"}).status_code == 403
    assert "不能进行资金测算" in login(people["township"]).get("/subsidies/entitlements/").content.decode()
