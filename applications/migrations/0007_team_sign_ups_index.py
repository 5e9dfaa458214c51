"""Schools' Work Group sign-ups by cohort: a few thousand among a hundred thousand teachers'
applications, which a Work Group programme's engagement roster otherwise finds by reading every
application of the year."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_application_cohort_status_index")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["cohort", "submitted_at"],
                condition=models.Q(team=True),
                name="application_team_cohort_idx",
            ),
        ),
    ]
