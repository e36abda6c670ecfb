"""Account writes: users, passwords, TOTP devices, API tokens, security policy. Each audits itself."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from anju.accounts.models import APIToken, SecurityPolicy, User
from anju.accounts.passwords import MSG_SAME
from anju.accounts.roles import IT_ROLES, ROLES, Perm, Role
from anju.accounts.selectors import pending_totp_device
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed, join_list
from anju.divisions.models import Division, Level

MSG_USERNAME_TAKEN = _("用户名“%(username)s”已被使用")
MSG_USERNAME_INVALID = _("用户名只能包含字母、数字和 @ . + - _，长度 3–150")
MSG_ROLE_LEVEL = _("角色“%(role)s”只能设在%(levels)s，所选“%(division)s”是%(level)s")
MSG_SCOPE_OUTSIDE = _("所选区划不在您的管辖范围内")
MSG_VIEW_WIDER = _("录入范围必须位于查看范围之内")
MSG_IT_ROLE_CLI = _("系统、安全、审计管理员账号只能由服务器操作员用 anju createuser 创建或修改")
MSG_SELF = _("不能修改自己的角色、范围或停用自己")
MSG_WRONG_PASSWORD = _("当前密码不正确")
MSG_TOTP_BAD = _("验证码不正确或已过期，请输入认证器上显示的 6 位数字")
MSG_TOTP_NONE = _("尚未开始绑定认证器")
MSG_TOKEN_NAME = _("请填写令牌用途")
MSG_TOKEN_DAYS = _("有效期应为 1–365 天")


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _revoke_all_tokens(user: User) -> int:
    """Credentials are being reset: tokens issued under the old ones stop working too."""
    return APIToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username, "full_name": user.full_name, "phone": user.phone, "role": user.role,
        "entry_scope": user.entry_scope_id, "view_scope": user.view_scope_id, "is_active": user.is_active,
    }


def check_role_scope(role: Role, entry_scope: Division, view_scope: Division) -> None:
    """Validate that a role may sit at these divisions and that entry lies within view."""
    if entry_scope.level not in role.levels:
        raise ValidationFailed(
            MSG_ROLE_LEVEL % {
                "role": role.name, "levels": join_list(Level(lv).label for lv in role.levels),
                "division": entry_scope.name, "level": Level(entry_scope.level).label,
            },
            detail={"field": "entry_scope"},
        )
    if not entry_scope.code.startswith(view_scope.prefix):
        raise ValidationFailed(MSG_VIEW_WIDER, detail={"field": "view_scope"})


def _check_password(password: str, user: User | None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), detail={"field": "password", "errors": exc.messages}) from None


def _check_manageable(actor: User | None, *, role: Role, entry_scope: Division, view_scope: Division) -> None:
    """A web/API administrator may manage business accounts inside their own scope only."""
    if actor is None:  # server operator at the CLI
        return
    require_perm(actor, Perm.USERS_MANAGE)
    if role.code in IT_ROLES:
        raise PermissionDenied(MSG_IT_ROLE_CLI)
    if not (in_scope(actor, entry_scope.code) and in_scope(actor, view_scope.code)):
        raise ValidationFailed(MSG_SCOPE_OUTSIDE, detail={"field": "entry_scope"})


def user_create(
    *,
    actor: User | None,
    username: str,
    role: Role,
    entry_scope: Division,
    view_scope: Division | None = None,
    password: str,
    full_name: str = "",
    phone: str = "",
    must_change_password: bool = True,
) -> User:
    """Create an account. `actor=None` means the server operator (CLI), who may create IT roles."""
    view_scope = view_scope or entry_scope
    username = (username or "").strip()
    if not (3 <= len(username) <= 150) or not all(c.isalnum() or c in "@.+-_" for c in username):
        raise ValidationFailed(MSG_USERNAME_INVALID, detail={"field": "username"})
    _check_manageable(actor, role=role, entry_scope=entry_scope, view_scope=view_scope)
    check_role_scope(role, entry_scope, view_scope)
    user = User(username=username, role=role.code, entry_scope=entry_scope, view_scope=view_scope,
                full_name=full_name.strip(), phone=phone.strip(), must_change_password=must_change_password)
    _check_password(password, user)
    taken = Conflict(MSG_USERNAME_TAKEN % {"username": username}, detail={"field": "username"})
    if User.objects.filter(username__iexact=username).exists():
        raise taken
    user.set_password(password)
    user.password_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
            audit_record(actor=actor, action="accounts.user.created", object_type="user", object_id=user.pk,
                         division_code=entry_scope.code, after=_user_snapshot(user))
    except IntegrityError:  # a concurrent create won the case-insensitive unique index
        raise taken from None
    return user


def user_update(
    *,
    actor: User,
    user: User,
    full_name: str | None = None,
    phone: str | None = None,
    role: Role | None = None,
    entry_scope: Division | None = None,
    view_scope: Division | None = None,
    is_active: bool | None = None,
) -> User:
    """Change an account's details, role, scopes or active flag (trusts `user` came from access_user)."""
    before = _user_snapshot(user)
    new_role = role or user.role_obj
    new_entry = entry_scope or user.entry_scope
    new_view = view_scope or (entry_scope if entry_scope and not view_scope else user.view_scope)
    if actor.pk == user.pk and (new_role.code != user.role or new_entry != user.entry_scope or new_view != user.view_scope or is_active is False):
        raise PermissionDenied(MSG_SELF)
    if user.role in IT_ROLES:
        raise PermissionDenied(MSG_IT_ROLE_CLI)
    _check_manageable(actor, role=new_role, entry_scope=new_entry, view_scope=new_view)
    check_role_scope(new_role, new_entry, new_view)
    user.role, user.entry_scope, user.view_scope = new_role.code, new_entry, new_view
    if full_name is not None:
        user.full_name = full_name.strip()
    if phone is not None:
        user.phone = phone.strip()
    if is_active is not None:
        user.is_active = is_active
    with transaction.atomic():
        user.save(update_fields=["role", "entry_scope", "view_scope", "full_name", "phone", "is_active"])
        old, new = audit_diff(before, _user_snapshot(user))
        audit_record(actor=actor, action="accounts.user.updated", object_type="user", object_id=user.pk,
                     division_code=user.entry_scope_id, before=old, after=new)
    return user


def user_reset_password(*, actor: User, user: User, password: str) -> None:
    """Administrator sets a temporary password; the user must change it at next login."""
    require_perm(actor, Perm.USERS_MANAGE)
    if user.role in IT_ROLES:
        raise PermissionDenied(MSG_IT_ROLE_CLI)
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = True
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        revoked = _revoke_all_tokens(user)
        audit_record(actor=actor, action="accounts.user.password_reset", object_type="user", object_id=user.pk,
                     division_code=user.entry_scope_id, after={"tokens_revoked": revoked})


def password_change(*, actor: User, current_password: str, new_password: str) -> None:
    """A user changes their own password after proving the current one."""
    if not actor.check_password(current_password):
        with transaction.atomic():
            audit_record(actor=actor, action="accounts.password.changed", object_type="user", object_id=actor.pk,
                         division_code=actor.entry_scope_id, outcome="failure", message="wrong current password")
        raise ValidationFailed(MSG_WRONG_PASSWORD, detail={"field": "current_password"})
    if current_password == new_password:
        raise ValidationFailed(MSG_SAME, detail={"field": "new_password"})
    _check_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.password_changed_at = timezone.now()
        actor.must_change_password = False
        actor.save(update_fields=["password", "password_changed_at", "must_change_password"])
        audit_record(actor=actor, action="accounts.password.changed", object_type="user", object_id=actor.pk,
                     division_code=actor.entry_scope_id)


def operator_set_password(*, user: User, password: str) -> None:
    """Server operator (CLI) sets a password; validated like any other."""
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit_record(actor=None, action="accounts.user.password_reset", object_type="user",
                     object_id=user.pk, division_code=user.entry_scope_id)


# --- TOTP ---------------------------------------------------------------------------------------

def totp_begin(*, actor: User) -> TOTPDevice:
    """Start (or restart) enrolment: a fresh unconfirmed device whose secret the page shows once."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)


def totp_confirm(*, actor: User, token: str) -> TOTPDevice:
    device = pending_totp_device(actor)
    if device is None:
        raise ValidationFailed(MSG_TOTP_NONE, detail={"field": "token"})
    if not device.verify_token((token or "").strip()):
        with transaction.atomic():
            audit_record(actor=actor, action="accounts.totp.enrolled", object_type="user", object_id=actor.pk,
                         division_code=actor.entry_scope_id, outcome="failure")
        raise ValidationFailed(MSG_TOTP_BAD, detail={"field": "token"})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=actor, action="accounts.totp.enrolled", object_type="user", object_id=actor.pk,
                     division_code=actor.entry_scope_id)
    return device


def totp_reset(*, actor: User, user: User) -> None:
    """安全管理员 removes a user's authenticator (lost phone); they enrol again at next login."""
    require_perm(actor, Perm.SECURITY_MANAGE)
    with transaction.atomic():
        n, _ = TOTPDevice.objects.filter(user=user).delete()
        revoked = _revoke_all_tokens(user)
        audit_record(actor=actor, action="accounts.totp.reset", object_type="user", object_id=user.pk,
                     division_code=user.entry_scope_id, after={"devices_removed": n, "tokens_revoked": revoked})


def user_unlock(*, actor: User, user: User) -> None:
    from axes.utils import reset

    require_perm(actor, Perm.SECURITY_MANAGE)
    with transaction.atomic():
        removed = reset(username=user.username)
        audit_record(actor=actor, action="accounts.user.unlocked", object_type="user", object_id=user.pk,
                     division_code=user.entry_scope_id, after={"attempts_cleared": removed})


def security_policy_update(*, actor: User, **values: Any) -> SecurityPolicy:
    require_perm(actor, Perm.SECURITY_MANAGE)
    policy = SecurityPolicy.current()
    before = {f: getattr(policy, f) for f in values}
    for field, value in values.items():
        setattr(policy, field, value)
    try:
        policy.full_clean()
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        label = SecurityPolicy._meta.get_field(field).verbose_name if field != "__all__" else ""
        raise ValidationFailed(f"{label}：{errors[0]}", detail={"field": field, "errors": exc.message_dict}) from None
    with transaction.atomic():
        policy.save()
        old, new = audit_diff(before, values)
        audit_record(actor=actor, action="accounts.security_policy.updated", object_type="security_policy",
                     object_id=1, before=old, after=new)
    return policy


# --- API tokens ---------------------------------------------------------------------------------

def token_create(*, actor: User, name: str, days: int | None = 90) -> tuple[APIToken, str]:
    """Issue a token; returns it and the full secret, which is never shown again."""
    require_perm(actor, Perm.TOKENS_OWN)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(MSG_TOKEN_NAME, detail={"field": "name"})
    if days is not None and not 1 <= days <= 365:
        raise ValidationFailed(MSG_TOKEN_DAYS, detail={"field": "days"})
    prefix = secrets.token_hex(4)
    secret = f"anju_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = APIToken.objects.create(
            user=actor, name=name[:100], prefix=prefix, digest=_hash_token(secret),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        audit_record(actor=actor, action="accounts.token.created", object_type="api_token", object_id=token.pk,
                     division_code=actor.entry_scope_id, after={"name": token.name, "prefix": prefix, "days": days})
    return token, secret


def token_revoke(*, actor: User, token: APIToken) -> None:
    if token.revoked_at:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token.revoked", object_type="api_token", object_id=token.pk,
                     division_code=token.user.entry_scope_id)


def token_authenticate(secret: str) -> User | None:
    """Resolve a bearer secret to its active user, or None. Updates last-use time at most once a minute."""
    parts = (secret or "").split("_")
    if len(parts) < 3 or parts[0] != "anju":
        return None
    token = APIToken.objects.select_related("user", "user__view_scope", "user__entry_scope").filter(prefix=parts[1]).first()
    if token is None or not token.is_usable or not token.user.can(Perm.TOKENS_OWN):
        return None  # can() is False for inactive users and for roles that may not hold tokens
    if token.user.must_change_password or SecurityPolicy.current().password_expired(token.user):
        return None  # the owner must sign in and change the password first
    if not secrets.compare_digest(token.digest, _hash_token(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def assignable_roles() -> list[Role]:
    """Roles an administrator may hand out from the web or API: business roles only (IT roles: CLI)."""
    return [r for r in ROLES.values() if r.code not in IT_ROLES]
