"""Registry pages: search first (masked), household and person as of a date, reveal once (audited), roster,
reservoirs."""

import datetime as dt

import pytest

from anju.core.crypto import decrypt
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment, EnrolmentStatus, Membership, Person, Reservoir
from anju.registry.services import reference

from .factories import OTHER_VILLAGE, make_household


@pytest.fixture
def home(tree, other_city):
    make_household("H900", [("外甲", "户主")], village=OTHER_VILLAGE)
    return make_household("H001", [("张三", "户主"), ("李四", "配偶"), ("张小明", "子女")])


def full_id(person) -> str:
    return decrypt(person.id_enc)


def test_search_page_is_search_first_and_masked(home, make_user, login):
    client = login(make_user("leader", "4299"))
    empty = client.get("/registry/")
    assert empty.status_code == 200 and 'type="search"' in empty.content.decode() and "<tbody>" not in empty.content.decode()
    page = client.get("/registry/", {"q": "张"}).content.decode()
    assert "张三" in page and "张小明" in page and "李四" not in page
    head = home.head
    assert head.id_masked in page and full_id(head) not in page
    assert f"/registry/households/{home.pk}/" in page and "茶坝村委会" in page and "在册" in page
    by_id = client.get("/registry/", {"q": full_id(head).lower()}).content.decode()
    assert "张三" in by_id and "张小明" not in by_id
    assert "外甲" not in client.get("/registry/", {"q": "H900"}).content.decode()
    bad = client.get("/registry/", {"q": "张", "division": "42x"}).content.decode()
    assert "区划代码应为" in bad


def test_household_page_as_of(home, make_user, login):
    person = Person.objects.get(name="张小明")
    Membership.objects.filter(person=person).update(valid_to=dt.date(2020, 6, 1))
    client = login(make_user("township_clerk", "429921101"))
    before = client.get(f"/registry/households/{home.pk}/", {"as_of": "2020-05-31"}).content.decode()
    after = client.get(f"/registry/households/{home.pk}/", {"as_of": "2020-06-01"}).content.decode()
    assert "家庭成员（2020-05-31，3 人）" in before and "家庭成员（2020-06-01，2 人）" in after
    assert f"/registry/requests/new/?household={home.pk}" in after  # a township clerk may propose a change
    assert "离开户" in after  # the move is on the timeline
    reader = login(make_user("leader", "429921")).get(f"/registry/households/{home.pk}/").content.decode()
    assert "/registry/requests/new/" not in reader


def test_person_page_masked_with_status_as_of(home, make_user, login):
    person = Person.objects.get(name="李四")
    enrolment = Enrolment.objects.get(person=person)
    EnrolmentStatus.objects.filter(enrolment=enrolment).update(valid_to=dt.date(2021, 1, 1))
    EnrolmentStatus.objects.create(enrolment=enrolment, status="removed", valid_from=dt.date(2021, 1, 1), cause="death")
    client = login(make_user("leader", "4299"))
    page = client.get(f"/registry/persons/{person.pk}/", {"as_of": "2020-12-31"}).content.decode()
    assert full_id(person) not in page and person.id_masked in page and "6217000010001234567" not in page
    assert "显示完整号码" not in page  # a leader holds no PII permission
    assert "2020-12-31 状态" in page and "在册" in page
    later = client.get(f"/registry/persons/{person.pk}/", {"as_of": "2021-01-01"}).content.decode()
    assert "核减" in later and "死亡" in later


def test_reveal_shows_once_and_is_audited(home, make_user, login):
    person = home.head
    client = login(make_user("county_clerk", "429921"))
    page = client.get(f"/registry/persons/{person.pk}/").content.decode()
    assert page.count("显示完整号码") == 2  # ID and bank account
    revealed = client.post(f"/registry/persons/{person.pk}/reveal/", {"field": "id_number"})
    assert revealed.status_code == 200 and full_id(person) in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    assert full_id(person) not in client.get(f"/registry/persons/{person.pk}/").content.decode()
    bank = client.post(f"/registry/persons/{person.pk}/reveal/", {"field": "bank_account"}).content.decode()
    assert "6217000010001234567" in bank and full_id(person) not in bank
    events = AuditEvent.objects.filter(action="registry.person.revealed").order_by("id")
    assert [e.after["field"] for e in events] == ["id_number", "bank_account"]
    assert client.post(f"/registry/persons/{person.pk}/reveal/", {"field": "phone"}).status_code == 422
    assert login(make_user("leader", "4299")).post(f"/registry/persons/{person.pk}/reveal/", {"field": "id_number"}).status_code == 403
    assert AuditEvent.objects.filter(action="registry.person.revealed").count() == 2


def test_out_of_scope_pages_are_404(home, make_user, login):
    client = login(make_user("county_clerk", "429922"))
    assert client.get(f"/registry/households/{home.pk}/").status_code == 404
    assert client.get(f"/registry/persons/{home.head_id}/").status_code == 404
    assert client.post(f"/registry/persons/{home.head_id}/reveal/", {"field": "id_number"}).status_code == 404
    assert not AuditEvent.objects.filter(action="registry.person.revealed").exists()


def test_roster_page(home, make_user, login):
    client = login(make_user("city_clerk", "4299"))
    default = client.get("/registry/roster/").content.decode()
    assert "张三" in default and "外甲" not in default
    page = client.get("/registry/roster/", {"program": "reservoir", "as_of": "2015-01-01", "status": "active"}).content.decode()
    assert '<span class="stat-n">3</span>' in page
    early = client.get("/registry/roster/", {"program": "reservoir", "as_of": "2009-01-01", "status": "active"}).content.decode()
    assert '<span class="stat-n">0</span>' in early
    assert client.get("/registry/roster/", {"program": "relocation"}).status_code == 200
    assert login(make_user("sysadmin", "4299")).get("/registry/roster/").status_code == 403


def test_reservoir_pages(tree, make_user, login):
    client = login(make_user("county_clerk", "429921"))
    assert client.get("/registry/reservoirs/new/").status_code == 200
    bad = client.post("/registry/reservoirs/new/", {"code": "R1", "name": "甲", "scale": "large", "county": "429922"})
    assert str(reference.MSG_COUNTY_SCOPE) in bad.content.decode()
    assert client.post("/registry/reservoirs/new/", {"code": "R1", "name": "甲", "scale": "large", "county": "429921"}).status_code == 302
    dup = client.post("/registry/reservoirs/new/", {"code": "R1", "name": "乙", "scale": "large", "county": "429921"})
    assert str(reference.MSG_CODE_TAKEN % {"code": "R1"}) in dup.content.decode()
    reservoir = Reservoir.objects.get(code="R1")
    edit = client.post(f"/registry/reservoirs/{reservoir.pk}/edit/", {"code": "R1", "name": "甲水库", "scale": "medium", "county": "429921"})
    assert edit.status_code == 302
    listing = client.get("/registry/reservoirs/").content.decode()
    assert "甲水库" in listing and "中型" in listing and "白云县" in listing
    reader = login(make_user("leader", "429921"))
    assert "甲水库" in reader.get("/registry/reservoirs/").content.decode()
    assert reader.get("/registry/reservoirs/new/").status_code == 403
    assert reader.get(f"/registry/reservoirs/{reservoir.pk}/edit/").status_code == 403
    assert login(make_user("county_clerk", "429922")).get(f"/registry/reservoirs/{reservoir.pk}/edit/").status_code == 404
