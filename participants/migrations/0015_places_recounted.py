"""Every cohort's places taken counted again from its places (issue 19).

A place made outside the services (the demo's running cohort, the admin) left the stored count
behind: the cohort list said 0 of 20 while its grid listed 8. From now on any saved or deleted
place recounts its cohort (participants/handlers.py); this brings the stored counts up to date.
Going back leaves the counts as they are: they are right either way.
"""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def recount(apps, schema_editor):
    cohort = apps.get_model("cohorts", "Cohort")
    enrolment = apps.get_model("participants", "Enrolment")
    held = (
        enrolment.objects.filter(cohort=OuterRef("pk"), status__in=["active", "deferred"])
        .order_by()
        .values("cohort")
        .annotate(count=Count("pk"))
        .values("count")
    )
    cohort.objects.update(places_taken=Coalesce(Subquery(held), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0001_cohorts_sessions_calendars"),
        ("participants", "0014_charges"),
    ]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
