"""Benchmark of the division loader on the real NBS files (~45k divisions, 41k townships).

    .venv/bin/python bench/divisions_load.py [--data ../shared/data/divisions] [--repeat 3]

Without ANJU_DATABASE_URL it uses a fresh SQLite file in a temporary data directory. With a PostgreSQL URL it
creates its own scratch database (anju_bench) on that server and drops it afterwards. Steps, each the best of
--repeat runs:

1. floor: read and validate the CSV files only (read_division_dir), no database writes;
2. full load into an empty table (read + divisions_load: COPY on PostgreSQL, executemany on SQLite);
3. idempotent reload: the same files again, nothing changes;
4. the portable twin (bulk_create) for the same full load, for comparison with step 2.

Target: the full load (41k townships) in under 5 s.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from _scratch import scratch_environment  # noqa: E402 (bench/ is the script directory)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "divisions"
SCRATCH_DB = "anju_bench"
TARGET_SECONDS = 5.0


def empty_divisions() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE divisions_division CASCADE")
        else:
            cur.execute("DELETE FROM divisions_division")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE divisions_division")


def best_of(repeat: int, run: Callable[[], object], before: Callable[[], None] | None = None) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def run_bench(data: Path, repeat: int) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from anju.divisions import services
    from anju.divisions.models import Division, Level

    def load():
        return services.divisions_load(actor=None, rows=services.read_division_dir(data), source="bench")

    def load_portable():
        with mock.patch.object(services, "write_divisions", services.write_divisions_portable):
            return load()

    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    print(f"database: {connection.vendor} {version}; Python {platform.python_version()}; data: {data}; best of {repeat}")

    floor, rows = best_of(repeat, lambda: services.read_division_dir(data))
    n = len(rows)
    full, report = best_of(repeat, load, before=empty_divisions)
    townships = Division.objects.filter(level=Level.TOWNSHIP).count()
    assert report.inserted == n == Division.objects.count(), (report, n)
    again, report2 = best_of(repeat, load)
    assert (report2.inserted, report2.updated, report2.unchanged) == (0, 0, n), report2
    portable, report3 = best_of(repeat, load_portable, before=empty_divisions)
    assert report3.inserted == n == Division.objects.count(), (report3, n)

    print()
    print(f"{'step':<44}{'rows':>8}{'seconds':>10}{'rows/s':>11}{'× floor':>9}")
    for label, seconds in [
        ("1. floor: read + validate CSV (no writes)", floor),
        ("2. full load into empty table", full),
        ("3. idempotent reload (nothing changes)", again),
        ("4. full load, portable twin (bulk_create)", portable),
    ]:
        print(f"{label:<44}{n:>8}{seconds:>10.3f}{n / seconds:>11,.0f}{seconds / floor:>9.2f}")
    print()
    print(f"write part of the full load: fast path {full - floor:.3f} s, portable {portable - floor:.3f} s "
          f"({(portable - floor) / max(full - floor, 1e-9):.1f}×)")
    ok = full < TARGET_SECONDS and townships == report.per_level[Level.TOWNSHIP]
    print(f"target: {townships} townships loaded in {full:.2f} s (< {TARGET_SECONDS:.0f} s): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory with the NBS CSV files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is reported")
    args = parser.parse_args()
    data = args.data.resolve()
    if not data.is_dir():
        print(f"no division data at {data}", file=sys.stderr)
        return 2

    with scratch_environment(SCRATCH_DB):
        return run_bench(data, max(1, args.repeat))

if __name__ == "__main__":
    sys.exit(main())
