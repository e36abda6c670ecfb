"""The shared registry factories build consistent rows (other tests rely on them)."""

from anju.core.crypto import decrypt
from anju.registry.models import Enrolment
from anju.registry.resident_id import division_regions, parse

from .factories import make_household


def test_make_household_builds_valid_encrypted_members(tree):
    household = make_household("H001", [("张三", "户主"), ("李四", "配偶")])
    enrolments = Enrolment.objects.filter(household=household).select_related("person")
    assert enrolments.count() == 2
    for e in enrolments:
        number = decrypt(e.person.id_enc)
        assert parse(number, extra_regions=division_regions()).number == number
    assert household.head.name == "张三"
