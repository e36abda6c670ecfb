"""Warning rule management: thresholds, levels, payment targets by month, county overrides and their deletion; the
checks on input (Chinese messages, nothing written), permission, scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent, Message
from anju.projects.models import Warning, WarningRule
from anju.projects.seeds import PAYMENT_TARGETS, projects_seed_load
from anju.projects.selectors_warnings import access_rule, override_counties, rule_list
from anju.projects.services import warnings as svc

from .factories import make_allocation, make_project


@pytest.fixture
def rules(db):
    projects_seed_load()
    return {r.code: r for r in WarningRule.objects.filter(scope="")}


@pytest.fixture
def people(make_user, rules, other_city):
    return {"city": make_user("city_clerk", "4299", username="r_city"), "clerk": make_user("county_clerk", "429921", username="r_clerk"),
            "foreign": make_user("city_clerk", "4298", username="r_foreign"), "leader": make_user("leader", "4299", username="r_leader")}


def test_the_defaults_are_seeded(rules):
    assert len(rules) == 11
    payment = rules["payment_behind"]
    assert (payment.measure, payment.operator, payment.threshold, payment.level, payment.schedule) == (
        "payment_behind", "gt", Decimal("0"), "yellow", "checkpoints")
    assert payment.params == {"targets": PAYMENT_TARGETS}
    assert (rules["not_started_180"].threshold, rules["not_started_180"].level) == (Decimal("180"), "red")


def test_update_threshold_level_targets_and_audit(people, rules):
    rule = svc.rule_update(actor=people["city"], rule=rules["payment_far_behind"], threshold="0.15", level="red",
                           targets={"3": "0.25", "6": "0.55", "9": "0.8", "12": "0.95"}, note="市级调整")
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.15") and rule.params["targets"] == {"3": "0.25", "6": "0.55", "9": "0.8", "12": "0.95"}
    event = AuditEvent.objects.get(action="projects.warning_rule.updated")
    assert event.object_id == str(rule.pk) and event.actor == people["city"]
    assert event.before["threshold"] == "0.2000" and event.after["threshold"] == "0.1500"
    assert event.after["params"]["targets"]["6"] == "0.55" and event.after["note"] == "市级调整" and "level" not in event.after

    svc.rule_update(actor=people["city"], rule=rule, active=False)
    assert AuditEvent.objects.filter(action="projects.warning_rule.deactivated", object_id=str(rule.pk)).exists()
    svc.rule_update(actor=people["city"], rule=rule, active=False)  # no change, no event
    assert AuditEvent.objects.filter(object_type="warning_rule").count() == 2


@pytest.mark.parametrize(("rule_code", "changes", "message"), [
    ("not_started_90", {"threshold": "-1"}, svc.MSG_THRESHOLD),
    ("not_started_90", {"threshold": "90.5"}, svc.MSG_THRESHOLD_DAYS),
    ("not_started_90", {"threshold": "abc"}, svc.MSG_THRESHOLD),
    ("payment_behind", {"threshold": "1.5"}, svc.MSG_THRESHOLD_FRACTION),
    ("no_progress_report", {"threshold": "2"}, svc.MSG_THRESHOLD_FRACTION),
    ("not_started_90", {"operator": "eq"}, svc.MSG_OPERATOR),
    ("not_started_90", {"level": "orange"}, svc.MSG_LEVEL),
    ("not_started_90", {"name": "  "}, svc.MSG_NAME),
    ("payment_behind", {"targets": {"6": "1.2"}}, svc.MSG_TARGETS),
    ("payment_behind", {"targets": {"13": "0.5"}}, svc.MSG_TARGETS),
    ("payment_behind", {"targets": {"6": "-0.1"}}, svc.MSG_TARGETS),
    ("payment_behind", {"targets": {"6": "x"}}, svc.MSG_TARGETS),
    ("payment_behind", {"targets": {}}, svc.MSG_TARGETS_EMPTY),
    ("payment_behind", {"targets": {"3": "0.5", "6": "0.4"}}, svc.MSG_TARGETS_ORDER % {"month": 6}),
    ("not_started_90", {"targets": {"6": "0.5"}}, svc.MSG_TARGETS_MEASURE),
])
def test_bad_input_is_refused_and_nothing_written(people, rules, rule_code, changes, message):
    rule = rules[rule_code]
    before = svc._snapshot(rule)
    with pytest.raises(ValidationFailed) as exc:
        svc.rule_update(actor=people["city"], rule=rule, **changes)
    assert exc.value.message == str(message)
    rule.refresh_from_db()
    assert svc._snapshot(rule) == before
    assert not AuditEvent.objects.filter(object_type="warning_rule").exists()


def test_only_the_city_manages_rules(people, rules):
    for who in ("clerk", "leader"):
        with pytest.raises(PermissionDenied):
            svc.rule_update(actor=people[who], rule=rules["not_started_90"], threshold="100")
        with pytest.raises(PermissionDenied):
            svc.rule_override_create(actor=people[who], rule=rules["not_started_90"], scope="429921")
    assert access_rule(people["leader"], rules["not_started_90"].pk) == rules["not_started_90"]  # everyone may read them


def test_override_a_rule_for_a_county(people, rules):
    base = rules["payment_behind"]
    override = svc.rule_override_create(actor=people["city"], rule=base, scope="429921")
    assert (override.code, override.scope, override.measure, override.threshold, override.params) == (
        base.code, "429921", base.measure, base.threshold, base.params)
    event = AuditEvent.objects.get(action="projects.warning_rule.override_created")
    assert event.after["copied_from"] == base.pk and event.division_code == "429921000000"
    with pytest.raises(Conflict) as exc:
        svc.rule_override_create(actor=people["city"], rule=base, scope="429921")
    assert exc.value.message == str(svc.MSG_OVERRIDE_EXISTS % {"code": "payment_behind"})
    assert "429921" not in {d.prefix for d in override_counties(people["city"], base)}
    assert {d.prefix for d in override_counties(people["city"], base)} >= {"429922", "429902"}
    svc.rule_update(actor=people["city"], rule=override, targets={"6": "0.4", "12": "0.8"})
    override.refresh_from_db()
    assert override.params["targets"] == {"6": "0.4", "12": "0.8"}
    base.refresh_from_db()
    assert base.params["targets"] == PAYMENT_TARGETS


@pytest.mark.parametrize(("scope", "message"), [
    ("4299213", svc.MSG_OVERRIDE_SCOPE), ("", svc.MSG_OVERRIDE_SCOPE), ("42x921", svc.MSG_OVERRIDE_SCOPE),
    ("429999", svc.MSG_OVERRIDE_UNKNOWN % {"code": "429999"}), ("429821", svc.MSG_OVERRIDE_ENTRY),
])
def test_override_scope_checks(people, rules, scope, message):
    with pytest.raises(ValidationFailed) as exc:
        svc.rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope=scope)
    assert exc.value.message == str(message)
    assert WarningRule.objects.count() == 11


def test_an_override_must_be_narrower_than_its_source(people, rules):
    county = svc.rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope="429921")
    with pytest.raises(ValidationFailed):
        svc.rule_override_create(actor=people["city"], rule=county, scope="429922")  # not under the source's scope
    with pytest.raises(ValidationFailed):
        svc.rule_override_create(actor=people["city"], rule=county, scope="4299")


def test_delete_an_override_keeps_its_history_under_the_city_rule(people, rules):
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    override = svc.rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope="429921")
    svc.warnings_evaluate(today=dt.date(2026, 7, 10))
    w = Warning.objects.get(project=p, rule=override)
    message = Message.objects.filter(source=f"projects.warning:{w.pk}").first()
    svc.rule_delete(actor=people["city"], rule=override)
    assert not WarningRule.objects.filter(pk=override.pk).exists()
    w.refresh_from_db()
    assert w.rule == rules["not_started_90"] and w.cleared_at is not None
    if message:
        message.refresh_from_db()
        assert message.resolved_at is not None
    event = AuditEvent.objects.get(action="projects.warning_rule.deleted")
    assert event.after == {"cleared": 1, "history_to": rules["not_started_90"].pk, "history": 1} and event.before["scope"] == "429921"
    svc.warnings_evaluate(today=dt.date(2026, 7, 10))  # the city rule applies again
    assert Warning.objects.filter(project=p, rule=rules["not_started_90"], cleared_at__isnull=True).count() == 1


def test_rules_for_all_divisions_cannot_be_deleted(people, rules):
    with pytest.raises(Conflict) as exc:
        svc.rule_delete(actor=people["city"], rule=rules["not_started_90"])
    assert exc.value.message == str(svc.MSG_DELETE_BASE)


def test_rules_of_another_city_are_invisible_and_closed(people, rules):
    theirs = svc.rule_override_create(actor=people["foreign"], rule=rules["not_started_90"], scope="429821")
    assert theirs not in rule_list(actor=people["city"]) and theirs in rule_list(actor=people["foreign"])
    with pytest.raises(NotFound):
        access_rule(people["city"], theirs.pk)
    with pytest.raises(NotFound):
        access_rule(people["city"], "x")
    mine = svc.rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope="429921")
    assert access_rule(people["clerk"], mine.pk) == mine  # a county sees its own setting
    with pytest.raises(PermissionDenied) as exc:  # the service itself refuses a rule outside the entry scope
        svc.rule_update(actor=people["foreign"], rule=mine, threshold="10")
    assert exc.value.message == str(svc.MSG_RULE_OUT_OF_ENTRY)
