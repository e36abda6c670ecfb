"""Evaluation templates: validation of the indicators, create/copy, edit only while unused, activate and deactivate, audit."""

from __future__ import annotations

import pytest

from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.projects.models import EvaluationTemplate
from anju.projects.services import evaluations as svc

from .evaluations_data import actors, default_template, indicators, started


@pytest.fixture
def people(make_user, other_city):
    return actors(make_user)


def _messages(exc) -> list[str]:
    return [p["message"] for p in exc.value.detail["problems"]]


def test_the_seeded_default_template_is_valid(db):
    t = default_template()
    assert [(g["code"], g["weight"]) for g in t.indicators] == [("output", 50), ("outcome", 30), ("satisfaction", 10), ("budget", 10)]
    assert svc.indicators_clean(t.indicators) == t.indicators
    assert t.active


def test_a_first_level_weight_must_equal_the_sum_of_its_items(people):
    bad = indicators()
    bad[0]["items"][0]["weight"] = 14  # outputs 50, items 49
    bad[1]["items"][0]["weight"] = 11  # outcomes 30, items 31
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="新模板", indicators=bad)
    assert _messages(exc) == [str(svc.MSG_GROUP_SUM % {"name": "产出指标", "weight": 50, "sum": 49}),
                              str(svc.MSG_GROUP_SUM % {"name": "效益指标", "weight": 30, "sum": 31})]
    assert not EvaluationTemplate.objects.filter(name="新模板").exists()


def test_the_total_must_be_100(people):
    bad = indicators()
    bad[2]["weight"] = 5
    bad[2]["items"][0]["weight"] = 5
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="新模板", indicators=bad)
    assert _messages(exc) == [str(svc.MSG_TOTAL % {"total": 95})]


def test_codes_are_unique_and_well_formed(people):
    bad = indicators()
    bad[1]["items"][0]["code"] = "output_quantity"  # already a sub-indicator of outputs
    bad[3]["code"] = "Budget-1"
    bad[2]["items"][0]["code"] = " "
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="新模板", indicators=bad)
    assert str(svc.MSG_CODE_DUPLICATE % {"code": "output_quantity"}) in _messages(exc)
    assert str(svc.MSG_CODE_FORMAT % {"code": "Budget-1"}) in _messages(exc)
    assert str(svc.MSG_CODE_REQUIRED % {"name": "受益移民满意度"}) in _messages(exc)


@pytest.mark.parametrize("weight", [0, -5, "abc", "2.555", None, True])
def test_weights_are_positive_with_two_decimals_at_most(people, weight):
    bad = indicators()
    bad[0]["items"][0]["weight"] = weight
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="新模板", indicators=bad)
    assert str(svc.MSG_WEIGHT % {"name": "产出数量"}) in _messages(exc)


def test_decimal_weights_are_kept_exactly(people):
    good = indicators()
    good[0]["items"][0]["weight"] = "7.5"
    good[0]["items"][1]["weight"] = "22.50"  # 7.5 + 22.5 + 10 + 10 = 50
    t = svc.evaluation_template_create(actor=people["city"], name="半分模板", indicators=good)
    assert [i["weight"] for i in t.indicators[0]["items"]] == ["7.5", "22.5", 10, 10]


def test_names_and_items_are_required(people):
    bad = indicators()
    bad[2]["items"] = []
    bad[0]["name"] = " "
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="新模板", indicators=bad)
    assert str(svc.MSG_INDICATOR_NAME % {"code": "output"}) in _messages(exc)
    assert str(svc.MSG_GROUP_EMPTY % {"name": "满意度指标"}) in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="  ", indicators=indicators())
    assert exc.value.message == str(svc.MSG_TEMPLATE_NAME)
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name=default_template().name, indicators=indicators())
    assert exc.value.message == str(svc.MSG_TEMPLATE_NAME_TAKEN % {"name": default_template().name})
    with pytest.raises(ValidationFailed) as exc:
        svc.evaluation_template_create(actor=people["city"], name="空模板", indicators=[])
    assert exc.value.message == str(svc.MSG_TEMPLATE_EMPTY)


def test_create_copy_is_inactive_and_audited(people):
    source = default_template()
    t = svc.evaluation_template_create(actor=people["city"], name="2026年模板", indicators=source.indicators, source=source)
    assert not t.active and t.indicators == source.indicators
    event = AuditEvent.objects.get(action="projects.evaluation_template.created", object_id=str(t.pk))
    assert event.actor_username == "ev_city" and event.after["source"] == source.pk and event.after["active"] is False


def test_only_project_managers_manage_templates(people):
    for who in ("clerk", "leader"):
        with pytest.raises(PermissionDenied):
            svc.evaluation_template_create(actor=people[who], name="x", indicators=indicators())
        with pytest.raises(PermissionDenied):
            svc.evaluation_template_set_active(actor=people[who], template=default_template(), active=False)


def test_edit_while_unused_then_frozen_once_used(people):
    t = svc.evaluation_template_create(actor=people["city"], name="试用模板", indicators=indicators())
    changed = indicators()
    changed[0]["items"][0]["guide"] = "新的评分标准"
    t = svc.evaluation_template_update(actor=people["city"], template=t, name="试用模板（修订）", indicators=changed)
    assert t.name == "试用模板（修订）" and t.indicators[0]["items"][0]["guide"] == "新的评分标准"
    event = AuditEvent.objects.get(action="projects.evaluation_template.updated", object_id=str(t.pk))
    assert event.before["name"] == "试用模板"

    svc.evaluation_template_set_active(actor=people["city"], template=t, active=True)
    from anju.projects.models import Stage

    from .factories import make_project

    svc.evaluation_start(actor=people["clerk"], project=make_project(stage=Stage.AUDITED), year=2025, template=t)
    with pytest.raises(Conflict) as exc:
        svc.evaluation_template_update(actor=people["city"], template=t, name="再改", indicators=indicators())
    assert exc.value.message == str(svc.MSG_TEMPLATE_IN_USE)
    assert EvaluationTemplate.objects.get(pk=t.pk).name == "试用模板（修订）"


def test_activate_and_deactivate(people):
    t = default_template()
    svc.evaluation_template_set_active(actor=people["admin"], template=t, active=False)
    assert not EvaluationTemplate.objects.get(pk=t.pk).active
    with pytest.raises(Conflict) as exc:
        svc.evaluation_template_set_active(actor=people["admin"], template=t, active=False)
    assert exc.value.message == str(svc.MSG_TEMPLATE_INACTIVE_ALREADY)
    with pytest.raises(ValidationFailed) as exc:  # no active template left: nothing can start
        started(people)
    assert exc.value.message == str(svc.MSG_NO_ACTIVE_TEMPLATE)
    svc.evaluation_template_set_active(actor=people["admin"], template=t, active=True)
    assert started(people).template == t
    actions = list(AuditEvent.objects.filter(action__startswith="projects.evaluation_template.").order_by("id").values_list("action", flat=True))
    assert actions == ["projects.evaluation_template.deactivated", "projects.evaluation_template.activated"]
