"""An index on when an application's status changed (issue 22): the audit log reads the
newest changes first, a page of them, through it (backwards) instead of sorting every change."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_trigram_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="applicationevent",
            index=models.Index(fields=["at", "id"], name="application_event_at_idx"),
        ),
    ]
