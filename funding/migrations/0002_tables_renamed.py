"""The moved tables take this app's names (participants_x becomes funding_x).

Renaming keeps every row, key and constraint; migrating back renames them again.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0013_models_moved_to_their_apps"),
        ("funding", "0001_initial"),
    ]

    operations = [
        migrations.RenameIndex(
            model_name="fundingdecision",
            new_name="funding_fun_subject_9e0ba1_idx",
            old_name="participant_subject_f441b2_idx",
        ),
        migrations.AlterModelTable(
            name="fundingdecision",
            table=None,
        ),
        migrations.AlterModelTable(
            name="fundingoverride",
            table=None,
        ),
    ]
