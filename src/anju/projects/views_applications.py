"""Planning pages: five-year plans (list, form, target grid, projects, execution report and its Excel), guidelines (list,
form, publish, close, ranking and its Excel) and applications (list, form with the live completeness list, submit,
review, score, approve, return, reject)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.pagination import paginate
from anju.projects.forms_applications import (
    ApplicationFilterForm,
    ApplicationForm,
    GuidelineFilterForm,
    GuidelineForm,
    PlanFilterForm,
    PlanForm,
    PlanTargetsForm,
    ReasonForm,
    ScoreForm,
)
from anju.projects.models import Application, DocumentType, Program, Term
from anju.projects.money import fen_text, wan_text
from anju.projects.reports_applications import XLSX, plan_execution_xlsx, ranking_xlsx
from anju.projects.selectors import access_project, term_names, terms
from anju.projects.selectors_applications import (
    access_application,
    access_guideline,
    application_actions,
    application_annotate,
    application_list,
    application_reviews,
    guideline_actions,
    guideline_annotate,
    guideline_list,
    ranking,
    reserve_projects,
)
from anju.projects.selectors_plans import (
    ACHIEVED_STAGES,
    access_plan,
    plan_actions,
    plan_annotate,
    plan_candidates,
    plan_division_choices,
    plan_execution,
    plan_list,
    plan_project_list,
    plan_target_grid,
)
from anju.projects.services import applications as app_services
from anju.projects.services import applications_guidelines as guideline_services
from anju.projects.services import plans as plan_services
from anju.web.forms import form_error

RESERVE_CHOICES_LIMIT = 1000


def _wan(fen: int | None) -> str:
    return wan_text(fen or 0)


def _pct(rate) -> str:
    return "—" if rate is None else f"{(rate * 100).quantize(Decimal('0.1'))}%"


def _exec_row(row) -> dict:
    """An execution report row with its figures as text for the page (万元, percentages)."""
    return {**row.as_dict(), "target_investment_text": _wan(row.target_investment), "investment_text": _wan(row.investment),
            "project_rate_text": _pct(row.project_rate), "investment_rate_text": _pct(row.investment_rate)}


def _project_rows(projects) -> list:
    names = term_names(Term.Kind.CATEGORY)
    projects = list(projects)
    for p in projects:
        p.category_name = names.get(p.category, p.category)
        p.planned_text = _wan(p.planned_investment)
        p.achieved = p.stage in ACHIEVED_STAGES
    return projects


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _act(request, action, success: str, target):
    """Run a state change; a state conflict, a missing reason or a failed rule is a message on the page it came from.
    403 and 404 stay errors."""
    try:
        action()
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
        for item in (exc.detail if isinstance(exc.detail, list) else [])[:20]:
            messages.error(request, f"{item.get('label') or item.get('code') or item.get('row', '')}：{item.get('reason') or item.get('message', '')}")
    else:
        messages.success(request, success)
    return target


def _change(request, name: str, obj, service, success: str):
    """A POSTed state change of a plan, guideline or application (`name`), `service(actor=, <name>=obj)`; the outcome is
    a message on its detail page."""
    return redirect(_act(request, lambda: service(actor=request.user, **{name: obj}), success, f"projects_applications:{name}_detail"),
                    **{f"{name}_id": obj.pk})


def _delete(request, name: str, obj, service, success: str):
    """Delete a draft plan, guideline or application (`name`) through `service(actor=, <name>=obj)`: done, its list page;
    refused (a Conflict), a message on its detail page."""
    try:
        service(actor=request.user, **{name: obj})
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(f"projects_applications:{name}_detail", **{f"{name}_id": obj.pk})
    messages.success(request, success)
    return redirect(f"projects_applications:{name}_list")


# --- plans ----------------------------------------------------------------------------------------------------

@login_required
def plan_index(request):
    form = PlanFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, plan_list(actor=request.user, state=filters.get("state") or "", q=filters.get("q") or ""))
    page.object_list = plan_annotate(page.object_list)
    for p in page.object_list:
        p.target_investment_text = _wan(p.target_investment)
    return render(request, "projects/applications/plan_list.html", {
        "form": form, "page": page, "can_create": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    require_perm(request.user, Perm.PROJECT_MANAGE)
    divisions = plan_division_choices(request.user)
    form = PlanForm(request.POST or None, divisions=divisions, initial={"division_code": divisions[0][0] if divisions else ""})
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_services.plan_create(actor=request.user, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已创建规划：%(name)s") % {"name": plan.name})
            return redirect("projects_applications:plan_detail", plan_id=plan.pk)
    return render(request, "projects/applications/plan_form.html", {"form": form, "creating": True})


def _plan_for_change(request, plan_id: int):
    """The plan, for a page that changes it: 404 out of the view scope, 403 without PROJECT_MANAGE, 404 out of the entry
    scope (a county reading its city's plan)."""
    plan = access_plan(request.user, plan_id)
    require_perm(request.user, Perm.PROJECT_MANAGE)
    if not in_scope(request.user, plan.division_code, "entry"):
        raise NotFound()
    return plan


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, plan_id: int):
    plan = _plan_for_change(request, plan_id)
    form = PlanForm(request.POST or None, divisions=plan_division_choices(request.user), initial=PlanForm.initial_from(plan))
    if request.method == "POST" and form.is_valid():
        try:
            plan_services.plan_update(actor=request.user, plan=plan, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_applications:plan_detail", plan_id=plan.pk)
    return render(request, "projects/applications/plan_form.html", {"form": form, "plan": plan})


@login_required
def plan_detail(request, plan_id: int):
    plan = access_plan(request.user, plan_id)
    plan_annotate([plan])
    plan.target_investment_text = _wan(plan.target_investment)
    grid = plan_target_grid(request.user, plan)
    for row in grid["rows"]:
        row["text"] = _wan(row["investment"])
        for cell in row["cells"]:
            cell["text"] = _wan(cell["investment"])
    page = paginate(request, plan_project_list(request.user, plan))
    page.object_list = _project_rows(page.object_list)
    return render(request, "projects/applications/plan_detail.html", {
        "plan": plan, "actions": plan_actions(request.user, plan), "grid": grid, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def plan_targets(request, plan_id: int):
    plan = _plan_for_change(request, plan_id)
    grid = plan_target_grid(request.user, plan)
    form = PlanTargetsForm(request.POST or None, grid=grid)
    if request.method == "POST" and form.is_valid():
        try:
            plan_services.plan_targets_set(actor=request.user, plan=plan, rows=form.cleaned_data["rows"])
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
            for item in exc.detail if isinstance(exc.detail, list) else []:
                form.add_error(None, item["message"])
        else:
            messages.success(request, _("已保存规划目标"))
            return redirect("projects_applications:plan_detail", plan_id=plan.pk)
    return render(request, "projects/applications/plan_targets.html", {"plan": plan, "form": form, "table": form.table(),
                                                                        "categories": grid["categories"]})


@login_required
@require_http_methods(["GET", "POST"])
def plan_assign(request, plan_id: int):
    plan = _plan_for_change(request, plan_id)
    if request.method == "POST":
        ids = request.POST.getlist("project")
        try:
            n = plan_services.plan_projects_add(actor=request.user, plan=plan, project_ids=ids)
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, exc.message)
            for item in exc.detail if isinstance(exc.detail, list) else []:
                messages.error(request, f"{item.get('code')}：{item.get('reason')}")
        else:
            messages.success(request, _("已纳入规划 %(n)s 个项目") % {"n": n})
            return redirect("projects_applications:plan_detail", plan_id=plan.pk)
    q = request.GET.get("q", "").replace("\x00", "")[:64]
    page = paginate(request, plan_candidates(request.user, plan, q=q).select_related("plan"))
    page.object_list = _project_rows(page.object_list)
    return render(request, "projects/applications/plan_assign.html", {"plan": plan, "page": page, "q": q})


@login_required
@require_POST
def plan_project_remove(request, plan_id: int, project_id: int):
    plan = _plan_for_change(request, plan_id)
    project = access_project(request.user, project_id, kind="entry")
    return redirect(_act(request, lambda: plan_services.plan_project_remove(actor=request.user, plan=plan, project=project),
                         _("已移出规划：%(code)s") % {"code": project.code}, "projects_applications:plan_detail"), plan_id=plan.pk)


@login_required
@require_POST
def plan_publish(request, plan_id: int):
    return _change(request, "plan", access_plan(request.user, plan_id), plan_services.plan_publish, _("规划已印发"))


@login_required
@require_POST
def plan_close(request, plan_id: int):
    return _change(request, "plan", access_plan(request.user, plan_id), plan_services.plan_close, _("规划已收官"))


@login_required
@require_POST
def plan_delete(request, plan_id: int):
    plan = access_plan(request.user, plan_id)
    return _delete(request, "plan", plan, plan_services.plan_delete, _("已删除规划：%(name)s") % {"name": plan.name})


def _as_of(request) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("as_of", "").strip()) if request.GET.get("as_of") else None
    except ValueError:
        return None


@login_required
def plan_report(request, plan_id: int):
    plan = access_plan(request.user, plan_id)
    report = plan_execution(actor=request.user, plan=plan, as_of=_as_of(request))
    blocks = [{"name": b.county_name, "rows": [_exec_row(r) for r in b.rows], "total": _exec_row(b.total)} for b in report.counties]
    return render(request, "projects/applications/plan_report.html", {
        "plan": plan, "report": report, "blocks": blocks, "by_category": [_exec_row(r) for r in report.by_category],
        "total": _exec_row(report.total)})


@login_required
def plan_report_export(request, plan_id: int):
    plan = access_plan(request.user, plan_id)
    report = plan_execution(actor=request.user, plan=plan, as_of=_as_of(request))
    return _download(plan_execution_xlsx(report), f"{plan.name}执行情况_{report.as_of:%Y%m%d}.xlsx")


# --- guidelines -----------------------------------------------------------------------------------------------

@login_required
def guideline_index(request):
    form = GuidelineFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = guideline_list(actor=request.user, year=filters.get("year"), state=filters.get("state") or "", q=filters.get("q") or "")
    page = paginate(request, qs)
    page.object_list = guideline_annotate(page.object_list)
    return render(request, "projects/applications/guideline_list.html", {
        "form": form, "page": page, "can_create": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def guideline_new(request):
    require_perm(request.user, Perm.PROJECT_MANAGE)
    divisions = plan_division_choices(request.user)
    form = GuidelineForm(request.POST or None, divisions=divisions, initial={"division_code": divisions[0][0] if divisions else ""})
    if request.method == "POST" and form.is_valid():
        try:
            g = guideline_services.guideline_create(actor=request.user, **form.service_data())
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存指南草稿：%(title)s") % {"title": g.title})
            return redirect("projects_applications:guideline_detail", guideline_id=g.pk)
    return render(request, "projects/applications/guideline_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def guideline_edit(request, guideline_id: int):
    g = access_guideline(request.user, guideline_id)
    require_perm(request.user, Perm.PROJECT_MANAGE)
    if not in_scope(request.user, g.division_code, "entry"):
        raise NotFound()
    form = GuidelineForm(request.POST or None, divisions=plan_division_choices(request.user), initial=GuidelineForm.initial_from(g))
    if request.method == "POST" and form.is_valid():
        try:
            guideline_services.guideline_update(actor=request.user, guideline=g, **form.service_data())
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_applications:guideline_detail", guideline_id=g.pk)
    return render(request, "projects/applications/guideline_form.html", {"form": form, "guideline": g})


@login_required
def guideline_detail(request, guideline_id: int):
    g = access_guideline(request.user, guideline_id)
    guideline_annotate([g])
    categories = term_names(Term.Kind.CATEGORY)
    programs = dict(Program.choices)
    documents = dict(DocumentType.objects.values_list("code", "name"))
    return render(request, "projects/applications/guideline_detail.html", {
        "g": g, "actions": guideline_actions(request.user, g),
        "category_names": [categories.get(c, c) for c in g.categories], "program_names": [programs.get(p, p) for p in g.programs],
        "document_names": [documents.get(d, d) for d in g.required_documents],
        "bounds": app_services.bounds_text(g),
        "state_counts": [(label, g.counts.get(code, 0)) for code, label in Application.State.choices]})


@login_required
@require_POST
def guideline_publish(request, guideline_id: int):
    return _change(request, "guideline", access_guideline(request.user, guideline_id), guideline_services.guideline_publish,
                   _("指南已发布，各县可据此申报"))


@login_required
@require_POST
def guideline_close(request, guideline_id: int):
    return _change(request, "guideline", access_guideline(request.user, guideline_id), guideline_services.guideline_close,
                   _("指南已截止，不再接受新的申报"))


@login_required
@require_POST
def guideline_delete(request, guideline_id: int):
    g = access_guideline(request.user, guideline_id)
    return _delete(request, "guideline", g, guideline_services.guideline_delete, _("已删除指南草稿：%(title)s") % {"title": g.title})


@login_required
def guideline_ranking(request, guideline_id: int):
    g = access_guideline(request.user, guideline_id)
    rows = ranking(actor=request.user, guideline=g)
    names = term_names(Term.Kind.CATEGORY)
    for a in rows:
        a.category_name = names.get(a.project.category, a.project.category)
        a.requested_text = _wan(a.requested)
    return render(request, "projects/applications/ranking.html", {"g": g, "rows": rows})


@login_required
def guideline_ranking_export(request, guideline_id: int):
    g = access_guideline(request.user, guideline_id)
    return _download(ranking_xlsx(g, ranking(actor=request.user, guideline=g)), f"{g.year}年申报评审排名.xlsx")


# --- applications ---------------------------------------------------------------------------------------------

@login_required
def application_index(request):
    form = ApplicationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = application_list(actor=request.user, year=filters.get("year"), state=filters.get("state") or "",
                          division=filters.get("division") or "", q=filters.get("q") or "")
    page = paginate(request, qs)
    page.object_list = application_annotate(page.object_list)
    for a in page.object_list:
        a.requested_text = _wan(a.requested)
    return render(request, "projects/applications/application_list.html", {
        "form": form, "page": page, "can_create": request.user.can(Perm.PROJECT_EDIT)})


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request):
    require_perm(request.user, Perm.PROJECT_EDIT)
    projects = list(reserve_projects(request.user)[:RESERVE_CHOICES_LIMIT])
    initial = {"project": request.GET.get("project")} if str(request.GET.get("project", "")).isdigit() else {}
    form = ApplicationForm(request.POST or None, projects=projects, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        project = access_project(request.user, d["project"], kind="entry", perm=Perm.PROJECT_EDIT)
        try:
            a = app_services.application_create(actor=request.user, project=project, requested_by_source=d["requested_by_source"],
                                                justification=d["justification"])
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存申报草稿，请对照检查清单补齐后提交"))
            return redirect("projects_applications:application_detail", application_id=a.pk)
    return render(request, "projects/applications/application_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request, application_id: int):
    a = access_application(request.user, application_id)
    require_perm(request.user, Perm.PROJECT_EDIT)
    if not in_scope(request.user, a.division_code, "entry"):
        raise NotFound()
    form = ApplicationForm(request.POST or None, initial=ApplicationForm.initial_from(a))
    if request.method == "POST" and form.is_valid():
        try:
            app_services.application_update(actor=request.user, application=a, requested_by_source=form.cleaned_data["requested_by_source"],
                                            justification=form.cleaned_data["justification"])
        except (ValidationFailed, Conflict) as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_applications:application_detail", application_id=a.pk)
    return render(request, "projects/applications/application_form.html", {"form": form, "application": a,
                                                                            "checks": app_services.application_checks(a)})


@login_required
def application_detail(request, application_id: int):
    a = access_application(request.user, application_id)
    application_annotate([a])
    actions = application_actions(request.user, a)
    live = a.state in app_services.EDITABLE_STATES
    checks = app_services.application_checks(a) if live else a.checks
    sources = term_names(Term.Kind.FUND_SOURCE)
    reviews = application_reviews(request.user, a)
    mine = next((r for r in reviews if r.reviewer_id == request.user.pk), None)
    return render(request, "projects/applications/application_detail.html", {
        "a": a, "p": a.project, "g": a.guideline, "actions": actions, "checks": checks, "live": live,
        "failing": [c for c in checks if not c["ok"]],
        "sources": [(sources.get(code, code), fen_text(fen)) for code, fen in (a.requested_by_source or {}).items()],
        "requested_text": fen_text(a.requested), "planned_text": fen_text(a.project.planned_investment),
        "category": term_names(Term.Kind.CATEGORY).get(a.project.category, a.project.category),
        "program": dict(Program.choices).get(a.project.program, a.project.program),
        "reviews": reviews, "score_form": ScoreForm(initial={"score": mine.score, "comment": mine.comment} if mine else None),
        "reason_form": ReasonForm(), "fund_sources": terms(Term.Kind.FUND_SOURCE)})


def _app_action(request, application_id: int, perm: str, call, success: str):
    a = access_application(request.user, application_id)
    require_perm(request.user, perm)
    target = "projects_applications:application_detail"
    try:
        call(a)
    except (Conflict, ValidationFailed, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied) and exc.code == PermissionDenied.code:
            raise
        messages.error(request, exc.message)
        for item in (exc.detail if isinstance(exc.detail, list) else [])[:20]:
            messages.error(request, f"{item.get('label', '')}：{item.get('reason', '')}")
    else:
        messages.success(request, success)
    return redirect(target, application_id=a.pk)


@login_required
@require_POST
def application_submit(request, application_id: int):
    return _app_action(request, application_id, Perm.PROJECT_EDIT,
                       lambda a: app_services.application_submit(actor=request.user, application=a), _("已提交申报，项目进入“申报”阶段"))


@login_required
@require_POST
def application_start_review(request, application_id: int):
    return _app_action(request, application_id, Perm.PROJECT_REVIEW,
                       lambda a: app_services.application_review_start(actor=request.user, application=a), _("已开始评审"))


@login_required
@require_POST
def application_score(request, application_id: int):
    form = ScoreForm(request.POST)

    def score(a):
        if not form.is_valid():
            raise ValidationFailed(app_services.MSG_SCORE_RANGE, detail={"field": "score"})
        app_services.application_score(actor=request.user, application=a, score=form.cleaned_data["score"],
                                       comment=form.cleaned_data.get("comment") or "")

    return _app_action(request, application_id, Perm.PROJECT_REVIEW, score, _("已保存评分，排名已更新"))


@login_required
@require_POST
def application_approve(request, application_id: int):
    return _app_action(request, application_id, Perm.PROJECT_REVIEW,
                       lambda a: app_services.application_approve(actor=request.user, application=a), _("已批准立项"))


@login_required
@require_POST
def application_return(request, application_id: int):
    reason = request.POST.get("reason", "")
    return _app_action(request, application_id, Perm.PROJECT_REVIEW,
                       lambda a: app_services.application_return(actor=request.user, application=a, reason=reason),
                       _("已退回县级修改，项目回到储备库"))


@login_required
@require_POST
def application_reject(request, application_id: int):
    reason = request.POST.get("reason", "")
    return _app_action(request, application_id, Perm.PROJECT_REVIEW,
                       lambda a: app_services.application_reject(actor=request.user, application=a, reason=reason),
                       _("已确定为未入选，项目回到储备库"))


@login_required
@require_POST
def application_delete(request, application_id: int):
    a = access_application(request.user, application_id)
    require_perm(request.user, Perm.PROJECT_EDIT)
    return _delete(request, "application", a, app_services.application_delete, _("已删除申报草稿"))
