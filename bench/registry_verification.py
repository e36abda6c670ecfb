"""Benchmark of the annual verification (年度核定) at county scale: snapshot + diff + counts of N persons.

    .venv/bin/python bench/registry_verification.py [--persons 1000000] [--no-guard]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory. With a PostgreSQL URL it
creates its own scratch database (anju_bench_ver) on that server and drops it afterwards.

Setup (not timed as part of the target): the demo divisions; N persons of one county (白云县 429921) in households
of four, written set-based (COPY on PostgreSQL, executemany on SQLite) with memberships, enrolments and status
periods; ~2% of them removed during the following year (status periods), ~2% added in that year, so the
following year's roster is again about N. The database triggers that guard locked snapshots are installed
(as the migration will), unless --no-guard.

Timed steps:
1. last year's verification (snapshot + counts, nothing to compare with), then county and city sign-off (locked);
2. ~1% of persons get a corrected name or a new bank account (set-based UPDATE, not timed);
3. this year's verification: snapshot + diff against the locked year (~2% 新增, ~2% 核减, ~1% 变更) + counts — the target;
4. the same verification re-run (a draft is rebuilt: delete + snapshot + diff + counts).

Target: step 3 under 30 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import time

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

SCRATCH_DB = "anju_bench_ver"
TARGET_SECONDS = 30.0
COUNTY = "429921"
YEAR = 2025
CHUNK = 50_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红建国志文庆海燕春梅冬德永金凤家宝"
RELATIONS = ["户主", "配偶", "子", "女"]


# --- set-based data ---------------------------------------------------------------------------------------------

PERSON_COLS = ["id", "name", "id_hash", "id_enc", "id_masked", "gender", "birth_date", "ethnicity", "phone", "division_code",
               "created_at", "updated_at"]
HOUSEHOLD_COLS = ["id", "number", "county_code", "division_code", "address", "head_id", "created_at", "updated_at"]
MEMBERSHIP_COLS = ["id", "person_id", "household_id", "relation", "valid_from", "valid_to"]
ENROLMENT_COLS = ["id", "person_id", "household_id", "program", "division_code", "status", "status_since", "enrolled_on", "reservoir_id",
                  "move_date", "origin", "category", "support_mode", "support_start", "support_end", "bank_name", "bank_account_enc",
                  "bank_account_hash", "bank_account_masked", "poverty_registered", "relocation_year", "placement", "area_type",
                  "housing_area", "site_id", "created_at", "updated_at"]
STATUS_COLS = ["id", "enrolment_id", "status", "valid_from", "valid_to", "cause", "note", "request_id"]


class Writer:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite (the same tuples either way)."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def write(self, table: str, cols: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            with self.connection.connection.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(cols))
            self.connection.ensure_connection()
            self.connection.connection.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def build_population(n: int, villages: list[str], reservoir_id: int, writer: Writer) -> dict:
    """N base persons active since 2010; 2% removed in YEAR, 2% more enrolled in YEAR (person ids N+1 …)."""
    # Dates as ISO text, as both databases store them (SQLite's default datetime adapter is slow per value).
    now = "2025-01-01 00:00:00+00:00" if writer.pg else "2025-01-01 00:00:00"
    since, removal_on, added_on = "2010-01-01", f"{YEAR}-07-01", f"{YEAR}-05-01"
    moved, support_end = "2008-03-01", "2028-02-29"
    added = n // 50
    total = n + added
    removed = 0
    status_id = 0
    for start in range(0, total, CHUNK):
        persons, households, members, enrolments, periods = [], [], [], [], []
        for i in range(start, min(start + CHUNK, total)):
            pid = i + 1
            hid = i // 4 + 1
            village = villages[hid % len(villages)]
            new = i >= n
            name = SURNAMES[(hid * 7) % len(SURNAMES)] + GIVEN[(i * 13) % len(GIVEN)] + GIVEN[(i * 31) % len(GIVEN)]
            digest = hashlib.sha256(f"bench-{pid}".encode()).hexdigest()
            persons.append((pid, name, digest, "", f"429***********{pid % 10000:04d}", "M" if i % 2 == 0 else "F",
                            f"{1940 + i % 70}-{1 + i % 12:02d}-{1 + i % 28:02d}", "汉族", "", village, now, now))
            if i % 4 == 0:
                households.append((hid, f"H{hid:07d}", COUNTY, village, "", None, now, now))
            start_on = added_on if new else since
            members.append((pid, pid, hid, RELATIONS[i % 4], start_on, None))
            direct = i % 5 != 0
            bank = hashlib.sha256(f"bank-{pid}".encode()).hexdigest() if direct else ""
            enrolments.append((pid, pid, hid, "reservoir", village, "active", start_on, start_on, reservoir_id, moved, "库区",
                               "original" if i % 3 else "current", "direct" if direct else "project", moved,
                               support_end, "农商银行" if direct else "", "", bank, "6217********4567" if direct else "",
                               None, None, "", "", None, None, now, now))
            status_id += 1
            if not new and i % 50 == 17:  # removed in YEAR: the active period ends, a removal period begins
                removed += 1
                periods.append((status_id, pid, "active", since, removal_on, "", "", None))
                status_id += 1
                periods.append((status_id, pid, "removed", removal_on, None, "death" if i % 3 else "public_employment", "", None))
            else:
                periods.append((status_id, pid, "active", start_on, None, "", "", None))
        writer.write("registry_person", PERSON_COLS, persons)
        writer.write("registry_household", HOUSEHOLD_COLS, households)
        writer.write("registry_membership", MEMBERSHIP_COLS, members)
        writer.write("registry_enrolment", ENROLMENT_COLS, enrolments)
        writer.write("registry_enrolmentstatus", STATUS_COLS, periods)
    return {"base": n, "added": added, "removed": removed, "persons": total, "households": (total + 3) // 4, "periods": status_id}


def change_fields(connection, n: int) -> int:
    """~1% corrected names and new bank accounts after last year's snapshot (set-based)."""
    with connection.cursor() as cur:
        cur.execute("UPDATE registry_person SET name = name || '改' WHERE id <= %s AND id %% 200 = 3", [n])
        names = cur.rowcount
        cur.execute("UPDATE registry_enrolment SET bank_account_hash = 'x' || SUBSTR(bank_account_hash, 2) WHERE id <= %s AND id %% 200 = 8 "
                    "AND bank_account_hash <> ''", [n])
        return names + cur.rowcount


def analyze(connection) -> None:
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def reset_sequences(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for table in ("registry_person", "registry_household", "registry_membership", "registry_enrolment", "registry_enrolmentstatus"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


class Steps:
    """Records when a run reports each stage (snapshot at 5 %, diff at 60 %, counts at 85 %, done at 100 %)."""

    def __init__(self):
        self.marks: dict[int, float] = {}

    def __call__(self, percent: int, message: str = "") -> None:
        self.marks.setdefault(percent, time.perf_counter())

    def split(self, started: float) -> dict[str, float]:
        m = self.marks
        return {"snapshot": m[60] - m[5], "diff": m[85] - m[60], "counts + commit": m[100] - m[85], "prepare": m[5] - started}


def run_bench(n: int, guard: bool) -> int:
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
    from anju.registry.models import Reservoir, VerificationChange
    from anju.registry.services import verification as svc

    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; persons: {n:,}; guard triggers: {guard}")

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    county = Division.objects.get(code=COUNTY.ljust(12, "0"))
    villages = sorted(Division.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY).values_list("code", flat=True))

    def user(role: str, scope: Division, name: str):
        return user_create(actor=None, username=name, role=ROLES[role], entry_scope=scope, view_scope=scope, password="Bench@2026pass",
                           must_change_password=False)

    clerk, reviewer = user("county_clerk", county, "bench_clerk"), user("county_reviewer", county, "bench_reviewer")
    city = user("city_admin", Division.objects.get(code="429900000000"), "bench_city")
    reservoir = Reservoir.objects.create(code="RB429921", name="白云水库", scale="medium", division_code=county.code)
    if guard:
        svc.install_verification_guard(connection)

    started = time.perf_counter()
    with transaction.atomic():
        built = build_population(n, villages, reservoir.pk, Writer(connection))
    reset_sequences(connection)
    analyze(connection)
    setup = time.perf_counter() - started
    print(f"setup: {built['persons']:,} persons in {built['households']:,} households of {len(villages)} villages, "
          f"{built['periods']:,} status periods; {built['removed']:,} removed and {built['added']:,} added in {YEAR}: {setup:.1f} s")

    rows = []
    steps = Steps()
    t0 = time.perf_counter()
    last = svc.verification_run(actor=clerk, year=YEAR - 1, program="reservoir", county_code=COUNTY, progress=steps)
    t_last = time.perf_counter() - t0
    rows.append((f"1. {YEAR - 1} verification (no previous)", last.counts["total"], t_last, steps.split(t0)))
    last = svc.verification_sign_county(actor=reviewer, verification=last)
    last = svc.verification_sign_city(actor=city, verification=last)
    changed = change_fields(connection, n)
    analyze(connection)

    steps = Steps()
    t0 = time.perf_counter()
    v = svc.verification_run(actor=clerk, year=YEAR, program="reservoir", county_code=COUNTY, progress=steps)
    t_run = time.perf_counter() - t0
    rows.append((f"3. {YEAR} verification (the target)", v.counts["total"], t_run, steps.split(t0)))

    steps = Steps()
    t0 = time.perf_counter()
    v = svc.verification_run(actor=clerk, year=YEAR, program="reservoir", county_code=COUNTY, progress=steps)
    t_rerun = time.perf_counter() - t0
    rows.append((f"4. {YEAR} re-run of the draft", v.counts["total"], t_rerun, steps.split(t0)))

    c = v.counts
    kinds = {k: VerificationChange.objects.filter(verification=v, kind=k).count() for k in ("added", "removed", "changed")}
    assert (c["added"], c["removed"], c["changed"]) == (kinds["added"], kinds["removed"], kinds["changed"]), (c, kinds)
    assert c["added"] == built["added"] and c["removed"] == built["removed"], (c, built)
    assert c["total"] == c["previous_total"] + c["added"] - c["removed"], c
    assert c["changed"] == changed, (c["changed"], changed)

    print(f"{YEAR}: previous {c['previous_total']:,}, 新增 {c['added']:,}, 核减 {c['removed']:,}, 变更 {c['changed']:,}, "
          f"本年 {c['total']:,} in {len(c['villages'])} villages / {len(c['townships'])} townships")
    print()
    print(f"{'step':<40}{'persons':>11}{'seconds':>9}{'snapshot':>10}{'diff':>8}{'counts':>8}{'persons/s':>12}")
    for label, count, seconds, split in rows:
        print(f"{label:<40}{count:>11,}{seconds:>9.2f}{split['snapshot']:>10.2f}{split['diff']:>8.2f}{split['counts + commit']:>8.2f}"
              f"{count / seconds:>12,.0f}")
    ok = t_run < TARGET_SECONDS
    print()
    print(f"target: {YEAR} verification of {c['total']:,} persons in {t_run:.2f} s (< {TARGET_SECONDS:.0f} s): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons on the roster (default 1,000,000)")
    parser.add_argument("--no-guard", action="store_true", help="without the triggers that guard locked snapshots")
    args = parser.parse_args()

    with scratch_environment(SCRATCH_DB):
        return run_bench(max(100, args.persons), guard=not args.no_guard)

if __name__ == "__main__":
    sys.exit(main())
