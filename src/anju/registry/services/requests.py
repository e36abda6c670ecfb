"""Change-request workflow (动态管理): create, submit, approve by level, reject, withdraw, public posting, apply on
the effective date; evidence attachments.

Workflow. `levels` comes from policy `registry.workflow` for the kind (e.g. 乡镇 → 县 → 市); levels[0] is where a
request is normally proposed. `level_index` points at the level whose decision is awaited. A request proposed by
a county (or city) clerk starts at that clerk's own level, so the township step is skipped and the reviewer of
the same level decides first (the clerk who enters never approves). Nobody decides their own request.

Rejection is final (state 已退回 releases the one-open-request-per-person-and-field lock); the submitter fixes
the cause and proposes again, optionally as a copy of the rejected request (`change_request_copy`). This keeps
every decision immutable in the timeline, as government workflows expect.

After the last level approves, kinds listed in policy `registry.posting_required` are posted publicly (公示)
for `registry.posting_days` days from the approval date; then they wait for their effective date and
`change_requests_apply_due` applies them through services/records.py.

Effective dates: removals follow `registry.removal_effective` from the event date (next_year: 1 January of
the following year; next_month: the first of the following month; immediate: the event date). Other kinds
take the date the request names, or else the day after the posting ends, or else the approval date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core import uploads
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import blind_index, decrypt, encrypt
from anju.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.masking import mask_bank_account, mask_resident_id
from anju.core.policy import policy_value
from anju.core.uploads import check_upload
from anju.divisions.models import Level
from anju.registry.models import (
    ChangeRequest,
    ChangeRequestStep,
    Enrolment,
    Evidence,
    Household,
    Membership,
    Person,
    Program,
    Status,
)
from anju.registry.services import records

Kind = ChangeRequest.Kind
State = ChangeRequest.State
Action = ChangeRequestStep.Action

LEVEL_OF = {Level.CITY: "city", Level.COUNTY: "county", Level.TOWNSHIP: "township"}
LEVEL_RANK = {"city": 1, "county": 2, "township": 3, "village": 4}
LEVEL_DIGITS = {"city": 4, "county": 6, "township": 9}
LEVEL_LABELS = {"city": _("市级"), "county": _("县级"), "township": _("乡镇")}

MSG_KIND = _("未知的申请类型：%(kind)s")
MSG_PROGRAM = _("未知的项目类别：%(program)s")
MSG_NEED_ENROLMENT = _("请指定人员及其所在项目")
MSG_NEED_PERSON = _("请指定人员")
MSG_NEED_HOUSEHOLD = _("请指定户")
MSG_NOT_ENROLLED = _("该人员未纳入“%(program)s”名册")
MSG_NEED_EVENT_DATE = _("请填写事件日期（如死亡日期、判决日期）")
MSG_OPEN_REQUEST = _("该人员已有未办结的%(kind)s申请（编号 %(id)s，%(state)s），请等待其办结或撤回后再提出")
MSG_OPEN_HOUSEHOLD = _("该户已有未办结的%(kind)s申请（编号 %(id)s，%(state)s）")
MSG_OPEN_ADD = _("身份证号 %(masked)s 已有未办结的%(kind)s申请（编号 %(id)s）")
MSG_NOT_DRAFT = _("只有草稿状态的申请可以提交（当前：%(state)s）")
MSG_NOT_PENDING = _("该申请当前不在审批中（当前：%(state)s）")
MSG_WRONG_LEVEL = _("该申请正等待%(level)s审批，您所在层级不能审批")
MSG_WRONG_SCOPE = _("该申请不在您的审批范围内")
MSG_OWN_REQUEST = _("不能审批自己提出的申请")
MSG_REASON_REQUIRED = _("退回须填写理由")
MSG_NOT_CREATOR = _("只有申请人可以撤回或提交该申请")
MSG_CANNOT_WITHDRAW = _("申请已%(state)s，不能撤回")
MSG_NOT_COPYABLE = _("只有已退回或已撤回的申请可以复制为新申请")
MSG_ACTOR_LEVEL = _("您的账号层级不能提出变更申请")
MSG_NOT_APPROVED = _("申请尚未审批通过或公示未结束，不能生效")
MSG_NOT_DUE = _("申请的生效日期 %(date)s 未到")
MSG_EVIDENCE_TYPE = _("不支持的附件类型“%(name)s”：只接受 PDF、JPG、PNG、Word(docx) 和 Excel(xlsx)")
MSG_EVIDENCE_CONTENT = _("附件“%(name)s”的内容与扩展名不符")
MSG_EVIDENCE_SIZE = _("附件“%(name)s”超过 %(limit)s MB")
MSG_EVIDENCE_EMPTY = _("附件“%(name)s”是空文件")
MSG_EVIDENCE_ZIP = _("附件“%(name)s”解压后过大或包含过多文件，已拒绝")
MSG_EVIDENCE_COUNT = _("每个申请最多 %(n)s 个附件")
MSG_EVIDENCE_STATE = _("申请已%(state)s，不能再添加附件")
MSG_TARGET_HOUSEHOLD = _("请指定迁入的户，或填写新户的户编号与所在村")
MSG_INTO = _("请指定并入的户")
MSG_PAYLOAD = _("变更内容中“%(field)s”的格式不对")
MSG_TARGET_CITY = _("迁入地不在本市，跨市迁移请按迁出办理核减")
MSG_SAME_COUNTY = _("合户、分户只能在同一县内办理")

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 20
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL = 100 * 1024 * 1024
EVIDENCE_TYPES = {".pdf": uploads.PDF, ".jpg": uploads.JPEG, ".jpeg": uploads.JPEG, ".png": uploads.PNG, ".docx": uploads.DOCX,
                  ".xlsx": uploads.XLSX}


# --- levels --------------------------------------------------------------------------------------------

def actor_level(actor) -> str:
    scope = getattr(actor, "entry_scope", None)
    return LEVEL_OF.get(scope.level, "") if scope is not None else ""


def awaited_level(cr: ChangeRequest) -> str:
    return cr.levels[cr.level_index] if cr.state == State.PENDING and 0 <= cr.level_index < len(cr.levels) else ""


def workflow_levels(kind: str, *, division_code: str, on: dt.date) -> list[str]:
    config = policy_value("registry.workflow", on=on, division_code=division_code)
    return list(config.get(kind) or ["township", "county", "city"])


def _start_index(levels: list[str], level: str) -> int:
    """The level awaited after a submission from `level`: the one after levels[0] for the proposing level itself;
    otherwise the first level at or above the submitter's (a county clerk's proposal skips the township and goes
    to the county reviewer; a township clerk's, where the kind starts at the county, to the county); the last at most."""
    if level == levels[0]:
        return min(1, len(levels) - 1)
    rank = LEVEL_RANK[level]
    for i, name in enumerate(levels):
        if LEVEL_RANK[name] <= rank:
            return i
    return len(levels) - 1


def effective_date(cr: ChangeRequest, *, decided_on: dt.date) -> dt.date:
    if cr.kind == Kind.REMOVE:
        event = dt.date.fromisoformat(cr.payload["event_date"])
        rule = policy_value("registry.removal_effective", on=event, division_code=cr.division_code)
        if rule == "next_year":
            return dt.date(event.year + 1, 1, 1)
        if rule == "next_month":
            return dt.date(event.year + (event.month == 12), event.month % 12 + 1, 1)
        return event
    if cr.effective_on:
        return cr.effective_on
    if cr.posting_until:
        return cr.posting_until + dt.timedelta(days=1)
    return decided_on


# --- payload (PII encrypted, dates as text) --------------------------------------------------------------

def _member_payload(m: records.MemberData) -> dict:
    enrolment = dict(m.enrolment or {})
    if "reservoir" in enrolment:
        enrolment["reservoir"] = enrolment["reservoir"].code
    if "move_date" in enrolment:
        enrolment["move_date"] = enrolment["move_date"].isoformat()
    if "housing_area" in enrolment:
        enrolment["housing_area"] = str(enrolment["housing_area"])
    account = enrolment.pop("bank_account", "")
    if account:
        enrolment["bank_account_enc"], enrolment["bank_account_masked"] = encrypt(account), mask_bank_account(account)
    return {"name": m.name, "id_enc": encrypt(m.number), "id_masked": mask_resident_id(m.number), "id_hash": blind_index(m.number),
            "gender": m.gender, "birth_date": m.birth_date.isoformat(), "relation": m.relation, "ethnicity": m.ethnicity, "phone": m.phone,
            "enrolment": enrolment}


def _member_from_payload(data: dict, *, program: str, division_code: str) -> records.MemberData:
    enrolment = dict(data.get("enrolment") or {})
    if enrolment.get("bank_account_enc"):
        enrolment["bank_account"] = decrypt(enrolment.pop("bank_account_enc"))
    enrolment.pop("bank_account_masked", None)
    clean = records.check_enrolment_fields(enrolment, program=program, division_code=division_code)
    return records.MemberData(name=data["name"], number=decrypt(data["id_enc"]), gender=data["gender"],
                              birth_date=dt.date.fromisoformat(data["birth_date"]), relation=data["relation"],
                              ethnicity=data.get("ethnicity", ""), phone=data.get("phone", ""), enrolment=clean)


def _changes_payload(clean: dict) -> dict:
    out: dict[str, Any] = {}
    for field, value in clean.items():
        if field == "id_number":
            out[field] = {"enc": encrypt(value.number), "masked": mask_resident_id(value.number)}
        elif field == "bank_account":
            out[field] = {"enc": encrypt(value), "masked": mask_bank_account(value)}
        elif isinstance(value, dt.date):
            out[field] = value.isoformat()
        else:
            out[field] = value
    return out


def _changes_from_payload(changes: dict) -> dict:
    return {f: (decrypt(v["enc"]) if isinstance(v, dict) and "enc" in v else v) for f, v in changes.items()}


def display_changes(cr: ChangeRequest) -> list[tuple[str, str]]:
    """(label, new value) pairs of a correction for pages and exports, personal data masked."""
    rows = []
    for field, value in (cr.payload.get("changes") or {}).items():
        shown = value["masked"] if isinstance(value, dict) else value
        if field == "gender":
            shown = Person.Gender(value).label
        elif field == "support_mode" and value:
            shown = Enrolment.SupportMode(value).label
        rows.append((str(records.FIELD_LABELS.get(field, field)), str(shown)))
    return rows


# --- validation per kind ---------------------------------------------------------------------------------

def _enrolment_for(person: Person | None, enrolment: Enrolment | None, program: str) -> Enrolment:
    if enrolment is not None:
        return enrolment
    if person is None:
        raise ValidationFailed(MSG_NEED_ENROLMENT, code="enrolment_required", detail={"field": "person"})
    found = Enrolment.objects.filter(person=person, program=program).first()
    if found is None:
        raise ValidationFailed(MSG_NOT_ENROLLED % {"program": Program(program).label}, code="not_enrolled", detail={"field": "program"})
    return found


def _pk(value, field: str) -> int:
    """An object id named in a request's payload (JSON from the API may hold anything)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if not 0 < pk < 2**63:
        raise ValidationFailed(MSG_PAYLOAD % {"field": field}, code="payload_invalid", detail={"field": field})
    return pk


def _dict(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed(MSG_PAYLOAD % {"field": field}, code="payload_invalid", detail={"field": field})
    return value


def _list(value, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationFailed(MSG_PAYLOAD % {"field": field}, code="payload_invalid", detail={"field": field})
    return value


def _household_members(household: Household) -> list[int]:
    return list(Membership.objects.filter(household=household, valid_to__isnull=True).values_list("person_id", flat=True))


def _prepare(kind: str, *, program: str, person, household, enrolment, cause: str, payload: dict, today: dt.date) -> dict:
    """Check a request's content; return the model fields to store (division, field, clean payload...)."""
    payload = dict(payload or {})
    if kind in (Kind.REMOVE, Kind.RESTORE):
        enrolment = Enrolment.objects.select_related("person", "household").get(pk=_enrolment_for(person, enrolment, program).pk)
        if kind == Kind.REMOVE:
            cause = records.check_cause(cause)
            if not payload.get("event_date"):
                raise ValidationFailed(MSG_NEED_EVENT_DATE, code="event_date_required", detail={"field": "event_date"})
            if enrolment.status == Status.REMOVED:
                raise Conflict(records.MSG_ALREADY_REMOVED, code="already_removed")
        elif enrolment.status not in (Status.REMOVED, Status.SUSPENDED):
            raise Conflict(records.MSG_NOT_REMOVED, code="not_removed")
        clean = {}
        if payload.get("event_date"):
            clean["event_date"] = records.parse_date(payload["event_date"], field="event_date", allow_future=False, today=today).isoformat()
        return {"division_code": enrolment.division_code, "person": enrolment.person, "enrolment": enrolment, "household": enrolment.household,
                "field": f"status.{enrolment.program}", "payload": clean, "cause": cause if kind == Kind.REMOVE else "",
                "program": enrolment.program, "affected": [enrolment.person_id]}
    if kind == Kind.CORRECT:
        changes = _dict(payload.get("changes"), "changes")
        if person is None and household is None and enrolment is None:
            raise ValidationFailed(MSG_NEED_PERSON, code="person_required", detail={"field": "person"})
        if enrolment is None and person is not None and set(changes) & set(records.ENROLMENT_FIELDS):
            enrolment = _enrolment_for(person, None, program)
        if enrolment is not None and person is None:
            person = enrolment.person
        if person is not None and household is None and set(changes) & set(records.HOUSEHOLD_FIELDS):
            household = Household.objects.filter(memberships__person=person, memberships__valid_to__isnull=True).first()
        clean = records.check_corrections(person=person, household=household, enrolment=enrolment, changes=changes)
        division = person.division_code if person is not None else household.division_code
        return {"division_code": division, "person": person, "household": household, "enrolment": enrolment,
                "field": "correct:" + "+".join(sorted(clean)), "payload": {"changes": _changes_payload(clean)},
                "affected": [person.pk] if person is not None else [], "household_fields": sorted(set(clean) & set(records.HOUSEHOLD_FIELDS))}
    if kind == Kind.ADD_PERSON:
        if household is None:
            raise ValidationFailed(MSG_NEED_HOUSEHOLD, code="household_required", detail={"field": "household"})
        member = records.check_member(_dict(payload.get("member"), "member") or payload, program=program, division_code=household.division_code)
        records.check_new_member_person(member.number, program)
        return {"division_code": household.division_code, "household": household, "field": "",
                "payload": {"member": _member_payload(member)}, "id_hashes": [blind_index(member.number)], "affected": []}
    if kind == Kind.ADD_HOUSEHOLD:
        village = records.check_village(payload.get("village"))
        number = records.check_household_number(payload.get("number"))
        if Household.objects.filter(county_code=village[:6], number=number).exists():
            raise records.field_error("number", records.MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
        members_in = [_dict(m, "members") for m in _list(payload.get("members"), "members")]
        if not members_in:
            raise ValidationFailed(records.MSG_NO_MEMBERS, code="no_members", detail={"field": "members"})
        members, seen = [], set()
        for i, raw in enumerate(members_in):
            member = records.check_member(raw if i else {**raw, "relation": raw.get("relation") or "户主"}, program=program, division_code=village)
            if member.number in seen:
                raise records.field_error("id_number", records.MSG_DUPLICATE_IN_REQUEST % {"masked": mask_resident_id(member.number)},
                                          "id_duplicate")
            seen.add(member.number)
            records.check_new_member_person(member.number, program)
            members.append(member)
        address = str(payload.get("address") or "").strip()[:200]
        return {"division_code": village, "field": "", "affected": [], "id_hashes": [blind_index(m.number) for m in members],
                "payload": {"number": number, "village": village, "address": address, "members": [_member_payload(m) for m in members]}}
    if kind == Kind.MOVE:
        if person is None:
            raise ValidationFailed(MSG_NEED_PERSON, code="person_required", detail={"field": "person"})
        clean: dict[str, Any] = {"relation": records.check_relation(payload.get("relation"))}
        if payload.get("to_household"):
            target = Household.objects.filter(pk=_pk(payload["to_household"], "to_household")).first()
            if target is None:
                raise ValidationFailed(MSG_TARGET_HOUSEHOLD, code="target_required", detail={"field": "to_household"})
            current = Membership.objects.filter(person=person, valid_to__isnull=True).values_list("household_id", flat=True).first()
            if current == target.pk:
                raise ValidationFailed(records.MSG_SAME_HOUSEHOLD, code="same_household", detail={"field": "to_household"})
            if target.division_code[:4] != person.division_code[:4]:
                raise ValidationFailed(MSG_TARGET_CITY, code="target_other_city", detail={"field": "to_household"})
            clean.update(to_household=target.pk, to_number=target.number, to_village=target.division_code)
        elif payload.get("new_household"):
            new = _dict(payload["new_household"], "new_household")
            village = records.check_village(new.get("village"))
            if village[:4] != person.division_code[:4]:
                raise ValidationFailed(MSG_TARGET_CITY, code="target_other_city", detail={"field": "village"})
            number = records.check_household_number(new.get("number"))
            if Household.objects.filter(county_code=village[:6], number=number).exists():
                raise records.field_error("number", records.MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
            clean.update(new_household={"number": number, "village": village, "address": str(new.get("address") or "")[:200]},
                         to_number=number, to_village=village)
        else:
            raise ValidationFailed(MSG_TARGET_HOUSEHOLD, code="target_required", detail={"field": "to_household"})
        source = Membership.objects.filter(person=person, valid_to__isnull=True).select_related("household").first()
        if source is not None and source.household.head_id == person.pk:
            staying = set(_household_members(source.household)) - {person.pk}
            new_head = _pk(payload["new_head"], "new_head") if payload.get("new_head") else 0
            if staying and not new_head:
                raise ValidationFailed(records.MSG_HEAD_LEAVES, code="head_leaves", detail={"field": "new_head"})
            if new_head and new_head not in staying:
                raise ValidationFailed(records.MSG_NEW_HEAD, code="new_head_invalid", detail={"field": "new_head"})
            if new_head:
                clean["new_head"] = new_head
        return {"division_code": person.division_code, "person": person, "field": "household", "payload": clean, "affected": [person.pk],
                "household": Household.objects.filter(memberships__person=person, memberships__valid_to__isnull=True).first()}
    if kind == Kind.SPLIT:
        if household is None:
            raise ValidationFailed(MSG_NEED_HOUSEHOLD, code="household_required", detail={"field": "household"})
        current = _household_members(household)
        members = [_pk(m, "members") for m in _list(payload.get("members"), "members")]
        if not members or any(m not in current for m in members):
            raise ValidationFailed(records.MSG_NOT_MEMBER % {"name": ",".join(str(m) for m in members if m not in current) or "-",
                                                              "number": household.number}, code="not_member", detail={"field": "members"})
        if len(set(members)) >= len(current):
            raise ValidationFailed(records.MSG_SPLIT_ALL, code="split_all", detail={"field": "members"})
        head = _pk(payload.get("head") or members[0], "head")
        if head not in members:
            raise ValidationFailed(records.MSG_SPLIT_HEAD, code="split_head", detail={"field": "head"})
        village = records.check_village(payload.get("village") or household.division_code)
        if village[:6] != household.county_code:
            raise ValidationFailed(MSG_SAME_COUNTY, code="other_county", detail={"field": "village"})
        number = records.check_household_number(payload.get("number"))
        if Household.objects.filter(county_code=village[:6], number=number).exists():
            raise records.field_error("number", records.MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
        clean = {"members": members, "head": head, "number": number, "village": village, "address": str(payload.get("address") or "")[:200],
                 "relations": {str(_pk(k, "relations")): records.check_relation(v) for k, v in _dict(payload.get("relations"), "relations").items()}}
        if household.head_id in members:
            new_head = payload.get("new_head")
            new_head = _pk(new_head, "new_head") if new_head else None
            if not new_head or new_head not in current or new_head in members:
                raise ValidationFailed(records.MSG_NEW_HEAD if new_head else records.MSG_HEAD_LEAVES, code="head_leaves", detail={"field": "new_head"})
            clean["new_head"] = new_head
        return {"division_code": household.division_code, "household": household, "person": Person.objects.get(pk=head), "field": "household",
                "payload": clean, "affected": members}
    if kind == Kind.MERGE:
        if household is None:
            raise ValidationFailed(MSG_NEED_HOUSEHOLD, code="household_required", detail={"field": "household"})
        into = Household.objects.filter(pk=_pk(payload["into"], "into")).first() if payload.get("into") else None
        if into is None:
            raise ValidationFailed(MSG_INTO, code="into_required", detail={"field": "into"})
        if into.pk == household.pk:
            raise ValidationFailed(records.MSG_SAME_HOUSEHOLD, code="same_household", detail={"field": "into"})
        if into.county_code != household.county_code:
            raise ValidationFailed(MSG_SAME_COUNTY, code="other_county", detail={"field": "into"})
        members = _household_members(household)
        clean = {"into": into.pk, "into_number": into.number, "to_village": into.division_code,
                 "relations": {str(_pk(k, "relations")): records.check_relation(v) for k, v in _dict(payload.get("relations"), "relations").items()}}
        head = household.head if household.head_id in members else (Person.objects.get(pk=members[0]) if members else None)
        return {"division_code": household.division_code, "household": household, "person": head, "field": "household" if head else "",
                "payload": clean, "affected": members}
    raise ValidationFailed(MSG_KIND % {"kind": kind}, code="kind_invalid", detail={"field": "kind"})


def _open_requests():
    return ChangeRequest.objects.filter(state__in=ChangeRequest.OPEN_STATES)


def _conflict(cr: ChangeRequest, message=None) -> Conflict:
    message = message or MSG_OPEN_REQUEST
    return Conflict(message % {"kind": cr.get_kind_display(), "id": cr.pk, "state": cr.get_state_display()}, code="request_open",
                    detail={"request": cr.pk})


def _check_conflicts(prepared: dict, *, exclude: int | None = None) -> None:
    """One open request per person and field, including the members a split, merge or move takes along."""
    qs = _open_requests().exclude(pk=exclude) if exclude else _open_requests()
    field = prepared.get("field", "")
    affected = set(prepared.get("affected") or [])
    if affected and field:
        if field.startswith("correct:"):
            mine = set(field[8:].split("+"))
            for cr in qs.filter(person_id__in=affected, field__startswith="correct:"):
                if mine & set(cr.field[8:].split("+")):
                    raise _conflict(cr)
        else:
            for cr in qs.filter(person_id__in=affected, field=field):
                raise _conflict(cr)
        if field == "household":
            county = prepared["division_code"][:6]
            for cr in qs.filter(code_prefix_q("division_code", county), kind__in=[Kind.SPLIT, Kind.MERGE, Kind.MOVE]):
                if affected & set(cr.payload.get("affected") or []):
                    raise _conflict(cr)
    household = prepared.get("household")
    if household is not None and prepared.get("household_fields"):
        for cr in qs.filter(household=household, kind=Kind.CORRECT, person__isnull=True):
            raise _conflict(cr, MSG_OPEN_HOUSEHOLD)
    hashes = set(prepared.get("id_hashes") or [])
    if hashes:
        for cr in qs.filter(kind__in=[Kind.ADD_PERSON, Kind.ADD_HOUSEHOLD]):
            theirs = {m.get("id_hash") for m in ([cr.payload.get("member")] if cr.kind == Kind.ADD_PERSON else cr.payload.get("members") or []) if m}
            common = hashes & theirs
            if common:
                masked = next(m["id_masked"] for m in ([cr.payload.get("member")] if cr.kind == Kind.ADD_PERSON else cr.payload["members"])
                              if m.get("id_hash") in common)
                raise Conflict(MSG_OPEN_ADD % {"masked": masked, "kind": cr.get_kind_display(), "id": cr.pk}, code="request_open",
                               detail={"request": cr.pk})


def _step(cr: ChangeRequest, action: str, actor, *, level: str = "", comment: str = "") -> None:
    ChangeRequestStep.objects.create(request=cr, level=level, action=action, actor=actor if getattr(actor, "pk", None) else None,
                                     comment=str(comment)[:500])


def _audit(cr: ChangeRequest, action: str, actor, *, before=None, after=None, message: str = "") -> None:
    audit_record(actor=actor if getattr(actor, "pk", None) else None, action=f"registry.request.{action}", object_type="change_request",
                 object_id=cr.pk, division_code=cr.division_code, before=before, after=after, message=message)


def _summary(cr: ChangeRequest) -> dict:
    return {"kind": cr.kind, "state": cr.state, "program": cr.program, "person": cr.person_id, "household": cr.household_id,
            "field": cr.field, "level": awaited_level(cr), "effective_on": cr.effective_on}


# --- services ---------------------------------------------------------------------------------------------

def change_request_create(*, actor, kind: str, program: str, person: Person | None = None, household: Household | None = None,
                          enrolment: Enrolment | None = None, cause: str = "", reason: str = "", payload: dict | None = None,
                          effective_on: dt.date | None = None, submit: bool = False, source: str = ChangeRequest.Source.MANUAL,
                          today: dt.date | None = None) -> ChangeRequest:
    """Propose a change (a draft, or submitted at once with `submit`). The content is checked now and again when applied."""
    require_perm(actor, Perm.REQUEST_SUBMIT)
    today = today or dt.date.today()
    if kind not in Kind.values:
        raise ValidationFailed(MSG_KIND % {"kind": kind}, code="kind_invalid", detail={"field": "kind"})
    if program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"program": program}, code="program_invalid", detail={"field": "program"})
    level = actor_level(actor)
    if not level:
        raise PermissionDenied(MSG_ACTOR_LEVEL, code="actor_level")
    with transaction.atomic():
        prepared = _prepare(kind, program=program, person=person, household=household, enrolment=enrolment, cause=cause,
                            payload=payload or {}, today=today)
        division = prepared["division_code"]
        if not in_scope(actor, division, "entry"):
            raise NotFound()
        if kind == Kind.REMOVE:
            effective_on = None  # set by the removal rule when decided
        levels = workflow_levels(kind, division_code=division, on=today)
        target = prepared["payload"].get("to_village", "")
        if target and target[:6] != division[:6] and "city" not in levels:
            levels.append("city")  # moving to another county: the city decides
        _check_conflicts(prepared)
        payload_out = {**prepared["payload"], "affected": prepared.get("affected") or []}
        try:
            with transaction.atomic():
                cr = ChangeRequest.objects.create(
                    kind=kind, program=prepared.get("program", program), division_code=division, person=prepared.get("person"),
                    household=prepared.get("household"), enrolment=prepared.get("enrolment"), field=prepared["field"], payload=payload_out,
                    cause=prepared.get("cause", ""), reason=str(reason or "")[:500], levels=levels, level_index=_start_index(levels, level),
                    effective_on=effective_on, source=source, created_by=actor)
        except IntegrityError:
            other = _open_requests().filter(person=prepared.get("person"), field=prepared["field"]).first()
            raise (_conflict(other) if other else Conflict()) from None
        _step(cr, Action.CREATE, actor, level=level, comment=reason)
        _audit(cr, "created", actor, after=_summary(cr))
        if submit:
            cr = change_request_submit(actor=actor, request=cr)
    return cr


def change_request_copy(*, actor, request: ChangeRequest) -> ChangeRequest:
    """A rejected or withdrawn request proposed again as a new draft with the same content."""
    require_perm(actor, Perm.REQUEST_SUBMIT)
    if request.state not in (State.REJECTED, State.WITHDRAWN):
        raise Conflict(MSG_NOT_COPYABLE, code="not_copyable")
    payload = dict(request.payload)
    if request.kind == Kind.ADD_PERSON:
        raw = _member_from_payload(payload["member"], program=request.program, division_code=request.division_code)
        payload = {"member": _member_input(raw)}
    elif request.kind == Kind.ADD_HOUSEHOLD:
        payload["members"] = [_member_input(_member_from_payload(m, program=request.program, division_code=request.division_code))
                              for m in payload["members"]]
    elif request.kind == Kind.CORRECT:
        payload = {"changes": _changes_from_payload(payload["changes"])}
    new = change_request_create(actor=actor, kind=request.kind, program=request.program, person=request.person, household=request.household,
                                enrolment=request.enrolment, cause=request.cause, reason=request.reason, payload=payload,
                                effective_on=request.effective_on, source=request.source)
    return new


def _member_input(m: records.MemberData) -> dict:
    data = {"name": m.name, "id_number": m.number, "relation": m.relation, "ethnicity": m.ethnicity, "phone": m.phone}
    for key, value in (m.enrolment or {}).items():
        data[key] = value.code if key == "reservoir" else value
    return data


def _lock(cr: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().get(pk=cr.pk)


def change_request_submit(*, actor, request: ChangeRequest) -> ChangeRequest:
    require_perm(actor, Perm.REQUEST_SUBMIT)
    with transaction.atomic():
        cr = _lock(request)
        if cr.created_by_id != actor.pk:
            raise PermissionDenied(MSG_NOT_CREATOR, code="not_creator")
        if cr.state != State.DRAFT:
            raise Conflict(MSG_NOT_DRAFT % {"state": cr.get_state_display()}, code="not_draft")
        cr.state = State.PENDING
        cr.save(update_fields=["state", "updated_at"])
        _step(cr, Action.SUBMIT, actor, level=actor_level(actor))
        _audit(cr, "submitted", actor, before={"state": State.DRAFT}, after={"state": cr.state, "level": awaited_level(cr)})
    return cr


def check_decider(actor, cr: ChangeRequest) -> None:
    """Raise unless `actor` may decide `cr` now: the permission, the awaited level, the jurisdiction, not their own."""
    require_perm(actor, Perm.REQUEST_DECIDE)
    if cr.state != State.PENDING:
        raise Conflict(MSG_NOT_PENDING % {"state": cr.get_state_display()}, code="not_pending")
    level = awaited_level(cr)
    if actor_level(actor) != level:
        raise PermissionDenied(MSG_WRONG_LEVEL % {"level": LEVEL_LABELS.get(level, level)}, code="wrong_level")
    if not in_scope(actor, cr.division_code, "entry"):
        raise PermissionDenied(MSG_WRONG_SCOPE, code="wrong_scope")
    if cr.created_by_id == actor.pk:
        raise PermissionDenied(MSG_OWN_REQUEST, code="own_request")


def can_decide(actor, cr: ChangeRequest) -> bool:
    try:
        check_decider(actor, cr)
    except ApplicationError:
        return False
    return True


def change_request_approve(*, actor, request: ChangeRequest, comment: str = "", today: dt.date | None = None) -> ChangeRequest:
    """Approve at the awaited level; after the last level: public posting, or straight to waiting for the effective date."""
    today = today or dt.date.today()
    with transaction.atomic():
        cr = _lock(request)
        check_decider(actor, cr)
        level = awaited_level(cr)
        _step(cr, Action.APPROVE, actor, level=level, comment=comment)
        before = {"state": cr.state, "level": level}
        if cr.level_index < len(cr.levels) - 1:
            cr.level_index += 1
            cr.save(update_fields=["level_index", "updated_at"])
            _audit(cr, "approved", actor, before=before, after={"state": cr.state, "level": awaited_level(cr)}, message=comment)
            return cr
        required = policy_value("registry.posting_required", on=today, division_code=cr.division_code)
        if cr.kind in required:
            days = int(policy_value("registry.posting_days", on=today, division_code=cr.division_code))
            cr.state, cr.posting_from, cr.posting_until = State.POSTING, today, today + dt.timedelta(days=days - 1)
        else:
            cr.state = State.APPROVED
        cr.effective_on = effective_date(cr, decided_on=today)
        cr.save(update_fields=["state", "posting_from", "posting_until", "effective_on", "updated_at"])
        _audit(cr, "approved", actor, before=before, after={"state": cr.state, "effective_on": cr.effective_on}, message=comment)
        if cr.state == State.POSTING:
            _step(cr, Action.POST, actor, level=level, comment=f"{cr.posting_from:%Y-%m-%d} ~ {cr.posting_until:%Y-%m-%d}")
            _audit(cr, "posted", actor, after={"posting_from": cr.posting_from, "posting_until": cr.posting_until})
    return cr


def change_request_reject(*, actor, request: ChangeRequest, reason: str) -> ChangeRequest:
    reason = str(reason or "").strip()
    with transaction.atomic():
        cr = _lock(request)
        check_decider(actor, cr)
        if not reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        level = awaited_level(cr)
        cr.state = State.REJECTED
        cr.save(update_fields=["state", "updated_at"])
        _step(cr, Action.REJECT, actor, level=level, comment=reason)
        _audit(cr, "rejected", actor, before={"state": State.PENDING, "level": level}, after={"state": cr.state}, message=reason)
    return cr


def change_request_withdraw(*, actor, request: ChangeRequest, comment: str = "") -> ChangeRequest:
    """The creator takes the request back at any time before it takes effect."""
    require_perm(actor, Perm.REQUEST_SUBMIT)
    with transaction.atomic():
        cr = _lock(request)
        if cr.created_by_id != actor.pk:
            raise PermissionDenied(MSG_NOT_CREATOR, code="not_creator")
        if cr.state not in ChangeRequest.OPEN_STATES:
            raise Conflict(MSG_CANNOT_WITHDRAW % {"state": cr.get_state_display()}, code="not_open")
        before = cr.state
        cr.state = State.WITHDRAWN
        cr.save(update_fields=["state", "updated_at"])
        _step(cr, Action.WITHDRAW, actor, level=actor_level(actor), comment=comment)
        _audit(cr, "withdrawn", actor, before={"state": before}, after={"state": cr.state}, message=comment)
    return cr


# --- applying ---------------------------------------------------------------------------------------------

def _apply_records(cr: ChangeRequest, actor) -> None:
    p, on = cr.payload, cr.effective_on
    if cr.kind == Kind.REMOVE:
        records.person_remove(actor=actor, enrolment=cr.enrolment, cause=cr.cause, effective_on=on, request=cr, note=cr.reason)
    elif cr.kind == Kind.RESTORE:
        records.person_restore(actor=actor, enrolment=cr.enrolment, effective_on=on, request=cr, note=cr.reason)
    elif cr.kind == Kind.CORRECT:
        household = cr.household if any(f in records.HOUSEHOLD_FIELDS for f in p["changes"]) else None
        records.person_correct(actor=actor, person=cr.person, household=household, enrolment=cr.enrolment,
                               changes=_changes_from_payload(p["changes"]), effective_on=on, request=cr)
    elif cr.kind == Kind.ADD_PERSON:
        member = _member_from_payload(p["member"], program=cr.program, division_code=cr.division_code)
        records.person_add(actor=actor, household=cr.household, program=cr.program, member=member, effective_on=on, request=cr)
    elif cr.kind == Kind.ADD_HOUSEHOLD:
        members = [_member_from_payload(m, program=cr.program, division_code=cr.division_code) for m in p["members"]]
        household = records.household_add(actor=actor, number=p["number"], village=p["village"], address=p.get("address", ""),
                                          program=cr.program, members=members, effective_on=on, request=cr)
        cr.household = household
        cr.save(update_fields=["household"])
    elif cr.kind == Kind.MOVE:
        target = Household.objects.get(pk=p["to_household"]) if p.get("to_household") else None
        records.person_move(actor=actor, person=cr.person, to_household=target, new_household=p.get("new_household"), relation=p["relation"],
                            new_head=p.get("new_head"), effective_on=on, request=cr)
    elif cr.kind == Kind.SPLIT:
        records.household_split(actor=actor, household=cr.household, members=p["members"], head=p["head"], number=p["number"],
                                village=p.get("village"), address=p.get("address", ""), relations=p.get("relations"),
                                new_head=p.get("new_head"), effective_on=on, request=cr)
    elif cr.kind == Kind.MERGE:
        records.household_merge(actor=actor, household=cr.household, into=Household.objects.get(pk=p["into"]), relations=p.get("relations"),
                                effective_on=on, request=cr)


def change_request_apply(*, actor, request: ChangeRequest, today: dt.date | None = None) -> ChangeRequest:
    """Make an approved request effective: the registry changes through services/records.py, in this transaction."""
    today = today or dt.date.today()
    with transaction.atomic():
        cr = _lock(request)
        if cr.state != State.APPROVED:
            raise Conflict(MSG_NOT_APPROVED, code="not_approved")
        if cr.effective_on and cr.effective_on > today:
            raise Conflict(MSG_NOT_DUE % {"date": cr.effective_on.isoformat()}, code="not_due")
        cr.effective_on = cr.effective_on or today
        _apply_records(cr, actor)
        cr.state = State.EFFECTIVE
        cr.save(update_fields=["state", "effective_on", "updated_at"])
        _step(cr, Action.APPLY, actor)
        _audit(cr, "applied", actor, before={"state": State.APPROVED}, after={"state": cr.state, "effective_on": cr.effective_on})
    return cr


def change_requests_apply_due(*, actor=None, today: dt.date | None = None, division_prefix: str = "") -> dict:
    """Close postings that have ended and apply every approved request whose effective date has come.

    Each request is applied in its own transaction; one that no longer fits the registry (say the person was
    removed meanwhile) stays approved and is reported, with a failure audit event, so the rest still go through.
    Run daily by `anju registry requests apply-due` (and by housekeeping).
    """
    today = today or dt.date.today()
    scope = code_prefix_q("division_code", division_prefix) if division_prefix else Q()
    ended = 0
    with transaction.atomic():
        for cr in ChangeRequest.objects.select_for_update().filter(scope, state=State.POSTING, posting_until__lt=today):
            cr.state = State.APPROVED
            cr.save(update_fields=["state", "updated_at"])
            _audit(cr, "posting_ended", actor, before={"state": State.POSTING}, after={"state": State.APPROVED})
            ended += 1
    applied, failed = [], []
    due = ChangeRequest.objects.filter(scope, state=State.APPROVED).filter(Q(effective_on__lte=today) | Q(effective_on__isnull=True))
    for cr in due.order_by("effective_on", "pk"):
        try:
            change_request_apply(actor=actor, request=cr, today=today)
            applied.append(cr.pk)
        except ApplicationError as exc:
            failed.append({"request": cr.pk, "code": exc.code, "reason": exc.message})
            with transaction.atomic():
                audit_record(actor=actor if getattr(actor, "pk", None) else None, action="registry.request.applied", object_type="change_request",
                             object_id=cr.pk, division_code=cr.division_code, outcome="failure", message=exc.message)
    return {"posting_ended": ended, "applied": applied, "failed": failed}


# --- evidence -------------------------------------------------------------------------------------------

def evidence_dir(request_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "registry" / "evidence" / str(request_id)


def check_evidence(name: str, data: bytes) -> str:
    """The content type of an acceptable attachment: allowed extension, matching magic bytes, size and zip limits
    (core.uploads.check_upload with this module's limits, messages and codes)."""
    return check_upload(name, data, allowed=EVIDENCE_TYPES, max_bytes=MAX_EVIDENCE_BYTES, max_zip_entries=MAX_ZIP_ENTRIES,
                        max_zip_total=MAX_ZIP_TOTAL, code_prefix="evidence",
                        messages={"type": MSG_EVIDENCE_TYPE, "empty": MSG_EVIDENCE_EMPTY, "size": MSG_EVIDENCE_SIZE,
                                  "content": MSG_EVIDENCE_CONTENT, "zip": MSG_EVIDENCE_ZIP})


def read_upload(upload, limit: int = MAX_EVIDENCE_BYTES) -> bytes:
    """An uploaded file's bytes, reading at most one byte past `limit` (enough to refuse it)."""
    chunks, total = [], 0
    for chunk in upload.chunks():
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(chunks)


def evidence_add(*, actor, request: ChangeRequest, name: str, data: bytes) -> Evidence:
    """Attach a file to an open request (the submitter's or a decider's side); stored under MEDIA_ROOT with its sha256."""
    if not (actor.can(Perm.REQUEST_SUBMIT) or actor.can(Perm.REQUEST_DECIDE)):
        require_perm(actor, Perm.REQUEST_SUBMIT)
    name = Path(str(name or "file").replace("\\", "/")).name[:200] or "file"
    content_type = check_evidence(name, data)
    with transaction.atomic():
        cr = _lock(request)
        if not in_scope(actor, cr.division_code, "entry"):
            raise NotFound()
        if cr.state not in ChangeRequest.OPEN_STATES:
            raise Conflict(MSG_EVIDENCE_STATE % {"state": cr.get_state_display()}, code="not_open")
        if cr.evidence.count() >= MAX_EVIDENCE_FILES:
            raise ValidationFailed(MSG_EVIDENCE_COUNT % {"n": MAX_EVIDENCE_FILES}, code="evidence_count", detail={"field": "file"})
        folder = evidence_dir(cr.pk)
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
        stored.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        evidence = Evidence.objects.create(request=cr, path=str(stored.relative_to(settings.MEDIA_ROOT)), original_name=name,
                                           content_type=content_type, size=len(data), sha256=digest, uploaded_by=actor)
        _audit(cr, "evidence_added", actor, after={"evidence": evidence.pk, "name": name, "size": len(data), "sha256": digest})
    return evidence


def evidence_open(*, actor, evidence: Evidence) -> Path:
    """The stored file of an attachment the actor may read; every download is audited."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    path = Path(settings.MEDIA_ROOT) / evidence.path
    if not path.is_file():
        raise NotFound()
    with transaction.atomic():
        _audit(evidence.request, "evidence_downloaded", actor, after={"evidence": evidence.pk, "name": evidence.original_name,
                                                                       "sha256": evidence.sha256})
    return path
