"""防返贫 monitoring cases: identification (propose, approve or reject inclusion), assistance measures, the three-colour
code and risk elimination (风险消除) with its criteria and approval.

The colour rule lives in `colour_rule` (pure) and is applied by `case_recolour` after every change and by the daily scan
(services/signals.py). Decisions follow the four-eyes principle: whoever proposed an inclusion or an elimination may not
approve it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.policy import policy_value
from anju.relocation.models import Income, Measure, MonitoringCase, RiskSignal, Term
from anju.relocation.selectors_common import access_relocated_household, check_term

Case = MonitoringCase
State = MonitoringCase.State
Colour = MonitoringCase.Colour
OPEN_STATES = (State.PROPOSED, State.MONITORING, State.ELIMINATION_PROPOSED)

MSG_OPEN_CASE_EXISTS = gettext_lazy("该户已有未结束的监测记录（%(state)s），同一户同时只能有一条在监测中的记录")
MSG_CATEGORY = gettext_lazy("请选择监测对象类别（脱贫不稳定户、边缘易致贫户或突发严重困难户）")
MSG_CHANNEL = gettext_lazy("请选择识别途径（农户自主申报、干部走访排查或部门筛查预警）")
MSG_RISKS_REQUIRED = gettext_lazy("请至少选择一项风险类型")
MSG_INCOME_NEGATIVE = gettext_lazy("人均纯收入不能为负数")
MSG_DATE_REQUIRED = gettext_lazy("请填写日期")
MSG_DATE_FUTURE = gettext_lazy("日期不能晚于今天")
MSG_INCLUDED_BEFORE = gettext_lazy("纳入监测日期不能早于识别日期（%(date)s）")
MSG_TOO_LONG = gettext_lazy("“%(field)s”最多 %(n)s 字")
MSG_STATE = gettext_lazy("该监测记录当前为“%(state)s”，不能%(action)s")
MSG_OWN_PROPOSAL = gettext_lazy("不能审批自己提出的监测对象纳入申请，请由其他有审批权限的人员审批")
MSG_OWN_ELIMINATION = gettext_lazy("不能审批自己提出的风险消除申请，请由其他有审批权限的人员审批")
MSG_REASON_REQUIRED = gettext_lazy("请填写理由")
MSG_CONTENT_REQUIRED = gettext_lazy("请填写措施内容")
MSG_ENDED_BEFORE = gettext_lazy("结束日期不能早于开始日期")
MSG_AMOUNT_NEGATIVE = gettext_lazy("帮扶资金不能为负数")
MSG_EFFECT = gettext_lazy("请选择帮扶成效")
MSG_EFFECT_NOTE = gettext_lazy("评定帮扶成效时请填写成效说明")
MSG_MEASURES_LOCKED = gettext_lazy("风险消除待审批期间不能修改帮扶措施，如需修改请先退回风险消除申请")
MSG_CRITERIA_FAILED = gettext_lazy("不符合风险消除条件：%(names)s")
MSG_CRITERIA_UNCONFIRMED = gettext_lazy("请逐项核实并确认：%(names)s")
MSG_ELIMINATED_BEFORE = gettext_lazy("风险消除日期不能早于申请日期（%(date)s）")

ACTION_LABELS = {
    "approve": gettext_lazy("审批纳入"), "reject": gettext_lazy("不予纳入"), "measure": gettext_lazy("登记帮扶措施"),
    "propose_elimination": gettext_lazy("申请风险消除"), "approve_elimination": gettext_lazy("审批风险消除"),
    "send_back": gettext_lazy("退回风险消除申请"),
}


# --- the three-colour code ----------------------------------------------------------------------------------------

COLOUR_RULE_TEXT = gettext_lazy(
    "红色：待认定或已纳入监测但尚无帮扶措施，或人均纯收入低于监测线，或有未处理（尚未落实帮扶措施）的新风险预警；"
    "黄色：帮扶措施落实中；绿色：已申请风险消除且各项条件均已满足，或风险已消除。")


def colour_rule(*, state: str, measures: int, income_below_line: bool, new_signals: int) -> str:
    """The colour of a case (the one place the rule is written; COLOUR_RULE_TEXT says it in words).

    green  eliminated, or elimination proposed (which needs every criterion met) with nothing new since;
    red    otherwise when there is no measure yet, income is below the line, or a new risk signal is not yet answered;
    yellow measures under way.
    A rejected case is not monitored: it keeps green so it never counts as a risk.
    """
    if state in (State.ELIMINATED, State.REJECTED):
        return Colour.GREEN
    if measures == 0 or income_below_line or new_signals > 0:
        return Colour.RED
    if state == State.ELIMINATION_PROPOSED:
        return Colour.GREEN
    return Colour.YELLOW


def income_line_fen(division_code: str, on: dt.date) -> int:
    """The monitoring income line (policy relocation.income_line_yuan, 元/人·年) on `on` for the division, in fen."""
    return int(Decimal(str(policy_value("relocation.income_line_yuan", on=on, division_code=division_code))) * 100)


def latest_income(household_id: int) -> Income | None:
    return Income.objects.filter(household_id=household_id).order_by("-year").first()


def per_capita_fen(income: Income) -> int:
    return income.net_fen // income.persons if income.persons else income.net_fen


def _below(net_fen: int, persons: int, line_fen: int) -> bool:
    return net_fen < line_fen * max(persons, 1)  # per capita < line, without rounding


@dataclass
class ColourFacts:
    measures: int
    income_below_line: bool
    new_signals: int


def colour_facts(cases: list[MonitoringCase], as_of: dt.date) -> dict[int, ColourFacts]:
    """What the colour rule reads, for many cases in a few queries: the number of measures, income against the line (the
    household's latest income survey, else the per-capita income recorded at identification) and new risk signals (open
    ones of the household, and those attached to a monitored case after its inclusion and its latest measure)."""
    from anju.core.policy import PolicyTable

    ids = [c.pk for c in cases]
    households = {c.household_id for c in cases}
    measures: dict[int, list[dt.date]] = {}
    attached: dict[int, list[dt.date]] = {}
    open_signals: dict[int, int] = {}
    incomes: dict[int, tuple[int, int, int]] = {}  # household → (year, net fen, persons) of its latest survey
    for start in range(0, len(ids), 500):  # under SQLite's parameter limit
        chunk = ids[start:start + 500]
        for case_id, started in Measure.objects.filter(case_id__in=chunk).values_list("case_id", "started_on"):
            measures.setdefault(case_id, []).append(started)
        for case_id, on in RiskSignal.objects.filter(case_id__in=chunk, state=RiskSignal.State.CASE,
                                                     handled_on__isnull=False).values_list("case_id", "handled_on"):
            attached.setdefault(case_id, []).append(on)
    hh = sorted(households)
    for start in range(0, len(hh), 500):
        chunk = hh[start:start + 500]
        for household_id in RiskSignal.objects.filter(household_id__in=chunk, state=RiskSignal.State.OPEN).values_list(
                "household_id", flat=True):
            open_signals[household_id] = open_signals.get(household_id, 0) + 1
        for i in Income.objects.filter(household_id__in=chunk).only("household_id", "year", "persons", "wage_fen", "business_fen",
                                                                       "property_fen", "transfer_fen", "costs_fen"):
            if i.household_id not in incomes or incomes[i.household_id][0] < i.year:
                incomes[i.household_id] = (i.year, i.net_fen, i.persons)
    table = PolicyTable(["relocation.income_line_yuan"])
    out = {}
    for c in cases:
        line = int(Decimal(str(table.value("relocation.income_line_yuan", on=as_of, division_code=c.division_code))) * 100)
        if c.household_id in incomes:
            _, net, persons = incomes[c.household_id]
            below = _below(net, persons, line)
        else:
            below = c.per_capita_income_fen is not None and c.per_capita_income_fen < line
        started = measures.get(c.pk, [])
        new = open_signals.get(c.household_id, 0)
        if c.state in (State.MONITORING, State.ELIMINATION_PROPOSED) and c.included_on:
            since = max([c.included_on, *started])  # the signals a case was opened from are its start
            new += sum(on > since for on in attached.get(c.pk, []))
        out[c.pk] = ColourFacts(measures=len(started), income_below_line=below, new_signals=new)
    return out


def case_colours(cases: list[MonitoringCase], as_of: dt.date | None = None) -> dict[int, str]:
    facts = colour_facts(cases, as_of or dt.date.today())
    return {c.pk: colour_rule(state=c.state, measures=facts[c.pk].measures, income_below_line=facts[c.pk].income_below_line,
                              new_signals=facts[c.pk].new_signals) for c in cases}


def cases_recolour(cases: list[MonitoringCase], as_of: dt.date | None = None) -> int:
    """Recompute and store the colour of cases (trusted: inside the caller's transaction); returns how many changed."""
    colours = case_colours(cases, as_of)
    changed: dict[str, list[int]] = {}
    for c in cases:
        if colours[c.pk] != c.colour:
            changed.setdefault(colours[c.pk], []).append(c.pk)
            c.colour = colours[c.pk]
    for colour, ids in changed.items():
        for start in range(0, len(ids), 500):
            MonitoringCase.objects.filter(pk__in=ids[start:start + 500]).update(colour=colour)
    return sum(len(ids) for ids in changed.values())


def case_recolour(case: MonitoringCase, as_of: dt.date | None = None) -> bool:
    """Recompute and store the colour of one case; True when it changed."""
    return cases_recolour([case], as_of) > 0


# --- helpers ------------------------------------------------------------------------------------------------------

def _today() -> dt.date:
    return dt.date.today()


def _date(on: dt.date | None, field: str) -> dt.date:
    if on is None:
        raise ValidationFailed(MSG_DATE_REQUIRED, code="date_required", detail={"field": field})
    if on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": field})
    return on


def _text(value, field: str, label, limit: int, required_msg=None) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required_msg is not None and not text:
        raise ValidationFailed(required_msg, code=f"{field}_required", detail={"field": field})
    if len(text) > limit:
        raise ValidationFailed(MSG_TOO_LONG % {"field": label, "n": limit}, code=f"{field}_too_long", detail={"field": field})
    return text


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _lock(actor, case: MonitoringCase, perm: str) -> MonitoringCase:
    """The case row-locked, if in the actor's entry scope (not-found otherwise: it looks like an unknown case)."""
    require_perm(actor, perm)
    locked = MonitoringCase.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not in_scope(actor, locked.division_code):
        raise NotFound()
    if not in_scope(actor, locked.division_code, "entry"):
        raise PermissionDenied(gettext_lazy("该监测对象不在您的录入范围内"), code="entry_scope")
    return locked


def _state(case: MonitoringCase, allowed, action: str) -> None:
    if case.state not in allowed:
        raise Conflict(MSG_STATE % {"state": State(case.state).label, "action": ACTION_LABELS[action]}, code="case_state")


def _snapshot(case: MonitoringCase) -> dict:
    return {"household": case.household_id, "state": case.state, "category": case.category, "colour": case.colour}


def _audit(actor, verb: str, case: MonitoringCase, before=None, after=None) -> None:
    audit_record(actor=actor if getattr(actor, "pk", None) else None, action=f"relocation.monitoring_case.{verb}",
                 object_type="monitoring_case", object_id=case.pk, division_code=case.division_code, before=before,
                 after={**_snapshot(case), **(after or {})})


def check_category(value: str) -> str:
    if value not in MonitoringCase.Category.values:
        raise ValidationFailed(MSG_CATEGORY, code="category", detail={"field": "category"})
    return value


def check_channel(value: str) -> str:
    if value not in MonitoringCase.Channel.values:
        raise ValidationFailed(MSG_CHANNEL, code="channel", detail={"field": "channel"})
    return value


def check_risks(values, current=()) -> list[str]:
    codes = []
    for v in values or []:
        code = check_term(Term.Kind.RISK, v, field="risks", current=v if v in current else "")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationFailed(MSG_RISKS_REQUIRED, code="risks_required", detail={"field": "risks"})
    return codes


def open_case_of(household_id: int) -> MonitoringCase | None:
    return MonitoringCase.objects.filter(household_id=household_id, state__in=OPEN_STATES).first()


# --- identification ------------------------------------------------------------------------------------------------

def case_propose(*, actor, household, category: str, channel: str, risks: list[str], identified_on: dt.date,
                 per_capita_income_fen: int | None = None, description: str = "", signal: RiskSignal | None = None) -> MonitoringCase:
    """Propose a relocated household of the actor's entry scope for monitoring (待认定). At most one open case per
    household. With `signal` (an open risk signal of the same household) the signal is handled by this case."""
    household = access_relocated_household(actor, getattr(household, "pk", household), kind="entry")
    category, channel = check_category(category), check_channel(channel)
    risks = check_risks(risks)
    if per_capita_income_fen is not None and per_capita_income_fen < 0:
        raise ValidationFailed(MSG_INCOME_NEGATIVE, code="income_negative", detail={"field": "per_capita_income"})
    identified_on = _date(identified_on, "identified_on")
    description = _text(description, "description", gettext_lazy("致贫返贫风险情况"), 5000)
    with transaction.atomic():
        existing = open_case_of(household.pk)
        if existing is not None:
            raise Conflict(MSG_OPEN_CASE_EXISTS % {"state": State(existing.state).label}, code="open_case_exists",
                           detail={"case": existing.pk})
        locked_signal = None
        if signal is not None:
            from anju.relocation.services.signals import lock_open_signal

            locked_signal = lock_open_signal(actor, signal)
            if locked_signal.household_id != household.pk:
                raise NotFound()
        try:
            with transaction.atomic():
                case = MonitoringCase.objects.create(
                    household=household, division_code=household.division_code, category=category, channel=channel, risks=risks,
                    per_capita_income_fen=per_capita_income_fen, identified_on=identified_on, description=description,
                    proposed_by=actor, state=State.PROPOSED, colour=Colour.RED)
        except IntegrityError:  # a concurrent proposal for the same household won
            raise Conflict(MSG_OPEN_CASE_EXISTS % {"state": State.PROPOSED.label}, code="open_case_exists") from None
        _audit(actor, "proposed", case, after={"channel": channel, "risks": risks, "identified_on": identified_on.isoformat(),
                                               "per_capita_income_fen": per_capita_income_fen,
                                               "signal": locked_signal.pk if locked_signal else None})
        if locked_signal is not None:
            from anju.relocation.services.signals import signal_close

            signal_close(actor, locked_signal, state=RiskSignal.State.CASE, case=case, note=str(gettext_lazy("已纳入监测对象识别")))
        case_recolour(case)
    return case


def _lock_for_decision(actor, case: MonitoringCase, state, action: str, proposer: str, own_message) -> MonitoringCase:
    """The case locked for a monitor's decision: in `state`, and not decided by whoever proposed it (`proposer`, the id
    field of the proposal's author; four eyes)."""
    c = _lock(actor, case, Perm.RELOCATION_MONITOR)
    _state(c, (state,), action)
    if getattr(c, proposer) == actor.pk:
        raise PermissionDenied(own_message, code="four_eyes")
    return c


def _decision_date(value, field: str, not_before: dt.date, message, code: str) -> dt.date:
    """The date of a decision (default today), not before `not_before`."""
    on = _date(value or _today(), field)
    if on < not_before:
        raise ValidationFailed(message % {"date": not_before.isoformat()}, code=code, detail={"field": field})
    return on


def _record_decision(actor, c: MonitoringCase, state, on_field: str, on: dt.date, by_field: str, note: str, event: str) -> None:
    """A monitor's decision on the locked case: the new `state`, dated (`on_field`) and signed (`by_field`), recoloured, audited."""
    before = _snapshot(c)
    c.state, c.decision_note = state, note
    setattr(c, on_field, on)
    setattr(c, by_field, actor)
    c.save(update_fields=["state", on_field, by_field, "decision_note", "updated_at"])
    case_recolour(c)
    _audit(actor, event, c, before, {on_field: on.isoformat(), "note": note})


def case_approve(*, actor, case: MonitoringCase, included_on: dt.date | None = None, note: str = "") -> MonitoringCase:
    """认定纳入: a monitor of the case's entry scope other than its proposer includes a proposed case on `included_on`."""
    note = _text(note, "note", gettext_lazy("审批意见"), 300)
    with transaction.atomic():
        c = _lock_for_decision(actor, case, State.PROPOSED, "approve", "proposed_by_id", MSG_OWN_PROPOSAL)
        included_on = _decision_date(included_on, "included_on", c.identified_on, MSG_INCLUDED_BEFORE, "included_before")
        _record_decision(actor, c, State.MONITORING, "included_on", included_on, "approved_by", note, "approved")
    return c


def case_reject(*, actor, case: MonitoringCase, reason: str) -> MonitoringCase:
    """不予纳入: a monitor other than the proposer rejects a proposed case, with the reason."""
    reason = _text(reason, "reason", gettext_lazy("理由"), 300, MSG_REASON_REQUIRED)
    with transaction.atomic():
        c = _lock(actor, case, Perm.RELOCATION_MONITOR)
        _state(c, (State.PROPOSED,), "reject")
        if c.proposed_by_id == actor.pk:
            raise PermissionDenied(MSG_OWN_PROPOSAL, code="four_eyes")
        before = _snapshot(c)
        c.state, c.approved_by, c.decision_note = State.REJECTED, actor, reason
        c.save(update_fields=["state", "approved_by", "decision_note", "updated_at"])
        case_recolour(c)
        _audit(actor, "rejected", c, before, {"reason": reason})
    return c


# --- assistance measures -------------------------------------------------------------------------------------------

MEASURE_FIELDS = ("kind", "content", "responsible", "started_on", "ended_on", "amount_fen", "effect", "effect_note")


def _clean_measure(data: dict, current: Measure | None) -> dict:
    out = {}
    out["kind"] = check_term(Term.Kind.ASSISTANCE, data.get("kind"), field="kind", current=current.kind if current else "")
    out["content"] = _text(data.get("content"), "content", gettext_lazy("措施内容"), 300, MSG_CONTENT_REQUIRED)
    out["responsible"] = _text(data.get("responsible"), "responsible", gettext_lazy("帮扶责任人"), 50)
    started = data.get("started_on")
    if started is None:
        raise ValidationFailed(MSG_DATE_REQUIRED, code="date_required", detail={"field": "started_on"})
    out["started_on"], out["ended_on"] = started, data.get("ended_on")
    if out["ended_on"] is not None and out["ended_on"] < started:
        raise ValidationFailed(MSG_ENDED_BEFORE, code="ended_before", detail={"field": "ended_on"})
    amount = data.get("amount_fen") or 0
    if amount < 0:
        raise ValidationFailed(MSG_AMOUNT_NEGATIVE, code="amount_negative", detail={"field": "amount"})
    out["amount_fen"] = int(amount)
    effect = data.get("effect") or Measure.Effect.PENDING
    if effect not in Measure.Effect.values:
        raise ValidationFailed(MSG_EFFECT, code="effect", detail={"field": "effect"})
    out["effect"] = effect
    out["effect_note"] = _text(data.get("effect_note"), "effect_note", gettext_lazy("成效说明"), 300)
    if effect != Measure.Effect.PENDING and not out["effect_note"]:
        raise ValidationFailed(MSG_EFFECT_NOTE, code="effect_note_required", detail={"field": "effect_note"})
    return out


def _measure_dict(m: Measure) -> dict:
    return {f: (getattr(m, f).isoformat() if isinstance(getattr(m, f), dt.date) else getattr(m, f)) for f in MEASURE_FIELDS}


def measure_add(*, actor, case: MonitoringCase, kind: str, content: str, started_on: dt.date, responsible: str = "",
                ended_on: dt.date | None = None, amount_fen: int = 0, effect: str = Measure.Effect.PENDING,
                effect_note: str = "") -> Measure:
    """Record an assistance measure (帮扶措施) of a case being identified or monitored, in the actor's entry scope."""
    data = _clean_measure({"kind": kind, "content": content, "responsible": responsible, "started_on": started_on,
                           "ended_on": ended_on, "amount_fen": amount_fen, "effect": effect, "effect_note": effect_note}, None)
    with transaction.atomic():
        c = _lock(actor, case, Perm.RELOCATION_EDIT)
        if c.state == State.ELIMINATION_PROPOSED:
            raise Conflict(MSG_MEASURES_LOCKED, code="measures_locked")
        _state(c, (State.PROPOSED, State.MONITORING), "measure")
        m = Measure.objects.create(case=c, created_by=actor, **data)
        case_recolour(c)
        audit_record(actor=actor, action="relocation.measure.created", object_type="monitoring_case", object_id=c.pk,
                     division_code=c.division_code, after={"measure": m.pk, **_measure_dict(m)})
    return m


def measure_update(*, actor, measure: Measure, **changes) -> Measure:
    """Change a measure (e.g. record its effect) while its case is identified or monitored; `changes` among
    MEASURE_FIELDS."""
    unknown = set(changes) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationFailed(gettext_lazy("未知字段：%(f)s") % {"f": "、".join(sorted(unknown))}, code="unknown_field")
    with transaction.atomic():
        c = _lock(actor, measure.case, Perm.RELOCATION_EDIT)
        if c.state == State.ELIMINATION_PROPOSED:
            raise Conflict(MSG_MEASURES_LOCKED, code="measures_locked")
        _state(c, (State.PROPOSED, State.MONITORING), "measure")
        m = Measure.objects.select_for_update().get(pk=measure.pk)
        before = _measure_dict(m)
        data = _clean_measure({**{f: getattr(m, f) for f in MEASURE_FIELDS}, **changes}, m)
        for field, value in data.items():
            setattr(m, field, value)
        m.save(update_fields=list(data))
        case_recolour(c)
        after = _measure_dict(m)
        audit_record(actor=actor, action="relocation.measure.updated", object_type="monitoring_case", object_id=c.pk,
                     division_code=c.division_code, before={k: v for k, v in before.items() if after[k] != v},
                     after={"measure": m.pk, **{k: v for k, v in after.items() if before[k] != v}})
    return m


# --- risk elimination ------------------------------------------------------------------------------------------------

@dataclass
class Criterion:
    """One risk-elimination criterion: `auto` when anju evaluated it from records (then `met` is the verdict), otherwise
    the proposer must confirm it (`met` None until then)."""

    code: str
    name: str
    auto: bool
    met: bool | None
    detail: str = ""


CRITERIA = {
    "income": gettext_lazy("收入持续稳定超过监测收入线"),
    "months": gettext_lazy("纳入监测满规定月数"),
    "measures": gettext_lazy("帮扶措施成效均已评定且无“成效不明显”"),
    "food_clothing": gettext_lazy("不愁吃、不愁穿"),
    "education": gettext_lazy("义务教育有保障"),
    "medical": gettext_lazy("基本医疗有保障"),
    "housing": gettext_lazy("住房安全有保障"),
    "signals": gettext_lazy("无未处理的风险预警"),
}
MANUAL_CRITERIA = ("food_clothing", "education", "medical", "housing")


def _yuan(fen: int) -> str:
    from anju.projects.money import fen_text

    return fen_text(fen)


def elimination_criteria(case: MonitoringCase, as_of: dt.date | None = None) -> list[Criterion]:
    """Each criterion of risk elimination for `case` on `as_of`, evaluated from records where they exist."""
    as_of = as_of or _today()
    out = []
    line = income_line_fen(case.division_code, as_of)
    income = latest_income(case.household_id)
    if income is None:
        out.append(Criterion("income", str(CRITERIA["income"]), False, None,
                             str(gettext_lazy("尚无收入调查记录，请入户核实（监测线 %(line)s 元）") % {"line": _yuan(line)})))
    else:
        met = income.net_fen > line * max(income.persons, 1)  # per capita strictly above the line
        out.append(Criterion("income", str(CRITERIA["income"]), True, met,
                             str(gettext_lazy("%(year)s 年人均纯收入 %(income)s 元，监测线 %(line)s 元") % {
                                 "year": income.year, "income": _yuan(per_capita_fen(income)), "line": _yuan(line)})))
    months = int(policy_value("relocation.elimination_months", on=as_of, division_code=case.division_code))
    if case.included_on is None:
        out.append(Criterion("months", str(CRITERIA["months"]), True, False, str(gettext_lazy("尚未纳入监测"))))
    else:
        due = add_months(case.included_on, months)
        out.append(Criterion("months", str(CRITERIA["months"]), True, due <= as_of,
                             str(gettext_lazy("%(on)s 纳入监测，满 %(n)s 个月为 %(due)s") % {
                                 "on": case.included_on.isoformat(), "n": months, "due": due.isoformat()})))
    effects = list(Measure.objects.filter(case=case).values_list("effect", flat=True))
    pending = sum(e == Measure.Effect.PENDING for e in effects)
    ineffective = sum(e == Measure.Effect.INEFFECTIVE for e in effects)
    out.append(Criterion("measures", str(CRITERIA["measures"]), True, bool(effects) and not pending and not ineffective,
                         str(gettext_lazy("帮扶措施 %(n)s 项，实施中 %(p)s 项，成效不明显 %(i)s 项") % {
                             "n": len(effects), "p": pending, "i": ineffective})))
    for code in MANUAL_CRITERIA:
        out.append(Criterion(code, str(CRITERIA[code]), False, None, str(gettext_lazy("由申请人入户核实确认"))))
    signals = RiskSignal.objects.filter(household_id=case.household_id, state=RiskSignal.State.OPEN).count()
    out.append(Criterion("signals", str(CRITERIA["signals"]), True, signals == 0,
                         str(gettext_lazy("待核实的风险预警 %(n)s 条") % {"n": signals})))
    return out


def _failed(criteria: list[Criterion]) -> list[Criterion]:
    return [c for c in criteria if c.auto and not c.met]


def _refuse_failed(criteria: list[Criterion]) -> None:
    failed = _failed(criteria)
    if failed:
        raise ValidationFailed(MSG_CRITERIA_FAILED % {"names": "；".join(f"{c.name}（{c.detail}）" for c in failed)},
                               code="elimination_criteria", detail={"field": "criteria", "failed": [c.code for c in failed]})


def elimination_propose(*, actor, case: MonitoringCase, confirmed, notes: dict | None = None,
                        proposed_on: dt.date | None = None) -> MonitoringCase:
    """申请风险消除: every automatic criterion must hold (the first refusal names each that fails) and the proposer confirms
    the others (`confirmed`: the codes checked after a household visit; `notes` per code)."""
    notes = {k: _text(v, "criteria", gettext_lazy("核实情况"), 300) for k, v in (notes or {}).items() if k in CRITERIA}
    confirmed = set(confirmed or ())
    with transaction.atomic():
        c = _lock(actor, case, Perm.RELOCATION_EDIT)
        _state(c, (State.MONITORING,), "propose_elimination")
        proposed_on = _date(proposed_on or _today(), "proposed_on")
        criteria = elimination_criteria(c, proposed_on)
        _refuse_failed(criteria)
        missing = [x for x in criteria if not x.auto and x.code not in confirmed]
        if missing:
            raise ValidationFailed(MSG_CRITERIA_UNCONFIRMED % {"names": "、".join(x.name for x in missing)}, code="criteria_unconfirmed",
                                   detail={"field": "criteria", "unconfirmed": [x.code for x in missing]})
        before = _snapshot(c)
        c.elimination_criteria = {x.code: {"met": True, "auto": x.auto, "note": notes.get(x.code) or x.detail} for x in criteria}
        c.state, c.elimination_proposed_on, c.elimination_proposed_by = State.ELIMINATION_PROPOSED, proposed_on, actor
        c.save(update_fields=["state", "elimination_criteria", "elimination_proposed_on", "elimination_proposed_by", "updated_at"])
        case_recolour(c, proposed_on)
        _audit(actor, "elimination_proposed", c, before, {"proposed_on": proposed_on.isoformat(), "criteria": c.elimination_criteria})
    return c


def elimination_approve(*, actor, case: MonitoringCase, eliminated_on: dt.date | None = None, note: str = "") -> MonitoringCase:
    """审批风险消除: a monitor other than the proposer approves; the automatic criteria are evaluated again first."""
    note = _text(note, "note", gettext_lazy("审批意见"), 300)
    with transaction.atomic():
        c = _lock_for_decision(actor, case, State.ELIMINATION_PROPOSED, "approve_elimination", "elimination_proposed_by_id",
                               MSG_OWN_ELIMINATION)
        eliminated_on = _decision_date(eliminated_on, "eliminated_on", c.elimination_proposed_on, MSG_ELIMINATED_BEFORE, "eliminated_before")
        _refuse_failed(elimination_criteria(c, eliminated_on))
        _record_decision(actor, c, State.ELIMINATED, "eliminated_on", eliminated_on, "eliminated_by", note, "eliminated")
    return c


def elimination_send_back(*, actor, case: MonitoringCase, reason: str) -> MonitoringCase:
    """退回风险消除申请: back to monitoring, with the reason."""
    reason = _text(reason, "reason", gettext_lazy("理由"), 300, MSG_REASON_REQUIRED)
    with transaction.atomic():
        c = _lock(actor, case, Perm.RELOCATION_MONITOR)
        _state(c, (State.ELIMINATION_PROPOSED,), "send_back")
        before = {**_snapshot(c), "criteria": c.elimination_criteria, "proposed_on": c.elimination_proposed_on.isoformat()}
        c.state, c.decision_note = State.MONITORING, reason
        c.elimination_proposed_on = c.elimination_proposed_by = None
        c.elimination_criteria = {}
        c.save(update_fields=["state", "decision_note", "elimination_proposed_on", "elimination_proposed_by", "elimination_criteria",
                              "updated_at"])
        case_recolour(c)
        _audit(actor, "elimination_sent_back", c, before, {"reason": reason})
    return c
