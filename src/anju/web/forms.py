"""Forms of the shell: login and the second-factor step."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

MSG_BAD_LOGIN = _("用户名或密码不正确")


def form_error(form, exc) -> None:
    """Show an ApplicationError on a form: on the field its detail names, else above the form."""
    field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)
MSG_INACTIVE = _("该账号已停用")


class LoginForm(AuthenticationForm):
    error_messages = {"invalid_login": MSG_BAD_LOGIN, "inactive": MSG_INACTIVE}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态验证码"), min_length=6, max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("打开认证器应用，输入当前显示的 6 位数字"),
    )
