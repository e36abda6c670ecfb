"""Header aliases: user-added column headings for the fields of a template.

Aliases are global, not scoped to a division: a heading such as “身份证号码（18位）” means the same column in every
county's spreadsheet, and the engine maps headers before it knows whose rows a file holds. Adding or removing
one needs Perm.REFERENCE_MANAGE and is audited (`imports.alias.added` / `imports.alias.deleted`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, ValidationFailed
from anju.imports.models import HeaderAlias
from anju.imports.selectors import access_header_alias
from anju.imports.spec import builtin_lookup, get_spec, header_keys, normalise_header

MSG_UNKNOWN_TEMPLATE = gettext_lazy("未知的导入模板：%(template)s")
MSG_UNKNOWN_FIELD = gettext_lazy("模板“%(title)s”中没有字段“%(field)s”")
MSG_ALIAS_EMPTY = gettext_lazy("请填写表头文字")
MSG_ALIAS_TOO_LONG = gettext_lazy("表头最长 %(n)s 个字符")
MSG_ALIAS_BUILTIN = gettext_lazy("“%(alias)s”已是模板“%(title)s”中“%(label)s”列的标准名称或内置别名，无需添加")
MSG_ALIAS_EXISTS = gettext_lazy("“%(alias)s”已被设为模板“%(title)s”中“%(label)s”列的别名")

ALIAS_MAX_LENGTH = HeaderAlias._meta.get_field("alias").max_length


def _as_dict(alias: HeaderAlias) -> dict:
    return {"template": alias.template, "field": alias.field, "alias": alias.alias}


def header_alias_add(*, actor, template: str, field: str, alias: str) -> HeaderAlias:
    """Let `alias` (normalised) name `field` of `template` in future imports."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    spec = get_spec(template)
    if spec is None:
        raise ValidationFailed(MSG_UNKNOWN_TEMPLATE % {"template": template}, code="unknown_template", detail={"field": "template"})
    if field not in spec.field_names:
        raise ValidationFailed(MSG_UNKNOWN_FIELD % {"title": spec.title, "field": field}, code="unknown_field", detail={"field": "field"})
    text = normalise_header(alias)
    if not text:
        raise ValidationFailed(MSG_ALIAS_EMPTY, code="alias_empty", detail={"field": "alias"})
    if len(text) > ALIAS_MAX_LENGTH:
        raise ValidationFailed(MSG_ALIAS_TOO_LONG % {"n": ALIAS_MAX_LENGTH}, code="alias_too_long", detail={"field": "alias"})
    builtin = builtin_lookup(spec)
    for key in header_keys(text):
        if key in builtin:
            label = spec.field(builtin[key]).label
            raise Conflict(MSG_ALIAS_BUILTIN % {"alias": text, "title": spec.title, "label": label}, code="alias_builtin",
                           detail={"field": "alias"})
    existing = HeaderAlias.objects.filter(template=template, alias=text).first()
    if existing is not None:
        raise Conflict(MSG_ALIAS_EXISTS % {"alias": text, "title": spec.title, "label": spec.field(existing.field).label if
                                           existing.field in spec.field_names else existing.field},
                       code="alias_exists", detail={"field": "alias"})
    try:
        with transaction.atomic():
            row = HeaderAlias.objects.create(template=template, field=field, alias=text, created_by=actor)
            audit_record(actor=actor, action="imports.alias.added", object_type="header_alias", object_id=row.pk, after=_as_dict(row))
    except IntegrityError:  # a concurrent add of the same alias
        raise Conflict(MSG_ALIAS_EXISTS % {"alias": text, "title": spec.title, "label": spec.field(field).label},
                       code="alias_exists", detail={"field": "alias"}) from None
    return row


def header_alias_delete(*, actor, alias_id: int) -> None:
    """Remove a user-added alias (built-in ones are part of the template and cannot be removed)."""
    require_perm(actor, Perm.REFERENCE_MANAGE)
    with transaction.atomic():
        alias = access_header_alias(actor, alias_id)
        before = _as_dict(alias)
        alias.delete()
        audit_record(actor=actor, action="imports.alias.deleted", object_type="header_alias", object_id=alias_id, before=before)
