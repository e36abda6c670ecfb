"""Policy defaults added with projects: the monthly progress reporting deadline and the design threshold."""

from django.db import migrations


def load(apps, schema_editor):
    from anju.core.policy import policy_defaults_load

    policy_defaults_load(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0006_message")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
