"""Cross-check API: upload (a job), batches, matches (masked), confirm / dismiss with their errors, duplicates."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.core.jobs import job_execute
from anju.core.models import AuditEvent
from anju.registry.models import CrossCheckMatch
from anju.registry.services.crosschecks import MSG_AS_OF_FUTURE, MSG_FILE_TYPE, MSG_MATCH_DECIDED, MSG_REQUEST_IN_WORKFLOW
from tests.registry.factories import make_household

URL = "/api/v1/registry/crosschecks"


@pytest.fixture
def household(tree):
    return make_household("XCK-A1", [("牛一", "户主"), ("牛二", "子女")])


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="xck_api_county")


def upload(client, rows, **extra):
    body = "姓名,身份证号码,死亡日期\n" + "".join(f"{n},{i},2025-02-03\n" for n, i in rows)
    data = {"kind": "death", "source": "公安局", "as_of": "2025-12-31", "file": SimpleUploadedFile("d.csv", body.encode()), **extra}
    return client.post(URL, data)


def run_batch(client, rows) -> int:
    response = upload(client, rows)
    assert response.status_code == 202, response.content
    job = job_execute(response.json()["id"])
    assert job.state == "succeeded", job.error
    return job.result["batch_id"]


def test_upload_list_then_read_batch_and_masked_matches(api, clerk, household):
    client = api(clerk)
    number = decrypt(household.head.id_enc)

    batch_id = run_batch(client, [("牛一", number), ("陌生人", "")])

    listing = client.get(URL).json()
    assert [b["id"] for b in listing["items"]] == [batch_id] and listing["items"][0]["counts"]["matched_rows"] == 1
    detail = client.get(f"{URL}/{batch_id}").json()
    assert detail["kind"] == "death" and detail["created_by"] == "xck_api_county"
    assert [r["name"] for r in detail["unmatched_rows"]] == ["陌生人"]
    matches = client.get(f"{URL}/{batch_id}/matches").json()["items"]
    assert len(matches) == 1
    m = matches[0]
    assert (m["person_name"], m["method"], m["state"], m["event_date"], m["request_state"]) == ("牛一", "id", "suggested", "2025-02-03", "draft")
    assert m["person_id_masked"] == household.head.id_masked and number not in json.dumps(matches)
    assert client.get(f"{URL}/{batch_id}/matches", {"state": "confirmed"}).json()["count"] == 0


def test_upload_is_checked_before_it_is_queued(api, clerk, make_user):
    client = api(clerk)
    future = upload(client, [("x", "")], as_of="2999-01-01")
    assert future.status_code == 422 and future.json()["message"] == str(MSG_AS_OF_FUTURE)
    pdf = client.post(URL, {"kind": "death", "source": "公安局", "as_of": "2025-12-31", "file": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert pdf.status_code == 422 and pdf.json()["message"] == str(MSG_FILE_TYPE % {"name": "x.pdf"})
    township = api(make_user("township_clerk", "429921101"))
    refused = township.post(URL, {})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_confirm_and_dismiss_with_conflicts(api, clerk, household):
    client = api(clerk)
    people = [household.head, household.memberships.last().person]
    batch_id = run_batch(client, [(p.name, decrypt(p.id_enc)) for p in people])
    first, second = CrossCheckMatch.objects.filter(batch_id=batch_id).order_by("row")

    confirmed = client.post(f"{URL}/matches/{first.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    again = client.post(f"{URL}/matches/{first.pk}/confirm")
    assert again.status_code == 409 and again.json() == {"code": "crosscheck_match_decided",
                                                         "message": str(MSG_MATCH_DECIDED % {"state": "已确认"}), "detail": None}

    empty = client.post(f"{URL}/matches/{second.pk}/dismiss", json.dumps({"reason": " "}), content_type="application/json")
    assert empty.status_code == 422
    second.request.state = "pending"
    second.request.save()
    busy = client.post(f"{URL}/matches/{second.pk}/dismiss", json.dumps({"reason": "非同一人"}), content_type="application/json")
    assert busy.status_code == 409 and busy.json()["message"] == str(MSG_REQUEST_IN_WORKFLOW % {"id": second.request_id, "state": "审批中"})
    second.request.state = "draft"
    second.request.save()
    dismissed = client.post(f"{URL}/matches/{second.pk}/dismiss", json.dumps({"reason": "非同一人"}), content_type="application/json")
    assert dismissed.status_code == 200
    body = dismissed.json()
    assert (body["state"], body["request_state"], body["note"]["reason"]) == ("dismissed", "withdrawn", "非同一人")


def test_out_of_scope_batches_and_matches_are_not_found(api, clerk, make_user, household):
    batch_id = run_batch(api(clerk), [(household.head.name, decrypt(household.head.id_enc))])
    match = CrossCheckMatch.objects.get(batch_id=batch_id)
    other = api(make_user("county_clerk", "429902"))
    assert other.get(f"{URL}/{batch_id}").status_code == 404
    assert other.get(f"{URL}/{batch_id}/matches").status_code == 404
    assert other.post(f"{URL}/matches/{match.pk}/confirm").json()["code"] == "not_found"
    assert other.get(URL).json()["count"] == 0


def test_duplicates_json_and_export(api, make_user, household):
    twin = make_household("XCK-A2", [("牛一", "户主")])
    twin.head.birth_date = household.head.birth_date
    twin.head.save()
    client = api(make_user("city_clerk", "4299"))

    report = client.get(f"{URL}/duplicates").json()
    assert report["counts"]["same_name_birth"] == 1
    (group,) = report["groups"]["same_name_birth"]
    assert sorted(m["household_number"] for m in group["members"]) == ["XCK-A1", "XCK-A2"]
    assert client.get(f"{URL}/duplicates", {"program": "relocation"}).json()["counts"]["same_name_birth"] == 0
    assert client.get(f"{URL}/duplicates", {"program": "x"}).status_code == 422

    export = client.get(f"{URL}/duplicates/export")
    assert export.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert [r[2] for r in rows[1:] if r[0].startswith("疑似同一人")] == ["牛一", "牛一"]
    assert AuditEvent.objects.filter(action="registry.duplicates.exported", channel="api").count() == 1
