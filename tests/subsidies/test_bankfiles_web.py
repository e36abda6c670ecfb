"""Bank-file pages: export form (a job), return upload (inline and as a job), result page, problem list, outstanding items,
manual resolution and the supplement form."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.jobs import job_execute
from anju.core.models import AuditEvent, Job
from anju.subsidies import views_bankfiles
from anju.subsidies.models import BankReturn, Batch, Item
from anju.subsidies.services import returns as return_svc

from .bankfiles_data import exported, layout, return_row, return_xlsx, world
from .factories import card

B = "/subsidies/batches"


@pytest.fixture
def data(tree, make_user):
    return world(make_user)


def upload(path, name: str = "回盘.xlsx") -> SimpleUploadedFile:
    with open(path, "rb") as f:
        return SimpleUploadedFile(name, f.read())


def test_export_form_queues_a_job_that_writes_the_file(data, login):
    people, batch, items = data
    client = login(people["clerk"])
    page = client.get(f"{B}/{batch.pk}/bank-file/").content.decode()
    assert "通用代发格式" in page and "农商行批量代发（GBK 文本）" in page and "待发放 6 笔，合计 3,600.00 元" in page
    response = client.post(f"{B}/{batch.pk}/bank-file/", {"layout": layout().pk})
    job = Job.objects.get(kind="subsidies.bankfile.export")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params == {"batch": batch.pk, "layout": layout().pk} and job.division_code == batch.division_code
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["rows"] == 6 and job.result["total"] == 360000
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200 and download.filename.endswith(".xlsx") and download.filename.startswith(f"bankfile-{batch.number}")
    batch.refresh_from_db()
    assert batch.state == Batch.State.EXPORTED


def test_export_form_shows_service_errors(data, login):
    people, batch, _items = data
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.DRAFT)
    response = login(people["clerk"]).post(f"{B}/{batch.pk}/bank-file/", {"layout": layout().pk})
    assert response.status_code == 200 and "只有已审批、已出盘或已回盘的批次" in response.content.decode()
    assert not Job.objects.filter(kind="subsidies.bankfile.export").exists()


def test_export_access(data, login, make_user):
    people, batch, _items = data
    assert login(people["reviewer"]).get(f"{B}/{batch.pk}/bank-file/").status_code == 403
    assert login(make_user("county_clerk", "429922", username="other_clerk")).get(f"{B}/{batch.pk}/bank-file/").status_code == 404


def test_return_upload_inline_and_the_result_page(data, login, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    unknown = return_row(items["王一"], reference=False)
    unknown[2] = card()
    rows = [return_row(items["张一"]), return_row(items["李二"], "失败", reason="账户冻结"), unknown]
    client = login(people["clerk"])
    page = client.get(f"{B}/{batch.pk}/returns/new/").content.decode()
    assert "全部无误才入账" in page and "只入账无误的行" in page
    response = client.post(f"{B}/{batch.pk}/returns/new/", {"file": upload(return_xlsx(tmp_path / "r.xlsx", rows)), "mode": "valid_only"})
    ret = BankReturn.objects.get()
    assert response.status_code == 302 and response.url == f"{B}/returns/{ret.pk}/"
    assert ret.state == BankReturn.State.PARTIAL and ret.file_name == "回盘.xlsx"
    detail = client.get(response.url).content.decode()
    for text in ("回盘结果", "部分入账", "账号不在本批次", str(return_svc.MSG_UNKNOWN_ACCOUNT), "账户冻结", "下载问题行"):
        assert text in detail, text
    flagged = client.get(response.url + "?flag=flagged").content.decode()
    assert "账户冻结" not in flagged and str(return_svc.MSG_UNKNOWN_ACCOUNT) in flagged
    errors = client.get(f"{B}/returns/{ret.pk}/errors.xlsx")
    assert errors.status_code == 200 and AuditEvent.objects.filter(action="subsidies.bankreturn.errors_downloaded").exists()
    listing = client.get(f"{B}/{batch.pk}/returns/").content.decode()
    assert f"{B}/returns/{ret.pk}/" in listing and "回盘.xlsx" in listing
    # a township clerk sees the return page, not the problem list
    assert login(people["township"]).get(f"{B}/returns/{ret.pk}/errors.xlsx").status_code == 403


def test_a_rejected_upload_says_nothing_was_applied(data, login, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    bad = return_row(items["张一"], amount="1.00")
    response = login(people["clerk"]).post(f"{B}/{batch.pk}/returns/new/", {"file": upload(return_xlsx(tmp_path / "r.xlsx", [bad])),
                                                                          "mode": "all"}, follow=True)
    page = response.content.decode()
    assert "本次未入账" in page and "金额不符" in page
    assert Item.objects.get(pk=items["张一"].pk).state == Item.State.PENDING


def test_upload_errors_stay_on_the_form(data, login, tmp_path):
    people, batch, items = data
    client = login(people["clerk"])
    response = client.post(f"{B}/{batch.pk}/returns/new/", {"file": SimpleUploadedFile("r.pdf", b"%PDF"), "mode": "all"})
    assert response.status_code == 200 and "不支持的文件类型" in response.content.decode()
    response = client.post(f"{B}/{batch.pk}/returns/new/", {"file": upload(return_xlsx(tmp_path / "r.xlsx", [return_row(items["张一"])])),
                                                           "mode": "all"})
    assert response.status_code == 200 and "只有已出盘或已回盘的批次可以导入回盘文件" in response.content.decode()  # approved, not exported
    assert not BankReturn.objects.exists()


def test_a_big_return_file_runs_as_a_job(data, login, tmp_path, monkeypatch):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    monkeypatch.setattr(views_bankfiles, "INLINE_BYTES", 10)
    path = return_xlsx(tmp_path / "r.xlsx", [return_row(i) for i in items.values()])
    response = login(people["clerk"]).post(f"{B}/{batch.pk}/returns/new/", {"file": upload(path), "mode": "all", "layout": layout().pk})
    job = Job.objects.get(kind="subsidies.bankfile.return")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.params["mode"] == "all" and job.params["layout"] == layout().pk
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["paid"] == 6 and job.result["state"] == "applied"
    assert BankReturn.objects.get(pk=job.result["return"]).uploaded_by == people["clerk"]


def test_outstanding_items_and_manual_resolution(data, login, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    client = login(people["clerk"])
    page = client.get(f"{B}/{batch.pk}/outstanding/").content.decode()
    assert "张一" in page and "人工确认" in page and f"{B}/{batch.pk}/items/{items['张一'].pk}/resolve/" in page
    assert "张一" not in client.get(f"{B}/{batch.pk}/outstanding/?q=李").content.decode()
    url = f"{B}/{batch.pk}/items/{items['张一'].pk}/resolve/"
    response = client.post(url, {"outcome": "failed", "reason": ""})
    assert response.status_code == 200 and "发放失败时请填写失败原因" in response.content.decode()
    response = client.post(url, {"outcome": "paid", "bank_ref": "TEL-01", "paid_on": "2026-03-01"})
    assert response.status_code == 302 and response.url == f"{B}/{batch.pk}/outstanding/"
    item = Item.objects.get(pk=items["张一"].pk)
    assert (item.state, item.bank_ref, str(item.paid_on)) == ("paid", "TEL-01", "2026-03-01")
    assert url not in client.get(f"{B}/{batch.pk}/outstanding/").content.decode()
    again = client.post(url, {"outcome": "paid"})
    assert again.status_code == 200 and "只有“待发放”的明细可以人工确认结果" in again.content.decode()
    assert login(people["reviewer"]).get(f"{B}/{batch.pk}/items/{items['李一'].pk}/resolve/").status_code == 403


def test_resolving_a_flagged_row_starts_from_the_row(data, login, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    mismatch = return_row(items["张三"], "失败", reference=False, amount="6.00", reason="金额不符退回")
    ret = return_svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "m.xlsx", [mismatch]))
    row = ret.rows.get()
    client = login(people["clerk"])
    detail = client.get(f"{B}/returns/{ret.pk}/").content.decode()
    link = f"{B}/{batch.pk}/items/{items['张三'].pk}/resolve/?row={row.pk}"
    assert link in detail
    form = client.get(link).content.decode()
    assert 'value="金额不符退回"' in form and re.search(r'value="failed"[^>]*checked', form)
    response = client.post(link, {"outcome": "failed", "reason": "金额不符退回", "row": row.pk})
    assert response.status_code == 302 and response.url == f"{B}/returns/{ret.pk}/"
    assert Item.objects.get(pk=items["张三"].pk).failure_reason == "金额不符退回"


def test_supplement_form(data, login, tmp_path):
    people, batch, items = data
    batch = exported(people, batch, tmp_path)
    client = login(people["clerk"])
    response = client.post(f"{B}/{batch.pk}/supplement/", {"note": ""})
    assert response.status_code == 200 and "没有需要补发的明细" in response.content.decode()
    Item.objects.filter(pk=items["李一"].pk).update(state=Item.State.FAILED, failure_reason="销户")
    page = client.get(f"{B}/{batch.pk}/supplement/").content.decode()
    assert "发放失败 1 笔（600.00 元）" in page
    response = client.post(f"{B}/{batch.pk}/supplement/", {"note": "补发", "include_held": ""})
    child = Batch.objects.get(parent=batch)
    assert response.status_code == 302 and response.url == f"/subsidies/batches/{child.pk}/"
    assert child.number == f"{batch.number}-B1" and child.note == "补发"
    assert child.number in client.get(f"{B}/{batch.pk}/supplement/").content.decode()
