"""Forms of the change-request pages: inbox filters, one create form per kind, decisions, evidence, posting, bulk import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.exceptions import NotFound, ValidationFailed
from anju.registry.models import ChangeRequest, Person, Program, RemovalCause
from anju.registry.selectors import household_members
from anju.registry.selectors_requests import (
    request_household,
    request_household_by_number,
    request_person,
    request_person_by_id_number,
)

MSG_PERSON_NOT_FOUND = _("找不到该人员，或不在您的管辖范围内")
MSG_HOUSEHOLD_NOT_FOUND = _("找不到该户，或不在您的管辖范围内")
MSG_PERSON_REQUIRED = _("请填写身份证号")
MSG_HOUSEHOLD_REQUIRED = _("请填写户编号")
MSG_MEMBER_LINE = _("第 %(n)s 行应为“姓名,身份证号,与户主关系[,银行账号]”")
MSG_IMPORT_SIZE = _("文件超过 %(limit)s MB，请分批导入")
MSG_TARGET = _("请填写迁入户的户编号，或新户的户编号和所在村代码")

BOX_CHOICES = [("awaiting", _("待我审批")), ("mine", _("我提出的")), ("all", _("辖区全部"))]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices):
    return [("", _("全部"))] + list(choices)


class RequestFilterForm(forms.Form):
    box = forms.ChoiceField(label=_("范围"), choices=BOX_CHOICES, required=False)
    state = forms.ChoiceField(label=_("状态"), choices=_blank(ChangeRequest.State.choices), required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=_blank(ChangeRequest.Kind.choices), required=False)
    program = forms.ChoiceField(label=_("项目类别"), choices=_blank(Program.choices), required=False)
    division = forms.RegexField(label=_("区划代码（前缀）"), regex=r"^\d{1,12}$", required=False,
                                error_messages={"invalid": _("区划代码只能是数字")})


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("附件"), help_text=_("PDF、JPG、PNG、Word(docx)、Excel(xlsx)，单个不超过 10 MB"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}))


class PostingForm(forms.Form):
    scope = forms.RegexField(label=_("范围（县或乡镇代码）"), regex=r"^\d{4}$|^\d{6}$|^\d{9}$", required=False,
                             error_messages={"invalid": _("应为 4、6 或 9 位区划代码")})
    program = forms.ChoiceField(label=_("项目类别"), choices=_blank(Program.choices), required=False)


class RequestImportForm(forms.Form):
    program = forms.ChoiceField(label=_("项目类别"), choices=Program.choices)
    file = forms.FileField(label=_("核减名单"), help_text=_("CSV 或 Excel(xlsx)，列：身份证号、姓名、核减原因、事件日期、说明"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}))
    submit = forms.BooleanField(label=_("导入后直接提交审批"), required=False, initial=True)

    def clean_file(self):
        from anju.registry.services.requests_import import MAX_IMPORT_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(MSG_IMPORT_SIZE % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)})
        return upload


# --- create forms ---------------------------------------------------------------------------------------

class _Base(forms.Form):
    kind: str = ""
    program = forms.ChoiceField(label=_("项目类别"), choices=Program.choices)
    reason = forms.CharField(label=_("理由"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    submit = forms.BooleanField(label=_("保存后直接提交审批"), required=False, initial=True)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        # reason and submit last
        for name in ("reason", "submit"):
            self.fields[name] = self.fields.pop(name)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"kind": self.kind, "program": d["program"], "reason": d.get("reason") or "", "submit": bool(d.get("submit"))}


class _PersonMixin(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=32, required=False, help_text=_("要办理的人员"))

    def get_person(self) -> Person:
        d = self.cleaned_data
        try:
            if d.get("person"):
                return request_person(self.actor, d["person"])
            if not d.get("id_number"):
                raise ValidationFailed(MSG_PERSON_REQUIRED, detail={"field": "id_number"})
            return request_person_by_id_number(self.actor, d["id_number"])
        except NotFound:
            raise ValidationFailed(MSG_PERSON_NOT_FOUND, code="not_found", detail={"field": "id_number"}) from None


class _HouseholdMixin(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)
    household_number = forms.CharField(label=_("户编号"), max_length=32, required=False)

    def get_household(self):
        d = self.cleaned_data
        try:
            if d.get("household"):
                return request_household(self.actor, d["household"])
            if not d.get("household_number"):
                raise ValidationFailed(MSG_HOUSEHOLD_REQUIRED, detail={"field": "household_number"})
            return request_household_by_number(self.actor, d["household_number"])
        except NotFound:
            raise ValidationFailed(MSG_HOUSEHOLD_NOT_FOUND, code="not_found", detail={"field": "household_number"}) from None


def _compact(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items() if v not in (None, "")}


class RemoveForm(_PersonMixin, _Base):
    kind = ChangeRequest.Kind.REMOVE
    cause = forms.ChoiceField(label=_("核减原因"), choices=RemovalCause.choices)
    event_date = forms.DateField(label=_("事件日期"), widget=DATE, help_text=_("死亡、判决、录用、入伍或迁出的日期；生效日期按政策自动确定"))

    def service_kwargs(self):
        d = self.cleaned_data
        return {**super().service_kwargs(), "person": self.get_person(), "cause": d["cause"], "payload": {"event_date": d["event_date"].isoformat()}}


class RestoreForm(_PersonMixin, _Base):
    kind = ChangeRequest.Kind.RESTORE
    event_date = forms.DateField(label=_("事件日期"), widget=DATE, required=False, help_text=_("如刑满释放日期"))
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False, help_text=_("留空则审批通过之日生效"))

    def service_kwargs(self):
        d = self.cleaned_data
        return {**super().service_kwargs(), "person": self.get_person(), "effective_on": d.get("effective_on"),
                "payload": _compact({"event_date": d.get("event_date")})}


class CorrectForm(_PersonMixin, _Base):
    kind = ChangeRequest.Kind.CORRECT
    new_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    new_id_number = forms.CharField(label=_("身份证号（更正为）"), max_length=32, required=False)
    new_gender = forms.ChoiceField(label=_("性别"), choices=[("", "—")] + list(Person.Gender.choices), required=False)
    new_birth_date = forms.DateField(label=_("出生日期"), widget=DATE, required=False)
    new_ethnicity = forms.CharField(label=_("民族"), max_length=16, required=False)
    new_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    new_relation = forms.CharField(label=_("与户主关系"), max_length=16, required=False)
    new_address = forms.CharField(label=_("住址"), max_length=200, required=False)
    new_support_mode = forms.ChoiceField(label=_("扶持方式"), choices=[("", "—"), ("直补", _("直补")), ("项目扶持", _("项目扶持"))], required=False)
    new_bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    new_bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False, help_text=_("只填写要更正的项；生效日期留空则审批通过之日生效"))

    def service_kwargs(self):
        d = self.cleaned_data
        changes = {name[4:]: value for name, value in d.items() if name.startswith("new_") and value not in (None, "")}
        return {**super().service_kwargs(), "person": self.get_person(), "effective_on": d.get("effective_on"),
                "payload": {"changes": _compact(changes)}}


class AddPersonForm(_HouseholdMixin, _Base):
    kind = ChangeRequest.Kind.ADD_PERSON
    name = forms.CharField(label=_("姓名"), max_length=64)
    new_id_number = forms.CharField(label=_("身份证号"), max_length=32)
    relation = forms.CharField(label=_("与户主关系"), max_length=16)
    gender = forms.ChoiceField(label=_("性别"), choices=[("", "—")] + list(Person.Gender.choices), required=False)
    birth_date = forms.DateField(label=_("出生日期"), widget=DATE, required=False)
    ethnicity = forms.CharField(label=_("民族"), max_length=16, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    support_mode = forms.ChoiceField(label=_("扶持方式"), choices=[("", _("同户主")), ("直补", _("直补")), ("项目扶持", _("项目扶持"))], required=False)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False, help_text=_("留空则公示期满次日生效"))

    def service_kwargs(self):
        d = self.cleaned_data
        member = _compact({"name": d["name"], "id_number": d["new_id_number"], "relation": d["relation"], "gender": d.get("gender"),
                           "birth_date": d.get("birth_date"), "ethnicity": d.get("ethnicity"), "phone": d.get("phone"),
                           "support_mode": d.get("support_mode"), "bank_name": d.get("bank_name"), "bank_account": d.get("bank_account")})
        return {**super().service_kwargs(), "household": self.get_household(), "effective_on": d.get("effective_on"),
                "payload": {"member": member}}


class AddHouseholdForm(_Base):
    kind = ChangeRequest.Kind.ADD_HOUSEHOLD
    number = forms.CharField(label=_("户编号"), max_length=32)
    village = forms.RegexField(label=_("所在村代码"), regex=r"^\d{12}$", error_messages={"invalid": _("应为 12 位村级区划代码")})
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    members = forms.CharField(label=_("成员"), widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("每行一人：姓名,身份证号,与户主关系[,银行账号]；第一行为户主"))
    reservoir = forms.CharField(label=_("水库编码"), max_length=32, required=False)
    move_date = forms.DateField(label=_("搬迁时间"), widget=DATE, required=False)
    origin = forms.CharField(label=_("迁出地"), max_length=200, required=False)
    support_mode = forms.ChoiceField(label=_("扶持方式"), choices=[("", "—"), ("直补", _("直补")), ("项目扶持", _("项目扶持"))], required=False)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False)

    def clean_members(self):
        rows = []
        for n, line in enumerate(self.cleaned_data["members"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) < 2 or len(parts) > 4:
                raise forms.ValidationError(MSG_MEMBER_LINE % {"n": n})
            rows.append(_compact({"name": parts[0], "id_number": parts[1], "relation": parts[2] if len(parts) > 2 else "",
                                  "bank_account": parts[3] if len(parts) > 3 else ""}))
        return rows

    def service_kwargs(self):
        d = self.cleaned_data
        common = _compact({"reservoir": d.get("reservoir"), "move_date": d.get("move_date"), "origin": d.get("origin"),
                           "support_mode": d.get("support_mode"), "bank_name": d.get("bank_name")})
        members = [{**common, **m} for m in d["members"]]
        return {**super().service_kwargs(), "effective_on": d.get("effective_on"),
                "payload": {"number": d["number"], "village": d["village"], "address": d.get("address") or "", "members": members}}


class MoveForm(_PersonMixin, _Base):
    kind = ChangeRequest.Kind.MOVE
    to_household_number = forms.CharField(label=_("迁入户的户编号"), max_length=32, required=False)
    to_county = forms.RegexField(label=_("迁入户所在县代码"), regex=r"^\d{6}$", required=False, help_text=_("迁往外县时填写"))
    new_number = forms.CharField(label=_("或：新立户的户编号"), max_length=32, required=False)
    new_village = forms.RegexField(label=_("新立户所在村代码"), regex=r"^\d{12}$", required=False)
    new_address = forms.CharField(label=_("新立户住址"), max_length=200, required=False)
    relation = forms.CharField(label=_("在迁入户中与户主关系"), max_length=16)
    new_head_id_number = forms.CharField(label=_("原户新户主身份证号"), max_length=32, required=False, help_text=_("迁出的是户主且原户仍有成员时填写"))
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False)

    def service_kwargs(self):
        d = self.cleaned_data
        payload: dict = {"relation": d["relation"]}
        if d.get("to_household_number"):
            try:
                if d.get("to_county"):
                    target = _household_in_county(d["to_household_number"], d["to_county"])
                else:
                    target = request_household_by_number(self.actor, d["to_household_number"])
            except NotFound:
                raise ValidationFailed(MSG_HOUSEHOLD_NOT_FOUND, code="not_found", detail={"field": "to_household_number"}) from None
            payload["to_household"] = target.pk
        elif d.get("new_number") and d.get("new_village"):
            payload["new_household"] = {"number": d["new_number"], "village": d["new_village"], "address": d.get("new_address") or ""}
        else:
            raise ValidationFailed(MSG_TARGET, code="target_required", detail={"field": "to_household_number"})
        if d.get("new_head_id_number"):
            try:
                payload["new_head"] = request_person_by_id_number(self.actor, d["new_head_id_number"]).pk
            except NotFound:
                raise ValidationFailed(MSG_PERSON_NOT_FOUND, code="not_found", detail={"field": "new_head_id_number"}) from None
        return {**super().service_kwargs(), "person": self.get_person(), "effective_on": d.get("effective_on"), "payload": payload}


def _household_in_county(number: str, county: str):
    """The target of a move to another county, named by its number there: outside the clerk's own scope on purpose
    (the service keeps it within the city, and the city decides such a move)."""
    from anju.registry.models import Household

    household = Household.objects.filter(county_code=county, number=number.strip()).first()
    if household is None:
        raise NotFound()
    return household


class _MembersMixin:
    def set_member_choices(self, household):
        choices = [(m.person_id, f"{m.person.name}（{m.relation}）") for m in household_members(household)] if household else []
        for name in ("members", "head", "new_head"):
            if name in self.fields:
                field = self.fields[name]
                field.choices = ([("", "—")] if name != "members" else []) + choices


class SplitForm(_MembersMixin, _HouseholdMixin, _Base):
    kind = ChangeRequest.Kind.SPLIT
    members = forms.TypedMultipleChoiceField(label=_("分出的成员"), coerce=int, widget=forms.CheckboxSelectMultiple, choices=[])
    head = forms.TypedChoiceField(label=_("新户户主"), coerce=int, choices=[])
    number = forms.CharField(label=_("新户户编号"), max_length=32)
    village = forms.RegexField(label=_("新户所在村代码"), regex=r"^\d{12}$", required=False, help_text=_("留空则与原户相同"))
    address = forms.CharField(label=_("新户住址"), max_length=200, required=False)
    new_head = forms.TypedChoiceField(label=_("原户新户主"), coerce=int, choices=[], required=False, empty_value=None,
                                      help_text=_("原户主分出时填写"))
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False)

    def service_kwargs(self):
        d = self.cleaned_data
        payload = _compact({"members": d["members"], "head": d["head"], "number": d["number"], "village": d.get("village"),
                            "address": d.get("address"), "new_head": d.get("new_head")})
        return {**super().service_kwargs(), "household": self.get_household(), "effective_on": d.get("effective_on"), "payload": payload}


class MergeForm(_HouseholdMixin, _Base):
    kind = ChangeRequest.Kind.MERGE
    into_number = forms.CharField(label=_("并入户的户编号"), max_length=32)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE, required=False)

    def service_kwargs(self):
        d = self.cleaned_data
        household = self.get_household()
        try:
            into = request_household_by_number(self.actor, d["into_number"], household.county_code)
        except NotFound:
            raise ValidationFailed(MSG_HOUSEHOLD_NOT_FOUND, code="not_found", detail={"field": "into_number"}) from None
        return {**super().service_kwargs(), "household": household, "effective_on": d.get("effective_on"), "payload": {"into": into.pk}}


CREATE_FORMS = {f.kind: f for f in (RemoveForm, RestoreForm, CorrectForm, AddPersonForm, AddHouseholdForm, MoveForm, SplitForm, MergeForm)}
