import datetime

import pytest
from celery import Task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from npq_portal import outbox
from npq_portal.celery import app as celery_app
from npq_portal.models import EmailDelivery, OutboxTask
from npq_portal.outbox import (
    outbox_dispatch,
    outbox_enqueue,
    outbox_forget_done,
    outbox_mark_done,
    outbox_sweep,
)
from npq_portal.tasks import user_send_welcome_task
from programmes.tests.factories import ProgrammeFactory

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Celery is not eager and every hand-over to the broker is refused, as with Redis down."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(Task, "apply_async", refuse)
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    yield
    celery_app.conf.task_always_eager = eager


def _sign_up_to_mailing_list(client, email="priya.shah@oakfield.example"):
    programme = ProgrammeFactory()
    return client.post(
        reverse("mailing_list:subscribe"),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": email,
            "programmes": [programme.pk],
            "consent": "on",
        },
    )


def _age(entries, **ago) -> None:
    """Move entries back in time, as if they had waited that long."""
    before = timezone.now() - datetime.timedelta(**ago)
    OutboxTask.objects.filter(pk__in=[e.pk for e in entries]).update(created_at=before)


def test_an_email_a_page_asks_for_is_recorded_with_the_change_and_done_once_it_runs(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up_to_mailing_list(client)

    assert response.status_code == 302
    entry = OutboxTask.objects.get()
    assert entry.task_name == "mailing_list.tasks.subscriber_send_email_task"
    assert entry.status == OutboxTask.Status.DONE
    assert entry.dispatches == 1
    assert entry.done_at is not None
    assert [m.to for m in mailoutbox] == [["priya.shah@oakfield.example"]]


def test_a_change_rolled_back_leaves_no_task_and_sends_nothing(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            with transaction.atomic():
                outbox_enqueue(user_send_welcome_task, user.pk)
                raise ValidationError("The change was refused.")

    assert not OutboxTask.objects.exists()
    assert mailoutbox == []


def test_with_the_broker_down_the_page_works_and_the_email_waits_for_the_sweep(
    client, mailoutbox, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up_to_mailing_list(client)

    assert response.status_code == 302
    assert response.url == reverse("mailing_list:subscriber-check-email")
    entry = OutboxTask.objects.get()
    assert entry.status == OutboxTask.Status.PENDING
    assert entry.dispatched_at is None
    assert entry.dispatches == 0  # never reached the broker: not counted as a try
    assert outbox._broker_down_until > 0  # pages stop trying for a while

    monkeypatch.undo()  # the broker is back (and here, tasks run in-process again)
    celery_app.conf.task_always_eager = True
    _age([entry], minutes=2)
    counts = outbox_sweep()

    assert counts == {"handed_on": 1, "waiting": 0, "abandoned": 0}
    entry.refresh_from_db()
    assert entry.status == OutboxTask.Status.DONE
    assert [m.to for m in mailoutbox] == [["priya.shah@oakfield.example"]]


def test_pages_do_not_wait_on_a_broker_that_just_refused(broker_down, monkeypatch):
    first = outbox_enqueue(user_send_welcome_task, UserFactory().pk)
    second = outbox_enqueue(user_send_welcome_task, UserFactory().pk)
    assert outbox_dispatch(first) is False  # refused
    calls = []
    monkeypatch.setattr(Task, "apply_async", lambda self, *a, **k: calls.append(a))

    assert outbox_dispatch(second) is False
    assert calls == []  # not even tried within broker_retry_seconds


def test_the_sweep_leaves_fresh_and_recently_handed_on_entries_alone(mailoutbox):
    user = UserFactory()
    fresh = OutboxTask.objects.create(task_name=user_send_welcome_task.name, args=[user.pk])
    handed_on = OutboxTask.objects.create(
        task_name=user_send_welcome_task.name,
        args=[user.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=5),
        dispatched_at=timezone.now() - datetime.timedelta(minutes=5),
        dispatches=1,
    )

    assert outbox_sweep() == {"handed_on": 0, "waiting": 0, "abandoned": 0}
    assert mailoutbox == []
    assert {fresh.pk, handed_on.pk} == set(
        OutboxTask.objects.filter(status=OutboxTask.Status.PENDING).values_list("pk", flat=True)
    )


def test_an_entry_whose_worker_was_lost_is_handed_on_again_and_sent_once(mailoutbox):
    user = UserFactory()
    user_send_welcome_task.delay(user.pk)  # the first worker sent it, then died before "done"
    lost = OutboxTask.objects.create(
        task_name=user_send_welcome_task.name,
        args=[user.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=30),
        dispatched_at=timezone.now() - datetime.timedelta(minutes=20),
        dispatches=1,
    )

    assert outbox_sweep()["handed_on"] == 1

    lost.refresh_from_db()
    assert lost.status == OutboxTask.Status.DONE
    assert lost.dispatches == 2
    assert len(mailoutbox) == 1  # the delivery log knew it was sent
    assert EmailDelivery.objects.get(kind="welcome").attempts == 1


def test_a_task_failing_every_time_is_given_up_after_max_dispatches(
    mail_server_down, settings, caplog
):
    user = UserFactory()
    entry = OutboxTask.objects.create(
        task_name=user_send_welcome_task.name,
        args=[user.pk],
        created_at=timezone.now() - datetime.timedelta(hours=2),
    )

    for _ in range(settings.OUTBOX["max_dispatches"]):
        OutboxTask.objects.filter(pk=entry.pk).update(dispatched_at=None)
        assert outbox_sweep() == {"handed_on": 0, "waiting": 1, "abandoned": 0}
    OutboxTask.objects.filter(pk=entry.pk).update(dispatched_at=None)
    assert outbox_sweep() == {"handed_on": 0, "waiting": 0, "abandoned": 1}

    entry.refresh_from_db()
    assert entry.status == OutboxTask.Status.ABANDONED
    assert f"Outbox task {entry.pk} (npq_portal.tasks.user_send_welcome_task) given up" in (
        caplog.text
    )
    assert EmailDelivery.objects.get(kind="welcome").status == EmailDelivery.Status.FAILED


def test_only_an_outbox_task_id_marks_an_entry_done():
    entry = OutboxTask.objects.create(task_name=user_send_welcome_task.name, args=[1])

    for other in [None, "", "7c1f-uuid", "outbox-", "outbox-x", f"outbox-{entry.pk + 1}"]:
        outbox_mark_done(other)
    entry.refresh_from_db()
    assert entry.status == OutboxTask.Status.PENDING

    outbox_mark_done(f"outbox-{entry.pk}")
    entry.refresh_from_db()
    assert entry.status == OutboxTask.Status.DONE


def test_finished_entries_are_forgotten_after_their_keep_days(settings):
    old = timezone.now() - datetime.timedelta(days=settings.OUTBOX["keep_days"] + 1)
    done_long_ago = OutboxTask.objects.create(task_name="t", status="done", created_at=old)
    waiting_long = OutboxTask.objects.create(task_name="t", created_at=old)
    done_today = OutboxTask.objects.create(task_name="t", status="done")

    assert outbox_forget_done() == 1

    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {
        waiting_long.pk,
        done_today.pk,
    }
    assert not OutboxTask.objects.filter(pk=done_long_ago.pk).exists()
