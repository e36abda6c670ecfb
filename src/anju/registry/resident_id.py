"""Resident identity numbers (GB 11643): normalise, upgrade 15 → 18 digits, validate, derive birth date and gender.

The region code is checked against county codes of any period (python-stdnum's table, which carries the
historical ones, plus the loaded divisions), but not against the birth year: the code names where the
number was issued, so a person born in 1965 may hold a number starting with a code created in 1992.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric

MSG_EMPTY = _("身份证号为空")
MSG_NUMERIC_CELL = _("身份证号单元格是数字格式，末几位已被 Excel 丢失（显示为 %(value)s），请把该列设为文本后重新录入")
MSG_LENGTH = _("身份证号应为18位（或15位旧号），实为 %(length)s 位")
MSG_FORMAT = _("身份证号只能由数字组成，最后一位可为 X")
MSG_CHECKSUM = _("身份证号校验码错误（应为 %(expected)s）")
MSG_BIRTH = _("身份证号中的出生日期无效")
MSG_BIRTH_FUTURE = _("身份证号中的出生日期晚于今天")
MSG_REGION = _("身份证号前六位 %(region)s 不是已知的县级行政区划代码")

_FOLD = str.maketrans({"ｘ": "X", "x": "X", "Ｘ": "X"})


class ResidentIdError(ValueError):
    """A resident ID that cannot be accepted; `code` is stable, `message` is Chinese."""

    def __init__(self, code: str, message):
        self.code, self.message = code, str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" / "F"
    upgraded: bool = False  # given as a 15-digit number


def normalise(raw) -> str:
    """Full-width digits folded, spaces and separators dropped, a lowercase x upper-cased."""
    if raw is None:
        return ""
    if type(raw) is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
        return raw.upper()
    text = unicodedata.normalize("NFKC", str(raw)).translate(_FOLD)
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-'‘’\"")


def upgrade_15(number: str) -> str:
    """A 15-digit (pre-1999) number as its 18-digit form: century 19 inserted and the check digit added."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


@lru_cache(maxsize=1)
def _stdnum_regions():
    return numdb.get("cn/loc")


def known_region(code: str, extra: frozenset[str] | set[str] = frozenset()) -> bool:
    """A county-level code of any period: in python-stdnum's table (current and historical) or the loaded divisions."""
    if code in extra:
        return True
    return any(props for _part, props in _stdnum_regions().info(code))


def parse(raw, *, extra_regions: frozenset[str] | set[str] = frozenset(), today: dt.date | None = None) -> ResidentId:
    """Validate one resident ID cell; raise ResidentIdError with a stable code and a Chinese message."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        shown = f"{raw:.0f}" if isinstance(raw, float) else str(raw)
        raise ResidentIdError("id_numeric_cell", MSG_NUMERIC_CELL % {"value": shown})
    number = normalise(raw)
    if not number:
        raise ResidentIdError("id_empty", MSG_EMPTY)
    if "E+" in number.upper() and number.replace(".", "").upper().replace("E+", "").isdigit():
        raise ResidentIdError("id_numeric_cell", MSG_NUMERIC_CELL % {"value": number})
    upgraded = False
    if len(number) == 15:
        if not number.isdigit():
            raise ResidentIdError("id_format", MSG_FORMAT)
        number, upgraded = upgrade_15(number), True
    if len(number) != 18:
        raise ResidentIdError("id_length", MSG_LENGTH % {"length": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ResidentIdError("id_format", MSG_FORMAT)
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise ResidentIdError("id_checksum", MSG_CHECKSUM % {"expected": expected})
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ResidentIdError("id_birth_date", MSG_BIRTH) from None
    if birth > (today or dt.date.today()) or birth.year < 1880:
        raise ResidentIdError("id_birth_date", MSG_BIRTH_FUTURE if birth.year >= 1880 else MSG_BIRTH)
    if not known_region(number[:6], extra_regions):
        raise ResidentIdError("id_region", MSG_REGION % {"region": number[:6]})
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender, upgraded=upgraded)


def division_regions() -> frozenset[str]:
    """County-level codes (6 digits) of the loaded divisions: fictional or newer codes stdnum does not know."""
    from anju.divisions.models import Division, Level

    return frozenset(code[:6] for code in Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True))


def compose(region: str, birth_date: dt.date, sequence: int) -> str:
    """An 18-digit number with a correct check digit (demo data and tests); an odd sequence is male."""
    body = f"{region}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
