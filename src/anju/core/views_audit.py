"""Audit log pages for the 审计管理员: filter, export to Excel, verify the chain, purge by retention."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from anju.accounts.models import SecurityPolicy
from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.forms import AuditFilterForm
from anju.core.jobs import job_submit
from anju.core.jobs_builtin import audit_filters_from_params
from anju.core.pagination import paginate
from anju.core.selectors import audit_event_list


def _list_context(request, form, events) -> dict:
    return {
        "form": form, "page": paginate(request, events) if events is not None else None,
        "retention_days": SecurityPolicy.current().audit_retention_days,
        "can_export": request.user.can(Perm.AUDIT_EXPORT), "can_verify": request.user.can(Perm.AUDIT_VERIFY),
        "can_purge": request.user.can(Perm.AUDIT_PURGE),
    }


@login_required
def audit_list(request):
    require_perm(request.user, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid()
    events = audit_event_list(actor=request.user, **audit_filters_from_params(form.as_params() if valid else {})) \
        if (valid or not request.GET) else None
    return render(request, "core/audit_list.html", _list_context(request, form, events))


@login_required
@require_POST
def audit_export(request):
    require_perm(request.user, Perm.AUDIT_EXPORT)
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return render(request, "core/audit_list.html", _list_context(request, form, None), status=400)
    job = job_submit(actor=request.user, kind="audit.export", params=form.as_params())
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@require_POST
def audit_verify(request):
    job = job_submit(actor=request.user, kind="audit.verify")
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@require_POST
def audit_purge(request):
    job = job_submit(actor=request.user, kind="audit.purge")
    return redirect("jobs:detail", job_id=job.pk)
