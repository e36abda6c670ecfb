"""Authorisation-walker routes of the relocation identification area (see tests/test_authz_walker.py)."""

from __future__ import annotations

import datetime as dt

from anju.accounts.roles import Perm
from anju.registry.resident_id import compose
from tests.test_authz_walker import Route

VIEW, EDIT, CONFIRM, MANAGE = Perm.RELOCATION_VIEW, Perm.RELOCATION_EDIT, Perm.RELOCATION_CONFIRM, Perm.RELOCATION_MANAGE
PII = Perm.REGISTRY_VIEW_PII
P = "/relocation/identification"
A = "/api/v1/relocation/identification"

WEB: dict = {
    "relocation_identification:terms": Route(f"{P}/terms/", perm=VIEW, denied="sysadmin"),
    "relocation_identification:term_new": Route(f"{P}/terms/new/", perm=MANAGE, denied="leader"),
    "relocation_identification:term_edit": Route(f"{P}/terms/{{ri_term}}/edit/", perm=MANAGE, denied="leader"),
    "relocation_identification:term_move": Route(f"{P}/terms/{{ri_term}}/move/", "POST", MANAGE, denied="finance", data={"direction": "down"}),
    "relocation_identification:term_active": Route(f"{P}/terms/{{ri_term}}/active/", "POST", MANAGE, denied="auditor", data={"active": "1"}),
    "relocation_identification:rules": Route(f"{P}/rules/", perm=VIEW, denied="secadmin"),
    "relocation_identification:rule_new": Route(f"{P}/rules/new/", perm=MANAGE, denied="leader"),
    "relocation_identification:rule_edit": Route(f"{P}/rules/{{ri_rule}}/edit/", perm=MANAGE, denied="finance"),
    "relocation_identification:areas": Route(f"{P}/areas/", perm=VIEW, denied="auditadmin"),
    "relocation_identification:area_new": Route(f"{P}/areas/new/", perm=MANAGE, denied="leader"),
    "relocation_identification:area_edit": Route(f"{P}/areas/{{ri_area}}/edit/", perm=MANAGE, denied="auditor", scoped=True),
    "relocation_identification:area_delete": Route(f"{P}/areas/{{ri_area_web_delete}}/delete/", "POST", MANAGE, denied="leader", scoped=True),
    "relocation_identification:surveys": Route(f"{P}/surveys/", perm=VIEW, denied="sysadmin"),
    "relocation_identification:survey_new": Route(f"{P}/surveys/new/", perm=EDIT, denied="city_admin"),
    "relocation_identification:survey": Route(f"{P}/surveys/{{ri_survey}}/", perm=VIEW, denied="secadmin", scoped=True),
    "relocation_identification:survey_edit": Route(f"{P}/surveys/{{ri_survey}}/edit/", perm=EDIT, denied="city_admin", scoped=True),
    "relocation_identification:survey_reveal": Route(f"{P}/surveys/{{ri_survey}}/reveal/", "POST", PII, denied="city_admin", scoped=True),
    "relocation_identification:survey_submit": Route(f"{P}/surveys/{{ri_survey}}/submit/", "POST", EDIT, denied="leader", scoped=True),
    "relocation_identification:survey_township": Route(f"{P}/surveys/{{ri_submitted}}/township-confirm/", "POST", EDIT, denied="city_admin",
                                                       scoped=True),
    "relocation_identification:survey_confirm": Route(f"{P}/surveys/{{ri_township}}/confirm/", "POST", CONFIRM, denied="city_admin",
                                                      scoped=True),
    "relocation_identification:survey_reject": Route(f"{P}/surveys/{{ri_submitted}}/reject/", "POST", EDIT, denied="leader", scoped=True,
                                                     data={"reason": "巡检"}),
    "relocation_identification:survey_request": Route(f"{P}/surveys/{{ri_confirmed}}/request-household/", "POST", EDIT, denied="city_admin",
                                                      scoped=True, data={"number": "WALK-HH-1"}),
    "relocation_identification:survey_link": Route(f"{P}/surveys/{{ri_confirmed}}/link-household/", "POST", EDIT, denied="leader",
                                                   scoped=True),
    "relocation_identification:candidates": Route(f"{P}/candidates/", perm=VIEW, denied="sysadmin"),
    "relocation_identification:candidates_export": Route(f"{P}/candidates/export/", perm=VIEW, denied="auditadmin"),
    "relocation_identification:coverage": Route(f"{P}/coverage/", perm=VIEW, denied="secadmin"),
    "relocation_identification:coverage_export": Route(f"{P}/coverage/export/", perm=VIEW, denied="sysadmin"),
}

WALK_ID = compose("429921", dt.date(1975, 3, 3), 777)

API: dict = {
    f"GET {A}/terms": Route(f"{A}/terms", perm=VIEW, denied="sysadmin"),
    f"POST {A}/terms": Route(f"{A}/terms", perm=MANAGE, denied="leader", data={"kind": "risk", "code": "walk_term", "name": "巡检条目"}),
    f"PATCH {A}/terms/{{term_id}}": Route(f"{A}/terms/{{ri_term}}", perm=MANAGE, denied="finance", data={"name": "巡检改名"}),
    f"POST {A}/terms/{{term_id}}/move": Route(f"{A}/terms/{{ri_term}}/move", perm=MANAGE, denied="auditor", data={"direction": "down"}),
    f"GET {A}/rules": Route(f"{A}/rules", perm=VIEW, denied="secadmin"),
    f"POST {A}/rules": Route(f"{A}/rules", perm=MANAGE, denied="leader",
                             data={"code": "walk_rule", "name": "巡检规则", "field": "members", "operator": "ge", "value": 1}),
    f"PATCH {A}/rules/{{rule_id}}": Route(f"{A}/rules/{{ri_rule}}", perm=MANAGE, denied="finance", data={"note": "巡检"}),
    f"GET {A}/areas": Route(f"{A}/areas", perm=VIEW, denied="auditadmin"),
    f"POST {A}/areas": Route(f"{A}/areas", perm=MANAGE, denied="leader",
                             data={"division": "429921102", "conditions": ["stony"], "designated_on": "2020-01-01"}),
    f"PATCH {A}/areas/{{area_id}}": Route(f"{A}/areas/{{ri_area}}", perm=MANAGE, denied="auditor", scoped=True, data={"document": "巡检"}),
    f"DELETE {A}/areas/{{area_id}}": Route(f"{A}/areas/{{ri_area_api_delete}}", perm=MANAGE, denied="leader", scoped=True),
    f"GET {A}/surveys": Route(f"{A}/surveys", perm=VIEW, denied="sysadmin"),
    f"POST {A}/surveys": Route(f"{A}/surveys", perm=EDIT, denied="city_admin",
                               data={"village": "429921101201", "head_name": "巡检户", "head_id": WALK_ID, "surveyed_on": "2024-05-01"}),
    f"GET {A}/surveys/{{survey_id}}": Route(f"{A}/surveys/{{ri_survey}}", perm=VIEW, denied="secadmin", scoped=True),
    f"PATCH {A}/surveys/{{survey_id}}": Route(f"{A}/surveys/{{ri_survey}}", perm=EDIT, denied="city_admin", scoped=True, data={"members": 3}),
    f"POST {A}/surveys/{{survey_id}}/reveal": Route(f"{A}/surveys/{{ri_survey}}/reveal", perm=PII, denied="city_admin", scoped=True),
    f"POST {A}/surveys/{{survey_id}}/submit": Route(f"{A}/surveys/{{ri_survey}}/submit", perm=EDIT, denied="leader", scoped=True),
    f"POST {A}/surveys/{{survey_id}}/township-confirm": Route(f"{A}/surveys/{{ri_submitted}}/township-confirm", perm=EDIT,
                                                              denied="city_admin", scoped=True, data={}),
    f"POST {A}/surveys/{{survey_id}}/confirm": Route(f"{A}/surveys/{{ri_township}}/confirm", perm=CONFIRM, denied="city_admin",
                                                     scoped=True, data={}),
    f"POST {A}/surveys/{{survey_id}}/reject": Route(f"{A}/surveys/{{ri_submitted}}/reject", perm=EDIT, denied="leader", scoped=True,
                                                    data={"reason": "巡检"}),
    f"POST {A}/surveys/{{survey_id}}/request-household": Route(f"{A}/surveys/{{ri_confirmed}}/request-household", perm=EDIT,
                                                               denied="city_admin", scoped=True, data={"number": "WALK-HH-2"}),
    f"POST {A}/surveys/{{survey_id}}/link-household": Route(f"{A}/surveys/{{ri_confirmed}}/link-household", perm=EDIT, denied="leader",
                                                            scoped=True),
    f"GET {A}/candidates": Route(f"{A}/candidates", perm=VIEW, denied="sysadmin"),
    f"GET {A}/coverage": Route(f"{A}/coverage", perm=VIEW, denied="auditadmin"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """Sample objects the paths above name: (inside the actors' city 4299, outside it in 4298)."""
    from anju.core.crypto import blind_index, encrypt
    from anju.core.masking import mask_resident_id
    from anju.relocation.models import DesignatedArea, EligibilityRule, Survey, Term

    def survey(village: str, seq: int, state: str, created_by, **kw) -> int:
        number = compose(village[:6], dt.date(1970, 1, 1), seq)
        return Survey.objects.create(division_code=village, head_name=f"巡检{seq}", head_id_hash=blind_index(number), head_id_enc=encrypt(number),
                                     head_id_masked=mask_resident_id(number), members=2, conditions=["stony"], poverty_registered=True,
                                     surveyed_on=dt.date(2024, 5, 1), eligible=True, state=state, created_by=created_by, **kw).pk

    clerk, other = users["city_clerk"], users["leader"]
    term = Term.objects.filter(kind="living_condition").order_by("sort").first().pk
    rule = EligibilityRule.objects.order_by("sort").first().pk
    inside = {"ri_term": term, "ri_rule": rule,
              "ri_area": DesignatedArea.objects.create(division_code="429921103000", conditions=["stony"], designated_on=dt.date(2016, 1, 1)).pk,
              "ri_survey": survey("429921101201", 901, "draft", clerk),
              "ri_submitted": survey("429921101201", 903, "submitted", other),
              "ri_township": survey("429921101201", 905, "township_confirmed", other, township_by=other, township_on=dt.date(2024, 5, 2)),
              "ri_confirmed": survey("429921101201", 907, "confirmed", other, township_by=other, county_by=other)}
    for key, code in (("ri_area_web_delete", "429921104000"), ("ri_area_api_delete", "429921105000")):
        inside[key] = DesignatedArea.objects.create(division_code=code, conditions=["stony"], designated_on=dt.date(2016, 1, 1)).pk
    foreign = survey("429821100200", 909, "township_confirmed", other)
    outside = {"ri_term": term, "ri_rule": rule,
               "ri_area": DesignatedArea.objects.create(division_code="429821100000", conditions=["stony"], designated_on=dt.date(2016, 1, 1)).pk,
               "ri_area_web_delete": None, "ri_area_api_delete": None,
               "ri_survey": foreign, "ri_submitted": foreign, "ri_township": foreign, "ri_confirmed": foreign}
    outside["ri_area_web_delete"] = outside["ri_area_api_delete"] = outside["ri_area"]
    return inside, outside
