from django.db import migrations, models

from npq_portal.versions import version_counter_operation

# The milestones' version (reports/milestone_days.py `milestones_listing_stale`): a counter of
# npq_portal/versions.py.
MILESTONES_VERSION = "reports_milestones_version"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_roster_kept"),
    ]

    operations = [
        migrations.CreateModel(
            name="KeptMilestoneListing",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope", models.CharField(max_length=64, unique=True)),
                ("version", models.PositiveBigIntegerField()),
                ("day", models.DateField(db_index=True)),
                ("rules", models.CharField(max_length=64)),
                ("listing", models.TextField()),
            ],
            options={
                "verbose_name_plural": "kept milestone listings",
            },
        ),
        version_counter_operation(MILESTONES_VERSION),
    ]
