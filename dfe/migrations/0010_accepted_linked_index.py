"""The declarations page's index: a connection's accepted, linked DfE applications, with what a
declaration needs from them (participant, course, cohort, catchment) read from the index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dfe", "0009_sync_last_success_index")]

    operations = [
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=models.Q(("application__isnull", False), ("status", "accepted")),
                fields=["connection", "application"],
                include=("participant_id", "course_identifier", "cohort_year", "teacher_catchment"),
                name="dfe_accepted_linked",
            ),
        ),
    ]
