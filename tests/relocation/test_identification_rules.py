"""Eligibility rules as data: each operator, inactive rules, value validation, re-judging open surveys; vocabularies."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.relocation.models import EligibilityRule, Survey, Term
from anju.relocation.services import identification_rules as rules
from anju.relocation.services.identification import survey_create
from tests.registry.factories import resident_id

VILLAGE = "429921101201"


@pytest.mark.parametrize(("field", "operator", "operand", "fact", "expected"), [
    ("poverty_registered", "is_true", None, True, True),
    ("poverty_registered", "is_true", None, False, False),
    ("housing_unsafe", "is_false", None, False, True),
    ("housing_unsafe", "is_false", None, True, False),
    ("conditions", "any_of", ["stony", "high_cold"], ["stony"], True),
    ("conditions", "any_of", ["stony", "high_cold"], ["deep_mountain"], False),
    ("conditions", "any_of", ["stony"], [], False),
    ("conditions", "all_of", ["stony", "high_cold"], ["high_cold", "stony", "endemic"], True),
    ("conditions", "all_of", ["stony", "high_cold"], ["stony"], False),
    ("per_capita_income_fen", "lt", 700_000, 699_999, True),
    ("per_capita_income_fen", "lt", 700_000, 700_000, False),
    ("per_capita_income_fen", "le", 700_000, 700_000, True),
    ("per_capita_income_fen", "le", 700_000, None, False),  # income not surveyed fails a comparison
    ("members", "gt", 2, 3, True),
    ("members", "gt", 2, 2, False),
    ("members", "ge", 2, 2, True),
    ("members", "eq", 4, 4, True),
    ("members", "eq", 4, 5, False),
])
def test_each_operator(field, operator, operand, fact, expected):
    assert rules.rule_holds(field, operator, operand, fact) is expected


def test_judge_is_all_rules_in_order_and_empty_rules_judge_nobody():
    facts = {"poverty_registered": True, "conditions": ["stony"], "members": 3}
    rule_set = [{"code": "a", "name": "建档", "field": "poverty_registered", "operator": "is_true", "value": None},
                {"code": "b", "name": "人口", "field": "members", "operator": "ge", "value": 4}]
    eligible, results = rules.judge(facts, rule_set)
    assert eligible is False
    assert results == [{"rule": "a", "name": "建档", "passed": True}, {"rule": "b", "name": "人口", "passed": False}]
    assert rules.judge(facts, rule_set[:1])[0] is True
    assert rules.judge(facts, []) == (False, [])


@pytest.mark.parametrize(("field", "operator", "value", "bad", "message"), [
    ("income", "lt", 1, "field", None),
    ("members", "any_of", [1], "operator",
     rules.MSG_RULE_OPERATOR % {"field": "家庭人口", "operators": "小于（lt）、不大于（le）、大于（gt）、不小于（ge）、等于（eq）"}),
    ("poverty_registered", "is_true", 1, "value", rules.MSG_RULE_VALUE_NONE % {"field": "建档立卡", "operator": "为是"}),
    ("conditions", "any_of", [], "value", rules.MSG_RULE_VALUE_CODES % {"field": "生存条件"}),
    ("conditions", "any_of", "stony", None, None),  # a comma list typed in a form is accepted
    ("conditions", "all_of", ["stony", "moon"], "value", rules.MSG_RULE_VALUE_CODE % {"field": "生存条件", "value": "moon"}),
    ("members", "ge", "three", "value", rules.MSG_RULE_VALUE_NUMBER % {"field": "家庭人口"}),
    ("members", "ge", True, "value", rules.MSG_RULE_VALUE_NUMBER % {"field": "家庭人口"}),
    ("per_capita_income_fen", "lt", -5, "value", rules.MSG_RULE_VALUE_NUMBER % {"field": "上年人均纯收入（分）"}),
    ("per_capita_income_fen", "lt", 1.5, "value", rules.MSG_RULE_VALUE_NUMBER % {"field": "上年人均纯收入（分）"}),
])
def test_rule_value_validation_names_the_field(tree, field, operator, value, bad, message):
    if bad is None:
        assert rules.check_rule(field, operator, value) == (field, operator, ["stony"])
        return
    with pytest.raises(ValidationFailed) as exc:
        rules.check_rule(field, operator, value)
    assert exc.value.detail == {"field": bad}
    if message is not None:
        assert exc.value.message == str(message)


def _survey(actor, **kw):
    data = {"village": VILLAGE, "head_name": "张三", "head_id": resident_id(), "members": 3, "conditions": ["stony"],
            "poverty_registered": True, "surveyed_on": dt.date.today() - dt.timedelta(days=3)} | kw
    return survey_create(actor=actor, **data)


def test_seed_rules_judge_and_rule_changes_rejudge_open_surveys_only(tree, make_user):
    admin, clerk = make_user("city_clerk", "4299"), make_user("township_clerk", "429921101")
    assert list(EligibilityRule.objects.filter(active=True).values_list("code", flat=True)) == ["poverty_registered", "living_condition"]
    poor = _survey(clerk)
    not_poor = _survey(clerk, head_name="李四", poverty_registered=False)
    decided = _survey(clerk, head_name="王五")
    Survey.objects.filter(pk=decided.pk).update(state=Survey.State.CONFIRMED)
    assert (poor.eligible, not_poor.eligible) == (True, False)
    assert poor.eligibility == [{"rule": "poverty_registered", "name": "建档立卡贫困户", "passed": True},
                                {"rule": "living_condition", "name": "生存条件恶劣，一方水土养不起一方人", "passed": True}]

    income = rules.rule_create(actor=admin, code="income", name="收入低于7000元", field="per_capita_income_fen", operator="lt",
                               value=700_000)
    poor.refresh_from_db()
    decided.refresh_from_db()
    assert poor.eligible is False and poor.eligibility[-1] == {"rule": "income", "name": "收入低于7000元", "passed": False}
    assert decided.eligible is True and len(decided.eligibility) == 2  # decided surveys keep their judgement
    event = AuditEvent.objects.get(action="relocation.rule.created")
    assert event.after["value"] == 700_000 and event.after["rejudged"] == 2  # both open surveys gained a result

    rules.rule_update(actor=admin, rule=income, active=False)  # an inactive rule no longer counts
    poor.refresh_from_db()
    assert poor.eligible is True and [r["rule"] for r in poor.eligibility] == ["poverty_registered", "living_condition"]
    assert AuditEvent.objects.filter(action="relocation.rule.deactivated", object_id=str(income.pk)).exists()

    seed = EligibilityRule.objects.get(code="poverty_registered")
    rules.rule_update(actor=admin, rule=seed, active=False)
    not_poor.refresh_from_db()
    assert not_poor.eligible is True


def test_rule_update_checks_the_new_combination_and_refuses_duplicates(tree, make_user):
    admin = make_user("city_admin", "4299")
    rule = rules.rule_create(actor=admin, code="big", name="人口多", field="members", operator="ge", value=5)
    with pytest.raises(ValidationFailed) as exc:
        rules.rule_update(actor=admin, rule=rule, field="conditions")  # the old operator does not fit the new field
    assert exc.value.detail == {"field": "operator"}
    rules.rule_update(actor=admin, rule=rule, field="conditions", operator="all_of", value=["stony", "stony", "high_cold"])
    rule.refresh_from_db()
    assert (rule.field, rule.operator, rule.value) == ("conditions", "all_of", ["stony", "high_cold"])
    with pytest.raises(Conflict):
        rules.rule_create(actor=admin, code="big", name="又一个", field="members", operator="ge", value=1)
    with pytest.raises(PermissionDenied):
        rules.rule_create(actor=make_user("county_clerk", "429921"), code="x", name="x", field="members", operator="ge", value=1)


def test_terms_add_rename_reorder_deactivate(tree, make_user):
    admin = make_user("city_clerk", "4299")
    term = rules.term_create(actor=admin, kind="living_condition", code="flood", name="洪涝区")
    assert term.sort == 80 and term.active
    with pytest.raises(Conflict):
        rules.term_create(actor=admin, kind="living_condition", code="other", name="洪 涝区")
    with pytest.raises(ValidationFailed) as exc:
        rules.term_update(actor=admin, term=term, code="flooding")
    assert exc.value.message == str(rules.MSG_TERM_CODE_IMMUTABLE)
    rules.term_update(actor=admin, term=term, name="洪涝灾害区")
    rules.term_move(actor=admin, term=term, direction="up")
    codes = list(Term.objects.filter(kind="living_condition").order_by("sort").values_list("code", flat=True))
    assert codes[-2:] == ["flood", "disaster"]
    rules.term_update(actor=admin, term=term, active=False)
    assert [e for e in AuditEvent.objects.filter(action__startswith="relocation.term.").order_by("id").values_list("action", flat=True)] == [
        "relocation.term.created", "relocation.term.renamed", "relocation.term.reordered", "relocation.term.deactivated"]
    clerk = make_user("township_clerk", "429921101")
    with pytest.raises(ValidationFailed) as exc:  # an inactive condition cannot be chosen on a new survey
        _survey(clerk, conditions=["flood"])
    assert exc.value.detail == {"field": "conditions"}
    with pytest.raises(PermissionDenied):
        rules.term_update(actor=clerk, term=term, active=True)
