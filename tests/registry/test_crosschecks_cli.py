"""`anju registry crosscheck FILE --kind --source --as-of --as USER [--json]` and `anju registry duplicates`."""

from __future__ import annotations

import contextvars
import json

from click.testing import CliRunner

from anju.cli import main
from anju.core.crypto import decrypt
from anju.core.models import AuditEvent, Job
from anju.registry.models import ChangeRequest, CrossCheckBatch
from tests.registry.factories import make_household


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def write_list(path, rows):
    path.write_text("姓名,身份证号,判决日期,备注\n" + "".join(f"{n},{i},2025-08-09,\n" for n, i in rows), encoding="utf-8-sig")
    return path


def test_crosscheck_json_prints_one_object(tree, make_user, tmp_path):
    household = make_household("XCK-C1", [("曹一", "户主")])
    make_user("county_clerk", "429921", username="xck_cli")
    path = write_list(tmp_path / "prison.csv", [("曹一", decrypt(household.head.id_enc)), ("某人", "123")])

    result = invoke("registry", "crosscheck", str(path), "--kind", "prison", "--source", "司法局", "--as-of", "2025-12-31",
                    "--as", "xck_cli", "--json")

    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    batch = CrossCheckBatch.objects.get()
    assert (out["batch"], out["rows"], out["matched_rows"], out["unmatched"], out["requests_created"]) == (batch.pk, 2, 1, 1, 1)
    assert [(p["row"], p["code"]) for p in out["problems"]] == [(3, "id_length"), (3, "crosscheck_unmatchable")]
    assert out["unmatched_rows"] == [{"row": 3, "name": "某人", "id_masked": "", "event_date": "2025-08-09"}]
    request = ChangeRequest.objects.get()
    assert (request.cause, request.payload["event_date"], request.created_by.username) == ("prison", "2025-08-09", "xck_cli")
    assert Job.objects.get(kind="registry.crosscheck").state == "succeeded"
    assert AuditEvent.objects.get(action="registry.crosscheck.run").channel == "cli"


def test_crosscheck_plain_output_and_errors(tree, make_user, tmp_path):
    make_user("county_clerk", "429921", username="xck_cli2")
    make_user("township_clerk", "429921101", username="xck_town_cli")
    path = write_list(tmp_path / "p.csv", [("无", "")])

    ok = invoke("registry", "crosscheck", str(path), "--kind", "death", "--source", "公安局", "--as-of", "2025-12-31", "--as", "xck_cli2")
    assert ok.exit_code == 0, ok.output
    assert "比对完成：1 行，匹配 0 行，未匹配 1 行" in ok.stdout

    refused = invoke("registry", "crosscheck", str(path), "--kind", "death", "--source", "公安局", "--as-of", "2025-12-31", "--as", "xck_town_cli")
    assert refused.exit_code == 2 and "无权" in refused.stderr
    bad = invoke("registry", "crosscheck", str(path), "--kind", "death", "--source", "公安局", "--as-of", "2025-13-01", "--as", "xck_cli2",
                 "--json")
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"]["code"] == "crosscheck_as_of"


def test_duplicates_command_writes_the_workbook(tree, make_user, tmp_path):
    a = make_household("XCK-C2", [("邓一", "户主")])
    b = make_household("XCK-C3", [("邓一", "户主")])
    b.head.birth_date = a.head.birth_date
    b.head.save()
    make_user("city_clerk", "4299", username="xck_city_cli")
    out = tmp_path / "dup.xlsx"

    result = invoke("registry", "duplicates", "--out", str(out), "--as", "xck_city_cli", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["same_name_birth"] == 1
    assert out.read_bytes().startswith(b"PK")
    assert AuditEvent.objects.get(action="registry.duplicates.exported").channel == "cli"
