"""Receivers for the signals of apps to the left (cohorts), connected in ready()."""

from django.dispatch import receiver

from cohorts.signals import cohort_opened, session_changed

from .tasks import cohort_announce_task, session_changed_notify_task


@receiver(cohort_opened, dispatch_uid="participants.announce_open_cohort")
def announce_open_cohort(sender, cohort, **kwargs) -> None:
    cohort_announce_task.delay_on_commit(cohort.pk)


@receiver(session_changed, dispatch_uid="participants.tell_people_booked")
def tell_people_booked(sender, session, change, reason, **kwargs) -> None:
    session_changed_notify_task.delay_on_commit(session.pk, change, reason)
