"""Annual verification (年度核定): the roster of one program in one county as of 12-31 24:00, its diff against last
year's locked snapshot, counts by township and village, county then city sign-off, the lock, and the audited exports."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.registry.models import (
    ChangeRequest,
    Enrolment,
    EnrolmentStatus,
    History,
    Program,
    RemovalCause,
    Status,
    Verification,
)

Progress = Callable[[int, str], None]

MSG_PROGRAM = gettext_lazy("项目类别应为 reservoir（水库移民后期扶持）或 relocation（易地扶贫搬迁后续扶持）")
MSG_YEAR = gettext_lazy("核定年度应在 2006 年至 %(last)s 年之间（只能核定已结束的年度）")
MSG_COUNTY = gettext_lazy("“%(code)s”不是县级区划代码（应为 6 位或 12 位县级代码）")
MSG_NOT_DRAFT = gettext_lazy("该年度核定已经县级确认或已锁定，不能重新生成；如需修改，请由市级退回后再生成")
MSG_PREVIOUS_NOT_LOCKED = gettext_lazy("上一年度（%(year)s 年）核定尚未锁定，请先完成上年度的县级、市级确认")
MSG_SIGN_COUNTY_STATE = gettext_lazy("只有“待县级确认”的核定可以县级确认")
MSG_SIGN_CITY_STATE = gettext_lazy("只有“待市级确认”的核定可以市级确认")
MSG_REOPEN_STATE = gettext_lazy("只有“待市级确认”的核定可以退回；已锁定的核定不能更改")
MSG_COUNTY_LEVEL = gettext_lazy("县级确认须由本县的县级审核人员进行")
MSG_CITY_LEVEL = gettext_lazy("市级确认和退回须由市级人员进行")
MSG_REASON_REQUIRED = gettext_lazy("请填写退回理由")
MSG_CONCURRENT = gettext_lazy("该县本年度的核定正在由他人生成，请稍后刷新查看")
MSG_NO_PII = gettext_lazy("您的角色不能导出完整身份证号")

FIRST_YEAR = 2006  # the post-support policy (国发〔2006〕17号) starts in 2006

# Compared fields of the 变更 diff, with the entry columns that carry them (in SQL) and their labels.
COMPARED = {
    "name": gettext_lazy("姓名"),
    "id": gettext_lazy("身份证号"),
    "household": gettext_lazy("户编号"),
    "village": gettext_lazy("所在村"),
    "category": gettext_lazy("人口类别"),
    "support_mode": gettext_lazy("扶持方式"),
    "bank_account": gettext_lazy("银行账号"),
    "support_end": gettext_lazy("扶持截止"),
}

# Reason codes of 新增 and 核减 rows (the change's `detail["code"]`); RemovalCause values are reasons too.
REASONS = {
    "enrolled": gettext_lazy("新纳入"),
    "restored": gettext_lazy("恢复在册"),
    "moved_in": gettext_lazy("迁入本县"),
    "moved_out": gettext_lazy("迁出本县"),
    "suspended": gettext_lazy("暂停扶持"),
    "duplicate": gettext_lazy("疑似重复"),
    "not_enrolled": gettext_lazy("不在册"),
    "removed": gettext_lazy("核减"),
    **{f"request:{k}": label for k, label in ChangeRequest.Kind.choices},
    **dict(RemovalCause.choices),
}


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


# --- sign-off and state ----------------------------------------------------------------------------------------

def _entry_level(actor) -> int | None:
    return actor.entry_scope.level if getattr(actor, "entry_scope_id", None) else None


def _lock(verification: Verification, actor) -> Verification:
    """Re-read the row for update and check the actor's entry scope covers its county (else NotFound)."""
    if not in_scope(actor, verification.division_code, kind="entry"):
        raise NotFound()
    return Verification.objects.select_for_update().get(pk=verification.pk)


def verification_sign_county(*, actor, verification: Verification) -> Verification:
    """县级确认: a county-level signer of the county moves a draft to county_signed."""
    require_perm(actor, Perm.VERIFICATION_SIGN)
    with transaction.atomic():
        v = _lock(verification, actor)
        if v.state != Verification.State.DRAFT:
            raise Conflict(MSG_SIGN_COUNTY_STATE, code="verification_state")
        if _entry_level(actor) != Level.COUNTY:
            raise PermissionDenied(MSG_COUNTY_LEVEL, code="verification_level")
        v.state, v.county_signed_by, v.county_signed_at = Verification.State.COUNTY_SIGNED, actor, timezone.now()
        v.save(update_fields=["state", "county_signed_by", "county_signed_at"])
        audit_record(actor=actor, action="registry.verification.county_signed", object_type="verification", object_id=v.pk,
                     division_code=v.division_code, before={"state": Verification.State.DRAFT},
                     after={"state": v.state, "year": v.year, "program": v.program, "total": v.counts.get("total")})
    return v


def verification_sign_city(*, actor, verification: Verification) -> Verification:
    """市级确认: a city-level signer locks a county-signed verification; it never changes again."""
    require_perm(actor, Perm.VERIFICATION_SIGN)
    with transaction.atomic():
        v = _lock(verification, actor)
        if v.state != Verification.State.COUNTY_SIGNED:
            raise Conflict(MSG_SIGN_CITY_STATE, code="verification_state")
        if _entry_level(actor) != Level.CITY:
            raise PermissionDenied(MSG_CITY_LEVEL, code="verification_level")
        v.state, v.city_signed_by, v.city_signed_at = Verification.State.LOCKED, actor, timezone.now()
        v.save(update_fields=["state", "city_signed_by", "city_signed_at"])
        audit_record(actor=actor, action="registry.verification.locked", object_type="verification", object_id=v.pk,
                     division_code=v.division_code, before={"state": Verification.State.COUNTY_SIGNED},
                     after={"state": v.state, "year": v.year, "program": v.program, "total": v.counts.get("total")})
    return v


def verification_reopen(*, actor, verification: Verification, reason: str) -> Verification:
    """市级退回: send a county-signed verification back to draft with a reason (the county may then re-run it)."""
    require_perm(actor, Perm.VERIFICATION_SIGN)
    reason = (reason or "").strip()
    with transaction.atomic():
        v = _lock(verification, actor)
        if v.state != Verification.State.COUNTY_SIGNED:
            raise Conflict(MSG_REOPEN_STATE, code="verification_state")
        if _entry_level(actor) != Level.CITY:
            raise PermissionDenied(MSG_CITY_LEVEL, code="verification_level")
        if not reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        before = {"state": v.state, "county_signed_by": v.county_signed_by_id}
        v.state, v.county_signed_by, v.county_signed_at = Verification.State.DRAFT, None, None
        v.counts = {**v.counts, "reopened": {"reason": reason[:300], "by": actor.get_username(), "at": timezone.now().isoformat()}}
        v.save(update_fields=["state", "county_signed_by", "county_signed_at", "counts"])
        audit_record(actor=actor, action="registry.verification.reopened", object_type="verification", object_id=v.pk,
                     division_code=v.division_code, before=before, after={"state": v.state, "reason": reason[:300]})
    return v


# --- run: snapshot, diff, counts -------------------------------------------------------------------------------

def _county(county_code: str) -> Division:
    try:
        code = full_code(str(county_code))
    except ValueError:
        code = ""
    division = Division.objects.filter(code=code, level=Level.COUNTY).first() if code else None
    if division is None:
        raise ValidationFailed(MSG_COUNTY % {"code": county_code}, code="county_invalid", detail={"field": "county"})
    return division


def _check_run_input(year: int, program: str) -> None:
    if program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM, code="program_invalid", detail={"field": "program"})
    last = timezone.localdate().year - 1
    if not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise ValidationFailed(MSG_YEAR % {"last": last}, code="year_invalid", detail={"field": "year"})


def _check_run(actor, year: int, program: str, county_code: str) -> Division:
    require_perm(actor, Perm.VERIFICATION_RUN)
    _check_run_input(year, program)
    county = _county(county_code)
    if not in_scope(actor, county.code, kind="entry"):
        raise NotFound()
    return county


def _run_state(year: int, program: str, county: Division, *, lock: bool) -> tuple[Verification | None, Verification | None]:
    """(last year's locked verification or None, this year's draft or None); Conflict when either blocks a run."""
    last = Verification.objects.filter(year=year - 1, program=program, division_code=county.code).first()
    if last is not None and last.state != Verification.State.LOCKED:
        raise Conflict(MSG_PREVIOUS_NOT_LOCKED % {"year": year - 1}, code="previous_not_locked")
    qs = Verification.objects.select_for_update() if lock else Verification.objects
    v = qs.filter(year=year, program=program, division_code=county.code).first()
    if v is not None and v.state != Verification.State.DRAFT:
        raise Conflict(MSG_NOT_DRAFT, code="verification_not_draft")
    return last, v


def verification_run_check(*, actor, year: int, program: str, county_code: str) -> Division:
    """Every check of verification_run, without running it (the web form and the API answer before queueing the job)."""
    county = _check_run(actor, year, program, county_code)
    _run_state(year, program, county, lock=False)
    return county


def verification_run(*, actor, year: int, program: str, county_code: str, progress: Progress | None = None) -> Verification:
    """Build (or rebuild, while a draft) the verification of `program` in a county as of year-12-31 24:00.

    The roster is every enrolment whose status period covering the end of 31 December is 在册, in the household it
    belonged to at that instant; it is copied set-based (INSERT … SELECT) so later changes never alter it.
    """
    county = _check_run(actor, year, program, county_code)
    report = progress or (lambda percent, message="": None)
    as_of = dt.date(year, 12, 31)
    with transaction.atomic():
        last, v = _run_state(year, program, county, lock=True)
        rerun = v is not None
        if v is None:
            try:
                with transaction.atomic():
                    v = Verification.objects.create(year=year, program=program, division_code=county.code, as_of=as_of,
                                                    previous=last, created_by=actor)
            except IntegrityError:  # another run of the same county and year got there first
                raise Conflict(MSG_CONCURRENT, code="verification_running") from None
        else:
            report(2, _("清除上次生成的名单"))
            with connection.cursor() as cur:
                cur.execute("DELETE FROM registry_verificationchange WHERE verification_id = %s", [v.pk])
                cur.execute("DELETE FROM registry_verificationentry WHERE verification_id = %s", [v.pk])
            v.previous, v.as_of, v.created_by, v.created_at = last, as_of, actor, timezone.now()
        report(5, _("生成 %(date)s 24 时在册名单") % {"date": as_of.isoformat()})
        total = _snapshot(v, county.prefix)
        report(60, _("在册 %(n)s 人；与上年锁定名单比对") % {"n": total})
        changes = _diff(v, last) if last is not None else []
        report(85, _("统计各乡镇、村人数"))
        reopened = (v.counts or {}).get("reopened")  # why the city sent it back stays on the page after the re-run
        v.counts = {**_counts(v, last, changes), **({"reopened": reopened} if reopened else {})}
        v.save(update_fields=["previous", "as_of", "created_by", "created_at", "counts"])
        audit_record(actor=actor, action="registry.verification.rerun" if rerun else "registry.verification.run",
                     object_type="verification", object_id=v.pk, division_code=v.division_code,
                     after={"year": year, "program": program, "total": total, "previous": last.pk if last else None,
                            **{k: v.counts[k] for k in ("added", "removed", "changed")}})
    report(100, _("核定名单已生成：在册 %(n)s 人") % {"n": total})
    return v


SNAPSHOT_SQL = """
INSERT INTO registry_verificationentry (verification_id, enrolment_id, person_id, household_id, household_number, division_code,
    name, id_hash, id_masked, gender, birth_date, relation, category, support_mode, support_end, move_date, bank_account_hash, digest)
SELECT %s, e.id, e.person_id, h.id, h.number, h.division_code, p.name, p.id_hash, p.id_masked, p.gender, p.birth_date,
    COALESCE(m.relation, ''), e.category, e.support_mode, e.support_end, e.move_date, e.bank_account_hash, ''
FROM registry_enrolment e
JOIN registry_enrolmentstatus s ON s.enrolment_id = e.id
JOIN registry_person p ON p.id = e.person_id
LEFT JOIN registry_membership m ON m.person_id = e.person_id AND m.valid_from <= %s AND (m.valid_to IS NULL OR m.valid_to > %s)
JOIN registry_household h ON h.id = COALESCE(m.household_id, e.household_id)
WHERE e.program = %s AND s.status = %s AND s.valid_from <= %s AND (s.valid_to IS NULL OR s.valid_to > %s)
  AND h.division_code >= %s AND h.division_code < %s
"""


def _snapshot(v: Verification, county_prefix: str) -> int:
    """Copy the roster as of the end of `v.as_of` into entries; trusts the caller's checks. Returns the row count.

    Intervals are half-open [valid_from, valid_to): a period or membership counts when it started on or before
    31 December and ends after it, so a removal effective 1 January next year is still on this year's roster.
    The village is the household's at that instant (membership as of the date, else the enrolment's household).
    """
    d = v.as_of
    with connection.cursor() as cur:
        cur.execute(SNAPSHOT_SQL, [v.pk, d, d, v.program, Status.ACTIVE, d, d, county_prefix, county_prefix + ":"])
        total = cur.rowcount
        if connection.vendor == "postgresql":
            # The table has just grown by up to a million rows that autovacuum has not seen: without fresh statistics
            # the planner takes them for a handful and compares the two snapshots with a million index probes.
            cur.execute("ANALYZE registry_verificationentry")
        return total


# The diff is field by field in SQL, joined on enrolment_id: only rows that are new or differ come back to Python
# (no digest is needed, so a snapshot written by any code compares correctly). Two passes over the snapshots:
# this year's rows against last year's (新增 and 变更), last year's against this year's (核减).
CURRENT_SIDE_SQL = """
SELECT c.enrolment_id, c.person_id, c.division_code, c.name, c.id_masked, p.id,
    p.name, p.id_hash, p.id_masked, p.household_id, p.household_number, p.division_code, p.category, p.support_mode,
    p.bank_account_hash, p.support_end,
    c.id_hash, c.household_id, c.household_number, c.category, c.support_mode, c.bank_account_hash, c.support_end
FROM registry_verificationentry c
LEFT JOIN registry_verificationentry p ON p.verification_id = %s AND p.enrolment_id = c.enrolment_id
WHERE c.verification_id = %s AND (p.id IS NULL OR c.name <> p.name OR c.id_hash <> p.id_hash OR c.household_id <> p.household_id
    OR c.household_number <> p.household_number OR c.division_code <> p.division_code OR c.category <> p.category
    OR c.support_mode <> p.support_mode OR c.bank_account_hash <> p.bank_account_hash
    OR COALESCE(c.support_end, %s) <> COALESCE(p.support_end, %s))
"""

REMOVED_SQL = """
SELECT p.enrolment_id, p.person_id, p.division_code, p.name, p.id_masked
FROM registry_verificationentry p
LEFT JOIN registry_verificationentry c ON c.verification_id = %s AND c.enrolment_id = p.enrolment_id
WHERE p.verification_id = %s AND c.id IS NULL
"""

_NO_DATE = dt.date(1, 1, 1)
CHANGE_COLUMNS = ["verification_id", "kind", "enrolment_id", "division_code", "name", "id_masked", "reason", "request_id", "detail"]


@dataclass(slots=True)
class _Change:
    kind: str
    enrolment_id: int
    person_id: int
    division_code: str
    name: str
    id_masked: str
    detail: dict
    request_id: int | None = None
    reason: str = ""


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else (str(value) if value else "")


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _changed_fields(row) -> list[dict]:
    (name, id_masked, p_name, p_id_hash, p_id_masked, p_household_id, p_household_number, p_village, p_category, p_mode, p_bank, p_end,
     c_id_hash, c_household_id, c_household_number, c_category, c_mode, c_bank, c_end, village) = row
    fields = []
    if name != p_name:
        fields.append({"field": "name", "old": p_name, "new": name})
    if c_id_hash != p_id_hash:
        fields.append({"field": "id", "old": p_id_masked, "new": id_masked})
    if c_household_id != p_household_id or c_household_number != p_household_number:
        fields.append({"field": "household", "old": p_household_number, "new": c_household_number})
    if village != p_village:
        fields.append({"field": "village", "old": p_village, "new": village})
    if c_category != p_category:
        fields.append({"field": "category", "old": p_category, "new": c_category})
    if c_mode != p_mode:
        fields.append({"field": "support_mode", "old": p_mode, "new": c_mode})
    if c_bank != p_bank:
        fields.append({"field": "bank_account"})  # only blind indexes are compared: say that it changed, nothing more
    if _as_date(c_end) != _as_date(p_end):
        fields.append({"field": "support_end", "old": _iso(_as_date(p_end)), "new": _iso(_as_date(c_end))})
    return fields


def _chunk() -> int:
    """Ids per IN (...) lookup: few round trips, within the backend's parameter limit (999 for Django's SQLite)."""
    return min(2000, (connection.features.max_query_params or 2000) - 9)


def _periods_at(enrolment_ids: list[int], on: dt.date) -> dict[int, tuple]:
    """The status period covering the end of `on` of each enrolment: (status, cause, request_id, note, valid_from)."""
    found: dict[int, tuple] = {}
    for start in range(0, len(enrolment_ids), chunk := _chunk()):
        rows = (EnrolmentStatus.objects.filter(enrolment_id__in=enrolment_ids[start:start + chunk], valid_from__lte=on)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
                .values_list("enrolment_id", "status", "cause", "request_id", "note", "valid_from"))
        for enrolment_id, *period in rows:
            found[enrolment_id] = tuple(period)
    return found


def _enrolled_on(enrolment_ids: list[int]) -> dict[int, dt.date]:
    found: dict[int, dt.date] = {}
    for start in range(0, len(enrolment_ids), chunk := _chunk()):
        found.update(Enrolment.objects.filter(pk__in=enrolment_ids[start:start + chunk]).values_list("pk", "enrolled_on"))
    return found


def _diff(v: Verification, previous: Verification) -> list[_Change]:
    """新增 / 核减 / 变更 against last year's locked snapshot, written in bulk; returns the change rows."""
    since, until = previous.as_of, v.as_of
    added, removed, changed = [], [], []
    with connection.cursor() as cur:
        cur.execute(CURRENT_SIDE_SQL, [previous.pk, v.pk, _NO_DATE, _NO_DATE])
        for row in cur.fetchall():
            enrolment_id, person_id, village, name, id_masked, previous_id = row[:6]
            if previous_id is None:
                added.append(_Change("added", enrolment_id, person_id, village, name, id_masked, {}))
                continue
            fields = _changed_fields((name, id_masked, *row[6:], village))
            if fields:
                changed.append(_Change("changed", enrolment_id, person_id, village, name, id_masked, {"fields": fields, "code": "changed"}))
        cur.execute(REMOVED_SQL, [v.pk, previous.pk])
        removed = [_Change("removed", *row, {}) for row in cur.fetchall()]

    periods = _periods_at([c.enrolment_id for c in added + removed], until)
    enrolled = _enrolled_on([c.enrolment_id for c in added])
    for c in added:
        status, _cause, request_id, note, valid_from = periods.get(c.enrolment_id, ("", "", None, "", None))
        if _as_date(enrolled.get(c.enrolment_id)) > since:
            code = "enrolled"
        elif valid_from is not None and _as_date(valid_from) > since:
            code = "restored"
        else:
            code = "moved_in"
        c.request_id, c.detail = request_id, {"code": code, **({"note": note} if note else {})}
    for c in removed:
        status, cause, request_id, note, _from = periods.get(c.enrolment_id, ("", "", None, "", None))
        if status == Status.REMOVED:
            code = cause or "removed"
        elif status in (Status.SUSPENDED, Status.DUPLICATE):
            code = status
        elif status == Status.ACTIVE:
            code = "moved_out"
        else:
            code = "not_enrolled"
        c.request_id = request_id
        c.detail = {"code": code, **({"status": status} if status else {}), **({"cause": cause} if cause else {}), **({"note": note} if note else {})}

    changes = added + removed + changed
    _requests_from_history([c for c in changes if c.request_id is None], since, until)
    kinds = dict(ChangeRequest.objects.filter(pk__in={c.request_id for c in added if c.request_id}).values_list("pk", "kind"))
    with translation.override("zh-hans"):
        for c in changes:
            if c.kind == "changed":
                c.reason = _("%(fields)s变更") % {"fields": join_list(COMPARED[f["field"]] for f in c.detail["fields"])}
            else:
                if c.kind == "added" and c.request_id in kinds:
                    c.detail["code"] = f"request:{kinds[c.request_id]}"
                c.reason = reason_label(c.detail["code"])
            c.reason = c.reason[:300]
    write_rows("registry_verificationchange", CHANGE_COLUMNS, [
        (v.pk, c.kind, c.enrolment_id, c.division_code, c.name, c.id_masked, c.reason, c.request_id,
         json.dumps(c.detail, ensure_ascii=False)) for c in changes])
    return changes


def write_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows set-based: COPY on PostgreSQL, executemany on SQLite (the portable twin)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _requests_from_history(rows: list[_Change], since: dt.date, until: dt.date) -> None:
    """Fill the change request of rows whose status period names none, from the person's history in the year."""
    needs: dict[int, list[_Change]] = defaultdict(list)
    for c in rows:
        needs[c.person_id].append(c)
    ids = list(needs)
    for start in range(0, len(ids), chunk := _chunk()):
        found = (History.objects.filter(person_id__in=ids[start:start + chunk], request__isnull=False, effective_on__gt=since,
                                        effective_on__lte=until)
                 .order_by("effective_on", "id").values_list("person_id", "request_id"))
        for person_id, request_id in dict(found).items():  # the last one in the year wins
            for c in needs[person_id]:
                c.request_id = request_id


def _counts(v: Verification, previous: Verification | None, changes: list[_Change]) -> dict[str, Any]:
    """Totals, per village and per township (上年 + 新增 − 核减 + 迁入 − 迁出 = 本年), by reason, by category and mode."""
    keys = ("previous", "added", "removed", "moved_in", "moved_out", "changed", "current")
    villages: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    categories, modes = Counter(), Counter()
    with connection.cursor() as cur:
        cur.execute("SELECT division_code, category, support_mode, COUNT(*) FROM registry_verificationentry WHERE verification_id = %s "
                    "GROUP BY division_code, category, support_mode", [v.pk])
        for code, category, mode, n in cur.fetchall():
            villages[code]["current"] += n
            categories[category or ""] += n
            modes[mode or ""] += n
        if previous is not None:
            # A locked snapshot never changes, so its own per-village counts are last year's figures.
            known = (previous.counts or {}).get("villages")
            if known:
                rows = [(code, row["current"]) for code, row in known.items() if row.get("current")]
            else:
                cur.execute("SELECT division_code, COUNT(*) FROM registry_verificationentry WHERE verification_id = %s "
                            "GROUP BY division_code", [previous.pk])
                rows = cur.fetchall()
            for code, n in rows:
                villages[code]["previous"] = n
        cur.execute("SELECT COUNT(DISTINCT household_id) FROM registry_verificationentry WHERE verification_id = %s", [v.pk])
        households = cur.fetchone()[0]
    reasons: dict[str, Counter] = {"added": Counter(), "removed": Counter()}
    fields: Counter = Counter()
    for c in changes:
        villages[c.division_code][c.kind] += 1
        if c.kind == "changed":
            for f in c.detail["fields"]:
                fields[f["field"]] += 1
                if f["field"] == "village":  # moved between villages of the county: out of the old, into the new
                    villages[f["old"]]["moved_out"] += 1
                    villages[f["new"]]["moved_in"] += 1
        else:
            reasons[c.kind][c.detail["code"]] += 1
    townships: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for code, row in villages.items():
        t = townships[code[:9].ljust(12, "0")]
        for k in keys:
            t[k] += row[k]
    kind_totals = Counter(c.kind for c in changes)
    total = sum(row["current"] for row in villages.values())
    return {
        "total": total, "households": households,
        "previous_total": sum(row["previous"] for row in villages.values()) if previous is not None else None,
        "added": kind_totals["added"], "removed": kind_totals["removed"], "changed": kind_totals["changed"],
        "villages": dict(sorted(villages.items())), "townships": dict(sorted(townships.items())),
        "reasons": {k: dict(c.most_common()) for k, c in reasons.items()}, "fields": dict(fields.most_common()),
        "categories": dict(categories), "support_modes": dict(modes),
    }


# --- exports (each audited) ------------------------------------------------------------------------------------

def _check_export(actor, verification: Verification, perm: str) -> None:
    require_perm(actor, perm)
    from anju.registry.selectors_verification import verification_visible

    if not verification_visible(actor, verification):
        raise NotFound()


def verification_roster_check(*, actor, verification: Verification, unmasked: bool = False) -> None:
    """May the actor export this 花名册 (full IDs only with REGISTRY_VIEW_PII)? Raises when not."""
    _check_export(actor, verification, Perm.REGISTRY_EXPORT)
    if unmasked and not actor.can(Perm.REGISTRY_VIEW_PII):
        raise PermissionDenied(MSG_NO_PII, code="pii_forbidden")


def verification_export_roster(*, actor, verification: Verification, path, unmasked: bool = False,
                               progress: Progress | None = None) -> int:
    """花名册 (Excel) of the snapshot in the actor's scope; full IDs only for REGISTRY_VIEW_PII on request (its own audit action)."""
    from anju.registry.reports_verification import write_roster_xlsx
    from anju.registry.selectors_verification import verification_entries

    verification_roster_check(actor=actor, verification=verification, unmasked=unmasked)

    entries = verification_entries(actor=actor, verification=verification)
    n = write_roster_xlsx(path, verification, entries, unmasked=unmasked, progress=progress)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.verification.roster_exported_unmasked" if unmasked else
                     "registry.verification.roster_exported", object_type="verification", object_id=verification.pk,
                     division_code=verification.division_code, after={"rows": n, "unmasked": unmasked, "file": str(getattr(path, "name", path))})
    return n


def verification_export_summary(*, actor, verification: Verification) -> bytes:
    """汇总表 (Excel): counts by township and village."""
    from anju.registry.reports_verification import summary_xlsx

    _check_export(actor, verification, Perm.REGISTRY_VIEW)
    data = summary_xlsx(verification, actor=actor)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.verification.summary_exported", object_type="verification",
                     object_id=verification.pk, division_code=verification.division_code, after={"bytes": len(data)})
    return data


def verification_export_report(*, actor, verification: Verification) -> bytes:
    """核定报告 (Word)."""
    from anju.registry.reports_verification import report_docx

    _check_export(actor, verification, Perm.REGISTRY_VIEW)
    data = report_docx(verification, actor=actor)
    with transaction.atomic():
        audit_record(actor=actor, action="registry.verification.report_exported", object_type="verification",
                     object_id=verification.pk, division_code=verification.division_code, after={"bytes": len(data)})
    return data


# --- database guard: a locked snapshot never changes ----------------------------------------------------------
# The triggers live in migration registry.0002; tests and benchmarks install or remove them with these.

_guard = importlib.import_module("anju.registry.migrations.0002_verification_guard")
GUARD_MESSAGE = _guard.GUARD_MESSAGE
install_verification_guard = _guard.install
remove_verification_guard = _guard.remove


__all__ = [
    "verification_run", "verification_run_check", "verification_roster_check", "verification_sign_county", "verification_sign_city",
    "verification_reopen", "verification_export_roster", "verification_export_summary", "verification_export_report",
    "install_verification_guard", "remove_verification_guard", "reason_label", "COMPARED", "REASONS",
]
