"""Cross-checks (信息比对): match another department's list against the registry, suggest change requests,
confirm or dismiss the matches; and the duplicate report (重复情况) across households, programs and counties.

Matching is set-based: the list's blind-index hashes (and names, for rows without a usable ID) are looked up in
chunks, never one query per row. Only enrolments in the actor's entry scope are matched, so a county's list never
touches, nor reveals, another county's persons.

低保 (dibao) is information, not a removal cause: a 低保 match creates no change request; confirming it writes a
History row (field "dibao") so the household's timeline shows it, dismissing it only records why.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, prefix_for, require_perm, scope_filter
from anju.core.audit import audit_record
from anju.core.crypto import blind_index
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.masking import mask_resident_id, safe_cell
from anju.core.policy import PolicyTable
from anju.imports.errors import RowError
from anju.imports.readers import read_table
from anju.imports.spec import FieldSpec, TableSpec, register_spec
from anju.imports.values import CellError, parse_date, parse_name, parse_text
from anju.registry.models import (
    ChangeRequest,
    ChangeRequestStep,
    CrossCheckBatch,
    CrossCheckMatch,
    Enrolment,
    History,
    Person,
    Program,
    RemovalCause,
    Status,
)
from anju.registry.resident_id import ResidentIdError, division_regions
from anju.registry.resident_id import parse as parse_resident_id

Progress = Callable[[int, str], None]

CHUNK = 900  # below SQLite's 999 bound parameters per statement
MAX_LISTED_UNMATCHED = 2000  # unmatched rows kept on the batch for display; all are counted
MAX_LISTED_PROBLEMS = 2000
MAX_FILE_BYTES = 50 * 1024 * 1024
DUPLICATE_GROUP_LIMIT = 1000

MSG_KIND = gettext_lazy("比对类型“%(kind)s”无效（应为 死亡、财政供养人员、服刑人员 或 低保）")
MSG_SOURCE_REQUIRED = gettext_lazy("请填写来源部门")
MSG_SOURCE_TOO_LONG = gettext_lazy("来源部门不能超过 50 个字")
MSG_AS_OF_FUTURE = gettext_lazy("数据日期不能晚于今天")
MSG_NO_SCOPE = gettext_lazy("您的账号没有录入范围，不能发起信息比对")
MSG_FILE_TYPE = gettext_lazy("文件“%(name)s”不是 Excel（.xlsx/.xls）或 CSV 文件")
MSG_FILE_TOO_BIG = gettext_lazy("文件超过 %(mb)s MB")
MSG_NO_ID_COLUMN = gettext_lazy("名单中既没有“身份证号”列也没有“出生日期”列，无法比对")
MSG_EMPTY_LIST = gettext_lazy("名单中没有数据行")
MSG_AS_OF_INVALID = gettext_lazy("数据日期“%(value)s”无效，应为 YYYY-MM-DD")
MSG_UNMATCHABLE = gettext_lazy("既没有有效的身份证号，也没有姓名和出生日期，无法比对")
MSG_ID_FALLBACK = gettext_lazy("%(reason)s；改按姓名+出生日期比对")
MSG_DUPLICATE_ROW = gettext_lazy("与第 %(first)s 行是同一人，已跳过")
MSG_MATCH_DECIDED = gettext_lazy("该比对结果已处理（%(state)s），不能重复操作")
MSG_MATCH_ENTRY_SCOPE = gettext_lazy("该人员不在您的录入范围内，只能由所在乡镇或县处理")
MSG_REASON_REQUIRED = gettext_lazy("请填写排除理由")
MSG_REQUEST_IN_WORKFLOW = gettext_lazy("比对生成的变更申请 #%(id)s 已进入审批（%(state)s），请在变更申请中撤回")
MSG_REQUEST_REASON = gettext_lazy("信息比对：%(source)s %(kind)s名单（%(as_of)s）第 %(row)s 行，%(event)s")
MSG_REQUEST_CREATED = gettext_lazy("信息比对自动生成，待乡镇核实")
MSG_PROGRAM = gettext_lazy("项目类别“%(program)s”无效")
MSG_DIBAO_NOTE = gettext_lazy("%(source)s 低保名单（%(as_of)s）")

EVENT_LABELS = {
    CrossCheckBatch.Kind.DEATH: gettext_lazy("死亡日期"),
    CrossCheckBatch.Kind.PUBLIC_EMPLOYMENT: gettext_lazy("入职日期"),
    CrossCheckBatch.Kind.PRISON: gettext_lazy("判决日期"),
    CrossCheckBatch.Kind.DIBAO: gettext_lazy("享受日期"),
}
REMOVAL_CAUSE = {
    CrossCheckBatch.Kind.DEATH: RemovalCause.DEATH,
    CrossCheckBatch.Kind.PUBLIC_EMPLOYMENT: RemovalCause.PUBLIC_EMPLOYMENT,
    CrossCheckBatch.Kind.PRISON: RemovalCause.PRISON,
}
REQUEST_FIELD = "status"  # a removal changes the enrolment status: one open request per person and field
DIBAO_FIELD = "dibao"

# The columns of a department's list, for the import engine (header variants compared without spaces).
LIST_SPEC = register_spec(TableSpec("registry.crosscheck", "信息比对名单", (
    FieldSpec("name", "姓名", ("名字", "人员姓名", "死者姓名", "服刑人员姓名", "当事人姓名", "户籍姓名", "低保对象姓名"), required=True),
    FieldSpec("id_number", "身份证号", ("身份证号码", "公民身份号码", "居民身份证号码", "身份证", "证件号码", "证件号", "身份号码",
                                   "身份证件号码", "社会保障号码", "公民身份证号"), text=True),
    FieldSpec("birth_date", "出生日期", ("出生年月", "出生年月日", "生日", "出生时间")),
    FieldSpec("event_date", "事件日期", ("死亡日期", "死亡时间", "注销日期", "入职日期", "录用日期", "参加工作时间", "入编时间", "判决日期",
                                     "入狱日期", "收监日期", "服刑起始日期", "刑期起始日期", "享受日期", "低保起始日期", "纳入日期", "认定日期",
                                     "变动日期", "日期")),
    FieldSpec("note", "备注", ("说明", "附注")),
)))


# --- reading a department's list -----------------------------------------------------------------------

@dataclass
class ListRow:
    """One data row of a department's list, with the row number the spreadsheet shows."""

    row: int
    name: Any = ""
    id_number: Any = None
    birth_date: Any = None
    event_date: Any = None
    note: Any = ""
    sheet: str = ""


def _problem(item: ListRow, column, value, code: str, message) -> dict:
    shown = "" if value is None else str(value)[:60]
    return RowError(item.sheet, item.row, str(column), shown, code, str(message)).as_dict()


def read_list(source, filename: str, *, progress: Progress | None = None) -> tuple[list[ListRow], dict[str, str]]:
    """The data rows of a department's list (xlsx/xls/csv) read by the import engine: the header found below title
    rows and mapped by its variants, blank and total rows skipped. Returns (rows, column headers as in the file)."""
    table = read_table(source, spec=LIST_SPEC, filename=filename or None, progress=progress)
    if "id_number" not in table.columns and "birth_date" not in table.columns:
        raise ValidationFailed(MSG_NO_ID_COLUMN, code="crosscheck_no_id_column", detail={"field": "file"})
    rows = [ListRow(row=r.number, sheet=r.sheet, **dict(zip(table.fields, r.values, strict=True))) for r in table.rows()]
    labels = {f: table.column_label(f) for f in table.fields}
    return rows, labels


def normalise_name(value) -> str:
    """parse_name (NFKC, no spaces inside) with the middle-dot variants of 少数民族 names unified."""
    return re.sub(r"[•‧・∙⋅]", "·", parse_name(value))


# --- matching --------------------------------------------------------------------------------------------

@dataclass
class _Entry:
    row: int
    name: str
    event_date: dt.date | None
    id_masked: str = ""
    id_hash: str = ""
    birth: dt.date | None = None
    note: str = ""


def _as_list_row(item, n: int) -> ListRow:
    if isinstance(item, ListRow):
        return item
    return ListRow(row=int(item.get("row") or n + 1), name=item.get("name"), id_number=item.get("id_number"),
                   birth_date=item.get("birth_date"), event_date=item.get("event_date"), note=item.get("note"),
                   sheet=str(item.get("sheet") or ""))


def _prepare(rows: Iterable, labels: dict[str, str]) -> tuple[list[_Entry], list[dict], int]:
    """Parse the rows into entries matched by ID hash or by name + birth date, and problems (never fatal: a bad ID
    falls back to name + birth date, a row that cannot be matched at all is counted unmatched).
    Returns (entries, problems, rows read)."""
    regions = division_regions()
    entries, problems = [], []
    seen: dict[Any, int] = {}
    read = 0
    for n, raw in enumerate(rows, start=1):
        item = _as_list_row(raw, n)
        read += 1
        name = normalise_name(item.name)
        entry = _Entry(row=item.row, name=name, event_date=None, note=parse_text(item.note)[:200])
        if item.event_date not in (None, ""):
            try:
                entry.event_date = parse_date(item.event_date)
            except CellError as exc:
                problems.append(_problem(item, labels["event_date"], item.event_date, exc.code, exc.message))
        if item.id_number not in (None, ""):
            try:
                rid = parse_resident_id(item.id_number, extra_regions=regions)
            except ResidentIdError as exc:
                shown = mask_resident_id(normalise_name(item.id_number))
                problems.append(_problem(item, labels["id_number"], shown, exc.code, MSG_ID_FALLBACK % {"reason": exc.message}))
            else:
                entry.id_hash, entry.id_masked, entry.birth = blind_index(rid.number), mask_resident_id(rid.number), rid.birth_date
        if not entry.id_hash:
            if item.birth_date not in (None, ""):
                try:
                    entry.birth = parse_date(item.birth_date, allow_month=False)
                except CellError as exc:
                    problems.append(_problem(item, labels["birth_date"], item.birth_date, exc.code, exc.message))
            if not (name and entry.birth):
                problems.append(_problem(item, labels["name"], name, "crosscheck_unmatchable", MSG_UNMATCHABLE))
                entries.append(entry)  # counted as unmatched
                continue
        key = entry.id_hash or (name, entry.birth)
        if key in seen:
            problems.append(_problem(item, labels["name"], name, "crosscheck_duplicate_row", MSG_DUPLICATE_ROW % {"first": seen[key]}))
            continue
        seen[key] = item.row
        entries.append(entry)
    return entries, problems, read


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _candidates(entries: list[_Entry]) -> dict[int, list[tuple[int, str]]]:
    """row -> [(person id, method)] from one query per chunk of hashes and one per chunk of names."""
    by_hash = {e.id_hash: e for e in entries if e.id_hash}
    found: dict[int, list[tuple[int, str]]] = {}
    hashes = list(by_hash)
    for chunk in _chunks(hashes):
        for pid, id_hash in Person.objects.filter(id_hash__in=chunk).values_list("id", "id_hash"):
            found.setdefault(by_hash[id_hash].row, []).append((pid, CrossCheckMatch.Method.ID))
    by_name_birth: dict[tuple[str, dt.date], _Entry] = {(e.name, e.birth): e for e in entries if not e.id_hash and e.name and e.birth}
    names = sorted({name for name, _birth in by_name_birth})
    for chunk in _chunks(names):
        for pid, name, birth in Person.objects.filter(name__in=chunk).values_list("id", "name", "birth_date").order_by("id"):
            entry = by_name_birth.get((name, birth))
            if entry is not None:
                found.setdefault(entry.row, []).append((pid, CrossCheckMatch.Method.NAME_BIRTH))
    return found


def _enrolments_in_scope(person_ids: list[int], prefix: str) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for chunk in _chunks(person_ids):
        rows = (Enrolment.objects.filter(person_id__in=chunk).filter(code_prefix_q("division_code", prefix))
                .values("id", "person_id", "program", "status", "division_code", "household_id").order_by("person_id", "program"))
        for r in rows:
            out.setdefault(r["person_id"], []).append(r)
    return out


def _open_requests(person_ids: list[int]) -> dict[int, int]:
    out = {}
    for chunk in _chunks(person_ids):
        qs = ChangeRequest.objects.filter(person_id__in=chunk, field=REQUEST_FIELD, state__in=ChangeRequest.OPEN_STATES)
        out.update(dict(qs.values_list("person_id", "id")))
    return out


def _validate_run(actor, kind: str, source: str, as_of) -> tuple[str, dt.date]:
    require_perm(actor, Perm.CROSSCHECK_RUN)
    if kind not in CrossCheckBatch.Kind.values:
        raise ValidationFailed(MSG_KIND % {"kind": kind}, code="crosscheck_kind", detail={"field": "kind"})
    source = (source or "").strip()
    if not source:
        raise ValidationFailed(MSG_SOURCE_REQUIRED, code="crosscheck_source", detail={"field": "source"})
    if len(source) > 50:
        raise ValidationFailed(MSG_SOURCE_TOO_LONG, code="crosscheck_source", detail={"field": "source"})
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValidationFailed(MSG_AS_OF_INVALID % {"value": as_of}, code="crosscheck_as_of", detail={"field": "as_of"}) from None
    if as_of > timezone.localdate():
        raise ValidationFailed(MSG_AS_OF_FUTURE, code="crosscheck_as_of", detail={"field": "as_of"})
    if not actor.entry_scope_id:
        raise PermissionDenied(MSG_NO_SCOPE)
    return source, as_of


LIST_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def crosscheck_check_upload(*, actor, kind: str, source: str, as_of, filename: str, size: int) -> str:
    """Check a list before it is queued (the job checks again when it runs); returns the cleaned source."""
    source, _as_of = _validate_run(actor, kind, source, as_of)
    if PurePath(filename or "").suffix.lower() not in LIST_SUFFIXES:
        raise ValidationFailed(MSG_FILE_TYPE % {"name": filename}, code="crosscheck_file_type", detail={"field": "file"})
    if size > MAX_FILE_BYTES:
        raise ValidationFailed(MSG_FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)}, code="crosscheck_file_too_big",
                               detail={"field": "file"})
    return source


def crosscheck_run(*, actor, kind: str, source: str, as_of: dt.date | str, path_or_file=None, filename: str = "",
                   rows: Iterable | None = None, progress: Progress | None = None) -> CrossCheckBatch:
    """Read a department's list (a file, or `rows` as ListRow/dicts) and match it against the enrolments in the
    actor's entry scope. Each removal match becomes a draft change request (or is linked to the person's open
    one); the batch keeps the counts, the row problems and the unmatched rows (masked)."""
    source, as_of = _validate_run(actor, kind, source, as_of)
    report = progress or (lambda percent, message="": None)
    labels = {f.name: f.label for f in LIST_SPEC.fields}
    if rows is None:
        filename = PurePath(str(filename or getattr(path_or_file, "name", "") or path_or_file)).name
        report(5, _("正在读取名单"))
        rows, labels = read_list(path_or_file, filename)
    entries, problems, read = _prepare(rows, labels)
    if not read:
        raise ValidationFailed(MSG_EMPTY_LIST, code="crosscheck_empty")
    report(30, _("已读取 %(n)s 行，正在比对") % {"n": read})
    prefix = prefix_for(actor, "entry")
    found = _candidates(entries)
    person_ids = sorted({pid for pairs in found.values() for pid, _m in pairs})
    enrolments = _enrolments_in_scope(person_ids, prefix)
    report(60, _("正在生成比对结果"))
    with transaction.atomic():
        batch = CrossCheckBatch.objects.create(kind=kind, source=source, as_of=as_of, file_name=(filename or "")[:200],
                                               division_code=actor.entry_scope_id, created_by=actor)
        counts = _write_matches(actor=actor, batch=batch, entries=entries, found=found, enrolments=enrolments)
        counts.update({"rows": read, "problems": len(problems), "problem_rows": problems[:MAX_LISTED_PROBLEMS]})
        batch.counts = counts
        batch.save(update_fields=["counts"])
        audit_record(actor=actor, action="registry.crosscheck.run", object_type="crosscheck_batch", object_id=batch.pk,
                     division_code=batch.division_code,
                     after={"kind": kind, "source": source, "as_of": as_of, "file": batch.file_name, **summary(counts)})
    report(100, _("比对完成：%(rows)s 行，匹配 %(matched_rows)s 行，未匹配 %(unmatched)s 行") % counts)
    return batch


def summary(counts: dict) -> dict:
    """The batch counts without the listed rows."""
    return {k: v for k, v in counts.items() if k not in ("unmatched_rows", "problem_rows", "notes")}


def _write_matches(*, actor, batch: CrossCheckBatch, entries: list[_Entry], found: dict, enrolments: dict) -> dict:
    """Create the matches, their draft requests (bulk) and steps; trusts the caller's checks and transaction."""
    removal = batch.kind in REMOVAL_CAUSE
    matched_ids = sorted({pid for e in entries for pid, _m in found.get(e.row, []) if any(
        r["status"] != Status.REMOVED for r in enrolments.get(pid, []))})
    open_requests = _open_requests(matched_ids) if removal else {}
    workflows = PolicyTable(["registry.workflow"]) if removal else None
    today = timezone.localdate()
    new_requests: dict[int, ChangeRequest] = {}
    pending: list[tuple[_Entry, dict, str, int]] = []  # (entry, enrolment, method, candidates)
    unmatched, already_removed, matched_rows, ambiguous = [], 0, 0, 0
    for entry in entries:
        live, removed_only = [], False
        for pid, method in found.get(entry.row, []):
            rows = enrolments.get(pid, [])
            active = [r for r in rows if r["status"] != Status.REMOVED]
            if active:
                live.append((pid, method, active))
            elif rows:
                removed_only = True
        if not live:
            if removed_only:
                already_removed += 1
            else:
                unmatched.append({"row": entry.row, "name": entry.name, "id_masked": entry.id_masked,
                                  "event_date": entry.event_date.isoformat() if entry.event_date else ""})
            continue
        matched_rows += 1
        ambiguous += len(live) > 1
        for pid, method, active in live:
            for r in active:
                pending.append((entry, r, method, len(live)))
            if removal and pid not in open_requests and pid not in new_requests:
                first = active[0]
                levels = list(workflows.value("registry.workflow", on=today, division_code=first["division_code"]).get("remove", []))
                new_requests[pid] = _request_for(actor=actor, batch=batch, entry=entry, enrolment=first, method=method,
                                                 candidates=len(live), enrolment_ids=[r["id"] for r in active], levels=levels)
    created = ChangeRequest.objects.bulk_create(list(new_requests.values()), batch_size=500)
    ChangeRequestStep.objects.bulk_create(
        [ChangeRequestStep(request=req, level=(req.levels or [""])[0], action=ChangeRequestStep.Action.CREATE, actor=actor,
                           comment=str(MSG_REQUEST_CREATED)) for req in created], batch_size=500)
    request_of = {pid: req.pk for pid, req in new_requests.items()} | open_requests
    CrossCheckMatch.objects.bulk_create([
        CrossCheckMatch(batch=batch, row=entry.row, name=entry.name[:64], id_masked=entry.id_masked, event_date=entry.event_date,
                        person_id=r["person_id"], enrolment_id=r["id"], division_code=r["division_code"], method=method,
                        request_id=request_of.get(r["person_id"]) if removal else None)
        for entry, r, method, _n in pending], batch_size=500)
    persons = {r["person_id"] for _e, r, _m, _n in pending}
    linked = len(persons & set(open_requests))
    return {"matched_rows": matched_rows, "matches": len(pending), "persons": len(persons),
            "ambiguous_rows": ambiguous, "unmatched": len(unmatched), "already_removed": already_removed,
            "requests_created": len(created), "requests_linked": linked,
            "unmatched_rows": unmatched[:MAX_LISTED_UNMATCHED]}


def _request_for(*, actor, batch, entry: _Entry, enrolment: dict, method: str, candidates: int, enrolment_ids: list[int],
                 levels: list) -> ChangeRequest:
    event = entry.event_date.isoformat() if entry.event_date else ""
    event_text = f"{EVENT_LABELS[batch.kind]} {event}" if event else str(EVENT_LABELS[batch.kind]) + " -"
    reason = MSG_REQUEST_REASON % {"source": batch.source, "kind": batch.get_kind_display(), "as_of": batch.as_of.isoformat(),
                                   "row": entry.row, "event": event_text}
    payload = {"cause": REMOVAL_CAUSE[batch.kind], "event_date": event, "enrolments": enrolment_ids, "note": entry.note,
               "crosscheck": {"batch": batch.pk, "row": entry.row, "method": method, "candidates": candidates,
                              "source": batch.source, "as_of": batch.as_of.isoformat()}}
    return ChangeRequest(kind=ChangeRequest.Kind.REMOVE, state=ChangeRequest.State.DRAFT, program=enrolment["program"],
                         division_code=enrolment["division_code"], person_id=enrolment["person_id"],
                         household_id=enrolment["household_id"], enrolment_id=enrolment["id"], field=REQUEST_FIELD, payload=payload,
                         cause=REMOVAL_CAUSE[batch.kind], reason=str(reason)[:500], levels=levels, level_index=0,
                         source=ChangeRequest.Source.CROSSCHECK, created_by=actor)


# --- confirm / dismiss ----------------------------------------------------------------------------------------

def _decidable(actor, match: CrossCheckMatch) -> list[CrossCheckMatch]:
    """The match and its siblings (the same person's other enrolments in the same row), locked, still suggested."""
    require_perm(actor, Perm.REQUEST_SUBMIT)
    if not in_scope(actor, match.division_code, kind="entry"):
        raise PermissionDenied(MSG_MATCH_ENTRY_SCOPE, code="crosscheck_entry_scope")
    group = list(CrossCheckMatch.objects.select_for_update(of=("self",)).filter(batch_id=match.batch_id, row=match.row, person_id=match.person_id)
                 .select_related("batch", "request").order_by("id"))
    current = next((m for m in group if m.pk == match.pk), None)
    if current is None or current.state != CrossCheckMatch.State.SUGGESTED:
        state = current.get_state_display() if current else ""
        raise Conflict(MSG_MATCH_DECIDED % {"state": state}, code="crosscheck_match_decided")
    return [m for m in group if m.state == CrossCheckMatch.State.SUGGESTED]


def _note(batch: CrossCheckBatch, matches: list[CrossCheckMatch], actor, state: str, reason: str = "") -> None:
    """Who decided and why, kept in the batch's counts (the match table has no column for it)."""
    batch = CrossCheckBatch.objects.select_for_update().get(pk=batch.pk)
    notes = batch.counts.setdefault("notes", {})
    stamp = timezone.now().isoformat(timespec="seconds")
    for m in matches:
        notes[str(m.pk)] = {"state": state, "reason": reason, "by": actor.get_username(), "at": stamp}
    batch.save(update_fields=["counts"])


def crosscheck_match_confirm(*, actor, match: CrossCheckMatch) -> CrossCheckMatch:
    """The township (or county) confirms a match: the draft removal request stays for it to complete and submit;
    a 低保 match is noted in the person's History."""
    with transaction.atomic():
        group = _decidable(actor, match)
        batch = group[0].batch
        CrossCheckMatch.objects.filter(pk__in=[m.pk for m in group]).update(state=CrossCheckMatch.State.CONFIRMED)
        if batch.kind == CrossCheckBatch.Kind.DIBAO:
            enrolments = {e.pk: e for e in Enrolment.objects.filter(pk__in=[m.enrolment_id for m in group])}
            note = str(MSG_DIBAO_NOTE % {"source": batch.source, "as_of": batch.as_of.isoformat()})
            History.objects.bulk_create([
                History(effective_on=m.event_date or batch.as_of, person_id=m.person_id, enrolment_id=m.enrolment_id,
                        household_id=enrolments[m.enrolment_id].household_id, division_code=m.division_code, field=DIBAO_FIELD,
                        old="", new=note[:300], source=History.Source.CROSSCHECK, actor=actor)
                for m in group])
        _note(batch, group, actor, CrossCheckMatch.State.CONFIRMED)
        audit_record(actor=actor, action="registry.crosscheck.confirmed", object_type="crosscheck_match", object_id=match.pk,
                     division_code=match.division_code, before={"state": CrossCheckMatch.State.SUGGESTED},
                     after={"state": CrossCheckMatch.State.CONFIRMED, "batch": batch.pk, "person": match.person_id,
                            "matches": [m.pk for m in group], "request": group[0].request_id})
    match.refresh_from_db()
    return match


def crosscheck_match_dismiss(*, actor, match: CrossCheckMatch, reason: str) -> CrossCheckMatch:
    """Not the same person, or the fact is wrong: the match is dismissed and the draft request it created withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(MSG_REASON_REQUIRED, code="crosscheck_reason", detail={"field": "reason"})
    with transaction.atomic():
        group = _decidable(actor, match)
        batch = group[0].batch
        withdrawn = _withdraw_request(actor=actor, batch=batch, group=group, reason=reason)
        CrossCheckMatch.objects.filter(pk__in=[m.pk for m in group]).update(state=CrossCheckMatch.State.DISMISSED)
        _note(batch, group, actor, CrossCheckMatch.State.DISMISSED, reason[:500])
        audit_record(actor=actor, action="registry.crosscheck.dismissed", object_type="crosscheck_match", object_id=match.pk,
                     division_code=match.division_code, before={"state": CrossCheckMatch.State.SUGGESTED},
                     after={"state": CrossCheckMatch.State.DISMISSED, "batch": batch.pk, "person": match.person_id, "reason": reason[:500],
                            "matches": [m.pk for m in group], "request_withdrawn": withdrawn})
    match.refresh_from_db()
    return match


def _withdraw_request(*, actor, batch, group: list[CrossCheckMatch], reason: str) -> int | None:
    """Withdraw the draft request this batch created for the person (a request that existed before is left alone)."""
    request = group[0].request
    if request is None or request.source != ChangeRequest.Source.CROSSCHECK or (request.payload or {}).get("crosscheck", {}).get("batch") != batch.pk:
        return None
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.state == ChangeRequest.State.WITHDRAWN:
        return None
    if request.state != ChangeRequest.State.DRAFT:
        raise Conflict(MSG_REQUEST_IN_WORKFLOW % {"id": request.pk, "state": request.get_state_display()}, code="crosscheck_request_in_workflow")
    request.state = ChangeRequest.State.WITHDRAWN
    request.save(update_fields=["state", "updated_at"])
    level = request.levels[request.level_index] if request.levels and request.level_index < len(request.levels) else ""
    ChangeRequestStep.objects.create(request=request, level=level, action=ChangeRequestStep.Action.WITHDRAW, actor=actor, comment=reason[:500])
    audit_record(actor=actor, action="registry.request.withdrawn", object_type="change_request", object_id=request.pk,
                 division_code=request.division_code, before={"state": ChangeRequest.State.DRAFT},
                 after={"state": ChangeRequest.State.WITHDRAWN, "reason": reason[:500], "via": "crosscheck"})
    return request.pk


# --- duplicate report ----------------------------------------------------------------------------------------

DUPLICATE_KINDS = {
    "two_households": gettext_lazy("同一人在两个户中"),
    "both_programs": gettext_lazy("同时纳入两个项目（提示）"),
    "shared_bank_account": gettext_lazy("不同户使用同一银行账号"),
    "same_name_birth": gettext_lazy("疑似同一人（姓名、出生日期相同，身份证号不同）"),
}


@dataclass
class DuplicateGroup:
    kind: str
    key: str
    members: list[dict]


def _member_rows(enrolments) -> list[dict]:
    """Enrolment rows (masked) for a queryset of enrolments already in scope."""
    rows = enrolments.select_related("person", "household").order_by("person_id", "program")
    return [{
        "person_id": e.person_id, "name": e.person.name, "id_masked": e.person.id_masked, "birth_date": e.person.birth_date,
        "enrolment_id": e.pk, "program": e.program, "program_label": e.get_program_display(), "status": e.status,
        "status_label": e.get_status_display(), "household_id": e.household_id, "household_number": e.household.number,
        "division_code": e.division_code, "bank_account_masked": e.bank_account_masked, "bank_account_hash": e.bank_account_hash,
    } for e in rows]


def _grouped(queryset, field: str, values: list, key) -> dict:
    """Member rows of `queryset` whose `field` is one of `values`, grouped by key(row); one query per chunk."""
    out: dict = {}
    for chunk in _chunks(values):
        for row in _member_rows(queryset.filter(**{f"{field}__in": chunk})):
            out.setdefault(key(row), []).append(row)
    return out


def duplicates_report(*, actor, program: str | None = None, limit: int = DUPLICATE_GROUP_LIMIT) -> dict:
    """Four kinds of likely duplicates among the enrolments in the actor's view scope, each found by one GROUP BY:
    a person enrolled in different households, a person in both programs (information), one bank account used
    by different households, and persons with the same name and birth date but different IDs.

    Returns {"groups": {kind: [DuplicateGroup]}, "counts": {kind: groups found}, "truncated": {kind: bool}}; at
    most `limit` groups of each kind are listed.
    """
    require_perm(actor, Perm.REGISTRY_VIEW)
    if program and program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"program": program}, code="crosscheck_program", detail={"field": "program"})
    everything = scope_filter(Enrolment.objects.all(), actor)
    scoped = everything.filter(program=program) if program else everything
    groups: dict[str, list[DuplicateGroup]] = {k: [] for k in DUPLICATE_KINDS}
    counts, truncated = {}, {}

    def collect(kind: str, grouped_qs, value_field: str, members_qs, member_field: str, key, label):
        counts[kind] = grouped_qs.count()
        values = list(grouped_qs.values_list(value_field, flat=True)[:limit])
        truncated[kind] = counts[kind] > len(values)
        members = _grouped(members_qs, member_field, values, key)
        for value in values:
            rows = members.get(value, [])
            groups[kind].append(DuplicateGroup(kind, label(rows, value), rows))

    # id_hash is unique per person, so "one ID in two households" is one person enrolled in two households.
    per_person = scoped.values("person_id").annotate(households=Count("household_id", distinct=True),
                                                     programs=Count("program", distinct=True)).order_by("person_id")
    if program:  # both conditions need the person's other enrolment, whatever its program
        per_person = everything.filter(person_id__in=scoped.values("person_id")).values("person_id").annotate(
            households=Count("household_id", distinct=True), programs=Count("program", distinct=True)).order_by("person_id")
    person_label = lambda rows, value: rows[0]["id_masked"] if rows else str(value)  # noqa: E731
    collect("two_households", per_person.filter(households__gt=1), "person_id", everything, "person_id", lambda r: r["person_id"], person_label)
    collect("both_programs", per_person.filter(programs__gt=1), "person_id", everything, "person_id", lambda r: r["person_id"], person_label)
    per_account = (scoped.exclude(bank_account_hash="").values("bank_account_hash")
                   .annotate(households=Count("household_id", distinct=True)).filter(households__gt=1).order_by("bank_account_hash"))
    collect("shared_bank_account", per_account, "bank_account_hash", scoped, "bank_account_hash", lambda r: r["bank_account_hash"],
            lambda rows, value: rows[0]["bank_account_masked"] if rows else "")
    # Same name and birth date: grouped on persons enrolled in scope; the members are found by name, then paired.
    persons = Person.objects.filter(pk__in=scoped.values("person_id"))
    per_name = persons.values("name", "birth_date").annotate(n=Count("id")).filter(n__gt=1).order_by("name", "birth_date")
    counts["same_name_birth"] = per_name.count()
    keys = list(per_name.values_list("name", "birth_date")[:limit])
    truncated["same_name_birth"] = counts["same_name_birth"] > len(keys)
    members = _grouped(scoped, "person__name", sorted({n for n, _b in keys}), lambda r: (r["name"], r["birth_date"]))
    for name, birth in keys:
        groups["same_name_birth"].append(DuplicateGroup("same_name_birth", f"{name} {birth.isoformat()}", members.get((name, birth), [])))
    return {"groups": groups, "counts": counts, "truncated": truncated}


DUPLICATE_COLUMNS = [gettext_lazy("类型"), gettext_lazy("分组"), gettext_lazy("姓名"), gettext_lazy("身份证号"), gettext_lazy("出生日期"),
                     gettext_lazy("户编号"), gettext_lazy("所在村"), gettext_lazy("项目类别"), gettext_lazy("状态"), gettext_lazy("银行账号")]


def duplicates_export(*, actor, program: str | None = None) -> tuple[bytes, dict]:
    """The duplicate report as an xlsx (masked, formula-safe); audited as registry.duplicates.exported."""
    import xlsxwriter

    require_perm(actor, Perm.REGISTRY_EXPORT)
    report = duplicates_report(actor=actor, program=program)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("重复情况"))
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    for col, (title, width) in enumerate(zip(DUPLICATE_COLUMNS, (30, 24, 12, 22, 12, 16, 14, 22, 10, 24), strict=True)):
        sheet.write_string(0, col, str(title), bold)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    n = 0
    for kind, label in DUPLICATE_KINDS.items():
        for group_no, group in enumerate(report["groups"][kind], start=1):
            for m in group.members:
                n += 1
                values = [str(label), f"{group_no}：{group.key}", m["name"], m["id_masked"], m["birth_date"].isoformat(), m["household_number"],
                          m["division_code"], m["program_label"], m["status_label"], m["bank_account_masked"]]
                for col, value in enumerate(values):
                    sheet.write_string(n, col, safe_cell(str(value)))
    sheet.autofilter(0, 0, max(n, 1), len(DUPLICATE_COLUMNS) - 1)
    workbook.close()
    with transaction.atomic():
        audit_record(actor=actor, action="registry.duplicates.exported", object_type="duplicates_report", object_id="",
                     division_code=actor.view_scope_id or "", after={"program": program or "", "rows": n, "groups": report["counts"]})
    return out.getvalue(), report["counts"]
