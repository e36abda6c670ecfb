"""Set-based writes for bulk paths: id allocation and row insertion (COPY on PostgreSQL, executemany elsewhere).

Both functions must run inside the caller's transaction. On SQLite the project opens transactions with
BEGIN IMMEDIATE, so the write lock is held from the start and max(id) cannot move under us.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection
from django.utils import timezone


def allocate_ids(table: str, count: int) -> range:
    """Reserve `count` consecutive primary keys of `table` for rows the caller is about to insert."""
    if count <= 0:
        return range(0)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One setval under a table lock keeps the block contiguous even with concurrent inserts elsewhere.
            cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608 (table names are ours)
            cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
            sequence = cur.fetchone()[0]
            cur.execute(f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), "  # noqa: S608
                        f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}))")
            start = cur.fetchone()[0] + 1
            cur.execute("SELECT setval(%s, %s, true)", [sequence, start + count - 1])
        else:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            start = cur.fetchone()[0] + 1
    return range(start, start + count)


def db_value():
    """A converter to the driver-native form `bulk_insert(..., native=True)` expects: ISO text for dates and times on SQLite."""
    return _sqlite_value if connection.vendor == "sqlite" else _same


def _same(value):
    return value


def db_date():
    """A faster `db_value()` for values known to be a date or None."""
    return _sqlite_date if connection.vendor == "sqlite" else _same


def _sqlite_date(value):
    return None if value is None else value.isoformat()


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, native: bool = False) -> int:
    """Insert rows (tuples in `columns` order) with COPY on PostgreSQL and executemany elsewhere.

    With `native`, the rows already hold what the driver stores (dates converted with `db_value()`), which saves a
    pass over every value on SQLite.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.connection.cursor() as raw, raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # The driver's own cursor: Django's wrapper re-adapts every parameter in Python, which costs more than the insert.
            marks = ", ".join(["?"] * len(columns))
            raw = cur.connection.cursor()
            try:
                raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                                rows if native else [tuple(map(_sqlite_value, row)) for row in rows])
            finally:
                raw.close()
    return len(rows)


def _sqlite_value(value):
    """What Django would store for a value on SQLite: ISO text for dates and times, text for decimals."""
    if isinstance(value, (dt.date, dt.datetime)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = timezone.make_naive(value, dt.UTC)
        return value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def bulk_update(table: str, key: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """UPDATE table SET columns... WHERE key = last value of each row tuple."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    sets = ", ".join(f"{c} = %s" for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s", rows)  # noqa: S608
    return len(rows)
