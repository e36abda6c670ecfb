"""Projects API of the warnings area: open warnings and their history, counts per county, one project's warnings,
evaluation, and the rules with their county settings."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text, auth_requiring
from anju.projects.models import WarningRule
from anju.projects.selectors_warnings import access_rule, access_warning, project_warnings, rule_list, warning_counts, warning_list
from anju.projects.services import warnings as services

router = Router(tags=["projects-warnings"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

Prefix = Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")]
Rate = Annotated[str, StringConstraints(pattern=r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$")]
Threshold = Annotated[str, StringConstraints(pattern=r"^\d{1,8}(\.\d{1,4})?$")]


class ProjectWarningOut(Schema):
    id: int
    level: str = Field(..., description="red 红色，yellow 黄色")
    rule_id: int
    rule_code: str
    rule_name: str
    measure: str
    project_id: int
    project_code: str
    project_name: str
    division_code: str
    value: Decimal | None
    message: str
    assignee: str | None = Field(None, description="责任人账号")
    raised_at: datetime
    cleared_at: datetime | None

    @staticmethod
    def resolve_rule_code(obj):
        return obj.rule.code

    @staticmethod
    def resolve_rule_name(obj):
        return obj.rule.name

    @staticmethod
    def resolve_measure(obj):
        return obj.rule.measure

    @staticmethod
    def resolve_project_code(obj):
        return obj.project.code

    @staticmethod
    def resolve_project_name(obj):
        return obj.project.name

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None


class ProjectWarningFilter(Schema):
    state: Literal["open", "cleared", "all"] = Field("open", description="open 未解除（同一项目同一指标只列最高等级），cleared 已解除，all 全部")
    level: Literal["", "red", "yellow"] = ""
    county: Prefix = Field("", description="县级区划代码（6 位）")
    division: Prefix = Field("", description="区划代码前缀")
    rule: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{0,40}$")] = Field("", description="规则编码")
    q: Text = Field("", max_length=64, description="项目编码或名称包含")


class ProjectWarningCountOut(Schema):
    county_code: str = Field(..., description="县级区划代码（6 位）")
    red: int
    yellow: int


class ProjectWarningCountFilter(Schema):
    scope: Prefix = Field("", description="区划代码前缀；空为您的全部查看范围")


class ProjectWarningEvaluateIn(Schema):
    scope: Prefix = Field("", description="区划代码前缀；空为您的全部录入范围")


class ProjectWarningEvaluateOut(Schema):
    raised: int
    cleared: int
    updated: int
    open: int


class ProjectWarningRuleOut(Schema):
    id: int
    code: str
    name: str
    measure: str
    operator: str
    threshold: Decimal
    level: str
    schedule: str
    params: dict
    scope: str = Field(..., description="适用区划前缀；空串为所有地区")
    active: bool
    note: str


class ProjectWarningRulePatch(Schema):
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)] | None = None
    operator: Literal[tuple(WarningRule.Operator.values)] | None = None
    threshold: Threshold | None = Field(None, description="阈值（文本，如 \"90\"、\"0.2\"）：天数指标为整数，支付率与未报送指标在 0 至 1 之间")
    level: Literal[tuple(WarningRule.Level.values)] | None = None
    active: bool | None = None
    targets: dict[Annotated[str, StringConstraints(pattern=r"^(1[0-2]|[1-9])$")], Rate] | None = Field(
        None, description="序时进度目标：月份（\"1\"–\"12\"）→ 月末累计支付率（文本，0–1，如 \"0.5\"），仅用于资金支付率规则；后面月份不低于前面月份")
    note: Text | None = Field(None, max_length=300)


class ProjectWarningOverrideIn(Schema):
    scope: Annotated[str, StringConstraints(pattern=r"^(\d{4}|\d{6}|\d{9}|\d{12})$")] = Field(..., description="县级区划代码（6 位）等")


@router.get("", response={200: list[ProjectWarningOut], **ERRORS}, summary="项目预警（本辖区）")
@paginate(Pagination)
def warnings_list(request, filters: Query[ProjectWarningFilter]):
    return warning_list(actor=request.auth, **filters.dict())


@router.get("/counts", response={200: list[ProjectWarningCountOut], **ERRORS}, summary="各县未解除预警数（按等级）")
def warnings_counts(request, filters: Query[ProjectWarningCountFilter]):
    return [{"county_code": code, **levels} for code, levels in warning_counts(request.auth, filters.scope).items()]


@router.post("/evaluate", response={200: ProjectWarningEvaluateOut, **WRITE_ERRORS}, summary="立即评估预警规则",
             auth=auth_requiring(Perm.PROJECT_MANAGE))
def warnings_evaluate(request, payload: ProjectWarningEvaluateIn):
    return services.warnings_evaluate(actor=request.auth, division_prefix=payload.scope)


@router.get("/projects/{project_id}", response={200: list[ProjectWarningOut], **ERRORS}, summary="一个项目的预警记录（含已解除）")
@paginate(Pagination)
def warnings_of_project(request, project_id: int):
    return project_warnings(actor=request.auth, project_id=project_id)[1]


@router.get("/rules", response={200: list[ProjectWarningRuleOut], **ERRORS}, summary="预警规则（通用及本辖区的专门设置）")
def warning_rules_list(request):
    return list(rule_list(actor=request.auth))


@router.get("/rules/{rule_id}", response={200: ProjectWarningRuleOut, **ERRORS}, summary="一条预警规则")
def warning_rule_get(request, rule_id: int):
    return access_rule(request.auth, rule_id)


@router.patch("/rules/{rule_id}", response={200: ProjectWarningRuleOut, **WRITE_ERRORS}, summary="修改预警规则（下次评估时生效）")
def warning_rule_update(request, rule_id: int, payload: ProjectWarningRulePatch):
    rule = access_rule(request.auth, rule_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    for key in ("operator", "level"):
        if key in data:
            data[key] = str(data[key])
    return services.rule_update(actor=request.auth, rule=rule, **data)


@router.post("/rules/{rule_id}/overrides", response={201: ProjectWarningRuleOut, **WRITE_ERRORS}, summary="为一个地区添加该规则的专门设置")
def warning_rule_override(request, rule_id: int, payload: ProjectWarningOverrideIn):
    rule = access_rule(request.auth, rule_id)
    return Status(201, services.rule_override_create(actor=request.auth, rule=rule, scope=payload.scope))


@router.delete("/rules/{rule_id}", response={204: None, **WRITE_ERRORS}, summary="删除地区的专门设置（通用规则不能删除）")
def warning_rule_delete(request, rule_id: int):
    services.rule_delete(actor=request.auth, rule=access_rule(request.auth, rule_id))
    return Status(204, None)


@router.get("/{warning_id}", response={200: ProjectWarningOut, **ERRORS}, summary="一条预警")
def warning_get(request, warning_id: int):
    return access_warning(request.auth, warning_id)
