"""Middleware that records who is asking from where, for the audit log."""

from __future__ import annotations

from anju.core.context import RequestMeta, client_ip, reset_meta, set_meta


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_meta(RequestMeta(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:200], channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_meta(token)


class ApplicationErrorMiddleware:
    """Render domain errors raised by views: 404 for out-of-scope, 403 for missing permission."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import render

        from anju.core.exceptions import ApplicationError, AuthenticationRequired

        if not isinstance(exception, ApplicationError):
            return None
        if isinstance(exception, AuthenticationRequired):
            return redirect_to_login(request.get_full_path())
        return render(request, "web/error.html", {"error": exception}, status=exception.status)
