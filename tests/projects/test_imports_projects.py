"""Project ledger import: read back, 万元/元 headers, title rows, places by code or name, stage effects, the design rule,
idempotence, scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from anju.core.exceptions import PermissionDenied
from anju.core.models import AuditEvent
from anju.imports.models import ImportBatch
from anju.projects import money
from anju.projects.models import Project, Stage, StageChange
from anju.projects.services import imports as service
from anju.projects.services import imports_kinds as kinds

from .factories import make_project
from .imports_data import LEDGER_HEADERS, errors_of, ledger_row, run, write_xlsx


@pytest.fixture
def city_clerk(make_user):
    return make_user("city_clerk", "4299", username="pi_city")


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="pi_clerk")


@pytest.fixture
def neighbour(make_user):
    """A county clerk of 青山县 (429922), the sample county's neighbour in the same city."""
    return make_user("county_clerk", "429922", username="pi_neighbour")


TODAY = dt.date(2026, 6, 3)


def test_ledger_rows_are_read_back_in_the_database(tree, clerk, tmp_path):
    rows = [LEDGER_HEADERS,
            ledger_row("BY-001", "茶坝村产业路", investment="120.5", design="县设计院", qualified="是"),
            ledger_row("BY-002", "北沟村饮水工程", division="", county="白云县", township="白坪镇", village="北沟村", investment=35, stage="储备",
                       program="三峡后续工作", category="ecology")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "ledger.xlsx", rows))
    assert (report.rows, report.imported, report.rejected, report.applied) == (2, 2, 0, True), report.errors
    one = Project.objects.get(code="BY-001")
    assert (one.name, one.division_code, one.program, one.category, one.year) == ("茶坝村产业路", "429921101201", "reservoir", "infrastructure", 2026)
    assert one.planned_investment == 120_500_000  # 120.5 万元 in fen
    assert (one.beneficiaries, one.responsible_unit, one.responsible_person) == (120, "白坪镇人民政府", "王五")
    assert (one.design_institute, one.design_qualified, one.planned_start, one.planned_completion) == ("县设计院", True, dt.date(2026, 4, 1),
                                                                                                      dt.date(2026, 10, 31))
    assert one.stage == Stage.APPROVED and one.created_by == clerk
    assert list(one.stage_changes.values_list("from_stage", "to_stage", "on")) == [(Stage.RESERVE, Stage.APPROVED, TODAY)]
    two = Project.objects.get(code="BY-002")
    assert (two.division_code, two.program, two.category, two.stage) == ("429921101202", "three_gorges", "ecology", Stage.RESERVE)
    assert not two.stage_changes.exists()


def test_unit_comes_from_the_header(tree, clerk, tmp_path):
    yuan = [["项目编码", "项目名称", "区划代码", "项目类型", "项目类别", "计划投资（元）"],
            ["BY-Y1", "元表头", "429921", "水库移民后期扶持", "基础设施", 123456.78]]
    bare = [["项目编码", "项目名称", "区划代码", "项目类型", "项目类别", "总投资"], ["BY-Y2", "无单位表头", "429921", "三峡后续工作", "其他", "2,000"]]
    wan = [["项目编码", "项目名称", "区划代码", "项目类型", "项目类别", "计划投资(万元)"], ["BY-Y3", "万元表头", "429921", "易地搬迁后续扶持", "其他", 0.01]]
    for name, rows in (("y.xlsx", yuan), ("b.xlsx", bare), ("w.xlsx", wan)):
        report = run(clerk, "projects", write_xlsx(tmp_path / name, rows))
        assert report.imported == 1, report.errors
    assert dict(Project.objects.values_list("code", "planned_investment")) == {"BY-Y1": 12_345_678, "BY-Y2": 200_000, "BY-Y3": 10_000}  # 0.01 万元 = 100 元


def test_title_row_above_the_header(tree, clerk, tmp_path):
    rows = [LEDGER_HEADERS, ledger_row("BY-T1")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "t.xlsx", rows, title="白云县2026年度后期扶持项目台账"))
    assert report.imported == 1 and Project.objects.filter(code="BY-T1").exists()
    assert report.errors == []


def test_bad_amount_precision_and_number_name_row_and_column(tree, clerk, tmp_path):
    rows = [LEDGER_HEADERS, ledger_row("BY-A1", investment="1.2345678"), ledger_row("BY-A2", investment="一百万"), ledger_row("BY-A3", investment="-5"),
            ledger_row("BY-A4")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "a.xlsx", rows))
    assert errors_of(report) == [(2, "计划投资（万元）", "amount_invalid"), (3, "计划投资（万元）", "amount_invalid"),
                                 (4, "计划投资（万元）", "amount_invalid")]
    messages = [e.message for e in report.errors]
    assert messages == [money.MSG_AMOUNT_PRECISION % {"value": "1.2345678", "unit": "万元"}, money.MSG_AMOUNT_FORMAT % {"value": "一百万"},
                        money.MSG_AMOUNT_NEGATIVE]
    assert (report.rejected, report.imported, report.applied) == (3, 1, False)
    assert not Project.objects.exists()  # all-or-nothing: the good row is not written either
    assert report.message.endswith(str(service.MSG_REJECTED_NOTHING_WRITTEN % {"rejected": 3}))


def test_each_ledger_rule_is_a_row_error(tree, clerk, tmp_path):
    make_project(code="BY-OLD", division_code="429921101201", stage=Stage.RESERVE)
    rows = [LEDGER_HEADERS,
            ledger_row("BY-R1", program="扶贫"),  # 2 unknown program
            ledger_row("BY-R2", category="水利"),  # 3 unknown category
            ledger_row("BY-R3", division="42992110"),  # 4 malformed code
            ledger_row("BY-R4", division="", county="白云县", township="不存在镇"),  # 5 township not in county
            ledger_row("BY-R5", stage="验收"),  # 6 stage beyond completion
            ledger_row("BY-R6", stage="实施"),  # 7 implementing without a start date
            ledger_row("BY-R7", stage="储备", start="2026-05-01"),  # 8 started before approval
            ledger_row("BY-R8", start="2026-05-01", completion="2026-04-01"),  # 9 completion before start
            ledger_row("BY-R9", investment="150", stage="申报"),  # 10 ≥ 1,000,000 yuan without a qualified design
            ledger_row("BY-R1"),  # 11 fine (its code's first row was rejected)
            ledger_row("BY-R1"),  # 12 the same code twice in the file
            ledger_row("BY-R10", start="2099-01-01"),  # 13 a start in the future
            ledger_row("BY-OLD", start="2026-05-01"),  # 14 an existing reserve project cannot get a start date
            ledger_row("BY-R11", division=""),  # 15 no place
            ledger_row("BY-R12", year=1999)]  # 16 bad year
    report = run(clerk, "projects", write_xlsx(tmp_path / "r.xlsx", rows))
    assert errors_of(report) == [
        (2, "项目类型", "choice_invalid"), (3, "项目类别", "term_unknown"), (4, "区划代码", "division_code_format"), (5, "乡（镇）", "township_unknown"),
        (6, "项目阶段", "stage_beyond"), (7, "项目阶段", "stage_needs_start"), (8, "实际开工日期", "not_approved"), (9, "实际完工日期", "date_order"),
        (10, "设计单位", "design_required"), (12, "项目编码", "duplicate_in_file"), (13, "实际开工日期", "date_future"),
        (14, "实际开工日期", "not_approved"), (15, "区划代码", "division_required"), (16, "计划年度", "int_range")]
    by_row = {e.row: e.message for e in report.errors}
    assert by_row[5] == kinds.MSG_TOWNSHIP % {"value": "不存在镇", "county": "白云县"}
    assert by_row[10] == kinds.MSG_DESIGN % {"amount": "1,500,000.00", "threshold": "1,000,000.00"}
    assert by_row[12] == service.MSG_DUPLICATE_IN_FILE % {"row": 11, "key": "BY-R1"}
    assert by_row[14] == kinds.MSG_START_NOT_APPROVED % {"stage": "储备"}
    assert (report.rejected, report.imported) == (14, 1)
    assert Project.objects.count() == 1 and not ImportBatch.objects.get().applied


def test_valid_only_writes_the_good_rows(tree, clerk, tmp_path):
    rows = [LEDGER_HEADERS, ledger_row("BY-V1"), ledger_row("BY-V2", category="水利"), ledger_row("BY-V3")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "v.xlsx", rows), mode="valid-only", errors_path=tmp_path / "errors.xlsx")
    assert (report.imported, report.rejected, report.applied) == (2, 1, True)
    assert sorted(Project.objects.values_list("code", flat=True)) == ["BY-V1", "BY-V3"]
    assert (tmp_path / "errors.xlsx").is_file() and ImportBatch.objects.get().errors_file == str(tmp_path / "errors.xlsx")


def test_reimport_is_unchanged_and_a_changed_value_updates(tree, clerk, tmp_path):
    rows = [LEDGER_HEADERS, ledger_row("BY-I1", start="2026-05-10"), ledger_row("BY-I2", stage="储备")]
    path = write_xlsx(tmp_path / "i.xlsx", rows)
    first = run(clerk, "projects", path)
    assert (first.imported, first.stage_changes) == (2, 1)
    again = run(clerk, "projects", path)
    assert (again.rows, again.imported, again.updated, again.unchanged, again.stage_changes) == (2, 0, 0, 2, 0)
    assert StageChange.objects.count() == 2  # reserve → approved, approved → implementing (on the start date)
    rows[2][1] = "北沟村饮水工程（调整）"
    rows[2][10] = ""  # an empty cell keeps the stored investment
    changed = run(clerk, "projects", write_xlsx(tmp_path / "i2.xlsx", rows))
    assert (changed.updated, changed.unchanged) == (1, 1)
    two = Project.objects.get(code="BY-I2")
    assert two.name == "北沟村饮水工程（调整）" and two.planned_investment == 800_000_00


def test_stage_effects_of_actual_dates(tree, clerk, tmp_path):
    existing = make_project(code="BY-S0", stage=Stage.APPROVED)
    rows = [LEDGER_HEADERS, ledger_row("BY-S1", start="2026-03-02", completion="2026-05-30"), ledger_row("BY-S2", stage="实施", start="2026-04-01"),
            ledger_row("BY-S0", start="2026-02-10")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "s.xlsx", rows))
    assert (report.imported, report.updated, report.stage_changes) == (2, 1, 3), report.errors
    s1 = Project.objects.get(code="BY-S1")
    assert (s1.stage, s1.stage_on, s1.actual_start, s1.actual_completion) == (Stage.COMPLETED, dt.date(2026, 5, 30), dt.date(2026, 3, 2),
                                                                             dt.date(2026, 5, 30))
    assert list(s1.stage_changes.values_list("to_stage", "on")) == [(Stage.APPROVED, dt.date(2026, 3, 2)), (Stage.IMPLEMENTING, dt.date(2026, 3, 2)),
                                                                    (Stage.COMPLETED, dt.date(2026, 5, 30))]
    assert Project.objects.get(code="BY-S2").stage == Stage.IMPLEMENTING
    existing.refresh_from_db()
    # the start predates the project's last stage change (2026-01-01 in the factory): the move is dated no earlier
    assert existing.stage == Stage.IMPLEMENTING and existing.actual_start == dt.date(2026, 2, 10)
    assert existing.stage_changes.order_by("-id").values_list("on", "note", "by").first() == (dt.date(2026, 2, 10), "导入", clerk.pk)


def test_another_countys_rows_and_projects_are_row_errors(tree, other_city, clerk, neighbour, tmp_path):
    theirs = make_project(code="QS-001", division_code="429922001001")
    rows = [LEDGER_HEADERS, ledger_row("BY-X1", division="429922001001"), ledger_row("BY-X2", division="", county="青山县"),
            ledger_row("QS-001", division="429921101201"), ledger_row("BY-X3", division="429821100200")]
    report = run(clerk, "projects", write_xlsx(tmp_path / "x.xlsx", rows))
    assert errors_of(report) == [(2, "区划代码", "division_unknown"), (3, "县（市、区）", "county_unknown"), (4, "项目编码", "project_other_scope"),
                                 (5, "区划代码", "division_unknown")]
    assert report.errors[0].message == kinds.MSG_DIVISION_CODE % {"value": "429922001001"}
    theirs.refresh_from_db()
    assert theirs.division_code == "429922001001" and Project.objects.count() == 1
    # the neighbour imports its own rows fine
    ok = run(neighbour, "projects", write_xlsx(tmp_path / "n.xlsx", [LEDGER_HEADERS, ledger_row("QS-002", division="429922001001")]))
    assert ok.imported == 1


def test_a_project_cannot_move_by_import(tree, clerk, tmp_path):
    make_project(code="BY-M1", division_code="429921101201")
    same_county = run(clerk, "projects", write_xlsx(tmp_path / "m.xlsx", [LEDGER_HEADERS, ledger_row("BY-M1", division="429921")]))
    assert same_county.rejected == 0  # the file names the county only: the stored village lies in it
    moved = run(clerk, "projects", write_xlsx(tmp_path / "m2.xlsx", [LEDGER_HEADERS, ledger_row("BY-M1", division="429921101202")]))
    assert errors_of(moved) == [(2, "区划代码", "division_changed")]


def test_city_user_names_the_county_and_a_village_alone_is_found(tree, city_clerk, tmp_path):
    rows = [LEDGER_HEADERS, ledger_row("CITY-1", division="", county="白云", village="茶坝村"), ledger_row("CITY-2", division="", village="茶坝村")]
    report = run(city_clerk, "projects", write_xlsx(tmp_path / "c.xlsx", rows), mode="valid-only")
    assert errors_of(report) == [(3, "县（市、区）", "county_required")]
    assert Project.objects.get(code="CITY-1").division_code == "429921101201"


def test_permission_and_audit(tree, clerk, make_user, tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", [LEDGER_HEADERS, ledger_row("BY-P1")])
    with pytest.raises(PermissionDenied):
        run(make_user("finance", "429921"), "projects", path)
    with pytest.raises(PermissionDenied):
        run(make_user("leader", "429921"), "projects", path)
    report = run(clerk, "projects", path)
    event = AuditEvent.objects.get(action="projects.project.imported")
    batch = ImportBatch.objects.get()
    assert (event.object_id, event.division_code, event.actor_id) == (str(batch.pk), "429921000000", clerk.pk)
    assert event.after["sha256"] == batch.file_sha256 and len(batch.file_sha256) == 64
    assert {k: event.after[k] for k in ("kind", "file", "rows", "imported", "updated", "unchanged", "rejected", "applied")} == {
        "kind": "projects", "file": "p.xlsx", "rows": 1, "imported": 1, "updated": 0, "unchanged": 0, "rejected": 0, "applied": True}
    assert batch.template == "projects.ledger" and report.batch_id == batch.pk
