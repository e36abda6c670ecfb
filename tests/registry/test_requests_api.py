"""Change-request API: the happy path through every level, and each error with its status and code; CLI apply-due/posting."""

from __future__ import annotations

import contextvars
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.crypto import decrypt
from anju.core.models import AuditEvent
from anju.registry.models import ChangeRequest, Enrolment, Evidence
from anju.registry.services import requests as svc

from . import test_requests_workflow as wf
from .test_requests_evidence import PDF

A = "/api/v1/registry/requests"


@pytest.fixture
def actors(make_user):
    return wf.make_actors(make_user)


@pytest.fixture
def household(tree):
    return wf.make_family()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_happy_path_through_the_api(actors, household, api):
    e = Enrolment.objects.get(household=household, person__name="李四")
    township, county, city = api(actors["township"]), api(actors["county"]), api(actors["city"])
    r = post(township, A, {"kind": "remove", "program": "reservoir", "id_number": decrypt(e.person.id_enc), "cause": "death",
                           "reason": "病故", "payload": {"event_date": "2026-03-01"}})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["kind_label"], body["person_id_masked"], body["steps"][0]["action"]) == ("draft", "核减", e.person.id_masked, "create")
    rid = body["id"]
    assert post(township, f"{A}/{rid}/submit").json()["awaiting_level"] == "county"

    upload = township.post(f"{A}/{rid}/evidence", {"file": _file("证明.pdf", PDF)})
    assert upload.status_code == 200 and upload.json()["sha256"]
    evidence_id = upload.json()["id"]
    bad = township.post(f"{A}/{rid}/evidence", {"file": _file("证明.exe", b"MZ")})
    assert bad.status_code == 422 and bad.json()["code"] == "evidence_type"
    assert county.get(f"{A}/{rid}/evidence/{evidence_id}").status_code == 200

    assert [x["id"] for x in county.get(f"{A}?box=awaiting").json()["items"]] == [rid]
    assert county.get(f"{A}?box=awaiting&kind=restore").json()["count"] == 0
    r = post(county, f"{A}/{rid}/approve", {"comment": "属实"})
    assert r.status_code == 200 and r.json()["awaiting_level"] == "city"
    r = post(city, f"{A}/{rid}/approve", {})
    assert r.json()["state"] == "posting" and r.json()["effective_on"] == "2027-01-01"
    assert [s["action"] for s in r.json()["steps"]] == ["create", "submit", "approve", "approve", "post"]
    assert len(r.json()["evidence"]) == 1

    posting = township.get(f"{A}/posting?program=reservoir").json()
    assert posting["count"] == 1 and posting["rows"][0][4] == "李四" and posting["headers"][0] == "序号"
    pdf = city.get(f"{A}/posting/export?format=pdf&scope=429921")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="registry.request.posting_exported", actor=actors["city"]).exists()


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_api_errors(actors, household, api):
    cr = wf.removal(actors, household)
    township, county = api(actors["township"]), api(actors["county"])
    r = post(township, f"{A}/{cr.pk}/approve", {})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api(actors["county_other"]).get(f"{A}/{cr.pk}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = post(township, A, {"kind": "remove", "program": "reservoir", "person_id": cr.person_id, "cause": "death",
                           "payload": {"event_date": "2026-03-01"}})
    assert r.status_code == 409 and r.json()["message"] == str(svc.MSG_OPEN_REQUEST % {"kind": "核减", "id": cr.pk, "state": "审批中"})
    r = post(township, A, {"kind": "remove", "program": "reservoir", "person_id": cr.person_id, "cause": "death"})
    assert r.status_code in (409, 422)
    other = Enrolment.objects.get(household=household, person__name="张三")
    r = post(township, A, {"kind": "remove", "program": "reservoir", "enrolment_id": other.pk, "cause": "death"})
    assert r.status_code == 422 and r.json()["code"] == "event_date_required"
    r = post(township, A, {"kind": "move", "program": "reservoir", "person_id": other.person_id, "payload": {"to_household": "x", "relation": "子"}})
    assert r.status_code == 422 and r.json()["message"] == str(svc.MSG_PAYLOAD % {"field": "to_household"})
    r = post(township, A, {"kind": "add_household", "program": "reservoir", "payload": {"number": "H1", "village": "429921101201", "members": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "payload_invalid"
    r = post(township, A, {"kind": "teleport", "program": "reservoir"})
    assert r.status_code == 422 and r.json()["code"] == "invalid"
    r = post(county, f"{A}/{cr.pk}/reject", {"reason": " "})
    assert r.status_code == 422
    r = post(county, f"{A}/{cr.pk}/reject", {"reason": "不符"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    r = post(county, f"{A}/{cr.pk}/approve", {})
    assert r.status_code == 409 and r.json()["code"] == "not_pending"
    r = post(township, f"{A}/{cr.pk}/withdraw", {})
    assert r.status_code == 409 and r.json()["code"] == "not_open"
    copy = post(township, f"{A}/{cr.pk}/copy")
    assert copy.status_code == 200 and copy.json()["state"] == "draft"
    assert post(api(actors["county_clerk"]), f"{A}/{copy.json()['id']}/submit").json()["code"] == "not_creator"


def test_payload_never_shows_ciphertext(actors, household, api):
    from anju.registry.resident_id import compose

    number = compose("429921", dt.date(2001, 1, 1), 21)
    r = post(api(actors["township"]), A, {"kind": "add_person", "program": "reservoir", "household_id": household.pk,
                                          "payload": {"member": {"name": "新人", "id_number": number, "relation": "孙子",
                                                                 "bank_account": "6217000010009999888"}}})
    assert r.status_code == 200, r.content
    text = r.content.decode()
    assert number not in text and "v1:" not in text and "id_hash" not in text and "6217000010009999888" not in text
    assert r.json()["payload"]["member"]["id_masked"] == number[:3] + "*" * 11 + number[-4:]


def test_import_endpoint(actors, household, api):
    line = f"{decrypt(Enrolment.objects.get(household=household, person__name='李四').person.id_enc)},李四,死亡,2026-03-01,\n"
    client = api(actors["township"])
    r = client.post(f"{A}/import", {"program": "reservoir", "file": _file("名单.csv", ("身份证号,姓名,核减原因,事件日期,说明\n" + line).encode())})
    assert r.status_code == 200 and r.json()["created"] == 1 and r.json()["errors"] == []
    r = client.post(f"{A}/import", {"program": "reservoir", "file": _file("名单.csv", ("身份证号,姓名,核减原因,事件日期,说明\n" + line).encode())})
    assert r.json()["created"] == 0 and r.json()["errors"][0]["code"] == "request_open"
    r = client.post(f"{A}/import", {"program": "reservoir"})
    assert r.status_code == 422 and r.json()["code"] == "file_required"


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_cli_apply_due_and_posting(actors, household, tmp_path):
    cr = wf.approve_all(actors, wf.removal(actors, household), today=dt.date(2026, 4, 1))
    out = tmp_path / "公示表.xlsx"
    result = invoke("registry", "requests", "posting", "--as", "c_rev", "--scope", "429921", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PK")
    result = invoke("registry", "requests", "apply-due", "--today", "2026-04-08")
    assert result.exit_code == 0 and "公示期满 1 条；生效 0 条" in result.output
    result = invoke("registry", "requests", "apply-due", "--today", "2027-01-01", "--as", "city_clerk")
    assert result.exit_code == 0 and "生效 1 条" in result.output
    cr.refresh_from_db()
    assert cr.state == ChangeRequest.State.EFFECTIVE and cr.steps.last().actor == actors["city"]
    result = invoke("registry", "requests", "apply-due", "--today", "2027-13-01")
    assert result.exit_code == 2
    assert Evidence.objects.count() == 0
