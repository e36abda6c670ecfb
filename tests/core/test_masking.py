"""Masking of personal data for display, and spreadsheet formula neutralisation."""

from __future__ import annotations

import pytest

from anju.core.masking import mask_bank_account, mask_phone, mask_resident_id, safe_cell


def test_resident_id_keeps_first_three_and_last_four():
    assert mask_resident_id("420527199001011234") == "420***********1234"
    assert mask_resident_id("42052719900101123X") == "420***********123X"
    assert mask_resident_id("420527900101123") == "420********1123"  # old 15-digit number
    assert len(mask_resident_id("420527199001011234")) == 18


def test_bank_card_keeps_first_four_and_last_four():
    assert mask_bank_account("6222021234567890123") == "6222***********0123"
    assert mask_bank_account("6217000010001234") == "6217********1234"
    assert mask_bank_account("123456789") == "1234*6789"


def test_phone_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("fn, value, expected", [
    (mask_resident_id, "1234567", "*******"),
    (mask_resident_id, "12", "**"),
    (mask_bank_account, "12345678", "********"),
    (mask_phone, "1234", "****"),
])
def test_short_values_are_fully_masked(fn, value, expected):
    assert fn(value) == expected


@pytest.mark.parametrize("fn", [mask_resident_id, mask_bank_account, mask_phone])
@pytest.mark.parametrize("value", [None, ""])
def test_empty_values(fn, value):
    assert fn(value) == ""


@pytest.mark.parametrize("value", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tcmd", "\rcmd",
                                   '=HYPERLINK("http://evil","点我")', "=cmd|' /C calc'!A0"])
def test_safe_cell_neutralises_formulas(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "420527199001011234", "a=b", " =1", "", "'=already"])
def test_safe_cell_leaves_plain_text(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [None, 5, -3, 1.5])
def test_safe_cell_leaves_non_text(value):
    assert safe_cell(value) == value
