"""Relocation API: dashboards. The dashboard figures of a scope as of a day (headline, the areas one level down, sites,
colours, risks, issues), the map of sites as SVG (audited download), and the ledgers and the situation report as jobs
(their files come from /api/v1/jobs/{id}/file). Money is in 元 as strings ("1234.50"); rates are fractions (floats),
null when the denominator is 0."""

from datetime import date
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.projects.money import yuan_text
from anju.relocation import jobs_dashboards
from anju.relocation import selectors_dashboards as sd
from anju.relocation.maps import map_export
from anju.relocation.reports_ledgers import ledger_check
from anju.relocation.reports_situation import report_check

router = Router(tags=["relocation"])
Scope = Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")]
DocNumber = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f]*$", max_length=60)]


class RelocationDashboardFiguresOut(Schema):
    code: str = Field(..., description="12 位区划代码或安置点编码（未安置到点为空）")
    name: str
    prefix: str | None = Field(None, description="区划代码前缀（下钻时作为 scope）")
    site_id: int | None = None
    households: int
    persons: int
    labour_households: int
    labour_households_employed: int
    employment_rate: float | None
    employed_persons: int
    employed_by_kind: dict[str, int]
    income_year: int
    per_capita_income_yuan: str | None
    welfare_households: int
    welfare_coverage: float | None
    monitored_households: int
    monitored_by_category: dict[str, int]


class RelocationDashboardSiteOut(Schema):
    id: int | None
    code: str
    name: str
    county: str
    placement: str
    area_type: str
    longitude: float | None
    latitude: float | None
    capacity: int
    planned_units: int
    built_units: int
    occupancy: float | None = Field(None, description="统计日安置人数 ÷ 设计安置人数")
    facilities_in_use: list[str]
    figures: RelocationDashboardFiguresOut


class RelocationDashboardIssuesOut(Schema):
    low_rate_sites: list[str] = Field(..., description="至少1人就业率低于 90% 的安置点编码")
    idle_households: int = Field(..., description="有劳动力但无人就业的户数")
    open_signals: dict[str, int]
    overdue_follow_ups: int


class RelocationDashboardOut(Schema):
    as_of: date
    scope: str
    scope_name: str
    child_by: Literal["county", "township", "site"]
    income_line_yuan: int | None
    total: RelocationDashboardFiguresOut
    rows: list[RelocationDashboardFiguresOut]
    sites: list[RelocationDashboardSiteOut]
    colours: dict[str, int] = Field(..., description="监测户按风险等级：red、yellow、green")
    risks: dict[str, int] = Field(..., description="监测户按风险类型（名称 → 户数）")
    issues: RelocationDashboardIssuesOut


class RelocationDashboardQuery(Schema):
    as_of: date = Field(..., description="统计日期")
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")


class RelocationLedgerIn(Schema):
    kind: Literal["sites", "support", "monitoring"]
    as_of: date
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")
    unmasked: bool = Field(False, description="导出完整身份证号（需查看完整身份证号权限，单独留痕）")


class RelocationReportIn(Schema):
    as_of: date
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")
    doc_number: DocNumber = Field("", description="文号，如 清搬办〔2026〕12号")


def _figures(r: dict) -> dict:
    return {"code": r["code"], "name": r["name"], "prefix": r.get("prefix"), "site_id": r.get("site_id"), "households": r["households"],
            "persons": r["persons"], "labour_households": r["labour_households"], "labour_households_employed": r["labour_households_employed"],
            "employment_rate": r["employment_rate"], "employed_persons": r["employed_persons"], "employed_by_kind": r["employed_by_kind"],
            "income_year": r["income_year"],
            "per_capita_income_yuan": None if r["per_capita_income_fen"] is None else yuan_text(r["per_capita_income_fen"]),
            "welfare_households": r["welfare_households"], "welfare_coverage": r["welfare_coverage"],
            "monitored_households": r["monitored_households"], "monitored_by_category": r["monitored_by_category"]}


def dashboard_payload(d: sd.Dashboard) -> dict:
    return {"as_of": d.as_of, "scope": d.scope, "scope_name": d.scope_name, "child_by": d.child_by, "income_line_yuan": d.income_line_yuan,
            "total": _figures(d.total), "rows": [_figures(r) for r in d.rows],
            "sites": [{"id": s.id, "code": s.code, "name": s.name, "county": s.county, "placement": s.placement, "area_type": s.area_type,
                       "longitude": s.longitude, "latitude": s.latitude, "capacity": s.capacity, "planned_units": s.planned_units,
                       "built_units": s.built_units, "occupancy": s.occupancy, "facilities_in_use": s.facilities_in_use,
                       "figures": _figures(s.m)} for s in d.sites],
            "colours": d.colours, "risks": dict(d.risks),
            "issues": {"low_rate_sites": [s.code for s in d.issues.low_rate_sites], "idle_households": d.issues.idle_total,
                       "open_signals": d.issues.open_signals, "overdue_follow_ups": d.issues.overdue_follow_ups}}


@router.get("/dashboard", response={200: RelocationDashboardOut, 409: ErrorOut, **ERRORS}, summary="搬迁后续扶持看板数据：总体、分地区、安置点、监测与问题")
def dashboard(request, query: Query[RelocationDashboardQuery]):
    return dashboard_payload(sd.dashboard_data(actor=request.auth, as_of=query.as_of, scope=query.scope))


@router.get("/map", response={409: ErrorOut, **ERRORS}, summary="安置点分布图（SVG，下载留痕）",
            openapi_extra={"responses": {200: {"description": "SVG", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}})
def site_map(request, query: Query[RelocationDashboardQuery]):
    svg, filename = map_export(actor=request.auth, as_of=query.as_of, scope=query.scope)
    response = HttpResponse(svg.encode("utf-8"), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@router.post("/ledgers", response={202: JobOut, **ERRORS}, summary="生成台账（安置点台账、后续扶持台账、监测对象台账；后台任务，完成后下载）")
def ledger(request, payload: RelocationLedgerIn):
    params = ledger_check(actor=request.auth, kind=payload.kind, as_of=payload.as_of, scope=payload.scope, unmasked=payload.unmasked)
    job = job_submit(actor=request.auth, kind=jobs_dashboards.LEDGER, params=params, division_code=params["scope"].ljust(12, "0"))
    return Status(202, job_payload(job))


@router.post("/reports", response={202: JobOut, **ERRORS}, summary="生成易地扶贫搬迁后续扶持情况报告（Word；后台任务，完成后下载）")
def report(request, payload: RelocationReportIn):
    params = report_check(actor=request.auth, as_of=payload.as_of, scope=payload.scope, doc_number=payload.doc_number)
    job = job_submit(actor=request.auth, kind=jobs_dashboards.REPORT, params=params, division_code=params["scope"].ljust(12, "0"))
    return Status(202, job_payload(job))
