"""The applications' background work: their emails, chasing approvers, lapsed offers."""

from celery import shared_task

from npq_portal.emails import EMAIL_RETRY

from .models import Application


@shared_task(**EMAIL_RETRY)
def application_send_email_task(application_id: int, kind: str, occasion: str) -> None:
    """Send one of an application's emails; safe to run twice."""
    from .services import application_send_email  # services.py imports this module

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
    from .services import approvals_chase  # services.py imports this module

    approvals_chase()


@shared_task
def waitlist_offers_expire_task() -> None:
    """Pass lapsed waiting-list offers to the next in line (hourly, from beat)."""
    from .services import waitlist_offers_expire  # services.py imports this module

    waitlist_offers_expire()
