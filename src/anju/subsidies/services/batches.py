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
from anju.core.bulk import bulk_insert
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
    person_months,
    policy_documents,
    policy_table,
    status_periods,
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
            pending = totals.pop("_pending")
            batch.totals = totals
            batch_totals_refresh(batch, pending=pending)
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


# --- the set-based fill ----------------------------------------------------------------------------------------------
#
# Everyone whose status does not change during the year and who holds no item of the year yet gets the same result
# as everyone else of their (population category, first month of the support window): the engine computes that for
# every possible window start (a few hundred rows), and one INSERT … SELECT joins the snapshot to it. The others (a
# removal, suspension or duplicate flag in the year, or months already claimed) go through the engine row by row.
# Account checks need the plain account, so a second pass decrypts and checks every new item's account in Python and
# holds the failures.

_TEMP = ("anju_tmp_ent", "anju_tmp_special")


def _temp_table(cur, name: str, columns: str) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    suffix = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    cur.execute(f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}")


def _month_sql(column: str) -> str:
    """The month index (year × 12 + month − 1) of a date column, in the database's own dialect."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(YEAR FROM {column})::int * 12 + EXTRACT(MONTH FROM {column})::int - 1)"
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER) - 1)"


_FROM_SQL = """
FROM registry_verificationentry ve
JOIN registry_enrolment e ON e.id = ve.enrolment_id
JOIN anju_tmp_ent t ON t.is_current = {current} AND t.start_month = {start}
WHERE ve.verification_id = %s AND ve.enrolment_id NOT IN (SELECT enrolment_id FROM anju_tmp_special)
"""
_CURRENT_IDENTITY_SQL = """
UPDATE subsidies_item SET
    name = (SELECT p.name FROM registry_person p WHERE p.id = subsidies_item.person_id),
    id_hash = (SELECT p.id_hash FROM registry_person p WHERE p.id = subsidies_item.person_id),
    id_masked = (SELECT p.id_masked FROM registry_person p WHERE p.id = subsidies_item.person_id)
WHERE batch_id = %s AND year = %s AND person_id IN ({ids})
"""
def _fill(batch: Batch, policy: CountyPolicy, verification, county: Division, first: int, last: int, report) -> dict:
    """Compute and insert the items; returns the totals that only creation knows (project funds, skipped persons)."""
    year = batch.year
    direct = sorted(policy.direct_modes) or ["-"]
    with connection.cursor() as cur:
        _temp_table(cur, "anju_tmp_ent", "is_current INTEGER NOT NULL, start_month INTEGER NOT NULL, months INTEGER NOT NULL, "
                                         "month_from INTEGER NOT NULL, month_to INTEGER NOT NULL, amount BIGINT NOT NULL, "
                                         "PRIMARY KEY (is_current, start_month)")
        outcomes = []
        for current, start in [(1, -1)] + [(0, s) for s in range((year - 80) * 12, last + 1)]:
            months, m_from, m_to, amount, _hold = person_months(policy=policy, current=bool(current), start=start, first=first, last=last,
                                                                periods=None, default_status="active")
            if months:
                outcomes.append((current, start, months, m_from, m_to, amount))
        cur.executemany("INSERT INTO anju_tmp_ent (is_current, start_month, months, month_from, month_to, amount) VALUES (%s, %s, %s, %s, %s, %s)",
                        outcomes)
        _temp_table(cur, "anju_tmp_special", "enrolment_id BIGINT PRIMARY KEY")
        periods = status_periods(county_code=county.code, year=year, quarter=batch.quarter, verification=verification)
        special = set(periods)
        cur.execute(_CLAIMED_SQL, [year, verification.pk])
        claimed: dict[int, list[tuple[int, int]]] = {}
        for enrolment_id, m_from, m_to in cur.fetchall():
            claimed.setdefault(enrolment_id, []).append((m_from, m_to))
        special |= set(claimed)
        cur.executemany("INSERT INTO anju_tmp_special (enrolment_id) VALUES (%s)", [(i,) for i in special])
        cur.execute("ANALYZE anju_tmp_ent" if connection.vendor == "postgresql" else "SELECT 1")
    report(10, _("写入发放明细"))

    mv = "COALESCE(ve.move_date, e.move_date)"
    current = f"(CASE WHEN ve.category = 'current' OR (ve.category = '' AND {mv} <= %s) THEN 1 ELSE 0 END)"
    start = f"(CASE WHEN ve.category = 'current' OR (ve.category = '' AND {mv} <= %s) THEN -1 ELSE {_month_sql(mv)} END)"
    from_sql = _FROM_SQL.format(current=current, start=start)
    marks = ", ".join(["%s"] * len(direct))
    cutoff = policy.cutoff.isoformat() if connection.vendor == "sqlite" else policy.cutoff
    insert = f"""
INSERT INTO subsidies_item (batch_id, enrolment_id, person_id, household_number, division_code, name, id_hash, id_masked, bank_name,
    bank_account_enc, bank_account_hash, bank_account_masked, year, month_from, month_to, months, amount, state, exception,
    exception_note, bank_ref, failure_reason, paid_on, reissue_of_id)
SELECT %s, ve.enrolment_id, ve.person_id, ve.household_number, ve.division_code, ve.name, ve.id_hash, ve.id_masked, e.bank_name,
    e.bank_account_enc, e.bank_account_hash, e.bank_account_masked, %s, t.month_from, t.month_to, t.months, t.amount,
    CASE WHEN e.bank_account_enc = '' THEN 'held' ELSE 'pending' END,
    CASE WHEN e.bank_account_enc = '' THEN 'no_account' ELSE '' END,
    '', '', '', NULL, NULL
{from_sql} AND ve.support_mode IN ({marks})
"""
    with connection.cursor() as cur:
        cur.execute(insert, [batch.pk, year, cutoff, cutoff, verification.pk, *direct])
        bulk_items = cur.rowcount
        # the snapshot's copy of the name and ID spares a million person lookups; the bank needs today's, so the persons
        # corrected since the snapshot was taken get theirs
        cur.execute("SELECT id FROM registry_person WHERE updated_at >= %s", [connection.ops.adapt_datetimefield_value(verification.created_at)])
        changed = [r[0] for r in cur.fetchall()]
        for part in range(0, len(changed), 500):
            ids = changed[part:part + 500]
            cur.execute(_CURRENT_IDENTITY_SQL.format(ids=", ".join(["%s"] * len(ids))), [batch.pk, year, *ids])
        cur.execute(f"SELECT COUNT(*), COALESCE(SUM(t.amount), 0) {from_sql} AND ve.support_mode NOT IN ({marks})",
                    [cutoff, cutoff, verification.pk, *direct])
        project_n, project_fen = cur.fetchone()
    report(50, _("逐人计算状态有变化的人员"))

    # the persons the shared result does not fit, one by one (the same engine)
    project = {"persons": int(project_n), "amount": int(project_fen)}
    already_paid = 0
    counts: dict = {}
    rows = []
    held, open_ = Item.State.HELD, Item.State.PENDING
    for r in iter_entitlements(county_code=county.code, year=year, quarter=batch.quarter, source="snapshot", verification=verification,
                               policy=policy, counts=counts, with_accounts=True, only_table="anju_tmp_special", periods=periods):
        if not r[9]:
            project["persons"] += 1
            project["amount"] += r[13]
            continue
        if any(f <= r[11] and t >= r[10] for f, t in claimed.get(r[0], ())):
            already_paid += 1
            continue
        hold = r[14] or (Item.Hold.NO_ACCOUNT.value if not r[16] else "")
        rows.append((batch.pk, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[15], r[16], r[17], r[18], year, r[10], r[11], r[12], r[13],
                     held if hold else open_, hold, "", "", "", None, None))
    bulk_insert("subsidies_item", ITEM_COLUMNS[1:], rows, native=True)  # ints, text and NULL only
    report(60, _("核验银行账号"))
    invalid, pending = _check_accounts(batch)
    with connection.cursor() as cur:
        for name in _TEMP:
            cur.execute(f"DROP TABLE IF EXISTS {name}")
    items = bulk_items + len(rows)
    report(95, _("汇总"))
    return {"project": project, "already_paid": already_paid, "read": verification.counts.get("total", 0),
            "not_entitled": max(0, verification.counts.get("total", 0) - items - project["persons"] - already_paid),
            "bank_invalid": invalid, "_pending": pending}


def _check_accounts(batch: Batch) -> tuple[int, tuple[int, int]]:
    """Decrypt and check the account of every item that would be paid, and find accounts shared by two households of
    the batch; hold the failures with the reason. Returns how many were held and the (count, fen) left pending.

    Accounts are compared by the first 64 bits of their blind index (a million of them fit in a small dictionary); the
    few candidates are confirmed on the full index."""
    rules = BankRules.load()
    decrypt = decryptor()
    failures: dict[int, tuple] = {}
    failed_fen: dict[int, int] = {}
    pending_n = pending_fen = 0
    first_household: dict[int, int] = {}
    shared_keys: set[str] = set()
    with connection.cursor() as cur:
        cur.execute("SELECT id, bank_name, bank_account_enc, bank_account_hash, household_number, amount FROM subsidies_item "
                    "WHERE batch_id = %s AND state = 'pending'", [batch.pk])
        while True:
            chunk = cur.fetchmany(50000)
            if not chunk:
                break
            for pk, bank_name, enc, account_hash, household, amount in chunk:
                pending_n += 1
                pending_fen += amount
                problem = bank_account_problem(rules, bank_name, decrypt(enc))
                if problem:
                    failures[pk] = (Item.State.HELD, Item.Hold.BANK_INVALID, problem[:300], pk)
                    failed_fen[pk] = amount
                key = account_hash[:16]
                seen = first_household.setdefault(int(key, 16), hash(household))
                if seen != hash(household):
                    shared_keys.add(key)
        if shared_keys:
            households: dict[str, set[str]] = {}
            pending = []
            for part in range(0, len(shared_keys), 500):
                keys = sorted(shared_keys)[part:part + 500]
                cur.execute("SELECT id, bank_account_hash, household_number, amount FROM subsidies_item WHERE batch_id = %s AND state = 'pending' "
                            f"AND substr(bank_account_hash, 1, 16) IN ({', '.join(['%s'] * len(keys))})", [batch.pk, *keys])
                for pk, account_hash, household, amount in cur.fetchall():
                    households.setdefault(account_hash, set()).add(household)
                    pending.append((pk, account_hash, amount))
            for pk, account_hash, amount in pending:
                if len(households[account_hash]) > 1 and pk not in failures:
                    failures[pk] = (Item.State.HELD, Item.Hold.SHARED_ACCOUNT, "", pk)
                    failed_fen[pk] = amount
    with connection.cursor() as cur:
        cur.executemany("UPDATE subsidies_item SET state = %s, exception = %s, exception_note = %s WHERE id = %s", list(failures.values()))
    return len(failures), (pending_n - len(failures), pending_fen - sum(failed_fen.values()))


def batch_totals_refresh(batch: Batch, *, pending: tuple[int, int] | None = None) -> dict:
    """Recompute the batch's counts and fen by state and hold from its items (keeps what only creation knows).

    `pending` (count, fen), when the caller has just summed the pending items itself, spares reading them again."""
    by_state = {s: [0, 0] for s in BATCH_TOTAL_KEYS}
    items = Item.objects.filter(batch=batch)
    if pending is not None:
        items = items.filter(state__in=[s for s in BATCH_TOTAL_KEYS if s != Item.State.PENDING])
        by_state[Item.State.PENDING] = [pending[0], pending[1]]
    for state, n, fen in items.values("state").annotate(n=Count("id"), fen=Sum("amount")).values_list("state", "n", "fen"):
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
