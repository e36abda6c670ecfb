"""Roles: Chinese names, separation of the three IT roles (三员分立), lookup by code or name, level rules."""

from __future__ import annotations

import re
from itertools import combinations

import pytest
from django.utils import translation

from anju.accounts.models import User
from anju.accounts.roles import IT_ROLES, ROLE_CHOICES, ROLES, Perm, role_by_code_or_name
from anju.accounts.services import MSG_ROLE_LEVEL, MSG_VIEW_WIDER, check_role_scope, user_create
from anju.core.exceptions import ValidationFailed
from anju.core.models import AuditEvent
from anju.divisions.models import Division, Level

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", sorted(ROLES))
def test_every_role_has_a_chinese_name_and_description(code):
    role = ROLES[code]
    assert role.code == code
    with translation.override("zh-hans"):
        assert CJK.search(str(role.name)), code
        assert CJK.search(str(role.description)), code
    assert role.levels, code
    assert role.perms, code


def test_role_choices_cover_every_role():
    assert [c for c, _n in ROLE_CHOICES] == list(ROLES)


def test_every_permission_has_a_chinese_label():
    used = set().union(*(r.perms for r in ROLES.values()))
    with translation.override("zh-hans"):
        for perm in used:
            assert perm in Perm.LABELS, perm
            assert CJK.search(str(Perm.LABELS[perm])), perm


def test_there_are_exactly_three_it_roles():
    assert IT_ROLES == {"sysadmin", "secadmin", "auditadmin"}
    assert all(ROLES[c].it_role for c in IT_ROLES)


@pytest.mark.parametrize("a,b", list(combinations(sorted(IT_ROLES), 2)))
def test_it_roles_share_no_permission_with_each_other(a, b):
    assert not (ROLES[a].perms & ROLES[b].perms), (a, b)


# Reading the division tree and the job list are platform reads, not business work: the system
# administrator needs both to load divisions and watch jobs. Nothing else may be shared.
SHARED_PLATFORM_READS = {Perm.DIVISIONS_VIEW, Perm.JOBS_VIEW_ALL}


@pytest.mark.parametrize("code", sorted(IT_ROLES))
def test_it_roles_share_no_business_permission_with_business_roles(code):
    business = set().union(*(r.perms for r in ROLES.values() if not r.it_role))
    assert not (ROLES[code].perms & business) - SHARED_PLATFORM_READS, code


def test_business_roles_hold_no_administration_permission():
    admin_perms = set().union(*(ROLES[c].perms for c in IT_ROLES)) - SHARED_PLATFORM_READS
    for code, role in ROLES.items():
        if not role.it_role:
            assert not (role.perms & admin_perms), code
    assert Perm.TOKENS_OWN not in set().union(*(ROLES[c].perms for c in IT_ROLES))


def test_only_the_security_admin_manages_security_and_only_the_audit_admin_reads_audit():
    assert {c for c, r in ROLES.items() if Perm.SECURITY_MANAGE in r.perms} == {"secadmin"}
    assert {c for c, r in ROLES.items() if Perm.AUDIT_VIEW in r.perms} == {"auditadmin"}
    assert {c for c, r in ROLES.items() if Perm.USERS_MANAGE in r.perms} == {"sysadmin"}


def test_it_roles_and_city_admin_require_totp():
    for code in IT_ROLES | {"city_admin"}:
        assert ROLES[code].totp_required, code
    assert not ROLES["county_clerk"].totp_required


@pytest.mark.parametrize(
    "value,code",
    [
        ("county_clerk", "county_clerk"),
        ("县级经办", "county_clerk"),
        ("领导", "leader"),
        ("领导(只读)", "leader"),
        ("  系统管理员 ", "sysadmin"),
        ("安全管理员", "secadmin"),
        ("审计管理员", "auditadmin"),
        ("乡镇经办", "township_clerk"),
    ],
)
def test_role_by_code_or_name(value, code):
    role = role_by_code_or_name(value)
    assert role is not None
    assert role.code == code


@pytest.mark.parametrize("value", ["", None, "clerk", "县级", "管理员", "County_Clerk"])
def test_role_by_code_or_name_unknown(value):
    assert role_by_code_or_name(value) is None


def test_role_lookup_by_name_works_under_english_ui():
    with translation.override("en"):
        assert role_by_code_or_name("县级经办").code == "county_clerk"


def _level_label(level):
    return Level(level).label


def test_check_role_scope_rejects_wrong_level(tree):
    county = tree["429921000000"]
    with pytest.raises(ValidationFailed) as exc:
        check_role_scope(ROLES["township_clerk"], county, county)
    assert exc.value.detail == {"field": "entry_scope"}
    role = ROLES["township_clerk"]
    assert exc.value.message == str(MSG_ROLE_LEVEL % {
        "role": role.name, "levels": "、".join(str(_level_label(lv)) for lv in role.levels),
        "division": county.name, "level": _level_label(county.level),
    })


def test_check_role_scope_entry_must_lie_within_view(tree):
    with pytest.raises(ValidationFailed) as exc:
        check_role_scope(ROLES["county_clerk"], tree["429921000000"], tree["429922000000"])
    assert exc.value.message == str(MSG_VIEW_WIDER)
    assert exc.value.detail == {"field": "view_scope"}
    # A wider view scope (the city) is fine.
    check_role_scope(ROLES["county_clerk"], tree["429921000000"], tree["429900000000"])


@pytest.mark.parametrize(
    "role,scope",
    [
        ("township_clerk", "429921000000"),
        ("county_clerk", "429900000000"),
        ("county_clerk", "429921101000"),
        ("city_admin", "429921000000"),
        ("finance", "429921101000"),
        ("sysadmin", "429921101000"),
        ("leader", "420000000000"),
    ],
)
def test_user_create_enforces_role_levels(tree, role, scope):
    division = Division.objects.get(code=scope)
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=None, username="someone", role=ROLES[role], entry_scope=division, password="Good@2026pass")
    assert str(ROLES[role].name) in exc.value.message
    assert division.name in exc.value.message
    assert not User.objects.filter(username="someone").exists()
    assert not AuditEvent.objects.filter(action="accounts.user.created").exists()


@pytest.mark.parametrize(
    "role,scope",
    [
        ("township_clerk", "429921101000"),
        ("county_clerk", "429921000000"),
        ("city_admin", "429900000000"),
        ("finance", "429900000000"),
        ("finance", "429921000000"),
        ("leader", "429921101000"),
        ("sysadmin", "420000000000"),
    ],
)
def test_user_create_accepts_allowed_levels(tree, role, scope):
    division = Division.objects.get(code=scope)
    user = user_create(actor=None, username="someone", role=ROLES[role], entry_scope=division, password="Good@2026pass")
    assert user.role == role
    assert user.entry_scope == division and user.view_scope == division
