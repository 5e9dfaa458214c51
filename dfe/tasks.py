"""The DfE data exchange's background work: sending what the portal owes DfE, pulling DfE's lists."""

import random

from celery import shared_task

from .models import Connection
from .sync import sync_run


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


@shared_task
def sync_all_task(full: bool = False, spread_seconds: int = 0) -> None:
    """Pull DfE's lists for every switched-on connection (from beat, or "Sync now").

    From beat, each connection's pull starts after a random wait of up to `spread_seconds`:
    DfE asks providers to poll at random times, not all on the hour.
    """
    for connection_id in Connection.objects.switched_on().values_list("pk", flat=True):
        countdown = random.randint(0, spread_seconds) if spread_seconds else 0  # noqa: S311
        sync_connection_task.apply_async((connection_id, full), countdown=countdown)


@shared_task
def sync_connection_task(connection_id: int, full: bool = False) -> None:
    """Pull DfE's lists for one connection; does nothing while another pull of it runs."""
    connection = Connection.objects.switched_on().filter(pk=connection_id).first()
    if connection is None:  # switched off since it was queued
        return
    sync_run(connection=connection, full=full)


@shared_task
def reconciliation_bring_up_to_date_task() -> None:
    """Compare again the linked DfE applications whose verdicts a change emptied (from beat),
    so the reconciliation page seldom waits (dfe/reconcile.py)."""
    from .reconcile import reconciliation_bring_up_to_date

    reconciliation_bring_up_to_date()
