"""Policy defaults added with relocation follow-up: labour age band, monitoring income line, high medical costs, elimination months."""

from django.db import migrations


def load(apps, schema_editor):
    from anju.core.policy import policy_defaults_load

    policy_defaults_load(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0007_policy_defaults_projects")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
