"""Follow-up support API: household summary and work list, create/update/delete/end of the record kinds, errors naming the
field, scope."""

from __future__ import annotations

import datetime as dt
import json

from anju.core.models import AuditEvent
from anju.relocation.models import Employment, Income, MedicalCost, Welfare

from .factories import OTHER_VILLAGE, make_capacity, make_relocated_household, members_of
from .test_support_services import people  # noqa: F401  (fixture)

A = "/api/v1/relocation/support"
TODAY = dt.date.today()


def post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data=json.dumps(data), content_type="application/json")


def test_summary_and_list(people, api):  # noqa: F811
    h = make_relocated_household([("户主", "户主", dt.date(1980, 1, 1)), ("孩子", "子女", dt.date(2015, 1, 1))])
    head, child = members_of(h)
    make_capacity(head, "skilled")
    client = api(people["leader"])
    body = client.get(f"{A}/households/{h.pk}").json()
    assert (body["labour_count"], body["employed_count"], body["gap"], body["labour_age"]) == (1, 0, True, [16, 60])
    assert [(m["name"], m["labour_status"], m["capacity"]) for m in body["members"]] == [("户主", "labour", "skilled"),
                                                                                         ("孩子", "under_age", None)]
    assert body["members"][0]["id_masked"] == head.id_masked and "*" in head.id_masked
    rows = client.get(f"{A}/households?gap=true").json()
    assert rows["count"] == 1 and rows["items"][0]["labour"] == 1 and rows["items"][0]["gap"] is True
    assert client.get(f"{A}/households?division=429921102").json()["count"] == 0
    assert api(people["foreign"]).get(f"{A}/households/{h.pk}").status_code == 404
    assert client.get(f"{A}/households?division=abc").status_code == 422


def test_employment_crud_and_end(people, api):  # noqa: F811
    h = make_relocated_household()
    a = members_of(h)[0]
    clerk = api(people["township"])
    r = post(clerk, f"{A}/households/{h.pk}/employments", {"person": a.pk, "kind": "out_province", "employer": "广东某厂",
                                                           "started_on": "2025-02-10", "monthly_income": "5200.00"})
    assert r.status_code == 201, r.content
    e = r.json()
    assert (e["monthly_income"], e["person_name"], e["ended_on"]) == ("5200.00", a.name, None)
    bad = post(clerk, f"{A}/employments/{e['id']}/end", {"ended_on": "2025-01-01"})
    assert bad.status_code == 422 and bad.json()["detail"] == {"field": "ended_on"} and "不能早于" in bad.json()["message"]
    ended = post(clerk, f"{A}/employments/{e['id']}/end", {"ended_on": "2025-08-31"})
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2025-08-31"
    assert post(clerk, f"{A}/employments/{e['id']}/end", {"ended_on": "2025-09-30"}).status_code == 409
    changed = patch(clerk, f"{A}/employments/{e['id']}", {"monthly_income": "5300.5", "ended_on": None})
    assert changed.status_code == 200 and changed.json()["monthly_income"] == "5300.50" and changed.json()["ended_on"] is None
    assert patch(clerk, f"{A}/employments/{e['id']}", {"kind": None}).json()["detail"] == {"field": "kind"}
    assert patch(clerk, f"{A}/employments/{e['id']}", {"kind": "moon"}).status_code == 422
    listed = clerk.get(f"{A}/households/{h.pk}/employments").json()
    assert [x["id"] for x in listed] == [e["id"]]
    assert clerk.get(f"{A}/employments").json()["count"] == 1
    assert api(people["leader"]).delete(f"{A}/employments/{e['id']}").status_code == 403
    assert api(people["foreign"]).delete(f"{A}/employments/{e['id']}").status_code == 404
    assert clerk.delete(f"{A}/employments/{e['id']}").status_code == 204
    assert not Employment.objects.exists() and AuditEvent.objects.filter(action="relocation.employment.deleted").count() == 1
    not_member = post(clerk, f"{A}/households/{h.pk}/employments", {"person": members_of(make_relocated_household())[0].pk,
                                                                    "kind": "county", "started_on": "2025-01-01"})
    assert not_member.status_code == 422 and not_member.json()["detail"] == {"field": "person"}


def test_other_kinds(people, api):  # noqa: F811
    h = make_relocated_household()
    a = members_of(h)[0]
    clerk = api(people["county"])
    cases = [
        ("capacities", {"person": a.pk, "capacity": "weak", "disability_grade": 2}),
        ("trainings", {"person": a.pk, "course": "中式烹调", "started_on": "2025-03-01", "ended_on": "2025-03-20", "certificate": "初级"}),
        ("insurances", {"person": a.pk, "year": 2025, "medical": True, "pension": None}),
        ("medical-costs", {"person": a.pk, "year": 2025, "total": "20000", "out_of_pocket": "12000.5"}),
        ("welfare", {"kind": "dibao", "persons": 3, "monthly": "480", "started_on": "2024-01-01"}),
        ("incomes", {"year": 2025, "persons": 3, "wage": "36000", "transfer": "1200", "costs": "300"}),
        ("industries", {"year": 2025, "kind": "photovoltaic", "mode": "dividend", "benefit": "800"}),
        ("services", {"kind": "employment_service", "on": "2025-04-01", "provider": "社区就业服务站"}),
    ]
    ids = {}
    for plural, data in cases:
        r = post(clerk, f"{A}/households/{h.pk}/{plural}", data)
        assert r.status_code == 201, (plural, r.content)
        ids[plural] = r.json()["id"]
        assert len(clerk.get(f"{A}/households/{h.pk}/{plural}").json()) == 1
    income = clerk.get(f"{A}/households/{h.pk}/incomes").json()[0]
    assert (income["net"], income["per_capita"]) == ("36900.00", "12300.00")
    assert clerk.get(f"{A}/households/{h.pk}/industries").json()[0]["kind_name"] == "光伏产业"
    assert MedicalCost.objects.get().out_of_pocket_fen == 1_200_050
    over = patch(clerk, f"{A}/medical-costs/{ids['medical-costs']}", {"out_of_pocket": "20000.01"})
    assert over.status_code == 422 and over.json()["detail"] == {"field": "out_of_pocket"}
    overlap = post(clerk, f"{A}/households/{h.pk}/welfare", {"kind": "dibao", "started_on": "2025-01-01"})
    assert overlap.status_code == 409 and "重叠" in overlap.json()["message"]
    assert post(clerk, f"{A}/welfare/{ids['welfare']}/end", {"ended_on": "2024-12-31"}).status_code == 200
    assert post(clerk, f"{A}/households/{h.pk}/welfare", {"kind": "dibao", "started_on": "2025-01-01"}).status_code == 201
    assert Welfare.objects.count() == 2
    assert post(clerk, f"{A}/households/{h.pk}/incomes", {"year": 2025, "persons": 2}).status_code == 409
    assert post(clerk, f"{A}/households/{h.pk}/incomes", {"year": 2024, "persons": 2, "wage": "1.234"}).status_code == 422
    assert Income.objects.count() == 1
    summary = clerk.get(f"{A}/households/{h.pk}").json()
    assert summary["records"]["welfare"] == 2 and summary["members"][0]["capacity"] == "weak"
    foreign = make_relocated_household(village=OTHER_VILLAGE)
    assert post(clerk, f"{A}/households/{foreign.pk}/incomes", {"year": 2025, "persons": 1}).status_code == 404
    assert api(people["leader"]).post(f"{A}/households/{h.pk}/services", data=json.dumps(cases[-1][1]),
                                      content_type="application/json").status_code == 403
