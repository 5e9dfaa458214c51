"""Each local authority's open primary schools (models.OPEN_PRIMARY), in a partial index on
la_code: the hub's area page counts an authority's schools from the index alone instead of
reading every school in England."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools", "0005_trigram_search")]

    operations = [
        migrations.AddIndex(
            model_name="school",
            index=models.Index(
                condition=models.Q(
                    ("phase_name__in", ("Primary", "Middle deemed primary")),
                    ("status_code__in", (1, 3)),
                ),
                fields=["la_code"],
                name="school_open_primary_la_idx",
            ),
        ),
    ]
