"""Teaching Assistants SKTM stops asking for a TRN: teaching assistants usually have none
(shared/MATHS_HUBS.md). Going back asks for it again, as before."""

from django.db import migrations

SLUG = "maths-hub-teaching-assistants-sktm"


def ask_no_trn(apps, schema_editor):
    apps.get_model("programmes", "Programme").objects.filter(slug=SLUG).update(trn_asked=False)


def ask_trn(apps, schema_editor):
    apps.get_model("programmes", "Programme").objects.filter(slug=SLUG).update(trn_asked=True)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0006_programme_trn_asked")]

    operations = [migrations.RunPython(ask_no_trn, ask_trn)]
