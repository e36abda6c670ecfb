"""Monthly progress import: read back, percent 0–100, the reporting deadline (county users only; unlocks), stage effects
of actual dates, idempotence and scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anju.projects.models import ProgressReport, ProgressUnlock, Project, Stage
from anju.projects.services import imports_kinds as kinds

from .factories import make_progress, make_project
from .imports_data import PROGRESS_HEADERS, errors_of, run, write_xlsx


@pytest.fixture
def city_clerk(make_user):
    return make_user("city_clerk", "4299", username="pi_city")


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="pi_clerk")


TODAY = dt.date(2026, 6, 3)  # May may still be reported (until 5 June); April is locked for county users


def test_progress_is_read_back_and_reimport_is_unchanged(tree, clerk, tmp_path):
    one = make_project(code="BY-G1", stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 3, 1))
    make_progress(one, dt.date(2026, 4, 1), "20")
    rows = [PROGRESS_HEADERS, ["BY-G1", "2026-05", 35, "42.6", "雨季影响路基施工", "", ""], ["BY-G1", "2026年6月", "40.5%", "", "", "", ""]]
    path = write_xlsx(tmp_path / "g.xlsx", rows)
    report = run(clerk, "progress", path)
    assert (report.imported, report.rejected) == (2, 0), report.errors
    got = list(ProgressReport.objects.filter(month__gte=dt.date(2026, 5, 1)).order_by("month").values_list(
        "month", "physical_percent", "investment_completed", "problems", "division_code", "reported_by"))
    assert got == [(dt.date(2026, 5, 1), Decimal("35.00"), 42_600_000, "雨季影响路基施工", one.division_code, clerk.pk),
                   (dt.date(2026, 6, 1), Decimal("40.50"), 0, "", one.division_code, clerk.pk)]
    again = run(clerk, "progress", path)
    assert (again.rows, again.imported, again.updated, again.unchanged) == (2, 0, 0, 2)
    rows[1][2] = 36
    assert run(clerk, "progress", write_xlsx(tmp_path / "g2.xlsx", rows)).updated == 1
    assert ProgressReport.objects.get(project=one, month=dt.date(2026, 5, 1)).physical_percent == Decimal("36.00")


def test_each_progress_rule_is_a_row_error(tree, clerk, tmp_path):
    make_project(code="BY-G1", stage=Stage.APPROVED)
    make_project(code="BY-G2", stage=Stage.REVIEWING)
    rows = [PROGRESS_HEADERS,
            ["BY-G1", "2026-05", 101, "", "", "", ""],  # 2 over 100
            ["BY-G1", "2026-05", -1, "", "", "", ""],  # 3 below 0
            ["BY-G2", "2026-05", 10, "", "", "", ""],  # 4 not approved yet
            ["BY-G1", "2026-07", 10, "", "", "", ""],  # 5 a future month
            ["BY-G1", "五月", 10, "", "", "", ""],  # 6 not a month
            ["BY-G1", "2026-05", "十", "", "", "", ""],  # 7 not a number
            ["BY-G1", "2026-05", 10, "1.2345678", "", "", ""],  # 8 investment more precise than a fen
            ["BY-G1", "2026-05", 10, "", "", "", ""],  # 9 fine
            ["BY-G1", "2026.5", 12, "", "", "", ""],  # 10 the same month again
            ["BY-G1", "2026-06", 12, "", "", "", "2026-05-01"]]  # 11 completion without a start
    report = run(clerk, "progress", write_xlsx(tmp_path / "e.xlsx", rows))
    assert errors_of(report) == [(2, "形象进度（%）", "percent_range"), (3, "形象进度（%）", "percent_range"), (4, "项目编码", "not_approved"),
                                 (5, "月份", "date_future"), (6, "月份", "date_format"), (7, "形象进度（%）", "decimal_format"),
                                 (8, "累计完成投资（万元）", "amount_invalid"), (10, "月份", "duplicate_in_file"),
                                 (11, "实际完工日期", "completion_needs_start")]
    assert report.errors[0].message == kinds.MSG_PERCENT
    assert report.errors[2].message == kinds.MSG_PROGRESS_STAGE % {"stage": "评审"}
    assert not ProgressReport.objects.exists()


def test_deadline_binds_county_users_not_the_city(tree, clerk, city_clerk, tmp_path):
    project = make_project(code="BY-L1", stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 1, 10))
    make_progress(project, dt.date(2026, 3, 1), "30")
    rows = [PROGRESS_HEADERS, ["BY-L1", "2026-04", 40, "", "", "", ""], ["BY-L1", "2026-03", 30, "", "", "", ""], ["BY-L1", "2026-05", 50, "", "", "", ""]]
    path = write_xlsx(tmp_path / "l.xlsx", rows)
    report = run(clerk, "progress", path, mode="valid-only")
    # April closed on 5 May; March is unchanged (no write, so no lock); May is open until 5 June
    assert errors_of(report) == [(2, "月份", "month_locked")]
    assert report.errors[0].message == kinds.MSG_MONTH_LOCKED % {"month": "2026-04", "day": 5}
    assert (report.imported, report.unchanged) == (1, 1)
    ProgressUnlock.objects.create(division_code="429921000000", month=dt.date(2026, 4, 1), until=TODAY, reason="补报", by=city_clerk)
    assert run(clerk, "progress", path).imported == 1
    late = [PROGRESS_HEADERS, ["BY-L1", "2026-02", 20, "", "", "", ""]]
    assert errors_of(run(clerk, "progress", write_xlsx(tmp_path / "late.xlsx", late))) == [(2, "月份", "month_locked")]
    city = run(city_clerk, "progress", write_xlsx(tmp_path / "late2.xlsx", late))  # PROJECT_MANAGE: no deadline lock
    assert (city.imported, city.rejected) == (1, 0)


def test_actual_dates_move_the_stage(tree, clerk, tmp_path):
    approved = make_project(code="BY-D1", stage=Stage.APPROVED)
    started = make_project(code="BY-D2", stage=Stage.IMPLEMENTING, actual_start=dt.date(2026, 2, 1))
    dated = make_project(code="BY-D3", stage=Stage.APPROVED, actual_start=dt.date(2026, 3, 1))  # a start stored, not yet moved on
    rows = [PROGRESS_HEADERS, ["BY-D1", "2026-05", 30, "", "", dt.date(2026, 4, 20), ""], ["BY-D1", "2026-06", 35, "", "", "2026-04-20", ""],
            ["BY-D2", "2026-05", 100, "", "", "", "2026-05-31"], ["BY-D2", "2026-06", 100, "", "", "", "2026-06-01"],
            ["BY-D3", "2026-05", 100, "", "", "", "2026-05-20"]]
    report = run(clerk, "progress", write_xlsx(tmp_path / "d.xlsx", rows), mode="valid-only")
    assert errors_of(report) == [(5, "实际完工日期", "dates_conflict")]
    assert report.stage_changes == 3
    assert list(dated.stage_changes.order_by("id").values_list("to_stage", "on"))[1:] == [(Stage.IMPLEMENTING, dt.date(2026, 3, 1)),
                                                                                          (Stage.COMPLETED, dt.date(2026, 5, 20))]
    approved.refresh_from_db()
    started.refresh_from_db()
    assert (approved.stage, approved.actual_start, approved.stage_on) == (Stage.IMPLEMENTING, dt.date(2026, 4, 20), dt.date(2026, 4, 20))
    assert (started.stage, started.actual_completion) == (Stage.COMPLETED, dt.date(2026, 5, 31))
    assert list(started.stage_changes.order_by("id").values_list("from_stage", "to_stage", "on"))[-1] == (
        Stage.IMPLEMENTING, Stage.COMPLETED, dt.date(2026, 5, 31))
    fixed = rows[:4] + rows[5:]
    again = run(clerk, "progress", write_xlsx(tmp_path / "d2.xlsx", fixed))
    assert (again.unchanged, again.stage_changes) == (4, 0)
    assert Project.objects.get(code="BY-D2").stage_changes.count() == 2


def test_other_countys_projects_are_row_errors(tree, clerk, tmp_path):
    make_project(code="QS-G1", division_code="429922001001", stage=Stage.IMPLEMENTING)
    report = run(clerk, "progress", write_xlsx(tmp_path / "o.xlsx", [PROGRESS_HEADERS, ["QS-G1", "2026-05", 30, "", "", "", ""]]))
    assert errors_of(report) == [(2, "项目编码", "project_unknown")]
    assert not ProgressReport.objects.exists()
