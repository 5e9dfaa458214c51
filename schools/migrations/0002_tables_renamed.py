"""The moved tables take this app's names (participants_x becomes schools_x).

Renaming keeps every row, key and constraint; migrating back renames them again.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0013_models_moved_to_their_apps"),
        ("schools", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(
            name="eligibilitylist",
            table=None,
        ),
        migrations.AlterModelTable(
            name="eligibilitylistentry",
            table=None,
        ),
        migrations.AlterModelTable(
            name="giasimport",
            table=None,
        ),
        migrations.AlterModelTable(
            name="localauthority",
            table=None,
        ),
        migrations.AlterModelTable(
            name="privatechildcareprovider",
            table=None,
        ),
        migrations.AlterModelTable(
            name="school",
            table=None,
        ),
        migrations.AlterModelTable(
            name="schoolleadership",
            table=None,
        ),
    ]
