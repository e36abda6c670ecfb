"""Relocation API: spot checks — draw a reproducible sample, verify it, record results, resolve follow-ups, close,
list overdue follow-ups, and the two Excel files (sample list, results)."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.relocation import reports_checks as reports
from anju.relocation import selectors_checks as sel
from anju.relocation.services import checks as svc

router = Router(tags=["relocation"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MethodCode = Literal["random", "open", "covert"]
ResultCode = Literal["pending", "consistent", "discrepancy", "not_found"]
FollowUpCode = Literal["none", "open", "resolved"]
Short = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]


class SpotCheckDrawIn(Schema):
    scope: str | None = Field(None, pattern=r"^\d{6}(\d{3})?(\d{3})?$", description="县（6 位）或乡镇（9 位）区划代码；与 site 二选一")
    site: int | None = Field(None, ge=1, le=2**31 - 1, description="安置点 id")
    as_of: date = Field(..., description="名册日期（总体为该日在册的搬迁户）")
    size: int | None = Field(None, ge=1, le=1_000_000, description="抽样户数；与 percent 二选一")
    percent: float | None = Field(None, gt=0, le=100, description="抽样比例（%），向上取整，至少 1 户")
    method: MethodCode = "random"
    seed: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f]*$", max_length=64)] | None = Field(
        None, description="随机种子；不填则用 secrets 生成并记录")
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=100)] = ""


class SpotCheckItemOut(Schema):
    id: int
    order: int
    household_id: int
    household_number: str = ""
    division_code: str
    result: ResultCode
    findings: str
    checked_on: date | None
    checker: str
    follow_up: FollowUpCode
    follow_up_owner: str
    follow_up_deadline: date | None
    follow_up_note: str
    resolved_on: date | None
    days_overdue: int = 0

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_days_overdue(obj):
        return sel.days_overdue(obj, date.today())


class _SpotCheck(Schema):  # what a spot check shows in the list and on its own
    id: int
    name: str
    division_code: str
    site_id: int | None
    method: MethodCode
    seed: str
    population: int
    sample_size: int
    as_of: date
    state: Literal["open", "closed"]


class SpotCheckOut(_SpotCheck):
    created_by: str | None = None
    created_at: datetime
    closed_on: date | None
    items: list[SpotCheckItemOut] = []

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.select_related("household").order_by("order"))


class SpotCheckListOut(_SpotCheck):
    pending: int = 0
    open_follow_ups: int = 0


class SpotCheckVerifyOut(Schema):
    match: bool = Field(..., description="重新抽取的样本与记录一致（户与顺序）")
    population: int
    recorded_population: int
    stored: list[int]
    drawn: list[int]
    missing: list[int]
    extra: list[int]


class SpotCheckResultIn(Schema):
    result: Literal["consistent", "discrepancy", "not_found"]
    checked_on: date
    checker: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)]
    findings: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=5000)] = ""
    follow_up_owner: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=50)] = ""
    follow_up_deadline: date | None = None


class SpotCheckResolveIn(Schema):
    note: Short
    resolved_on: date


class SpotCheckListFilter(Schema):
    state: Literal["open", "closed"] | None = None
    division: str | None = Field(None, pattern=r"^\d{2,12}$")
    q: Text | None = Field(None, max_length=64)


class SpotCheckFollowUpFilter(Schema):
    overdue: bool = Field(False, description="只列整改中且已过期限的")
    state: Literal["open", "resolved"] | None = None


@router.get("", response={200: list[SpotCheckListOut], **ERRORS}, summary="抽查列表")
@paginate(Pagination)
def check_list(request, filters: Query[SpotCheckListFilter]):
    return sel.check_list(actor=request.auth, state=filters.state or "", division=filters.division or "", q=filters.q or "")


@router.post("", response={201: SpotCheckOut, **WRITE_ERRORS}, summary="抽取样本（种子可复现：random.Random(种子).sample(按户 id 排序的总体, 户数)）")
def check_draw(request, payload: SpotCheckDrawIn):
    require_perm(request.auth, Perm.RELOCATION_INSPECT)
    check = svc.check_draw(actor=request.auth, as_of=payload.as_of, scope=payload.scope, site=payload.site, size=payload.size,
                           percent=payload.percent, method=payload.method, seed=payload.seed, name=payload.name)
    return Status(201, sel.access_check(request.auth, check.pk))


@router.get("/follow-ups", response={200: list[SpotCheckItemOut], **ERRORS}, summary="抽查整改事项（可只列逾期的）")
@paginate(Pagination)
def follow_ups(request, filters: Query[SpotCheckFollowUpFilter]):
    return sel.follow_up_list(actor=request.auth, overdue=filters.overdue, state=filters.state or "open")


@router.get("/{check_id}", response={200: SpotCheckOut, **ERRORS}, summary="一次抽查及其样本户")
def check_get(request, check_id: int):
    return sel.access_check(request.auth, check_id)


@router.post("/{check_id}/verify", response={200: SpotCheckVerifyOut, **ERRORS}, summary="复核样本：用记录的种子重新抽取并比对")
def check_verify(request, check_id: int):
    return svc.check_verify(actor=request.auth, check=sel.access_check(request.auth, check_id))


@router.post("/{check_id}/close", response={200: SpotCheckOut, **WRITE_ERRORS}, summary="办结（全部户已核查且无整改中事项）")
def check_close(request, check_id: int):
    require_perm(request.auth, Perm.RELOCATION_INSPECT)
    check = sel.access_check(request.auth, check_id)
    svc.check_close(actor=request.auth, check=check)
    return sel.access_check(request.auth, check_id)


@router.get("/{check_id}/sample.xlsx", response={200: None, **ERRORS}, summary="抽查名单 Excel（身份证号脱敏；unmasked=true 须有查看完整身份证号权限，留痕）")
def sample_export(request, check_id: int, unmasked: bool = False):
    check = sel.access_check(request.auth, check_id)
    response = HttpResponse(reports.sample_xlsx(actor=request.auth, check=check, unmasked=unmasked), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="spot-check-{check.pk}-sample.xlsx"'
    return response


@router.get("/{check_id}/results.xlsx", response={200: None, **ERRORS}, summary="核查结果 Excel（留痕）")
def results_export(request, check_id: int):
    check = sel.access_check(request.auth, check_id)
    response = HttpResponse(reports.results_xlsx(actor=request.auth, check=check), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="spot-check-{check.pk}-results.xlsx"'
    return response


@router.post("/items/{item_id}/result", response={200: SpotCheckItemOut, **WRITE_ERRORS},
             summary="登记核查结果（存在问题须填写问题、整改责任人和期限）")
def item_result(request, item_id: int, payload: SpotCheckResultIn):
    require_perm(request.auth, Perm.RELOCATION_INSPECT)
    item = sel.access_item(request.auth, item_id)
    return svc.item_record(actor=request.auth, item=item, **payload.dict())


@router.post("/items/{item_id}/resolve", response={200: SpotCheckItemOut, **WRITE_ERRORS}, summary="整改销号")
def item_resolve(request, item_id: int, payload: SpotCheckResolveIn):
    if not request.auth.can(Perm.RELOCATION_EDIT):
        require_perm(request.auth, Perm.RELOCATION_INSPECT)
    item = sel.access_item(request.auth, item_id)
    return svc.follow_up_resolve(actor=request.auth, item=item, note=payload.note, resolved_on=payload.resolved_on)
