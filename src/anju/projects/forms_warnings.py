"""Early-warning forms: the list filters, a rule's settings (payment targets as a grid of month → percent) and a county's
own setting of a rule."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.models import WarningRule
from anju.projects.services.warnings import DAY_MEASURES, payment_targets

STATE_CHOICES = [("open", _("未解除")), ("cleared", _("已解除（历史）")), ("all", _("全部"))]
MONTHS = range(1, 13)


def plain(number: Decimal) -> str:
    """90.0000 → "90", 0.2500 → "0.25" (no exponent, no trailing zeros)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class WarningFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), choices=STATE_CHOICES, required=False)
    level = forms.ChoiceField(label=_("预警等级"), required=False, choices=[("", _("全部"))] + list(WarningRule.Level.choices))
    county = forms.ChoiceField(label=_("县（市、区）"), required=False, choices=())
    rule = forms.ChoiceField(label=_("规则"), required=False, choices=())
    q = forms.CharField(label=_("项目编码或名称"), required=False, max_length=64)

    def __init__(self, *args, counties=(), rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("全部"))] + [(d.prefix, d.name) for d in counties]
        self.fields["rule"].choices = [("", _("全部"))] + list(rules)

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"state": data.get("state") or "open", "level": data.get("level") or "", "county": data.get("county") or "",
                "rule": data.get("rule") or "", "q": data.get("q") or ""}


class RuleForm(forms.Form):
    name = forms.CharField(label=_("规则名称"), max_length=100)
    operator = forms.ChoiceField(label=_("比较方式"), choices=WarningRule.Operator.choices)
    threshold = forms.DecimalField(label=_("阈值"), min_value=0, max_digits=12, decimal_places=4)
    level = forms.ChoiceField(label=_("预警等级"), choices=WarningRule.Level.choices)
    active = forms.BooleanField(label=_("启用"), required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, rule: WarningRule, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        if rule.measure in DAY_MEASURES:
            self.fields["threshold"].help_text = _("天数")
        elif rule.measure == WarningRule.Measure.PAYMENT_BEHIND:
            self.fields["threshold"].help_text = _("目标支付率与实际支付率之差，0 至 1（0.2 为 20 个百分点）")
        else:
            self.fields["threshold"].help_text = _("未报送为 1，已报送为 0")
        if self.has_targets:
            for m in MONTHS:
                self.fields[f"target_{m}"] = forms.DecimalField(label=_("%(m)s 月") % {"m": m}, required=False, min_value=0, max_value=100,
                                                               max_digits=6, decimal_places=2)

    @property
    def has_targets(self) -> bool:
        return self.rule.measure == WarningRule.Measure.PAYMENT_BEHIND

    def target_fields(self):
        return [self[f"target_{m}"] for m in MONTHS] if self.has_targets else []

    def settings(self) -> dict:
        """The cleaned data as rule_update's keywords (targets as fractions, {month: "0.5"})."""
        data = {k: self.cleaned_data[k] for k in ("name", "operator", "threshold", "level", "active", "note")}
        if self.has_targets:
            data["targets"] = {str(m): format(self.cleaned_data[f"target_{m}"] / 100, "f") for m in MONTHS
                               if self.cleaned_data.get(f"target_{m}") is not None}
        return data

    @staticmethod
    def initial_from(rule: WarningRule) -> dict:
        initial = {"name": rule.name, "operator": rule.operator, "threshold": plain(rule.threshold), "level": rule.level,
                   "active": rule.active, "note": rule.note}
        for m, target in payment_targets(rule.params).items():
            initial[f"target_{m}"] = plain(Decimal(target.numerator) * 100 / Decimal(target.denominator))
        return initial


class OverrideForm(forms.Form):
    scope = forms.ChoiceField(label=_("适用地区"), choices=(), help_text=_("该地区的项目按此设置评估，不再适用上级规则"))

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(d.prefix, f"{d.name}（{d.prefix}）") for d in divisions]
