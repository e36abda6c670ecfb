"""The project register's services: create and update validation (each rule, its Chinese message, nothing written), 万元
input exactness, the core fields after 立项/下达, scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects import money
from anju.projects.models import Project, Stage, Term
from anju.projects.selectors import access_project
from anju.projects.services import projects as svc
from anju.projects.services.projects import project_create, project_update

from .factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, make_project


@pytest.fixture
def people(make_user, other_city):
    return {"clerk": make_user("county_clerk", "429921", username="p_clerk"),
            "city": make_user("city_clerk", "4299", username="p_city"),
            "other": make_user("county_clerk", "429821", username="p_other"),
            "township": make_user("township_clerk", "429921101", username="p_township"),
            "leader": make_user("leader", "429921", username="p_leader"),
            "sysadmin": make_user("sysadmin", "4299", username="p_sys")}


def base(**kw) -> dict:
    data = {"code": "XM-001", "name": "白云县移民村道路硬化", "division_code": VILLAGE, "program": "reservoir", "category": "infrastructure",
            "planned_investment": "80", "investment_unit": "wan", "year": 2026}
    data.update(kw)
    return data


def written() -> tuple[int, int]:
    return Project.objects.count(), AuditEvent.objects.filter(action__startswith="projects.").count()


def test_create_puts_the_project_in_the_reserve_and_audits_it(people):
    project = project_create(actor=people["clerk"], **base(planned_investment="12.345678", owner="p_leader", planned_start=dt.date(2026, 4, 1),
                                                           planned_completion=dt.date(2026, 10, 31), responsible_person="李四"))
    project.refresh_from_db()
    assert (project.stage, project.planned_investment, project.owner.username, project.created_by.username) == (
        Stage.RESERVE, 12_345_678, "p_leader", "p_clerk")
    event = AuditEvent.objects.get(action="projects.project.created")
    assert event.object_id == str(project.pk) and event.division_code == VILLAGE
    assert event.after["code"] == "XM-001" and event.after["planned_investment"] == 12_345_678 and event.after["owner"] == "p_leader"
    assert not project.stage_changes.exists()


@pytest.mark.parametrize(("value", "unit", "fen"), [("12.345678", "wan", 12_345_678), ("12.345678万元", "yuan", 12_345_678),
                                                    ("1,234.5", "yuan", 123_450), ("0.000001", "wan", 1), (100, "wan", 100_000_000)])
def test_wan_input_is_exact(people, value, unit, fen):
    assert project_create(actor=people["clerk"], **base(planned_investment=value, investment_unit=unit)).planned_investment == fen


def test_wan_beyond_a_fen_is_refused_and_nothing_written(people):
    with pytest.raises(ValidationFailed) as exc:
        project_create(actor=people["clerk"], **base(planned_investment="1.2345678"))
    precision = money.MSG_AMOUNT_PRECISION % {"value": "1.2345678", "unit": money.UNIT_LABELS["wan"]}
    assert exc.value.message == str(svc.MSG_INVESTMENT % {"error": precision})
    assert exc.value.detail == {"field": "planned_investment"}
    assert written() == (0, 0)
    with pytest.raises(ValidationFailed) as exc:
        project_create(actor=people["clerk"], **base(planned_investment="10", investment_unit="jin"))
    assert exc.value.message == str(svc.MSG_UNIT)
    with pytest.raises(ValidationFailed) as exc:
        project_create(actor=people["clerk"], **base(planned_investment="1.234", investment_unit="yuan"))
    assert exc.value.detail["field"] == "planned_investment"
    assert written() == (0, 0)


def _rules(people):
    inactive = Term.objects.create(kind=Term.Kind.CATEGORY, code="old", name="旧类别", active=False)
    gone = people["leader"]
    gone.is_active = False
    gone.save()
    label = svc.LABELS
    return [
        ({"code": ""}, "code", svc.MSG_REQUIRED % {"field": label["code"]}),
        ({"code": "XM 001"}, "code", svc.MSG_CODE_SPACES),
        ({"code": "X" * 41}, "code", svc.MSG_TOO_LONG % {"field": label["code"], "n": 40}),
        ({"name": "  "}, "name", svc.MSG_REQUIRED % {"field": label["name"]}),
        ({"name": "名" * 201}, "name", svc.MSG_TOO_LONG % {"field": label["name"], "n": 200}),
        ({"division_code": "42992"}, "division_code", svc.MSG_LOCATION_FORMAT),
        ({"division_code": "429999"}, "division_code", svc.MSG_LOCATION_UNKNOWN % {"code": "429999"}),
        ({"division_code": "4299"}, "division_code", svc.MSG_LOCATION_LEVEL),
        ({"division_code": "429922"}, "division_code", svc.MSG_LOCATION_SCOPE),
        ({"division_code": OTHER_VILLAGE}, "division_code", svc.MSG_LOCATION_SCOPE),
        ({"category": "nope"}, "category", svc.MSG_CATEGORY % {"value": "nope"}),
        ({"category": inactive.code}, "category", svc.MSG_CATEGORY % {"value": "old"}),
        ({"program": "poverty"}, "program", svc.MSG_PROGRAM % {"value": "poverty"}),
        ({"year": 1999}, "year", svc.MSG_YEAR % {"min": 2000, "max": 2100}),
        ({"beneficiaries": -1}, "beneficiaries", svc.MSG_BENEFICIARIES),
        ({"planned_start": dt.date(2026, 5, 1), "planned_completion": dt.date(2026, 4, 30)}, "planned_completion", svc.MSG_PLANNED_ORDER),
        ({"owner": "nobody"}, "owner", svc.MSG_OWNER_UNKNOWN % {"value": "nobody"}),
        ({"owner": "p_leader"}, "owner", svc.MSG_OWNER_INACTIVE % {"value": "p_leader"}),
        ({"owner": "p_other"}, "owner", svc.MSG_OWNER_SCOPE % {"value": "p_other"}),
        ({"owner": "p_sys"}, "owner", svc.MSG_OWNER_SCOPE % {"value": "p_sys"}),  # an IT role cannot read projects
        ({"plan": 999999}, "plan", svc.MSG_PLAN),
    ]


def test_each_create_rule_names_its_field_and_writes_nothing(people):
    for change, field, message in _rules(people):
        with pytest.raises(ValidationFailed) as exc:
            project_create(actor=people["clerk"], **base(**change))
        assert (exc.value.detail["field"], exc.value.message) == (field, str(message)), change
    assert written() == (0, 0)


def test_code_is_unique(people):
    project_create(actor=people["clerk"], **base())
    with pytest.raises(Conflict) as exc:
        project_create(actor=people["clerk"], **base(name="另一个"))
    assert exc.value.message == str(svc.MSG_CODE_TAKEN % {"code": "XM-001"}) and exc.value.detail == {"field": "code"}
    assert written() == (1, 1)


def test_each_update_rule_names_its_field_and_changes_nothing(people):
    project = project_create(actor=people["clerk"], **base())
    make_project(code="XM-TAKEN")
    before = svc.snapshot(Project.objects.get(pk=project.pk))
    for change, field, message in [*_rules(people), ({"code": "XM-TAKEN"}, "code", svc.MSG_CODE_TAKEN % {"code": "XM-TAKEN"})]:
        with pytest.raises((ValidationFailed, Conflict)) as exc:
            project_update(actor=people["clerk"], project=project, **change)
        assert (exc.value.detail["field"], exc.value.message) == (field, str(message)), change
    assert svc.snapshot(Project.objects.get(pk=project.pk)) == before
    assert AuditEvent.objects.filter(action="projects.project.updated").count() == 0


def test_update_records_before_and_after(people):
    project = project_create(actor=people["clerk"], **base())
    project_update(actor=people["clerk"], project=project, name="白云县移民村道路硬化（二期）", planned_investment="85.5", investment_unit="wan",
                   responsible_person="王五", division_code=TOWNSHIP)
    project.refresh_from_db()
    assert (project.name, project.planned_investment, project.division_code) == ("白云县移民村道路硬化（二期）", 85_500_000, TOWNSHIP)
    event = AuditEvent.objects.get(action="projects.project.updated")
    assert event.before == {"name": "白云县移民村道路硬化", "planned_investment": 80_000_000, "responsible_person": "",
                            "division_code": VILLAGE}
    assert event.after == {"code": "XM-001", "name": "白云县移民村道路硬化（二期）", "planned_investment": 85_500_000,
                           "responsible_person": "王五", "division_code": TOWNSHIP}
    project_update(actor=people["clerk"], project=project, name="白云县移民村道路硬化（二期）", category="infrastructure")
    assert AuditEvent.objects.filter(action="projects.project.updated").count() == 1  # equal values are no change


def test_core_fields_after_approval_are_the_citys(people):
    project = make_project(stage=Stage.APPROVED, code="XM-APP", name="原名称")
    with pytest.raises(PermissionDenied) as exc:
        project_update(actor=people["clerk"], project=project, name="新名称", planned_investment="600000", investment_unit="yuan")
    fields = "、".join(str(svc.LABELS[f]) for f in ("name", "planned_investment"))
    assert exc.value.message == str(svc.MSG_CORE_LOCKED % {"fields": fields}) and exc.value.code == "project_core_locked"
    assert Project.objects.get(pk=project.pk).name == "原名称"
    for change in ({"division_code": TOWNSHIP}, {"program": "three_gorges"}):
        with pytest.raises(PermissionDenied):
            project_update(actor=people["clerk"], project=project, **change)
    # the rest stays the county's; re-sending the approved values is no change
    project_update(actor=people["clerk"], project=project, name="原名称", planned_investment="500000", investment_unit="yuan",
                   responsible_person="赵六", beneficiaries=120)
    project_update(actor=people["city"], project=project, name="新名称")
    project.refresh_from_db()
    assert (project.name, project.responsible_person, project.beneficiaries) == ("新名称", "赵六", 120)
    assert [e.actor_username for e in AuditEvent.objects.filter(action="projects.project.updated").order_by("id")] == ["p_clerk", "p_city"]


def test_an_inactive_category_stays_on_the_rows_that_have_it(people):
    project = project_create(actor=people["clerk"], **base())
    Term.objects.filter(kind="category", code="infrastructure").update(active=False)
    project_update(actor=people["clerk"], project=project, category="infrastructure", note="备注")
    assert Project.objects.get(pk=project.pk).note == "备注"


def test_owner_must_still_cover_a_moved_project(people):
    township_owner = people["township"]
    project = project_create(actor=people["clerk"], **base(owner=township_owner.username))
    with pytest.raises(ValidationFailed) as exc:
        project_update(actor=people["clerk"], project=project, division_code=COUNTY)
    assert exc.value.detail["field"] == "owner"
    project_update(actor=people["clerk"], project=project, division_code=COUNTY, owner=None)
    project.refresh_from_db()
    assert (project.division_code, project.owner) == (COUNTY, None)


def test_scope_and_permission(people):
    county_project = make_project(division_code=COUNTY)
    village_project = make_project(division_code=VILLAGE)
    with pytest.raises(NotFound):
        project_update(actor=people["other"], project=village_project, note="x")
    with pytest.raises(NotFound):
        access_project(people["other"], village_project.pk)
    with pytest.raises(PermissionDenied):  # a township clerk does not edit projects
        project_update(actor=people["township"], project=county_project, note="x")
    with pytest.raises(NotFound):  # nor sees the county's own projects
        access_project(people["township"], county_project.pk)
    assert access_project(people["township"], village_project.pk) == village_project
    with pytest.raises(PermissionDenied):
        project_create(actor=people["leader"], **base())
    assert written() == (2, 0)
