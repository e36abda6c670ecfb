"""Pages of quality and safety inspections, rectification, acceptance, audit and the project archive."""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.exceptions import ApplicationError
from anju.core.pagination import paginate
from anju.core.uploads import read_upload
from anju.projects import forms_inspections as forms
from anju.projects import selectors_inspections as sel
from anju.projects.models import Rectification, Stage
from anju.projects.money import wan_text
from anju.projects.selectors import access_project
from anju.projects.services import archives
from anju.projects.services import inspections as svc
from anju.web.forms import form_error


def _require_any(user, *perms) -> None:
    if not any(user.can(p) for p in perms):
        require_perm(user, perms[0])


def _can_write(user, project, *perms) -> bool:
    return any(user.can(p) for p in perms) and in_scope(user, project.division_code, "entry")


# --- the quality page -------------------------------------------------------------------------------------------

@login_required
def project_quality(request, project_id: int):
    project = access_project(request.user, project_id)
    record = sel.project_quality(actor=request.user, project=project)
    for a in record.audits:
        a.amount_wan = wan_text(a.amount_audited) if a.amount_audited is not None else ""
    can_inspect = _can_write(request.user, project, Perm.PROJECT_INSPECT)
    return render(request, "projects/inspections/quality.html", {
        "project": project, "record": record, "can_inspect": can_inspect,
        "can_close": _can_write(request.user, project, Perm.PROJECT_INSPECT, Perm.PROJECT_EDIT) and project.stage != Stage.ARCHIVED,
        "can_accept": can_inspect and project.stage in (Stage.COMPLETED, Stage.ACCEPTED, Stage.AUDITED, Stage.EVALUATED, Stage.ARCHIVED),
        "can_audit": can_inspect and project.stage not in (Stage.RESERVE, Stage.APPLIED, Stage.REVIEWING)})


def _findings_page(request, template: str, project, form, formset, **extra):
    return render(request, template, {"project": project, "form": form, "formset": formset, **extra})


def _entry_project(request, project_id: int, *perms):
    _require_any(request.user, *perms)
    return access_project(request.user, project_id, kind="entry", perm=Perm.PROJECT_VIEW)


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request, project_id: int):
    project = _entry_project(request, project_id, Perm.PROJECT_INSPECT)
    form = forms.InspectionForm(request.POST or None, initial={"on": dt.date.today()})
    formset = forms.finding_formset(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            inspection = svc.inspection_create(actor=request.user, project=project, findings=formset.rows(), **form.cleaned_data)
        except ApplicationError as exc:
            _findings_error(form, exc)
        else:
            messages.success(request, _("已登记检查记录，整改事项 %(n)s 项") % {"n": inspection.findings.count()})
            return redirect("projects_inspections:project", project_id=project.pk)
    return _findings_page(request, "projects/inspections/inspection_form.html", project, form, formset)


def _report(upload) -> dict:
    """The optional report file of an acceptance or audit form as service arguments."""
    if not upload:
        return {}
    return {"report_name": upload.name, "report_data": read_upload(upload, archives.MAX_ARCHIVE_BYTES)}


def _findings_error(form, exc) -> None:
    """A service error on the main form (a file problem on the report field); a list of finding problems as one line
    each, naming the row."""
    if isinstance(exc.detail, dict) and exc.detail.get("field") == "file" and "report" in form.fields:
        form.add_error("report", exc.message)
    elif isinstance(exc.detail, list):
        form.add_error(None, exc.message)
        for p in exc.detail:
            form.add_error(None, _("整改事项第 %(row)s 行：%(message)s") % p)
    else:
        form_error(form, exc)


PARENTS = {"inspection": sel.access_inspection, "acceptance": sel.access_acceptance, "audit": sel.access_audit}


@login_required
@require_http_methods(["GET", "POST"])
def finding_new(request, source: str, parent_id: int):
    require_perm(request.user, Perm.PROJECT_INSPECT)
    if source not in PARENTS:
        raise Http404()
    parent = PARENTS[source](request.user, parent_id, kind="entry")
    project = parent.project
    form = forms.FindingForm(request.POST or None, project=project, initial={"deadline": parent.on + dt.timedelta(days=30)})
    if request.method == "POST" and form.is_valid():
        try:
            svc.finding_add(actor=request.user, finding=svc.FindingData(**form.data_row()), **{source: parent})
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加整改事项"))
            return redirect("projects_inspections:project", project_id=project.pk)
    return render(request, "projects/inspections/finding_form.html", {"project": project, "form": form, "parent": parent, "source": source})


@login_required
@require_http_methods(["GET", "POST"])
def rectification_close(request, rectification_id: int):
    _require_any(request.user, Perm.PROJECT_INSPECT, Perm.PROJECT_EDIT)
    r = sel.access_rectification(request.user, rectification_id, kind="entry")
    form = forms.CloseForm(request.POST or None, request.FILES or None, initial={"closed_on": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            svc.rectification_close(actor=request.user, rectification=r, closing_note=form.cleaned_data["closing_note"],
                                    closed_on=form.cleaned_data["closed_on"], evidence_name=upload.name,
                                    evidence_data=read_upload(upload, archives.MAX_ARCHIVE_BYTES), evidence_title=form.cleaned_data["title"])
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("整改事项已销号，佐证材料已存入项目档案"))
            return redirect("projects_inspections:project", project_id=r.project_id)
    sel.with_days_overdue([r], dt.date.today())
    return render(request, "projects/inspections/close_form.html", {"project": r.project, "r": r, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def acceptance_new(request, project_id: int):
    project = _entry_project(request, project_id, Perm.PROJECT_INSPECT)
    form = forms.AcceptanceForm(request.POST or None, request.FILES or None, initial={"on": dt.date.today(), "conclusion": "passed"})
    formset = forms.finding_formset(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("report")
        try:
            svc.acceptance_create(actor=request.user, project=project, findings=formset.rows(), **data, **_report(upload))
        except ApplicationError as exc:
            _findings_error(form, exc)
        else:
            messages.success(request, _("已登记验收"))
            return redirect("projects_inspections:project", project_id=project.pk)
    return _findings_page(request, "projects/inspections/acceptance_form.html", project, form, formset)


@login_required
@require_http_methods(["GET", "POST"])
def audit_new(request, project_id: int):
    project = _entry_project(request, project_id, Perm.PROJECT_INSPECT)
    form = forms.AuditForm(request.POST or None, request.FILES or None, initial={"on": dt.date.today()})
    formset = forms.finding_formset(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            svc.audit_create(actor=request.user, project=project, on=data["on"], auditor=data["auditor"], amount_audited=data["amount_audited"],
                             summary=data["summary"], findings=formset.rows(), **_report(data["report"]))
        except ApplicationError as exc:
            field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
            if field in ("amount_audited", "file"):
                form.add_error("amount" if field == "amount_audited" else "report", exc.message)
            else:
                _findings_error(form, exc)
        else:
            messages.success(request, _("已登记审计"))
            return redirect("projects_inspections:project", project_id=project.pk)
    return _findings_page(request, "projects/inspections/audit_form.html", project, form, formset)


# --- scope lists ------------------------------------------------------------------------------------------------

@login_required
def rectification_index(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = forms.RectificationFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    state = f.get("state") or ""
    today = dt.date.today()
    qs = sel.rectification_list(actor=request.user, state="" if state == "overdue" else state, overdue=state == "overdue",
                                division=f.get("division") or "", q=f.get("q") or "", source=f.get("source") or "", today=today)
    page = paginate(request, qs)
    sel.with_days_overdue(page.object_list, today)
    overdue_count = sel.rectification_list(actor=request.user, overdue=True, today=today).count()
    open_count = sel.rectification_list(actor=request.user, state=Rectification.State.OPEN, today=today).count()
    return render(request, "projects/inspections/rectifications.html", {"form": form, "page": page, "overdue_count": overdue_count,
                                                                         "open_count": open_count})


@login_required
def completeness_index(request):
    require_perm(request.user, Perm.PROJECT_VIEW)
    form = forms.CompletenessFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    filters = {"division": f.get("division") or "", "year": f.get("year"), "program": f.get("program") or ""}
    rows = sel.archive_completeness_by_county(actor=request.user, **filters)
    page = paginate(request, sel.archive_completeness_projects(actor=request.user, **filters))
    figures = sel.completeness_of(page.object_list)
    return render(request, "projects/inspections/completeness.html", {
        "form": form, "counties": rows[:-1], "total": rows[-1], "page": page, "figures": figures})


# --- the archive ------------------------------------------------------------------------------------------------

def _archive_page(request, project, upload_form=None, status: int = 200):
    st = sel.archive_status(actor=request.user, project=project)
    can_upload = _can_write(request.user, project, Perm.PROJECT_EDIT, Perm.PROJECT_INSPECT) and project.stage != Stage.ARCHIVED
    for d in st.documents:
        d.deletable = can_upload and archives.can_delete(request.user, d)
    doc_types = sel.document_type_list(actor=request.user, active_only=True)
    return render(request, "projects/inspections/archive.html", {
        "project": project, "st": st, "can_upload": can_upload,
        "upload_form": upload_form or forms.UploadForm(doc_types=doc_types, initial={"doc_type": request.GET.get("type", "")}),
        "delete_form": forms.DeleteForm()}, status=status)


@login_required
def archive(request, project_id: int):
    project = access_project(request.user, project_id)
    return _archive_page(request, project)


@login_required
@require_POST
def document_upload(request, project_id: int):
    _require_any(request.user, Perm.PROJECT_EDIT, Perm.PROJECT_INSPECT)
    project = access_project(request.user, project_id, kind="entry")
    form = forms.UploadForm(request.POST, request.FILES, doc_types=sel.document_type_list(actor=request.user, active_only=True))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            doc = archives.document_upload(actor=request.user, project=project, name=upload.name,
                                           data=read_upload(upload, archives.MAX_ARCHIVE_BYTES), doc_type=form.cleaned_data["doc_type"],
                                           title=form.cleaned_data["title"])
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已上传 %(name)s") % {"name": doc.original_name})
            return redirect("projects_inspections:archive", project_id=project.pk)
    return _archive_page(request, project, upload_form=form)


@login_required
def document_download(request, document_id: int):
    doc = sel.access_document(request.user, document_id)
    path = archives.document_open(actor=request.user, document=doc)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=doc.original_name,  # noqa: SIM115 (FileResponse closes it)
                        content_type=doc.content_type)


@login_required
@require_POST
def document_delete(request, document_id: int):
    _require_any(request.user, Perm.PROJECT_EDIT, Perm.PROJECT_INSPECT)
    doc = sel.access_document(request.user, document_id, kind="entry")
    form = forms.DeleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, archives.MSG_REASON_REQUIRED)
    else:
        try:
            archives.document_delete(actor=request.user, document=doc, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已删除 %(name)s") % {"name": doc.original_name})
    return redirect("projects_inspections:archive", project_id=doc.project_id)


@login_required
def archive_package(request, project_id: int):
    project = access_project(request.user, project_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it; the file vanishes when closed)
    try:
        archives.archive_package_write(actor=request.user, project=project, out=out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=archives.package_filename(project), content_type="application/zip")


# --- the checklist ----------------------------------------------------------------------------------------------

@login_required
def checklist(request):
    types = sel.document_type_list(actor=request.user)
    for t in types:
        t.stage_label = Stage(t.stage).label
    return render(request, "projects/inspections/checklist.html", {"types": types, "can_manage": request.user.can(Perm.PROJECT_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def checklist_new(request):
    require_perm(request.user, Perm.PROJECT_MANAGE)
    form = forms.DocumentTypeForm(request.POST or None, initial={"required": True, "stage": Stage.IMPLEMENTING})
    if request.method == "POST" and form.is_valid():
        try:
            t = archives.document_type_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加档案材料 %(name)s") % {"name": t.name})
            return redirect("projects_inspections:checklist")
    return render(request, "projects/inspections/checklist_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request, type_id: int):
    require_perm(request.user, Perm.PROJECT_MANAGE)
    t = sel.access_document_type(request.user, type_id)
    form = forms.DocumentTypeForm(request.POST or None, initial=forms.DocumentTypeForm.initial_from(t), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            archives.document_type_update(actor=request.user, doc_type=t, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("projects_inspections:checklist")
    return render(request, "projects/inspections/checklist_form.html", {"form": form, "doc_type": t})
