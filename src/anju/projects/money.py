"""Project money: amounts are integer fen; forms and files give them in 元 or 万元 (the unit named by the field, the
column header or the user's choice), and they are converted exactly or refused, never rounded silently."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy

from anju.subsidies.months import fen_text, yuan_text  # noqa: F401  (re-exported: 元 for people "1,234.50", for files "1234.50")

YUAN, WAN = "yuan", "wan"
UNITS = {YUAN: 100, WAN: 1_000_000}  # fen per unit
UNIT_LABELS = {YUAN: gettext_lazy("元"), WAN: gettext_lazy("万元")}

MSG_AMOUNT_FORMAT = gettext_lazy("金额“%(value)s”不是有效的数字")
MSG_AMOUNT_PRECISION = gettext_lazy("金额“%(value)s”%(unit)s精确不到分：元最多2位小数，万元最多6位小数")
MSG_AMOUNT_NEGATIVE = gettext_lazy("金额不能为负数")
MSG_AMOUNT_TOO_LARGE = gettext_lazy("金额“%(value)s”%(unit)s过大")

MAX_FEN = 10**15  # 10 万亿元: far above any project, far below a 64-bit integer
_UNIT_IN_TEXT = re.compile(r"(万元|万|元)\s*$")


class AmountError(ValueError):
    """A bad amount; `str(exc)` is the Chinese message (translated lazily)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def unit_from_header(header: str, default: str = YUAN) -> str:
    """The unit a column header names: 计划投资（万元） → wan, 金额(元) → yuan; otherwise `default`."""
    text = str(header or "")
    if "万元" in text:
        return WAN
    if "元" in text:
        return YUAN
    return default


def to_fen(value, unit: str = YUAN, *, allow_negative: bool = False) -> int:
    """An amount in `unit` (a number or text such as "1,234.5", "12.5万元") as exact integer fen.

    A unit written after the number ("12.5万元") wins over `unit`. Raises AmountError with a Chinese message.
    """
    if isinstance(value, bool):
        raise AmountError(MSG_AMOUNT_FORMAT % {"value": value})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that round-trips: 0.1 → 0.1, as the cell showed it
    elif isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("，", "").replace(" ", "").replace("¥", "").replace("￥", "")
        m = _UNIT_IN_TEXT.search(text)
        if m:
            unit = WAN if m.group(1).startswith("万") else YUAN
            text = text[: m.start()]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AmountError(MSG_AMOUNT_FORMAT % {"value": value}) from None
    if not number.is_finite():
        raise AmountError(MSG_AMOUNT_FORMAT % {"value": value})
    fen = number * UNITS[unit]
    label = UNIT_LABELS[unit]
    if fen != fen.to_integral_value():
        raise AmountError(MSG_AMOUNT_PRECISION % {"value": value, "unit": label})
    if fen < 0 and not allow_negative:
        raise AmountError(MSG_AMOUNT_NEGATIVE)
    if abs(fen) >= MAX_FEN:
        raise AmountError(MSG_AMOUNT_TOO_LARGE % {"value": value, "unit": label})
    return int(fen)


def wan_text(fen: int | None, places: int = 2) -> str:
    """12345678 → '12.35' (万元, rounded half up to `places` for display only)."""
    if fen is None:
        return ""
    value = (Decimal(int(fen)) / UNITS[WAN]).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return f"{value:,.{places}f}"


def fen_for_field(value, unit: str, field: str) -> int:
    """`to_fen` for an input field: a bad amount raises ValidationFailed naming the field (API and CLI inputs)."""
    from anju.core.exceptions import ValidationFailed

    try:
        return to_fen(value, unit)
    except AmountError as exc:
        raise ValidationFailed(exc.message, detail={"field": field}) from None


def percent_text(rate: Decimal | None, places: int = 2) -> str:
    """A rate as a percentage for people, rounded half up: Decimal("0.1234") → "12.34%"; None → "—"."""
    if rate is None:
        return "—"
    return f"{(Decimal(rate) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"
