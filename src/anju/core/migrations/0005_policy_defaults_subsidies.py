"""Policy defaults added with direct subsidies: the period of 现状人口, payment frequency, which modes are paid directly."""

from django.db import migrations


def load(apps, schema_editor):
    from anju.core.policy import policy_defaults_load

    policy_defaults_load(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0004_policy_defaults")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
