"""Benchmark of the roster import against a floor measured in the same run.

    .venv/bin/python bench/registry_import.py [--persons 1000000] [--xlsx-rows 200000] [--baseline-rows 10000]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory; with a PostgreSQL URL it
creates its own scratch database (anju_bench_import) on that server and drops it afterwards. Steps:

1. generate a CSV of N persons in the standard reservoir template (a child process; not timed) and an xlsx of M rows;
2. full import of the CSV into empty tables with full validation (read, map, ID checks, divisions, dates, bank
   accounts, duplicates, encryption and blind index, COPY/executemany) — persons/s and peak RSS of the process
   and of its validation worker;
3. the floor: the very rows step 2 wrote (persons, households, memberships, enrolments, status periods), dumped
   and inserted again raw with COPY/executemany into empty tables, no validation;
4. the same file again: every row unchanged;
5. the xlsx: read time with the fastest reader (python-calamine, all rows) + the floor for its rows, and the import;
6. baseline: django-import-export importing the first K persons (its default per-row path) against anju on the same K.

Targets (issue 4): step 2 ≥ 10,000 persons/s and ≤ 2× the floor; peak memory under 2 GB; step 5 ≤ 2× (read + floor).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

REPO = Path(__file__).resolve().parents[1]
SCRATCH_DB = "anju_bench_import"
TABLES = ["registry_person", "registry_household", "registry_membership", "registry_enrolment", "registry_enrolmentstatus"]


def setup_world():
    """Demo divisions, one reservoir per county, a county-level... city clerk who imports everything."""
    from anju.accounts.models import User
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import COUNTIES, demo_division_rows
    from anju.divisions.models import Division
    from anju.divisions.services import divisions_load
    from anju.registry.models import Reservoir

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    for county, name in COUNTIES:
        Reservoir.objects.get_or_create(code=f"R{county}", defaults={"name": f"{name[:2]}水库", "scale": "large", "division_code": county.ljust(12, "0")})
    user = User.objects.filter(username="bench").first() or user_create(
        actor=None, username="bench", role=ROLES["city_clerk"], entry_scope=Division.objects.get(code="429900000000"), view_scope=None,
        password="Bench@2026anju!", full_name="bench", must_change_password=False)
    return user


def generate(out: Path, persons: int, xlsx: Path, xlsx_rows: int) -> None:
    """Child-process step: write the CSV and the xlsx (so the parent's peak memory is the import's)."""
    import django

    django.setup()
    from anju.demo import COUNTIES
    from anju.divisions.models import Division, Level
    from anju.registry.roster import RESERVOIR_SPEC
    from anju.registry.synthetic import Village, reservoir_rows

    names = dict(Division.objects.values_list("code", "name"))
    villages = [Village(names[c[:6].ljust(12, "0")], names[c[:9].ljust(12, "0")], n, c)
                for c, n in Division.objects.filter(level=Level.VILLAGE, code__startswith="4299").values_list("code", "name")]
    reservoirs = {county: [f"{name[:2]}水库"] for county, name in COUNTIES}
    header = [f.label for f in RESERVOIR_SPEC.fields]
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(reservoir_rows(seed=2026, n_persons=persons, villages=villages, reservoirs=reservoirs, today=dt.date(2026, 11, 1)))
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True})
    sheet = workbook.add_worksheet("花名册")
    for c, h in enumerate(header):
        sheet.write_string(0, c, h)
    for r, row in enumerate(reservoir_rows(seed=77, n_persons=xlsx_rows, villages=villages, reservoirs=reservoirs, today=dt.date(2026, 11, 1)),
                            start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()


def empty_registry() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE registry_history, registry_enrolmentstatus, registry_enrolment, registry_membership, registry_household, "
                        "registry_person, imports_importbatch CASCADE")
        else:
            cur.execute("DELETE FROM registry_history")
            cur.execute("DELETE FROM registry_enrolmentstatus")
            cur.execute("DELETE FROM registry_enrolment")
            cur.execute("DELETE FROM registry_membership")
            cur.execute("UPDATE registry_household SET head_id = NULL")
            cur.execute("DELETE FROM registry_person")
            cur.execute("DELETE FROM registry_household")
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cur.execute("VACUUM ANALYZE")


def dump_tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """The rows an import wrote, in the driver's own form, to insert again as the floor."""
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
            columns = [c[0] for c in cur.description]
            raw = cur.cursor if hasattr(cur, "cursor") else cur
            out[table] = (columns, [tuple(r) for r in raw.fetchall()])
    return out


def insert_floor(dump) -> float:
    """Insert the dumped rows raw into empty tables (COPY / executemany), households' heads last as the import does."""
    from django.db import connection, transaction

    from anju.core.bulk import bulk_insert, bulk_update

    empty_registry()
    started = time.perf_counter()
    with transaction.atomic():
        columns, rows = dump["registry_household"]
        head = columns.index("head_id")
        bulk_insert("registry_household", columns, [r[:head] + (None,) + r[head + 1:] for r in rows], native=connection.vendor == "sqlite")
        for table in TABLES:
            if table != "registry_household":
                columns, rows = dump[table]
                bulk_insert(table, columns, rows, native=connection.vendor == "sqlite")
        columns, rows = dump["registry_household"]
        bulk_update("registry_household", "id", ("head_id",), [(r[head], r[0]) for r in rows if r[head] is not None])
    return time.perf_counter() - started


def read_all_xlsx(path: Path) -> tuple[float, int]:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    n = sum(1 for _ in sheet.iter_rows())
    return time.perf_counter() - started, n - 1


def baseline_import_export(dump, k: int) -> float:
    """django-import-export's default import (per-row instance, validation and save) of the first k persons."""
    import tablib
    from import_export import resources

    from anju.registry.models import Person

    class PersonResource(resources.ModelResource):
        class Meta:
            model = Person
            fields = ("name", "id_hash", "id_enc", "id_masked", "gender", "birth_date", "ethnicity", "phone", "division_code")
            import_id_fields = ("id_hash",)

    columns, rows = dump["registry_person"]
    keep = list(PersonResource.Meta.fields)
    index = [columns.index(c) for c in keep]
    dataset = tablib.Dataset(headers=keep)
    for r in rows[:k]:
        dataset.append([r[i] for i in index])
    empty_registry()
    started = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    assert result.totals["new"] == k, result.totals
    return seconds


def run(args, work: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    user = setup_world()
    from anju.registry.services.imports import registry_import

    csv_path, xlsx_path = work / "roster.csv", work / "roster.xlsx"
    print(f"generating {args.persons:,} persons (CSV) and {args.xlsx_rows:,} rows (xlsx) …", flush=True)
    subprocess.run([sys.executable, __file__, "--generate", str(csv_path), str(args.persons), str(xlsx_path), str(args.xlsx_rows)], check=True)
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; CSV {csv_path.stat().st_size / 1e6:.0f} MB")

    def do_import(path: Path):
        started = time.perf_counter()
        report = registry_import(actor=user, program="reservoir", source=path, filename=path.name)
        return time.perf_counter() - started, report

    empty_registry()
    # The full import runs in a process of its own, so that its peak memory and its validation worker's are its own.
    measured = json.loads(subprocess.run([sys.executable, __file__, "--import-only", str(csv_path)], check=True, capture_output=True,
                                         text=True).stdout.strip().splitlines()[-1])
    full, peak_mb, worker_mb = measured["seconds"], measured["self_mb"], measured["children_mb"]
    assert measured["rows"] == args.persons and measured["imported"] == args.persons and measured["rejected"] == 0, measured
    dump = dump_tables()
    written = sum(len(rows) for _cols, rows in dump.values())
    floor = insert_floor(dump)
    again, report2 = do_import(csv_path)
    assert report2.unchanged == args.persons, report2.as_dict()

    empty_registry()
    xlsx_import, report3 = do_import(xlsx_path)
    assert report3.imported == args.xlsx_rows, report3.as_dict()
    xlsx_floor = insert_floor(dump_tables())
    read_seconds, n_read = read_all_xlsx(xlsx_path)
    assert n_read == args.xlsx_rows

    k = min(args.baseline_rows, args.persons)
    baseline = baseline_import_export(dump, k)
    empty_registry()
    with open(csv_path, encoding="utf-8") as fh, open(work / "small.csv", "w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            if i > k:
                break
            out.write(line)
    small, report4 = do_import(work / "small.csv")
    assert report4.imported == k

    n = args.persons
    print()
    print(f"{'step':<58}{'rows':>10}{'seconds':>10}{'rows/s':>11}{'ratio':>9}")
    print(f"{'floor: final rows inserted raw (' + str(len(TABLES)) + ' tables, ' + format(written, ',') + ' rows)':<58}{n:>10,}{floor:>10.2f}"
          f"{n / floor:>11,.0f}{1:>9.2f}")
    print(f"{'import CSV, full validation, empty tables':<58}{n:>10,}{full:>10.2f}{n / full:>11,.0f}{full / floor:>9.2f}")
    print(f"{'same file again (all unchanged)':<58}{n:>10,}{again:>10.2f}{n / again:>11,.0f}{again / floor:>9.2f}")
    print(f"{'xlsx: read all rows (python-calamine)':<58}{args.xlsx_rows:>10,}{read_seconds:>10.2f}{args.xlsx_rows / read_seconds:>11,.0f}")
    print(f"{'xlsx: floor for its rows':<58}{args.xlsx_rows:>10,}{xlsx_floor:>10.2f}{args.xlsx_rows / xlsx_floor:>11,.0f}")
    print(f"{'xlsx: import, full validation (ratio to read + floor)':<58}{args.xlsx_rows:>10,}{xlsx_import:>10.2f}"
          f"{args.xlsx_rows / xlsx_import:>11,.0f}{xlsx_import / (read_seconds + xlsx_floor):>9.2f}")
    print(f"{'baseline: django-import-export, persons only':<58}{k:>10,}{baseline:>10.2f}{k / baseline:>11,.0f}")
    print(f"{'anju import, same rows (all 5 tables)':<58}{k:>10,}{small:>10.2f}{k / small:>11,.0f}{small / baseline:>9.2f}")
    print()
    print(f"peak RSS of the full import: importing process {peak_mb:,.0f} MB, its validation worker {worker_mb:,.0f} MB")
    ok_rate, ok_floor = n / full >= 10_000, full / floor <= 2.0
    ok_mem, ok_xlsx = peak_mb + worker_mb < 2048, xlsx_import / (read_seconds + xlsx_floor) <= 2.0
    print(f"targets: ≥ 10,000 persons/s {'OK' if ok_rate else 'MISSED'}; ≤ 2× floor {'OK' if ok_floor else 'MISSED'} ({full / floor:.2f}×); "
          f"memory < 2 GB {'OK' if ok_mem else 'MISSED'}; xlsx ≤ 2× (read + floor) {'OK' if ok_xlsx else 'MISSED'}")
    return 0 if (ok_rate and ok_floor and ok_mem and ok_xlsx) else 1


def import_only(path: Path) -> None:
    """Child-process step: one import into the (empty) scratch database; prints a JSON line of figures."""
    import django

    django.setup()
    from anju.accounts.models import User
    from anju.registry.services.imports import registry_import

    started = time.perf_counter()
    report = registry_import(actor=User.objects.get(username="bench"), program="reservoir", source=path, filename=path.name)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": report.rows, "imported": report.imported, "rejected": report.rejected,
                      "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--import-only":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
        import_only(Path(sys.argv[2]))
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "--generate":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
        generate(Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    args = parser.parse_args()
    with scratch_environment(SCRATCH_DB) as work:
        return run(args, work)

if __name__ == "__main__":
    sys.exit(main())
