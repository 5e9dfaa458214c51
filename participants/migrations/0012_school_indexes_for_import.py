# Schools: the GIAS import writes every index on every row, so keep only those a query uses.
# The name index served no query (search looks inside names, LIKE '%word%'); the UKPRN one
# serves the search by UKPRN. The postcode prefix index is 0011's.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0011_school_postcode_prefix_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="school",
            name="school_name_idx",
        ),
        migrations.AlterField(
            model_name="school",
            name="ukprn",
            field=models.CharField(blank=True, max_length=8, verbose_name="UKPRN"),
        ),
        migrations.AddIndex(
            model_name="school",
            index=models.Index(
                fields=["ukprn"], name="school_ukprn_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
