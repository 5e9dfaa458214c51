"""The reconciliation page's indexes: DfE's applications by name, the linked and the unlinked
apart (each bucket a page at a time), and the few with an acknowledged disagreement."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dfe", "0007_outgoing_done_index")]

    operations = [
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=models.Q(application__isnull=False),
                fields=["full_name", "id"],
                name="dfe_linked_by_name",
            ),
        ),
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=models.Q(application__isnull=True),
                fields=["full_name", "id"],
                name="dfe_unlinked_by_name",
            ),
        ),
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=~models.Q(acknowledged={}),
                fields=["id"],
                name="dfe_application_acknowledged",
            ),
        ),
    ]
