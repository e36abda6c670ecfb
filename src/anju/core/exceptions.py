"""The one exception hierarchy: every domain error carries a stable code and a Chinese message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of every error a user may see. Rendered as {"code","message","detail"} by the API."""

    code = "error"
    status = 400
    default_message = _("操作失败")

    def __init__(self, message: Any = None, *, code: str | None = None, detail: Any = None):
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        self.detail = detail
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class ValidationFailed(ApplicationError):
    code = "invalid"
    status = 422
    default_message = _("输入有误")


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    default_message = _("对象不存在或不在您的管辖范围内")


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403
    default_message = _("您的角色无权执行此操作")


class AuthenticationRequired(ApplicationError):
    code = "unauthenticated"
    status = 401
    default_message = _("请先登录")


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
    default_message = _("与当前状态冲突")


def join_list(items) -> str:
    """Join names the way the active language lists them (、 in Chinese, a comma in English)."""
    return str(_("、")).join(str(i) for i in items)


def join_sentences(parts) -> str:
    """Join whole sentences: run together in Chinese, a space between them in other languages."""
    from django.utils.translation import get_language

    return ("" if (get_language() or "zh-hans").startswith("zh") else " ").join(str(p) for p in parts)


def describe_problem(item) -> str:
    """One entry of an error's detail list as a line for people: "file 第 n 行：reason", "code：reason"."""
    if isinstance(item, dict) and "row" in item and "column" in item:
        where = _("%(sheet)s 第 %(row)s 行“%(column)s”") % {"sheet": item.get("sheet", ""), "row": item["row"], "column": item["column"]}
        return f"{where.strip()}：{item.get('message', '')}"
    if isinstance(item, dict) and "line" in item:
        return _("%(file)s 第 %(line)s 行：%(reason)s") % {"file": item.get("file", ""), "line": item["line"], "reason": item.get("reason", "")}
    if isinstance(item, dict) and "code" in item:
        return f"{item['code']}：{item.get('reason', '')}"
    return str(item)
