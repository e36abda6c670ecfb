"""The city's configuration of identification: the relocation vocabularies (Term: add, rename, reorder, deactivate),
the eligibility rules as data (checked field/operator/value, audited) and the pure judgement of a survey against them.

A rule change re-judges every open survey (draft, submitted, township-confirmed) in the same transaction, so the stored
`Survey.eligible` / `Survey.eligibility` always follow the rules in force; confirmed and rejected surveys keep the
judgement they were decided on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.terms import (  # noqa: F401 - the MSG_TERM_* are re-exported: callers and tests use them from here
    CODE,
    MSG_TERM_CODE_FORMAT,
    MSG_TERM_CODE_IMMUTABLE,
    MSG_TERM_CODE_TAKEN,
    MSG_TERM_DIRECTION,
    MSG_TERM_KIND,
    MSG_TERM_NAME_LENGTH,
    MSG_TERM_NAME_REQUIRED,
    MSG_TERM_NAME_TAKEN,
    MSG_TERM_SORT,
    Vocabulary,
    check_sort,
    next_sort,
)
from anju.relocation.models import EligibilityRule, Survey, Term

# --- vocabularies -------------------------------------------------------------------------------------------------

VOCABULARY = Vocabulary(Term, perm=Perm.RELOCATION_MANAGE, action="relocation.term", object_type="relocation_term",
                        error_codes={"sort": "sort_invalid", "direction": "direction_invalid"}, strip_nul=True)


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"{field}_invalid", detail={"field": field})


def _sort(value) -> int:
    return check_sort(value, "sort_invalid")


# The vocabulary services (anju.core.terms), under this app's names.
term_snapshot = VOCABULARY.snapshot
term_create = VOCABULARY.create
term_update = VOCABULARY.update
term_move = VOCABULARY.move


# --- eligibility rules ----------------------------------------------------------------------------------------------

BOOL, CODES, NUMBER = "bool", "codes", "number"
FIELDS = {  # the survey facts a rule may test, by type
    "poverty_registered": BOOL, "housing_unsafe": BOOL, "in_designated_area": BOOL,
    "conditions": CODES,
    "per_capita_income_fen": NUMBER, "members": NUMBER,
}
FIELD_LABELS = {"poverty_registered": _("建档立卡"), "housing_unsafe": _("住房不安全"), "in_designated_area": _("位于迁出区"),
                "conditions": _("生存条件"), "per_capita_income_fen": _("上年人均纯收入（分）"), "members": _("家庭人口")}
OPERATORS = {BOOL: ("is_true", "is_false"), CODES: ("any_of", "all_of"), NUMBER: ("lt", "le", "gt", "ge", "eq")}
OPERATOR_LABELS = {"is_true": _("为是"), "is_false": _("为否"), "any_of": _("具备其中任一项"), "all_of": _("具备全部各项"),
                   "lt": _("小于"), "le": _("不大于"), "gt": _("大于"), "ge": _("不小于"), "eq": _("等于")}
MAX_NUMBER = 10**12

MSG_RULE_CODE_FORMAT = _("规则编码应为 1 至 32 位英文字母、数字、下划线或短横线")
MSG_RULE_CODE_TAKEN = _("已有规则编码“%(code)s”")
MSG_RULE_NAME = _("请填写规则名称（最长 100 字）")
MSG_RULE_NOTE = _("说明最长 300 字")
MSG_RULE_FIELD = _("判断项“%(value)s”无效：可用的判断项为%(fields)s")
MSG_RULE_OPERATOR = _("判断项“%(field)s”只能使用以下条件：%(operators)s")
MSG_RULE_VALUE_NONE = _("判断项“%(field)s”的条件“%(operator)s”不需要取值，请留空")
MSG_RULE_VALUE_CODES = _("判断项“%(field)s”的取值应为一个或多个生存条件编码")
MSG_RULE_VALUE_CODE = _("判断项“%(field)s”的取值中“%(value)s”不是有效的生存条件编码")
MSG_RULE_VALUE_NUMBER = _("判断项“%(field)s”的取值应为 0 至 1000000000000 之间的整数")


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def operator_label(operator: str) -> str:
    return str(OPERATOR_LABELS.get(operator, operator))


def check_rule(field, operator, value):
    """(field, operator, value) checked against each other; the value normalised (codes de-duplicated in order, numbers
    as int). Raises ValidationFailed naming the field of the rule form at fault."""
    field = str(field or "").strip()
    if field not in FIELDS:
        raise _invalid("field", MSG_RULE_FIELD % {"value": field, "fields": "、".join(f"{field_label(f)}（{f}）" for f in FIELDS)},
                       "rule_field_invalid")
    kind = FIELDS[field]
    operator = str(operator or "").strip()
    if operator not in OPERATORS[kind]:
        ops = "、".join(f"{operator_label(o)}（{o}）" for o in OPERATORS[kind])
        raise _invalid("operator", MSG_RULE_OPERATOR % {"field": field_label(field), "operators": ops}, "rule_operator_invalid")
    label = field_label(field)
    if kind == BOOL:
        if value not in (None, "", []):
            raise _invalid("value", MSG_RULE_VALUE_NONE % {"field": label, "operator": operator_label(operator)}, "rule_value_invalid")
        return field, operator, None
    if kind == CODES:
        if isinstance(value, str):
            value = [v for v in re.split(r"[\s,，、;；]+", value) if v]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise _invalid("value", MSG_RULE_VALUE_CODES % {"field": label}, "rule_value_invalid")
        known = set(Term.objects.filter(kind=Term.Kind.LIVING_CONDITION).values_list("code", flat=True))
        out: list[str] = []
        for v in value:
            v = v.strip()
            if v not in known:
                raise _invalid("value", MSG_RULE_VALUE_CODE % {"field": label, "value": v}, "rule_value_invalid")
            if v not in out:
                out.append(v)
        return field, operator, out
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,13}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
        raise _invalid("value", MSG_RULE_VALUE_NUMBER % {"field": label}, "rule_value_invalid")
    return field, operator, value


def _rule_code(value) -> str:
    code = str(value or "").strip()
    if not CODE.match(code):
        raise _invalid("code", MSG_RULE_CODE_FORMAT, "rule_code_invalid")
    return code


def _rule_name(value) -> str:
    name = " ".join(str(value or "").replace("\x00", "").split())
    if not name or len(name) > 100:
        raise _invalid("name", MSG_RULE_NAME, "rule_name_invalid")
    return name


def _rule_note(value) -> str:
    note = str(value or "").replace("\x00", "").strip()
    if len(note) > 300:
        raise _invalid("note", MSG_RULE_NOTE, "rule_note_invalid")
    return note


def rule_snapshot(r: EligibilityRule) -> dict:
    return {"code": r.code, "name": r.name, "field": r.field, "operator": r.operator, "value": r.value, "active": r.active,
            "sort": r.sort, "note": r.note}


def rule_create(*, actor, code: str, name: str, field: str, operator: str, value=None, active: bool = True, sort: int | None = None,
                note: str = "") -> EligibilityRule:
    """A new eligibility rule; open surveys are re-judged."""
    require_perm(actor, Perm.RELOCATION_MANAGE)
    code, name, note = _rule_code(code), _rule_name(name), _rule_note(note)
    field, operator, value = check_rule(field, operator, value)
    if sort is None or sort == "":
        sort = next_sort(EligibilityRule.objects.all())
    sort = _sort(sort)
    taken = Conflict(MSG_RULE_CODE_TAKEN % {"code": code}, code="rule_code_taken", detail={"field": "code"})
    if EligibilityRule.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            rule = EligibilityRule.objects.create(code=code, name=name, field=field, operator=operator, value=value, active=bool(active),
                                                  sort=sort, note=note)
            changed = surveys_rejudge()
            audit_record(actor=actor, action="relocation.rule.created", object_type="eligibility_rule", object_id=rule.pk,
                         after={**rule_snapshot(rule), "rejudged": changed})
    except IntegrityError:
        raise taken from None
    return rule


def rule_update(*, actor, rule: EligibilityRule, name: str | None = None, field: str | None = None, operator: str | None = None,
                value=..., active: bool | None = None, sort: int | None = None, note: str | None = None) -> EligibilityRule:
    """Change a rule (None, or for `value` the Ellipsis, leaves a field); open surveys are re-judged. The code is stable."""
    require_perm(actor, Perm.RELOCATION_MANAGE)
    with transaction.atomic():
        locked = EligibilityRule.objects.select_for_update().filter(pk=rule.pk).first()
        if locked is None:
            raise NotFound()
        before = rule_snapshot(locked)
        if name is not None:
            locked.name = _rule_name(name)
        if note is not None:
            locked.note = _rule_note(note)
        if sort is not None:
            locked.sort = _sort(sort)
        if active is not None:
            locked.active = bool(active)
        if field is not None or operator is not None or value is not ...:
            new_field = locked.field if field is None else field
            new_operator = locked.operator if operator is None else operator
            new_value = locked.value if value is ... else value
            if field is not None and field != locked.field and operator is None:
                new_operator = ""  # a new field needs its own operator (checked below)
            locked.field, locked.operator, locked.value = check_rule(new_field, new_operator, new_value)
        old, new = audit_diff(before, rule_snapshot(locked))
        if not new:
            return locked
        locked.save(update_fields=list(new))
        changed = surveys_rejudge()
        action = "relocation.rule.updated"
        if set(new) == {"active"}:
            action = "relocation.rule.activated" if locked.active else "relocation.rule.deactivated"
        audit_record(actor=actor, action=action, object_type="eligibility_rule", object_id=locked.pk, before=old,
                     after={"code": locked.code, **new, "rejudged": changed})
    return locked


# --- judgement ------------------------------------------------------------------------------------------------------

def rule_holds(field: str, operator: str, operand, fact) -> bool:
    """One condition on one fact. An unknown fact (income not surveyed) fails every comparison; a malformed rule fails."""
    try:
        if operator == "is_true":
            return fact is True
        if operator == "is_false":
            return fact is False
        if operator in ("any_of", "all_of"):
            have, want = set(fact or []), set(operand or [])
            return bool(have & want) if operator == "any_of" else bool(want) and want <= have
        if fact is None or operand is None or isinstance(fact, bool):
            return False
        return {"lt": fact < operand, "le": fact <= operand, "gt": fact > operand, "ge": fact >= operand, "eq": fact == operand}[operator]
    except (KeyError, TypeError):
        return False


def survey_facts(survey: Survey) -> dict:
    return {f: getattr(survey, f) for f in FIELDS}


def judge(facts: dict, rules: Iterable) -> tuple[bool, list[dict]]:
    """Judge survey facts against `rules` (EligibilityRule rows or dicts with code, name, field, operator, value), in
    order: (eligible, [{"rule", "name", "passed"}]). Eligible when every rule passes; with no rule at all nobody is
    eligible (an empty rule set must not make every surveyed household a candidate)."""
    results = []
    for r in rules:
        get = r.get if isinstance(r, dict) else (lambda k, r=r: getattr(r, k))
        passed = rule_holds(get("field"), get("operator"), get("value"), facts.get(get("field")))
        results.append({"rule": get("code"), "name": get("name"), "passed": passed})
    return bool(results) and all(r["passed"] for r in results), results


def active_rules() -> list[EligibilityRule]:
    return list(EligibilityRule.objects.filter(active=True).order_by("sort", "code"))


def survey_judge(survey: Survey, rules: list | None = None) -> Survey:
    """Set the survey's `eligible` and `eligibility` from the active rules (the caller saves)."""
    survey.eligible, survey.eligibility = judge(survey_facts(survey), active_rules() if rules is None else rules)
    return survey


OPEN_STATES = (Survey.State.DRAFT, Survey.State.SUBMITTED, Survey.State.TOWNSHIP_CONFIRMED)


def surveys_rejudge(*, queryset=None) -> int:
    """Re-judge open surveys (all, or those of `queryset`) against the active rules; trusts the caller's permission check
    and runs inside its transaction. Returns how many changed."""
    rules = active_rules()
    qs = Survey.objects.filter(state__in=OPEN_STATES) if queryset is None else queryset.filter(state__in=OPEN_STATES)
    changed = []
    for s in qs.only("pk", *FIELDS, "eligible", "eligibility").iterator(chunk_size=2000):
        eligible, results = judge(survey_facts(s), rules)
        if eligible != s.eligible or results != s.eligibility:
            s.eligible, s.eligibility = eligible, results
            changed.append(s)
    Survey.objects.bulk_update(changed, ["eligible", "eligibility"], batch_size=1000)
    return len(changed)
