"""Ledger test data (imported by the other ledger tests): two years of payments in 白云县 (429921) with a failure re-issued,
a failure still owed, a held item, project-support funds, a late removal to recover; and a provincial-fund batch in 429922."""

from __future__ import annotations

import datetime as dt

from anju.registry.models import Enrolment
from anju.registry.services.records import person_remove
from anju.subsidies.models import Batch, FundSource, Item, Recovery
from anju.subsidies.services.recoveries import recoveries_detect, repayment_record
from tests.registry.verification_data import villages

from .factories import make_batch, make_item, paying_household, roster


def enrolment(name: str) -> Enrolment:
    return Enrolment.objects.select_related("person", "household").get(person__name=name)


def two_years(people) -> dict:
    """2024: 张一 paid. 2025 (central): 张一 paid (then removed from 2025-07-01: 300 yuan to recover, 100 repaid), 张二 failed,
    李一 failed and re-issued in a supplementary batch (paid), 王一 held, 赵一 cancelled; project support 2 persons.
    429922 (provincial, 2025): 孙一 paid."""
    places = roster()
    b2024 = make_batch(year=2024, state=Batch.State.RECONCILED, totals={"project": {"persons": 2, "amount": 120000}})
    b2025 = make_batch(year=2025, state=Batch.State.RETURNED, totals={"project": {"persons": 2, "amount": 120000}})
    items = {
        "z2024": make_item(b2024, enrolment("张一"), state=Item.State.PAID, bank_ref="BR2024-1", paid_on=dt.date(2024, 12, 20)),
        "z2025": make_item(b2025, enrolment("张一"), state=Item.State.PAID, bank_ref="BR2025-1", paid_on=dt.date(2025, 12, 20)),
        "zhang2": make_item(b2025, enrolment("张二"), state=Item.State.FAILED, failure_reason="账户冻结"),
        "li1": make_item(b2025, enrolment("李一"), state=Item.State.REISSUED, failure_reason="户名不符"),
        "wang": make_item(b2025, enrolment("王一"), state=Item.State.HELD, exception=Item.Hold.SUSPENDED),
        "zhao": make_item(b2025, enrolment("赵一"), state=Item.State.CANCELLED),
    }
    supplement = make_batch(year=2025, kind=Batch.Kind.SUPPLEMENTARY, parent=b2025, state=Batch.State.RECONCILED)
    items["li1_again"] = make_item(supplement, enrolment("李一"), state=Item.State.PAID, reissue_of=items["li1"], bank_ref="BR2025-9")
    other_village = villages("429922")[0]
    paying_household("T001", ["孙一"], village=other_village)
    other = make_batch(county="429922000000", year=2025, state=Batch.State.RECONCILED, fund_source=FundSource.PROVINCIAL)
    items["sun"] = make_item(other, enrolment("孙一"), state=Item.State.PAID)
    person_remove(actor=people["clerk"], enrolment=enrolment("张一"), cause="death", effective_on=dt.date(2025, 7, 1))
    recoveries_detect()
    recovery = Recovery.objects.get(person__name="张一")
    repayment_record(actor=people["clerk"], recovery=recovery, amount=10000, paid_on=dt.date.today(), receipt="R-1")
    return {**places, "b2024": b2024, "b2025": b2025, "supplement": supplement, "other": other, "items": items, "recovery": recovery}


def test_the_data_holds_what_the_ledger_tests_expect(make_user):
    from .factories import actors

    data = two_years(actors(make_user))
    assert Item.objects.count() == 8 and Batch.objects.count() == 4
    assert (data["recovery"].year, data["recovery"].amount, data["recovery"].recovered) == (2025, 30000, 10000)
