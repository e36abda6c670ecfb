"""Resettlement sites (安置点): create and update with location, housing units and management facts, audited."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.divisions.codes import full_code
from anju.divisions.models import Division
from anju.registry.services.reference import MSG_REQUIRED, clean_code
from anju.relocation.models import Site

MSG_CODE_FORMAT = _("安置点编码只能由字母、数字和 - _ 组成，最长 32 位")
MSG_CODE_TAKEN = _("安置点编码“%(code)s”已被使用")
MSG_NAME_LENGTH = _("安置点名称最长 100 个字")
MSG_PLACEMENT = _("安置方式应为集中安置或分散安置")
MSG_AREA_TYPE = _("安置区域应为城镇或农村")
MSG_CAPACITY = _("设计安置人数应为 0 至 1000000 之间的整数")
MSG_DIVISION_FORMAT = _("所在区划应为 2、4、6、9 或 12 位数字")
MSG_DIVISION_UNKNOWN = _("区划 %(code)s 不存在")
MSG_DIVISION_SCOPE = _("所在区划不在您的录入范围内")
MSG_OUT_OF_ENTRY_SCOPE = _("该安置点不在您的录入范围内，不能修改")
MSG_TOO_LONG = _("%(field)s最长 %(n)s 个字")
MSG_BAD_CHARS = _("%(field)s含有不允许的字符")
MSG_LONGITUDE = _("经度应为 73 至 136 之间的数字（东经，中国境内），最多 6 位小数，如 111.286500")
MSG_LATITUDE = _("纬度应为 3 至 54 之间的数字（北纬，中国境内），最多 6 位小数，如 30.701200")
MSG_COORDINATES_PAIR = _("经度和纬度应同时填写或同时留空")
MSG_UNITS = _("%(field)s应为 0 至 1000000 之间的整数")
MSG_BUILT_OVER_PLANNED = _("建成安置住房（%(built)s 套）不能多于规划安置住房（%(planned)s 套）")
MSG_DATE_FORMAT = _("%(field)s应为日期，如 2020-06-30")
MSG_DATE_FUTURE = _("%(field)s不能晚于今天")

MAX_CAPACITY = 1_000_000
MAX_UNITS = 1_000_000
LON_RANGE = (Decimal(73), Decimal(136))
LAT_RANGE = (Decimal(3), Decimal(54))
SIX_PLACES = Decimal("0.000001")
LABELS = {"address": _("地址"), "manager": _("管理单位"), "note": _("备注"), "planned_units": _("规划安置住房（套）"),
          "built_units": _("建成安置住房（套）"), "completed_on": _("建成日期"), "longitude": _("经度"), "latitude": _("纬度")}
TEXT_LIMITS = {"address": 200, "manager": 100, "note": 2000}
FIELDS = ("code", "name", "division_code", "placement", "area_type", "capacity", "address", "longitude", "latitude", "planned_units",
          "built_units", "completed_on", "manager", "note")


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"{field}_invalid", detail={"field": field})


def _name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationFailed(MSG_REQUIRED % {"field": _("安置点名称")}, code="required", detail={"field": "name"})
    if len(name) > 100:
        raise ValidationFailed(MSG_NAME_LENGTH, code="name_length", detail={"field": "name"})
    if "\x00" in name:
        raise _invalid("name", MSG_BAD_CHARS % {"field": _("安置点名称")})
    return name


def _division(actor, value: str) -> Division:
    try:
        code = full_code(value)
    except ValueError:
        raise ValidationFailed(MSG_DIVISION_FORMAT, code="division_format", detail={"field": "division"}) from None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationFailed(MSG_DIVISION_UNKNOWN % {"code": value}, code="division_unknown", detail={"field": "division"})
    if not in_scope(actor, division.code, kind="entry"):
        raise ValidationFailed(MSG_DIVISION_SCOPE, code="division_scope", detail={"field": "division"})
    return division


def _choice(value: str, choices, message, field: str) -> str:
    value = str(value) if value is not None else ""
    if value not in choices:
        raise ValidationFailed(message, code=f"{field}_invalid", detail={"field": field})
    return value


def _whole(value, *, limit: int, field: str, message) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or not 0 <= number <= limit or str(number) != str(value).strip():
        raise _invalid(field, message)
    return number


def _capacity(value) -> int:
    return _whole(value, limit=MAX_CAPACITY, field="capacity", message=MSG_CAPACITY)


def _units(field: str, value) -> int:
    if value in (None, ""):
        return 0
    return _whole(value, limit=MAX_UNITS, field=field, message=MSG_UNITS % {"field": LABELS[field]})


def _text(field: str, value) -> str:
    text = str(value if value is not None else "").strip()
    if "\x00" in text:
        raise _invalid(field, MSG_BAD_CHARS % {"field": LABELS[field]})
    if len(text) > TEXT_LIMITS[field]:
        raise _invalid(field, MSG_TOO_LONG % {"field": LABELS[field], "n": TEXT_LIMITS[field]})
    return text


def _coordinate(field: str, value) -> Decimal | None:
    """A longitude or latitude in degrees inside China's rough bounds, rounded to 6 places (about 0.1 m)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    message, (low, high) = (MSG_LONGITUDE, LON_RANGE) if field == "longitude" else (MSG_LATITUDE, LAT_RANGE)
    if isinstance(value, bool):
        raise _invalid(field, message)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(field, message) from None
    if not number.is_finite() or not low <= number <= high:
        raise _invalid(field, message)
    return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _date(field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise _invalid(field, MSG_DATE_FORMAT % {"field": LABELS[field]}) from None
    if value > dt.date.today():
        raise _invalid(field, MSG_DATE_FUTURE % {"field": LABELS[field]}, f"{field}_future")
    return value


def _check_together(values: dict) -> None:
    """Coordinates come as a pair; built units never exceed planned ones (a planned count of 0 means not yet recorded)."""
    if (values["longitude"] is None) != (values["latitude"] is None):
        missing = "longitude" if values["longitude"] is None else "latitude"
        raise _invalid(missing, MSG_COORDINATES_PAIR, "coordinates_pair")
    if values["planned_units"] and values["built_units"] > values["planned_units"]:
        raise _invalid("built_units", MSG_BUILT_OVER_PLANNED % {"built": values["built_units"], "planned": values["planned_units"]},
                       "built_over_planned")


def _snapshot(s: Site) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "division": s.division_code, "placement": s.placement, "area_type": s.area_type,
            "capacity": s.capacity, "address": s.address, "longitude": None if s.longitude is None else str(s.longitude),
            "latitude": None if s.latitude is None else str(s.latitude), "planned_units": s.planned_units,
            "built_units": s.built_units, "completed_on": s.completed_on.isoformat() if s.completed_on else None,
            "manager": s.manager, "note": s.note}


def _clean_extra(field: str, value) -> Any:
    if field in ("longitude", "latitude"):
        return _coordinate(field, value)
    if field in ("planned_units", "built_units"):
        return _units(field, value)
    if field == "completed_on":
        return _date(field, value)
    return _text(field, value)


EXTRA = ("address", "longitude", "latitude", "planned_units", "built_units", "completed_on", "manager", "note")


def site_create(*, actor, code: str, name: str, division: str, placement: str, area_type: str, capacity: int = 0, address: str = "",
                longitude=None, latitude=None, planned_units: int = 0, built_units: int = 0, completed_on: dt.date | None = None,
                manager: str = "", note: str = "") -> Site:
    """A new resettlement site at any division of the actor's entry scope; the code is unique."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    code = clean_code(code, message=MSG_CODE_FORMAT)
    name, place = _name(name), _division(actor, division)
    placement = _choice(placement, Site.Placement.values, MSG_PLACEMENT, "placement")
    area_type = _choice(area_type, Site.AreaType.values, MSG_AREA_TYPE, "area_type")
    capacity = _capacity(capacity)
    given = {"address": address, "longitude": longitude, "latitude": latitude, "planned_units": planned_units, "built_units": built_units,
             "completed_on": completed_on, "manager": manager, "note": note}
    extra = {f: _clean_extra(f, given[f]) for f in EXTRA}
    _check_together(extra)
    taken = Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
    if Site.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            site = Site.objects.create(code=code, name=name, division_code=place.code, placement=placement, area_type=area_type,
                                       capacity=capacity, **extra)
            audit_record(actor=actor, action="relocation.site.created", object_type="site", object_id=site.pk,
                         division_code=site.division_code, after=_snapshot(site))
    except IntegrityError:
        raise taken from None
    return site


_UNSET = object()


def site_update(*, actor, site: Site, code: str | None = None, name: str | None = None, division: str | None = None,
                placement: str | None = None, area_type: str | None = None, capacity: int | None = None, address: str | None = None,
                longitude=_UNSET, latitude=_UNSET, planned_units: int | None = None, built_units: int | None = None,
                completed_on=_UNSET, manager: str | None = None, note: str | None = None) -> Site:
    """Change a site (from access_site) in the actor's entry scope. None leaves a field as it is, except for the
    coordinates and the completion date, where None clears them (leave them out to keep them)."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    if not in_scope(actor, site.division_code, kind="entry"):
        raise PermissionDenied(MSG_OUT_OF_ENTRY_SCOPE)
    before = _snapshot(site)
    if code is not None:
        code = clean_code(code, message=MSG_CODE_FORMAT)
        if code != site.code and Site.objects.filter(code=code).exclude(pk=site.pk).exists():
            raise Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
        site.code = code
    if name is not None:
        site.name = _name(name)
    if division is not None:
        site.division_code = _division(actor, division).code
    if placement is not None:
        site.placement = _choice(placement, Site.Placement.values, MSG_PLACEMENT, "placement")
    if area_type is not None:
        site.area_type = _choice(area_type, Site.AreaType.values, MSG_AREA_TYPE, "area_type")
    if capacity is not None:
        site.capacity = _capacity(capacity)
    given = {"address": address, "longitude": longitude, "latitude": latitude, "planned_units": planned_units, "built_units": built_units,
             "completed_on": completed_on, "manager": manager, "note": note}
    nullable = ("longitude", "latitude", "completed_on")
    for field, value in given.items():
        if value is _UNSET or (value is None and field not in nullable):
            continue
        setattr(site, field, _clean_extra(field, value))
    _check_together({f: getattr(site, f) for f in EXTRA})
    old, new = audit_diff(before, _snapshot(site))
    if not new and not old:
        return site
    try:
        with transaction.atomic():
            site.save(update_fields=list(FIELDS))
            audit_record(actor=actor, action="relocation.site.updated", object_type="site", object_id=site.pk,
                         division_code=site.division_code, before=old, after=new)
    except IntegrityError:
        raise Conflict(MSG_CODE_TAKEN % {"code": site.code}, code="code_taken", detail={"field": "code"}) from None
    return site
