"""Account forms. Validation that needs the database or the actor lives in services, not here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.accounts.models import SecurityPolicy
from anju.accounts.roles import ROLES


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(label=_("当前密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TotpConfirmForm(forms.Form):
    token = forms.CharField(label=_("认证器上的 6 位验证码"), min_length=6, max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100, help_text=_("例如：县财政对账脚本"))
    days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=365, initial=90)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("用户名或姓名"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False)
    active = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("启用")), ("0", _("停用"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("全部"))] + [(r.code, r.name) for r in ROLES.values()]


class SecurityUserFilterForm(forms.Form):
    q = forms.CharField(label=_("用户名或姓名"), required=False, max_length=150)
    locked = forms.BooleanField(label=_("只看已锁定"), required=False)


class UserForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("角色"))
    entry_scope = forms.CharField(label=_("录入范围（区划代码）"), max_length=12, help_text=_("如 420527 或 12 位完整代码"))
    view_scope = forms.CharField(label=_("查看范围（区划代码）"), max_length=12, required=False, help_text=_("留空则与录入范围相同"))
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("用户首次登录须修改"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, roles=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.code, r.name) for r in roles]
        if editing:
            self.fields["username"].disabled = True
            del self.fields["password"]
        else:
            del self.fields["is_active"]


class PasswordResetForm(forms.Form):
    password = forms.CharField(label=_("临时密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class SecurityPolicyForm(forms.ModelForm):
    class Meta:
        model = SecurityPolicy
        fields = ["password_min_length", "password_max_age_days", "lockout_failures", "lockout_minutes",
                  "idle_timeout_seconds", "audit_retention_days", "totp_required_for_all"]
