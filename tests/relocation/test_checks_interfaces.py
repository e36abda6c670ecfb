"""Spot checks through the web pages, the API and the CLI: drawing, verifying, results, follow-up, closing, files."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import json

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.models import AuditEvent
from anju.relocation.models import SpotCheck, SpotCheckItem

from . import test_checks_services as base
from .test_checks_services import AS_OF, ids

people, households = base.people, base.households


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_web_draw_verify_record_resolve_and_close(people, households, login):
    web = login(people["reviewer"])
    assert web.get("/relocation/checks/new/").status_code == 200
    bad = web.post("/relocation/checks/new/", {"scope": "429921", "as_of": AS_OF.isoformat(), "size": "50", "method": "random"})
    assert bad.status_code == 200 and "超过总体户数 10" in bad.content.decode()
    r = web.post("/relocation/checks/new/", {"scope": "429921101", "as_of": AS_OF.isoformat(), "size": "2", "method": "covert",
                                             "seed": "web-1"})
    check = SpotCheck.objects.get()
    assert r.status_code == 302 and r.url == f"/relocation/checks/{check.pk}/"
    body = web.get(r.url).content.decode()
    assert "web-1" in body and "random.Random" in body and "暗访" in body
    verified = login(people["leader"]).post(f"/relocation/checks/{check.pk}/verify/").content.decode()
    assert "复核一致" in verified
    a, b = check.items.order_by("order")
    form = web.post(f"/relocation/checks/items/{a.pk}/result/", {"result": "discrepancy", "checked_on": "2025-07-02", "checker": "张三"})
    assert form.status_code == 200 and "须填写发现的问题" in form.content.decode()
    web.post(f"/relocation/checks/items/{a.pk}/result/", {"result": "discrepancy", "checked_on": "2025-07-02", "checker": "张三",
                                                         "findings": "未实际入住", "follow_up_owner": "王五", "follow_up_deadline": "2025-07-15"})
    web.post(f"/relocation/checks/items/{b.pk}/result/", {"result": "consistent", "checked_on": "2025-07-02", "checker": "张三"})
    web.post(f"/relocation/checks/{check.pk}/close/")
    assert SpotCheck.objects.get().state == "open"
    overdue = login(people["township"]).get("/relocation/checks/follow-ups/?state=overdue").content.decode()
    assert "未实际入住" in overdue and "王五" in overdue
    done = login(people["township"]).post(f"/relocation/checks/items/{a.pk}/follow-up/", {"note": "已督促入住", "resolved_on": "2025-07-14"})
    assert done.status_code == 302 and SpotCheckItem.objects.get(pk=a.pk).follow_up == "resolved"
    web.post(f"/relocation/checks/{check.pk}/close/")
    assert SpotCheck.objects.get().state == "closed"
    sample = web.get(f"/relocation/checks/{check.pk}/sample.xlsx?unmasked=1")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sample.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 6 and "*" not in rows[4][3]
    assert AuditEvent.objects.filter(action="relocation.spot_check.sample_exported", after__masked=False).exists()
    masked = login(people["leader"]).get(f"/relocation/checks/{check.pk}/sample.xlsx?unmasked=1")
    assert masked.status_code == 403
    results = web.get(f"/relocation/checks/{check.pk}/results.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(results.content)).get_sheet_by_index(0).to_python()
    assert [r[6] for r in rows[4:]] == ["存在问题", "一致"] and rows[4][14] == "已督促入住"
    assert login(people["foreign"]).get(f"/relocation/checks/{check.pk}/").status_code == 404
    assert login(people["clerk"]).get("/relocation/checks/new/").status_code == 403


def test_api_draw_verify_result_and_close(people, households, api):
    client = api(people["auditor"])
    r = client.post("/api/v1/relocation/checks", json.dumps({"scope": "429921", "as_of": AS_OF.isoformat(), "percent": 20, "seed": "api"}),
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["population"], body["sample_size"], body["seed"]) == (10, 2, "api") and len(body["items"]) == 2
    check = SpotCheck.objects.get(pk=body["id"])
    assert [i["household_id"] for i in body["items"]] == ids(check)
    too_many = client.post("/api/v1/relocation/checks", json.dumps({"scope": "429921", "as_of": AS_OF.isoformat(), "size": 11}),
                           content_type="application/json")
    assert too_many.status_code == 422 and too_many.json()["detail"] == {"field": "size"}
    v = api(people["leader"]).post(f"/api/v1/relocation/checks/{check.pk}/verify")
    assert v.status_code == 200 and v.json()["match"] is True
    for item in body["items"]:
        r = client.post(f"/api/v1/relocation/checks/items/{item['id']}/result",
                        json.dumps({"result": "not_found", "checked_on": "2025-07-01", "checker": "审计组"}), content_type="application/json")
        assert r.status_code == 200 and r.json()["result"] == "not_found"
    closed = client.post(f"/api/v1/relocation/checks/{check.pk}/close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = client.post(f"/api/v1/relocation/checks/{check.pk}/close")
    assert again.status_code == 409
    assert api(people["foreign"]).get(f"/api/v1/relocation/checks/{check.pk}").status_code == 404
    listed = api(people["leader"]).get("/api/v1/relocation/checks").json()
    assert listed["count"] == 1 and listed["items"][0]["state"] == "closed"
    assert api(people["leader"]).get("/api/v1/relocation/checks/follow-ups?overdue=true").json()["count"] == 0


def test_cli_draw_verify_and_export(people, households, tmp_path):
    out = invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "3", "--seed", "cli-7", "--as-of", AS_OF.isoformat(),
                 "--as", "sc_reviewer", "--json")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert (body["population"], body["size"], body["seed"]) == (10, 3, "cli-7")
    again = json.loads(invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "3", "--seed", "cli-7", "--as-of",
                              AS_OF.isoformat(), "--as", "sc_auditor", "--json").stdout)
    assert again["households"] == body["households"]
    other = json.loads(invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "3", "--seed", "cli-8", "--as-of",
                              AS_OF.isoformat(), "--as", "sc_reviewer", "--json").stdout)
    assert other["households"] != body["households"]
    later = json.loads(invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "1", "--as-of", "2025-09-01",
                              "--as", "sc_reviewer", "--json").stdout)
    assert later["population"] == 11 and len(later["seed"]) == 32
    refused = invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "11", "--as-of", AS_OF.isoformat(), "--as", "sc_reviewer")
    assert refused.exit_code == 2 and "超过总体户数 10" in refused.output
    assert invoke("relocation", "checks", "draw", "--scope", "429921", "--size", "1", "--as-of", AS_OF.isoformat(),
                  "--as", "sc_leader").exit_code == 2
    verify = invoke("relocation", "checks", "verify", str(body["id"]), "--as", "sc_leader", "--json")
    assert verify.exit_code == 0 and json.loads(verify.stdout)["match"] is True
    SpotCheckItem.objects.filter(spot_check_id=body["id"], order=1).update(household=households["late"])
    assert invoke("relocation", "checks", "verify", str(body["id"]), "--as", "sc_leader").exit_code == 1
    path = tmp_path / "名单.xlsx"
    assert invoke("relocation", "checks", "export", str(body["id"]), "--out", str(path), "--as", "sc_leader").exit_code == 0
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) == 7 and "*" in rows[4][3]
    assert dt.date.today() >= AS_OF
