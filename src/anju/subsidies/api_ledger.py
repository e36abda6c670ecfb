"""Subsidies API, ledger: recoveries (list, read, detect as a job, repayments, write-off), a batch's reconciliation and its
confirmation, the per-person ledger, the fund summary, and the files (posting list, batch summary, annual fund report).
Money is integer fen throughout."""

from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.core.api import JobOut
from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.core.jobs import job_submit
from anju.core.views_jobs import job_payload
from anju.divisions.selectors import division_names
from anju.registry.selectors import access_person
from anju.subsidies import (
    jobs_ledger,  # noqa: F401  (registers the job kinds submitted here)
    reports,
    reports_funds,
)
from anju.subsidies.models import Recovery
from anju.subsidies.selectors import access_batch
from anju.subsidies.selectors_ledger import (
    access_recovery,
    batch_ledger_actions,
    batch_part,
    fund_summary,
    person_ledger,
    recovery_actions,
    recovery_list,
    recovery_repayments,
)
from anju.subsidies.services import reconcile, recoveries

router = Router(tags=["subsidies-ledger"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
DIGITS = r"^\d{1,12}$"
RECOVERY_STATES = r"^(open|partial|settled|waived)$"
FUND_SOURCES = r"^(central|provincial|three_gorges|reservoir_area|local)$"
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]


# --- recoveries -----------------------------------------------------------------------------------------------------

class RecoveryOut(Schema):
    id: int
    item_id: int
    batch_number: str
    person_id: int
    enrolment_id: int
    division_code: str
    name: str
    id_masked: str
    year: int
    months: int = Field(..., description="多发月数")
    amount: int = Field(..., description="应追缴（分）")
    recovered: int = Field(..., description="已追回（分）")
    outstanding: int = Field(..., description="尚欠（分；已核销、已追回为 0）")
    cause: str
    effective_on: date
    state: str
    state_label: str
    note: str
    detected_at: datetime
    waived_by: str | None = None
    waived_at: datetime | None
    waive_reason: str

    @staticmethod
    def resolve_batch_number(obj):
        return obj.item.batch.number

    @staticmethod
    def resolve_outstanding(obj):
        return obj.amount - obj.recovered if obj.state in recoveries.OPEN_STATES else 0

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_waived_by(obj):
        return obj.waived_by.username if obj.waived_by_id else None


class RepaymentOut(Schema):
    id: int
    amount: int = Field(..., description="金额（分）")
    paid_on: date
    method: str
    receipt: str
    note: str
    recorded_by: str | None = None
    recorded_at: datetime

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username if obj.recorded_by_id else None


class RecoveryDetailOut(RecoveryOut):
    repayments: list[RepaymentOut]
    actions: dict[str, bool]

    @staticmethod
    def resolve_repayments(obj):
        return obj.repayments_list


class RecoveryFilter(Schema):
    state: str | None = Field(None, pattern=RECOVERY_STATES)
    county: str | None = Field(None, pattern=DIGITS, description="区划代码前缀")
    year: int | None = Field(None, ge=2006, le=2100)
    q: Text | None = Field(None, max_length=64, description="姓名（前缀）")


class DetectIn(Schema):
    scope: str = Field("", pattern=r"^(\d{2,12})?$", description="区划代码前缀；留空为本人录入范围")


class RepaymentIn(Schema):
    amount: int = Field(..., ge=1, le=10**10, description="还款金额（分），不超过尚欠金额")
    paid_on: date = Field(..., description="还款日期（不晚于今天）")
    method: str = Field("refund", pattern=r"^(refund|offset)$", description="refund：退回；offset：从后续发放中抵扣")
    receipt: Text = Field("", max_length=64)
    note: Text = Field("", max_length=300)


class WaiveIn(Schema):
    reason: Reason = Field(..., description="核销理由")


def _recovery_detail(request, recovery: Recovery) -> Recovery:
    recovery.repayments_list = recovery_repayments(recovery)
    recovery.actions = recovery_actions(request.auth, recovery)
    return recovery


@router.get("/recoveries", response={200: list[RecoveryOut], **ERRORS}, summary="追缴列表（本辖区）")
@paginate(Pagination)
def ledger_list_recoveries(request, filters: Query[RecoveryFilter]):
    return recovery_list(actor=request.auth, state=filters.state or "", county=filters.county or "", year=filters.year, q=filters.q or "")


@router.post("/recoveries/detect", response={202: JobOut, **ERRORS}, summary="查找核减生效后仍已发放的月份（后台任务）")
def ledger_detect_recoveries(request, payload: DetectIn):
    scope = recoveries.recoveries_detect_check(actor=request.auth, scope_prefix=payload.scope)
    job = job_submit(actor=request.auth, kind="subsidies.recoveries.detect", division_code=scope.ljust(12, "0"), params={"scope": scope})
    return Status(202, job_payload(job))


@router.get("/recoveries/{recovery_id}", response={200: RecoveryDetailOut, **ERRORS}, summary="一笔追缴：还款记录与可执行操作")
def ledger_get_recovery(request, recovery_id: int):
    return _recovery_detail(request, access_recovery(request.auth, recovery_id))


@router.post("/recoveries/{recovery_id}/repayments", response={201: RecoveryDetailOut, **WRITE_ERRORS}, summary="登记还款")
def ledger_record_repayment(request, recovery_id: int, payload: RepaymentIn):
    recovery = access_recovery(request.auth, recovery_id)
    recoveries.repayment_record(actor=request.auth, recovery=recovery, amount=payload.amount, paid_on=payload.paid_on, method=payload.method,
                                receipt=payload.receipt, note=payload.note)
    return Status(201, _recovery_detail(request, access_recovery(request.auth, recovery_id)))


@router.post("/recoveries/{recovery_id}/waive", response={200: RecoveryDetailOut, **WRITE_ERRORS}, summary="核销（县级审核）")
def ledger_waive_recovery(request, recovery_id: int, payload: WaiveIn):
    recovery = access_recovery(request.auth, recovery_id)
    recoveries.recovery_waive(actor=request.auth, recovery=recovery, reason=payload.reason)
    return _recovery_detail(request, access_recovery(request.auth, recovery_id))


# --- reconciliation -------------------------------------------------------------------------------------------------

class FiguresOut(Schema):
    entitled: int = Field(..., description="应发（分）：除已取消外的全部明细")
    paid: int
    failed: int = Field(..., description="失败（分），含已转补发")
    pending: int = Field(..., description="待发（分），含暂缓")
    entitled_count: int
    paid_count: int
    failed_count: int
    pending_count: int
    ties: bool


class TownshipFiguresOut(FiguresOut):
    code: str
    name: str


class CheckOut(Schema):
    code: str
    label: str
    expected: int
    actual: int
    ok: bool


class ReconciliationOut(FiguresOut):
    batch: int
    number: str
    state: str
    checks: list[CheckOut]
    bank_rows: int = Field(..., description="已入账的回盘行数")
    bank: dict[str, int] = Field(..., description="分：paid_rows 回盘成功、paid_manual 人工确认已发、failed_rows 回盘失败、"
                                                  "failed_other 人工确认失败或暂缓转补发")
    townships: list[TownshipFiguresOut]
    actions: dict[str, bool]


def _reconciliation(request, batch) -> dict:
    rec = reconcile.batch_reconciliation(batch, part=batch_part(request.auth, batch))
    return {**rec.as_dict(), "actions": batch_ledger_actions(request.auth, batch)}


@router.get("/batches/{batch_id}/reconciliation", response={200: ReconciliationOut, **ERRORS}, summary="批次对账：应发 = 已发 + 失败 + 待发")
def ledger_get_reconciliation(request, batch_id: int):
    return _reconciliation(request, access_batch(request.auth, batch_id))


@router.post("/batches/{batch_id}/reconciliation", response={200: ReconciliationOut, **WRITE_ERRORS}, summary="对账确认（已回盘 → 已对账）")
def ledger_reconcile_batch(request, batch_id: int):
    batch = reconcile.batch_reconcile(actor=request.auth, batch=access_batch(request.auth, batch_id))
    return _reconciliation(request, batch)


# --- the per-person ledger ------------------------------------------------------------------------------------------

class LedgerYearOut(Schema):
    year: int
    entitled: int = Field(..., description="应发（分），每月只计一次")
    months: int
    paid: int
    failed: int = Field(..., description="失败待补发（分）")
    pending: int
    recovery: int = Field(..., description="应追缴（分）")
    recovered: int
    outstanding: int
    waived: int


class LedgerItemOut(Schema):
    id: int
    batch_id: int
    batch_number: str
    batch_kind: str
    fund_source: str
    year: int
    month_from: int
    month_to: int
    months: int
    amount: int = Field(..., description="金额（分）")
    state: str
    state_label: str
    counted: bool = Field(..., description="计入应发（已转补发的失败明细在补发那一笔计）")
    division_code: str
    bank_name: str
    bank_account_masked: str
    bank_ref: str
    paid_on: date | None
    failure_reason: str
    exception: str
    reissue_of_id: int | None
    recovery_id: int | None = None

    @staticmethod
    def resolve_batch_number(obj):
        return obj.batch.number

    @staticmethod
    def resolve_batch_kind(obj):
        return obj.batch.kind

    @staticmethod
    def resolve_fund_source(obj):
        return obj.batch.fund_source

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_recovery_id(obj):
        return getattr(obj, "recovery_pk", None)


class PersonLedgerOut(Schema):
    person_id: int
    name: str
    id_masked: str
    division_code: str
    village: str
    years: list[LedgerYearOut]
    totals: LedgerYearOut
    items: list[LedgerItemOut]
    recoveries: list[RecoveryOut]


@router.get("/ledger/{person_id}", response={200: PersonLedgerOut, **ERRORS}, summary="个人补贴台账：历年应发、实发、失败与追缴")
def ledger_person_ledger(request, person_id: int):
    from anju.accounts.roles import Perm
    from anju.core.access import require_perm

    require_perm(request.auth, Perm.SUBSIDY_VIEW)
    person = access_person(request.auth, person_id)
    ledger = person_ledger(actor=request.auth, person=person)
    recovery_of = {r.item_id: r.pk for r in ledger.recoveries}
    for i in ledger.items:
        i.recovery_pk = recovery_of.get(i.pk)
    return {"person_id": person.pk, "name": person.name, "id_masked": person.id_masked, "division_code": person.division_code,
            "village": division_names([person.division_code]).get(person.division_code, ""), "years": [y.as_dict() for y in ledger.years],
            "totals": ledger.totals.as_dict(), "items": ledger.items, "recoveries": ledger.recoveries}


# --- funds ----------------------------------------------------------------------------------------------------------

class FundRowOut(Schema):
    county: str
    county_name: str
    fund_source: str
    fund_source_label: str
    year: int
    entitled: int = Field(..., description="应发（分）")
    paid: int
    failed: int
    pending: int
    recovery: int
    recovered: int
    outstanding: int
    project_persons: int
    project_amount: int = Field(..., description="项目扶持资金（分）")
    paid_count: int


class FundSummaryOut(Schema):
    rows: list[FundRowOut]
    total: FundRowOut
    by_county: list[FundRowOut]
    by_source: list[FundRowOut]


class FundFilter(Schema):
    year: int | None = Field(None, ge=2006, le=2100)
    county: str | None = Field(None, pattern=DIGITS)
    fund_source: str | None = Field(None, pattern=FUND_SOURCES)


@router.get("/funds", response={200: FundSummaryOut, **ERRORS}, summary="资金汇总：按县、资金来源、年度")
def ledger_fund_summary(request, filters: Query[FundFilter]):
    s = fund_summary(actor=request.auth, year=filters.year, county=filters.county or "", fund_source=filters.fund_source or "")
    return {"rows": [r.as_dict() for r in s.rows], "total": s.total.as_dict(), "by_county": [r.as_dict() for r in s.by_county],
            "by_source": [r.as_dict() for r in s.by_source]}


# --- files ----------------------------------------------------------------------------------------------------------

def _file(mimes: list[str], what: str) -> dict:
    return {200: {"description": what, "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in mimes}}}


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class PostingQuery(Schema):
    format: str = Field("xlsx", pattern=r"^(xlsx|pdf)$")
    division: str = Field("", pattern=r"^\d{0,12}$", description="只导出一个乡镇或村（区划代码前缀）")


class AnnualQuery(Schema):
    year: int = Field(..., ge=2006, le=2100)
    scope: str = Field("", pattern=r"^(\d{4}|\d{6})?$", description="县（6 位）或市（4 位）区划代码；留空为本人查看范围")
    format: str = Field("xlsx", pattern=r"^(xlsx|docx)$")


@router.get("/funds/export", response=ERRORS, summary="资金汇总 Excel", openapi_extra={"responses": _file([reports.XLSX], "资金汇总表")})
def ledger_fund_summary_export(request, filters: Query[FundFilter]):
    data, name = reports_funds.fund_summary_export(actor=request.auth, year=filters.year, county=filters.county or "",
                                                   fund_source=filters.fund_source or "")
    return _download(data, name, reports.XLSX)


@router.get("/reports/batches/{batch_id}/posting", response=ERRORS, summary="发放公示表（Excel 或 PDF，按村分组）",
            openapi_extra={"responses": _file([reports.XLSX, reports.PDF], "发放公示表")})
def ledger_batch_posting(request, batch_id: int, query: Query[PostingQuery]):
    batch = access_batch(request.auth, batch_id)
    return _download(*reports.batch_posting_export(actor=request.auth, batch=batch, fmt=query.format, division=query.division))


@router.get("/reports/batches/{batch_id}/summary", response=ERRORS, summary="批次分乡镇发放汇总表 Excel",
            openapi_extra={"responses": _file([reports.XLSX], "发放汇总表")})
def ledger_batch_summary(request, batch_id: int):
    batch = access_batch(request.auth, batch_id)
    data, name = reports.batch_summary_export(actor=request.auth, batch=batch)
    return _download(data, name, reports.XLSX)


@router.get("/reports/annual", response=ERRORS, summary="年度资金报告（县或市；Excel 或 Word）",
            openapi_extra={"responses": _file([reports_funds.XLSX, reports_funds.DOCX], "年度资金报告")})
def ledger_annual_report(request, query: Query[AnnualQuery]):
    return _download(*reports_funds.annual_report_export(actor=request.auth, year=query.year, scope=query.scope, fmt=query.format))


__all__ = ["router"]
