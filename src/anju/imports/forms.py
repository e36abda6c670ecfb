from django import forms
from django.utils.translation import gettext_lazy as _

from anju.imports.spec import known_specs


def field_choices() -> list:
    """Template → its fields, as grouped choices "template:field"."""
    return [(spec.title, [(f"{spec.template}:{f.name}", f"{f.label}（{f.name}）") for f in spec.fields]) for spec in known_specs().values()]


class AliasFilterForm(forms.Form):
    template = forms.ChoiceField(label=_("模板"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("全部"))] + [(s.template, s.title) for s in known_specs().values()]


class AliasForm(forms.Form):
    target = forms.ChoiceField(label=_("对应的列"))
    alias = forms.CharField(label=_("表头文字"), max_length=60, help_text=_("表格中实际使用的列名，例如“身份证号码（18位）”；空格与全角、半角差别会被忽略"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = field_choices()

    def clean_target(self):
        template, _sep, field = self.cleaned_data["target"].partition(":")
        return template, field
