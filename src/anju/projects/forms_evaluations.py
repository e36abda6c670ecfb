"""Performance-evaluation forms: list filters, starting an evaluation, the scores of the self-evaluation or the review
(one field per sub-indicator), the send-back reason, the summary report, and the indicator editor of a template."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.models import Evaluation, EvaluationTemplate
from anju.projects.services.evaluations import COMMENT_MAX, GUIDE_MAX, NAME_MAX, REASON_MAX, TEMPLATE_NAME_MAX, template_items

SCOPE_HELP = _("区划代码前缀，如 429921（县）；留空为本人查看范围")


class EvaluationFilterForm(forms.Form):
    year = forms.IntegerField(label=_("评价年度"), required=False, min_value=2006, max_value=2100)
    division = forms.RegexField(label=_("区划"), required=False, regex=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$", max_length=12,
                                help_text=SCOPE_HELP, error_messages={"invalid": _("区划代码应为 2、4、6、9 或 12 位数字")})
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Evaluation.State.choices))
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=[("", _("全部"))] + list(Evaluation.Grade.choices))
    q = forms.CharField(label=_("项目编码或名称"), required=False, max_length=64)

    def clean_q(self):
        value = self.cleaned_data["q"]
        if "\x00" in value:
            raise forms.ValidationError(_("含有不允许的字符"))
        return value


class SummaryFilterForm(forms.Form):
    year = forms.IntegerField(label=_("评价年度"), required=False, min_value=2006, max_value=2100)
    division = forms.RegexField(label=_("区划"), required=False, regex=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$", max_length=12,
                                help_text=SCOPE_HELP, error_messages={"invalid": _("区划代码应为 2、4、6、9 或 12 位数字")})


class SummaryReportForm(forms.Form):
    year = forms.IntegerField(label=_("评价年度"), min_value=2006, max_value=2100)
    scope = forms.RegexField(label=_("县或市"), required=False, regex=r"^(\d{4}|\d{6})$", max_length=6,
                             help_text=_("县（6 位）或市（4 位）区划代码；留空为本人查看范围"),
                             error_messages={"invalid": _("应为 4 位（市）或 6 位（县）区划代码")})


class StartForm(forms.Form):
    project = forms.CharField(label=_("项目编码"), max_length=40)
    year = forms.IntegerField(label=_("评价年度"), min_value=2006, max_value=2100)
    template = forms.ModelChoiceField(label=_("指标模板"), queryset=EvaluationTemplate.objects.none(), required=False,
                                      empty_label=_("（启用的最新模板）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EvaluationTemplate.objects.filter(active=True).order_by("-id")


def score_field(code: str) -> str:
    return f"score_{code}"


class ScoresForm(forms.Form):
    """One text field per sub-indicator (the service checks the number, its places and its bounds, naming the
    indicator) and the comment."""

    comment = forms.CharField(label=_("说明"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, evaluation: Evaluation, comment_label=None, suggestion: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = template_items(evaluation.template.indicators)
        self.suggestion = suggestion or {}
        for item in self.items:
            self.fields[score_field(item.code)] = forms.CharField(
                label=item.name, required=False, max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "aria-describedby": f"guide_{item.code}"}))
        for code, value in self.suggestion.items():
            self.fields[f"accept_{code}"] = forms.BooleanField(label=_("采用建议得分 %(value)s") % {"value": value}, required=False)
        if comment_label:
            self.fields["comment"].label = comment_label
        self.order_fields([score_field(i.code) for i in self.items] + ["comment"])

    def scores(self) -> dict[str, str]:
        """The scores entered, with the suggested ones the user chose to accept."""
        scores = {i.code: self.cleaned_data.get(score_field(i.code), "").strip() for i in self.items}
        for code, value in self.suggestion.items():
            if self.cleaned_data.get(f"accept_{code}"):
                scores[code] = str(value)
        return scores

    def accept_rows(self):
        return [(code, self[f"accept_{code}"]) for code in self.suggestion]

    def rows(self):
        """(item, bound field) pairs for the page's table."""
        return [(i, self[score_field(i.code)]) for i in self.items]


class SendBackForm(forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


# --- the template editor ----------------------------------------------------------------------------------------

_GROUP_KEY = re.compile(r"^g(\d{1,2})_(code|name|weight)$")
_ITEM_KEY = re.compile(r"^g(\d{1,2})_i(\d{1,2})_(code|name|weight|guide)$")
MAX_GROUPS, MAX_ITEMS = 20, 30
BLANK_ITEMS, BLANK_GROUP_ITEMS = 2, 3


class TemplateForm(forms.Form):
    """A template's name and indicators as rows of inputs: each first-level indicator (code, name, weight) with its
    sub-indicators (code, name, weight, guide), plus blank rows to add; a row left blank is dropped. The service checks
    the weights and codes."""

    name = forms.CharField(label=_("模板名称"), max_length=TEMPLATE_NAME_MAX)

    def __init__(self, data=None, *, indicators: list | None = None, **kwargs):
        super().__init__(data, **kwargs)
        if data is not None:
            shape = self._shape_of(data)
        else:
            shape = [len(g.get("items", [])) + BLANK_ITEMS for g in indicators or []] + [BLANK_GROUP_ITEMS]
        self.shape = shape
        for g, n_items in enumerate(shape):
            self.fields[f"g{g}_code"] = forms.CharField(label=_("一级指标编码"), required=False, max_length=32)
            self.fields[f"g{g}_name"] = forms.CharField(label=_("一级指标名称"), required=False, max_length=NAME_MAX)
            self.fields[f"g{g}_weight"] = forms.CharField(label=_("分值"), required=False, max_length=8,
                                                          widget=forms.TextInput(attrs={"size": 5, "inputmode": "decimal"}))
            for i in range(n_items):
                p = f"g{g}_i{i}_"
                self.fields[p + "code"] = forms.CharField(label=_("二级指标编码"), required=False, max_length=32)
                self.fields[p + "name"] = forms.CharField(label=_("二级指标名称"), required=False, max_length=NAME_MAX)
                self.fields[p + "weight"] = forms.CharField(label=_("分值"), required=False, max_length=8,
                                                            widget=forms.TextInput(attrs={"size": 5, "inputmode": "decimal"}))
                self.fields[p + "guide"] = forms.CharField(label=_("评分标准"), required=False, max_length=GUIDE_MAX)
        self._label_inputs()
        if data is None and indicators:
            for g, group in enumerate(indicators):
                self.initial.update({f"g{g}_code": group["code"], f"g{g}_name": group["name"], f"g{g}_weight": group["weight"]})
                for i, item in enumerate(group.get("items", [])):
                    p = f"g{g}_i{i}_"
                    self.initial.update({p + "code": item["code"], p + "name": item["name"], p + "weight": item["weight"],
                                         p + "guide": item.get("guide", "")})

    def _label_inputs(self) -> None:
        """Inputs sit in a table without their own <label>: name each for screen readers (一级指标 2 · 二级指标 3 · 分值)."""
        for name, field in self.fields.items():
            m = _ITEM_KEY.match(name) or _GROUP_KEY.match(name)
            if not m:
                continue
            where = _("一级指标 %(g)s") % {"g": int(m.group(1)) + 1}
            if m.re is _ITEM_KEY:
                where += " · " + _("二级指标 %(i)s") % {"i": int(m.group(2)) + 1}
            field.widget.attrs["aria-label"] = f"{where} · {field.label}"

    @staticmethod
    def _shape_of(data) -> list[int]:
        groups: dict[int, int] = {}
        for key in data:
            m = _GROUP_KEY.match(key)
            if m and int(m.group(1)) < MAX_GROUPS:
                groups.setdefault(int(m.group(1)), 0)
            m = _ITEM_KEY.match(key)
            if m and int(m.group(1)) < MAX_GROUPS and int(m.group(2)) < MAX_ITEMS:
                g = int(m.group(1))
                groups[g] = max(groups.get(g, 0), int(m.group(2)) + 1)
        return [groups.get(g, 0) for g in range(max(groups) + 1)] if groups else [BLANK_GROUP_ITEMS]

    def clean(self):
        cleaned = super().clean()
        for key, value in cleaned.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(key, _("含有不允许的字符"))
        return cleaned

    def groups(self):
        """For the page: per first-level row, its bound fields and its items' bound fields."""
        out = []
        for g, n_items in enumerate(self.shape):
            items = [{k: self[f"g{g}_i{i}_{k}"] for k in ("code", "name", "weight", "guide")} for i in range(n_items)]
            out.append({"code": self[f"g{g}_code"], "name": self[f"g{g}_name"], "weight": self[f"g{g}_weight"], "items": items})
        return out

    def indicators(self) -> list[dict]:
        """The indicators as entered, blank rows dropped (the service checks the rest)."""
        d = self.cleaned_data
        out = []
        for g, n_items in enumerate(self.shape):
            items = []
            for i in range(n_items):
                p = f"g{g}_i{i}_"
                values = {k: (d.get(p + k) or "").strip() for k in ("code", "name", "weight", "guide")}
                if any(values.values()):
                    items.append(values)
            group = {k: (d.get(f"g{g}_{k}") or "").strip() for k in ("code", "name", "weight")}
            if any(group.values()) or items:
                out.append({**group, "items": items})
        return out
