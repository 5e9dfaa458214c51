"""Receivers for the signals of apps to the left (cohorts), connected in ready()."""

from django.dispatch import receiver

from cohorts.signals import cohort_opened, session_changed
from npq_portal.outbox import outbox_enqueue

from .tasks import cohort_announce_task, session_changed_notify_task


@receiver(cohort_opened, dispatch_uid="participants.announce_open_cohort")
def announce_open_cohort(sender, cohort, **kwargs) -> None:
    outbox_enqueue(cohort_announce_task, cohort.pk)


@receiver(session_changed, dispatch_uid="participants.tell_people_booked")
def tell_people_booked(sender, session, change, reason, **kwargs) -> None:
    outbox_enqueue(session_changed_notify_task, session.pk, change, reason)
