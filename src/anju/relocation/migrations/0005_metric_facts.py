"""The follow-up metrics' derived facts (MetricSegment) and the queue of persons whose facts are out of date (MetricDirty),
with the database triggers that fill the queue on every change of what the facts are made of — whichever path wrote it
(ORM, bulk COPY/executemany, imports, the demo). The queue starts with every relocated person, so the first read builds all.

Self-contained (migrations must not depend on application code that may change later); the services module re-exports
`install`/`remove` for tests and benchmarks.
"""

from django.db import migrations, models

DIRTY = "relocation_metricdirty"
RELOCATION = "relocation"

# table -> (SQL selecting the affected relocated persons from the transition/row alias "x", the operations watched)
_SOURCES = {
    "registry_enrolment": (f"SELECT x.person_id FROM {{rows}} x WHERE x.program = '{RELOCATION}'", ("insert", "update", "delete")),
    "registry_enrolmentstatus": (f"SELECT e.person_id FROM {{rows}} x JOIN registry_enrolment e ON e.id = x.enrolment_id "
                                 f"WHERE e.program = '{RELOCATION}'", ("insert", "update", "delete")),
    "relocation_labourcapacity": ("SELECT x.person_id FROM {rows} x", ("insert", "update", "delete")),
    "relocation_employment": ("SELECT x.person_id FROM {rows} x", ("insert", "update", "delete")),
}

# SQLite has row triggers only: one per table and operation, for NEW and/or OLD.
_SQLITE_ROW = {
    "registry_enrolment": ("VALUES ({r}.person_id)", "{r}.program = '" + RELOCATION + "'"),
    "registry_enrolmentstatus": (f"SELECT person_id FROM registry_enrolment WHERE id = {{r}}.enrolment_id AND program = '{RELOCATION}'", None),
    "relocation_labourcapacity": ("VALUES ({r}.person_id)", None),
    "relocation_employment": ("VALUES ({r}.person_id)", None),
}


def _sqlite_install() -> list[str]:
    sql = []
    for table, (select, when) in _SQLITE_ROW.items():
        for op, refs in (("insert", ["NEW"]), ("update", ["NEW", "OLD"]), ("delete", ["OLD"])):
            condition = f" WHEN {' OR '.join(when.format(r=r) for r in refs)}" if when else ""
            body = " ".join(f"INSERT INTO {DIRTY} (person_id) {select.format(r=r)};" for r in refs)
            sql.append(f"CREATE TRIGGER IF NOT EXISTS anju_metric_{table}_{op} AFTER {op.upper()} ON {table}{condition} BEGIN {body} END")
    sql.append(f"CREATE TRIGGER IF NOT EXISTS anju_metric_registry_person_update AFTER UPDATE OF birth_date ON registry_person "
               f"WHEN OLD.birth_date IS NOT NEW.birth_date BEGIN INSERT INTO {DIRTY} (person_id) VALUES (NEW.id); END")
    return sql


def _sqlite_remove() -> list[str]:
    return ([f"DROP TRIGGER IF EXISTS anju_metric_{t}_{op}" for t in _SQLITE_ROW for op in ("insert", "update", "delete")]
            + ["DROP TRIGGER IF EXISTS anju_metric_registry_person_update"])


# PostgreSQL: statement triggers with transition tables, so a COPY of a million rows costs one INSERT … SELECT.
def _pg_install() -> str:
    sql = []
    for table, (select, ops) in _SOURCES.items():
        for op in ops:
            tables = {"insert": ["anju_new"], "update": ["anju_new", "anju_old"], "delete": ["anju_old"]}[op]
            body = " ".join(f"INSERT INTO {DIRTY} (person_id) {select.format(rows=t)};" for t in tables)
            referencing = {"insert": "NEW TABLE AS anju_new", "update": "OLD TABLE AS anju_old NEW TABLE AS anju_new",
                           "delete": "OLD TABLE AS anju_old"}[op]
            fn = f"anju_metric_{table}_{op}"
            sql.append(f"""
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$
BEGIN
  {body}
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {fn} ON {table};
CREATE TRIGGER {fn} AFTER {op.upper()} ON {table} REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {fn}();""")
    sql.append(f"""
CREATE OR REPLACE FUNCTION anju_metric_registry_person_update() RETURNS trigger AS $$
BEGIN
  INSERT INTO {DIRTY} (person_id) SELECT n.id FROM anju_new n JOIN anju_old o ON o.id = n.id
    WHERE n.birth_date IS DISTINCT FROM o.birth_date
      AND EXISTS (SELECT 1 FROM registry_enrolment e WHERE e.person_id = n.id AND e.program = '{RELOCATION}');
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS anju_metric_registry_person_update ON registry_person;
CREATE TRIGGER anju_metric_registry_person_update AFTER UPDATE ON registry_person
  REFERENCING OLD TABLE AS anju_old NEW TABLE AS anju_new FOR EACH STATEMENT EXECUTE FUNCTION anju_metric_registry_person_update();""")
    return "\n".join(sql)


def _pg_remove() -> str:
    names = [(f"anju_metric_{t}_{op}", t) for t, (_s, ops) in _SOURCES.items() for op in ops]
    names.append(("anju_metric_registry_person_update", "registry_person"))
    return "".join(f"DROP TRIGGER IF EXISTS {fn} ON {t}; DROP FUNCTION IF EXISTS {fn}();\n" for fn, t in names)


def install(conn) -> None:
    """Create the triggers that queue changed persons for a rebuild of their metric facts. Idempotent."""
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(_pg_install())
        elif conn.vendor == "sqlite":
            for sql in _sqlite_install():
                cur.execute(sql)


def remove(conn) -> None:
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(_pg_remove())
        elif conn.vendor == "sqlite":
            for sql in _sqlite_remove():
                cur.execute(sql)


def _queue_everyone(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"INSERT INTO {DIRTY} (person_id) SELECT person_id FROM registry_enrolment WHERE program = %s", [RELOCATION])



class Migration(migrations.Migration):

    dependencies = [
        ('relocation', '0004_metrics_indexes'),
        ('registry', '0004_relocation_metrics_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='MetricDirty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('person_id', models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='MetricSegment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('person_id', models.BigIntegerField()),
                ('enrolment_id', models.BigIntegerField()),
                ('household_id', models.BigIntegerField()),
                ('site_id', models.BigIntegerField(null=True)),
                ('division_code', models.CharField(max_length=12)),
                ('birth_day', models.IntegerField(null=True)),
                ('able', models.BooleanField()),
                ('seg_from', models.IntegerField()),
                ('seg_to', models.IntegerField(null=True)),
                ('slots', models.BigIntegerField(default=0)),
            ],
            options={
                'indexes': [models.Index(fields=['household_id', 'seg_from', 'seg_to', 'slots', 'birth_day', 'able', 'division_code', 'site_id'], name='metric_segment_cover'), models.Index(fields=['person_id'], name='metric_segment_person'), models.Index(fields=['division_code'], name='metric_segment_division')],
            },
        ),
        migrations.RunPython(lambda apps, se: install(se.connection), lambda apps, se: remove(se.connection)),
        migrations.RunPython(_queue_everyone, migrations.RunPython.noop),
    ]
