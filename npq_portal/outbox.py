"""The outbox: background work that cannot be lost between a change and the broker.

A service that wants a task run after its change (an email, mostly) calls `outbox_enqueue`
inside its transaction. That writes an OutboxTask row in the same transaction, so the request
for the task commits or rolls back with the change itself, and after the commit hands the task
to the broker. If the broker is down, the page carries on and the row waits; `outbox_sweep`
(every minute, from beat) hands on whatever is still waiting. A worker that finishes the task
marks its row done (`outbox_mark_done`, on Celery's task_postrun signal).

A task can therefore run more than once (handed on twice, or a worker dying after the send
but before "done"), so every outbox task must be safe to run twice: email tasks are, because
`email_send_once` sends each (recipient, kind, about, occasion) once.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from npq_portal.numbers import whole_number

from .models import OutboxTask

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"

# Per process: after the broker refused, stop trying from pages for a while (the sweep will
# hand on what waits), so each page does not wait on a dead socket.
_broker_down_until = 0.0


def outbox_settings() -> dict:
    return settings.OUTBOX


def outbox_enqueue(task, *args) -> OutboxTask:
    """Record that `task(*args)` must run once this transaction commits, and hand it to the
    broker then. Arguments must be JSON values (ids, strings)."""
    entry = OutboxTask.objects.create(task_name=task.name, args=list(args))
    transaction.on_commit(lambda: outbox_dispatch(entry), robust=True)
    return entry


def outbox_dispatch(entry: OutboxTask) -> bool:
    """Hand one waiting entry to the broker; False (and the entry still waiting) when it
    could not be, or when it ran in-process and failed."""
    global _broker_down_until
    eager = current_app.conf.task_always_eager
    if not eager and time.monotonic() < _broker_down_until:
        return False
    task = current_app.tasks[entry.task_name]
    handed_on = True
    try:
        # retry=False: with the broker down, fail at once rather than hold the page up.
        task.apply_async(args=entry.args, task_id=entry.celery_task_id, retry=False)
    except Exception as error:  # noqa: BLE001  the broker down, or an in-process task failing
        logger.warning(
            "Outbox task %s (%s) not done: %s", entry.pk, entry.task_name, type(error).__name__
        )
        if not eager:  # never reached the broker: not a dispatch
            _broker_down_until = time.monotonic() + outbox_settings()["broker_retry_seconds"]
            return False
        handed_on = False  # ran here and failed: it counts towards giving up
    OutboxTask.objects.filter(pk=entry.pk).update(
        dispatched_at=timezone.now(), dispatches=F("dispatches") + 1
    )
    return handed_on


def outbox_mark_done(task_id: str | None) -> None:
    """A worker finished the task with this Celery id: if it came from the outbox, it is done."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return
    entry_id = whole_number(task_id.removeprefix(TASK_ID_PREFIX))
    if entry_id is not None:
        OutboxTask.objects.filter(pk=entry_id, status=OutboxTask.Status.PENDING).update(
            status=OutboxTask.Status.DONE, done_at=timezone.now()
        )


def outbox_due() -> list[OutboxTask]:
    """Entries the sweep should hand on: never handed on (the broker was down, or the process
    died between commit and hand-over), or handed on long ago and still not done."""
    config = outbox_settings()
    now = timezone.now()
    never_sent = Q(dispatched_at__isnull=True, created_at__lte=now - config["first_sweep_after"])
    lost = Q(dispatched_at__lte=now - config["again_after"])
    waiting = OutboxTask.objects.filter(status=OutboxTask.Status.PENDING)
    return list(waiting.filter(never_sent | lost).order_by("created_at", "pk")[: config["batch"]])


def outbox_sweep() -> dict[str, int]:
    """Hand on every entry still waiting; give up (and log) on one tried too often.
    Returns how many were handed on, left waiting and given up."""
    global _broker_down_until
    _broker_down_until = 0.0  # the sweep always tries the broker itself
    counts = {"handed_on": 0, "waiting": 0, "abandoned": 0}
    for entry in outbox_due():
        if entry.dispatches >= outbox_settings()["max_dispatches"]:
            OutboxTask.objects.filter(pk=entry.pk, status=OutboxTask.Status.PENDING).update(
                status=OutboxTask.Status.ABANDONED
            )
            logger.error("Outbox task %s (%s) given up", entry.pk, entry.task_name)
            counts["abandoned"] += 1
        elif outbox_dispatch(entry):
            counts["handed_on"] += 1
        else:
            counts["waiting"] += 1
            if not current_app.conf.task_always_eager:
                break  # the broker is down: the rest wait for the next sweep
    return counts


def outbox_forget_done() -> int:
    """Delete entries done (or given up) more than keep_days ago; how many went."""
    cutoff = timezone.now() - timedelta(days=outbox_settings()["keep_days"])
    finished = OutboxTask.objects.exclude(status=OutboxTask.Status.PENDING)
    deleted, _ = finished.filter(created_at__lt=cutoff).delete()
    return deleted
