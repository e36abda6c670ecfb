"""Subsidies API: reference lists — banks (银行名录) and bank file layouts (银行文件格式)."""


from datetime import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.subsidies.models import BankLayout
from anju.subsidies.selectors_reference import access_bank, access_layout, bank_list, layout_actions, layout_list
from anju.subsidies.services import reference as services

router = Router(tags=["subsidies-reference"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
SCOPE = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$"

Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)]
Alias = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=100)]
Length = Annotated[int, Field(ge=8, le=32)]
Prefix = Annotated[str, StringConstraints(pattern=r"^\d{1,6}$")]
Header = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)]


class BankOut(Schema):
    id: int
    name: str
    aliases: list[str]
    lengths: list[int]
    luhn_prefixes: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class BankFilter(Schema):
    q: Text | None = Field(None, max_length=64, description="名称包含")
    active: bool | None = None


class BankIn(Schema):
    name: Name
    aliases: list[Alias] = Field([], max_length=50, description="名册中出现的其他写法")
    lengths: list[Length] = Field([], max_length=25, description="允许的账号位数；空为 8 至 32 位均可")
    luhn_prefixes: list[Prefix] = Field([], max_length=20, description="以这些数字开头的卡号须通过 Luhn 校验")
    active: bool = True


class BankPatch(Schema):
    name: Name | None = None
    aliases: list[Alias] | None = Field(None, max_length=50)
    lengths: list[Length] | None = Field(None, max_length=25)
    luhn_prefixes: list[Prefix] | None = Field(None, max_length=20)
    active: bool | None = None


class ColumnSchema(Schema):
    field: str = Field(..., max_length=20, description="字段：seq、name、account、amount、amount_fen、id_number、bank_name、township、"
                                                          "village、household_number、months、period、remark、reference")
    header: Header = Field(..., description="该银行文件中的列标题")


class LayoutOut(Schema):
    id: int
    name: str
    bank_id: int | None
    bank_name: str | None = None
    scope: str
    file_format: str
    encoding: str
    columns: list[ColumnSchema]
    control_total: bool
    return_columns: dict[str, str]
    note: str
    actions: dict[str, bool] = {}
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_bank_name(obj):
        return obj.bank.name if obj.bank_id else None


class LayoutFilter(Schema):
    q: Text | None = Field(None, max_length=64, description="名称包含")
    bank: int | None = Field(None, ge=1, le=2**31 - 1)


class LayoutIn(Schema):
    name: Name
    bank: int | None = Field(None, ge=1, le=2**31 - 1, description="银行 id（可不填）")
    scope: str = Field("", pattern=SCOPE, description="适用区划代码；空串为所有地区通用")
    file_format: BankLayout.Format = BankLayout.Format.XLSX
    encoding: BankLayout.Encoding = BankLayout.Encoding.UTF8_BOM
    columns: list[ColumnSchema] = Field(..., min_length=1, max_length=30, description="代发文件的列，按文件中的顺序")
    control_total: bool = True
    return_columns: dict[str, Header] = Field(..., description="回盘文件：字段 -> 列标题（须有 account、amount、result）")
    note: Text = Field("", max_length=300)


class LayoutPatch(Schema):
    name: Name | None = None
    bank: int | None = Field(None, ge=1, le=2**31 - 1)
    scope: str | None = Field(None, pattern=SCOPE)
    file_format: BankLayout.Format | None = None
    encoding: BankLayout.Encoding | None = None
    columns: list[ColumnSchema] | None = Field(None, min_length=1, max_length=30)
    control_total: bool | None = None
    return_columns: dict[str, Header] | None = None
    note: Text | None = Field(None, max_length=300)


def _layout_data(payload: Schema) -> dict:
    data = payload.dict(exclude_unset=True)
    for field in ("name", "scope", "file_format", "encoding", "control_total", "columns", "return_columns", "note"):
        if field in data and data[field] is None:
            del data[field]  # null leaves these as they are; only the bank may be cleared with null
    for field in ("file_format", "encoding"):
        if field in data:
            data[field] = str(data[field])
    return data


def _with_actions(request, layout: BankLayout) -> BankLayout:
    layout.actions = layout_actions(request.auth, layout)
    return layout


# --- banks -----------------------------------------------------------------------------------------------------

@router.get("/banks", response={200: list[BankOut], **ERRORS}, summary="银行名录")
@paginate(Pagination)
def reference_banks_list(request, filters: Query[BankFilter]):
    return bank_list(actor=request.auth, q=filters.q or "", active=filters.active)


@router.post("/banks", response={201: BankOut, **WRITE_ERRORS}, summary="添加银行")
def reference_bank_create(request, payload: BankIn):
    return Status(201, services.bank_create(actor=request.auth, **payload.dict()))


@router.get("/banks/{bank_id}", response={200: BankOut, **ERRORS}, summary="一家银行及其账号规则")
def reference_bank_get(request, bank_id: int):
    return access_bank(request.auth, bank_id)


@router.patch("/banks/{bank_id}", response={200: BankOut, **WRITE_ERRORS}, summary="修改银行（active=false 为停用）")
def reference_bank_update(request, bank_id: int, payload: BankPatch):
    bank = access_bank(request.auth, bank_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.bank_update(actor=request.auth, bank=bank, **data)


# --- layouts ---------------------------------------------------------------------------------------------------

@router.get("/bank-layouts", response={200: list[LayoutOut], **ERRORS}, summary="银行文件格式（通用及本辖区）")
@paginate(Pagination)
def reference_layouts_list(request, filters: Query[LayoutFilter]):
    return layout_list(actor=request.auth, q=filters.q or "", bank=filters.bank)


@router.post("/bank-layouts", response={201: LayoutOut, **WRITE_ERRORS}, summary="添加银行文件格式")
def reference_layout_create(request, payload: LayoutIn):
    layout = services.layout_create(actor=request.auth, **_layout_data(payload))
    return Status(201, _with_actions(request, layout))


@router.get("/bank-layouts/{layout_id}", response={200: LayoutOut, **ERRORS}, summary="一个银行文件格式")
def reference_layout_get(request, layout_id: int):
    return _with_actions(request, access_layout(request.auth, layout_id))


@router.patch("/bank-layouts/{layout_id}", response={200: LayoutOut, **WRITE_ERRORS}, summary="修改银行文件格式")
def reference_layout_update(request, layout_id: int, payload: LayoutPatch):
    layout = access_layout(request.auth, layout_id)
    return _with_actions(request, services.layout_update(actor=request.auth, layout=layout, **_layout_data(payload)))


@router.delete("/bank-layouts/{layout_id}", response={204: None, **WRITE_ERRORS}, summary="删除未被批次使用的银行文件格式")
def reference_layout_delete(request, layout_id: int):
    services.layout_delete(actor=request.auth, layout=access_layout(request.auth, layout_id))
    return Status(204, None)
