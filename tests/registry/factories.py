"""Registry test data built straight into the tables (fast; the import tests prove the real path)."""

from __future__ import annotations

import datetime as dt
import itertools

from anju.core.crypto import blind_index, encrypt
from anju.core.masking import mask_bank_account, mask_resident_id
from anju.registry.models import Enrolment, EnrolmentStatus, Household, Membership, Person, Program, Reservoir
from anju.registry.resident_id import compose

# Villages of the demo tree (fixture `tree`) and of `other_city`.
VILLAGE = "429921101201"  # 白云县 > a 镇 > a 村委会
OTHER_VILLAGE = "429821100200"  # 外县 外镇 外村
_seq = itertools.count(1)


def resident_id(region: str = "429921", birth: dt.date = dt.date(1970, 5, 1), male: bool = True) -> str:
    """A valid, unique 18-digit ID for the region (odd sequence male, even female)."""
    n = next(_seq)
    return compose(region, birth + dt.timedelta(days=n // 500), (n % 500) * 2 + (1 if male else 0))


def make_reservoir(code: str = "R429921", name: str = "白云水库", county: str = "429921000000") -> Reservoir:
    return Reservoir.objects.get_or_create(code=code, defaults={"name": name, "scale": Reservoir.Scale.MEDIUM, "division_code": county})[0]


def make_person(name: str, *, village: str = VILLAGE, id_number: str | None = None, birth: dt.date = dt.date(1970, 5, 1),
                male: bool = True) -> Person:
    number = id_number or resident_id(village[:6], birth, male)
    # resident_id() moves the ID's date one day per 500 IDs to stay unique, so a long test session would shift ages:
    # the birth date asked for is the birth date stored (tests of age edges depend on it).
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])) if id_number else birth
    return Person.objects.create(
        name=name, id_hash=blind_index(number), id_enc=encrypt(number), id_masked=mask_resident_id(number),
        gender="M" if int(number[16]) % 2 else "F", birth_date=born, division_code=village,
    )


def make_household(number: str, members: list[tuple[str, str]], *, village: str = VILLAGE, program: str = Program.RESERVOIR,
                   since: dt.date = dt.date(2010, 1, 1), support_mode: str = Enrolment.SupportMode.DIRECT,
                   bank_account: str = "6217000010001234567") -> Household:
    """A household with members [(name, relation)], the first its head, each enrolled in `program` since `since`."""
    household = Household.objects.create(number=number, county_code=village[:6], division_code=village, address="")
    reservoir = make_reservoir(county=village[:6] + "000000") if program == Program.RESERVOIR else None
    for i, (name, relation) in enumerate(members):
        person = make_person(name, village=village, male=i % 2 == 0)
        Membership.objects.create(person=person, household=household, relation=relation, valid_from=since)
        extra = {}
        if program == Program.RESERVOIR:
            extra = {"reservoir": reservoir, "move_date": dt.date(2008, 3, 1), "origin": "库区", "category": Enrolment.Category.ORIGINAL,
                     "support_mode": support_mode, "support_start": dt.date(2008, 3, 1), "support_end": dt.date(2028, 2, 29),
                     "bank_name": "农商银行" if support_mode == Enrolment.SupportMode.DIRECT else "",
                     "bank_account_enc": encrypt(bank_account) if support_mode == Enrolment.SupportMode.DIRECT else "",
                     "bank_account_hash": blind_index(bank_account, kind="bank") if support_mode == Enrolment.SupportMode.DIRECT else "",
                     "bank_account_masked": mask_bank_account(bank_account) if support_mode == Enrolment.SupportMode.DIRECT else ""}
        else:
            extra = {"poverty_registered": True, "relocation_year": 2018, "placement": Enrolment.Placement.CONCENTRATED,
                     "area_type": Enrolment.AreaType.URBAN, "housing_area": "20.00"}
        enrolment = Enrolment.objects.create(person=person, household=household, program=program, division_code=village,
                                             status="active", status_since=since, enrolled_on=since, **extra)
        EnrolmentStatus.objects.create(enrolment=enrolment, status="active", valid_from=since)
        if i == 0:
            household.head = person
            household.save(update_fields=["head"])
    return household
