from celery import shared_task


@shared_task
def assessment_reminders_run_task() -> None:
    """Send the assessment window reminders now due (every 5 minutes, from beat)."""
    from .reminders import assessment_reminders_run

    assessment_reminders_run()
