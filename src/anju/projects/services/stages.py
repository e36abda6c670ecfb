"""Project stage transitions (储备 → 申报 → 评审 → 立项/下达 → 实施 → 完工 → 验收 → 审计 → 绩效评价 → 归档): which moves
are allowed, what each needs, and the dated, audited move itself.

`stage_move` trusts its caller to have checked permission and scope (the services of applications, acceptance and
evaluation call it inside their own transaction); `project_stage_set` is the checked entry point for a user.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.policy import policy_value
from anju.projects.models import STAGE_ORDER, Project, Stage, StageChange

MSG_STAGE_ORDER = gettext_lazy("项目不能从“%(from)s”转到“%(to)s”：阶段须依次推进")
MSG_STAGE_DATE = gettext_lazy("阶段日期不能早于上一阶段日期（%(date)s）")
MSG_STAGE_FUTURE = gettext_lazy("阶段日期不能晚于今天")
MSG_NEEDS_DESIGN = gettext_lazy("总投资%(amount)s元，达到%(threshold)s元，须由具备相应资质的设计单位设计：请填写设计单位并确认资质")
MSG_NEEDS_START = gettext_lazy("请先填写实际开工日期")
MSG_NEEDS_COMPLETION = gettext_lazy("请先填写实际完工日期")
MSG_NEEDS_ACCEPTANCE = gettext_lazy("尚无合格的验收记录")
MSG_NEEDS_AUDIT = gettext_lazy("尚无审计记录")
MSG_NEEDS_EVALUATION = gettext_lazy("绩效评价尚未经市级复核")
MSG_NEEDS_ARCHIVE = gettext_lazy("档案不完整，缺少：%(missing)s")
MSG_NEEDS_ALLOCATION = gettext_lazy("尚未批准申报，也没有资金下达记录")

# Moves back, besides one step forward: an application returned or not selected puts the project back in the reserve.
BACKWARD = {(Stage.APPLIED, Stage.RESERVE), (Stage.REVIEWING, Stage.RESERVE), (Stage.REVIEWING, Stage.APPLIED)}


def next_stage(stage: str) -> str | None:
    order = Stage.values
    i = STAGE_ORDER[stage]
    return order[i + 1] if i + 1 < len(order) else None


def design_problem(project: Project) -> str | None:
    """Why the project may not be applied for yet for lack of a qualified design (POLICY.md §3), or None."""
    threshold_yuan = policy_value("projects.design_threshold_yuan", division_code=project.division_code)
    if project.planned_investment >= int(threshold_yuan) * 100 and not (project.design_qualified and project.design_institute.strip()):
        from anju.projects.money import fen_text

        return str(MSG_NEEDS_DESIGN % {"amount": fen_text(project.planned_investment), "threshold": f"{int(threshold_yuan):,}"})
    return None


def stage_problems(project: Project, to_stage: str) -> list[str]:
    """What the project lacks to enter `to_stage` from where it is (empty: the move is allowed)."""
    from anju.projects.models import Acceptance, Allocation, Application, Evaluation, ProjectAudit
    from anju.projects.selectors import archive_missing

    here = project.stage
    if to_stage not in STAGE_ORDER:
        return [str(MSG_STAGE_ORDER % {"from": Stage(here).label, "to": to_stage})]
    if (here, to_stage) in BACKWARD:
        return []
    if to_stage != next_stage(here):
        return [str(MSG_STAGE_ORDER % {"from": Stage(here).label, "to": Stage(to_stage).label})]
    problems: list[str] = []
    if to_stage == Stage.APPLIED:
        problem = design_problem(project)
        if problem:
            problems.append(problem)
    elif to_stage == Stage.APPROVED:
        if not (Application.objects.filter(project=project, state=Application.State.APPROVED).exists()
                or Allocation.objects.filter(project=project).exists()):
            problems.append(str(MSG_NEEDS_ALLOCATION))
    elif to_stage == Stage.IMPLEMENTING:
        if not project.actual_start:
            problems.append(str(MSG_NEEDS_START))
    elif to_stage == Stage.COMPLETED:
        if not project.actual_completion:
            problems.append(str(MSG_NEEDS_COMPLETION))
    elif to_stage == Stage.ACCEPTED:
        if not Acceptance.objects.filter(project=project).exclude(conclusion=Acceptance.Conclusion.FAILED).exists():
            problems.append(str(MSG_NEEDS_ACCEPTANCE))
    elif to_stage == Stage.AUDITED:
        if not ProjectAudit.objects.filter(project=project).exists():
            problems.append(str(MSG_NEEDS_AUDIT))
    elif to_stage == Stage.EVALUATED:
        if not Evaluation.objects.filter(project=project, state=Evaluation.State.REVIEWED).exists():
            problems.append(str(MSG_NEEDS_EVALUATION))
    elif to_stage == Stage.ARCHIVED:
        missing = archive_missing(project)
        if missing:
            problems.append(str(MSG_NEEDS_ARCHIVE % {"missing": "、".join(t.name for t in missing)}))
    return problems


def stage_move(*, actor, project: Project, to_stage: str, on: dt.date | None = None, note: str = "", check: bool = True) -> Project:
    """Move a (row-locked, in-scope) project to `to_stage` on `on`, recording the dated change and an audit event.

    Trusts the caller for permission and scope. With `check` the move must be allowed (`stage_problems`); a
    problem raises ValidationFailed listing what is missing.
    """
    on = on or dt.date.today()
    if check:
        problems = stage_problems(project, to_stage)
        if problems:
            raise ValidationFailed("；".join(problems), code="stage_not_allowed", detail={"field": "stage", "problems": problems})
    last = StageChange.objects.filter(project=project).order_by("-on", "-id").values_list("on", flat=True).first()
    if last and on < last:
        raise ValidationFailed(MSG_STAGE_DATE % {"date": last.isoformat()}, code="stage_date", detail={"field": "on"})
    if on > dt.date.today():
        raise ValidationFailed(MSG_STAGE_FUTURE, code="stage_date", detail={"field": "on"})
    before = project.stage
    StageChange.objects.create(project=project, from_stage=before, to_stage=to_stage, on=on, note=note[:300],
                               by=actor if getattr(actor, "pk", None) else None)
    project.stage, project.stage_on = to_stage, on
    project.save(update_fields=["stage", "stage_on", "updated_at"])
    audit_record(actor=actor if getattr(actor, "pk", None) else None, action="projects.project.stage_changed", object_type="project",
                 object_id=project.pk, division_code=project.division_code, before={"stage": before},
                 after={"code": project.code, "stage": to_stage, "on": on.isoformat(), "note": note})
    return project


def project_stage_set(*, actor, project: Project, to_stage: str, on: dt.date | None = None, note: str = "") -> Project:
    """A user moves a project of their entry scope to the next stage (or back to the reserve), if it has what the stage
    needs."""
    require_perm(actor, Perm.PROJECT_EDIT)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        if locked.stage == to_stage:
            raise Conflict(MSG_STAGE_ORDER % {"from": Stage(locked.stage).label, "to": Stage(to_stage).label}, code="stage_not_allowed")
        return stage_move(actor=actor, project=locked, to_stage=to_stage, on=on, note=note)
