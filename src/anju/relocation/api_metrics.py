"""Relocation API of the metrics area: the follow-up metrics on a day per site, township, county or city, with the total row
and the definitions, and the same table as an Excel file. Rates are fractions (unrounded floats), null when the denominator
is 0; money in fen (integers) and 元 (strings, "1234.50")."""

from datetime import date
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from anju.core.api_base import ERRORS, ErrorOut
from anju.projects.money import yuan_text
from anju.relocation import reports_metrics as rm
from anju.relocation import selectors_metrics as sm

router = Router(tags=["relocation"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Scope = Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")]


class RelocationMetricsQuery(Schema):
    as_of: date | None = Field(None, description="统计日期，默认今天")
    scope: Scope = Field("", description="范围：区划代码（2–12 位），须在本人查看范围内；默认本人查看范围")
    by: Literal["site", "township", "county", "city"] = Field("county", description="分组：site、township、county 或 city")
    income_year: int | None = Field(None, ge=1900, le=2200, description="收入年度，默认统计日上一年")


class RelocationMetricsRowOut(Schema):
    code: str = Field(..., description="安置点编码（未安置到点为空）或 12 位区划代码")
    name: str
    site_id: int | None = None
    prefix: str | None = Field(None, description="区划代码前缀（4、6 或 9 位），用于下钻")
    households: int
    persons: int
    labour_households: int
    labour_households_employed: int
    employment_rate: float | None = Field(None, description="至少1人就业率（小数），无劳动力户时为 null")
    employed_persons: int
    employed_by_kind: dict[str, int]
    income_year: int
    income_households: int
    per_capita_income_fen: int | None
    per_capita_income_yuan: str | None
    welfare_households: int
    welfare_coverage: float | None
    monitored_households: int
    monitored_by_category: dict[str, int]


class RelocationMetricsOut(Schema):
    as_of: date
    scope: str
    scope_name: str
    by: str
    income_year: int
    rows: list[RelocationMetricsRowOut]
    total: RelocationMetricsRowOut
    definitions: list[str]


def _row(r: dict) -> dict:
    keys = ("code", "name", "households", "persons", "labour_households", "labour_households_employed", "employment_rate", "employed_persons",
            "employed_by_kind", "income_year", "income_households", "per_capita_income_fen", "welfare_households", "welfare_coverage",
            "monitored_households", "monitored_by_category")
    out = {k: r[k] for k in keys}
    out["site_id"], out["prefix"] = r.get("site_id"), r.get("prefix")
    fen = r["per_capita_income_fen"]
    out["per_capita_income_yuan"] = None if fen is None else yuan_text(fen)
    return out


def _table(request, query: RelocationMetricsQuery) -> dict:
    as_of = query.as_of or timezone.localdate()
    rows = sm.relocation_metrics(actor=request.auth, as_of=as_of, scope=query.scope or None, by=query.by, income_year=query.income_year)
    prefix, scope_name = sm.metrics_scope(request.auth, query.scope or None)
    total = sm.metrics_total(rows, income_year=query.income_year if query.income_year is not None else as_of.year - 1)
    return {"as_of": as_of, "scope": prefix, "scope_name": scope_name, "by": query.by, "income_year": total["income_year"], "rows": rows,
            "total": total}


@router.get("", response={200: RelocationMetricsOut, 409: ErrorOut, **ERRORS},
            summary="后续扶持指标：户数、人数、有劳动力户、至少1人就业率、分类型就业、人均纯收入、低保覆盖率、监测户")
def relocation_metrics_table(request, query: Query[RelocationMetricsQuery]):
    t = _table(request, query)
    return {**t, "rows": [_row(r) for r in t["rows"]], "total": _row(t["total"]), "definitions": [str(d) for d in sm.DEFINITIONS]}


@router.get("/xlsx", response={409: ErrorOut, **ERRORS}, summary="后续扶持指标表（Excel）",
            openapi_extra={"responses": {200: {"description": "后续扶持指标表", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}})
def relocation_metrics_xlsx(request, query: Query[RelocationMetricsQuery]):
    t = _table(request, query)
    data = rm.metrics_xlsx(t["rows"], t["total"], title=rm.metrics_title(t["scope_name"]), as_of=t["as_of"], by_label=str(sm.GROUPING_LABELS[t["by"]]),
                           definitions=[str(d) for d in sm.DEFINITIONS])
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=rm.metrics_filename(t["as_of"]))
    return response
