"""Receivers for what cohorts tell: a cohort that opens is announced to those who asked."""

from django.dispatch import receiver

from cohorts.signals import cohort_opened
from npq_portal.outbox import outbox_enqueue

from .tasks import cohort_announce_task


@receiver(cohort_opened, dispatch_uid="mailing_list.announce_open_cohort")
def announce_open_cohort(sender, cohort, **kwargs) -> None:
    outbox_enqueue(cohort_announce_task, cohort.pk)
