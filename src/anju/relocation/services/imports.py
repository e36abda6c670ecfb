"""Relocation imports: department lists (employment, 低保/特困, medical costs) and the training, insurance and income
lists from Excel/CSV, matched to the relocated population by resident ID, set-based and idempotent.

read (the import engine: title rows, header variants, merged cells, zip-bomb checks) → parse every cell in one Python
pass (resident IDs checked and turned into their blind index) → inside one transaction: find the persons the file
names in the relocated population of the actor's entry scope (a few set queries), load what is stored for them, apply
the rules row by row in file order → one ImportBatch row → write with `anju.core.bulk` (COPY on PostgreSQL,
executemany on SQLite) → the 防返贫 warning signals the kind raises → one audit event.

Rows read = imported + updated + unchanged + rejected. In all-or-nothing mode (the default) any rejected row means
nothing is written. Re-importing a file changes nothing: each kind has a natural key (see `imports_kinds.py`) and an
existing record is updated only where the file gives a different value (an empty cell never clears a stored one).

The relocated population is the one of the import day: persons with a relocation enrolment whose `active` status
period covers today, in households under the actor's entry scope. A person outside it — unknown, not relocated, no
longer active, or in another division — is one row error, the same for each, so an import does not tell whether a
resident ID exists elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from django.db import connection, models
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.bulk import allocate_ids, bulk_insert, db_date, db_value
from anju.core.crypto import blind_index
from anju.core.masking import mask_resident_id
from anju.imports.kinds import ALL_OR_NOTHING, VALID_ONLY, ImportArea, KindReport, Progress  # noqa: F401  (VALID_ONLY: kept importable)
from anju.imports.values import parse_text
from anju.projects.services.imports import KindImport, Row, chunks
from anju.registry.resident_id import ResidentIdError, division_regions
from anju.registry.resident_id import parse as parse_resident_id
from anju.relocation.imports import EXAMPLE_ROWS, KIND_BY_TEMPLATE, KIND_LABELS, KINDS, SPECS, TEMPLATE_NOTES

MAX_WARNINGS = 200
CHUNK = 900  # values per IN (...) list: under SQLite's 999 parameters with a few before them

MSG_KIND = gettext_lazy("未知的导入类型：%(kind)s（应为 employment、welfare、medical、training、insurance 或 income）")
MSG_NOT_RELOCATED = gettext_lazy("身份证号 %(id)s 不是本辖区搬迁人口")
MSG_NAME_DIFFERS = gettext_lazy("第 %(row)s 行：姓名“%(name)s”与身份证号 %(id)s 登记的姓名不同，已按身份证号导入")
MSG_SIGNALS = gettext_lazy("；新增防返贫风险预警 %(n)s 条")


@dataclass
class RelocationImportReport(KindReport):
    """The shared summary plus the 防返贫 warning signals the import raised."""

    EXTRA: ClassVar[str] = "signals"
    signals: int = 0

    def extra_message(self) -> str:
        return str(MSG_SIGNALS % {"n": self.signals}) if self.signals else ""


# The area: every kind behind RELOCATION_EDIT; the audit names the kind (`relocation.welfare.imported`).
AREA = ImportArea(name="relocation", kinds=KINDS, specs=SPECS, labels=KIND_LABELS, by_template=KIND_BY_TEMPLATE, example_rows=EXAMPLE_ROWS,
                  template_notes=TEMPLATE_NOTES, kind_perms=dict.fromkeys(KINDS, Perm.RELOCATION_EDIT), view_perm=Perm.RELOCATION_VIEW,
                  msg_kind=MSG_KIND, report=RelocationImportReport, kind_classes="anju.relocation.services.imports_kinds",
                  job_kind="relocation.import", url_ns="relocation_imports")
importable_kinds = AREA.importable_kinds
require_importer = AREA.require_importer
check_import_kind = AREA.check_kind


def select_in(sql: str, values: list, *, before: tuple = ()) -> list[tuple]:
    """Rows of `sql` whose one `{}` is a membership test against `values` (`before`: the parameters ahead of it).

    Raw SQL: Django's IN lookup prepares every value in Python, which costs more than the query for lists of thousands.
    PostgreSQL gets one array parameter (`= ANY(%s)`: planned once, whatever the length); SQLite IN lists in chunks
    under its 999-parameter limit."""
    out: list[tuple] = []
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        for part in chunks(values, 50_000 if postgres else CHUNK):
            test = "= ANY(%s)" if postgres else "IN ({})".format(", ".join(["%s"] * len(part)))
            cur.execute(sql.format(test), [*before, part] if postgres else [*before, *part])
            out += cur.fetchall()
    return out


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert dicts (field name or attname → value, the same keys in each) in bulk with fresh ids; returns the ids.

    Only date and time columns go through the driver conversion (once per distinct value: a batch shares one
    timestamp), which `anju.projects.services.imports.insert_rows` applies to every value."""
    if not rows:
        return []
    meta = model._meta
    names = list(rows[0])
    fields = [meta.get_field(n) for n in names]
    quote = connection.ops.quote_name
    columns = [quote("id"), *[quote(f.column) for f in fields]]
    convert = db_value()
    timed = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]  # DateTimeField is a DateField
    cache: dict = {}

    def native(value):
        if value not in cache:
            cache[value] = convert(value)
        return cache[value]

    ids = list(allocate_ids(meta.db_table, len(rows)))
    out = []
    for pk, r in zip(ids, rows, strict=True):
        values = [r[n] for n in names]
        for i in timed:
            values[i] = native(values[i])
        out.append((pk, *values))
    bulk_insert(meta.db_table, columns, out, native=True)
    return ids


def relocated_population(hashes, *, on: dt.date) -> dict[str, dict]:
    """Resident-ID blind index → the person in the relocated population on `on` (any scope: the caller tells
    out-of-scope ones apart): person id, name, household id and the household's division code."""
    from anju.registry.models import Program, Status

    day = db_date()(on)
    # Simple indexed look-ups, one table at a time (persons by the unique id_hash, their relocation enrolment by
    # person, its status periods by enrolment, households by id): a join planned from the enrolment or status side —
    # as PostgreSQL does on tables freshly filled and not yet analysed — scans every row once per chunk.
    persons = {pk: (id_hash, name) for pk, id_hash, name in select_in(
        "SELECT id, id_hash, name FROM registry_person WHERE id_hash {}", sorted(hashes))}
    # The program is tested here, not in SQL: with it there, PostgreSQL may prefer the (program, division) index.
    enrolments = {pk: (person_id, household_id) for pk, person_id, household_id, program in select_in(
        "SELECT id, person_id, household_id, program FROM registry_enrolment WHERE person_id {}", sorted(persons))
        if program == Program.RELOCATION}
    active = {pk for (pk,) in select_in(
        "SELECT enrolment_id FROM registry_enrolmentstatus WHERE status = %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) "
        "AND enrolment_id {}", sorted(enrolments), before=(Status.ACTIVE, day, day))}
    households = dict(select_in("SELECT id, division_code FROM registry_household WHERE id {}",
                                sorted({enrolments[pk][1] for pk in active})))
    rows = [(enrolments[pk][0], enrolments[pk][1], households[enrolments[pk][1]]) for pk in active]
    out: dict[str, dict] = {}
    for person_id, household_id, division_code in rows:
        id_hash, name = persons[person_id]
        out[id_hash] = {"person_id": person_id, "name": name, "household_id": household_id, "division_code": division_code}
    return out


class RelocationKind(KindImport):
    """What every relocation kind shares beyond the projects' cell parsers: resident IDs, the population, households.

    `parse(row)` stores each resident-ID column's blind index in row.v[<field>] (None: empty or bad); `plan(rows)`
    calls `load_population(rows)` first, then `member(row, field)` / `household(row)` per row."""

    ID_FIELDS: tuple[str, ...] = ("id_number",)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.batch_id: int | None = None
        self.signals = 0
        self.regions = division_regions()
        self.population: dict[str, dict] = {}
        self.numbers: dict[str, str] = {}  # blind index → resident ID, masked when a message names it

    # cells ------------------------------------------------------------------------------------------------
    def resident_id(self, row: Row, name: str, *, required: bool = False) -> str | None:
        """The blind index of a resident-ID cell, or None (empty, or a row error with the checker's message)."""
        if name not in self.index:
            return None
        value = self.cell(row, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.required(row, name)
            return None
        try:
            rid = parse_resident_id(value, extra_regions=self.regions, today=self.today)
        except ResidentIdError as exc:
            shown = parse_text(value)
            self.error(row, name, exc.code, exc.message, mask_resident_id(shown) if len(shown) >= 15 else shown)
            return None
        key = blind_index(rid.number)
        self.numbers[key] = rid.number
        return key

    def masked(self, key: str | None) -> str:
        return mask_resident_id(self.numbers.get(key or "", ""))

    # the population -----------------------------------------------------------------------------------------
    def load_population(self, rows: list[Row]) -> None:
        hashes = {r.v[f] for r in rows if not r.errors for f in self.ID_FIELDS if r.v.get(f)}
        self.population = relocated_population(hashes, on=self.today)

    def member(self, row: Row, name: str = "id_number") -> dict | None:
        """The row's person if relocated and in the entry scope; otherwise a row error on the ID column."""
        key = row.v.get(name)
        person = self.population.get(key)
        if person is None or not person["division_code"].startswith(self.prefix):
            self.error(row, name, "not_relocated", MSG_NOT_RELOCATED % {"id": self.masked(key)}, self.masked(key))
            return None
        return person

    def check_name(self, row: Row, person: dict, name_field: str, id_field: str) -> None:
        given = row.v.get(name_field)
        if given and "".join(given.split()) != "".join(person["name"].split()) and len(self.report.warnings) < MAX_WARNINGS:
            self.report.warnings.append(str(MSG_NAME_DIFFERS % {"row": row.raw.number, "name": given, "id": self.masked(row.v[id_field])}))

    # the steps --------------------------------------------------------------------------------------------
    def write(self) -> None:
        raise NotImplementedError


# --- the service --------------------------------------------------------------------------------------------

def relocation_import(*, actor, kind: str, source, filename: str, mode: str = ALL_OR_NOTHING, errors_path: Path | None = None,
                      progress: Progress | None = None, job=None, today: dt.date | None = None) -> RelocationImportReport:
    """Import a file of `kind` into the actor's entry scope; see the module docstring and `anju.imports.kinds` (the
    batch row is written before the kind's records, which carry its id)."""
    return AREA.run(actor=actor, kind=kind, source=source, filename=filename, mode=mode, errors_path=errors_path, progress=progress,
                    job=job, today=today)
