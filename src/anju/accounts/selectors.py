"""Account reads, always limited to the actor's view scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from anju.accounts.models import APIToken, User
from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm, scope_filter
from anju.core.exceptions import NotFound


def user_list(*, actor: User, q: str = "", role: str = "", active: bool | None = None, division: str = "") -> QuerySet[User]:
    require_perm(actor, Perm.USERS_VIEW)
    qs = scope_filter(User.objects.select_related("entry_scope", "view_scope"), actor, field="entry_scope__code")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    if division:
        qs = qs.filter(code_prefix_q("entry_scope_id", division))
    return qs.order_by("entry_scope_id", "username")


def access_user(actor: User, user_id: int, *, perm: str = Perm.USERS_VIEW) -> User:
    """One account by id, or NotFound when it lies outside the actor's scope."""
    require_perm(actor, perm)
    user = User.objects.select_related("entry_scope", "view_scope").filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    if not in_scope(actor, user.entry_scope_id):
        raise NotFound()
    return user


def security_user_list(*, actor: User, q: str = "", locked_only: bool = False) -> QuerySet[User]:
    """Accounts for the 安全管理员's unlock / TOTP-reset page."""
    require_perm(actor, Perm.SECURITY_MANAGE)
    qs = scope_filter(User.objects.select_related("entry_scope"), actor, field="entry_scope__code")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if locked_only:
        qs = qs.filter(username__in=locked_usernames())
    return qs.order_by("username")


def locked_usernames() -> set[str]:
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    from anju.accounts.models import SecurityPolicy

    policy = SecurityPolicy.current()
    since = timezone.now() - timedelta(minutes=policy.lockout_minutes)
    return set(
        AccessAttempt.objects.filter(failures_since_start__gte=policy.lockout_failures, attempt_time__gte=since)
        .values_list("username", flat=True)
    )


def access_security_user(actor: User, user_id: int) -> User:
    require_perm(actor, Perm.SECURITY_MANAGE)
    user = User.objects.select_related("entry_scope").filter(pk=user_id).first()
    if user is None or not in_scope(actor, user.entry_scope_id):
        raise NotFound()
    return user


def token_list(*, actor: User) -> QuerySet[APIToken]:
    require_perm(actor, Perm.TOKENS_OWN)
    return APIToken.objects.filter(user=actor).order_by("-created_at")


def access_token(actor: User, token_id: int) -> APIToken:
    require_perm(actor, Perm.TOKENS_OWN)
    token = APIToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or token.user_id != actor.pk:
        raise NotFound()
    return token


def user_has_totp(user: User) -> bool:
    """Whether the user has a confirmed authenticator (their own state: no scope involved)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(user: User) -> TOTPDevice | None:
    """The authenticator the user is binding right now, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def users_with_totp(users: QuerySet[User]) -> set[int]:
    """Ids among `users` (already scoped by the caller's selector) that have a confirmed authenticator."""
    return set(TOTPDevice.objects.filter(confirmed=True, user__in=users).values_list("user_id", flat=True))


MSG_CLI_USER = gettext_lazy("账号 %(username)s 不存在或已停用")


def cli_actor(username: str) -> User:
    """The account a CLI command acts as (`--as USERNAME`): it must exist and be active. Its role and scope apply as on the web."""
    user = User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise NotFound(MSG_CLI_USER % {"username": username}, code="user_unknown")
    return user
