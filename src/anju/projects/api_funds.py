"""Projects API of the funds area: allocations and payments (scoped lists, per project, create, delete), a project's
totals by fund source, monthly progress per project and month, the monthly reporting status and the city's unlocks.
Amounts travel as yuan strings ("1234.50") in fields ending `_yuan`."""


import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.api_base import ERRORS, ErrorOut, Mapped, Pagination, Text
from anju.core.exceptions import NotFound
from anju.divisions.selectors import division_names
from anju.projects.models import Allocation, Payment, ProgressReport, ProgressUnlock, Term
from anju.projects.money import YUAN, fen_for_field, yuan_text
from anju.projects.selectors import access_project, term_names
from anju.projects.selectors_funds import (
    access_allocation,
    access_payment,
    allocation_list,
    monthly_status,
    payment_list,
    progress_reports,
    project_funds,
    unlock_list,
)
from anju.projects.services import funds as services
from anju.projects.services import progress as progress_services
from anju.projects.services.progress import month_lock, month_parse, month_text

router = Router(tags=["projects-funds"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

MONTH = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
YUAN_PATTERN = r"^\d{1,13}(\.\d{1,2})?$"
Yuan = Annotated[str, StringConstraints(pattern=YUAN_PATTERN)]
Required = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$")]
Source = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,32}$")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _fen(value: str, field: str) -> int:
    return fen_for_field(value, YUAN, field)


def _user(u) -> str | None:
    return u.username if u is not None else None


# --- schemas ---------------------------------------------------------------------------------------------------

class ProjectFundAllocationOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_name: str
    division_code: str
    fund_source: str
    fund_source_name: str
    year: int
    doc_number: str
    doc_date: dt.date
    amount_yuan: str
    note: str
    created_by: str | None
    created_at: dt.datetime


class ProjectFundPaymentOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_name: str
    division_code: str
    fund_source: str
    fund_source_name: str
    paid_on: dt.date
    amount_yuan: str
    voucher: str
    payee: str
    note: str
    created_by: str | None
    created_at: dt.datetime


class ProjectFundFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="资金下达按资金年度，支付按支付日期的年份")
    fund_source: Text | None = Field(None, max_length=32, description="资金来源编码")
    county: str | None = Field(None, pattern=r"^\d{0,12}$", description="区划代码前缀（县 6 位）")
    project_id: Id | None = None
    q: Text | None = Field(None, max_length=64, description="项目编码或名称包含")


class ProjectFundAllocationIn(Schema):
    fund_source: Source = Field(..., description="资金来源编码（启用中的资金来源）")
    year: int = Field(..., ge=2000, le=2100, description="资金年度")
    doc_number: Required = Field(..., max_length=100, description="下达文号")
    doc_date: dt.date = Field(..., description="下达日期（不晚于今天）")
    amount_yuan: Yuan = Field(..., description="下达金额（元），如 \"120000.00\"")
    note: Text = Field("", max_length=300)


class ProjectFundPaymentIn(Schema):
    fund_source: Source = Field(..., description="资金来源编码（须有该来源的资金下达）")
    paid_on: dt.date = Field(..., description="支付日期（不晚于今天）")
    amount_yuan: Yuan = Field(..., description="支付金额（元）")
    voucher: Required = Field(..., max_length=60, description="凭证号（同一项目内唯一）")
    payee: Text = Field("", max_length=100, description="收款单位")
    note: Text = Field("", max_length=300)


class ProjectFundSourceOut(Schema):
    fund_source: str
    fund_source_name: str
    allocated_yuan: str
    paid_yuan: str
    balance_yuan: str
    payment_rate: str | None = Field(None, description="资金支付率（小数，如 \"0.4500\"）；无下达时为 null")


class ProjectFundSummaryOut(Schema):
    project_id: int
    project_code: str
    project_name: str
    stage: str
    allocated_yuan: str
    paid_yuan: str
    balance_yuan: str
    payment_rate: str | None
    sources: list[ProjectFundSourceOut]


class ProjectProgressOut(Schema):
    project_id: int
    project_code: str
    month: str = Field(..., description="YYYY-MM")
    physical_percent: str
    investment_completed_yuan: str
    problems: str
    reported_by: str | None
    reported_at: dt.datetime
    deadline: dt.date
    locked: bool


class ProjectProgressIn(Schema):
    physical_percent: Percent = Field(..., description="形象进度（%），不低于之前月份")
    investment_completed_yuan: Yuan = Field(..., description="累计完成投资（元），不低于之前月份")
    problems: Text = Field("", max_length=2000)
    actual_start: dt.date | None = Field(None, description="实际开工日期：立项/下达的项目转入实施")
    actual_completion: dt.date | None = Field(None, description="实际完工日期：实施中的项目转入完工；形象进度100%时必填")


class ProjectProgressStatusOut(Schema):
    project_id: int
    project_code: str
    project_name: str
    stage: str
    county_code: str
    county_name: str
    month: str
    state: str = Field(..., description="reported（已报）、missing（未报）、not_due（无需填报）")
    last_month: str | None
    last_percent: str | None
    deadline: dt.date
    lock: str = Field(..., description="open（开放）、locked（已锁定）、unlocked（市级已解锁）")
    unlocked_until: dt.date | None


class ProjectProgressStatusFilter(Schema):
    month: str = Field(..., pattern=MONTH, description="YYYY-MM")
    county: str | None = Field(None, pattern=r"^\d{0,12}$", description="区划代码前缀")
    state: str | None = Field(None, pattern=r"^(reported|missing|not_due)?$")


class ProjectProgressUnlockIn(Schema):
    county: str = Field(..., pattern=r"^\d{6}$", description="县级区划代码（6 位）")
    month: str = Field(..., pattern=MONTH, description="YYYY-MM")
    until: dt.date = Field(..., description="开放至（含当日，不早于今天）")
    reason: Required = Field(..., max_length=300)


class ProjectProgressUnlockOut(Schema):
    id: int
    county_code: str
    county_name: str
    month: str
    until: dt.date
    reason: str
    by: str | None
    at: dt.datetime


# --- mapping ---------------------------------------------------------------------------------------------------

def _allocation(a: Allocation, names: dict) -> dict:
    return {"id": a.pk, "project_id": a.project_id, "project_code": a.project.code, "project_name": a.project.name,
            "division_code": a.division_code, "fund_source": a.fund_source, "fund_source_name": names.get(a.fund_source, a.fund_source),
            "year": a.year, "doc_number": a.doc_number, "doc_date": a.doc_date, "amount_yuan": yuan_text(a.amount), "note": a.note,
            "created_by": _user(a.created_by), "created_at": a.created_at}


def _payment(p: Payment, names: dict) -> dict:
    return {"id": p.pk, "project_id": p.project_id, "project_code": p.project.code, "project_name": p.project.name,
            "division_code": p.division_code, "fund_source": p.fund_source, "fund_source_name": names.get(p.fund_source, p.fund_source),
            "paid_on": p.paid_on, "amount_yuan": yuan_text(p.amount), "voucher": p.voucher, "payee": p.payee, "note": p.note,
            "created_by": _user(p.created_by), "created_at": p.created_at}


def _rate(rate) -> str | None:
    return None if rate is None else str(rate)


def _summary(project) -> dict:
    s = project_funds(project)
    return {"project_id": project.pk, "project_code": project.code, "project_name": project.name, "stage": project.stage,
            "allocated_yuan": yuan_text(s.total.allocated), "paid_yuan": yuan_text(s.total.paid), "balance_yuan": yuan_text(s.total.balance),
            "payment_rate": _rate(s.total.rate),
            "sources": [{"fund_source": r.fund_source, "fund_source_name": r.name, "allocated_yuan": yuan_text(r.allocated),
                         "paid_yuan": yuan_text(r.paid), "balance_yuan": yuan_text(r.balance), "payment_rate": _rate(r.rate)}
                        for r in s.sources]}


def _progress(r: ProgressReport, project, today: dt.date) -> dict:
    lock = month_lock(project.division_code, r.month, today=today)
    return {"project_id": project.pk, "project_code": project.code, "month": month_text(r.month), "physical_percent": str(r.physical_percent),
            "investment_completed_yuan": yuan_text(r.investment_completed), "problems": r.problems, "reported_by": _user(r.reported_by),
            "reported_at": r.reported_at, "deadline": lock.deadline, "locked": not lock.open}


def _unlock(u: ProgressUnlock, names: dict) -> dict:
    return {"id": u.pk, "county_code": u.division_code[:6], "county_name": names.get(u.division_code, u.division_code[:6]),
            "month": month_text(u.month), "until": u.until, "reason": u.reason, "by": _user(u.by), "at": u.at}


def _filters(f: ProjectFundFilter, request) -> dict:
    project = access_project(request.auth, f.project_id) if f.project_id else None
    return {"year": f.year, "fund_source": f.fund_source or "", "county": f.county or "", "q": f.q or "", "project": project}


# --- allocations -----------------------------------------------------------------------------------------------

@router.get("/allocations", response={200: list[ProjectFundAllocationOut], **ERRORS}, summary="资金下达（本辖区，可按年度、来源、县筛选）")
@paginate(Pagination)
def funds_allocations_list(request, filters: Query[ProjectFundFilter]):
    names = term_names(Term.Kind.FUND_SOURCE)
    return Mapped(allocation_list(actor=request.auth, **_filters(filters, request)), lambda a: _allocation(a, names))


@router.get("/allocations/{allocation_id}", response={200: ProjectFundAllocationOut, **ERRORS}, summary="一条资金下达")
def funds_allocation_get(request, allocation_id: int):
    return _allocation(access_allocation(request.auth, allocation_id), term_names(Term.Kind.FUND_SOURCE))


@router.delete("/allocations/{allocation_id}", response={204: None, **WRITE_ERRORS},
               summary="删除资金下达（删除后该来源的支付不得超过剩余下达资金）")
def funds_allocation_delete(request, allocation_id: int, reason: Annotated[Required, Query(max_length=300, description="删除原因")]):
    allocation = access_allocation(request.auth, allocation_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    services.allocation_delete(actor=request.auth, allocation=allocation, reason=reason)
    return Status(204, None)


# --- payments --------------------------------------------------------------------------------------------------

@router.get("/payments", response={200: list[ProjectFundPaymentOut], **ERRORS}, summary="资金支付（本辖区，可按年度、来源、县筛选）")
@paginate(Pagination)
def funds_payments_list(request, filters: Query[ProjectFundFilter]):
    names = term_names(Term.Kind.FUND_SOURCE)
    return Mapped(payment_list(actor=request.auth, **_filters(filters, request)), lambda p: _payment(p, names))


@router.get("/payments/{payment_id}", response={200: ProjectFundPaymentOut, **ERRORS}, summary="一条资金支付")
def funds_payment_get(request, payment_id: int):
    return _payment(access_payment(request.auth, payment_id), term_names(Term.Kind.FUND_SOURCE))


@router.delete("/payments/{payment_id}", response={204: None, **WRITE_ERRORS}, summary="删除资金支付")
def funds_payment_delete(request, payment_id: int, reason: Annotated[Required, Query(max_length=300, description="删除原因")]):
    payment = access_payment(request.auth, payment_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    services.payment_delete(actor=request.auth, payment=payment, reason=reason)
    return Status(204, None)


# --- per project ---------------------------------------------------------------------------------------------------

@router.get("/projects/{project_id}", response={200: ProjectFundSummaryOut, **ERRORS}, summary="项目资金：按资金来源的下达、支付与资金支付率")
def funds_project_summary(request, project_id: int):
    return _summary(access_project(request.auth, project_id))


@router.get("/projects/{project_id}/allocations", response={200: list[ProjectFundAllocationOut], **ERRORS}, summary="项目的资金下达")
@paginate(Pagination)
def funds_project_allocations(request, project_id: int):
    project = access_project(request.auth, project_id)
    names = term_names(Term.Kind.FUND_SOURCE)
    return Mapped(allocation_list(actor=request.auth, project=project), lambda a: _allocation(a, names))


@router.post("/projects/{project_id}/allocations", response={201: ProjectFundAllocationOut, **WRITE_ERRORS},
             summary="登记资金下达（评审中的项目转入立项/下达）")
def funds_project_allocation_create(request, project_id: int, payload: ProjectFundAllocationIn):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    allocation = services.allocation_record(actor=request.auth, project=project, fund_source=payload.fund_source, year=payload.year,
                                            doc_number=payload.doc_number, doc_date=payload.doc_date,
                                            amount_fen=_fen(payload.amount_yuan, "amount_yuan"), note=payload.note)
    return Status(201, _allocation(allocation, term_names(Term.Kind.FUND_SOURCE)))


@router.get("/projects/{project_id}/payments", response={200: list[ProjectFundPaymentOut], **ERRORS}, summary="项目的资金支付")
@paginate(Pagination)
def funds_project_payments(request, project_id: int):
    project = access_project(request.auth, project_id)
    names = term_names(Term.Kind.FUND_SOURCE)
    return Mapped(payment_list(actor=request.auth, project=project), lambda p: _payment(p, names))


@router.post("/projects/{project_id}/payments", response={201: ProjectFundPaymentOut, **WRITE_ERRORS},
             summary="登记资金支付（任一日期累计支付不得超过已下达）")
def funds_project_payment_create(request, project_id: int, payload: ProjectFundPaymentIn):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_FUNDS)
    payment = services.payment_record(actor=request.auth, project=project, fund_source=payload.fund_source, paid_on=payload.paid_on,
                                       amount_fen=_fen(payload.amount_yuan, "amount_yuan"), voucher=payload.voucher, payee=payload.payee,
                                       note=payload.note)
    return Status(201, _payment(payment, term_names(Term.Kind.FUND_SOURCE)))


# --- progress ------------------------------------------------------------------------------------------------------

@router.get("/projects/{project_id}/progress", response={200: list[ProjectProgressOut], **ERRORS}, summary="项目的月度进度（新月份在前）")
def funds_project_progress_list(request, project_id: int):
    project = access_project(request.auth, project_id)
    today = dt.date.today()
    return [_progress(r, project, today) for r in progress_reports(project)]


@router.get("/projects/{project_id}/progress/{month}", response={200: ProjectProgressOut, **ERRORS}, summary="项目某月的进度")
def funds_project_progress_get(request, project_id: int, month: str = Path(..., pattern=MONTH, description="YYYY-MM")):
    project = access_project(request.auth, project_id)
    first = month_parse(month)
    report = next((r for r in progress_reports(project) if r.month == first), None)
    if report is None:
        raise NotFound()
    return _progress(report, project, dt.date.today())


@router.put("/projects/{project_id}/progress/{month}", response={200: ProjectProgressOut, **WRITE_ERRORS},
            summary="填报或更正项目某月的进度（截止日期后锁定，市级可解锁）")
def funds_project_progress_put(request, project_id: int, payload: ProjectProgressIn,
                               month: str = Path(..., pattern=MONTH, description="YYYY-MM")):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    report = progress_services.progress_report(actor=request.auth, project=project, month=month, physical_percent=payload.physical_percent,
                                               investment_completed_fen=_fen(payload.investment_completed_yuan, "investment_completed_yuan"),
                                               problems=payload.problems, actual_start=payload.actual_start,
                                               actual_completion=payload.actual_completion)
    return _progress(report, report.project, dt.date.today())


@router.get("/progress/monthly", response={200: list[ProjectProgressStatusOut], **ERRORS},
            summary="某月的进度填报情况：本辖区立项/下达至完工的项目，已报、未报、截止与锁定")
@paginate(Pagination)
def funds_progress_monthly(request, filters: Query[ProjectProgressStatusFilter]):
    month = month_parse(filters.month)
    rows = monthly_status(actor=request.auth, month=month, county=filters.county or "", state=filters.state or "")
    return [{"project_id": r.project.pk, "project_code": r.project.code, "project_name": r.project.name, "stage": r.project.stage,
             "county_code": r.county_code, "county_name": r.county_name, "month": month_text(month), "state": r.state,
             "last_month": month_text(r.last_month) if r.last_month else None,
             "last_percent": str(r.last_percent) if r.last_percent is not None else None, "deadline": r.deadline, "lock": r.lock,
             "unlocked_until": r.unlocked_until} for r in rows]


@router.get("/progress/unlocks", response={200: list[ProjectProgressUnlockOut], **ERRORS}, summary="进度填报解锁记录（本辖区）")
@paginate(Pagination)
def funds_progress_unlocks(request):
    qs = unlock_list(actor=request.auth)

    def annotate(u):
        return _unlock(u, division_names([u.division_code]))

    return Mapped(qs, annotate)


@router.post("/progress/unlocks", response={201: ProjectProgressUnlockOut, **WRITE_ERRORS},
             summary="市级解锁一个县某月的进度填报，至指定日期（留痕）")
def funds_progress_unlock_create(request, payload: ProjectProgressUnlockIn):
    unlock = progress_services.progress_unlock(actor=request.auth, county_code=payload.county, month=payload.month, until=payload.until,
                                               reason=payload.reason)
    return Status(201, _unlock(unlock, division_names([unlock.division_code])))
