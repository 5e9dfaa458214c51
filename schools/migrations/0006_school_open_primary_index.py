"""Open schools by local authority and phase, in a partial index (models.OPEN_STATUSES): the
hub's area page counts an authority's open primary schools from the index alone instead of
reading every school in England."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools", "0005_trigram_search")]

    operations = [
        migrations.AddIndex(
            model_name="school",
            index=models.Index(
                condition=models.Q(("status_code__in", (1, 3))),
                fields=["la_code", "phase_name"],
                name="school_open_la_phase_idx",
            ),
        ),
    ]
