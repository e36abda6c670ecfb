"""The error workbook and the blank template, read back with python-calamine."""

from __future__ import annotations

import datetime
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from anju.imports import errors
from anju.imports.errors import RowError, write_error_workbook, write_template
from anju.imports.readers import RowData, read_table

pytestmark = pytest.mark.django_db


def _sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python(skip_empty_area=False)


def test_row_error_as_dict():
    e = RowError("名册", 5, "身份证号", "123", "id_invalid", "身份证号校验位错误")
    assert e.as_dict() == {"sheet": "名册", "row": 5, "column": "身份证号", "value": "123", "code": "id_invalid", "message": "身份证号校验位错误"}


def test_error_workbook_marks_cells_and_lists_errors(tmp_path):
    headers = ["序号", "姓名", "身份证号", "出生日期", "金额"]
    row1 = RowData("名册", 5, ("张三", "4205"), (1.0, "张三", "=HYPERLINK(\"x\")", datetime.date(1965, 1, 1), 12.5))
    row2 = RowData("名册", 9, ("李四", None), (2.0, "李四", None, None, None))
    rejected = [
        (row1, [RowError("名册", 5, "身份证号", "=HYPERLINK(\"x\")", "id_invalid", "身份证号格式错误"),
                RowError("名册", 5, "出生日期", "1965-01-01", "birth_mismatch", "出生日期与身份证号不符")]),
        (row2, [RowError("名册", 9, "身份证号", "", "required", "身份证号不能为空"), RowError("名册", 9, "", "", "duplicate", "与第 5 行重复")]),
    ]
    file_errors = [RowError("名册", 3, "", "", "unknown_header", "+忽略了列“备注”")]
    path = tmp_path / "errors.xlsx"
    write_error_workbook(path, table_title="白云县花名册", headers=headers, rejected=rejected, file_errors=file_errors)

    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["错误行", "错误清单"]
    rows = _sheet(path, "错误行")
    assert rows[0] == headers + ["原行号", "错误说明"]
    assert rows[1][:5] == [1.0, "张三", "'=HYPERLINK(\"x\")", datetime.date(1965, 1, 1), 12.5]  # formula neutralised
    assert rows[1][5:] == [5.0, "身份证号：身份证号格式错误；出生日期：出生日期与身份证号不符"]
    assert rows[2][5:] == [9.0, "身份证号：身份证号不能为空；与第 5 行重复"]

    listing = _sheet(path, "错误清单")
    assert listing[0][0] == "白云县花名册"
    assert listing[1] == ["工作表", "行号", "列", "值", "代码", "说明"]
    assert listing[2] == ["名册", 3.0, "", "", "unknown_header", "'+忽略了列“备注”"]
    assert listing[3] == ["名册", 5.0, "身份证号", "'=HYPERLINK(\"x\")", "id_invalid", "身份证号格式错误"]
    assert [r[1] for r in listing[2:]] == [3.0, 5.0, 5.0, 9.0, 9.0]

    # Bad cells carry a comment with the message and a red fill (checked in the package XML, which calamine does not read).
    with zipfile.ZipFile(path) as zf:
        comments = next(zf.read(n).decode() for n in zf.namelist() if "comments" in n)
        styles = zf.read("xl/styles.xml").decode()
    assert "身份证号格式错误" in comments and "出生日期与身份证号不符" in comments and "身份证号不能为空" in comments
    assert "FFFFC7CE" in styles


def test_error_workbook_comment_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(errors, "MAX_COMMENTS", 1)
    rows = [(RowData("S", i, (), ("x",)), [RowError("S", i, "A", "x", "bad", f"错{i}")]) for i in (2, 3)]
    path = tmp_path / "e.xlsx"
    write_error_workbook(path, table_title="t", headers=["A"], rejected=rows)
    with zipfile.ZipFile(path) as zf:
        comments = next(zf.read(n).decode() for n in zf.namelist() if "comments" in n)
    assert "错2" in comments and "错3" not in comments
    assert _sheet(path, "错误行")[2] == ["x", 3.0, "A：错3"]


def test_error_workbook_reimports_as_the_template(tmp_path, spec, write_csv, header):
    """The corrected 错误行 sheet is itself importable: same headers, extra columns ignored."""
    source = write_csv([header, ["1", "张三", "bad", "", "", "", "", "", "", ""]])
    table = read_table(source, spec=spec)
    (row,) = list(table.rows())
    path = tmp_path / "errors.xlsx"
    write_error_workbook(path, table_title=spec.title, headers=table.headers,
                         rejected=[(row, [RowError(table.sheet, row.number, table.column_label("id_number"), "bad", "id_invalid", "错")])])
    again = read_table(path, spec=spec)
    assert again.sheet == "错误行" and again.unknown_headers == ["序号", "原行号", "错误说明"]
    assert [r.values[:2] for r in again.rows()] == [("张三", "bad")]


def test_template(tmp_path, spec):
    path = tmp_path / "template.xlsx"
    write_template(path, spec=spec, example_rows=[["张三", "420527196501011234", datetime.date(1965, 1, 1), "2003-05", "农行", "6228480012345678"]],
                   notes=["每户一行一人", "=不是公式"])
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["测试花名册", "填写说明"]
    rows = _sheet(path, "测试花名册")
    assert rows[0] == [f.label for f in spec.fields]
    assert rows[1][:6] == ["张三", "420527196501011234", datetime.date(1965, 1, 1), "2003-05", "农行", "6228480012345678"]
    info = _sheet(path, "填写说明")
    flat = [c for r in info for c in r if c]
    assert "每户一行一人" in flat and "'=不是公式" in flat
    assert "身份证号码、公民身份号码、证件号码" in flat
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        comments = next(zf.read(n).decode() for n in zf.namelist() if "comments" in n)
    assert "必填" in comments
    assert 'formatCode="@"' in zf_styles(path)  # the text format for the ID and account columns (2nd and 6th)
    assert '<col min="2" max="2"' in sheet and '<col min="6" max="6"' in sheet
    assert 'style="1"' in sheet.split('<col min="2"')[1].split("/>")[0]
    # The template itself imports (no data rows beyond the example).
    table = read_table(path, spec=spec)
    assert set(table.columns) == set(spec.field_names)
    assert [r.values[1] for r in table.rows()] == ["420527196501011234"]


def zf_styles(path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/styles.xml").decode()
