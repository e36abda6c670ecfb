"""The entitlement list (测算名单) as CSV: one row per person of a county or a city with months and yuan; full ID numbers
only for roles allowed to see them; every export audited."""

from __future__ import annotations

import csv
from collections.abc import Callable

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.audit import audit_record
from anju.core.crypto import decrypt
from anju.core.exceptions import PermissionDenied
from anju.core.masking import safe_cell
from anju.divisions.codes import full_code
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment, Person
from anju.subsidies.models import Item
from anju.subsidies.months import yuan
from anju.subsidies.services.entitlements import SOURCE_LIVE, SOURCE_SNAPSHOT, entitlements_check, entitlements_compute, policy_table

Progress = Callable[[int, str], None]

MSG_NO_PII = gettext_lazy("您的角色不能导出完整身份证号")

HEADERS = (gettext_lazy("身份证号"), gettext_lazy("姓名"), gettext_lazy("月数"), gettext_lazy("金额"), gettext_lazy("村"),
           gettext_lazy("户编号"), gettext_lazy("扶持方式"), gettext_lazy("暂缓原因"))
ENCODING = "utf-8-sig"  # Excel opens it as Unicode


def entitlements_export_check(*, actor, scope: str, year: int, quarter: int = 0, preview: bool = False, unmasked: bool = False) -> list[str]:
    """Every check of the export (scope, period, snapshots, full IDs) without computing; returns the counties covered."""
    counties = entitlements_check(actor=actor, scope=scope, year=year, quarter=quarter, preview=preview)
    if unmasked and not actor.can(Perm.REGISTRY_VIEW_PII):
        raise PermissionDenied(MSG_NO_PII, code="pii_forbidden")
    return counties


def _id_numbers(person_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(person_ids), 500):
        for pk, token in Person.objects.filter(pk__in=person_ids[start:start + 500]).values_list("pk", "id_enc"):
            found[pk] = decrypt(token)
    return found


def entitlements_export_csv(*, actor, scope: str, year: int, quarter: int = 0, preview: bool = False, path, unmasked: bool = False,
                            progress: Progress | None = None) -> int:
    """Write the entitlement list of `scope` (a county, or every county of a city) to `path`; returns the rows written.

    Columns: 身份证号, 姓名, 月数, 金额 (yuan, two decimals), then 村, 户编号, 扶持方式, 暂缓原因. IDs are masked unless
    `unmasked` (REGISTRY_VIEW_PII); the export is audited either way."""
    report = progress or (lambda p, m="": None)
    counties = entitlements_export_check(actor=actor, scope=scope, year=year, quarter=quarter, preview=preview, unmasked=unmasked)
    table = policy_table()
    modes = dict(Enrolment.SupportMode.choices)
    holds = dict(Item.Hold.choices)
    n = 0
    with open(path, "w", encoding=ENCODING, newline="") as f, translation.override("zh-hans"):
        writer = csv.writer(f)
        writer.writerow([str(h) for h in HEADERS])
        for i, county in enumerate(counties):
            report(int(90 * i / len(counties)), _("计算 %(county)s") % {"county": county[:6]})
            eset = entitlements_compute(county_code=county, year=year, quarter=quarter,
                                        source=SOURCE_LIVE if preview else SOURCE_SNAPSHOT, table=table)
            ids = _id_numbers([r.person_id for r in eset.rows]) if unmasked else {}
            names = division_names({r.division_code for r in eset.rows})
            for r in eset.rows:
                writer.writerow([safe_cell(v) for v in (
                    ids.get(r.person_id, r.id_masked) if unmasked else r.id_masked, r.name, r.months, str(yuan(r.amount)),
                    names.get(r.division_code, r.division_code), r.household_number, str(modes.get(r.support_mode, r.support_mode)),
                    str(holds.get(r.hold, r.hold)) if r.hold else "")])
            n += len(eset.rows)
    with transaction.atomic():
        audit_record(actor=actor, action="subsidies.entitlements.exported", object_type="entitlements",
                     object_id=f"{scope}-{year}-{quarter}", division_code=full_code(scope),
                     after={"scope": scope, "year": year, "quarter": quarter, "preview": preview, "unmasked": unmasked, "count": n,
                            "counties": len(counties), "file": str(getattr(path, "name", path))})
    report(100, _("已导出 %(n)s 人") % {"n": n})
    return n


__all__ = ["entitlements_export_csv", "entitlements_export_check", "HEADERS", "MSG_NO_PII"]
