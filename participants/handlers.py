"""Receivers for the signals of apps to the left (cohorts), connected in ready()."""

from django.dispatch import receiver

from cohorts.signals import cohort_opened

from .tasks import cohort_announce_task


@receiver(cohort_opened, dispatch_uid="participants.announce_open_cohort")
def announce_open_cohort(sender, cohort, **kwargs) -> None:
    cohort_announce_task.delay_on_commit(cohort.pk)
