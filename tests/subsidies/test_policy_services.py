"""Policy versions: drafts and their validation, publishing as core.PolicyVersion rows, conflicts, revoking, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent, PolicyVersion
from anju.core.policy import PolicyTable, policy_value
from anju.subsidies.models import Batch, SubsidyPolicy
from anju.subsidies.selectors_policy import access_policy, policy_effective, policy_list
from anju.subsidies.services import policy as svc

from .factories import actors, make_batch

D = dt.date


@pytest.fixture
def people(make_user):
    return actors(make_user)


def draft(actor, **kw) -> SubsidyPolicy:
    data = {"title": "白云县提标", "scope": "429921", "effective_from": D(2027, 1, 1), "standard_yuan": Decimal("720")} | kw
    return svc.subsidy_policy_create(actor=actor, **data)


def national() -> SubsidyPolicy:
    return SubsidyPolicy.objects.get(scope="", effective_from=D(2006, 7, 1))


def fields_of(exc) -> dict:
    return exc.value.detail["fields"]


def test_create_a_draft_and_audit_it(tree, people):
    p = draft(people["city_clerk"], doc_number="白政发〔2026〕3号", frequency="quarterly", direct_modes=["project", "direct", "direct"])
    assert (p.state, p.scope, p.standard_yuan, p.frequency, p.direct_modes) == ("draft", "429921", Decimal("720.00"), "quarterly",
                                                                                 ["direct", "project"])
    assert p.period_years is None and p.removal_effective == "" and p.created_by == people["city_clerk"]
    event = AuditEvent.objects.get(action="subsidies.policy.created")
    assert (event.object_id, event.division_code) == (str(p.pk), "429921000000")
    assert event.after["values"] == {"reservoir.standard_yuan": "720.00", "subsidies.frequency": "quarterly",
                                     "subsidies.direct_modes": ["direct", "project"]}
    assert not PolicyVersion.objects.filter(scope="429921").exists()  # a draft changes nothing


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"standard_yuan": Decimal("0")}, "standard_yuan", svc.MSG_STANDARD),
    ({"standard_yuan": Decimal("100000.01")}, "standard_yuan", svc.MSG_STANDARD),
    ({"standard_yuan": "12.345"}, "standard_yuan", svc.MSG_STANDARD),
    ({"standard_yuan": "abc"}, "standard_yuan", svc.MSG_STANDARD),
    ({"period_years": 0}, "period_years", svc.MSG_YEARS % {"field": "原迁人口扶持年限"}),
    ({"period_years_current": 51}, "period_years_current", svc.MSG_YEARS % {"field": "现状人口扶持年限"}),
    ({"period_years": "2x"}, "period_years", svc.MSG_YEARS % {"field": "原迁人口扶持年限"}),
    ({"frequency": "monthly"}, "frequency", svc.MSG_FREQUENCY),
    ({"removal_effective": "never"}, "removal_effective", svc.MSG_REMOVAL),
    ({"direct_modes": ["direct", "cash"]}, "direct_modes", svc.MSG_DIRECT_MODES % {"modes": "direct（直补）、project（项目扶持）"}),
    ({"cutoff_date": D(2027, 6, 30)}, "cutoff_date", svc.MSG_CUTOFF_RANGE % {"date": "2027-01-01"}),
    ({"cutoff_date": D(1900, 1, 1)}, "cutoff_date", svc.MSG_CUTOFF_RANGE % {"date": "2027-01-01"}),
    ({"cutoff_date": "2026-02-30"}, "cutoff_date", svc.MSG_DATE % {"field": "现状人口截止日"}),
    ({"period_start_current": D(2006, 6, 1)}, "period_start_current", svc.MSG_START_BEFORE_CUTOFF % {"date": "2006-06-30"}),
    ({"cutoff_date": D(2010, 1, 1), "period_start_current": D(2009, 1, 1)}, "period_start_current",
     svc.MSG_START_BEFORE_CUTOFF % {"date": "2010-01-01"}),
    ({"period_start_current": D(2200, 1, 1)}, "period_start_current", svc.MSG_START_RANGE),
    ({"effective_from": D(2005, 12, 31)}, "effective_from", svc.MSG_EFFECTIVE_RANGE % {"first": "2006-01-01", "last": f"{dt.date.today().year + 10}-12-31"}),
    ({"effective_from": None}, "effective_from", svc.MSG_REQUIRED % {"field": "生效日期"}),
    ({"title": "  "}, "title", svc.MSG_REQUIRED % {"field": "名称"}),
    ({"title": "长" * 201}, "title", svc.MSG_TITLE_LENGTH),
    ({"scope": "42992"}, "scope", svc.MSG_SCOPE_FORMAT),
    ({"scope": "429999"}, "scope", svc.MSG_SCOPE_UNKNOWN % {"code": "429999"}),
    ({"scope": "429921101"}, "scope", svc.MSG_SCOPE_LEVEL),
    ({"scope": "429821"}, "scope", svc.MSG_SCOPE_ENTRY),
    ({"scope": "42"}, "scope", svc.MSG_SCOPE_ENTRY),
    ({"scope": ""}, "scope", svc.MSG_SCOPE_NATIONAL),
])
def test_validation_names_the_field(tree, other_city, people, values, field, message):
    with pytest.raises(ValidationFailed) as exc:
        draft(people["city_clerk"], **values)
    assert exc.value.detail["field"] == field and fields_of(exc)[field] == str(message)
    assert exc.value.message == str(message)
    assert not SubsidyPolicy.objects.filter(state="draft").exists()


def test_every_bad_field_is_reported_and_a_version_needs_a_value(tree, people):
    with pytest.raises(ValidationFailed) as exc:
        draft(people["city_clerk"], standard_yuan=-1, period_years=99, frequency="x")
    assert set(fields_of(exc)) == {"standard_yuan", "period_years", "frequency"}
    with pytest.raises(ValidationFailed) as exc:
        draft(people["city_clerk"], standard_yuan=None, direct_modes=[])
    assert exc.value.message == str(svc.MSG_NO_VALUES) and exc.value.detail["field"] is None


def test_permissions_and_entry_scope(tree, people):
    with pytest.raises(PermissionDenied):
        draft(people["clerk"])  # 县级经办 has no SUBSIDY_POLICY
    p = draft(people["city_clerk"])
    with pytest.raises(PermissionDenied):
        svc.subsidy_policy_publish(actor=people["city_clerk"], policy=p)  # 市级经办 drafts, 市级管理员 publishes
    with pytest.raises(PermissionDenied) as exc:
        svc.subsidy_policy_update(actor=people["city_clerk"], policy=national(), title="改")
    assert exc.value.code == "policy_out_of_entry"
    with pytest.raises(PermissionDenied):
        svc.subsidy_policy_revoke(actor=people["city"], policy=national(), reason="试")


def test_update_only_drafts(tree, people):
    p = draft(people["city_clerk"])
    p = svc.subsidy_policy_update(actor=people["city_clerk"], policy=p, standard_yuan=None, period_years=25, title="白云县延期")
    assert (p.standard_yuan, p.period_years, p.title) == (None, 25, "白云县延期")
    event = AuditEvent.objects.get(action="subsidies.policy.updated")
    assert event.before["title"] == "白云县提标" and event.after["values"] == {"reservoir.period_years": 25}
    svc.subsidy_policy_update(actor=people["city_clerk"], policy=p, period_years=25)  # nothing changes: no event
    assert AuditEvent.objects.filter(action="subsidies.policy.updated").count() == 1
    with pytest.raises(ValidationFailed):
        svc.subsidy_policy_update(actor=people["city_clerk"], policy=p, period_years=None)  # no value left
    svc.subsidy_policy_publish(actor=people["city"], policy=p)
    with pytest.raises(Conflict) as exc:
        svc.subsidy_policy_update(actor=people["city_clerk"], policy=p, period_years=30)
    assert exc.value.message == str(svc.MSG_NOT_DRAFT)


def test_publish_writes_one_policy_version_per_value(tree, people):
    p = draft(people["city_clerk"], doc_number="白政发〔2026〕3号", cutoff_date=D(2006, 6, 30), period_years_current=25,
              direct_modes=["direct"])
    p = svc.subsidy_policy_publish(actor=people["city"], policy=p)
    assert (p.state, p.published_by) == ("published", people["city"]) and p.published_at
    rows = {pv.key: pv for pv in PolicyVersion.objects.filter(scope="429921")}
    assert {k: pv.value for k, pv in rows.items()} == {
        "reservoir.standard_yuan": "720.00", "reservoir.cutoff_date": "2006-06-30", "reservoir.period_years_current": 25,
        "subsidies.direct_modes": ["direct"]}
    assert all(pv.effective_from == D(2027, 1, 1) and pv.note == "白云县提标 白政发〔2026〕3号" and pv.created_by == people["city"]
               for pv in rows.values())
    event = AuditEvent.objects.get(action="subsidies.policy.published")
    assert event.after["values"]["reservoir.standard_yuan"] == "720.00" and event.before == {"state": "draft"}
    with pytest.raises(Conflict) as exc:
        svc.subsidy_policy_publish(actor=people["city"], policy=p)
    assert exc.value.message == str(svc.MSG_PUBLISH_STATE)


def test_policy_value_follows_a_county_version(tree, people):
    p = draft(people["city_clerk"], effective_from=D(2026, 1, 1))
    svc.subsidy_policy_publish(actor=people["city"], policy=p)
    assert policy_value("reservoir.standard_yuan", on=D(2026, 3, 1), division_code="429921101001") == "720.00"
    assert policy_value("reservoir.standard_yuan", on=D(2025, 12, 31), division_code="429921101001") == 600  # before: the national one
    assert policy_value("reservoir.standard_yuan", on=D(2026, 3, 1), division_code="429922000000") == 600  # another county
    assert policy_value("reservoir.period_years", on=D(2026, 3, 1), division_code="429921000000") == 20  # inherited


def test_a_successor_extends_the_current_population_period(tree, people):
    city = svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                     period_years_current=25)
    svc.subsidy_policy_publish(actor=people["city"], policy=city)
    key = "reservoir.period_years_current"
    assert policy_value(key, on=D(2026, 6, 30), division_code="429921000000") == 20
    assert policy_value(key, on=D(2026, 7, 1), division_code="429921000000") == 25
    table = PolicyTable([key])
    assert table.value(key, on=D(2026, 7, 1), division_code="429925000000") == 25
    assert policy_value(key, on=D(2026, 7, 1), division_code="429821000000") == 20  # another city


def test_publish_refuses_existing_rows_and_lists_the_keys(tree, people):
    PolicyVersion.objects.create(key="reservoir.standard_yuan", scope="429921", effective_from=D(2027, 1, 1), value="700.00")
    p = draft(people["city_clerk"], period_years=30)
    with pytest.raises(Conflict) as exc:
        svc.subsidy_policy_publish(actor=people["city"], policy=p)
    assert exc.value.code == "policy_version_exists" and exc.value.detail == {"keys": ["reservoir.standard_yuan"]}
    assert exc.value.message == str(svc.MSG_PUBLISH_EXISTS % {"keys": "reservoir.standard_yuan"})
    assert not PolicyVersion.objects.filter(key="reservoir.period_years", scope="429921").exists()  # nothing half-written
    assert SubsidyPolicy.objects.get(pk=p.pk).state == "draft"


def test_revoke_deletes_exactly_its_rows(tree, people):
    p = draft(people["city_clerk"], effective_from=D(2026, 1, 1))
    other = PolicyVersion.objects.create(key="reservoir.period_years", scope="429921", effective_from=D(2026, 1, 1), value=30)
    svc.subsidy_policy_publish(actor=people["city"], policy=p)
    with pytest.raises(ValidationFailed) as exc:
        svc.subsidy_policy_revoke(actor=people["city"], policy=p, reason=" ")
    assert exc.value.message == str(svc.MSG_REASON_REQUIRED)
    p = svc.subsidy_policy_revoke(actor=people["city"], policy=p, reason="文件废止")
    assert (p.state, p.revoke_reason, p.revoked_by) == ("revoked", "文件废止", people["city"])
    assert list(PolicyVersion.objects.filter(scope="429921")) == [other]
    assert policy_value("reservoir.standard_yuan", on=D(2026, 3, 1), division_code="429921000000") == 600
    event = AuditEvent.objects.get(action="subsidies.policy.revoked")
    assert event.after == {"state": "revoked", "reason": "文件废止", "deleted": 1}
    with pytest.raises(Conflict) as exc:
        svc.subsidy_policy_revoke(actor=people["city"], policy=p, reason="again")
    assert exc.value.message == str(svc.MSG_REVOKE_STATE)


def test_revoke_refused_once_a_batch_left_draft(tree, people):
    p = draft(people["city_clerk"], effective_from=D(2026, 1, 1))
    svc.subsidy_policy_publish(actor=people["city"], policy=p)
    make_batch(year=2025, state=Batch.State.APPROVED)  # an earlier year: not under this version
    make_batch(year=2026, state=Batch.State.DRAFT)
    make_batch(county="429922000000", year=2026, state=Batch.State.EXPORTED)  # another county
    assert svc.revoke_blockers(p) == []
    blocker = make_batch(year=2026, quarter=1, state=Batch.State.REVIEWED)
    with pytest.raises(Conflict) as exc:
        svc.subsidy_policy_revoke(actor=people["city"], policy=p, reason="废止")
    assert exc.value.code == "policy_in_use" and exc.value.detail == {"batches": [blocker.number]}
    assert SubsidyPolicy.objects.get(pk=p.pk).state == "published" and PolicyVersion.objects.filter(scope="429921").exists()


def test_national_scope_only_for_a_province_level_actor(tree, people):
    from anju.accounts.models import User

    admin = people["city"]
    User.objects.filter(pk=admin.pk).update(entry_scope_id="420000000000", view_scope_id="420000000000")
    admin = User.objects.get(pk=admin.pk)
    copy = svc.subsidy_policy_copy(actor=admin, policy=national(), title="国家政策延续", effective_from=D(2026, 7, 1))
    assert copy.scope == ""
    with pytest.raises(Conflict):  # the seeded national document already wrote 2006-07-01 rows
        svc.subsidy_policy_publish(actor=admin, policy=svc.subsidy_policy_copy(actor=admin, policy=national(), title="重复"))
    svc.subsidy_policy_update(actor=admin, policy=copy, standard_yuan=None, frequency="", cutoff_date=None, period_start_current=None,
                              period_years=None, removal_effective="", direct_modes=None)
    svc.subsidy_policy_publish(actor=admin, policy=copy)
    assert policy_value("reservoir.period_years_current", on=D(2026, 8, 1), division_code="429921000000") == 20
    assert PolicyVersion.objects.filter(scope="", effective_from=D(2026, 7, 1)).count() == 1


def test_copy_into_the_actors_scope(tree, people):
    copy = svc.subsidy_policy_copy(actor=people["city_clerk"], policy=national())
    assert (copy.scope, copy.state, copy.title, copy.doc_number) == ("4299", "draft", "国家政策（国发〔2006〕17号）（副本）", "")
    assert (copy.standard_yuan, copy.period_years, copy.direct_modes) == (Decimal("600.00"), 20, ["direct"])
    assert AuditEvent.objects.get(action="subsidies.policy.created", object_id=str(copy.pk)).after["copied_from"] == national().pk
    again = svc.subsidy_policy_copy(actor=people["city_clerk"], policy=copy, scope="429922", effective_from="2027-01-01")
    assert (again.scope, again.effective_from) == ("429922", D(2027, 1, 1))


def test_reads_are_scoped(tree, other_city, people, make_user):
    mine = draft(people["city_clerk"])
    city = svc.subsidy_policy_create(actor=people["city_clerk"], title="市级", scope="4299", effective_from=D(2027, 1, 1), period_years=22)
    foreign_clerk = make_user("city_clerk", "4298", username="foreign_city_clerk")
    theirs = svc.subsidy_policy_create(actor=foreign_clerk, title="外市", scope="4298", effective_from=D(2027, 1, 1), period_years=22)
    assert set(policy_list(actor=people["clerk"])) == {national(), mine}  # a county sees its own and the published wider ones
    assert set(policy_list(actor=people["city_clerk"])) == {national(), mine, city}
    assert set(policy_list(actor=foreign_clerk)) == {national(), theirs}
    assert access_policy(people["clerk"], mine.pk) == mine
    for actor, pk in ((people["clerk"], city.pk), (people["city_clerk"], theirs.pk), (people["city_clerk"], "x"), (people["city"], 10**9)):
        with pytest.raises(NotFound):
            access_policy(actor, pk)
    svc.subsidy_policy_publish(actor=people["city"], policy=city)
    assert access_policy(people["clerk"], city.pk) == city  # published: it applies to the county too


def test_effective_values_name_their_source(tree, people):
    city = svc.subsidy_policy_create(actor=people["city_clerk"], title="清江市后续扶持", scope="4299", effective_from=D(2026, 7, 1),
                                     period_years_current=25)
    svc.subsidy_policy_publish(actor=people["city"], policy=city)
    county = draft(people["city_clerk"], effective_from=D(2027, 1, 1))
    rows = {r.field: r for r in policy_effective(actor=people["clerk"], county="429921", on=D(2026, 8, 1), draft=county)}
    assert (rows["period_years_current"].value, rows["period_years_current"].source_id, rows["period_years_current"].scope_name) == (
        25, city.pk, "清江市")
    assert (rows["standard_yuan"].text, rows["standard_yuan"].source_id, rows["standard_yuan"].scope_name) == (
        "600.00 元/人·年", national().pk, "全国")
    assert rows["standard_yuan"].draft_text == "720.00 元/人·年" and rows["period_years"].draft_text == ""
    early = {r.field: r for r in policy_effective(actor=people["clerk"], county="429921000000", on=D(2026, 6, 30))}
    assert early["period_years_current"].value == 20 and early["period_years_current"].effective_from == D(2006, 7, 1)
    with pytest.raises(ValidationFailed):
        policy_effective(actor=people["clerk"], county="429922", on=D(2026, 1, 1))  # outside the county clerk's scope
