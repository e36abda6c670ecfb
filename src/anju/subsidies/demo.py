"""Demo steps of direct subsidies: the past two years paid and reconciled in every county, this year's batch of the
demo county returned by the bank with some failures, another county's batch still a draft, and one recovery case."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

FAILURES = ["账户已销户", "户名与账号不符", "账户冻结"]


def _users():
    from anju.accounts.models import User
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import COUNTIES, DEMO_PASSWORD
    from anju.divisions.models import Division

    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    reviewers, approvers = {}, {}
    for county, name in COUNTIES:
        reviewers[county] = users.get("demo_county_reviewer") if county == "429921" else users.get(f"demo_reviewer_{county}")
        username = f"demo_reviewer_{county}_2"  # the second reviewer approves (four eyes)
        approvers[county] = users.get(username) or user_create(
            actor=None, username=username, role=ROLES["county_reviewer"], entry_scope=Division.objects.get(code=county.ljust(12, "0")),
            password=DEMO_PASSWORD, full_name=f"{name}分管领导", must_change_password=False)
    return users, reviewers, approvers


def _return_file(batch, path: Path, *, fail_every: int = 0) -> int:
    """What the bank sends back: every pending item paid, or every `fail_every`-th failed with a reason."""
    from anju.core.crypto import decryptor
    from anju.subsidies.models import Item
    from anju.subsidies.months import yuan

    decrypt = decryptor()
    failed = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(["业务编号", "户名", "账号", "金额", "处理结果", "失败原因", "银行流水号"])
        for n, (pk, name, enc, amount) in enumerate(Item.objects.filter(batch=batch, state=Item.State.PENDING).order_by("id")
                                                   .values_list("id", "name", "bank_account_enc", "amount").iterator(), start=1):
            fail = bool(fail_every) and n % fail_every == 0
            failed += fail
            out.writerow([pk, name, decrypt(enc), f"{yuan(amount)}", "失败" if fail else "成功", FAILURES[n % 3] if fail else "",
                          "" if fail else f"B{batch.year}{pk:010d}"])
    return failed


def subsidies_step(summary) -> None:
    from anju.demo import COUNTIES
    from anju.registry.models import Enrolment, Verification
    from anju.registry.services.records import person_remove
    from anju.subsidies.models import BankLayout, Batch, Item, Recovery
    from anju.subsidies.services.bankfiles import bankfile_export
    from anju.subsidies.services.batches import batch_create
    from anju.subsidies.services.reconcile import batch_reconcile
    from anju.subsidies.services.recoveries import recoveries_detect
    from anju.subsidies.services.returns import bank_return_import
    from anju.subsidies.services.workflow import batch_approve, batch_review

    this_year = dt.date.today().year
    if Batch.objects.exists() or not Verification.objects.filter(year=this_year - 1, state="locked").exists():
        return
    users, reviewers, approvers = _users()
    clerk, county_clerk = users["demo_city_clerk"], users["demo_county_clerk"]
    layout = BankLayout.objects.get(name="通用代发格式")
    paid = 0
    with tempfile.TemporaryDirectory(prefix="anju-demo-pay-") as tmp:
        def run(county: str, year: int, *, stop: str = "", fail_every: int = 0) -> Batch:
            creator = county_clerk if county == "429921" else clerk
            batch = batch_create(actor=creator, county_code=county, year=year)
            if stop == "draft":
                return batch
            batch = batch_review(actor=reviewers[county], batch=batch)
            batch = batch_approve(actor=approvers[county], batch=batch)
            bankfile_export(actor=creator, batch=batch, layout=layout, path=Path(tmp) / f"{batch.number}.xlsx")
            returned = Path(tmp) / f"{batch.number}-return.csv"
            _return_file(batch, returned, fail_every=fail_every)
            batch = bank_return_import(actor=creator, batch=Batch.objects.get(pk=batch.pk), source=returned, filename=returned.name,
                                       layout=layout).batch
            if stop != "returned":
                batch = batch_reconcile(actor=creator, batch=Batch.objects.get(pk=batch.pk))
            return batch

        for year in (this_year - 2, this_year - 1):
            for county, _name in COUNTIES:
                paid += run(county, year).totals.get("amount", 0)
        current = run("429921", this_year, stop="returned", fail_every=97)
        run(COUNTIES[1][0], this_year, stop="draft")
    # a death found by the police cross-check two years late: the months paid since become a recovery
    item = Item.objects.filter(batch__year=this_year - 2, batch__division_code="429921000000", state=Item.State.PAID,
                               months=12).order_by("id").first()
    if item is not None:
        enrolment = Enrolment.objects.get(pk=item.enrolment_id)
        person_remove(actor=county_clerk, enrolment=enrolment, cause="death", effective_on=dt.date(this_year - 2, 7, 1),
                      note="公安户籍比对：已于两年前去世，未及时申报")
        recoveries_detect(actor=county_clerk, scope_prefix="429921")
    failed = Item.objects.filter(batch=current, state=Item.State.FAILED).count()
    summary.notes.append("  " + _("直补发放：%(first)s—%(last)s 年 %(n)s 个县已发放并对账，共 %(yuan)s 元；%(year)s 年白云县批次已回盘，"
                                  "失败 %(failed)s 笔待补发；追缴 %(recoveries)s 笔")
                         % {"first": this_year - 2, "last": this_year - 1, "n": len(COUNTIES), "yuan": f"{paid / 100:,.2f}",
                            "year": this_year, "failed": failed, "recoveries": Recovery.objects.count()})
