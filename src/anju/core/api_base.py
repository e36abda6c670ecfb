"""Shared API pieces: authentication (bearer token, session), the error shape, common schemas."""


from typing import Annotated, Any

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.security import HttpBearer, SessionAuth
from pydantic import StringConstraints

from anju.accounts.services import token_authenticate


class ErrorOut(Schema):
    code: str
    message: str
    detail: Any = None


# Text input: PostgreSQL text cannot hold NUL (0x00), so refuse it at the boundary (a 422) rather than in a query.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

MAX_PAGE_LIMIT = 1000
MAX_PAGE_OFFSET = 10**9


class Pagination(LimitOffsetPagination):
    """limit/offset with upper bounds: an unbounded offset overflows the database's 64-bit OFFSET (a 500)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=MAX_PAGE_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_PAGE_OFFSET)

    def __init__(self, **kwargs: Any):
        super().__init__(max_limit=MAX_PAGE_LIMIT, **kwargs)


class Mapped:
    """A queryset whose page items pass through `fn` after slicing, so pagination still counts and
    slices in the database (ninja's paginator calls .all().count() and [offset:offset+limit])."""

    def __init__(self, queryset, fn):
        self.queryset, self.fn = queryset, fn

    def all(self):
        return self.queryset

    def __getitem__(self, window):
        return [self.fn(item) for item in self.queryset[window]]


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class VerifiedSessionAuth(SessionAuth):
    """Session auth (with CSRF) for the browser; LoginSecurityMiddleware has already enforced 2FA/expiry."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or not getattr(user, "role", ""):
            return None
        return user


AUTH = [TokenAuth(), VerifiedSessionAuth()]


_TokenAuth, _SessionAuth = TokenAuth, VerifiedSessionAuth


def _holding(user, perm: str):
    if user is not None:
        from anju.core.access import require_perm

        require_perm(user, perm)
    return user


def auth_requiring(perm: str) -> list:
    """The API's two authentications, answering 403 to a user whose role lacks `perm` before the (multipart) body is
    parsed, so a refused upload is a 403 rather than a 422. Same class names: the OpenAPI security schemes stay."""

    class TokenAuth(_TokenAuth):
        def authenticate(self, request, token):
            return _holding(super().authenticate(request, token), perm)

    class VerifiedSessionAuth(_SessionAuth):
        def authenticate(self, request, key):
            return _holding(super().authenticate(request, key), perm)

    return [TokenAuth(), VerifiedSessionAuth()]


class AnnotatedPage:
    """A queryset for `@paginate` whose page is passed to `annotate(objects)` once (names looked up per page, not per row)."""

    def __init__(self, queryset, annotate):
        self.queryset, self.annotate = queryset, annotate

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        objects = list(self.queryset[index])
        self.annotate(objects)
        return objects
