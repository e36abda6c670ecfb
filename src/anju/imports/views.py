"""Header alias page: the built-in and user-added headings of each template, add and delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.imports import selectors, services
from anju.imports.forms import AliasFilterForm, AliasForm
from anju.imports.spec import known_specs


@login_required
@require_http_methods(["GET", "POST"])
def alias_list(request):
    require_perm(request.user, Perm.REFERENCE_MANAGE)
    filters = AliasFilterForm(request.GET or None)
    template = filters.cleaned_data.get("template") if filters.is_valid() else ""
    form = AliasForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tpl, field = form.cleaned_data["target"]
        try:
            services.header_alias_add(actor=request.user, template=tpl, field=field, alias=form.cleaned_data["alias"])
        except ApplicationError as exc:
            form.add_error("alias" if (exc.detail or {}).get("field") == "alias" else "target", exc.message)
        else:
            messages.success(request, _("已添加表头别名"))
            return redirect("imports:aliases")
    specs = known_specs()
    page = paginate(request, selectors.header_alias_list(actor=request.user, template=template or None))
    for alias in page:
        spec = specs.get(alias.template)
        alias.template_title = spec.title if spec else alias.template
        alias.field_label = next((f.label for f in spec.fields if f.name == alias.field), alias.field) if spec else alias.field
    return render(request, "imports/aliases.html", {"form": form, "filters": filters, "page": page, "specs": list(specs.values())})


@login_required
@require_POST
def alias_delete(request, alias_id: int):
    services.header_alias_delete(actor=request.user, alias_id=alias_id)
    messages.success(request, _("已删除表头别名"))
    return redirect("imports:aliases")
