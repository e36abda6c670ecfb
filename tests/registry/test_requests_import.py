"""Bulk removal requests from a file: one request per row, all or nothing, every row error with its code; CLI and job."""

from __future__ import annotations

import contextvars
import io
import json

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from anju.cli import main
from anju.core.crypto import decrypt
from anju.core.jobs import job_create_inline, job_execute
from anju.registry.models import ChangeRequest, Enrolment
from anju.registry.services import records
from anju.registry.services import requests as svc
from anju.registry.services.requests_import import MSG_DUPLICATE, MSG_NAME, MSG_PERSON, change_requests_import

from . import test_requests_workflow as wf
from .factories import OTHER_VILLAGE, make_household

HEADER = "身份证号,姓名,核减原因,事件日期,说明\n"


@pytest.fixture
def actors(make_user):
    return wf.make_actors(make_user)


@pytest.fixture
def household(tree):
    return wf.make_family()


def number(household, name):
    return decrypt(Enrolment.objects.get(household=household, person__name=name).person.id_enc)


def csv_bytes(rows: list[str], encoding="utf-8-sig") -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode(encoding)


def test_every_row_becomes_a_submitted_removal(actors, household):
    data = csv_bytes([f"{number(household, '李四')},李四,死亡,2026-03-01,病故", f"{number(household, '张小')},张 小,服刑,2026年2月3日,"],
                     encoding="gb18030")
    result = change_requests_import(actor=actors["township"], data=data, name="核减.csv", program="reservoir")
    assert (result.rows, len(result.created), result.errors) == (2, 2, [])
    requests = ChangeRequest.objects.filter(pk__in=result.created).order_by("pk")
    assert [(r.cause, r.payload["event_date"], r.state, r.source) for r in requests] == [
        ("death", "2026-03-01", "pending", "import"), ("prison", "2026-02-03", "pending", "import")]
    assert requests[0].reason == "病故" and svc.awaited_level(requests[0]) == "county"


def test_any_bad_row_writes_nothing_and_each_error_has_its_code(actors, household, make_user):
    wife, son, head = number(household, "李四"), number(household, "张小"), number(household, "张三")
    foreign = make_household("F1", [("外人", "户主")], village=OTHER_VILLAGE)
    records.person_remove(actor=actors["county_clerk"], enrolment=Enrolment.objects.get(household=household, person__name="张三"),
                          cause="death", effective_on=wf.TODAY)
    wf.removal(actors, household, name="张小")
    rows = [
        f"{wife},李四,死亡,2026-03-01,",  # 2: fine
        f"{wife},李四,死亡,2026-03-01,",  # 3: same ID again
        "420527196501011234,王五,死亡,2026-03-01,",  # 4: checksum
        f"{number(foreign, '外人')},外人,死亡,2026-03-01,",  # 5: another city
        f"{head},张三,死亡,2026-03-01,",  # 6: already removed
        f"{son},张小,死亡,2026-03-01,",  # 7: open request
        f"{wife[:-1]}{'0' if wife[-1] != '0' else '1'},李四,死亡,2026-03-01,",  # 8: checksum again
        ",,,,",  # blank: skipped
    ]
    make_household("H2", [("赵六", "户主")])
    zhao = decrypt(Enrolment.objects.get(person__name="赵六").person.id_enc)
    rows += [f"{zhao},赵七,升学,2099-01-01,", f"{zhao},赵六,死亡,2026-02-30,", f"{zhao},赵六,,,"]
    result = change_requests_import(actor=actors["township"], data=csv_bytes(rows), name="x.csv", program="reservoir")
    assert result.created == [] and ChangeRequest.objects.filter(source="import").count() == 0
    codes = [(e.row, e.column, e.code) for e in result.errors]
    assert (3, "身份证号", "id_duplicate") in codes
    assert (4, "身份证号", "id_checksum") in codes
    assert (5, "身份证号", "person_not_found") in codes
    assert (6, "身份证号", "already_removed") in codes
    assert (7, "身份证号", "request_open") in codes
    # row 9 is blank (skipped, the spreadsheet's numbering goes on)
    assert (10, "姓名", "name_mismatch") in codes and (10, "核减原因", "cause_invalid") in codes and (10, "事件日期", "date_future") in codes
    assert (11, "事件日期", "date_invalid") in codes
    assert (12, "核减原因", "required") in codes and (12, "事件日期", "required") in codes
    by_code = {}
    for e in result.errors:
        by_code.setdefault(e.code, e)
    assert by_code["id_duplicate"].message == str(MSG_DUPLICATE % {"row": 2})
    assert by_code["name_mismatch"].message == str(MSG_NAME % {"value": "赵七", "name": "赵六"})
    from anju.core.masking import mask_resident_id

    assert by_code["person_not_found"].message == str(MSG_PERSON % {"masked": mask_resident_id(number(foreign, "外人"))})
    assert result.rows == 10 and result.rejected_rows == 9  # nothing lost: 1 good + 9 rejected, the blank row skipped


def test_excel_with_title_rows_and_numeric_id_cell(actors, household, tmp_path):
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("名单")
    ws.write(0, 0, "白坪镇2026年核减名单")
    for c, h in enumerate(["序号", "身份证号码", "姓 名", "原因", "死亡日期", "备注"]):
        ws.write(2, c, h)
    ws.write_row(3, 0, [1, number(household, "李四"), "李四", "死亡", "2026-03-01", ""])
    ws.write_row(4, 0, [2, 4.29921197001e17, "张小", "死亡", "2026-03-01", ""])
    wb.close()
    result = change_requests_import(actor=actors["township"], data=out.getvalue(), name="名单.xlsx", program="reservoir")
    assert [(e.sheet, e.row, e.code) for e in result.errors] == [("名单", 5, "id_numeric_cell")]
    path = tmp_path / "errors.xlsx"
    from anju.registry.services.requests_import import write_errors

    write_errors(path, result)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("错误清单").to_python()
    assert rows[2][:3] == ["名单", 5, "身份证号码"] and rows[2][4] == "id_numeric_cell"


def test_file_level_problems_are_import_file_errors(actors, household):
    from anju.imports.readers import ImportFileError

    with pytest.raises(ImportFileError) as exc:
        change_requests_import(actor=actors["township"], data=b"a,b\n1,2\n", name="x.csv", program="reservoir")
    assert exc.value.code in ("no_header", "missing_columns")
    with pytest.raises(ImportFileError) as exc:
        change_requests_import(actor=actors["township"], data=b"\x89PNG....", name="x.png", program="reservoir")
    assert exc.value.code == "file_type"


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_cli_import_json_and_errors_workbook(actors, household, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([f"{number(household, '李四')},李四,死亡,2026-03-01,"]))
    result = invoke("registry", "requests", "import", str(good), "--program", "reservoir", "--as", "t_clerk", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["rows"], out["created"], out["rejected"], out["errors"]) == (1, 1, 0, [])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([f"{number(household, '张小')},张大,死亡,2026-03-01,"]))
    errors = tmp_path / "errors.xlsx"
    result = invoke("registry", "requests", "import", str(bad), "--program", "reservoir", "--as", "t_clerk", "--errors", str(errors))
    assert result.exit_code == 1 and "name_mismatch" in result.output
    assert errors.exists()
    result = invoke("registry", "requests", "import", str(bad), "--program", "reservoir", "--as", "nobody")
    assert result.exit_code == 2


def test_import_job_writes_the_error_workbook(actors, household, settings, tmp_path):
    from anju.core.models import Job
    from anju.registry.jobs_requests import upload_path

    settings.MEDIA_ROOT = tmp_path
    path = upload_path("list.csv")
    path.write_bytes(csv_bytes([f"{number(household, '李四')},李四,死亡,2099-03-01,"]))
    job = job_create_inline(actor=actors["township"], kind="registry.requests_import",
                            params={"path": str(path), "name": "list.csv", "program": "reservoir", "submit": True})
    job = job_execute(job.pk)
    assert job.state == Job.State.SUCCEEDED and job.result["rejected"] == 1 and job.result["created"] == 0
    assert job.result["errors"][0]["code"] == "date_future" and job.result_file.endswith(".xlsx")
    assert not path.parent.exists()
