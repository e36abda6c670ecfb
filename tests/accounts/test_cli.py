"""`anju createuser`: the server operator's way to open accounts, including the three IT roles."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from anju.accounts.models import User
from anju.accounts.passwords import MSG_CLASSES, MSG_TOO_SHORT
from anju.accounts.services import MSG_ROLE_LEVEL, MSG_USERNAME_TAKEN
from anju.cli import main
from anju.core.models import AuditEvent

GOOD = "Good@2026pass"


def _run(args, password=GOOD):
    return CliRunner().invoke(main, ["createuser", *args, "--password-stdin"], input=f"{password}\n")


def test_createuser_with_chinese_role_name(tree):
    result = _run(["alice", "--role", "县级经办", "--scope", "429921", "--full-name", "爱丽丝"])
    assert result.exit_code == 0, result.output
    assert "已创建账号 alice" in result.stdout
    assert "白云县" in result.stdout
    user = User.objects.get(username="alice")
    assert user.role == "county_clerk"
    assert user.entry_scope_id == user.view_scope_id == "429921000000"
    assert user.full_name == "爱丽丝"
    assert user.check_password(GOOD)
    assert user.must_change_password is False
    event = AuditEvent.objects.get(action="accounts.user.created", object_id=str(user.pk))
    assert event.actor_id is None
    assert event.channel == "cli"


def test_createuser_with_code_and_view_scope(tree):
    result = _run(["bob", "--role", "township_clerk", "--scope", "429921101", "--view-scope", "429921"])
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="bob")
    assert user.entry_scope_id == "429921101000" and user.view_scope_id == "429921000000"


@pytest.mark.parametrize("role,code", [("系统管理员", "sysadmin"), ("secadmin", "secadmin"), ("审计管理员", "auditadmin")])
def test_createuser_allows_it_roles(tree, role, code):
    result = _run(["itadmin", "--role", role, "--scope", "4299"])
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="itadmin")
    assert user.role == code
    event = AuditEvent.objects.get(action="accounts.user.created", object_id=str(user.pk))
    assert event.actor_id is None and event.channel == "cli"


def test_createuser_unknown_role(tree):
    result = _run(["alice", "--role", "老板", "--scope", "429921"])
    assert result.exit_code == 2
    assert "错误：未知角色“老板”" in result.stderr
    assert "county_clerk（县级经办）" in result.stderr
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.parametrize(
    "scope,message",
    [
        ("42992", "--scope：区划代码“42992”应为 2、4、6、9 或 12 位数字"),
        ("abc", "--scope：区划代码“abc”应为 2、4、6、9 或 12 位数字"),
        ("429999", "--scope：区划代码 429999 不存在（请先用 anju divisions load 导入区划）"),
    ],
)
def test_createuser_bad_scope(tree, scope, message):
    result = _run(["alice", "--role", "县级经办", "--scope", scope])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not User.objects.filter(username="alice").exists()


def test_createuser_bad_view_scope(tree):
    result = _run(["alice", "--role", "县级经办", "--scope", "429921", "--view-scope", "4298"])
    assert result.exit_code == 2
    assert "--view-scope：区划代码 4298 不存在" in result.stderr


@pytest.mark.parametrize("password,message", [("weakpassword", MSG_CLASSES), ("Ab1!", MSG_TOO_SHORT % {"n": 8})])
def test_createuser_weak_password(tree, password, message):
    result = _run(["alice", "--role", "县级经办", "--scope", "429921"], password=password)
    assert result.exit_code == 2
    assert "错误：" in result.stderr
    assert str(message) in result.stderr
    assert not User.objects.filter(username="alice").exists()
    assert not AuditEvent.objects.filter(action="accounts.user.created", after__username="alice").exists()


def test_createuser_role_level_mismatch(tree):
    result = _run(["alice", "--role", "乡镇经办", "--scope", "429921"])
    assert result.exit_code == 2
    assert str(MSG_ROLE_LEVEL).split("“")[0] in result.stderr
    assert "乡镇经办" in result.stderr and "白云县" in result.stderr
    assert not User.objects.filter(username="alice").exists()


def test_createuser_duplicate(tree, make_user):
    make_user("county_clerk", "429922", username="alice")
    result = _run(["alice", "--role", "县级经办", "--scope", "429921"])
    assert result.exit_code == 2
    assert str(MSG_USERNAME_TAKEN % {"username": "alice"}) in result.stderr
    assert User.objects.get(username="alice").entry_scope_id == "429922000000"


def test_createuser_requires_role_and_scope(tree):
    result = CliRunner().invoke(main, ["createuser", "alice", "--scope", "429921"])
    assert result.exit_code == 2
    assert "--role" in result.output
    assert not User.objects.filter(username="alice").exists()


def test_createuser_prompts_for_password_twice(tree):
    result = CliRunner().invoke(main, ["createuser", "carol", "--role", "领导", "--scope", "4299"],
                                input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="carol")
    assert user.role == "leader"
    assert user.check_password(GOOD)
