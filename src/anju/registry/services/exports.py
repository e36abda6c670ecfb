"""Roster export in the import template (xlsx or csv), as of a date, so that an export re-imports as unchanged."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.audit import audit_record
from anju.core.crypto import decrypt
from anju.core.exceptions import ValidationFailed
from anju.core.masking import safe_cell
from anju.divisions.models import Division, Level
from anju.registry import roster
from anju.registry.models import Enrolment, EnrolmentStatus, Membership, Program, Status
from anju.registry.services.imports import MSG_PROGRAM, check_scope

Progress = Callable[[int, str], None]
MSG_FORMAT = gettext_lazy("导出文件须为 .xlsx 或 .csv：%(name)s")
MSG_SCOPE = gettext_lazy("导出范围 %(code)s 不在您的查看范围内")


@dataclass
class ExportReport:
    rows: int
    path: str
    masked: bool

    def as_dict(self) -> dict:
        return {"rows": self.rows, "path": self.path, "masked": self.masked}


def roster_queryset(*, program: str, prefix: str, as_of: dt.date | None):
    """Enrolments on the roster (在册) as of the end of `as_of` (now when None), in the division prefix."""
    qs = Enrolment.objects.filter(code_prefix_q("division_code", prefix), program=program)
    if as_of is None:
        qs = qs.filter(status=Status.ACTIVE)
        member = Membership.objects.filter(person_id=OuterRef("person_id"), valid_to__isnull=True)
    else:
        covering = EnrolmentStatus.objects.filter(enrolment_id=OuterRef("pk"), status=Status.ACTIVE, valid_from__lte=as_of).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
        qs = qs.filter(Exists(covering))
        member = Membership.objects.filter(person_id=OuterRef("person_id"), valid_from__lte=as_of).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=as_of)).order_by("-valid_from")
    return qs.annotate(relation=Subquery(member.values("relation")[:1])).select_related("person", "household", "reservoir", "site").order_by(
        "division_code", "household__number", "id")


def _row(e: Enrolment, names: dict[str, str], masked: bool) -> list:
    p, h, code = e.person, e.household, e.division_code
    id_number = p.id_masked if masked else decrypt(p.id_enc)
    head = [names.get(code[:6].ljust(12, "0"), ""), names.get(code[:9].ljust(12, "0"), ""), names.get(code, code), h.number, p.name, id_number,
            roster.GENDER_LABEL.get(p.gender, ""), p.birth_date.isoformat(), p.ethnicity, e.relation or "", p.phone, h.address]
    if e.program == Program.RESERVOIR:
        bank = e.bank_account_masked if masked else decrypt(e.bank_account_enc)
        return head + [e.reservoir.name if e.reservoir else "", e.move_date.isoformat() if e.move_date else "", e.origin,
                       roster.CATEGORY_LABEL.get(e.category, ""), roster.SUPPORT_MODE_LABEL.get(e.support_mode, ""), e.bank_name, bank]
    return head + ["是" if e.poverty_registered else "否", e.relocation_year or "", roster.PLACEMENT_LABEL.get(e.placement, ""),
                   roster.AREA_TYPE_LABEL.get(e.area_type, ""), "" if e.housing_area is None else str(e.housing_area),
                   e.site.name if e.site else ""]


def registry_export(*, actor, program: str, path: Path, scope: str | None = None, as_of: dt.date | None = None,
                    progress: Progress | None = None) -> ExportReport:
    """Write the roster. Full ID and bank numbers only for roles that may see them (the export is audited either way)."""
    require_perm(actor, Perm.REGISTRY_EXPORT)
    if program not in Program.values:
        raise ValidationFailed(MSG_PROGRAM % {"program": program}, code="program_invalid")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValidationFailed(MSG_FORMAT % {"name": path.name}, code="format_invalid")
    prefix = check_scope(actor, scope, kind="view", message=MSG_SCOPE)
    masked = not actor.can(Perm.REGISTRY_VIEW_PII)
    spec = roster.SPECS[program]
    headers = [f.label for f in spec.fields]
    names = dict(Division.objects.filter(code_prefix_q("code", prefix[:6]), level__gte=Level.COUNTY).values_list("code", "name"))
    qs = roster_queryset(program=program, prefix=prefix, as_of=as_of)
    total = qs.count()
    progress = progress or (lambda percent, message="": None)
    count = 0
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(headers)
            for e in qs.iterator(chunk_size=2000):
                out.writerow([safe_cell(v) for v in _row(e, names, masked)])
                count += 1
                if count % 20000 == 0:
                    progress(int(count * 100 / max(total, 1)), "")
    else:
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = workbook.add_worksheet(str(spec.title)[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        text_cols = {i for i, f in enumerate(spec.fields) if f.text}
        for i, h in enumerate(headers):
            sheet.write_string(0, i, h, bold)
            sheet.set_column(i, i, 20 if i in text_cols else 12, text if i in text_cols else None)
        for e in qs.iterator(chunk_size=2000):
            count += 1
            for i, v in enumerate(_row(e, names, masked)):
                sheet.write_string(count, i, str(safe_cell(v)), text if i in text_cols else None)
            if count % 20000 == 0:
                progress(int(count * 100 / max(total, 1)), "")
        sheet.freeze_panes(1, 0)
        workbook.close()
    with transaction.atomic():
        audit_record(actor=actor, action="registry.roster.exported", object_type="roster", object_id=program, division_code=prefix.ljust(12, "0"),
                     after={"program": program, "as_of": as_of.isoformat() if as_of else None, "rows": count, "masked": masked,
                            "format": suffix[1:], "file": path.name})
    progress(100, "")
    return ExportReport(rows=count, path=str(path), masked=masked)
