"""Bank-file pages: generate a batch's bank file (a job), its return files (upload, result with flagged rows, problem
list download), the items still awaiting a result with manual resolution, and the supplementary batch form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError, NotFound
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.subsidies import jobs_bankfiles
from anju.subsidies.forms_bankfiles import (
    MODE_HELP,
    BankFileExportForm,
    OutstandingFilterForm,
    ResolveForm,
    ReturnRowFilterForm,
    ReturnUploadForm,
    SupplementForm,
)
from anju.subsidies.models import BankReturnRow
from anju.subsidies.months import fen_text
from anju.subsidies.selectors import access_batch
from anju.subsidies.selectors_bankfiles import (
    access_bank_return,
    access_outstanding_item,
    bank_return_list,
    bank_return_rows,
    bankfile_actions,
    bankfile_layout,
    bankfile_layouts,
    bankfile_pending,
    outstanding_items,
    return_actions,
)
from anju.subsidies.services import bankfiles, returns, supplements
from anju.web.forms import form_error

INLINE_BYTES = 2 * 1024 * 1024  # return files up to this size are read while the page waits; larger ones run as a job


def _county(batch) -> str:
    return division_names([batch.division_code]).get(batch.division_code, batch.division_code)


def _context(request, batch, **extra) -> dict:
    return {"batch": batch, "county_name": _county(batch), "bank_actions": bankfile_actions(request.user, batch), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def bankfile_export_view(request, batch_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch = access_batch(request.user, batch_id)
    layouts = bankfile_layouts(actor=request.user, batch=batch)
    form = BankFileExportForm(request.POST or None, layouts=layouts, initial_layout=batch.layout_id)
    if request.method == "POST" and form.is_valid():
        try:
            layout = bankfile_layout(actor=request.user, batch=batch, layout_id=form.cleaned_data["layout"])
            bankfiles.bankfile_export_check(actor=request.user, batch=batch, layout=layout)
        except NotFound:
            raise
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            job = jobs_bankfiles.bankfile_export_submit(actor=request.user, batch=batch, layout=layout)
            return redirect("jobs:detail", job_id=job.pk)
    count, fen = bankfile_pending(batch)
    return render(request, "subsidies/bankfiles/export.html", _context(
        request, batch, form=form, layouts=layouts, pending=count, pending_yuan=fen_text(fen)))


@login_required
def bank_return_index(request, batch_id: int):
    batch = access_batch(request.user, batch_id)
    page = paginate(request, bank_return_list(actor=request.user, batch=batch))
    return render(request, "subsidies/bankfiles/returns.html", _context(request, batch, page=page))


@login_required
@require_http_methods(["GET", "POST"])
def bank_return_new(request, batch_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch = access_batch(request.user, batch_id)
    layouts = bankfile_layouts(actor=request.user, batch=batch)
    form = ReturnUploadForm(request.POST or None, request.FILES or None, layouts=layouts)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        try:
            layout = bankfile_layout(actor=request.user, batch=batch, layout_id=d["layout"]) if d.get("layout") else None
            returns.bank_return_check(actor=request.user, batch=batch, filename=upload.name, size=upload.size, mode=d["mode"])
            if upload.size > INLINE_BYTES:
                job = jobs_bankfiles.bank_return_submit(actor=request.user, batch=batch, uploaded=upload, mode=d["mode"], layout=layout)
                return redirect("jobs:detail", job_id=job.pk)
            bank_return = returns.bank_return_import(actor=request.user, batch=batch, source=upload, filename=upload.name, layout=layout,
                                                     mode=d["mode"])
        except NotFound:
            raise
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            c = bank_return.counts
            if bank_return.state == bank_return.State.REJECTED:
                messages.error(request, _("回盘文件有 %(flagged)s 行问题，本次未入账：请查看问题行，交银行核对后重新导入") % c)
            else:
                messages.success(request, _("已入账 %(applied)s 行：发放成功 %(paid)s 笔、失败 %(failed)s 笔；有问题 %(flagged)s 行") % c)
            return redirect("subsidies_bankfiles:return_detail", return_id=bank_return.pk)
    return render(request, "subsidies/bankfiles/return_new.html", _context(request, batch, form=form, mode_help=MODE_HELP))


@login_required
def bank_return_detail(request, return_id: int):
    bank_return = access_bank_return(request.user, return_id)
    batch = bank_return.batch
    form = ReturnRowFilterForm(request.GET or None)
    flag = form.cleaned_data.get("flag", "") if form.is_valid() else ""
    page = paginate(request, bank_return_rows(actor=request.user, bank_return=bank_return, flag=flag))
    c = bank_return.counts or {}
    flag_labels = dict(BankReturnRow.Flag.choices)
    flags = [(flag_labels.get(k, k), n) for k, n in (c.get("flags") or {}).items()]
    actions = return_actions(request.user, bank_return)
    for row in page:
        row.amount_text = fen_text(row.amount) if row.amount is not None else ""
        row.can_resolve = actions["resolve"] and bool(row.flag) and row.item_id is not None and row.item.state == "pending"
    return render(request, "subsidies/bankfiles/return_detail.html", _context(
        request, batch, r=bank_return, counts=c, flags=flags, form=form, page=page, actions=actions,
        paid_yuan=fen_text(c.get("paid_amount") or 0), failed_yuan=fen_text(c.get("failed_amount") or 0)))


@login_required
def bank_return_errors(request, return_id: int):
    bank_return = access_bank_return(request.user, return_id)
    path = returns.bank_return_error_file(actor=request.user, bank_return=bank_return)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)  # noqa: SIM115 (FileResponse closes it)


@login_required
def outstanding_view(request, batch_id: int):
    batch = access_batch(request.user, batch_id)
    form = OutstandingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, outstanding_items(actor=request.user, batch=batch, division=filters.get("division") or "",
                                               q=filters.get("q") or ""))
    names = division_names({i.division_code for i in page})
    for item in page:
        item.village_name = names.get(item.division_code, item.division_code)
        item.amount_text = fen_text(item.amount)
    return render(request, "subsidies/bankfiles/outstanding.html", _context(request, batch, form=form, page=page))


@login_required
@require_http_methods(["GET", "POST"])
def item_resolve_view(request, batch_id: int, item_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch, item = access_outstanding_item(request.user, batch_id, item_id)
    row = _return_row(request, batch)
    initial = {}
    if row is not None and row.item_id == item.pk:
        initial = {"outcome": "paid" if row.success else "failed" if row.success is False else None, "bank_ref": row.bank_ref,
                   "reason": row.reason}
    form = ResolveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            supplements.item_resolve(actor=request.user, item=item, outcome=d["outcome"], bank_ref=d["bank_ref"], reason=d["reason"],
                                     paid_on=d["paid_on"])
        except NotFound:
            raise
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已记录 %(name)s 的发放结果") % {"name": item.name})
            if row is not None:
                return redirect("subsidies_bankfiles:return_detail", return_id=row.bank_return_id)
            return redirect("subsidies_bankfiles:outstanding", batch_id=batch.pk)
    return render(request, "subsidies/bankfiles/resolve.html", _context(
        request, batch, item=item, form=form, row=row, amount_text=fen_text(item.amount),
        village=division_names([item.division_code]).get(item.division_code, item.division_code)))


def _return_row(request, batch) -> BankReturnRow | None:
    """The return row the resolve form was opened from (?row=id), when it belongs to this batch."""
    raw = request.GET.get("row") or request.POST.get("row") or ""
    if not raw.isdigit():
        return None
    return BankReturnRow.objects.filter(pk=int(raw), bank_return__batch=batch).first()


@login_required
@require_http_methods(["GET", "POST"])
def supplement_view(request, batch_id: int):
    require_perm(request.user, Perm.SUBSIDY_RUN)
    batch = access_batch(request.user, batch_id)
    form = SupplementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            child = supplements.batch_supplement_create(actor=request.user, batch=batch, include_held=d["include_held"], note=d["note"])
        except NotFound:
            raise
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            s = child.totals.get("supplement", {})
            messages.success(request, _("已生成补发批次 %(number)s：%(n)s 笔，合计 %(yuan)s 元，待审核") % {
                "number": child.number, "n": s.get("items", 0), "yuan": fen_text(s.get("amount", 0))})
            return redirect("subsidies:batch_detail", batch_id=child.pk)
    preview = supplements.supplement_preview(batch)
    return render(request, "subsidies/bankfiles/supplement.html", _context(
        request, batch, form=form, preview=preview, failed_yuan=fen_text(preview["failed_amount"]),
        held_yuan=fen_text(preview["held_amount"]), supplements=batch.supplements.order_by("id")))
