"""Projects API of the rates area: the rate table (by county, fund source or program; the year's or carried-over projects),
the dashboard data (rates, monthly payment line, lagging projects) and the bulletin as a job. Money is in 元 as strings
(`*_yuan`, "1234.50"); rates are fractions as strings of a Decimal rounded to 4 places ("0.3500"), null when the denominator
is 0."""

from datetime import date
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from anju.core.api import JobOut
from anju.core.api_base import ERRORS
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.projects import jobs_bulletin  # noqa: F401  (registers the job kind submitted here)
from anju.projects import selectors_rates as sr
from anju.projects.money import yuan_text
from anju.projects.reports_bulletin import bulletin_check

router = Router(tags=["projects-rates"])
Scope = Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")]
DocNumber = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f]*$", max_length=60)]
Year = Annotated[int, Field(ge=2000, le=2100, description="统计年度")]


class ProjectRateFiguresOut(Schema):
    projects: int
    started: int
    completed: int
    allocated_yuan: str
    paid_yuan: str
    start_rate: str | None
    completion_rate: str | None
    payment_rate: str | None


class ProjectRateRowOut(ProjectRateFiguresOut):
    code: str = Field(..., description="县（6 位区划代码）、资金来源编码或项目类型")
    name: str
    rank: int | None = Field(None, description="按资金支付率从高到低的排名，并列同名次；无下达资金的不排名")
    level: str = Field(..., description="预警颜色：red、yellow 或空")
    target: str | None = Field(None, description="截止日适用的序时进度目标支付率")
    last: ProjectRateFiguresOut = Field(..., description="上年同期")


class ProjectRateTableOut(Schema):
    year: int
    as_of: date
    last_as_of: date
    scope: str
    scope_name: str
    by: str
    carried_over: bool
    target: str | None
    checkpoint: date | None
    rows: list[ProjectRateRowOut]
    total: ProjectRateRowOut
    definitions: list[str]


class ProjectRateMonthOut(Schema):
    month: date
    allocated_yuan: str
    paid_yuan: str
    payment_rate: str | None
    last_allocated_yuan: str
    last_paid_yuan: str
    last_payment_rate: str | None


class ProjectRateLaggingOut(Schema):
    id: int
    code: str
    name: str
    division_code: str
    county_name: str
    allocated_yuan: str
    paid_yuan: str
    paid_share: str | None
    first_allocation: date | None
    actual_start: date | None
    days_waiting: int | None


class ProjectRateDashboardOut(Schema):
    table: ProjectRateTableOut
    carried: ProjectRateTableOut
    months: list[ProjectRateMonthOut]
    not_started: list[ProjectRateLaggingOut]
    low_paid: list[ProjectRateLaggingOut]


class ProjectRateQuery(Schema):
    year: Year
    as_of: date = Field(..., description="统计截止日期")
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")
    by: str = Field("county", pattern=r"^(county|fund_source|program)$", description="分组：county、fund_source 或 program")
    carried_over: bool = Field(False, description="统计以前年度结转项目")


class ProjectRateDashboardQuery(Schema):
    year: Year
    as_of: date
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")


class ProjectBulletinIn(Schema):
    year: Year
    as_of: date
    scope: Scope = Field("", description="范围：区划代码前缀，默认本人查看范围")
    format: str = Field("docx", pattern=r"^(xlsx|docx|pdf)$")
    doc_number: DocNumber = Field("", description="文号，如 清移办〔2026〕12号")


def _rate(value) -> str | None:
    return None if value is None else str(value)


def _figures(f: sr.Figures) -> dict:
    return {"projects": f.projects, "started": f.started, "completed": f.completed, "allocated_yuan": yuan_text(f.allocated),
            "paid_yuan": yuan_text(f.paid), "start_rate": _rate(f.start_rate), "completion_rate": _rate(f.completion_rate),
            "payment_rate": _rate(f.payment_rate)}


def _row(r: sr.RateRow) -> dict:
    return {**_figures(r), "code": r.code, "name": r.name, "rank": r.rank, "level": r.level, "target": _rate(r.target),
            "last": _figures(r.last)}


def table_payload(t: sr.RateTable) -> dict:
    return {"year": t.year, "as_of": t.as_of, "last_as_of": t.last_as_of, "scope": t.scope, "scope_name": t.scope_name, "by": t.by,
            "carried_over": t.carried_over, "target": _rate(t.target), "checkpoint": t.checkpoint, "rows": [_row(r) for r in t.ranked()],
            "total": _row(t.total), "definitions": [str(d) for d in sr.DEFINITIONS]}


def _lagging(p: sr.LaggingProject) -> dict:
    return {"id": p.id, "code": p.code, "name": p.name, "division_code": p.division_code, "county_name": p.county_name,
            "allocated_yuan": yuan_text(p.allocated), "paid_yuan": yuan_text(p.paid), "paid_share": _rate(p.paid_share),
            "first_allocation": p.first_allocation, "actual_start": p.actual_start, "days_waiting": p.days_waiting}


@router.get("", response={200: ProjectRateTableOut, **ERRORS}, summary="开工率、完工率和资金支付率（分组、排名、上年同期、预警颜色）")
def rates_table(request, query: Query[ProjectRateQuery]):
    return table_payload(sr.project_rates(actor=request.auth, year=query.year, as_of=query.as_of, scope=query.scope, by=query.by,
                                          carried_over=query.carried_over))


@router.get("/dashboard", response={200: ProjectRateDashboardOut, **ERRORS}, summary="项目进度看板数据：分县比率、结转、月度支付进度、滞后项目")
def rates_dashboard(request, query: Query[ProjectRateDashboardQuery]):
    d = sr.rates_dashboard(actor=request.auth, year=query.year, as_of=query.as_of, scope=query.scope)
    months = [{"month": m.month, "allocated_yuan": yuan_text(m.allocated), "paid_yuan": yuan_text(m.paid), "payment_rate": _rate(m.payment_rate),
               "last_allocated_yuan": yuan_text(m.last_allocated or 0), "last_paid_yuan": yuan_text(m.last_paid or 0),
               "last_payment_rate": _rate(m.last_payment_rate)} for m in d.months]
    return {"table": table_payload(d.table), "carried": table_payload(d.carried), "months": months,
            "not_started": [_lagging(p) for p in d.lagging["not_started"]], "low_paid": [_lagging(p) for p in d.lagging["low_paid"]]}


@router.post("/bulletins", response={202: JobOut, **ERRORS}, summary="生成项目建设进度和资金支付情况通报（后台任务，完成后下载文件）")
def rates_bulletin(request, payload: ProjectBulletinIn):
    params = bulletin_check(actor=request.auth, year=payload.year, as_of=payload.as_of, scope=payload.scope, fmt=payload.format,
                            doc_number=payload.doc_number)
    job = job_submit(actor=request.auth, kind=jobs_bulletin.KIND, params=params, division_code=params["scope"].ljust(12, "0"))
    return Status(202, job_payload(job))
