"""Project test data built straight into the tables (each area's tests prove its own services); the sample county is
白云县 429921 of the demo city 4299, the foreign one 外县 429821 (fixture `other_city`)."""

from __future__ import annotations

import datetime as dt
import itertools

from anju.projects.models import Allocation, Payment, ProgressReport, Project, Stage, StageChange

COUNTY = "429921000000"
TOWNSHIP = "429921101000"
VILLAGE = "429921101201"
OTHER_COUNTY = "429821000000"
OTHER_VILLAGE = "429821100200"

_codes = itertools.count(1)


def make_project(*, division_code: str = VILLAGE, year: int | None = 2026, stage: str = Stage.APPROVED, name: str = "",
                 program: str = "reservoir", category: str = "infrastructure", planned_investment: int = 50_000_000,
                 actual_start: dt.date | None = None, actual_completion: dt.date | None = None, code: str = "", **kw) -> Project:
    """A project (planned investment in fen: 500,000 元 by default) at `stage`, with a StageChange row when not in the reserve."""
    n = next(_codes)
    project = Project.objects.create(code=code or f"XM{division_code[:6]}{n:05d}", name=name or f"测试项目{n}", division_code=division_code,
                                     year=year, stage=stage, program=program, category=category, planned_investment=planned_investment,
                                     actual_start=actual_start, actual_completion=actual_completion, responsible_unit="县移民局",
                                     responsible_person="张三", **kw)
    if stage != Stage.RESERVE:
        StageChange.objects.create(project=project, from_stage=Stage.RESERVE, to_stage=stage, on=dt.date(year or 2026, 1, 1))
    return project


def make_allocation(project: Project, amount: int, *, doc_date: dt.date = dt.date(2026, 3, 1), fund_source: str = "central",
                    year: int | None = None, doc_number: str = "") -> Allocation:
    return Allocation.objects.create(project=project, division_code=project.division_code, fund_source=fund_source,
                                     year=year or doc_date.year, doc_number=doc_number or f"清移发〔{doc_date.year}〕{next(_codes)}号",
                                     doc_date=doc_date, amount=amount)


def make_payment(project: Project, amount: int, *, paid_on: dt.date = dt.date(2026, 5, 1), fund_source: str = "central",
                 voucher: str = "") -> Payment:
    return Payment.objects.create(project=project, division_code=project.division_code, fund_source=fund_source, paid_on=paid_on,
                                  amount=amount, voucher=voucher or f"PZ{next(_codes):06d}")


def make_progress(project: Project, month: dt.date, percent: str = "50", *, investment_completed: int = 0, problems: str = "") -> ProgressReport:
    return ProgressReport.objects.create(project=project, division_code=project.division_code, month=month.replace(day=1),
                                         physical_percent=percent, investment_completed=investment_completed, problems=problems)
