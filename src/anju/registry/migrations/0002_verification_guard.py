"""Locked annual verifications are immutable: database triggers refuse changes to them and their rows.

Self-contained (migrations must not depend on application code that may change later); the services module
re-exports `install`/`remove` for tests and benchmarks.
"""

from django.db import connection, migrations

GUARD_MESSAGE = "locked verifications are immutable"
_CHILD_TABLES = ("registry_verificationentry", "registry_verificationchange")

GUARD_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS anju_verification_locked_update BEFORE UPDATE ON registry_verification "
    f"WHEN OLD.state = 'locked' BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS anju_verification_locked_delete BEFORE DELETE ON registry_verification "
    f"WHEN OLD.state = 'locked' BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
]
for _table in _CHILD_TABLES:
    # SQLite has only row triggers: an INSERT check on the entries would double the cost of copying a million of them,
    # so there the entries are guarded against change and removal, and new rows only by the services.
    if _table != "registry_verificationentry":
        GUARD_SQLITE.append(
            f"CREATE TRIGGER IF NOT EXISTS anju_{_table}_locked_insert BEFORE INSERT ON {_table} "
            f"WHEN (SELECT state FROM registry_verification WHERE id = NEW.verification_id) = 'locked' "
            f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END")
    GUARD_SQLITE += [
        f"CREATE TRIGGER IF NOT EXISTS anju_{_table}_locked_update BEFORE UPDATE ON {_table} "
        f"WHEN EXISTS (SELECT 1 FROM registry_verification WHERE id IN (OLD.verification_id, NEW.verification_id) AND state = 'locked') "
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS anju_{_table}_locked_delete BEFORE DELETE ON {_table} "
        f"WHEN (SELECT state FROM registry_verification WHERE id = OLD.verification_id) = 'locked' "
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
    ]
GUARD_SQLITE_DROP = (["DROP TRIGGER IF EXISTS anju_verification_locked_update", "DROP TRIGGER IF EXISTS anju_verification_locked_delete"]
                     + [f"DROP TRIGGER IF EXISTS anju_{t}_locked_{op}" for t in _CHILD_TABLES for op in ("insert", "update", "delete")])

# PostgreSQL: a row trigger on the verification itself; statement triggers with transition tables on the
# snapshot rows, so an INSERT … SELECT of a million entries costs one join, not a million function calls.
GUARD_PG = f"""
CREATE OR REPLACE FUNCTION anju_verification_guard() RETURNS trigger AS $$
BEGIN
  IF OLD.state = 'locked' THEN
    RAISE EXCEPTION '{GUARD_MESSAGE}';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS anju_verification_guard ON registry_verification;
CREATE TRIGGER anju_verification_guard BEFORE UPDATE OR DELETE ON registry_verification
  FOR EACH ROW EXECUTE FUNCTION anju_verification_guard();
CREATE OR REPLACE FUNCTION anju_verification_rows_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF EXISTS (SELECT 1 FROM anju_new n JOIN registry_verification v ON v.id = n.verification_id WHERE v.state = 'locked') THEN
      RAISE EXCEPTION '{GUARD_MESSAGE}';
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF EXISTS (SELECT 1 FROM anju_old o JOIN registry_verification v ON v.id = o.verification_id WHERE v.state = 'locked') THEN
      RAISE EXCEPTION '{GUARD_MESSAGE}';
    END IF;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
""" + "".join(f"""
DROP TRIGGER IF EXISTS anju_{t}_guard_insert ON {t};
CREATE TRIGGER anju_{t}_guard_insert AFTER INSERT ON {t} REFERENCING NEW TABLE AS anju_new
  FOR EACH STATEMENT EXECUTE FUNCTION anju_verification_rows_guard();
DROP TRIGGER IF EXISTS anju_{t}_guard_update ON {t};
CREATE TRIGGER anju_{t}_guard_update AFTER UPDATE ON {t} REFERENCING OLD TABLE AS anju_old NEW TABLE AS anju_new
  FOR EACH STATEMENT EXECUTE FUNCTION anju_verification_rows_guard();
DROP TRIGGER IF EXISTS anju_{t}_guard_delete ON {t};
CREATE TRIGGER anju_{t}_guard_delete AFTER DELETE ON {t} REFERENCING OLD TABLE AS anju_old
  FOR EACH STATEMENT EXECUTE FUNCTION anju_verification_rows_guard();
""" for t in _CHILD_TABLES)

GUARD_PG_DROP = "".join(f"DROP TRIGGER IF EXISTS anju_{t}_guard_{op} ON {t};\n" for t in _CHILD_TABLES for op in ("insert", "update", "delete")) + """
DROP TRIGGER IF EXISTS anju_verification_guard ON registry_verification;
DROP FUNCTION IF EXISTS anju_verification_rows_guard();
DROP FUNCTION IF EXISTS anju_verification_guard();
"""


def install(conn=None) -> None:
    """Create the triggers that refuse any change to a locked verification, its entries and its changes. Idempotent."""
    conn = conn or connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(GUARD_PG)
        elif conn.vendor == "sqlite":
            for sql in GUARD_SQLITE:
                cur.execute(sql)


def remove(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(GUARD_PG_DROP)
        elif conn.vendor == "sqlite":
            for sql in GUARD_SQLITE_DROP:
                cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(lambda apps, se: install(se.connection), lambda apps, se: remove(se.connection))]
