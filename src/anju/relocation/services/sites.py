"""Resettlement sites (安置点): create and update, audited. The rest of the relocation module comes later."""

from __future__ import annotations

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

MAX_CAPACITY = 1_000_000


def _name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationFailed(MSG_REQUIRED % {"field": _("安置点名称")}, code="required", detail={"field": "name"})
    if len(name) > 100:
        raise ValidationFailed(MSG_NAME_LENGTH, code="name_length", detail={"field": "name"})
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
    if value not in choices:
        raise ValidationFailed(message, code=f"{field}_invalid", detail={"field": field})
    return value


def _capacity(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or not 0 <= number <= MAX_CAPACITY or str(number) != str(value).strip():
        raise ValidationFailed(MSG_CAPACITY, code="capacity_invalid", detail={"field": "capacity"})
    return number


def _snapshot(s: Site) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "division": s.division_code, "placement": s.placement, "area_type": s.area_type,
            "capacity": s.capacity}


def site_create(*, actor, code: str, name: str, division: str, placement: str, area_type: str, capacity: int = 0) -> Site:
    """A new resettlement site at any division of the actor's entry scope; the code is unique."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    code = clean_code(code, message=MSG_CODE_FORMAT)
    name, place = _name(name), _division(actor, division)
    placement = _choice(placement, Site.Placement.values, MSG_PLACEMENT, "placement")
    area_type = _choice(area_type, Site.AreaType.values, MSG_AREA_TYPE, "area_type")
    capacity = _capacity(capacity)
    taken = Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
    if Site.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            site = Site.objects.create(code=code, name=name, division_code=place.code, placement=placement, area_type=area_type,
                                       capacity=capacity)
            audit_record(actor=actor, action="relocation.site.created", object_type="site", object_id=site.pk,
                         division_code=site.division_code, after=_snapshot(site))
    except IntegrityError:
        raise taken from None
    return site


def site_update(*, actor, site: Site, code: str | None = None, name: str | None = None, division: str | None = None,
                placement: str | None = None, area_type: str | None = None, capacity: int | None = None) -> Site:
    """Change a site (from access_site) in the actor's entry scope; None leaves a field as it is."""
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
    old, new = audit_diff(before, _snapshot(site))
    if not new:
        return site
    try:
        with transaction.atomic():
            site.save(update_fields=["code", "name", "division_code", "placement", "area_type", "capacity"])
            audit_record(actor=actor, action="relocation.site.updated", object_type="site", object_id=site.pk,
                         division_code=site.division_code, before=old, after=new)
    except IntegrityError:
        raise Conflict(MSG_CODE_TAKEN % {"code": site.code}, code="code_taken", detail={"field": "code"}) from None
    return site
