"""Cell value parsers: every accepted form and every error code with its message."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from anju.imports import values
from anju.imports.values import (
    CellError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_digits,
    parse_int,
    parse_name,
    parse_text,
    reject_numeric,
)

D = datetime.date


def _err(fn, *args, **kw) -> CellError:
    with pytest.raises(CellError) as exc:
        fn(*args, **kw)
    assert isinstance(exc.value, ValueError)
    return exc.value


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), ("  张三 ", "张三"), ("ＡＢＣ１２３", "ABC123"), (12.0, "12"), (12.5, "12.5"), (7, "7"), (True, "是"), (False, "否"),
    (D(2003, 5, 1), "2003-05-01"), (datetime.datetime(2003, 5, 1), "2003-05-01"),
    (datetime.datetime(2003, 5, 1, 8, 30), "2003-05-01 08:30:00"), ("\u3000李村\u3000", "李村"),
])
def test_parse_text(value, expected):
    assert parse_text(value) == expected


def test_parse_name_removes_inner_whitespace():
    assert parse_name("张 三") == "张三"
    assert parse_name(" 买买提·艾力\u3000") == "买买提·艾力"
    assert parse_name(None) == ""


@pytest.mark.parametrize(("value", "expected"), [
    (D(2003, 5, 1), D(2003, 5, 1)),
    (datetime.datetime(2003, 5, 1, 12, 0), D(2003, 5, 1)),
    (37742, D(2003, 5, 1)),  # Excel serial
    (37742.75, D(2003, 5, 1)),  # serial with a time of day
    (1, D(1900, 1, 1)), (59, D(1900, 2, 28)), (61, D(1900, 3, 1)),
    ("2003-05-01", D(2003, 5, 1)), ("2003/5/1", D(2003, 5, 1)), ("2003.5.1", D(2003, 5, 1)), (" 2003-05-01 00:00:00 ", D(2003, 5, 1)),
    ("２００３－０５－０１", D(2003, 5, 1)), ("20030501", D(2003, 5, 1)), (20030501, D(2003, 5, 1)), (20030501.0, D(2003, 5, 1)),
    ("2003年5月1日", D(2003, 5, 1)), ("2003 年 5 月 1 日", D(2003, 5, 1)), ("2003年05月01号", D(2003, 5, 1)),
    ("2003.05", D(2003, 5, 1)), ("2003-5", D(2003, 5, 1)), ("2003/05", D(2003, 5, 1)), ("2003年5月", D(2003, 5, 1)),
    ("200305", D(2003, 5, 1)), (200305, D(2003, 5, 1)),
])
def test_parse_date_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2003.05", "2003年5月", "200305", "2003-5"])
def test_month_forms_refused_when_a_day_is_needed(value):
    err = _err(parse_date, value, allow_month=False)
    assert err.code == "date_format"
    assert err.message == values.MSG_DATE_FORMAT % {"value": value, "forms": values.DATE_FORMS}


@pytest.mark.parametrize("value", ["五月一日", "2003", "03-05-01", "1/5/2003", "", None, True, "2003-05-01x", float("nan"), 12.5e9 + 0.5])
def test_parse_date_format_error(value):
    err = _err(parse_date, value)
    assert err.code == "date_format"
    assert values.DATE_FORMS in err.message and values.MONTH_FORMS in err.message


@pytest.mark.parametrize(("value", "shown"), [
    ("2003-02-30", "2003-02-30"), ("2003-13-01", "2003-13-01"), ("2003.13", "2003.13"), ("20030230", "20030230"),
    ("1800-01-01", "1800-01-01"), ("2003年2月30日", "2003年2月30日"), (60, "1900-02-29"), (D(1850, 1, 1), "1850-01-01"),
])
def test_parse_date_invalid(value, shown):
    err = _err(parse_date, value)
    assert err.code == "date_invalid"
    assert err.message == values.MSG_DATE_INVALID % {"value": shown}


def test_parse_digits():
    assert parse_digits(" 6228 4800\u30001234 ", field_label="银行账号") == "622848001234"
    assert parse_digits("６２２８", field_label="银行账号") == "6228"
    assert parse_digits(None, field_label="银行账号") == ""
    err = _err(parse_digits, "6228-4800", field_label="银行账号")
    assert err.code == "not_digits" and err.message == values.MSG_NOT_DIGITS % {"field": "银行账号", "value": "6228-4800"}
    assert _err(parse_digits, "六二二八", field_label="银行账号").code == "not_digits"
    for number, shown in ((6.228480012345678e18, "6228480012345677824"), (622848, "622848")):
        err = _err(parse_digits, number, field_label="银行账号")
        assert err.code == "numeric_cell"
        assert err.message == values.MSG_NUMERIC_CELL % {"field": "银行账号", "value": shown}
    err = _err(parse_digits, "6.22848E+18", field_label="银行账号")  # Excel's CSV of a number cell
    assert err.code == "numeric_cell" and "6.22848E+18" in err.message
    assert _err(parse_digits, True, field_label="银行账号").code == "not_digits"


def test_reject_numeric_for_id_cells():
    reject_numeric("42052719650101123X", field_label="身份证号")
    err = _err(reject_numeric, 4.205271965010113e17, field_label="身份证号")
    assert err.code == "numeric_cell" and err.message.startswith("身份证号是数值格式")
    assert _err(reject_numeric, "4.20527E+17", field_label="身份证号").code == "numeric_cell"


@pytest.mark.parametrize(("value", "expected"), [
    ("12.5", Decimal("12.50")), ("1,234.50", Decimal("1234.50")), ("¥100", Decimal("100.00")), ("￥100", Decimal("100.00")),
    ("100元", Decimal("100.00")), (" -3 ", Decimal("-3.00")), ("12.500", Decimal("12.50")), (12, Decimal("12.00")),
    (12.345, Decimal("12.35")), (0.1 + 0.2, Decimal("0.30")), ("１２", Decimal("12.00")),
])
def test_parse_decimal(value, expected):
    assert parse_decimal(value) == expected


@pytest.mark.parametrize("value", ["abc", "12.345", "1e3", "", None, True, float("inf"), "NaN", "12..5"])
def test_parse_decimal_error(value):
    err = _err(parse_decimal, value)
    assert err.code == "decimal_format"
    assert err.message == values.MSG_DECIMAL_FORMAT % {"value": values._shown(value), "places": 2}


def test_parse_decimal_places():
    assert parse_decimal("3.1416", places=4) == Decimal("3.1416")
    assert parse_decimal("3", places=0) == Decimal("3")
    assert _err(parse_decimal, "3.5", places=0).code == "decimal_format"


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" 1,200 ", 1200), ("12.0", 12), (7, 7), (7.0, 7), ("－3", -3), ("３", 3)])
def test_parse_int(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["12.5", 7.5, "三", "", None, False, "1e3", float("nan")])
def test_parse_int_error(value):
    err = _err(parse_int, value)
    assert err.code == "int_format" and err.message == values.MSG_INT_FORMAT % {"value": values._shown(value)}


@pytest.mark.parametrize("value", ["是", "Y", "y", "yes", "YES", "1", 1, 1.0, "√", "true", "TRUE", True, " 是 "])
def test_parse_bool_true(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["否", "N", "no", "No", "0", 0, "×", "false", False])
def test_parse_bool_false(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["也许", 2, "", None])
def test_parse_bool_error(value):
    err = _err(parse_bool, value)
    assert err.code == "bool_format" and err.message == values.MSG_BOOL_FORMAT % {"value": values._shown(value)}


MODES = {"直补": "direct", "直发直补": "direct", "项目扶持": "project"}


def test_parse_choice():
    assert parse_choice("直补", MODES) == "direct"
    assert parse_choice(" 直发 直补 ", MODES) == "direct"
    assert parse_choice("项目扶持", MODES) == "project"
    assert parse_choice("Ａ类", {"A类": "a"}) == "a"
    assert parse_choice("集中(城镇)", {"集中（城镇）": "cu"}) == "cu"
    err = _err(parse_choice, "现金", MODES)
    assert err.code == "choice_invalid"
    assert err.message == values.MSG_CHOICE_INVALID % {"value": "现金", "choices": "直补、直发直补、项目扶持"}
    assert _err(parse_choice, None, MODES).code == "choice_invalid"
