"""Quality and safety inspections (检查), their findings to rectify (整改) and the closing of each with evidence,
acceptance (验收) and audit (审计) of a project, with the stage moves they cause (完工 → 验收, 验收 → 审计)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.uploads import files_removed_on_error
from anju.projects.models import (
    STAGE_ORDER,
    Acceptance,
    DocumentType,
    Inspection,
    Project,
    ProjectAudit,
    Rectification,
    Stage,
    Term,
)
from anju.projects.services import archives
from anju.projects.services.stages import stage_move

MSG_KIND_UNKNOWN = gettext_lazy("未知的检查类型：%(kind)s")
MSG_KIND_INACTIVE = gettext_lazy("检查类型“%(name)s”已停用")
MSG_DATE_FUTURE = gettext_lazy("日期不能晚于今天")
MSG_INSPECTORS_REQUIRED = gettext_lazy("请填写检查人员")
MSG_FINDING_REQUIRED = gettext_lazy("请填写发现的问题")
MSG_OWNER_REQUIRED = gettext_lazy("请填写整改责任人")
MSG_DEADLINE_REQUIRED = gettext_lazy("请填写整改期限")
MSG_DEADLINE_BEFORE = gettext_lazy("整改期限不能早于%(what)s日期（%(date)s）")
MSG_OWNER_USER = gettext_lazy("整改责任人账号须为有效账号，且该项目在其填报范围内")
MSG_FINDINGS_ROWS = gettext_lazy("整改事项有误")
MSG_NOT_OPEN = gettext_lazy("该整改事项已于 %(date)s 完成整改")
MSG_CLOSING_NOTE = gettext_lazy("请填写整改情况")
MSG_CLOSED_BEFORE = gettext_lazy("整改完成日期不能早于%(what)s日期（%(date)s）")
MSG_EVIDENCE_REQUIRED = gettext_lazy("请上传整改佐证材料")
MSG_ACCEPTANCE_STAGE = gettext_lazy("项目当前处于“%(stage)s”阶段，完工后才能验收")
MSG_ACCEPTANCE_BEFORE_COMPLETION = gettext_lazy("验收日期不能早于实际完工日期（%(date)s）")
MSG_CONCLUSION = gettext_lazy("请选择验收结论")
MSG_AUDIT_STAGE = gettext_lazy("项目当前处于“%(stage)s”阶段，立项后才能登记审计")
MSG_AUDITOR_REQUIRED = gettext_lazy("请填写审计单位")
MSG_AMOUNT_NEGATIVE = gettext_lazy("审定金额不能为负数")
MSG_TOO_LONG = gettext_lazy("“%(field)s”最多 %(n)s 字")


@dataclass
class FindingData:
    """One finding to rectify, as entered: the problem, the owner (a name, optionally an account) and the deadline."""

    finding: str
    owner: str
    deadline: dt.date | None
    owner_user: object = None  # a User, a user id, or None


# --- helpers ----------------------------------------------------------------------------------------------------

def _today() -> dt.date:
    return dt.date.today()


def _not_future(on: dt.date | None, field: str = "on") -> dt.date:
    if on is None:
        raise ValidationFailed(gettext_lazy("请填写日期"), code="date_required", detail={"field": field})
    if on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": field})
    return on


def _text(value: str | None, field: str, label, limit: int | None = None, required_msg=None) -> str:
    text = (value or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if required_msg is not None and not text:
        raise ValidationFailed(required_msg, code=f"{field}_required", detail={"field": field})
    if limit is not None and len(text) > limit:
        raise ValidationFailed(MSG_TOO_LONG % {"field": label, "n": limit}, code=f"{field}_too_long", detail={"field": field})
    return text


def _lock_project(actor, project: Project) -> Project:
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if locked is None or not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    return locked


def _owner_user(value, project: Project):
    if value in (None, ""):
        return None
    from django.contrib.auth import get_user_model

    user = value
    if not hasattr(value, "pk"):
        try:
            user = get_user_model().objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            user = None
    if user is None or not user.is_active or not getattr(user, "role", "") or not in_scope(user, project.division_code, "entry"):
        raise ValidationFailed(MSG_OWNER_USER, code="owner_user", detail={"field": "owner_user"})
    return user


def _clean_findings(findings, project: Project, *, since: dt.date, what) -> list[tuple[FindingData, object]]:
    """Check every finding and report them all at once ({"row", "column", "message"} per problem)."""
    cleaned, problems = [], []
    for row, f in enumerate(findings or [], start=1):
        if isinstance(f, dict):
            f = FindingData(finding=f.get("finding", ""), owner=f.get("owner", ""), deadline=f.get("deadline"),
                            owner_user=f.get("owner_user"))
        f.finding, f.owner = (f.finding or "").strip(), (f.owner or "").strip()
        row_problems = []
        if not f.finding:
            row_problems.append(("finding", str(MSG_FINDING_REQUIRED)))
        if not f.owner:
            row_problems.append(("owner", str(MSG_OWNER_REQUIRED)))
        elif len(f.owner) > 50:
            row_problems.append(("owner", str(MSG_TOO_LONG % {"field": gettext_lazy("整改责任人"), "n": 50})))
        if f.deadline is None:
            row_problems.append(("deadline", str(MSG_DEADLINE_REQUIRED)))
        elif f.deadline < since:
            row_problems.append(("deadline", str(MSG_DEADLINE_BEFORE % {"what": what, "date": since.isoformat()})))
        user = None
        try:
            user = _owner_user(f.owner_user, project)
        except ValidationFailed as exc:
            row_problems.append(("owner_user", exc.message))
        problems += [{"row": row, "column": column, "message": message} for column, message in row_problems]
        cleaned.append((f, user))
    if problems:
        if len(findings) == 1:  # one finding (the add-a-finding form): name the field, as a single form would
            column, message = problems[0]["column"], problems[0]["message"]
            raise ValidationFailed(message, code="finding_invalid", detail={"field": column, "problems": problems})
        raise ValidationFailed(MSG_FINDINGS_ROWS, code="findings_invalid", detail=problems)
    return cleaned


def _create_findings(actor, project: Project, cleaned, *, source: str, inspection=None, acceptance=None, audit=None) -> list[Rectification]:
    created = []
    for f, user in cleaned:
        r = Rectification.objects.create(project=project, division_code=project.division_code, source=source, inspection=inspection,
                                         acceptance=acceptance, audit=audit, finding=f.finding, owner=f.owner, owner_user=user,
                                         deadline=f.deadline)
        audit_record(actor=actor, action="projects.rectification.created", object_type="rectification", object_id=r.pk,
                     division_code=project.division_code,
                     after={"project": project.code, "source": source, "finding": r.finding[:300], "owner": r.owner,
                            "owner_user": user.username if user else None, "deadline": r.deadline.isoformat()})
        created.append(r)
    return created


def _parent_date(r: Rectification) -> tuple[dt.date, object]:
    if r.inspection_id:
        return r.inspection.on, gettext_lazy("检查")
    if r.acceptance_id:
        return r.acceptance.on, gettext_lazy("验收")
    if r.audit_id:
        return r.audit.on, gettext_lazy("审计")
    return dt.date.min, ""


def _report(name: str, data: bytes) -> tuple[str, bytes, str] | None:
    """An optional report file, checked before anything is written: (name, bytes, content type) or None."""
    if not name and not data:
        return None
    name = archives.uploads.upload_name(name)
    return name, data, archives.check_archive_file(name, data)


def _file_report(actor, project: Project, report, type_code: str, title, written: list) -> None:
    if report is None:
        return
    if project.stage == Stage.ARCHIVED:
        raise Conflict(archives.MSG_ARCHIVED, code="archived")
    name, data, content_type = report
    archives.document_store(actor=actor, project=project, doc_type=DocumentType.objects.filter(code=type_code).first(), title=str(title),
                            name=name, data=data, content_type=content_type, written=written)


# --- inspections ------------------------------------------------------------------------------------------------

def inspection_kind_check(kind: str) -> Term:
    term = Term.objects.filter(kind=Term.Kind.INSPECTION_KIND, code=(kind or "").strip()).first()
    if term is None:
        raise ValidationFailed(MSG_KIND_UNKNOWN % {"kind": kind}, code="kind_unknown", detail={"field": "kind"})
    if not term.active:
        raise ValidationFailed(MSG_KIND_INACTIVE % {"name": term.name}, code="kind_inactive", detail={"field": "kind"})
    return term


def inspection_create(*, actor, project: Project, kind: str, on: dt.date, inspectors: str, summary: str = "",
                      findings=()) -> Inspection:
    """Record an inspection of a project in the actor's entry scope, with its findings (each a rectification item whose
    deadline is on or after the inspection date)."""
    require_perm(actor, Perm.PROJECT_INSPECT)
    term = inspection_kind_check(kind)
    on = _not_future(on)
    inspectors = _text(inspectors, "inspectors", gettext_lazy("检查人员"), 200, MSG_INSPECTORS_REQUIRED)
    summary = _text(summary, "summary", gettext_lazy("检查情况"), 5000)
    with transaction.atomic():
        locked = _lock_project(actor, project)
        cleaned = _clean_findings(list(findings or []), locked, since=on, what=gettext_lazy("检查"))
        inspection = Inspection.objects.create(project=locked, division_code=locked.division_code, kind=term.code, on=on,
                                               inspectors=inspectors, summary=summary, created_by=actor)
        audit_record(actor=actor, action="projects.inspection.created", object_type="inspection", object_id=inspection.pk,
                     division_code=locked.division_code,
                     after={"project": locked.code, "kind": term.code, "on": on.isoformat(), "inspectors": inspectors,
                            "findings": len(cleaned)})
        _create_findings(actor, locked, cleaned, source=Rectification.Source.INSPECTION, inspection=inspection)
    return inspection


def finding_add(*, actor, finding: FindingData, inspection: Inspection | None = None, acceptance: Acceptance | None = None,
                audit: ProjectAudit | None = None) -> Rectification:
    """Add one finding to an existing inspection, acceptance or audit (exactly one of them)."""
    require_perm(actor, Perm.PROJECT_INSPECT)
    parents = [p for p in (inspection, acceptance, audit) if p is not None]
    if len(parents) != 1:
        raise ValidationFailed(MSG_FINDINGS_ROWS, code="finding_parent")
    parent = parents[0]
    source, what = ((Rectification.Source.INSPECTION, gettext_lazy("检查")) if inspection is not None else
                    (Rectification.Source.ACCEPTANCE, gettext_lazy("验收")) if acceptance is not None else
                    (Rectification.Source.AUDIT, gettext_lazy("审计")))
    with transaction.atomic():
        locked = _lock_project(actor, parent.project)
        cleaned = _clean_findings([finding], locked, since=parent.on, what=what)
        return _create_findings(actor, locked, cleaned, source=source, inspection=inspection, acceptance=acceptance, audit=audit)[0]


def rectification_close(*, actor, rectification: Rectification, closing_note: str, closed_on: dt.date, evidence_name: str,
                        evidence_data: bytes, evidence_title: str = "") -> Rectification:
    """Close an open rectification item with a note, the date it was done and an evidence file, which is filed in the
    project's archive as 整改佐证材料 (rectification_evidence) and linked to the item."""
    if not (actor.can(Perm.PROJECT_INSPECT) or actor.can(Perm.PROJECT_EDIT)):
        require_perm(actor, Perm.PROJECT_INSPECT)
    closing_note = _text(closing_note, "closing_note", gettext_lazy("整改情况"), 5000, MSG_CLOSING_NOTE)
    closed_on = _not_future(closed_on, "closed_on")
    if not evidence_data and not evidence_name:
        raise ValidationFailed(MSG_EVIDENCE_REQUIRED, code="evidence_required", detail={"field": "file"})
    name = archives.uploads.upload_name(evidence_name)
    with files_removed_on_error([]) as written, transaction.atomic():
        project = _lock_project(actor, rectification.project)
        r = Rectification.objects.select_for_update().filter(pk=rectification.pk, project=project).first()  # its parent loads lazily
        if r is None:
            raise NotFound()
        if r.state != Rectification.State.OPEN:
            raise Conflict(MSG_NOT_OPEN % {"date": r.closed_on.isoformat() if r.closed_on else ""}, code="not_open")
        since, what = _parent_date(r)
        if closed_on < since:
            raise ValidationFailed(MSG_CLOSED_BEFORE % {"what": what, "date": since.isoformat()}, code="closed_before",
                                   detail={"field": "closed_on"})
        if project.stage == Stage.ARCHIVED:
            raise Conflict(archives.MSG_ARCHIVED, code="archived")
        content_type = archives.check_archive_file(name, evidence_data)
        doc_type = DocumentType.objects.filter(code=archives.EVIDENCE_TYPE_CODE).first()
        title = (evidence_title or "").strip()[:200] or str(gettext_lazy("整改佐证：%(finding)s") % {"finding": r.finding[:60]})
        doc = archives.document_store(actor=actor, project=project, doc_type=doc_type, title=title, name=name, data=evidence_data,
                                      content_type=content_type, written=written)
        r.state, r.closed_on, r.closing_note, r.evidence, r.closed_by = Rectification.State.CLOSED, closed_on, closing_note, doc, actor
        r.save(update_fields=["state", "closed_on", "closing_note", "evidence", "closed_by"])
        audit_record(actor=actor, action="projects.rectification.closed", object_type="rectification", object_id=r.pk,
                     division_code=project.division_code, before={"state": Rectification.State.OPEN},
                     after={"project": project.code, "state": r.state, "closed_on": closed_on.isoformat(), "note": closing_note[:300],
                            "evidence": doc.pk, "sha256": doc.sha256})
    return r


# --- acceptance and audit ---------------------------------------------------------------------------------------

def acceptance_create(*, actor, project: Project, on: dt.date, conclusion: str, participants: str = "", opinion: str = "",
                      findings=(), report_name: str = "", report_data: bytes = b"") -> Acceptance:
    """Record the acceptance (验收) of a project at 完工 or later; unless it failed, a project at 完工 moves to 验收 on
    that date. Findings become rectification items of source 验收. An optional report file is filed in the archive as
    验收报告 (acceptance_report)."""
    require_perm(actor, Perm.PROJECT_INSPECT)
    if conclusion not in Acceptance.Conclusion.values:
        raise ValidationFailed(MSG_CONCLUSION, code="conclusion", detail={"field": "conclusion"})
    on = _not_future(on)
    participants = _text(participants, "participants", gettext_lazy("参加单位及人员"), 300)
    opinion = _text(opinion, "opinion", gettext_lazy("验收意见"), 5000)
    report = _report(report_name, report_data)
    with files_removed_on_error([]) as written, transaction.atomic():
        locked = _lock_project(actor, project)
        if STAGE_ORDER[locked.stage] < STAGE_ORDER[Stage.COMPLETED]:
            raise Conflict(MSG_ACCEPTANCE_STAGE % {"stage": Stage(locked.stage).label}, code="stage_not_allowed")
        if locked.actual_completion and on < locked.actual_completion:
            raise ValidationFailed(MSG_ACCEPTANCE_BEFORE_COMPLETION % {"date": locked.actual_completion.isoformat()},
                                   code="acceptance_date", detail={"field": "on"})
        cleaned = _clean_findings(list(findings or []), locked, since=on, what=gettext_lazy("验收"))
        acceptance = Acceptance.objects.create(project=locked, division_code=locked.division_code, on=on, conclusion=conclusion,
                                               participants=participants, opinion=opinion, created_by=actor)
        audit_record(actor=actor, action="projects.acceptance.created", object_type="acceptance", object_id=acceptance.pk,
                     division_code=locked.division_code,
                     after={"project": locked.code, "on": on.isoformat(), "conclusion": conclusion, "participants": participants,
                            "findings": len(cleaned)})
        _create_findings(actor, locked, cleaned, source=Rectification.Source.ACCEPTANCE, acceptance=acceptance)
        _file_report(actor, locked, report, "acceptance_report", gettext_lazy("验收报告（%(date)s）") % {"date": on.isoformat()}, written)
        if conclusion != Acceptance.Conclusion.FAILED and locked.stage == Stage.COMPLETED:
            stage_move(actor=actor, project=locked, to_stage=Stage.ACCEPTED, on=on,
                       note=str(gettext_lazy("验收结论：%(c)s") % {"c": acceptance.get_conclusion_display()}))
    return acceptance


def audit_create(*, actor, project: Project, on: dt.date, auditor: str, amount_audited: int | None = None, summary: str = "",
                 findings=(), report_name: str = "", report_data: bytes = b"") -> ProjectAudit:
    """Record an audit (审计) of a project at 立项/下达 or later, with the audited amount in fen and its findings (source
    审计). A project at 验收 moves to 审计 on that date. An optional report file is filed in the archive as 审计报告
    (audit_report)."""
    require_perm(actor, Perm.PROJECT_INSPECT)
    on = _not_future(on)
    auditor = _text(auditor, "auditor", gettext_lazy("审计单位"), 100, MSG_AUDITOR_REQUIRED)
    summary = _text(summary, "summary", gettext_lazy("审计结论"), 5000)
    if amount_audited is not None and amount_audited < 0:
        raise ValidationFailed(MSG_AMOUNT_NEGATIVE, code="amount_negative", detail={"field": "amount_audited"})
    report = _report(report_name, report_data)
    with files_removed_on_error([]) as written, transaction.atomic():
        locked = _lock_project(actor, project)
        if STAGE_ORDER[locked.stage] < STAGE_ORDER[Stage.APPROVED]:
            raise Conflict(MSG_AUDIT_STAGE % {"stage": Stage(locked.stage).label}, code="stage_not_allowed")
        cleaned = _clean_findings(list(findings or []), locked, since=on, what=gettext_lazy("审计"))
        audit = ProjectAudit.objects.create(project=locked, division_code=locked.division_code, on=on, auditor=auditor,
                                            amount_audited=amount_audited, summary=summary, created_by=actor)
        audit_record(actor=actor, action="projects.audit.created", object_type="project_audit", object_id=audit.pk,
                     division_code=locked.division_code,
                     after={"project": locked.code, "on": on.isoformat(), "auditor": auditor, "amount_audited": amount_audited,
                            "findings": len(cleaned)})
        _create_findings(actor, locked, cleaned, source=Rectification.Source.AUDIT, audit=audit)
        _file_report(actor, locked, report, "audit_report", gettext_lazy("审计报告（%(a)s，%(date)s）") % {"a": auditor, "date": on.isoformat()},
                     written)
        if locked.stage == Stage.ACCEPTED:
            stage_move(actor=actor, project=locked, to_stage=Stage.AUDITED, on=on, note=str(gettext_lazy("审计单位：%(a)s") % {"a": auditor}))
    return audit

