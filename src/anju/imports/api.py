"""Import settings API: the known templates and their header aliases (global, see services.py)."""

from datetime import datetime

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.imports import selectors, services
from anju.imports.spec import known_specs

router = Router(tags=["imports"])


class FieldOut(Schema):
    name: str
    label: str
    aliases: list[str]
    required: bool


class TemplateOut(Schema):
    template: str
    title: str
    fields: list[FieldOut]


class AliasOut(Schema):
    id: int
    template: str
    field: str
    alias: str
    created_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None


class AliasIn(Schema):
    template: Text
    field: Text
    alias: Text


class AliasFilter(Schema):
    template: Text | None = None


@router.get("/templates", response={200: list[TemplateOut], **ERRORS}, summary="导入模板及其列名")
def list_templates(request):
    require_perm(request.auth, Perm.REFERENCE_MANAGE)
    return [{"template": s.template, "title": s.title,
             "fields": [{"name": f.name, "label": f.label, "aliases": list(f.aliases), "required": f.required} for f in s.fields]}
            for s in known_specs().values()]


@router.get("/aliases", response={200: list[AliasOut], **ERRORS}, summary="表头别名列表")
@paginate(Pagination)
def list_aliases(request, filters: Query[AliasFilter]):
    return selectors.header_alias_list(actor=request.auth, template=filters.template or None)


@router.post("/aliases", response={201: AliasOut, 409: ErrorOut, **ERRORS}, summary="添加表头别名")
def create_alias(request, payload: AliasIn):
    alias = services.header_alias_add(actor=request.auth, template=payload.template, field=payload.field, alias=payload.alias)
    return Status(201, alias)


@router.delete("/aliases/{alias_id}", response={204: None, **ERRORS}, summary="删除表头别名")
def delete_alias(request, alias_id: int):
    services.header_alias_delete(actor=request.auth, alias_id=alias_id)
    return Status(204, None)
