"""Whether each linked DfE application disagrees with the portal's, kept rather than worked out
on every request (dfe/reconcile.py), and its indexes: the matched and the disagreeing a page at
a time by name, and the few to compare again. Every row starts empty, to be compared: the page
or the periodic task compares them (`reconciliation_bring_up_to_date`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dfe", "0010_accepted_linked_index")]

    operations = [
        migrations.AddField(
            model_name="dfeapplication",
            name="disagreeing",
            field=models.BooleanField(
                editable=False,
                help_text="Linked, and the two sides disagree on something staff have not "
                "acknowledged (dfe/reconcile.py `open_disagreements`), as last compared. Empty "
                "until compared again after either side changed "
                "(`reconciliation_bring_up_to_date`).",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=models.Q(application__isnull=False),
                fields=["disagreeing", "full_name", "id"],
                name="dfe_linked_by_verdict",
            ),
        ),
        migrations.AddIndex(
            model_name="dfeapplication",
            index=models.Index(
                condition=models.Q(application__isnull=False, disagreeing__isnull=True),
                fields=["id"],
                name="dfe_linked_to_compare",
            ),
        ),
    ]
