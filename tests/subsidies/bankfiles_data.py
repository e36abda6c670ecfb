"""Test data of the bank-file tests: an approved batch of the factories' roster, layouts, return files written on the fly."""

from __future__ import annotations

import csv
import io

import xlsxwriter
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.registry.models import Enrolment
from anju.subsidies.models import BankLayout, Batch, Item

from .factories import COUNTY_CODE, actors, make_batch, make_item, roster

RETURN_HEADERS = ["业务编号", "户名", "账号", "金额", "处理结果", "失败原因", "银行流水号"]


def world(make_user, *, state: str = Batch.State.APPROVED, county: str = COUNTY_CODE) -> tuple[dict, Batch, dict]:
    """Actors, an approved batch with one pending item per direct enrolment of the roster (50 yuan a month, 12 months)."""
    people = actors(make_user)
    roster()
    batch = make_batch(state=state, county=county)
    items = {}
    for e in Enrolment.objects.filter(support_mode=Enrolment.SupportMode.DIRECT).select_related("person", "household").order_by("id"):
        items[e.person.name] = make_item(batch, e)
    return people, batch, items


def layout(name: str = "通用代发格式") -> BankLayout:
    return BankLayout.objects.get(name=name)


def gbk_layout() -> BankLayout:
    return BankLayout.objects.get(name="农商行批量代发（GBK 文本）")


def account(item: Item) -> str:
    return decrypt(item.bank_account_enc)


def xlsx_rows(path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def csv_rows(path, encoding: str = "gbk") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def return_row(item: Item, result: str = "成功", *, reference: bool = True, amount: str | None = None, name: str | None = None,
               reason: str = "", bank_ref: str = "") -> list:
    """One return-file row for an item: reference, name, account, amount (yuan), result, reason, bank reference."""
    yuan = amount if amount is not None else f"{item.amount // 100}.{item.amount % 100:02d}"
    return [str(item.pk) if reference else "", item.name if name is None else name, account(item), yuan, result, reason,
            bank_ref or (f"B{item.pk:06d}" if result == "成功" else "")]


def return_xlsx(path, rows: list[list], headers: list[str] = RETURN_HEADERS, title: str | None = "代发结果") -> str:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet()
    r = 0
    if title:
        ws.write_string(0, 0, title)
        r = 1
    for c, h in enumerate(headers):
        ws.write_string(r, c, h)
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            if v not in (None, ""):
                ws.write_string(r, c, str(v))
    wb.close()
    return str(path)


def return_csv(path, rows: list[list], headers: list[str] = RETURN_HEADERS, encoding: str = "gbk") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    with open(path, "wb") as f:
        f.write(buffer.getvalue().encode(encoding))
    return str(path)


def exported(people: dict, batch: Batch, tmp_path) -> Batch:
    """Export the batch through the service (approved → exported) and return it fresh."""
    from anju.subsidies.services.bankfiles import bankfile_export

    bankfile_export(actor=people["clerk"], batch=batch, layout=layout(), path=tmp_path / "out.xlsx")
    batch.refresh_from_db()
    return batch
