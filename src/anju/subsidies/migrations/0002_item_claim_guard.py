"""No person is paid twice for the same months: database triggers refuse a live payment item (pending, held, paid)
whose months overlap another live item of the same enrolment and year, whichever code path writes it.

Self-contained (migrations must not depend on application code that may change later).
"""

from django.db import migrations

GUARD_MESSAGE = "subsidy months already claimed by another payment item"
LIVE = "('pending', 'held', 'paid')"
_OVERLAP = ("i.enrolment_id = NEW.enrolment_id AND i.year = NEW.year AND i.state IN " + LIVE
            + " AND i.month_from <= NEW.month_to AND i.month_to >= NEW.month_from")

# SQLite has only row triggers: one index probe (item_enrolment_year) per inserted row. An update is checked only when
# it makes an item live or moves its months, so marking a million items paid costs nothing extra.
GUARD_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS anju_item_claim_insert BEFORE INSERT ON subsidies_item "
    f"WHEN NEW.state IN {LIVE} AND EXISTS (SELECT 1 FROM subsidies_item i WHERE {_OVERLAP}) "
    f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS anju_item_claim_update BEFORE UPDATE ON subsidies_item "
    f"WHEN NEW.state IN {LIVE} AND (OLD.state NOT IN {LIVE} OR NEW.month_from <> OLD.month_from OR NEW.month_to <> OLD.month_to "
    "OR NEW.year <> OLD.year OR NEW.enrolment_id <> OLD.enrolment_id) "
    f"AND EXISTS (SELECT 1 FROM subsidies_item i WHERE i.id <> NEW.id AND {_OVERLAP}) "
    f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END",
]
GUARD_SQLITE_DROP = ["DROP TRIGGER IF EXISTS anju_item_claim_insert", "DROP TRIGGER IF EXISTS anju_item_claim_update"]

# PostgreSQL: statement triggers with a transition table, so a COPY of a million items costs one join.
GUARD_PG = f"""
CREATE OR REPLACE FUNCTION anju_item_claim_guard() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM anju_new n JOIN subsidies_item i
               ON i.enrolment_id = n.enrolment_id AND i.year = n.year AND i.id <> n.id
             WHERE n.state IN {LIVE} AND i.state IN {LIVE} AND i.month_from <= n.month_to AND i.month_to >= n.month_from) THEN
    RAISE EXCEPTION '{GUARD_MESSAGE}' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS anju_item_claim_insert ON subsidies_item;
CREATE TRIGGER anju_item_claim_insert AFTER INSERT ON subsidies_item REFERENCING NEW TABLE AS anju_new
  FOR EACH STATEMENT EXECUTE FUNCTION anju_item_claim_guard();
DROP TRIGGER IF EXISTS anju_item_claim_update ON subsidies_item;
CREATE TRIGGER anju_item_claim_update AFTER UPDATE ON subsidies_item REFERENCING NEW TABLE AS anju_new
  FOR EACH STATEMENT EXECUTE FUNCTION anju_item_claim_guard();
"""
GUARD_PG_DROP = """
DROP TRIGGER IF EXISTS anju_item_claim_insert ON subsidies_item;
DROP TRIGGER IF EXISTS anju_item_claim_update ON subsidies_item;
DROP FUNCTION IF EXISTS anju_item_claim_guard();
"""


def install(apps=None, schema_editor=None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(GUARD_PG)
        else:
            for sql in GUARD_SQLITE:
                cur.execute(sql)


def remove(apps=None, schema_editor=None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(GUARD_PG_DROP)
        else:
            for sql in GUARD_SQLITE_DROP:
                cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
