"""Performance-evaluation pages: evaluations by scope and year, the per-county summary, the per-project scores, one
evaluation (self-evaluation, submit, review, send back, the Word report), the summary report, and indicator templates
(view, copy and edit, activate or deactivate)."""

from __future__ import annotations

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
from anju.core.exceptions import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from anju.core.pagination import paginate
from anju.projects import reports_evaluations as reports
from anju.projects.forms_evaluations import (
    EvaluationFilterForm,
    ScoresForm,
    SendBackForm,
    StartForm,
    SummaryFilterForm,
    SummaryReportForm,
    TemplateForm,
    score_field,
)
from anju.projects.models import Evaluation
from anju.projects.money import fen_text
from anju.projects.selectors import access_project, access_project_by_code
from anju.projects.selectors_evaluations import (
    access_evaluation,
    access_template,
    evaluation_actions,
    evaluation_annotate,
    evaluation_budget,
    evaluation_county_summary,
    evaluation_list,
    evaluation_rows,
    evaluation_scores,
    evaluation_years,
    group_totals,
    template_actions,
    template_annotate,
    template_list,
)
from anju.projects.services import evaluations as services
from anju.web.forms import form_error


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _scores_errors(form, exc: ApplicationError) -> None:
    """Each sub-indicator the service named on its own field, else the one error above the form."""
    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    if fields:
        for code, message in fields.items():
            form.add_error(score_field(code) if score_field(code) in form.fields else None, message)
    else:
        form_error(form, exc)


def _template_errors(form, exc: ApplicationError) -> None:
    problems = exc.detail.get("problems") if isinstance(exc.detail, dict) else None
    if problems:
        for p in problems:
            form.add_error(None, p["message"])
    else:
        form_error(form, exc)


# --- lists ------------------------------------------------------------------------------------------------------

@login_required
def evaluation_index(request):
    form = EvaluationFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, evaluation_list(actor=request.user, year=f.get("year"), division=f.get("division") or "",
                                             state=f.get("state") or "", grade=f.get("grade") or "", q=f.get("q") or ""))
    page.object_list = evaluation_annotate(list(page.object_list))
    return render(request, "projects/evaluations/list.html", {
        "form": form, "page": page, "can_start": request.user.can(Perm.PROJECT_EDIT), "years": evaluation_years(actor=request.user),
        "can_manage": request.user.can(Perm.PROJECT_MANAGE)})


def _default_year(actor) -> int:
    years = evaluation_years(actor=actor)
    return years[0] if years else timezone.localdate().year


@login_required
def evaluation_summary(request):
    form = SummaryFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    year = f.get("year") or _default_year(request.user)
    rows, total = evaluation_county_summary(actor=request.user, year=year, division=f.get("division") or "")
    report_form = SummaryReportForm(initial={"year": year, "scope": (f.get("division") or "")[:6]})
    return render(request, "projects/evaluations/summary.html", {
        "form": form, "year": year, "rows": rows, "total": total, "grades": Evaluation.Grade.choices, "report_form": report_form})


@login_required
def evaluation_scores_page(request):
    form = SummaryFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    year = f.get("year") or _default_year(request.user)
    columns, rows = evaluation_scores(actor=request.user, year=year, division=f.get("division") or "")
    page = paginate(request, rows)
    return render(request, "projects/evaluations/scores.html", {"form": form, "year": year, "columns": columns, "page": page})


@login_required
def evaluation_summary_report(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = SummaryReportForm(request.GET or None)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("projects_evaluations:summary")
    try:
        return _download(*reports.summary_report_export(actor=request.user, year=form.cleaned_data["year"],
                                                        scope=form.cleaned_data["scope"] or ""))
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("projects_evaluations:summary")


# --- one evaluation ---------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def evaluation_start(request):
    require_perm(request.user, Perm.PROJECT_EDIT)
    initial = {"year": timezone.localdate().year}
    project_id = request.GET.get("project_id")
    if project_id:
        initial["project"] = access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_EDIT).code
    form = StartForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            project = access_project_by_code(request.user, d["project"], kind="entry", perm=Perm.PROJECT_EDIT)
        except ApplicationError:
            form.add_error("project", _("项目编码不存在或不在您的录入范围内"))
        else:
            try:
                e = services.evaluation_start(actor=request.user, project=project, year=d["year"], template=d["template"])
            except (ValidationFailed, Conflict) as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已开始绩效评价，请填写自评得分"))
                return redirect("projects_evaluations:detail", evaluation_id=e.pk)
    return render(request, "projects/evaluations/start.html", {"form": form})


@login_required
def evaluation_detail(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id)
    money = evaluation_budget(e)
    return render(request, "projects/evaluations/detail.html", {
        "e": e, "rows": evaluation_rows(e, money), "groups": group_totals(e), "money": money, "actions": evaluation_actions(request.user, e),
        "send_back_form": SendBackForm(), "rate_percent": reports.percent_text(money.rate), "allocated_text": fen_text(money.allocated),
        "paid_text": fen_text(money.paid)})


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_self(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id, kind="entry", perm=Perm.PROJECT_EDIT)
    money = evaluation_budget(e)
    initial = {score_field(code): value for code, value in e.self_scores.items()} | {"comment": e.self_comment}
    form = ScoresForm(request.POST or None, evaluation=e, initial=initial, comment_label=_("自评说明"), suggestion=money.suggestion)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_self_scores(actor=request.user, evaluation=e, scores=form.scores(), comment=form.cleaned_data["comment"],
                                            replace=True)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("projects_evaluations:detail", evaluation_id=e.pk)
        except ValidationFailed as exc:
            _scores_errors(form, exc)
        else:
            if request.POST.get("then") == "submit":
                try:
                    services.evaluation_submit(actor=request.user, evaluation=e)
                except (ValidationFailed, Conflict) as exc:
                    messages.error(request, exc.message)
                    return redirect("projects_evaluations:self", evaluation_id=e.pk)
                messages.success(request, _("自评已提交，等待市级复核"))
            else:
                messages.success(request, _("自评得分已保存"))
            return redirect("projects_evaluations:detail", evaluation_id=e.pk)
    return render(request, "projects/evaluations/scores_form.html", {
        "e": e, "form": form, "money": money, "suggestion": money.suggestion, "reviewing": False,
        "rate_percent": reports.percent_text(money.rate)})


@login_required
@require_POST
def evaluation_submit(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id, kind="entry", perm=Perm.PROJECT_EDIT)
    try:
        services.evaluation_submit(actor=request.user, evaluation=e)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("自评已提交，等待市级复核"))
    return redirect("projects_evaluations:detail", evaluation_id=e.pk)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_review(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id, kind="entry", perm=Perm.PROJECT_REVIEW)
    if e.state != Evaluation.State.SUBMITTED:
        messages.error(request, str(services.MSG_REVIEW_STATE))
        return redirect("projects_evaluations:detail", evaluation_id=e.pk)
    if e.submitted_by_id == request.user.pk:
        raise PermissionDenied(services.MSG_REVIEWER_IS_SUBMITTER, code="evaluation_four_eyes")
    money = evaluation_budget(e)
    initial = {score_field(code): value for code, value in e.self_scores.items()}
    form = ScoresForm(request.POST or None, evaluation=e, initial=initial, comment_label=_("复核意见"))
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_review(actor=request.user, evaluation=e, scores=form.scores(), comment=form.cleaned_data["comment"])
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("projects_evaluations:detail", evaluation_id=e.pk)
        except ValidationFailed as exc:
            _scores_errors(form, exc)
        else:
            e.refresh_from_db()
            messages.success(request, _("已复核：%(total)s 分，等级“%(grade)s”") % {"total": e.review_total, "grade": e.get_grade_display()})
            return redirect("projects_evaluations:detail", evaluation_id=e.pk)
    return render(request, "projects/evaluations/scores_form.html", {
        "e": e, "form": form, "money": money, "suggestion": {}, "reviewing": True, "rate_percent": reports.percent_text(money.rate),
        "thresholds": services.GRADE_THRESHOLDS})


@login_required
@require_POST
def evaluation_send_back(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id, kind="entry", perm=Perm.PROJECT_REVIEW)
    form = SendBackForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.evaluation_send_back(actor=request.user, evaluation=e, reason=reason)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已退回县级修改"))
    return redirect("projects_evaluations:detail", evaluation_id=e.pk)


@login_required
def evaluation_report(request, evaluation_id: int):
    e = access_evaluation(request.user, evaluation_id)
    return _download(*reports.evaluation_report_export(actor=request.user, evaluation=e))


# --- templates --------------------------------------------------------------------------------------------------

@login_required
def template_index(request):
    templates = template_annotate(list(template_list(actor=request.user)))
    return render(request, "projects/evaluations/templates.html", {"templates": templates,
                                                                   "can_manage": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
def template_detail(request, template_id: int):
    template = access_template(request.user, template_id)
    return render(request, "projects/evaluations/template.html", {
        "template": template, "actions": template_actions(request.user, template),
        "rows": [(g, i, n == 0, len(g["items"])) for g in template.indicators for n, i in enumerate(g["items"])]})


@login_required
@require_http_methods(["GET", "POST"])
def template_copy(request, template_id: int):
    source = access_template(request.user, template_id, perm=Perm.PROJECT_MANAGE)
    form = TemplateForm(request.POST or None, indicators=source.indicators,
                        initial={"name": (_("%(name)s（副本）") % {"name": source.name})[:100]})
    if request.method == "POST" and form.is_valid():
        try:
            template = services.evaluation_template_create(actor=request.user, name=form.cleaned_data["name"], indicators=form.indicators(),
                                                           source=source)
        except ValidationFailed as exc:
            _template_errors(form, exc)
        else:
            messages.success(request, _("已创建新模板（未启用），核对后请启用"))
            return redirect("projects_evaluations:template", template_id=template.pk)
    return render(request, "projects/evaluations/template_form.html", {"form": form, "source": source, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    template = access_template(request.user, template_id, perm=Perm.PROJECT_MANAGE)
    if services.template_in_use(template):
        messages.error(request, str(services.MSG_TEMPLATE_IN_USE))
        return redirect("projects_evaluations:template", template_id=template.pk)
    form = TemplateForm(request.POST or None, indicators=template.indicators, initial={"name": template.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_template_update(actor=request.user, template=template, name=form.cleaned_data["name"],
                                                indicators=form.indicators())
        except ValidationFailed as exc:
            _template_errors(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("projects_evaluations:template", template_id=template.pk)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_evaluations:template", template_id=template.pk)
    return render(request, "projects/evaluations/template_form.html", {"form": form, "template": template})


def _set_active(request, template_id: int, active: bool):
    template = access_template(request.user, template_id, perm=Perm.PROJECT_MANAGE)
    try:
        services.evaluation_template_set_active(actor=request.user, template=template, active=active)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用") if active else _("已停用"))
    return redirect("projects_evaluations:template", template_id=template.pk)


@login_required
@require_POST
def template_activate(request, template_id: int):
    return _set_active(request, template_id, True)


@login_required
@require_POST
def template_deactivate(request, template_id: int):
    return _set_active(request, template_id, False)
