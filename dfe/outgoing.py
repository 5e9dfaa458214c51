"""Changes the portal owes DfE, sent through the outbox so that an outage loses nothing.

A service that must tell DfE something (a decision, a place change, a declaration, an outcome)
calls `outgoing_queue` inside its own transaction. That writes an `Outgoing` row and asks the
outbox to run `outgoing_send_task` once the transaction commits: nothing is queued for a change
that rolls back. The task calls the sender registered for the row's kind (`SENDERS`, filled by
the modules that own each kind) with a client for the row's connection.

- DfE took it: the row is `sent`, with the time.
- DfE refused it (400, 403, 404, 410, 422, or a request that does not fit DfE's spec): the row
  is `refused`, with DfE's words for staff. It is not sent again by itself.
- DfE did not answer, or asked the portal to slow down, or the connection is switched off: the
  row stays `waiting` with the error, and `outgoing_retry_due` (from beat) sends it again after
  a backoff that doubles each try.
- There was nothing to send (DfE already had it): the row is `not_needed`, with the sender's
  note saying why. A change the portal cannot send itself is recorded `for_staff`
  (`outgoing_leave_to_staff`), with a note saying what to do at DfE.

A row is sent by one worker at a time (its row lock) and never once it is done, so a task run
twice sends once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from npq_portal.outbox import outbox_enqueue

from .client import (
    DfeBadRequest,
    DfeClient,
    DfeError,
    DfeForbidden,
    DfeGone,
    DfeNotFound,
    DfeRefused,
    DfeRequestInvalid,
    DfeUnauthorised,
)
from .connection import connection_client
from .models import Connection, Outgoing

logger = logging.getLogger(__name__)

# DfE will not take these as they stand: sending them again changes nothing.
REFUSALS = (DfeRefused, DfeBadRequest, DfeForbidden, DfeNotFound, DfeGone, DfeRequestInvalid)

# kind -> sender(client, outgoing). A sender makes DfE's call(s) and records what DfE answered
# on the portal's own records (it runs inside the row's transaction); it raises DfeError when
# DfE refused or failed, or returns a note to store when there was nothing to send.
Sender = Callable[[DfeClient, Outgoing], str | None]
SENDERS: dict[str, Sender] = {}


def sender(kind: str) -> Callable[[Sender], Sender]:
    """Register the function that sends Outgoing rows of `kind`."""

    def register(function: Sender) -> Sender:
        SENDERS[kind] = function
        return function

    return register


def outgoing_queue(
    *, connection: Connection, kind: str, by=None, body: dict | None = None, **targets
) -> Outgoing:
    """Record a change owed to DfE and have it sent once the caller's transaction commits.

    `targets` are the row's links (`dfe_application=…`, `declaration=…`).
    """
    from .tasks import outgoing_send_task  # noqa: PLC0415  tasks.py imports this module

    outgoing = Outgoing.objects.create(
        connection=connection, kind=kind, body=body or {}, by=by, **targets
    )
    outbox_enqueue(outgoing_send_task, outgoing.pk)
    return outgoing


@transaction.atomic
def outgoing_leave_to_staff(
    *, connection: Connection, kind: str, note: str, by=None, body: dict | None = None, **targets
) -> Outgoing:
    """Record a change DfE must hear of that the portal cannot send itself, with `note` saying
    in words what staff must do at DfE; nothing is sent."""
    return Outgoing.objects.create(
        connection=connection,
        kind=kind,
        body=body or {},
        by=by,
        state=Outgoing.State.FOR_STAFF,
        note=note,
        **targets,
    )


SWITCHED_OFF = (
    "The DfE connection is switched off, so nothing was sent; it goes once the connection is "
    "switched on again."
)


def outgoing_send(*, outgoing_id: int, transport=None, sleep=None) -> Outgoing | None:
    """Send one waiting row to DfE, as the module docstring says; None if it was not waiting."""
    with transaction.atomic():
        outgoing = (
            Outgoing.objects.select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk=outgoing_id, state=Outgoing.State.WAITING)
            .first()
        )
        if outgoing is None:
            return None
        send = SENDERS.get(outgoing.kind)
        if send is None:
            raise LookupError(f"No sender for DfE changes of kind {outgoing.kind}")
        Outgoing.objects.filter(pk=outgoing.pk).update(attempts=F("attempts") + 1)
        outgoing.attempts += 1
        if not outgoing.connection.enabled:
            # Staff switched DfE off after this was queued: nothing reaches DfE until it is on.
            _wait(outgoing, SWITCHED_OFF)
            return outgoing
        try:
            with connection_client(
                connection=outgoing.connection, transport=transport, sleep=sleep
            ) as client:
                note = send(client, outgoing)
        except REFUSALS as error:
            _finish(outgoing, Outgoing.State.REFUSED, error=str(error))
        except DfeUnauthorised as error:
            _wait(outgoing, str(error))  # the token is wrong: staff fix it, then it goes
        except DfeError as error:
            _wait(outgoing, str(error))
        except ValidationError as error:
            _wait(outgoing, " ".join(error.messages))
        else:
            state = Outgoing.State.NOT_NEEDED if note else Outgoing.State.SENT
            _finish(outgoing, state, error="", note=note or "")
    return outgoing


def _finish(outgoing: Outgoing, state: str, *, error: str, note: str = "") -> None:
    outgoing.state = state
    outgoing.last_error = error
    outgoing.sent_at = timezone.now() if state == Outgoing.State.SENT else None
    fields = ["state", "last_error", "sent_at", "updated_at"]
    if note:  # why nothing was sent; a sender's own note (set on the row) stays otherwise
        outgoing.note = " ".join(filter(None, [outgoing.note, note]))
        fields.append("note")
    outgoing.save(update_fields=fields)
    if state == Outgoing.State.REFUSED:
        logger.warning("DfE refused outgoing %s (%s)", outgoing.pk, outgoing.kind)


def _wait(outgoing: Outgoing, error: str) -> None:
    outgoing.last_error = error
    outgoing.save(update_fields=["last_error", "updated_at"])
    logger.info(
        "Outgoing %s (%s) waits for DfE: try %d", outgoing.pk, outgoing.kind, outgoing.attempts
    )


def _backoff_minutes(attempts: int) -> int:
    config = settings.DFE
    return min(
        config["retry_after_minutes"] * 2 ** max(0, min(attempts, 32) - 1),
        config["retry_max_minutes"],
    )


def outgoing_next_try(outgoing: Outgoing):
    """When a waiting row that failed should be tried again: a backoff doubling each try."""
    return outgoing.updated_at + timedelta(minutes=_backoff_minutes(outgoing.attempts))


def _due(now) -> Q:
    """Waiting rows whose backoff has passed, as a filter: one term per number of tries until
    the backoff reaches its cap (outgoing_next_try, said in SQL)."""
    due, attempts = Q(), 1
    cap = settings.DFE["retry_max_minutes"]
    while (minutes := _backoff_minutes(attempts)) < cap and attempts < 32:
        due |= Q(attempts=attempts, updated_at__lte=now - timedelta(minutes=minutes))
        attempts += 1
    return due | Q(attempts__gte=attempts, updated_at__lte=now - timedelta(minutes=minutes))


RETRY_BATCH = 500


def outgoing_retry_due(*, now=None) -> int:
    """Queue again every waiting row whose backoff has passed (every few minutes, from beat).

    Rows never tried are left to the outbox that queued them. Returns how many were queued.
    """
    from .tasks import outgoing_send_task  # noqa: PLC0415  tasks.py imports this module

    now = now or timezone.now()
    queued = 0
    # Due rows are chosen in SQL: a backlog of rows not yet due must not hide those that are.
    waiting = Outgoing.objects.filter(_due(now), state=Outgoing.State.WAITING, attempts__gt=0)
    for outgoing_id in waiting.order_by("created_at", "pk").values_list("pk", flat=True)[
        :RETRY_BATCH
    ]:
        with transaction.atomic():
            outbox_enqueue(outgoing_send_task, outgoing_id)
        queued += 1
    return queued


@transaction.atomic
def outgoing_send_again(*, outgoing: Outgoing, by) -> Outgoing:
    """Staff send a refused or waiting row again now (after fixing what DfE refused)."""
    from .tasks import outgoing_send_task  # noqa: PLC0415  tasks.py imports this module

    outgoing = Outgoing.objects.select_for_update().get(pk=outgoing.pk)
    if outgoing.state == Outgoing.State.FOR_STAFF:
        raise ValidationError("The portal cannot send this change: make it at DfE yourself.")
    if outgoing.state not in (Outgoing.State.WAITING, Outgoing.State.REFUSED):
        raise ValidationError("This has been sent to DfE already, or was not needed.")
    outgoing.state = Outgoing.State.WAITING
    outgoing.save(update_fields=["state", "updated_at"])
    outbox_enqueue(outgoing_send_task, outgoing.pk)
    return outgoing
