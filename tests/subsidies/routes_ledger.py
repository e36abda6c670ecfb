"""Authorisation-walker routes of the subsidies' ledger area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

S = "/subsidies"
R = S + "/recoveries/{ledger_recovery_id}"
BL = S + "/batches/{ledger_batch_id}"
A = "/api/v1/subsidies"
AR = A + "/recoveries/{ledger_recovery_id}"

# Write-offs belong to the 县级审核 alone (no city-level role holds SUBSIDY_REVIEW): objects() adds such an actor, in scope of
# the sample recovery, as users["county_reviewer"] (unless another area already did). The sample recovery is 300 yuan;
# the walk repays 1 yuan twice and writes it off once (a second write-off answers 409). The sample batch is returned with
# no items: the first confirmation reconciles it, the next answers 409.
REVIEWER = "county_reviewer"
TODAY = "2025-01-02"

WEB: dict = {
    "subsidies_ledger:recoveries": Route(S + "/recoveries/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    "subsidies_ledger:recoveries_detect": Route(S + "/recoveries/detect/", "POST", Perm.RECOVERY_MANAGE, denied="city_admin",
                                                data={"scope": "4299"}),
    "subsidies_ledger:recovery": Route(R + "/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    "subsidies_ledger:recovery_repay": Route(R + "/repay/", "POST", Perm.RECOVERY_MANAGE, denied="finance", scoped=True,
                                             data={"amount": "1", "paid_on": TODAY, "method": "refund"}),
    "subsidies_ledger:recovery_waive": Route(R + "/waive/", "POST", Perm.SUBSIDY_REVIEW, allowed=REVIEWER, denied="city_clerk", scoped=True,
                                             data={"reason": "walker"}),
    "subsidies_ledger:ledger": Route(S + "/ledger/?q=走", perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    "subsidies_ledger:ledger_person": Route(S + "/ledger/{ledger_person_id}/", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    "subsidies_ledger:funds": Route(S + "/funds/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin"),
    "subsidies_ledger:funds_export": Route(S + "/funds/summary.xlsx?year=2020", perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    "subsidies_ledger:reports": Route(S + "/reports/?year=2020&scope=4299&format=docx", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    "subsidies_ledger:reconciliation": Route(BL + "/reconciliation/", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
    "subsidies_ledger:reconcile": Route(BL + "/reconciliation/confirm/", "POST", Perm.SUBSIDY_RUN, denied="city_admin", scoped=True),
    "subsidies_ledger:posting_xlsx": Route(BL + "/posting.xlsx", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    "subsidies_ledger:posting_pdf": Route(BL + "/posting.pdf", perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    "subsidies_ledger:batch_summary": Route(BL + "/summary.xlsx", perm=Perm.SUBSIDY_VIEW, denied="auditadmin", scoped=True),
}

API: dict = {
    f"GET {A}/recoveries": Route(A + "/recoveries", perm=Perm.SUBSIDY_VIEW, denied="sysadmin"),
    f"POST {A}/recoveries/detect": Route(A + "/recoveries/detect", perm=Perm.RECOVERY_MANAGE, denied="city_admin", data={"scope": "4299"}),
    f"GET {A}/recoveries/{{recovery_id}}": Route(AR, perm=Perm.SUBSIDY_VIEW, denied="secadmin", scoped=True),
    f"POST {A}/recoveries/{{recovery_id}}/repayments": Route(AR + "/repayments", perm=Perm.RECOVERY_MANAGE, denied="leader", scoped=True,
                                                            data={"amount": 100, "paid_on": TODAY, "method": "offset"}),
    f"POST {A}/recoveries/{{recovery_id}}/waive": Route(AR + "/waive", perm=Perm.SUBSIDY_REVIEW, allowed=REVIEWER, denied="city_clerk",
                                                       scoped=True, data={"reason": "walker"}),
    f"GET {A}/batches/{{batch_id}}/reconciliation": Route(A + "/batches/{ledger_batch_id}/reconciliation", perm=Perm.SUBSIDY_VIEW,
                                                          denied="auditadmin", scoped=True),
    f"POST {A}/batches/{{batch_id}}/reconciliation": Route(A + "/batches/{ledger_batch_id}/reconciliation", perm=Perm.SUBSIDY_RUN,
                                                           denied="auditor", scoped=True),
    f"GET {A}/ledger/{{person_id}}": Route(A + "/ledger/{ledger_person_id}", perm=Perm.SUBSIDY_VIEW, denied="sysadmin", scoped=True),
    f"GET {A}/funds": Route(A + "/funds?year=2020", perm=Perm.SUBSIDY_VIEW, denied="secadmin"),
    f"GET {A}/funds/export": Route(A + "/funds/export", perm=Perm.SUBSIDY_VIEW, denied="auditadmin"),
    f"GET {A}/reports/batches/{{batch_id}}/posting": Route(A + "/reports/batches/{ledger_batch_id}/posting?format=pdf", perm=Perm.SUBSIDY_VIEW,
                                                           denied="sysadmin", scoped=True),
    f"GET {A}/reports/batches/{{batch_id}}/summary": Route(A + "/reports/batches/{ledger_batch_id}/summary", perm=Perm.SUBSIDY_VIEW,
                                                           denied="secadmin", scoped=True),
    f"GET {A}/reports/annual": Route(A + "/reports/annual?year=2020&format=xlsx", perm=Perm.SUBSIDY_VIEW, denied="auditadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    import datetime as dt

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.divisions.models import Division
    from anju.registry.models import Enrolment
    from anju.subsidies.models import Batch, Item, Recovery
    from tests.conftest import DEMO_PASSWORD
    from tests.registry.factories import OTHER_VILLAGE, VILLAGE, make_household

    from .factories import make_batch, make_item

    if REVIEWER not in users:  # another area may have added the same actor
        county = Division.objects.get(code="429921000000")
        users[REVIEWER] = user_create(actor=None, username="w_county_reviewer", role=ROLES[REVIEWER], entry_scope=county, view_scope=county,
                                      password=DEMO_PASSWORD, must_change_password=False)

    def sample(county: str, village: str, number: str) -> dict:
        enrolment = Enrolment.objects.select_related("person").get(household=make_household(number, [("走" + number, "户主")], village=village))
        paid = make_batch(county=county, year=2020, kind=Batch.Kind.SUPPLEMENTARY, state=Batch.State.RECONCILED)
        item = make_item(paid, enrolment, state=Item.State.PAID)
        recovery = Recovery.objects.create(item=item, enrolment=enrolment, person=enrolment.person, division_code=village, name=item.name,
                                           id_masked=item.id_masked, year=2020, months=6, amount=30000, cause="death",
                                           effective_on=dt.date(2020, 7, 1))
        returned = make_batch(county=county, year=2020, kind=Batch.Kind.SUPPLEMENTARY, state=Batch.State.RETURNED)
        return {"ledger_recovery_id": recovery.pk, "ledger_batch_id": returned.pk, "ledger_person_id": enrolment.person_id}

    return sample("429921000000", VILLAGE, "WL01"), sample("429821000000", OTHER_VILLAGE, "WL02")
