"""A full year through the web pages, as the users do it: the 2026 batch from the locked 2025 snapshot, review and
approval by two other people, the bank file, the bank's return with a failure, the correction and the supplementary
batch, reconciliation of both, a late death turned into a recovery, and the figures tying to the fen in the ledger."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from anju.core.jobs import job_execute
from anju.core.models import Job
from anju.registry.models import Enrolment
from anju.registry.services.records import person_remove
from anju.subsidies.models import BankLayout, Batch, Item, Recovery
from anju.subsidies.services.reconcile import batch_reconciliation

from .factories import COUNTY, actors, card, locked, roster

pytestmark = pytest.mark.django_db
B = "/subsidies/batches"


def _run_job(kind: str) -> Job:
    job = job_execute(Job.objects.filter(kind=kind).latest("created_at").pk)
    assert job.state == "succeeded", job.error
    return job


def _return_csv(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "业务编号,户名,账号,金额,处理结果,失败原因,银行流水号\n" + "".join(",".join(r) + "\n" for r in rows)
    return SimpleUploadedFile("回盘.csv", text.encode("gbk"), content_type="text/csv")


def _bank_rows(client, job: Job) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/download/").streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    return rows


def test_a_year_from_snapshot_to_reconciled_batches(make_user, login):
    people = {**actors(make_user), "approver": make_user("county_reviewer", COUNTY, username="e2e_approver")}
    roster()
    locked(people, 2025)
    clerk, reviewer, approver = login(people["clerk"]), login(people["reviewer"]), login(people["approver"])

    # the clerk creates the batch (a job) and sees the totals by township
    clerk.post(f"{B}/new/", {"county": COUNTY, "year": 2026, "quarter": 0, "fund_source": "central"})
    batch = Batch.objects.get(pk=_run_job("subsidies.batch.create").result["batch"])
    page = clerk.get(f"{B}/{batch.pk}/").content.decode()
    assert "3,000.00" in page  # 4 × 600 + 2 × 300 yuan
    assert batch.totals["project"] == {"persons": 2, "amount": 120000}

    # review and approval by two other people
    assert reviewer.post(f"{B}/{batch.pk}/review/").status_code == 302
    assert approver.post(f"{B}/{batch.pk}/approve/").status_code == 302
    batch.refresh_from_db()
    assert batch.state == Batch.State.APPROVED and batch.reviewed_by == people["reviewer"] and batch.approved_by == people["approver"]

    # the bank file: a control line, a header, one row per person, totals that match
    layout = BankLayout.objects.get(name="通用代发格式")
    clerk.post(f"{B}/{batch.pk}/bank-file/", {"layout": layout.pk})
    rows = _bank_rows(clerk, _run_job("subsidies.bankfile.export"))
    assert rows[0][0] == batch.number and int(float(rows[0][1])) == 6 and str(rows[0][2]) in ("3000.00", "3000.0", "3000")
    header, body = rows[1], rows[2:]
    ref, name, account, amount = (header.index(h) for h in ("业务编号", "户名", "账号", "金额"))
    assert len(body) == 6 and sum(round(float(r[amount]) * 100) for r in body) == 300000

    # the bank pays all but 张二, whose card was closed
    lines = [[str(int(float(r[ref]))), r[name], str(r[account]), f"{float(r[amount]):.2f}",
              "失败" if r[name] == "张二" else "成功", "账户已销户" if r[name] == "张二" else "", f"BK{n:05d}"] for n, r in enumerate(body)]
    response = clerk.post(f"{B}/{batch.pk}/returns/new/", {"file": _return_csv(lines), "mode": "all"})
    assert response.status_code == 302
    failed = Item.objects.get(batch=batch, name="张二")
    assert failed.state == Item.State.FAILED and failed.failure_reason == "账户已销户"
    assert Item.objects.filter(batch=batch, state=Item.State.PAID).count() == 5
    rec = batch_reconciliation(Batch.objects.get(pk=batch.pk))
    assert (rec.totals.entitled, rec.totals.paid, rec.totals.failed, rec.totals.pending) == (300000, 240000, 60000, 0)

    # the account is corrected (as an approved change request would) and the failed item re-issued
    new_card = card()
    from anju.core.crypto import blind_index, encrypt
    from anju.core.masking import mask_bank_account
    Enrolment.objects.filter(pk=failed.enrolment_id).update(bank_account_enc=encrypt(new_card), bank_account_hash=blind_index(new_card, kind="bank"),
                                                            bank_account_masked=mask_bank_account(new_card))
    assert clerk.post(f"{B}/{batch.pk}/supplement/", {"include_held": ""}).status_code == 302
    supplement = Batch.objects.get(kind=Batch.Kind.SUPPLEMENTARY)
    reissued = Item.objects.get(batch=supplement)
    assert reissued.reissue_of_id == failed.pk and reissued.bank_account_masked == mask_bank_account(new_card) and reissued.amount == 60000
    assert clerk.post(f"{B}/{batch.pk}/reconciliation/confirm/").status_code == 302
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.RECONCILED

    reviewer.post(f"{B}/{supplement.pk}/review/")
    approver.post(f"{B}/{supplement.pk}/approve/")
    clerk.post(f"{B}/{supplement.pk}/bank-file/", {"layout": layout.pk})
    body = _bank_rows(clerk, _run_job("subsidies.bankfile.export"))[2:]
    assert len(body) == 1 and str(body[0][account]) == new_card
    clerk.post(f"{B}/{supplement.pk}/returns/new/", {"file": _return_csv([[str(reissued.pk), "张二", new_card, "600.00", "成功", "", "BK99999"]]),
                                                     "mode": "all"})
    assert clerk.post(f"{B}/{supplement.pk}/reconciliation/confirm/").status_code == 302
    assert Batch.objects.get(pk=supplement.pk).state == Batch.State.RECONCILED

    # a death found late, effective 2026-05-01: May–Dec were overpaid to 王一
    wang = Item.objects.get(batch=batch, name="王一")
    person_remove(actor=people["clerk"], enrolment=Enrolment.objects.get(pk=wang.enrolment_id), cause="death",
                  effective_on=dt.date(2026, 5, 1), note="公安比对")
    assert clerk.post("/subsidies/recoveries/detect/", {"scope": COUNTY}).status_code == 302
    _run_job("subsidies.recoveries.detect")
    recovery = Recovery.objects.get(item=wang)
    assert (recovery.months, recovery.amount) == (8, 40000)

    # the auditor's ledger of 张二: entitled once, paid once (by the supplementary batch), nothing failed outstanding
    auditor = login(make_user("auditor", "4299", username="e2e_auditor"))
    page = auditor.get(f"/subsidies/ledger/{failed.person_id}/").content.decode()
    assert supplement.number in page and "BK99999" in page and "600.00" in page
