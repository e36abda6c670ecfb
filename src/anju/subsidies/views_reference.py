"""Reference list pages: the bank list (银行名录) and the bank file layouts (银行文件格式)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, ValidationFailed
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.subsidies.forms_reference import BankFilterForm, BankForm, LayoutForm, ReferenceFilterForm
from anju.subsidies.layouts import LAYOUT_FIELDS, RETURN_FIELDS
from anju.subsidies.models import Bank
from anju.subsidies.selectors_policy import scope_name
from anju.subsidies.selectors_reference import access_bank, access_layout, bank_list, layout_actions, layout_list
from anju.subsidies.services import reference as services
from anju.subsidies.services.policy import scope_code
from anju.web.forms import form_error

# --- banks -----------------------------------------------------------------------------------------------------


@login_required
def bank_index(request):
    form = BankFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, bank_list(actor=request.user, q=filters.get("q") or "", active=filters.get("active")))
    return render(request, "subsidies/reference/banks.html", {"form": form, "page": page, "can_manage": request.user.can(Perm.SUBSIDY_POLICY)})


@login_required
@require_http_methods(["GET", "POST"])
def bank_new(request):
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    form = BankForm(request.POST or None, initial={"active": True, "luhn_prefixes": "62"})
    if request.method == "POST" and form.is_valid():
        try:
            bank = services.bank_create(actor=request.user, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加银行 %(name)s") % {"name": bank.name})
            return redirect("subsidies_reference:banks")
    return render(request, "subsidies/reference/bank_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def bank_edit(request, bank_id: int):
    bank = access_bank(request.user, bank_id)
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    form = BankForm(request.POST or None, initial=BankForm.initial_from(bank))
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_update(actor=request.user, bank=bank, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("subsidies_reference:banks")
    return render(request, "subsidies/reference/bank_form.html", {"form": form, "bank": bank})


@login_required
@require_POST
def bank_active(request, bank_id: int):
    """启用 / 停用: the posted `active` is "1" to enable, anything else disables."""
    bank = access_bank(request.user, bank_id)
    active = request.POST.get("active") == "1"
    try:
        services.bank_set_active(actor=request.user, bank=bank, active=active)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("已启用 %(name)s") if active else _("已停用 %(name)s")) % {"name": bank.name})
    return redirect("subsidies_reference:banks")


# --- layouts ---------------------------------------------------------------------------------------------------


def _banks():
    return Bank.objects.order_by("-active", "name")


@login_required
def layout_index(request):
    form = ReferenceFilterForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    page = paginate(request, layout_list(actor=request.user, q=q))
    names = division_names([scope_code(layout.scope) for layout in page.object_list if layout.scope])
    for layout in page.object_list:
        layout.scope_name = scope_name(layout.scope, names) if layout.scope else _("通用")
        layout.actions = layout_actions(request.user, layout)
        layout.column_labels = [c.get("header", "") for c in layout.columns or []]
    return render(request, "subsidies/reference/layouts.html", {"form": form, "page": page, "can_manage": request.user.can(Perm.SUBSIDY_POLICY)})


def _layout_page(request, form, layout=None):
    return render(request, "subsidies/reference/layout_form.html", {
        "form": form, "layout": layout, "creating": layout is None, "fields": LAYOUT_FIELDS, "return_fields": RETURN_FIELDS})


def _layout_errors(form, exc) -> None:
    form_error(form, exc)
    problems = exc.detail.get("problems") if isinstance(exc.detail, dict) else None
    field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
    if problems and len(problems) > 1 and field in form.fields:  # one line per problem under the field, not one long message
        form.errors[field] = form.error_class(problems)


@login_required
@require_http_methods(["GET", "POST"])
def layout_new(request):
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    prefix = request.user.entry_prefix
    initial = {"file_format": "xlsx", "encoding": "utf-8-sig", "control_total": True, "scope": prefix if prefix.isdigit() else "",
               "columns": "seq,序号\nname,户名\naccount,账号\namount,金额\nreference,业务编号",
               "return_columns": "reference,业务编号\naccount,账号\namount,金额\nresult,处理结果\nreason,失败原因"}
    form = LayoutForm(request.POST or None, initial=initial, banks=_banks())
    if request.method == "POST" and form.is_valid():
        try:
            layout = services.layout_create(actor=request.user, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            _layout_errors(form, exc)
        else:
            messages.success(request, _("已添加银行文件格式 %(name)s") % {"name": layout.name})
            return redirect("subsidies_reference:layouts")
    return _layout_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def layout_edit(request, layout_id: int):
    layout = access_layout(request.user, layout_id)
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    form = LayoutForm(request.POST or None, initial=LayoutForm.initial_from(layout), banks=_banks())
    if request.method == "POST" and form.is_valid():
        try:
            services.layout_update(actor=request.user, layout=layout, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            _layout_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("subsidies_reference:layouts")
    return _layout_page(request, form, layout)


@login_required
@require_POST
def layout_delete(request, layout_id: int):
    layout = access_layout(request.user, layout_id)
    name = layout.name
    try:
        services.layout_delete(actor=request.user, layout=layout)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除银行文件格式 %(name)s") % {"name": name})
    return redirect("subsidies_reference:layouts")
