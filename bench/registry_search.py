"""Benchmark of person search at a million persons: by resident ID, by name prefix, by household number.

    .venv/bin/python bench/registry_search.py [--persons 1000000] [--queries 50]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory. With a PostgreSQL URL it
creates its own scratch database (anju_bench_search) on that server and drops it afterwards.

The population (persons, households of 1–6, memberships, reservoir enrolments with their status periods) is
built set-based over the demo city 清江市 (COPY on PostgreSQL, executemany on SQLite), then analysed. Each
query is what the search page does: `person_search` as a county clerk (白云县) and as a city clerk, then the
first page of 50 (with its household, village and enrolment look-ups) and the capped count. Reported: the
median, 90th percentile and maximum of --queries different queries of each kind. Target: median under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import time

from _scratch import scratch_environment

SCRATCH_DB = "anju_bench_search"
TARGET_MS = 50.0
CHUNK = 50_000
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
            "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰红梅志强德明文华海燕丹丹小红永红金凤春梅"
         "翠英淑珍光辉家明家宝子轩浩然欣怡梓涵诗琪宇航俊杰思远雨萱")
RELATIONS = ("户主", "配偶", "子", "女", "孙子", "孙女")


# --- building the population -------------------------------------------------------------------------

def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY on PostgreSQL, executemany on SQLite: the database's own bulk path."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def build_population(n_persons: int, seed: int = 20261122) -> dict:
    """Persons in households of 1–6 across the demo city's villages; returns samples for the queries."""
    from django.db import connection, transaction

    from anju.core.crypto import blind_index, encrypt
    from anju.core.masking import mask_resident_id
    from anju.divisions.models import Division, Level
    from anju.registry.resident_id import compose

    rng = random.Random(seed)
    villages = list(Division.objects.filter(code__startswith="4299", level=Level.VILLAGE).values_list("code", flat=True))
    now = dt.datetime.now(dt.UTC)
    if connection.vendor == "sqlite":
        now = now.replace(tzinfo=None)  # Django keeps naive UTC text in SQLite
    since = dt.date(2010, 1, 1)
    base_birth = dt.date(1935, 1, 1)
    samples: dict[str, list] = {"ids_county": [], "ids_city": [], "names_county": [], "names_city": [], "households_county": [],
                                "households_city": []}
    person_id = household_id = 0
    persons, households, members, enrolments, periods = [], [], [], [], []

    def flush():
        with transaction.atomic():
            insert_rows("registry_person", ("id", "name", "id_hash", "id_enc", "id_masked", "gender", "birth_date", "ethnicity", "phone",
                                            "division_code", "created_at", "updated_at"), persons)
            insert_rows("registry_household", ("id", "number", "county_code", "division_code", "address", "head_id", "created_at",
                                               "updated_at"), households)
            insert_rows("registry_membership", ("person_id", "household_id", "relation", "valid_from"), members)
            insert_rows("registry_enrolment", ("id", "person_id", "household_id", "program", "division_code", "status", "status_since",
                                               "enrolled_on", "origin", "category", "support_mode", "bank_name", "bank_account_enc",
                                               "bank_account_hash", "bank_account_masked", "placement", "area_type", "created_at",
                                               "updated_at"), enrolments)
            insert_rows("registry_enrolmentstatus", ("enrolment_id", "status", "valid_from", "cause", "note"), periods)
        for rows in (persons, households, members, enrolments, periods):
            rows.clear()

    while person_id < n_persons:
        household_id += 1
        village = rng.choice(villages)
        number = f"H{household_id:08d}"
        size = min(rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5, 6)), n_persons - person_id)
        surname = rng.choice(SURNAMES)
        head = person_id + 1
        households.append((household_id, number, village[:6], village, "", head, now, now))
        for k in range(size):
            person_id += 1
            birth_index, sequence = divmod(person_id, 900)  # unique (birth date, sequence) for every person
            birth = base_birth + dt.timedelta(days=birth_index % 27000)
            number_id = compose(village[:6], birth, sequence + 1)
            name = (surname if k != 1 else rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            persons.append((person_id, name, blind_index(number_id), encrypt(number_id), mask_resident_id(number_id),
                            "M" if int(number_id[16]) % 2 else "F", birth, "汉族", "", village, now, now))
            members.append((person_id, household_id, RELATIONS[min(k, 5)], since))
            enrolments.append((person_id, person_id, household_id, "reservoir", village, "active", since, since, "库区", "original",
                               "direct", "", "", "", "", "", "", now, now))
            periods.append((person_id, "active", since, "", ""))
            scope = "county" if village.startswith("429921") else "city"
            if rng.random() < 0.01:
                for kind, value in (("ids", number_id), ("names", name[:2])):
                    samples[f"{kind}_{scope}"].append(value)
                samples[f"households_{scope}"].append(number)
        if len(persons) >= CHUNK:
            flush()
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in ("registry_person", "registry_household", "registry_membership", "registry_enrolment", "registry_enrolmentstatus"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                cur.execute(f"VACUUM ANALYZE {table}")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"persons": person_id, "households": household_id, "samples": samples, "rng": rng}


# --- timing ------------------------------------------------------------------------------------------

def run_query(actor, q: str) -> int:
    from anju.registry.selectors import person_search

    results = person_search(actor=actor, q=q)
    page = results[0:50]
    results.count()
    return len(page)


def time_queries(actor, queries: list[str]) -> tuple[list[float], float]:
    run_query(actor, queries[0])  # warm the connection and caches once
    times, found = [], 0
    for q in queries:
        started = time.perf_counter()
        found += run_query(actor, q)
        times.append((time.perf_counter() - started) * 1000)
    return times, found / len(queries)


def run_bench(n_persons: int, n_queries: int) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import demo_division_rows
    from anju.divisions.models import Division
    from anju.divisions.services import divisions_load

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    county = Division.objects.get(code="429921000000")
    city = Division.objects.get(code="429900000000")
    actors = {
        "county 白云县": user_create(actor=None, username="bench_county", role=ROLES["county_clerk"], entry_scope=county,
                                  password="Bench@2026pass", must_change_password=False),
        "city 清江市": user_create(actor=None, username="bench_city", role=ROLES["city_clerk"], entry_scope=city,
                                password="Bench@2026pass", must_change_password=False),
    }
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; {n_queries} queries per row")

    started = time.perf_counter()
    built = build_population(n_persons, seed=20261122)
    took = time.perf_counter() - started
    print(f"built {built['persons']:,} persons in {built['households']:,} households (+ memberships, enrolments, status periods) "
          f"in {took:.1f} s ({built['persons'] / took:,.0f} persons/s)")

    samples, rng = built["samples"], built["rng"]
    rows = []
    for kind, label in (("ids", "resident ID (18 digits)"), ("ids15", "resident ID (lowercase x / 15 digits)"),
                        ("names", "name prefix (surname + 1 char)"), ("surname", "name prefix (surname only)"),
                        ("households", "household number")):
        for scope_label, actor in actors.items():
            scope = "county" if scope_label.startswith("county") else "city"
            pool = samples[f"{'ids' if kind == 'ids15' else 'names' if kind == 'surname' else kind}_{scope}"]
            if scope == "city":  # the city clerk looks for anybody in the city
                pool = pool + samples[f"{'ids' if kind == 'ids15' else 'names' if kind == 'surname' else kind}_county"]
            queries = rng.sample(pool, min(n_queries, len(pool)))
            if kind == "ids15":
                queries = [q[:6] + q[8:17] if q[6:8] == "19" and not q.endswith("X") else q.lower() for q in queries]
            if kind == "surname":
                queries = [q[0] for q in queries]
            times, found = time_queries(actor, queries)
            rows.append((label, scope_label, statistics.median(times), sorted(times)[int(len(times) * 0.9) - 1], max(times), found))

    print()
    print(f"{'query':<40}{'scope':<14}{'median ms':>10}{'p90 ms':>9}{'max ms':>9}{'rows':>7}")
    for label, scope, median, p90, worst, found in rows:
        print(f"{label:<40}{scope:<14}{median:>10.2f}{p90:>9.2f}{worst:>9.2f}{found:>7.1f}")
    ok = all(median < TARGET_MS for _l, _s, median, *_ in rows)
    print()
    print(f"target: every median under {TARGET_MS:.0f} ms at {built['persons']:,} persons: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50, help="different queries of each kind; the median is reported")
    args = parser.parse_args()

    with scratch_environment(SCRATCH_DB):
        return run_bench(max(1, args.persons), max(1, args.queries))

if __name__ == "__main__":
    sys.exit(main())
