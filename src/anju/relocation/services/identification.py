"""Identification of who must relocate: designated areas (迁出区), household surveys with the head's ID kept like the
registry's (encrypted, blind-indexed, masked), and the confirmation workflow draft → submitted → township-confirmed →
confirmed (or rejected with a reason at either level), with what county confirmation sets off: a Relocation at step
"confirmed" for a household of the registry, or an add_household change request (the registry's own service) for one
that is not in it yet.

Who may move a survey (a choice the issue leaves open): the recorder submits; township confirmation needs
RELOCATION_EDIT with an entry scope at township level or above covering the survey, and is never the submitter's own;
county confirmation needs RELOCATION_CONFIRM with an entry scope at county level or above, and is never by the account
that confirmed it at the township. Either level may reject the survey it is deciding, with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.crypto import blind_index, decrypt, encrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.masking import mask_resident_id
from anju.divisions.models import Division, Level
from anju.registry.models import ChangeRequest, Household, Membership, Person, Program
from anju.registry.services import records
from anju.relocation.models import DesignatedArea, Relocation, RelocationStep, Step, Survey, Term
from anju.relocation.services.identification_rules import OPEN_STATES, survey_judge, surveys_rejudge

State = Survey.State

MSG_TOO_LONG = _("“%(field)s”最多 %(n)s 字")
MSG_REQUIRED = _("请填写%(field)s")
MSG_DATE_FUTURE = _("%(field)s不能晚于今天")
MSG_OUT_OF_ENTRY_SCOPE = _("该区划不在您的录入范围内")
MSG_AREA_LEVEL = _("迁出区应为乡镇或村（居），请填写 9 位或 12 位区划代码")
MSG_AREA_DIVISION = _("区划代码“%(code)s”不是已知的乡镇或村（居）")
MSG_AREA_TAKEN = _("%(name)s已划为迁出区")
MSG_AREA_CONDITIONS = _("请至少选择一项生存条件")
MSG_CONDITION = _("“%(value)s”不是有效的生存条件")
MSG_MEMBERS = _("家庭人口应为 1 至 50 之间的整数")
MSG_INCOME = _("上年人均纯收入应为 0 至 100 亿元之间的金额")
MSG_HOUSEHOLD_NUMBER = _("名册中没有户编号为“%(number)s”的户（在本县且在您的录入范围内）")
MSG_HOUSEHOLD_VILLAGE = _("名册户 %(number)s 所在村与调查填写的村不一致")
MSG_HOUSEHOLD_SURVEYED = _("名册户 %(number)s 已有未结束的识别调查（编号 %(id)s）")
MSG_HEAD_SURVEYED = _("身份证号 %(masked)s 的户主已有识别调查（编号 %(id)s，%(state)s）")
MSG_NOT_DRAFT = _("只有“调查中”的调查可以修改或提交（当前：%(state)s）")
MSG_NOT_RECORDER = _("只有录入该调查的账号可以提交")
MSG_NOT_SUBMITTED = _("该调查当前不在待乡镇确认状态（当前：%(state)s）")
MSG_NOT_TOWNSHIP_CONFIRMED = _("该调查当前不在待县级确认状态（当前：%(state)s）")
MSG_NOT_DECIDABLE = _("该调查当前不在确认环节（当前：%(state)s），不能不予认定")
MSG_TOWNSHIP_LEVEL = _("乡镇确认须由乡镇及以上的经办账号办理")
MSG_COUNTY_LEVEL = _("县级确认须由县级及以上具有确认权限的账号办理")
MSG_OWN_SUBMISSION = _("不能确认自己提交的调查")
MSG_OWN_TOWNSHIP = _("乡镇确认与县级确认不能由同一账号办理")
MSG_NOT_ELIGIBLE = _("该户不符合搬迁条件（%(rules)s），不能确认；请不予认定或核实调查内容")
MSG_REASON_REQUIRED = _("不予认定须填写理由")
MSG_DECISION_DATE = _("确认日期不能早于调查日期（%(date)s），也不能晚于今天")
MSG_REQUEST_STATE = _("只有县级已确认、且未关联名册户的调查可以提出新增户申请")
MSG_REQUEST_OPEN = _("该户主已有新增户申请（编号 %(id)s，%(state)s）")
MSG_LINK_STATE = _("只有县级已确认、且未关联名册户的调查可以关联名册户")
MSG_LINK_NONE = _("名册中还没有该户主（新增户申请生效后再关联）")

SURVEY_LABELS = {"village": _("所在村"), "household": _("名册户"), "head_name": _("户主姓名"), "head_id": _("户主身份证号"),
                 "members": _("家庭人口"), "address": _("现住址"), "conditions": _("生存条件"), "per_capita_income_fen": _("上年人均纯收入"),
                 "surveyed_on": _("调查日期"), "surveyor": _("调查人"), "reason": _("理由"), "document": _("依据文件"), "note": _("备注"),
                 "designated_on": _("划定日期"), "division": _("区划")}


def _today() -> dt.date:
    return dt.date.today()


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    text = " ".join(str(value or "").replace("\x00", "").split())
    if required and not text:
        raise ValidationFailed(MSG_REQUIRED % {"field": SURVEY_LABELS[field]}, code=f"{field}_required", detail={"field": field})
    if len(text) > limit:
        raise ValidationFailed(MSG_TOO_LONG % {"field": SURVEY_LABELS[field], "n": limit}, code=f"{field}_too_long", detail={"field": field})
    return text


def _date(value, field: str, *, not_future: bool = True) -> dt.date:
    if value in (None, ""):
        raise ValidationFailed(MSG_REQUIRED % {"field": SURVEY_LABELS[field]}, code=f"{field}_required", detail={"field": field})
    value = records.parse_date(value, field=field)
    if not_future and value > _today():
        raise ValidationFailed(MSG_DATE_FUTURE % {"field": SURVEY_LABELS[field]}, code="date_future", detail={"field": field})
    return value


def check_conditions(value, *, current: list | None = None) -> list[str]:
    """Living-condition codes: active terms, or codes the row already carries (a term deactivated since)."""
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed(MSG_CONDITION % {"value": value}, code="condition_invalid", detail={"field": "conditions"})
    active = set(Term.objects.filter(kind=Term.Kind.LIVING_CONDITION, active=True).values_list("code", flat=True)) | set(current or [])
    out: list[str] = []
    for v in value:
        v = str(v).strip()
        if v not in active:
            raise ValidationFailed(MSG_CONDITION % {"value": v}, code="condition_invalid", detail={"field": "conditions"})
        if v not in out:
            out.append(v)
    return out


# --- designated areas ---------------------------------------------------------------------------------------------

def designated_prefixes() -> list[str]:
    """The code prefixes of the designated areas (9 digits for a township, 12 for a village)."""
    return [c[:9] if c[9:] == "000" else c for c in DesignatedArea.objects.values_list("division_code", flat=True)]


def in_designated_area(division_code: str, prefixes: list[str] | None = None) -> bool:
    prefixes = designated_prefixes() if prefixes is None else prefixes
    return any(division_code.startswith(p) for p in prefixes)


def _reflag(prefix: str) -> int:
    """Set `in_designated_area` on the open surveys under `prefix` after an area changed, and re-judge those."""
    prefixes = designated_prefixes()
    qs = Survey.objects.filter(code_prefix_q("division_code", prefix), state__in=OPEN_STATES)
    flip_on, flip_off = [], []
    for pk, code, flag in qs.values_list("pk", "division_code", "in_designated_area"):
        now = in_designated_area(code, prefixes)
        if now != flag:
            (flip_on if now else flip_off).append(pk)
    Survey.objects.filter(pk__in=flip_on).update(in_designated_area=True)
    Survey.objects.filter(pk__in=flip_off).update(in_designated_area=False)
    if flip_on or flip_off:
        surveys_rejudge(queryset=Survey.objects.filter(pk__in=flip_on + flip_off))
    return len(flip_on) + len(flip_off)


def _area_division(actor, value) -> Division:
    code = str(value or "").strip()
    if not code.isdigit() or len(code) not in (9, 12):
        raise ValidationFailed(MSG_AREA_LEVEL, code="area_level", detail={"field": "division"})
    division = Division.objects.filter(code=code.ljust(12, "0"), level__in=[Level.TOWNSHIP, Level.VILLAGE]).first()
    if division is None:
        raise ValidationFailed(MSG_AREA_DIVISION % {"code": code}, code="area_division", detail={"field": "division"})
    if not in_scope(actor, division.code, "entry"):
        raise ValidationFailed(MSG_OUT_OF_ENTRY_SCOPE, code="area_scope", detail={"field": "division"})
    return division


def area_snapshot(a: DesignatedArea) -> dict:
    return {"division_code": a.division_code, "conditions": a.conditions, "designated_on": a.designated_on, "document": a.document,
            "note": a.note}


def _area_conditions(value, current=None) -> list[str]:
    out = check_conditions(value, current=current)
    if not out:
        raise ValidationFailed(MSG_AREA_CONDITIONS, code="area_conditions", detail={"field": "conditions"})
    return out


def area_create(*, actor, division: str, conditions, designated_on, document: str = "", note: str = "") -> DesignatedArea:
    """Designate a township or village as an area to move out of; its open surveys are flagged and re-judged."""
    require_perm(actor, Perm.RELOCATION_MANAGE)
    d = _area_division(actor, division)
    fields = {"conditions": _area_conditions(conditions), "designated_on": _date(designated_on, "designated_on"),
              "document": _text(document, "document", 100), "note": _text(note, "note", 300)}
    with transaction.atomic():
        if DesignatedArea.objects.select_for_update().filter(division_code=d.code).exists():
            raise Conflict(MSG_AREA_TAKEN % {"name": d.name}, code="area_taken", detail={"field": "division"})
        area = DesignatedArea.objects.create(division_code=d.code, **fields)
        flagged = _reflag(d.prefix)
        audit_record(actor=actor, action="relocation.area.created", object_type="designated_area", object_id=area.pk,
                     division_code=d.code, after={**area_snapshot(area), "surveys_flagged": flagged})
    return area


def area_update(*, actor, area: DesignatedArea, conditions=None, designated_on=None, document: str | None = None,
                note: str | None = None) -> DesignatedArea:
    """Change an area's conditions, date, document or note (its division is fixed: delete and designate another)."""
    require_perm(actor, Perm.RELOCATION_MANAGE)
    with transaction.atomic():
        locked = DesignatedArea.objects.select_for_update().filter(pk=area.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        before = area_snapshot(locked)
        if conditions is not None:
            locked.conditions = _area_conditions(conditions, current=locked.conditions)
        if designated_on is not None:
            locked.designated_on = _date(designated_on, "designated_on")
        if document is not None:
            locked.document = _text(document, "document", 100)
        if note is not None:
            locked.note = _text(note, "note", 300)
        old, new = audit_diff(before, area_snapshot(locked))
        if new:
            locked.save(update_fields=list(new))
            audit_record(actor=actor, action="relocation.area.updated", object_type="designated_area", object_id=locked.pk,
                         division_code=locked.division_code, before=old, after=new)
    return locked


def area_delete(*, actor, area: DesignatedArea) -> int:
    """Remove a designation; open surveys there lose the flag and are re-judged. Returns how many surveys changed."""
    require_perm(actor, Perm.RELOCATION_MANAGE)
    with transaction.atomic():
        locked = DesignatedArea.objects.select_for_update().filter(pk=area.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        before, pk, code = area_snapshot(locked), locked.pk, locked.division_code
        locked.delete()
        unflagged = _reflag(code[:9] if code[9:] == "000" else code)
        audit_record(actor=actor, action="relocation.area.deleted", object_type="designated_area", object_id=pk, division_code=code,
                     before=before, after={"surveys_unflagged": unflagged})
    return unflagged


# --- surveys -------------------------------------------------------------------------------------------------------

def survey_snapshot(s: Survey) -> dict:
    """What the audit log keeps of a survey (the head's ID masked, never in full)."""
    return {"division_code": s.division_code, "household": s.household_id, "head_name": s.head_name, "head_id": s.head_id_masked,
            "members": s.members, "address": s.address, "conditions": list(s.conditions), "poverty_registered": s.poverty_registered,
            "housing_unsafe": s.housing_unsafe, "per_capita_income_fen": s.per_capita_income_fen, "in_designated_area": s.in_designated_area,
            "surveyed_on": s.surveyed_on, "surveyor": s.surveyor, "eligible": s.eligible, "state": s.state}


def _members(value) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(MSG_MEMBERS, code="members_invalid", detail={"field": "members"})
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(MSG_MEMBERS, code="members_invalid", detail={"field": "members"}) from None
    if not 1 <= n <= 50:
        raise ValidationFailed(MSG_MEMBERS, code="members_invalid", detail={"field": "members"})
    return n


def _income(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
        raise ValidationFailed(MSG_INCOME, code="income_invalid", detail={"field": "per_capita_income_fen"})
    return value


def _village(actor, value) -> str:
    code = records.check_village(value)
    if not in_scope(actor, code, "entry"):
        raise ValidationFailed(MSG_OUT_OF_ENTRY_SCOPE, code="village_scope", detail={"field": "village"})
    return code


def find_household(actor, *, number: str, village: str = "") -> Household:
    """The registry household numbered `number` in the actor's entry scope (in the village's county when given: a
    number is unique within a county only)."""
    number = str(number or "").strip()
    qs = Household.objects.filter(code_prefix_q("division_code", actor.entry_prefix), number=number).select_related("head")
    if village:
        qs = qs.filter(county_code=village[:6])
    found = list(qs[:2])
    if len(found) != 1:
        raise ValidationFailed(MSG_HOUSEHOLD_NUMBER % {"number": number}, code="household_unknown", detail={"field": "household"})
    return found[0]


def _check_unique(*, id_hash: str, household: Household | None, exclude: int | None) -> None:
    others = Survey.objects.exclude(state=State.REJECTED).exclude(pk=exclude)
    other = others.filter(head_id_hash=id_hash).first()
    if other is not None:
        raise Conflict(MSG_HEAD_SURVEYED % {"masked": other.head_id_masked, "id": other.pk, "state": other.get_state_display()},
                       code="survey_exists", detail={"field": "head_id", "survey": other.pk})
    if household is not None:
        other = others.filter(household=household).first()
        if other is not None:
            raise Conflict(MSG_HOUSEHOLD_SURVEYED % {"number": household.number, "id": other.pk}, code="survey_exists",
                           detail={"field": "household", "survey": other.pk})


def _apply(actor, survey: Survey, data: dict[str, Any]) -> None:
    """Check and copy the given fields onto `survey` (village and household first: the rest does not depend on them)."""
    if "village" in data or "household_number" in data:
        village = data.get("village") or survey.division_code
        number = str(data.get("household_number") or "").strip()
        household = None
        if number:
            household = find_household(actor, number=number, village=str(village or "").strip())
            if data.get("village") and household.division_code != str(data["village"]).strip():
                raise ValidationFailed(MSG_HOUSEHOLD_VILLAGE % {"number": number}, code="household_village", detail={"field": "household"})
            village = household.division_code
        elif not village:
            raise ValidationFailed(MSG_REQUIRED % {"field": SURVEY_LABELS["village"]}, code="village_required", detail={"field": "village"})
        survey.division_code = _village(actor, village)
        if "household_number" in data:
            survey.household = household
    if "head_name" in data:
        survey.head_name = _text(data["head_name"], "head_name", 64, required=True).replace(" ", "")
    if "head_id" in data:
        rid = records.check_resident_id(data["head_id"], field="head_id")
        survey.head_id_hash, survey.head_id_enc, survey.head_id_masked = blind_index(rid.number), encrypt(rid.number), mask_resident_id(rid.number)
    if "members" in data:
        survey.members = _members(data["members"])
    if "address" in data:
        survey.address = _text(data["address"], "address", 200)
    if "conditions" in data:
        survey.conditions = check_conditions(data["conditions"] or [], current=survey.conditions if survey.pk else None)
    for flag in ("poverty_registered", "housing_unsafe"):
        if flag in data:
            setattr(survey, flag, bool(data[flag]))
    if "per_capita_income_fen" in data:
        survey.per_capita_income_fen = _income(data["per_capita_income_fen"])
    if "surveyed_on" in data:
        survey.surveyed_on = _date(data["surveyed_on"], "surveyed_on")
    if "surveyor" in data:
        survey.surveyor = _text(data["surveyor"], "surveyor", 50)


SURVEY_INPUTS = ("village", "household_number", "head_name", "head_id", "members", "address", "conditions", "poverty_registered",
                 "housing_unsafe", "per_capita_income_fen", "surveyed_on", "surveyor")


def survey_create(*, actor, village: str = "", household_number: str = "", head_name: str, head_id: str, members: int = 1,
                  address: str = "", conditions=(), poverty_registered: bool = False, housing_unsafe: bool = False,
                  per_capita_income_fen: int | None = None, surveyed_on, surveyor: str = "") -> Survey:
    """Record a surveyed household (a draft) in the actor's entry scope; flagged for designated areas and judged."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    if not str(head_id or "").strip():
        raise ValidationFailed(MSG_REQUIRED % {"field": SURVEY_LABELS["head_id"]}, code="head_id_required", detail={"field": "head_id"})
    survey = Survey(created_by=actor)
    _apply(actor, survey, {"village": village, "household_number": household_number, "head_name": head_name, "head_id": head_id,
                           "members": members, "address": address, "conditions": list(conditions or []),
                           "poverty_registered": poverty_registered, "housing_unsafe": housing_unsafe,
                           "per_capita_income_fen": per_capita_income_fen, "surveyed_on": surveyed_on, "surveyor": surveyor})
    survey.in_designated_area = in_designated_area(survey.division_code)
    survey_judge(survey)
    with transaction.atomic():
        _check_unique(id_hash=survey.head_id_hash, household=survey.household, exclude=None)
        survey.save()
        audit_record(actor=actor, action="relocation.survey.created", object_type="survey", object_id=survey.pk,
                     division_code=survey.division_code, after=survey_snapshot(survey))
    return survey


def _lock(survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().filter(pk=survey.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def survey_update(*, actor, survey: Survey, **data) -> Survey:
    """Change a draft survey (only the keys given; `household_number=""` unlinks); re-flagged and re-judged."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    unknown = set(data) - set(SURVEY_INPUTS)
    if unknown:
        raise ValidationFailed(MSG_REQUIRED % {"field": ",".join(sorted(unknown))}, code="field_unknown")
    with transaction.atomic():
        locked = _lock(survey)
        if not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        if locked.state != State.DRAFT:
            raise Conflict(MSG_NOT_DRAFT % {"state": locked.get_state_display()}, code="survey_not_draft")
        before, before_hash = survey_snapshot(locked), locked.head_id_hash
        _apply(actor, locked, data)
        locked.in_designated_area = in_designated_area(locked.division_code)
        survey_judge(locked)
        _check_unique(id_hash=locked.head_id_hash, household=locked.household, exclude=locked.pk)
        after = survey_snapshot(locked)
        old, new = audit_diff(before, after)
        if not new and before_hash == locked.head_id_hash:
            return locked
        locked.save()
        audit_record(actor=actor, action="relocation.survey.updated", object_type="survey", object_id=locked.pk,
                     division_code=locked.division_code, before=old, after=new or {"head_id": locked.head_id_masked})
    return locked


def _move(actor, s: Survey, to: str, action: str, fields: list[str], **extra) -> None:
    before = s.state
    s.state = to
    s.save(update_fields=["state", "updated_at", *fields])
    audit_record(actor=actor, action=f"relocation.survey.{action}", object_type="survey", object_id=s.pk, division_code=s.division_code,
                 before={"state": before}, after={"state": to, "eligible": s.eligible, **extra})


def _decision_date(s: Survey, on: dt.date | None) -> dt.date:
    on = on or _today()
    if on > _today() or on < s.surveyed_on:
        raise ValidationFailed(MSG_DECISION_DATE % {"date": s.surveyed_on.isoformat()}, code="decision_date", detail={"field": "on"})
    return on


def _require_eligible(s: Survey) -> None:
    if not s.eligible:
        failed = "、".join(r["name"] for r in s.eligibility if not r.get("passed")) or str(_("未设置有效的识别规则"))
        raise Conflict(MSG_NOT_ELIGIBLE % {"rules": failed}, code="survey_not_eligible")


def _entry_level(actor, digits: int) -> bool:
    return len(actor.entry_prefix) <= digits


def survey_submit(*, actor, survey: Survey) -> Survey:
    """The recorder hands a draft to the township for confirmation."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    with transaction.atomic():
        s = _lock(survey)
        if not in_scope(actor, s.division_code, "entry"):
            raise NotFound()
        if s.state != State.DRAFT:
            raise Conflict(MSG_NOT_DRAFT % {"state": s.get_state_display()}, code="survey_not_draft")
        if s.created_by_id != actor.pk:
            raise PermissionDenied(MSG_NOT_RECORDER, code="not_recorder")
        _move(actor, s, State.SUBMITTED, "submitted", [])
    return s


def survey_township_confirm(*, actor, survey: Survey, on: dt.date | None = None, note: str = "") -> Survey:
    """Township confirmation of a submitted, eligible survey (not by its submitter)."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    with transaction.atomic():
        s = _lock(survey)
        if not in_scope(actor, s.division_code, "entry"):
            raise NotFound()
        if s.state != State.SUBMITTED:
            raise Conflict(MSG_NOT_SUBMITTED % {"state": s.get_state_display()}, code="survey_not_submitted")
        if not _entry_level(actor, 9):
            raise PermissionDenied(MSG_TOWNSHIP_LEVEL, code="wrong_level")
        if s.created_by_id == actor.pk:
            raise PermissionDenied(MSG_OWN_SUBMISSION, code="own_submission")
        _require_eligible(s)
        s.township_by, s.township_on = actor, _decision_date(s, on)
        s.decision_note = _text(note, "note", 300)
        _move(actor, s, State.TOWNSHIP_CONFIRMED, "township_confirmed", ["township_by", "township_on", "decision_note"],
              on=s.township_on, note=s.decision_note)
    return s


def survey_confirm(*, actor, survey: Survey, on: dt.date | None = None, note: str = "") -> Survey:
    """County confirmation: the household is a relocation target. A registry household gets its Relocation at step
    "confirmed" (unless it has one already); an unlinked survey waits for the add-household request (see
    `survey_request_household`)."""
    require_perm(actor, Perm.RELOCATION_CONFIRM)
    with transaction.atomic():
        s = _lock(survey)
        if not in_scope(actor, s.division_code, "entry"):
            raise NotFound()
        if s.state != State.TOWNSHIP_CONFIRMED:
            raise Conflict(MSG_NOT_TOWNSHIP_CONFIRMED % {"state": s.get_state_display()}, code="survey_not_township_confirmed")
        if not _entry_level(actor, 6):
            raise PermissionDenied(MSG_COUNTY_LEVEL, code="wrong_level")
        if s.township_by_id == actor.pk:
            raise PermissionDenied(MSG_OWN_TOWNSHIP, code="own_township")
        _require_eligible(s)
        s.county_by, s.county_on = actor, _decision_date(s, on)
        if note:
            s.decision_note = _text(note, "note", 300)
        relocation = _relocation_start(actor, s) if s.household_id else None
        _move(actor, s, State.CONFIRMED, "confirmed", ["county_by", "county_on", "decision_note"], on=s.county_on,
              note=s.decision_note, relocation=relocation.pk if relocation else None)
    return s


def _relocation_start(actor, s: Survey) -> Relocation | None:
    """A Relocation at step "confirmed" for the survey's household, with its step row; None when it has one already."""
    if Relocation.objects.filter(household_id=s.household_id).exists():
        return None
    household = Household.objects.get(pk=s.household_id)
    relocation = Relocation.objects.create(household=household, division_code=household.division_code, survey=s, year=s.county_on.year,
                                           persons=s.members, step=Step.CONFIRMED, confirmed_on=s.county_on)
    RelocationStep.objects.create(relocation=relocation, step=Step.CONFIRMED, on=s.county_on, note=str(_("识别调查县级确认")),
                                  recorded_by=actor)
    audit_record(actor=actor, action="relocation.relocation.created", object_type="relocation", object_id=relocation.pk,
                 division_code=relocation.division_code, after={"household": household.number, "survey": s.pk, "step": Step.CONFIRMED,
                                                                "confirmed_on": s.county_on})
    return relocation


def survey_reject(*, actor, survey: Survey, reason: str) -> Survey:
    """Not a relocation target: the township rejects a submitted survey, the county one the township confirmed."""
    if not (actor is not None and getattr(actor, "is_authenticated", False) and actor.can(Perm.RELOCATION_CONFIRM)):
        require_perm(actor, Perm.RELOCATION_EDIT)
    reason = _text(reason, "reason", 300)
    if not reason:
        raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
    with transaction.atomic():
        s = _lock(survey)
        if not in_scope(actor, s.division_code, "entry"):
            raise NotFound()
        if s.state == State.SUBMITTED:
            require_perm(actor, Perm.RELOCATION_EDIT)
            if not _entry_level(actor, 9):
                raise PermissionDenied(MSG_TOWNSHIP_LEVEL, code="wrong_level")
            if s.created_by_id == actor.pk:
                raise PermissionDenied(MSG_OWN_SUBMISSION, code="own_submission")
            level, fields = "township", ["township_by", "township_on", "decision_note"]
            s.township_by, s.township_on = actor, _today()
        elif s.state == State.TOWNSHIP_CONFIRMED:
            require_perm(actor, Perm.RELOCATION_CONFIRM)
            if not _entry_level(actor, 6):
                raise PermissionDenied(MSG_COUNTY_LEVEL, code="wrong_level")
            level, fields = "county", ["county_by", "county_on", "decision_note"]
            s.county_by, s.county_on = actor, _today()
        else:
            raise Conflict(MSG_NOT_DECIDABLE % {"state": s.get_state_display()}, code="survey_not_decidable")
        s.decision_note = reason
        _move(actor, s, State.REJECTED, "rejected", fields, level=level, reason=reason)
    return s


def survey_confirm_next(*, actor, survey: Survey, on: dt.date | None = None, note: str = "") -> Survey:
    """The confirmation the survey awaits: township for a submitted one, county for a township-confirmed one."""
    state = Survey.objects.filter(pk=survey.pk).values_list("state", flat=True).first()
    if state == State.TOWNSHIP_CONFIRMED:
        return survey_confirm(actor=actor, survey=survey, on=on, note=note)
    return survey_township_confirm(actor=actor, survey=survey, on=on, note=note)


# --- dynamic adjustment: the registry's change requests --------------------------------------------------------------

def survey_requests(survey: Survey) -> list[ChangeRequest]:
    """The add-household change requests proposing the survey's head (matched by the ID's blind index)."""
    if not survey.head_id_hash:
        return []
    qs = ChangeRequest.objects.filter(kind=ChangeRequest.Kind.ADD_HOUSEHOLD, program=Program.RELOCATION,
                                      division_code=survey.division_code).order_by("-created_at")
    return [cr for cr in qs if any(m.get("id_hash") == survey.head_id_hash for m in cr.payload.get("members") or [])]


def survey_request_household(*, actor, survey: Survey, number: str, reason: str = "", submit: bool = True) -> ChangeRequest:
    """Propose the confirmed, unlinked survey's household for the relocation roster: an add_household change request
    through the registry's service (its checks, levels, posting and audit), carrying the head's name and ID."""
    from anju.registry.services.requests import change_request_create

    require_perm(actor, Perm.RELOCATION_EDIT)
    require_perm(actor, Perm.REQUEST_SUBMIT)
    survey = Survey.objects.filter(pk=survey.pk).first()
    if survey is None or not in_scope(actor, survey.division_code, "entry"):
        raise NotFound()
    if survey.state != State.CONFIRMED or survey.household_id:
        raise Conflict(MSG_REQUEST_STATE, code="survey_not_requestable")
    for cr in survey_requests(survey):
        if cr.state in ChangeRequest.OPEN_STATES or cr.state == ChangeRequest.State.EFFECTIVE:
            raise Conflict(MSG_REQUEST_OPEN % {"id": cr.pk, "state": cr.get_state_display()}, code="request_open", detail={"request": cr.pk})
    payload = {"number": str(number or "").strip(), "village": survey.division_code, "address": survey.address,
               "members": [{"name": survey.head_name, "id_number": decrypt(survey.head_id_enc), "relation": "户主"}]}
    text = str(reason or "").strip() or str(_("搬迁对象识别调查（编号 %(id)s）县级已确认，申请纳入易地扶贫搬迁名册") % {"id": survey.pk})
    with transaction.atomic():
        cr = change_request_create(actor=actor, kind=ChangeRequest.Kind.ADD_HOUSEHOLD, program=Program.RELOCATION, payload=payload,
                                   reason=text, submit=submit)
        audit_record(actor=actor, action="relocation.survey.request_created", object_type="survey", object_id=survey.pk,
                     division_code=survey.division_code, after={"request": cr.pk, "number": payload["number"]})
    return cr


def survey_link_household(*, actor, survey: Survey) -> Survey:
    """Once the head is in the registry (the add-household request took effect), link the confirmed survey to the head's
    current household and start its Relocation."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    with transaction.atomic():
        s = _lock(survey)
        if not in_scope(actor, s.division_code, "entry"):
            raise NotFound()
        if s.state != State.CONFIRMED or s.household_id:
            raise Conflict(MSG_LINK_STATE, code="survey_not_linkable")
        person = Person.objects.filter(id_hash=s.head_id_hash).first()
        membership = Membership.objects.filter(person=person, valid_to__isnull=True).select_related("household").first() if person else None
        if membership is None or not in_scope(actor, membership.household.division_code, "entry"):
            raise Conflict(MSG_LINK_NONE, code="household_missing")
        s.household = membership.household
        s.save(update_fields=["household", "updated_at"])
        relocation = _relocation_start(actor, s)
        audit_record(actor=actor, action="relocation.survey.linked", object_type="survey", object_id=s.pk, division_code=s.division_code,
                     after={"household": s.household.number, "relocation": relocation.pk if relocation else None})
    return s
