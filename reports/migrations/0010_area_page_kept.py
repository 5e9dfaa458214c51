from django.db import migrations, models


class Migration(migrations.Migration):
    """The hub's area page kept (reports/engagement.py `hub_area_page`), labelled with the
    roster's version (made by 0008)."""

    dependencies = [
        ("reports", "0009_milestone_listing_kept"),
    ]

    operations = [
        migrations.CreateModel(
            name="KeptAreaPage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("asked", models.PositiveIntegerField(unique=True)),
                ("version", models.PositiveBigIntegerField()),
                ("day", models.DateField(db_index=True)),
                ("page", models.TextField()),
            ],
            options={
                "verbose_name_plural": "kept area pages",
            },
        ),
    ]
