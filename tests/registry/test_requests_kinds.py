"""Each request kind end to end (add person/household, correct, move, split, merge) and each validation error."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.crypto import blind_index, decrypt
from anju.core.exceptions import Conflict, ValidationFailed
from anju.core.models import PolicyVersion
from anju.registry import resident_id
from anju.registry.models import ChangeRequest, Enrolment, History, Household, Membership, Person
from anju.registry.services import records
from anju.registry.services import requests as svc

from . import test_requests_workflow as wf
from .factories import OTHER_VILLAGE, VILLAGE, make_household
from .factories import resident_id as new_id
from .test_requests_workflow import TODAY, approve_all, enrolment_of, status_on

State = ChangeRequest.State


@pytest.fixture
def actors(make_user):
    return wf.make_actors(make_user)


@pytest.fixture
def household(tree):
    return wf.make_family()



def run(actors, cr, today=TODAY):
    cr = approve_all(actors, cr, today=today)
    if cr.state == State.POSTING:
        svc.change_requests_apply_due(today=cr.posting_until + dt.timedelta(days=1))
    result = svc.change_requests_apply_due(today=max(today, cr.effective_on or today))
    cr.refresh_from_db()
    assert cr.state == State.EFFECTIVE, result
    return cr


def create(actors, kind, who="township", **kw):
    kw.setdefault("program", "reservoir")
    return svc.change_request_create(actor=actors[who], kind=kind, submit=True, today=TODAY, **kw)


def test_add_person_joins_the_household_with_the_heads_enrolment_terms(actors, household):
    number = new_id("429921", dt.date(2025, 2, 3), male=False)
    cr = create(actors, "add_person", household=household, payload={"member": {
        "name": "张 妞", "id_number": number.lower(), "relation": "孙女", "gender": "女",
        "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}"}})
    assert number not in str(cr.payload) and cr.payload["member"]["id_masked"].startswith("429")
    cr = run(actors, cr)
    person = Person.objects.get(id_hash=blind_index(number))
    assert person.name == "张妞" and person.division_code == VILLAGE and decrypt(person.id_enc) == number
    e = Enrolment.objects.get(person=person)
    head = enrolment_of(household, "张三")
    assert (e.household, e.reservoir, e.support_mode, e.status, e.enrolled_on) == (household, head.reservoir, head.support_mode, "active",
                                                                                  cr.effective_on)
    assert Membership.objects.get(person=person, valid_to__isnull=True).relation == "孙女"
    assert History.objects.filter(request=cr, field="enrolled").exists()


def test_add_person_checks(actors, household):
    number = new_id("429921", dt.date(1990, 1, 1), male=True)
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": number, "relation": "子", "gender": "女"}})
    assert exc.value.code == "gender_mismatch" and str(records.MSG_GENDER_ID % {"expected": "男"}) in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household,
               payload={"member": {"name": "甲", "id_number": number, "relation": "子", "birth_date": "1990-01-02"}})
    assert exc.value.code == "birth_mismatch"
    with pytest.raises(ValidationFailed) as exc:
        bad = number[:17] + ("1" if number[17] != "1" else "2")
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": bad, "relation": "子"}})
    assert exc.value.code == "id_checksum"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": 4.29921e17, "relation": "子"}})
    assert exc.value.code == "id_numeric_cell"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": " ", "id_number": number, "relation": "子"}})
    assert exc.value.code == "name_invalid" and exc.value.detail == {"field": "name"}
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": number, "relation": ""}})
    assert exc.value.code == "relation_invalid"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household,
               payload={"member": {"name": "甲", "id_number": number, "relation": "子", "bank_account": "6217-0000"}})
    assert exc.value.code == "bank_account_invalid" and str(records.MSG_BANK) in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household,
               payload={"member": {"name": "甲", "id_number": number, "relation": "子", "support_mode": "现金"}})
    assert exc.value.code == "support_mode_invalid"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household,
               payload={"member": {"name": "甲", "id_number": number, "relation": "子", "move_date": "2099-01-01"}})
    assert exc.value.code == "move_date_invalid"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": number, "relation": "子", "phone": "abc"}})
    assert exc.value.code == "phone_invalid"
    existing = enrolment_of(household, "李四").person
    with pytest.raises(Conflict) as exc:
        create(actors, "add_person", household=household,
               payload={"member": {"name": "李四", "id_number": decrypt(existing.id_enc), "relation": "子"}})
    assert exc.value.code == "id_enrolled"
    create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": number, "relation": "子"}})
    with pytest.raises(Conflict) as exc:
        create(actors, "add_person", household=household, payload={"member": {"name": "甲", "id_number": number, "relation": "子"}})
    assert exc.value.code == "request_open"


def test_add_household_creates_members_enrolled_and_the_head(actors, tree):
    head, wife = new_id("429921", dt.date(1980, 1, 1)), new_id("429921", dt.date(1982, 2, 2), male=False)
    payload = {"number": "H777", "village": "429921101202", "address": "北沟村3组", "members": [
        {"name": "赵大", "id_number": head, "reservoir": "R429921", "move_date": "2008-05-01", "support_mode": "直发直补",
         "bank_name": "农商银行", "bank_account": "6217000010002222333"},
        {"name": "钱二", "id_number": wife, "relation": "配偶", "reservoir": "R429921", "move_date": "2008-05-01", "support_mode": "项目扶持"}]}
    from .factories import make_reservoir
    make_reservoir()
    cr = create(actors, "add_household", payload=payload)
    assert cr.division_code == "429921101202" and cr.person is None
    cr = run(actors, cr)
    household = Household.objects.get(number="H777")
    assert cr.household == household and household.head.name == "赵大" and household.address == "北沟村3组"
    e = Enrolment.objects.get(person__name="赵大")
    assert (e.category, e.support_start, e.support_end, e.support_mode) == ("original", dt.date(2008, 5, 1), dt.date(2028, 4, 30), "direct")
    assert e.bank_account_masked == "6217***********2333"
    assert Membership.objects.get(person__name="钱二").relation == "配偶"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_household", payload={**payload, "members": payload["members"][:1]})
    assert exc.value.code == "household_exists"


def test_add_household_checks(actors, tree):
    a = new_id("429921", dt.date(1980, 1, 1))
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_household", payload={"number": "H1", "village": "429921101999", "members": [{"name": "甲", "id_number": a}]})
    assert exc.value.code == "village_unknown"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_household", payload={"number": "H1", "village": "429921101202", "members": []})
    assert exc.value.code == "no_members" and exc.value.message == str(records.MSG_NO_MEMBERS)
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_household", payload={"number": "", "village": "429921101202", "members": [{"name": "甲", "id_number": a}]})
    assert exc.value.code == "household_number_invalid"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "add_household", payload={"number": "H1", "village": "429921101202", "members": [
            {"name": "甲", "id_number": a}, {"name": "乙", "id_number": a, "relation": "子"}]})
    assert exc.value.code == "id_duplicate"


def test_correct_id_number_derives_gender_and_birth_and_masks_history(actors, household):
    p = enrolment_of(household, "李四").person
    old_masked = p.id_masked
    number = new_id("429921", dt.date(1971, 8, 9), male=True)
    cr = run(actors, create(actors, "correct", person=p, payload={"changes": {"id_number": number}}))
    p.refresh_from_db()
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))  # new_id() may move the day to stay unique
    assert (decrypt(p.id_enc), p.gender, p.birth_date) == (number, "M", born)
    hist = {f: (o, n) for f, o, n in History.objects.filter(request=cr).values_list("field", "old", "new")}
    assert hist["id_number"] == (old_masked, p.id_masked) and number not in str(hist)
    assert hist["gender"] == ("F", "M")


def test_correct_checks(actors, household):
    p = enrolment_of(household, "李四").person  # a woman
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"gender": "男"}})
    assert exc.value.code == "gender_mismatch"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"birth_date": "1999-01-01"}})
    assert exc.value.code == "birth_mismatch"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"salary": "1"}})
    assert exc.value.code == "field_unknown" and exc.value.message == str(records.MSG_FIELD_UNKNOWN % {"field": "salary"})
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {}})
    assert exc.value.code == "nothing_changed"
    other = enrolment_of(household, "张三").person
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"id_number": decrypt(other.id_enc)}})
    assert exc.value.code == "id_taken"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"id_number": "12345"}})
    assert exc.value.code == "id_length"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "correct", person=p, payload={"changes": {"birth_date": "1970-13-45"}})
    assert exc.value.code == "date_invalid"


def test_remove_checks(actors, household):
    e = enrolment_of(household, "李四")
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "remove", enrolment=e, cause="death", payload={})
    assert exc.value.code == "event_date_required" and exc.value.message == str(svc.MSG_NEED_EVENT_DATE)
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "remove", enrolment=e, cause="lottery", payload={"event_date": "2026-01-01"})
    assert exc.value.code == "cause_invalid"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "remove", enrolment=e, cause="死亡", payload={"event_date": "2099-01-01"})
    assert exc.value.code == "date_future"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "remove", person=e.person, program="relocation", cause="死亡", payload={"event_date": "2026-01-01"})
    assert exc.value.code == "not_enrolled"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "remove", program="reservoir", cause="死亡", payload={"event_date": "2026-01-01"})
    assert exc.value.code == "enrolment_required"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "teleport", enrolment=e)
    assert exc.value.code == "kind_invalid"
    records.person_remove(actor=actors["county_clerk"], enrolment=e, cause="death", effective_on=dt.date(2026, 1, 1))
    with pytest.raises(Conflict) as exc:
        create(actors, "remove", enrolment=e, cause="死亡", payload={"event_date": "2026-01-01"})
    assert exc.value.message == str(records.MSG_ALREADY_REMOVED)


def test_move_to_another_village_household(actors, household):
    target = make_household("H002", [("王五", "户主")], village="429921101202")
    p = enrolment_of(household, "张小").person
    cr = run(actors, create(actors, "move", person=p, payload={"to_household": target.pk, "relation": "女婿"}))
    p.refresh_from_db()
    e = Enrolment.objects.get(person=p)
    assert p.division_code == e.division_code == "429921101202" and e.household == target
    assert list(Membership.objects.filter(person=p).order_by("valid_from").values_list("household__number", "valid_to")) == [
        ("H001", cr.effective_on), ("H002", None)]
    assert History.objects.filter(request=cr, field="division_code", old=VILLAGE, new="429921101202").exists()


def test_moving_to_another_county_is_decided_by_the_city(actors, household):
    PolicyVersion.objects.create(key="registry.workflow", scope="", effective_from=dt.date(2020, 1, 1), value={"move": ["township", "county"]})
    p = enrolment_of(household, "张小").person
    cr = create(actors, "move", person=p, payload={"new_household": {"number": "X01", "village": "429902001001"}, "relation": "户主"})
    assert cr.levels == ["township", "county", "city"]
    cr = run(actors, cr)
    p.refresh_from_db()
    new = Household.objects.get(number="X01")
    assert p.division_code == "429902001001" and new.county_code == "429902" and new.head == p


def test_moving_the_head_needs_a_new_head(actors, household):
    target = make_household("H002", [("王五", "户主")])
    head = household.head
    with pytest.raises(ValidationFailed) as exc:
        run(actors, create(actors, "move", person=head, payload={"to_household": target.pk, "relation": "父亲"}))
    assert exc.value.code == "head_leaves"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "move", person=head, payload={"relation": "父亲"})
    assert exc.value.code == "target_required"


def test_moving_out_of_the_city_is_a_removal(actors, household, other_city):
    son = enrolment_of(household, "张小").person
    foreign = make_household("F1", [("外人", "户主")], village=OTHER_VILLAGE)
    for payload in ({"to_household": foreign.pk, "relation": "子"}, {"new_household": {"number": "F2", "village": OTHER_VILLAGE}, "relation": "户主"}):
        with pytest.raises(ValidationFailed) as exc:
            create(actors, "move", person=son, payload=payload)
        assert exc.value.code == "target_other_city" and exc.value.message == str(svc.MSG_TARGET_CITY)


def test_split_and_merge(actors, household):
    son = enrolment_of(household, "张小").person
    wife = enrolment_of(household, "李四").person
    cr = run(actors, create(actors, "split", household=household, payload={"members": [son.pk], "head": son.pk, "number": "H001-1"}))
    new = Household.objects.get(number="H001-1")
    assert new.head == son and Enrolment.objects.get(person=son).household == new
    assert set(Membership.objects.filter(household=household, valid_to__isnull=True).values_list("person_id", flat=True)) == {
        household.head_id, wife.pk}
    assert cr.field == "household"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "split", household=household, payload={"members": [household.head_id, wife.pk], "head": wife.pk, "number": "H9"})
    assert exc.value.code == "split_all"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "split", household=household, payload={"members": [son.pk], "head": son.pk, "number": "H9"})
    assert exc.value.code == "not_member"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "split", household=household, payload={"members": [wife.pk], "head": household.head_id, "number": "H9"})
    assert exc.value.code == "split_head"

    run(actors, create(actors, "merge", household=new, payload={"into": household.pk, "relations": {str(son.pk): "子"}}))
    new.refresh_from_db()
    assert new.head is None and Enrolment.objects.get(person=son).household == household
    assert Membership.objects.get(person=son, valid_to__isnull=True).relation == "子"
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "merge", household=household, payload={"into": household.pk})
    assert exc.value.code == "same_household"
    elsewhere = make_household("E1", [("钱七", "户主")], village="429902001001")
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "merge", household=household, payload={"into": elsewhere.pk})
    assert exc.value.code == "other_county" and exc.value.message == str(svc.MSG_SAME_COUNTY)
    with pytest.raises(ValidationFailed) as exc:
        create(actors, "split", household=household, payload={"members": [wife.pk], "head": wife.pk, "number": "H9", "village": "429902001001"})
    assert exc.value.code == "other_county"


def test_household_change_conflicts_with_a_members_open_move(actors, household):
    son = enrolment_of(household, "张小").person
    target = make_household("H002", [("王五", "户主")])
    cr = create(actors, "move", person=son, payload={"to_household": target.pk, "relation": "子"})
    with pytest.raises(Conflict) as exc:
        create(actors, "split", household=household, payload={"members": [son.pk], "head": son.pk, "number": "H001-1"})
    assert exc.value.detail == {"request": cr.pk}


def test_direct_record_write_needs_import_permission_and_entry_scope(actors, household, tree):
    from anju.core.exceptions import NotFound, PermissionDenied

    e = enrolment_of(household, "李四")
    with pytest.raises(PermissionDenied):
        records.person_remove(actor=actors["township"], enrolment=e, cause="death", effective_on=dt.date(2026, 1, 1))
    foreign = make_household("F1", [("外人", "户主")], village=OTHER_VILLAGE)
    with pytest.raises(NotFound):
        records.person_remove(actor=actors["county_clerk"], enrolment=enrolment_of(foreign, "外人"), cause="death", effective_on=dt.date(2026, 1, 1))
    with pytest.raises(ValidationFailed) as exc:
        records.person_remove(actor=actors["county_clerk"], enrolment=e, cause="death", effective_on=dt.date(2001, 1, 1))
    assert exc.value.code == "effective_before_period"
    records.person_remove(actor=actors["county_clerk"], enrolment=e, cause="死亡", effective_on=dt.date(2026, 1, 1))
    assert status_on(e, dt.date(2026, 1, 1)) == ["removed"]
    assert History.objects.filter(enrolment=e, source="manual", field="status").exists()


def test_resident_id_region_of_the_demo_city_is_known(tree):
    number = new_id("429921")
    assert resident_id.parse(number, extra_regions=resident_id.division_regions()).number == number
