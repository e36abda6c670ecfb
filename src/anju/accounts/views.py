"""Account pages: own account, password, TOTP, API tokens; user admin; security admin."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from anju.accounts import selectors, services
from anju.accounts.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    SecurityPolicyForm,
    SecurityUserFilterForm,
    TokenCreateForm,
    TotpConfirmForm,
    UserFilterForm,
    UserForm,
)
from anju.accounts.models import SecurityPolicy
from anju.accounts.roles import ROLES, Perm
from anju.core.access import require_perm
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.pagination import paginate
from anju.divisions.models import Division
from anju.divisions.selectors import division_by_code
from anju.web.forms import form_error


@login_required
def me(request):
    policy = SecurityPolicy.current()
    return render(request, "accounts/me.html", {
        "has_totp": selectors.user_has_totp(request.user),
        "totp_required": policy.totp_required(request.user),
        "policy": policy,
        "perm_labels": [Perm.LABELS[p] for p in sorted(request.user.perms) if p in Perm.LABELS],
    })


@login_required
@require_http_methods(["GET", "POST"])
def password(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, current_password=form.cleaned_data["current_password"],
                                     new_password=form.cleaned_data["new_password"])
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改"))
            return redirect("accounts:me")
    return render(request, "accounts/password.html", {"form": form, "policy": SecurityPolicy.current()})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
@require_http_methods(["GET", "POST"])
def totp(request):
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_confirm(actor=request.user, token=form.cleaned_data["token"])
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            otp_login(request, device)
            messages.success(request, _("认证器已绑定，今后登录需输入动态验证码"))
            return redirect("accounts:me")
    device = selectors.pending_totp_device(request.user)
    if device is None or request.method == "GET":
        device = services.totp_begin(actor=request.user)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/totp.html", {
        "form": form, "qr_svg": _qr_svg(device.config_url), "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "has_totp": selectors.user_has_totp(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenCreateForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = services.token_create(actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        except ValidationFailed as exc:
            form_error(form, exc)
        else:
            form = TokenCreateForm()
    return render(request, "accounts/tokens.html", {"form": form, "tokens": selectors.token_list(actor=request.user), "new_secret": new_secret})


@login_required
@require_POST
def token_revoke(request, token_id: int):
    services.token_revoke(actor=request.user, token=selectors.access_token(request.user, token_id))
    messages.success(request, _("令牌已吊销"))
    return redirect("accounts:tokens")


# --- user administration (系统管理员) --------------------------------------------------------------

@login_required
def users(request):
    form = UserFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    active = {"1": True, "0": False}.get(f.get("active") or "")
    qs = selectors.user_list(actor=request.user, q=f.get("q") or "", role=f.get("role") or "", active=active)
    return render(request, "accounts/users.html", {"form": form, "page": paginate(request, qs), "locked": selectors.locked_usernames(),
                                                   "can_manage": request.user.can(Perm.USERS_MANAGE)})


def _division_or_error(form, field: str, value: str) -> Division | None:
    try:
        return division_by_code(value, field=field)
    except ValidationFailed as exc:
        form.add_error(field, exc.message)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    require_perm(request.user, Perm.USERS_MANAGE)
    roles = services.assignable_roles()
    form = UserForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = _division_or_error(form, "entry_scope", d["entry_scope"])
        view = _division_or_error(form, "view_scope", d["view_scope"]) if d["view_scope"] else entry
        if entry and view:
            try:
                user = services.user_create(actor=request.user, username=d["username"], role=ROLES[d["role"]], entry_scope=entry,
                                            view_scope=view, password=d["password"], full_name=d["full_name"], phone=d["phone"])
            except (ValidationFailed, Conflict, PermissionDenied) as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已创建账号 %(u)s") % {"u": user.username})
                return redirect("accounts:user", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request, user_id: int):
    target = selectors.access_user(request.user, user_id)
    roles = services.assignable_roles()
    initial = {"username": target.username, "full_name": target.full_name, "phone": target.phone, "role": target.role,
               "entry_scope": target.entry_scope.prefix if target.entry_scope_id else "",
               "view_scope": target.view_scope.prefix if target.view_scope_id else "", "is_active": target.is_active}
    form = UserForm(request.POST or None, roles=roles, editing=True, initial=initial)
    reset_form = PasswordResetForm()
    if request.method == "POST":
        require_perm(request.user, Perm.USERS_MANAGE)
        if form.is_valid():
            d = form.cleaned_data
            entry = _division_or_error(form, "entry_scope", d["entry_scope"])
            view = _division_or_error(form, "view_scope", d["view_scope"]) if d["view_scope"] else entry
            if entry and view:
                try:
                    services.user_update(actor=request.user, user=target, full_name=d["full_name"], phone=d["phone"],
                                         role=ROLES[d["role"]], entry_scope=entry, view_scope=view, is_active=d["is_active"])
                except (ValidationFailed, PermissionDenied) as exc:
                    form_error(form, exc)
                else:
                    messages.success(request, _("已保存"))
                    return redirect("accounts:user", user_id=target.pk)
    return render(request, "accounts/user_form.html", {"form": form, "target": target, "reset_form": reset_form,
                                                       "can_manage": request.user.can(Perm.USERS_MANAGE)})


@login_required
@require_POST
def user_reset_password(request, user_id: int):
    target = selectors.access_user(request.user, user_id, perm=Perm.USERS_MANAGE)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=target, password=form.cleaned_data["password"])
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已重置密码，用户下次登录须修改"))
    return redirect("accounts:user", user_id=target.pk)


# --- security administration (安全管理员) ------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def security(request):
    require_perm(request.user, Perm.SECURITY_MANAGE)
    policy = SecurityPolicy.current()
    form = SecurityPolicyForm(request.POST or None, instance=SecurityPolicy(pk=1, **{
        f: getattr(policy, f) for f in SecurityPolicyForm.Meta.fields}))
    if request.method == "POST" and form.is_valid():
        services.security_policy_update(actor=request.user, **{f: form.cleaned_data[f] for f in SecurityPolicyForm.Meta.fields})
        messages.success(request, _("安全策略已保存"))
        return redirect("accounts:security")
    return render(request, "accounts/security.html", {"form": form})


@login_required
def security_users(request):
    form = SecurityUserFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}  # Django's CharField refuses NUL and over-long input
    qs = selectors.security_user_list(actor=request.user, q=(f.get("q") or "").strip(), locked_only=bool(f.get("locked")))
    return render(request, "accounts/security_users.html", {
        "form": form, "page": paginate(request, qs), "locked": selectors.locked_usernames(),
        "totp_users": selectors.users_with_totp(qs),
    })


@login_required
@require_POST
def security_unlock(request, user_id: int):
    target = selectors.access_security_user(request.user, user_id)
    services.user_unlock(actor=request.user, user=target)
    messages.success(request, _("已解锁 %(u)s") % {"u": target.username})
    return redirect("accounts:security_users")


@login_required
@require_POST
def security_totp_reset(request, user_id: int):
    target = selectors.access_security_user(request.user, user_id)
    services.totp_reset(actor=request.user, user=target)
    messages.success(request, _("已清除 %(u)s 的认证器，其下次登录须重新绑定") % {"u": target.username})
    return redirect("accounts:security_users")
