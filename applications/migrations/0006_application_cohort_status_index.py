"""Applications by cohort and status, with their ids: a count of some cohorts' applications in
some statuses, less those DfE has (the DfE reconciliation's "only in the portal"), reads the
index alone instead of every application."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_application_event_at_index")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["cohort", "status", "id"], name="application_cohort_status_idx"
            ),
        ),
    ]
