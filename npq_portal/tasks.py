from smtplib import SMTPException

from celery import shared_task

from .emails import EmailNotSent
from .models import User

# Mail servers fail in passing; back off and retry, and the delivery log keeps each error.
EMAIL_RETRY = {
    "autoretry_for": (EmailNotSent, SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**EMAIL_RETRY)
def user_send_welcome_task(user_id: int) -> None:
    """Welcome a newly verified user by email; safe to run twice."""
    from .services import user_send_welcome  # services may import tasks

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:  # removed before a worker picked the task up
        return
    user_send_welcome(user=user)


@shared_task
def outbox_sweep_task() -> None:
    """Hand on outbox tasks still waiting (every minute, from beat)."""
    from .outbox import outbox_sweep

    outbox_sweep()


@shared_task
def outbox_forget_done_task() -> None:
    """Delete finished outbox entries older than their keep days (daily, from beat)."""
    from .outbox import outbox_forget_done

    outbox_forget_done()
