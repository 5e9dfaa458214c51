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

Sending a row takes three steps, so that no DfE call is made inside a transaction:

1. A short transaction locks the row and claims it: it must be waiting and not claimed by a
   live worker (`claimed_until` in the future), and no older row for the same participant
   may be waiting (their changes go to DfE in the order staff made them). The claim counts
   the attempt and commits before DfE is called, so a worker that dies while DfE answers
   leaves a row tried once (the next try looks DfE up first) whose claim soon expires.
2. The sender runs with no transaction open.
3. A short transaction records the result on the row and clears the claim; a row that is
   done queues the next row waiting for the same participant.

A sender is `sender(client, outgoing) -> note | None`. It looks at DfE first where DfE has no
idempotency key, makes the call(s), and writes what DfE answered on the portal's own records
in short `transaction.atomic()` blocks after each call, locking a record only there and never
calling DfE inside one. It raises DfeError when DfE refused or failed, or returns a note to
store when there was nothing to send. A done row is never sent again, so a task run twice
sends once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from npq_portal.outbox import outbox_enqueue
from reports.milestones import LABELS

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
from .models import Connection, Declaration, Outgoing

logger = logging.getLogger(__name__)

# DfE will not take these as they stand: sending them again changes nothing.
REFUSALS = (DfeRefused, DfeBadRequest, DfeForbidden, DfeNotFound, DfeGone, DfeRequestInvalid)

# kind -> sender(client, outgoing), as the module docstring says: called with no transaction
# open; it records what DfE answered in short transactions of its own after each call.
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


BEHIND = (
    "Waits for an earlier change to this participant to reach DfE first, so that DfE gets "
    "them in the order they were made."
)
FAILED = "The portal failed while sending this; it is tried again later."
# How long a worker may take to send one row (a PUT with its retries takes about 90 seconds)
# before another may try it.
CLAIM = timedelta(minutes=10)


def _with_participant(rows: QuerySet) -> QuerySet:
    """`rows` with `participant`: the DfE participant a row is about (its DfE application's,
    or its declaration's for a declaration or void)."""
    return rows.annotate(
        participant=Coalesce(F("dfe_application__participant_id"), F("declaration__participant_id"))
    )


def _older_waiting() -> QuerySet:
    """Waiting rows for the participant of the outer row (annotated `participant`), queued
    before it: for an `Exists`."""
    return _with_participant(Outgoing.objects.filter(state=Outgoing.State.WAITING)).filter(
        participant=OuterRef("participant"), pk__lt=OuterRef("pk")
    )


def _behind(outgoing: Outgoing) -> bool:
    """Whether an older row for the same participant is still waiting to be sent."""
    return (
        _with_participant(Outgoing.objects.filter(pk=outgoing.pk))
        .filter(Exists(_older_waiting()))
        .exists()
    )


def _claim(outgoing_id: int) -> tuple[Outgoing | None, Sender | None]:
    """Step 1: lock the row, and claim it (counting the attempt) when it is this worker's to
    send; (None, None) when it is not. A connection switched off leaves it waiting, unclaimed."""
    now = timezone.now()
    with transaction.atomic():
        outgoing = (
            Outgoing.objects.select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk=outgoing_id, state=Outgoing.State.WAITING)
            .first()
        )
        if outgoing is None or (outgoing.claimed_until and outgoing.claimed_until > now):
            return None, None  # done, or another worker is sending it
        if _behind(outgoing):
            # Not an attempt: the row is queued again once the older one is done.
            Outgoing.objects.filter(pk=outgoing.pk).update(last_error=BEHIND)
            return None, None
        send = SENDERS.get(outgoing.kind)
        if send is None:
            raise LookupError(f"No sender for DfE changes of kind {outgoing.kind}")
        outgoing.attempts += 1
        if not outgoing.connection.enabled:
            # Staff switched DfE off after this was queued: nothing reaches DfE until it is on.
            outgoing.save(update_fields=["attempts", "updated_at"])
            _wait(outgoing, SWITCHED_OFF)
            return outgoing, None
        outgoing.claimed_until = now + CLAIM
        outgoing.save(update_fields=["attempts", "claimed_until", "updated_at"])
    return outgoing, send


def outgoing_send(*, outgoing_id: int, transport=None, sleep=None) -> Outgoing | None:
    """Send one waiting row to DfE, as the module docstring says; None if it was not sent now
    (done already, being sent by another worker, or behind an older change to the same
    participant)."""
    outgoing, send = _claim(outgoing_id)
    if send is None:
        return outgoing
    try:
        with connection_client(
            connection=outgoing.connection, transport=transport, sleep=sleep
        ) as client:
            note = send(client, outgoing)
    except REFUSALS as error:
        _record(outgoing, Outgoing.State.REFUSED, error=str(error))
    except DfeUnauthorised as error:
        _record(outgoing, Outgoing.State.WAITING, error=str(error))  # staff fix the token
    except DfeError as error:
        _record(outgoing, Outgoing.State.WAITING, error=str(error))
    except ValidationError as error:
        _record(outgoing, Outgoing.State.WAITING, error=" ".join(error.messages))
    except BaseException:
        # The worker lives to say so: free the row for the next try at once (a worker that
        # dies leaves its claim to expire).
        _record(outgoing, Outgoing.State.WAITING, error=FAILED)
        raise
    else:
        state = Outgoing.State.NOT_NEEDED if note else Outgoing.State.SENT
        _record(outgoing, state, error="", note=note or "")
    return outgoing


def _record(outgoing: Outgoing, state: str, *, error: str, note: str = "") -> None:
    """Step 3: record the result on the row and clear the claim, in a short transaction."""
    with transaction.atomic():
        Outgoing.objects.select_for_update().filter(pk=outgoing.pk).first()
        outgoing.claimed_until = None
        if state == Outgoing.State.WAITING:
            _wait(outgoing, error)
        else:
            _finish(outgoing, state, error=error, note=note)


def _finish(outgoing: Outgoing, state: str, *, error: str, note: str = "") -> None:
    outgoing.state = state
    outgoing.last_error = error
    outgoing.sent_at = timezone.now() if state == Outgoing.State.SENT else None
    fields = ["state", "last_error", "sent_at", "claimed_until", "updated_at"]
    if note:  # why nothing was sent; a sender's own note (set on the row) stays otherwise
        outgoing.note = " ".join(filter(None, [outgoing.note, note]))
        fields.append("note")
    outgoing.save(update_fields=fields)
    if state == Outgoing.State.REFUSED:
        logger.warning("DfE refused outgoing %s (%s)", outgoing.pk, outgoing.kind)
    _queue_next(outgoing)


def _queue_next(outgoing: Outgoing) -> None:
    """Queue the oldest row still waiting for the same participant as this done one."""
    from .tasks import outgoing_send_task  # noqa: PLC0415  tasks.py imports this module

    mine = _with_participant(Outgoing.objects.filter(pk=outgoing.pk)).values("participant")
    following = (
        _with_participant(Outgoing.objects.filter(state=Outgoing.State.WAITING))
        .filter(participant__isnull=False, participant=mine[:1])
        .exclude(pk=outgoing.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        outbox_enqueue(outgoing_send_task, following)


def _wait(outgoing: Outgoing, error: str) -> None:
    outgoing.last_error = error
    outgoing.save(update_fields=["last_error", "claimed_until", "updated_at"])
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
STRANDED_AFTER = timedelta(minutes=30)


def outgoing_retry_due(*, now=None) -> int:
    """Queue again every waiting row whose backoff has passed (every few minutes, from beat).

    Rows never tried are left to the outbox that queued them (for STRANDED_AFTER), rows a live
    worker is sending to that worker, and rows behind an older waiting change to the same participant to that one
    (the oldest goes first; when it is done it queues the next). Returns how many were queued.
    """
    from .tasks import outgoing_send_task  # noqa: PLC0415  tasks.py imports this module

    now = now or timezone.now()
    queued = 0
    # Due rows are chosen in SQL: a backlog of rows not yet due must not hide those that are.
    # A row never tried is the outbox's to hand on, unless it has waited STRANDED_AFTER: it was
    # behind an older change whose worker died before queueing it.
    due = Q(_due(now), attempts__gt=0) | Q(attempts=0, created_at__lte=now - STRANDED_AFTER)
    waiting = (
        _with_participant(Outgoing.objects.filter(due, state=Outgoing.State.WAITING))
        .exclude(claimed_until__gt=now)
        .exclude(Exists(_older_waiting()))
    )
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
    if outgoing.kind == Outgoing.Kind.DECLARATION and outgoing.declaration_id:
        _declaration_send_again(outgoing)
    outgoing.state = Outgoing.State.WAITING
    outgoing.save(update_fields=["state", "updated_at"])
    outbox_enqueue(outgoing_send_task, outgoing.pk)
    return outgoing


def _declaration_send_again(outgoing: Outgoing) -> None:
    """Put the row's refused declaration back to "being sent", unless another live one of its
    type is held for the participant now (the portal's guard against a duplicate claim)."""
    declaration = Declaration.objects.select_for_update().get(pk=outgoing.declaration_id)
    if declaration.state != Declaration.State.REFUSED:
        return
    declaration.state = Declaration.State.SENDING
    declaration.error = ""
    try:
        with transaction.atomic():
            declaration.save(update_fields=["state", "error", "updated_at"])
    except IntegrityError:
        type_label = LABELS.get(declaration.declaration_type, declaration.declaration_type).lower()
        raise ValidationError(
            f"The participant has another {type_label} "
            "declaration for this course being sent or held at DfE already, so this one cannot "
            "be sent again."
        ) from None
