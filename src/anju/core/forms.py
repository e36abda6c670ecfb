from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.models import AuditEvent


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(label=_("操作人"), required=False, max_length=150)
    action = forms.CharField(label=_("事件（前缀）"), required=False, max_length=100, help_text=_("如 accounts.login"))
    division = forms.RegexField(label=_("区划代码（前缀）"), required=False, regex=r"^\d{1,12}$",
                                error_messages={"invalid": _("区划代码只能是数字")})
    outcome = forms.ChoiceField(label=_("结果"), required=False, choices=[("", _("全部"))] + list(AuditEvent.Outcome.choices))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data

    def as_params(self) -> dict:
        d = self.cleaned_data
        return {
            "date_from": d["date_from"].isoformat() if d.get("date_from") else "",
            "date_to": d["date_to"].isoformat() if d.get("date_to") else "",
            "username": d.get("username") or "", "action": d.get("action") or "",
            "division": d.get("division") or "", "outcome": d.get("outcome") or "",
        }
