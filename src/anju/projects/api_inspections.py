"""Projects API of the inspections area: inspections and their findings, rectification (list, overdue, close with an
evidence file), acceptance and audit (with the stage moves they cause), and the archive (checklist, uploads checked by
content, audited downloads and deletions, completeness per project and per county, the archive package)."""

import datetime as dt
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import FileResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.api_base import TokenAuth as _TokenAuth
from anju.core.api_base import VerifiedSessionAuth as _SessionAuth
from anju.core.exceptions import ValidationFailed
from anju.core.uploads import read_upload
from anju.projects import selectors_inspections as sel
from anju.projects.models import Term
from anju.projects.money import YUAN, AmountError, to_fen, yuan_text
from anju.projects.selectors import access_project, term_names
from anju.projects.services import archives
from anju.projects.services import inspections as svc

router = Router(tags=["projects-inspections"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
AMOUNT = r"^\d{1,13}(\.\d{1,2})?$"
DIVISION = r"^\d{2,12}$"
StageCode = Literal["reserve", "applied", "reviewing", "approved", "implementing", "completed", "accepted", "audited", "evaluated",
                    "archived"]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Short = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]
Long = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=5000)]
Required = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=200)]

MSG_FILE_REQUIRED = svc.MSG_EVIDENCE_REQUIRED


def _auth_any(*perms: str) -> list:
    """Bearer token or session, answering 403 before a (multipart) body is parsed to a user whose role holds none of
    `perms` (core.api_base.auth_requiring, for a choice of permissions)."""

    def holding(user):
        if user is not None and not any(user.can(p) for p in perms):
            require_perm(user, perms[0])
        return user

    class TokenAuth(_TokenAuth):
        def authenticate(self, request, token):
            return holding(super().authenticate(request, token))

    class VerifiedSessionAuth(_SessionAuth):  # same class names: the OpenAPI security schemes stay
        def authenticate(self, request, key):
            return holding(super().authenticate(request, key))

    return [TokenAuth(), VerifiedSessionAuth()]


UPLOAD_AUTH = _auth_any(Perm.PROJECT_EDIT, Perm.PROJECT_INSPECT)
CLOSE_AUTH = _auth_any(Perm.PROJECT_INSPECT, Perm.PROJECT_EDIT)


# --- schemas ----------------------------------------------------------------------------------------------------

class ProjectRectificationIn(Schema):
    finding: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=2000)] = Field(..., description="发现的问题")
    owner: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=50)] = Field(..., description="整改责任人")
    owner_user: Id | None = Field(None, description="责任人账号 id（选填；须能填报该项目）")
    deadline: date = Field(..., description="整改期限（不早于检查、验收或审计日期）")


class ProjectRectificationOut(Schema):
    id: int
    project_id: int
    project_code: str
    source: str
    inspection_id: int | None
    acceptance_id: int | None
    audit_id: int | None
    finding: str
    owner: str
    owner_user: str | None = Field(None, description="责任人账号（用户名）")
    deadline: date
    state: str
    days_overdue: int = Field(0, description="逾期天数（未完成且已过期限）")
    closed_on: date | None
    closing_note: str
    evidence_id: int | None = Field(None, description="整改佐证材料（档案文件 id）")
    closed_by: str | None = None

    @staticmethod
    def resolve_project_code(obj):
        return obj.project.code

    @staticmethod
    def resolve_owner_user(obj):
        return obj.owner_user.username if obj.owner_user_id else None

    @staticmethod
    def resolve_closed_by(obj):
        return obj.closed_by.username if obj.closed_by_id else None

    @staticmethod
    def resolve_days_overdue(obj):
        return getattr(obj, "days_overdue", None) or sel.days_overdue(obj, dt.date.today())


class ProjectRectificationFilter(Schema):
    state: Literal["open", "closed"] | None = Field(None, description="open 整改中 / closed 已整改")
    overdue: bool = Field(False, description="只列未完成且已过整改期限的事项")
    source: Literal["inspection", "acceptance", "audit"] | None = Field(None, description="来源：检查、验收、审计")
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀")
    project: Id | None = Field(None, description="项目 id")
    q: Text | None = Field(None, max_length=64, description="问题、责任人或项目包含")


class ProjectInspectionIn(Schema):
    kind: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")] = Field(..., description="检查类型编码（项目字典 inspection_kind）")
    on: date = Field(..., description="检查日期（不晚于今天）")
    inspectors: Required = Field(..., description="检查人员")
    summary: Long = ""
    findings: list[ProjectRectificationIn] = Field([], max_length=30)


class ProjectInspectionOut(Schema):
    id: int
    project_id: int
    kind: str
    kind_name: str = ""
    on: date
    inspectors: str
    summary: str
    created_by: str | None = None
    created_at: datetime
    findings: list[ProjectRectificationOut] = []

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_kind_name(obj):
        return term_names(Term.Kind.INSPECTION_KIND).get(obj.kind, obj.kind)

    @staticmethod
    def resolve_findings(obj):
        return _findings(obj)


class ProjectAcceptanceIn(Schema):
    on: date = Field(..., description="验收日期（不晚于今天，不早于实际完工日期）")
    conclusion: Literal["passed", "conditional", "failed"] = Field(..., description="passed 合格 / conditional 整改后合格 / failed 不合格")
    participants: Short = ""
    opinion: Long = ""
    findings: list[ProjectRectificationIn] = Field([], max_length=30)


class ProjectAcceptanceOut(Schema):
    id: int
    project_id: int
    on: date
    conclusion: str
    participants: str
    opinion: str
    project_stage: str = Field("", description="登记后项目所处阶段")
    created_by: str | None = None
    created_at: datetime
    findings: list[ProjectRectificationOut] = []

    @staticmethod
    def resolve_project_stage(obj):
        return obj.project.stage

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_findings(obj):
        return _findings(obj)


class ProjectAuditIn(Schema):
    on: date = Field(..., description="审计日期（不晚于今天）")
    auditor: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)] = Field(..., description="审计单位")
    amount_audited_yuan: str | None = Field(None, pattern=AMOUNT, description="审定金额（元）")
    summary: Long = ""
    findings: list[ProjectRectificationIn] = Field([], max_length=30)


class ProjectAuditOut(Schema):
    id: int
    project_id: int
    on: date
    auditor: str
    amount_audited_yuan: str | None = None
    summary: str
    project_stage: str = ""
    created_by: str | None = None
    created_at: datetime
    findings: list[ProjectRectificationOut] = []

    @staticmethod
    def resolve_amount_audited_yuan(obj):
        return yuan_text(obj.amount_audited) if obj.amount_audited is not None else None

    @staticmethod
    def resolve_project_stage(obj):
        return obj.project.stage

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_findings(obj):
        return _findings(obj)


class ProjectDocumentOut(Schema):
    id: int
    project_id: int
    doc_type: str | None = Field(None, description="档案清单编码；空为其他材料")
    doc_type_name: str | None = None
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None = None
    uploaded_at: datetime

    @staticmethod
    def resolve_doc_type(obj):
        return obj.doc_type.code if obj.doc_type_id else None

    @staticmethod
    def resolve_doc_type_name(obj):
        return obj.doc_type.name if obj.doc_type_id else None

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username if obj.uploaded_by_id else None


class ProjectDocumentTypeOut(Schema):
    id: int
    code: str
    name: str
    stage: str
    required: bool
    sort: int
    active: bool


class ProjectDocumentTypeIn(Schema):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)]
    stage: StageCode
    required: bool = True
    sort: int | None = Field(None, ge=0, le=32767)


class ProjectDocumentTypePatch(Schema):
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)] | None = None
    stage: StageCode | None = None
    required: bool | None = None
    sort: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None


class ProjectArchiveItemOut(Schema):
    code: str
    name: str
    stage: str
    required: bool
    active: bool
    reached: bool = Field(..., description="项目已到达该阶段")
    present: bool
    documents: list[int] = Field(..., description="该项下的档案文件 id")


class ProjectArchiveOut(Schema):
    project_id: int
    code: str
    stage: str
    present_to_date: int
    required_to_date: int
    rate_to_date: Decimal = Field(..., description="截至当前阶段的完整率（0–1）")
    present_overall: int
    required_overall: int
    rate_overall: Decimal = Field(..., description="全部阶段的完整率（0–1）")
    missing_to_date: list[str] = Field(..., description="截至当前阶段缺少的必备材料编码")
    missing_overall: list[str]
    items: list[ProjectArchiveItemOut]
    documents: list[ProjectDocumentOut]


class ProjectArchiveCountyOut(Schema):
    county_code: str
    county_name: str
    projects: int
    complete_to_date: int
    complete_overall: int
    average_to_date: Decimal | None
    average_overall: Decimal | None


class ProjectArchiveCompletenessOut(Schema):
    counties: list[ProjectArchiveCountyOut]
    total: ProjectArchiveCountyOut


class ProjectArchiveCompletenessFilter(Schema):
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀")
    year: int | None = Field(None, ge=2000, le=2100, description="计划年度")
    program: str | None = Field(None, pattern=r"^[a-z_]{1,20}$", description="项目类型")


# --- helpers ----------------------------------------------------------------------------------------------------

def _findings(parent) -> list:
    rows = list(parent.findings.select_related("project", "owner_user", "closed_by").order_by("deadline", "id"))
    return sel.with_days_overdue(rows, dt.date.today())


def _rows(findings) -> list[svc.FindingData]:
    return [svc.FindingData(finding=f.finding, owner=f.owner, deadline=f.deadline, owner_user=f.owner_user) for f in findings]


def _archive_out(st: sel.ArchiveStatus) -> dict:
    items = [{"code": i.doc_type.code, "name": i.doc_type.name, "stage": i.doc_type.stage, "required": i.doc_type.required,
              "active": i.doc_type.active, "reached": i.reached, "present": i.present, "documents": [d.pk for d in i.documents]}
             for g in st.stages for i in g.items]
    p = st.project
    return {"project_id": p.pk, "code": p.code, "stage": p.stage, "present_to_date": st.present_to_date, "required_to_date": st.required_to_date,
            "rate_to_date": st.rate_to_date, "present_overall": st.present_overall, "required_overall": st.required_overall,
            "rate_overall": st.rate_overall, "missing_to_date": [t.code for t in st.missing_to_date],
            "missing_overall": [t.code for t in st.missing_overall], "items": items, "documents": st.documents}


def _county_out(c: sel.CountyCompleteness) -> dict:
    return {"county_code": c.county_code, "county_name": c.county_name, "projects": c.projects, "complete_to_date": c.complete_to_date,
            "complete_overall": c.complete_overall, "average_to_date": c.average_to_date, "average_overall": c.average_overall}


# --- rectification ----------------------------------------------------------------------------------------------

@router.get("/rectifications", response={200: list[ProjectRectificationOut], **ERRORS}, summary="整改事项（可只列逾期未完成的）")
@paginate(Pagination)
def rectifications_list(request, filters: Query[ProjectRectificationFilter]):
    today = dt.date.today()
    qs = sel.rectification_list(actor=request.auth, state=filters.state or "", overdue=filters.overdue, source=filters.source or "",
                                division=filters.division or "", project=filters.project, q=filters.q or "", today=today)
    if filters.overdue:
        qs = qs.order_by("deadline", "id")
    return AnnotatedPage(qs, lambda rows: sel.with_days_overdue(rows, today))


@router.get("/rectifications/{rectification_id}", response={200: ProjectRectificationOut, **ERRORS}, summary="一个整改事项")
def rectification_get(request, rectification_id: int):
    return sel.with_days_overdue([sel.access_rectification(request.auth, rectification_id)], dt.date.today())[0]


@router.post("/rectifications/{rectification_id}/close", response={200: ProjectRectificationOut, **WRITE_ERRORS}, auth=CLOSE_AUTH,
             summary="整改销号：整改情况、完成日期与佐证材料（存入项目档案，pdf/jpg/png/doc/docx/xls/xlsx，≤20 MB）")
def rectification_close(request, rectification_id: int, closing_note: Form[Text | None] = None, closed_on: Form[date | None] = None,
                        title: Form[Text | None] = None, file: File[UploadedFile] = None):
    r = sel.access_rectification(request.auth, rectification_id, kind="entry")
    if file is None:
        raise ValidationFailed(MSG_FILE_REQUIRED, code="evidence_required", detail={"field": "file"})
    svc.rectification_close(actor=request.auth, rectification=r, closing_note=closing_note or "", closed_on=closed_on,
                            evidence_name=file.name or "file", evidence_data=read_upload(file, archives.MAX_ARCHIVE_BYTES),
                            evidence_title=title or "")
    return sel.access_rectification(request.auth, r.pk)


def _add_finding(request, payload: ProjectRectificationIn, **parent):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    r = svc.finding_add(actor=request.auth, finding=_rows([payload])[0], **parent)
    return Status(201, sel.access_rectification(request.auth, r.pk))


@router.post("/inspections/{inspection_id}/findings", response={201: ProjectRectificationOut, **WRITE_ERRORS}, summary="为检查添加整改事项")
def inspection_finding_add(request, inspection_id: int, payload: ProjectRectificationIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    return _add_finding(request, payload, inspection=sel.access_inspection(request.auth, inspection_id, kind="entry"))


@router.post("/acceptances/{acceptance_id}/findings", response={201: ProjectRectificationOut, **WRITE_ERRORS}, summary="为验收添加整改事项")
def acceptance_finding_add(request, acceptance_id: int, payload: ProjectRectificationIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    return _add_finding(request, payload, acceptance=sel.access_acceptance(request.auth, acceptance_id, kind="entry"))


@router.post("/audits/{audit_id}/findings", response={201: ProjectRectificationOut, **WRITE_ERRORS}, summary="为审计添加整改事项")
def audit_finding_add(request, audit_id: int, payload: ProjectRectificationIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    return _add_finding(request, payload, audit=sel.access_audit(request.auth, audit_id, kind="entry"))


# --- inspections, acceptance, audit -----------------------------------------------------------------------------

@router.get("/inspections/{inspection_id}", response={200: ProjectInspectionOut, **ERRORS}, summary="一次检查及其整改事项")
def inspection_get(request, inspection_id: int):
    return sel.access_inspection(request.auth, inspection_id)


@router.get("/{project_id}/inspections", response={200: list[ProjectInspectionOut], **ERRORS}, summary="项目的检查记录")
@paginate(Pagination)
def inspections_list(request, project_id: int):
    return sel.inspection_list(actor=request.auth, project=access_project(request.auth, project_id))


@router.post("/{project_id}/inspections", response={201: ProjectInspectionOut, **WRITE_ERRORS}, summary="登记检查（含发现的问题）")
def inspection_create(request, project_id: int, payload: ProjectInspectionIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    project = access_project(request.auth, project_id, kind="entry")
    inspection = svc.inspection_create(actor=request.auth, project=project, kind=payload.kind, on=payload.on, inspectors=payload.inspectors,
                                       summary=payload.summary, findings=_rows(payload.findings))
    return Status(201, sel.access_inspection(request.auth, inspection.pk))


@router.get("/{project_id}/acceptances", response={200: list[ProjectAcceptanceOut], **ERRORS}, summary="项目的验收记录")
@paginate(Pagination)
def acceptances_list(request, project_id: int):
    return sel.acceptance_list(actor=request.auth, project=access_project(request.auth, project_id))


@router.post("/{project_id}/acceptances", response={201: ProjectAcceptanceOut, **WRITE_ERRORS},
             summary="登记验收（完工后；合格或整改后合格时项目由完工转入验收）")
def acceptance_create(request, project_id: int, payload: ProjectAcceptanceIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    project = access_project(request.auth, project_id, kind="entry")
    acceptance = svc.acceptance_create(actor=request.auth, project=project, on=payload.on, conclusion=payload.conclusion,
                                       participants=payload.participants, opinion=payload.opinion, findings=_rows(payload.findings))
    return Status(201, sel.access_acceptance(request.auth, acceptance.pk))


@router.get("/{project_id}/audits", response={200: list[ProjectAuditOut], **ERRORS}, summary="项目的审计记录")
@paginate(Pagination)
def audits_list(request, project_id: int):
    return sel.audit_list(actor=request.auth, project=access_project(request.auth, project_id))


@router.post("/{project_id}/audits", response={201: ProjectAuditOut, **WRITE_ERRORS}, summary="登记审计（验收阶段的项目转入审计）")
def audit_create(request, project_id: int, payload: ProjectAuditIn):
    require_perm(request.auth, Perm.PROJECT_INSPECT)
    project = access_project(request.auth, project_id, kind="entry")
    amount = None
    if payload.amount_audited_yuan is not None:
        try:
            amount = to_fen(payload.amount_audited_yuan, YUAN)
        except AmountError as exc:
            raise ValidationFailed(exc.message, code="amount", detail={"field": "amount_audited_yuan"}) from None
    audit = svc.audit_create(actor=request.auth, project=project, on=payload.on, auditor=payload.auditor, amount_audited=amount,
                             summary=payload.summary, findings=_rows(payload.findings))
    return Status(201, sel.access_audit(request.auth, audit.pk))


# --- the archive ------------------------------------------------------------------------------------------------

@router.get("/archive/completeness", response={200: ProjectArchiveCompletenessOut, **ERRORS}, summary="分县档案完整率（平均值与完整项目数）")
def archive_completeness(request, filters: Query[ProjectArchiveCompletenessFilter]):
    rows = sel.archive_completeness_by_county(actor=request.auth, division=filters.division or "", year=filters.year,
                                              program=filters.program or "")
    return {"counties": [_county_out(c) for c in rows[:-1]], "total": _county_out(rows[-1])}


@router.get("/archive/checklist", response={200: list[ProjectDocumentTypeOut], **ERRORS}, summary="档案清单（各阶段应归档的材料）")
def checklist_list(request):
    return sel.document_type_list(actor=request.auth)


@router.post("/archive/checklist", response={201: ProjectDocumentTypeOut, **WRITE_ERRORS}, summary="添加档案清单项")
def checklist_create(request, payload: ProjectDocumentTypeIn):
    return Status(201, archives.document_type_create(actor=request.auth, **payload.dict()))


@router.patch("/archive/checklist/{type_id}", response={200: ProjectDocumentTypeOut, **WRITE_ERRORS},
              summary="修改档案清单项（改名、阶段、必备、排序；active=false 为停用）")
def checklist_update(request, type_id: int, payload: ProjectDocumentTypePatch):
    require_perm(request.auth, Perm.PROJECT_MANAGE)
    t = sel.access_document_type(request.auth, type_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return archives.document_type_update(actor=request.auth, doc_type=t, **data)


@router.get("/archive/documents/{document_id}", response={200: None, **ERRORS}, summary="下载档案文件（留痕）")
def document_download(request, document_id: int):
    doc = sel.access_document(request.auth, document_id)
    path = archives.document_open(actor=request.auth, document=doc)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=doc.original_name,  # noqa: SIM115 (FileResponse closes it)
                        content_type=doc.content_type)


@router.delete("/archive/documents/{document_id}", response={204: None, **WRITE_ERRORS}, summary="删除档案文件（上传单位，须填写理由，留痕）")
def document_delete(request, document_id: int, reason: Query[Text] = ""):
    if not (request.auth.can(Perm.PROJECT_EDIT) or request.auth.can(Perm.PROJECT_INSPECT)):
        require_perm(request.auth, Perm.PROJECT_EDIT)
    doc = sel.access_document(request.auth, document_id, kind="entry")
    archives.document_delete(actor=request.auth, document=doc, reason=reason)
    return Status(204, None)


@router.get("/{project_id}/archive", response={200: ProjectArchiveOut, **ERRORS}, summary="项目档案：清单各项、缺项与完整率")
def archive_get(request, project_id: int):
    return _archive_out(sel.archive_status(actor=request.auth, project=access_project(request.auth, project_id)))


@router.post("/{project_id}/archive/documents", response={201: ProjectDocumentOut, **WRITE_ERRORS}, auth=UPLOAD_AUTH,
             summary="上传档案文件（按内容检查类型：pdf/jpg/png/doc/docx/xls/xlsx，≤20 MB）")
def document_upload(request, project_id: int, doc_type: Form[Text | None] = None, title: Form[Text | None] = None,
                    file: File[UploadedFile] = None):
    project = access_project(request.auth, project_id, kind="entry")
    if file is None:
        raise ValidationFailed(MSG_FILE_REQUIRED, code="file_required", detail={"field": "file"})
    doc = archives.document_upload(actor=request.auth, project=project, name=file.name or "file",
                                   data=read_upload(file, archives.MAX_ARCHIVE_BYTES), doc_type=doc_type or "", title=title or "")
    return Status(201, sel.access_document(request.auth, doc.pk))


@router.get("/{project_id}/archive/package", response={200: None, **ERRORS}, summary="下载档案包（zip：按阶段分文件夹，含档案目录.xlsx；留痕）")
def archive_package(request, project_id: int):
    project = access_project(request.auth, project_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it; the file vanishes when closed)
    try:
        archives.archive_package_write(actor=request.auth, project=project, out=out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=archives.package_filename(project), content_type="application/zip")
