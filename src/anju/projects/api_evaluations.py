"""Projects API of the evaluations area (绩效评价): indicator templates (list, read, create, edit, activate, deactivate),
evaluations (list, start, read, self-scores, submit, review, send back), the per-county summary, and the Word reports."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints, WithJsonSchema

from anju.accounts.roles import Perm
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.exceptions import ValidationFailed
from anju.projects import reports_evaluations as reports
from anju.projects.models import Evaluation, EvaluationTemplate
from anju.projects.money import yuan_text
from anju.projects.selectors import access_project, access_project_by_code
from anju.projects.selectors_evaluations import (
    access_evaluation,
    access_template,
    evaluation_actions,
    evaluation_annotate,
    evaluation_budget,
    evaluation_county_summary,
    evaluation_list,
    evaluation_rows,
    template_annotate,
    template_list,
)
from anju.projects.services import evaluations as services

router = Router(tags=["projects-evaluations"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

MSG_PROJECT_REQUIRED = gettext_lazy("请填写项目编码（project_code）或项目 ID（project_id）")

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)]
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]
# Numbers with at most 2 decimals, as a JSON number or a decimal string ("12.5"): never read as a float.
_DECIMAL_TEXT = r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$"
Weight = Annotated[Decimal, Field(gt=0, le=100, decimal_places=2), WithJsonSchema({
    "anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 100}, {"type": "string", "pattern": _DECIMAL_TEXT}],
    "description": "分值：大于 0，最多两位小数"})]
Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0, "maximum": 100}, {"type": "string", "pattern": _DECIMAL_TEXT}],
    "description": "得分：0 至该项分值，最多两位小数"})]
ScoreMap = Annotated[dict[Code, Score], Field(json_schema_extra={"additionalProperties": False})]
Scope = Annotated[str, StringConstraints(pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")]


# --- schemas ----------------------------------------------------------------------------------------------------

class ProjectEvaluationIndicatorIn(Schema):
    code: Code
    name: Name
    weight: Weight
    guide: Text = Field("", max_length=300)


class ProjectEvaluationIndicatorGroupIn(Schema):
    code: Code
    name: Name
    weight: Weight
    items: list[ProjectEvaluationIndicatorIn] = Field(..., min_length=1, max_length=30)


class ProjectEvaluationIndicatorOut(Schema):
    code: str
    name: str
    weight: Decimal
    guide: str = ""


class ProjectEvaluationIndicatorGroupOut(Schema):
    code: str
    name: str
    weight: Decimal
    items: list[ProjectEvaluationIndicatorOut]


class ProjectEvaluationTemplateOut(Schema):
    id: int
    name: str
    active: bool
    in_use: bool = Field(..., description="已被绩效评价使用（不能再修改，只能复制）")
    indicators: list[ProjectEvaluationIndicatorGroupOut]
    created_at: datetime


class ProjectEvaluationTemplateIn(Schema):
    name: TemplateName
    indicators: list[ProjectEvaluationIndicatorGroupIn] = Field(..., min_length=1, max_length=20,
                                                           description="一级指标分值等于其二级指标分值之和，合计 100；编码全模板唯一")
    active: bool = False
    source_id: int | None = Field(None, description="复制来源模板（仅记入审计）")


class ProjectEvaluationTemplateUpdateIn(Schema):
    name: TemplateName
    indicators: list[ProjectEvaluationIndicatorGroupIn] = Field(..., min_length=1, max_length=20)


class ProjectEvaluationTemplateFilter(Schema):
    active: bool | None = None


class ProjectEvaluationOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_name: str
    project_stage: str
    division_code: str
    county_name: str = ""
    year: int
    template_id: int
    template_name: str
    state: str
    state_label: str
    self_scores: dict[str, Decimal]
    self_total: Decimal | None = Field(..., description="自评总分（提交后）")
    self_comment: str
    review_scores: dict[str, Decimal]
    review_total: Decimal | None
    review_comment: str = Field(..., description="复核意见；自评中时为市级退回理由（如有）")
    grade: str
    grade_label: str
    submitted_by: str | None = None
    submitted_at: datetime | None
    reviewed_by: str | None = None
    reviewed_at: datetime | None

    @staticmethod
    def resolve_project_code(obj):
        return obj.project.code

    @staticmethod
    def resolve_project_name(obj):
        return obj.project.name

    @staticmethod
    def resolve_project_stage(obj):
        return obj.project.stage

    @staticmethod
    def resolve_county_name(obj):
        return getattr(obj, "county_name", "")

    @staticmethod
    def resolve_template_name(obj):
        return obj.template.name

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_grade_label(obj):
        return str(obj.get_grade_display()) if obj.grade else ""

    @staticmethod
    def resolve_self_total(obj):
        return obj.self_total if obj.state != Evaluation.State.DRAFT else None

    @staticmethod
    def resolve_submitted_by(obj):
        return obj.submitted_by.username if obj.submitted_by_id else None

    @staticmethod
    def resolve_reviewed_by(obj):
        return obj.reviewed_by.username if obj.reviewed_by_id else None


class ProjectEvaluationItemOut(Schema):
    group_code: str
    group_name: str
    group_weight: Decimal
    code: str
    name: str
    weight: Decimal
    guide: str
    self_score: Decimal | None
    review_score: Decimal | None
    suggestion: Decimal | None = Field(..., description="建议得分（预算执行率：资金支付率 × 分值），可采用")


class ProjectEvaluationBudgetOut(Schema):
    allocated_yuan: str = Field(..., description="截至今日已下达资金（元）")
    paid_yuan: str = Field(..., description="截至今日已支付资金（元）")
    payment_rate: Decimal | None = Field(..., description="资金支付率（已支付 ÷ 已下达）；无下达时为空")


class ProjectEvaluationDetailOut(ProjectEvaluationOut):
    items: list[ProjectEvaluationItemOut]
    budget: ProjectEvaluationBudgetOut
    actions: dict[str, bool]


class ProjectEvaluationFilter(Schema):
    year: int | None = Field(None, ge=2006, le=2100)
    division: Scope | None = Field(None, description="区划代码前缀")
    state: Literal[tuple(Evaluation.State.values)] | None = None
    grade: Literal[tuple(Evaluation.Grade.values)] | None = None
    q: Text | None = Field(None, max_length=64, description="项目编码或名称包含")


class ProjectEvaluationCreateIn(Schema):
    project_code: Text | None = Field(None, max_length=40, description="项目编码（或给出 project_id）")
    project_id: int | None = Field(None, ge=1)
    year: int = Field(..., ge=2006, le=2100, description="评价年度（不晚于今年）")
    template_id: int | None = Field(None, ge=1, description="指标模板；不填为启用的最新模板")


class ProjectEvaluationScoresIn(Schema):
    scores: ScoreMap = Field(..., description="二级指标编码 → 得分（0 至该项分值，最多两位小数）；给出的即全部自评得分")
    comment: Text | None = Field(None, max_length=2000, description="自评说明；不填则不变")


class ProjectEvaluationReviewIn(Schema):
    scores: ScoreMap = Field(default_factory=dict, description="复核得分；未给出的二级指标按自评得分")
    comment: Text = Field("", max_length=2000, description="复核意见")


class ProjectEvaluationSendBackIn(Schema):
    reason: Reason = Field(..., description="退回理由")


class ProjectEvaluationSummaryFilter(Schema):
    year: int = Field(..., ge=2006, le=2100)
    division: Scope | None = Field(None, description="区划代码前缀；不填为本人查看范围")


class ProjectEvaluationCountyOut(Schema):
    county_code: str
    county_name: str
    evaluations: int
    submitted: int
    reviewed: int = Field(..., description="已评价（市级已复核）")
    average_review_total: Decimal | None = Field(..., description="已复核项目的平均复核得分")
    average_self_total: Decimal | None = Field(..., description="已提交项目的平均自评得分")
    grades: dict[str, int] = Field(..., description="已复核项目的等级分布：excellent 优、good 良、fair 中、poor 差")


class ProjectEvaluationSummaryOut(Schema):
    year: int
    counties: list[ProjectEvaluationCountyOut]
    total: ProjectEvaluationCountyOut


class ProjectEvaluationReportFilter(Schema):
    year: int = Field(..., ge=2006, le=2100)
    scope: str = Field("", pattern=r"^(\d{4}|\d{6})?$", description="县（6 位）或市（4 位）区划代码；不填为本人查看范围")


# --- helpers ----------------------------------------------------------------------------------------------------

def _template_out(t: EvaluationTemplate) -> EvaluationTemplate:
    template_annotate([t])
    return t


def _detail(request, e: Evaluation) -> Evaluation:
    evaluation_annotate([e])
    money = evaluation_budget(e)
    e.items = [r.__dict__ for r in evaluation_rows(e, money)]
    e.budget = {"allocated_yuan": yuan_text(money.allocated), "paid_yuan": yuan_text(money.paid),
                "payment_rate": money.rate.quantize(Decimal("0.0001")) if money.rate is not None else None}
    e.actions = evaluation_actions(request.auth, e)
    return e


def _indicators(groups) -> list[dict]:
    return [{"code": g.code, "name": g.name, "weight": str(g.weight),
             "items": [{"code": i.code, "name": i.name, "weight": str(i.weight), "guide": i.guide} for i in g.items]} for g in groups]


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _docx(what: str) -> dict:
    return {"responses": {200: {"description": what, "content": {reports.DOCX: {"schema": {"type": "string", "format": "binary"}}}}}}


# --- templates --------------------------------------------------------------------------------------------------

@router.get("/templates", response={200: list[ProjectEvaluationTemplateOut], **ERRORS}, summary="绩效评价指标模板列表")
@paginate(Pagination)
def evaluation_templates_list(request, filters: Query[ProjectEvaluationTemplateFilter]):
    return AnnotatedPage(template_list(actor=request.auth, active=filters.active), template_annotate)


@router.post("/templates", response={201: ProjectEvaluationTemplateOut, **WRITE_ERRORS}, summary="新建指标模板（通常复制已有模板后修改）")
def evaluation_template_create(request, payload: ProjectEvaluationTemplateIn):
    source = access_template(request.auth, payload.source_id, perm=Perm.PROJECT_MANAGE) if payload.source_id else None
    t = services.evaluation_template_create(actor=request.auth, name=payload.name, indicators=_indicators(payload.indicators),
                                            active=payload.active, source=source)
    return Status(201, _template_out(t))


@router.get("/templates/{template_id}", response={200: ProjectEvaluationTemplateOut, **ERRORS}, summary="一个指标模板")
def evaluation_template_get(request, template_id: int):
    return _template_out(access_template(request.auth, template_id))


@router.put("/templates/{template_id}", response={200: ProjectEvaluationTemplateOut, **WRITE_ERRORS},
            summary="修改指标模板（未被评价使用的）")
def evaluation_template_update(request, template_id: int, payload: ProjectEvaluationTemplateUpdateIn):
    t = access_template(request.auth, template_id, perm=Perm.PROJECT_MANAGE)
    t = services.evaluation_template_update(actor=request.auth, template=t, name=payload.name, indicators=_indicators(payload.indicators))
    return _template_out(t)


@router.post("/templates/{template_id}/activate", response={200: ProjectEvaluationTemplateOut, **WRITE_ERRORS}, summary="启用指标模板")
def evaluation_template_activate(request, template_id: int):
    t = access_template(request.auth, template_id, perm=Perm.PROJECT_MANAGE)
    return _template_out(services.evaluation_template_set_active(actor=request.auth, template=t, active=True))


@router.post("/templates/{template_id}/deactivate", response={200: ProjectEvaluationTemplateOut, **WRITE_ERRORS}, summary="停用指标模板")
def evaluation_template_deactivate(request, template_id: int):
    t = access_template(request.auth, template_id, perm=Perm.PROJECT_MANAGE)
    return _template_out(services.evaluation_template_set_active(actor=request.auth, template=t, active=False))


# --- evaluations ------------------------------------------------------------------------------------------------

@router.get("", response={200: list[ProjectEvaluationOut], **ERRORS}, summary="绩效评价列表（本辖区，按年度、区划、状态、等级）")
@paginate(Pagination)
def evaluations_list(request, filters: Query[ProjectEvaluationFilter]):
    return AnnotatedPage(evaluation_list(actor=request.auth, year=filters.year, division=filters.division or "", state=filters.state or "",
                                         grade=filters.grade or "", q=filters.q or ""), evaluation_annotate)


@router.post("", response={201: ProjectEvaluationDetailOut, **WRITE_ERRORS}, summary="开始项目的年度绩效评价（县级，项目须已验收）")
def evaluation_create(request, payload: ProjectEvaluationCreateIn):
    if payload.project_id:
        project = access_project(request.auth, payload.project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    elif payload.project_code and payload.project_code.strip():
        project = access_project_by_code(request.auth, payload.project_code, kind="entry", perm=Perm.PROJECT_EDIT)
    else:
        raise ValidationFailed(MSG_PROJECT_REQUIRED, code="project_required", detail={"field": "project_code"})
    template = access_template(request.auth, payload.template_id) if payload.template_id else None
    e = services.evaluation_start(actor=request.auth, project=project, year=payload.year, template=template)
    return Status(201, _detail(request, access_evaluation(request.auth, e.pk)))


@router.get("/summary", response={200: ProjectEvaluationSummaryOut, **ERRORS}, summary="分县汇总：评价数、已评价数、平均复核得分、等级分布")
def evaluations_summary(request, filters: Query[ProjectEvaluationSummaryFilter]):
    rows, total = evaluation_county_summary(actor=request.auth, year=filters.year, division=filters.division or "")
    return {"year": filters.year, "counties": [r.as_dict() for r in rows], "total": total.as_dict()}


@router.get("/report", response=ERRORS, summary="县或市的绩效评价汇总报告（Word）", openapi_extra=_docx("绩效评价汇总报告"))
def evaluations_summary_report(request, filters: Query[ProjectEvaluationReportFilter]):
    return _download(*reports.summary_report_export(actor=request.auth, year=filters.year, scope=filters.scope))


@router.get("/{evaluation_id}", response={200: ProjectEvaluationDetailOut, **ERRORS}, summary="一项绩效评价：逐项得分、资金与可执行操作")
def evaluation_get(request, evaluation_id: int):
    return _detail(request, access_evaluation(request.auth, evaluation_id))


@router.put("/{evaluation_id}/self-scores", response={200: ProjectEvaluationDetailOut, **WRITE_ERRORS},
            summary="保存自评得分（给出的即全部自评得分）与自评说明")
def evaluation_self_scores(request, evaluation_id: int, payload: ProjectEvaluationScoresIn):
    e = access_evaluation(request.auth, evaluation_id, kind="entry", perm=Perm.PROJECT_EDIT)
    services.evaluation_self_scores(actor=request.auth, evaluation=e, scores=dict(payload.scores), comment=payload.comment, replace=True)
    return _detail(request, access_evaluation(request.auth, evaluation_id))


@router.post("/{evaluation_id}/submit", response={200: ProjectEvaluationDetailOut, **WRITE_ERRORS}, summary="提交自评（须逐项评分）")
def evaluation_submit(request, evaluation_id: int):
    e = access_evaluation(request.auth, evaluation_id, kind="entry", perm=Perm.PROJECT_EDIT)
    services.evaluation_submit(actor=request.auth, evaluation=e)
    return _detail(request, access_evaluation(request.auth, evaluation_id))


@router.post("/{evaluation_id}/review", response={200: ProjectEvaluationDetailOut, **WRITE_ERRORS},
             summary="市级复核：复核得分、总分与等级（复核人不能是自评提交人）")
def evaluation_review(request, evaluation_id: int, payload: ProjectEvaluationReviewIn):
    e = access_evaluation(request.auth, evaluation_id, kind="entry", perm=Perm.PROJECT_REVIEW)
    services.evaluation_review(actor=request.auth, evaluation=e, scores=dict(payload.scores), comment=payload.comment)
    return _detail(request, access_evaluation(request.auth, evaluation_id))


@router.post("/{evaluation_id}/send-back", response={200: ProjectEvaluationDetailOut, **WRITE_ERRORS}, summary="退回县级修改自评")
def evaluation_send_back(request, evaluation_id: int, payload: ProjectEvaluationSendBackIn):
    e = access_evaluation(request.auth, evaluation_id, kind="entry", perm=Perm.PROJECT_REVIEW)
    services.evaluation_send_back(actor=request.auth, evaluation=e, reason=payload.reason)
    return _detail(request, access_evaluation(request.auth, evaluation_id))


@router.get("/{evaluation_id}/report", response=ERRORS, summary="项目绩效评价报告（Word）", openapi_extra=_docx("项目绩效评价报告"))
def evaluation_report(request, evaluation_id: int):
    e = access_evaluation(request.auth, evaluation_id)
    return _download(*reports.evaluation_report_export(actor=request.auth, evaluation=e))
