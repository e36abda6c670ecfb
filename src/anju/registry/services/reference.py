"""Reference data of the registry: reservoirs (code, name, scale, county). Each write is audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.registry.models import Reservoir

MSG_REQUIRED = _("请填写%(field)s")
MSG_CODE_FORMAT = _("水库编码只能由字母、数字和 - _ 组成，最长 32 位")
MSG_CODE_TAKEN = _("水库编码“%(code)s”已被使用")
MSG_NAME_LENGTH = _("水库名称最长 100 个字")
MSG_SCALE = _("规模应为大型或中型")
MSG_COUNTY_FORMAT = _("所在县应为 6 位（或 12 位）县级区划代码")
MSG_COUNTY_UNKNOWN = _("县级区划 %(code)s 不存在")
MSG_COUNTY_SCOPE = _("所在县不在您的录入范围内")
MSG_OUT_OF_ENTRY_SCOPE = _("该水库不在您的录入范围内，不能修改")


MSG_CODE_LABEL = _("编码")


def clean_code(value: str, *, message=MSG_CODE_FORMAT, label=MSG_CODE_LABEL) -> str:
    code = (value or "").strip()
    if not code:
        raise ValidationFailed(MSG_REQUIRED % {"field": label}, code="required", detail={"field": "code"})
    if len(code) > 32 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
        raise ValidationFailed(message, code="code_format", detail={"field": "code"})
    return code


def _name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationFailed(MSG_REQUIRED % {"field": _("水库名称")}, code="required", detail={"field": "name"})
    if len(name) > 100:
        raise ValidationFailed(MSG_NAME_LENGTH, code="name_length", detail={"field": "name"})
    return name


def _county(actor, value: str) -> Division:
    try:
        code = full_code(value)
    except ValueError:
        raise ValidationFailed(MSG_COUNTY_FORMAT, code="county_format", detail={"field": "county"}) from None
    division = Division.objects.filter(code=code, level=Level.COUNTY).first()
    if division is None:
        raise ValidationFailed(MSG_COUNTY_UNKNOWN % {"code": value}, code="county_unknown", detail={"field": "county"})
    if not in_scope(actor, division.code, kind="entry"):
        raise ValidationFailed(MSG_COUNTY_SCOPE, code="county_scope", detail={"field": "county"})
    return division


def _scale(value: str) -> str:
    if value not in Reservoir.Scale.values:
        raise ValidationFailed(MSG_SCALE, code="scale_invalid", detail={"field": "scale"})
    return value


def _snapshot(r: Reservoir) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "scale": r.scale, "county": r.division_code}


def reservoir_create(*, actor, code: str, name: str, scale: str, county: str) -> Reservoir:
    """A new reservoir in a county of the actor's entry scope; the code is unique."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    code, name, scale, division = clean_code(code), _name(name), _scale(scale), _county(actor, county)
    taken = Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
    if Reservoir.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            reservoir = Reservoir.objects.create(code=code, name=name, scale=scale, division_code=division.code)
            audit_record(actor=actor, action="registry.reservoir.created", object_type="reservoir", object_id=reservoir.pk,
                         division_code=division.code, after=_snapshot(reservoir))
    except IntegrityError:  # a concurrent create took the code
        raise taken from None
    return reservoir


def reservoir_update(*, actor, reservoir: Reservoir, code: str | None = None, name: str | None = None, scale: str | None = None,
                     county: str | None = None) -> Reservoir:
    """Change a reservoir (from access_reservoir) that lies in the actor's entry scope; None leaves a field."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    if not in_scope(actor, reservoir.division_code, kind="entry"):
        raise PermissionDenied(MSG_OUT_OF_ENTRY_SCOPE)
    before = _snapshot(reservoir)
    if code is not None:
        code = clean_code(code)
        if code != reservoir.code and Reservoir.objects.filter(code=code).exclude(pk=reservoir.pk).exists():
            raise Conflict(MSG_CODE_TAKEN % {"code": code}, code="code_taken", detail={"field": "code"})
        reservoir.code = code
    if name is not None:
        reservoir.name = _name(name)
    if scale is not None:
        reservoir.scale = _scale(scale)
    if county is not None:
        reservoir.division_code = _county(actor, county).code
    old, new = audit_diff(before, _snapshot(reservoir))
    if not new:
        return reservoir
    try:
        with transaction.atomic():
            reservoir.save(update_fields=["code", "name", "scale", "division_code"])
            audit_record(actor=actor, action="registry.reservoir.updated", object_type="reservoir", object_id=reservoir.pk,
                         division_code=reservoir.division_code, before=old, after=new)
    except IntegrityError:
        raise Conflict(MSG_CODE_TAKEN % {"code": reservoir.code}, code="code_taken", detail={"field": "code"}) from None
    return reservoir
