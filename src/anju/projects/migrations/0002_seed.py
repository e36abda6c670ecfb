"""Seed data: vocabularies, archive checklist, default warning rules, default evaluation template (anju.projects.seeds)."""

from django.db import migrations


def seed(apps, schema_editor):
    from anju.projects.seeds import projects_seed_load

    projects_seed_load(apps)


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
