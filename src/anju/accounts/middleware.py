"""Login-security enforcement on every request: idle timeout, second factor, password expiry."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from anju.accounts.models import SecurityPolicy
from anju.accounts.selectors import user_has_totp

MSG_IDLE = gettext_lazy("您已超过 %(minutes)s 分钟未操作，请重新登录")
MSG_ENROL = gettext_lazy("您的角色须启用双因素认证，请先绑定认证器")
MSG_EXPIRED = gettext_lazy("您的密码已过期或须修改，请先修改密码")
MSG_RELOGIN = gettext_lazy("本次会话未通过动态验证码验证，请重新登录")
PASSIVE_HEADER = "HTTP_X_ANJU_PASSIVE"  # set by polling scripts so they do not count as activity
SESSION_LAST_SEEN = "anju_last_seen"


class LoginSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:  # bearer-token requests are anonymous here
            return self.get_response(request)
        path = request.path
        if path.startswith(("/static/", "/i18n/")):
            return self.get_response(request)
        policy = SecurityPolicy.current()
        now = time.time()
        last = request.session.get(SESSION_LAST_SEEN)
        if last is not None and now - last > policy.idle_timeout_seconds:
            request.anju_logout_reason = "idle_timeout"
            logout(request)
            msg = MSG_IDLE % {"minutes": max(1, policy.idle_timeout_seconds // 60)}
            if path.startswith("/api/"):
                return JsonResponse({"code": "session_expired", "message": str(msg), "detail": None}, status=401)
            messages.warning(request, msg)
            return redirect(f"{reverse('web:login')}?next={path}")
        if not request.META.get(PASSIVE_HEADER):
            request.session[SESSION_LAST_SEEN] = now

        allowed = {reverse("web:logout")}
        target = None
        if policy.totp_required(user) and not user.is_verified():
            if user_has_totp(user):
                # A session that never passed the second factor while one is bound: sign in again, fully.
                request.anju_logout_reason = "second_factor_missing"
                logout(request)
                return self._deny(request, path, MSG_RELOGIN, reverse("web:login"))
            target, msg = reverse("accounts:totp"), MSG_ENROL
        elif user.must_change_password or policy.password_expired(user):
            target, msg = reverse("accounts:password"), MSG_EXPIRED
        if target and path != target and path not in allowed:
            return self._deny(request, path, msg, target)
        return self.get_response(request)

    @staticmethod
    def _deny(request, path: str, msg, target: str):
        if path.startswith("/api/"):
            return JsonResponse({"code": "action_required", "message": str(msg), "detail": {"url": target}}, status=403)
        messages.warning(request, msg)
        return redirect(target)
