"""The duplicate report (重复情况): one person in two households, in both programs, one bank account in different
households, same name + birth date with different IDs — within the actor's view scope; Excel export audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.crypto import blind_index
from anju.core.exceptions import PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment, Person, Program
from anju.registry.services.crosschecks import MSG_PROGRAM, duplicates_export, duplicates_report
from tests.registry.factories import OTHER_VILLAGE, make_household

OTHER_COUNTY_VILLAGE = "429902101201"


def head(household) -> Person:
    return household.head


def account(household, number: str) -> None:
    Enrolment.objects.filter(household=household).update(bank_account_hash=blind_index(number, kind="bank"),
                                                         bank_account_masked=number[:4] + "*" * (len(number) - 8) + number[-4:])


@pytest.fixture
def world(db, tree, other_city):
    """Distinct bank accounts everywhere unless a test shares one on purpose."""
    made = {}

    def household(number, names, **kw):
        h = make_household(number, [(n, "户主" if i == 0 else "子女") for i, n in enumerate(names)], **kw)
        account(h, f"62170000{len(made):011d}")
        made[number] = h
        return h

    return household


def keys(report, kind):
    return [sorted(m["person_id"] for m in g.members) for g in report["groups"][kind]]


def test_person_enrolled_in_two_households_and_in_both_programs(world, make_user):
    city = make_user("city_clerk", "4299")
    a = world("XCK-D1", ["黄一"])
    b = world("XCK-D2", ["占位"], program=Program.RELOCATION)
    same = world("XCK-D3", ["黄二"])
    Enrolment.objects.filter(household=b).update(person=head(a))  # 黄一: reservoir in D1, relocation in D2
    relocation = world("XCK-D4", ["占位二"], program=Program.RELOCATION)
    Enrolment.objects.filter(household=relocation).update(person=head(same), household=same)  # 黄二: both programs, one household

    report = duplicates_report(actor=city)

    assert keys(report, "two_households") == [[head(a).pk, head(a).pk]]
    assert sorted(keys(report, "both_programs")) == sorted([[head(a).pk, head(a).pk], [head(same).pk, head(same).pk]])
    group = report["groups"]["two_households"][0]
    assert {m["household_number"] for m in group.members} == {"XCK-D1", "XCK-D2"}
    assert group.key == head(a).id_masked and "*" in group.key
    assert report["counts"]["two_households"] == 1 and report["counts"]["both_programs"] == 2


def test_one_bank_account_used_by_different_households(world, make_user):
    city = make_user("city_clerk", "4299")
    a, b, c = world("XCK-D5", ["林一"]), world("XCK-D6", ["林二"]), world("XCK-D7", ["林三", "林四"])
    account(a, "6217000099990001")
    account(b, "6217000099990001")
    account(c, "6217000099990002")  # one household sharing its own account: not a duplicate

    report = duplicates_report(actor=city)

    assert keys(report, "shared_bank_account") == [sorted([head(a).pk, head(b).pk])]
    assert report["groups"]["shared_bank_account"][0].key == "6217********0001"


def test_same_name_and_birth_with_different_ids_across_counties_only_within_view_scope(world, make_user):
    one = world("XCK-D8", ["何平"])
    two = world("XCK-D9", ["何平"], village=OTHER_COUNTY_VILLAGE)
    foreign = world("XCK-D10", ["何平"], village=OTHER_VILLAGE)
    birth = dt.date(1971, 1, 1)
    Person.objects.filter(pk__in=[head(one).pk, head(two).pk, head(foreign).pk]).update(birth_date=birth)

    city = duplicates_report(actor=make_user("city_clerk", "4299"))
    county = duplicates_report(actor=make_user("county_clerk", "429921"))

    assert keys(city, "same_name_birth") == [sorted([head(one).pk, head(two).pk])]  # never the other city's
    assert city["groups"]["same_name_birth"][0].key == "何平 1971-01-01"
    assert keys(county, "same_name_birth") == []  # the twin lies in another county


def test_program_filter_and_limit(world, make_user):
    city = make_user("city_clerk", "4299")
    for i in range(3):
        a, b = world(f"XCK-E{i}a", [f"重{i}"]), world(f"XCK-E{i}b", [f"重{i}"])
        Person.objects.filter(pk=head(b).pk).update(birth_date=head(a).birth_date)

    limited = duplicates_report(actor=city, limit=2)
    assert len(limited["groups"]["same_name_birth"]) == 2 and limited["truncated"]["same_name_birth"]
    assert limited["counts"]["same_name_birth"] == 3
    assert duplicates_report(actor=city, program=Program.RELOCATION)["counts"]["same_name_birth"] == 0
    with pytest.raises(ValidationFailed) as exc:
        duplicates_report(actor=city, program="x")
    assert exc.value.message == str(MSG_PROGRAM % {"program": "x"})


def test_export_writes_masked_rows_and_is_audited(world, make_user):
    city = make_user("city_clerk", "4299")
    a, b = world("XCK-F1", ["=HYPERLINK(1)"]), world("XCK-F2", ["=HYPERLINK(1)"])
    Person.objects.filter(pk=head(b).pk).update(birth_date=head(a).birth_date)

    data, counts = duplicates_export(actor=city)

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["类型", "分组", "姓名", "身份证号"]
    body = [r for r in rows[1:] if r[0].startswith("疑似同一人")]
    assert [r[2] for r in body] == ["'=HYPERLINK(1)", "'=HYPERLINK(1)"]
    assert {r[3] for r in body} == {head(a).id_masked, head(b).id_masked}
    event = AuditEvent.objects.get(action="registry.duplicates.exported")
    assert event.after["rows"] == 2 and counts["same_name_birth"] == 1
    with pytest.raises(PermissionDenied):
        duplicates_export(actor=make_user("township_clerk", "429921101"))
