"""The moved tables take this app's names (participants_x becomes mailing_list_x).

Renaming keeps every row, key and constraint; migrating back renames them again.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0013_models_moved_to_their_apps"),
        ("mailing_list", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(
            name="subscriber",
            table=None,
        ),
    ]
