"""Users with a role and two jurisdiction scopes, API tokens, and the editable security policy."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import ROLE_CHOICES, ROLES, Role


class User(AbstractUser):
    """An account. `entry_scope` is where the user may write; `view_scope` where they may read."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=ROLE_CHOICES)
    entry_scope = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("录入范围"), null=True
    )
    view_scope = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("查看范围"), null=True
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("下次登录须改密码"), default=False)

    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("账号")
        ordering = ["username"]
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique")]

    def __str__(self) -> str:
        return f"{self.full_name or self.username}（{self.role_obj.name if self.role in ROLES else self.role}）"

    @property
    def role_obj(self) -> Role:
        return ROLES[self.role]

    @property
    def perms(self) -> frozenset[str]:
        if not self.is_active or self.role not in ROLES:
            return frozenset()
        return ROLES[self.role].perms

    def can(self, perm: str) -> bool:
        return perm in self.perms

    @property
    def view_prefix(self) -> str:
        return self.view_scope.prefix if self.view_scope_id else "\x00"

    @property
    def entry_prefix(self) -> str:
        return self.entry_scope.prefix if self.entry_scope_id else "\x00"


class SecurityPolicy(models.Model):
    """The one row of login-security settings the 安全管理员 edits (defaults from ANJU_* settings)."""

    # Bounds are the 等保 level-3 baseline (POLICY.md §4): a deployment may be stricter, never weaker.
    password_min_length = models.PositiveSmallIntegerField(
        _("密码最小长度"), validators=[MinValueValidator(8), MaxValueValidator(64)], help_text=_("8–64 个字符"))
    password_max_age_days = models.PositiveSmallIntegerField(
        _("密码有效期（天）"), validators=[MinValueValidator(1), MaxValueValidator(90)], help_text=_("不超过 90 天"))
    lockout_failures = models.PositiveSmallIntegerField(
        _("连续失败锁定次数"), validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("不超过 5 次"))
    lockout_minutes = models.PositiveIntegerField(
        _("锁定时长（分钟）"), validators=[MinValueValidator(1), MaxValueValidator(1440)], help_text=_("1–1440 分钟"))
    idle_timeout_seconds = models.PositiveIntegerField(
        _("空闲超时（秒）"), validators=[MinValueValidator(60), MaxValueValidator(600)], help_text=_("60–600 秒"))
    audit_retention_days = models.PositiveIntegerField(
        _("审计日志保存期（天）"), validators=[MinValueValidator(184), MaxValueValidator(3650)], help_text=_("不少于 184 天（六个月）"))
    totp_required_for_all = models.BooleanField(_("所有角色均须双因素认证"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("安全策略")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def defaults(cls) -> dict:
        # ANJU_* environment values are held to the same bounds as the edited policy.
        return {
            "password_min_length": 8,
            "password_max_age_days": min(max(settings.ANJU_PASSWORD_MAX_AGE_DAYS, 1), 90),
            "lockout_failures": min(max(settings.ANJU_LOCKOUT_FAILURES, 1), 5),
            "lockout_minutes": min(max(settings.ANJU_LOCKOUT_MINUTES, 1), 1440),
            "idle_timeout_seconds": min(max(settings.ANJU_IDLE_TIMEOUT_SECONDS, 60), 600),
            "audit_retention_days": min(max(settings.ANJU_AUDIT_RETENTION_DAYS, 184), 3650),
        }

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy = cls.objects.filter(pk=1).first()
        return policy if policy is not None else cls(pk=1, **cls.defaults())

    def password_expired(self, user: User) -> bool:
        changed = user.password_changed_at or user.date_joined
        return timezone.now() - changed > timedelta(days=self.password_max_age_days)

    def totp_required(self, user: User) -> bool:
        return self.totp_required_for_all or (user.role in ROLES and ROLES[user.role].totp_required)


class APIToken(models.Model):
    """A bearer token for the API. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
