"""Bank returns in: matching by reference and by account + amount, every flag, all-or-nothing vs valid_only, family cards."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Enrolment
from anju.subsidies.models import BankReturn, BankReturnRow, Batch, Item
from anju.subsidies.services import returns as svc

from .bankfiles_data import exported, return_csv, return_row, return_xlsx, world
from .factories import card, make_item, paying_household

Flag = BankReturnRow.Flag


@pytest.fixture
def data(tree, make_user, tmp_path):
    people, batch, items = world(make_user)
    return people, exported(people, batch, tmp_path), items


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


def rows_of(bank_return: BankReturn) -> dict[int, BankReturnRow]:
    return {r.row: r for r in bank_return.rows.all()}


def test_a_clean_return_applies_every_row(data, tmp_path):
    people, batch, items = data
    rows = [return_row(i) for name, i in items.items() if name != "李二"]
    rows.append(return_row(items["李二"], "交易失败", reason="账户已销户"))
    path = return_xlsx(tmp_path / "r.xlsx", rows)
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    assert ret.state == BankReturn.State.APPLIED and ret.file_name == "r.xlsx" and ret.mode == BankReturn.Mode.ALL
    c = ret.counts
    assert (c["rows"], c["applied"], c["paid"], c["failed"], c["flagged"], c["paid_amount"], c["failed_amount"]) == (6, 6, 5, 1, 0, 300000, 60000)
    assert c["by_reference"] == 6 and not c["error_file"]
    zhang = fresh(items["张一"])
    assert (zhang.state, zhang.bank_ref, zhang.paid_on) == (Item.State.PAID, f"B{zhang.pk:06d}", dt.date.today())
    li = fresh(items["李二"])
    assert (li.state, li.failure_reason, li.paid_on) == (Item.State.FAILED, "账户已销户", None)
    batch.refresh_from_db()
    assert batch.state == Batch.State.RETURNED
    assert batch.totals["by_state"]["paid"] == [5, 300000] and batch.totals["by_state"]["failed"] == [1, 60000]
    assert all(r.applied and r.item_id and not r.flag for r in ret.rows.all())
    assert "*" in ret.rows.first().account_masked and ret.rows.first().account_hash
    event = AuditEvent.objects.get(action="subsidies.bankreturn.imported")
    assert (event.object_id, event.after["paid"], event.after["failed"], event.after["state"]) == (str(ret.pk), 5, 1, "applied")


def test_gbk_csv_without_references_matches_by_account_and_amount(data, tmp_path):
    people, batch, items = data
    rows = [return_row(i, reference=False) for i in items.values()]
    rows[0][4] = "S"
    rows[1][4] = "已入账"
    path = return_csv(tmp_path / "r.csv", rows, encoding="gbk")
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=path, filename="回盘.csv")
    assert ret.state == BankReturn.State.APPLIED and ret.counts["paid"] == 6 and ret.counts["by_reference"] == 0
    assert set(Item.objects.filter(batch=batch).values_list("state", flat=True)) == {Item.State.PAID}


def test_a_date_column_sets_the_paid_date(data, tmp_path):
    people, batch, items = data
    rows = [[*return_row(i), "2026-03-05"] for i in items.values()]
    path = return_xlsx(tmp_path / "d.xlsx", rows, headers=["业务编号", "户名", "账号", "金额", "处理结果", "失败原因", "银行流水号", "交易日期"])
    svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    assert fresh(items["张一"]).paid_on == dt.date(2026, 3, 5)


def flagged_file(items, tmp_path):
    """One row of each flag, after two good rows (张一 paid before: already resolved)."""
    Item.objects.filter(pk=items["张一"].pk).update(state=Item.State.PAID, bank_ref="OLD")
    unknown = return_row(items["张二"], reference=False)
    unknown[2] = card()
    mismatch = return_row(items["张三"], reference=False, amount="599.00")
    duplicate_ref = return_row(items["李一"])
    invalid = return_row(items["王一"], "处理中")
    invalid[3] = "abc"
    return [
        return_row(items["李一"]),  # 2: good
        return_row(items["李二"], "失败", reason="户名不符"),  # 3: good
        unknown,  # 4
        mismatch,  # 5
        duplicate_ref,  # 6: 李一's reference again
        return_row(items["张一"]),  # 7: already paid
        invalid,  # 8: amount and result unreadable
    ]


def test_every_flag_in_mode_all_rejects_the_whole_file(data, tmp_path):
    people, batch, items = data
    path = return_xlsx(tmp_path / "bad.xlsx", flagged_file(items, tmp_path), title=None)
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    assert ret.state == BankReturn.State.REJECTED and ret.counts["applied"] == 0
    rows = rows_of(ret)
    assert {n: r.flag for n, r in rows.items()} == {2: "", 3: "", 4: Flag.UNKNOWN_ACCOUNT, 5: Flag.AMOUNT_MISMATCH, 6: Flag.DUPLICATE,
                                                    7: Flag.ALREADY_RESOLVED, 8: Flag.INVALID}
    assert ret.counts["flags"] == {"unknown_account": 1, "amount_mismatch": 1, "duplicate": 1, "already_resolved": 1, "invalid": 1}
    assert rows[4].message == str(svc.MSG_UNKNOWN_ACCOUNT)
    assert rows[5].message == str(svc.MSG_AMOUNT_MISMATCH % {"amounts": "600.00", "amount": "599.00"}) and rows[5].item_id == items["张三"].pk
    assert rows[6].message == str(svc.MSG_DUPLICATE_REFERENCE % {"reference": str(items["李一"].pk), "first": 2})
    assert rows[7].message == str(svc.MSG_ALREADY % {"state": "已发放"}) and rows[7].item_id == items["张一"].pk
    assert "不是有效的数值" in rows[8].message and "处理中" in rows[8].message and rows[8].amount is None
    assert not any(r.applied for r in rows.values())
    # nothing changed, the batch stays exported
    assert fresh(items["李一"]).state == Item.State.PENDING and fresh(items["李二"]).state == Item.State.PENDING
    batch.refresh_from_db()
    assert batch.state == Batch.State.EXPORTED
    # the error workbook names each row and column
    book = CalamineWorkbook.from_path(str(svc.error_file(ret)))
    listing = book.get_sheet_by_name("错误清单").to_python()
    lines = {(int(r[1]), r[2], r[4]) for r in listing[2:]}
    assert {(4, "账号", "unknown_account"), (5, "金额", "amount_mismatch"), (6, "业务编号", "duplicate"), (7, "处理结果", "already_resolved"),
            (8, "金额", "invalid"), (8, "处理结果", "invalid")} == lines
    bad_rows = book.get_sheet_by_name("错误行").to_python()
    assert bad_rows[0][:7] == ["业务编号", "户名", "账号", "金额", "处理结果", "失败原因", "银行流水号"] and len(bad_rows) == 6
    assert [int(r[7]) for r in bad_rows[1:]] == [4, 5, 6, 7, 8]


def test_valid_only_applies_the_good_rows_and_lists_the_rest(data, tmp_path):
    people, batch, items = data
    path = return_xlsx(tmp_path / "bad.xlsx", flagged_file(items, tmp_path), title=None)
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=path, mode=BankReturn.Mode.VALID_ONLY)
    assert ret.state == BankReturn.State.PARTIAL and (ret.counts["applied"], ret.counts["flagged"]) == (2, 5)
    assert fresh(items["李一"]).state == Item.State.PAID and fresh(items["李二"]).state == Item.State.FAILED
    assert fresh(items["张二"]).state == Item.State.PENDING and fresh(items["张三"]).state == Item.State.PENDING
    assert fresh(items["张一"]).bank_ref == "OLD"  # already resolved: not touched
    rows = rows_of(ret)
    assert [n for n, r in rows.items() if r.applied] == [2, 3]
    batch.refresh_from_db()
    assert batch.state == Batch.State.RETURNED and svc.error_file(ret) is not None


def test_valid_only_with_nothing_valid_is_rejected_and_the_batch_stays_exported(data, tmp_path):
    people, batch, items = data
    row = return_row(items["张一"], reference=False)
    row[2] = card()
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "u.xlsx", [row]),
                                 mode=BankReturn.Mode.VALID_ONLY)
    assert ret.state == BankReturn.State.REJECTED
    batch.refresh_from_db()
    assert batch.state == Batch.State.EXPORTED


def test_importing_the_same_file_twice_flags_every_row_already_resolved(data, tmp_path):
    people, batch, items = data
    path = return_xlsx(tmp_path / "r.xlsx", [return_row(i) for i in items.values()])
    svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    again = svc.bank_return_import(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk), source=path)
    assert again.state == BankReturn.State.REJECTED and again.counts["flags"] == {"already_resolved": 6}


def test_family_card_rows_pair_one_to_one_preferring_the_same_name(tree, make_user, tmp_path):
    people, batch, items = world(make_user)
    shared = card()
    household = paying_household("S009", ["孙一", "孙二", "孙三"], accounts=[shared, shared, shared])
    family = {e.person.name: make_item(batch, e) for e in Enrolment.objects.filter(household=household).select_related("person", "household")}
    Item.objects.filter(pk=family["孙三"].pk).update(amount=30000)
    batch = exported(people, batch, tmp_path)
    sun3 = fresh(family["孙三"])
    # no references; the file lists 孙二 before 孙一, both 600.00 on the same card; 孙三 is 300.00; one row too many
    rows = [return_row(family["孙二"], reference=False), return_row(family["孙一"], "失败", reference=False, reason="冻结"),
            return_row(sun3, reference=False), return_row(family["孙一"], reference=False, name="")]
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "f.xlsx", rows),
                                 mode=BankReturn.Mode.VALID_ONLY)
    got = rows_of(ret)
    assert got[3].item_id == family["孙二"].pk and got[4].item_id == family["孙一"].pk and got[5].item_id == sun3.pk  # row 2: the header
    assert got[6].flag == Flag.DUPLICATE and got[6].message == str(svc.MSG_DUPLICATE_ROWS % {"items": 2})
    assert fresh(family["孙一"]).state == Item.State.FAILED and fresh(family["孙二"]).state == Item.State.PAID
    assert fresh(sun3).state == Item.State.PAID


def test_a_reference_inconsistent_with_the_row_falls_back_to_the_account(data, tmp_path):
    people, batch, items = data
    row = return_row(items["张二"])
    row[0] = str(items["张一"].pk)  # 张一's reference on 张二's account and amount
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "x.xlsx", [row]))
    assert ret.state == BankReturn.State.APPLIED and ret.rows.get().item_id == items["张二"].pk
    assert fresh(items["张二"]).state == Item.State.PAID and fresh(items["张一"]).state == Item.State.PENDING


def test_a_held_items_account_is_not_in_the_file(data, tmp_path):
    people, batch, items = data
    Item.objects.filter(pk=items["王一"].pk).update(state=Item.State.HELD)
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "h.xlsx", [return_row(items["王一"])]))
    row = ret.rows.get()
    assert (row.flag, row.message) == (Flag.UNKNOWN_ACCOUNT, str(svc.MSG_HELD_ACCOUNT))


def test_result_words():
    for word in ("成功", "交易成功", "已入账", "success", "S", " s ", "SUCCESS"):
        assert svc.result_word(word) is True, word
    for word in ("失败", "交易失败", "F", "failed", "退票"):
        assert svc.result_word(word) is False, word
    for word in ("处理中", "", "1"):
        assert svc.result_word(word) is None


def test_the_layouts_return_headers_are_understood(data, tmp_path):
    people, batch, items = data
    lay = batch.layout
    lay.return_columns = {"account": "收款卡号", "amount": "代发金额（元）", "result": "银行处理状态", "name": "收款人名称"}
    lay.save()
    rows = [[i.name, return_row(i)[2], return_row(i)[3], "成功"] for i in items.values()]
    path = return_xlsx(tmp_path / "own.xlsx", rows, headers=["收款人名称", "收款卡号", "代发金额（元）", "银行处理状态"])
    ret = svc.bank_return_import(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk), source=path)
    assert ret.state == BankReturn.State.APPLIED and ret.counts["paid"] == 6


def test_state_permission_scope_and_input_checks(data, tmp_path, make_user):
    people, batch, items = data
    path = return_xlsx(tmp_path / "r.xlsx", [return_row(items["张一"])])
    with pytest.raises(PermissionDenied):
        svc.bank_return_import(actor=people["reviewer"], batch=batch, source=path)
    with pytest.raises(NotFound):
        svc.bank_return_import(actor=make_user("county_clerk", "429922", username="other_clerk"), batch=batch, source=path)
    with pytest.raises(ValidationFailed) as exc:
        svc.bank_return_import(actor=people["clerk"], batch=batch, source=path, mode="some")
    assert exc.value.message == str(svc.MSG_MODE)
    with pytest.raises(ValidationFailed) as exc:
        svc.bank_return_import(actor=people["clerk"], batch=batch, source=path, filename="r.pdf")
    assert exc.value.code == "return_file_type"
    empty = return_xlsx(tmp_path / "e.xlsx", [])
    with pytest.raises(ValidationFailed) as exc:
        svc.bank_return_import(actor=people["clerk"], batch=batch, source=empty)
    assert exc.value.message == str(svc.MSG_EMPTY)
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.APPROVED)
    batch.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    assert exc.value.message == str(svc.MSG_RETURN_STATE % {"state": "已审批"})
    assert not BankReturn.objects.exists()


def test_error_file_download_is_audited_and_needs_the_permission(data, tmp_path, make_user):
    people, batch, items = data
    row = return_row(items["张一"], reference=False)
    row[2] = card()
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=return_xlsx(tmp_path / "u.xlsx", [row]))
    path = svc.bank_return_error_file(actor=people["city_clerk"], bank_return=ret)
    assert path.is_file() and AuditEvent.objects.filter(action="subsidies.bankreturn.errors_downloaded", object_id=str(ret.pk)).exists()
    with pytest.raises(PermissionDenied):
        svc.bank_return_error_file(actor=people["city"], bank_return=ret)
    with pytest.raises(NotFound):
        svc.bank_return_error_file(actor=make_user("county_clerk", "429922", username="other_clerk2"), bank_return=ret)


def test_a_file_without_the_required_columns_is_refused(data, tmp_path):
    people, batch, items = data
    path = return_xlsx(tmp_path / "m.xlsx", [return_row(items["张一"])[:4]], headers=["业务编号", "户名", "账号", "金额"])
    with pytest.raises(ValidationFailed) as exc:
        svc.bank_return_import(actor=people["clerk"], batch=batch, source=path)
    assert exc.value.code == "missing_columns" and "处理结果" in exc.value.message
    assert not BankReturn.objects.exists()


def test_an_account_stored_as_a_number_is_invalid(data, tmp_path):
    import xlsxwriter

    people, batch, items = data
    path = tmp_path / "n.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for c, h in enumerate(["账号", "金额", "处理结果"]):
        ws.write_string(0, c, h)
    ws.write_number(1, 0, float(return_row(items["张一"])[2]))
    ws.write_number(1, 1, 600)
    ws.write_string(1, 2, "成功")
    wb.close()
    ret = svc.bank_return_import(actor=people["clerk"], batch=batch, source=str(path))
    row = ret.rows.get()
    assert row.flag == Flag.INVALID and "文本" in row.message and ret.state == BankReturn.State.REJECTED
