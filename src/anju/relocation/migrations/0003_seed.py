"""Seed data: vocabularies and default eligibility rules (anju.relocation.seeds)."""

from django.db import migrations


def seed(apps, schema_editor):
    from anju.relocation.seeds import relocation_seed_load

    relocation_seed_load(apps)


class Migration(migrations.Migration):
    dependencies = [("relocation", "0002_followup")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
