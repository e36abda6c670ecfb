"""Change-request pages: inbox per level, create per kind, detail with timeline and decisions, evidence,
the 公示表 with Excel/PDF download, bulk removal requests from a file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.exceptions import ApplicationError, NotFound
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.divisions.selectors import division_names
from anju.registry import posting
from anju.registry.forms_requests import (
    CREATE_FORMS,
    DecisionForm,
    EvidenceForm,
    PostingForm,
    RequestFilterForm,
    RequestImportForm,
    SplitForm,
)
from anju.registry.jobs_requests import upload_path
from anju.registry.models import ChangeRequest
from anju.registry.selectors_requests import (
    access_change_request,
    access_evidence,
    change_request_evidence,
    change_request_list,
    change_request_members,
    change_request_steps,
    request_household,
    request_person,
)
from anju.registry.services import requests as svc


def _add_error(form, exc: ApplicationError) -> None:
    field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
    for name in (field, f"new_{field}" if field else None):
        if name and name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


@login_required
def request_index(request):
    require_perm(request.user, Perm.REGISTRY_VIEW)
    default_box = "awaiting" if request.user.can(Perm.REQUEST_DECIDE) else ("mine" if request.user.can(Perm.REQUEST_SUBMIT) else "all")
    form = RequestFilterForm(request.GET or None, initial={"box": default_box})
    filters = form.cleaned_data if form.is_valid() else {}
    box = filters.get("box") or default_box
    qs = change_request_list(actor=request.user, box=box, state=filters.get("state") or "", kind=filters.get("kind") or "",
                             program=filters.get("program") or "", division=filters.get("division") or "")
    page = paginate(request, qs)
    names = division_names([cr.division_code for cr in page])
    for cr in page:
        cr.village_name = names.get(cr.division_code, "")
        cr.awaiting = svc.LEVEL_LABELS.get(svc.awaited_level(cr), "")
    return render(request, "registry/requests/list.html", {
        "form": form, "page": page, "box": box, "can_create": request.user.can(Perm.REQUEST_SUBMIT),
        "kinds": ChangeRequest.Kind.choices,
    })


def _initial(request) -> dict:
    initial = {}
    if request.GET.get("person"):
        person = request_person(request.user, request.GET["person"])
        programs = list(person.enrolments.values_list("program", flat=True))
        initial.update(person=person.pk, id_number=person.id_masked, program=programs[0] if len(programs) == 1 else "")
    if request.GET.get("household"):
        household = request_household(request.user, request.GET["household"])
        initial.update(household=household.pk, household_number=household.number)
    if request.GET.get("program"):
        initial["program"] = request.GET["program"]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request):
    require_perm(request.user, Perm.REQUEST_SUBMIT)
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in CREATE_FORMS:
        return render(request, "registry/requests/create_pick.html", {"kinds": ChangeRequest.Kind.choices, "query": request.GET.urlencode()})
    initial = _initial(request)
    form_class = CREATE_FORMS[kind]
    form = form_class(request.POST or None, initial=initial, actor=request.user)
    subject = None
    if initial.get("person"):
        subject = request_person(request.user, initial["person"])
        form.fields["id_number"].disabled = True
    household = request_household(request.user, initial["household"]) if initial.get("household") else None
    if household is not None and "household_number" in form.fields:
        form.fields["household_number"].disabled = True
    if isinstance(form, SplitForm):
        form.set_member_choices(household)
    if request.method == "POST" and form.is_valid():
        try:
            cr = svc.change_request_create(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("申请已保存（编号 %(id)s，%(state)s）") % {"id": cr.pk, "state": cr.get_state_display()})
            return redirect("registry_requests:detail", request_id=cr.pk)
    return render(request, "registry/requests/create.html", {
        "form": form, "kind": kind, "kind_label": ChangeRequest.Kind(kind).label, "subject": subject, "household": household,
    })


@login_required
def request_detail(request, request_id: int):
    cr = access_change_request(request.user, request_id)
    names = division_names([cr.division_code])
    user = request.user
    steps = list(change_request_steps(cr))
    for step in steps:
        step.level_label = svc.LEVEL_LABELS.get(step.level, step.level)
    return render(request, "registry/requests/detail.html", {
        "cr": cr, "steps": steps, "evidence": change_request_evidence(cr),
        "village": names.get(cr.division_code, ""), "township": names.get(cr.division_code[:9].ljust(12, "0"), ""),
        "awaiting": svc.LEVEL_LABELS.get(svc.awaited_level(cr), ""), "levels": [svc.LEVEL_LABELS.get(x, x) for x in cr.levels],
        "changes": svc.display_changes(cr) if cr.kind == ChangeRequest.Kind.CORRECT else [],
        "members": change_request_members(cr),
        "can_decide": svc.can_decide(user, cr),
        "can_submit": cr.state == ChangeRequest.State.DRAFT and cr.created_by_id == user.pk,
        "can_withdraw": cr.state in ChangeRequest.OPEN_STATES and cr.created_by_id == user.pk,
        "can_copy": cr.state in (ChangeRequest.State.REJECTED, ChangeRequest.State.WITHDRAWN) and user.can(Perm.REQUEST_SUBMIT),
        "can_upload": cr.state in ChangeRequest.OPEN_STATES and (user.can(Perm.REQUEST_SUBMIT) or user.can(Perm.REQUEST_DECIDE)),
        "decision_form": DecisionForm(), "evidence_form": EvidenceForm(),
    })


def _act(request, request_id: int, perm: str, action):
    """Run one decision on a request: permission first (403), scope (404), then the service; its errors become messages."""
    require_perm(request.user, perm)
    cr = access_change_request(request.user, request_id)
    try:
        text = action(cr)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, text)
    return redirect("registry_requests:detail", request_id=cr.pk)


def _comment(request) -> str:
    form = DecisionForm(request.POST)
    return form.cleaned_data["comment"] if form.is_valid() else ""


@login_required
@require_POST
def request_submit(request, request_id: int):
    def act(cr):
        svc.change_request_submit(actor=request.user, request=cr)
        return _("已提交审批")

    return _act(request, request_id, Perm.REQUEST_SUBMIT, act)


@login_required
@require_POST
def request_approve(request, request_id: int):
    def act(cr):
        cr = svc.change_request_approve(actor=request.user, request=cr, comment=_comment(request))
        return _("已审批通过（%(state)s）") % {"state": cr.get_state_display()}

    return _act(request, request_id, Perm.REQUEST_DECIDE, act)


@login_required
@require_POST
def request_reject(request, request_id: int):
    def act(cr):
        svc.change_request_reject(actor=request.user, request=cr, reason=_comment(request))
        return _("已退回")

    return _act(request, request_id, Perm.REQUEST_DECIDE, act)


@login_required
@require_POST
def request_withdraw(request, request_id: int):
    def act(cr):
        svc.change_request_withdraw(actor=request.user, request=cr, comment=_comment(request))
        return _("已撤回")

    return _act(request, request_id, Perm.REQUEST_SUBMIT, act)


@login_required
@require_POST
def request_copy(request, request_id: int):
    require_perm(request.user, Perm.REQUEST_SUBMIT)
    cr = access_change_request(request.user, request_id)
    try:
        new = svc.change_request_copy(actor=request.user, request=cr)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("registry_requests:detail", request_id=cr.pk)
    messages.success(request, _("已复制为新申请（草稿），补充材料后提交"))
    return redirect("registry_requests:detail", request_id=new.pk)


def _require_upload_perm(user) -> None:
    if not (user.can(Perm.REQUEST_SUBMIT) or user.can(Perm.REQUEST_DECIDE)):
        require_perm(user, Perm.REQUEST_SUBMIT)


@login_required
@require_POST
def evidence_upload(request, request_id: int):
    _require_upload_perm(request.user)
    cr = access_change_request(request.user, request_id)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("registry_requests:detail", request_id=cr.pk)
    upload = form.cleaned_data["file"]
    try:
        svc.evidence_add(actor=request.user, request=cr, name=upload.name, data=svc.read_upload(upload))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("附件已上传"))
    return redirect("registry_requests:detail", request_id=cr.pk)


@login_required
def evidence_download(request, request_id: int, evidence_id: int):
    evidence = access_evidence(request.user, request_id, evidence_id)
    path = svc.evidence_open(actor=request.user, evidence=evidence)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=evidence.original_name,  # noqa: SIM115 (FileResponse closes it)
                        content_type=evidence.content_type)


@login_required
def posting_index(request):
    require_perm(request.user, Perm.REGISTRY_VIEW)
    form = PostingForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    table = None
    try:
        table = posting.posting_table(actor=request.user, scope=filters.get("scope") or "", program=filters.get("program") or "")
    except NotFound:
        form.add_error("scope", _("该区划不在您的管辖范围内"))
    except ApplicationError as exc:
        form.add_error(None, exc.message)
    return render(request, "registry/requests/posting.html", {"form": form, "table": table, "query": request.GET.urlencode()})


@login_required
def posting_download(request):
    require_perm(request.user, Perm.REGISTRY_VIEW)
    fmt = request.GET.get("format", "xlsx")
    content, filename, content_type = posting.posting_export(actor=request.user, scope=request.GET.get("scope", ""),
                                                             program=request.GET.get("program", ""), fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def request_import(request):
    """Upload a removal list; a job checks every row and creates the requests (all or nothing)."""
    require_perm(request.user, Perm.REQUEST_SUBMIT)
    form = RequestImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = upload_path(upload.name)
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        job = job_submit(actor=request.user, kind="registry.requests_import", params={
            "path": str(path), "name": upload.name, "program": form.cleaned_data["program"], "submit": form.cleaned_data["submit"]})
        return redirect("jobs:detail", job_id=job.pk)
    return render(request, "registry/requests/import.html", {"form": form})
