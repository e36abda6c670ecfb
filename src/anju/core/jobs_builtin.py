"""Platform job kinds: audit export to Excel, chain verification, retention purge."""

from __future__ import annotations

from datetime import date

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.audit import audit_purge, audit_record, audit_seal, audit_verify
from anju.core.jobs import job_kind, result_path
from anju.core.masking import safe_cell
from anju.core.selectors import audit_event_list

AUDIT_EXPORT_COLUMNS = [
    gettext_lazy("序号"), gettext_lazy("时间"), gettext_lazy("操作人"), gettext_lazy("角色"), gettext_lazy("IP地址"),
    gettext_lazy("渠道"), gettext_lazy("事件"), gettext_lazy("对象类型"), gettext_lazy("对象标识"),
    gettext_lazy("区划代码"), gettext_lazy("结果"), gettext_lazy("说明"), gettext_lazy("变更前"), gettext_lazy("变更后"),
]


def _parse_date(value):
    return date.fromisoformat(value) if value else None


def audit_filters_from_params(params: dict) -> dict:
    return {
        "date_from": _parse_date(params.get("date_from")), "date_to": _parse_date(params.get("date_to")),
        "username": params.get("username", ""), "action": params.get("action", ""),
        "division": params.get("division", ""), "outcome": params.get("outcome", ""),
    }


def write_audit_xlsx(path, events, total: int, progress) -> int:
    """Stream events into an xlsx (constant memory); every text cell is formula-neutralised."""
    import json

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("审计日志"))
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = [10, 20, 14, 14, 16, 8, 30, 14, 12, 14, 8, 30, 40, 40]
    for col, (title, width) in enumerate(zip(AUDIT_EXPORT_COLUMNS, widths, strict=True)):
        sheet.write_string(0, col, str(title), bold)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    tz = timezone.get_current_timezone()
    n = 0
    for n, e in enumerate(events.iterator(chunk_size=2000), start=1):
        row = [
            e.seq or "", None, e.actor_username, e.actor_role, e.ip, e.channel, e.action, e.object_type, e.object_id,
            e.division_code, e.get_outcome_display(), e.message,
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
        ]
        for col, value in enumerate(row):
            if col == 1:
                sheet.write_datetime(n, col, e.occurred_at.astimezone(tz).replace(tzinfo=None), when)
            elif isinstance(value, int):
                sheet.write_number(n, col, value)
            else:
                sheet.write_string(n, col, safe_cell(str(value)))
        if n % 2000 == 0:
            progress(min(95, n * 100 // max(total, 1)), _("已写出 %(n)s / %(total)s 条") % {"n": n, "total": total})
    sheet.autofilter(0, 0, max(n, 1), len(AUDIT_EXPORT_COLUMNS) - 1)
    workbook.close()
    return n


@job_kind("audit.export", title=gettext_lazy("导出审计日志"), permission=Perm.AUDIT_EXPORT)
def audit_export_job(job, progress):
    actor = job.created_by
    events = audit_event_list(actor=actor, **audit_filters_from_params(job.params))
    total = events.count()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = result_path(job, f"audit-{stamp}.xlsx")
    n = write_audit_xlsx(path, events, total, progress)
    audit_record(actor=actor, action="audit.exported", object_type="job", object_id=job.pk,
                 division_code=job.division_code, after={"rows": n, "filters": job.params})
    progress(100, _("已导出 %(n)s 条") % {"n": n})
    return {"rows": n}


@job_kind("audit.verify", title=gettext_lazy("校验审计日志链"), permission=Perm.AUDIT_VERIFY)
def audit_verify_job(job, progress):
    audit_seal()
    result = audit_verify(progress=progress)
    audit_record(actor=job.created_by, action="audit.verified", object_type="job", object_id=job.pk,
                 outcome="success" if result.ok else "failure", after=result.as_dict())
    progress(100, _("校验通过，共 %(n)s 条") % {"n": result.checked} if result.ok else result.reason)
    return result.as_dict()


@job_kind("audit.purge", title=gettext_lazy("按保存期清理审计日志"), permission=Perm.AUDIT_PURGE)
def audit_purge_job(job, progress):
    result = audit_purge(actor=job.created_by)
    progress(100, _("已清理 %(n)s 条") % {"n": result.purged})
    return {"purged": result.purged, "through_seq": result.through_seq, "cutoff": result.cutoff.isoformat()}
