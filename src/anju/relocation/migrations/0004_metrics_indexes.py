# Covering index for the relocation follow-up metrics: the employment spells of each person with their dates and kind, read
# in person order without a table row (bench/relocation_metrics.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("relocation", "0003_seed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="employment",
            index=models.Index(fields=["person", "started_on", "ended_on", "kind"], name="employment_metrics_cover"),
        ),
    ]
