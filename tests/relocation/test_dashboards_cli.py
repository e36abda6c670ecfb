"""`anju relocation ledger|report|map`: files written, read back, scoped to the user and audited; errors exit 2."""

from __future__ import annotations

import contextvars
import io
import json

import defusedxml.ElementTree as DET
import pytest
from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent

from .test_dashboards_world import build_world

pytestmark = pytest.mark.django_db


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


@pytest.fixture
def world(tree, other_city, make_user):
    w = build_world()
    w["city"] = make_user("city_clerk", "4299", username="dc_city")
    w["county"] = make_user("county_clerk", "429921", username="dc_county")
    w["leader"] = make_user("leader", "4299", username="dc_leader")
    return w


def test_ledger(world, tmp_path):
    from python_calamine import CalamineWorkbook

    out = tmp_path / "support.xlsx"
    result = invoke("relocation", "ledger", "--kind", "support", "--as-of", "2026-06-30", "--out", str(out), "--as", "dc_county", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["kind"] == "support" and info["scope"] == "429921" and info["unmasked"] is False
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out.read_bytes())).get_sheet_by_index(0).to_python()
    assert {r[0] for r in rows[3:7]} == {"DB-H1", "DB-H2", "DB-H3", "合计"}
    assert AuditEvent.objects.filter(action="relocation.ledger.exported", actor=world["county"]).count() == 1

    sites = tmp_path / "sites.xlsx"
    result = invoke("relocation", "ledger", "--kind", "sites", "--scope", "429922", "--as-of", "2026-06-30", "--out", str(sites), "--as", "dc_city")
    assert result.exit_code == 0, result.output
    assert "已生成台账" in result.output
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sites.read_bytes())).get_sheet_by_index(0).to_python()
    assert rows[3][0] == "DB-C" and rows[3][11:13] == [1, 1]


def test_ledger_errors(world, tmp_path):
    out = str(tmp_path / "x.xlsx")
    refused = invoke("relocation", "ledger", "--kind", "support", "--unmasked", "--as-of", "2026-06-30", "--out", out, "--as", "dc_leader")
    assert refused.exit_code == 2 and "脱敏" in refused.output
    outside = invoke("relocation", "ledger", "--kind", "sites", "--scope", "429922", "--as-of", "2026-06-30", "--out", out, "--as", "dc_county")
    assert outside.exit_code == 2


def test_report(world, tmp_path):
    import docx

    out = tmp_path / "report.docx"
    result = invoke("relocation", "report", "--scope", "4299", "--as-of", "2026-06-30", "--doc-number", "清搬办〔2026〕9号", "--out", str(out),
                    "--as", "dc_city")
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    assert document.paragraphs[1].text == "清搬办〔2026〕9号"
    assert "在册搬迁群众4户7人" in "\n".join(p.text for p in document.paragraphs)
    assert AuditEvent.objects.filter(action="relocation.report.generated").count() == 1


def test_map(world, tmp_path):
    out = tmp_path / "map.svg"
    result = invoke("relocation", "map", "--scope", "429921", "--as-of", "2026-06-30", "--out", str(out), "--as", "dc_city")
    assert result.exit_code == 0, result.output
    root = DET.fromstring(out.read_bytes())
    assert {c.get("data-code") for c in root.iter("{http://www.w3.org/2000/svg}circle") if c.get("data-code")} == {"DB-A", "DB-B"}
    assert AuditEvent.objects.filter(action="relocation.map.exported").count() == 1
