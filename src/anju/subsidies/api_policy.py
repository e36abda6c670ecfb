"""Subsidies API: policy versions (政策版本) — list and read in scope, draft, copy, publish, revoke, the values in force for a
county on a day, and the what-if costing (a job) with its latest result."""


from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api import JobOut
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.registry.models import Enrolment
from anju.subsidies import jobs_policy  # noqa: F401  (registers the job kind submitted here)
from anju.subsidies.models import Frequency, RemovalRule, SubsidyPolicy
from anju.subsidies.selectors_policy import (
    WHATIF_KIND,
    access_policy,
    policy_actions,
    policy_annotate,
    policy_counties,
    policy_effective,
    policy_list,
    policy_whatif_latest,
    scope_name,
)
from anju.subsidies.services import policy as services

router = Router(tags=["subsidies-policy"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
SCOPE = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$"
COUNTY = r"^\d{6}(\d{6})?$"

Title = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=200)]
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]
Standard = Annotated[Decimal, Field(gt=0, le=100000, max_digits=8, decimal_places=2)]
Years = Annotated[int, Field(ge=1, le=50)]
PolicyDate = Annotated[date, Field(ge=date(1949, 10, 1), le=date(2100, 12, 31))]


class PolicyOut(Schema):
    id: int
    title: str
    doc_number: str
    scope: str
    scope_name: str = ""
    effective_from: date
    state: str
    state_label: str
    standard_yuan: Decimal | None
    frequency: str
    cutoff_date: date | None
    period_start_current: date | None
    period_years_current: int | None
    period_years: int | None
    removal_effective: str
    direct_modes: list[str] | None
    values: dict[str, Any] = Field(..., description="本版本设置的政策参数（键为 core.PolicyVersion 的参数名；留空继承的不列出）")
    note: str
    created_by: str | None = None
    created_at: datetime
    published_by: str | None = None
    published_at: datetime | None
    revoked_by: str | None = None
    revoked_at: datetime | None
    revoke_reason: str

    @staticmethod
    def resolve_scope_name(obj):
        return getattr(obj, "scope_name", None) or scope_name(obj.scope)

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_values(obj):
        return services.policy_values(obj)

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_published_by(obj):
        return obj.published_by.username if obj.published_by_id else None

    @staticmethod
    def resolve_revoked_by(obj):
        return obj.revoked_by.username if obj.revoked_by_id else None


class PolicyDetailOut(PolicyOut):
    actions: dict[str, bool]
    conflicts: list[str] = Field(..., description="草稿：已有相同适用区划与生效日期的参数（发布时将被拒绝）")


class PolicyFilter(Schema):
    state: SubsidyPolicy.State | None = None
    q: Text | None = Field(None, max_length=64, description="名称或文号包含")


class PolicyValues(Schema):
    standard_yuan: Standard | None = Field(None, description="扶持标准（元/人·年），留空继承")
    frequency: Frequency | None = None
    cutoff_date: PolicyDate | None = None
    period_start_current: PolicyDate | None = None
    period_years_current: Years | None = None
    period_years: Years | None = None
    removal_effective: RemovalRule | None = None
    direct_modes: list[Enrolment.SupportMode] | None = Field(None, max_length=2)
    note: Text | None = Field(None, max_length=2000)


class PolicyIn(PolicyValues):
    title: Title
    doc_number: Text = Field("", max_length=100)
    scope: str = Field(..., pattern=SCOPE, description="适用区划代码（省 2 位、市 4 位、县 6 位）；空串为全国")
    effective_from: PolicyDate


class PolicyPatch(PolicyValues):
    title: Title | None = None
    doc_number: Text | None = Field(None, max_length=100)
    scope: str | None = Field(None, pattern=SCOPE)
    effective_from: PolicyDate | None = None


class CopyIn(Schema):
    title: Title | None = None
    scope: str | None = Field(None, pattern=SCOPE, description="新草稿的适用区划；不填则沿用原版本（不在录入范围内时用本人的录入范围）")
    effective_from: PolicyDate | None = None


class RevokeIn(Schema):
    reason: Reason = Field(..., description="撤销理由")


class EffectiveFilter(Schema):
    county: str | None = Field(None, pattern=COUNTY, description="县级区划代码；不填为本人范围内的第一个县")
    on: date | None = Field(None, description="日期；不填为今天与生效日期中较晚者")


class EffectiveOut(Schema):
    field: str
    key: str
    label: str
    value: Any = None
    text: str
    scope: str | None
    scope_name: str
    effective_from: date | None
    note: str
    source_id: int | None = Field(..., description="写入该取值的已发布政策版本")
    source_title: str
    draft_text: str = Field(..., description="草稿：发布后的取值（空串表示不变）")


class WhatIfIn(Schema):
    years: int = Field(5, ge=1, le=services.WHATIF_YEARS_MAX, description="从生效年度起测算的年数")


class WhatIfOut(Schema):
    job: JobOut | None = Field(..., description="最近一次完成的测算任务")
    running: JobOut | None = Field(..., description="正在进行的测算任务")
    result: dict[str, Any] | None = Field(..., description="测算结果：rows（县、年度）、by_year、totals；金额单位为分")


def _detail(request, policy: SubsidyPolicy) -> SubsidyPolicy:
    policy.actions = policy_actions(request.auth, policy)
    policy.conflicts = services.policy_conflicts(policy) if policy.state == SubsidyPolicy.State.DRAFT else []
    return policy


def _values(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    for field in ("frequency", "removal_effective", "doc_number", "note"):
        if field in data and data[field] is None:
            data[field] = ""
    if data.get("direct_modes") is not None:
        data["direct_modes"] = [str(m) for m in data["direct_modes"]]
    return data


@router.get("", response={200: list[PolicyOut], **ERRORS}, summary="政策版本列表（本辖区及其上级已发布的版本）")
@paginate(Pagination)
def policy_versions_list(request, filters: Query[PolicyFilter]):
    return AnnotatedPage(policy_list(actor=request.auth, state=filters.state or "", q=filters.q or ""), policy_annotate)


@router.post("", response={201: PolicyDetailOut, **WRITE_ERRORS}, summary="起草政策版本（留空的取值继承）")
def policy_version_create(request, payload: PolicyIn):
    data = _values(payload)
    policy = services.subsidy_policy_create(actor=request.auth, **data)
    return Status(201, _detail(request, policy))


@router.get("/{policy_id}", response={200: PolicyDetailOut, **ERRORS}, summary="一个政策版本：取值与可执行操作")
def policy_version_get(request, policy_id: int):
    return _detail(request, access_policy(request.auth, policy_id))


@router.patch("/{policy_id}", response={200: PolicyDetailOut, **WRITE_ERRORS}, summary="修改草稿（null 表示继承）")
def policy_version_update(request, policy_id: int, payload: PolicyPatch):
    policy = access_policy(request.auth, policy_id)
    return _detail(request, services.subsidy_policy_update(actor=request.auth, policy=policy, **_values(payload)))


@router.post("/{policy_id}/copy", response={201: PolicyDetailOut, **WRITE_ERRORS}, summary="复制为新草稿")
def policy_version_copy(request, policy_id: int, payload: CopyIn):
    policy = access_policy(request.auth, policy_id)
    copy = services.subsidy_policy_copy(actor=request.auth, policy=policy, title=payload.title, scope=payload.scope,
                                        effective_from=payload.effective_from)
    return Status(201, _detail(request, copy))


@router.post("/{policy_id}/publish", response={200: PolicyDetailOut, **WRITE_ERRORS}, summary="发布草稿（写入政策参数）")
def policy_version_publish(request, policy_id: int):
    policy = access_policy(request.auth, policy_id)
    return _detail(request, services.subsidy_policy_publish(actor=request.auth, policy=policy))


@router.post("/{policy_id}/revoke", response={200: PolicyDetailOut, **WRITE_ERRORS}, summary="撤销已发布的版本（删除其政策参数）")
def policy_version_revoke(request, policy_id: int, payload: RevokeIn):
    policy = access_policy(request.auth, policy_id)
    return _detail(request, services.subsidy_policy_revoke(actor=request.auth, policy=policy, reason=payload.reason))


@router.get("/{policy_id}/effective", response={200: list[EffectiveOut], **ERRORS}, summary="某县某日执行的政策取值及其来源版本")
def policy_version_effective(request, policy_id: int, filters: Query[EffectiveFilter]):
    policy = access_policy(request.auth, policy_id)
    county = filters.county
    if not county:
        counties = policy_counties(request.auth, policy)
        if not counties:
            return []
        county = counties[0].prefix
    on = filters.on or max(policy.effective_from, timezone.localdate())
    draft = policy if policy.state == SubsidyPolicy.State.DRAFT else None
    return [r.as_dict() for r in policy_effective(actor=request.auth, county=county, on=on, draft=draft)]


@router.post("/{policy_id}/whatif", response={202: JobOut, **WRITE_ERRORS}, summary="测算对比（后台任务）：草稿与现行政策逐县逐年比较")
def policy_version_whatif_start(request, policy_id: int, payload: WhatIfIn):
    policy = access_policy(request.auth, policy_id)
    services.policy_whatif_check(actor=request.auth, policy=policy, years=payload.years)
    job = job_submit(actor=request.auth, kind=WHATIF_KIND, division_code=services.scope_code(policy.scope),
                     params={"policy": policy.pk, "years": payload.years})
    return Status(202, job_payload(job))


@router.get("/{policy_id}/whatif", response={200: WhatIfOut, **ERRORS}, summary="最近一次测算对比的结果")
def policy_version_whatif_result(request, policy_id: int):
    policy = access_policy(request.auth, policy_id)
    require_perm(request.auth, Perm.SUBSIDY_POLICY)
    done, pending = policy_whatif_latest(actor=request.auth, policy=policy)
    return {"job": job_payload(done) if done else None, "running": job_payload(pending) if pending else None,
            "result": done.result if done else None}
