"""Test data for the annual-verification tests: a small county roster and last year's locked verification."""

from __future__ import annotations

import datetime as dt

from anju.core.crypto import blind_index, encrypt
from anju.core.masking import mask_bank_account
from anju.divisions.models import Division, Level
from anju.registry.models import ChangeRequest, Enrolment, EnrolmentStatus, History, Household, Membership, Person, Program
from anju.registry.services.verification import verification_run, verification_sign_city, verification_sign_county

from .factories import VILLAGE, make_household, make_person

COUNTY = "429921"
COUNTY_CODE = "429921000000"


def villages(county: str = COUNTY) -> list[str]:
    return sorted(Division.objects.filter(level=Level.VILLAGE, code__startswith=county).values_list("code", flat=True))


def other_township_villages() -> tuple[str, str]:
    """Two villages of the county outside VILLAGE's township."""
    others = [c for c in villages() if c[:9] != VILLAGE[:9]]
    return others[0], others[1]


def set_status(enrolment: Enrolment, on: dt.date, status: str = "removed", cause: str = "", request=None) -> None:
    """End the open status period the day before `on` and open a new one from `on` (half-open periods)."""
    EnrolmentStatus.objects.filter(enrolment=enrolment, valid_to__isnull=True).update(valid_to=on)
    EnrolmentStatus.objects.create(enrolment=enrolment, status=status, valid_from=on, cause=cause, request=request)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=status, status_since=on)


def make_request(kind: str, enrolment: Enrolment, **kw) -> ChangeRequest:
    return ChangeRequest.objects.create(kind=kind, state=ChangeRequest.State.EFFECTIVE, program=enrolment.program,
                                        division_code=enrolment.division_code, person=enrolment.person, enrolment=enrolment, **kw)


def enrolment_of(name: str) -> Enrolment:
    return Enrolment.objects.select_related("person").get(person__name=name)


def actors(make_user) -> dict:
    return {
        "clerk": make_user("county_clerk", COUNTY, username="v_clerk"),
        "reviewer": make_user("county_reviewer", COUNTY, username="v_reviewer"),
        "city": make_user("city_admin", "4299", username="v_city"),
        "city_clerk": make_user("city_clerk", "4299", username="v_city_clerk"),
        "township": make_user("township_clerk", VILLAGE[:9], username="v_township"),
        "other_reviewer": make_user("county_reviewer", "429922", username="v_other_reviewer"),
    }


def base_roster() -> dict:
    """Three households in three villages (two townships), all enrolled since 2010."""
    v2, v3 = other_township_villages()
    make_household("H001", [("张一", "户主"), ("张二", "配偶"), ("张三", "子")])
    make_household("H002", [("李一", "户主"), ("李二", "妻")], village=v2)
    make_household("H003", [("王一", "户主")])
    return {"v1": VILLAGE, "v2": v2, "v3": v3}


def locked(actor_map: dict, year: int = 2024, program: str = Program.RESERVOIR):
    v = verification_run(actor=actor_map["clerk"], year=year, program=program, county_code=COUNTY)
    verification_sign_county(actor=actor_map["reviewer"], verification=v)
    return verification_sign_city(actor=actor_map["city"], verification=v)


def events_2025(places: dict, clerk) -> dict:
    """What happens in 2025 (after last year's snapshot): removals, an addition, corrections, a move."""
    zhang2, li2, wang1 = enrolment_of("张二"), enrolment_of("李二"), enrolment_of("王一")
    # died in June; the next-year rule makes the removal effective 1 January 2026: still on the 2025 roster
    set_status(zhang2, dt.date(2026, 1, 1), cause="death", request=make_request("remove", zhang2, cause="death", field="status"))
    # died, removal effective immediately (2025-07-01): removed in 2025, with its request
    death = make_request("remove", li2, cause="death", field="status")
    set_status(li2, dt.date(2025, 7, 1), cause="death", request=death)
    # prison, effective 31 December: not on the roster at 24:00; the request is known only from the history
    prison = make_request("remove", wang1, cause="prison", field="status")
    set_status(wang1, dt.date(2025, 12, 31), cause="prison")
    History.objects.create(effective_on=dt.date(2025, 12, 31), enrolment=wang1, person=wang1.person, division_code=wang1.division_code,
                           field="status", old="active", new="removed", source="request", request=prison, actor=clerk)
    # a new member enrolled in May 2025 through an add_person request
    h3 = wang1.household
    zhao = make_person("赵一", village=h3.division_code)
    Membership.objects.create(person=zhao, household=h3, relation="子", valid_from=dt.date(2025, 5, 1))
    zhao_enrolment = Enrolment.objects.create(person=zhao, household=h3, program=Program.RESERVOIR, division_code=h3.division_code,
                                              status="active", status_since=dt.date(2025, 5, 1), enrolled_on=dt.date(2025, 5, 1),
                                              category="original", support_mode="project")
    add = make_request("add_person", zhao_enrolment, field="enrol")
    EnrolmentStatus.objects.create(enrolment=zhao_enrolment, status="active", valid_from=dt.date(2025, 5, 1), request=add)
    # enrolled from 1 January 2026: not on the 2025 roster
    late = make_person("钱一", village=h3.division_code)
    Membership.objects.create(person=late, household=h3, relation="女", valid_from=dt.date(2026, 1, 1))
    late_e = Enrolment.objects.create(person=late, household=h3, program=Program.RESERVOIR, division_code=h3.division_code, status="active",
                                      status_since=dt.date(2026, 1, 1), enrolled_on=dt.date(2026, 1, 1), category="original",
                                      support_mode="project")
    EnrolmentStatus.objects.create(enrolment=late_e, status="active", valid_from=dt.date(2026, 1, 1))
    # name corrected through a request
    zhang3 = enrolment_of("张三")
    correct = make_request("correct", zhang3, field="name", payload={"name": "张叁"})
    Person.objects.filter(pk=zhang3.person_id).update(name="张叁")
    History.objects.create(effective_on=dt.date(2025, 3, 1), person=zhang3.person, division_code=zhang3.division_code, field="name",
                           old="张三", new="张叁", source="request", request=correct, actor=clerk)
    # new bank account for the head of H001 (no request)
    zhang1 = enrolment_of("张一")
    Enrolment.objects.filter(pk=zhang1.pk).update(bank_account_hash=blind_index("6217000099998888777", kind="bank"),
                                                 bank_account_enc=encrypt("6217000099998888777"),
                                                 bank_account_masked=mask_bank_account("6217000099998888777"))
    # household H002 moved to another village of the county
    li1 = enrolment_of("李一")
    Household.objects.filter(pk=li1.household_id).update(division_code=places["v3"])
    return {"death": death, "prison": prison, "add": add, "correct": correct}
