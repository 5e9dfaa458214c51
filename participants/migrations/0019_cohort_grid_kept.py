import django.db.models.deletion
from django.db import migrations, models

from npq_portal.versions import version_counter_operation

# The cohort grids' version (participants/selectors.py `grid_stale`): a counter of
# npq_portal/versions.py.
GRID_VERSION = "participants_grid_version"


class Migration(migrations.Migration):
    """The cohort grids' and Work Groups' figures kept, and the version they are labelled
    with."""

    dependencies = [
        ("cohorts", "0007_cohort_ends_on_index"),
        ("participants", "0018_school_place_event_staff_note"),
    ]

    operations = [
        migrations.CreateModel(
            name="KeptCohortGrid",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("grid", "Cohort grid"),
                            ("work_group", "Work Group's attendance"),
                        ],
                        max_length=20,
                    ),
                ),
                ("version", models.PositiveBigIntegerField()),
                ("day", models.DateField(db_index=True)),
                ("threshold", models.PositiveSmallIntegerField()),
                ("grid", models.TextField()),
                (
                    "cohort",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cohorts.cohort",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "kept cohort grids",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cohort", "kind"), name="one_kept_grid_of_a_kind"
                    )
                ],
            },
        ),
        version_counter_operation(GRID_VERSION),
    ]
