"""The follow-up metrics' derived facts (MetricSegment): per relocated person, the stretches of days on which they are in the
population (an `active` status period of their relocation enrolment) and employed in the same kinds, with their household,
site, division, birth date and labour capacity copied on. A day's metrics then read one table instead of joining the
enrolments, status periods, persons, capacities and employment spells of 200,000 persons (bench/relocation_metrics.py).

The database triggers of migration relocation.0005 queue every person whose facts may have changed (MetricDirty), whatever
wrote the change; `metric_facts_sync()` rebuilds the queued persons' rows and empties the queue. The metrics selector calls
it before each read, so a read never sees stale facts (the read after a change pays for rebuilding the changed persons:
~20 ms for 100, a few seconds for all 200,000); the demo calls it when it finishes.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max

from anju.core.bulk import bulk_insert
from anju.registry.models import Enrolment, EnrolmentStatus, Program, Status
from anju.relocation.models import KIND_SLOT_BITS, Employment, LabourCapacity, MetricDirty, MetricSegment, day_number
from anju.relocation.selectors_support import NOT_LABOUR_CAPACITIES

SLOTS = {kind: 1 << (KIND_SLOT_BITS * i) for i, kind in enumerate(Employment.Kind.values)}
CHUNK = 500  # persons per read (SQLite's bound parameters)
FULL_REBUILD = 20_000  # queued persons from which every row is rebuilt in one pass instead of person by person
_LOCK_KEY = 0x616E6A75  # 'anju': the PostgreSQL advisory lock serialising rebuilds
COLUMNS = ["person_id", "enrolment_id", "household_id", "site_id", "division_code", "birth_day", "able", "seg_from", "seg_to", "slots"]


def segments(periods: Iterable[tuple[dt.date, dt.date | None]], spells: Iterable[tuple[str, dt.date, dt.date | None]]
             ) -> list[tuple[dt.date, dt.date | None, int]]:
    """[(from, to, slots)]: the active periods [valid_from, valid_to) cut wherever the set of employment kinds changes.

    `spells` are (kind, started_on, ended_on) with ended_on inclusive (open when None); adjacent stretches with the same
    kinds are merged; a spell ending before it starts covers no day.
    """
    spans = []
    for kind, start, end in spells:
        stop = None if end is None else end + dt.timedelta(days=1)
        if stop is None or stop > start:
            spans.append((SLOTS[kind], start, stop))
    out: list[list] = []
    for begin, finish in sorted(periods, key=lambda p: p[0]):
        if finish is not None and finish <= begin:
            continue
        cuts = {begin}
        for _slot, start, stop in spans:
            for day in (start, stop):
                if day is not None and day > begin and (finish is None or day < finish):
                    cuts.add(day)
        cuts_sorted = sorted(cuts)
        for x, y in zip(cuts_sorted, [*cuts_sorted[1:], finish], strict=True):
            kinds = set()
            for slot, start, stop in spans:
                if start <= x and (stop is None or (y is not None and stop >= y)):
                    kinds.add(slot)
            slots = sum(kinds)
            if out and out[-1][1] == x and out[-1][2] == slots:
                out[-1][1] = y
            else:
                out.append([x, y, slots])
    return [tuple(s) for s in out]


def _rows(person_ids: list[int] | None) -> list[tuple]:
    """The facts of `person_ids` (None: every relocated person), as tuples in COLUMNS order. Each source is read whole, not
    through a server-side cursor, whose fast-start plans PostgreSQL may pick as nested loops over freshly loaded tables."""
    enrolments = Enrolment.objects.filter(program=Program.RELOCATION)
    statuses = EnrolmentStatus.objects.filter(status=Status.ACTIVE)
    capacities = LabourCapacity.objects.filter(capacity__in=NOT_LABOUR_CAPACITIES)
    employments = Employment.objects.all()
    if person_ids is not None:
        enrolments = enrolments.filter(person_id__in=person_ids)
        capacities = capacities.filter(person_id__in=person_ids)
        employments = employments.filter(person_id__in=person_ids)
    enrolled = list(enrolments.values_list("id", "person_id", "household_id", "site_id", "division_code", "person__birth_date"))
    if person_ids is None:
        statuses = statuses.filter(enrolment__program=Program.RELOCATION)
    else:  # by the enrolments' ids: an index probe each, where a join on the person would read every period
        statuses = statuses.filter(enrolment_id__in=[e[0] for e in enrolled])
    periods = defaultdict(list)
    for enrolment_id, start, end in statuses.values_list("enrolment_id", "valid_from", "valid_to"):
        periods[enrolment_id].append((start, end))
    not_able = set(capacities.values_list("person_id", flat=True))
    spells = defaultdict(list)
    for person_id, kind, start, end in employments.values_list("person_id", "kind", "started_on", "ended_on"):
        spells[person_id].append((kind, start, end))
    rows = []
    for eid, pid, hid, sid, division, birth in enrolled:
        able, birth_day = pid not in not_able, day_number(birth)
        for start, end, slots in segments(periods.get(eid, ()), spells.get(pid, ())):
            rows.append((pid, eid, hid, sid, division, birth_day, able, day_number(start), day_number(end), slots))
    return rows


def metric_facts_rebuild(person_ids: Iterable[int] | None = None) -> int:
    """Rebuild the facts of `person_ids` (None: all); returns the rows written. Runs in the caller's transaction or its own."""
    table = MetricSegment._meta.db_table
    written = 0
    with transaction.atomic():
        if person_ids is None:
            with connection.cursor() as cur:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 (model table name)
            return bulk_insert(table, COLUMNS, _rows(None))
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            MetricSegment.objects.filter(person_id__in=chunk)._raw_delete(connection.alias)
            written += bulk_insert(table, COLUMNS, _rows(chunk))
    return written


def metric_facts_sync() -> int:
    """Rebuild the facts of every queued person and empty the queue; returns the persons rebuilt (0 when none was queued).
    One rebuild at a time (a PostgreSQL advisory lock; SQLite has one writer anyway)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        top = MetricDirty.objects.aggregate(top=Max("id"))["top"]
        if top is None:
            return 0
        queued = MetricDirty.objects.filter(id__lte=top)
        persons = set(queued.values_list("person_id", flat=True).distinct())
        if len(persons) >= FULL_REBUILD:
            metric_facts_rebuild(None)
        else:
            metric_facts_rebuild(persons)
        queued._raw_delete(connection.alias)
    return len(persons)


_migration = importlib.import_module("anju.relocation.migrations.0005_metric_facts")
install = _migration.install  # the triggers, for tests that drop and restore them
remove = _migration.remove

__all__ = ["segments", "metric_facts_rebuild", "metric_facts_sync", "install", "remove", "SLOTS"]
