"""Authorisation-walker routes of the registry's requests area (see tests/test_authz_walker.py)."""

from __future__ import annotations

from anju.accounts.roles import Perm
from tests.test_authz_walker import Route

R = "/registry/requests"
A = "/api/v1/registry/requests"

WEB: dict = {
    "registry_requests:list": Route(f"{R}/", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    "registry_requests:create": Route(f"{R}/new/?kind=remove", perm=Perm.REQUEST_SUBMIT, denied="city_admin"),
    "registry_requests:import": Route(f"{R}/import/", perm=Perm.REQUEST_SUBMIT, denied="city_admin"),
    "registry_requests:posting": Route(f"{R}/posting/", perm=Perm.REGISTRY_VIEW, denied="secadmin"),
    "registry_requests:posting_download": Route(f"{R}/posting/download/?format=xlsx", perm=Perm.REGISTRY_VIEW, denied="auditadmin"),
    "registry_requests:detail": Route(f"{R}/{{cr_draft}}/", perm=Perm.REGISTRY_VIEW, denied="sysadmin", scoped=True),
    "registry_requests:submit": Route(f"{R}/{{cr_draft}}/submit/", "POST", Perm.REQUEST_SUBMIT, denied="city_admin", scoped=True),
    "registry_requests:approve": Route(f"{R}/{{cr_pending}}/approve/", "POST", Perm.REQUEST_DECIDE, denied="sysadmin", scoped=True,
                                       data={"comment": "属实"}),
    "registry_requests:reject": Route(f"{R}/{{cr_pending}}/reject/", "POST", Perm.REQUEST_DECIDE, denied="auditadmin", scoped=True,
                                      data={"comment": "材料不全"}),
    "registry_requests:withdraw": Route(f"{R}/{{cr_draft}}/withdraw/", "POST", Perm.REQUEST_SUBMIT, denied="city_admin", scoped=True),
    "registry_requests:copy": Route(f"{R}/{{cr_draft}}/copy/", "POST", Perm.REQUEST_SUBMIT, denied="secadmin", scoped=True),
    "registry_requests:evidence_upload": Route(f"{R}/{{cr_draft}}/evidence/", "POST", Perm.REQUEST_SUBMIT, denied="sysadmin", scoped=True),
    "registry_requests:evidence_download": Route(f"{R}/{{cr_draft}}/evidence/{{cr_evidence}}/", perm=Perm.REGISTRY_VIEW, denied="sysadmin",
                                                 scoped=True),
}

API: dict = {
    f"GET {A}": Route(f"{A}?box=all", perm=Perm.REGISTRY_VIEW, denied="sysadmin"),
    f"POST {A}": Route(A, perm=Perm.REQUEST_SUBMIT, denied="city_admin", data={"kind": "remove", "program": "reservoir"}),
    f"GET {A}/posting": Route(f"{A}/posting", perm=Perm.REGISTRY_VIEW, denied="secadmin"),
    f"GET {A}/posting/export": Route(f"{A}/posting/export?format=pdf", perm=Perm.REGISTRY_VIEW, denied="auditadmin"),
    f"POST {A}/import": Route(f"{A}/import", perm=Perm.REQUEST_SUBMIT, denied="city_admin"),
    f"GET {A}/{{request_id}}": Route(f"{A}/{{cr_draft}}", perm=Perm.REGISTRY_VIEW, denied="sysadmin", scoped=True),
    f"POST {A}/{{request_id}}/submit": Route(f"{A}/{{cr_draft}}/submit", perm=Perm.REQUEST_SUBMIT, denied="city_admin", scoped=True),
    f"POST {A}/{{request_id}}/approve": Route(f"{A}/{{cr_pending}}/approve", perm=Perm.REQUEST_DECIDE, denied="sysadmin", scoped=True,
                                              data={"comment": "属实"}),
    f"POST {A}/{{request_id}}/reject": Route(f"{A}/{{cr_pending}}/reject", perm=Perm.REQUEST_DECIDE, denied="auditadmin", scoped=True,
                                             data={"reason": "材料不全"}),
    f"POST {A}/{{request_id}}/withdraw": Route(f"{A}/{{cr_draft}}/withdraw", perm=Perm.REQUEST_SUBMIT, denied="city_admin", scoped=True,
                                               data={"comment": ""}),
    f"POST {A}/{{request_id}}/copy": Route(f"{A}/{{cr_draft}}/copy", perm=Perm.REQUEST_SUBMIT, denied="secadmin", scoped=True),
    f"POST {A}/{{request_id}}/evidence": Route(f"{A}/{{cr_draft}}/evidence", perm=Perm.REQUEST_SUBMIT, denied="sysadmin", scoped=True),
    f"GET {A}/{{request_id}}/evidence/{{evidence_id}}": Route(f"{A}/{{cr_draft}}/evidence/{{cr_evidence}}", perm=Perm.REGISTRY_VIEW,
                                                               denied="sysadmin", scoped=True),
}


def _pending(household, name: str):
    """A removal awaiting the city's decision, proposed by someone else (so a 市级经办 may decide it)."""
    from anju.registry.models import ChangeRequest, Enrolment

    e = Enrolment.objects.get(household=household, person__name=name)
    return ChangeRequest.objects.create(kind="remove", state="pending", program="reservoir", division_code=e.division_code, person=e.person,
                                        household=household, enrolment=e, field="status.reservoir", cause="death",
                                        payload={"event_date": "2026-01-01", "affected": [e.person_id]}, levels=["township", "county", "city"],
                                        level_index=2)


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.registry.models import ChangeRequest, Enrolment, Evidence
    from anju.registry.services import requests as svc

    from .factories import OTHER_VILLAGE, make_household

    household = make_household("WALK-1", [("甲", "户主"), ("乙", "配偶")])
    draft = svc.change_request_create(actor=users["city_clerk"], kind="remove", program="reservoir", cause="death",
                                      enrolment=Enrolment.objects.get(household=household, person__name="甲"),
                                      payload={"event_date": "2026-01-01"})
    evidence = svc.evidence_add(actor=users["city_clerk"], request=draft, name="证明.pdf", data=b"%PDF-1.4\n%%EOF\n")
    pending = _pending(household, "乙")

    foreign = make_household("WALK-9", [("丙", "户主"), ("丁", "配偶")], village=OTHER_VILLAGE)
    e = Enrolment.objects.get(household=foreign, person__name="丙")
    foreign_draft = ChangeRequest.objects.create(kind="remove", state="draft", program="reservoir", division_code=e.division_code,
                                                 person=e.person, household=foreign, enrolment=e, field="status.reservoir", cause="death",
                                                 payload={"event_date": "2026-01-01"}, levels=["township", "county", "city"], level_index=2,
                                                 created_by=users["city_clerk"])
    foreign_evidence = Evidence.objects.create(request=foreign_draft, path="registry/evidence/none.pdf", original_name="x.pdf",
                                               content_type="application/pdf", size=1, sha256="0" * 64)
    inside = {"cr_draft": draft.pk, "cr_pending": pending.pk, "cr_evidence": evidence.pk}
    outside = {"cr_draft": foreign_draft.pk, "cr_pending": _pending(foreign, "丁").pk, "cr_evidence": foreign_evidence.pk}
    return inside, outside
