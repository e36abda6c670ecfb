"""Benchmark of the relocation department-list imports against the registry's roster import, measured in the same run.

    .venv/bin/python bench/relocation_imports.py [--persons 24000] [--rows 20000]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory; with a PostgreSQL URL it creates
its own scratch database (anju_bench_relocation_imports) on that server and drops it afterwards. Steps:

1. generate a relocation roster CSV of N persons in the standard template (not timed) and import it with the
   registry's import (full validation) — the registry's rows/s, the reference;
2. an employment list (人社) of M rows for M of those persons, CSV in the department's headers, imported into empty
   tables (resident-ID check and blind index, matching in the population, kinds, dates, amounts, natural keys,
   COPY/executemany, signals) — rows/s; then the same file again (every row unchanged);
3. a medical-cost list (医保) of M rows the same way (one in ten above the high-cost line: a RiskSignal each).

Target (issue 7): “imports as fast as the registry's”: each first import's rows/s ≥ the registry import's.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import random
import sys
import time
from pathlib import Path

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

SCRATCH_DB = "anju_bench_relocation_imports"
TODAY = dt.date.today()


def setup_world():
    from anju.accounts.models import User
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.demo import demo_division_rows
    from anju.divisions.models import Division
    from anju.divisions.services import divisions_load

    divisions_load(actor=None, rows=demo_division_rows(), source="bench")
    return User.objects.filter(username="bench").first() or user_create(
        actor=None, username="bench", role=ROLES["city_clerk"], entry_scope=Division.objects.get(code="429900000000"), view_scope=None,
        password="Bench@2026anju!", full_name="bench", must_change_password=False)


def write_roster(path: Path, persons: int) -> list[str]:
    """The roster CSV; returns the resident IDs in file order."""
    from anju.divisions.models import Division, Level
    from anju.registry.roster import RELOCATION_SPEC
    from anju.registry.synthetic import Village, relocation_rows

    names = dict(Division.objects.values_list("code", "name"))
    villages = [Village(names[c[:6].ljust(12, "0")], names[c[:9].ljust(12, "0")], n, c)
                for c, n in Division.objects.filter(level=Level.VILLAGE, code__startswith="4299").values_list("code", "name")]
    ids = []
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.label for f in RELOCATION_SPEC.fields])
        for row in relocation_rows(seed=2026, n_persons=persons, villages=villages, sites={}, today=TODAY):
            writer.writerow(row)
            ids.append(row[5])
    return ids


def write_employment(path: Path, ids: list[str], rows: int) -> None:
    rng = random.Random(7)  # noqa: S311 (made-up data)
    kinds = ["县内务工", "县外省内务工", "省外务工", "公益性岗位", "扶贫车间", "自主创业", "灵活就业"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "姓名", "公民身份号码", "就业类型", "务工单位", "务工地点", "就业时间", "结束日期", "月收入（元）"])
        for n, rid in enumerate(ids[:rows], start=1):
            start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(600))
            end = (start + dt.timedelta(days=rng.randrange(30, 400))) if rng.random() < 0.2 else None
            end = end if end and end < TODAY else None
            writer.writerow([n, "", rid, rng.choice(kinds), f"某某公司{rng.randrange(500)}", "白云县城关镇", start.isoformat(),
                             end.isoformat() if end else "", f"{rng.randrange(1200, 6000)}.{rng.randrange(100):02d}"])


def write_medical(path: Path, ids: list[str], rows: int) -> None:
    rng = random.Random(8)  # noqa: S311
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号码", "结算年度", "医疗总费用（元）", "合规自付费用（元）"])
        for rid in ids[:rows]:
            total = rng.randrange(100, 80_000)
            high = rng.random() < 0.1
            oop = rng.randrange(10_001, 20_000) if high else rng.randrange(0, min(total, 9_000) + 1)
            writer.writerow(["", rid, TODAY.year - 1, max(total, oop), oop])


def run(args, work: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    user = setup_world()
    from anju.registry.services.imports import registry_import
    from anju.relocation.models import RiskSignal
    from anju.relocation.services.imports import relocation_import

    roster, employment, medical = work / "roster.csv", work / "employment.csv", work / "medical.csv"
    print(f"generating a roster of {args.persons:,} persons and lists of {args.rows:,} rows …", flush=True)
    ids = write_roster(roster, args.persons)
    assert len(ids) >= args.rows, "the roster must hold at least --rows persons"
    write_employment(employment, ids, args.rows)
    write_medical(medical, ids, args.rows)
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}")

    def timed(fn, **kw):
        started = time.perf_counter()
        report = fn(actor=user, **kw)
        return time.perf_counter() - started, report

    reg_s, reg = timed(registry_import, program="relocation", source=roster, filename=roster.name)
    assert reg.imported == args.persons and reg.rejected == 0, reg.as_dict()
    results = [("registry: relocation roster (reference)", args.persons, reg_s)]
    ok = True
    for kind, path in (("employment", employment), ("medical", medical)):
        first_s, first = timed(relocation_import, kind=kind, source=path, filename=path.name)
        assert (first.imported, first.rejected) == (args.rows, 0), first.as_dict()["errors"][:3]
        again_s, again = timed(relocation_import, kind=kind, source=path, filename=path.name)
        assert again.unchanged == args.rows and again.signals == 0, again.as_dict()
        results.append((f"{kind}: first import ({first.signals:,} signals)", args.rows, first_s))
        results.append((f"{kind}: same file again (all unchanged)", args.rows, again_s))
        ok &= args.rows / first_s >= args.persons / reg_s
    assert RiskSignal.objects.filter(kind="medical").count() > 0

    reference = args.persons / reg_s
    print()
    print(f"{'step':<52}{'rows':>10}{'seconds':>10}{'rows/s':>11}{'vs registry':>13}")
    for label, n, seconds in results:
        print(f"{label:<52}{n:>10,}{seconds:>10.2f}{n / seconds:>11,.0f}{(n / seconds) / reference:>12.2f}×")
    print()
    print(f"target: each first import ≥ the registry's rows/s ({reference:,.0f}): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=24_000)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with scratch_environment(SCRATCH_DB) as work:
        return run(args, work)


if __name__ == "__main__":
    sys.exit(main())
