"""The mailing list's background work: its emails, announcements and forgetting the unconfirmed."""

from celery import shared_task

from cohorts.models import Cohort
from npq_portal.emails import EMAIL_RETRY

from .models import Subscriber


@shared_task(**EMAIL_RETRY)
def subscriber_send_email_task(subscriber_id: int, kind: str, occasion: str) -> None:
    """Send a mailing-list email (confirm, already subscribed); safe to run twice."""
    from .services import subscriber_send_email  # services.py imports this module

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:  # expired before a worker picked the task up
        return
    subscriber_send_email(subscriber=subscriber, kind=kind, occasion=occasion)


@shared_task(**EMAIL_RETRY)
def cohort_announce_task(cohort_id: int) -> None:
    """Tell interested subscribers that a cohort is open; safe to run twice."""
    from .services import cohort_announce  # services.py imports this module

    cohort = Cohort.objects.select_related("programme").filter(pk=cohort_id).first()
    if cohort is None or cohort.status != Cohort.Status.OPEN:
        return
    cohort_announce(cohort=cohort)


@shared_task
def subscribers_expire_task() -> None:
    """Forget mailing-list sign-ups never confirmed (beat does it in the daily retention run)."""
    from .services import subscribers_expire_unconfirmed  # services.py imports this module

    subscribers_expire_unconfirmed()
