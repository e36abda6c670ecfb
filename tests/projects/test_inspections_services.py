"""Inspections, findings and rectification (closing with evidence, overdue), acceptance and audit with their stage
moves, transitions that are not allowed, scope and permission."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects import selectors_inspections as sel
from anju.projects.models import Acceptance, Document, Inspection, ProjectAudit, Rectification, Stage, StageChange
from anju.projects.services import archives
from anju.projects.services import inspections as svc
from anju.projects.services.stages import MSG_STAGE_DATE

from .factories import COUNTY, OTHER_VILLAGE, VILLAGE, make_project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def people(make_user, other_city):
    return {
        "clerk": make_user("county_clerk", COUNTY[:6], username="pi_clerk"),
        "clerk2": make_user("county_clerk", COUNTY[:6], username="pi_clerk2"),
        "reviewer": make_user("county_reviewer", COUNTY[:6], username="pi_reviewer"),
        "township": make_user("township_clerk", VILLAGE[:9], username="pi_township"),
        "auditor": make_user("auditor", "4299", username="pi_auditor"),
        "leader": make_user("leader", "4299", username="pi_leader"),
        "city": make_user("city_clerk", "4299", username="pi_city"),
        "admin": make_user("city_admin", "4299", username="pi_admin"),
        "finance": make_user("finance", COUNTY[:6], username="pi_finance"),
        "foreign": make_user("county_clerk", "429821", username="pi_foreign"),
    }


def completed(**kw):
    """A project completed on 2026-02-01 (its last stage change 2026-01-01)."""
    return make_project(stage=Stage.COMPLETED, actual_start=dt.date(2026, 1, 10), actual_completion=dt.date(2026, 2, 1), **kw)


def finding(text="围栏未封闭", owner="李四", deadline=dt.date(2026, 4, 30), owner_user=None):
    return svc.FindingData(finding=text, owner=owner, deadline=deadline, owner_user=owner_user)


def inspect(actor, project, *, on=dt.date(2026, 3, 1), findings=()):
    return svc.inspection_create(actor=actor, project=project, kind="quality", on=on, inspectors="王五、赵六", summary="现场检查",
                                 findings=findings)


# --- inspections and findings ------------------------------------------------------------------------------------

def test_inspection_with_findings_is_recorded_and_audited(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    i = inspect(people["clerk"], project, findings=[finding(), finding("安全警示牌缺失", "王五", dt.date(2026, 3, 1),
                                                                       owner_user=people["clerk2"].pk)])
    assert (i.kind, i.on, i.inspectors, i.division_code, i.created_by) == ("quality", dt.date(2026, 3, 1), "王五、赵六", VILLAGE, people["clerk"])
    items = list(Rectification.objects.filter(inspection=i).order_by("deadline"))
    assert [(r.source, r.finding, r.owner, r.deadline, r.state) for r in items] == [
        ("inspection", "安全警示牌缺失", "王五", dt.date(2026, 3, 1), "open"), ("inspection", "围栏未封闭", "李四", dt.date(2026, 4, 30), "open")]
    assert items[0].owner_user == people["clerk2"] and items[1].owner_user is None
    assert AuditEvent.objects.filter(action="projects.inspection.created", object_id=str(i.pk), division_code=VILLAGE).exists()
    assert AuditEvent.objects.filter(action="projects.rectification.created").count() == 2


def test_findings_are_checked_all_at_once_and_nothing_is_written(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    with pytest.raises(ValidationFailed) as exc:
        inspect(people["clerk"], project, findings=[finding(deadline=dt.date(2026, 2, 28)), finding(text=" ", owner=""),
                                                    finding(owner_user=people["foreign"].pk)])
    assert exc.value.message == str(svc.MSG_FINDINGS_ROWS)
    assert exc.value.detail == [
        {"row": 1, "column": "deadline", "message": str(svc.MSG_DEADLINE_BEFORE % {"what": "检查", "date": "2026-03-01"})},
        {"row": 2, "column": "finding", "message": str(svc.MSG_FINDING_REQUIRED)},
        {"row": 2, "column": "owner", "message": str(svc.MSG_OWNER_REQUIRED)},
        {"row": 3, "column": "owner_user", "message": str(svc.MSG_OWNER_USER)}]
    assert not Inspection.objects.exists() and not Rectification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="projects.inspection").exists()


@pytest.mark.parametrize("change,code", [
    ({"kind": "nope"}, "kind_unknown"), ({"on": TODAY + dt.timedelta(days=1)}, "date_future"), ({"inspectors": "  "}, "inspectors_required"),
])
def test_inspection_input_is_checked(people, change, code):
    data = {"kind": "safety", "on": dt.date(2026, 3, 1), "inspectors": "王五", **change}
    with pytest.raises(ValidationFailed) as exc:
        svc.inspection_create(actor=people["clerk"], project=make_project(), **data)
    assert exc.value.code == code and not Inspection.objects.exists()


def test_inactive_inspection_kind_is_refused(people):
    from anju.projects.models import Term

    Term.objects.filter(kind="inspection_kind", code="funds").update(active=False)
    with pytest.raises(ValidationFailed) as exc:
        svc.inspection_create(actor=people["clerk"], project=make_project(), kind="funds", on=dt.date(2026, 3, 1), inspectors="王五")
    assert exc.value.message == str(svc.MSG_KIND_INACTIVE % {"name": "资金检查"})


def test_inspection_permission_and_scope(people):
    project = make_project()
    foreign = make_project(division_code=OTHER_VILLAGE)
    for role in ("leader", "finance", "township", "admin"):
        with pytest.raises(PermissionDenied):
            inspect(people[role], project)
    with pytest.raises(NotFound):
        inspect(people["foreign"], project)
    with pytest.raises(NotFound):
        inspect(people["clerk"], foreign)
    for role in ("clerk", "reviewer", "auditor", "city"):  # every holder of PROJECT_INSPECT in scope
        inspect(people[role], project)
    assert Inspection.objects.filter(project=project).count() == 4


def test_finding_added_later_to_each_source(people):
    project = completed()
    i = inspect(people["clerk"], project)
    a = svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 5), conclusion="failed")
    audit = svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 3, 6), auditor="县审计局")
    r1 = svc.finding_add(actor=people["reviewer"], inspection=i, finding=finding())
    r2 = svc.finding_add(actor=people["reviewer"], acceptance=a, finding=finding())
    r3 = svc.finding_add(actor=people["auditor"], audit=audit, finding=finding())
    assert [r.source for r in (r1, r2, r3)] == ["inspection", "acceptance", "audit"]
    with pytest.raises(ValidationFailed) as exc:
        svc.finding_add(actor=people["clerk"], audit=audit, finding=finding(deadline=dt.date(2026, 3, 5)))
    assert exc.value.detail["field"] == "deadline"
    assert exc.value.message == str(svc.MSG_DEADLINE_BEFORE % {"what": "审计", "date": "2026-03-06"})
    with pytest.raises(NotFound):
        svc.finding_add(actor=people["foreign"], inspection=i, finding=finding())


# --- closing rectification with evidence --------------------------------------------------------------------------

def test_close_with_evidence_files_it_in_the_archive(people, media):
    project = make_project(stage=Stage.IMPLEMENTING)
    i = inspect(people["reviewer"], project, findings=[finding()])
    r = i.findings.get()
    closed = svc.rectification_close(actor=people["clerk"], rectification=r, closing_note="已封闭围栏", closed_on=dt.date(2026, 3, 20),
                                     evidence_name="整改照片.png", evidence_data=PNG)
    r.refresh_from_db()
    assert closed.pk == r.pk and (r.state, r.closed_on, r.closing_note, r.closed_by) == ("closed", dt.date(2026, 3, 20), "已封闭围栏", people["clerk"])
    doc = r.evidence
    assert doc.project == project and doc.doc_type.code == "rectification_evidence" and doc.original_name == "整改照片.png"
    assert doc.title.startswith("整改佐证") and doc.content_type == "image/png"
    assert doc.sha256 == hashlib.sha256(PNG).hexdigest() and (media / doc.path).read_bytes() == PNG
    assert (media / doc.path).parent == media / "projects" / str(project.pk)
    event = AuditEvent.objects.get(action="projects.rectification.closed", object_id=str(r.pk))
    assert event.after["evidence"] == doc.pk and event.before == {"state": "open"}
    assert AuditEvent.objects.filter(action="projects.document.uploaded", object_id=str(doc.pk)).exists()
    with pytest.raises(Conflict) as exc:  # closed once
        svc.rectification_close(actor=people["clerk"], rectification=r, closing_note="再次", closed_on=dt.date(2026, 3, 21),
                                evidence_name="b.pdf", evidence_data=PDF)
    assert exc.value.message == str(svc.MSG_NOT_OPEN % {"date": "2026-03-20"})
    assert Document.objects.count() == 1


@pytest.mark.parametrize("change,code", [
    ({"closing_note": ""}, "closing_note_required"),
    ({"closed_on": dt.date(2026, 2, 28)}, "closed_before"),
    ({"closed_on": TODAY + dt.timedelta(days=1)}, "date_future"),
    ({"evidence_name": "", "evidence_data": b""}, "evidence_required"),
    ({"evidence_name": "照片.pdf", "evidence_data": EXE}, "upload_content"),
    ({"evidence_name": "空.pdf", "evidence_data": b""}, "upload_empty"),
])
def test_close_input_is_checked_and_nothing_is_written(people, media, change, code):
    project = make_project(stage=Stage.IMPLEMENTING)
    r = inspect(people["clerk"], project, findings=[finding()]).findings.get()
    data = {"closing_note": "已整改", "closed_on": dt.date(2026, 3, 20), "evidence_name": "a.pdf", "evidence_data": PDF, **change}
    with pytest.raises(ValidationFailed) as exc:
        svc.rectification_close(actor=people["clerk"], rectification=r, **data)
    assert exc.value.code == code
    r.refresh_from_db()
    assert r.state == "open" and not Document.objects.exists()
    assert not (media / "projects").exists() or not any((media / "projects").rglob("*.*"))


def test_close_rolls_back_the_file_when_the_transaction_fails(people, media, monkeypatch):
    project = make_project(stage=Stage.IMPLEMENTING)
    r = inspect(people["clerk"], project, findings=[finding()]).findings.get()

    def boom(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc, "audit_record", boom)
    with pytest.raises(RuntimeError):
        svc.rectification_close(actor=people["clerk"], rectification=r, closing_note="x", closed_on=dt.date(2026, 3, 20), evidence_name="a.pdf",
                                evidence_data=PDF)
    assert not Document.objects.exists() and not any((media / "projects").rglob("*.pdf"))


def test_close_permission_and_scope(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    r = inspect(people["clerk"], project, findings=[finding()]).findings.get()
    data = {"closing_note": "已整改", "closed_on": dt.date(2026, 3, 20), "evidence_name": "a.pdf", "evidence_data": PDF}
    with pytest.raises(PermissionDenied):
        svc.rectification_close(actor=people["leader"], rectification=r, **data)
    with pytest.raises(NotFound):
        svc.rectification_close(actor=people["foreign"], rectification=r, **data)
    with pytest.raises(NotFound):
        sel.access_rectification(people["foreign"], r.pk)


def test_overdue_list_with_days(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    foreign = make_project(division_code=OTHER_VILLAGE, stage=Stage.IMPLEMENTING)
    on = TODAY - dt.timedelta(days=60)
    inspect(people["clerk"], project, on=on, findings=[
        finding("逾期十天", deadline=TODAY - dt.timedelta(days=10)), finding("逾期三十天", deadline=TODAY - dt.timedelta(days=30)),
        finding("今天到期", deadline=TODAY), finding("已整改", deadline=TODAY - dt.timedelta(days=40))])
    done = Rectification.objects.get(finding="已整改")
    svc.rectification_close(actor=people["clerk"], rectification=done, closing_note="完成", closed_on=TODAY, evidence_name="a.pdf",
                            evidence_data=PDF)
    inspect(people["foreign"], foreign, on=on, findings=[finding("外县逾期", deadline=TODAY - dt.timedelta(days=5))])
    rows = sel.overdue_rectifications(actor=people["clerk"])
    assert [(r.finding, r.days_overdue) for r in rows] == [("逾期三十天", 30), ("逾期十天", 10)]
    assert [r.finding for r in sel.overdue_rectifications(actor=people["city"])] == ["逾期三十天", "逾期十天"]  # 外县 is another city
    assert [r.finding for r in sel.overdue_rectifications(actor=people["foreign"])] == ["外县逾期"]
    assert sel.rectification_list(actor=people["clerk"], state="open").count() == 3
    assert [r.finding for r in sel.overdue_rectifications(actor=people["clerk"], today=TODAY - dt.timedelta(days=20))] == ["逾期三十天"]


# --- acceptance -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", [Stage.RESERVE, Stage.APPROVED, Stage.IMPLEMENTING])
def test_acceptance_before_completion_is_refused(people, stage):
    project = make_project(stage=stage)
    with pytest.raises(Conflict) as exc:
        svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="passed")
    assert exc.value.code == "stage_not_allowed"
    assert exc.value.message == str(svc.MSG_ACCEPTANCE_STAGE % {"stage": Stage(stage).label})
    assert not Acceptance.objects.exists()
    project.refresh_from_db()
    assert project.stage == stage


@pytest.mark.parametrize("conclusion", ["passed", "conditional"])
def test_acceptance_moves_a_completed_project_to_accepted(people, conclusion):
    project = completed()
    a = svc.acceptance_create(actor=people["reviewer"], project=project, on=dt.date(2026, 3, 10), conclusion=conclusion,
                              participants="县移民局、设计单位、监理单位", opinion="同意验收", findings=[finding(deadline=dt.date(2026, 4, 10))])
    project.refresh_from_db()
    assert project.stage == Stage.ACCEPTED and project.stage_on == dt.date(2026, 3, 10)
    change = StageChange.objects.filter(project=project).latest("id")
    assert (change.from_stage, change.to_stage, change.on, change.by) == ("completed", "accepted", dt.date(2026, 3, 10), people["reviewer"])
    assert a.findings.get().source == "acceptance"
    assert AuditEvent.objects.filter(action="projects.acceptance.created", object_id=str(a.pk)).exists()
    assert AuditEvent.objects.filter(action="projects.project.stage_changed", object_id=str(project.pk), after__stage="accepted").exists()


def test_acceptance_and_audit_reports_are_filed_in_the_archive(people, media):
    project = completed()
    a = svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 10), conclusion="passed", report_name="验收报告.pdf",
                              report_data=PDF)
    doc = Document.objects.get(project=project)
    assert doc.doc_type.code == "acceptance_report" and doc.title == "验收报告（2026-03-10）" and (media / doc.path).read_bytes() == PDF
    assert a.project_id == project.pk and sel.archive_status(actor=people["clerk"], project=project).missing_to_date[-1].code != "acceptance_report"
    with pytest.raises(ValidationFailed) as exc:  # a bad report refuses the whole audit, stage unchanged
        svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 4, 1), auditor="县审计局", report_name="审计.pdf",
                         report_data=EXE)
    assert exc.value.code == "upload_content" and not ProjectAudit.objects.exists()
    project.refresh_from_db()
    assert project.stage == Stage.ACCEPTED and Document.objects.count() == 1
    svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 4, 1), auditor="县审计局", report_name="审计.png",
                     report_data=PNG)
    assert Document.objects.get(doc_type__code="audit_report").title == "审计报告（县审计局，2026-04-01）"


def test_failed_acceptance_keeps_the_stage_and_a_later_one_moves_it(people):
    project = completed()
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="failed",
                          findings=[finding(deadline=dt.date(2026, 3, 31))])
    project.refresh_from_db()
    assert project.stage == Stage.COMPLETED
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 4, 2), conclusion="passed")
    project.refresh_from_db()
    assert project.stage == Stage.ACCEPTED
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 4, 3), conclusion="passed")  # later: no move
    assert StageChange.objects.filter(project=project, to_stage="accepted").count() == 1


def test_acceptance_dates(people):
    project = completed()
    with pytest.raises(ValidationFailed) as exc:
        svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 1, 20), conclusion="passed")
    assert exc.value.message == str(svc.MSG_ACCEPTANCE_BEFORE_COMPLETION % {"date": "2026-02-01"})
    StageChange.objects.create(project=project, from_stage="implementing", to_stage="completed", on=dt.date(2026, 2, 20))
    with pytest.raises(ValidationFailed) as exc:  # before the day the project was marked completed: the stage move refuses it
        svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 2, 10), conclusion="passed")
    assert exc.value.message == str(MSG_STAGE_DATE % {"date": "2026-02-20"})
    assert not Acceptance.objects.exists()
    with pytest.raises(ValidationFailed) as exc:
        svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="good")
    assert exc.value.code == "conclusion"


def test_acceptance_scope_and_permission(people):
    project = completed()
    with pytest.raises(PermissionDenied):
        svc.acceptance_create(actor=people["leader"], project=project, on=dt.date(2026, 3, 1), conclusion="passed")
    with pytest.raises(NotFound):
        svc.acceptance_create(actor=people["foreign"], project=project, on=dt.date(2026, 3, 1), conclusion="passed")
    project.refresh_from_db()
    assert project.stage == Stage.COMPLETED


# --- audit ------------------------------------------------------------------------------------------------------

def test_audit_moves_an_accepted_project_to_audited(people):
    project = completed()
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="passed")
    audit = svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 4, 1), auditor="县审计局", amount_audited=48_765_432,
                             summary="审定金额 487,654.32 元", findings=[finding("发票不全", deadline=dt.date(2026, 5, 1))])
    project.refresh_from_db()
    assert project.stage == Stage.AUDITED and project.stage_on == dt.date(2026, 4, 1)
    assert audit.amount_audited == 48_765_432 and audit.findings.get().source == "audit"
    assert AuditEvent.objects.filter(action="projects.audit.created", object_id=str(audit.pk), after__amount_audited=48_765_432).exists()
    svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 4, 2), auditor="市审计局")  # a second audit: no move
    assert StageChange.objects.filter(project=project, to_stage="audited").count() == 1


def test_audit_of_a_project_in_progress_does_not_move_it(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    svc.audit_create(actor=people["auditor"], project=project, on=dt.date(2026, 3, 1), auditor="县审计局")
    project.refresh_from_db()
    assert project.stage == Stage.IMPLEMENTING and ProjectAudit.objects.filter(project=project).count() == 1


def test_audit_refusals(people):
    with pytest.raises(Conflict) as exc:
        svc.audit_create(actor=people["auditor"], project=make_project(stage=Stage.RESERVE), on=dt.date(2026, 3, 1), auditor="县审计局")
    assert exc.value.message == str(svc.MSG_AUDIT_STAGE % {"stage": "储备"})
    with pytest.raises(ValidationFailed) as exc:
        svc.audit_create(actor=people["auditor"], project=make_project(), on=dt.date(2026, 3, 1), auditor=" ")
    assert exc.value.code == "auditor_required"
    with pytest.raises(ValidationFailed) as exc:
        svc.audit_create(actor=people["auditor"], project=make_project(), on=dt.date(2026, 3, 1), auditor="审计局", amount_audited=-1)
    assert exc.value.message == str(svc.MSG_AMOUNT_NEGATIVE)
    with pytest.raises(PermissionDenied):
        svc.audit_create(actor=people["finance"], project=make_project(), on=dt.date(2026, 3, 1), auditor="审计局")
    assert not ProjectAudit.objects.exists()


def test_quality_record_of_a_project(people):
    project = completed()
    inspect(people["clerk"], project, findings=[finding(deadline=TODAY - dt.timedelta(days=3))])
    svc.acceptance_create(actor=people["clerk"], project=project, on=dt.date(2026, 3, 1), conclusion="conditional",
                          findings=[finding("资料不全", deadline=dt.date(2026, 3, 15))])
    record = sel.project_quality(actor=people["leader"], project=project, today=TODAY)
    assert [i.kind_name for i in record.inspections] == ["质量检查"] and len(record.inspections[0].items) == 1
    assert [a.conclusion for a in record.acceptances] == ["conditional"] and len(record.acceptances[0].items) == 1
    assert record.open_count == 2 and record.overdue_count == 2
    with pytest.raises(NotFound):
        sel.project_quality(actor=people["foreign"], project=project)


def test_archived_project_takes_no_evidence(people):
    project = make_project(stage=Stage.IMPLEMENTING)
    r = inspect(people["clerk"], project, findings=[finding()]).findings.get()
    project.stage = Stage.ARCHIVED
    project.save(update_fields=["stage"])
    with pytest.raises(Conflict) as exc:
        svc.rectification_close(actor=people["clerk"], rectification=r, closing_note="x", closed_on=dt.date(2026, 3, 20), evidence_name="a.pdf",
                                evidence_data=PDF)
    assert exc.value.message == str(archives.MSG_ARCHIVED)
