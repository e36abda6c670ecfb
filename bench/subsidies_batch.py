"""Benchmark of entitlements and payment-batch creation at county scale: N persons from a locked snapshot.

    .venv/bin/python bench/subsidies_batch.py [--persons 1000000]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory. With a PostgreSQL URL it
creates its own scratch database (anju_bench_sub) on that server and drops it afterwards.

Setup (not timed): the population of bench/registry_verification.py (N persons of 白云县 in households of four, 80 %
paid directly with an encrypted, Luhn-valid card, ~2 % removed in 2025), the 2025 verification locked, and ~1 % of
persons removed with effect inside 2026 (a late removal cuts their months).

Timed:
1. the floor: one INSERT … SELECT copying the snapshot joined to its persons and accounts into an item-shaped table
   without indexes or triggers — what any set-based batch must at least spend;
2. entitlements_compute for 2026 (the engine alone, materialised);
3. batch_create for 2026: entitlements + account decryption and checks + items with their indexes and the
   double-payment triggers + totals — the target, under 15 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)
from registry_verification import YEAR, Writer, analyze, build_population, reset_sequences

SCRATCH_DB = "anju_bench_sub"
TARGET_SECONDS = 15.0
COUNTY = "429921"
PAY_YEAR = YEAR + 1


def run_bench(n: int, profile: bool = False) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection, transaction

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from stdnum import luhn

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.core.bulk import bulk_insert
    from anju.core.crypto import encrypt
    from anju.demo import demo_division_rows
    from anju.divisions.models import Division, Level
    from anju.divisions.services import divisions_load
    from anju.registry.models import Reservoir
    from anju.registry.services import verification as ver
    from anju.subsidies.models import Item
    from anju.subsidies.services.batches import ITEM_COLUMNS, batch_create
    from anju.subsidies.services.entitlements import entitlements_compute

    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; persons: {n:,}")

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    county = Division.objects.get(code=COUNTY.ljust(12, "0"))
    villages = sorted(Division.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY).values_list("code", flat=True))

    def user(role: str, scope: Division, name: str):
        return user_create(actor=None, username=name, role=ROLES[role], entry_scope=scope, view_scope=scope, password="Bench@2026pass",
                           must_change_password=False)

    clerk, reviewer = user("county_clerk", county, "bench_clerk"), user("county_reviewer", county, "bench_reviewer")
    city = user("city_admin", Division.objects.get(code="429900000000"), "bench_city")
    reservoir = Reservoir.objects.create(code="RB429921", name="白云水库", scale="medium", division_code=county.code)

    started = time.perf_counter()
    with transaction.atomic():
        built = build_population(n, villages, reservoir.pk, Writer(connection))
        with connection.cursor() as cur:
            # every direct account: the same Luhn-valid card, encrypted per person as the import does
            base = "621700123456789012"
            cur.execute("SELECT id FROM registry_enrolment WHERE bank_account_hash <> ''")
            ids = [r[0] for r in cur.fetchall()]
            cur.executemany("UPDATE registry_enrolment SET bank_account_enc = %s WHERE id = %s",
                            [(encrypt(base + luhn.calc_check_digit(base)), i) for i in ids])
    reset_sequences(connection)
    analyze(connection)
    v = ver.verification_run(actor=clerk, year=YEAR, program="reservoir", county_code=COUNTY)
    v = ver.verification_sign_county(actor=reviewer, verification=v)
    v = ver.verification_sign_city(actor=city, verification=v)
    with transaction.atomic(), connection.cursor() as cur:  # ~1 % removed with effect inside the paid year
        cur.execute("UPDATE registry_enrolmentstatus SET valid_to = %s WHERE valid_to IS NULL AND status = 'active' AND enrolment_id %% 100 = 42",
                    [f"{PAY_YEAR}-05-01"])
        cur.execute("SELECT id FROM registry_enrolment WHERE id % 100 = 42")
        late = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM registry_enrolmentstatus")
        next_id = cur.fetchone()[0] + 1
    with transaction.atomic():
        bulk_insert("registry_enrolmentstatus", ["id", "enrolment_id", "status", "valid_from", "valid_to", "cause", "note", "request_id"],
                    [(next_id + k, e, "removed", f"{PAY_YEAR}-05-01", None, "death", "", None) for k, e in enumerate(late)])
    analyze(connection)
    setup = time.perf_counter() - started
    print(f"setup: {built['persons']:,} persons, {v.counts['total']:,} in the locked {YEAR} snapshot, {len(late):,} removed "
          f"from {PAY_YEAR}-05-01: {setup:.1f} s")

    # 1. the floor
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_item_floor")
        cur.execute("CREATE TABLE bench_item_floor AS SELECT * FROM subsidies_item WHERE 1 = 0")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO bench_item_floor ({', '.join(ITEM_COLUMNS[1:])}) "
                    "SELECT 0, ve.enrolment_id, ve.person_id, ve.household_number, ve.division_code, p.name, p.id_hash, p.id_masked, "
                    "e.bank_name, e.bank_account_enc, e.bank_account_hash, e.bank_account_masked, %s, 1, 12, 12, 60000, 'pending', '', '', "
                    "'', '', NULL, NULL FROM registry_verificationentry ve JOIN registry_enrolment e ON e.id = ve.enrolment_id "
                    "JOIN registry_person p ON p.id = ve.person_id WHERE ve.verification_id = %s", [PAY_YEAR, v.pk])
    t_floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    eset = entitlements_compute(county_code=COUNTY, year=PAY_YEAR)
    t_ent = time.perf_counter() - t0
    direct = sum(1 for r in eset.rows if r.direct)
    del eset

    profiler = None
    if os.environ.get("BENCH_NO_GUARD"):
        import importlib
        importlib.import_module("anju.subsidies.migrations.0002_item_claim_guard").remove()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    marks: dict[int, float] = {}
    t0 = time.perf_counter()
    batch = batch_create(actor=clerk, county_code=COUNTY, year=PAY_YEAR, progress=lambda p, m="": marks.setdefault(p, time.perf_counter()))
    t_batch = time.perf_counter() - t0
    stages = [("checks + policy", 0, 2), ("window results + temp tables", 2, 10), ("INSERT … SELECT of the items", 10, 50),
              ("changed persons row by row", 50, 60), ("account decryption and checks", 60, 95), ("totals + audit + commit", 95, 100)]
    last = {0: t0, **marks}
    split = "; ".join(f"{label} {last[b] - last[a]:.2f} s" for label, a, b in stages if a in last and b in last)
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    t = batch.totals
    items = Item.objects.filter(batch=batch).count()
    assert items == t["persons"] == direct, (items, t["persons"], direct)
    cut = Item.objects.filter(batch=batch, months=4).count()
    print(f"batch {batch.number}: {t['persons']:,} items, {t['amount'] / 100:,.2f} yuan, {t['held']:,} held, project-support "
          f"{t['project']['persons']:,} persons; {cut:,} cut to Jan–Apr by the late removal")
    print(f"batch_create stages: {split}")
    print()
    print(f"{'step':<48}{'rows':>11}{'seconds':>9}{'rows/s':>12}{'× floor':>9}")
    for label, count, seconds in [("1. floor: INSERT … SELECT, no index or trigger", v.counts["total"], t_floor),
                                  ("2. entitlements_compute", v.counts["total"], t_ent),
                                  ("3. batch_create (the target)", v.counts["total"], t_batch)]:
        print(f"{label:<48}{count:>11,}{seconds:>9.2f}{count / seconds:>12,.0f}{seconds / t_floor:>9.2f}")
    ok = t_batch < TARGET_SECONDS and t_ent < TARGET_SECONDS
    print()
    print(f"target: entitlements and batch creation for {v.counts['total']:,} persons under {TARGET_SECONDS:.0f} s: "
          f"{t_ent:.2f} s and {t_batch:.2f} s — {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons on the roster (default 1,000,000)")
    parser.add_argument("--profile", action="store_true", help="print where batch_create spends its time")
    args = parser.parse_args()
    with scratch_environment(SCRATCH_DB):
        return run_bench(max(100, args.persons), args.profile)


if __name__ == "__main__":
    sys.exit(main())
