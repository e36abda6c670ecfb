"""django-axes hooks: lockout thresholds come from the live SecurityPolicy; the lockout page is ours."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils.translation import gettext_lazy

MSG_LOCKED = gettext_lazy("该账号因连续登录失败已被锁定，请 %(minutes)s 分钟后再试，或联系安全管理员解锁")


def failure_limit(request, credentials) -> int:
    from anju.accounts.models import SecurityPolicy

    return SecurityPolicy.current().lockout_failures


def cooloff_time(request=None) -> timedelta:
    from anju.accounts.models import SecurityPolicy

    return timedelta(minutes=SecurityPolicy.current().lockout_minutes)


def locked_message() -> str:
    from anju.accounts.models import SecurityPolicy

    return str(MSG_LOCKED % {"minutes": SecurityPolicy.current().lockout_minutes})


def lockout_response(request, original_response=None, credentials=None):
    from anju.web.forms import LoginForm

    # Unbound on purpose: a form bound to the POST would authenticate again while rendering its errors,
    # counting a second failure and auditing a second failed login and lockout for one attempt.
    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "web/login.html", {"form": form, "locked_error": locked_message(), "next": next_url}, status=403)
