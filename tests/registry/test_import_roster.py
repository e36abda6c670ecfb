"""Roster import: counts, idempotence, round trip through export, history, and every row rule with its code."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from anju.core.crypto import blind_index, decrypt
from anju.core.exceptions import PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.imports.models import ImportBatch
from anju.registry.models import Enrolment, EnrolmentStatus, History, Household, Membership, Person, Program
from anju.registry.resident_id import compose
from anju.registry.services import imports as svc
from anju.registry.services.exports import registry_export
from anju.registry.services.imports import registry_import

from .roster_files import headers, relocation_sample, reservoir_sample, write_csv, write_xlsx

COL = {label: i for i, label in enumerate(headers())}


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921")


def _import(actor, path, **kwargs):
    kwargs.setdefault("program", Program.RESERVOIR)
    return registry_import(actor=actor, source=path, filename=path.name, **kwargs)


def _counts(report):
    return (report.rows, report.imported, report.updated, report.unchanged, report.rejected)


def test_import_creates_households_persons_enrolments_and_status(tree, clerk, tmp_path):
    rows = reservoir_sample(30)
    report = _import(clerk, write_csv(tmp_path / "r.csv", rows))
    assert _counts(report) == (30, 30, 0, 0, 0) and report.applied
    assert Person.objects.count() == 30
    assert Enrolment.objects.filter(program=Program.RESERVOIR, status="active").count() == 30
    assert EnrolmentStatus.objects.filter(status="active", valid_to__isnull=True).count() == 30
    assert Membership.objects.filter(valid_to__isnull=True).count() == 30
    households = {r[COL["户编号"]] for r in rows}
    assert set(Household.objects.values_list("number", flat=True)) == households
    first = rows[0]
    person = Person.objects.get(id_hash=blind_index(first[COL["身份证号"]]))
    assert decrypt(person.id_enc) == first[COL["身份证号"]] and first[COL["身份证号"]] not in person.id_enc
    assert person.id_masked == first[COL["身份证号"]][:3] + "*" * 11 + first[COL["身份证号"]][-4:]
    head = Household.objects.get(number=first[COL["户编号"]]).head
    assert head is not None and head.name == first[COL["姓名"]]
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert (batch.rows, batch.imported, batch.applied) == (30, 30, True)
    event = AuditEvent.objects.get(action="registry.roster.imported")
    assert event.after["imported"] == 30 and event.object_id == str(batch.pk)


def test_category_and_support_period_follow_the_policy_cut_off(tree, clerk, tmp_path):
    rows = reservoir_sample(2)
    rows = [rows[0][:], rows[0][:]]
    rows[1][COL["身份证号"]] = compose("429921", dt.date(1950, 1, 1), 11)
    rows[1][COL["出生日期"]] = "1950-01-01"
    rows[1][COL["性别"]] = "男"
    rows[1][COL["关系" if "关系" in COL else "与户主关系"]] = "配偶"
    rows[0][COL["搬迁时间"]] = "2006.06"  # on/before 2006-06-30: current population from 2006-07-01
    rows[1][COL["搬迁时间"]] = "2008年3月"  # after: original population, 20 years from the move month
    rows[0][COL["出生日期"]], rows[0][COL["身份证号"]] = "1960-02-03", compose("429921", dt.date(1960, 2, 3), 21)
    rows[0][COL["性别"]] = "男"
    assert _import(clerk, write_csv(tmp_path / "r.csv", rows)).imported == 2
    current = Enrolment.objects.get(person__id_hash=blind_index(rows[0][COL["身份证号"]]))
    original = Enrolment.objects.get(person__id_hash=blind_index(rows[1][COL["身份证号"]]))
    assert (current.category, current.support_start, current.support_end) == ("current", dt.date(2006, 7, 1), dt.date(2026, 6, 30))
    assert (original.category, original.support_start, original.support_end) == ("original", dt.date(2008, 3, 1), dt.date(2028, 2, 29))


def test_reimporting_the_same_file_changes_nothing(tree, clerk, tmp_path):
    path = write_csv(tmp_path / "r.csv", reservoir_sample(25))
    _import(clerk, path)
    before = (Person.objects.count(), Membership.objects.count(), EnrolmentStatus.objects.count(), History.objects.count())
    report = _import(clerk, path)
    assert _counts(report) == (25, 0, 0, 25, 0)
    assert (Person.objects.count(), Membership.objects.count(), EnrolmentStatus.objects.count(), History.objects.count()) == before


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_then_import_is_all_unchanged(tree, clerk, tmp_path, suffix):
    _import(clerk, write_csv(tmp_path / "r.csv", reservoir_sample(40)))
    out = tmp_path / f"export.{suffix}"
    exported = registry_export(actor=clerk, program=Program.RESERVOIR, path=out)
    assert exported.rows == 40 and not exported.masked
    report = _import(clerk, out)
    assert _counts(report) == (40, 0, 0, 40, 0), report.errors[:3]


def test_relocation_round_trip(tree, clerk, tmp_path):
    rows = relocation_sample(20)
    report = _import(clerk, write_csv(tmp_path / "r.csv", rows, program=Program.RELOCATION), program=Program.RELOCATION)
    assert _counts(report) == (20, 20, 0, 0, 0), report.errors[:3]
    concentrated = Enrolment.objects.filter(program=Program.RELOCATION, placement="concentrated")
    assert all(e.site_id for e in concentrated)
    out = tmp_path / "relocation.xlsx"
    registry_export(actor=clerk, program=Program.RELOCATION, path=out)
    assert _counts(_import(clerk, out, program=Program.RELOCATION)) == (20, 0, 0, 20, 0)


def test_a_changed_row_updates_and_leaves_history(tree, clerk, tmp_path):
    rows = reservoir_sample(10)
    _import(clerk, write_csv(tmp_path / "a.csv", rows))
    direct = next(r for r in rows if r[COL["扶持方式"]] == "直补")
    direct[COL["银行账号"]] = "6228480000000000001"
    direct[COL["民族"]] = "土家族" if direct[COL["民族"]] != "土家族" else "苗族"
    report = _import(clerk, write_csv(tmp_path / "b.csv", rows))
    assert _counts(report) == (10, 0, 1, 9, 0)
    person = Person.objects.get(id_hash=blind_index(direct[COL["身份证号"]]))
    enrolment = person.enrolments.get()
    assert decrypt(enrolment.bank_account_enc) == "6228480000000000001"
    fields = set(History.objects.filter(person=person, source="import").values_list("field", flat=True))
    assert {"bank_account", "ethnicity"} <= fields
    bank = History.objects.get(person=person, field="bank_account")
    assert "6228480000000000001" not in bank.new and bank.new.endswith("0001")


def test_export_as_of_a_date_before_the_enrolments_is_empty(tree, clerk, tmp_path):
    _import(clerk, write_csv(tmp_path / "r.csv", reservoir_sample(5)))
    report = registry_export(actor=clerk, program=Program.RESERVOIR, path=tmp_path / "old.csv", as_of=dt.date(1950, 1, 1))
    assert report.rows == 0


def _rejects(clerk, tmp_path, rows, **kwargs):
    report = _import(clerk, write_csv(tmp_path / "bad.csv", rows), **kwargs)
    assert report.rows == report.imported + report.updated + report.unchanged + report.rejected
    return report


@pytest.mark.parametrize(("column", "value", "code"), [
    ("身份证号", "429921196001011234", "id_checksum"),
    ("身份证号", "", "id_empty"),
    ("姓名", "  ", "required"),
    ("户编号", "", "required"),
    ("县（市、区）", "外县", "county_unknown"),
    ("乡（镇）", "不存在镇", "township_not_in_county"),
    ("村", "不存在村", "village_not_in_township"),
    ("性别", "女" , "gender_mismatch"),
    ("出生日期", "1901-01-01", "birth_mismatch"),
    ("搬迁时间", "2099-01-01", "move_in_future"),
    ("搬迁时间", "1901-01", "move_before_birth"),
    ("搬迁时间", "去年", "date_format"),
    ("扶持方式", "现金", "support_mode_invalid"),
    ("银行账号", "6217 0000 1000 12A4", "bank_not_digits"),
    ("水库名称", "不存在水库", "reservoir_unknown"),
    ("人口类别", "现状人口", "category_mismatch"),
])
def test_bad_cells_are_rejected_with_their_code_and_nothing_is_written(tree, clerk, tmp_path, column, value, code):
    rows = reservoir_sample(6)
    target = next(i for i, r in enumerate(rows) if r[COL["性别"]] == "男" and r[COL["扶持方式"]] == "直补")
    rows[target][COL[column]] = value
    report = _rejects(clerk, tmp_path, rows)
    assert report.rejected == 1 and not report.applied
    error = report.errors[0]
    assert (error.code, error.row, error.column) == (code, target + 2, column)
    assert error.message and error.sheet
    assert Person.objects.count() == 0 and Household.objects.count() == 0
    assert ImportBatch.objects.get(pk=report.batch_id).applied is False


def test_bank_account_is_required_for_direct_payment(tree, clerk, tmp_path):
    rows = reservoir_sample(4)
    target = next(i for i, r in enumerate(rows) if r[COL["扶持方式"]] == "直补")
    rows[target][COL["银行账号"]] = ""
    error = _rejects(clerk, tmp_path, rows).errors[0]
    assert (error.code, error.message) == ("bank_required", str(svc.MSG_BANK_REQUIRED))


def test_an_id_stored_as_a_number_is_rejected_with_an_explanation(tree, clerk, tmp_path):
    rows = reservoir_sample(3)
    numeric = next(r for r in rows if r[COL["身份证号"]].isdigit())
    report = _import(clerk, write_xlsx(tmp_path / "n.xlsx", [numeric], numeric_ids=True))
    assert report.rejected == 1 and report.errors[0].code == "id_numeric_cell"
    assert "文本" in report.errors[0].message


def test_the_same_id_twice_rejects_the_later_row_naming_the_earlier(tree, clerk, tmp_path):
    rows = reservoir_sample(4)
    rows.append(rows[1][:])
    report = _rejects(clerk, tmp_path, rows, mode="valid-only")
    error = report.errors[0]
    assert (error.code, error.row) == ("duplicate_in_file", 6)
    assert error.message == str(svc.MSG_DUPLICATE_IN_FILE % {"row": 3})
    assert report.imported == 4 and report.applied


def test_an_id_enrolled_in_another_county_is_a_cross_county_duplicate(tree, make_user, tmp_path):
    other = make_user("county_clerk", "429922")
    theirs = reservoir_sample(3, county="429922")
    _import(other, write_csv(tmp_path / "theirs.csv", theirs))
    ours = reservoir_sample(3)
    ours[0][COL["身份证号"]] = theirs[0][COL["身份证号"]]
    ours[0][COL["出生日期"]] = theirs[0][COL["出生日期"]]
    ours[0][COL["性别"]] = theirs[0][COL["性别"]]
    clerk = make_user("county_clerk", "429921")
    report = _rejects(clerk, tmp_path, ours, mode="valid-only")
    assert report.errors[0].code == "cross_county_duplicate"
    assert "青山县" in report.errors[0].message


def test_valid_only_writes_the_good_rows_and_reports_every_row(tree, clerk, tmp_path):
    rows = reservoir_sample(10)
    rows[2][COL["身份证号"]] = "123"
    rows[5][COL["扶持方式"]] = "现金"
    errors = tmp_path / "errors.xlsx"
    report = registry_import(actor=clerk, program=Program.RESERVOIR, source=write_csv(tmp_path / "v.csv", rows), filename="v.csv",
                             mode="valid-only", errors_path=errors)
    assert _counts(report) == (10, 8, 0, 0, 2) and report.applied
    assert Person.objects.count() == 8
    workbook = CalamineWorkbook.from_path(str(errors))
    assert len(workbook.sheet_names) >= 2
    bad_rows = workbook.get_sheet_by_index(0).to_python()
    flat = " ".join(str(c) for row in bad_rows for c in row)
    assert "123" in flat and "现金" in flat


def test_all_or_nothing_reports_what_would_have_happened(tree, clerk, tmp_path):
    rows = reservoir_sample(5)
    rows[4][COL["户编号"]] = ""
    report = _rejects(clerk, tmp_path, rows)
    assert _counts(report) == (5, 4, 0, 0, 1) and not report.applied
    assert str(svc.MSG_REJECTED_NOTHING_WRITTEN % {"rejected": 1}) in report.message


def test_members_of_one_household_must_share_a_village(tree, clerk, tmp_path):
    rows = reservoir_sample(12)
    number = rows[0][COL["户编号"]]
    members = [i for i, r in enumerate(rows) if r[COL["户编号"]] == number]
    other = next(r for r in rows if r[COL["村"]] != rows[0][COL["村"]])
    if len(members) < 2:
        rows.insert(1, rows[1][:])
        rows[1][COL["户编号"]] = number
        members = [0, 1]
    rows[members[1]][COL["村"]] = other[COL["村"]]
    rows[members[1]][COL["乡（镇）"]] = other[COL["乡（镇）"]]
    report = _rejects(clerk, tmp_path, rows, mode="valid-only")
    assert any(e.code in ("household_village_mismatch", "duplicate_in_file") for e in report.errors)


def test_title_rows_header_variants_gbk_and_total_rows(tree, clerk, tmp_path):
    rows = reservoir_sample(8)
    header = headers()
    header[header.index("身份证号")] = "公民身份号码"
    header[header.index("银行账号")] = "银行卡号"
    header[header.index("姓名")] = "姓 名"
    rows.append(["合计", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    path = write_csv(tmp_path / "gbk.csv", rows, header=header, encoding="gb18030", title="白云县2025年水库移民后期扶持人口花名册")
    report = _import(clerk, path)
    assert _counts(report) == (8, 8, 0, 0, 0), report.errors[:2]
    assert report.skipped.get("total") == 1


def test_township_scope_limits_the_villages(tree, make_user, clerk, tmp_path):
    rows = reservoir_sample(10)
    township = rows[0][COL["村"]]
    code = next(c for c, d in tree.items() if d.name == township)[:9]
    report = registry_import(actor=clerk, program=Program.RESERVOIR, source=write_csv(tmp_path / "s.csv", rows), filename="s.csv",
                             mode="valid-only", scope=code)
    inside = sum(1 for r in rows if next(c for c, d in tree.items() if d.name == r[COL["村"]]).startswith(code))
    assert report.imported == inside and report.rejected == 10 - inside


def test_scope_outside_the_entry_scope_is_refused(tree, clerk, tmp_path):
    with pytest.raises(ValidationFailed) as exc:
        _import(clerk, write_csv(tmp_path / "r.csv", reservoir_sample(2)), scope="429922")
    assert exc.value.code == "scope_out_of_range"


def test_roles_without_the_import_permission_are_refused(tree, make_user, tmp_path):
    reviewer = make_user("county_reviewer", "429921")
    with pytest.raises(PermissionDenied):
        _import(reviewer, write_csv(tmp_path / "r.csv", reservoir_sample(2)))


def test_export_is_masked_for_roles_without_pii_and_audited(tree, clerk, make_user, tmp_path):
    _import(clerk, write_csv(tmp_path / "r.csv", reservoir_sample(5)))
    leader_like = make_user("county_reviewer", "429921")
    report = registry_export(actor=leader_like, program=Program.RESERVOIR, path=tmp_path / "e.csv")
    assert not report.masked  # 县级审核 may see full numbers
    events = AuditEvent.objects.filter(action="registry.roster.exported")
    assert events.count() == 1 and events.get().after["masked"] is False


def test_export_cells_are_formula_safe(tree, clerk, tmp_path):
    rows = reservoir_sample(3)
    rows[0][COL["迁出地"]] = "=HYPERLINK(\"http://x\")"
    _import(clerk, write_csv(tmp_path / "r.csv", rows))
    out = tmp_path / "e.csv"
    registry_export(actor=clerk, program=Program.RESERVOIR, path=out)
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")


def test_a_big_file_is_validated_in_a_worker_process_with_the_same_outcome(tree, clerk, tmp_path, monkeypatch):
    """Above PARALLEL_MIN_BYTES the validation runs in a spawned process; rows, errors and counts are the same."""
    rows = reservoir_sample(40)
    rows[3][COL["扶持方式"]] = "现金"
    rows.append(rows[5][:])
    rows.append(["合计"] + [""] * (len(rows[0]) - 1))
    path = write_csv(tmp_path / "big.csv", rows)
    inline = _import(clerk, path, mode="valid-only")
    monkeypatch.setattr(svc, "PARALLEL_MIN_BYTES", 0)
    worker = _import(clerk, path, mode="valid-only")  # the worker validates; the writer classifies: all unchanged now
    assert (worker.rows, worker.rejected) == (inline.rows, inline.rejected) == (41, 2)
    assert worker.unchanged == 39 and worker.skipped == inline.skipped == {"blank": 0, "total": 1}
    assert [(e.row, e.code, e.message) for e in worker.errors] == [(e.row, e.code, e.message) for e in inline.errors]
