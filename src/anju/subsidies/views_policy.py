"""Policy version pages: the list, one version with the values in force for a county and the what-if result, draft
forms (new, edit, copy), publish, revoke, and the what-if job."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError, Conflict, ValidationFailed
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.subsidies import jobs_policy  # noqa: F401  (registers the job kind the page submits)
from anju.subsidies.forms_policy import CopyForm, EffectiveForm, PolicyFilterForm, PolicyForm, RevokeForm, WhatIfForm
from anju.subsidies.months import fen_text
from anju.subsidies.selectors_policy import (
    WHATIF_KIND,
    access_policy,
    policy_actions,
    policy_annotate,
    policy_counties,
    policy_effective,
    policy_list,
    policy_value_rows,
    policy_whatif_latest,
    scope_name,
)
from anju.subsidies.services import policy as services
from anju.web.forms import form_error


def policy_form_errors(form, exc: ApplicationError) -> None:
    """Every field the service named (detail["fields"]), else the one error, on the form."""
    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    if not fields:
        form_error(form, exc)
        return
    for field, message in fields.items():
        form.add_error(field if field in form.fields else None, message)


def _whatif_table(result: dict) -> dict:
    """The what-if result with amounts as yuan text for the page."""
    money = ("current", "draft", "diff", "project_current", "project_draft")

    def text(row: dict) -> dict:
        return {**row, **{f"{k}_text": fen_text(row.get(k, 0)) for k in money}}

    return {**result, "rows": [text(r) for r in result.get("rows", [])], "by_year": [text(r) for r in result.get("by_year", [])],
            "totals": text(result.get("totals", {}))}


@login_required
def policy_index(request):
    form = PolicyFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, policy_list(actor=request.user, state=filters.get("state") or "", q=filters.get("q") or ""))
    page.object_list = policy_annotate(page.object_list)
    return render(request, "subsidies/policy/list.html", {
        "form": form, "page": page, "can_create": request.user.can(Perm.SUBSIDY_POLICY),
        "labels": [str(services.FIELD_LABELS[f]) for f in services.VALUE_FIELDS]})


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    prefix = request.user.entry_prefix
    form = PolicyForm(request.POST or None, initial={"scope": prefix if prefix.isdigit() else ""})
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.subsidy_policy_create(actor=request.user, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            policy_form_errors(form, exc)
        else:
            messages.success(request, _("已保存草稿：%(title)s") % {"title": policy.title})
            return redirect("subsidies_policy:detail", policy_id=policy.pk)
    return render(request, "subsidies/policy/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, policy_id: int):
    policy = access_policy(request.user, policy_id)
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.subsidy_policy_update(actor=request.user, policy=policy, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            policy_form_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("subsidies_policy:detail", policy_id=policy.pk)
    return render(request, "subsidies/policy/form.html", {"form": form, "policy": policy})


@login_required
@require_http_methods(["GET", "POST"])
def policy_copy(request, policy_id: int):
    policy = access_policy(request.user, policy_id)
    require_perm(request.user, Perm.SUBSIDY_POLICY)
    prefix = request.user.entry_prefix
    scope = policy.scope if services.may_enter(request.user, policy.scope) else (prefix if prefix.isdigit() else "")
    initial = {"title": (_("%(title)s（副本）") % {"title": policy.title})[:200], "scope": scope, "effective_from": policy.effective_from}
    form = CopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            copy = services.subsidy_policy_copy(actor=request.user, policy=policy, title=d["title"], scope=d["scope"],
                                                effective_from=d["effective_from"])
        except (ValidationFailed, Conflict) as exc:
            policy_form_errors(form, exc)
        else:
            messages.success(request, _("已复制为新草稿，请修改后发布"))
            return redirect("subsidies_policy:detail", policy_id=copy.pk)
    return render(request, "subsidies/policy/copy.html", {"form": form, "policy": policy, "scope_name": scope_name(policy.scope)})


@login_required
def policy_detail(request, policy_id: int):
    policy = access_policy(request.user, policy_id)
    counties = policy_counties(request.user, policy)
    form = EffectiveForm(request.GET or None, counties=counties)
    filters = form.cleaned_data if form.is_valid() else {}
    county = filters.get("county") or (counties[0].prefix if counties else "")
    on = filters.get("on") or max(policy.effective_from, timezone.localdate())  # a future version: from its first day
    effective = []
    if county:
        try:
            effective = policy_effective(actor=request.user, county=county, on=on,
                                         draft=policy if policy.state == policy.State.DRAFT else None)
        except ValidationFailed as exc:
            form_error(form, exc)
    actions = policy_actions(request.user, policy)
    done, pending = policy_whatif_latest(actor=request.user, policy=policy) if actions["whatif"] else (None, None)
    return render(request, "subsidies/policy/detail.html", {
        "policy": policy, "scope_name": scope_name(policy.scope), "values": policy_value_rows(policy), "actions": actions,
        "form": form, "county": county, "county_name": next((c.name for c in counties if c.prefix == county), county), "on": on,
        "effective": effective, "revoke_form": RevokeForm(), "whatif_form": WhatIfForm(),
        "conflicts": services.policy_conflicts(policy) if policy.state == policy.State.DRAFT else [],
        "blockers": services.revoke_blockers(policy) if actions["revoke"] else [],
        "whatif": _whatif_table(done.result) if done and isinstance(done.result, dict) else None, "whatif_job": done,
        "whatif_pending": pending,
    })


def _transition(request, policy_id: int, action):
    """Run publish or revoke; a state conflict or a missing reason is a message on the detail page, 403/404 stay."""
    policy = access_policy(request.user, policy_id)
    try:
        action(policy)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("subsidies_policy:detail", policy_id=policy.pk)


@login_required
@require_POST
def policy_publish(request, policy_id: int):
    def publish(policy):
        services.subsidy_policy_publish(actor=request.user, policy=policy)
        messages.success(request, _("已发布；自生效日期起按本版本计算"))

    return _transition(request, policy_id, publish)


@login_required
@require_POST
def policy_revoke(request, policy_id: int):
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def revoke(policy):
        services.subsidy_policy_revoke(actor=request.user, policy=policy, reason=reason)
        messages.success(request, _("已撤销；其政策参数已删除"))

    return _transition(request, policy_id, revoke)


@login_required
@require_POST
def policy_whatif(request, policy_id: int):
    policy = access_policy(request.user, policy_id)
    form = WhatIfForm(request.POST)
    years = form.cleaned_data["years"] if form.is_valid() else 0
    try:
        services.policy_whatif_check(actor=request.user, policy=policy, years=years)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
        return redirect("subsidies_policy:detail", policy_id=policy.pk)
    job = job_submit(actor=request.user, kind=WHATIF_KIND, division_code=services.scope_code(policy.scope),
                     params={"policy": policy.pk, "years": years})
    return redirect("jobs:detail", job_id=job.pk)
