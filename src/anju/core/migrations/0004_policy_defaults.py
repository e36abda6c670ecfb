"""National default policy versions from POLICY.md (a city or province adds its own rows)."""

from django.db import migrations


def load(apps, schema_editor):
    from anju.core.policy import policy_defaults_load

    policy_defaults_load(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_policyversion")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
