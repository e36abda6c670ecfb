"""Creating a payment batch from the locked verification snapshot, set-based, and keeping its totals.

One regular batch per county and period (a database constraint); no person paid twice for the same months (database
triggers, migration 0002, plus the check here that names who was skipped and why). Items whose payment must wait —
suspended, suspected duplicate, no or invalid account, an account shared with another household — are created held,
listed as exceptions before approval, and never written to the bank file.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.bulk import allocate_ids, bulk_insert
from anju.core.crypto import decryptor
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.registry.models import Program
from anju.subsidies.banks import BankRules, bank_account_problem
from anju.subsidies.models import Batch, FundSource, Item
from anju.subsidies.months import period_bounds
from anju.subsidies.services.entitlements import (
    CountyPolicy,
    check_frequency,
    check_period,
    iter_entitlements,
    locked_snapshot,
    policy_documents,
    policy_table,
)

Progress = Callable[[int, str], None]

BATCH_TOTAL_KEYS = tuple(s for s, _label in Item.State.choices)

MSG_COUNTY = gettext_lazy("“%(code)s”不是您可以发放的县")
MSG_EXISTS = gettext_lazy("%(county)s %(period)s 已有发放批次 %(number)s，不能重复生成")
MSG_NO_SNAPSHOT = gettext_lazy("%(county)s %(year)s 年度核定名单尚未锁定：发放批次只能依据已锁定的核定名单生成")
MSG_FUND_SOURCE = gettext_lazy("资金来源无效")
MSG_EMPTY = gettext_lazy("%(county)s %(period)s 没有应发放的人员")
MSG_CONFLICT = gettext_lazy("生成批次时发现同一人员同一月份已在其他批次中发放，已取消本次生成，请刷新后重试")

ITEM_COLUMNS = ("id", "batch_id", "enrolment_id", "person_id", "household_number", "division_code", "name", "id_hash", "id_masked",
                "bank_name", "bank_account_enc", "bank_account_hash", "bank_account_masked", "year", "month_from", "month_to",
                "months", "amount", "state", "exception", "exception_note", "bank_ref", "failure_reason", "paid_on", "reissue_of_id")


def period_text(year: int, quarter: int) -> str:
    return _("%(year)s 年") % {"year": year} if not quarter else _("%(year)s 年第 %(q)s 季度") % {"year": year, "q": quarter}


def batch_number(county: str, year: int, quarter: int) -> str:
    return f"{county[:6]}-{year}-{'Y' if not quarter else f'Q{quarter}'}"


def _county(actor, county_code: str) -> Division:
    code = (county_code or "").strip()
    if not code.isdigit() or len(code) not in (6, 12):
        raise ValidationFailed(MSG_COUNTY % {"code": county_code}, code="batch_county")
    division = Division.objects.filter(code=full_code(code), level=Level.COUNTY).first()
    if division is None or not in_scope(actor, division.code, kind="entry"):
        raise NotFound(MSG_COUNTY % {"code": county_code})
    return division


def batch_create_check(*, actor, county_code: str, year: int, quarter: int = 0, fund_source: str = FundSource.CENTRAL) -> Division:
    """Everything batch_create refuses, checked up front (the web form runs it before submitting the job)."""
    require_perm(actor, Perm.SUBSIDY_RUN)
    check_period(year, quarter)
    county = _county(actor, county_code)
    if fund_source not in FundSource.values:
        raise ValidationFailed(MSG_FUND_SOURCE, code="batch_fund_source")
    check_frequency(CountyPolicy(policy_table(), county.code, year), quarter, county.name)
    existing = Batch.objects.filter(division_code=county.code, program=Program.RESERVOIR, year=year, quarter=quarter,
                                    kind=Batch.Kind.REGULAR).first()
    if existing is not None:
        raise Conflict(MSG_EXISTS % {"county": county.name, "period": period_text(year, quarter), "number": existing.number},
                       code="batch_exists")
    if locked_snapshot(county.code, year) is None:
        raise ValidationFailed(MSG_NO_SNAPSHOT % {"county": county.name, "year": year - 1}, code="no_snapshot")
    return county


_SHARED_SQL = """
SELECT bank_account_hash FROM registry_enrolment
WHERE program = %s AND division_code >= %s AND division_code < %s AND bank_account_hash <> ''
GROUP BY bank_account_hash HAVING COUNT(DISTINCT household_id) > 1
"""
_CLAIMED_SQL = """
SELECT i.enrolment_id, i.month_from, i.month_to FROM subsidies_item i
WHERE i.year = %s AND i.state IN ('pending', 'held', 'paid')
  AND i.enrolment_id IN (SELECT enrolment_id FROM registry_verificationentry WHERE verification_id = %s)
"""


def batch_create(*, actor, county_code: str, year: int, quarter: int = 0, fund_source: str = FundSource.CENTRAL, note: str = "",
                 progress: Progress | None = None) -> Batch:
    """Compute the county's entitlements for the period from last year's locked snapshot and store them as a draft batch.

    Set-based: the snapshot is read in one pass, items are written with COPY / executemany; no per-person save."""
    report = progress or (lambda p, m: None)
    county = batch_create_check(actor=actor, county_code=county_code, year=year, quarter=quarter, fund_source=fund_source)
    verification = locked_snapshot(county.code, year)
    report(2, _("读取政策与名单"))
    first, last = period_bounds(year, quarter)
    try:
        with transaction.atomic():
            table = policy_table()
            policy = CountyPolicy(table, county.code, year)
            batch = Batch.objects.create(
                number=batch_number(county.code, year, quarter), division_code=county.code, program=Program.RESERVOIR, year=year,
                quarter=quarter, kind=Batch.Kind.REGULAR, state=Batch.State.DRAFT, verification=verification, fund_source=fund_source,
                note=(note or "")[:300], created_by=actor, policy={**policy.trace(), "documents": policy_documents(county.code, timezone.localdate())})
            totals = _fill(batch, policy, verification, county, first, last, report)
            batch.totals = totals
            batch.save(update_fields=["totals"])
            batch_totals_refresh(batch)
            audit_record(actor=actor, action="subsidies.batch.created", object_type="batch", object_id=batch.pk,
                         division_code=batch.division_code,
                         after={"number": batch.number, "year": year, "quarter": quarter, "verification": verification.pk,
                                "persons": batch.totals["persons"], "amount": batch.totals["amount"], "held": batch.totals["held"],
                                "project": totals["project"], "already_paid": totals["already_paid"]})
    except IntegrityError as exc:
        if "already claimed" in str(exc) or "batch_one_regular" in str(exc) or "UNIQUE" in str(exc).upper():
            raise Conflict(MSG_CONFLICT, code="batch_conflict") from exc
        raise
    report(100, _("批次已生成：%(n)s 人") % {"n": batch.totals["persons"]})
    return batch


def _fill(batch: Batch, policy: CountyPolicy, verification, county: Division, first: int, last: int, report) -> dict:
    """Compute and insert the items; returns the totals that only creation knows (project funds, skipped persons)."""
    prefix = county.code[:6]
    with connection.cursor() as cur:
        cur.execute(_SHARED_SQL, [Program.RESERVOIR, prefix, prefix + ":"])
        shared = {h for (h,) in cur.fetchall()}
        cur.execute(_CLAIMED_SQL, [batch.year, verification.pk])
        claimed: dict[int, list[tuple[int, int]]] = {}
        for enrolment_id, m_from, m_to in cur.fetchall():
            claimed.setdefault(enrolment_id, []).append((m_from, m_to))
    total_persons = verification.counts.get("total") or 1
    rules = BankRules.load()
    decrypt = decryptor()
    counts: dict = {}
    project = {"persons": 0, "amount": 0}
    already_paid = 0
    pending: list[list] = []
    held, open_ = Item.State.HELD, Item.State.PENDING
    no_account, invalid, shared_hold = Item.Hold.NO_ACCOUNT.value, Item.Hold.BANK_INVALID.value, Item.Hold.SHARED_ACCOUNT.value

    def flush():
        if not pending:
            return
        ids = allocate_ids("subsidies_item", len(pending))
        for row, pk in zip(pending, ids, strict=True):
            row[0] = pk
        bulk_insert("subsidies_item", ITEM_COLUMNS, pending, native=True)  # ints, text and NULL only
        pending.clear()

    def on_progress(read, _message):
        report(5 + int(85 * read / total_persons), _("已计算 %(n)s 人") % {"n": read})

    year, batch_id = batch.year, batch.pk
    # row: enrolment_id, person_id, household_number, division_code, name, id_hash, id_masked, category, support_mode,
    #      direct, month_from, month_to, months, amount, hold, bank_name, enc, account_hash, masked
    for r in iter_entitlements(county_code=county.code, year=batch.year, quarter=batch.quarter, source="snapshot",
                               verification=verification, policy=policy, counts=counts, with_accounts=True, progress=on_progress):
        if not r[9]:
            project["persons"] += 1
            project["amount"] += r[13]
            continue
        if claimed and any(f <= r[11] and t >= r[10] for f, t in claimed.get(r[0], ())):
            already_paid += 1
            continue
        hold, note = r[14], ""
        enc = r[16]
        if not hold:
            if not enc:
                hold = no_account
            else:
                note = bank_account_problem(rules, r[15], decrypt(enc))
                if note:
                    hold = invalid
                elif r[17] in shared:
                    hold = shared_hold
        pending.append([0, batch_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[15], enc, r[17], r[18], year, r[10], r[11], r[12],
                        r[13], held if hold else open_, hold, note, "", "", None, None])
        if len(pending) >= 20000:
            flush()
    flush()
    report(95, _("汇总"))
    return {"project": project, "already_paid": already_paid, "read": counts.get("read", 0),
            "not_entitled": counts.get("not_entitled", 0), "no_move_date": counts.get("no_move_date", 0)}


def batch_totals_refresh(batch: Batch) -> dict:
    """Recompute the batch's counts and fen by state and hold from its items (keeps what only creation knows)."""
    by_state = {s: [0, 0] for s in BATCH_TOTAL_KEYS}
    for state, n, fen in Item.objects.filter(batch=batch).values("state").annotate(n=Count("id"), fen=Sum("amount")).values_list("state", "n", "fen"):
        by_state[state] = [n, int(fen or 0)]
    holds = dict(Item.objects.filter(batch=batch, state=Item.State.HELD).values("exception").annotate(n=Count("id"))
                 .values_list("exception", "n"))
    live = [s for s in BATCH_TOTAL_KEYS if s != Item.State.CANCELLED]
    totals = dict(batch.totals or {})
    totals.update({
        "by_state": by_state,
        "holds": holds,
        "persons": sum(by_state[s][0] for s in live),
        "amount": sum(by_state[s][1] for s in live),
        "held": by_state[Item.State.HELD][0],
    })
    totals.setdefault("project", {"persons": 0, "amount": 0})
    batch.totals = totals
    Batch.objects.filter(pk=batch.pk).update(totals=totals)
    return totals
