from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.access import in_scope
from anju.core.exceptions import join_list
from anju.divisions.codes import full_code
from anju.divisions.models import Level

MSG_ROOT_FORMAT = _("区划代码应为 2、4、6、9 或 12 位数字")
MSG_ROOT_SCOPE = _("该区划不在您的录入范围内")


class DivisionFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或代码"), required=False)
    level = forms.TypedChoiceField(label=_("级别"), required=False, coerce=int, empty_value=None,
                                   choices=[("", _("全部"))] + list(Level.choices))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """FileField.clean takes one file; the multiple widget hands over a list (Django docs' recipe)."""

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            super().clean(None, initial)  # raises "required"
            return []
        clean_one = super().clean
        return [clean_one(f, initial) for f in files]


class DivisionUploadForm(forms.Form):
    files = MultipleFileField(
        label=_("区划文件"), widget=MultipleFileInput(attrs={"multiple": True, "accept": ".csv"}),
        help_text=_("选择 provinces.csv、cities.csv、areas.csv、streets.csv、villages.csv 中的一个或多个（UTF-8 编码）"),
    )
    root = forms.CharField(label=_("只导入此区划及其下级"), required=False, max_length=12,
                           help_text=_("例如 4205；留空则导入您录入范围内的全部区划"))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_root(self):
        root = self.cleaned_data["root"].strip()
        if not root:
            return root
        try:
            full_code(root)
        except ValueError:
            raise forms.ValidationError(MSG_ROOT_FORMAT) from None
        if self.actor is not None and not in_scope(self.actor, full_code(root), kind="entry"):
            raise forms.ValidationError(MSG_ROOT_SCOPE)
        return root

    def clean_files(self):
        files = self.cleaned_data["files"]
        names = {"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"}
        bad = [f.name for f in files if f.name not in names]
        if bad:
            raise forms.ValidationError(_("不认识的文件名：%(names)s") % {"names": join_list(bad)})
        return files
