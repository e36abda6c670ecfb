"""Performance evaluation (绩效评价): indicator templates (checked, copied, activated), and a project's evaluation: the
county's self-evaluation, its submission, the city's review with the grade, or a send-back; each step audited.

Rules this module decides:
- An evaluation may start once the project has passed acceptance: stage 验收 or later (`START_STAGE`). The city's
  review moves a project at 审计 on to 绩效评价; a project still at 验收 keeps its stage (its audit is to come, and
  `stage_move` only goes one step at a time).
- One evaluation per project and year, with the active template (the newest active one unless another is named).
- Scores are per sub-indicator, from 0 to its weight, with at most 2 decimals; they are stored as decimal strings.
- The grade comes from the review total: ≥ 90 优, ≥ 80 良, ≥ 60 中, else 差 (`GRADE_THRESHOLDS`).
- The reviewer is never the person who submitted the self-evaluation (four eyes).
- A template that an evaluation uses is frozen: it can be copied, activated or deactivated, never edited.
- A send-back returns the evaluation to 自评中; the model has no field of its own for the reason, so it is kept in
  `review_comment` (shown as 退回理由 while the evaluation is a draft) and in the audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.projects.models import STAGE_ORDER, Allocation, Evaluation, EvaluationTemplate, Payment, Project, Stage

# --- messages ---------------------------------------------------------------------------------------------------

MSG_TEMPLATE_NAME = gettext_lazy("请填写模板名称（最长 100 个字）")
MSG_TEMPLATE_NAME_TAKEN = gettext_lazy("已有名为“%(name)s”的指标模板")
MSG_TEMPLATE_EMPTY = gettext_lazy("请至少设置一个一级指标")
MSG_GROUP_EMPTY = gettext_lazy("一级指标“%(name)s”下至少要有一个二级指标")
MSG_TEMPLATE_SHAPE = gettext_lazy("指标应为一级指标的列表，每个一级指标含编码、名称、分值和二级指标")
MSG_CODE_FORMAT = gettext_lazy("指标编码“%(code)s”应以小写字母开头，只含小写字母、数字和下划线，最长 32 位")
MSG_CODE_REQUIRED = gettext_lazy("请填写指标“%(name)s”的编码")
MSG_CODE_DUPLICATE = gettext_lazy("指标编码“%(code)s”重复")
MSG_INDICATOR_NAME = gettext_lazy("请填写指标“%(code)s”的名称（最长 60 个字）")
MSG_WEIGHT = gettext_lazy("指标“%(name)s”的分值应为大于 0 的数，最多两位小数")
MSG_GROUP_SUM = gettext_lazy("一级指标“%(name)s”的分值 %(weight)s 与其二级指标分值之和 %(sum)s 不相等")
MSG_TOTAL = gettext_lazy("一级指标的分值合计应为 100，现为 %(total)s")
MSG_GUIDE_LENGTH = gettext_lazy("指标“%(name)s”的评分标准最长 300 个字")
MSG_TEMPLATE_IN_USE = gettext_lazy("该模板已被绩效评价使用，不能修改；请复制为新模板后修改")
MSG_TEMPLATE_ACTIVE_ALREADY = gettext_lazy("该模板已经启用")
MSG_TEMPLATE_INACTIVE_ALREADY = gettext_lazy("该模板已经停用")
MSG_TEMPLATE_INACTIVE = gettext_lazy("指标模板“%(name)s”未启用，不能用于新的绩效评价")
MSG_NO_ACTIVE_TEMPLATE = gettext_lazy("没有启用的绩效评价指标模板，请先启用一个模板")

MSG_START_STAGE = gettext_lazy("项目处于“%(stage)s”阶段：验收后方可开展绩效评价")
MSG_YEAR = gettext_lazy("评价年度应在 2006 年至 %(max)s 年之间")
MSG_EXISTS = gettext_lazy("该项目 %(year)s 年度已有绩效评价")
MSG_SCORE_UNKNOWN = gettext_lazy("指标编码“%(code)s”不在本评价的指标模板中")
MSG_SCORE_FORMAT = gettext_lazy("“%(name)s”的得分“%(value)s”不是有效的数字")
MSG_SCORE_PLACES = gettext_lazy("“%(name)s”的得分最多保留两位小数")
MSG_SCORE_RANGE = gettext_lazy("“%(name)s”的得分应在 0 至 %(weight)s 分之间")
MSG_SCORES_MISSING = gettext_lazy("以下指标尚未评分：%(names)s")
MSG_COMMENT_LENGTH = gettext_lazy("说明最长 2000 个字")
MSG_DRAFT_ONLY = gettext_lazy("只有自评中的绩效评价可以修改自评得分或提交自评")
MSG_REVIEW_STATE = gettext_lazy("只有已提交自评的绩效评价可以复核或退回")
MSG_REVIEWER_IS_SUBMITTER = gettext_lazy("复核人不能是自评的提交人")
MSG_REASON_REQUIRED = gettext_lazy("请填写退回理由（最长 300 个字）")
MSG_STAGE_NOTE = gettext_lazy("绩效评价市级复核：%(total)s 分，%(grade)s")

# --- rules ------------------------------------------------------------------------------------------------------

START_STAGE = Stage.ACCEPTED  # the earliest stage an evaluation may start at (验收)
FIRST_YEAR = 2006  # the post-support policy (国发〔2006〕17号)
# Grade from the review total, the first threshold reached wins: ≥ 90 优, ≥ 80 良, ≥ 60 中, else 差.
GRADE_THRESHOLDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), Evaluation.Grade.EXCELLENT),
    (Decimal(80), Evaluation.Grade.GOOD),
    (Decimal(60), Evaluation.Grade.FAIR),
)
GRADE_BELOW = Evaluation.Grade.POOR
TOTAL = Decimal(100)
BUDGET_EXECUTION_CODE = "budget_execution"  # the sub-indicator suggested from payment rate × weight
CENT = Decimal("0.01")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NAME_MAX, GUIDE_MAX, TEMPLATE_NAME_MAX, COMMENT_MAX, REASON_MAX = 60, 300, 100, 2000, 300


def grade_for(total: Decimal | None) -> str:
    """优/良/中/差 of a review total (see GRADE_THRESHOLDS); "" without a total."""
    if total is None:
        return ""
    for threshold, grade in GRADE_THRESHOLDS:
        if total >= threshold:
            return grade
    return GRADE_BELOW


# --- indicators -------------------------------------------------------------------------------------------------

def number(value) -> Decimal:
    """A weight or score as stored in JSON (int, or a decimal string) as a Decimal."""
    return Decimal(str(value))


def plain(value: Decimal) -> int | str:
    """How a weight is stored: an int when whole (as in the seed), else a decimal string (never a float)."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else f"{value:f}"


def score_text(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


@dataclass(frozen=True)
class Item:
    """A sub-indicator with its first-level indicator."""

    group_code: str
    group_name: str
    group_weight: Decimal
    code: str
    name: str
    weight: Decimal
    guide: str


def template_items(indicators: list) -> list[Item]:
    """The sub-indicators of a template's (valid) indicators, in order."""
    return [Item(g["code"], g["name"], number(g["weight"]), i["code"], i["name"], number(i["weight"]), i.get("guide", ""))
            for g in indicators for i in g["items"]]


def _decimal(value) -> Decimal | None:
    """A number given as int, decimal, text or (from JSON) float, as a Decimal; None if it is none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _weight(value, name: str, problems: list) -> Decimal | None:
    w = _decimal(value)
    if w is None or w <= 0 or w > TOTAL or w != w.quantize(CENT):
        problems.append({"code": "", "message": str(MSG_WEIGHT % {"name": name})})
        return None
    return w


def _text(value, limit: int) -> str | None:
    text = str(value if value is not None else "").strip()
    if "\x00" in text or len(text) > limit:
        return None
    return text


def indicators_clean(indicators) -> list[dict]:
    """Check a template's indicators and return them normalised, or raise ValidationFailed listing every problem.

    Each first-level weight must equal the sum of its items, the first-level weights must add up to 100, every code
    (first-level and sub-indicator) must be unique, every weight positive with at most 2 decimals.
    """
    problems: list[dict] = []

    def problem(code: str, message) -> None:
        problems.append({"code": code, "message": str(message)})

    if not isinstance(indicators, list) or not indicators:
        raise ValidationFailed(MSG_TEMPLATE_EMPTY, code="template_invalid", detail={"field": "indicators", "problems": [
            {"code": "", "message": str(MSG_TEMPLATE_EMPTY)}]})
    seen: set[str] = set()
    clean: list[dict] = []
    total = Decimal(0)

    def named(entry: dict, code: str) -> str:
        name = _text(entry.get("name"), NAME_MAX)
        if not name:
            problem(code, MSG_INDICATOR_NAME % {"code": code})
            return code
        return name

    def coded(entry: dict) -> str:
        code = str(entry.get("code") or "").strip()
        if not code:
            problem(code, MSG_CODE_REQUIRED % {"name": str(entry.get("name") or "").strip()[:NAME_MAX]})
        elif not CODE_RE.match(code):
            problem(code, MSG_CODE_FORMAT % {"code": code})
        elif code in seen:
            problem(code, MSG_CODE_DUPLICATE % {"code": code})
        seen.add(code)
        return code

    for group in indicators:
        if not isinstance(group, dict) or not isinstance(group.get("items", []), list):
            raise ValidationFailed(MSG_TEMPLATE_SHAPE, code="template_invalid", detail={"field": "indicators", "problems": [
                {"code": "", "message": str(MSG_TEMPLATE_SHAPE)}]})
        code = coded(group)
        name = named(group, code)
        n = len(problems)
        weight = _weight(group.get("weight"), name, problems)
        for p in problems[n:]:
            p["code"] = code
        items, subtotal = [], Decimal(0)
        if not group.get("items"):
            problem(code, MSG_GROUP_EMPTY % {"name": name})
        for item in group.get("items") or []:
            if not isinstance(item, dict):
                raise ValidationFailed(MSG_TEMPLATE_SHAPE, code="template_invalid", detail={"field": "indicators", "problems": [
                    {"code": "", "message": str(MSG_TEMPLATE_SHAPE)}]})
            icode = coded(item)
            iname = named(item, icode)
            n = len(problems)
            iweight = _weight(item.get("weight"), iname, problems)
            for p in problems[n:]:
                p["code"] = icode
            guide = _text(item.get("guide"), GUIDE_MAX)
            if guide is None:
                problem(icode, MSG_GUIDE_LENGTH % {"name": iname})
            subtotal += iweight or 0
            items.append({"code": icode, "name": iname, "weight": plain(iweight) if iweight else 0, "guide": guide or ""})
        if weight is not None and items and subtotal != weight:
            problem(code, MSG_GROUP_SUM % {"name": name, "weight": plain(weight), "sum": plain(subtotal)})
        total += weight or 0
        clean.append({"code": code, "name": name, "weight": plain(weight) if weight else 0, "items": items})
    if not problems and total != TOTAL:
        problem("", MSG_TOTAL % {"total": plain(total)})
    if problems:
        raise ValidationFailed("；".join(p["message"] for p in problems), code="template_invalid",
                               detail={"field": "indicators", "problems": problems})
    return clean


# --- templates --------------------------------------------------------------------------------------------------

def _template_name(name, *, exclude: int | None = None) -> str:
    text = _text(name, TEMPLATE_NAME_MAX)
    if not text:
        raise ValidationFailed(MSG_TEMPLATE_NAME, code="template_name", detail={"field": "name"})
    taken = EvaluationTemplate.objects.filter(name=text)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationFailed(MSG_TEMPLATE_NAME_TAKEN % {"name": text}, code="template_name", detail={"field": "name"})
    return text


def template_in_use(template: EvaluationTemplate) -> bool:
    return Evaluation.objects.filter(template=template).exists()


def _template_audit(actor, action: str, template: EvaluationTemplate, before=None, after=None) -> None:
    audit_record(actor=actor, action=f"projects.evaluation_template.{action}", object_type="evaluation_template", object_id=template.pk,
                 before=before, after={"name": template.name, **(after or {})})


def _indicator_summary(indicators: list) -> list:
    return [[g["code"], g["weight"], [[i["code"], i["weight"]] for i in g["items"]]] for g in indicators]


def evaluation_template_create(*, actor, name: str, indicators, active: bool = False,
                               source: EvaluationTemplate | None = None) -> EvaluationTemplate:
    """A new template (typically a copy of `source` with edited indicators); inactive unless `active`."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    clean = indicators_clean(indicators)
    with transaction.atomic():
        template = EvaluationTemplate.objects.create(name=_template_name(name), indicators=clean, active=bool(active))
        _template_audit(actor, "created", template, after={"active": template.active, "source": source.pk if source else None,
                                                           "indicators": _indicator_summary(clean)})
    return template


def evaluation_template_update(*, actor, template: EvaluationTemplate, name: str, indicators) -> EvaluationTemplate:
    """Rename a template and replace its indicators, unless an evaluation uses it (then it is frozen: copy it)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    clean = indicators_clean(indicators)
    with transaction.atomic():
        t = EvaluationTemplate.objects.select_for_update().get(pk=template.pk)
        if template_in_use(t):
            raise Conflict(MSG_TEMPLATE_IN_USE, code="template_in_use")
        new_name = _template_name(name, exclude=t.pk)
        before = {"name": t.name, "indicators": _indicator_summary(t.indicators)}
        t.name, t.indicators = new_name, clean
        t.save(update_fields=["name", "indicators"])
        _template_audit(actor, "updated", t, before=before, after={"indicators": _indicator_summary(clean)})
    return t


def evaluation_template_set_active(*, actor, template: EvaluationTemplate, active: bool) -> EvaluationTemplate:
    """启用 or 停用 a template. Evaluations already started keep theirs; only new ones need an active template."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        t = EvaluationTemplate.objects.select_for_update().get(pk=template.pk)
        if t.active == bool(active):
            raise Conflict(MSG_TEMPLATE_ACTIVE_ALREADY if active else MSG_TEMPLATE_INACTIVE_ALREADY, code="template_state")
        t.active = bool(active)
        t.save(update_fields=["active"])
        _template_audit(actor, "activated" if active else "deactivated", t, before={"active": not t.active}, after={"active": t.active})
    return t


def active_template() -> EvaluationTemplate | None:
    """The template new evaluations use by default: the newest active one."""
    return EvaluationTemplate.objects.filter(active=True).order_by("-id").first()


# --- scores -----------------------------------------------------------------------------------------------------

def score_value(value, item: Item) -> tuple[Decimal | None, str | None]:
    """(score, None) or (None, the Chinese problem naming the sub-indicator)."""
    v = _decimal(value)
    if v is None:
        return None, str(MSG_SCORE_FORMAT % {"name": item.name, "value": value})
    if v < 0 or v > item.weight:
        return None, str(MSG_SCORE_RANGE % {"name": item.name, "weight": plain(item.weight)})
    if v != v.quantize(CENT):
        return None, str(MSG_SCORE_PLACES % {"name": item.name})
    return v, None


def scores_clean(evaluation: Evaluation, scores: dict, *, base: dict | None = None) -> dict[str, str]:
    """`base` (stored scores) updated with `scores` ({code: value}; None or "" clears one), checked against the
    template's sub-indicators: ValidationFailed lists every bad entry, each naming its indicator."""
    items = {i.code: i for i in template_items(evaluation.template.indicators)}
    result = dict(base or {})
    problems: dict[str, str] = {}
    if not isinstance(scores, dict):
        scores = {}
    for code, value in scores.items():
        code = str(code).strip()
        item = items.get(code)
        if item is None:
            problems[code] = str(MSG_SCORE_UNKNOWN % {"code": code})
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            result.pop(code, None)
            continue
        v, problem = score_value(value, item)
        if problem:
            problems[code] = problem
        else:
            result[code] = score_text(v)
    if problems:
        raise ValidationFailed("；".join(problems.values()), code="score_invalid", detail={"field": "scores", "fields": problems})
    return {code: result[code] for code in items if code in result}


def scores_total(evaluation: Evaluation, scores: dict, *, field: str = "scores") -> Decimal:
    """The sum of a complete set of scores, or ValidationFailed naming the sub-indicators not scored."""
    items = template_items(evaluation.template.indicators)
    missing = [i for i in items if i.code not in scores]
    if missing:
        raise ValidationFailed(MSG_SCORES_MISSING % {"names": "、".join(i.name for i in missing)}, code="scores_incomplete",
                               detail={"field": field, "missing": [i.code for i in missing]})
    return sum((number(scores[i.code]) for i in items), Decimal(0)).quantize(CENT)


def _comment(value, field: str = "comment") -> str:
    text = _text(value, COMMENT_MAX)
    if text is None:
        raise ValidationFailed(MSG_COMMENT_LENGTH, code="comment_length", detail={"field": field})
    return text


@dataclass(frozen=True)
class BudgetFacts:
    allocated: int  # fen, allocations dated up to the day
    paid: int  # fen, payments up to the day
    rate: Decimal | None  # paid / allocated, None without allocations
    suggestion: dict  # {sub-indicator code: Decimal score}: payment rate (at most 1) × weight


def budget_facts(evaluation: Evaluation, *, on=None) -> BudgetFacts:
    """Money to date of the evaluated project, and the suggested `budget_execution` score (payment rate × weight)."""
    on = on or timezone.localdate()
    allocated = Allocation.objects.filter(project_id=evaluation.project_id, doc_date__lte=on).aggregate(s=Sum("amount"))["s"] or 0
    paid = Payment.objects.filter(project_id=evaluation.project_id, paid_on__lte=on).aggregate(s=Sum("amount"))["s"] or 0
    rate = (Decimal(paid) / Decimal(allocated)) if allocated else None
    suggestion = {}
    if rate is not None:
        for item in template_items(evaluation.template.indicators):
            if item.code == BUDGET_EXECUTION_CODE:
                suggestion[item.code] = (min(rate, Decimal(1)) * item.weight).quantize(CENT, rounding=ROUND_HALF_UP)
    return BudgetFacts(int(allocated), int(paid), rate, suggestion)


# --- the evaluation ---------------------------------------------------------------------------------------------

def _audit(actor, action: str, e: Evaluation, before: dict | None, after: dict) -> None:
    audit_record(actor=actor, action=f"projects.evaluation.{action}", object_type="evaluation", object_id=e.pk,
                 division_code=e.division_code, before=before, after={"project": e.project.code, "year": e.year, **after})


def _locked(actor, evaluation: Evaluation) -> Evaluation:
    """Re-read the evaluation for update once the actor's entry scope covers it (else NotFound)."""
    if not in_scope(actor, evaluation.division_code, "entry"):
        raise NotFound()
    return Evaluation.objects.select_for_update().select_related("project", "template").get(pk=evaluation.pk)


def evaluation_start(*, actor, project: Project, year: int, template: EvaluationTemplate | None = None) -> Evaluation:
    """Start the year's evaluation of a project of the actor's entry scope that has passed acceptance (验收 or later)."""
    require_perm(actor, Perm.PROJECT_EDIT)
    if not in_scope(actor, project.division_code, "entry"):
        raise NotFound()
    this_year = timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= this_year:
        raise ValidationFailed(MSG_YEAR % {"max": this_year}, code="year_invalid", detail={"field": "year"})
    with transaction.atomic():
        p = Project.objects.select_for_update().get(pk=project.pk)
        if STAGE_ORDER[p.stage] < STAGE_ORDER[START_STAGE]:
            raise ValidationFailed(MSG_START_STAGE % {"stage": Stage(p.stage).label}, code="stage_not_allowed", detail={"field": "project"})
        if template is None:
            template = active_template()
            if template is None:
                raise ValidationFailed(MSG_NO_ACTIVE_TEMPLATE, code="no_template", detail={"field": "template"})
        elif not EvaluationTemplate.objects.filter(pk=template.pk, active=True).exists():
            raise ValidationFailed(MSG_TEMPLATE_INACTIVE % {"name": template.name}, code="template_inactive", detail={"field": "template"})
        if Evaluation.objects.filter(project=p, year=year).exists():
            raise Conflict(MSG_EXISTS % {"year": year}, code="evaluation_exists", detail={"field": "year"})
        e = Evaluation.objects.create(project=p, template=template, division_code=p.division_code, year=year)
        _audit(actor, "started", e, None, {"template": template.pk, "stage": p.stage})
    return e


def evaluation_self_scores(*, actor, evaluation: Evaluation, scores: dict, comment: str | None = None,
                           replace: bool = False) -> Evaluation:
    """Save self-evaluation scores ({code: value}; None clears one) and the comment of a draft. With `replace` the
    given scores are the whole set; otherwise they update the stored ones."""
    require_perm(actor, Perm.PROJECT_EDIT)
    with transaction.atomic():
        e = _locked(actor, evaluation)
        if e.state != Evaluation.State.DRAFT:
            raise Conflict(MSG_DRAFT_ONLY, code="evaluation_state")
        new = scores_clean(e, scores or {}, base=None if replace else e.self_scores)
        before = {"self_scores": e.self_scores, "self_comment": e.self_comment}
        e.self_scores = new
        fields = ["self_scores"]
        if comment is not None:
            e.self_comment = _comment(comment)
            fields.append("self_comment")
        e.save(update_fields=fields)
        _audit(actor, "scored", e, before, {"self_scores": e.self_scores, "self_comment": e.self_comment})
    return e


def evaluation_submit(*, actor, evaluation: Evaluation) -> Evaluation:
    """提交自评: every sub-indicator scored; self_total is their sum."""
    require_perm(actor, Perm.PROJECT_EDIT)
    with transaction.atomic():
        e = _locked(actor, evaluation)
        if e.state != Evaluation.State.DRAFT:
            raise Conflict(MSG_DRAFT_ONLY, code="evaluation_state")
        total = scores_total(e, e.self_scores)
        e.state, e.self_total, e.submitted_by, e.submitted_at = Evaluation.State.SUBMITTED, total, actor, timezone.now()
        e.save(update_fields=["state", "self_total", "submitted_by", "submitted_at"])
        _audit(actor, "submitted", e, {"state": Evaluation.State.DRAFT}, {"state": e.state, "self_total": score_text(total)})
    return e


def evaluation_review(*, actor, evaluation: Evaluation, scores: dict | None = None, comment: str = "") -> Evaluation:
    """市级复核: review scores (the self scores where none is given), the review total and grade. A project at 审计 moves
    on to 绩效评价; one still at 验收 keeps its stage."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    with transaction.atomic():
        e = _locked(actor, evaluation)
        if e.state != Evaluation.State.SUBMITTED:
            raise Conflict(MSG_REVIEW_STATE, code="evaluation_state")
        if e.submitted_by_id == actor.pk:
            raise PermissionDenied(MSG_REVIEWER_IS_SUBMITTER, code="evaluation_four_eyes")
        review = scores_clean(e, scores or {}, base=e.self_scores)
        total = scores_total(e, review)
        e.review_scores, e.review_total, e.grade = review, total, grade_for(total)
        e.review_comment = _comment(comment)
        e.state, e.reviewed_by, e.reviewed_at = Evaluation.State.REVIEWED, actor, timezone.now()
        e.save(update_fields=["review_scores", "review_total", "grade", "review_comment", "state", "reviewed_by", "reviewed_at"])
        _audit(actor, "reviewed", e, {"state": Evaluation.State.SUBMITTED},
               {"state": e.state, "review_scores": review, "review_total": score_text(total), "grade": e.grade})
        project = Project.objects.select_for_update().get(pk=e.project_id)
        if project.stage == Stage.AUDITED:
            from anju.projects.services.stages import stage_move

            stage_move(actor=actor, project=project, to_stage=Stage.EVALUATED,
                       note=str(MSG_STAGE_NOTE) % {"total": score_text(total), "grade": Evaluation.Grade(e.grade).label})
    return e


def evaluation_send_back(*, actor, evaluation: Evaluation, reason: str) -> Evaluation:
    """退回: a submitted self-evaluation goes back to the county with a reason (kept in review_comment)."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    text = _text(reason, REASON_MAX)
    if not text:
        raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
    with transaction.atomic():
        e = _locked(actor, evaluation)
        if e.state != Evaluation.State.SUBMITTED:
            raise Conflict(MSG_REVIEW_STATE, code="evaluation_state")
        e.state, e.review_comment = Evaluation.State.DRAFT, text
        e.save(update_fields=["state", "review_comment"])
        _audit(actor, "sent_back", e, {"state": Evaluation.State.SUBMITTED}, {"state": e.state, "reason": text})
    return e
