"""Shell views: login (with TOTP step), logout, home page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from anju.accounts.lockout import locked_message
from anju.accounts.models import SecurityPolicy
from anju.accounts.roles import Perm
from anju.accounts.selectors import user_has_totp
from anju.divisions.models import Level
from anju.divisions.selectors import division_children, division_counts
from anju.web.forms import LoginForm, TokenForm

PENDING_USER = "anju_pending_user"
PENDING_BACKEND = "anju_pending_backend"
PENDING_NEXT = "anju_pending_next"
PENDING_FAILURES = "anju_pending_failures"


def _safe_next(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return "/"


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = LoginForm(request, data=request.POST or None)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            if user_has_totp(user):
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_BACKEND] = user.backend
                request.session[PENDING_NEXT] = next_url
                request.session[PENDING_FAILURES] = 0
                return redirect("web:login_totp")
            login(request, user)
            return redirect(next_url)
        if getattr(request, "axes_locked_out", False):
            return render(request, "web/login.html", {"form": form, "locked_error": locked_message(), "next": next_url}, status=403)
    return render(request, "web/login.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def login_totp_view(request):
    user_id = request.session.get(PENDING_USER)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("web:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            backend, next_url = request.session[PENDING_BACKEND], request.session.get(PENDING_NEXT, "/")
            for key in (PENDING_USER, PENDING_BACKEND, PENDING_NEXT, PENDING_FAILURES):
                request.session.pop(key, None)
            login(request, user, backend=backend)
            otp_login(request, device)
            return redirect(next_url)
        failures = request.session.get(PENDING_FAILURES, 0) + 1
        request.session[PENDING_FAILURES] = failures
        user_login_failed.send(sender=__name__, credentials={"username": user.username, "anju_reason": "totp"}, request=request)
        if failures >= SecurityPolicy.current().lockout_failures:
            request.session.flush()
            messages.error(request, _("动态验证码连续错误，请重新登录"))
            return redirect("web:login")
        form.add_error("token", _("验证码不正确或已过期"))
    return render(request, "web/login_totp.html", {"form": form, "pending_user": user})


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("您已安全退出"))
    return redirect("web:login")


@login_required
def home(request):
    user = request.user
    root = user.view_scope
    context = {"root": root}
    if root is not None and user.can(Perm.DIVISIONS_VIEW):
        counts = division_counts(actor=user, division=root)
        context["level_counts"] = [(Level(lv).label, counts.get(lv, 0)) for lv in range(root.level + 1, Level.VILLAGE + 1)]
        context["children"] = division_children(actor=user, division=root)
    return render(request, "web/home.html", context)
