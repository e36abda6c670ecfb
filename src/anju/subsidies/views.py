"""Payment batch and entitlement pages: the batch list, the create form (a job), one batch with its figures, timeline,
exceptions and items, the workflow buttons, holding and releasing items, and the 测算 page with its CSV export (a job)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.subsidies import jobs  # noqa: F401  (registers the job kinds the pages submit)
from anju.subsidies.forms import (
    BatchCreateForm,
    BatchFilterForm,
    EntitlementExportForm,
    EntitlementForm,
    HoldForm,
    ItemFilterForm,
    SendBackForm,
)
from anju.subsidies.months import fen_text
from anju.subsidies.selectors import (
    access_batch,
    access_item,
    batch_actions,
    batch_by_township,
    batch_exceptions,
    batch_items,
    batch_list,
    batch_timeline,
    entitlement_summary,
)
from anju.subsidies.selectors_bankfiles import bankfile_actions
from anju.subsidies.services import workflow
from anju.subsidies.services.batches import batch_create_check
from anju.subsidies.services.entitlements_export import entitlements_export_check
from anju.web.forms import form_error

EXCEPTIONS_SHOWN = 100


def _decorate(items) -> None:
    """Village and township names and the amount in yuan, for display."""
    names = division_names({i.division_code for i in items})
    for i in items:
        i.village_name = names.get(i.division_code, i.division_code)
        i.township_name = names.get(i.division_code[:9].ljust(12, "0"), "")
        i.amount_yuan = fen_text(i.amount)


@login_required
def batch_index(request):
    form = BatchFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = batch_list(actor=request.user, year=filters.get("year"), county=filters.get("county") or "", state=filters.get("state") or "",
                    kind=filters.get("kind") or "")
    page = paginate(request, qs)
    names = division_names({b.division_code for b in page})
    for b in page:
        b.county_name = names.get(b.division_code, b.division_code)
        b.amount_yuan = fen_text((b.totals or {}).get("amount") or 0)
    return render(request, "subsidies/batches/list.html", {"form": form, "page": page, "can_create": request.user.can(Perm.SUBSIDY_RUN)})


@login_required
@require_http_methods(["GET", "POST"])
def batch_create_view(request):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    form = BatchCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            county = batch_create_check(actor=request.user, county_code=d["county"], year=d["year"], quarter=d["quarter"],
                                        fund_source=d["fund_source"])
        except (ValidationFailed, Conflict, NotFound) as exc:
            form_error(form, exc)
        else:
            job = job_submit(actor=request.user, kind="subsidies.batch.create", division_code=county.code,
                             params={"county": county.prefix, "year": d["year"], "quarter": d["quarter"], "fund_source": d["fund_source"],
                                     "note": d["note"]})
            return redirect("jobs:detail", job_id=job.pk)
    return render(request, "subsidies/batches/create.html", {"form": form})


@login_required
def batch_detail(request, batch_id: int):
    batch = access_batch(request.user, batch_id)
    summary = batch_by_township(actor=request.user, batch=batch)
    form = ItemFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, batch_items(actor=request.user, batch=batch, state=filters.get("state") or "", hold=filters.get("hold") or "",
                                         division=filters.get("division") or "", q=filters.get("q") or ""))
    exceptions_qs = batch_exceptions(actor=request.user, batch=batch)
    exceptions = list(exceptions_qs[:EXCEPTIONS_SHOWN])
    _decorate([*page, *exceptions])
    return render(request, "subsidies/batches/detail.html", {
        "batch": batch, "summary": summary, "figures": summary.total.figures, "timeline": batch_timeline(actor=request.user, batch=batch),
        "form": form, "page": page, "exceptions": exceptions, "exceptions_count": exceptions_qs.count(),
        "actions": batch_actions(request.user, batch), "send_back_form": SendBackForm(),
        "sent_back": (batch.totals or {}).get("sent_back"), "project": (batch.totals or {}).get("project") or {},
        "bank_actions": bankfile_actions(request.user, batch),
    })


def _transition(request, batch_id: int, action, *, to_list: bool = False) -> HttpResponse:
    """Run a workflow service; a state conflict or a missing reason is a message on the detail page, a 403/404 stays one."""
    batch = access_batch(request.user, batch_id)
    try:
        action(batch)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    else:
        if to_list:
            return redirect("subsidies:batch_list")
    return redirect("subsidies:batch_detail", batch_id=batch.pk)


@login_required
@require_POST
def batch_review_view(request, batch_id: int):
    def review(batch):
        workflow.batch_review(actor=request.user, batch=batch)
        messages.success(request, _("批次已审核，等待另一位审核人员审批"))

    return _transition(request, batch_id, review)


@login_required
@require_POST
def batch_approve_view(request, batch_id: int):
    def approve(batch):
        workflow.batch_approve(actor=request.user, batch=batch)
        messages.success(request, _("批次已审批，可以生成银行代发文件"))

    return _transition(request, batch_id, approve)


@login_required
@require_POST
def batch_send_back_view(request, batch_id: int):
    form = SendBackForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def send_back(batch):
        workflow.batch_send_back(actor=request.user, batch=batch, reason=reason)
        messages.success(request, _("批次已退回为草稿"))

    return _transition(request, batch_id, send_back)


@login_required
@require_POST
def batch_delete_view(request, batch_id: int):
    def delete(batch):
        workflow.batch_delete(actor=request.user, batch=batch)
        messages.success(request, _("批次 %(number)s 已删除") % {"number": batch.number})

    return _transition(request, batch_id, delete, to_list=True)


@login_required
@require_POST
def batch_refresh_accounts_view(request, batch_id: int):
    def refresh(batch):
        r = workflow.batch_refresh_accounts(actor=request.user, batch=batch)
        messages.success(request, _("已重新读取 %(checked)s 笔暂缓明细的银行账号：恢复发放 %(released)s 笔，仍暂缓 %(held)s 笔") % r)

    return _transition(request, batch_id, refresh)


@login_required
@require_http_methods(["GET", "POST"])
def item_hold_view(request, batch_id: int, item_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch = access_batch(request.user, batch_id)
    item = access_item(request.user, batch, item_id)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.item_hold(actor=request.user, item=item, cause=form.cleaned_data["cause"], reason=form.cleaned_data["reason"])
        except (Conflict, ValidationFailed) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("%(name)s 已暂缓发放") % {"name": item.name})
            return redirect("subsidies:batch_detail", batch_id=batch.pk)
    _decorate([item])
    return render(request, "subsidies/batches/hold.html", {"batch": batch, "item": item, "form": form})


@login_required
@require_POST
def item_release_view(request, batch_id: int, item_id: int):
    batch = access_batch(request.user, batch_id)
    item = access_item(request.user, batch, item_id)
    try:
        workflow.item_release(actor=request.user, item=item)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, _("%(name)s：%(error)s") % {"name": item.name, "error": exc.message})
    else:
        messages.success(request, _("%(name)s 已恢复发放") % {"name": item.name})
    return redirect("subsidies:batch_detail", batch_id=batch.pk)


# --- 测算 ------------------------------------------------------------------------------------------------------------

@login_required
def entitlements_view(request):
    require_perm(request.user, Perm.SUBSIDY_VIEW)
    form = EntitlementForm(request.GET or None, actor=request.user)
    summary = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            summary = entitlement_summary(actor=request.user, scope=d["scope"], year=d["year"], quarter=d["quarter"], preview=d["preview"])
        except (ValidationFailed, Conflict, NotFound) as exc:
            form_error(form, exc)
    export_form = EntitlementExportForm(initial=form.cleaned_data if summary else None, actor=request.user)
    return render(request, "subsidies/entitlements/index.html", {
        "form": form, "summary": summary, "export_form": export_form, "can_unmask": request.user.can(Perm.REGISTRY_VIEW_PII),
        "scopes": bool(form.fields["scope"].choices)})


@login_required
@require_POST
def entitlements_export_view(request):
    require_perm(request.user, Perm.SUBSIDY_VIEW)
    form = EntitlementExportForm(request.POST, actor=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("subsidies:entitlements")
    d = form.cleaned_data
    try:
        entitlements_export_check(actor=request.user, scope=d["scope"], year=d["year"], quarter=d["quarter"], preview=d["preview"],
                                  unmasked=d["unmasked"])
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("subsidies:entitlements")
    job = job_submit(actor=request.user, kind="subsidies.entitlements.export", division_code=d["scope"].ljust(12, "0"),
                     params={"scope": d["scope"], "year": d["year"], "quarter": d["quarter"], "preview": d["preview"],
                             "unmasked": d["unmasked"]})
    return redirect("jobs:detail", job_id=job.pk)
