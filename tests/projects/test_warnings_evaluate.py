"""The early-warning engine: each default rule firing and clearing on dates relative to a fixed `today`, the payment
checkpoints, county overrides, inactive rules, notifications to the owner or the county clerks, messages resolved on
clearing, idempotent reruns, scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.housekeeping import DAILY
from anju.core.models import AuditEvent, Message, PolicyVersion
from anju.projects.models import Acceptance, Inspection, Rectification, Stage, Warning, WarningRule
from anju.projects.seeds import projects_seed_load
from anju.projects.selectors_warnings import warning_list
from anju.projects.services.warnings import checkpoint, payment_targets, rule_override_create, rule_update, warnings_evaluate

from .factories import OTHER_VILLAGE, VILLAGE, make_allocation, make_payment, make_progress, make_project

TODAY = dt.date(2026, 7, 10)
OTHER_COUNTY_VILLAGE = "429922101201"  # 青山县, same city


@pytest.fixture
def rules(db):
    projects_seed_load()
    return {r.code: r for r in WarningRule.objects.filter(scope="")}


@pytest.fixture
def people(make_user, rules):
    return {"city": make_user("city_clerk", "4299", username="w_city"), "clerk": make_user("county_clerk", "429921", username="w_clerk1"),
            "clerk2": make_user("county_clerk", "429921", username="w_clerk2"), "other_clerk": make_user("county_clerk", "429922", username="w_clerk3"),
            "owner": make_user("county_clerk", "429921", username="w_owner"), "leader": make_user("leader", "4299", username="w_leader")}


def open_codes(project) -> set[str]:
    return set(Warning.objects.filter(project=project, cleared_at__isnull=True).values_list("rule__code", flat=True))


def only(project, *codes) -> set[str]:
    """The project's open warnings among `codes` (other rules may hold on the same project)."""
    return open_codes(project) & set(codes)


def evaluate(today=TODAY, **kw) -> dict:
    return warnings_evaluate(today=today, **kw)


# --- each default rule ---------------------------------------------------------------------------------------------

def test_not_started_90_then_180_days_after_the_first_allocation(people):
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    make_allocation(p, 500_000, doc_date=dt.date(2026, 6, 1))  # the first allocation counts
    make_allocation(p, 500_000, doc_date=dt.date(2026, 8, 1))  # not yet allocated on TODAY
    evaluate(dt.date(2026, 5, 30))  # 90 days: not more than 90
    assert only(p, "not_started_90", "not_started_180") == set()
    evaluate()  # 131 days
    assert only(p, "not_started_90", "not_started_180") == {"not_started_90"}
    w = Warning.objects.get(project=p, rule__code="not_started_90", cleared_at__isnull=True)
    assert (w.level, w.value, w.division_code) == ("yellow", Decimal("131.0000"), VILLAGE)
    assert w.message == "资金下达90天未开工：资金于 2026年3月1日 首次下达，已 131 天未开工"
    evaluate(dt.date(2026, 8, 29))  # 181 days: red as well; the list shows red only
    assert only(p, "not_started_90", "not_started_180") == {"not_started_90", "not_started_180"}
    shown = warning_list(actor=people["city"], rule="", q=p.code)
    assert [w.rule.code for w in shown if w.rule.measure == "days_not_started"] == ["not_started_180"]

    p.actual_start = dt.date(2026, 8, 20)
    p.stage = Stage.IMPLEMENTING
    p.save()
    evaluate(dt.date(2026, 8, 29))
    assert only(p, "not_started_90", "not_started_180") == set()
    history = Warning.objects.filter(project=p, rule__measure="days_not_started")
    assert history.count() == 2 and all(w.cleared_at for w in history)


def test_not_started_ignores_projects_before_approval_and_archived_ones(people):
    reserve = make_project(stage=Stage.RESERVE)
    archived = make_project(stage=Stage.ARCHIVED)
    future_start = make_project(actual_start=dt.date(2026, 9, 1))  # recorded as starting later: not started on TODAY
    for p in (reserve, archived, future_start):
        make_allocation(p, 1_000_000, doc_date=dt.date(2026, 1, 2))
    evaluate()
    assert open_codes(reserve) == set() and open_codes(archived) == set()
    assert only(future_start, "not_started_90", "not_started_180") == {"not_started_90", "not_started_180"}


def test_payment_checkpoints(people):
    """Targets 20% by March, 50% by June, 75% by September, 90% by December; red when 20 points or more behind."""
    p = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 2, 10))
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 2, 1))
    make_payment(p, 100_000, paid_on=dt.date(2026, 3, 15))  # 10%
    codes = ("payment_behind", "payment_far_behind")

    evaluate(dt.date(2026, 3, 30))  # before the first checkpoint month has ended: nothing
    assert only(p, *codes) == set()
    evaluate(dt.date(2026, 3, 31))  # March ended: 10% against 20%
    assert only(p, *codes) == {"payment_behind"}
    assert Warning.objects.get(project=p, rule__code="payment_behind", cleared_at__isnull=True).value == Decimal("0.1000")

    make_payment(p, 300_000, paid_on=dt.date(2026, 5, 1))  # 40% after June: 10 points behind 50%: yellow
    evaluate()
    assert only(p, *codes) == {"payment_behind"}
    w = Warning.objects.get(project=p, rule__code="payment_behind", cleared_at__isnull=True)
    assert w.value == Decimal("0.1000")
    assert "资金支付率 40.0%" in w.message and "6 月末序时进度目标 50.0%" in w.message and "相差 10.0 个百分点" in w.message
    assert "已支付 4,000.00 元" in w.message and "已下达 10,000.00 元" in w.message

    Warning.objects.all().delete()
    Message.objects.all().delete()
    q = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 2, 10))
    make_allocation(q, 1_000_000, doc_date=dt.date(2026, 2, 1))
    make_payment(q, 250_000, paid_on=dt.date(2026, 5, 1))  # 25%: below 30%, red too
    r = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 2, 10))
    make_allocation(r, 1_000_000, doc_date=dt.date(2026, 2, 1))
    make_payment(r, 300_000, paid_on=dt.date(2026, 5, 1))  # exactly 30%: 20 points behind is not more than 20
    evaluate()
    assert only(q, *codes) == {"payment_behind", "payment_far_behind"}
    assert only(r, *codes) == {"payment_behind"}
    make_payment(q, 250_000, paid_on=dt.date(2026, 7, 1))  # 50%: on target
    make_payment(r, 300_000, paid_on=dt.date(2026, 7, 15))  # paid after TODAY: not counted yet
    evaluate()
    assert only(q, *codes) == set() and only(r, *codes) == {"payment_behind"}
    # a new year before its first checkpoint: last year's payment warnings clear
    evaluate(dt.date(2027, 1, 15))
    assert only(r, *codes) == set()


def test_payment_targets_and_checkpoint_helpers():
    targets = payment_targets({"targets": {"3": "0.20", "6": "0.5", "13": "0.9", "x": "1", "9": "1.5"}})
    assert set(targets) == {3, 6}
    assert checkpoint(targets, dt.date(2026, 6, 29)) == 3 and checkpoint(targets, dt.date(2026, 6, 30)) == 6
    assert checkpoint(targets, dt.date(2026, 2, 28)) is None
    assert payment_targets({}) == {} and payment_targets({"targets": "x"}) == {}


def test_no_progress_report_after_the_deadline_day(people):
    p = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 3, 1))
    started_this_month = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 7, 2))
    approved_started = make_project(stage=Stage.APPROVED, actual_start=dt.date(2026, 5, 1))
    approved_not_started = make_project(stage=Stage.APPROVED)
    make_progress(p, dt.date(2026, 5, 1))
    evaluate(dt.date(2026, 7, 5))  # the 5th: June may still be reported
    assert only(p, "no_progress_report") == set()
    evaluate(dt.date(2026, 7, 6))
    assert only(p, "no_progress_report") == {"no_progress_report"}
    assert only(approved_started, "no_progress_report") == {"no_progress_report"}
    assert only(started_this_month, "no_progress_report") == set() and only(approved_not_started, "no_progress_report") == set()
    w = Warning.objects.get(project=p, rule__code="no_progress_report", cleared_at__isnull=True)
    assert w.value == Decimal("1.0000") and "2026年6月 的月度进度未在 2026年7月5日 前报送" in w.message
    make_progress(p, dt.date(2026, 6, 1))
    evaluate(dt.date(2026, 7, 6))
    assert only(p, "no_progress_report") == set()


def test_no_progress_report_uses_the_county_deadline_day(people):
    PolicyVersion.objects.create(key="projects.progress_deadline_day", scope="429921", effective_from=dt.date(2021, 1, 1), value=10)
    here = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 3, 1))
    there = make_project(division_code=OTHER_COUNTY_VILLAGE, stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 3, 1))
    evaluate(dt.date(2026, 7, 8))
    assert only(here, "no_progress_report") == set() and only(there, "no_progress_report") == {"no_progress_report"}
    evaluate(dt.date(2026, 7, 11))
    assert only(here, "no_progress_report") == {"no_progress_report"}


def test_completion_overdue_yellow_then_red(people):
    p = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 1, 10), planned_completion=dt.date(2026, 5, 1))
    on_time = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 1, 10), planned_completion=dt.date(2026, 12, 31))
    codes = ("completion_overdue", "completion_overdue_90")
    evaluate(dt.date(2026, 5, 1))
    assert only(p, *codes) == set()
    evaluate()  # 70 days
    assert only(p, *codes) == {"completion_overdue"} and only(on_time, *codes) == set()
    evaluate(dt.date(2026, 8, 15))  # 106 days
    assert only(p, *codes) == {"completion_overdue", "completion_overdue_90"}
    assert Warning.objects.get(project=p, rule__code="completion_overdue_90", cleared_at__isnull=True).message.endswith("已超期 106 天未完工")
    p.actual_completion, p.stage = dt.date(2026, 8, 10), Stage.COMPLETED
    p.save()
    evaluate(dt.date(2026, 8, 15))
    assert only(p, *codes) == set()


def test_not_accepted_after_90_days_and_a_failed_acceptance_does_not_count(people):
    p = make_project(stage=Stage.COMPLETED, actual_start=dt.date(2025, 6, 1), actual_completion=dt.date(2026, 3, 1))
    codes = ("not_accepted_90", "not_accepted_180")
    evaluate()  # 131 days
    assert only(p, *codes) == {"not_accepted_90"}
    Acceptance.objects.create(project=p, division_code=p.division_code, on=dt.date(2026, 7, 1), conclusion=Acceptance.Conclusion.FAILED)
    evaluate(dt.date(2026, 9, 1))  # 184 days
    assert only(p, *codes) == {"not_accepted_90", "not_accepted_180"}
    Acceptance.objects.create(project=p, division_code=p.division_code, on=dt.date(2026, 9, 1), conclusion=Acceptance.Conclusion.CONDITIONAL)
    evaluate(dt.date(2026, 9, 1))
    assert only(p, *codes) == set()


def test_rectification_overdue(people):
    p = make_project(stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 1, 10))
    inspection = Inspection.objects.create(project=p, division_code=p.division_code, kind="quality", on=dt.date(2026, 5, 1), inspectors="李四")
    late = Rectification.objects.create(project=p, division_code=p.division_code, source="inspection", inspection=inspection, finding="护栏缺失",
                                        owner="王五", deadline=dt.date(2026, 6, 1))
    Rectification.objects.create(project=p, division_code=p.division_code, source="inspection", inspection=inspection, finding="标牌",
                                 owner="王五", deadline=dt.date(2026, 7, 1))
    codes = ("rectification_overdue", "rectification_overdue_30")
    evaluate(dt.date(2026, 6, 1))
    assert only(p, *codes) == set()
    evaluate(dt.date(2026, 6, 20))
    assert only(p, *codes) == {"rectification_overdue"}
    evaluate()  # the earliest deadline passed 39 days ago
    assert only(p, *codes) == {"rectification_overdue", "rectification_overdue_30"}
    w = Warning.objects.get(project=p, rule__code="rectification_overdue_30", cleared_at__isnull=True)
    assert "未完成整改 2 项，最早的整改期限 2026年6月1日，已逾期 39 天" in w.message
    late.state = Rectification.State.CLOSED
    late.save()
    evaluate()  # the other one is 9 days late: yellow only
    assert only(p, *codes) == {"rectification_overdue"}
    Rectification.objects.filter(project=p).update(state=Rectification.State.CLOSED)
    evaluate()
    assert only(p, *codes) == set()


# --- rules: overrides and inactive rules ---------------------------------------------------------------------------

def test_a_county_override_replaces_the_city_rule(people, rules):
    here = make_project()
    there = make_project(division_code=OTHER_COUNTY_VILLAGE)
    for p in (here, there):
        make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))  # 131 days
    evaluate()
    assert only(here, "not_started_90") == {"not_started_90"} and only(there, "not_started_90") == {"not_started_90"}
    city_warning = Warning.objects.get(project=here, rule__code="not_started_90", cleared_at__isnull=True)

    override = rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope="429921")
    rule_update(actor=people["city"], rule=override, threshold="150", name="资金下达150天未开工")
    result = evaluate()
    assert result["raised"] == 0 and result["cleared"] == 1
    city_warning.refresh_from_db()
    assert city_warning.cleared_at is not None
    assert only(here, "not_started_90") == set() and only(there, "not_started_90") == {"not_started_90"}

    evaluate(dt.date(2026, 8, 1))  # 153 days: the county's own threshold is passed
    w = Warning.objects.get(project=here, rule__code="not_started_90", cleared_at__isnull=True)
    assert w.rule == override and w.message.startswith("资金下达150天未开工：")
    assert Warning.objects.get(project=there, rule__code="not_started_90", cleared_at__isnull=True).rule == rules["not_started_90"]


def test_a_narrower_override_wins_and_an_inactive_override_does_not_replace(people, rules):
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    county = rule_override_create(actor=people["city"], rule=rules["not_started_90"], scope="429921")
    rule_update(actor=people["city"], rule=county, threshold="200")
    township = rule_override_create(actor=people["city"], rule=county, scope="429921101")
    rule_update(actor=people["city"], rule=township, threshold="100")
    evaluate()
    assert Warning.objects.get(project=p, rule__code="not_started_90", cleared_at__isnull=True).rule == township
    rule_update(actor=people["city"], rule=township, active=False)  # the county's rule applies again: 131 < 200
    evaluate()
    assert only(p, "not_started_90") == set()


def test_an_inactive_rule_clears_its_warnings_and_resolves_their_messages(people, rules):
    p = make_project(owner=people["owner"])
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    w = Warning.objects.get(project=p, rule__code="not_started_90", cleared_at__isnull=True)
    message = Message.objects.get(source=f"projects.warning:{w.pk}")
    assert message.resolved_at is None
    rule_update(actor=people["city"], rule=rules["not_started_90"], active=False)
    result = evaluate()
    assert result["cleared"] >= 1
    w.refresh_from_db()
    message.refresh_from_db()
    assert w.cleared_at is not None and message.resolved_at == w.cleared_at
    evaluate()
    assert only(p, "not_started_90") == set()
    rule_update(actor=people["city"], rule=rules["not_started_90"], active=True)
    evaluate()
    assert Warning.objects.filter(project=p, rule__code="not_started_90").count() == 2  # a new one; history kept


# --- notifications -------------------------------------------------------------------------------------------------

def test_the_owner_is_notified_and_assigned(people):
    p = make_project(owner=people["owner"], name="河口村道路硬化")
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    w = Warning.objects.get(project=p, rule__code="not_started_90")
    assert w.assignee == people["owner"]
    m = Message.objects.get(source=f"projects.warning:{w.pk}")
    assert m.recipient == people["owner"] and (m.level, m.link, m.division_code) == ("yellow", f"/projects/{p.pk}/", VILLAGE)
    assert m.subject == "【黄色预警】河口村道路硬化：资金下达90天未开工"
    assert p.code in m.body and "已 131 天未开工" in m.body and m.read_at is None


def test_without_an_owner_the_county_clerks_are_notified_and_the_first_assigned(people, make_user):
    inactive = make_user("county_clerk", "429921", username="w_gone")
    inactive.is_active = False
    inactive.save()
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    w = Warning.objects.get(project=p, rule__code="not_started_90")
    county_clerks = [people["clerk"], people["clerk2"], people["owner"]]  # every active 县级经办 of 白云县, oldest first
    assert w.assignee == county_clerks[0]
    recipients = set(Message.objects.filter(source=f"projects.warning:{w.pk}").values_list("recipient__username", flat=True))
    assert recipients == {u.username for u in county_clerks}


def test_an_inactive_owner_falls_back_to_the_clerks(people):
    owner = people["owner"]
    owner.is_active = False
    owner.save()
    p = make_project(owner=owner)
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    w = Warning.objects.get(project=p, rule__code="not_started_90")
    assert w.assignee == people["clerk"]
    assert not Message.objects.filter(recipient=owner).exists()


# --- reruns, scope, audit ------------------------------------------------------------------------------------------

def test_rerunning_raises_nothing_new_and_updates_the_figures(people):
    p = make_project(owner=people["owner"])
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    first = evaluate()
    assert first["raised"] >= 1 and first["open"] == first["raised"]
    n_warnings, n_messages = Warning.objects.count(), Message.objects.count()
    again = evaluate()
    assert (again["raised"], again["cleared"], again["updated"]) == (0, 0, 0) and again["open"] == first["open"]
    later = evaluate(TODAY + dt.timedelta(days=1))
    assert later["raised"] == 0 and later["updated"] >= 1
    assert (Warning.objects.count(), Message.objects.count()) == (n_warnings, n_messages)
    w = Warning.objects.get(project=p, rule__code="not_started_90")
    assert w.value == Decimal("132.0000") and "已 132 天未开工" in w.message


def test_one_audit_event_per_run_with_the_counts(people):
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    result = evaluate()
    event = AuditEvent.objects.get(action="projects.warning.evaluated")
    assert event.actor is None and event.object_id == "all"
    assert {k: event.after[k] for k in ("raised", "cleared", "open", "updated")} == result
    assert event.after["today"] == "2026-07-10"
    evaluate(actor=people["city"])
    event = AuditEvent.objects.filter(action="projects.warning.evaluated").order_by("-id").first()
    assert event.actor == people["city"] and event.object_id == "4299" and event.division_code == "429900000000"


def test_evaluation_by_a_user_stays_in_the_entry_scope(people):
    here = make_project()
    there = make_project(division_code=OTHER_COUNTY_VILLAGE)
    for p in (here, there):
        make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    result = evaluate(actor=people["city"], division_prefix="429921")
    assert only(here, "not_started_90") == {"not_started_90"} and open_codes(there) == set()
    assert result["open"] == Warning.objects.filter(division_code__startswith="429921", cleared_at__isnull=True).count()
    with pytest.raises(NotFound):
        evaluate(actor=people["city"], division_prefix="4298")
    with pytest.raises(PermissionDenied):
        evaluate(actor=people["clerk"])
    with pytest.raises(PermissionDenied):
        evaluate(actor=people["leader"])
    with pytest.raises(ValidationFailed):
        evaluate(actor=people["city"], division_prefix="42x")
    assert AuditEvent.objects.filter(action="projects.warning.evaluated").count() == 1


def test_a_scoped_run_leaves_other_counties_warnings_alone(people):
    here = make_project()
    there = make_project(division_code=OTHER_COUNTY_VILLAGE)
    for p in (here, there):
        make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    there.actual_start, there.stage = dt.date(2026, 7, 1), Stage.IMPLEMENTING
    there.save()
    evaluate(division_prefix="429921")
    assert only(there, "not_started_90") == {"not_started_90"}  # not in this run's scope
    evaluate(division_prefix="429922")
    assert only(there, "not_started_90") == set()


def test_other_city_projects_are_evaluated_by_the_daily_round(people, other_city):
    p = make_project(division_code=OTHER_VILLAGE)
    make_allocation(p, 1_000_000, doc_date=dt.date(2026, 3, 1))
    evaluate()
    assert only(p, "not_started_90") == {"not_started_90"}
    assert "projects.warnings.evaluate" in DAILY


def test_the_daily_hook_evaluates_everything(people):
    p = make_project()
    make_allocation(p, 1_000_000, doc_date=dt.date(2025, 1, 1))  # long ago: red whatever today is
    result = DAILY["projects.warnings.evaluate"]()
    assert result["raised"] >= 2 and only(p, "not_started_180") == {"not_started_180"}


def test_many_projects_are_evaluated_set_based(people, django_assert_max_num_queries):
    projects = [make_project(stage=Stage.IMPLEMENTING if i % 2 else Stage.APPROVED, actual_start=dt.date(2026, 2, 1) if i % 2 else None,
                             planned_completion=dt.date(2026, 6, 1)) for i in range(40)]
    for p in projects:
        make_allocation(p, 1_000_000, doc_date=dt.date(2026, 1, 5))
    with django_assert_max_num_queries(40):
        result = evaluate()
    assert result["raised"] > 100
    with django_assert_max_num_queries(40):
        evaluate(dt.date(2026, 7, 11))
