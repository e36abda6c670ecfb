"""Policy parameters as dated, scoped data: the value of a key in force for a division on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from anju.core.exceptions import ApplicationError

MSG_POLICY_MISSING = _("未配置政策参数 %(key)s（适用于 %(division)s、%(date)s）")

# Defaults from POLICY.md, loaded by migration core.0004 as national versions. Provinces and cities add
# their own rows (a longer scope prefix or a later effective date) instead of changing code.
DEFAULTS: dict[str, tuple[str, Any, str]] = {
    "reservoir.cutoff_date": ("2006-07-01", "2006-06-30", "国发〔2006〕17号：2006年6月30日前搬迁的为现状人口"),
    "reservoir.period_start_current": ("2006-07-01", "2006-07-01", "现状人口自2006年7月1日起扶持"),
    "reservoir.period_years": ("2006-07-01", 20, "原迁人口自完成搬迁之月起扶持20年"),
    "reservoir.period_years_current": ("2006-07-01", 20, "现状人口自2006年7月1日起扶持20年（至2026年6月30日）"),
    "reservoir.standard_yuan": ("2006-07-01", 600, "每人每年600元"),
    "subsidies.frequency": ("2006-07-01", "yearly", "按年发放（yearly）或按季度发放（quarterly），由地方确定"),
    "subsidies.direct_modes": ("2006-07-01", ["direct"], "直接发放到人的扶持方式；其余为项目扶持"),
    "registry.removal_effective": ("2006-07-01", "next_year", "核减自次年1月1日起生效（next_year / next_month / immediate）"),
    "registry.posting_days": ("2006-07-01", 7, "公示不少于5至7天"),
    "registry.workflow": ("2006-07-01", {
        "add_person": ["township", "county", "city"],
        "add_household": ["township", "county", "city"],
        "remove": ["township", "county", "city"],
        "restore": ["township", "county", "city"],
        "correct": ["township", "county"],
        "move": ["township", "county", "city"],
        "split": ["township", "county"],
        "merge": ["township", "county"],
    }, "乡镇提出、县级审核、市级审批；各类型层级可配置"),
    "registry.posting_required": ("2006-07-01", ["add_person", "add_household", "remove"], "新增与核减须公示"),
    "projects.progress_deadline_day": ("2021-01-01", 5, "项目月度进度于次月5日前报送，逾期锁定（市级可解锁）"),
    "projects.design_threshold_yuan": ("2021-01-01", 1000000, "总投资100万元及以上的项目须由具备相应资质的设计单位设计"),
    "relocation.max_area_per_person": ("2016-01-01", 25, "建档立卡户人均住房面积不超过25平方米"),
    "relocation.labour_age": ("2016-01-01", [16, 60], "劳动年龄：年满16周岁至未满61周岁（按周岁计，含两端）"),
    "relocation.income_line_yuan": ("2021-01-01", 7000, "防返贫监测收入线（元/人·年），由省级每年确定"),
    "relocation.medical_high_yuan": ("2021-01-01", 10000, "年度合规自付医疗费用超过该值即列入风险预警"),
    "relocation.elimination_months": ("2021-01-01", 6, "落实帮扶措施满该月数且收入稳定超过监测线方可申请风险消除"),
}


def policy_defaults_load(model=None) -> int:
    """Insert the national defaults that are missing (migration core.0004 and flushed test databases); returns how many."""
    if model is None:
        from anju.core.models import PolicyVersion as model
    created = 0
    for key, (start, value, note) in DEFAULTS.items():
        created += model.objects.get_or_create(key=key, scope="", effective_from=dt.date.fromisoformat(start),
                                               defaults={"value": value, "note": note})[1]
    return created


class PolicyMissing(ApplicationError):
    code = "policy_missing"
    status = 409


def policy_value(key: str, *, on: dt.date | None = None, division_code: str = "") -> Any:
    """The value of `key` in force on `on` (today by default) for the division `division_code`."""
    from anju.core.models import PolicyVersion

    on = on or dt.date.today()
    rows = PolicyVersion.objects.filter(key=key, effective_from__lte=on).values_list("scope", "effective_from", "value")
    best = None
    for scope, start, value in rows:
        if division_code.startswith(scope) or not scope:
            rank = (len(scope), start)
            if best is None or rank > best[0]:
                best = (rank, value)
    if best is None:
        raise PolicyMissing(MSG_POLICY_MISSING % {"key": key, "division": division_code or "-", "date": on.isoformat()})
    return best[1]


def policy_date(key: str, *, on: dt.date | None = None, division_code: str = "") -> dt.date:
    return dt.date.fromisoformat(policy_value(key, on=on, division_code=division_code))


class PolicyTable:
    """All versions of some keys loaded once, for bulk paths that ask for many (division, day) pairs."""

    def __init__(self, keys, *, extra=()):
        """`extra` rows (key, scope, effective_from, value) act as if stored, winning ties: a draft version being costed."""
        from anju.core.models import PolicyVersion

        self._rows: dict[str, list[tuple[str, dt.date, Any, int]]] = {k: [] for k in keys}
        for key, scope, start, value in PolicyVersion.objects.filter(key__in=list(keys)).values_list("key", "scope", "effective_from", "value"):
            self._rows[key].append((scope, start, value, 0))
        for key, scope, start, value in extra:
            if key in self._rows:
                self._rows[key].append((scope, start, value, 1))
        self._memo: dict[tuple, Any] = {}

    def value(self, key: str, *, on: dt.date, division_code: str) -> Any:
        memo_key = (key, on, division_code[:6])
        if memo_key in self._memo:
            return self._memo[memo_key]
        best = None
        for scope, start, value, extra in self._rows.get(key, ()):
            if start <= on and division_code.startswith(scope):
                rank = (len(scope), start, extra)
                if best is None or rank > best[0]:
                    best = (rank, value)
        if best is None:
            raise PolicyMissing(MSG_POLICY_MISSING % {"key": key, "division": division_code or "-", "date": on.isoformat()})
        self._memo[memo_key] = best[1]
        return best[1]
