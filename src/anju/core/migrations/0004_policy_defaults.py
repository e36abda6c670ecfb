"""National default policy versions from POLICY.md (a city or province adds its own rows)."""

import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    from anju.core.policy import DEFAULTS

    PolicyVersion = apps.get_model("core", "PolicyVersion")
    for key, (start, value, note) in DEFAULTS.items():
        PolicyVersion.objects.get_or_create(key=key, scope="", effective_from=dt.date.fromisoformat(start),
                                            defaults={"value": value, "note": note})


class Migration(migrations.Migration):
    dependencies = [("core", "0003_policyversion")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
