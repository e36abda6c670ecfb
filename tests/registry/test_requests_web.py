"""Change-request pages: create from a person page link, inbox per level, decide, evidence, 公示表 downloads, import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.core.models import AuditEvent, Job
from anju.registry.models import ChangeRequest, Enrolment, Evidence
from anju.registry.services import records
from anju.registry.services import requests as svc

from . import test_requests_workflow as wf
from .test_requests_evidence import PDF, PNG

State = ChangeRequest.State


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


def person(household, name):
    return Enrolment.objects.get(household=household, person__name=name).person


def test_township_proposes_county_and_city_approve_in_the_browser(actors, household, login):
    p = person(household, "李四")
    township = login(actors["township"])
    page = township.get(f"/registry/requests/new/?kind=remove&person={p.pk}&program=reservoir")
    assert page.status_code == 200 and p.id_masked in page.content.decode()
    response = township.post(f"/registry/requests/new/?kind=remove&person={p.pk}&program=reservoir", {
        "kind": "remove", "person": p.pk, "program": "reservoir", "cause": "death", "event_date": "2026-03-01", "reason": "病故", "submit": "on"})
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/registry/requests/{cr.pk}/"
    assert cr.state == State.PENDING and cr.person == p and cr.created_by == actors["township"]
    assert township.get(f"/registry/requests/{cr.pk}/").status_code == 200

    assert township.post(f"/registry/requests/{cr.pk}/approve/").status_code == 403  # no decide permission

    county = login(actors["county"])
    inbox = county.get("/registry/requests/")
    assert inbox.status_code == 200 and f'href="/registry/requests/{cr.pk}/"' in inbox.content.decode()
    detail = county.get(f"/registry/requests/{cr.pk}/").content.decode()
    assert "/approve/" in detail
    county.post(f"/registry/requests/{cr.pk}/approve/", {"comment": "属实"})
    cr.refresh_from_db()
    assert svc.awaited_level(cr) == "city"
    again = county.post(f"/registry/requests/{cr.pk}/approve/", follow=True)
    assert str(svc.MSG_WRONG_LEVEL % {"level": "市级"}) in again.content.decode()

    city = login(actors["city"])
    city.post(f"/registry/requests/{cr.pk}/approve/")
    cr.refresh_from_db()
    assert cr.state == State.POSTING
    assert [s.action for s in cr.steps.all()] == ["create", "submit", "approve", "approve", "post"]

    assert login(actors["county_other"]).get(f"/registry/requests/{cr.pk}/").status_code == 404
    assert f"/registry/requests/{cr.pk}/" not in login(actors["county_other"]).get("/registry/requests/?box=all").content.decode()


def test_form_errors_name_the_field(actors, household, login):
    p = person(household, "李四")
    client = login(actors["township"])
    response = client.post("/registry/requests/new/?kind=remove", {"kind": "remove", "id_number": decrypt(p.id_enc), "program": "reservoir",
                                                                  "cause": "death", "event_date": "2099-01-01"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["event_date"] == [f"事件日期：{records.MSG_DATE_FUTURE % {'value': '2099-01-01'}}"]
    response = client.post("/registry/requests/new/?kind=remove", {"kind": "remove", "id_number": "110101199003070000", "program": "reservoir",
                                                                  "cause": "death", "event_date": "2026-01-01"})
    from anju.registry.forms_requests import MSG_PERSON_NOT_FOUND

    assert response.context["form"].errors["id_number"] == [str(MSG_PERSON_NOT_FOUND)]
    assert ChangeRequest.objects.count() == 0


def test_create_forms_of_every_kind_render_and_save(actors, household, login):
    client = login(actors["township"])
    assert "新增户" in client.get("/registry/requests/new/").content.decode()
    for kind in ChangeRequest.Kind.values:
        query = f"?kind={kind}&household={household.pk}" if kind in ("add_person", "split", "merge") else f"?kind={kind}"
        assert client.get(f"/registry/requests/new/{query}").status_code == 200, kind
    son = person(household, "张小")
    response = client.post(f"/registry/requests/new/?kind=split&household={household.pk}", {
        "kind": "split", "household": household.pk, "program": "reservoir", "members": [son.pk], "head": son.pk, "number": "H001-2",
        "submit": "on"})
    assert response.status_code == 302, response.context["form"].errors
    split = ChangeRequest.objects.get(kind="split")
    assert split.payload["members"] == [son.pk] and split.state == State.PENDING
    response = client.post("/registry/requests/new/?kind=correct", {
        "kind": "correct", "id_number": decrypt(person(household, "李四").id_enc), "program": "reservoir", "new_phone": "13800138000"})
    assert response.status_code == 302
    from anju.registry.resident_id import compose

    number = compose("429921", dt.date(1990, 1, 1), 11)
    response = client.post("/registry/requests/new/?kind=add_household", {
        "kind": "add_household", "program": "reservoir", "number": "H900", "village": "429921101202", "members": f"王一,{number},户主",
        "support_mode": "直补"})
    assert response.status_code == 302, response.context["form"].errors
    assert ChangeRequest.objects.get(kind="add_household").payload["members"][0]["id_masked"] == number[:3] + "*" * 11 + number[-4:]


def test_withdraw_and_copy_in_the_browser(actors, household, login):
    cr = wf.removal(actors, household)
    client = login(actors["township"])
    client.post(f"/registry/requests/{cr.pk}/withdraw/", {"comment": "报错了"})
    cr.refresh_from_db()
    assert cr.state == State.WITHDRAWN
    response = client.post(f"/registry/requests/{cr.pk}/copy/")
    new = ChangeRequest.objects.exclude(pk=cr.pk).get()
    assert response.url == f"/registry/requests/{new.pk}/" and new.state == State.DRAFT
    client.post(f"/registry/requests/{new.pk}/submit/")
    new.refresh_from_db()
    assert new.state == State.PENDING


def test_evidence_upload_and_download(actors, household, login, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cr = wf.removal(actors, household)
    client = login(actors["township"])
    client.post(f"/registry/requests/{cr.pk}/evidence/", {"file": SimpleUploadedFile("死亡证明.pdf", PDF, "application/pdf")})
    evidence = Evidence.objects.get()
    bad = client.post(f"/registry/requests/{cr.pk}/evidence/", {"file": SimpleUploadedFile("x.pdf", PNG, "application/pdf")}, follow=True)
    assert str(svc.MSG_EVIDENCE_CONTENT % {"name": "x.pdf"}) in bad.content.decode() and Evidence.objects.count() == 1
    response = login(actors["county"]).get(f"/registry/requests/{cr.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="registry.request.evidence_downloaded", actor=actors["county"]).exists()
    assert login(actors["county_other"]).get(f"/registry/requests/{cr.pk}/evidence/{evidence.pk}/").status_code == 404


def test_posting_page_and_downloads(actors, household, login):
    cr = wf.approve_all(actors, wf.removal(actors, household))
    assert cr.state == State.POSTING
    client = login(actors["township"])
    page = client.get("/registry/requests/posting/?program=reservoir").content.decode()
    assert "白坪镇水库移民后期扶持人员变动公示表" in page and cr.person.id_masked in page
    xlsx = client.get("/registry/requests/posting/download/?format=xlsx&program=reservoir")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith('attachment; filename="posting-429921101-reservoir-')
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
    assert rows[3][4] == "李四"
    pdf = client.get("/registry/requests/posting/download/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="registry.request.posting_exported").count() == 2
    outside = client.get("/registry/requests/posting/?scope=429902").content.decode()
    assert "该区划不在您的管辖范围内" in outside


def test_import_page_submits_a_job(actors, household, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anju.core.jobs import job_execute

    client = login(actors["township"])
    assert client.get("/registry/requests/import/").status_code == 200
    data = f"身份证号,姓名,核减原因,事件日期,说明\n{decrypt(person(household, '李四').id_enc)},李四,死亡,2026-03-01,\n".encode()
    response = client.post("/registry/requests/import/", {"program": "reservoir", "submit": "on",
                                                          "file": SimpleUploadedFile("名单.csv", data, "text/csv")})
    job = Job.objects.get(kind="registry.requests_import")
    assert response.url == f"/jobs/{job.pk}/"
    job = job_execute(job.pk)
    assert job.state == "succeeded" and job.result["created"] == 1
    assert ChangeRequest.objects.get().source == "import"
