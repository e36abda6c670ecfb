# Covering index for the relocation follow-up metrics: the relocation enrolments in household order, with every column the
# metrics read, so SQLite groups by household without a sort and reads no table row (bench/relocation_metrics.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_verificationentry_move_date"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(fields=["program", "household", "division_code", "person", "site", "status", "status_since"],
                               name="enrolment_metrics_cover"),
        ),
    ]
