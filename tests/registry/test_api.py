"""Registry API: persons (search, as of a date, timeline, reveal), households, roster, reservoirs."""

import datetime as dt
import json

import pytest

from anju.core.crypto import decrypt
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment, EnrolmentStatus, Membership, Person
from anju.registry.services import reference

from .factories import OTHER_VILLAGE, make_household


@pytest.fixture
def home(tree, other_city):
    make_household("H900", [("张外", "户主")], village=OTHER_VILLAGE)
    household = make_household("H001", [("张三", "户主"), ("李四", "配偶"), ("张小明", "子女")])
    person = Person.objects.get(name="李四")
    enrolment = Enrolment.objects.get(person=person)
    EnrolmentStatus.objects.filter(enrolment=enrolment).update(valid_to=dt.date(2021, 1, 1))
    EnrolmentStatus.objects.create(enrolment=enrolment, status="removed", valid_from=dt.date(2021, 1, 1), cause="death")
    Enrolment.objects.filter(pk=enrolment.pk).update(status="removed", status_since=dt.date(2021, 1, 1))
    Membership.objects.filter(person=person).update(valid_to=dt.date(2021, 1, 1))
    return household


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type="application/json")


def test_person_search(home, make_user, api):
    client = api(make_user("county_clerk", "429921"))
    found = client.get("/api/v1/registry/persons", {"q": "张"}).json()
    assert found["count"] == 2 and [p["name"] for p in found["items"]] == ["张三", "张小明"]
    row = found["items"][0]
    assert row["household_number"] == "H001" and row["relation"] == "户主" and row["village"] == "茶坝村委会"
    assert row["enrolments"] == [{"program": "reservoir", "status": "active"}]
    assert "*" in row["id_masked"] and "id_enc" not in row
    number = decrypt(home.head.id_enc)
    assert [p["name"] for p in client.get("/api/v1/registry/persons", {"q": number.lower()}).json()["items"]] == ["张三"]
    assert client.get("/api/v1/registry/persons", {"q": "H001"}).json()["count"] == 2  # 李四 left on 2021-01-01
    assert client.get("/api/v1/registry/persons", {"q": "H001", "as_of": "2020-12-31"}).json()["count"] == 3
    removed = client.get("/api/v1/registry/persons", {"status": "removed"}).json()
    assert [p["name"] for p in removed["items"]] == ["李四"]
    assert client.get("/api/v1/registry/persons", {"status": "removed", "as_of": "2020-06-30"}).json()["count"] == 0
    assert client.get("/api/v1/registry/persons", {"status": "bogus"}).status_code == 422
    limited = client.get("/api/v1/registry/persons", {"q": "张", "limit": 1, "offset": 1}).json()
    assert limited["count"] == 2 and [p["name"] for p in limited["items"]] == ["张小明"]


def test_person_detail_as_of_and_timeline(home, make_user, api):
    client = api(make_user("leader", "4299"))
    person = Person.objects.get(name="李四")
    before = client.get(f"/api/v1/registry/persons/{person.pk}", {"as_of": "2020-12-31"}).json()
    after = client.get(f"/api/v1/registry/persons/{person.pk}", {"as_of": "2021-01-01"}).json()
    assert before["enrolments"][0]["status"] == "active" and after["enrolments"][0]["status"] == "removed"
    assert after["enrolments"][0]["current_status"] == "removed"
    assert [p["status"] for p in after["enrolments"][0]["periods"]] == ["active", "removed"]
    assert before["household"]["household_number"] == "H001" and after["household"] is None
    assert after["enrolments"][0]["bank_account_masked"] == "6217***********4567"
    assert decrypt(person.id_enc) not in json.dumps(after, ensure_ascii=False)
    timeline = client.get(f"/api/v1/registry/persons/{person.pk}/timeline").json()
    assert timeline[0]["kind"] in ("status", "membership") and timeline[0]["date"] == "2021-01-01"
    assert {e["kind"] for e in timeline} == {"status", "membership"}


def test_reveal(home, make_user, api):
    person = home.head
    clerk = api(make_user("township_clerk", "429921101"))
    response = post(clerk, f"/api/v1/registry/persons/{person.pk}/reveal", {"field": "id_number"})
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": decrypt(person.id_enc)}
    bank = post(clerk, f"/api/v1/registry/persons/{person.pk}/reveal", {"field": "bank_account"}).json()
    assert bank["value"] == "6217000010001234567"
    assert post(clerk, f"/api/v1/registry/persons/{person.pk}/reveal", {"field": "phone"}).status_code == 422
    leader = post(api(make_user("leader", "4299")), f"/api/v1/registry/persons/{person.pk}/reveal", {"field": "id_number"})
    assert leader.status_code == 403 and leader.json()["code"] == "forbidden"
    elsewhere = post(api(make_user("county_clerk", "429922")), f"/api/v1/registry/persons/{person.pk}/reveal", {"field": "id_number"})
    assert elsewhere.status_code == 404
    events = AuditEvent.objects.filter(action="registry.person.revealed")
    assert [e.after["field"] for e in events.order_by("id")] == ["id_number", "bank_account"]
    assert all(e.channel == "api" for e in events)


def test_households(home, make_user, api):
    client = api(make_user("county_clerk", "429921"))
    listed = client.get("/api/v1/registry/households", {"q": "H0"}).json()
    assert [h["number"] for h in listed["items"]] == ["H001"] and listed["items"][0]["head_name"] == "张三"
    assert [h["number"] for h in client.get("/api/v1/registry/households", {"q": "张小"}).json()["items"]] == ["H001"]
    before = client.get(f"/api/v1/registry/households/{home.pk}", {"as_of": "2020-12-31"}).json()
    after = client.get(f"/api/v1/registry/households/{home.pk}", {"as_of": "2021-01-01"}).json()
    assert [m["name"] for m in before["members"]] == ["张三", "李四", "张小明"]
    assert [m["name"] for m in after["members"]] == ["张三", "张小明"]
    assert {e["status"] for e in after["enrolments"]} == {"active", "removed"} and after["village"] == "茶坝村委会"
    timeline = client.get(f"/api/v1/registry/households/{home.pk}/timeline").json()
    assert any(e["kind"] == "membership" and e["title"] == "离开户" and e["person"] == "李四" for e in timeline)
    other = api(make_user("county_clerk", "429922"))
    assert other.get(f"/api/v1/registry/households/{home.pk}").json()["code"] == "not_found"
    assert other.get(f"/api/v1/registry/households/{home.pk}/timeline").status_code == 404
    assert other.get(f"/api/v1/registry/persons/{home.head_id}").status_code == 404
    assert other.get("/api/v1/registry/households", {"q": "H001"}).json()["count"] == 0


def test_roster(home, make_user, api):
    client = api(make_user("city_clerk", "4299"))
    on = client.get("/api/v1/registry/roster", {"program": "reservoir", "as_of": "2020-12-31"}).json()
    assert on["count"] == 3 and [r["name"] for r in on["items"]] == ["张三", "李四", "张小明"]
    assert on["items"][1]["relation"] == "配偶" and on["items"][0]["status_since"] == "2010-01-01"
    assert client.get("/api/v1/registry/roster", {"as_of": "2021-01-01"}).json()["count"] == 2
    removed = client.get("/api/v1/registry/roster", {"as_of": "2021-01-01", "status": "removed"}).json()
    assert [r["name"] for r in removed["items"]] == ["李四"]
    assert client.get("/api/v1/registry/roster", {"division": "429922"}).json()["count"] == 0
    assert client.get("/api/v1/registry/roster", {"program": "nothing"}).status_code == 422


def test_reservoirs(tree, other_city, make_user, api):
    clerk = api(make_user("county_clerk", "429921"))
    body = {"code": "R1", "name": "白云水库", "scale": "large", "county": "429921"}
    created = post(clerk, "/api/v1/registry/reservoirs", body)
    assert created.status_code == 201 and created.json()["county"] == "429921000000"
    reservoir_id = created.json()["id"]
    duplicate = post(clerk, "/api/v1/registry/reservoirs", body)
    assert duplicate.status_code == 409 and duplicate.json()["message"] == str(reference.MSG_CODE_TAKEN % {"code": "R1"})
    outside = post(clerk, "/api/v1/registry/reservoirs", body | {"code": "R2", "county": "429922"})
    assert outside.status_code == 422 and outside.json()["detail"] == {"field": "county"}
    assert post(clerk, "/api/v1/registry/reservoirs", body | {"code": "R3", "scale": "tiny"}).status_code == 422
    changed = patch(clerk, f"/api/v1/registry/reservoirs/{reservoir_id}", {"scale": "medium"})
    assert changed.status_code == 200 and changed.json()["scale"] == "medium"
    township = api(make_user("township_clerk", "429921101"))
    assert [r["code"] for r in township.get("/api/v1/registry/reservoirs").json()["items"]] == ["R1"]
    assert patch(township, f"/api/v1/registry/reservoirs/{reservoir_id}", {"name": "x"}).status_code == 403
    assert patch(api(make_user("county_clerk", "429821")), f"/api/v1/registry/reservoirs/{reservoir_id}", {"name": "x"}).status_code == 404
