"""Relocation API: 防返贫 monitoring — cases (identify, approve, reject), assistance measures, risk elimination (criteria,
propose, approve, send back), the warning list (open a case from a signal, attach, dismiss) and the scan."""


from datetime import date, datetime
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.exceptions import NotFound, ValidationFailed
from anju.projects.money import YUAN, AmountError, to_fen, yuan_text
from anju.relocation import selectors_monitoring as sel
from anju.relocation.models import MonitoringCase, RiskSignal
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import monitoring as svc
from anju.relocation.services import signals as signal_svc

router = Router(tags=["relocation"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
AMOUNT = r"^\d{1,13}(\.\d{1,2})?$"
DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Short = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]
Required = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
CategoryCode = Literal["unstable", "marginal", "sudden"]
ChannelCode = Literal["application", "visit", "department"]
StateCode = Literal["proposed", "monitoring", "elimination_proposed", "eliminated", "rejected"]
ColourCode = Literal["red", "yellow", "green"]
EffectCode = Literal["pending", "effective", "partial", "ineffective"]
SignalStateCode = Literal["open", "case", "dismissed"]
SignalKindCode = Literal["income", "medical", "disability", "disaster", "employment", "welfare", "other"]
CriterionCode = Literal["income", "months", "measures", "food_clothing", "education", "medical", "housing", "signals"]
MSG_HOUSEHOLD_UNKNOWN = gettext_lazy("没有这一搬迁户，或该户不在您的范围内")


def _fen(value: str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return to_fen(value, YUAN)
    except AmountError as exc:
        raise ValidationFailed(exc.message, code="amount", detail={"field": field}) from None


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else yuan_text(fen)


# --- schemas ----------------------------------------------------------------------------------------------------

def _from_detail(key: str) -> staticmethod:
    """A schema resolver: part `key` of the case's `detail` (set by _detail)."""
    def resolve(obj):
        return obj.detail[key]
    return staticmethod(resolve)


class MonitoringMeasureOut(Schema):
    id: int
    case_id: int
    kind: str
    kind_name: str = ""
    content: str
    responsible: str
    started_on: date
    ended_on: date | None
    amount_yuan: str = Field(..., description="帮扶资金（元）")
    effect: EffectCode
    effect_note: str

    @staticmethod
    def resolve_amount_yuan(obj):
        return yuan_text(obj.amount_fen)

    @staticmethod
    def resolve_kind_name(obj):
        return getattr(obj, "kind_name", "") or obj.kind


class MonitoringSignalOut(Schema):
    id: int
    household_id: int
    household_number: str
    person_id: int | None
    division_code: str
    kind: SignalKindCode
    source: str
    found_on: date
    detail: dict
    detail_text: str = ""
    state: SignalStateCode
    case_id: int | None
    open_case_id: int | None = Field(None, description="该户在监测中的记录（可并入）")
    handled_by: str | None = None
    handled_on: date | None
    note: str

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_handled_by(obj):
        return obj.handled_by.username if obj.handled_by_id else None

    @staticmethod
    def resolve_detail_text(obj):
        return getattr(obj, "detail_text", "") or sel.signal_detail_text(obj)

    @staticmethod
    def resolve_open_case_id(obj):
        return getattr(obj, "open_case_id", None)


class MonitoringCaseOut(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str = ""
    division_code: str
    category: CategoryCode
    channel: ChannelCode
    risks: list[str]
    per_capita_income_yuan: str | None = Field(None, description="识别时人均纯收入（元）")
    identified_on: date
    included_on: date | None
    state: StateCode
    colour: ColourCode
    description: str
    proposed_by: str | None = None
    approved_by: str | None = None
    elimination_proposed_on: date | None
    elimination_proposed_by: str | None = None
    eliminated_on: date | None
    eliminated_by: str | None = None
    decision_note: str
    elimination_criteria: dict = Field(..., description="申请风险消除时各项条件：编码 → {met, auto, note}")
    created_at: datetime

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_head_name(obj):
        return obj.household.head.name if obj.household.head_id else ""

    @staticmethod
    def resolve_per_capita_income_yuan(obj):
        return _yuan(obj.per_capita_income_fen)

    @staticmethod
    def resolve_proposed_by(obj):
        return obj.proposed_by.username if obj.proposed_by_id else None

    @staticmethod
    def resolve_approved_by(obj):
        return obj.approved_by.username if obj.approved_by_id else None

    @staticmethod
    def resolve_elimination_proposed_by(obj):
        return obj.elimination_proposed_by.username if obj.elimination_proposed_by_id else None

    @staticmethod
    def resolve_eliminated_by(obj):
        return obj.eliminated_by.username if obj.eliminated_by_id else None


class MonitoringCriterionOut(Schema):
    code: CriterionCode
    name: str
    auto: bool = Field(..., description="由系统按记录核验；否则须申请人入户核实确认")
    met: bool | None
    detail: str


class MonitoringTimelineOut(Schema):
    at: datetime
    by: str
    action: str
    label: str
    note: str


class MonitoringActionsOut(Schema):
    approve: bool
    reject: bool
    measure: bool
    propose_elimination: bool
    approve_elimination: bool
    send_back: bool


class MonitoringCaseDetailOut(MonitoringCaseOut):
    measures: list[MonitoringMeasureOut]
    signals: list[MonitoringSignalOut]
    criteria: list[MonitoringCriterionOut] = Field(..., description="风险消除条件的当前核验结果（监测帮扶中）")
    timeline: list[MonitoringTimelineOut]
    actions: MonitoringActionsOut

    resolve_measures = _from_detail("measures")
    resolve_signals = _from_detail("signals")
    resolve_criteria = _from_detail("criteria")
    resolve_timeline = _from_detail("timeline")
    resolve_actions = _from_detail("actions")


class MonitoringCaseIn(Schema):
    household_id: Id
    category: CategoryCode
    channel: ChannelCode
    risks: list[Code] = Field(..., min_length=1, max_length=20, description="风险类型编码（字典 risk），至少一项")
    per_capita_income_yuan: Annotated[str, StringConstraints(pattern=AMOUNT)] | None = Field(None, description="人均纯收入（元/年）")
    identified_on: date
    description: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=5000)] = ""


class MonitoringSignalCaseIn(Schema):
    category: CategoryCode
    channel: ChannelCode = "department"
    risks: list[Code] = Field(..., min_length=1, max_length=20)
    per_capita_income_yuan: Annotated[str, StringConstraints(pattern=AMOUNT)] | None = None
    identified_on: date | None = Field(None, description="默认为预警发现日期")
    description: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=5000)] = ""


class MonitoringApproveIn(Schema):
    included_on: date | None = Field(None, description="纳入监测日期，默认今天")
    note: Short = ""


class MonitoringReasonIn(Schema):
    reason: Required


class MonitoringMeasureIn(Schema):
    kind: Code = Field(..., description="措施类型编码（字典 assistance）")
    content: Required
    responsible: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)] = ""
    started_on: date
    ended_on: date | None = None
    amount_yuan: Annotated[str, StringConstraints(pattern=AMOUNT)] = "0"
    effect: EffectCode = "pending"
    effect_note: Short = ""


class MonitoringMeasurePatch(Schema):
    kind: Code | None = None
    content: Required | None = None
    responsible: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)] | None = None
    started_on: date | None = None
    ended_on: date | None = None
    amount_yuan: Annotated[str, StringConstraints(pattern=AMOUNT)] | None = None
    effect: EffectCode | None = None
    effect_note: Short | None = None


class MonitoringEliminationIn(Schema):
    confirmed: list[Literal["income", "food_clothing", "education", "medical", "housing"]] = Field(
        [], description="申请人入户核实确认的条件：food_clothing 不愁吃穿、education 义务教育、medical 基本医疗、housing 住房安全；"
                        "income 收入（仅在没有收入调查记录时）")
    notes: dict[CriterionCode, Short] = Field({}, description="各项条件的核实情况")
    proposed_on: date | None = None


class MonitoringEliminationApproveIn(Schema):
    eliminated_on: date | None = Field(None, description="风险消除日期，默认今天")
    note: Short = ""


class MonitoringNoteIn(Schema):
    note: Short = ""


class MonitoringDismissIn(Schema):
    note: Required


class MonitoringScanIn(Schema):
    as_of: date | None = Field(None, description="排查日期，默认今天（收入按上一年度）")
    scope: Annotated[str, StringConstraints(pattern=DIVISION)] | None = Field(None, description="区划代码前缀，默认本人录入范围")


class MonitoringScanOut(Schema):
    raised: int
    income: int
    disability: int
    recoloured: int
    cases: int
    open: int
    messages: int


class MonitoringCountsOut(Schema):
    total: int
    category: dict[str, int]
    colour: dict[str, int]
    colour_rule: str


class MonitoringCaseFilter(Schema):
    category: CategoryCode | None = None
    state: StateCode | None = None
    colour: ColourCode | None = None
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀（县、乡镇、村）")
    site: Id | None = Field(None, description="安置点 id")
    q: Text | None = Field(None, max_length=64, description="户编号或户主姓名包含")


class MonitoringSignalFilter(Schema):
    state: Literal["open", "case", "dismissed", "all"] = "open"
    kind: SignalKindCode | None = None
    division: str | None = Field(None, pattern=DIVISION)


def _filters(f: MonitoringCaseFilter) -> dict:
    return {"category": f.category or "", "state": f.state or "", "colour": f.colour or "", "division": f.division or "",
            "site": f.site, "q": f.q or ""}


def _detail(actor, case: MonitoringCase) -> MonitoringCase:
    """The case with what the detail schema shows beside its fields (measures, signals, criteria, timeline, actions)."""
    signals = sel.case_signals(case)
    sel.decorate_signals(signals)
    criteria = svc.elimination_criteria(case) if case.state == MonitoringCase.State.MONITORING else []
    case.detail = {"measures": sel.case_measures(case), "signals": signals, "criteria": [c.__dict__ for c in criteria],
                   "timeline": sel.case_timeline(case), "actions": sel.case_actions(actor, case)}
    return case


def _case(actor, case_id: int) -> MonitoringCase:
    return _detail(actor, sel.access_case(actor, case_id))


# --- cases ----------------------------------------------------------------------------------------------------------

@router.get("/cases", response={200: list[MonitoringCaseOut], **ERRORS},
            summary="防返贫监测对象（可按类别、状态、风险等级、区划、安置点筛选）")
@paginate(Pagination)
def cases_list(request, filters: Query[MonitoringCaseFilter]):
    return sel.case_list(actor=request.auth, **_filters(filters))


@router.get("/cases/counts", response={200: MonitoringCountsOut, **ERRORS}, summary="监测对象数：按类别、按风险等级（三色码）")
def cases_counts(request, filters: Query[MonitoringCaseFilter]):
    f = {**_filters(filters), "category": "", "colour": ""}
    return {**sel.case_counts(sel.case_list(actor=request.auth, **f)), "colour_rule": str(svc.COLOUR_RULE_TEXT)}


@router.post("/cases", response={201: MonitoringCaseDetailOut, **WRITE_ERRORS}, summary="识别：提出纳入监测（待认定）")
def case_create(request, payload: MonitoringCaseIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    try:  # a household named in the body: unknown or out of scope is a bad field, not a missing page
        household = access_relocated_household(request.auth, payload.household_id)
    except NotFound:
        raise ValidationFailed(MSG_HOUSEHOLD_UNKNOWN, code="household_unknown", detail={"field": "household_id"}) from None
    case = svc.case_propose(actor=request.auth, household=household, category=payload.category, channel=payload.channel,
                            risks=payload.risks, per_capita_income_fen=_fen(payload.per_capita_income_yuan, "per_capita_income_yuan"),
                            identified_on=payload.identified_on, description=payload.description)
    return Status(201, _case(request.auth, case.pk))


@router.get("/cases/{case_id}", response={200: MonitoringCaseDetailOut, **ERRORS},
            summary="一个监测对象：措施、预警、风险消除条件、办理记录")
def case_get(request, case_id: int):
    return _case(request.auth, case_id)


def _case_change(request, case_id: int, perm: str, service, **data):
    """A step of a case: `perm` required, then `service(actor=, case=, **data)`; answers the case as it now stands."""
    require_perm(request.auth, perm)
    case = service(actor=request.auth, case=sel.access_case(request.auth, case_id), **data)
    return _case(request.auth, case.pk)


@router.post("/cases/{case_id}/approve", response={200: MonitoringCaseDetailOut, **WRITE_ERRORS},
             summary="认定纳入监测（提出人以外的审批人）")
def case_approve(request, case_id: int, payload: MonitoringApproveIn):
    return _case_change(request, case_id, Perm.RELOCATION_MONITOR, svc.case_approve, included_on=payload.included_on, note=payload.note)


@router.post("/cases/{case_id}/reject", response={200: MonitoringCaseDetailOut, **WRITE_ERRORS}, summary="不予纳入（须填理由）")
def case_reject(request, case_id: int, payload: MonitoringReasonIn):
    return _case_change(request, case_id, Perm.RELOCATION_MONITOR, svc.case_reject, reason=payload.reason)


# --- measures -------------------------------------------------------------------------------------------------------

@router.post("/cases/{case_id}/measures", response={201: MonitoringMeasureOut, **WRITE_ERRORS}, summary="登记帮扶措施")
def measure_create(request, case_id: int, payload: MonitoringMeasureIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    data = payload.dict()
    data["amount_fen"] = _fen(data.pop("amount_yuan"), "amount_yuan") or 0
    m = svc.measure_add(actor=request.auth, case=sel.access_case(request.auth, case_id), **data)
    return Status(201, m)


@router.patch("/measures/{measure_id}", response={200: MonitoringMeasureOut, **WRITE_ERRORS}, summary="修改帮扶措施（如评定成效）")
def measure_patch(request, measure_id: int, payload: MonitoringMeasurePatch):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    changes = payload.dict(exclude_unset=True)
    if "amount_yuan" in changes:
        changes["amount_fen"] = _fen(changes.pop("amount_yuan"), "amount_yuan") or 0
    for required in ("kind", "content", "started_on", "effect"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    m = svc.measure_update(actor=request.auth, measure=sel.access_measure(request.auth, measure_id), **changes)
    return m


# --- risk elimination -------------------------------------------------------------------------------------------------

@router.get("/cases/{case_id}/elimination", response={200: list[MonitoringCriterionOut], **ERRORS}, summary="风险消除条件的当前核验结果")
def elimination_check(request, case_id: int):
    return [c.__dict__ for c in svc.elimination_criteria(sel.access_case(request.auth, case_id))]


@router.post("/cases/{case_id}/elimination", response={200: MonitoringCaseDetailOut, **WRITE_ERRORS},
             summary="申请风险消除：系统核验的条件须全部满足，其余由申请人确认")
def elimination_propose(request, case_id: int, payload: MonitoringEliminationIn):
    return _case_change(request, case_id, Perm.RELOCATION_EDIT, svc.elimination_propose, confirmed=payload.confirmed, notes=payload.notes,
                        proposed_on=payload.proposed_on)


@router.post("/cases/{case_id}/elimination/approve", response={200: MonitoringCaseDetailOut, **WRITE_ERRORS},
             summary="审批风险消除（申请人以外的审批人）")
def elimination_approve(request, case_id: int, payload: MonitoringEliminationApproveIn):
    return _case_change(request, case_id, Perm.RELOCATION_MONITOR, svc.elimination_approve, eliminated_on=payload.eliminated_on,
                        note=payload.note)


@router.post("/cases/{case_id}/elimination/send-back", response={200: MonitoringCaseDetailOut, **WRITE_ERRORS}, summary="退回风险消除申请")
def elimination_send_back(request, case_id: int, payload: MonitoringReasonIn):
    return _case_change(request, case_id, Perm.RELOCATION_MONITOR, svc.elimination_send_back, reason=payload.reason)


# --- signals ----------------------------------------------------------------------------------------------------------

def _signals_page(rows):
    sel.decorate_signals(rows)
    return rows


@router.get("/signals", response={200: list[MonitoringSignalOut], **ERRORS}, summary="风险预警（默认待核实）")
@paginate(Pagination)
def signals_list(request, filters: Query[MonitoringSignalFilter]):
    qs = sel.signal_list(actor=request.auth, state=filters.state, kind=filters.kind or "", division=filters.division or "")
    return AnnotatedPage(qs, _signals_page)


def _signal(actor, signal_id: int) -> RiskSignal:
    s = sel.access_signal(actor, signal_id)
    sel.decorate_signals([s])
    return s


def _signal_change(request, signal_id: int, service, note: str):
    """Settle a signal (RELOCATION_EDIT): `service(actor=, signal=, note=)`; answers the signal as it now stands."""
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    s = service(actor=request.auth, signal=sel.access_signal(request.auth, signal_id), note=note)
    return _signal(request.auth, s.pk)


@router.post("/signals/{signal_id}/case", response={201: MonitoringCaseDetailOut, **WRITE_ERRORS}, summary="由风险预警提出纳入监测")
def signal_case(request, signal_id: int, payload: MonitoringSignalCaseIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    signal = sel.access_signal(request.auth, signal_id)
    case = svc.case_propose(actor=request.auth, household=signal.household_id, signal=signal, category=payload.category,
                            channel=payload.channel, risks=payload.risks,
                            per_capita_income_fen=_fen(payload.per_capita_income_yuan, "per_capita_income_yuan"),
                            identified_on=payload.identified_on or signal.found_on, description=payload.description)
    return Status(201, _case(request.auth, case.pk))


@router.post("/signals/{signal_id}/attach", response={200: MonitoringSignalOut, **WRITE_ERRORS}, summary="并入该户在监测中的记录")
def signal_attach(request, signal_id: int, payload: MonitoringNoteIn):
    return _signal_change(request, signal_id, signal_svc.signal_attach, payload.note)


@router.post("/signals/{signal_id}/dismiss", response={200: MonitoringSignalOut, **WRITE_ERRORS}, summary="核实无风险（须填核实情况）")
def signal_dismiss(request, signal_id: int, payload: MonitoringDismissIn):
    return _signal_change(request, signal_id, signal_svc.signal_dismiss, payload.note)


@router.post("/scan", response={200: MonitoringScanOut, **WRITE_ERRORS}, summary="排查风险预警并重新评定风险等级（本人录入范围）")
def scan(request, payload: MonitoringScanIn):
    require_perm(request.auth, Perm.RELOCATION_MONITOR)
    return signal_svc.signals_scan(actor=request.auth, as_of=payload.as_of, scope=payload.scope or "")

