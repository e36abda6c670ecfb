"""Reference list forms: banks (aliases, lengths and Luhn prefixes as comma-separated text) and bank file layouts (columns
as one "field,header" line each)."""

from __future__ import annotations

import re

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from anju.subsidies.layouts import LAYOUT_FIELDS, RETURN_FIELDS
from anju.subsidies.models import BankLayout

SEPARATORS = re.compile(r"[,，、;；\n\r]+")
MSG_LENGTHS_TEXT = _("账号长度请填写整数，用逗号分隔，如 16,19")
MSG_COLUMN_LINE = _("第 %(n)s 行：请按“字段,列标题”填写，如 account,账号")


def split_list(text: str) -> list[str]:
    """'农行， 农业银行、ABC' -> ['农行', '农业银行', 'ABC'] (commas of either width, 、 and semicolons)."""
    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


def join_list(values) -> str:
    return ", ".join(str(v) for v in values or [])


def parse_columns(text: str, vocabulary: dict) -> list[tuple[str, str]]:
    """Lines of "field,header" (or field：header, field=header, a tab); a bare field takes its usual header."""
    pairs = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"\s*[,，:：=\t]\s*", line, maxsplit=1)
        field = parts[0].strip()
        header = parts[1].strip() if len(parts) > 1 else str(vocabulary.get(field, ""))
        if not field:
            raise forms.ValidationError(MSG_COLUMN_LINE % {"n": n})
        pairs.append((field, header))
    return pairs


def columns_text(pairs) -> str:
    return "\n".join(f"{field},{header}" for field, header in pairs)


def _vocabulary_help(vocabulary: dict) -> str:
    return "；".join(f"{k}（{v}）" for k, v in vocabulary.items())


def _vocabulary(vocabulary: dict):
    """The fields and their usual headers, translated when the form is shown (not at import)."""
    return lazy(_vocabulary_help, str)(vocabulary)


class ReferenceFilterForm(forms.Form):
    q = forms.CharField(label=_("名称"), required=False, max_length=64)


class BankFilterForm(ReferenceFilterForm):
    active = forms.NullBooleanField(label=_("状态"), required=False, widget=forms.Select(choices=[("", _("全部")), ("true", _("启用")),
                                                                                                 ("false", _("停用"))]))


class BankForm(forms.Form):
    name = forms.CharField(label=_("银行名称"), max_length=100)
    aliases = forms.CharField(label=_("别名"), required=False, max_length=2000,
                              help_text=_("名册中出现的其他写法，用逗号分隔，如 农行, 农业银行"))
    lengths = forms.CharField(label=_("账号长度"), required=False, max_length=200,
                              help_text=_("允许的账号位数，用逗号分隔，如 16, 19；留空为 8 至 32 位均可"))
    luhn_prefixes = forms.CharField(label=_("校验 Luhn 的卡号前缀"), required=False, max_length=200,
                                    help_text=_("以这些数字开头的卡号须通过 Luhn 校验，如 62（银联借记卡）；存折账号不校验"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def clean_aliases(self):
        return split_list(self.cleaned_data["aliases"])

    def clean_lengths(self):
        items = split_list(re.sub(r"\s+", ",", self.cleaned_data["lengths"]))
        if not all(i.isascii() and i.isdigit() for i in items):
            raise forms.ValidationError(MSG_LENGTHS_TEXT)
        return [int(i) for i in items]

    def clean_luhn_prefixes(self):
        return split_list(re.sub(r"\s+", ",", self.cleaned_data["luhn_prefixes"]))

    @staticmethod
    def initial_from(bank) -> dict:
        return {"name": bank.name, "aliases": join_list(bank.aliases), "lengths": join_list(bank.lengths),
                "luhn_prefixes": join_list(bank.luhn_prefixes), "active": bank.active}


class LayoutForm(forms.Form):
    name = forms.CharField(label=_("格式名称"), max_length=100)
    bank = forms.TypedChoiceField(label=_("银行"), required=False, coerce=int, empty_value=None, choices=())
    scope = forms.CharField(label=_("适用区划"), required=False, max_length=12, help_text=_("区划代码；所有地区通用留空"))
    file_format = forms.ChoiceField(label=_("文件类型"), choices=BankLayout.Format.choices)
    encoding = forms.ChoiceField(label=_("编码"), choices=BankLayout.Encoding.choices, help_text=_("旧银行系统的文本文件常用 GBK"))
    columns = forms.CharField(label=_("代发文件的列（按顺序）"), max_length=4000, widget=forms.Textarea(attrs={"rows": 10}),
                              help_text=format_lazy("{}{}", _("每行一列：字段,列标题。可用字段："), _vocabulary(LAYOUT_FIELDS)))
    control_total = forms.BooleanField(label=_("写入批次控制总数（首行为批次号、笔数与总金额）"), required=False, initial=True)
    return_columns = forms.CharField(label=_("回盘文件的列"), max_length=2000, widget=forms.Textarea(attrs={"rows": 7}),
                                     help_text=format_lazy("{}{}", _("每行一列：字段,列标题。必须有 account、amount、result；可用字段："),
                                                           _vocabulary(RETURN_FIELDS)))
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, banks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", _("（不限）"))] + [(b.pk, b.name) for b in banks]

    def clean_columns(self):
        return [{"field": f, "header": h} for f, h in parse_columns(self.cleaned_data["columns"], LAYOUT_FIELDS)]

    def clean_return_columns(self):
        return dict(parse_columns(self.cleaned_data["return_columns"], RETURN_FIELDS))

    @staticmethod
    def initial_from(layout) -> dict:
        return {"name": layout.name, "bank": layout.bank_id, "scope": layout.scope, "file_format": layout.file_format,
                "encoding": layout.encoding, "control_total": layout.control_total, "note": layout.note,
                "columns": columns_text((c.get("field", ""), c.get("header", "")) for c in layout.columns or []),
                "return_columns": columns_text((layout.return_columns or {}).items())}
