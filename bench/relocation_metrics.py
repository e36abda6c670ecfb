"""Benchmark of the relocation follow-up metrics: a city with 200,000 relocated persons in ~55,000 households.

    .venv/bin/python bench/relocation_metrics.py [--db sqlite|postgres] [--persons 200000] [--calls 11]

Without ANJU_DATABASE_URL (or with --db sqlite) it uses a fresh SQLite file in a temporary data directory. With --db postgres
(ANJU_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres) it creates its own scratch database
(anju_bench_relocation) on that server and drops it afterwards.

Setup (not timed): the demo divisions; 40 resettlement sites over the 9 counties; households of 1–7 persons (ages 0–85),
nine in ten placed at a site of their county, the rest dispersed; each person's relocation enrolment with its status
periods (about 2 % suspended, 1 % removed, some enrolled later than the as-of day); labour capacities for about a third of
the persons (none, student, weak, skilled); employment spells for the working-age (most with a current spell, some ended,
some starting later, a few with two at once); 低保/特困 for about 12 % of the households (some ended); income surveys of
2024 and 2025 for most households; about 3,000 防返贫 monitoring cases in every state. All inserted set-based
(COPY / executemany); the triggers queue every person and one full rebuild of the metric facts follows (timed, printed).

Timed, as of 2026-06-30 for the city clerk (median of --calls calls after one warm-up call):
1. floors: the relocation enrolments counted per county (no join), and the population on the day (enrolments with a
   covering active status period) counted per county — what any computation of these metrics must at least spend;
2. relocation_metrics by county (the target: under 300 ms), by site, by township, for a township scope (by site), and by
   county right after 100 employment spells were edited (untimed; the read first rebuilds those persons' metric facts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

SCRATCH_DB = "anju_bench_relocation"
TARGET_MS = 300.0
AS_OF = dt.date(2026, 6, 30)
N_SITES = 40
KINDS = ["county", "county", "province", "out_province", "out_province", "public_post", "workshop", "self_employed", "flexible"]
CATEGORIES = ["unstable", "marginal", "sudden"]


class Table:
    """Rows of one model as tuples in its concrete columns' order, defaults filled in."""

    def __init__(self, model, now):
        self.model = model
        self.table = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        self._defaults = []
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
                if f.get_internal_type() == "JSONField":
                    value = json.dumps(value)
            elif f.null:
                value = None
            else:
                value = ""
            self._defaults.append(value)
        self._index = {c: i for i, c in enumerate(self.columns)}
        self.rows: list[tuple] = []

    def add(self, **values) -> int:
        row = list(self._defaults)
        for key, value in values.items():
            row[self._index[key]] = value
        self.rows.append(tuple(row))
        return len(self.rows)


def build(n_persons: int, villages: list[str], townships: list[str]) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from anju.core.bulk import bulk_insert
    from anju.registry.models import Enrolment, EnrolmentStatus, Household, Membership, Person
    from anju.relocation.models import Employment, Income, LabourCapacity, MonitoringCase, Site, Welfare

    rng = random.Random(2026)  # noqa: S311 (bench data)
    now = timezone.now()
    t = {m: Table(m, now) for m in (Site, Household, Person, Membership, Enrolment, EnrolmentStatus, LabourCapacity, Employment, Welfare,
                                    Income, MonitoringCase)}
    counties = sorted({v[:6] for v in villages})
    by_township: dict[str, list[str]] = {}
    for v in villages:
        by_township.setdefault(v[:9], []).append(v)
    by_county: dict[str, list[str]] = {}
    for v in villages:
        by_county.setdefault(v[:6], []).append(v)
    sites = []  # (id, township prefix, county)
    for i in range(N_SITES):
        county = counties[i % len(counties)]
        township = rng.choice([tw for tw in by_township if tw.startswith(county)])
        sid = t[Site].add(id=i + 1, code=f"BS{i + 1:03d}", name=f"基准安置点{i + 1}", division_code=township.ljust(12, "0"),
                          placement="concentrated", area_type=rng.choice(["urban", "rural"]), capacity=6000)
        sites.append((sid, township, county))
    persons = hid = 0
    while persons < n_persons:
        hid += 1
        if rng.random() < 0.9:
            sid, township, county = sites[rng.randrange(len(sites))]
            village = rng.choice(by_township[township])
        else:
            sid, county = None, rng.choice(counties)
            village = rng.choice(by_county[county])
        size = min(n_persons - persons, rng.choice([1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7]))
        since = dt.date(rng.randint(2016, 2020), rng.randint(1, 12), 1)
        t[Household].add(id=hid, number=f"BH{hid:07d}", county_code=county, division_code=village)
        any_labour = False
        for k in range(size):
            persons += 1
            pid = persons
            age = rng.randint(30, 60) if k == 0 else rng.choice([rng.randint(0, 17), rng.randint(18, 60), rng.randint(55, 85)])
            birth = AS_OF - dt.timedelta(days=int(age * 365.25) + rng.randint(0, 364))
            t[Person].add(id=pid, name=f"搬迁{pid}", id_hash=f"{pid:064d}", id_enc="", id_masked=f"4299**********{pid % 10000:04d}",
                          gender="MF"[pid % 2], birth_date=birth, division_code=village)
            t[Membership].add(id=pid, person_id=pid, household_id=hid, relation="户主" if k == 0 else "子女", valid_from=since)
            r = rng.random()
            status, status_since = ("suspended", dt.date(2025, 3, 1)) if r < 0.02 else ("removed", dt.date(2024, 9, 1)) if r < 0.03 else \
                ("active", since)
            start = since if r < 0.995 else AS_OF + dt.timedelta(days=30)  # a few enrolled after the day
            if status == "active":
                status_since = start  # the registry keeps status_since = the open period's valid_from
            t[Enrolment].add(id=pid, person_id=pid, household_id=hid, program="relocation", division_code=village, status=status,
                             status_since=status_since, enrolled_on=start, poverty_registered=True, relocation_year=since.year,
                             placement="concentrated" if sid else "dispersed", area_type="urban", housing_area="20.00", site_id=sid)
            if status == "active":
                t[EnrolmentStatus].add(enrolment_id=pid, status="active", valid_from=start, valid_to=None)
            else:
                t[EnrolmentStatus].add(enrolment_id=pid, status="active", valid_from=start, valid_to=status_since)
                t[EnrolmentStatus].add(enrolment_id=pid, status=status, valid_from=status_since, valid_to=None)
            capacity = None
            if 16 <= age <= 22 and rng.random() < 0.5:
                capacity = "student"
            elif rng.random() < 0.25:
                capacity = rng.choice(["none", "weak", "weak", "skilled", "skilled", "able"])
            if capacity:
                t[LabourCapacity].add(person_id=pid, household_id=hid, division_code=village, capacity=capacity, recorded_on=dt.date(2024, 1, 1))
            if 16 <= age <= 62 and capacity not in ("none", "student"):
                any_labour = True
                for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
                    begin = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1600))
                    end = None if rng.random() < 0.5 else begin + dt.timedelta(days=rng.randint(30, 700))
                    t[Employment].add(person_id=pid, household_id=hid, division_code=village, kind=rng.choice(KINDS), employer="某公司",
                                      started_on=begin, ended_on=end, monthly_income_fen=rng.randint(150, 600) * 1000)
        if rng.random() < 0.12 or (not any_labour and rng.random() < 0.5):
            begin = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
            t[Welfare].add(household_id=hid, division_code=village, kind="dibao" if rng.random() < 0.85 else "tekun", persons=size,
                           monthly_fen=50_000 * size, started_on=begin, ended_on=None if rng.random() < 0.7 else begin + dt.timedelta(days=400))
        for year in (2024, 2025):
            if rng.random() < 0.95:
                t[Income].add(household_id=hid, division_code=village, year=year, persons=size, wage_fen=rng.randint(0, 60_000) * 100 * size,
                              business_fen=rng.randint(0, 5_000) * 100, transfer_fen=rng.randint(0, 8_000) * 100,
                              costs_fen=rng.randint(0, 2_000) * 100, surveyed_on=dt.date(year + 1, 1, 20))
        if rng.random() < 0.055:
            identified = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1900))
            state = rng.choice(["proposed", "monitoring", "monitoring", "monitoring", "elimination_proposed", "eliminated", "eliminated", "rejected"])
            included = None if state in ("proposed", "rejected") else identified + dt.timedelta(days=rng.randint(5, 40))
            eliminated = included + dt.timedelta(days=rng.randint(180, 900)) if state == "eliminated" else None
            t[MonitoringCase].add(household_id=hid, division_code=village, category=rng.choice(CATEGORIES), channel="visit", risks='["illness"]',
                                  identified_on=identified, included_on=included, state=state, eliminated_on=eliminated, elimination_criteria="{}",
                                  colour="yellow")
    with transaction.atomic():
        for model, table in t.items():
            # Employment spells and cases are stored in the order they are entered (scattered), households' rows together.
            rows = table.rows
            if model is Employment:
                rows = sorted(rows, key=lambda r, i=table._index["started_on"]: r[i])
            if "id" in table.columns and model not in (Site, Household, Person, Membership, Enrolment):
                table.columns = [c for c in table.columns if c != "id"]
                rows = [r[1:] for r in rows]  # id is the first concrete column
            for start in range(0, len(rows), 100_000):
                bulk_insert(table.table, table.columns, rows[start:start + 100_000])
    return {m._meta.model_name: len(tab.rows) for m, tab in t.items()}


def median_ms(fn, calls: int, before=None) -> tuple[float, float]:
    """(median wall-clock ms, median CPU ms of this process) over `calls` calls after one warm-up call; `before`, when
    given, runs untimed before each call."""
    fn()
    times, cpu = [], []
    for _ in range(calls):
        if before:
            before()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(times), statistics.median(cpu)


PROPOSED = [  # (name, table, columns): further indexes timed last with --indexes (experiments only; the metrics' covering
    # indexes enrolment_metrics_cover and employment_metrics_cover come with the migrations)
    ("bench_status_cover", "registry_enrolmentstatus", "enrolment_id, status, valid_from, valid_to"),
    ("bench_capacity_cover", "relocation_labourcapacity", "capacity, person_id"),
]

def run_bench(n_persons: int, calls: int, indexes: bool) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import demo_division_rows
    from anju.divisions.models import Division, Level
    from anju.divisions.services import divisions_load
    from anju.relocation.models import Employment, MetricSegment
    from anju.relocation.selectors_metrics import metrics_total, relocation_metrics
    from anju.relocation.services.metric_facts import metric_facts_sync

    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; persons: {n_persons:,}")
    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    city = Division.objects.get(code="429900000000")
    clerk = user_create(actor=None, username="bench_city", role=ROLES["city_clerk"], entry_scope=city, view_scope=city,
                        password="Bench@2026pass", must_change_password=False)
    villages = sorted(Division.objects.filter(level=Level.VILLAGE, code__startswith="4299").values_list("code", flat=True))
    townships = sorted(Division.objects.filter(level=Level.TOWNSHIP, code__startswith="4299").values_list("code", flat=True))

    started = time.perf_counter()
    built = build(n_persons, villages, townships)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in ("registry_household", "registry_person", "registry_membership", "registry_enrolment", "relocation_site"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    built_in = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    started = time.perf_counter()
    persons_rebuilt = metric_facts_sync()  # the triggers queued every person the build wrote: one full rebuild
    facts_in = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print("setup: " + ", ".join(f"{n:,} {name}" for name, n in built.items()) + f" in {built_in:.1f} s")
    print(f"metric facts: {MetricSegment.objects.count():,} segments of {persons_rebuilt:,} persons rebuilt in {facts_in:.1f} s")

    rows = relocation_metrics(actor=clerk, as_of=AS_OF)
    total = metrics_total(rows)
    rate = total["employment_rate"]
    print(f"city as of {AS_OF}: {total['households']:,} households, {total['persons']:,} persons, {total['labour_households']:,} with labour, "
          f"{total['labour_households_employed']:,} of them with someone employed ({rate:.2%}), {total['monitored_households']:,} monitored, "
          f"welfare {total['welfare_households']:,}, per-capita income {total['per_capita_income_fen'] / 100:,.2f} yuan")
    township_rows = relocation_metrics(actor=clerk, as_of=AS_OF, by="township")
    busiest = max(township_rows, key=lambda r: r["persons"])
    print(f"township scope: {busiest['name']} ({busiest['prefix']}), {busiest['persons']:,} persons")
    print()

    def floor_enrolments():
        with connection.cursor() as cur:
            cur.execute("SELECT SUBSTR(division_code, 1, 6), COUNT(*) FROM registry_enrolment WHERE program = 'relocation' GROUP BY 1")
            cur.fetchall()

    def floor_population():
        with connection.cursor() as cur:
            cur.execute("SELECT SUBSTR(e.division_code, 1, 6), COUNT(*) FROM registry_enrolment e WHERE e.program = 'relocation' AND EXISTS "
                        "(SELECT 1 FROM registry_enrolmentstatus s WHERE s.enrolment_id = e.id AND s.status = 'active' AND s.valid_from <= %s "
                        "AND (s.valid_to IS NULL OR s.valid_to > %s)) GROUP BY 1", [AS_OF, AS_OF])
            cur.fetchall()

    def metrics(**kw):
        return lambda: relocation_metrics(actor=clerk, as_of=AS_OF, **kw)

    spell_ids = list(Employment.objects.order_by("id").values_list("id", flat=True)[:5_000])
    changed = iter(range(10_000))

    def change_spells():  # untimed: 100 employment spells edited, the triggers queue their persons
        n = next(changed) % 50
        Employment.objects.filter(id__in=spell_ids[n * 100:(n + 1) * 100]).update(monthly_income_fen=n)

    steps = [("2a. by county (the target)", metrics(), TARGET_MS), ("2b. by site", metrics(by="site"), TARGET_MS),
             ("2c. by township", metrics(by="township"), TARGET_MS),
             ("2d. township scope, by site", metrics(scope=busiest["prefix"], by="site"), TARGET_MS),
             ("2e. by county after 100 spells changed", metrics(), TARGET_MS, change_spells)]
    results = [("1a. floor: enrolments per county", *median_ms(floor_enrolments, calls), None),
               ("1b. floor: population on the day per county", *median_ms(floor_population, calls), None)]
    results += [(label, *median_ms(fn, calls, *before), target) for label, fn, target, *before in steps]
    ok = all(ms < target for _l, ms, _c, target in results if target)
    if indexes:
        with connection.cursor() as cur:
            for name, table, columns in PROPOSED:
                cur.execute(f"CREATE INDEX {name} ON {table} ({columns})")
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        results += [(label.replace(". ", "i. ", 1) + ", indexes", *median_ms(fn, calls, *before), target)
                    for label, fn, target, *before in steps]

    floor = results[1][1]
    print(f"{'step':<44}{'median ms':>11}{'CPU ms':>9}{'× floor':>9}{'target':>10}")
    for label, ms, cpu, target in results:
        print(f"{label:<44}{ms:>11.1f}{cpu:>9.1f}{ms / floor:>9.1f}{'' if target is None else f'{target:.0f} ms':>10}")
    print("(× floor: against 1b; CPU ms: this process only — all of the work on SQLite, the client's share on PostgreSQL)")
    if indexes:
        print("indexes timed in the 'i' rows: " + "; ".join(f"{table} ({columns})" for _n, table, columns in PROPOSED))
    print()
    print(f"target: relocation_metrics under {TARGET_MS:.0f} ms — {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=None,
                        help="database (default: PostgreSQL when ANJU_DATABASE_URL names one, else SQLite)")
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=11, help="calls per timed step (median)")
    parser.add_argument("--indexes", action="store_true", help="also time with the proposed covering indexes")
    args = parser.parse_args()
    if args.db == "sqlite":
        os.environ.pop("ANJU_DATABASE_URL", None)
    elif args.db == "postgres" and not os.environ.get("ANJU_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        os.environ["ANJU_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/postgres"
    with scratch_environment(SCRATCH_DB):
        return run_bench(max(100, args.persons), max(1, args.calls), args.indexes)


if __name__ == "__main__":
    sys.exit(main())
