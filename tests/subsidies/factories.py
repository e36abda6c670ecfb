"""Subsidy test data: a county roster with valid bank cards, last year's locked snapshot, batches and items built
straight into the tables (the batch-creation tests prove the real path)."""

from __future__ import annotations

import datetime as dt
import itertools

from stdnum import luhn

from anju.core.crypto import blind_index, encrypt
from anju.core.masking import mask_bank_account
from anju.registry.models import Enrolment, Program
from anju.subsidies.models import Batch, Item
from tests.registry.factories import VILLAGE, make_household
from tests.registry.verification_data import COUNTY, COUNTY_CODE, actors, locked, other_township_villages

__all__ = ["COUNTY", "COUNTY_CODE", "VILLAGE", "actors", "card", "locked", "make_batch", "make_item", "paying_household", "roster"]

_cards = itertools.count(1)


def card() -> str:
    """A unique 19-digit UnionPay card number with a valid Luhn digit."""
    base = f"621700{next(_cards):012d}"
    return base + luhn.calc_check_digit(base)


def paying_household(number: str, names: list[str], *, village: str = VILLAGE, move_date: dt.date = dt.date(2008, 3, 15),
                     category: str = Enrolment.Category.ORIGINAL, support_mode: str = Enrolment.SupportMode.DIRECT,
                     accounts: list[str] | None = None, bank_name: str = "中国农业银行"):
    """A reservoir household enrolled since 2010 whose members each have their own card (or `accounts[i]`; "" for none)."""
    household = make_household(number, [(n, "户主" if i == 0 else "子") for i, n in enumerate(names)], village=village,
                               support_mode=support_mode)
    for i, enrolment in enumerate(Enrolment.objects.filter(household=household).order_by("id")):
        account = accounts[i] if accounts is not None else card()
        direct = support_mode == Enrolment.SupportMode.DIRECT
        start = dt.date(2006, 7, 1) if category == Enrolment.Category.CURRENT else move_date.replace(day=1)
        Enrolment.objects.filter(pk=enrolment.pk).update(
            move_date=move_date, category=category, support_start=start, support_end=start.replace(year=start.year + 20) - dt.timedelta(days=1),
            bank_name=bank_name if direct and account else "",
            bank_account_enc=encrypt(account) if direct and account else "",
            bank_account_hash=blind_index(account, kind="bank") if direct and account else "",
            bank_account_masked=mask_bank_account(account) if direct and account else "")
    return household


def roster() -> dict:
    """Four households in two townships: 张 (3, original, moved 2008-03), 李 (2, current, moved 2005), 王 (1), and 赵 (2, 项目扶持)."""
    v2, _v3 = other_township_villages()
    paying_household("S001", ["张一", "张二", "张三"])
    paying_household("S002", ["李一", "李二"], village=v2, move_date=dt.date(2005, 5, 1), category=Enrolment.Category.CURRENT)
    paying_household("S003", ["王一"])
    paying_household("S004", ["赵一", "赵二"], support_mode=Enrolment.SupportMode.PROJECT)
    return {"v1": VILLAGE, "v2": v2}


def make_batch(*, county: str = COUNTY_CODE, year: int = 2026, quarter: int = 0, state: str = Batch.State.DRAFT,
               kind: str = Batch.Kind.REGULAR, created_by=None, number: str = "", **kw) -> Batch:
    number = number or f"{county[:6]}-{year}-{'Y' if not quarter else f'Q{quarter}'}{'' if kind == Batch.Kind.REGULAR else '-B'}{next(_cards)}"
    return Batch.objects.create(number=number, division_code=county, program=Program.RESERVOIR, year=year, quarter=quarter,
                                kind=kind, state=state, created_by=created_by, **kw)


def make_item(batch: Batch, enrolment: Enrolment, *, month_from: int = 1, month_to: int = 12, amount: int | None = None,
              state: str = Item.State.PENDING, **kw) -> Item:
    """An item copying the enrolment's person and current account; amount defaults to 50 yuan a month."""
    person = enrolment.person
    months = month_to - month_from + 1
    return Item.objects.create(
        batch=batch, enrolment=enrolment, person=person, household_number=enrolment.household.number,
        division_code=enrolment.division_code, name=person.name, id_hash=person.id_hash, id_masked=person.id_masked,
        bank_name=enrolment.bank_name, bank_account_enc=enrolment.bank_account_enc, bank_account_hash=enrolment.bank_account_hash,
        bank_account_masked=enrolment.bank_account_masked, year=batch.year, month_from=month_from, month_to=month_to,
        months=months, amount=5000 * months if amount is None else amount, state=state, **kw)
