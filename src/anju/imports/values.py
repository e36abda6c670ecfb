"""Cell value parsers for imports: text, names, dates, digit strings, decimals, integers, yes/no, choices.

Each parser takes a cell value as `Table.rows()` gives it (a string from CSV; str, float, int, bool, date or
datetime from a spreadsheet) and returns the parsed value or raises `CellError(code, message)` with a stable
code and a Chinese message. None (an empty cell) is the caller's rule: the text parsers return "" for it and
the others raise their format error.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy

from anju.core.exceptions import join_list

MSG_DATE_FORMAT = gettext_lazy("“%(value)s”不是可识别的日期，可用格式：%(forms)s")
MSG_DATE_INVALID = gettext_lazy("“%(value)s”不是有效日期（不存在此日或年份超出 1900–2100）")
MSG_NOT_DIGITS = gettext_lazy("%(field)s“%(value)s”含有数字以外的字符")
MSG_NUMERIC_CELL = gettext_lazy("%(field)s是数值格式（%(value)s），长数字的末几位已被 Excel 改为 0 或丢失；请将该列设为“文本”格式后重新录入")
MSG_DECIMAL_FORMAT = gettext_lazy("“%(value)s”不是有效的数值（最多 %(places)s 位小数）")
MSG_INT_FORMAT = gettext_lazy("“%(value)s”不是整数")
MSG_BOOL_FORMAT = gettext_lazy("“%(value)s”不是“是”或“否”（也可填 Y/N、1/0、√/×）")
MSG_CHOICE_INVALID = gettext_lazy("“%(value)s”不是允许的值，应为：%(choices)s")

DATE_FORMS = "2003-05-01、2003/5/1、2003.5.1、20030501、2003年5月1日"
MONTH_FORMS = "2003.05、2003-5、2003年5月、200305"

EXCEL_EPOCH = datetime.date(1899, 12, 30)  # 1900 date system, after Excel's phantom 1900-02-29 (serial 60)
EXCEL_SERIAL_MAX = 73051  # 2100-01-01
YEAR_MIN, YEAR_MAX = 1900, 2100

_WS = re.compile(r"\s+")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_TIME_SUFFIX = re.compile(r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_CN = re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})[日号]?)?")
_D8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_D6 = re.compile(r"(\d{4})(\d{2})")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")


class CellError(ValueError):
    """A cell value that cannot be parsed: a stable `code` and a Chinese `message`."""

    def __init__(self, code: str, message):
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


def _shown(value) -> str:
    """A value as it is quoted in messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an 18-digit ID read as a number shows its changed last digits
    return "" if value is None else str(value)


def parse_text(value) -> str:
    """Text of a cell: NFKC (full-width → half-width), stripped; whole numbers without “.0”; dates as ISO; TRUE/FALSE as 是/否."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_name(value) -> str:
    """A person's or place's name: parse_text without any whitespace inside (“张 三” → “张三”)."""
    return _WS.sub("", parse_text(value))


def _date(y: int, m: int, d: int, shown: str) -> datetime.date:
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise CellError("date_invalid", MSG_DATE_INVALID % {"value": shown})
    try:
        return datetime.date(y, m, d)
    except ValueError:
        raise CellError("date_invalid", MSG_DATE_INVALID % {"value": shown}) from None


def _date_format_error(shown: str, allow_month: bool) -> CellError:
    forms = f"{DATE_FORMS}、{MONTH_FORMS}" if allow_month else DATE_FORMS
    return CellError("date_format", MSG_DATE_FORMAT % {"value": shown, "forms": forms})


def parse_date(value, *, allow_month: bool = True) -> datetime.date:
    """A date from a date cell, an Excel serial number or text (see DATE_FORMS; MONTH_FORMS give the 1st of the month)."""
    if isinstance(value, datetime.datetime):
        return _date(value.year, value.month, value.day, parse_text(value))
    if isinstance(value, datetime.date):
        return _date(value.year, value.month, value.day, value.isoformat())
    if isinstance(value, bool) or value is None:
        raise _date_format_error(_shown(value), allow_month)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _date_format_error(_shown(value), allow_month)
        if 1 <= value < EXCEL_SERIAL_MAX:
            serial = int(value)
            if serial == 60:
                raise CellError("date_invalid", MSG_DATE_INVALID % {"value": "1900-02-29"})
            return EXCEL_EPOCH + datetime.timedelta(days=serial if serial > 60 else serial + 1)
        if float(value).is_integer():
            value = str(int(value))  # 20030501 or 200305 typed as a number
        else:
            raise _date_format_error(_shown(value), allow_month)
    text = _WS.sub("", _TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", str(value)).strip()))
    if m := _YMD.fullmatch(text) or _D8.fullmatch(text):
        return _date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _CN.fullmatch(text):
        if m[3]:
            return _date(int(m[1]), int(m[2]), int(m[3]), text)
        if allow_month:
            return _date(int(m[1]), int(m[2]), 1, text)
    elif allow_month and (m := _YM.fullmatch(text) or _D6.fullmatch(text)):
        return _date(int(m[1]), int(m[2]), 1, text)
    raise _date_format_error(text, allow_month)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def reject_numeric(value, *, field_label: str) -> None:
    """Refuse a long digit string that a spreadsheet stored as a number (or Excel wrote to CSV as 4.20527E+17)."""
    if _is_number(value):
        raise CellError("numeric_cell", MSG_NUMERIC_CELL % {"field": field_label, "value": _shown(value)})
    if isinstance(value, str) and _SCIENTIFIC.fullmatch(value.strip()):
        raise CellError("numeric_cell", MSG_NUMERIC_CELL % {"field": field_label, "value": value.strip()})


def parse_digits(value, *, field_label: str) -> str:
    """A digit string (bank account, code): spaces removed (full-width too), then only digits 0–9.

    A number cell raises `numeric_cell` (its digits may be lost); anything else non-digit raises `not_digits`.
    """
    if value is None:
        return ""
    reject_numeric(value, field_label=field_label)
    text = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    if text and not (text.isascii() and text.isdigit()):
        raise CellError("not_digits", MSG_NOT_DIGITS % {"field": field_label, "value": text})
    return text


def parse_decimal(value, *, places: int = 2) -> Decimal:
    """A decimal with at most `places` places. Number cells are rounded half-up to `places` (as Excel shows them);
    text may carry thousands separators, ¥ and 元, but no more places than allowed."""
    shown = _shown(value)
    error = CellError("decimal_format", MSG_DECIMAL_FORMAT % {"value": shown, "places": places})
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, bool) or value is None:
        raise error
    if isinstance(value, int):
        return Decimal(value).quantize(quantum)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise error
        return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    text = _WS.sub("", unicodedata.normalize("NFKC", str(value))).replace(",", "").lstrip("¥").removesuffix("元")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise error from None
    if not number.is_finite() or "e" in text.lower():
        raise error
    if number != number.quantize(quantum, rounding=ROUND_HALF_UP):
        raise error
    return number.quantize(quantum)


def parse_int(value) -> int:
    """A whole number: number cells that are whole, text such as “12”, “1,200” or “12.0”."""
    error = CellError("int_format", MSG_INT_FORMAT % {"value": _shown(value)})
    if isinstance(value, bool) or value is None:
        raise error
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise error
    text = _WS.sub("", unicodedata.normalize("NFKC", str(value))).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise error from None
    if not number.is_finite() or number != number.to_integral_value() or "e" in text.lower():
        raise error
    return int(number)


TRUE_WORDS = frozenset({"是", "y", "yes", "1", "√", "✓", "✔", "true", "t", "对", "有"})
FALSE_WORDS = frozenset({"否", "n", "no", "0", "×", "✗", "✘", "false", "f", "无"})


def parse_bool(value) -> bool:
    """是/否, Y/N, yes/no, 1/0, √/×, true/false (any case; a Excel TRUE/FALSE cell too)."""
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return bool(value)
    text = _WS.sub("", unicodedata.normalize("NFKC", str(value or ""))).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("bool_format", MSG_BOOL_FORMAT % {"value": _shown(value)})


def normalise_choice(text) -> str:
    """The form choice texts are compared in: NFKC, no whitespace, ( ) folded to （ ）, lower case."""
    s = _WS.sub("", unicodedata.normalize("NFKC", parse_text(text)))
    return s.replace("(", "（").replace(")", "）").lower()


_CHOICE_CACHE: dict[int, tuple[dict, dict[str, str]]] = {}


def parse_choice(value, choices: dict[str, str]) -> str:
    """Map a text (label or alias, compared normalised) to its code; `choice_invalid` names the allowed texts."""
    cached = _CHOICE_CACHE.get(id(choices))
    if cached is None or cached[0] is not choices or len(cached[1]) > len(choices):
        cached = (choices, {normalise_choice(k): v for k, v in choices.items()})
        if len(_CHOICE_CACHE) > 256:
            _CHOICE_CACHE.clear()
        _CHOICE_CACHE[id(choices)] = cached
    code = cached[1].get(normalise_choice(value))
    if code is None:
        raise CellError("choice_invalid", MSG_CHOICE_INVALID % {"value": _shown(value), "choices": join_list(choices)})
    return code
