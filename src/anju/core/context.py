"""Request-scoped facts (client IP, user agent) that services read when they write audit events."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    user_agent: str = ""
    channel: str = "web"  # web | api | cli | job


_current: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar("anju_request_meta", default=RequestMeta(channel="cli"))  # noqa: B039 (frozen)


def client_ip(request) -> str:
    """The peer address. anju is served directly or behind a proxy that sets REMOTE_ADDR (see README)."""
    return request.META.get("REMOTE_ADDR", "") or ""


def current_meta() -> RequestMeta:
    return _current.get()


def set_meta(meta: RequestMeta) -> contextvars.Token:
    return _current.set(meta)


def reset_meta(token: contextvars.Token) -> None:
    _current.reset(token)
