"""Each application's decision days from its history: when it was accepted, rejected or
withdrawn (`decided_at`, the event that moved it there), and what its school decided
(`school_approved`, with `school_decided_at` where the history has the day but the row does
not). The engagement roster and the retention of closed applications read these instead of
searching every application's events.

Backwards it does nothing: the fields go with 0008, and a school's decision day that was filled
in from the history is the day the history gives."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

DECIDED = ("accepted", "rejected", "withdrawn")


def fill(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    ApplicationEvent = apps.get_model("applications", "ApplicationEvent")

    def last_move(to_status):
        return (
            ApplicationEvent.objects.filter(application=OuterRef("pk"), to_status=to_status)
            .order_by("-at", "-pk")
            .values("at")[:1]
        )

    Application.objects.filter(status__in=DECIDED, decided_at__isnull=True).update(
        decided_at=Subquery(last_move(OuterRef("status")))
    )
    for to_status, approved in (("school_approved", True), ("school_declined", False)):
        # Only a school decides while an application awaits it: one recorded from DfE's
        # registration starts its history at "approved", and its school was never asked.
        decided = ApplicationEvent.objects.filter(
            application=OuterRef("pk"), from_status="awaiting_school", to_status=to_status
        )
        Application.objects.filter(Exists(decided)).update(
            school_approved=approved,
            school_decided_at=Coalesce("school_decided_at", Subquery(decided.values("at")[:1])),
        )
    # Declined with no history of it (made in bulk): the status says so.
    Application.objects.filter(status="school_declined", school_approved__isnull=True).update(
        school_approved=False
    )


class Migration(migrations.Migration):
    dependencies = [("applications", "0008_application_decision_days")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
