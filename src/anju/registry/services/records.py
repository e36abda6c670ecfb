"""Single-record registry writes: remove, restore, correct, add a person or a household, move, split, merge.

Each function writes its History rows (ID and bank values masked), keeps Person.division_code and
Enrolment.division_code/household in step with the open membership, and audits, in one transaction.

Authority: with `request` given, the approved change request is the authority (the request workflow has
checked the deciders; `actor` is whoever applies it, None for the scheduled step). Without a request the
write is a direct edit (source 手工) and needs `Perm.REGISTRY_IMPORT` in the actor's entry scope.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import blind_index, decrypt, encrypt
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.masking import mask_bank_account, mask_resident_id
from anju.core.policy import policy_date, policy_value
from anju.divisions.models import Division, Level
from anju.registry import resident_id, roster
from anju.registry.models import (
    ChangeRequest,
    Enrolment,
    EnrolmentStatus,
    History,
    Household,
    Membership,
    Person,
    Program,
    RemovalCause,
    Reservoir,
    Status,
)

MSG_ALREADY_REMOVED = _("该人员在此项目中已是核减状态")
MSG_NOT_REMOVED = _("该人员在此项目中不是核减或暂停状态，无需恢复")
MSG_BEFORE_PERIOD = _("生效日期 %(date)s 早于当前状态的起始日期 %(since)s")
MSG_NO_OPEN_PERIOD = _("该人员在此项目中没有当前状态记录")
MSG_CAUSE = _("核减原因“%(value)s”不是可选值")
MSG_FIELD_UNKNOWN = _("不能更正的字段：%(field)s")
MSG_NOTHING_CHANGED = _("没有任何字段发生变化")
MSG_NAME = _("姓名不能为空，且不超过 64 个字符")
MSG_PHONE = _("联系电话只能包含数字、空格、“-”和“+”，长度 7 至 20 位")
MSG_ETHNICITY = _("民族不超过 16 个字符")
MSG_GENDER = _("性别应为 男 或 女")
MSG_GENDER_ID = _("性别与身份证号不符（身份证号显示为%(expected)s）")
MSG_BIRTH_ID = _("出生日期与身份证号不符（身份证号显示为 %(expected)s）")
MSG_DATE = _("日期“%(value)s”无法识别，请写成 2024-05-01")
MSG_DATE_FUTURE = _("日期 %(value)s 晚于今天")
MSG_ID_TAKEN = _("身份证号 %(masked)s 已属于名册中的另一人（%(name)s）")
MSG_ID_ENROLLED = _("身份证号 %(masked)s 的人员已在该项目名册中（%(name)s），如需恢复请提出“恢复”申请")
MSG_ID_IN_HOUSEHOLD = _("身份证号 %(masked)s 的人员（%(name)s）仍在户 %(number)s 中，请先办理迁移")
MSG_BANK = _("银行账号去掉空格后只能是 12 至 30 位数字")
MSG_SUPPORT_MODE = _("扶持方式“%(value)s”不是可选值（直补、直发直补、项目扶持）")
MSG_RELATION = _("与户主关系不能为空，且不超过 16 个字符")
MSG_ADDRESS = _("住址不超过 200 个字符")
MSG_VILLAGE = _("区划代码 %(code)s 不是已知的村（居）")
MSG_HOUSEHOLD_NUMBER = _("户编号不能为空，且不超过 32 个字符")
MSG_HOUSEHOLD_EXISTS = _("户编号 %(number)s 在该县已存在")
MSG_NO_MEMBERS = _("新增户至少要有一名成员")
MSG_NOT_MEMBER = _("人员 %(name)s 不是户 %(number)s 的当前成员")
MSG_SAME_HOUSEHOLD = _("迁入户与原户相同")
MSG_HEAD_LEAVES = _("户主迁出后原户仍有成员，请指定新户主")
MSG_NEW_HEAD = _("新户主必须是留在原户的成员")
MSG_SPLIT_ALL = _("分户须留下至少一名成员在原户")
MSG_SPLIT_HEAD = _("新户户主必须是分出的成员之一")
MSG_RESERVOIR = _("水库“%(value)s”不存在")
MSG_MOVE_DATE = _("搬迁时间不能晚于今天，也不能早于出生日期")
MSG_HOUSING_AREA = _("人均住房面积应为 0 至 %(max)s 平方米之间的数字")
MSG_ID_FIELD = _("身份证号：%(message)s")
MSG_DUPLICATE_IN_REQUEST = _("身份证号 %(masked)s 在本申请中出现了两次")

SUPPORT_MODES = {"直补": Enrolment.SupportMode.DIRECT, "直发直补": Enrolment.SupportMode.DIRECT, "项目扶持": Enrolment.SupportMode.PROJECT,
                 "direct": Enrolment.SupportMode.DIRECT, "project": Enrolment.SupportMode.PROJECT}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F", "m": "M", "f": "F"}
CAUSES = {str(label): value for value, label in RemovalCause.choices} | {v: v for v in RemovalCause.values} | {
    "公职人员": RemovalCause.PUBLIC_EMPLOYMENT, "财政供养": RemovalCause.PUBLIC_EMPLOYMENT, "军官": RemovalCause.MILITARY_OFFICER,
    "农转非": RemovalCause.NON_AGRICULTURAL, "非农户口": RemovalCause.NON_AGRICULTURAL, "服刑人员": RemovalCause.PRISON, "去世": RemovalCause.DEATH}

# Correctable fields, where they live, and whether their history value is masked.
PERSON_FIELDS = ("name", "id_number", "gender", "birth_date", "ethnicity", "phone")
ENROLMENT_FIELDS = ("support_mode", "bank_name", "bank_account", "origin", "move_date")
MEMBERSHIP_FIELDS = ("relation",)
HOUSEHOLD_FIELDS = ("address",)
CORRECTABLE = PERSON_FIELDS + ENROLMENT_FIELDS + MEMBERSHIP_FIELDS + HOUSEHOLD_FIELDS
FIELD_LABELS = {"name": _("姓名"), "id_number": _("身份证号"), "gender": _("性别"), "birth_date": _("出生日期"), "ethnicity": _("民族"),
                "phone": _("联系电话"), "support_mode": _("扶持方式"), "bank_name": _("开户银行"), "bank_account": _("银行账号"),
                "origin": _("迁出地"), "move_date": _("搬迁时间"), "relation": _("与户主关系"), "address": _("住址"),
                "event_date": _("事件日期"), "cause": _("核减原因"), "village": _("所在村"), "number": _("户编号"), "reservoir": _("水库"),
                "housing_area": _("人均住房面积"), "effective_on": _("生效日期")}


def field_error(field: str, message, code: str = "invalid") -> ValidationFailed:
    """A field-level problem: the message names the field, detail carries it for forms and the API."""
    label = FIELD_LABELS.get(field, field)
    return ValidationFailed(f"{label}：{message}", code=code, detail={"field": field})


# --- value checks (shared with the request service and the bulk import) ------------------------------

def parse_date(value: Any, *, field: str = "date", allow_future: bool = True, today: dt.date | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        text = str(value or "").strip().replace("/", "-").replace(".", "-")
        match = re.fullmatch(r"(\d{4})[-年](\d{1,2})[-月](\d{1,2})日?", text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        try:
            value = dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None
        except ValueError:
            value = None
        if value is None:
            raise field_error(field, MSG_DATE % {"value": text}, "date_invalid")
    if not allow_future and value > (today or dt.date.today()):
        raise field_error(field, MSG_DATE_FUTURE % {"value": value.isoformat()}, "date_future")
    return value


def check_cause(value: Any) -> str:
    cause = CAUSES.get(str(value or "").strip())
    if cause is None:
        raise field_error("cause", MSG_CAUSE % {"value": value}, "cause_invalid")
    return cause


def check_resident_id(value: Any, *, field: str = "id_number") -> resident_id.ResidentId:
    try:
        return resident_id.parse(value, extra_regions=resident_id.division_regions())
    except resident_id.ResidentIdError as exc:
        raise ValidationFailed(MSG_ID_FIELD % {"message": exc.message}, code=exc.code, detail={"field": field}) from None


def check_name(value: Any) -> str:
    name = re.sub(r"\s+", "", str(value or ""))
    if not name or len(name) > 64:
        raise field_error("name", MSG_NAME, "name_invalid")
    return name


def check_phone(value: Any) -> str:
    phone = str(value or "").strip()
    if phone and (not re.fullmatch(r"[0-9+\- ]+", phone) or not 7 <= len(re.sub(r"\D", "", phone)) <= 20):
        raise field_error("phone", MSG_PHONE, "phone_invalid")
    return phone


def check_bank_account(value: Any) -> str:
    account = re.sub(r"\s+", "", str(value or ""))
    if account and not re.fullmatch(r"\d{12,30}", account):
        raise field_error("bank_account", MSG_BANK, "bank_account_invalid")
    return account


def check_support_mode(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    mode = SUPPORT_MODES.get(text)
    if mode is None:
        raise field_error("support_mode", MSG_SUPPORT_MODE % {"value": text}, "support_mode_invalid")
    return mode


def check_gender(value: Any) -> str:
    gender = GENDERS.get(str(value or "").strip())
    if gender is None:
        raise field_error("gender", MSG_GENDER, "gender_invalid")
    return gender


def check_relation(value: Any) -> str:
    relation = str(value or "").strip()
    if not relation or len(relation) > 16:
        raise field_error("relation", MSG_RELATION, "relation_invalid")
    return relation


def check_village(code: Any) -> str:
    code = str(code or "").strip()
    if not Division.objects.filter(code=code, level=Level.VILLAGE).exists():
        raise field_error("village", MSG_VILLAGE % {"code": code}, "village_unknown")
    return code


def check_household_number(value: Any) -> str:
    number = str(value or "").strip()
    if not number or len(number) > 32:
        raise field_error("number", MSG_HOUSEHOLD_NUMBER, "household_number_invalid")
    return number


@dataclass
class MemberData:
    """One person to add, validated: the ID parsed, gender/birth consistent with it."""

    name: str
    number: str
    gender: str
    birth_date: dt.date
    relation: str
    ethnicity: str = ""
    phone: str = ""
    enrolment: dict | None = None


def check_member(data: dict, *, program: str, division_code: str) -> MemberData:
    """Validate a person to add (name, ID, relation; gender and birth date must agree with the ID)."""
    name = check_name(data.get("name"))
    rid = check_resident_id(data.get("id_number"))
    if data.get("gender") not in (None, ""):
        gender = check_gender(data.get("gender"))
        if gender != rid.gender:
            raise field_error("gender", MSG_GENDER_ID % {"expected": Person.Gender(rid.gender).label}, "gender_mismatch")
    if data.get("birth_date") not in (None, ""):
        birth = parse_date(data.get("birth_date"), field="birth_date")
        if birth != rid.birth_date:
            raise field_error("birth_date", MSG_BIRTH_ID % {"expected": rid.birth_date.isoformat()}, "birth_mismatch")
    enrolment = check_enrolment_fields(data, program=program, division_code=division_code, birth=rid.birth_date)
    return MemberData(name=name, number=rid.number, gender=rid.gender, birth_date=rid.birth_date, relation=check_relation(data.get("relation")),
                      ethnicity=_short(data.get("ethnicity"), 16, "ethnicity", MSG_ETHNICITY), phone=check_phone(data.get("phone")),
                      enrolment=enrolment)


def _short(value: Any, limit: int, field: str, message) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise field_error(field, message, f"{field}_too_long")
    return text


def check_enrolment_fields(data: dict, *, program: str, division_code: str, birth: dt.date | None = None) -> dict:
    """Enrolment columns given for a new member (missing ones are taken from the household's head later)."""
    out: dict[str, Any] = {}
    if program == Program.RESERVOIR:
        if data.get("reservoir"):
            value = str(data["reservoir"]).strip()
            reservoir = Reservoir.objects.filter(code=value).first() or (
                Reservoir.objects.filter(pk=int(value)).first() if value.isdigit() else None)
            if reservoir is None:
                raise field_error("reservoir", MSG_RESERVOIR % {"value": value}, "reservoir_unknown")
            out["reservoir"] = reservoir
        if data.get("move_date"):
            move = parse_date(data["move_date"], field="move_date")
            if move > dt.date.today() or (birth and move < birth):
                raise field_error("move_date", MSG_MOVE_DATE, "move_date_invalid")
            out["move_date"] = move
        if data.get("origin"):
            out["origin"] = _short(data["origin"], 200, "origin", MSG_ADDRESS)
        if data.get("support_mode"):
            out["support_mode"] = check_support_mode(data["support_mode"])
        if data.get("bank_name"):
            out["bank_name"] = _short(data["bank_name"], 100, "bank_name", MSG_ADDRESS)
        if data.get("bank_account"):
            out["bank_account"] = check_bank_account(data["bank_account"])
    else:
        if data.get("housing_area") not in (None, ""):
            try:
                area = Decimal(str(data["housing_area"]))
            except InvalidOperation:
                area = Decimal(-1)
            if not Decimal(0) <= area <= roster.HOUSING_AREA_MAX:
                raise field_error("housing_area", MSG_HOUSING_AREA % {"max": roster.HOUSING_AREA_MAX}, "housing_area_invalid")
            out["housing_area"] = area
    return out


def support_period(move_date: dt.date | None, division_code: str) -> dict:
    """Category and support period of a reservoir resettler from the policy in force (POLICY.md §1)."""
    if move_date is None:
        return {}
    cutoff = policy_date("reservoir.cutoff_date", on=move_date, division_code=division_code)
    if move_date <= cutoff:
        start = policy_date("reservoir.period_start_current", on=cutoff, division_code=division_code)
        years = int(policy_value("reservoir.period_years_current", on=move_date, division_code=division_code))
        category = Enrolment.Category.CURRENT
    else:
        start = move_date.replace(day=1)
        years = int(policy_value("reservoir.period_years", on=move_date, division_code=division_code))
        category = Enrolment.Category.ORIGINAL
    end = start.replace(year=start.year + years) - dt.timedelta(days=1)
    return {"category": category, "support_start": start, "support_end": end}


# --- internals ---------------------------------------------------------------------------------------

def _authorise(actor, division_code: str, request: ChangeRequest | None) -> None:
    if request is not None:
        return
    require_perm(actor, Perm.REGISTRY_IMPORT)
    if not in_scope(actor, division_code, "entry"):
        raise NotFound()


def _source(request) -> str:
    return History.Source.REQUEST if request is not None else History.Source.MANUAL


def _hist(rows: list, *, effective_on, field, old, new, division_code, request, actor, person=None, household=None, enrolment=None) -> None:
    rows.append(History(effective_on=effective_on, person=person, household=household, enrolment=enrolment, division_code=division_code,
                        field=field, old=str(old if old is not None else "")[:300], new=str(new if new is not None else "")[:300],
                        source=_source(request), request=request, actor=actor if getattr(actor, "pk", None) else None))


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _open_period(enrolment: Enrolment) -> EnrolmentStatus:
    period = EnrolmentStatus.objects.select_for_update().filter(enrolment=enrolment, valid_to__isnull=True).order_by("-valid_from").first()
    if period is None:
        raise Conflict(MSG_NO_OPEN_PERIOD, code="no_open_period")
    return period


def _change_status(*, actor, enrolment: Enrolment, status: str, effective_on: dt.date, cause: str = "", note: str = "",
                   request: ChangeRequest | None = None) -> EnrolmentStatus:
    period = _open_period(enrolment)
    if effective_on < period.valid_from:
        raise ValidationFailed(MSG_BEFORE_PERIOD % {"date": effective_on.isoformat(), "since": period.valid_from.isoformat()},
                               code="effective_before_period", detail={"field": "effective_on"})
    period.valid_to = effective_on
    period.save(update_fields=["valid_to"])
    new = EnrolmentStatus.objects.create(enrolment=enrolment, status=status, valid_from=effective_on, cause=cause, note=note[:300], request=request)
    old_status = enrolment.status
    enrolment.status, enrolment.status_since = status, effective_on
    enrolment.save(update_fields=["status", "status_since", "updated_at"])
    rows: list[History] = []
    common = {"effective_on": effective_on, "division_code": enrolment.division_code, "request": request, "actor": actor,
              "person": enrolment.person, "household": enrolment.household, "enrolment": enrolment}
    _hist(rows, field="status", old=old_status, new=status, **common)
    if cause or period.cause:
        _hist(rows, field="cause", old=period.cause, new=cause, **common)
    History.objects.bulk_create(rows)
    return new


def person_remove(*, actor, enrolment: Enrolment, cause: str, effective_on: dt.date, request: ChangeRequest | None = None,
                  note: str = "") -> EnrolmentStatus:
    """核减: close the open status period at `effective_on` and open a REMOVED one with its cause."""
    cause = check_cause(cause)
    with transaction.atomic():
        _authorise(actor, enrolment.division_code, request)
        enrolment = Enrolment.objects.select_related("person", "household").get(pk=enrolment.pk)
        if enrolment.status == Status.REMOVED:
            raise Conflict(MSG_ALREADY_REMOVED, code="already_removed")
        period = _change_status(actor=actor, enrolment=enrolment, status=Status.REMOVED, effective_on=effective_on, cause=cause,
                                note=note, request=request)
        audit_record(actor=_actor(actor), action="registry.person.removed", object_type="enrolment", object_id=enrolment.pk,
                     division_code=enrolment.division_code, before={"status": Status.ACTIVE},
                     after={"status": Status.REMOVED, "cause": cause, "effective_on": effective_on, "request": getattr(request, "pk", None)})
    return period


def person_restore(*, actor, enrolment: Enrolment, effective_on: dt.date, request: ChangeRequest | None = None, note: str = "") -> EnrolmentStatus:
    """恢复: a removed or suspended enrolment becomes active again from `effective_on`."""
    with transaction.atomic():
        _authorise(actor, enrolment.division_code, request)
        enrolment = Enrolment.objects.select_related("person", "household").get(pk=enrolment.pk)
        if enrolment.status not in (Status.REMOVED, Status.SUSPENDED):
            raise Conflict(MSG_NOT_REMOVED, code="not_removed")
        before = enrolment.status
        period = _change_status(actor=actor, enrolment=enrolment, status=Status.ACTIVE, effective_on=effective_on, note=note, request=request)
        audit_record(actor=_actor(actor), action="registry.person.restored", object_type="enrolment", object_id=enrolment.pk,
                     division_code=enrolment.division_code, before={"status": before},
                     after={"status": Status.ACTIVE, "effective_on": effective_on, "request": getattr(request, "pk", None)})
    return period


def check_corrections(*, person: Person | None, household: Household | None, enrolment: Enrolment | None, changes: dict) -> dict:
    """Validate corrections like the import does; returns {field: clean value}. Gender and birth follow a new ID."""
    if not changes:
        raise ValidationFailed(MSG_NOTHING_CHANGED, code="nothing_changed")
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in CORRECTABLE or (field in PERSON_FIELDS + MEMBERSHIP_FIELDS and person is None) or (
                field in ENROLMENT_FIELDS and enrolment is None) or (field in HOUSEHOLD_FIELDS and household is None):
            raise ValidationFailed(MSG_FIELD_UNKNOWN % {"field": field}, code="field_unknown", detail={"field": field})
        if field == "name":
            clean[field] = check_name(value)
        elif field == "id_number":
            rid = check_resident_id(value)
            other = Person.objects.filter(id_hash=blind_index(rid.number)).exclude(pk=person.pk).first()
            if other is not None:
                raise field_error("id_number", MSG_ID_TAKEN % {"masked": mask_resident_id(rid.number), "name": other.name}, "id_taken")
            clean[field] = rid
        elif field == "gender":
            clean[field] = check_gender(value)
        elif field == "birth_date":
            clean[field] = parse_date(value, field="birth_date", allow_future=False)
        elif field == "ethnicity":
            clean[field] = _short(value, 16, "ethnicity", MSG_ETHNICITY)
        elif field == "phone":
            clean[field] = check_phone(value)
        elif field == "support_mode":
            clean[field] = check_support_mode(value)
        elif field == "bank_account":
            clean[field] = check_bank_account(value)
        elif field in ("bank_name", "origin"):
            clean[field] = _short(value, 100 if field == "bank_name" else 200, field, MSG_ADDRESS)
        elif field == "move_date":
            clean[field] = parse_date(value, field="move_date", allow_future=False)
        elif field == "relation":
            clean[field] = check_relation(value)
        elif field == "address":
            clean[field] = _short(value, 200, "address", MSG_ADDRESS)
    if person is not None:
        number = clean["id_number"].number if "id_number" in clean else decrypt(person.id_enc)
        expected_gender, expected_birth = ("M" if int(number[16]) % 2 else "F"), dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if "gender" in clean and clean["gender"] != expected_gender:
            raise field_error("gender", MSG_GENDER_ID % {"expected": Person.Gender(expected_gender).label}, "gender_mismatch")
        if "birth_date" in clean and clean["birth_date"] != expected_birth:
            raise field_error("birth_date", MSG_BIRTH_ID % {"expected": expected_birth.isoformat()}, "birth_mismatch")
    return clean


def _display(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def person_correct(*, actor, person: Person | None = None, household: Household | None = None, enrolment: Enrolment | None = None,
                   changes: dict, effective_on: dt.date, request: ChangeRequest | None = None) -> dict:
    """信息更正: validate and write the changed fields of a person, its membership, one enrolment or the household."""
    division = (person or household or enrolment.person).division_code
    with transaction.atomic():
        _authorise(actor, division, request)
        clean = check_corrections(person=person, household=household, enrolment=enrolment, changes=changes)
        rows: list[History] = []
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        common = {"effective_on": effective_on, "request": request, "actor": actor}
        if person is not None:
            person = Person.objects.select_for_update().get(pk=person.pk)
            updates = []
            if "id_number" in clean:
                rid = clean.pop("id_number")
                old_masked = person.id_masked
                person.id_hash, person.id_enc, person.id_masked = blind_index(rid.number), encrypt(rid.number), mask_resident_id(rid.number)
                updates += ["id_hash", "id_enc", "id_masked"]
                before["id_number"], after["id_number"] = old_masked, person.id_masked
                _hist(rows, field="id_number", old=old_masked, new=person.id_masked, division_code=person.division_code, person=person, **common)
                for f, v in (("gender", rid.gender), ("birth_date", rid.birth_date)):
                    if getattr(person, f) != v:
                        clean.setdefault(f, v)
            for f in ("name", "gender", "birth_date", "ethnicity", "phone"):
                if f in clean and getattr(person, f) != clean[f]:
                    before[f], after[f] = _display(f, getattr(person, f)), _display(f, clean[f])
                    _hist(rows, field=f, old=before[f], new=after[f], division_code=person.division_code, person=person, **common)
                    setattr(person, f, clean[f])
                    updates.append(f)
            if updates:
                try:
                    person.save(update_fields=[*updates, "updated_at"])
                except IntegrityError:
                    raise Conflict(MSG_ID_TAKEN % {"masked": person.id_masked, "name": ""}, code="id_taken") from None
            if "relation" in clean:
                membership = Membership.objects.filter(person=person, valid_to__isnull=True).first()
                if membership and membership.relation != clean["relation"]:
                    before["relation"], after["relation"] = membership.relation, clean["relation"]
                    _hist(rows, field="relation", old=membership.relation, new=clean["relation"], division_code=person.division_code,
                          person=person, household=membership.household, **common)
                    membership.relation = clean["relation"]
                    membership.save(update_fields=["relation"])
        if enrolment is not None:
            enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
            updates = []
            for f in ENROLMENT_FIELDS:
                if f not in clean:
                    continue
                if f == "bank_account":
                    old = enrolment.bank_account_masked
                    new_value = clean[f]
                    if decrypt(enrolment.bank_account_enc) == new_value:
                        continue
                    enrolment.bank_account_enc, enrolment.bank_account_hash = encrypt(new_value), blind_index(new_value, kind="bank")
                    enrolment.bank_account_masked = mask_bank_account(new_value)
                    updates += ["bank_account_enc", "bank_account_hash", "bank_account_masked"]
                    before[f], after[f] = old, enrolment.bank_account_masked
                elif getattr(enrolment, f) != clean[f]:
                    before[f], after[f] = _display(f, getattr(enrolment, f)), _display(f, clean[f])
                    setattr(enrolment, f, clean[f])
                    updates.append(f)
                    if f == "move_date" and enrolment.program == Program.RESERVOIR:
                        derived = support_period(clean[f], enrolment.division_code)
                        for k, v in derived.items():
                            setattr(enrolment, k, v)
                        updates += list(derived)
                else:
                    continue
                _hist(rows, field=f, old=before[f], new=after[f], division_code=enrolment.division_code, person=enrolment.person,
                      enrolment=enrolment, **common)
            if updates:
                enrolment.save(update_fields=[*updates, "updated_at"])
        if household is not None and "address" in clean:
            household = Household.objects.select_for_update().get(pk=household.pk)
            if household.address != clean["address"]:
                before["address"], after["address"] = household.address, clean["address"]
                _hist(rows, field="address", old=household.address, new=clean["address"], division_code=household.division_code,
                      household=household, **common)
                household.address = clean["address"]
                household.save(update_fields=["address", "updated_at"])
        if not rows:
            raise ValidationFailed(MSG_NOTHING_CHANGED, code="nothing_changed")
        History.objects.bulk_create(rows)
        target = person or household or enrolment
        audit_record(actor=_actor(actor), action="registry.person.corrected", object_type=type(target).__name__.lower(), object_id=target.pk,
                     division_code=division, before=before, after={**after, "request": getattr(request, "pk", None)})
    return after


def _head_enrolment(household: Household, program: str) -> Enrolment | None:
    qs = Enrolment.objects.filter(household=household, program=program)
    return qs.filter(person_id=household.head_id).first() or qs.order_by("pk").first()


def check_new_member_person(number: str, program: str) -> Person | None:
    """An existing person with this ID may join again only when not enrolled in the program and in no household."""
    person = Person.objects.filter(id_hash=blind_index(number)).first()
    if person is None:
        return None
    masked = mask_resident_id(number)
    if Enrolment.objects.filter(person=person, program=program).exists():
        raise Conflict(MSG_ID_ENROLLED % {"masked": masked, "name": person.name}, code="id_enrolled", detail={"field": "id_number"})
    open_membership = Membership.objects.filter(person=person, valid_to__isnull=True).select_related("household").first()
    if open_membership is not None:
        raise Conflict(MSG_ID_IN_HOUSEHOLD % {"masked": masked, "name": person.name, "number": open_membership.household.number},
                       code="id_in_household", detail={"field": "id_number"})
    return person


def _enrol(*, household: Household, person: Person, member: MemberData, program: str, effective_on: dt.date, template: Enrolment | None,
           request, actor) -> Enrolment:
    given = dict(member.enrolment or {})
    fields: dict[str, Any] = {}
    if program == Program.RESERVOIR:
        for f in ("reservoir", "move_date", "origin", "support_mode", "bank_name"):
            fields[f] = given.get(f, getattr(template, f) if template else None) or (None if f in ("reservoir", "move_date") else "")
        fields.update(support_period(fields["move_date"], household.division_code))
        account = given.get("bank_account", "")
        if account:
            fields.update(bank_account_enc=encrypt(account), bank_account_hash=blind_index(account, kind="bank"),
                          bank_account_masked=mask_bank_account(account))
    else:
        for f in ("poverty_registered", "relocation_year", "placement", "area_type", "housing_area", "site"):
            value = given.get(f, getattr(template, f) if template else None)
            fields[f] = value if value is not None else ("" if f in ("placement", "area_type") else None)
    enrolment = Enrolment.objects.create(person=person, household=household, program=program, division_code=household.division_code,
                                         status=Status.ACTIVE, status_since=effective_on, enrolled_on=effective_on, **fields)
    EnrolmentStatus.objects.create(enrolment=enrolment, status=Status.ACTIVE, valid_from=effective_on, request=request)
    return enrolment


def _add_member(*, actor, household: Household, member: MemberData, program: str, effective_on: dt.date, request, rows: list) -> Enrolment:
    person = check_new_member_person(member.number, program)
    if person is None:
        person = Person.objects.create(name=member.name, id_hash=blind_index(member.number), id_enc=encrypt(member.number),
                                       id_masked=mask_resident_id(member.number), gender=member.gender, birth_date=member.birth_date,
                                       ethnicity=member.ethnicity, phone=member.phone, division_code=household.division_code)
    elif person.division_code != household.division_code:
        person.division_code = household.division_code
        person.save(update_fields=["division_code", "updated_at"])
    Membership.objects.create(person=person, household=household, relation=member.relation, valid_from=effective_on)
    enrolment = _enrol(household=household, person=person, member=member, program=program, effective_on=effective_on,
                       template=_head_enrolment(household, program), request=request, actor=actor)
    _hist(rows, effective_on=effective_on, field="enrolled", old="", new=f"{program}", division_code=household.division_code, request=request,
          actor=actor, person=person, household=household, enrolment=enrolment)
    _hist(rows, effective_on=effective_on, field="household", old="", new=household.number, division_code=household.division_code,
          request=request, actor=actor, person=person, household=household)
    return enrolment


def person_add(*, actor, household: Household, program: str, member: dict | MemberData, effective_on: dt.date,
               request: ChangeRequest | None = None) -> Enrolment:
    """新增人员: a person joins an existing household and is enrolled in `program` from `effective_on`."""
    with transaction.atomic():
        _authorise(actor, household.division_code, request)
        if isinstance(member, dict):
            member = check_member(member, program=program, division_code=household.division_code)
        rows: list[History] = []
        enrolment = _add_member(actor=actor, household=household, member=member, program=program, effective_on=effective_on, request=request,
                                rows=rows)
        History.objects.bulk_create(rows)
        audit_record(actor=_actor(actor), action="registry.person.added", object_type="enrolment", object_id=enrolment.pk,
                     division_code=household.division_code,
                     after={"household": household.number, "name": member.name, "id": mask_resident_id(member.number), "program": program,
                            "request": getattr(request, "pk", None)})
    return enrolment


def household_add(*, actor, number: str, village: str, address: str = "", program: str, members: list, effective_on: dt.date,
                  request: ChangeRequest | None = None) -> Household:
    """新增户: a new household in `village`, its first member the head, every member enrolled in `program`."""
    with transaction.atomic():
        village = check_village(village)
        _authorise(actor, village, request)
        number = check_household_number(number)
        if not members:
            raise ValidationFailed(MSG_NO_MEMBERS, code="no_members", detail={"field": "members"})
        members = [m if isinstance(m, MemberData) else check_member(m, program=program, division_code=village) for m in members]
        if Household.objects.filter(county_code=village[:6], number=number).exists():
            raise field_error("number", MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
        household = Household.objects.create(number=number, county_code=village[:6], division_code=village, address=address[:200])
        rows: list[History] = []
        for member in members:
            _add_member(actor=actor, household=household, member=member, program=program, effective_on=effective_on, request=request, rows=rows)
        head = Membership.objects.filter(household=household).order_by("pk").first()
        household.head_id = head.person_id
        household.save(update_fields=["head", "updated_at"])
        _hist(rows, effective_on=effective_on, field="created", old="", new=number, division_code=village, request=request, actor=actor,
              household=household)
        History.objects.bulk_create(rows)
        audit_record(actor=_actor(actor), action="registry.household.added", object_type="household", object_id=household.pk,
                     division_code=village, after={"number": number, "members": len(members), "program": program,
                                                   "request": getattr(request, "pk", None)})
    return household


def _open_membership(person: Person) -> Membership | None:
    return Membership.objects.select_for_update().filter(person=person, valid_to__isnull=True).select_related("household").first()


def _relocate(*, actor, person: Person, to: Household, relation: str, effective_on: dt.date, request, rows: list) -> Membership:
    """Close the person's open membership and open one in `to`; enrolments and division codes follow."""
    current = _open_membership(person)
    if current is not None:
        if current.household_id == to.pk:
            raise ValidationFailed(MSG_SAME_HOUSEHOLD, code="same_household", detail={"field": "to_household"})
        if effective_on < current.valid_from:
            raise ValidationFailed(MSG_BEFORE_PERIOD % {"date": effective_on.isoformat(), "since": current.valid_from.isoformat()},
                                   code="effective_before_period", detail={"field": "effective_on"})
        current.valid_to = effective_on
        current.save(update_fields=["valid_to"])
    membership = Membership.objects.create(person=person, household=to, relation=relation, valid_from=effective_on)
    old_number = current.household.number if current else ""
    _hist(rows, effective_on=effective_on, field="household", old=old_number, new=to.number, division_code=to.division_code, request=request,
          actor=actor, person=person, household=to)
    if person.division_code != to.division_code:
        _hist(rows, effective_on=effective_on, field="division_code", old=person.division_code, new=to.division_code,
              division_code=to.division_code, request=request, actor=actor, person=person)
        Person.objects.filter(pk=person.pk).update(division_code=to.division_code)
        person.division_code = to.division_code
    for enrolment in Enrolment.objects.filter(person=person):
        enrolment.household, enrolment.division_code = to, to.division_code
        enrolment.save(update_fields=["household", "division_code", "updated_at"])
    return membership


def _replace_head(household: Household, leaving: set[int], new_head_id: int | None, rows: list, *, effective_on, request, actor) -> None:
    if household.head_id not in leaving:
        return
    staying = set(Membership.objects.filter(household=household, valid_to__isnull=True).exclude(person_id__in=leaving)
                  .values_list("person_id", flat=True))
    if staying and new_head_id is None:
        raise ValidationFailed(MSG_HEAD_LEAVES, code="head_leaves", detail={"field": "new_head"})
    if new_head_id is not None and new_head_id not in staying:
        raise ValidationFailed(MSG_NEW_HEAD, code="new_head_invalid", detail={"field": "new_head"})
    _hist(rows, effective_on=effective_on, field="head", old=household.head_id or "", new=new_head_id or "", division_code=household.division_code,
          request=request, actor=actor, household=household)
    household.head_id = new_head_id
    household.save(update_fields=["head", "updated_at"])
    if new_head_id:
        Membership.objects.filter(household=household, person_id=new_head_id, valid_to__isnull=True).update(relation="户主")


def person_move(*, actor, person: Person, to_household: Household | None = None, new_household: dict | None = None, relation: str,
                effective_on: dt.date, new_head: int | None = None, request: ChangeRequest | None = None) -> Membership:
    """迁移: the person leaves their household for another one (existing, or new when `new_household` names number/village/address)."""
    with transaction.atomic():
        _authorise(actor, person.division_code, request)
        relation = check_relation(relation)
        rows: list[History] = []
        current = _open_membership(person)
        if new_household is not None:
            village = check_village(new_household.get("village"))
            number = check_household_number(new_household.get("number"))
            if Household.objects.filter(county_code=village[:6], number=number).exists():
                raise field_error("number", MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
            to_household = Household.objects.create(number=number, county_code=village[:6], division_code=village,
                                                     address=str(new_household.get("address") or "")[:200])
            _hist(rows, effective_on=effective_on, field="created", old="", new=number, division_code=village, request=request, actor=actor,
                  household=to_household)
        if current is not None:
            _replace_head(current.household, {person.pk}, new_head, rows, effective_on=effective_on, request=request, actor=actor)
        membership = _relocate(actor=actor, person=person, to=to_household, relation=relation, effective_on=effective_on, request=request, rows=rows)
        if to_household.head_id is None:
            to_household.head_id = person.pk
            to_household.save(update_fields=["head", "updated_at"])
        History.objects.bulk_create(rows)
        audit_record(actor=_actor(actor), action="registry.person.moved", object_type="person", object_id=person.pk,
                     division_code=to_household.division_code,
                     before={"household": current.household.number if current else "", "division_code": current.household.division_code if current else ""},
                     after={"household": to_household.number, "division_code": to_household.division_code, "request": getattr(request, "pk", None)})
    return membership


def household_split(*, actor, household: Household, members: list[int], head: int, number: str, village: str | None = None,
                    address: str = "", relations: dict | None = None, new_head: int | None = None, effective_on: dt.date,
                    request: ChangeRequest | None = None) -> Household:
    """分户: some members leave `household` for a new household (number, village: the same by default) headed by `head`."""
    with transaction.atomic():
        _authorise(actor, household.division_code, request)
        village = check_village(village or household.division_code)
        number = check_household_number(number)
        current = {m.person_id: m for m in Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person")}
        members = [int(m) for m in members]
        for pid in members:
            if pid not in current:
                raise ValidationFailed(MSG_NOT_MEMBER % {"name": pid, "number": household.number}, code="not_member", detail={"field": "members"})
        if len(set(members)) >= len(current):
            raise ValidationFailed(MSG_SPLIT_ALL, code="split_all", detail={"field": "members"})
        if int(head) not in members:
            raise ValidationFailed(MSG_SPLIT_HEAD, code="split_head", detail={"field": "head"})
        if Household.objects.filter(county_code=village[:6], number=number).exists():
            raise field_error("number", MSG_HOUSEHOLD_EXISTS % {"number": number}, "household_exists")
        rows: list[History] = []
        _replace_head(household, set(members), new_head, rows, effective_on=effective_on, request=request, actor=actor)
        new = Household.objects.create(number=number, county_code=village[:6], division_code=village, address=address[:200], head_id=int(head))
        _hist(rows, effective_on=effective_on, field="created", old="", new=number, division_code=village, request=request, actor=actor, household=new)
        relations = {int(k): v for k, v in (relations or {}).items()}
        for pid in members:
            relation = "户主" if pid == int(head) else check_relation(relations.get(pid) or current[pid].relation)
            _relocate(actor=actor, person=current[pid].person, to=new, relation=relation, effective_on=effective_on, request=request, rows=rows)
        History.objects.bulk_create(rows)
        audit_record(actor=_actor(actor), action="registry.household.split", object_type="household", object_id=household.pk,
                     division_code=household.division_code,
                     after={"new_household": number, "new_household_id": new.pk, "members": members, "request": getattr(request, "pk", None)})
    return new


def household_merge(*, actor, household: Household, into: Household, relations: dict | None = None, effective_on: dt.date,
                    request: ChangeRequest | None = None) -> Household:
    """合户: every current member of `household` joins `into`; the emptied household keeps its history and has no head."""
    with transaction.atomic():
        _authorise(actor, household.division_code, request)
        if household.pk == into.pk:
            raise ValidationFailed(MSG_SAME_HOUSEHOLD, code="same_household", detail={"field": "into"})
        relations = {int(k): v for k, v in (relations or {}).items()}
        rows: list[History] = []
        moved = []
        for m in Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person").order_by("pk"):
            relation = check_relation(relations.get(m.person_id) or ("其他" if m.relation == "户主" else m.relation))
            _relocate(actor=actor, person=m.person, to=into, relation=relation, effective_on=effective_on, request=request, rows=rows)
            moved.append(m.person_id)
        _hist(rows, effective_on=effective_on, field="merged_into", old="", new=into.number, division_code=household.division_code, request=request,
              actor=actor, household=household)
        household.head_id = None
        household.save(update_fields=["head", "updated_at"])
        History.objects.bulk_create(rows)
        audit_record(actor=_actor(actor), action="registry.household.merged", object_type="household", object_id=household.pk,
                     division_code=household.division_code,
                     after={"into": into.number, "into_id": into.pk, "members": moved, "request": getattr(request, "pk", None)})
    return into
