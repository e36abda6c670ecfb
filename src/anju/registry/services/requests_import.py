"""Bulk removal requests from a file (核减名单): one change request per row, all or nothing, row errors with codes.

Columns (template `registry.removal_requests`; users may add header aliases): 身份证号, 姓名, 核减原因, 事件日期, 说明.
Read with the import engine (anju.imports.readers). A removal list is tens to a few thousand rows, each a
workflow item of its own, so requests are created one by one through `change_request_create` inside one
transaction: any bad row and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import blind_index
from anju.core.exceptions import ApplicationError, ValidationFailed
from anju.core.masking import mask_resident_id
from anju.imports import values
from anju.imports.errors import RowError, write_error_workbook
from anju.imports.readers import RowData, read_table
from anju.imports.spec import FieldSpec, TableSpec, register_spec
from anju.registry.models import ChangeRequest, Enrolment, Person, Program, Status
from anju.registry.services import records
from anju.registry.services import requests as svc

SPEC = register_spec(TableSpec("registry.removal_requests", str(_("核减名单")), (
    FieldSpec("id_number", "身份证号", ("身份证号码", "公民身份号码", "证件号码"), required=True, text=True),
    FieldSpec("name", "姓名", ("人员姓名",), required=True),
    FieldSpec("cause", "核减原因", ("原因", "核减类型", "变动原因"), required=True),
    FieldSpec("event_date", "事件日期", ("发生日期", "死亡日期", "日期", "变动日期"), required=True),
    FieldSpec("note", "说明", ("备注", "情况说明")),
)))

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000

MSG_PERSON = _("找不到身份证号为 %(masked)s 的人员，或不在您的管辖范围内")
MSG_NAME = _("姓名“%(value)s”与名册中的“%(name)s”不符")
MSG_NOT_ENROLLED = _("该人员未纳入“%(program)s”名册")
MSG_DUPLICATE = _("与第 %(row)s 行的身份证号重复")
MSG_REQUIRED = _("不能为空")
MSG_TOO_MANY = _("一次最多导入 %(n)s 行，请分批导入")
MSG_PROGRAM = _("未知的项目类别：%(program)s")


@dataclass
class RequestImportResult:
    rows: int = 0
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rejected: list[tuple[RowData, list[RowError]]] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.rejected)

    def as_dict(self, limit: int = 500) -> dict:
        return {"rows": self.rows, "created": len(self.created), "requests": self.created, "rejected": self.rejected_rows,
                "errors": [e.as_dict() for e in self.errors[:limit]],
                # the job page lists `detail` (see core.exceptions.describe_problem)
                "detail": [{"file": e.sheet, "line": e.row, "reason": f"{e.column}：{e.message}" if e.column else e.message}
                           for e in self.errors[:limit]]}


def _text(value) -> str:
    return values.parse_text(value)


def change_requests_import(*, actor, data: bytes, name: str, program: str, submit: bool = True, today: dt.date | None = None,
                           progress=None) -> RequestImportResult:
    """Check every row, then create one removal request per row (submitted unless `submit` is false), or none at all."""
    require_perm(actor, Perm.REQUEST_SUBMIT)
    if program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"program": program}, code="program_invalid", detail={"field": "program"})
    today = today or dt.date.today()
    table = read_table(io.BytesIO(data), spec=SPEC, filename=name, progress=progress)
    result = RequestImportResult(headers=list(table.headers))
    fields = table.fields
    col = {f: table.column_label(f) for f in fields}
    seen: dict[str, int] = {}
    good: list[tuple[RowData, Enrolment, str, dt.date, str]] = []
    open_fields = set(ChangeRequest.objects.filter(state__in=ChangeRequest.OPEN_STATES, field=f"status.{program}")
                      .values_list("person_id", flat=True))
    for row in table.rows():
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise ValidationFailed(MSG_TOO_MANY % {"n": MAX_ROWS}, code="too_many_rows")
        v = dict(zip(fields, row.values, strict=True))
        errors: list[RowError] = []

        def err(f: str, code: str, message, value=None, row=row, v=v, errors=errors) -> None:
            shown = _text(v.get(f) if value is None else value)
            errors.append(RowError(row.sheet, row.number, col[f], shown, code, str(message)))

        person = enrolment = None
        try:
            rid = records.check_resident_id(v["id_number"])
        except ValidationFailed as exc:
            err("id_number", exc.code, exc.message.split("：", 1)[-1])
            rid = None
        if rid is not None:
            if rid.number in seen:
                err("id_number", "id_duplicate", MSG_DUPLICATE % {"row": seen[rid.number]})
            else:
                seen[rid.number] = row.number
                person = Person.objects.filter(id_hash=blind_index(rid.number)).first()
                if person is None or not in_scope(actor, person.division_code, "entry"):
                    err("id_number", "person_not_found", MSG_PERSON % {"masked": mask_resident_id(rid.number)})
                    person = None
        name_text = values.parse_name(v["name"])
        if not name_text:
            err("name", "required", MSG_REQUIRED)
        elif person is not None and name_text != person.name:
            err("name", "name_mismatch", MSG_NAME % {"value": name_text, "name": person.name})
        if person is not None:
            enrolment = Enrolment.objects.filter(person=person, program=program).first()
            if enrolment is None:
                err("id_number", "not_enrolled", MSG_NOT_ENROLLED % {"program": Program(program).label})
            elif enrolment.status == Status.REMOVED:
                err("id_number", "already_removed", records.MSG_ALREADY_REMOVED)
            elif person.pk in open_fields:
                other = ChangeRequest.objects.filter(state__in=ChangeRequest.OPEN_STATES, field=f"status.{program}", person=person).first()
                err("id_number", "request_open", svc.MSG_OPEN_REQUEST % {"kind": other.get_kind_display(), "id": other.pk,
                                                                            "state": other.get_state_display()})
        cause = ""
        if not _text(v["cause"]):
            err("cause", "required", MSG_REQUIRED)
        else:
            try:
                cause = records.check_cause(_text(v["cause"]))
            except ValidationFailed as exc:
                err("cause", exc.code, exc.message.split("：", 1)[-1])
        event = None
        if v["event_date"] in (None, ""):
            err("event_date", "required", MSG_REQUIRED)
        else:
            try:
                event = values.parse_date(v["event_date"], allow_month=False)
                if event > today:
                    err("event_date", "date_future", records.MSG_DATE_FUTURE % {"value": event.isoformat()})
            except values.CellError as exc:
                err("event_date", exc.code, exc.message)
        if errors:
            result.errors.extend(errors)
            result.rejected.append((row, errors))
        else:
            good.append((row, enrolment, cause, event, _text(v.get("note"))[:500]))
    if result.errors or not good:
        return result
    with transaction.atomic():
        for row, enrolment, cause, event, note in good:
            try:
                cr = svc.change_request_create(actor=actor, kind=ChangeRequest.Kind.REMOVE, program=program, enrolment=enrolment, cause=cause,
                                               payload={"event_date": event.isoformat()}, reason=note, submit=submit, today=today,
                                               source=ChangeRequest.Source.IMPORT)
            except ApplicationError as exc:  # a race with another request: report it and write nothing
                error = RowError(row.sheet, row.number, col["id_number"], "", exc.code, exc.message)
                result.errors.append(error)
                result.rejected.append((row, [error]))
                transaction.set_rollback(True)
                result.created = []
                return result
            result.created.append(cr.pk)
        audit_record(actor=actor, action="registry.request.imported", object_type="change_request_import", object_id=name[:64],
                     division_code=actor.entry_scope_id or "", after={"rows": result.rows, "created": len(result.created), "program": program})
    return result


def write_errors(path: Path | str, result: RequestImportResult) -> None:
    write_error_workbook(path, table_title=str(_("核减名单导入错误")), headers=result.headers, rejected=result.rejected)


def error_workbook(result: RequestImportResult) -> bytes:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        write_errors(tmp.name, result)
        return Path(tmp.name).read_bytes()
