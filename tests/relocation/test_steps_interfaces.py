"""Relocation steps through the web pages, the API and the CLI: the timeline, recording with evidence, undo, the
progress page and its Excel read back."""

from __future__ import annotations

import contextvars
import io
import json

from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.models import AuditEvent
from anju.relocation.models import Relocation, RelocationStep, Step

from . import test_steps_services as base
from .factories import OTHER_VILLAGE, make_relocated_household, make_site
from .test_steps_services import D1, D2, D3, EXE, PDF, fresh

people, media = base.people, base.media


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_web_record_timeline_download_and_undo(people, login):
    site = make_site()
    h = fresh(site)
    web = login(people["township"])
    page = web.get(f"/relocation/steps/households/{h.pk}/")
    assert page.status_code == 200 and "尚未确认搬迁" in page.content.decode() and "登记“确认搬迁”" in page.content.decode()
    bad = web.post(f"/relocation/steps/households/{h.pk}/record/", {"step": "confirmed", "on": D1.isoformat(),
                                                                    "file": SimpleUploadedFile("确认.pdf", EXE)})
    assert bad.status_code == 200 and "内容与扩展名不符" in bad.content.decode() and not Relocation.objects.exists()
    ok = web.post(f"/relocation/steps/households/{h.pk}/record/", {"step": "confirmed", "on": D1.isoformat(), "note": "确认",
                                                                   "file": SimpleUploadedFile("确认.pdf", PDF)})
    assert ok.status_code == 302
    skipped = web.post(f"/relocation/steps/households/{h.pk}/record/", {"step": "allocated", "on": D2.isoformat()})
    assert skipped.status_code == 200 and not RelocationStep.objects.filter(step="allocated").exists()
    back = web.post(f"/relocation/steps/households/{h.pk}/record/", {"step": "agreement", "on": "2024-02-01"})
    assert "不能早于上一环节" in back.content.decode()
    step = RelocationStep.objects.get(step="confirmed")
    body = web.get(f"/relocation/steps/households/{h.pk}/").content.decode()
    assert "确认.pdf" in body and f"/relocation/steps/evidence/{step.pk}/" in body
    download = login(people["leader"]).get(f"/relocation/steps/evidence/{step.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="relocation.step.evidence_downloaded", actor=people["leader"]).exists()
    assert login(people["foreign"]).get(f"/relocation/steps/evidence/{step.pk}/").status_code == 404
    assert login(people["auditor"]).get(f"/relocation/steps/households/{h.pk}/record/").status_code == 403
    web.post(f"/relocation/steps/households/{h.pk}/undo/", {"reason": "录错户"})
    assert not Relocation.objects.filter(household=h).exists()


def test_web_progress_page_and_excel(people, login):
    site = make_site(name="白坪安置点", code="BP01")
    for step in (Step.CONFIRMED, Step.MOVED_IN, Step.DEMOLISHED):
        make_relocated_household(site=site, step=step)
    make_relocated_household(site=site, step=Step.MOVED_IN, village=OTHER_VILLAGE)
    web = login(people["leader"])
    body = web.get("/relocation/steps/").content.decode()
    assert "白坪安置点" in body and "66.7%" in body and "33.3%" in body
    response = web.get("/relocation/steps/progress.xlsx?scope=429921")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][:5] == ["县（市、区）", "安置点编码", "安置点", "搬迁户数", "尚未确认"]
    assert rows[2][1:4] == ["BP01", "白坪安置点", 3] and rows[2][-4:] == [2, 2 / 3, 1, 1 / 3]
    assert rows[-1][0] == "合计" and rows[-1][3] == 3
    assert AuditEvent.objects.filter(action="relocation.step.progress_exported").exists()
    listing = web.get(f"/relocation/steps/households/?site={site.pk}&step=moved_in").content.decode()
    assert listing.count("搬迁入住") >= 1


def test_api_record_undo_and_progress(people, api):
    site = make_site()
    h = fresh(site)
    client = api(people["township"])
    url = f"/api/v1/relocation/steps/households/{h.pk}"
    r = client.post(url + "/steps", {"step": "confirmed", "on": D1.isoformat(), "file": SimpleUploadedFile("a.pdf", PDF)})
    assert r.status_code == 201, r.content
    assert r.json()["step"] == "confirmed" and r.json()["next_step"] == "agreement" and r.json()["steps"][0]["evidence_name"] == "a.pdf"
    r = client.post(url + "/steps", {"step": "moved_in", "on": D2.isoformat()})
    assert r.status_code == 422 and r.json()["detail"] == {"field": "step"}
    r = client.post(url + "/steps", {"step": "agreement", "on": "2999-01-01"})
    assert r.status_code == 422 and r.json()["detail"] == {"field": "on"}
    client.post(url + "/steps", {"step": "agreement", "on": D2.isoformat()})
    r = client.post(url + "/steps", {"step": "allocated", "on": D3.isoformat(), "house_number": "2-301", "house_area": "66.5"})
    assert r.status_code == 201 and (r.json()["house_number"], r.json()["house_area"]) == ("2-301", "66.50")
    r = client.post(url + "/undo", json.dumps({"reason": "面积录错"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["step"] == "agreement" and r.json()["house_area"] is None
    assert api(people["auditor"]).post(url + "/steps", {"step": "allocated"}).status_code == 403
    assert api(people["foreign"]).get(url).status_code == 404
    step = RelocationStep.objects.get(step="confirmed")
    assert api(people["leader"]).get(f"/api/v1/relocation/steps/evidence/{step.pk}").status_code == 200
    p = api(people["leader"]).get("/api/v1/relocation/steps/progress?scope=429921").json()
    assert p["total"]["households"] == 1 and p["rows"][0]["steps"]["agreement"] == 1


def test_cli_record_and_progress(people, tmp_path):
    site = make_site(code="CLI-S")
    h = fresh(site)
    proof = tmp_path / "入住.pdf"
    proof.write_bytes(PDF)
    for step, on in (("confirmed", D1), ("agreement", D2)):
        assert invoke("relocation", "steps", "record", "--household", str(h.pk), "--step", step, "--on", on.isoformat(),
                      "--as", "rs_township").exit_code == 0
    out = invoke("relocation", "steps", "record", "--household", str(h.pk), "--step", "allocated", "--on", D3.isoformat(),
                 "--house-number", "1-1", "--house-area", "50", "--evidence", str(proof), "--as", "rs_township", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["step"] == "allocated" and json.loads(out.stdout)["steps"][-1]["evidence"] == "入住.pdf"
    refused = invoke("relocation", "steps", "record", "--household", str(h.pk), "--step", "demolished", "--on", D3.isoformat(),
                     "--as", "rs_township")
    assert refused.exit_code == 2 and "下一环节应为“搬迁入住”" in refused.output
    future = invoke("relocation", "steps", "record", "--household", str(h.pk), "--step", "moved_in", "--on", "2999-01-01",
                    "--as", "rs_township")
    assert future.exit_code == 2 and "不能晚于今天" in future.output
    assert invoke("relocation", "steps", "record", "--household", str(h.pk), "--step", "moved_in", "--on", D3.isoformat(),
                  "--as", "rs_leader").exit_code == 2
    progress = invoke("relocation", "steps", "progress", "--scope", "429921", "--as", "rs_leader", "--json")
    assert progress.exit_code == 0, progress.output
    body = json.loads(progress.stdout)
    assert body["rows"][0]["site_code"] == "CLI-S" and body["rows"][0]["steps"]["allocated"] == 1 and body["total"]["moved_in"] == 0
    undo = invoke("relocation", "steps", "undo", "--household", str(h.pk), "--reason", "重录", "--as", "rs_township", "--json")
    assert undo.exit_code == 0 and json.loads(undo.stdout)["step"] == "agreement"
