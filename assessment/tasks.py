from celery import shared_task

from npq_portal.emails import EMAIL_RETRY


@shared_task
def outcomes_release_due_task() -> None:
    """Release the assessment results whose date has come (every 5 minutes, from beat)."""
    from .services import outcomes_release_due

    outcomes_release_due()


@shared_task(**EMAIL_RETRY)
def outcome_send_result_task(outcome_id: int) -> None:
    """Tell a participant their result is out; safe to run twice."""
    from .models import Outcome
    from .services import outcome_send_result

    outcome = (
        Outcome.objects.select_related("enrolment__participant", "window__programme")
        .filter(pk=outcome_id)
        .first()
    )
    if outcome is not None:
        outcome_send_result(outcome=outcome)
