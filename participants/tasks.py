"""The participants' background work: emails about places."""

from celery import shared_task

from npq_portal.emails import EMAIL_RETRY

from .models import Enrolment


@shared_task(**EMAIL_RETRY)
def work_group_place_email_task(enrolment_id: int, invite: bool) -> None:
    """Tell someone their school named them in its Work Group team; safe to run twice."""
    from .services import work_group_place_email  # services.py imports this module

    enrolment = (
        Enrolment.objects.select_related(
            "participant", "cohort__programme", "school_place__school", "role_slot"
        )
        .filter(pk=enrolment_id)
        .first()
    )
    if enrolment is None or enrolment.school_place_id is None:
        return
    work_group_place_email(enrolment=enrolment, invite=invite)
