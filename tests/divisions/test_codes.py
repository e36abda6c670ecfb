"""Division code arithmetic: short/full forms, level from trailing zero groups, prefixes and parents."""

import pytest

from anju.divisions.codes import LENGTH_TO_LEVEL, full_code, level_of, parent_code, prefix_of
from anju.divisions.models import PREFIX_LENGTH, Division, Level


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("42", "420000000000"),
        ("4205", "420500000000"),
        ("420527", "420527000000"),
        ("420527100", "420527100000"),
        ("420527100200", "420527100200"),
        (" 4205 ", "420500000000"),
        ("420500000000", "420500000000"),
    ],
)
def test_full_code_pads_short_codes_to_twelve_digits(short, full):
    assert full_code(short) == full


@pytest.mark.parametrize("bad", ["", None, "4", "420", "42052", "4205271", "42052710", "4205271002", "4205271002001",
                                 "42a5", "４２０５", "42-5", "4205 27"])
def test_full_code_rejects_anything_but_2_4_6_9_12_ascii_digits(bad):
    with pytest.raises(ValueError):
        full_code(bad)


def test_length_to_level_is_the_inverse_of_prefix_length():
    assert LENGTH_TO_LEVEL == {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY, 9: Level.TOWNSHIP, 12: Level.VILLAGE}
    assert {v: k for k, v in LENGTH_TO_LEVEL.items()} == PREFIX_LENGTH


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("420000000000", Level.PROVINCE, "42", None),
        ("500000000000", Level.PROVINCE, "50", None),
        ("420500000000", Level.CITY, "4205", "420000000000"),
        ("421000000000", Level.CITY, "4210", "420000000000"),
        ("420527000000", Level.COUNTY, "420527", "420500000000"),
        ("421010000000", Level.COUNTY, "421010", "421000000000"),
        ("420527100000", Level.TOWNSHIP, "420527100", "420527000000"),
        ("420527001000", Level.TOWNSHIP, "420527001", "420527000000"),
        ("420527100200", Level.VILLAGE, "420527100200", "420527100000"),
        ("420527100001", Level.VILLAGE, "420527100001", "420527100000"),
    ],
)
def test_level_prefix_and_parent_follow_the_trailing_zero_groups(code, level, prefix, parent):
    assert level_of(code) == level
    assert prefix_of(code) == prefix
    assert parent_code(code) == parent
    assert full_code(prefix) == code


def test_division_short_code_and_str_use_the_prefix():
    village = Division(code="420527100200", name="孙家坝村", level=Level.VILLAGE)
    county = Division(code="420527000000", name="秭归县", level=Level.COUNTY)
    assert (village.prefix, village.short_code) == ("420527100200", "420527100200")
    assert (county.prefix, county.short_code) == ("420527", "420527")
    assert str(county) == "秭归县（420527）"
