"""Header aliases: the service (permission, validation, audit), the page and the API."""

from __future__ import annotations

import json

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.imports import services
from anju.imports.models import HeaderAlias
from anju.imports.readers import read_table
from anju.imports.selectors import header_alias_list
from anju.imports.services import header_alias_add, header_alias_delete
from anju.imports.spec import known_specs

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921")


@pytest.fixture
def leader(make_user):
    return make_user("leader", "429921")


def test_add_normalises_audits_and_maps_headers(clerk, spec, write_csv):
    alias = header_alias_add(actor=clerk, template=spec.template, field="name", alias=" 户主 姓名（必填） ")
    assert (alias.template, alias.field, alias.alias, alias.created_by) == (spec.template, "name", "户主姓名（必填）", clerk)
    event = AuditEvent.objects.get(action="imports.alias.added")
    assert event.object_type == "header_alias" and event.object_id == str(alias.pk)
    assert event.after == {"template": spec.template, "field": "name", "alias": "户主姓名（必填）"}
    table = read_table(write_csv([["户主姓名", "身份证号"], ["张三", "1"]]), spec=spec)  # the note-free form maps too
    assert table.columns["name"] == "户主姓名"
    assert list(header_alias_list(actor=clerk)) == [alias]
    assert list(header_alias_list(actor=clerk, template="other")) == []


def test_add_validation(clerk, spec):
    cases = [
        (dict(template="nope", field="name", alias="x"), ValidationFailed, "unknown_template", services.MSG_UNKNOWN_TEMPLATE % {"template": "nope"}),
        (dict(template=spec.template, field="nope", alias="x"), ValidationFailed, "unknown_field",
         services.MSG_UNKNOWN_FIELD % {"title": spec.title, "field": "nope"}),
        (dict(template=spec.template, field="name", alias=" * "), ValidationFailed, "alias_empty", services.MSG_ALIAS_EMPTY),
        (dict(template=spec.template, field="name", alias="长" * 61), ValidationFailed, "alias_too_long", services.MSG_ALIAS_TOO_LONG % {"n": 60}),
        (dict(template=spec.template, field="bank", alias="公民身份 号码"), Conflict, "alias_builtin",
         services.MSG_ALIAS_BUILTIN % {"alias": "公民身份号码", "title": spec.title, "label": "身份证号"}),
        (dict(template=spec.template, field="bank", alias="身份证号(必填)"), Conflict, "alias_builtin",
         services.MSG_ALIAS_BUILTIN % {"alias": "身份证号（必填）", "title": spec.title, "label": "身份证号"}),
    ]
    for kwargs, exc_type, code, message in cases:
        with pytest.raises(exc_type) as exc:
            header_alias_add(actor=clerk, **kwargs)
        assert (exc.value.code, exc.value.message) == (code, str(message)), kwargs
    header_alias_add(actor=clerk, template=spec.template, field="account", alias="卡号")
    with pytest.raises(Conflict) as exc:
        header_alias_add(actor=clerk, template=spec.template, field="bank", alias="卡 号")
    assert exc.value.code == "alias_exists"
    assert exc.value.message == services.MSG_ALIAS_EXISTS % {"alias": "卡号", "title": spec.title, "label": "银行账号"}
    assert HeaderAlias.objects.count() == 1


def test_permission(leader, clerk, spec):
    with pytest.raises(PermissionDenied):
        header_alias_add(actor=leader, template=spec.template, field="name", alias="户名")
    alias = header_alias_add(actor=clerk, template=spec.template, field="name", alias="户名")
    with pytest.raises(PermissionDenied):
        header_alias_delete(actor=leader, alias_id=alias.pk)
    with pytest.raises(PermissionDenied):
        header_alias_list(actor=leader)
    assert HeaderAlias.objects.filter(pk=alias.pk).exists()


def test_delete_audits(clerk, spec):
    alias = header_alias_add(actor=clerk, template=spec.template, field="name", alias="户名")
    header_alias_delete(actor=clerk, alias_id=alias.pk)
    assert not HeaderAlias.objects.exists()
    event = AuditEvent.objects.get(action="imports.alias.deleted")
    assert event.before == {"template": spec.template, "field": "name", "alias": "户名"} and event.object_id == str(alias.pk)
    with pytest.raises(NotFound):
        header_alias_delete(actor=clerk, alias_id=alias.pk)


def test_known_specs_lists_registered_template(spec):
    assert known_specs()[spec.template] is spec


def test_page_lists_adds_and_deletes(clerk, login, spec):
    client = login(clerk)
    page = client.get("/imports/aliases/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "测试花名册" in body and "身份证号码、公民身份号码、证件号码" in body and f"{spec.template}:name" in body
    response = client.post("/imports/aliases/", {"target": f"{spec.template}:account", "alias": "一卡通账号"})
    assert response.status_code == 302 and response.url == "/imports/aliases/"
    alias = HeaderAlias.objects.get()
    assert (alias.field, alias.alias) == ("account", "一卡通账号")
    listing = client.get("/imports/aliases/?template=" + spec.template).content.decode()
    assert "一卡通账号" in listing and f"/imports/aliases/{alias.pk}/delete/" in listing
    again = client.post("/imports/aliases/", {"target": f"{spec.template}:bank", "alias": "一卡通账号"})
    assert again.status_code == 200
    assert str(services.MSG_ALIAS_EXISTS % {"alias": "一卡通账号", "title": spec.title, "label": "银行账号"}) in again.content.decode()
    bad = client.post("/imports/aliases/", {"target": "nope:x", "alias": "甲"})
    assert bad.status_code == 200 and HeaderAlias.objects.count() == 1
    assert client.post(f"/imports/aliases/{alias.pk}/delete/").status_code == 302
    assert not HeaderAlias.objects.exists()
    assert client.post(f"/imports/aliases/{alias.pk}/delete/").status_code == 404


def test_page_forbidden_without_permission(leader, login):
    assert login(leader).get("/imports/aliases/").status_code == 403


def test_api(clerk, leader, api, spec):
    client = api(clerk)
    templates = client.get("/api/v1/imports/templates").json()
    mine = next(t for t in templates if t["template"] == spec.template)
    assert mine["title"] == spec.title and mine["fields"][1] == {"name": "id_number", "label": "身份证号",
                                                                  "aliases": ["身份证号码", "公民身份号码", "证件号码"], "required": True}
    created = client.post("/api/v1/imports/aliases", data=json.dumps({"template": spec.template, "field": "name", "alias": "户主 名字"}),
                          content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["template"], body["field"], body["alias"], body["created_by"]) == (spec.template, "name", "户主名字", clerk.username)
    listing = client.get(f"/api/v1/imports/aliases?template={spec.template}").json()
    assert [a["alias"] for a in listing["items"]] == ["户主名字"] and listing["count"] == 1
    dup = client.post("/api/v1/imports/aliases", data=json.dumps({"template": spec.template, "field": "bank", "alias": "户主名字"}),
                      content_type="application/json")
    assert dup.status_code == 409 and dup.json()["code"] == "alias_exists"
    unknown = client.post("/api/v1/imports/aliases", data=json.dumps({"template": "x", "field": "name", "alias": "甲"}),
                          content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_template"
    assert api(leader).get("/api/v1/imports/aliases").json()["code"] == "forbidden"
    assert client.delete(f"/api/v1/imports/aliases/{body['id']}").status_code == 204
    missing = client.delete(f"/api/v1/imports/aliases/{body['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
