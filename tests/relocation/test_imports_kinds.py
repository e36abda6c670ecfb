"""Relocation imports, kind by kind: department headers and title rows, matching by resident ID in the relocated
population of the actor's scope, natural keys (re-import changes nothing), 防返贫 signals raised once, bad rows with
their row/column messages, all-or-nothing vs valid-only, one audit event per batch, the error workbook read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anju.core.audit import AuditEvent
from anju.core.crypto import decrypt
from anju.imports.models import ImportBatch
from anju.registry.models import EnrolmentStatus
from anju.registry.resident_id import compose
from anju.relocation.models import Employment, Income, Insurance, MedicalCost, RiskSignal, Training, Welfare
from anju.relocation.services.imports import relocation_import
from tests.projects.imports_data import read_sheet, write_xlsx

from .factories import OTHER_VILLAGE, make_employment, make_relocated_household, members_of

TODAY = dt.date(2026, 6, 3)
EMPLOYMENT_HEADERS = ["序号", "姓名", "公民身份号码", "就业类型", "务工单位", "务工地点", "就业时间", "结束日期", "月收入（元）"]
WELFARE_HEADERS = ["户主姓名", "户主身份证号", "身份证号", "救助类型", "保障人数", "月保障金（元）", "起始日期", "终止日期"]
MEDICAL_HEADERS = ["姓名", "身份证号码", "结算年度", "医疗总费用（元）", "合规自付费用（元）"]


def rid(person) -> str:
    return decrypt(person.id_enc)


def run(actor, kind: str, path: Path, mode: str = "all-or-nothing", today: dt.date = TODAY, **kw):
    return relocation_import(actor=actor, kind=kind, source=path, filename=path.name, mode=mode, today=today, **kw)


def xlsx(tmp_path, name: str, headers: list, *rows, title: str | None = "白云县易地扶贫搬迁劳动力就业台账"):
    return write_xlsx(tmp_path / name, [headers, *rows], title=title)


def emp_row(person, kind="县内务工", start="2025-03-01", end=None, income=2800, employer="白云县帮扶车间", n=1):
    return [n, person.name, rid(person), kind, employer, "白云县城关镇", start, end, income]


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="ri_clerk")


@pytest.fixture
def families(tree):
    """Two relocated households in 白云县 (茶坝 village): members [head, spouse, child]."""
    return make_relocated_household(), make_relocated_household()


# --- employment --------------------------------------------------------------------------------------------------

def test_employment_list_with_title_rows_and_department_headers(clerk, families, tmp_path):
    a, b = (members_of(h) for h in families)
    path = xlsx(tmp_path, "就业.xlsx", EMPLOYMENT_HEADERS, emp_row(a[0], "省外", income="3,500.50"),
                emp_row(b[1], "扶贫车间", start=dt.date(2025, 9, 1), end=dt.date(2026, 12, 31), income=1800, n=2),
                ["合计", "", "", "", "", "", "", "", 5300.5])
    report = run(clerk, "employment", path)
    assert (report.rows, report.imported, report.rejected, report.applied) == (2, 2, 0, True), report.errors
    first, second = Employment.objects.order_by("started_on")
    assert (first.person_id, first.household_id, first.division_code, first.kind, first.monthly_income_fen) == (
        a[0].pk, families[0].pk, "429921101201", "out_province", 350_050)
    assert (first.source, first.batch_id, first.employer, first.place) == ("import", report.batch_id, "白云县帮扶车间", "白云县城关镇")
    assert (second.kind, second.ended_on, second.monthly_income_fen) == ("workshop", dt.date(2026, 12, 31), 180_000)
    events = AuditEvent.objects.filter(action="relocation.employment.imported")
    assert events.count() == 1 and events.get().after["imported"] == 2 and events.get().object_id == str(report.batch_id)


def test_employment_reimport_changes_nothing_and_a_changed_row_updates(clerk, families, tmp_path):
    a = members_of(families[0])
    rows = [emp_row(a[0]), emp_row(a[1], "公益性岗位", n=2)]
    path = xlsx(tmp_path, "e.xlsx", EMPLOYMENT_HEADERS, *rows)
    run(clerk, "employment", path)
    again = run(clerk, "employment", path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)
    changed = xlsx(tmp_path, "e2.xlsx", EMPLOYMENT_HEADERS, emp_row(a[0], income=3000), [2, a[1].name, rid(a[1]), "公益性岗位", "", "", "2025-03-01",
                                                                                          None, None])
    third = run(clerk, "employment", changed)
    assert (third.imported, third.updated, third.unchanged) == (0, 1, 1)
    assert Employment.objects.count() == 2
    spell = Employment.objects.get(person=a[0])
    assert spell.monthly_income_fen == 300_000 and spell.batch_id == third.batch_id
    assert Employment.objects.get(person=a[1]).employer == "白云县帮扶车间"  # an empty cell clears nothing


def test_employment_ending_the_last_open_spell_raises_one_signal(clerk, families, tmp_path):
    a, b = (members_of(h) for h in families)
    make_employment(b[1], started_on=dt.date(2024, 1, 1))  # household b keeps someone at work
    path = xlsx(tmp_path, "end.xlsx", EMPLOYMENT_HEADERS, emp_row(a[0], end="2026-05-01"), emp_row(b[0], end="2026-05-10", n=2),
                emp_row(a[1], start="2020-01-01", end="2021-01-01", n=3))
    report = run(clerk, "employment", path)
    assert report.signals == 1
    signal = RiskSignal.objects.get()
    assert (signal.kind, signal.household_id, signal.person_id, signal.source, signal.batch_id, signal.state) == (
        "employment", families[0].pk, a[0].pk, "import:employment", report.batch_id, "open")
    assert signal.detail["ended_on"] == "2026-05-01" and signal.division_code == "429921101201"
    assert run(clerk, "employment", path).signals == 0
    assert RiskSignal.objects.count() == 1


# --- 低保/特困 ------------------------------------------------------------------------------------------------------

def test_welfare_by_head_or_member_id_and_newly_covered_signal_once(clerk, families, tmp_path):
    a, b = (members_of(h) for h in families)
    Welfare.objects.create(household=families[1], division_code="429921101201", kind="dibao", persons=2, monthly_fen=50_000,
                           started_on=dt.date(2024, 1, 1))
    path = xlsx(tmp_path, "低保.xlsx", WELFARE_HEADERS, [a[0].name, rid(a[0]), "", "农村低保", 3, 960, "2026-01-01", ""],
                ["", "", rid(b[2]), "特困供养", 1, "520.5", "2026-02-01", ""], title="白云县农村低保特困对象花名册")
    report = run(clerk, "welfare", path)
    assert (report.imported, report.rejected, report.signals) == (2, 0, 1), report.errors
    mine = Welfare.objects.get(household=families[0])
    assert (mine.kind, mine.persons, mine.monthly_fen, mine.source, mine.batch_id) == ("dibao", 3, 96_000, "import", report.batch_id)
    assert Welfare.objects.get(household=families[1], kind="tekun").monthly_fen == 52_050
    signal = RiskSignal.objects.get()
    assert (signal.kind, signal.household_id, signal.source) == ("welfare", families[0].pk, "import:welfare")
    again = run(clerk, "welfare", path)
    assert (again.unchanged, again.signals) == (2, 0) and RiskSignal.objects.count() == 1


def test_welfare_head_and_member_of_different_households(clerk, families, tmp_path):
    a, b = (members_of(h) for h in families)
    path = xlsx(tmp_path, "w.xlsx", WELFARE_HEADERS, [a[0].name, rid(a[0]), rid(b[1]), "低保", 3, 960, "2026-01-01", ""],
                ["", "", "", "低保", 3, 960, "2026-01-01", ""], title=None)
    report = run(clerk, "welfare", path)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "身份证号", "other_household"), (3, "户主身份证号", "household_id_required")]
    assert report.errors[1].message == "请填写户主身份证号或家庭成员的身份证号"


# --- medical costs ------------------------------------------------------------------------------------------------

def test_medical_costs_and_high_out_of_pocket_signal_once_per_person_year(clerk, families, tmp_path):
    a = members_of(families[0])
    rows = [[a[0].name, rid(a[0]), 2025, 56000, "12500.00"], [a[1].name, rid(a[1]), 2025, 30000, 10000], [a[2].name, rid(a[2]), "2025年", 800, 0]]
    path = xlsx(tmp_path, "医保.xlsx", MEDICAL_HEADERS, *rows, title="2025年度医疗费用结算信息")
    report = run(clerk, "medical", path)
    assert (report.imported, report.signals) == (3, 1), report.errors
    cost = MedicalCost.objects.get(person=a[0])
    assert (cost.year, cost.total_fen, cost.out_of_pocket_fen, cost.batch_id, cost.source) == (2025, 5_600_000, 1_250_000, report.batch_id, "import")
    signal = RiskSignal.objects.get()
    assert (signal.kind, signal.person_id, signal.source, signal.batch_id) == ("medical", a[0].pk, "import:medical", report.batch_id)
    assert signal.detail == {"year": 2025, "out_of_pocket_fen": 1_250_000, "total_fen": 5_600_000, "threshold_fen": 1_000_000}
    assert run(clerk, "medical", path).signals == 0
    higher = xlsx(tmp_path, "m2.xlsx", MEDICAL_HEADERS, [a[0].name, rid(a[0]), 2025, 60000, 20000], [a[1].name, rid(a[1]), 2025, 30000, 10000.01])
    third = run(clerk, "medical", higher)
    assert (third.updated, third.unchanged, third.imported, third.signals) == (2, 0, 0, 1)  # a[1] crosses the line now; a[0] was raised
    assert MedicalCost.objects.count() == 3 and RiskSignal.objects.count() == 2


# --- training, insurance, income ----------------------------------------------------------------------------------

def test_training_insurance_and_income_lists(clerk, families, tmp_path):
    a = members_of(families[0])
    training = xlsx(tmp_path, "t.xlsx", ["姓名", "身份证号", "培训工种", "培训机构", "培训开始日期", "结业日期", "职业资格证书"],
                    [a[0].name, rid(a[0]), "家政服务", "县职校", "2025-04-08", "2025-04-22", "家政服务员（五级）"])
    report = run(clerk, "training", training)
    assert report.imported == 1 and run(clerk, "training", training).unchanged == 1
    row = Training.objects.get()
    assert (row.course, row.certificate, row.ended_on, row.batch_id, row.household_id) == (
        "家政服务", "家政服务员（五级）", dt.date(2025, 4, 22), report.batch_id, families[0].pk)

    insurance = xlsx(tmp_path, "i.xlsx", ["姓名", "身份证号", "参保年度", "基本医疗保险", "基本养老保险"],
                     [a[0].name, rid(a[0]), 2026, "是", "已参保"], [a[1].name, rid(a[1]), 2026, "否", ""])
    report = run(clerk, "insurance", insurance)
    assert report.imported == 2, report.errors
    assert list(Insurance.objects.order_by("person_id").values_list("medical", "pension")) == [(True, True), (False, None)]
    update = xlsx(tmp_path, "i2.xlsx", ["姓名", "身份证号", "年度", "医疗保险", "养老保险"], [a[1].name, rid(a[1]), 2026, "", "是"])
    assert run(clerk, "insurance", update).updated == 1
    assert Insurance.objects.get(person=a[1]).medical is False and Insurance.objects.get(person=a[1]).pension is True

    income = xlsx(tmp_path, "s.xlsx", ["户主姓名", "户主身份证号", "年度", "家庭人口", "工资性收入（元）", "生产经营性收入", "财产性收入", "转移性收入",
                                       "生产经营性支出", "调查日期"],
                  [a[0].name, rid(a[0]), 2025, 3, 32000, 6000, 500, "4800.5", 1500, "2025-12-20"])
    report = run(clerk, "income", income)
    assert report.imported == 1, report.errors
    survey = Income.objects.get()
    assert (survey.household_id, survey.year, survey.persons, survey.net_fen, survey.surveyed_on, survey.source) == (
        families[0].pk, 2025, 3, 4_180_050, dt.date(2025, 12, 20), "import")
    assert run(clerk, "income", income).unchanged == 1 and Income.objects.count() == 1


# --- bad rows -----------------------------------------------------------------------------------------------------

def _bad_employment_file(tmp_path, families):
    a = members_of(families[0])
    stranger = compose("429921", dt.date(1990, 1, 1), 15)  # a valid ID nobody in the registry holds
    outsider = members_of(make_relocated_household(village=OTHER_VILLAGE))[0]
    good = rid(a[0])
    bad_checksum = good[:-1] + ("0" if good[-1] != "0" else "1")
    return xlsx(tmp_path, "bad.xlsx", EMPLOYMENT_HEADERS,
                emp_row(a[0]),                                                    # row 4: good
                [2, "某", bad_checksum, "县内务工", "", "", "2025-03-01", "", 100],  # row 5
                [3, "某", stranger, "县内务工", "", "", "2025-03-01", "", 100],     # row 6
                [4, outsider.name, rid(outsider), "县内务工", "", "", "2025-03-01", "", 100],  # row 7
                [5, a[1].name, rid(a[1]), "县内务工", "", "", "2025-03-01", "2025-01-01", 100],  # row 8
                [6, a[1].name, rid(a[1]), "外出打工", "", "", "2025-03-01", "", 100],  # row 9
                [7, a[2].name, rid(a[2]), "灵活就业", "", "", "2025-03-01", "", -5],  # row 10
                emp_row(a[0], n=8))                                                # row 11: the same spell as row 4


def test_bad_rows_have_row_column_messages_and_nothing_is_written(clerk, families, tmp_path):
    path = _bad_employment_file(tmp_path, families)
    errors_path = tmp_path / "errors.xlsx"
    report = run(clerk, "employment", path, errors_path=errors_path)
    assert (report.rows, report.imported, report.rejected, report.applied) == (8, 1, 7, False)
    got = [(e.row, e.column, e.code) for e in report.errors]
    assert got == [(5, "公民身份号码", "id_checksum"), (6, "公民身份号码", "not_relocated"), (7, "公民身份号码", "not_relocated"),
                   (8, "结束日期", "date_order"), (9, "就业类型", "choice_invalid"), (10, "月收入（元）", "amount_invalid"),
                   (11, "公民身份号码", "duplicate_in_file")], got
    messages = {e.row: e.message for e in report.errors}
    assert messages[6].startswith("身份证号 429") and messages[6].endswith("不是本辖区搬迁人口") and "*" in messages[6]
    assert messages[7] .endswith("不是本辖区搬迁人口")
    assert messages[8] == "结束日期 2025-01-01 早于就业时间 2025-03-01"
    assert messages[9].startswith("“外出打工”不是有效的就业类型，应为：县内务工")
    assert messages[10] == "金额不能为负数"
    assert messages[11].startswith("与第 4 行重复")
    assert not Employment.objects.exists() and ImportBatch.objects.get().applied is False
    assert AuditEvent.objects.get(action="relocation.employment.imported").outcome == "failure"
    sheet = read_sheet(errors_path.read_bytes())
    assert sheet[0][:3] == ["序号", "姓名", "公民身份号码"] and sheet[0][-2:] == ["原行号", "错误说明"]
    assert [r[-2] for r in sheet[1:]] == [5, 6, 7, 8, 9, 10, 11]
    assert "不是本辖区搬迁人口" in sheet[2][-1]
    listing = read_sheet(errors_path.read_bytes(), 1)
    assert [r[1] for r in listing[2:]] == [5, 6, 7, 8, 9, 10, 11]


def test_valid_only_writes_the_good_rows(clerk, families, tmp_path):
    report = run(clerk, "employment", _bad_employment_file(tmp_path, families), mode="valid-only")
    assert (report.imported, report.rejected, report.applied) == (1, 7, True)
    assert Employment.objects.count() == 1 and ImportBatch.objects.get().applied


def test_medical_out_of_pocket_above_total_and_bad_years(clerk, families, tmp_path):
    a = members_of(families[0])
    path = xlsx(tmp_path, "m.xlsx", MEDICAL_HEADERS, [a[0].name, rid(a[0]), 2025, 1000, 1200], [a[1].name, rid(a[1]), 2027, 100, 10],
                [a[2].name, rid(a[2]), "", 100, ""], title=None)
    report = run(clerk, "medical", path)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "合规自付费用（元）", "out_of_pocket_above_total"), (3, "结算年度", "year_future"), (4, "结算年度", "required"),
        (4, "合规自付费用（元）", "required")]
    assert report.errors[0].message == "合规自付费用 1200 元大于医疗总费用 1000 元"
    assert not MedicalCost.objects.exists()


def test_township_clerk_imports_only_its_townships_people(make_user, tree, tmp_path):
    mine = members_of(make_relocated_household())[0]
    theirs = members_of(make_relocated_household(village="429921102201"))[0]
    left = members_of(make_relocated_household())[0]
    EnrolmentStatus.objects.filter(enrolment__person=left).update(valid_to=dt.date(2026, 1, 1))  # no longer in the population
    township = make_user("township_clerk", "429921101")
    path = xlsx(tmp_path, "e.xlsx", EMPLOYMENT_HEADERS, emp_row(mine), emp_row(theirs, n=2), emp_row(left, n=3))
    report = run(township, "employment", path, mode="valid-only")
    assert report.imported == 1 and [(e.row, e.code) for e in report.errors] == [(5, "not_relocated"), (6, "not_relocated")]
    assert ImportBatch.objects.get().division_code == "429921101000"


def test_a_name_that_differs_is_a_warning(clerk, families, tmp_path):
    a = members_of(families[0])
    row = emp_row(a[0])
    row[1] = "张冠李戴"
    report = run(clerk, "employment", xlsx(tmp_path, "n.xlsx", EMPLOYMENT_HEADERS, row))
    assert report.imported == 1 and "姓名“张冠李戴”与身份证号" in report.warnings[0]


def test_a_reader_cannot_import(make_user, families, tmp_path):
    from anju.core.exceptions import PermissionDenied

    path = xlsx(tmp_path, "e.xlsx", EMPLOYMENT_HEADERS, emp_row(members_of(families[0])[0]))
    with pytest.raises(PermissionDenied):
        run(make_user("county_reviewer", "429921"), "employment", path)
    assert not ImportBatch.objects.exists()
