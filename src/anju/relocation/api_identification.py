"""Relocation API: identification — vocabularies, eligibility rules, designated areas, surveys with their confirmation
workflow (and the add-household change request for a household not in the registry), the candidate list and the
coverage check."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, ErrorOut, Pagination
from anju.core.exceptions import ValidationFailed
from anju.projects.money import YUAN, AmountError, to_fen, yuan_text
from anju.relocation import selectors_identification as sel
from anju.relocation.services import identification as svc
from anju.relocation.services import identification_rules as rules_svc

router = Router(tags=["relocation-identification"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

AMOUNT = r"^\d{1,13}(\.\d{1,2})?$"
DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)]
Short = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]
TermKind = Literal["living_condition", "facility", "organisation", "risk", "assistance", "service", "industry"]
RuleField = Literal["poverty_registered", "conditions", "per_capita_income_fen", "housing_unsafe", "in_designated_area", "members"]
RuleOperator = Literal["is_true", "is_false", "any_of", "all_of", "lt", "le", "gt", "ge", "eq"]
SurveyState = Literal["draft", "submitted", "township_confirmed", "confirmed", "rejected"]
RuleValue = list[Code] | Annotated[int, Field(ge=0, le=10**12)] | None


# --- schemas ----------------------------------------------------------------------------------------------------

class IdentificationTermOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    sort: int
    active: bool


class IdentificationTermIn(Schema):
    kind: TermKind
    code: Code
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)]
    sort: int | None = Field(None, ge=0, le=32767)
    active: bool = True


class IdentificationTermPatch(Schema):
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)] | None = None
    sort: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None


class IdentificationTermMoveIn(Schema):
    direction: Literal["up", "down"]


class IdentificationTermFilter(Schema):
    kind: TermKind = Field("living_condition", description="字典类别")


class EligibilityRuleOut(Schema):
    id: int
    code: str
    name: str
    field: str
    operator: str
    value: RuleValue = Field(None, description="生存条件编码列表（any_of/all_of）、整数（比较；收入以分计）或空（is_true/is_false）")
    active: bool
    sort: int
    note: str


class EligibilityRuleIn(Schema):
    code: Code
    name: Name
    field: RuleField
    operator: RuleOperator
    value: RuleValue = None
    active: bool = True
    sort: int | None = Field(None, ge=0, le=32767)
    note: Short = ""


class EligibilityRulePatch(Schema):
    name: Name | None = None
    field: RuleField | None = None
    operator: RuleOperator | None = None
    value: RuleValue = Field(None, description="给出即替换（null 为清空）；不给保持不变")
    active: bool | None = None
    sort: int | None = Field(None, ge=0, le=32767)
    note: Short | None = None


class DesignatedAreaOut(Schema):
    id: int
    division_code: str
    name: str = ""
    conditions: list[str]
    designated_on: dt.date
    document: str
    note: str

    @staticmethod
    def resolve_name(obj):
        return getattr(obj, "village_name", "") if obj.division_code[9:] != "000" else getattr(obj, "township_name", "")


class DesignatedAreaIn(Schema):
    division: Annotated[str, StringConstraints(pattern=r"^\d{9}(\d{3})?$")] = Field(..., description="乡镇（9 位）或村（12 位）区划代码")
    conditions: list[Code] = Field(..., min_length=1, max_length=50)
    designated_on: dt.date
    document: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=100)] = ""
    note: Short = ""


class DesignatedAreaFilter(Schema):
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀")


class DesignatedAreaPatch(Schema):
    conditions: list[Code] | None = Field(None, min_length=1, max_length=50)
    designated_on: dt.date | None = None
    document: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=100)] | None = None
    note: Short | None = None


class SurveyJudgementOut(Schema):
    rule: str
    name: str
    passed: bool


class SurveyOut(Schema):
    id: int
    division_code: str
    household_id: int | None
    household_number: str | None = None
    head_name: str
    head_id_masked: str = Field(..., description="户主身份证号（脱敏）；完整号码见 reveal")
    members: int
    address: str
    conditions: list[str]
    poverty_registered: bool
    housing_unsafe: bool
    per_capita_income_yuan: str | None = Field(None, description="上年人均纯收入（元）")
    in_designated_area: bool
    surveyed_on: dt.date
    surveyor: str
    eligible: bool
    eligibility: list[SurveyJudgementOut]
    state: SurveyState
    township_by: str | None = None
    township_on: dt.date | None
    county_by: str | None = None
    county_on: dt.date | None
    decision_note: str
    created_by: str | None = None
    requests: list[int] = Field([], description="该户主的新增户变更申请编号（未关联名册户时）")

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household_id else None

    @staticmethod
    def resolve_per_capita_income_yuan(obj):
        return None if obj.per_capita_income_fen is None else yuan_text(obj.per_capita_income_fen).replace(",", "")

    @staticmethod
    def resolve_township_by(obj):
        return obj.township_by.username if obj.township_by_id else None

    @staticmethod
    def resolve_county_by(obj):
        return obj.county_by.username if obj.county_by_id else None

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_requests(obj):
        if obj.household_id or obj.state != "confirmed":
            return []
        return [cr.pk for cr in svc.survey_requests(obj)]


class SurveyIn(Schema):
    village: Annotated[str, StringConstraints(pattern=r"^(\d{12})?$")] = Field("", description="12 位村代码；给出名册户编号时可空")
    household_number: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=32)] = Field("", description="名册户编号（选填）")
    head_name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=64)]
    head_id: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=24)] = Field(..., description="户主身份证号")
    members: int = Field(1, ge=1, le=50)
    address: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=200)] = ""
    conditions: list[Code] = Field([], max_length=50)
    poverty_registered: bool = False
    housing_unsafe: bool = False
    per_capita_income_yuan: str | None = Field(None, pattern=AMOUNT, description="上年人均纯收入（元）")
    surveyed_on: dt.date
    surveyor: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)] = ""


class SurveyPatch(Schema):
    village: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    household_number: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=32)] | None = Field(None, description="空串取消关联")
    head_name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=64)] | None = None
    head_id: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=24)] | None = None
    members: int | None = Field(None, ge=1, le=50)
    address: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=200)] | None = None
    conditions: list[Code] | None = Field(None, max_length=50)
    poverty_registered: bool | None = None
    housing_unsafe: bool | None = None
    per_capita_income_yuan: str | None = Field(None, pattern=r"^(\d{1,13}(\.\d{1,2})?)?$", description="空串清空")
    surveyed_on: dt.date | None = None
    surveyor: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)] | None = None


class SurveyFilter(Schema):
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀")
    state: SurveyState | None = None
    eligible: bool | None = None
    q: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=64)] | None = Field(None, description="户主、住址或户编号")


class SurveyCandidateFilter(Schema):
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀（如乡镇 9 位）")
    state: Literal["draft", "submitted", "township_confirmed"] | None = None


class SurveyDecisionIn(Schema):
    on: dt.date | None = Field(None, description="确认日期（默认今天）")
    note: Short = ""


class SurveyRejectIn(Schema):
    reason: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]


class SurveyHouseholdRequestIn(Schema):
    number: Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=32)] = Field(..., description="新户编号")
    reason: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=500)] = ""


class SurveyHouseholdRequestOut(Schema):
    survey_id: int
    request_id: int
    state: str


class SurveyRevealOut(Schema):
    head_id: str


class CoverageRowOut(Schema):
    kind: Literal["missing", "not_moved", "overdue"]
    division_code: str
    village_name: str
    township_name: str
    household_id: int | None
    household_number: str
    survey_id: int | None
    head_name: str
    head_id_masked: str
    reason: str
    state: str
    surveyed_on: dt.date | None
    days: int | None


class CoverageOut(Schema):
    as_of: dt.date
    missing: list[CoverageRowOut]
    not_moved: list[CoverageRowOut]
    overdue: list[CoverageRowOut]


class CoverageFilter(Schema):
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀")
    days: int = Field(sel.OVERDUE_DAYS, ge=1, le=3650, description="调查后超过多少天未确认算逾期")


# --- helpers ----------------------------------------------------------------------------------------------------

def _fen(value: str | None, field: str = "per_capita_income_yuan") -> int | None:
    if value in (None, ""):
        return None
    try:
        return to_fen(value, YUAN)
    except AmountError as exc:
        raise ValidationFailed(str(exc), code="amount", detail={"field": field}) from None


def _survey(actor, survey_id: int):
    return sel.access_survey(actor, survey_id)


# --- vocabularies -----------------------------------------------------------------------------------------------

@router.get("/terms", response={200: list[IdentificationTermOut], **ERRORS}, summary="搬迁字典（生存条件、设施类型、风险类型等）")
def terms_list(request, filters: Query[IdentificationTermFilter]):
    return list(sel.term_list(actor=request.auth, kind=filters.kind))


@router.post("/terms", response={201: IdentificationTermOut, **WRITE_ERRORS}, summary="添加字典条目")
def term_create(request, payload: IdentificationTermIn):
    return Status(201, rules_svc.term_create(actor=request.auth, **payload.dict()))


@router.patch("/terms/{term_id}", response={200: IdentificationTermOut, **WRITE_ERRORS}, summary="修改字典条目（改名、排序、停用/启用）")
def term_update(request, term_id: int, payload: IdentificationTermPatch):
    require_perm(request.auth, Perm.RELOCATION_MANAGE)
    term = sel.access_term(request.auth, term_id)
    return rules_svc.term_update(actor=request.auth, term=term, **payload.dict(exclude_unset=True, exclude_none=True))


@router.post("/terms/{term_id}/move", response={200: IdentificationTermOut, **WRITE_ERRORS}, summary="字典条目上移或下移一位")
def term_move(request, term_id: int, payload: IdentificationTermMoveIn):
    require_perm(request.auth, Perm.RELOCATION_MANAGE)
    return rules_svc.term_move(actor=request.auth, term=sel.access_term(request.auth, term_id), direction=payload.direction)


# --- rules ------------------------------------------------------------------------------------------------------

@router.get("/rules", response={200: list[EligibilityRuleOut], **ERRORS}, summary="搬迁对象识别规则")
def rules_list(request):
    return list(sel.rule_list(actor=request.auth))


@router.post("/rules", response={201: EligibilityRuleOut, **WRITE_ERRORS}, summary="添加识别规则（未确认的调查随即重新判定）")
def rule_create(request, payload: EligibilityRuleIn):
    return Status(201, rules_svc.rule_create(actor=request.auth, **payload.dict()))


@router.patch("/rules/{rule_id}", response={200: EligibilityRuleOut, **WRITE_ERRORS}, summary="修改、停用或启用识别规则（未确认的调查随即重新判定）")
def rule_update(request, rule_id: int, payload: EligibilityRulePatch):
    require_perm(request.auth, Perm.RELOCATION_MANAGE)
    rule = sel.access_rule(request.auth, rule_id)
    data = payload.dict(exclude_unset=True)
    value = data.pop("value", ...)
    data = {k: v for k, v in data.items() if v is not None}
    return rules_svc.rule_update(actor=request.auth, rule=rule, value=value, **data)


# --- designated areas -------------------------------------------------------------------------------------------

@router.get("/areas", response={200: list[DesignatedAreaOut], **ERRORS}, summary="搬迁迁出区")
def areas_list(request, filters: Query[DesignatedAreaFilter]):
    return sel.with_places(sel.area_list(actor=request.auth, division=filters.division))


@router.post("/areas", response={201: DesignatedAreaOut, **WRITE_ERRORS}, summary="划定迁出区（区内未确认的调查随即标记并重新判定）")
def area_create(request, payload: DesignatedAreaIn):
    area = svc.area_create(actor=request.auth, **payload.dict())
    return Status(201, sel.with_places([area])[0])


@router.patch("/areas/{area_id}", response={200: DesignatedAreaOut, **WRITE_ERRORS}, summary="修改迁出区的生存条件、日期与依据")
def area_update(request, area_id: int, payload: DesignatedAreaPatch):
    require_perm(request.auth, Perm.RELOCATION_MANAGE)
    area = sel.access_area(request.auth, area_id, kind="entry")
    return sel.with_places([svc.area_update(actor=request.auth, area=area, **payload.dict(exclude_unset=True, exclude_none=True))])[0]


@router.delete("/areas/{area_id}", response={204: None, **WRITE_ERRORS}, summary="撤销迁出区")
def area_delete(request, area_id: int):
    require_perm(request.auth, Perm.RELOCATION_MANAGE)
    svc.area_delete(actor=request.auth, area=sel.access_area(request.auth, area_id, kind="entry"))
    return Status(204, None)


# --- surveys ----------------------------------------------------------------------------------------------------

@router.get("/surveys", response={200: list[SurveyOut], **ERRORS}, summary="识别调查（本辖区）")
@paginate(Pagination)
def surveys_list(request, filters: Query[SurveyFilter]):
    return sel.survey_list(actor=request.auth, division=filters.division, state=filters.state or "", eligible=filters.eligible,
                           q=filters.q or "").select_related("created_by", "township_by", "county_by")


@router.post("/surveys", response={201: SurveyOut, **WRITE_ERRORS}, summary="登记识别调查（草稿；自动标记迁出区并判定）")
def survey_create(request, payload: SurveyIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    data = payload.dict()
    data["per_capita_income_fen"] = _fen(data.pop("per_capita_income_yuan"))
    survey = svc.survey_create(actor=request.auth, **data)
    return Status(201, _survey(request.auth, survey.pk))


@router.get("/surveys/{survey_id}", response={200: SurveyOut, **ERRORS}, summary="一份识别调查")
def survey_get(request, survey_id: int):
    return _survey(request.auth, survey_id)


@router.patch("/surveys/{survey_id}", response={200: SurveyOut, **WRITE_ERRORS}, summary="修改调查（仅调查中）")
def survey_update(request, survey_id: int, payload: SurveyPatch):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    data = payload.dict(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k == "per_capita_income_yuan"}
    if "per_capita_income_yuan" in data:
        data["per_capita_income_fen"] = _fen(data.pop("per_capita_income_yuan"))
    svc.survey_update(actor=request.auth, survey=survey, **data)
    return _survey(request.auth, survey.pk)


@router.post("/surveys/{survey_id}/reveal", response={200: SurveyRevealOut, **ERRORS}, summary="查看户主完整身份证号（留痕）")
def survey_reveal(request, survey_id: int):
    require_perm(request.auth, Perm.REGISTRY_VIEW_PII)
    return {"head_id": sel.survey_reveal(actor=request.auth, survey=_survey(request.auth, survey_id))}


@router.post("/surveys/{survey_id}/submit", response={200: SurveyOut, **WRITE_ERRORS}, summary="提交乡镇确认（录入人）")
def survey_submit(request, survey_id: int):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    svc.survey_submit(actor=request.auth, survey=survey)
    return _survey(request.auth, survey.pk)


@router.post("/surveys/{survey_id}/township-confirm", response={200: SurveyOut, **WRITE_ERRORS}, summary="乡镇确认（不能确认自己提交的）")
def survey_township_confirm(request, survey_id: int, payload: SurveyDecisionIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    svc.survey_township_confirm(actor=request.auth, survey=survey, on=payload.on, note=payload.note)
    return _survey(request.auth, survey.pk)


@router.post("/surveys/{survey_id}/confirm", response={200: SurveyOut, **WRITE_ERRORS},
             summary="县级确认（名册户随即建立搬迁记录，环节为确认搬迁）")
def survey_confirm(request, survey_id: int, payload: SurveyDecisionIn):
    require_perm(request.auth, Perm.RELOCATION_CONFIRM)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    svc.survey_confirm(actor=request.auth, survey=survey, on=payload.on, note=payload.note)
    return _survey(request.auth, survey.pk)


@router.post("/surveys/{survey_id}/reject", response={200: SurveyOut, **WRITE_ERRORS}, summary="不予认定（乡镇或县级，须填写理由）")
def survey_reject(request, survey_id: int, payload: SurveyRejectIn):
    if not (request.auth.can(Perm.RELOCATION_EDIT) or request.auth.can(Perm.RELOCATION_CONFIRM)):
        require_perm(request.auth, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    svc.survey_reject(actor=request.auth, survey=survey, reason=payload.reason)
    return _survey(request.auth, survey.pk)


@router.post("/surveys/{survey_id}/request-household", response={201: SurveyHouseholdRequestOut, **WRITE_ERRORS},
             summary="为未入名册的已确认调查户提出新增户变更申请（人口名册的变更申请流程）")
def survey_request_household(request, survey_id: int, payload: SurveyHouseholdRequestIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    require_perm(request.auth, Perm.REQUEST_SUBMIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    cr = svc.survey_request_household(actor=request.auth, survey=survey, number=payload.number, reason=payload.reason)
    return Status(201, {"survey_id": survey.pk, "request_id": cr.pk, "state": cr.state})


@router.post("/surveys/{survey_id}/link-household", response={200: SurveyOut, **WRITE_ERRORS},
             summary="新增户申请生效后关联名册户并建立搬迁记录")
def survey_link_household(request, survey_id: int):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    survey = sel.access_survey(request.auth, survey_id, kind="entry")
    svc.survey_link_household(actor=request.auth, survey=survey)
    return _survey(request.auth, survey.pk)


# --- lists ------------------------------------------------------------------------------------------------------

@router.get("/candidates", response={200: list[SurveyOut], **ERRORS}, summary="搬迁对象候选名单（符合条件、尚未县级确认）")
@paginate(Pagination)
def candidates_list(request, filters: Query[SurveyCandidateFilter]):
    return sel.candidate_list(actor=request.auth, division=filters.division, state=filters.state or "").select_related(
        "created_by", "township_by", "county_by")


@router.get("/coverage", response={200: CoverageOut, **ERRORS}, summary="应搬尽搬核查：迁出区未识别户、已确认未入住、逾期未确认")
def coverage(request, filters: Query[CoverageFilter]):
    c = sel.coverage_check(actor=request.auth, division=filters.division, days=filters.days)
    return {"as_of": c.as_of, "missing": c.missing, "not_moved": c.not_moved, "overdue": c.overdue}
