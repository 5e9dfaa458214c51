from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0005_module_phase_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="programme",
            name="trn_asked",
            field=models.BooleanField(
                default=True,
                help_text="Whether applicants are asked for their teacher reference number: every NPQ does; a programme for teaching assistants, who usually have none, does not.",
                verbose_name="asks for a TRN",
            ),
        ),
    ]
