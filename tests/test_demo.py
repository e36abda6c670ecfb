"""The demo builder: a consistent city tree and one account per role, idempotent."""

import pytest
from django.db.models import Count

from anju.accounts.models import User
from anju.accounts.roles import ROLES
from anju.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo, demo_division_rows
from anju.divisions.codes import level_of, parent_code
from anju.divisions.models import Division


def test_demo_rows_are_well_formed_nbs_codes():
    rows = demo_division_rows()
    codes = {r[0] for r in rows}
    assert len(codes) == len(rows), "codes are unique"
    for code, name, level, parent in rows:
        assert len(code) == 12 and code.isdigit()
        assert level_of(code) == level
        assert parent == parent_code(code)
        assert parent is None or parent in codes
        assert name
    counties = [r for r in rows if r[2] == 3]
    assert len(counties) >= 8
    for code, name, level, _parent in rows:
        if level == 4:
            kind = int(code[6:9])
            assert name.endswith("街道") == (kind < 100)
            assert name.endswith("镇") == (100 <= kind < 200)
        if level == 5:
            kind = int(code[9:12])
            assert name.endswith("村委会") == (kind >= 200)


@pytest.mark.django_db
def test_build_demo_twice_duplicates_nothing():
    first = build_demo()
    assert first.divisions["inserted"] == len(demo_division_rows())
    divisions = Division.objects.count()
    users = User.objects.count()
    second = build_demo()
    assert second.divisions["inserted"] == 0 and second.divisions["updated"] == 0
    assert Division.objects.count() == divisions
    assert User.objects.exclude(username__startswith="demo_reviewer_").count() == len(DEMO_ACCOUNTS)
    assert User.objects.count() == users


@pytest.mark.django_db
def test_demo_has_one_account_per_role_at_the_right_level():
    summary = build_demo()
    # the other counties' reviewers signed the verifications, and a second reviewer per county approves payments; they are not in the printed list
    listed = User.objects.exclude(username__startswith="demo_reviewer_")
    by_role = dict(listed.values_list("role").annotate(n=Count("id")))
    assert set(by_role) == set(ROLES)
    assert all(n == 1 for n in by_role.values())
    assert set(User.objects.filter(username__startswith="demo_reviewer_").values_list("role", flat=True)) == {"county_reviewer"}
    for user in User.objects.select_related("entry_scope"):
        assert user.entry_scope.level in ROLES[user.role].levels
        assert user.check_password(DEMO_PASSWORD)
    text = summary.render()
    for username, *_rest in DEMO_ACCOUNTS:
        assert username in text
    assert DEMO_PASSWORD in text
