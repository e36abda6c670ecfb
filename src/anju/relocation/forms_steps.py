"""Forms of the relocation steps: record the next step, undo the last one, filter the progress and household lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.relocation.models import Step

DATE = forms.DateInput(attrs={"type": "date"})
SCOPE_RE = r"^\d{2,12}$"


KEEP = _("（不变）")


def site_choices(actor, *, blank=KEEP) -> list[tuple[str, str]]:
    from anju.registry.selectors import scope_or_ancestors_q
    from anju.relocation.models import Site

    return [("", blank)] + [(str(s.pk), f"{s.code} {s.name}") for s in Site.objects.filter(scope_or_ancestors_q(actor)).order_by("code")]


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("环节"), choices=())
    on = forms.DateField(label=_("环节日期"), widget=DATE)
    site = forms.ChoiceField(label=_("安置点"), required=False, choices=())
    year = forms.IntegerField(label=_("搬迁年度"), required=False, min_value=2000, max_value=2100)
    house_number = forms.CharField(label=_("安置房号"), required=False, max_length=50)
    house_area = forms.DecimalField(label=_("安置住房面积（平方米）"), required=False, max_digits=7, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)
    file = forms.FileField(label=_("佐证材料"), required=False, help_text=_("pdf、jpg、png，不超过 20 MB；按文件内容检查类型"))

    def __init__(self, *args, actor=None, next_step: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(next_step, Step(next_step).label)] if next_step else []
        self.fields["site"].choices = site_choices(actor) if actor is not None else []
        if next_step != Step.ALLOCATED:
            del self.fields["house_number"], self.fields["house_area"]
        else:
            self.fields["house_number"].required = self.fields["house_area"].required = True
        if next_step not in (Step.CONFIRMED, Step.AGREEMENT, Step.ALLOCATED):
            del self.fields["site"]
        if next_step != Step.CONFIRMED:
            del self.fields["year"]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("file", None)
        if "site" in data:
            data["site"] = int(data["site"]) if data["site"] else None
        return data


class UndoForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=300)


class ProgressFilterForm(forms.Form):
    scope = forms.RegexField(label=_("区划代码"), required=False, regex=SCOPE_RE, max_length=12)
    site = forms.TypedChoiceField(label=_("安置点"), required=False, coerce=int, empty_value=None, choices=())
    year = forms.IntegerField(label=_("搬迁年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = site_choices(actor, blank=_("全部")) if actor is not None else []


class HouseholdFilterForm(ProgressFilterForm):
    step = forms.ChoiceField(label=_("当前环节"), required=False, choices=[("", _("全部")), ("none", _("尚未确认搬迁")), *Step.choices])
    q = forms.CharField(label=_("户编号或户主"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["year"]
