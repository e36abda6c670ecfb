"""Project applications (项目申报) under the year's guideline: the county drafts one for a project in its reserve, sees at
once what the guideline still misses (`application_checks`), submits it; the city starts the review, several reviewers
score it, the guideline's applications are ranked, and the city approves, returns or rejects it.

States: 填报中 → 已申报 → 评审中 → 已批准 | 未入选; 已申报/评审中 → 已退回 → (edited) → 已申报. The project moves with it:
储备 → 申报 → 评审 → 立项/下达, and back to 储备 when the application is returned or not selected.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.projects.models import Application, ApplicationReview, Document, DocumentType, Guideline, Program, Project, Stage, Term
from anju.projects.money import fen_text, wan_text
from anju.projects.services.applications_guidelines import guideline_for_project
from anju.projects.services.stages import design_problem, stage_move

MSG_PROJECT_STAGE = gettext_lazy("只有储备库中的项目可以申报（当前阶段：%(stage)s）")
MSG_PROJECT_YEAR = gettext_lazy("请先填写项目的计划年度")
MSG_NO_GUIDELINE = gettext_lazy("%(year)s 年度没有覆盖该项目的已发布申报指南")
MSG_EXISTS = gettext_lazy("该项目已按本年度指南申报（申报 #%(id)s）")
MSG_SOURCE_UNKNOWN = gettext_lazy("资金来源“%(code)s”不存在或已停用")
MSG_SOURCE_AMOUNT = gettext_lazy("申请资金应为不小于 0 的金额")
MSG_JUSTIFICATION = gettext_lazy("申报理由最长 5000 个字")
MSG_EDIT_STATE = gettext_lazy("只有填报中或已退回的申报可以修改")
MSG_SUBMIT_STATE = gettext_lazy("只有填报中或已退回的申报可以提交（当前：%(state)s）")
MSG_GUIDELINE_CLOSED = gettext_lazy("申报指南已截止，不能再提交新的申报")
MSG_CHECKS_FAILED = gettext_lazy("对照申报指南尚有 %(n)s 项不符合：%(items)s")
MSG_PROJECT_MISMATCH = gettext_lazy("项目当前阶段为“%(stage)s”，与申报状态不符，请先核对项目阶段")
MSG_REVIEW_STATE = gettext_lazy("只有已申报的申报可以开始评审")
MSG_SCORE_STATE = gettext_lazy("只有评审中的申报可以评分")
MSG_SCORE_RANGE = gettext_lazy("评分应为 0 至 100 之间的数，最多两位小数")
MSG_COMMENT = gettext_lazy("评审意见最长 2000 个字")
MSG_SUBMITTER_SCORES = gettext_lazy("申报提交人不能为本申报评分（回避）")
MSG_APPROVE_STATE = gettext_lazy("只有评审中的申报可以批准")
MSG_APPROVE_REVIEWS = gettext_lazy("至少需要 2 位评审人评分才能批准（现有 %(n)s 位）")
MSG_SUBMITTER_DECIDES = gettext_lazy("申报提交人不能批准本申报（回避）")
MSG_RETURN_STATE = gettext_lazy("只有已申报或评审中的申报可以退回")
MSG_REJECT_STATE = gettext_lazy("只有已申报或评审中的申报可以确定为未入选")
MSG_REASON = gettext_lazy("请填写理由（最长 300 个字）")
MSG_DELETE_STATE = gettext_lazy("只有填报中的申报可以删除")

# The completeness list (application_checks): labels of each check, and what a failing one says.
CHECK_LABELS = {
    "category": gettext_lazy("项目类别符合指南"),
    "program": gettext_lazy("项目类型符合指南"),
    "investment": gettext_lazy("计划投资在指南上下限内"),
    "requested": gettext_lazy("申请资金不超过计划投资"),
    "document": gettext_lazy("必备材料：%(name)s"),
    "beneficiaries": gettext_lazy("受益移民人数达到指南要求"),
    "design": gettext_lazy("设计要求"),
    "deadline": gettext_lazy("在申报截止日期前"),
}
MSG_CHECK_CATEGORY = gettext_lazy("项目类别“%(name)s”不在指南支持的类别内（%(allowed)s）")
MSG_CHECK_PROGRAM = gettext_lazy("项目类型“%(name)s”不在指南支持的类型内（%(allowed)s）")
MSG_CHECK_INVESTMENT = gettext_lazy("计划投资 %(amount)s 万元，不符合指南要求（%(bounds)s）")
MSG_CHECK_REQUESTED_NONE = gettext_lazy("尚未填写申请资金")
MSG_CHECK_REQUESTED = gettext_lazy("申请资金合计 %(requested)s 元，超过计划投资 %(planned)s 元")
MSG_CHECK_DOCUMENT = gettext_lazy("项目档案中缺少“%(name)s”")
MSG_CHECK_BENEFICIARIES = gettext_lazy("受益移民 %(n)s 人，少于指南要求的 %(min)s 人")
MSG_CHECK_DEADLINE = gettext_lazy("已过申报截止日期（%(date)s）")
MSG_OK_ALL = gettext_lazy("指南不限")
MSG_OK_INVESTMENT = gettext_lazy("计划投资 %(amount)s 万元（%(bounds)s）")
MSG_OK_REQUESTED = gettext_lazy("申请资金合计 %(requested)s 元，计划投资 %(planned)s 元")
MSG_OK_BENEFICIARIES = gettext_lazy("受益移民 %(n)s 人（不少于 %(min)s 人）")
MSG_OK_DOCUMENT = gettext_lazy("已在项目档案中（%(n)s 份）")
MSG_OK_DESIGN = gettext_lazy("符合")
MSG_OK_DEADLINE = gettext_lazy("截止日期 %(date)s")
MSG_OK_NO_DEADLINE = gettext_lazy("指南未设截止日期")
MSG_BOUNDS_BOTH = gettext_lazy("%(min)s 至 %(max)s 万元")
MSG_BOUNDS_MIN = gettext_lazy("不低于 %(min)s 万元")
MSG_BOUNDS_MAX = gettext_lazy("不超过 %(max)s 万元")

EDITABLE_STATES = (Application.State.DRAFT, Application.State.RETURNED)
RANKED_STATES = (Application.State.REVIEWING, Application.State.APPROVED, Application.State.REJECTED)
MAX_REQUEST = 10**15


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"application_{field}", detail={"field": field})


def _clean_sources(value: dict[str, Any] | None) -> dict[str, int]:
    """{fund source code: fen} with known, active sources; zero amounts dropped; in the vocabulary's order."""
    order = list(Term.objects.filter(kind=Term.Kind.FUND_SOURCE, active=True).order_by("sort", "code").values_list("code", flat=True))
    clean: dict[str, int] = {}
    for code, amount in (value or {}).items():
        code = str(code).strip()
        if code not in order:
            raise _invalid("requested_by_source", MSG_SOURCE_UNKNOWN % {"code": code})
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < MAX_REQUEST:
            raise _invalid("requested_by_source", MSG_SOURCE_AMOUNT)
        if amount:
            clean[code] = amount
    return {code: clean[code] for code in order if code in clean}


def _clean_justification(value) -> str:
    text = str(value or "").strip()
    if "\x00" in text or len(text) > 5000:
        raise _invalid("justification", MSG_JUSTIFICATION)
    return text


def _clean_reason(value) -> str:
    text = str(value or "").strip()
    if not text or "\x00" in text or len(text) > 300:
        raise _invalid("reason", MSG_REASON)
    return text


def _snapshot(a: Application) -> dict[str, Any]:
    return {"state": a.state, "requested": a.requested, "requested_by_source": a.requested_by_source, "justification": a.justification}


def _record(actor, a: Application, verb: str, *, before=None, after=None) -> None:
    audit_record(actor=actor, action=f"projects.application.{verb}", object_type="application", object_id=a.pk,
                 division_code=a.division_code, before=before, after={"project": a.project.code, **(after or {})})


# --- the completeness list ------------------------------------------------------------------------------------

def wan(fen: int) -> str:
    """Fen as 万元 without trailing zeros: 5000000000 → '500', 12345678 → '12.345678'."""
    return wan_text(fen, 6).rstrip("0").rstrip(".")


def bounds_text(g: Guideline) -> str:
    low, high = g.min_investment, g.max_investment
    if low is not None and high is not None:
        return str(MSG_BOUNDS_BOTH % {"min": wan(low), "max": wan(high)})
    if low is not None:
        return str(MSG_BOUNDS_MIN % {"min": wan(low)})
    if high is not None:
        return str(MSG_BOUNDS_MAX % {"max": wan(high)})
    return str(MSG_OK_ALL)


def _check(code: str, label, ok: bool, message) -> dict[str, Any]:
    return {"code": code, "label": str(label), "ok": bool(ok), "message": str(message)}


def checks_day(application: Application, today: dt.date | None = None) -> dt.date:
    """The day the deadline is judged on: the first submission's day once submitted (a returned application may be
    resubmitted after the deadline), else today."""
    if application.submitted_at:
        return timezone.localdate(application.submitted_at)
    return today or timezone.localdate()


def application_checks(application: Application, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The completeness list of an application against its guideline, with the project as it is now: one
    {"code", "label", "ok", "message"} per condition (categories, program, investment bounds, requested ≤ planned,
    each required document in the archive, beneficiaries, design, deadline)."""
    g, p = application.guideline, application.project
    categories = dict(Term.objects.filter(kind=Term.Kind.CATEGORY).values_list("code", "name"))
    programs = dict(Program.choices)
    checks = []

    category_name = categories.get(p.category, p.category)
    ok = not g.categories or p.category in g.categories
    checks.append(_check("category", CHECK_LABELS["category"], ok, category_name if ok else MSG_CHECK_CATEGORY % {
        "name": category_name, "allowed": join_list(categories.get(c, c) for c in g.categories)}))

    program_name = str(programs.get(p.program, p.program))
    ok = not g.programs or p.program in g.programs
    checks.append(_check("program", CHECK_LABELS["program"], ok, program_name if ok else MSG_CHECK_PROGRAM % {
        "name": program_name, "allowed": join_list(programs.get(c, c) for c in g.programs)}))

    planned = p.planned_investment
    ok = (g.min_investment is None or planned >= g.min_investment) and (g.max_investment is None or planned <= g.max_investment)
    amount = wan(planned)
    checks.append(_check("investment", CHECK_LABELS["investment"], ok,
                         (MSG_OK_INVESTMENT if ok else MSG_CHECK_INVESTMENT) % {"amount": amount, "bounds": bounds_text(g)}))

    requested = sum((application.requested_by_source or {}).values())
    if requested <= 0:
        checks.append(_check("requested", CHECK_LABELS["requested"], False, MSG_CHECK_REQUESTED_NONE))
    else:
        ok = requested <= planned
        checks.append(_check("requested", CHECK_LABELS["requested"], ok,
                             (MSG_OK_REQUESTED if ok else MSG_CHECK_REQUESTED) % {"requested": fen_text(requested), "planned": fen_text(planned)}))

    if g.required_documents:
        types = {t.code: t for t in DocumentType.objects.filter(code__in=g.required_documents)}
        present: dict[int, int] = {}
        for type_id in Document.objects.filter(project=p, doc_type__code__in=g.required_documents).values_list("doc_type_id", flat=True):
            present[type_id] = present.get(type_id, 0) + 1
        for code in g.required_documents:
            t = types.get(code)
            name = t.name if t else code
            n = present.get(t.pk, 0) if t else 0
            checks.append(_check(f"document:{code}", CHECK_LABELS["document"] % {"name": name}, n > 0,
                                 MSG_OK_DOCUMENT % {"n": n} if n else MSG_CHECK_DOCUMENT % {"name": name}))

    if g.min_beneficiaries:
        ok = p.beneficiaries >= g.min_beneficiaries
        checks.append(_check("beneficiaries", CHECK_LABELS["beneficiaries"], ok,
                             (MSG_OK_BENEFICIARIES if ok else MSG_CHECK_BENEFICIARIES) % {"n": p.beneficiaries, "min": g.min_beneficiaries}))

    problem = design_problem(p)
    checks.append(_check("design", CHECK_LABELS["design"], problem is None, problem or MSG_OK_DESIGN))

    if g.deadline:
        ok = checks_day(application, today) <= g.deadline
        checks.append(_check("deadline", CHECK_LABELS["deadline"], ok, (MSG_OK_DEADLINE if ok else MSG_CHECK_DEADLINE) % {
            "date": g.deadline.isoformat()}))
    else:
        checks.append(_check("deadline", CHECK_LABELS["deadline"], True, MSG_OK_NO_DEADLINE))
    return checks


def checks_failing(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if not c["ok"]]


# --- the county's side ----------------------------------------------------------------------------------------

def _lock_project(actor, project_id: int) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None or not in_scope(actor, project.division_code, "entry"):
        raise NotFound()
    return project


def application_create(*, actor, project: Project, requested_by_source: dict[str, int] | None = None, justification: str = "",
                       guideline: Guideline | None = None) -> Application:
    """Draft the application of a reserve project of the actor's entry scope, under the published guideline of its year
    that covers it (`guideline` may name it; it must be that one)."""
    require_perm(actor, Perm.PROJECT_EDIT)
    sources = _clean_sources(requested_by_source)
    justification = _clean_justification(justification)
    with transaction.atomic():
        project = _lock_project(actor, project.pk)
        if project.stage != Stage.RESERVE:
            raise Conflict(MSG_PROJECT_STAGE % {"stage": Stage(project.stage).label}, code="application_project_stage")
        if not project.year:
            raise _invalid("project", MSG_PROJECT_YEAR, "application_project_year")
        found = guideline_for_project(project)
        if found is None or (guideline is not None and guideline.pk != found.pk):
            raise _invalid("guideline", MSG_NO_GUIDELINE % {"year": project.year}, "application_no_guideline")
        existing = Application.objects.filter(project=project, guideline=found).first()
        if existing:
            raise Conflict(MSG_EXISTS % {"id": existing.pk}, code="application_exists")
        try:
            with transaction.atomic():
                application = Application.objects.create(project=project, guideline=found, division_code=project.division_code,
                                                         requested=sum(sources.values()), requested_by_source=sources,
                                                         justification=justification, created_by=actor)
        except IntegrityError:
            raise Conflict(MSG_EXISTS % {"id": "?"}, code="application_exists") from None
        application.checks = application_checks(application)
        application.save(update_fields=["checks"])
        _record(actor, application, "created", after={**_snapshot(application), "guideline": found.pk})
    return application


def _lock(actor, application: Application, *, kind: str = "entry") -> Application:
    """The application row locked (with its project locked too), or NotFound out of the actor's scope: the project's
    entry scope for the county's steps, the guideline's entry scope for the reviewer's."""
    locked = Application.objects.select_for_update().filter(pk=application.pk).select_related("guideline").first()
    if locked is None:
        raise NotFound()
    if kind == "review":
        if not (in_scope(actor, locked.guideline.division_code, "entry") and in_scope(actor, locked.division_code, "entry")):
            raise NotFound()
    elif not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    locked.project = Project.objects.select_for_update().get(pk=locked.project_id)
    return locked


def application_update(*, actor, application: Application, requested_by_source: dict[str, int] | None = None,
                       justification: str | None = None) -> Application:
    """Change a draft or returned application's requested amounts or justification (None leaves a field as it is)."""
    require_perm(actor, Perm.PROJECT_EDIT)
    sources = _clean_sources(requested_by_source) if requested_by_source is not None else None
    text = _clean_justification(justification) if justification is not None else None
    with transaction.atomic():
        a = _lock(actor, application)
        if a.state not in EDITABLE_STATES:
            raise Conflict(MSG_EDIT_STATE, code="application_edit_state")
        before = _snapshot(a)
        if sources is not None:
            a.requested_by_source, a.requested = sources, sum(sources.values())
        if text is not None:
            a.justification = text
        a.checks = application_checks(a)
        a.save(update_fields=["requested_by_source", "requested", "justification", "checks"])
        old, new = audit_diff(before, _snapshot(a))
        if new:
            _record(actor, a, "updated", before=old, after=new)
    return a


def application_submit(*, actor, application: Application) -> Application:
    """Submit a draft or returned application when every check passes (else ValidationFailed listing what is missing):
    the checks are stored and the project moves from 储备 to 申报."""
    require_perm(actor, Perm.PROJECT_EDIT)
    with transaction.atomic():
        a = _lock(actor, application)
        if a.state not in EDITABLE_STATES:
            raise Conflict(MSG_SUBMIT_STATE % {"state": a.get_state_display()}, code="application_submit_state")
        guideline = Guideline.objects.select_for_update().get(pk=a.guideline_id)
        if guideline.state == Guideline.State.DRAFT or (guideline.state == Guideline.State.CLOSED and not a.submitted_at):
            raise Conflict(MSG_GUIDELINE_CLOSED, code="application_guideline_closed")
        if a.project.stage != Stage.RESERVE:
            raise Conflict(MSG_PROJECT_MISMATCH % {"stage": Stage(a.project.stage).label}, code="application_project_stage")
        checks = application_checks(a)
        failing = checks_failing(checks)
        if failing:
            a.checks = checks
            a.save(update_fields=["checks"])
            raise ValidationFailed(MSG_CHECKS_FAILED % {"n": len(failing), "items": join_list(c["label"] for c in failing)},
                                   code="application_checks_failed",
                                   detail=[{"code": c["code"], "label": c["label"], "reason": c["message"]} for c in failing])
        before = a.state
        now = timezone.now()
        a.checks, a.state, a.reason = checks, Application.State.SUBMITTED, ""
        a.submitted_by = actor
        a.submitted_at = a.submitted_at or now
        a.save(update_fields=["checks", "state", "reason", "submitted_by", "submitted_at"])
        stage_move(actor=actor, project=a.project, to_stage=Stage.APPLIED, note=str(guideline.title)[:200])
        _record(actor, a, "submitted", before={"state": before}, after={"state": a.state, "requested": a.requested, "checks": len(checks)})
    return a


def application_delete(*, actor, application: Application) -> None:
    require_perm(actor, Perm.PROJECT_EDIT)
    with transaction.atomic():
        a = _lock(actor, application)
        if a.state != Application.State.DRAFT:
            raise Conflict(MSG_DELETE_STATE, code="application_delete_state")
        snapshot, pk, code, division = _snapshot(a), a.pk, a.project.code, a.division_code
        a.delete()
        audit_record(actor=actor, action="projects.application.deleted", object_type="application", object_id=pk,
                     division_code=division, before={**snapshot, "project": code})


# --- the city's side ------------------------------------------------------------------------------------------

def application_review_start(*, actor, application: Application) -> Application:
    """已申报 → 评审中; the project 申报 → 评审."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    with transaction.atomic():
        a = _lock(actor, application, kind="review")
        if a.state != Application.State.SUBMITTED:
            raise Conflict(MSG_REVIEW_STATE, code="application_review_state")
        if a.project.stage != Stage.APPLIED:
            raise Conflict(MSG_PROJECT_MISMATCH % {"stage": Stage(a.project.stage).label}, code="application_project_stage")
        a.state = Application.State.REVIEWING
        a.save(update_fields=["state"])
        stage_move(actor=actor, project=a.project, to_stage=Stage.REVIEWING)
        _record(actor, a, "review_started", before={"state": Application.State.SUBMITTED}, after={"state": a.state})
    return a


def clean_score(value) -> Decimal:
    if isinstance(value, bool):
        raise _invalid("score", MSG_SCORE_RANGE)
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid("score", MSG_SCORE_RANGE) from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100) or score != score.quantize(Decimal("0.01")):
        raise _invalid("score", MSG_SCORE_RANGE)
    return score.quantize(Decimal("0.01"))


def average(scores) -> Decimal | None:
    """The mean of the scores, 2 places, half up (None without scores)."""
    scores = [Decimal(s) for s in scores]
    if not scores:
        return None
    return (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def guideline_rerank(guideline_id: int) -> None:
    """Rank the guideline's scored applications (under review or decided): average score descending, then requested
    amount ascending, then id — every application its own place (1, 2, 3, …). Others lose their rank. The caller holds
    the guideline's row lock."""
    ranked = list(Application.objects.filter(guideline_id=guideline_id, state__in=RANKED_STATES, score__isnull=False)
                  .order_by("-score", "requested", "id").only("id", "rank"))
    changed = []
    for place, a in enumerate(ranked, start=1):
        if a.rank != place:
            a.rank = place
            changed.append(a)
    if changed:
        Application.objects.bulk_update(changed, ["rank"])
    Application.objects.filter(guideline_id=guideline_id, rank__isnull=False).exclude(pk__in=[a.pk for a in ranked]).update(rank=None)


def _refresh_score(a: Application) -> None:
    a.score = average(ApplicationReview.objects.filter(application=a).values_list("score", flat=True))
    a.save(update_fields=["score"])


def application_score(*, actor, application: Application, score, comment: str = "") -> ApplicationReview:
    """A reviewer's score (0–100) and comment: one per reviewer, changeable until the decision; the submitter may not
    score. The average is stored and the guideline re-ranked."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    value = clean_score(score)
    comment = str(comment or "").strip()
    if "\x00" in comment or len(comment) > 2000:
        raise _invalid("comment", MSG_COMMENT)
    with transaction.atomic():
        Guideline.objects.select_for_update().filter(pk=application.guideline_id).first()  # serialise re-ranking per guideline
        a = _lock(actor, application, kind="review")
        if a.state != Application.State.REVIEWING:
            raise Conflict(MSG_SCORE_STATE, code="application_score_state")
        if a.submitted_by_id == actor.pk:
            raise PermissionDenied(MSG_SUBMITTER_SCORES, code="application_submitter_scores")
        review = ApplicationReview.objects.filter(application=a, reviewer=actor).first()
        before = {"score": review.score, "comment": review.comment} if review else None
        if review is None:
            review = ApplicationReview.objects.create(application=a, reviewer=actor, score=value, comment=comment)
        else:
            review.score, review.comment = value, comment
            review.save(update_fields=["score", "comment", "at"])
        old_average = a.score
        _refresh_score(a)
        guideline_rerank(a.guideline_id)
        a.refresh_from_db(fields=["rank"])
        _record(actor, a, "scored", before=before and {**before, "average": old_average},
                after={"score": value, "comment": comment, "average": a.score, "rank": a.rank})
    return review


def application_approve(*, actor, application: Application) -> Application:
    """评审中 → 已批准 with at least two reviews, by someone other than the submitter; the project 评审 → 立项/下达."""
    require_perm(actor, Perm.PROJECT_REVIEW)
    with transaction.atomic():
        Guideline.objects.select_for_update().filter(pk=application.guideline_id).first()
        a = _lock(actor, application, kind="review")
        if a.state != Application.State.REVIEWING:
            raise Conflict(MSG_APPROVE_STATE, code="application_approve_state")
        n = ApplicationReview.objects.filter(application=a).count()
        if n < 2:
            raise ValidationFailed(MSG_APPROVE_REVIEWS % {"n": n}, code="application_reviews", detail={"field": "reviews"})
        if a.submitted_by_id == actor.pk:
            raise PermissionDenied(MSG_SUBMITTER_DECIDES, code="application_submitter_decides")
        if a.project.stage != Stage.REVIEWING:
            raise Conflict(MSG_PROJECT_MISMATCH % {"stage": Stage(a.project.stage).label}, code="application_project_stage")
        a.state, a.decided_by, a.decided_at, a.reason = Application.State.APPROVED, actor, timezone.now(), ""
        a.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        stage_move(actor=actor, project=a.project, to_stage=Stage.APPROVED, note=str(a.guideline.title)[:200])
        guideline_rerank(a.guideline_id)
        _record(actor, a, "approved", before={"state": Application.State.REVIEWING},
                after={"state": a.state, "score": a.score, "reviews": n, "requested": a.requested})
    return a


def _send_back(*, actor, application: Application, reason: str, target: str, message, verb: str) -> Application:
    require_perm(actor, Perm.PROJECT_REVIEW)
    reason = _clean_reason(reason)
    with transaction.atomic():
        Guideline.objects.select_for_update().filter(pk=application.guideline_id).first()
        a = _lock(actor, application, kind="review")
        if a.state not in (Application.State.SUBMITTED, Application.State.REVIEWING):
            raise Conflict(message, code=f"application_{verb}_state")
        expected = Stage.APPLIED if a.state == Application.State.SUBMITTED else Stage.REVIEWING
        if a.project.stage != expected:
            raise Conflict(MSG_PROJECT_MISMATCH % {"stage": Stage(a.project.stage).label}, code="application_project_stage")
        before = {"state": a.state, "score": a.score, "rank": a.rank}
        reviews = list(ApplicationReview.objects.filter(application=a).values("reviewer__username", "score", "comment"))
        if target == Application.State.RETURNED:
            # A returned application is revised and reviewed afresh: the scores of the old version go (the audit keeps them).
            ApplicationReview.objects.filter(application=a).delete()
            a.score = None
            before["reviews"] = reviews
        a.state, a.reason, a.decided_by, a.decided_at = target, reason, actor, timezone.now()
        a.save(update_fields=["state", "reason", "decided_by", "decided_at", "score"])
        stage_move(actor=actor, project=a.project, to_stage=Stage.RESERVE, note=reason)
        guideline_rerank(a.guideline_id)
        a.refresh_from_db(fields=["rank"])
        _record(actor, a, verb, before=before, after={"state": a.state, "reason": reason})
    return a


def application_return(*, actor, application: Application, reason: str) -> Application:
    """已申报/评审中 → 已退回 with a reason: the county revises and resubmits; the project goes back to 储备."""
    return _send_back(actor=actor, application=application, reason=reason, target=Application.State.RETURNED, message=MSG_RETURN_STATE,
                      verb="returned")


def application_reject(*, actor, application: Application, reason: str) -> Application:
    """已申报/评审中 → 未入选 with a reason; the project goes back to 储备 (it may apply under a later guideline)."""
    return _send_back(actor=actor, application=application, reason=reason, target=Application.State.REJECTED, message=MSG_REJECT_STATE,
                      verb="rejected")
