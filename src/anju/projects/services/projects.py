"""The project register: create and edit projects and record their actual start and completion (which move the stage on),
each change audited with its before and after.

Amounts come in 元 or 万元 (`investment_unit`) and are stored as exact fen; the location is a county, township or village of
the actor's entry scope; the core fields a project was approved with (name, location, planned investment, program) are
the city's to change once it is 立项/下达.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.divisions.codes import full_code, prefix_of
from anju.divisions.models import Division, Level
from anju.projects import money
from anju.projects.models import STAGE_ORDER, Plan, Program, Project, Stage, Term
from anju.projects.services.stages import MSG_NEEDS_START, stage_move

MSG_REQUIRED = _("请填写%(field)s")
MSG_TOO_LONG = _("%(field)s最长 %(n)s 个字")
MSG_BAD_CHARS = _("%(field)s含有不允许的字符")
MSG_CODE_SPACES = _("项目编码不能含空格")
MSG_CODE_TAKEN = _("项目编码“%(code)s”已被使用")
MSG_LOCATION_FORMAT = _("项目地点应为县（市、区）、乡镇或村的区划代码（6、9 或 12 位数字）")
MSG_LOCATION_UNKNOWN = _("项目地点：区划代码 %(code)s 不存在")
MSG_LOCATION_LEVEL = _("项目地点须在一个县（市、区）之内：请填写县、乡镇或村的区划代码")
MSG_LOCATION_SCOPE = _("项目地点不在您的录入范围内")
MSG_CATEGORY = _("项目类别“%(value)s”不存在或已停用")
MSG_PROGRAM = _("项目类型“%(value)s”无效")
MSG_INVESTMENT = _("计划投资：%(error)s")
MSG_UNIT = _("计划投资的单位应为元或万元")
MSG_YEAR = _("计划年度应在 %(min)s 至 %(max)s 之间")
MSG_BENEFICIARIES = _("受益移民人数应为不小于 0 的整数")
MSG_PLANNED_ORDER = _("计划完工日期不能早于计划开工日期")
MSG_PLAN = _("所属规划不存在或不覆盖项目地点")
MSG_OWNER_UNKNOWN = _("责任人账号“%(value)s”不存在")
MSG_OWNER_INACTIVE = _("责任人账号“%(value)s”已停用")
MSG_OWNER_SCOPE = _("责任人账号“%(value)s”的查看范围不包括项目地点（或其角色不能查看项目），收不到该项目的预警")
MSG_CORE_LOCKED = _("项目已立项/下达，%(fields)s是批复内容，只有市级项目管理人员可以修改；确需变更的，请报市级审批后由其修改")
MSG_DATE_FORMAT = _("%(field)s应为日期，如 2026-03-01")
MSG_DATES_NONE = _("请填写实际开工日期或实际完工日期")
MSG_DATE_FUTURE = _("%(field)s不能晚于今天")
MSG_ACTUAL_ORDER = _("实际完工日期不能早于实际开工日期")
MSG_START_STAGE = _("项目尚未立项/下达（当前阶段：%(stage)s），不能填写实际开工日期")
MSG_COMPLETION_STAGE = _("项目尚未开工实施（当前阶段：%(stage)s），不能填写实际完工日期")
MSG_SITE = _("安置点不存在或不在您的查看范围内")

LABELS = {
    "code": _("项目编码"), "name": _("项目名称"), "division_code": _("项目地点"), "program": _("项目类型"), "category": _("项目类别"),
    "plan": _("所属规划"), "year": _("计划年度"), "content": _("建设内容"), "planned_investment": _("计划投资"),
    "beneficiaries": _("受益移民人数"), "responsible_unit": _("责任单位"), "responsible_person": _("责任人"),
    "responsible_phone": _("联系电话"), "owner": _("责任人账号"), "design_institute": _("设计单位"),
    "design_qualified": _("具备相应设计资质"), "planned_start": _("计划开工日期"), "planned_completion": _("计划完工日期"),
    "actual_start": _("实际开工日期"), "actual_completion": _("实际完工日期"), "note": _("备注"), "site": _("安置点"),
}
TEXT_LIMITS = {"name": 200, "content": 5000, "responsible_unit": 100, "responsible_person": 50, "responsible_phone": 30,
               "design_institute": 100, "note": 2000}
EDITABLE = ("code", "name", "division_code", "program", "category", "plan", "year", "content", "planned_investment", "beneficiaries",
            "responsible_unit", "responsible_person", "responsible_phone", "owner", "design_institute", "design_qualified",
            "planned_start", "planned_completion", "note", "site")
CORE = ("name", "division_code", "planned_investment", "program")  # what the approval (立项/下达) fixed
MIN_YEAR, MAX_YEAR = 2000, 2100
UNITS = (money.YUAN, money.WAN, "fen")


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"{field}_invalid", detail={"field": field})


def _text(field: str, value, *, required: bool = False) -> str:
    text = str(value if value is not None else "").strip()
    if field not in ("content", "note"):
        text = " ".join(text.split())
    if "\x00" in text:
        raise _invalid(field, MSG_BAD_CHARS % {"field": LABELS[field]})
    if required and not text:
        raise _invalid(field, MSG_REQUIRED % {"field": LABELS[field]}, f"{field}_required")
    if len(text) > TEXT_LIMITS[field]:
        raise _invalid(field, MSG_TOO_LONG % {"field": LABELS[field], "n": TEXT_LIMITS[field]})
    return text


def _code(value, exclude: int | None = None) -> str:
    code = str(value or "").strip()
    if not code:
        raise _invalid("code", MSG_REQUIRED % {"field": LABELS["code"]}, "code_required")
    if "\x00" in code:
        raise _invalid("code", MSG_BAD_CHARS % {"field": LABELS["code"]})
    if any(ch.isspace() for ch in code):
        raise _invalid("code", MSG_CODE_SPACES)
    if len(code) > 40:
        raise _invalid("code", MSG_TOO_LONG % {"field": LABELS["code"], "n": 40})
    if Project.objects.filter(code=code).exclude(pk=exclude).exists():
        raise Conflict(MSG_CODE_TAKEN % {"code": code}, code="project_code_taken", detail={"field": "code"})
    return code


def _location(actor, value) -> str:
    """A county, township or village code (short or full form) of the actor's entry scope, as 12 digits."""
    text = str(value or "").strip()
    if not text:
        raise _invalid("division_code", MSG_REQUIRED % {"field": LABELS["division_code"]}, "division_code_required")
    try:
        code = full_code(text)
    except ValueError:
        raise _invalid("division_code", MSG_LOCATION_FORMAT) from None
    division = Division.objects.filter(code=code).only("code", "level").first()
    if division is None:
        raise _invalid("division_code", MSG_LOCATION_UNKNOWN % {"code": text}, "division_unknown")
    if division.level < Level.COUNTY:
        raise _invalid("division_code", MSG_LOCATION_LEVEL)
    if not in_scope(actor, code, "entry"):
        raise _invalid("division_code", MSG_LOCATION_SCOPE, "division_out_of_scope")
    return code


def _category(value) -> str:
    code = str(value or "").strip()
    if not code:
        raise _invalid("category", MSG_REQUIRED % {"field": LABELS["category"]}, "category_required")
    if not Term.objects.filter(kind=Term.Kind.CATEGORY, code=code, active=True).exists():
        raise _invalid("category", MSG_CATEGORY % {"value": code})
    return code


def _program(value) -> str:
    program = str(value or "").strip()
    if not program:
        raise _invalid("program", MSG_REQUIRED % {"field": LABELS["program"]}, "program_required")
    if program not in Program.values:
        raise _invalid("program", MSG_PROGRAM % {"value": program})
    return program


def investment_fen(value, unit: str = money.YUAN) -> int:
    """The planned investment as exact fen from an amount in 元 or 万元 ("fen": an integer already in fen, for trusted callers)."""
    if unit not in UNITS:
        raise _invalid("planned_investment", MSG_UNIT)
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if unit == "fen":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid("planned_investment", MSG_INVESTMENT % {"error": money.MSG_AMOUNT_FORMAT % {"value": value}})
        return value
    try:
        return money.to_fen(value, unit)
    except money.AmountError as exc:
        raise _invalid("planned_investment", MSG_INVESTMENT % {"error": exc.message}) from None


def _year(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise _invalid("year", MSG_YEAR % {"min": MIN_YEAR, "max": MAX_YEAR}) from None
    if isinstance(value, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid("year", MSG_YEAR % {"min": MIN_YEAR, "max": MAX_YEAR})
    return year


def _beneficiaries(value) -> int:
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _invalid("beneficiaries", MSG_BENEFICIARIES) from None
    if isinstance(value, bool) or n < 0 or n > 2**31 - 1:
        raise _invalid("beneficiaries", MSG_BENEFICIARIES)
    return n


def _date(field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, MSG_DATE_FORMAT % {"field": LABELS[field]}) from None


def _plan(value) -> Plan | None:
    if value in (None, ""):
        return None
    if isinstance(value, Plan):
        return value
    try:
        plan = Plan.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        plan = None
    if plan is None:
        raise _invalid("plan", MSG_PLAN)
    return plan


def resolve_owner(value):
    """A User from a User, a username or an id (None for blank); unknown names are refused with the field named."""
    from anju.accounts.models import User

    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    text = str(value).strip()
    user = User.objects.filter(username__iexact=text).select_related("view_scope", "entry_scope").first()
    if user is None and text.isdigit():
        user = User.objects.filter(pk=int(text)).select_related("view_scope", "entry_scope").first()
    if user is None:
        raise _invalid("owner", MSG_OWNER_UNKNOWN % {"value": text}, "owner_unknown")
    return user


def _site(actor, value):
    """A relocation site (a Site or its id) the actor may read, or None: a project may be built for a resettlement site."""
    from anju.relocation.models import Site
    from anju.relocation.selectors import access_site

    if value in (None, ""):
        return None
    try:
        return access_site(actor, value.pk if isinstance(value, Site) else value)
    except (NotFound, PermissionDenied):
        raise _invalid("site", MSG_SITE, "site_unknown") from None


def _check_owner(owner, division_code: str) -> None:
    """The owner receives the project's warnings: an active account that may read the project."""
    if owner is None:
        return
    if not owner.is_active:
        raise _invalid("owner", MSG_OWNER_INACTIVE % {"value": owner.username})
    if not owner.can(Perm.PROJECT_VIEW) or not in_scope(owner, division_code, "view"):
        raise _invalid("owner", MSG_OWNER_SCOPE % {"value": owner.username})


def _check_plan(plan: Plan | None, division_code: str) -> None:
    if plan is not None and not division_code.startswith(prefix_of(plan.division_code)):
        raise _invalid("plan", MSG_PLAN)


def _check_planned(start: dt.date | None, completion: dt.date | None) -> None:
    if start and completion and completion < start:
        raise _invalid("planned_completion", MSG_PLANNED_ORDER)


def _clean(actor, field: str, value, unit: str) -> Any:
    if field == "division_code":
        return _location(actor, value)
    if field == "program":
        return _program(value)
    if field == "category":
        return _category(value)
    if field == "plan":
        return _plan(value)
    if field == "year":
        return _year(value)
    if field == "planned_investment":
        return investment_fen(value, unit)
    if field == "beneficiaries":
        return _beneficiaries(value)
    if field == "owner":
        return resolve_owner(value)
    if field == "design_qualified":
        return bool(value)
    if field in ("planned_start", "planned_completion"):
        return _date(field, value)
    if field == "site":
        return _site(actor, value)
    return _text(field, value, required=field == "name")


def snapshot(p: Project) -> dict[str, Any]:
    """What the audit log records of a project (money in fen, the owner by username)."""
    return {"code": p.code, "name": p.name, "division_code": p.division_code, "program": p.program, "category": p.category,
            "plan": p.plan_id, "year": p.year, "content": p.content, "planned_investment": p.planned_investment,
            "beneficiaries": p.beneficiaries, "responsible_unit": p.responsible_unit, "responsible_person": p.responsible_person,
            "responsible_phone": p.responsible_phone, "owner": p.owner.username if p.owner_id else None,
            "design_institute": p.design_institute, "design_qualified": p.design_qualified, "planned_start": p.planned_start,
            "planned_completion": p.planned_completion, "actual_start": p.actual_start, "actual_completion": p.actual_completion,
            "stage": p.stage, "note": p.note, "site": p.site_id}


def project_create(*, actor, code: str, name: str, division_code: str, program: str, category: str, planned_investment=0,
                   investment_unit: str = money.YUAN, year: int | None = None, plan=None, content: str = "", beneficiaries: int = 0,
                   responsible_unit: str = "", responsible_person: str = "", responsible_phone: str = "", owner=None,
                   design_institute: str = "", design_qualified: bool = False, planned_start: dt.date | None = None,
                   planned_completion: dt.date | None = None, note: str = "", site=None) -> Project:
    """A new project in the reserve library (储备) at a county, township or village of the actor's entry scope."""
    require_perm(actor, Perm.PROJECT_EDIT)
    values = {"name": name, "division_code": division_code, "program": program, "category": category, "plan": plan, "year": year,
              "content": content, "planned_investment": planned_investment, "beneficiaries": beneficiaries,
              "responsible_unit": responsible_unit, "responsible_person": responsible_person, "responsible_phone": responsible_phone,
              "owner": owner, "design_institute": design_institute, "design_qualified": design_qualified,
              "planned_start": planned_start, "planned_completion": planned_completion, "note": note, "site": site}
    clean = {"code": _code(code)}
    for field in ("name", "division_code", "program", "category", *[f for f in values if f not in ("name", "division_code", "program",
                                                                                                    "category")]):
        clean[field] = _clean(actor, field, values[field], investment_unit)
    _check_planned(clean["planned_start"], clean["planned_completion"])
    _check_plan(clean["plan"], clean["division_code"])
    _check_owner(clean["owner"], clean["division_code"])
    try:
        with transaction.atomic():
            project = Project.objects.create(**clean, stage=Stage.RESERVE, created_by=actor)
            audit_record(actor=actor, action="projects.project.created", object_type="project", object_id=project.pk,
                         division_code=project.division_code, after=snapshot(project))
    except IntegrityError:  # a concurrent create took the code
        raise Conflict(MSG_CODE_TAKEN % {"code": clean["code"]}, code="project_code_taken", detail={"field": "code"}) from None
    return project


def may_edit_core(actor, project: Project) -> bool:
    """Before 立项/下达 the county edits everything; after it, the core fields are the city's (PROJECT_MANAGE)."""
    return STAGE_ORDER[project.stage] < STAGE_ORDER[Stage.APPROVED] or actor.can(Perm.PROJECT_MANAGE)


def project_update(*, actor, project: Project, investment_unit: str = money.YUAN, **changes) -> Project:
    """Change fields of a project of the actor's entry scope (`changes` names fields of EDITABLE; planned_investment is read in
    `investment_unit`). Values equal to the current ones are no change; nothing changed writes nothing."""
    require_perm(actor, Perm.PROJECT_EDIT)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"project_update: unknown fields {sorted(unknown)}")
    with transaction.atomic():
        locked = Project.objects.select_for_update(of=("self",)).select_related("owner", "plan").filter(pk=project.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        before = snapshot(locked)
        clean: dict[str, Any] = {}
        for field, value in changes.items():
            if field == "code":
                clean["code"] = _code(value, exclude=locked.pk) if str(value or "").strip() != locked.code else locked.code
            elif field == "category" and str(value or "").strip() == locked.category:
                clean["category"] = locked.category  # an inactive category stays valid on the rows that have it
            elif field == "division_code" and str(value or "").strip() in (locked.division_code, prefix_of(locked.division_code)):
                clean["division_code"] = locked.division_code
            else:
                clean[field] = _clean(actor, field, value, investment_unit)
        merged = {f: getattr(locked, f) for f in EDITABLE}
        merged.update(clean)
        _check_planned(merged["planned_start"], merged["planned_completion"])
        if "plan" in clean or "division_code" in clean:
            _check_plan(merged["plan"], merged["division_code"])
        if "owner" in clean or "division_code" in clean:
            _check_owner(merged["owner"], merged["division_code"])
        changed = [f for f in EDITABLE if f in clean and clean[f] != getattr(locked, f)]
        core = [f for f in CORE if f in changed]
        if core and not may_edit_core(actor, locked):
            raise PermissionDenied(MSG_CORE_LOCKED % {"fields": join_list(LABELS[f] for f in core)}, code="project_core_locked",
                                   detail={"field": core[0]})
        if not changed:
            return locked
        for f in changed:
            setattr(locked, f, clean[f])
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise Conflict(MSG_CODE_TAKEN % {"code": locked.code}, code="project_code_taken", detail={"field": "code"}) from None
        old, new = audit_diff(before, snapshot(locked))
        audit_record(actor=actor, action="projects.project.updated", object_type="project", object_id=locked.pk,
                     division_code=locked.division_code, before=old, after={"code": locked.code, **new})
    return locked


def _move(actor, project: Project, to_stage: str, on: dt.date, field: str, note) -> None:
    """stage_move, with its refusal named on the date field the user entered."""
    try:
        stage_move(actor=actor, project=project, to_stage=to_stage, on=on, note=str(note))
    except ValidationFailed as exc:
        detail = {**(exc.detail if isinstance(exc.detail, dict) else {}), "field": field}
        raise ValidationFailed(exc.message, code=exc.code, detail=detail) from None


def project_set_dates(*, actor, project: Project, actual_start: dt.date | None = None, actual_completion: dt.date | None = None) -> Project:
    """Record (or correct) the actual start and completion dates; None leaves a date as it is.

    Starting an approved (立项/下达) project moves it to 实施 on the start date; completing an implementing one moves it to 完工
    on the completion date (stages.stage_move, dated and audited). Neither date may be in the future, completion may not
    precede start, and a project is not started before its approval nor completed before it is started.
    """
    require_perm(actor, Perm.PROJECT_EDIT)
    if actual_start is None and actual_completion is None:
        raise _invalid("actual_start", MSG_DATES_NONE, "dates_required")
    today = dt.date.today()
    for field, value in (("actual_start", actual_start), ("actual_completion", actual_completion)):
        if value is not None and value > today:
            raise _invalid(field, MSG_DATE_FUTURE % {"field": LABELS[field]}, "date_future")
    with transaction.atomic():
        locked = Project.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=project.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        before = snapshot(locked)
        rank = STAGE_ORDER[locked.stage]
        stage_label = Stage(locked.stage).label
        if actual_start is not None and rank < STAGE_ORDER[Stage.APPROVED]:
            raise _invalid("actual_start", MSG_START_STAGE % {"stage": stage_label}, "start_too_early")
        start = actual_start or locked.actual_start
        completion = actual_completion or locked.actual_completion
        if actual_completion is not None:
            if rank < STAGE_ORDER[Stage.APPROVED]:
                raise _invalid("actual_completion", MSG_COMPLETION_STAGE % {"stage": stage_label}, "completion_too_early")
            if start is None:
                raise _invalid("actual_start", MSG_NEEDS_START, "start_required")
        if start and completion and completion < start:
            raise _invalid("actual_completion", MSG_ACTUAL_ORDER, "dates_order")
        locked.actual_start, locked.actual_completion = start, completion
        if (start, completion) == (before["actual_start"], before["actual_completion"]) and not (
                locked.stage == Stage.APPROVED and start or locked.stage == Stage.IMPLEMENTING and completion):
            return locked
        locked.save(update_fields=["actual_start", "actual_completion", "updated_at"])
        if locked.stage == Stage.APPROVED and start:
            _move(actor, locked, Stage.IMPLEMENTING, start, "actual_start", _("填写实际开工日期"))
        if locked.stage == Stage.IMPLEMENTING and completion:
            _move(actor, locked, Stage.COMPLETED, completion, "actual_completion", _("填写实际完工日期"))
        old, new = audit_diff(before, snapshot(locked))
        audit_record(actor=actor, action="projects.project.dates_set", object_type="project", object_id=locked.pk,
                     division_code=locked.division_code, before=old, after={"code": locked.code, **new})
    return locked
