"""Spreadsheet reading: title rows, two-row headers, merged cells, sheet choice, cell types, zip-bomb guard."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest

from anju.imports import readers
from anju.imports.readers import ImportFileError, check_zip, read_table

pytestmark = pytest.mark.django_db

TITLE = "白云县2025年水库移民后期扶持人口花名册"


def _roster(wb, sheets):
    """A county roster as kept in practice: merged title, unit line, two-row header with merged parents."""
    ws = sheets["花名册"]
    ws.merge_range(0, 0, 0, 7, TITLE)
    ws.write(1, 0, "填报单位：白云县移民局")
    ws.write(1, 6, "单位：元")
    ws.merge_range(2, 0, 3, 0, "序号")
    ws.merge_range(2, 1, 3, 1, "姓 名")
    ws.merge_range(2, 2, 3, 2, "公民身份号码")
    ws.merge_range(2, 3, 3, 3, "出生年月")
    ws.merge_range(2, 4, 2, 5, "银行信息")
    ws.write(3, 4, "开户银行")
    ws.write(3, 5, "银行卡号")
    ws.merge_range(2, 6, 3, 6, "村（社区）")
    ws.merge_range(2, 7, 3, 7, "金额")


ROWS = [
    [1, "张三", "420527196501011234", datetime.date(1965, 1, 1), "农行", "6228480012345678", "李村", 1200.5],
    [2, "李四", 420527196501011234.0, "1965.01", "农行", " 6228 4800 ", "李村", 600],
    [None] * 8,
    [3, "王五", "420527196501011234", 23743, True, "6228", None, 0],
    ["合计", None, None, None, None, None, None, 1800.5],
]


def test_title_rows_and_two_row_header(write_xlsx, spec):
    path = write_xlsx({"花名册": [[]] * 4 + ROWS}, build=_roster)
    table = read_table(path, spec=spec)
    assert table.sheet == "花名册" and table.header_row == 4 and table.kind == "excel"
    assert table.headers == ["序号", "姓 名", "公民身份号码", "出生年月", "开户银行", "银行卡号", "村（社区）", "金额"]
    assert table.columns == {"name": "姓 名", "id_number": "公民身份号码", "birth_date": "出生年月", "bank": "开户银行",
                             "account": "银行卡号", "village": "村（社区）", "amount": "金额"}  # 金额 ~ 金额（元）: notes ignored
    assert table.unknown_headers == ["序号"]
    rows = list(table.rows())
    assert [r.number for r in rows] == [5, 6, 8]
    assert table.skipped == {"blank": 1, "total": 1}
    by_field = [dict(zip(table.fields, r.values, strict=True)) for r in rows]
    first, second, third = by_field
    assert first["name"] == "张三" and first["id_number"] == "420527196501011234" and first["birth_date"] == datetime.date(1965, 1, 1)
    assert first["account"] == "6228480012345678" and first["move_date"] is None and first["amount"] == 1200.5
    # Numbers stay numbers (an ID typed as a number is the caller's error); text is stripped.
    assert isinstance(second["id_number"], float) and abs(second["id_number"] - 420527196501011234) < 1000  # digits already lost
    assert second["birth_date"] == "1965.01" and second["account"] == "6228 4800"
    assert third["birth_date"] == 23743 and third["bank"] is True and third["village"] is None
    assert rows[0].raw[0] == 1 and rows[1].raw[5] == " 6228 4800 "


def test_lower_header_text_wins_over_parent(write_xlsx, spec):
    def build(wb, sheets):
        ws = sheets["S"]
        ws.merge_range(0, 0, 0, 1, "户主")
        ws.write_row(1, 0, ["姓名", "身份证号"])
    path = write_xlsx({"S": [[], [], ["张三", "420527196501011234"]]}, build=build)
    table = read_table(path, spec=spec)
    assert table.header_row == 2 and table.columns == {"name": "姓名", "id_number": "身份证号"}


def test_sheet_choice_first_sheet_with_required_columns(write_xlsx, spec):
    path = write_xlsx({
        "填表说明": [["请按模板填写"], ["姓名", "备注"]],
        "汇总": [["乡镇", "人数"], ["城关镇", 3]],
        "名册": [["姓名", "身份证号"], ["张三", "420527196501011234"]],
        "名册2": [["姓名", "身份证号"], ["李四", "420527196501011234"]],
    })
    table = read_table(path, spec=spec)
    assert table.sheet == "名册"
    assert [r.values[0] for r in table.rows()] == ["张三"]


def test_missing_columns_names_the_best_sheet(write_xlsx, spec):
    path = write_xlsx({"说明": [["说明"]], "名册": [["标题"], ["姓名", "出生日期"], ["张三", "1965-01-01"]]})
    with pytest.raises(ImportFileError) as exc:
        read_table(path, spec=spec)
    assert exc.value.code == "missing_columns"
    assert exc.value.message == readers.MSG_MISSING_COLUMNS % {"sheet": "名册", "columns": "身份证号", "row": 2}


def test_leading_empty_rows_and_columns_keep_spreadsheet_numbers(write_xlsx, spec):
    def build(wb, sheets):
        ws = sheets["S"]
        ws.write_row(5, 2, ["姓名", "身份证号"])
        ws.write_row(6, 2, ["张三", "420527196501011234"])
        ws.write_row(8, 2, ["李四", "420527196501011234"])
    table = read_table(write_xlsx({"S": []}, build=build), spec=spec)
    assert table.header_row == 6
    assert [(r.number, r.values[:2]) for r in table.rows()] == [(7, ("张三", "420527196501011234")), (9, ("李四", "420527196501011234"))]


def test_vertically_merged_data_cells_fill_each_row(write_xlsx, spec):
    def build(wb, sheets):
        ws = sheets["S"]
        ws.write_row(0, 0, ["村", "姓名", "身份证号"])
        ws.merge_range(1, 0, 3, 0, "李村")
        ws.write_row(1, 1, ["张三", "1"])
        ws.write_row(2, 1, ["张四", "2"])
        ws.write_row(3, 1, ["张五", "3"])
        ws.write_row(4, 0, ["王村", "王一", "4"])
    table = read_table(write_xlsx({"S": []}, build=build), spec=spec)
    got = [(r.number, r.values[0], r.values[7]) for r in table.rows()]
    assert got == [(2, "张三", "李村"), (3, "张四", "李村"), (4, "张五", "李村"), (5, "王一", "王村")]


def test_empty_workbook(write_xlsx, spec):
    with pytest.raises(ImportFileError) as exc:
        read_table(write_xlsx({"Sheet1": []}), spec=spec)
    assert exc.value.code == "file_empty"


def test_no_header_in_workbook(write_xlsx, spec):
    with pytest.raises(ImportFileError) as exc:
        read_table(write_xlsx({"Sheet1": [["甲", "乙"]], "Sheet2": [["丙"]]}), spec=spec)
    assert exc.value.code == "no_header" and exc.value.detail == {"sheets": ["Sheet1", "Sheet2"]}


def test_file_object_xlsx(write_xlsx, spec):
    data = write_xlsx({"S": [["姓名", "身份证号"], ["张三", "420527196501011234"]]}).read_bytes()
    table = read_table(io.BytesIO(data), spec=spec, filename="名册.xlsx")
    assert [r.values[:2] for r in table.rows()] == [("张三", "420527196501011234")]
    assert read_table(io.BytesIO(data), spec=spec).kind == "excel"  # no name: sniffed


def test_corrupt_xlsx(tmp_path, spec):
    path = tmp_path / "broken.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    path.write_bytes(buf.getvalue())
    with pytest.raises(ImportFileError) as exc:
        read_table(path, spec=spec)
    assert exc.value.code == "file_type" and exc.value.message == readers.MSG_FILE_CONTENT % {"name": "broken.xlsx"}


def test_zip_bomb_by_uncompressed_size(tmp_path, spec, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ZIP_UNCOMPRESSED_BYTES", 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 1024 * 1024))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 20_000  # small on disk, 2 MB expanded
    with pytest.raises(ImportFileError) as exc:
        read_table(path, spec=spec)
    assert exc.value.code == "zip_bomb"
    assert exc.value.message == readers.MSG_ZIP_BOMB % {"size": "2.0 MB", "count": 1, "limit": "1.0 MB", "max_count": readers.MAX_ZIP_ENTRIES}


def test_zip_bomb_by_entry_count(spec, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ZIP_ENTRIES", 5)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(6):
            zf.writestr(f"part{i}.xml", "<x/>")
    with pytest.raises(ImportFileError) as exc:
        check_zip(buf, "many.xlsx")
    assert exc.value.code == "zip_bomb" and exc.value.detail["entries"] == 6


def test_zip_entry_lying_about_its_size(tmp_path, spec):
    """A bomb may declare a small size; inflating checks the real size against the declared one and the CRC."""
    import struct

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 1024 * 1024))
    data = bytearray(buf.getvalue())
    data[22:26] = struct.pack("<I", 1000)  # local header: uncompressed size
    central = data.index(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 1000)  # central directory: uncompressed size
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError) as exc:
        read_table(path, spec=spec)
    assert exc.value.code == "file_type"


def test_default_limits_accept_a_normal_workbook(write_xlsx):
    check_zip(write_xlsx({"S": [["姓名"]] * 100}))
