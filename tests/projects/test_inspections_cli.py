"""`anju projects archive status|package|upload` and `anju projects inspections list --overdue`."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import json
import zipfile

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.models import AuditEvent
from anju.projects.models import Document, Stage
from anju.projects.services import archives

from . import test_inspections_services as base
from .factories import OTHER_VILLAGE, make_project
from .test_inspections_services import EXE, PDF, TODAY, finding, inspect

people, media = base.people, base.media  # the fixtures (media is autouse)


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_archive_upload_status_and_package(people, tmp_path):
    make_project(stage=Stage.APPROVED, code="XM-CLI-1")
    path = tmp_path / "可研.pdf"
    path.write_bytes(PDF)
    result = invoke("projects", "archive", "upload", "XM-CLI-1", str(path), "--type", "feasibility", "--as", "pi_clerk", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["doc_type"] == "feasibility" and out["sha256"] == Document.objects.get().sha256
    bad = tmp_path / "setup.pdf"
    bad.write_bytes(EXE)
    refused = invoke("projects", "archive", "upload", "XM-CLI-1", str(bad), "--as", "pi_clerk")
    assert refused.exit_code == 2 and "setup.pdf" in refused.output and "内容与扩展名不符" in refused.output
    assert invoke("projects", "archive", "upload", "XM-CLI-1", str(path), "--as", "pi_leader").exit_code == 2
    assert invoke("projects", "archive", "upload", "XM-CLI-1", str(path), "--as", "pi_foreign").exit_code == 2
    assert Document.objects.count() == 1

    status = invoke("projects", "archive", "status", "XM-CLI-1", "--as", "pi_leader", "--json")
    assert status.exit_code == 0, status.output
    body = json.loads(status.stdout)
    assert (body["present_to_date"], body["required_to_date"], body["rate_to_date"]) == (1, 5, "0.2000")
    assert body["missing_to_date"] == ["implementation_plan", "publicity", "villager_minutes", "allocation_doc"]
    text = invoke("projects", "archive", "status", "XM-CLI-1", "--as", "pi_leader")
    assert "1/5（20.0%）" in text.output and "缺少\t申报\tpublicity\t公示材料" in text.output

    zip_path = tmp_path / "out" / "档案.zip"
    zip_path.parent.mkdir()
    package = invoke("projects", "archive", "package", "XM-CLI-1", "--out", str(zip_path), "--as", "pi_leader")
    assert package.exit_code == 0, package.output
    with zipfile.ZipFile(zip_path) as z:
        assert z.read("02-申报/可行性研究报告-可研.pdf") == PDF
        rows = CalamineWorkbook.from_filelike(io.BytesIO(z.read("档案目录.xlsx"))).get_sheet_by_index(0).to_python()
    assert rows[2][1:4] == ["申报", "可行性研究报告", "02-申报/可行性研究报告-可研.pdf"]
    assert AuditEvent.objects.filter(action="projects.archive.packaged", actor=people["leader"]).exists()
    assert [p.name for p in zip_path.parent.iterdir()] == ["档案.zip"]  # no partial file left behind
    nope = invoke("projects", "archive", "package", "XM-CLI-1", "--out", str(tmp_path / "x.zip"), "--as", "pi_foreign")
    assert nope.exit_code == 2 and not (tmp_path / "x.zip").exists()


def test_archive_status_by_scope(people):
    project = make_project(stage=Stage.APPLIED)
    archives.document_upload(actor=people["clerk"], project=project, name="a.pdf", data=PDF, doc_type="feasibility")
    result = invoke("projects", "archive", "status", "--scope", "4299", "--as", "pi_city", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0] == {"county_code": "429921000000", "county_name": "白云县", "projects": 1, "complete_to_date": 0, "complete_overall": 0,
                       "average_to_date": "0.2500", "average_overall": "0.0833"}
    assert rows[-1]["county_code"] == "" and rows[-1]["projects"] == 1
    text = invoke("projects", "archive", "status", "--scope", "4299", "--as", "pi_city")
    assert "白云县\t1\t25.0%\t0" in text.output and "合计" in text.output
    assert invoke("projects", "archive", "status", "--as", "pi_city").exit_code == 2


def test_inspections_list_overdue(people):
    on = TODAY - dt.timedelta(days=30)
    project = make_project(stage=Stage.IMPLEMENTING, code="XM-CLI-2")
    inspect(people["clerk"], project, on=on, findings=[finding("桥面裂缝", deadline=TODAY - dt.timedelta(days=9)),
                                                       finding("未到期", deadline=TODAY + dt.timedelta(days=9))])
    inspect(people["foreign"], make_project(division_code=OTHER_VILLAGE), on=on, findings=[finding("外县", deadline=on)])
    result = invoke("projects", "inspections", "list", "--overdue", "--as", "pi_city", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["project"], r["finding"], r["days_overdue"], r["state"]) for r in rows] == [("XM-CLI-2", "桥面裂缝", 9, "open")]
    text = invoke("projects", "inspections", "list", "--as", "pi_clerk")
    assert "桥面裂缝" in text.output and "未到期" in text.output and "外县" not in text.output
    assert invoke("projects", "inspections", "list", "--overdue", "--as", "nobody").exit_code != 0
