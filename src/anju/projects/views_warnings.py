"""Early-warning pages: the open warnings by level with their history and export, one project's warnings, the
evaluation button, and the rules with their payment targets and county settings."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.projects.forms_warnings import OverrideForm, RuleForm, WarningFilterForm, plain
from anju.projects.models import WarningRule
from anju.projects.reports_warnings import place_name, warnings_xlsx
from anju.projects.selectors_warnings import (
    access_rule,
    counties_in_view,
    level_totals,
    override_counties,
    project_warnings,
    rule_list,
    rule_overrides,
    warning_counts,
    warning_list,
)
from anju.projects.services import warnings as services
from anju.web.forms import form_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rule_choices(actor) -> list[tuple[str, str]]:
    """Each rule code once, named as its widest rule is (the list's order)."""
    rules = list(rule_list(actor=actor))
    names = {r.code: r.name for r in sorted(rules, key=lambda r: len(r.scope), reverse=True)}
    return [(code, names[code]) for code in dict.fromkeys(r.code for r in rules)]


def _filter_form(request) -> WarningFilterForm:
    return WarningFilterForm(request.GET or None, counties=counties_in_view(request.user), rules=_rule_choices(request.user))


def _decorate(rows) -> None:
    names = division_names({w.division_code for w in rows})
    for w in rows:
        w.county_name = names.get(w.division_code[:6].ljust(12, "0"), w.division_code[:6])
        w.place = place_name(w.division_code, names)


@login_required
def warning_index(request):
    form = _filter_form(request)
    filters = form.filters()
    qs = warning_list(actor=request.user, **filters)
    page = paginate(request, qs)
    _decorate(page.object_list)
    counts = warning_counts(request.user)
    names = division_names(code.ljust(12, "0") for code in counts)
    county_rows = [{"code": code, "name": names.get(code.ljust(12, "0"), code), **levels} for code, levels in counts.items()]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(request, "projects/warnings/list.html", {
        "form": form, "page": page, "filters": filters, "totals": level_totals(qs) if filters["state"] == "open" else None,
        "county_rows": county_rows, "export_query": export_query.urlencode(), "can_manage": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
def warning_export(request):
    form = _filter_form(request)
    filters = form.filters()
    qs = warning_list(actor=request.user, **filters)
    title = {"open": _("预警清单（未解除）"), "cleared": _("预警清单（已解除）")}.get(filters["state"], _("预警清单"))
    data = warnings_xlsx(qs, title=f"{title}　{timezone.localdate():%Y-%m-%d}")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"预警清单-{timezone.localdate():%Y%m%d}.xlsx")
    return response


@login_required
def warning_project(request, project_id: int):
    project, qs = project_warnings(actor=request.user, project_id=project_id)
    page = paginate(request, qs)
    _decorate(page.object_list)
    names = division_names([project.division_code])
    return render(request, "projects/warnings/project.html", {"project": project, "page": page,
                                                              "place": place_name(project.division_code, names)})


@login_required
@require_POST
def warning_evaluate(request):
    try:
        result = services.warnings_evaluate(actor=request.user)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评估完成：新增预警 %(raised)s 条，解除 %(cleared)s 条，现有未解除预警 %(open)s 条") % result)
    return redirect("projects_warnings:list")


# --- rules --------------------------------------------------------------------------------------------------------

@login_required
def rule_index(request):
    rules = list(rule_list(actor=request.user))
    overrides = rule_overrides(rules)
    names = division_names(r.scope.ljust(12, "0") for r in rules if r.scope)
    can_manage = request.user.can(Perm.PROJECT_MANAGE)
    base = []
    for r in rules:
        r.targets = [(m, plain(Decimal(t.numerator) * 100 / Decimal(t.denominator))) for m, t in sorted(services.payment_targets(r.params).items())]
        r.can_edit = can_manage and services.rule_may_enter(request.user, r)
        r.scope_name = names.get(r.scope.ljust(12, "0"), r.scope) if r.scope else ""
        if not r.scope:
            r.overrides = overrides.get(r.code, [])
            base.append(r)
    orphans = [r for r in rules if r.scope and r.code not in {b.code for b in base}]
    return render(request, "projects/warnings/rules.html", {"rules": base, "orphans": orphans, "can_manage": can_manage})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id: int):
    rule = access_rule(request.user, rule_id)
    require_perm(request.user, Perm.PROJECT_MANAGE)
    if not services.rule_may_enter(request.user, rule):
        raise PermissionDenied(services.MSG_RULE_OUT_OF_ENTRY)
    form = RuleForm(request.POST or None, rule=rule, initial=RuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.user, rule=rule, **form.settings())
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存规则“%(name)s”；下次评估时生效") % {"name": form.cleaned_data["name"]})
            return redirect("projects_warnings:rules")
    return render(request, "projects/warnings/rule_form.html", {"form": form, "rule": rule,
                                                                "scope_name": _scope_name(rule)})


def _scope_name(rule: WarningRule) -> str:
    if not rule.scope:
        return _("所有地区")
    code = rule.scope.ljust(12, "0")
    return division_names([code]).get(code, rule.scope)


@login_required
@require_http_methods(["GET", "POST"])
def rule_override(request, rule_id: int):
    rule = access_rule(request.user, rule_id)
    require_perm(request.user, Perm.PROJECT_MANAGE)
    form = OverrideForm(request.POST or None, divisions=override_counties(request.user, rule))
    if request.method == "POST" and form.is_valid():
        try:
            override = services.rule_override_create(actor=request.user, rule=rule, scope=form.cleaned_data["scope"])
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已为 %(place)s 添加规则“%(name)s”的专门设置，请按需修改") % {
                "place": _scope_name(override), "name": override.name})
            return redirect("projects_warnings:rule_edit", rule_id=override.pk)
    return render(request, "projects/warnings/override_form.html", {"form": form, "rule": rule, "scope_name": _scope_name(rule)})


@login_required
@require_POST
def rule_delete(request, rule_id: int):
    rule = access_rule(request.user, rule_id)
    name, place = rule.name, _scope_name(rule)
    try:
        services.rule_delete(actor=request.user, rule=rule)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除 %(place)s 的规则“%(name)s”专门设置") % {"place": place, "name": name})
    return redirect("projects_warnings:rules")
