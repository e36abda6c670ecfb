"""Database triggers that make audit events append-only: a sealed row never changes, and rows are only
deleted up to a purge checkpoint. The HMAC chain detects what a privileged writer might still do."""

from django.db import migrations

CONTENT = ["occurred_at", "actor_id", "actor_username", "actor_role", "ip", "channel", "action", "object_type",
           "object_id", "division_code", "outcome", "before", "after", "message"]

PG = """
CREATE OR REPLACE FUNCTION anju_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.seq IS NOT NULL AND OLD.seq <= COALESCE((SELECT MAX(through_seq) FROM core_auditcheckpoint), 0) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
  END IF;
  IF OLD.seq IS NOT NULL OR OLD.id <> NEW.id OR ({changed}) THEN
    RAISE EXCEPTION 'audit events are append-only';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER anju_audit_guard BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION anju_audit_guard();
CREATE OR REPLACE FUNCTION anju_checkpoint_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit checkpoints are append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER anju_checkpoint_guard BEFORE UPDATE OR DELETE ON core_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION anju_checkpoint_guard();
""".format(changed=" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CONTENT))

PG_DROP = """
DROP TRIGGER IF EXISTS anju_audit_guard ON core_auditevent;
DROP FUNCTION IF EXISTS anju_audit_guard();
DROP TRIGGER IF EXISTS anju_checkpoint_guard ON core_auditcheckpoint;
DROP FUNCTION IF EXISTS anju_checkpoint_guard();
"""

SQLITE = [
    "CREATE TRIGGER anju_audit_no_update BEFORE UPDATE ON core_auditevent WHEN OLD.seq IS NOT NULL OR OLD.id IS NOT NEW.id OR "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CONTENT)
    + " BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER anju_audit_no_delete BEFORE DELETE ON core_auditevent WHEN OLD.seq IS NULL OR "
    "OLD.seq > COALESCE((SELECT MAX(through_seq) FROM core_auditcheckpoint), 0) "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER anju_checkpoint_no_update BEFORE UPDATE ON core_auditcheckpoint "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
    "CREATE TRIGGER anju_checkpoint_no_delete BEFORE DELETE ON core_auditcheckpoint "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS anju_audit_no_update", "DROP TRIGGER IF EXISTS anju_audit_no_delete",
    "DROP TRIGGER IF EXISTS anju_checkpoint_no_update", "DROP TRIGGER IF EXISTS anju_checkpoint_no_delete",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
