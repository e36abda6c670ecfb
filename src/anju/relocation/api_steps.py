"""Relocation API: steps — a household's relocation and steps, recording the next step (multipart, with an optional
evidence file), undoing the last step, audited evidence downloads, and per-site progress."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.http import FileResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.api_base import ERRORS, ErrorOut, Text, auth_requiring
from anju.core.uploads import read_upload
from anju.relocation import selectors_steps as sel
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import steps as svc

router = Router(tags=["relocation"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
StepCode = Literal["confirmed", "agreement", "allocated", "moved_in", "demolished"]
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=300)]


class RelocationStepOut(Schema):
    id: int
    step: StepCode
    on: date
    note: str
    evidence_name: str = Field("", description="佐证材料文件名（空为无）")
    evidence_sha256: str = ""
    recorded_by: str | None = None
    recorded_at: datetime

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username if obj.recorded_by_id else None


class RelocationProgressOut(Schema):
    household_id: int
    household_number: str
    division_code: str
    started: bool = Field(..., description="已确认搬迁")
    step: StepCode | None = Field(None, description="当前环节")
    next_step: StepCode | None = Field(None, description="下一环节（全部完成时为空）")
    site_id: int | None = None
    site_code: str | None = None
    year: int | None = None
    persons: int = 0
    house_number: str = ""
    house_area: str | None = Field(None, description="安置住房面积（平方米）")
    steps: list[RelocationStepOut] = []


class RelocationUndoIn(Schema):
    reason: Reason = Field(..., description="撤销理由")


class RelocationProgressFilter(Schema):
    scope: str | None = Field(None, pattern=r"^\d{2,12}$", description="区划代码（2–12 位）")
    site: int | None = Field(None, ge=1, le=2**31 - 1, description="安置点 id")
    year: int | None = Field(None, ge=2000, le=2100, description="搬迁年度")


class RelocationProgressRowOut(Schema):
    county_code: str
    county_name: str
    site_id: int | None
    site_code: str
    site_name: str
    households: int = Field(..., description="搬迁户数（含尚未确认搬迁的）")
    not_started: int
    steps: dict[str, int] = Field(..., description="当前处于各环节的户数")
    moved_in: int = Field(..., description="已入住（含已拆旧复垦）户数")
    demolished: int
    moved_in_rate: float | None
    demolished_rate: float | None


class RelocationProgressTableOut(Schema):
    rows: list[RelocationProgressRowOut]
    counties: list[RelocationProgressRowOut]
    total: RelocationProgressRowOut


def _out(actor, household) -> dict:
    data = sel.household_steps(actor=actor, household=household)
    r = data.relocation
    return {"household_id": household.pk, "household_number": household.number, "division_code": household.division_code,
            "started": r is not None, "step": r.step if r else None, "next_step": data.next_step,
            "site_id": r.site_id if r else None, "site_code": r.site.code if r and r.site_id else None, "year": r.year if r else None,
            "persons": r.persons if r else 0, "house_number": r.house_number if r else "",
            "house_area": None if r is None or r.house_area is None else str(r.house_area), "steps": data.steps}


def _household(request, household_id: int, kind: str = "view"):
    return access_relocated_household(request.auth, household_id, kind=kind)


@router.get("/households/{household_id}", response={200: RelocationProgressOut, **ERRORS}, summary="一户的搬迁进度与各环节")
def household_get(request, household_id: int):
    return _out(request.auth, _household(request, household_id))


@router.post("/households/{household_id}/steps", response={201: RelocationProgressOut, **WRITE_ERRORS},
             auth=auth_requiring(Perm.RELOCATION_EDIT),
             summary="登记下一环节（按顺序逐一登记；日期不早于上一环节、不晚于今天；佐证材料 pdf/jpg/png，≤20 MB）")
def step_record(request, household_id: int, step: Form[StepCode | None] = None, on: Form[date | None] = None, note: Form[Text | None] = None,
                site: Form[Text | None] = None, year: Form[int | None] = None, house_number: Form[Text | None] = None,
                house_area: Form[Text | None] = None, file: File[UploadedFile] = None):
    household = _household(request, household_id, kind="entry")
    evidence = {"evidence_name": file.name or "file", "evidence_data": read_upload(file, svc.MAX_EVIDENCE_BYTES)} if file else {}
    svc.step_record(actor=request.auth, household=household, step=step or "", on=on, note=note or "", site=site or None, year=year,
                    house_number=house_number or "", house_area=house_area or None, **evidence)
    return Status(201, _out(request.auth, household))


@router.post("/households/{household_id}/undo", response={200: RelocationProgressOut, **WRITE_ERRORS},
             summary="撤销最后一个环节（须填写理由，留痕）")
def step_undo(request, household_id: int, payload: RelocationUndoIn):
    require_perm(request.auth, Perm.RELOCATION_EDIT)
    household = _household(request, household_id, kind="entry")
    svc.step_undo(actor=request.auth, household=household, reason=payload.reason)
    return _out(request.auth, household)


@router.get("/evidence/{step_id}", response={200: None, **ERRORS}, summary="下载环节佐证材料（留痕）")
def evidence_download(request, step_id: int):
    step = sel.access_step(request.auth, step_id)
    path = svc.evidence_open(actor=request.auth, step=step)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=step.evidence_name,  # noqa: SIM115 (FileResponse closes it)
                        content_type=svc.evidence_content_type(step))


@router.get("/progress", response={200: RelocationProgressTableOut, **ERRORS}, summary="分安置点搬迁进度（各环节户数、入住率、拆旧复垦率，分县小计）")
def progress(request, filters: Query[RelocationProgressFilter]):
    result = sel.step_progress(actor=request.auth, scope=filters.scope, site=filters.site, year=filters.year)
    return {"rows": [r.as_dict() for r in result.rows], "counties": [r.as_dict() for r in result.counties], "total": result.total.as_dict()}
