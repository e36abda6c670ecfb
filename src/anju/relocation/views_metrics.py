"""Pages of the metrics area: the follow-up metrics table (form, every measure, total, 口径说明, drill-down) and its Excel file."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ValidationFailed
from anju.relocation import reports_metrics as rm
from anju.relocation import selectors_metrics as sm
from anju.relocation.forms_metrics import MetricsFilterForm
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DRILL = {sm.BY_CITY: sm.BY_COUNTY, sm.BY_COUNTY: sm.BY_TOWNSHIP, sm.BY_TOWNSHIP: sm.BY_SITE}


def _query(v: dict, **changes) -> str:
    params = {"as_of": v["as_of"].isoformat(), "scope": v["scope"], "by": v["by"]}
    if v.get("income_year"):
        params["income_year"] = v["income_year"]
    params.update(changes)
    return urlencode({k: val for k, val in params.items() if val not in ("", None)})


def _decorate(row: dict, v: dict, cols) -> dict:
    row["cells"] = [rm.cell_text(row, key, kind) for key, _l, kind in cols]
    if v["by"] == sm.BY_SITE:
        row["link"] = reverse("relocation:site", args=[row["site_id"]]) if row.get("site_id") else ""
    elif row.get("prefix") and v["by"] in DRILL:
        row["link"] = "?" + _query(v, scope=row["prefix"], by=DRILL[v["by"]])
    return row


def _compute(request, form):
    v = form.values()
    rows = sm.relocation_metrics(actor=request.user, as_of=v["as_of"], scope=v["scope"] or None, by=v["by"], income_year=v["income_year"])
    prefix, scope_name = sm.metrics_scope(request.user, v["scope"] or None)
    total = sm.metrics_total(rows, income_year=v["income_year"] if v["income_year"] is not None else v["as_of"].year - 1)
    return v, rows, total, prefix, scope_name


@login_required
def metrics_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = MetricsFilterForm(request.GET or None)
    cols = rm.columns()
    context = {"form": form, "columns": cols, "definitions": sm.DEFINITIONS, "rows": None}
    try:
        v, rows, total, prefix, scope_name = _compute(request, form)
    except ValidationFailed as exc:
        form_error(form, exc)
        return render(request, "relocation/metrics/index.html", context, status=200)
    up = ""
    parent = {12: 9, 9: 6, 6: 4, 4: 2}.get(len(prefix), 0)
    if len(prefix) > len(request.user.view_prefix) and parent >= len(request.user.view_prefix):  # one level up, within the view
        up = "?" + _query(v, scope=prefix[:parent], by={9: sm.BY_SITE, 6: sm.BY_TOWNSHIP}.get(parent, sm.BY_COUNTY))
    context.update(values=v, rows=[_decorate(r, v, cols) for r in rows], total=_decorate(total, {**v, "by": ""}, cols), scope_name=scope_name,
                   scope=prefix, by_label=sm.GROUPING_LABELS[v["by"]], up=up, export_query=_query(v))
    return render(request, "relocation/metrics/index.html", context)


@login_required
def metrics_export(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = MetricsFilterForm(request.GET or None)
    try:
        v, rows, total, _prefix, scope_name = _compute(request, form)
    except ValidationFailed as exc:
        return HttpResponse(exc.message, status=422, content_type="text/plain; charset=utf-8")
    data = rm.metrics_xlsx(rows, total, title=rm.metrics_title(scope_name), as_of=v["as_of"], by_label=str(sm.GROUPING_LABELS[v["by"]]),
                           definitions=[str(d) for d in sm.DEFINITIONS])
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=rm.metrics_filename(v["as_of"]))
    return response
