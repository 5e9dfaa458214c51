"""The reminders' background work: the runs beat starts, and telling people a session changed."""

from celery import shared_task

from cohorts.models import Session
from npq_portal.emails import EMAIL_RETRY, email_send_once

from .assessment import assessment_reminders_run
from .services import people_booked, reminders_run


@shared_task
def reminders_run_task() -> None:
    """Send the reminders now due (every 5 minutes, from beat); safe to run twice."""
    reminders_run()


@shared_task(**EMAIL_RETRY)
def session_changed_notify_task(session_id: int, change: str, reason: str) -> None:
    """Tell everyone booked on a session that it moved or was cancelled; safe to run twice."""
    session = Session.objects.select_related("cohort__programme").filter(pk=session_id).first()
    if session is None:
        return
    for person in people_booked(session):
        # Urgent: no cap, no opt-out. One email per change (the sequence counts them).
        email_send_once(
            to=person.email,
            kind=f"session_{change}",
            about=session,
            occasion=f"sequence-{session.sequence}",
            context={"session": session, "person": person, "reason": reason},
        )


@shared_task
def assessment_reminders_run_task() -> None:
    """Send the assessment window reminders now due (every 5 minutes, from beat)."""
    assessment_reminders_run()
