"""Pages of the rates area: the rate table (year, as-of date, scope, grouping, carried-over; ranking, last year, warning
colours, 口径说明), the city dashboard (cards, charts, lagging projects) and the bulletin job."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ValidationFailed
from anju.core.jobs import job_submit
from anju.projects import (
    charts,
    jobs_bulletin,  # noqa: F401  (registers the job kind the page submits)
)
from anju.projects import selectors_rates as sr
from anju.projects.forms_rates import BulletinForm, DashboardForm, RatesFilterForm
from anju.projects.money import wan_text
from anju.projects.reports_bulletin import bulletin_check
from anju.web.forms import form_error

LEVEL_STYLES = {sr.RED: "background:#fbe3e1;color:#a61b1b;font-weight:600", sr.YELLOW: "background:#fff3c4;color:#7a5b00", "": ""}


def _decorate(row: sr.RateRow) -> sr.RateRow:
    row.start_pct, row.completion_pct, row.payment_pct = (sr.percent_text(v) for v in (row.start_rate, row.completion_rate, row.payment_rate))
    row.allocated_wan, row.paid_wan = wan_text(row.allocated), wan_text(row.paid)
    row.last_payment_pct, row.last_start_pct = sr.percent_text(row.last.payment_rate), sr.percent_text(row.last.start_rate)
    change = row.payment_rate_change
    row.change_points = "" if change is None else f"{'+' if change > 0 else ''}{(change * 100).quantize(Decimal('0.01'))}"
    row.style = LEVEL_STYLES.get(row.level, "")
    return row


def _decorate_table(table: sr.RateTable) -> sr.RateTable:
    for r in [*table.rows, table.total]:
        _decorate(r)
    table.target_pct = sr.percent_text(table.target) if table.target is not None else ""
    return table


@login_required
def rates_index(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = RatesFilterForm(request.GET or None, actor=request.user)
    v = form.values()
    table = None
    try:
        table = _decorate_table(sr.project_rates(actor=request.user, **v))
    except ValidationFailed as exc:
        form_error(form, exc)
    bulletin_form = BulletinForm(initial={"year": v["year"], "as_of": v["as_of"], "scope": v["scope"]}, actor=request.user)
    return render(request, "projects/rates/index.html", {
        "form": form, "table": table, "rows": table.ranked() if table else [], "definitions": sr.DEFINITIONS,
        "bulletin_form": bulletin_form, "values": v})


@login_required
def dashboard(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = DashboardForm(request.GET or None, actor=request.user)
    v = form.values()
    try:
        data = sr.rates_dashboard(actor=request.user, year=v["year"], as_of=v["as_of"], scope=v["scope"])
    except ValidationFailed as exc:
        form_error(form, exc)
        return render(request, "projects/rates/dashboard.html", {"form": form, "data": None})
    table = _decorate_table(data.table)
    _decorate_table(data.carried)
    rows = table.rows
    bar = charts.rates_bar([r.name for r in rows], [r.start_rate for r in rows], [r.completion_rate for r in rows],
                           [r.payment_rate for r in rows], target=table.target)
    line = ""
    if data.months:
        line = charts.monthly_line([m.month for m in data.months], [m.payment_rate for m in data.months],
                                   last_year=[m.last_payment_rate for m in data.months], targets=sr.payment_targets(table.scope).targets)
    for items in data.lagging.values():
        for p in items:
            p.allocated_wan, p.paid_wan, p.share_pct = wan_text(p.allocated), wan_text(p.paid), sr.percent_text(p.paid_share)
    for m in data.months:
        m.rate_pct, m.last_pct = sr.percent_text(m.payment_rate), sr.percent_text(m.last_payment_rate)
    return render(request, "projects/rates/dashboard.html", {
        "form": form, "data": data, "table": table, "t": table.total, "carried": data.carried.total, "values": v,
        # the SVGs are drawn here by matplotlib from numbers and names of our own tables (text is escaped by the SVG writer)
        "bar_svg": mark_safe(bar), "line_svg": mark_safe(line),  # noqa: S308
        "definitions": sr.DEFINITIONS})


@login_required
@require_POST
def bulletin_start(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = BulletinForm(request.POST, actor=request.user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            params = bulletin_check(actor=request.user, year=d["year"], as_of=d["as_of"], scope=d.get("scope") or "", fmt=d["format"],
                                    doc_number=d.get("doc_number") or "")
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            job = job_submit(actor=request.user, kind=jobs_bulletin.KIND, params=params, division_code=params["scope"].ljust(12, "0"),
                             title=_("通报：%(year)s年截至%(date)s") % {"year": d["year"], "date": d["as_of"].isoformat()})
            messages.success(request, _("已开始生成通报，完成后可下载"))
            return redirect("jobs:detail", job_id=job.pk)
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, _("通报参数有误：%(errors)s") % {"errors": "；".join(errors)})
    return redirect("projects_rates:index")
