"""Forms of inspections, findings, rectification closing, acceptance, audit, archive uploads and the archive checklist."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.projects.models import Acceptance, Rectification, Stage, Term
from anju.projects.money import UNIT_LABELS, WAN, YUAN, AmountError, to_fen
from anju.projects.selectors import terms

DATE = forms.DateInput(attrs={"type": "date"})
MAX_FINDINGS = 30


def owner_candidates(project):
    """Active accounts that may act on the project (its village, township, county, city or province entry scope) and
    record or close rectification: the choices for a finding's owner account."""
    from django.contrib.auth import get_user_model

    from anju.accounts.roles import ROLES, Perm

    code = project.division_code
    scopes = {code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0"), code[:4].ljust(12, "0"), code[:2].ljust(12, "0")}
    roles = [c for c, r in ROLES.items() if Perm.PROJECT_INSPECT in r.perms or Perm.PROJECT_EDIT in r.perms]
    return get_user_model().objects.filter(is_active=True, role__in=roles, entry_scope__code__in=scopes).order_by("username")


class FindingForm(forms.Form):
    finding = forms.CharField(label=_("发现的问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("整改责任人"), max_length=50)
    owner_user = forms.TypedChoiceField(label=_("责任人账号"), required=False, coerce=int, empty_value=None, choices=(),
                                        help_text=_("选填：指定后由该账号接收整改提醒"))
    deadline = forms.DateField(label=_("整改期限"), widget=DATE)

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        users = owner_candidates(project) if project is not None else []
        self.fields["owner_user"].choices = [("", _("（不指定）"))] + [(u.pk, str(u)) for u in users]

    def data_row(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("finding", "owner", "owner_user", "deadline")}


class BaseFindingFormSet(forms.BaseFormSet):
    def __init__(self, *args, project=None, **kwargs):
        self.project = project
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "project": self.project}

    def rows(self) -> list[dict]:
        """The filled-in findings (blank rows are skipped)."""
        return [f.data_row() for f in self.forms if f.has_changed() and f.cleaned_data]


FindingFormSet = forms.formset_factory(FindingForm, formset=BaseFindingFormSet, extra=3, max_num=MAX_FINDINGS, validate_max=True)


def finding_formset(data=None, *, project):
    return FindingFormSet(data, project=project, prefix="findings")


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("检查类型"), choices=())
    on = forms.DateField(label=_("检查日期"), widget=DATE)
    inspectors = forms.CharField(label=_("检查人员"), max_length=200, help_text=_("检查组成员，用顿号分隔"))
    summary = forms.CharField(label=_("检查情况"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = terms(Term.Kind.INSPECTION_KIND)


class CloseForm(forms.Form):
    closing_note = forms.CharField(label=_("整改情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    closed_on = forms.DateField(label=_("整改完成日期"), widget=DATE)
    file = forms.FileField(label=_("整改佐证材料"), help_text=_("PDF、JPG、PNG、Word、Excel，不超过 20 MB；存入项目档案"))
    title = forms.CharField(label=_("材料标题"), required=False, max_length=200)


class AcceptanceForm(forms.Form):
    on = forms.DateField(label=_("验收日期"), widget=DATE)
    conclusion = forms.ChoiceField(label=_("验收结论"), choices=Acceptance.Conclusion.choices)
    participants = forms.CharField(label=_("参加单位及人员"), required=False, max_length=300)
    opinion = forms.CharField(label=_("验收意见"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    report = forms.FileField(label=_("验收报告"), required=False, help_text=_("选填：存入项目档案的“验收报告”；PDF、JPG、PNG、Word、Excel，不超过 20 MB"))


class AuditForm(forms.Form):
    on = forms.DateField(label=_("审计日期"), widget=DATE)
    auditor = forms.CharField(label=_("审计单位"), max_length=100)
    amount = forms.CharField(label=_("审定金额"), required=False, max_length=30)
    unit = forms.ChoiceField(label=_("金额单位"), choices=[(YUAN, UNIT_LABELS[YUAN]), (WAN, UNIT_LABELS[WAN])], initial=WAN)
    summary = forms.CharField(label=_("审计结论"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    report = forms.FileField(label=_("审计报告"), required=False, help_text=_("选填：存入项目档案的“审计报告”；PDF、JPG、PNG、Word、Excel，不超过 20 MB"))

    def clean(self):
        data = super().clean()
        amount = (data.get("amount") or "").strip()
        data["amount_audited"] = None
        if amount:
            try:
                data["amount_audited"] = to_fen(amount, data.get("unit") or YUAN)
            except AmountError as exc:
                self.add_error("amount", str(exc))
        return data


class UploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("材料类型"), required=False, choices=())
    title = forms.CharField(label=_("标题"), required=False, max_length=200)
    file = forms.FileField(label=_("文件"), help_text=_("PDF、JPG、PNG、Word（doc/docx）、Excel（xls/xlsx），每个不超过 20 MB"))

    def __init__(self, *args, doc_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = [("", _("（其他材料）"))] + [(t.code, f"{Stage(t.stage).label} · {t.name}") for t in doc_types]


class DeleteForm(forms.Form):
    reason = forms.CharField(label=_("删除理由"), max_length=300)


class RectificationFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *Rectification.State.choices,
                                                                       ("overdue", _("已逾期"))])
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[("", _("全部")), *Rectification.Source.choices])
    division = forms.RegexField(label=_("区划代码"), required=False, regex=r"^\d{2,12}$", max_length=12)
    q = forms.CharField(label=_("关键词"), required=False, max_length=64)


class CompletenessFilterForm(forms.Form):
    division = forms.RegexField(label=_("区划代码"), required=False, regex=r"^\d{2,12}$", max_length=12)
    year = forms.IntegerField(label=_("计划年度"), required=False, min_value=2000, max_value=2100)
    program = forms.ChoiceField(label=_("项目类型"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        from anju.projects.models import Program

        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("全部")), *Program.choices]


class DocumentTypeForm(forms.Form):
    code = forms.RegexField(label=_("编码"), regex=r"^[a-z][a-z0-9_]{0,31}$", max_length=32,
                            help_text=_("小写字母、数字和下划线，以字母开头；保存后不能修改"))
    name = forms.CharField(label=_("材料名称"), max_length=60)
    stage = forms.ChoiceField(label=_("所属阶段"), choices=Stage.choices)
    required = forms.BooleanField(label=_("归档必备"), required=False, initial=True)
    sort = forms.IntegerField(label=_("排序"), required=False, min_value=0, max_value=32767, help_text=_("同一阶段内按此数字由小到大排列"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["active"]

    @staticmethod
    def initial_from(t) -> dict:
        return {"name": t.name, "stage": t.stage, "required": t.required, "sort": t.sort, "active": t.active}
