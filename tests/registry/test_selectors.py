"""Registry reads: search by name prefix, ID and household number; scope; as-of membership and status; roster;
timelines; the audited reveal."""

import datetime as dt

import pytest

from anju.core.crypto import decrypt
from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry import selectors
from anju.registry.models import ChangeRequest, Enrolment, EnrolmentStatus, History, Household, Membership, Person, Program
from anju.registry.resident_id import compose

from .factories import OTHER_VILLAGE, VILLAGE, make_household, make_person

OTHER_COUNTY_VILLAGE = "429922001001"  # 青山县, same city


@pytest.fixture
def people(tree, other_city):
    home = make_household("H001", [("张三", "户主"), ("李四", "配偶"), ("张小明", "子女")])
    neighbour = make_household("H002", [("张大山", "户主")], village=OTHER_COUNTY_VILLAGE)
    foreign = make_household("H001", [("张外人", "户主")], village=OTHER_VILLAGE)
    return {"home": home, "neighbour": neighbour, "foreign": foreign}


def names(results) -> list[str]:
    return [p.name for p in results[0:100]]


def test_name_prefix_search_is_scoped(people, make_user):
    county = make_user("county_clerk", "429921")
    city = make_user("city_clerk", "4299")
    assert names(selectors.person_search(actor=county, q="张")) == ["张三", "张小明"]
    assert names(selectors.person_search(actor=city, q="张")) == ["张三", "张大山", "张小明"]
    assert names(selectors.person_search(actor=city, q="张小")) == ["张小明"]
    assert names(selectors.person_search(actor=city, q=" 张 三 ")) == ["张三"]  # spaces inside a typed name
    other = make_user("county_clerk", "429821")
    assert names(selectors.person_search(actor=other, q="张")) == ["张外人"]


def test_results_are_masked_and_carry_household_village_and_status(people, make_user):
    city = make_user("leader", "4299")
    [row] = selectors.person_search(actor=city, q="李四")[0:10]
    number = decrypt(Person.objects.get(pk=row.pk).id_enc)
    assert row.id_masked == number[:3] + "*" * 11 + number[-4:]
    assert row.household.number == "H001" and row.relation == "配偶"
    assert row.village == "茶坝村委会"
    assert row.enrolment_rows == [{"program": "reservoir", "program_label": "水库移民后期扶持", "status": "active", "status_label": "在册"}]


def test_search_by_resident_id_in_every_spelling(people, make_user):
    city = make_user("city_clerk", "4299")
    birth = dt.date(1968, 3, 9)
    seq = next(s for s in range(1, 999) if compose("429921", birth, s).endswith("X"))
    number = compose("429921", birth, seq)
    make_person("王五", id_number=number)
    for typed in (number, number.lower(), " ".join([number[:6], number[6:14], number[14:]]),
                  number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))):
        assert names(selectors.person_search(actor=city, q=typed)) == ["王五"], typed
    # a 15-digit (pre-1999) number finds the person by its 18-digit form
    old = compose("429921", dt.date(1955, 1, 2), 31)
    make_person("赵六", id_number=old)
    assert names(selectors.person_search(actor=city, q=old[:6] + old[8:17])) == ["赵六"]
    # out of scope: a county clerk elsewhere does not find it
    assert names(selectors.person_search(actor=make_user("county_clerk", "429922"), q=number)) == []


def test_search_by_household_number(people, make_user):
    county = make_user("county_clerk", "429921")
    assert names(selectors.person_search(actor=county, q="H001")) == ["张三", "李四", "张小明"]
    city = make_user("city_clerk", "4299")
    assert sorted(names(selectors.person_search(actor=city, q="H00"))) == ["张三", "张大山", "张小明", "李四"]
    assert [h.number for h in selectors.household_search(actor=city, q="H00")[0:10]] == ["H001", "H002"]
    assert [h.number for h in selectors.household_search(actor=city, q="张大")[0:10]] == ["H002"]


def test_filters_program_division_status(people, make_user, tree):
    city = make_user("city_clerk", "4299")
    make_household("R001", [("张搬迁", "户主")], program=Program.RELOCATION)
    assert names(selectors.person_search(actor=city, q="张", program=Program.RELOCATION)) == ["张搬迁"]
    assert names(selectors.person_search(actor=city, q="张", division="429922")) == ["张大山"]
    assert names(selectors.person_search(actor=city, q="张", division="429821")) == []  # outside scope: nothing
    with pytest.raises(ValidationFailed) as exc:
        selectors.person_search(actor=city, q="张", division="42x")
    assert exc.value.message == str(selectors.MSG_DIVISION_FORMAT)
    with pytest.raises(ValidationFailed) as exc:
        selectors.person_search(actor=city, q="张", status="gone")
    assert exc.value.message == str(selectors.MSG_STATUS % {"value": "gone"})
    _remove(Person.objects.get(name="张小明"), dt.date(2021, 1, 1))
    assert names(selectors.person_search(actor=city, q="张", status="removed")) == ["张小明"]
    assert names(selectors.person_search(actor=city, q="张", status="removed", as_of=dt.date(2020, 12, 31))) == []
    assert names(selectors.person_search(actor=city, q="张", status="active", as_of=dt.date(2020, 12, 31))) == [
        "张三", "张大山", "张小明", "张搬迁"]


def test_capped_count_never_counts_everything(people, make_user):
    city = make_user("city_clerk", "4299")
    result = selectors.person_search(actor=city, q="张")
    capped = selectors.Capped(result.queryset, cap=2)
    assert capped.count() == 2 and capped.more
    assert len(capped[0:10]) == 2
    assert result.count() == 3 and not result.more


def test_access_out_of_scope_is_not_found(people, make_user):
    county = make_user("county_clerk", "429921")
    assert selectors.access_household(county, people["home"].pk) == people["home"]
    for household in (people["neighbour"], people["foreign"]):
        with pytest.raises(NotFound):
            selectors.access_household(county, household.pk)
        with pytest.raises(NotFound):
            selectors.access_person(county, household.head_id)
    with pytest.raises(NotFound):
        selectors.access_person(county, 987654321)
    with pytest.raises(PermissionDenied):
        selectors.access_person(make_user("sysadmin", "4299"), people["home"].head_id)


def _remove(person, on: dt.date, cause="death"):
    enrolment = Enrolment.objects.get(person=person)
    EnrolmentStatus.objects.filter(enrolment=enrolment, valid_to__isnull=True).update(valid_to=on)
    EnrolmentStatus.objects.create(enrolment=enrolment, status="removed", valid_from=on, cause=cause)
    Enrolment.objects.filter(pk=enrolment.pk).update(status="removed", status_since=on)


def test_status_as_of_before_and_after_a_removal(people):
    person = Person.objects.get(name="张小明")
    _remove(person, dt.date(2021, 1, 1))
    [before] = selectors.person_enrolments(person, dt.date(2020, 12, 31))
    [after] = selectors.person_enrolments(person, dt.date(2021, 1, 1))
    [earlier] = selectors.person_enrolments(person, dt.date(2009, 12, 31))
    assert (before.status_as_of, after.status_as_of, earlier.status_as_of) == ("active", "removed", None)
    assert after.period_as_of.cause == "death"
    assert [p.status for p in after.periods_list] == ["active", "removed"]


def test_members_as_of_before_and_after_a_move(people):
    home, neighbour = people["home"], people["neighbour"]
    person = Person.objects.get(name="张小明")
    Membership.objects.filter(person=person).update(valid_to=dt.date(2020, 6, 1))
    Membership.objects.create(person=person, household=neighbour, relation="孙子", valid_from=dt.date(2020, 6, 1))
    member_names = lambda h, d: [m.person.name for m in selectors.household_members(h, d)]  # noqa: E731
    assert member_names(home, dt.date(2020, 5, 31)) == ["张三", "李四", "张小明"]
    assert member_names(home, dt.date(2020, 6, 1)) == ["张三", "李四"]
    assert member_names(neighbour, dt.date(2020, 5, 31)) == ["张大山"]
    assert member_names(neighbour, dt.date(2020, 6, 1)) == ["张大山", "张小明"]
    assert member_names(home, dt.date(2009, 12, 31)) == []
    assert selectors.person_membership(person, dt.date(2020, 5, 31)).household == home
    assert selectors.person_membership(person).household == neighbour


def test_roster_as_of_a_date_is_one_query(people, make_user, django_assert_num_queries):
    city = make_user("city_clerk", "4299")
    _remove(Person.objects.get(name="李四"), dt.date(2021, 1, 1))

    def roster_names(**kw):
        return [r.enrolment.person.name for r in selectors.roster(actor=city, program=Program.RESERVOIR, **kw)[0:100]]

    assert roster_names(as_of=dt.date(2020, 12, 31)) == ["张三", "李四", "张小明", "张大山"]
    assert roster_names(as_of=dt.date(2021, 1, 1)) == ["张三", "张小明", "张大山"]
    assert roster_names(as_of=dt.date(2021, 1, 1), status=None) == ["张三", "李四", "张小明", "张大山"]
    assert roster_names(as_of=dt.date(2021, 1, 1), status="removed") == ["李四"]
    assert roster_names(as_of=dt.date(2009, 12, 31)) == []
    assert roster_names(as_of=dt.date(2021, 1, 1), division="429922") == ["张大山"]
    county = make_user("county_clerk", "429922")
    assert selectors.roster(actor=county, program=Program.RESERVOIR, as_of=dt.date(2021, 1, 1)).count() == 1
    rows = selectors.roster(actor=city, program=Program.RESERVOIR, as_of=dt.date(2020, 12, 31))
    with django_assert_num_queries(1):
        list(rows.queryset)
    rows = selectors.roster(actor=city, program=Program.RESERVOIR, as_of=dt.date(2020, 12, 31))
    with django_assert_num_queries(3):  # the page, relations on the day, village names
        page = rows[0:50]
    assert page[0].relation == "户主" and page[0].village == "茶坝村委会"


def test_timelines_join_history_status_periods_memberships_and_requests(people, make_user):
    home = people["home"]
    person = Person.objects.get(name="李四")
    clerk = make_user("township_clerk", "429921101")
    History.objects.create(effective_on=dt.date(2015, 3, 1), person=person, division_code=VILLAGE, field="phone", old="", new="13912345678",
                           source=History.Source.IMPORT)
    request = ChangeRequest.objects.create(kind="remove", state="pending", program=Program.RESERVOIR, division_code=VILLAGE, person=person,
                                           household=home, field="status", cause="death", created_by=clerk)
    _remove(person, dt.date(2021, 1, 1))
    EnrolmentStatus.objects.filter(status="removed").update(request=request)
    events = selectors.person_timeline(person)
    kinds = [e["kind"] for e in events]
    assert set(kinds) == {"history", "status", "membership", "request"}
    removal = next(e for e in events if e["kind"] == "status" and e["status"] == "removed")
    assert removal["date"] == dt.date(2021, 1, 1) and removal["cause"] == "死亡" and removal["request_id"] == request.pk
    phone = next(e for e in events if e["kind"] == "history")
    assert (phone["title"], phone["new"]) == ("联系电话", "139****5678")
    req = next(e for e in events if e["kind"] == "request")
    assert (req["title"], req["new"], req["actor"]) == ("核减", "审批中", clerk.username)
    assert [e["date"] for e in events] == sorted((e["date"] for e in events), reverse=True)
    household_events = selectors.household_timeline(home)
    assert {e["person"] for e in household_events if e["kind"] == "membership"} == {"张三", "李四", "张小明"}
    assert any(e["kind"] == "request" and e["request_id"] == request.pk for e in household_events)
    from anju.registry.templatetags.registry_read import request_url

    assert request_url(request.pk).endswith(f"/registry/requests/{request.pk}/")


def test_reveal_is_audited_and_needs_pii_permission(people, make_user):
    person = people["home"].head
    clerk = make_user("township_clerk", "429921101")
    number = selectors.person_reveal(actor=clerk, person=person, field="id_number")
    assert number == decrypt(person.id_enc) and len(number) == 18
    event = AuditEvent.objects.get(action="registry.person.revealed")
    assert (event.object_id, event.after["field"], event.actor_id) == (str(person.pk), "id_number", clerk.pk)
    assert number not in str(event.after) and number not in event.message
    assert selectors.person_reveal(actor=clerk, person=person, field="bank_account") == "6217000010001234567"
    assert AuditEvent.objects.filter(action="registry.person.revealed").count() == 2
    with pytest.raises(PermissionDenied):
        selectors.person_reveal(actor=make_user("leader", "4299"), person=person, field="id_number")
    with pytest.raises(NotFound):
        selectors.person_reveal(actor=make_user("county_clerk", "429922"), person=person, field="id_number")
    with pytest.raises(ValidationFailed) as exc:
        selectors.person_reveal(actor=clerk, person=person, field="phone")
    assert exc.value.message == str(selectors.MSG_REVEAL_FIELD)
    no_bank = make_household("P001", [("钱七", "户主")], support_mode=Enrolment.SupportMode.PROJECT).head
    with pytest.raises(ValidationFailed) as exc:
        selectors.person_reveal(actor=clerk, person=no_bank, field="bank_account")
    assert exc.value.message == str(selectors.MSG_NO_BANK_ACCOUNT)
    assert AuditEvent.objects.filter(action="registry.person.revealed").count() == 2


def test_household_number_unique_per_county_searches_stay_in_scope(people, make_user):
    """H001 exists in 白云县 and in 外县: each county sees its own."""
    assert Household.objects.filter(number="H001").count() == 2
    foreign = make_user("county_clerk", "429821")
    assert names(selectors.person_search(actor=foreign, q="H001")) == ["张外人"]
