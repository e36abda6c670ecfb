"""Five-year plans (十四五 2021–2025, 十五五 2026–2030): drafting, publishing and closing them, their targets by county and
category (one grid), and the projects assigned to them.

Scope rule: a plan belongs to a city or a county (`division_code`, 12 digits) inside the actor's entry scope; its targets
name counties inside the plan's division, and only projects inside it, of a year within the plan years, may be assigned.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed, join_list
from anju.divisions.codes import full_code, prefix_of
from anju.divisions.models import Division, Level
from anju.projects.models import Plan, PlanTarget, Project, Term

MSG_NAME = gettext_lazy("请填写规划名称（最长 100 个字）")
MSG_NOTE = gettext_lazy("说明最长 2000 个字")
MSG_YEARS = gettext_lazy("起止年度应在 2000 年至 2100 年之间，终止年度不早于起始年度，跨度不超过 10 年")
MSG_DIVISION = gettext_lazy("编制区划应为您录入范围内的市或县（4 位或 6 位区划代码）")
MSG_PLAN_EXISTS = gettext_lazy("该区划已有 %(year)s 年起始的规划")
MSG_PLAN_CLOSED = gettext_lazy("规划已收官，不能修改")
MSG_PLAN_YEARS_PROJECTS = gettext_lazy("规划内已有项目的计划年度不在新的起止年度内：%(codes)s")
MSG_PLAN_DIVISION_LOCKED = gettext_lazy("规划已有目标或项目，不能更改编制区划")
MSG_PUBLISH_STATE = gettext_lazy("只有编制中的规划可以印发")
MSG_CLOSE_STATE = gettext_lazy("只有已印发的规划可以收官")
MSG_DELETE_STATE = gettext_lazy("只有编制中的规划可以删除")
MSG_TARGET_COUNTY = gettext_lazy("%(code)s 不是本规划编制区划内的县（市、区）")
MSG_TARGET_CATEGORY = gettext_lazy("项目类别“%(code)s”不存在")
MSG_TARGET_PROJECTS = gettext_lazy("目标项目数应为 0 至 100000 之间的整数")
MSG_TARGET_INVESTMENT = gettext_lazy("目标投资应为不小于 0 的金额")
MSG_TARGET_DUPLICATE = gettext_lazy("同一县（市、区）、同一类别的目标重复")
MSG_TARGETS_INVALID = gettext_lazy("目标有 %(n)s 处错误，未保存")
MSG_ASSIGN_NONE = gettext_lazy("请选择要纳入规划的项目")
MSG_ASSIGN_YEAR = gettext_lazy("项目 %(code)s 的计划年度（%(year)s）不在规划期 %(start)s–%(end)s 年内")
MSG_ASSIGN_PLACE = gettext_lazy("项目 %(code)s 不在本规划的编制区划内")
MSG_ASSIGN_INVALID = gettext_lazy("有 %(n)s 个项目不能纳入本规划：%(codes)s")
MSG_NOT_IN_PLAN = gettext_lazy("该项目不在本规划内")

FIRST_YEAR, LAST_YEAR, MAX_SPAN = 2000, 2100, 10
MAX_TARGET_PROJECTS = 100_000
MAX_NOTE = 2000


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"plan_{field}", detail={"field": field})


def plan_prefix(plan: Plan) -> str:
    return prefix_of(plan.division_code)


def _clean_name(value) -> str:
    text = str(value or "").strip()
    if not text or len(text) > 100 or "\x00" in text:
        raise _invalid("name", MSG_NAME)
    return text


def _clean_note(value) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_NOTE or "\x00" in text:
        raise _invalid("note", MSG_NOTE)
    return text


def _clean_years(start, end) -> tuple[int, int]:
    try:
        start_year, end_year = int(start), int(end)
    except (TypeError, ValueError):
        raise _invalid("start_year", MSG_YEARS) from None
    if not (FIRST_YEAR <= start_year <= end_year <= LAST_YEAR) or end_year - start_year + 1 > MAX_SPAN:
        raise _invalid("end_year", MSG_YEARS)
    return start_year, end_year


def clean_division(actor, value, *, field: str = "division_code", message=MSG_DIVISION) -> Division:
    """A city or county inside the actor's entry scope (a 4/6-digit prefix or its 12-digit code)."""
    try:
        code = full_code(str(value or "").strip())
    except ValueError:
        raise _invalid(field, message) from None
    division = Division.objects.filter(code=code).first()
    if division is None or division.level not in (Level.CITY, Level.COUNTY) or not in_scope(actor, division.code, "entry"):
        raise _invalid(field, message)
    return division


def _snapshot(plan: Plan) -> dict[str, Any]:
    return {"name": plan.name, "start_year": plan.start_year, "end_year": plan.end_year, "division_code": plan.division_code,
            "state": plan.state, "note": plan.note}


def _lock(actor, plan: Plan) -> Plan:
    """The plan row locked, or NotFound when it is outside the actor's entry scope."""
    locked = Plan.objects.select_for_update().filter(pk=plan.pk).first()
    if locked is None or not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    return locked


def plan_create(*, actor, name: str, start_year: int, end_year: int, division_code: str, note: str = "") -> Plan:
    require_perm(actor, Perm.PROJECT_MANAGE)
    name, note = _clean_name(name), _clean_note(note)
    start_year, end_year = _clean_years(start_year, end_year)
    division = clean_division(actor, division_code)
    with transaction.atomic():
        if Plan.objects.filter(division_code=division.code, start_year=start_year).exists():
            raise Conflict(MSG_PLAN_EXISTS % {"year": start_year}, code="plan_exists", detail={"field": "start_year"})
        try:
            with transaction.atomic():
                plan = Plan.objects.create(name=name, start_year=start_year, end_year=end_year, division_code=division.code, note=note,
                                           created_by=actor)
        except IntegrityError:
            raise Conflict(MSG_PLAN_EXISTS % {"year": start_year}, code="plan_exists", detail={"field": "start_year"}) from None
        audit_record(actor=actor, action="projects.plan.created", object_type="plan", object_id=plan.pk, division_code=plan.division_code,
                     after=_snapshot(plan))
    return plan


def plan_update(*, actor, plan: Plan, name: str | None = None, start_year: int | None = None, end_year: int | None = None,
                division_code: str | None = None, note: str | None = None) -> Plan:
    """Change a plan that is not closed; None leaves a field as it is. The years must still cover its projects' years."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state == Plan.State.CLOSED:
            raise Conflict(MSG_PLAN_CLOSED, code="plan_closed")
        before = _snapshot(plan)
        if name is not None:
            plan.name = _clean_name(name)
        if note is not None:
            plan.note = _clean_note(note)
        if start_year is not None or end_year is not None:
            plan.start_year, plan.end_year = _clean_years(start_year if start_year is not None else plan.start_year,
                                                          end_year if end_year is not None else plan.end_year)
            outside = list(Project.objects.filter(plan=plan).exclude(year__gte=plan.start_year, year__lte=plan.end_year)
                           .order_by("code").values_list("code", flat=True)[:20])
            if outside:
                raise _invalid("start_year", MSG_PLAN_YEARS_PROJECTS % {"codes": join_list(outside)}, "plan_years_projects")
        if division_code is not None:
            division = clean_division(actor, division_code)
            if division.code != plan.division_code:
                if plan.targets.exists() or Project.objects.filter(plan=plan).exists():
                    raise _invalid("division_code", MSG_PLAN_DIVISION_LOCKED, "plan_division_locked")
                plan.division_code = division.code
        if (plan.division_code, plan.start_year) != (before["division_code"], before["start_year"]) and \
                Plan.objects.filter(division_code=plan.division_code, start_year=plan.start_year).exclude(pk=plan.pk).exists():
            raise Conflict(MSG_PLAN_EXISTS % {"year": plan.start_year}, code="plan_exists", detail={"field": "start_year"})
        old, new = audit_diff(before, _snapshot(plan))
        if new:
            plan.save(update_fields=["name", "start_year", "end_year", "division_code", "note"])
            audit_record(actor=actor, action="projects.plan.updated", object_type="plan", object_id=plan.pk, division_code=plan.division_code,
                         before=old, after=new)
    return plan


def _transition(*, actor, plan: Plan, source: str, target: str, message, verb: str) -> Plan:
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state != source:
            raise Conflict(message, code=f"plan_{verb}_state")
        before = plan.state
        plan.state = target
        plan.save(update_fields=["state"])
        audit_record(actor=actor, action=f"projects.plan.{verb}", object_type="plan", object_id=plan.pk, division_code=plan.division_code,
                     before={"state": before}, after={"state": target, "name": plan.name})
    return plan


def plan_publish(*, actor, plan: Plan) -> Plan:
    """编制中 → 已印发."""
    return _transition(actor=actor, plan=plan, source=Plan.State.DRAFT, target=Plan.State.PUBLISHED, message=MSG_PUBLISH_STATE,
                       verb="published")


def plan_close(*, actor, plan: Plan) -> Plan:
    """已印发 → 已收官: the plan period is wrapped up; nothing in it changes any more."""
    return _transition(actor=actor, plan=plan, source=Plan.State.PUBLISHED, target=Plan.State.CLOSED, message=MSG_CLOSE_STATE,
                       verb="closed")


def plan_delete(*, actor, plan: Plan) -> None:
    """Delete a draft plan with its targets; its projects stay, outside any plan."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state != Plan.State.DRAFT:
            raise Conflict(MSG_DELETE_STATE, code="plan_delete_state")
        snapshot = _snapshot(plan)
        codes = list(Project.objects.filter(plan=plan).values_list("code", flat=True))
        Project.objects.filter(plan=plan).update(plan=None)
        pk = plan.pk
        plan.delete()
        audit_record(actor=actor, action="projects.plan.deleted", object_type="plan", object_id=pk, division_code=snapshot["division_code"],
                     before={**snapshot, "projects": codes})


# --- targets --------------------------------------------------------------------------------------------------

def plan_counties(plan: Plan) -> list[Division]:
    """The counties a plan's targets may name: the plan's county, or the counties of its city."""
    prefix = plan_prefix(plan)
    return list(Division.objects.filter(code_prefix_q("code", prefix), level=Level.COUNTY).order_by("code"))


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    else:
        text = str(value if value is not None else "").strip()
        if text == "":
            return 0
        if not (text.isascii() and text.isdigit()):
            return None
        n = int(text)
    return n if 0 <= n <= MAX_TARGET_PROJECTS else None


def plan_targets_set(*, actor, plan: Plan, rows: list[dict[str, Any]]) -> list[PlanTarget]:
    """Replace a plan's targets with `rows` ({"county", "category", "projects", "investment"}: a county code, a category
    code, a number of projects and an investment in fen). Rows of 0 projects and 0 investment are dropped. Every bad row
    is reported (detail: a list of {"row", "column", "message"}) and nothing is written."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state == Plan.State.CLOSED:
            raise Conflict(MSG_PLAN_CLOSED, code="plan_closed")
        counties = {d.code: d for d in plan_counties(plan)}
        categories = set(Term.objects.filter(kind=Term.Kind.CATEGORY).values_list("code", flat=True))
        problems: list[dict[str, Any]] = []
        wanted: dict[tuple[str, str], tuple[int, int]] = {}
        for i, row in enumerate(rows, start=1):
            raw_county = str(row.get("county") or row.get("division_code") or "").strip()
            try:
                county = full_code(raw_county)
            except ValueError:
                county = raw_county
            category = str(row.get("category") or "").strip()
            ok = True
            if county not in counties:
                problems.append({"row": i, "column": "county", "message": str(MSG_TARGET_COUNTY % {"code": raw_county})})
                ok = False
            if category not in categories:
                problems.append({"row": i, "column": "category", "message": str(MSG_TARGET_CATEGORY % {"code": category})})
                ok = False
            projects = _count(row.get("projects"))
            if projects is None:
                problems.append({"row": i, "column": "projects", "message": str(MSG_TARGET_PROJECTS)})
                ok = False
            investment = row.get("investment") or 0
            if isinstance(investment, bool) or not isinstance(investment, int) or investment < 0:
                problems.append({"row": i, "column": "investment", "message": str(MSG_TARGET_INVESTMENT)})
                ok = False
            if not ok:
                continue
            if (county, category) in wanted:
                problems.append({"row": i, "column": "category", "message": str(MSG_TARGET_DUPLICATE)})
                continue
            wanted[(county, category)] = (projects, investment)
        if problems:
            raise ValidationFailed(MSG_TARGETS_INVALID % {"n": len(problems)}, code="plan_targets_invalid", detail=problems)
        existing = {(t.division_code, t.category): t for t in plan.targets.all()}
        before = {f"{k[0][:6]}/{k[1]}": [t.projects, t.investment] for k, t in sorted(existing.items())}
        keep = {k: v for k, v in wanted.items() if v != (0, 0)}
        PlanTarget.objects.filter(pk__in=[t.pk for k, t in existing.items() if k not in keep]).delete()
        changed = []
        for key, (projects, investment) in keep.items():
            target = existing.get(key)
            if target is None:
                PlanTarget.objects.create(plan=plan, division_code=key[0], category=key[1], projects=projects, investment=investment)
            elif (target.projects, target.investment) != (projects, investment):
                target.projects, target.investment = projects, investment
                changed.append(target)
        if changed:
            PlanTarget.objects.bulk_update(changed, ["projects", "investment"])
        after = {f"{k[0][:6]}/{k[1]}": [v[0], v[1]] for k, v in sorted(keep.items())}
        if before != after:
            old, new = audit_diff(before, after)
            removed = {k: None for k in before if k not in after}
            audit_record(actor=actor, action="projects.plan.targets_set", object_type="plan", object_id=plan.pk,
                         division_code=plan.division_code, before=old, after={**new, **removed})
    return list(plan.targets.all())


# --- projects -------------------------------------------------------------------------------------------------

def plan_project_problem(plan: Plan, project: Project) -> str | None:
    """Why the project may not be in the plan (place or year), or None."""
    if not project.division_code.startswith(plan_prefix(plan)):
        return str(MSG_ASSIGN_PLACE % {"code": project.code})
    if project.year is None or not plan.start_year <= project.year <= plan.end_year:
        return str(MSG_ASSIGN_YEAR % {"code": project.code, "year": project.year or "—", "start": plan.start_year, "end": plan.end_year})
    return None


def plan_projects_add(*, actor, plan: Plan, project_ids=(), project_codes=()) -> int:
    """Assign projects (by id or code; of the actor's entry scope, inside the plan's division, of a year within the plan)
    to the plan; a project in another plan moves to this one. All or nothing; one audit event. Returns how many were
    added. An unknown or out-of-scope project is NotFound."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    ids = {int(i) for i in project_ids if str(i).strip().isdigit()}
    codes = {str(c).strip() for c in project_codes if str(c).strip()}
    if codes:
        found = dict(Project.objects.filter(code__in=codes).values_list("code", "pk"))
        if set(found) != codes:
            raise NotFound()
        ids |= set(found.values())
    ids = sorted(ids)
    if not ids:
        raise _invalid("projects", MSG_ASSIGN_NONE, "plan_assign_none")
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state == Plan.State.CLOSED:
            raise Conflict(MSG_PLAN_CLOSED, code="plan_closed")
        projects = list(Project.objects.select_for_update().filter(pk__in=ids).order_by("code"))
        if len(projects) != len(ids) or any(not in_scope(actor, p.division_code, "entry") for p in projects):
            raise NotFound()
        problems = [(p, plan_project_problem(plan, p)) for p in projects]
        bad = [{"code": p.code, "reason": why} for p, why in problems if why]
        if bad:
            raise ValidationFailed(MSG_ASSIGN_INVALID % {"n": len(bad), "codes": join_list(b["code"] for b in bad[:10])},
                                   code="plan_assign_invalid", detail=bad)
        moved = [p for p in projects if p.plan_id != plan.pk]
        if moved:
            Project.objects.filter(pk__in=[p.pk for p in moved]).update(plan=plan)
            audit_record(actor=actor, action="projects.plan.projects_added", object_type="plan", object_id=plan.pk,
                         division_code=plan.division_code,
                         before={"plans": {p.code: p.plan_id for p in moved if p.plan_id}},
                         after={"projects": [p.code for p in moved]})
    return len(moved)


def plan_project_remove(*, actor, plan: Plan, project: Project) -> None:
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        plan = _lock(actor, plan)
        if plan.state == Plan.State.CLOSED:
            raise Conflict(MSG_PLAN_CLOSED, code="plan_closed")
        locked = Project.objects.select_for_update().filter(pk=project.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        if locked.plan_id != plan.pk:
            raise Conflict(MSG_NOT_IN_PLAN, code="plan_project_absent")
        Project.objects.filter(pk=locked.pk).update(plan=None)
        audit_record(actor=actor, action="projects.plan.project_removed", object_type="plan", object_id=plan.pk,
                     division_code=plan.division_code, before={"project": locked.code}, after={"project": None})
