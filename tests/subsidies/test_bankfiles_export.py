"""Bank files out: the pending items in the layout's columns, read back (xlsx and GBK CSV), control total, state, audit."""

from __future__ import annotations

import zipfile

import pytest
from defusedxml import ElementTree

from anju.accounts.roles import Perm
from anju.core.crypto import decrypt
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.divisions.models import Division
from anju.registry.models import Person
from anju.subsidies.models import BankLayout, Batch, Item
from anju.subsidies.services import bankfiles as svc

from .bankfiles_data import account, csv_rows, gbk_layout, layout, world, xlsx_rows


@pytest.fixture
def data(tree, make_user):
    return world(make_user)


def test_xlsx_export_reads_back_with_a_control_total(data, tmp_path):
    people, batch, items = data
    Item.objects.filter(pk=items["王一"].pk).update(state=Item.State.HELD, exception=Item.Hold.NO_ACCOUNT)
    Item.objects.filter(pk=items["李二"].pk).update(amount=12345)
    path = tmp_path / "bank.xlsx"
    result = svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=path)
    rows = xlsx_rows(path)
    pending = Item.objects.filter(batch=batch, state=Item.State.PENDING).order_by("id")
    total = sum(i.amount for i in pending)
    assert result["rows"] == 5 and result["total"] == total == 4 * 60000 + 12345
    assert rows[0][:3] == [batch.number, 5.0, "2523.45"]
    assert rows[1] == ["序号", "户名", "账号", "金额", "身份证号", "开户银行", "所在村", "摘要", "业务编号"]
    body = rows[2:]
    assert len(body) == 5 and [r[0] for r in body] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert sum(int(r[3].replace(".", "")) for r in body) == total  # the control total is the sum of the rows, to the fen
    by_name = {r[1]: r for r in body}
    assert "王一" not in by_name  # held items are not paid
    zhang = items["张一"]
    person = Person.objects.get(pk=zhang.person_id)
    village = Division.objects.get(code=zhang.division_code).name
    assert by_name["张一"][2:] == [account(zhang), "600.00", decrypt(person.id_enc), "中国农业银行", village, "水库移民后期扶持2026年1-12月",
                                  str(zhang.pk)]
    assert len(by_name["张一"][4]) == 18
    assert by_name["李二"][3] == "123.45"
    batch.refresh_from_db()
    assert (batch.state, batch.exported_by, batch.layout) == (Batch.State.EXPORTED, people["clerk"], layout())
    event = AuditEvent.objects.get(action="subsidies.bankfile.exported")
    assert (event.object_id, event.after["rows"], event.after["total"], event.after["layout"], event.after["reexport"]) == (
        str(batch.pk), 5, total, layout().pk, False)
    # the sheet XML is well formed and declares its size; the account column is text
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    assert root.find("m:dimension", ns).get("ref") == "A1:I7"
    cells = root.findall("m:sheetData/m:row", ns)[2].findall("m:c", ns)
    assert root.findall("m:sheetData/m:row", ns)[2].get("r") == "3"
    assert cells[2].get("t") == "inlineStr" and cells[0].find("m:v", ns).text == "1"


def test_village_and_remark_columns(data, tmp_path):
    people, batch, items = data
    lay = BankLayout.objects.create(name="乡镇列", file_format="xlsx", control_total=False, columns=[
        {"field": "name", "header": "姓名"}, {"field": "account", "header": "卡号"}, {"field": "amount_fen", "header": "分"},
        {"field": "township", "header": "乡镇"}, {"field": "village", "header": "村"}, {"field": "household_number", "header": "户号"},
        {"field": "months", "header": "月数"}, {"field": "period", "header": "期间"}, {"field": "remark", "header": "摘要"}],
        return_columns={"account": "卡号", "amount": "金额", "result": "结果"})
    Item.objects.filter(pk=items["张二"].pk).update(month_from=3, month_to=3, months=1, amount=5000)
    path = tmp_path / "v.xlsx"
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=lay, path=path)
    rows = xlsx_rows(path)
    assert rows[0] == ["姓名", "卡号", "分", "乡镇", "村", "户号", "月数", "期间", "摘要"]
    by_name = {r[0]: r for r in rows[1:]}
    zhang = items["张一"]
    names = {d.code: d.name for d in Division.objects.filter(code__in=[zhang.division_code, zhang.division_code[:9] + "000"])}
    assert by_name["张一"][2:5] == [60000.0, names[zhang.division_code[:9] + "000"], names[zhang.division_code]]
    assert by_name["张二"][5:] == ["S001", 1.0, "2026年3月", "水库移民后期扶持2026年3月"]
    assert by_name["张一"][7] == "2026年1-12月"


def test_gbk_csv_reads_back(data, tmp_path):
    people, batch, items = data
    path = tmp_path / "bank.csv"
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=gbk_layout(), path=path)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(path, "gbk")
    total = sum(i.amount for i in items.values())
    assert rows[0] == [batch.number, "6", f"{total // 100}.{total % 100:02d}"]
    assert rows[1] == ["序号", "户名", "账号", "金额", "业务编号"]
    assert sorted(r[1] for r in rows[2:]) == sorted(items) and [r[0] for r in rows[2:]] == ["1", "2", "3", "4", "5", "6"]
    zhang = items["张一"]
    assert [r for r in rows[2:] if r[1] == "张一"][0][1:] == ["张一", account(zhang), "600.00", str(zhang.pk)]
    assert raw.count(b"\r\n") == 8


def test_utf8_bom_csv(data, tmp_path):
    people, batch, _items = data
    lay = gbk_layout()
    lay.pk, lay.name, lay.encoding, lay.control_total = None, "UTF-8 BOM", BankLayout.Encoding.UTF8_BOM, False
    lay.save()
    path = tmp_path / "bom.csv"
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=lay, path=path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert csv_rows(path, "utf-8-sig")[0] == ["序号", "户名", "账号", "金额", "业务编号"]


def test_a_name_gbk_cannot_hold_fails_naming_the_row(data, tmp_path):
    people, batch, items = data
    Item.objects.filter(pk=items["李一"].pk).update(name="李𪚥")
    path = tmp_path / "bad.csv"
    with pytest.raises(ValidationFailed) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=gbk_layout(), path=path)
    row = 2 + 1 + list(Item.objects.filter(batch=batch).order_by("id").values_list("pk", flat=True)).index(items["李一"].pk)
    assert exc.value.code == "bankfile_encoding"
    assert exc.value.message == str(svc.MSG_ENCODING % {"row": row, "name": "李𪚥", "reference": items["李一"].pk, "column": "户名",
                                                        "encoding": "GBK", "char": "𪚥"})
    assert not path.exists()
    batch.refresh_from_db()
    assert batch.state == Batch.State.APPROVED and not AuditEvent.objects.filter(action="subsidies.bankfile.exported").exists()
    # the same name is fine in an xlsx (UTF-8) file
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "ok.xlsx")
    assert "李𪚥" in [r[1] for r in xlsx_rows(tmp_path / "ok.xlsx")]


def test_formula_safe_in_both_formats(data, tmp_path):
    people, batch, items = data
    Item.objects.filter(pk=items["张三"].pk).update(name='=HYPERLINK("http://x")', bank_name="@SUM(1)")
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "f.xlsx")
    row = [r for r in xlsx_rows(tmp_path / "f.xlsx") if r[8] == str(items["张三"].pk)][0]
    assert row[1] == "'=HYPERLINK(\"http://x\")" and row[5] == "'@SUM(1)"
    svc.bankfile_export(actor=people["clerk"], batch=Batch.objects.get(pk=batch.pk), layout=gbk_layout(), path=tmp_path / "f.csv")
    assert "'=HYPERLINK(\"http://x\")" in [r[1] for r in csv_rows(tmp_path / "f.csv")]


def test_xml_special_characters_survive(data, tmp_path):
    people, batch, items = data
    Item.objects.filter(pk=items["张三"].pk).update(name="张<&>_x0041_\x01 ", household_number=" S001")
    path = tmp_path / "x.xlsx"
    lay = BankLayout.objects.create(name="x", columns=[{"field": "name", "header": "户名"}, {"field": "account", "header": "账号"},
                                                       {"field": "amount", "header": "金额"}, {"field": "household_number", "header": "户号"}],
                                    control_total=False)
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=lay, path=path)
    row = [r for r in xlsx_rows(path) if r[1] == account(items["张三"])][0]
    assert row[0] == "张<&>_x0041_\x01 " and row[3] == " S001"


def test_reexport_is_allowed_and_audited(data, tmp_path):
    people, batch, items = data
    svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "1.xlsx")
    batch.refresh_from_db()
    first_at = batch.exported_at
    result = svc.bankfile_export(actor=people["city_clerk"], batch=batch, layout=gbk_layout(), path=tmp_path / "2.csv")
    batch.refresh_from_db()
    assert result["reexport"] and batch.state == Batch.State.EXPORTED
    assert (batch.exported_by, batch.exported_at, batch.layout) == (people["clerk"], first_at, gbk_layout())
    events = AuditEvent.objects.filter(action="subsidies.bankfile.exported").order_by("id")
    assert [e.after["reexport"] for e in events] == [False, True] and events[1].actor == people["city_clerk"]
    # after a partial return only the items still pending go out
    Item.objects.filter(pk=items["张一"].pk).update(state=Item.State.PAID)
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.RETURNED)
    batch.refresh_from_db()
    assert svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "3.xlsx")["rows"] == 5


@pytest.mark.parametrize("state", [Batch.State.DRAFT, Batch.State.REVIEWED, Batch.State.RECONCILED])
def test_only_approved_exported_or_returned_batches(data, tmp_path, state):
    people, batch, _items = data
    Batch.objects.filter(pk=batch.pk).update(state=state)
    batch.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "s.xlsx")
    assert exc.value.code == "batch_state"
    assert exc.value.message == str(svc.MSG_EXPORT_STATE % {"state": batch.get_state_display()})


def test_nothing_pending_is_refused(data, tmp_path):
    people, batch, _items = data
    Item.objects.filter(batch=batch).update(state=Item.State.HELD)
    with pytest.raises(Conflict) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "e.xlsx")
    assert exc.value.message == str(svc.MSG_NOTHING)


def test_permission_scope_and_pii(data, tmp_path, make_user, monkeypatch):
    people, batch, _items = data
    for who in ("reviewer", "city", "township"):
        with pytest.raises(PermissionDenied):
            svc.bankfile_export(actor=people[who], batch=batch, layout=layout(), path=tmp_path / "p.xlsx")
    other = make_user("county_clerk", "429922", username="other_clerk")
    with pytest.raises(NotFound):
        svc.bankfile_export(actor=other, batch=batch, layout=layout(), path=tmp_path / "o.xlsx")
    actor = people["clerk"]
    monkeypatch.setattr(type(actor), "can", lambda self, perm: perm != Perm.REGISTRY_VIEW_PII)
    with pytest.raises(PermissionDenied) as exc:
        svc.bankfile_export(actor=actor, batch=batch, layout=layout(), path=tmp_path / "n.xlsx")
    assert (exc.value.code, exc.value.message) == ("pii_forbidden", str(svc.MSG_NO_PII))


def test_layout_scope_and_soundness(data, tmp_path):
    people, batch, _items = data
    lay = layout()
    lay.scope = "429922"
    with pytest.raises(ValidationFailed) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=lay, path=tmp_path / "l.xlsx")
    assert exc.value.message == str(svc.MSG_LAYOUT_SCOPE % {"name": lay.name})
    lay.scope, lay.columns = "429921", [{"field": "name", "header": "户名"}]
    with pytest.raises(ValidationFailed) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=lay, path=tmp_path / "l.xlsx")
    assert exc.value.code == "layout_invalid"


def test_yuan_text_is_exact():
    assert [svc.yuan_text(f) for f in (0, 1, 10, 99, 100, 60000, 123456789012)] == [
        "0.00", "0.01", "0.10", "0.99", "1.00", "600.00", "1234567890.12"]


def test_a_change_while_the_file_is_written_is_a_conflict(data, tmp_path):
    """The file is written outside the transaction; the batch's pending items and state are checked again before recording."""
    people, batch, items = data
    path = tmp_path / "race.xlsx"

    def meanwhile(percent, message=""):
        if percent == 97:  # the file is written; a return marks an item paid before the export is recorded
            Item.objects.filter(pk=items["张一"].pk).update(state=Item.State.PAID)

    with pytest.raises(Conflict) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=path, progress=meanwhile)
    assert exc.value.code == "bankfile_changed" and not path.exists()

    def sent_back(percent, message=""):
        if percent == 97:
            Batch.objects.filter(pk=batch.pk).update(state=Batch.State.DRAFT)

    with pytest.raises(Conflict) as exc:
        svc.bankfile_export(actor=people["clerk"], batch=batch, layout=gbk_layout(), path=tmp_path / "race.csv", progress=sent_back)
    assert exc.value.code == "batch_state" and not (tmp_path / "race.csv").exists()
    assert not AuditEvent.objects.filter(action="subsidies.bankfile.exported").exists()
