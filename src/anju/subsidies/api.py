"""Subsidies API: payment batches (list, read, create as a job, review, approve, send back, delete, items, exceptions,
figures by township, hold and release items) and entitlements (测算 totals, CSV export as a job)."""

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.divisions.selectors import division_names
from anju.subsidies import jobs  # noqa: F401  (registers the job kinds submitted here)
from anju.subsidies.models import Batch
from anju.subsidies.selectors import (
    access_batch,
    access_item,
    batch_actions,
    batch_by_township,
    batch_exceptions,
    batch_items,
    batch_list,
    batch_timeline,
    entitlement_summary,
)
from anju.subsidies.services import workflow
from anju.subsidies.services.batches import batch_create_check
from anju.subsidies.services.entitlements_export import entitlements_export_check

router = Router(tags=["subsidies-batches"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
DIGITS = r"^\d{1,12}$"
STATES = r"^(draft|reviewed|approved|exported|returned|reconciled)$"
ITEM_STATES = r"^(pending|held|paid|failed|reissued|cancelled)$"
HOLDS = r"^(no_account|bank_invalid|suspended|duplicate|shared_account)$"
FUND_SOURCES = r"^(central|provincial|three_gorges|reservoir_area|local)$"

# A reason that is not blank once stripped (the services refuse blanks; the schema says so too).
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]


class SubsidyBatchOut(Schema):
    id: int
    number: str
    division_code: str
    county_name: str = ""
    program: str
    year: int
    quarter: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    fund_source: str
    fund_source_label: str
    parent_id: int | None
    verification_id: int | None
    persons: int | None = None
    amount: int | None = Field(None, description="应发金额（分）")
    held: int | None = None
    note: str
    created_by: str | None = None
    created_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None
    approved_by: str | None = None
    approved_at: datetime | None
    exported_at: datetime | None
    reconciled_at: datetime | None

    @staticmethod
    def resolve_county_name(obj):
        return getattr(obj, "county_name", "")

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_fund_source_label(obj):
        return str(obj.get_fund_source_display())

    @staticmethod
    def resolve_persons(obj):
        return (obj.totals or {}).get("persons")

    @staticmethod
    def resolve_amount(obj):
        return (obj.totals or {}).get("amount")

    @staticmethod
    def resolve_held(obj):
        return (obj.totals or {}).get("held")

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_reviewed_by(obj):
        return obj.reviewed_by.username if obj.reviewed_by_id else None

    @staticmethod
    def resolve_approved_by(obj):
        return obj.approved_by.username if obj.approved_by_id else None


class BatchTimelineOut(Schema):
    at: datetime
    by: str
    action: str
    label: str
    state: str
    reason: str


class SubsidyBatchDetailOut(SubsidyBatchOut):
    totals: dict[str, Any]
    figures: dict[str, Any] = Field(..., description="本人可见部分按状态的人数、月数、金额（分）；entitled 为应发")
    actions: dict[str, bool]
    timeline: list[BatchTimelineOut]


class BatchFilter(Schema):
    year: int | None = Field(None, ge=2006, le=2100)
    county: str | None = Field(None, pattern=DIGITS)
    state: str | None = Field(None, pattern=STATES)
    kind: str | None = Field(None, pattern=r"^(regular|supplementary)$")


class BatchCreateIn(Schema):
    county: str = Field(..., pattern=r"^\d{6}(\d{6})?$", description="县级区划代码（6 位或 12 位）")
    year: int = Field(..., ge=2006, le=2100)
    quarter: int = Field(0, ge=0, le=4, description="0 为全年（按年发放的县）；1–4 为季度（按季度发放的县）")
    fund_source: str = Field("central", pattern=FUND_SOURCES)
    note: Text = Field("", max_length=300)


class SendBackIn(Schema):
    reason: Reason = Field(..., description="退回理由")


class HoldIn(Schema):
    cause: str = Field("suspended", pattern=r"^(suspended|duplicate)$", description="人工暂缓的原因：暂停扶持或疑似重复")
    reason: Reason = Field(..., description="说明")


class RefreshOut(Schema):
    checked: int
    released: int
    held: int


class ItemOut(Schema):
    id: int
    enrolment_id: int
    person_id: int
    household_number: str
    division_code: str
    name: str
    id_masked: str
    bank_name: str
    bank_account_masked: str
    year: int
    month_from: int
    month_to: int
    months: int
    amount: int = Field(..., description="金额（分）")
    state: str
    state_label: str
    exception: str
    exception_label: str
    exception_note: str
    failure_reason: str
    bank_ref: str
    paid_on: date | None

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_exception_label(obj):
        return str(obj.get_exception_display()) if obj.exception else ""


class ItemFilter(Schema):
    state: str | None = Field(None, pattern=ITEM_STATES)
    hold: str | None = Field(None, pattern=HOLDS)
    division: str | None = Field(None, pattern=DIGITS)
    q: Text | None = Field(None, max_length=64)


class Figures(Schema):
    persons: int
    months: int
    fen: int
    yuan: str


class VillageOut(Schema):
    code: str
    name: str
    figures: dict[str, Figures]


class TownshipOut(VillageOut):
    villages: list[VillageOut]


class EntitlementQuery(Schema):
    scope: str = Field(..., pattern=r"^\d{4}(\d{2})?$", description="县（6 位）或市（4 位）区划代码")
    year: int = Field(..., ge=2006, le=2100)
    quarter: int = Field(0, ge=0, le=4)
    preview: bool = Field(False, description="按当前在册名单预览（核定名单尚未锁定时）")


class EntitlementExportIn(EntitlementQuery):
    unmasked: bool = Field(False, description="导出完整身份证号（需“查看完整身份证号”权限，留痕）")


class EntitlementFigures(Schema):
    direct_persons: int
    direct_amount: int = Field(..., description="直补金额（分）")
    project_persons: int
    project_amount: int = Field(..., description="项目扶持金额（分）")
    held_persons: int
    held_amount: int


class EntitlementVillageOut(Schema):
    code: str
    name: str
    figures: EntitlementFigures


class EntitlementTownshipOut(EntitlementVillageOut):
    villages: list[EntitlementVillageOut]


class EntitlementCountyOut(Schema):
    code: str
    name: str
    source: str = Field(..., description="snapshot：已锁定的核定名单；live：在册名单预览")
    verification_id: int | None
    total: EntitlementFigures
    townships: list[EntitlementTownshipOut]


class EntitlementSummaryOut(Schema):
    scope: str
    year: int
    quarter: int
    preview: bool
    total: EntitlementFigures
    counties: list[EntitlementCountyOut]


def _named(batch: Batch) -> Batch:
    batch.county_name = division_names([batch.division_code]).get(batch.division_code, "")
    return batch


def _detail(request, batch: Batch) -> Batch:
    batch = access_batch(request.auth, batch.pk)  # re-read with the users of every sign-off
    _named(batch)
    summary = batch_by_township(actor=request.auth, batch=batch)
    batch.figures = summary.total.figures
    batch.actions = batch_actions(request.auth, batch)
    batch.timeline = batch_timeline(actor=request.auth, batch=batch)
    return batch


@router.get("/batches", response={200: list[SubsidyBatchOut], **ERRORS}, summary="发放批次列表（本辖区）")
@paginate(Pagination)
def batches_list(request, filters: Query[BatchFilter]):
    return AnnotatedPage(batch_list(actor=request.auth, year=filters.year, county=filters.county or "", state=filters.state or "",
                                    kind=filters.kind or ""), _county_names)


def _county_names(batches) -> None:
    names = division_names({b.division_code for b in batches})
    for b in batches:
        b.county_name = names.get(b.division_code, b.division_code)


@router.post("/batches", response={202: JobOut, **WRITE_ERRORS}, summary="生成发放批次（后台任务）")
def batches_create(request, payload: BatchCreateIn):
    county = batch_create_check(actor=request.auth, county_code=payload.county, year=payload.year, quarter=payload.quarter,
                                fund_source=payload.fund_source)
    job = job_submit(actor=request.auth, kind="subsidies.batch.create", division_code=county.code,
                     params={"county": county.prefix, "year": payload.year, "quarter": payload.quarter, "fund_source": payload.fund_source,
                             "note": payload.note.strip()})
    return Status(202, job_payload(job))


@router.get("/batches/{batch_id}", response={200: SubsidyBatchDetailOut, **ERRORS}, summary="一个发放批次：合计、办理记录与可执行操作")
def batches_get(request, batch_id: int):
    return _detail(request, access_batch(request.auth, batch_id))


@router.delete("/batches/{batch_id}", response={204: None, **WRITE_ERRORS}, summary="删除草稿批次及其明细")
def batches_delete(request, batch_id: int):
    workflow.batch_delete(actor=request.auth, batch=access_batch(request.auth, batch_id))
    return Status(204, None)


@router.post("/batches/{batch_id}/review", response={200: SubsidyBatchDetailOut, **WRITE_ERRORS}, summary="审核批次（审核人不能是生成人）")
def batches_review(request, batch_id: int):
    return _detail(request, workflow.batch_review(actor=request.auth, batch=access_batch(request.auth, batch_id)))


@router.post("/batches/{batch_id}/approve", response={200: SubsidyBatchDetailOut, **WRITE_ERRORS},
             summary="审批批次（审批人不能是生成人或审核人）")
def batches_approve(request, batch_id: int):
    return _detail(request, workflow.batch_approve(actor=request.auth, batch=access_batch(request.auth, batch_id)))


@router.post("/batches/{batch_id}/send-back", response={200: SubsidyBatchDetailOut, **WRITE_ERRORS}, summary="退回为草稿（须填理由）")
def batches_send_back(request, batch_id: int, payload: SendBackIn):
    batch = workflow.batch_send_back(actor=request.auth, batch=access_batch(request.auth, batch_id), reason=payload.reason)
    return _detail(request, batch)


@router.post("/batches/{batch_id}/refresh-accounts", response={200: RefreshOut, **WRITE_ERRORS},
             summary="重新读取暂缓人员的银行账号并重新校验")
def batches_refresh_accounts(request, batch_id: int):
    return workflow.batch_refresh_accounts(actor=request.auth, batch=access_batch(request.auth, batch_id))


@router.get("/batches/{batch_id}/items", response={200: list[ItemOut], **ERRORS}, summary="批次明细（身份证号、账号脱敏）")
@paginate(Pagination)
def batches_items(request, batch_id: int, filters: Query[ItemFilter]):
    batch = access_batch(request.auth, batch_id)
    return batch_items(actor=request.auth, batch=batch, state=filters.state or "", hold=filters.hold or "", division=filters.division or "",
                       q=filters.q or "")


@router.get("/batches/{batch_id}/exceptions", response={200: list[ItemOut], **ERRORS}, summary="暂缓发放的明细（须在审核前处理）")
@paginate(Pagination)
def batches_exceptions(request, batch_id: int):
    return batch_exceptions(actor=request.auth, batch=access_batch(request.auth, batch_id))


@router.get("/batches/{batch_id}/townships", response={200: list[TownshipOut], **ERRORS}, summary="分乡镇、村按状态的人数、月数、金额")
def batches_townships(request, batch_id: int):
    summary = batch_by_township(actor=request.auth, batch=access_batch(request.auth, batch_id))
    return [{"code": t.code, "name": t.name, "figures": t.figures,
             "villages": [{"code": v.code, "name": v.name, "figures": v.figures} for v in t.villages]} for t in summary.townships]


@router.post("/batches/{batch_id}/items/{item_id}/hold", response={200: ItemOut, **WRITE_ERRORS}, summary="暂缓发放一笔明细（草稿批次）")
def batches_item_hold(request, batch_id: int, item_id: int, payload: HoldIn):
    item = access_item(request.auth, access_batch(request.auth, batch_id), item_id)
    return workflow.item_hold(actor=request.auth, item=item, cause=payload.cause, reason=payload.reason)


@router.post("/batches/{batch_id}/items/{item_id}/release", response={200: ItemOut, **WRITE_ERRORS},
             summary="恢复发放（暂缓原因消除后；重新读取银行账号并校验）")
def batches_item_release(request, batch_id: int, item_id: int):
    item = access_item(request.auth, access_batch(request.auth, batch_id), item_id)
    return workflow.item_release(actor=request.auth, item=item)


def _figures(f: dict) -> dict:
    return {k: f.get(k, 0) for k in EntitlementFigures.model_fields}


@router.get("/entitlements", response={200: EntitlementSummaryOut, **WRITE_ERRORS}, summary="资金测算：分县、乡镇、村的直补与项目扶持合计")
def batches_entitlements(request, query: Query[EntitlementQuery]):
    s = entitlement_summary(actor=request.auth, scope=query.scope, year=query.year, quarter=query.quarter, preview=query.preview)
    return {"scope": s.scope, "year": s.year, "quarter": s.quarter, "preview": s.preview, "total": _figures(s.total),
            "counties": [{"code": c.code, "name": c.name, "source": c.source, "verification_id": c.verification_id, "total": _figures(c.total),
                          "townships": [{"code": t.code, "name": t.name, "figures": _figures(t.figures),
                                         "villages": [{"code": v.code, "name": v.name, "figures": _figures(v.figures)} for v in t.villages]}
                                        for t in c.townships]} for c in s.counties]}


@router.post("/entitlements/exports", response={202: JobOut, **WRITE_ERRORS}, summary="导出测算名单 CSV（后台任务）")
def batches_entitlements_export(request, payload: EntitlementExportIn):
    entitlements_export_check(actor=request.auth, scope=payload.scope, year=payload.year, quarter=payload.quarter, preview=payload.preview,
                              unmasked=payload.unmasked)
    job = job_submit(actor=request.auth, kind="subsidies.entitlements.export", division_code=payload.scope.ljust(12, "0"),
                     params={"scope": payload.scope, "year": payload.year, "quarter": payload.quarter, "preview": payload.preview,
                             "unmasked": payload.unmasked})
    return Status(202, job_payload(job))
