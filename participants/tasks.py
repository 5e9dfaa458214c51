from celery import shared_task
from django.core.files.storage import default_storage

from npq_portal.emails import EmailNotSent, email_send_once

from .models import GiasImport


@shared_task
def gias_import_task(record_id: int) -> None:
    """Import an uploaded GIAS extract; safe to run twice (a finished import is left alone)."""
    from .services import gias_import_failed, gias_import_run  # services may import tasks

    record = GiasImport.objects.filter(pk=record_id, status=GiasImport.Status.WAITING).first()
    if record is None:
        return
    if not default_storage.exists(record.stored_path):
        gias_import_failed(record, "The uploaded file could not be found: please upload it again.")
        return
    try:
        with default_storage.open(record.stored_path, "rb") as source:
            gias_import_run(record=record, source=source)
    finally:
        default_storage.delete(record.stored_path)  # the schools are in the database now


EMAIL_RETRY = {
    "autoretry_for": (EmailNotSent, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**EMAIL_RETRY)
def subscriber_send_email_task(subscriber_id: int, kind: str, occasion: str) -> None:
    """Send a mailing-list email (confirm, already subscribed); safe to run twice."""
    from .models import Subscriber
    from .services import subscriber_send_email

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:  # expired before a worker picked the task up
        return
    subscriber_send_email(subscriber=subscriber, kind=kind, occasion=occasion)


@shared_task(**EMAIL_RETRY)
def cohort_announce_task(cohort_id: int) -> None:
    """Tell interested subscribers that a cohort is open; safe to run twice."""
    from cohorts.models import Cohort

    from .services import cohort_announce

    cohort = Cohort.objects.select_related("programme").filter(pk=cohort_id).first()
    if cohort is None or cohort.status != Cohort.Status.OPEN:
        return
    cohort_announce(cohort=cohort)


@shared_task
def subscribers_expire_task() -> None:
    """Forget mailing-list sign-ups never confirmed (beat does it in the daily retention run)."""
    from .services import subscribers_expire_unconfirmed

    subscribers_expire_unconfirmed()


@shared_task(**EMAIL_RETRY)
def application_send_email_task(application_id: int, kind: str, occasion: str) -> None:
    """Send one of an application's emails; safe to run twice."""
    from .models import Application
    from .services import application_send_email

    application = (
        Application.objects.select_related("cohort__programme", "applicant")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return
    application_send_email(application=application, kind=kind, occasion=occasion)


@shared_task
def approvals_chase_task() -> None:
    """Remind approvers who have not answered, then tell the hub (daily, from beat)."""
    from .services import approvals_chase

    approvals_chase()


@shared_task
def waitlist_offers_expire_task() -> None:
    """Pass lapsed waiting-list offers to the next in line (hourly, from beat)."""
    from .services import waitlist_offers_expire

    waitlist_offers_expire()


@shared_task
def reminders_run_task() -> None:
    """Send the reminders now due (every 5 minutes, from beat); safe to run twice."""
    from .reminders import reminders_run

    reminders_run()


@shared_task(**EMAIL_RETRY)
def session_changed_notify_task(session_id: int, change: str, reason: str) -> None:
    """Tell everyone booked on a session that it moved or was cancelled; safe to run twice."""
    from cohorts.models import Session

    from .reminders import people_booked

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
