"""Every login success, failure, lockout and logout becomes an audit event."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from anju.core.audit import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="accounts.login.succeeded", object_type="user", object_id=user.pk,
                 division_code=user.entry_scope_id or "")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    reason = (credentials or {}).get("anju_reason", "password")
    audit_record(actor=None, username=username, action="accounts.login.failed", object_type="user",
                 outcome="failure", message=reason)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(actor=None, username=username or "", action="accounts.login.locked_out", object_type="user",
                 outcome="failure", message=f"ip={ip_address}")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "anju_logout_reason", "user")
        audit_record(actor=user, action="accounts.logout", object_type="user", object_id=user.pk,
                     division_code=user.entry_scope_id or "", message=reason)
