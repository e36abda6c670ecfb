"""Pages of spot checks: the list, drawing a sample, one check with its households (verify the sample, close), the
result and follow-up forms, the follow-up list (overdue first) and the two Excel files."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.relocation import forms_checks as forms
from anju.relocation import reports_checks as reports
from anju.relocation import selectors_checks as sel
from anju.relocation.services import checks as svc
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def check_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.CheckFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, sel.check_list(actor=request.user, state=f.get("state") or "", division=f.get("division") or "",
                                            q=f.get("q") or ""))
    today = dt.date.today()
    return render(request, "relocation/checks/list.html", {
        "form": form, "page": page, "can_draw": request.user.can(Perm.RELOCATION_INSPECT),
        "overdue_count": sel.follow_up_list(actor=request.user, overdue=True, today=today).count()})


@login_required
@require_http_methods(["GET", "POST"])
def draw(request):
    require_perm(request.user, Perm.RELOCATION_INSPECT)
    initial = {"as_of": dt.date.today(), "method": "random", "scope": request.user.entry_prefix if len(request.user.entry_prefix) in (6, 9)
               else ""}
    form = forms.DrawForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            check = svc.check_draw(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已抽取 %(n)s 户（总体 %(p)s 户），随机种子 %(seed)s") % {
                "n": check.sample_size, "p": check.population, "seed": check.seed})
            return redirect("relocation_checks:check", check_id=check.pk)
    return render(request, "relocation/checks/draw_form.html", {"form": form})


def _check_page(request, check, *, verified=None):
    items = sel.items_of(check)
    today = dt.date.today()
    for i in items:
        i.days_overdue = sel.days_overdue(i, today)
        i.can_record = i.follow_up == "none"
    can_inspect = request.user.can(Perm.RELOCATION_INSPECT) and in_scope(request.user, check.division_code, "entry")
    return render(request, "relocation/checks/check.html", {
        "check": check, "items": items, "summary": sel.summary(items, today), "verified": verified,
        "can_inspect": can_inspect and check.state == "open",
        "can_resolve": (request.user.can(Perm.RELOCATION_INSPECT) or request.user.can(Perm.RELOCATION_EDIT)) and check.state == "open",
        "can_unmask": request.user.can(Perm.REGISTRY_VIEW_PII)})


@login_required
def check_detail(request, check_id: int):
    return _check_page(request, sel.access_check(request.user, check_id))


@login_required
@require_POST
def verify(request, check_id: int):
    check = sel.access_check(request.user, check_id)
    verified = svc.check_verify(actor=request.user, check=check)
    return _check_page(request, check, verified=verified)


@login_required
@require_POST
def close(request, check_id: int):
    require_perm(request.user, Perm.RELOCATION_INSPECT)
    check = sel.access_check(request.user, check_id)
    try:
        svc.check_close(actor=request.user, check=check)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("抽查已办结"))
    return redirect("relocation_checks:check", check_id=check.pk)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def sample_export(request, check_id: int):
    check = sel.access_check(request.user, check_id)
    unmasked = request.GET.get("unmasked") == "1"
    return _xlsx(reports.sample_xlsx(actor=request.user, check=check, unmasked=unmasked), reports.export_filename(check, "sample"))


@login_required
def results_export(request, check_id: int):
    check = sel.access_check(request.user, check_id)
    return _xlsx(reports.results_xlsx(actor=request.user, check=check), reports.export_filename(check, "results"))


@login_required
@require_http_methods(["GET", "POST"])
def item_result(request, item_id: int):
    require_perm(request.user, Perm.RELOCATION_INSPECT)
    item = sel.access_item(request.user, item_id)
    sel.decorate([item])
    initial = {"checked_on": item.checked_on or dt.date.today(), "checker": item.checker, "result": item.result if item.result != "pending"
               else "consistent", "findings": item.findings, "follow_up_owner": item.follow_up_owner,
               "follow_up_deadline": item.follow_up_deadline}
    form = forms.ResultForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.item_record(actor=request.user, item=item, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记第 %(n)s 户核查结果") % {"n": item.order})
            return redirect("relocation_checks:check", check_id=item.spot_check_id)
    return render(request, "relocation/checks/result_form.html", {"item": item, "form": form,
                                                                  "can_view_check": sel.can_view_check(request.user, item.spot_check)})


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request, item_id: int):
    if not request.user.can(Perm.RELOCATION_EDIT):
        require_perm(request.user, Perm.RELOCATION_INSPECT)
    item = sel.access_item(request.user, item_id)
    sel.decorate([item])
    item.days_overdue = sel.days_overdue(item, dt.date.today())
    form = forms.ResolveForm(request.POST or None, initial={"resolved_on": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        try:
            svc.follow_up_resolve(actor=request.user, item=item, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("整改已销号"))
            if sel.can_view_check(request.user, item.spot_check):
                return redirect("relocation_checks:check", check_id=item.spot_check_id)
            return redirect("relocation_checks:follow_ups")
    return render(request, "relocation/checks/follow_up_form.html", {"item": item, "form": form,
                                                                     "can_view_check": sel.can_view_check(request.user, item.spot_check)})


@login_required
def follow_up_index(request):
    require_perm(request.user, Perm.RELOCATION_VIEW)
    form = forms.FollowUpFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    today = dt.date.today()
    qs = sel.follow_up_list(actor=request.user, overdue=state == "overdue", state=state if state == "resolved" else "open", today=today)
    page = paginate(request, qs)
    sel.decorate(page.object_list)
    for i in page.object_list:
        i.days_overdue = sel.days_overdue(i, today)
        i.check_visible = sel.can_view_check(request.user, i.spot_check)
    return render(request, "relocation/checks/follow_ups.html", {
        "form": form, "page": page, "overdue_count": sel.follow_up_list(actor=request.user, overdue=True, today=today).count(),
        "can_resolve": request.user.can(Perm.RELOCATION_INSPECT) or request.user.can(Perm.RELOCATION_EDIT)})
