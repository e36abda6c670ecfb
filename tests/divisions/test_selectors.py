"""Division reads: limited to the actor's view scope, short or full codes, children with descendant counts."""

from collections import Counter

import pytest

from anju.core.exceptions import AuthenticationRequired, NotFound, PermissionDenied
from anju.divisions.models import Division, Level
from anju.divisions.selectors import (
    access_division,
    division_ancestors,
    division_children,
    division_counts,
    division_list,
    division_root,
)


def codes(qs) -> list[str]:
    return [d.code for d in qs]


def test_division_list_holds_exactly_the_actors_view_scope(tree, other_city, make_user):
    clerk = make_user("county_clerk", "429921")

    listed = codes(division_list(actor=clerk))

    assert listed == sorted(c for c in tree if c.startswith("429921"))
    assert listed[0] == "429921000000"
    assert not any(c.startswith("4298") for c in listed)


def test_wider_view_scope_sees_the_whole_city_but_not_the_other_city(tree, other_city, make_user):
    clerk = make_user("county_clerk", "429921", view_scope="4299")
    sysadmin = make_user("sysadmin", "42")

    assert codes(division_list(actor=clerk)) == sorted(c for c in tree if c.startswith("4299"))
    assert len(codes(division_list(actor=sysadmin))) == len(tree) + len(other_city)


def test_division_list_filters_by_parent_level_and_query(tree, make_user):
    clerk = make_user("city_clerk", "4299")
    townships_of_baiyun = sorted(c for c, d in tree.items() if d.parent_id == "429921000000")
    a_village = next(d for c, d in sorted(tree.items()) if c.startswith("429922") and d.level == Level.VILLAGE)

    assert codes(division_list(actor=clerk, parent="429921000000")) == townships_of_baiyun
    assert codes(division_list(actor=clerk, level=Level.COUNTY)) == sorted(
        c for c, d in tree.items() if d.level == Level.COUNTY and c.startswith("4299"))
    assert codes(division_list(actor=clerk, q=a_village.name)) == [a_village.code]
    assert codes(division_list(actor=clerk, q="429921")) == sorted(c for c in tree if c.startswith("429921"))
    assert codes(division_list(actor=clerk, q="县")) == sorted(
        c for c, d in tree.items() if "县" in d.name and c.startswith("4299"))


def test_query_does_not_escape_the_scope(tree, other_city, make_user):
    clerk = make_user("county_clerk", "429921")

    assert codes(division_list(actor=clerk, q="外")) == []
    assert codes(division_list(actor=clerk, q="4298")) == []
    assert codes(division_list(actor=clerk, parent="429800000000")) == []


@pytest.mark.parametrize("code", ["429921", "429921000000", " 429921 "])
def test_access_division_accepts_short_and_full_codes(tree, make_user, code):
    clerk = make_user("county_clerk", "429921")

    assert access_division(clerk, code) == tree["429921000000"]


def test_access_division_reaches_every_level_inside_scope(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    village = next(d for c, d in sorted(tree.items()) if c.startswith("429921") and d.level == Level.VILLAGE)

    assert access_division(clerk, village.code) == village
    assert access_division(clerk, village.code[:9]) == tree[village.code[:9] + "000"]


@pytest.mark.parametrize(
    "code",
    [
        "4298",  # the other city
        "429821100200",  # a village of the other city
        "429922",  # a sibling county in the same city
        "4299",  # the clerk's own city, wider than the view scope
        "42",  # the province
        "429921999",  # inside the scope's prefix but does not exist
        "4299211",  # not a code length
        "abc",
        "",
    ],
)
def test_access_division_outside_scope_or_unknown_is_not_found(tree, other_city, make_user, code):
    clerk = make_user("county_clerk", "429921")

    with pytest.raises(NotFound) as info:
        access_division(clerk, code)
    assert info.value.message == str(NotFound.default_message)


def test_reads_need_a_logged_in_actor_with_the_view_permission(tree, make_user):
    secadmin = make_user("secadmin", "4299")

    with pytest.raises(PermissionDenied):
        division_list(actor=secadmin)
    with pytest.raises(PermissionDenied):
        access_division(secadmin, "4299")
    with pytest.raises(AuthenticationRequired):
        division_list(actor=None)
    with pytest.raises(AuthenticationRequired):
        access_division(None, "4299")


def test_ancestors_run_from_province_to_the_division(tree):
    village = next(d for c, d in sorted(tree.items()) if c.startswith("429921") and d.level == Level.VILLAGE)

    chain = division_ancestors(village)

    assert [d.level for d in chain] == [1, 2, 3, 4, 5]
    assert [d.code for d in chain] == ["420000000000", "429900000000", "429921000000", village.parent_id, village.code]


def test_division_root_is_the_view_scope(tree, make_user):
    clerk = make_user("county_clerk", "429921", view_scope="4299")

    assert division_root(clerk) == tree["429900000000"]


def test_children_of_a_county_count_their_villages(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    county = tree["429921000000"]
    villages_per_township = Counter(d.parent_id for d in tree.values() if d.level == Level.VILLAGE)

    children = division_children(actor=clerk, division=county)

    assert [c["division"].code for c in children] == sorted(c for c, d in tree.items() if d.parent_id == county.code)
    for child in children:
        assert child["counts"] == {Level.VILLAGE: villages_per_township[child["division"].code]}
        assert child["counts"][Level.VILLAGE] > 0


def test_children_of_the_city_count_townships_and_villages(tree, make_user):
    clerk = make_user("city_clerk", "4299")
    levels_per_county = Counter((d.code[:6], d.level) for d in tree.values() if d.level > Level.COUNTY)

    children = division_children(actor=clerk, division=tree["429900000000"])

    assert len(children) == 9
    for child in children:
        prefix = child["division"].prefix
        assert child["counts"] == {Level.TOWNSHIP: levels_per_county[prefix, Level.TOWNSHIP],
                                   Level.VILLAGE: levels_per_county[prefix, Level.VILLAGE]}


def test_children_of_a_township_have_no_counts_and_a_village_has_no_children(tree, make_user):
    clerk = make_user("county_clerk", "429921")
    township = next(d for c, d in sorted(tree.items()) if c.startswith("429921") and d.level == Level.TOWNSHIP)
    village = next(d for d in tree.values() if d.parent_id == township.code)

    children = division_children(actor=clerk, division=township)

    assert [c["division"].code for c in children] == sorted(d.code for d in tree.values() if d.parent_id == township.code)
    assert all(c["counts"] == {} for c in children)
    assert division_children(actor=clerk, division=village) == []


def test_division_counts_cover_every_level_below(tree, make_user):
    clerk = make_user("city_clerk", "4299")

    counts = division_counts(actor=clerk, division=tree["429900000000"])

    expected = Counter(d.level for c, d in tree.items() if c.startswith("4299") and d.level > Level.CITY)
    assert counts == dict(expected)
    assert Division.objects.filter(code__startswith="4299").count() == sum(counts.values()) + 1
