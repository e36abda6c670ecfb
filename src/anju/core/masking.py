"""Masking of personal data for display (POLICY.md §4)."""

from __future__ import annotations


def _mask(value: str | None, head: int, tail: int) -> str:
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_resident_id(value: str | None) -> str:
    """Resident ID: first 3 and last 4 visible, e.g. 420***********1234."""
    return _mask(value, 3, 4)


def mask_bank_account(value: str | None) -> str:
    """Bank card: first 4 and last 4 visible."""
    return _mask(value, 4, 4)


def mask_phone(value: str | None) -> str:
    """Phone: first 3 and last 4 visible."""
    return _mask(value, 3, 4)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formula injection: text starting with = + - @ TAB CR gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
