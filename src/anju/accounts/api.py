"""Account endpoints: who am I, user administration, my API tokens."""


from datetime import datetime

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.accounts import selectors, services
from anju.accounts.roles import ROLES
from anju.core.api_base import ERRORS, Pagination, Text
from anju.core.exceptions import ValidationFailed
from anju.divisions.models import Division
from anju.divisions.selectors import division_by_code

router = Router(tags=["accounts"])

MSG_ROLE = gettext_lazy("未知角色：%(role)s")


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    phone: str
    role: str
    role_name: str
    entry_scope: str | None = Field(None, alias="entry_scope_id")
    view_scope: str | None = Field(None, alias="view_scope_id")
    is_active: bool
    last_login: datetime | None

    @staticmethod
    def resolve_role_name(obj):
        return str(ROLES[obj.role].name) if obj.role in ROLES else obj.role


class MeOut(UserOut):
    permissions: list[str]

    @staticmethod
    def resolve_permissions(obj):
        return sorted(obj.perms)


class UserFilter(Schema):
    q: Text | None = None
    role: Text | None = None
    active: bool | None = None
    division: Text | None = None


class UserIn(Schema):
    username: Text = Field(..., min_length=3, max_length=150)
    password: Text = Field(..., min_length=1, max_length=128)
    role: Text = Field(..., max_length=32)
    entry_scope: Text = Field(..., max_length=12)
    view_scope: Text | None = Field(None, max_length=12)
    full_name: Text = Field("", max_length=50)
    phone: Text = Field("", max_length=20)


class UserPatch(Schema):
    role: Text | None = Field(None, max_length=32)
    entry_scope: Text | None = Field(None, max_length=12)
    view_scope: Text | None = Field(None, max_length=12)
    full_name: Text | None = Field(None, max_length=50)
    phone: Text | None = Field(None, max_length=20)
    is_active: bool | None = None


def _division(value: str | None, field: str) -> Division | None:
    if value is None:
        return None
    try:
        return division_by_code(value, field=field)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{field}：{exc.message}", detail=exc.detail) from None


def _role(value: str | None):
    if value is None:
        return None
    role = ROLES.get(value)
    if role is None:
        raise ValidationFailed(MSG_ROLE % {"role": value}, detail={"field": "role"})
    return role


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户", tags=["accounts"])
def me(request):
    return request.auth


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="账号列表（本辖区）")
@paginate(Pagination)
def list_users(request, filters: Query[UserFilter]):
    return selectors.user_list(actor=request.auth, q=filters.q or "", role=filters.role or "",
                               active=filters.active, division=filters.division or "")


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="一个账号")
def get_user(request, user_id: int):
    return selectors.access_user(request.auth, user_id)


@router.post("/users", response={201: UserOut, 409: dict, **ERRORS}, summary="创建账号（业务角色）")
def create_user(request, payload: UserIn):
    entry = _division(payload.entry_scope, "entry_scope")
    view = _division(payload.view_scope, "view_scope") if payload.view_scope else entry
    user = services.user_create(actor=request.auth, username=payload.username, role=_role(payload.role), entry_scope=entry,
                                view_scope=view, password=payload.password, full_name=payload.full_name, phone=payload.phone)
    return Status(201, user)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="修改账号")
def update_user(request, user_id: int, payload: UserPatch):
    from anju.accounts.roles import Perm

    target = selectors.access_user(request.auth, user_id, perm=Perm.USERS_MANAGE)
    return services.user_update(
        actor=request.auth, user=target, role=_role(payload.role), entry_scope=_division(payload.entry_scope, "entry_scope"),
        view_scope=_division(payload.view_scope, "view_scope"), full_name=payload.full_name, phone=payload.phone,
        is_active=payload.is_active,
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: Text = Field(..., min_length=1, max_length=100)
    days: int = Field(90, ge=1, le=365)


class TokenCreatedOut(TokenOut):
    secret: str


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="我的 API 令牌")
def list_tokens(request):
    return list(selectors.token_list(actor=request.auth))


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="创建 API 令牌（密钥只显示一次）")
def create_token(request, payload: TokenIn):
    token, secret = services.token_create(actor=request.auth, name=payload.name, days=payload.days)
    token.secret = secret
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, summary="吊销 API 令牌")
def revoke_token(request, token_id: int):
    services.token_revoke(actor=request.auth, token=selectors.access_token(request.auth, token_id))
    return Status(204, None)

