"""Pages of the relocation dashboards: the city/county dashboard (headline figures, comparison table and charts, the map of
sites, issues) with drill-down, the map as .svg, the ledgers (small ones at once, big ones as a job) and the report job."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ValidationFailed
from anju.core.jobs import job_submit
from anju.relocation import jobs_dashboards
from anju.relocation import reports_ledgers as rl
from anju.relocation import selectors_dashboards as sd
from anju.relocation.charts import employment_chart, income_chart, monitored_chart
from anju.relocation.forms_dashboards import DashboardForm, LedgerForm, ReportForm
from anju.relocation.maps import map_export, sites_map
from anju.relocation.models import Employment, MonitoringCase
from anju.relocation.reports_situation import chart_series, issue_sentences, pct, report_check, site_summary, yuan
from anju.web.forms import form_error

COLOUR_STYLES = {"red": "background:#fbe3e1;color:#a61b1b", "yellow": "background:#fff3c4;color:#7a5b00", "green": "background:#e3f4e8;color:#1e6b3a"}


def _decorate(r: dict) -> dict:
    r["rate_pct"], r["welfare_pct"], r["income_yuan"] = pct(r["employment_rate"]), pct(r["welfare_coverage"]), yuan(r["per_capita_income_fen"])
    r["idle"] = r["labour_households"] - r["labour_households_employed"]
    r["by_category"] = [r["monitored_by_category"].get(c, 0) for c in MonitoringCase.Category.values]
    return r


@login_required
def dashboard(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    raw_scope = request.GET.get("scope", "")
    form = DashboardForm(request.GET or None, actor=request.user, scope=raw_scope if raw_scope.isdigit() else "")
    v = form.values()
    try:
        d = sd.dashboard_data(actor=request.user, as_of=v["as_of"], scope=v["scope"])
    except ValidationFailed as exc:
        form_error(form, exc)
        return render(request, "relocation/dashboards/index.html", {"form": form, "d": None})
    for r in [*d.rows, d.total]:
        _decorate(r)
    for s in d.sites:
        _decorate(s.m)
        s.occupancy_pct = pct(s.occupancy)
    c = chart_series(d)
    summary = site_summary(d)
    summary["occupancy_pct"] = pct(summary["occupancy"])
    site_map = sites_map(actor=request.user, as_of=d.as_of, scope=d.scope, site_rows=d.sites)
    kinds = dict(Employment.Kind.choices)
    colour_labels = dict(MonitoringCase.Colour.choices)
    initial = {"as_of": d.as_of, "scope": d.scope}
    return render(request, "relocation/dashboards/index.html", {
        "form": form, "d": d, "t": d.total, "values": v, "summary": summary,
        "kinds": [(kinds.get(k, k), n) for k, n in d.total["employed_by_kind"].items() if n],
        "categories": [(label, d.total["monitored_by_category"].get(code, 0)) for code, label in MonitoringCase.Category.choices],
        "category_labels": [label for _code, label in MonitoringCase.Category.choices],
        "colours": [(colour_labels[k], n, COLOUR_STYLES.get(k, "")) for k, n in d.colours.items()],
        "problems": issue_sentences(d), "drill": d.child_by != "site", "can_unmask": request.user.can(Perm.REGISTRY_VIEW_PII),
        # SVGs drawn here from our own figures: matplotlib and ElementTree escape every name
        "employment_svg": mark_safe(employment_chart(c["names"], c["rates"])),  # noqa: S308
        "income_svg": mark_safe(income_chart(c["names"], c["incomes"], line_yuan=d.income_line_yuan)),  # noqa: S308
        "monitored_svg": mark_safe(monitored_chart(c["names"], c["categories"], c["category_labels"])),  # noqa: S308
        "map_svg": mark_safe(site_map.svg), "unplaced": site_map.unplaced,  # noqa: S308
        "ledger_form": LedgerForm(initial=initial, actor=request.user, scope=d.scope),
        "report_form": ReportForm(initial=initial, actor=request.user, scope=d.scope),
    })


@login_required
def map_download(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = DashboardForm(request.GET or None, actor=request.user)
    v = form.values()
    svg, filename = map_export(actor=request.user, as_of=v["as_of"], scope=v["scope"])
    response = HttpResponse(svg.encode("utf-8"), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _back(request, scope: str = ""):
    url = redirect("relocation_dashboards:index").url
    return redirect(f"{url}?scope={scope}" if scope.isdigit() else url)


def _checked(request, form, invalid: str, check):
    """A POSTed ledger or report form, checked: (cleaned data, `check(data)`'s parameters, None), or, when the form or the
    check refuses, (…, a redirect back to the dashboard with the reason as a message). `invalid` has %(errors)s."""
    if not form.is_valid():
        messages.error(request, invalid % {"errors": "；".join(str(e) for errs in form.errors.values() for e in errs)})
        return None, None, _back(request, request.POST.get("scope", ""))
    f = form.cleaned_data
    try:
        return f, check(f), None
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return f, None, _back(request, f.get("scope") or "")


@login_required
@require_POST
def ledger(request):
    """A small ledger comes back at once; a big one is written by a job (the page of the job offers the file)."""
    require_perm(request.user, Perm.RELOCATION_VIEW)
    f, params, back = _checked(request, LedgerForm(request.POST, actor=request.user), _("台账参数有误：%(errors)s"),
                               lambda f: rl.ledger_check(actor=request.user, kind=f["kind"], as_of=f["as_of"], scope=f.get("scope") or "",
                                                         unmasked=f.get("unmasked")))
    if back:
        return back
    size = rl.ledger_size(actor=request.user, kind=f["kind"], as_of=f["as_of"], scope=params["scope"])
    if size > rl.INLINE_ROWS:
        job = job_submit(actor=request.user, kind=jobs_dashboards.LEDGER, params=params, division_code=params["scope"].ljust(12, "0"),
                         title=_("%(title)s：截至%(date)s") % {"title": rl.KIND_TITLES[f["kind"]], "date": f["as_of"].isoformat()})
        messages.success(request, _("台账较大（%(n)s行），已转入后台生成，完成后可下载") % {"n": size})
        return redirect("jobs:detail", job_id=job.pk)
    data, filename = rl.ledger_render(actor=request.user, kind=f["kind"], as_of=f["as_of"], scope=params["scope"], unmasked=params["unmasked"])
    response = HttpResponse(data, content_type=rl.XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@login_required
@require_POST
def report(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    f, params, back = _checked(request, ReportForm(request.POST, actor=request.user), _("报告参数有误：%(errors)s"),
                               lambda f: report_check(actor=request.user, as_of=f["as_of"], scope=f.get("scope") or "",
                                                      doc_number=f.get("doc_number") or ""))
    if back:
        return back
    job = job_submit(actor=request.user, kind=jobs_dashboards.REPORT, params=params, division_code=params["scope"].ljust(12, "0"),
                     title=_("情况报告：截至%(date)s") % {"date": f["as_of"].isoformat()})
    messages.success(request, _("已开始生成情况报告，完成后可下载"))
    return redirect("jobs:detail", job_id=job.pk)
