"""When an application was decided (accepted, rejected or withdrawn) and what its school
decided, kept on the application (filled in from each history by 0009)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_team_sign_ups_index")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="decided_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was accepted, rejected or withdrawn.", null=True
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="school_approved",
            field=models.BooleanField(
                blank=True,
                help_text="The school's decision: approved, declined, or not made.",
                null=True,
            ),
        ),
    ]
