"""Shared API pieces: authentication (bearer token, session), the error shape, common schemas."""


from typing import Any

from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from anju.accounts.services import token_authenticate


class ErrorOut(Schema):
    code: str
    message: str
    detail: Any = None


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        request.anju_token_auth = True
        return user


class VerifiedSessionAuth(SessionAuth):
    """Session auth (with CSRF) for the browser; LoginSecurityMiddleware has already enforced 2FA/expiry."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or not getattr(user, "role", ""):
            return None
        return user


AUTH = [TokenAuth(), VerifiedSessionAuth()]
