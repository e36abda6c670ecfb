"""Header normalisation and the built-in lookup of a spec."""

from __future__ import annotations

import pytest

from anju.imports.spec import FieldSpec, TableSpec, builtin_lookup, header_keys, normalise_header, strip_notes


@pytest.mark.parametrize(("text", "expected"), [
    ("姓 名", "姓名"), ("姓\u3000名", "姓名"), (" 身份证号\n", "身份证号"), ("*身份证号", "身份证号"), ("身份证号＊", "身份证号"),
    ("出生日期：", "出生日期"), ("出生日期:", "出生日期"), ("金额(元)", "金额（元）"), ("金额（元）", "金额（元）"),
    ("ＩＤ号", "ID号"), ("序号1", "序号1"), (None, ""), (12.0, "12"), ("", ""),
])
def test_normalise_header(text, expected):
    assert normalise_header(text) == expected


def test_header_keys_with_and_without_notes():
    assert header_keys("身份证号（必填）") == ("身份证号（必填）", "身份证号")
    assert header_keys("*银行账号(选填)：") == ("银行账号（选填）", "银行账号")
    assert header_keys("姓名") == ("姓名",)
    assert header_keys("  ") == ()
    assert strip_notes("（必填）姓名") == "姓名"


def test_builtin_lookup_labels_win_and_ambiguous_notes_are_dropped():
    spec = TableSpec("t", "T", (
        FieldSpec("a", "面积（平方米）", ("住房面积",)),
        FieldSpec("b", "面积（亩）"),
        FieldSpec("c", "账号", ("卡号",)),
        FieldSpec("d", "卡号（旧）", ("账号",)),
    ))
    lookup = builtin_lookup(spec)
    assert lookup["面积（平方米）"] == "a" and lookup["面积（亩）"] == "b" and lookup["住房面积"] == "a"
    assert "面积" not in lookup  # both 面积 fields claim it: never guess
    assert lookup["账号"] == "c"  # a label beats another field's alias
    assert lookup["卡号（旧）"] == "d" and lookup["卡号"] == "c"
