"""Project register pages: the filtered list and its 项目台账 export, create and edit, actual dates, a manual stage move,
the project page, and the vocabularies (项目类别, 资金来源, 检查类型)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.pagination import paginate
from anju.projects.forms_projects import ProjectDatesForm, ProjectFilterForm, ProjectForm, ProjectStageForm, TermForm
from anju.projects.models import Stage, Term
from anju.projects.money import fen_text, wan_text
from anju.projects.reports_projects import XLSX, project_ledger_export
from anju.projects.selectors import access_project
from anju.projects.selectors_projects import (
    access_term,
    decorate,
    move_targets,
    next_stage_problems,
    owner_choices,
    project_page_data,
    project_search,
    term_list,
    with_money,
)
from anju.projects.services import projects as services
from anju.projects.services import projects_terms as term_services
from anju.projects.services.stages import project_stage_set, stage_problems
from anju.web.forms import form_error

FORM_ERRORS = (ValidationFailed, Conflict, PermissionDenied)


@login_required
def project_index(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = ProjectFilterForm(request.GET or None, actor=request.user)
    page = paginate(request, with_money(project_search(actor=request.user, **form.filters())))
    decorate(page.object_list)
    for p in page.object_list:
        p.allocated_wan, p.paid_wan = wan_text(p.allocated_fen), wan_text(p.paid_fen)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(request, "projects/projects/list.html", {
        "form": form, "page": page, "export_query": export_query.urlencode(), "can_create": request.user.can(Perm.PROJECT_EDIT),
        "can_manage": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
def project_export(request):
    """The 项目台账 of every filtered project (not only the page shown) as Excel; audited."""
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = ProjectFilterForm(request.GET or None, actor=request.user)
    content, filename = project_ledger_export(actor=request.user, **form.filters())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    require_perm(request.user, Perm.PROJECT_EDIT)
    prefix = request.user.entry_prefix
    initial = {"division_code": prefix if prefix.isdigit() and len(prefix) >= 6 else "", "program": "reservoir", "investment_unit": "wan"}
    form = ProjectForm(request.POST or None, initial=initial, actor=request.user, owners=owner_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.service_kwargs())
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已登记项目 %(code)s %(name)s（储备）") % {"code": project.code, "name": project.name})
            return redirect("projects_projects:detail", project_id=project.pk)
    return render(request, "projects/projects/form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, project_id: int):
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    lock_core = not services.may_edit_core(request.user, project)
    form = ProjectForm(request.POST or None, initial=ProjectForm.initial_from(project), actor=request.user, project=project,
                       owners=owner_choices(request.user), lock_core=lock_core)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(actor=request.user, project=project, **form.service_kwargs())
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_projects:detail", project_id=project.pk)
    return render(request, "projects/projects/form.html", {"form": form, "project": project, "lock_core": lock_core})


@login_required
@require_http_methods(["GET", "POST"])
def project_dates(request, project_id: int):
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    form = ProjectDatesForm(request.POST or None, initial={"actual_start": project.actual_start, "actual_completion": project.actual_completion})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            updated = services.project_set_dates(actor=request.user, project=project, actual_start=d.get("actual_start"),
                                                 actual_completion=d.get("actual_completion"))
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存实际日期；项目当前阶段：%(stage)s") % {"stage": Stage(updated.stage).label})
            return redirect("projects_projects:detail", project_id=project.pk)
    return render(request, "projects/projects/dates.html", {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def project_stage(request, project_id: int):
    """Move the project to its next stage (or back to the reserve), showing what the next stage still needs."""
    project = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    targets = move_targets(project)
    form = ProjectStageForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            moved = project_stage_set(actor=request.user, project=project, to_stage=d["to_stage"], on=d["on"], note=d.get("note") or "")
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("项目已转入“%(stage)s”阶段") % {"stage": Stage(moved.stage).label})
            return redirect("projects_projects:detail", project_id=project.pk)
    following, problems = next_stage_problems(project)
    options = [{"stage": s, "label": Stage(s).label, "problems": problems if s == following else stage_problems(project, s)} for s in targets]
    return render(request, "projects/projects/stage.html", {"form": form, "project": project, "options": options,
                                                            "next_stage": following, "stage_problems": problems})


@login_required
def project_detail(request, project_id: int):
    project = access_project(request.user, project_id)
    data = project_page_data(request.user, project)
    data["investment_wan"] = wan_text(project.planned_investment, 6).rstrip("0").rstrip(".")
    data["investment_yuan"] = fen_text(project.planned_investment)
    return render(request, "projects/projects/detail.html", data)


# --- vocabularies --------------------------------------------------------------------------------------------------

def _kind(request) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or Term.Kind.CATEGORY
    return kind if kind in Term.Kind.values else Term.Kind.CATEGORY


@login_required
def term_index(request):
    kind = _kind(request)
    rows = list(term_list(actor=request.user, kind=kind, perm=Perm.PROJECT_MANAGE))
    for t in rows:
        t.usage = term_services.term_usage(t)
    return render(request, "projects/projects/terms.html", {"kind": kind, "kind_label": Term.Kind(kind).label, "kinds": Term.Kind.choices,
                                                             "terms": rows})


@login_required
@require_http_methods(["GET", "POST"])
def term_create(request):
    require_perm(request.user, Perm.PROJECT_MANAGE)
    kind = _kind(request)
    form = TermForm(request.POST or None, initial={"kind": kind, "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            term = term_services.term_create(actor=request.user, **form.cleaned_data)
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加 %(name)s") % {"name": term.name})
            return redirect(f"{_terms_url()}?kind={term.kind}")
    return render(request, "projects/projects/term_form.html", {"form": form, "creating": True, "kind": kind})


def _terms_url() -> str:
    from django.urls import reverse

    return reverse("projects_projects:terms")


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request, term_id: int):
    term = access_term(request.user, term_id, perm=Perm.PROJECT_MANAGE)
    form = TermForm(request.POST or None, editing=True, initial={"kind": term.kind, "code": term.code, "name": term.name, "sort": term.sort,
                                                                  "active": term.active})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            term_services.term_update(actor=request.user, term=term, name=d["name"], sort=d.get("sort"), active=d.get("active"))
        except FORM_ERRORS as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{_terms_url()}?kind={term.kind}")
    return render(request, "projects/projects/term_form.html", {"form": form, "term": term, "kind": term.kind})


def _term_action(request, term_id: int, action) -> HttpResponse:
    term = access_term(request.user, term_id, perm=Perm.PROJECT_MANAGE)
    try:
        action(term)
    except (ValidationFailed, Conflict, NotFound) as exc:
        messages.error(request, exc.message)
    return redirect(f"{_terms_url()}?kind={term.kind}")


@login_required
@require_POST
def term_move(request, term_id: int):
    return _term_action(request, term_id, lambda t: term_services.term_move(actor=request.user, term=t,
                                                                             direction=request.POST.get("direction", "")))


@login_required
@require_POST
def term_active(request, term_id: int):
    """启用 / 停用: the posted `active` is "1" to enable, anything else disables."""
    active = request.POST.get("active") == "1"

    def act(term):
        term_services.term_update(actor=request.user, term=term, active=active)
        messages.success(request, (_("已启用 %(name)s") if active else _("已停用 %(name)s")) % {"name": term.name})

    return _term_action(request, term_id, act)


@login_required
@require_POST
def term_delete(request, term_id: int):
    def act(term):
        term_services.term_delete(actor=request.user, term=term)
        messages.success(request, _("已删除 %(name)s") % {"name": term.name})

    return _term_action(request, term_id, act)
