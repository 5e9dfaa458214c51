"""Give the NPQs their summative assessment word limits (values copied here, not imported:
a migration must not change when programmes/catalogue.py does)."""

from django.db import migrations

BY_IDENTIFIER = {
    "npq-senior-leadership": 2000,
    "npq-headship": 2500,
    "npq-executive-leadership": 2500,
}
SPECIALIST = 1500


def set_word_limits(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    for identifier, limit in BY_IDENTIFIER.items():
        Programme.objects.filter(
            course_identifier=identifier, assessment_word_limit__isnull=True
        ).update(assessment_word_limit=limit)
        Programme.objects.filter(slug=identifier, assessment_word_limit__isnull=True).update(
            assessment_word_limit=limit
        )
    Programme.objects.filter(family="specialist", assessment_word_limit__isnull=True).update(
        assessment_word_limit=SPECIALIST
    )


def clear_word_limits(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Programme.objects.update(assessment_word_limit=None)


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0002_assessment_word_limit_and_criteria"),
    ]

    operations = [
        migrations.RunPython(set_word_limits, clear_word_limits),
    ]
