"""Division code arithmetic: short and full forms, level from code, prefixes."""

from __future__ import annotations

from anju.divisions.models import PREFIX_LENGTH, Level

LENGTH_TO_LEVEL = {length: level for level, length in PREFIX_LENGTH.items()}


def full_code(short: str) -> str:
    """'420527' -> '420527000000'. Raises ValueError for anything that is not 2/4/6/9/12 digits."""
    short = (short or "").strip()
    if not short.isdigit() or not short.isascii() or len(short) not in LENGTH_TO_LEVEL:
        raise ValueError(short)
    return short.ljust(12, "0")


def level_of(code: str) -> Level:
    """Level of a full 12-digit code, read from which trailing groups are zero."""
    if code[9:] != "000":
        return Level.VILLAGE
    if code[6:9] != "000":
        return Level.TOWNSHIP
    if code[4:6] != "00":
        return Level.COUNTY
    if code[2:4] != "00":
        return Level.CITY
    return Level.PROVINCE


def prefix_of(code: str) -> str:
    return code[: PREFIX_LENGTH[level_of(code)]]


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == Level.PROVINCE:
        return None
    return code[: PREFIX_LENGTH[Level(level - 1)]].ljust(12, "0")
