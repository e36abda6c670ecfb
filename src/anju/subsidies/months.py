"""Month arithmetic of entitlements: months as integer indices (year × 12 + month − 1), periods, and fen formatting.

A month is paid when the person is inside the support window and still enrolled on the month's first day; amounts
are summed per month as exact fractions of fen and rounded half up once per year-to-date, so the quarters of a year
always add up to the yearly amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction


def month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def month_date(i: int) -> dt.date:
    """The first day of month index `i`."""
    return dt.date(i // 12, i % 12 + 1, 1)


def month_label(i: int) -> str:
    return f"{i // 12}-{i % 12 + 1:02d}"


def period_bounds(year: int, quarter: int = 0) -> tuple[int, int]:
    """First and last month index of a year (quarter 0) or of one of its quarters (1–4)."""
    if quarter == 0:
        return year * 12, year * 12 + 11
    if not 1 <= quarter <= 4:
        raise ValueError(quarter)
    first = year * 12 + 3 * (quarter - 1)
    return first, first + 2


def period_label(year: int, quarter: int = 0) -> str:
    from django.utils.translation import gettext as _

    return _("%(year)s年") % {"year": year} if quarter == 0 else _("%(year)s年第%(q)s季度") % {"year": year, "q": quarter}


def round_half_up(x: Fraction) -> int:
    """Round a non-negative fraction of fen to whole fen, halves up."""
    return int((x * 2 + 1) // 2)


def monthly_fen(standard_yuan) -> Fraction:
    """One month of a yearly standard in yuan (int, str or Decimal), as an exact fraction of fen."""
    return Fraction(Decimal(str(standard_yuan)) * 100) / 12


def fen_text(fen: int | None) -> str:
    """Fen as yuan for people: 123456 -> "1,234.56"."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def yuan_text(fen: int) -> str:
    """Fen as yuan with exactly two decimals and no thousands separator, for files and messages: 60000 -> "600.00"."""
    return str(yuan(fen))


def yuan(fen: int) -> Decimal:
    """Fen as an exact Decimal of yuan with two places (for files and the API)."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
