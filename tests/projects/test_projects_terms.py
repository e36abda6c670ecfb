"""The vocabularies (项目类别, 资金来源, 检查类型): codes immutable, names unique within a kind, order, deactivation, deletion only
when unused; the pages; audit."""

from __future__ import annotations

import pytest

from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import Term
from anju.projects.services import projects_terms as ts
from anju.projects.services.projects import MSG_CATEGORY, project_create

from .factories import VILLAGE, make_allocation, make_project

T = "/projects/terms"


@pytest.fixture
def people(make_user):
    return {"city": make_user("city_clerk", "4299", username="t_city"), "clerk": make_user("county_clerk", "429921", username="t_clerk")}


def codes(kind: str) -> list[str]:
    return list(Term.objects.filter(kind=kind).order_by("sort", "code").values_list("code", flat=True))


def test_create_rename_reorder_deactivate(people):
    city = people["city"]
    term = ts.term_create(actor=city, kind="category", code="water", name="农村饮水")
    assert (term.sort, codes("category")[-1]) == (70, "water")  # after the six seeded categories (10 … 60)
    ts.term_update(actor=city, term=term, name=" 农村 饮水安全 ")
    assert Term.objects.get(pk=term.pk).name == "农村 饮水安全"
    ts.term_move(actor=city, term=term, direction="up")
    assert codes("category")[-2:] == ["water", "other"]
    assert list(Term.objects.filter(kind="category").order_by("sort").values_list("sort", flat=True)) == [10, 20, 30, 40, 50, 60, 70]
    ts.term_move(actor=city, term=Term.objects.get(kind="category", code="infrastructure"), direction="up")  # already first: no change
    ts.term_update(actor=city, term=term, active=False)
    with pytest.raises(ValidationFailed) as exc:
        project_create(actor=people["clerk"], code="XM-W", name="饮水", division_code=VILLAGE, program="reservoir", category="water")
    assert exc.value.message == str(MSG_CATEGORY % {"value": "water"})
    actions = list(AuditEvent.objects.filter(action__startswith="projects.term.").order_by("id").values_list("action", flat=True))
    assert actions == ["projects.term.created", "projects.term.renamed", "projects.term.reordered", "projects.term.deactivated"]
    renamed = AuditEvent.objects.get(action="projects.term.renamed")
    assert (renamed.before, renamed.after) == ({"name": "农村饮水"}, {"kind": "category", "code": "water", "name": "农村 饮水安全"})


def test_rules(people):
    city = people["city"]
    cases = [
        (dict(kind="colour", code="x", name="颜色"), ValidationFailed, ts.MSG_TERM_KIND % {"value": "colour"}),
        (dict(kind="category", code="水利", name="水利"), ValidationFailed, ts.MSG_TERM_CODE_FORMAT),
        (dict(kind="category", code="x" * 33, name="水利"), ValidationFailed, ts.MSG_TERM_CODE_FORMAT),
        (dict(kind="category", code="water", name=" "), ValidationFailed, ts.MSG_TERM_NAME_REQUIRED),
        (dict(kind="category", code="water", name="名" * 61), ValidationFailed, ts.MSG_TERM_NAME_LENGTH),
        (dict(kind="category", code="infrastructure", name="水利"), Conflict,
         ts.MSG_TERM_CODE_TAKEN % {"kind": Term.Kind.CATEGORY.label, "code": "infrastructure"}),
        (dict(kind="category", code="water", name="基础 设施"), Conflict, ts.MSG_TERM_NAME_TAKEN % {"kind": Term.Kind.CATEGORY.label,
                                                                                                 "name": "基础 设施"}),
        (dict(kind="category", code="water", name="水利", sort=40000), ValidationFailed, ts.MSG_TERM_SORT),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error) as exc:
            ts.term_create(actor=city, **kwargs)
        assert exc.value.message == str(message), kwargs
    assert ts.term_create(actor=city, kind="fund_source", code="infrastructure", name="基础设施").kind == "fund_source"  # per kind
    term = Term.objects.get(kind="category", code="industry")
    with pytest.raises(ValidationFailed) as exc:
        ts.term_update(actor=city, term=term, code="industries", name="产业")
    assert exc.value.message == str(ts.MSG_TERM_CODE_IMMUTABLE)
    with pytest.raises(Conflict):
        ts.term_update(actor=city, term=term, name="其他")
    ts.term_update(actor=city, term=term, code="industry", name="产业发展")  # the same code is no change
    with pytest.raises(PermissionDenied):
        ts.term_create(actor=people["clerk"], kind="category", code="water", name="水利")
    assert Term.objects.get(pk=term.pk).name == "产业发展"
    assert AuditEvent.objects.filter(action__startswith="projects.term.").count() == 1


def test_a_term_in_use_is_deactivated_not_deleted(people):
    city = people["city"]
    make_allocation(make_project(category="industry"), 1000, fund_source="provincial")
    for kind, code in (("category", "industry"), ("fund_source", "provincial")):
        term = Term.objects.get(kind=kind, code=code)
        with pytest.raises(Conflict) as exc:
            ts.term_delete(actor=city, term=term)
        assert exc.value.message == str(ts.MSG_TERM_IN_USE % {"name": term.name, "n": 1})
    unused = Term.objects.get(kind="inspection_kind", code="funds")
    ts.term_delete(actor=city, term=unused)
    assert not Term.objects.filter(pk=unused.pk).exists()
    event = AuditEvent.objects.get(action="projects.term.deleted")
    assert event.before["code"] == "funds"


def test_pages(people, login):
    client = login(people["city"])
    page = client.get(f"{T}/?kind=fund_source")
    assert page.status_code == 200 and "中央水库移民扶持基金" in page.content.decode()
    response = client.post(f"{T}/new/", {"kind": "fund_source", "code": "bond", "name": "专项债", "active": "on"})
    assert response.status_code == 302 and response.url.endswith("?kind=fund_source")
    term = Term.objects.get(kind="fund_source", code="bond")
    assert (term.name, term.active, term.sort) == ("专项债", True, 60)
    taken = client.post(f"{T}/new/", {"kind": "fund_source", "code": "bond2", "name": "专项债"})
    assert taken.status_code == 200 and str(ts.MSG_TERM_NAME_TAKEN % {"kind": Term.Kind.FUND_SOURCE.label, "name": "专项债"}) in taken.content.decode()
    edit = client.post(f"{T}/{term.pk}/edit/", {"kind": "category", "code": "changed", "name": "地方政府专项债券", "sort": "5", "active": "on"})
    assert edit.status_code == 302
    term.refresh_from_db()
    assert (term.kind, term.code, term.name, term.sort) == ("fund_source", "bond", "地方政府专项债券", 5)  # kind and code are not editable
    assert client.post(f"{T}/{term.pk}/move/", {"direction": "down"}).status_code == 302
    assert codes("fund_source")[:2] == ["central", "bond"]
    client.post(f"{T}/{term.pk}/active/", {"active": "0"})
    assert Term.objects.get(pk=term.pk).active is False
    in_use = Term.objects.get(kind="fund_source", code="central")
    make_allocation(make_project(), 100, fund_source="central")
    refused = client.post(f"{T}/{in_use.pk}/delete/", follow=True)
    assert "不能删除，只能停用" in refused.content.decode() and Term.objects.filter(pk=in_use.pk).exists()
    client.post(f"{T}/{term.pk}/delete/")
    assert not Term.objects.filter(pk=term.pk).exists()
    assert login(people["clerk"]).get(f"{T}/").status_code == 403
