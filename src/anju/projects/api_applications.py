"""Projects API of the applications area (/api/v1/projects/planning): five-year plans with their targets, projects and
execution report; the yearly guidelines and their ranking; applications with their completeness checks, submission,
review, scores and decisions. Amounts are yuan strings ("1234.50") in fields ending `_yuan`."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.exceptions import ValidationFailed
from anju.divisions.selectors import division_names
from anju.projects.models import Application, Guideline, Plan
from anju.projects.money import YUAN, to_fen, yuan_text
from anju.projects.reports_applications import XLSX, plan_execution_xlsx, ranking_xlsx
from anju.projects.selectors import access_project, access_project_by_code, term_names
from anju.projects.selectors_applications import (
    access_application,
    access_guideline,
    application_actions,
    application_annotate,
    application_list,
    application_reviews,
    guideline_actions,
    guideline_annotate,
    guideline_list,
    ranking,
)
from anju.projects.selectors_plans import (
    access_plan,
    plan_actions,
    plan_annotate,
    plan_execution,
    plan_list,
    plan_project_list,
    plan_targets,
)
from anju.projects.services import applications as app_services
from anju.projects.services import applications_guidelines as guideline_services
from anju.projects.services import plans as plan_services

router = Router(tags=["projects-applications"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

Yuan = Annotated[str, StringConstraints(pattern=r"^\d{1,13}(\.\d{1,2})?$")]
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)]
Title = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=200)]
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
Division = Annotated[str, StringConstraints(pattern=r"^(\d{4}|\d{6}|\d{12})$")]
County = Annotated[str, StringConstraints(pattern=r"^(\d{6}|\d{12})$")]
Year = Annotated[int, Field(ge=2000, le=2100)]
ProjectCode = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=40)]

# Choices as literals: ninja names an enum's OpenAPI component by its class name, and every TextChoices here is "State".
PlanState = Literal["draft", "published", "closed"]
GuidelineState = Literal["draft", "published", "closed"]
ApplicationState = Literal["draft", "submitted", "reviewing", "approved", "returned", "rejected"]
ProgramCode = Literal["reservoir", "three_gorges", "provincial_issue", "relocation"]

MSG_PROJECT_REQUIRED = gettext_lazy("请用 project_id 或 project_code 指定一个项目")


def _fen(value: str | None) -> int | None:
    return None if value is None else to_fen(value, YUAN)


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else yuan_text(fen)


def _file(what: str) -> dict:
    return {200: {"description": what, "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


# --- plans ----------------------------------------------------------------------------------------------------

class ProjectPlanOut(Schema):
    id: int
    name: str
    start_year: int
    end_year: int
    division_code: str
    division_name: str = ""
    state: str
    state_label: str
    note: str
    target_projects: int = 0
    target_investment_yuan: str = "0.00"
    project_count: int = 0
    created_by: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_target_investment_yuan(obj):
        return yuan_text(getattr(obj, "target_investment", 0) or 0)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None


class ProjectPlanDetailOut(ProjectPlanOut):
    actions: dict[str, bool]


class ProjectPlanFilter(Schema):
    state: PlanState | None = None
    q: Text | None = Field(None, max_length=64, description="名称包含")


class ProjectPlanIn(Schema):
    name: Name
    start_year: Year
    end_year: Year
    division_code: Division = Field(..., description="编制区划：市（4 位）或县（6 位）区划代码")
    note: Text = Field("", max_length=2000)


class ProjectPlanPatch(Schema):
    name: Name | None = None
    start_year: Year | None = None
    end_year: Year | None = None
    division_code: Division | None = None
    note: Text | None = Field(None, max_length=2000)


class ProjectPlanTargetOut(Schema):
    county: str
    county_name: str
    category: str
    category_name: str
    projects: int
    investment_yuan: str


class ProjectPlanTargetIn(Schema):
    county: County = Field(..., description="县级区划代码（6 位或 12 位）")
    category: Code = Field(..., description="项目类别编码")
    projects: int = Field(0, ge=0, le=100000, description="目标项目数")
    investment_yuan: Yuan = Field("0", description="目标投资（元）")


class ProjectPlanTargetsIn(Schema):
    targets: list[ProjectPlanTargetIn] = Field(..., max_length=2000, description="全部目标（替换原有目标；项目数与投资都为 0 的不保存）")


class ProjectPlanProjectOut(Schema):
    id: int
    code: str
    name: str
    division_code: str
    year: int | None
    category: str
    program: str
    stage: str
    stage_label: str
    planned_investment_yuan: str

    @staticmethod
    def resolve_stage_label(obj):
        return str(obj.get_stage_display())

    @staticmethod
    def resolve_planned_investment_yuan(obj):
        return yuan_text(obj.planned_investment)


class ProjectPlanAssignIn(Schema):
    project_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field([], max_length=1000, description="纳入规划的项目（编号）")
    project_codes: list[ProjectCode] = Field([], max_length=1000, description="纳入规划的项目（项目编码）")


class ProjectPlanReportRowOut(Schema):
    county: str
    county_name: str
    category: str
    category_name: str
    target_projects: int
    projects: int
    project_rate: str | None = Field(..., description="项目完成率（小数，如 0.5000）；无目标为 null")
    target_investment_yuan: str
    investment_yuan: str
    investment_rate: str | None = Field(..., description="投资完成率（小数）；无目标为 null")


class ProjectPlanReportOut(Schema):
    plan: int
    as_of: date
    rows: list[ProjectPlanReportRowOut]
    counties: list[ProjectPlanReportRowOut] = Field(..., description="各县小计")
    by_category: list[ProjectPlanReportRowOut]
    total: ProjectPlanReportRowOut


class ProjectPlanReportQuery(Schema):
    as_of: date | None = Field(None, description="统计截至日期；不填为今天")


def _plan_detail(request, plan: Plan) -> Plan:
    plan_annotate([plan])
    plan.actions = plan_actions(request.auth, plan)
    return plan


def _report_row(row) -> dict[str, Any]:
    d = row.as_dict()
    return {**d, "target_investment_yuan": yuan_text(row.target_investment), "investment_yuan": yuan_text(row.investment)}


@router.get("/plans", response={200: list[ProjectPlanOut], **ERRORS}, summary="五年规划列表（本辖区及上级已印发的规划）")
@paginate(Pagination)
def planning_plans_list(request, filters: Query[ProjectPlanFilter]):
    return AnnotatedPage(plan_list(actor=request.auth, state=filters.state or "", q=filters.q or ""), plan_annotate)


@router.post("/plans", response={201: ProjectPlanDetailOut, **WRITE_ERRORS}, summary="新建五年规划")
def planning_plan_create(request, payload: ProjectPlanIn):
    plan = plan_services.plan_create(actor=request.auth, **payload.dict())
    return Status(201, _plan_detail(request, plan))


@router.get("/plans/{plan_id}", response={200: ProjectPlanDetailOut, **ERRORS}, summary="一个规划")
def planning_plan_get(request, plan_id: int):
    return _plan_detail(request, access_plan(request.auth, plan_id))


@router.patch("/plans/{plan_id}", response={200: ProjectPlanDetailOut, **WRITE_ERRORS}, summary="修改规划（未收官的）")
def planning_plan_update(request, plan_id: int, payload: ProjectPlanPatch):
    plan = access_plan(request.auth, plan_id)
    data = payload.dict(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None}
    return _plan_detail(request, plan_services.plan_update(actor=request.auth, plan=plan, **data))


@router.delete("/plans/{plan_id}", response={204: None, **WRITE_ERRORS}, summary="删除编制中的规划（项目保留）")
def planning_plan_delete(request, plan_id: int):
    plan_services.plan_delete(actor=request.auth, plan=access_plan(request.auth, plan_id))
    return Status(204, None)


@router.post("/plans/{plan_id}/publish", response={200: ProjectPlanDetailOut, **WRITE_ERRORS}, summary="印发规划")
def planning_plan_publish(request, plan_id: int):
    return _plan_detail(request, plan_services.plan_publish(actor=request.auth, plan=access_plan(request.auth, plan_id)))


@router.post("/plans/{plan_id}/close", response={200: ProjectPlanDetailOut, **WRITE_ERRORS}, summary="规划收官")
def planning_plan_close(request, plan_id: int):
    return _plan_detail(request, plan_services.plan_close(actor=request.auth, plan=access_plan(request.auth, plan_id)))


def _targets_out(request, plan: Plan) -> list[dict[str, Any]]:
    rows = plan_targets(request.auth, plan)
    names = division_names([t.division_code for t in rows])
    categories = term_names("category")
    return [{"county": t.division_code, "county_name": names.get(t.division_code, t.division_code), "category": t.category,
             "category_name": categories.get(t.category, t.category), "projects": t.projects, "investment_yuan": yuan_text(t.investment)}
            for t in rows]


@router.get("/plans/{plan_id}/targets", response={200: list[ProjectPlanTargetOut], **ERRORS}, summary="规划目标（按县和类别）")
def planning_plan_targets(request, plan_id: int):
    return _targets_out(request, access_plan(request.auth, plan_id))


@router.put("/plans/{plan_id}/targets", response={200: list[ProjectPlanTargetOut], **WRITE_ERRORS},
            summary="设定规划目标（给出的即全部目标）")
def planning_plan_targets_set(request, plan_id: int, payload: ProjectPlanTargetsIn):
    plan = access_plan(request.auth, plan_id)
    rows = [{"county": t.county, "category": t.category, "projects": t.projects, "investment": to_fen(t.investment_yuan, YUAN)}
            for t in payload.targets]
    plan_services.plan_targets_set(actor=request.auth, plan=plan, rows=rows)
    return _targets_out(request, plan)


@router.get("/plans/{plan_id}/projects", response={200: list[ProjectPlanProjectOut], **ERRORS}, summary="纳入规划的项目")
@paginate(Pagination)
def planning_plan_projects(request, plan_id: int):
    return plan_project_list(request.auth, access_plan(request.auth, plan_id))


@router.post("/plans/{plan_id}/projects", response={200: ProjectPlanDetailOut, **WRITE_ERRORS},
             summary="将项目纳入规划（项目年度须在规划期内）")
def planning_plan_projects_add(request, plan_id: int, payload: ProjectPlanAssignIn):
    plan = access_plan(request.auth, plan_id)
    plan_services.plan_projects_add(actor=request.auth, plan=plan, project_ids=payload.project_ids, project_codes=payload.project_codes)
    return _plan_detail(request, plan)


@router.delete("/plans/{plan_id}/projects/{project_id}", response={204: None, **WRITE_ERRORS}, summary="将项目移出规划")
def planning_plan_project_remove(request, plan_id: int, project_id: int):
    plan = access_plan(request.auth, plan_id)
    project = access_project(request.auth, project_id)
    plan_services.plan_project_remove(actor=request.auth, plan=plan, project=project)
    return Status(204, None)


@router.get("/plans/{plan_id}/report", response={200: ProjectPlanReportOut, **ERRORS}, summary="规划执行情况：目标与完成（按县和类别）")
def planning_plan_report(request, plan_id: int, query: Query[ProjectPlanReportQuery]):
    plan = access_plan(request.auth, plan_id)
    report = plan_execution(actor=request.auth, plan=plan, as_of=query.as_of)
    return {"plan": plan.pk, "as_of": report.as_of, "rows": [_report_row(r) for r in report.rows],
            "counties": [_report_row(b.total) for b in report.counties], "by_category": [_report_row(r) for r in report.by_category],
            "total": _report_row(report.total)}


@router.get("/plans/{plan_id}/report/export", response=ERRORS, summary="规划执行情况 Excel", openapi_extra={"responses": _file("规划执行情况表")})
def planning_plan_report_export(request, plan_id: int, query: Query[ProjectPlanReportQuery]):
    plan = access_plan(request.auth, plan_id)
    report = plan_execution(actor=request.auth, plan=plan, as_of=query.as_of)
    return _download(plan_execution_xlsx(report), f"{plan.name}执行情况_{report.as_of:%Y%m%d}.xlsx")


# --- guidelines -----------------------------------------------------------------------------------------------

class ProjectGuidelineOut(Schema):
    id: int
    year: int
    title: str
    doc_number: str
    division_code: str
    division_name: str = ""
    categories: list[str]
    programs: list[str]
    min_investment_yuan: str | None
    max_investment_yuan: str | None
    required_documents: list[str]
    min_beneficiaries: int | None
    conditions: str
    deadline: date | None
    state: str
    state_label: str
    application_count: int = 0
    created_by: str | None = None
    created_at: datetime
    published_by: str | None = None
    published_at: datetime | None

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_min_investment_yuan(obj):
        return _yuan(obj.min_investment)

    @staticmethod
    def resolve_max_investment_yuan(obj):
        return _yuan(obj.max_investment)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_published_by(obj):
        return obj.published_by.username if obj.published_by_id else None


class ProjectGuidelineDetailOut(ProjectGuidelineOut):
    actions: dict[str, bool]
    counts: dict[str, int] = Field(..., description="各状态的申报数")


class ProjectGuidelineFilter(Schema):
    year: Year | None = None
    state: GuidelineState | None = None
    q: Text | None = Field(None, max_length=64, description="名称或文号包含")


class ProjectGuidelineFields(Schema):
    doc_number: Text | None = Field(None, max_length=100)
    categories: list[Code] | None = Field(None, max_length=50, description="支持的项目类别编码；空表示不限")
    programs: list[ProgramCode] | None = Field(None, max_length=10, description="支持的项目类型；空表示不限")
    min_investment_yuan: Yuan | None = Field(None, description="投资下限（元）；null 不限")
    max_investment_yuan: Yuan | None = Field(None, description="投资上限（元）；null 不限")
    required_documents: list[Code] | None = Field(None, max_length=50, description="必备材料（档案清单编码）")
    min_beneficiaries: int | None = Field(None, ge=0, le=10_000_000)
    conditions: Text | None = Field(None, max_length=5000)
    deadline: date | None = None


class ProjectGuidelineIn(ProjectGuidelineFields):
    year: Year
    title: Title
    division_code: Division = Field(..., description="发布区划：市（4 位）或县（6 位）区划代码")


class ProjectGuidelinePatch(ProjectGuidelineFields):
    year: Year | None = None
    title: Title | None = None
    division_code: Division | None = None


def _guideline_data(payload: Schema, *, partial: bool) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    for field in ("min_investment", "max_investment"):
        if f"{field}_yuan" in data:
            data[field] = _fen(data.pop(f"{field}_yuan"))
    for field in ("categories", "programs", "required_documents"):
        if field in data and data[field] is None:
            data[field] = []
    for field in ("doc_number", "conditions"):
        if field in data and data[field] is None:
            data[field] = ""
    if partial:
        for field in ("year", "title", "division_code"):
            if field in data and data[field] is None:
                del data[field]
    return data


def _guideline_detail(request, g: Guideline) -> Guideline:
    guideline_annotate([g])
    g.actions = guideline_actions(request.auth, g)
    return g


@router.get("/guidelines", response={200: list[ProjectGuidelineOut], **ERRORS}, summary="申报指南列表")
@paginate(Pagination)
def planning_guidelines_list(request, filters: Query[ProjectGuidelineFilter]):
    qs = guideline_list(actor=request.auth, year=filters.year, state=filters.state or "", q=filters.q or "")
    return AnnotatedPage(qs, guideline_annotate)


@router.post("/guidelines", response={201: ProjectGuidelineDetailOut, **WRITE_ERRORS}, summary="起草年度申报指南")
def planning_guideline_create(request, payload: ProjectGuidelineIn):
    g = guideline_services.guideline_create(actor=request.auth, **_guideline_data(payload, partial=False))
    return Status(201, _guideline_detail(request, g))


@router.get("/guidelines/{guideline_id}", response={200: ProjectGuidelineDetailOut, **ERRORS}, summary="一份申报指南")
def planning_guideline_get(request, guideline_id: int):
    return _guideline_detail(request, access_guideline(request.auth, guideline_id))


@router.patch("/guidelines/{guideline_id}", response={200: ProjectGuidelineDetailOut, **WRITE_ERRORS}, summary="修改指南草稿")
def planning_guideline_update(request, guideline_id: int, payload: ProjectGuidelinePatch):
    g = access_guideline(request.auth, guideline_id)
    g = guideline_services.guideline_update(actor=request.auth, guideline=g, **_guideline_data(payload, partial=True))
    return _guideline_detail(request, g)


@router.delete("/guidelines/{guideline_id}", response={204: None, **WRITE_ERRORS}, summary="删除指南草稿")
def planning_guideline_delete(request, guideline_id: int):
    guideline_services.guideline_delete(actor=request.auth, guideline=access_guideline(request.auth, guideline_id))
    return Status(204, None)


@router.post("/guidelines/{guideline_id}/publish", response={200: ProjectGuidelineDetailOut, **WRITE_ERRORS}, summary="发布指南")
def planning_guideline_publish(request, guideline_id: int):
    g = guideline_services.guideline_publish(actor=request.auth, guideline=access_guideline(request.auth, guideline_id))
    return _guideline_detail(request, g)


@router.post("/guidelines/{guideline_id}/close", response={200: ProjectGuidelineDetailOut, **WRITE_ERRORS}, summary="指南截止")
def planning_guideline_close(request, guideline_id: int):
    g = guideline_services.guideline_close(actor=request.auth, guideline=access_guideline(request.auth, guideline_id))
    return _guideline_detail(request, g)


# --- applications ---------------------------------------------------------------------------------------------

class ProjectApplicationOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_name: str
    guideline_id: int
    year: int
    division_code: str
    county_name: str = ""
    state: str
    state_label: str
    requested_yuan: str
    requested_by_source_yuan: dict[str, str]
    score: str | None = Field(..., description="平均得分（两位小数）")
    rank: int | None
    review_count: int = 0
    reason: str
    submitted_by: str | None = None
    submitted_at: datetime | None
    decided_by: str | None = None
    decided_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_project_code(obj):
        return obj.project.code

    @staticmethod
    def resolve_project_name(obj):
        return obj.project.name

    @staticmethod
    def resolve_year(obj):
        return obj.guideline.year

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_requested_yuan(obj):
        return yuan_text(obj.requested)

    @staticmethod
    def resolve_requested_by_source_yuan(obj):
        return {code: yuan_text(fen) for code, fen in (obj.requested_by_source or {}).items()}

    @staticmethod
    def resolve_score(obj):
        return None if obj.score is None else f"{obj.score:.2f}"

    @staticmethod
    def resolve_submitted_by(obj):
        return obj.submitted_by.username if obj.submitted_by_id else None

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.username if obj.decided_by_id else None


class ProjectApplicationCheckOut(Schema):
    code: str
    label: str
    ok: bool
    message: str


class ProjectApplicationReviewOut(Schema):
    reviewer: str
    score: str
    comment: str
    at: datetime


class ProjectApplicationDetailOut(ProjectApplicationOut):
    justification: str
    checks: list[ProjectApplicationCheckOut] = Field(..., description="对照指南检查：填报中、已退回的为实时结果，其余为提交时的结果")
    reviews: list[ProjectApplicationReviewOut] = Field(..., description="各评审人评分（仅评审方可见）")
    actions: dict[str, bool]

    @staticmethod
    def resolve_checks(obj):
        return obj.checks_now

    @staticmethod
    def resolve_reviews(obj):
        return obj.reviews_out


class ProjectApplicationFilter(Schema):
    year: Year | None = None
    guideline: int | None = Field(None, ge=1, le=2**31 - 1)
    state: ApplicationState | None = None
    division: str | None = Field(None, pattern=r"^\d{1,12}$", description="区划代码前缀")
    q: Text | None = Field(None, max_length=64, description="项目编码或名称包含")


class ProjectApplicationIn(Schema):
    project_id: int | None = Field(None, ge=1, le=2**63 - 1, description="项目编号（或给出 project_code）")
    project_code: ProjectCode | None = Field(None, description="项目编码")
    requested_by_source_yuan: dict[Code, Yuan] = Field(default_factory=dict, description="按资金来源申请的金额（元）")
    justification: Text = Field("", max_length=5000)


class ProjectApplicationPatch(Schema):
    requested_by_source_yuan: dict[Code, Yuan] | None = None
    justification: Text | None = Field(None, max_length=5000)


class ProjectApplicationScoreIn(Schema):
    score: Annotated[str, StringConstraints(pattern=r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$")] = Field(..., description="评分 0–100，最多两位小数")
    comment: Text = Field("", max_length=2000)


class ProjectApplicationReasonIn(Schema):
    reason: Reason


def _sources(value: dict[str, str] | None) -> dict[str, int] | None:
    return None if value is None else {code: to_fen(amount, YUAN) for code, amount in value.items()}


def _application_detail(request, a: Application) -> Application:
    application_annotate([a])
    a.checks_now = app_services.application_checks(a) if a.state in app_services.EDITABLE_STATES else a.checks
    a.reviews_out = [{"reviewer": r.reviewer.username, "score": f"{r.score:.2f}", "comment": r.comment, "at": r.at}
                     for r in application_reviews(request.auth, a)]
    a.actions = application_actions(request.auth, a)
    return a


def _fresh(request, a: Application) -> Application:
    return _application_detail(request, access_application(request.auth, a.pk))


@router.get("/applications", response={200: list[ProjectApplicationOut], **ERRORS}, summary="项目申报列表（本辖区）")
@paginate(Pagination)
def planning_applications_list(request, filters: Query[ProjectApplicationFilter]):
    guideline = access_guideline(request.auth, filters.guideline) if filters.guideline else None
    qs = application_list(actor=request.auth, guideline=guideline, year=filters.year, state=filters.state or "",
                          division=filters.division or "", q=filters.q or "")
    return AnnotatedPage(qs, application_annotate)


@router.post("/applications", response={201: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="为储备库中的项目起草申报（按项目年度的已发布指南）")
def planning_application_create(request, payload: ProjectApplicationIn):
    if (payload.project_id is None) == (payload.project_code is None):
        raise ValidationFailed(MSG_PROJECT_REQUIRED, code="application_project", detail={"field": "project_id"})
    if payload.project_id is not None:
        project = access_project(request.auth, payload.project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    else:
        project = access_project_by_code(request.auth, payload.project_code, kind="entry", perm=Perm.PROJECT_EDIT)
    a = app_services.application_create(actor=request.auth, project=project, requested_by_source=_sources(payload.requested_by_source_yuan),
                                        justification=payload.justification)
    return Status(201, _fresh(request, a))


@router.get("/applications/{application_id}", response={200: ProjectApplicationDetailOut, **ERRORS}, summary="一份申报：检查清单、评分与可执行操作")
def planning_application_get(request, application_id: int):
    return _application_detail(request, access_application(request.auth, application_id))


@router.patch("/applications/{application_id}", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS}, summary="修改填报中或已退回的申报")
def planning_application_update(request, application_id: int, payload: ProjectApplicationPatch):
    a = access_application(request.auth, application_id)
    a = app_services.application_update(actor=request.auth, application=a, requested_by_source=_sources(payload.requested_by_source_yuan),
                                        justification=payload.justification)
    return _fresh(request, a)


@router.delete("/applications/{application_id}", response={204: None, **WRITE_ERRORS}, summary="删除填报中的申报")
def planning_application_delete(request, application_id: int):
    app_services.application_delete(actor=request.auth, application=access_application(request.auth, application_id))
    return Status(204, None)


@router.get("/applications/{application_id}/checks", response={200: list[ProjectApplicationCheckOut], **ERRORS},
            summary="对照指南的完整性检查（按项目当前情况实时计算）")
def planning_application_checks(request, application_id: int):
    return app_services.application_checks(access_application(request.auth, application_id))


@router.post("/applications/{application_id}/submit", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="提交申报（检查全部符合时；项目 储备 → 申报）")
def planning_application_submit(request, application_id: int):
    a = app_services.application_submit(actor=request.auth, application=access_application(request.auth, application_id))
    return _fresh(request, a)


@router.post("/applications/{application_id}/start-review", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="开始评审（项目 申报 → 评审）")
def planning_application_start_review(request, application_id: int):
    a = app_services.application_review_start(actor=request.auth, application=access_application(request.auth, application_id))
    return _fresh(request, a)


@router.post("/applications/{application_id}/score", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="评分（每位评审人一份，决定前可修改；提交人回避）")
def planning_application_score(request, application_id: int, payload: ProjectApplicationScoreIn):
    a = access_application(request.auth, application_id)
    app_services.application_score(actor=request.auth, application=a, score=payload.score, comment=payload.comment)
    return _fresh(request, a)


@router.post("/applications/{application_id}/approve", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="批准立项（至少 2 位评审人评分；项目 评审 → 立项/下达）")
def planning_application_approve(request, application_id: int):
    a = app_services.application_approve(actor=request.auth, application=access_application(request.auth, application_id))
    return _fresh(request, a)


@router.post("/applications/{application_id}/return", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="退回县级修改（项目回到储备库）")
def planning_application_return(request, application_id: int, payload: ProjectApplicationReasonIn):
    a = app_services.application_return(actor=request.auth, application=access_application(request.auth, application_id),
                                        reason=payload.reason)
    return _fresh(request, a)


@router.post("/applications/{application_id}/reject", response={200: ProjectApplicationDetailOut, **WRITE_ERRORS},
             summary="确定为未入选（项目回到储备库）")
def planning_application_reject(request, application_id: int, payload: ProjectApplicationReasonIn):
    a = app_services.application_reject(actor=request.auth, application=access_application(request.auth, application_id),
                                        reason=payload.reason)
    return _fresh(request, a)


# --- ranking --------------------------------------------------------------------------------------------------

@router.get("/guidelines/{guideline_id}/ranking", response={200: list[ProjectApplicationOut], **ERRORS},
            summary="评审排名（平均得分降序，申请资金升序，申报先后）")
def planning_guideline_ranking(request, guideline_id: int):
    return ranking(actor=request.auth, guideline=access_guideline(request.auth, guideline_id))


@router.get("/guidelines/{guideline_id}/ranking/export", response=ERRORS, summary="评审排名 Excel",
            openapi_extra={"responses": _file("评审排名表")})
def planning_guideline_ranking_export(request, guideline_id: int):
    g = access_guideline(request.auth, guideline_id)
    return _download(ranking_xlsx(g, ranking(actor=request.auth, guideline=g)), f"{g.year}年申报评审排名.xlsx")
