"""Receivers for what cohorts tell: people booked on a session hear that it moved."""

from django.dispatch import receiver

from cohorts.signals import session_changed
from npq_portal.outbox import outbox_enqueue

from .tasks import session_changed_notify_task


@receiver(session_changed, dispatch_uid="reminders.tell_people_booked")
def tell_people_booked(sender, session, change, reason, **kwargs) -> None:
    outbox_enqueue(session_changed_notify_task, session.pk, change, reason)
