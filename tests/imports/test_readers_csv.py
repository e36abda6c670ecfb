"""CSV reading: encodings, header detection and normalisation, skipped rows, file-level errors."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.imports import readers
from anju.imports.models import HeaderAlias
from anju.imports.readers import ImportFileError, read_table

pytestmark = pytest.mark.django_db

ROW = ["1", "张三", "420527196501011234", "1965-01-01", "2003.05", "农行", "6228 4800 1234", "直补", "李村", "12.50"]


def _values(table):
    return [dict(zip(table.fields, r.values, strict=True)) for r in table.rows()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_reads_utf8_with_or_without_bom_and_gbk(write_csv, spec, header, encoding):
    path = write_csv([header, ROW], encoding=encoding)
    table = read_table(path, spec=spec)
    assert table.encoding == ("gb18030" if encoding in ("gb18030", "gbk") else "utf-8-sig")
    assert table.header_row == 1 and table.sheet == "roster.csv"
    (row,) = list(table.rows())
    assert row.number == 2
    assert row.values == ("张三", "420527196501011234", "1965-01-01", "2003.05", "农行", "6228 4800 1234", "直补", "李村", "12.50")
    assert row.raw == tuple(ROW)
    assert table.unknown_headers == ["序号"]
    assert table.headers == header


def test_reads_utf16_tab_separated(tmp_path, spec, header):
    path = tmp_path / "unicode.txt"
    path.write_bytes(("\t".join(header) + "\r\n" + "\t".join(ROW) + "\r\n").encode("utf-16"))
    table = read_table(path, spec=spec)
    assert table.encoding == "utf-16"
    assert [r.values[0] for r in table.rows()] == ["张三"]


def test_header_below_title_rows_and_row_numbers_as_shown(write_csv, spec, header):
    path = write_csv([["白云县2025年水库移民后期扶持人口花名册"], ["填报单位：白云县移民局", "", "日期：2025-03-01"], [], header,
                      ROW, [], ["2", "李四", "420527196501011234"]])
    table = read_table(path, spec=spec)
    assert table.header_row == 4
    rows = list(table.rows())
    assert [r.number for r in rows] == [5, 7]
    assert table.skipped == {"blank": 1, "total": 0}
    assert rows[1].values[2:] == (None,) * 7  # short row: the absent cells are None


def test_header_normalisation_spaces_marks_notes_fullwidth(write_csv, spec):
    header = ["序 号", "姓　名", "*身份证号码（必填）", "出生日期：", "搬迁时间(年月)", "开户行", "银行卡号 *", "补助方式", "村(社区)", "金额(元)"]
    table = read_table(write_csv([header, ROW]), spec=spec)
    assert table.columns == {
        "name": "姓　名", "id_number": "*身份证号码（必填）", "birth_date": "出生日期：", "move_date": "搬迁时间(年月)",
        "bank": "开户行", "account": "银行卡号 *", "mode": "补助方式", "village": "村(社区)", "amount": "金额(元)",
    }
    assert table.unknown_headers == ["序 号"]
    assert table.column_label("name") == "姓　名"


def test_absent_optional_columns_give_none(write_csv, spec):
    table = read_table(write_csv([["身份证号", "姓名"], ["420527196501011234", "张三"]]), spec=spec)
    assert table.fields == spec.field_names
    assert _values(table) == [{"name": "张三", "id_number": "420527196501011234", "birth_date": None, "move_date": None, "bank": None,
                               "account": None, "mode": None, "village": None, "amount": None}]
    assert table.column_index("bank") is None and table.column_label("bank") == "开户银行"


def test_cells_are_stripped_and_empty_cells_are_none(write_csv, spec, header):
    table = read_table(write_csv([header, ["1", "  张三 ", "420527196501011234", "", " ", "农行", "", "直补", "\u3000李村\u3000", ""]]), spec=spec)
    (row,) = list(table.rows())
    assert row.values == ("张三", "420527196501011234", None, None, "农行", None, "直补", "李村", None)
    assert row.raw[1] == "  张三 "


def test_blank_and_total_rows_are_skipped_and_counted(write_csv, spec, header):
    path = write_csv([header, ROW, ["", "", ""], ["  ", ""], ["", "小计", "", "", "", "", "", "", "", "12.50"], ROW,
                      ["合 计", "", "", "", "", "", "", "", "", "25.00"], ["总计："], ["", "本页小计"],
                      ["3", "计小明", "420527196501011234"], ["4", "王五", "合计"], ["共计合计说明文字很长很长很长很长不是合计行"]])
    table = read_table(path, spec=spec)
    rows = list(table.rows())
    assert [r.number for r in rows] == [2, 6, 10, 11, 12]
    assert [r.values[0] for r in rows] == ["张三", "张三", "计小明", "王五", None]
    assert table.skipped == {"blank": 2, "total": 4}


def test_quoted_newline_is_one_row(write_csv, spec, header):
    table = read_table(write_csv([header, ["1", "张三", "420527196501011234", "", "", "", "", "", "李村\n三组"], ROW]), spec=spec)
    rows = list(table.rows())
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].values[7] == "李村\n三组"


def test_rows_can_be_read_again(write_csv, spec, header):
    table = read_table(write_csv([header, ROW, [], ROW]), spec=spec)
    assert len(list(table.rows())) == 2
    assert len(list(table.rows())) == 2
    assert table.skipped == {"blank": 1, "total": 0}


def test_file_object_and_uploaded_file(write_csv, spec, header):
    data = write_csv([header, ROW], encoding="gb18030").read_bytes()
    table = read_table(io.BytesIO(data), spec=spec, filename="名册.csv")
    assert table.sheet == "名册.csv" and [r.values[0] for r in table.rows()] == ["张三"]
    upload = SimpleUploadedFile("上传.csv", data)
    table = read_table(upload, spec=spec)
    assert table.sheet == "上传.csv" and [r.values[0] for r in table.rows()] == ["张三"]
    unnamed = read_table(io.BytesIO(data), spec=spec)  # no name: sniffed as text
    assert unnamed.kind == "csv" and unnamed.sheet == "CSV"


def test_progress_is_reported(write_csv, spec, header, monkeypatch):
    monkeypatch.setattr(readers, "PROGRESS_EVERY", 2)
    calls = []
    table = read_table(write_csv([header] + [ROW] * 5), spec=spec, progress=lambda pct, msg: calls.append((pct, msg)))
    assert len(list(table.rows())) == 5
    assert calls and all(0 <= pct <= 99 for pct, _ in calls)
    assert "已读取" in calls[0][1]


def test_user_alias_maps_a_column(write_csv, spec):
    path = write_csv([["户主姓名", "身份证号", "卡号（一卡通）"], ["张三", "420527196501011234", "6228"]])
    with pytest.raises(ImportFileError) as exc:
        read_table(path, spec=spec)
    assert exc.value.code == "missing_columns"
    HeaderAlias.objects.create(template=spec.template, field="name", alias="户主姓名")
    HeaderAlias.objects.create(template=spec.template, field="account", alias="卡号（一卡通）")
    HeaderAlias.objects.create(template=spec.template, field="gone", alias="身份证号")  # a field the spec no longer has
    HeaderAlias.objects.create(template="other.template", field="bank", alias="姓名")
    table = read_table(path, spec=spec)
    assert table.columns == {"name": "户主姓名", "id_number": "身份证号", "account": "卡号（一卡通）"}


def test_builtin_names_win_over_user_aliases(write_csv, spec):
    HeaderAlias.objects.create(template=spec.template, field="bank", alias="姓名")
    table = read_table(write_csv([["姓名", "身份证号"], ["张三", "420527196501011234"]]), spec=spec)
    assert table.columns == {"name": "姓名", "id_number": "身份证号"}


# --- file-level errors ------------------------------------------------------------------------------------

def _error(path_or_file, spec, **kw) -> ImportFileError:
    with pytest.raises(ImportFileError) as exc:
        read_table(path_or_file, spec=spec, **kw)
    return exc.value


def test_missing_required_columns(write_csv, spec):
    err = _error(write_csv([["标题"], ["姓名", "出生日期", "开户银行"], ["张三", "1965-01-01", "农行"]]), spec)
    assert err.code == "missing_columns" and err.status == 422
    assert err.message == readers.MSG_MISSING_COLUMNS % {"sheet": "roster.csv", "columns": "身份证号", "row": 2}
    assert err.detail == {"sheet": "roster.csv", "row": 2, "columns": ["身份证号"]}


def test_no_header(write_csv, spec):
    err = _error(write_csv([["甲", "乙"], ["1", "2"]]), spec)
    assert err.code == "no_header"
    assert err.message == readers.MSG_NO_HEADER % {"n": 30, "title": "测试花名册", "examples": "姓名、身份证号、出生日期"}


def test_header_beyond_scan_window(write_csv, spec, header):
    err = _error(write_csv([["说明"]] * 30 + [header, ROW]), spec)
    assert err.code == "no_header"


def test_duplicate_column(write_csv, spec):
    err = _error(write_csv([["姓名", "身份证号", "公民身份号码"], ["张三", "1", "2"]]), spec)
    assert err.code == "duplicate_column"
    assert err.message == readers.MSG_DUPLICATE_COLUMN % {"sheet": "roster.csv", "first": "身份证号", "second": "公民身份号码", "label": "身份证号"}
    assert err.detail["columns"] == ["身份证号", "公民身份号码"]


def test_empty_files(tmp_path, write_csv, spec):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _error(empty, spec).code == "file_empty"
    assert _error(empty, spec).message == readers.MSG_FILE_EMPTY % {"name": "empty.csv"}
    assert _error(write_csv([[], ["", " "], []]), spec).code == "file_empty"


def test_undecodable_file(tmp_path, spec):
    path = tmp_path / "bad.csv"
    path.write_bytes("姓名,身份证号\n".encode() + b"\xff\xfe\xff\x80\x80\n")
    err = _error(path, spec)
    assert err.code == "file_encoding" and err.message == readers.MSG_FILE_ENCODING % {"name": "bad.csv"}


def test_file_type_by_extension_and_content(tmp_path, write_csv, spec, header):
    pdf = tmp_path / "roster.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    err = _error(pdf, spec)
    assert err.code == "file_type" and err.message == readers.MSG_FILE_TYPE % {"name": "roster.pdf"}
    fake = write_csv([header, ROW], name="roster.xlsx")  # text named .xlsx
    err = _error(fake, spec)
    assert err.code == "file_type" and err.message == readers.MSG_FILE_CONTENT % {"name": "roster.xlsx"}
    zipped = tmp_path / "roster.csv"
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    assert _error(zipped, spec).code == "file_type"


def test_file_too_large(write_csv, spec, header, monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    err = _error(write_csv([header, ROW, ROW]), spec)
    assert err.code == "file_too_large"
    assert err.detail["limit"] == 100


def test_broken_csv_row(write_csv, spec, header):
    table = read_table(write_csv([header, ROW, ["1", "x" * (readers.CSV_FIELD_LIMIT + 10)]]), spec=spec)
    rows = table.rows()
    assert next(rows).number == 2
    with pytest.raises(ImportFileError) as exc:
        next(rows)
    assert exc.value.code == "file_type" and exc.value.detail == {"row": 3}
