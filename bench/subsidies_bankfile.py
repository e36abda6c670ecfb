"""Benchmark of the bank file export (代发文件): N pending items of one approved batch written as xlsx and as GBK CSV.

    .venv/bin/python bench/subsidies_bankfile.py [--rows 1000000] [--database-url postgresql://user@host:5432/db]

Without a database URL (the option or ANJU_DATABASE_URL) it uses a fresh SQLite file in a temporary data directory. With a
PostgreSQL URL it creates its own scratch database (anju_bench_bankfile) on that server and drops it afterwards.

Setup (not timed): the demo divisions; N persons of one county (白云县 429921) in households of four, with enrolments and
encrypted ID and account numbers, written set-based (COPY on PostgreSQL, executemany on SQLite); one approved batch with
one pending item per person (anju.core.bulk.bulk_insert, as batch creation writes them).

Timed (steps 2 and 3 are full service calls: checks, aggregate for the control total, ordered chunked read, decryption of
the columns the layout uses, formatting, streamed write, the closing check, state change and audit, commit):
1. floors: (a) the export's own query, rows read and dropped; (b) a plain csv.writer writing N rows of the file's values,
   prepared beforehand (no database, no decryption) — together, roughly the least any export of this data can cost;
2. xlsx: the seeded 通用代发格式 (9 columns, account and ID decrypted, control total row);
3. CSV/GBK: the seeded 农商行批量代发 layout (5 columns, account decrypted, strict GBK);
4. for reference, XlsxWriter's own per-cell API writing min(N, 100,000) rows of step 2's values (why BankSheet exists).

Target: steps 2 and 3 under 20 s for 1,000,000 rows, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

SCRATCH_DB = "anju_bench_bankfile"
TARGET_SECONDS = 20.0
COUNTY = "429921"
YEAR = 2026
CHUNK = 50_000
POOL = 1000  # distinct ciphertexts cycled through the rows: decryption costs the same, setup is faster
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红建国志文庆海燕春梅冬德永金凤家宝"

PERSON_COLS = ["id", "name", "id_hash", "id_enc", "id_masked", "gender", "birth_date", "ethnicity", "phone", "division_code",
               "created_at", "updated_at"]
HOUSEHOLD_COLS = ["id", "number", "county_code", "division_code", "address", "head_id", "created_at", "updated_at"]
ENROLMENT_COLS = ["id", "person_id", "household_id", "program", "division_code", "status", "status_since", "enrolled_on", "reservoir_id",
                  "move_date", "origin", "category", "support_mode", "support_start", "support_end", "bank_name", "bank_account_enc",
                  "bank_account_hash", "bank_account_masked", "poverty_registered", "relocation_year", "placement", "area_type",
                  "housing_area", "site_id", "created_at", "updated_at"]


def build(n: int, villages: list[str], reservoir_id: int, batch_id: int, pg: bool) -> None:
    """N persons, households of four, enrolments and one pending item each (12 months, 600 yuan)."""
    from anju.core.bulk import bulk_insert
    from anju.core.crypto import encrypt
    from anju.subsidies.services.batches import ITEM_COLUMNS

    now = "2026-01-01 00:00:00+00:00" if pg else "2026-01-01 00:00:00"
    ids = [encrypt(f"4299211970{i % 10000:04d}{i % 1000:03d}{i % 10}") for i in range(POOL)]
    accounts = [f"621700{i:013d}" for i in range(POOL)]
    accounts_enc = [encrypt(a) for a in accounts]
    for start in range(0, n, CHUNK):
        persons, households, enrolments, items = [], [], [], []
        for i in range(start, min(start + CHUNK, n)):
            pid = i + 1
            hid = i // 4 + 1
            village = villages[hid % len(villages)]
            name = SURNAMES[(hid * 7) % len(SURNAMES)] + GIVEN[(i * 13) % len(GIVEN)] + GIVEN[(i * 31) % len(GIVEN)]
            digest = hashlib.sha256(f"bench-{pid}".encode()).hexdigest()
            bank = hashlib.sha256(f"bank-{pid}".encode()).hexdigest()
            enc = accounts_enc[i % POOL]
            persons.append((pid, name, digest, ids[i % POOL], f"429***********{pid % 10000:04d}", "M" if i % 2 == 0 else "F",
                            f"{1940 + i % 70}-{1 + i % 12:02d}-{1 + i % 28:02d}", "汉族", "", village, now, now))
            if i % 4 == 0:
                households.append((hid, f"H{hid:07d}", COUNTY, village, "", None, now, now))
            enrolments.append((pid, pid, hid, "reservoir", village, "active", "2010-01-01", "2010-01-01", reservoir_id, "2008-03-01", "库区",
                               "original", "direct", "2008-03-01", "2028-02-29", "农商银行", enc, bank, "6217********4567", None, None, "",
                               "", None, None, now, now))
            items.append((pid, batch_id, pid, pid, f"H{hid:07d}", village, name, digest, f"429***********{pid % 10000:04d}", "农商银行", enc,
                          bank, "6217********4567", YEAR, 1, 12, 12, 60000, "pending", "", "", "", "", None, None))
        bulk_insert("registry_person", PERSON_COLS, persons, native=True)
        bulk_insert("registry_household", HOUSEHOLD_COLS, households, native=True)
        bulk_insert("registry_enrolment", ENROLMENT_COLS, enrolments, native=True)
        bulk_insert("subsidies_item", ITEM_COLUMNS, items, native=True)


def read_floor(batch, fields: list[str]) -> int:
    """The export's own query alone: the ordered, chunked read of the item rows, nothing done with them."""
    from anju.subsidies.models import Item

    n = 0
    for _row in Item.objects.filter(batch_id=batch.pk, state="pending").order_by("id").values_list(*fields).iterator(chunk_size=10_000):
        n += 1
    return n


def write_floor(sample: list[list], n: int, path: Path) -> int:
    """A plain csv.writer writing n rows of the file's own values (prepared beforehand: no database, no decryption)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for start in range(0, n, len(sample)):
            writer.writerows(sample[:n - start])
    return n


def xlsxwriter_cells(rows: list[list], path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    workbook.close()


def run_bench(n: int) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection, transaction

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import demo_division_rows
    from anju.divisions.models import Division, Level
    from anju.divisions.services import divisions_load
    from anju.registry.models import Reservoir
    from anju.subsidies.models import BankLayout, Batch
    from anju.subsidies.services import bankfiles

    pg = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if pg else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; rows: {n:,}")

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    county = Division.objects.get(code=COUNTY.ljust(12, "0"))
    villages = sorted(Division.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY).values_list("code", flat=True))
    clerk = user_create(actor=None, username="bench_clerk", role=ROLES["county_clerk"], entry_scope=county, view_scope=county,
                        password="Bench@2026pass", must_change_password=False)
    reservoir = Reservoir.objects.create(code="RB429921", name="白云水库", scale="medium", division_code=county.code)
    batch = Batch.objects.create(number=f"{COUNTY}-{YEAR}-Y", division_code=county.code, year=YEAR, state=Batch.State.APPROVED)

    started = time.perf_counter()
    with transaction.atomic():
        build(n, villages, reservoir.pk, batch.pk, pg)
    if pg:
        with connection.cursor() as cur:
            for table in ("registry_person", "registry_household", "registry_enrolment", "subsidies_item"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"setup: {n:,} persons, enrolments and pending items in {len(villages)} villages: {time.perf_counter() - started:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="bankfile-"))
    results = []
    standard = BankLayout.objects.get(name="通用代发格式")
    fields, make = bankfiles._row_maker(batch, bankfiles.layout_columns(standard))
    from anju.subsidies.models import Item

    sample_rows = min(n, 10_000)
    sample = [make(row, i + 1) for i, row in enumerate(
        Item.objects.filter(batch_id=batch.pk).order_by("id").values_list(*fields)[:sample_rows].iterator(chunk_size=10_000))]

    t0 = time.perf_counter()
    rows = read_floor(batch, fields)
    results.append(("1a. floor: the export's query, rows read only", rows, time.perf_counter() - t0, None))
    t0 = time.perf_counter()
    rows = write_floor(sample, n, work / "floor.csv")
    results.append(("1b. floor: csv.writer of the same rows, prepared", rows, time.perf_counter() - t0, work / "floor.csv"))

    for label, layout, name in (("2. xlsx, 通用代发格式 (9 columns)", standard, "bank.xlsx"),
                                ("3. CSV/GBK, 农商行 layout (5 cols)", BankLayout.objects.get(name="农商行批量代发（GBK 文本）"), "bank.csv")):
        batch.refresh_from_db()
        t0 = time.perf_counter()
        result = bankfiles.bankfile_export(actor=clerk, batch=batch, layout=layout, path=work / name)
        results.append((label, result["rows"], time.perf_counter() - t0, work / name))
        assert result["rows"] == n and result["total"] == n * 60000, result

    reference = min(n, 100_000)
    prepared = [list(sample[i % len(sample)]) for i in range(reference)]
    t0 = time.perf_counter()
    xlsxwriter_cells(prepared, work / "cells.xlsx")
    results.append((f"4. XlsxWriter per-cell API ({reference:,} rows only)", reference, time.perf_counter() - t0, work / "cells.xlsx"))

    print()
    print(f"{'step':<48}{'rows':>11}{'seconds':>9}{'rows/s':>12}{'MB':>8}")
    for label, count, seconds, path in results:
        size = f"{path.stat().st_size / 1e6:>8.1f}" if path else f"{'':>8}"
        print(f"{label:<48}{count:>11,}{seconds:>9.2f}{count / seconds:>12,.0f}{size}")
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    xlsx_s, csv_s = results[2][2], results[3][2]
    scale = 1_000_000 / n
    ok = xlsx_s < TARGET_SECONDS and csv_s < TARGET_SECONDS
    print()
    print(f"target: {n:,} rows in under {TARGET_SECONDS:.0f} s — xlsx {xlsx_s:.2f} s, CSV/GBK {csv_s:.2f} s: {'OK' if ok else 'MISSED'}"
          + (f" (1,000,000 rows extrapolated: xlsx {xlsx_s * scale:.1f} s, CSV {csv_s * scale:.1f} s)" if n != 1_000_000 else ""))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="pending items in the batch (default 1,000,000)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL (default: ANJU_DATABASE_URL, else SQLite)")
    args = parser.parse_args()
    if args.database_url:
        os.environ["ANJU_DATABASE_URL"] = args.database_url
    with scratch_environment(SCRATCH_DB):
        return run_bench(max(100, args.rows))


if __name__ == "__main__":
    sys.exit(main())
