"""The DfE data exchange's background work: sending what the portal owes DfE."""

from celery import shared_task


@shared_task
def outgoing_send_task(outgoing_id: int) -> None:
    """Send one change owed to DfE; safe to run twice (a sent row is never sent again)."""
    from .outgoing import outgoing_send  # outgoing.py imports this module

    outgoing_send(outgoing_id=outgoing_id)


@shared_task
def outgoing_retry_due_task() -> None:
    """Send again what DfE could not take earlier, once its backoff has passed (from beat)."""
    from .outgoing import outgoing_retry_due

    outgoing_retry_due()
