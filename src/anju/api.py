"""The API root: /api/v1/, one router per app, one error shape {"code","message","detail"}."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from anju.core.api_base import AUTH
from anju.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="anju API",
    version="1",
    description="安居 — 移民后期扶持与易地搬迁后续扶持管理信息系统 API。认证：`Authorization: Bearer <令牌>`（在“API 令牌”页创建）或浏览器会话。",
    urls_namespace="api",
    auth=AUTH,
    docs_decorator=login_required,
)


def _error(request, status: int, code: str, message, detail=None):
    return api.create_response(request, {"code": code, "message": str(message), "detail": detail}, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    detail = [
        {"loc": [str(x) for x in e.get("loc", [])], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors
    ]
    fields = "、".join(".".join(d["loc"][1:] or d["loc"]) for d in detail)
    return _error(request, 422, "invalid", _("输入有误：%(fields)s") % {"fields": fields}, detail)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthenticated", _("未登录或令牌无效"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("对象不存在或不在您的管辖范围内"))


MSG_CSRF = gettext_lazy("CSRF 校验失败：请刷新页面后重试（脚本请改用 API 令牌）")
MSG_BAD_REQUEST = gettext_lazy("请求格式有误（请求体应为 JSON）")
MSG_HTTP_ERROR = gettext_lazy("请求无法处理")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """ninja's own errors (CSRF, unparsable bodies) in Chinese; its English text goes into detail."""
    if exc.status_code == 403 and "csrf" in str(exc.message).lower():
        return _error(request, 403, "csrf_failed", MSG_CSRF, str(exc.message))
    message = MSG_BAD_REQUEST if exc.status_code == 400 else MSG_HTTP_ERROR
    return _error(request, exc.status_code, "http_error", message, str(exc.message))


@api.exception_handler(Exception)
def _internal_error(request, exc):
    logger.exception("API error")
    return _error(request, 500, "internal", _("服务器内部错误，已记录"))


def _mount() -> None:
    from anju.accounts.api import router as accounts_router
    from anju.core.api import router as core_router
    from anju.divisions.api import router as divisions_router

    api.add_router("/", accounts_router)
    api.add_router("/divisions", divisions_router)
    api.add_router("/", core_router)

    from anju.registry import api as registry_api
    from anju.registry import api_crosschecks, api_imports, api_requests, api_verification
    from anju.relocation import api as relocation_api
    from anju.relocation import (
        api_checks,
        api_dashboards,
        api_identification,
        api_metrics,
        api_monitoring,
        api_steps,
        api_support,
    )
    from anju.relocation import api_imports as relocation_api_imports

    api.add_router("/registry", registry_api.router)
    api.add_router("/registry/imports", api_imports.router)
    api.add_router("/registry/requests", api_requests.router)
    api.add_router("/registry/verifications", api_verification.router)
    api.add_router("/registry/crosschecks", api_crosschecks.router)
    api.add_router("/relocation/identification", api_identification.router)
    api.add_router("/relocation/steps", api_steps.router)
    api.add_router("/relocation/support", api_support.router)
    api.add_router("/relocation/imports", relocation_api_imports.router)
    api.add_router("/relocation/metrics", api_metrics.router)
    api.add_router("/relocation/monitoring", api_monitoring.router)
    api.add_router("/relocation/checks", api_checks.router)
    api.add_router("/relocation/dashboards", api_dashboards.router)
    api.add_router("/relocation", relocation_api.router)

    from anju.subsidies import api as subsidies_api
    from anju.subsidies import api_bankfiles, api_ledger, api_policy, api_reference

    api.add_router("/subsidies/policies", api_policy.router)
    api.add_router("/subsidies", api_reference.router)
    api.add_router("/subsidies/batches", api_bankfiles.router)
    api.add_router("/subsidies", api_ledger.router)
    api.add_router("/subsidies", subsidies_api.router)

    from anju.projects import (
        api_applications,
        api_evaluations,
        api_funds,
        api_imports,
        api_inspections,
        api_projects,
        api_rates,
        api_warnings,
    )

    api.add_router("/projects/planning", api_applications.router)
    api.add_router("/projects/funds", api_funds.router)
    api.add_router("/projects/imports", api_imports.router)
    api.add_router("/projects/rates", api_rates.router)
    api.add_router("/projects/warnings", api_warnings.router)
    api.add_router("/projects/quality", api_inspections.router)
    api.add_router("/projects/evaluations", api_evaluations.router)
    api.add_router("/projects", api_projects.router)

    from anju.core import api_inbox

    api.add_router("/inbox", api_inbox.router)

    from anju.imports import api as imports_api

    api.add_router("/imports", imports_api.router)


_mount()
