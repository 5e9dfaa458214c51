"""Redis stopped while people use the portal, then started again: every email goes, once.

Runs only with PostgreSQL and Redis (CI's second pass): the worker is a separate process
sharing the test database. The Redis stopped here is a private one on a port of its own, so
the Redis everything else uses keeps running.
"""

import contextlib
import datetime
import os
import shutil
import socket
import subprocess
import time
from collections import Counter

import pytest
from django.urls import reverse

from cohorts.services import session_save
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal import outbox
from npq_portal.celery import app as celery_app
from npq_portal.models import EmailDelivery, OutboxTask
from npq_portal.outbox import outbox_dispatch, outbox_sweep
from npq_portal.tests.factories import UserFactory, sign_in
from npq_portal.tests.smtp_sink import SmtpSink
from npq_portal.tests.workers import (
    free_port,
    needs_postgresql_and_redis,
    start_worker,
    stop_worker,
    wait_for,
)
from participants.models import Enrolment
from programmes.tests.factories import ProgrammeFactory

SUBSCRIBERS = 5
BOOKED = 5


class PrivateRedis:
    """A redis-server of the test's own, which it can stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "the private Redis to start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
            return True
        return False


@contextlib.contextmanager
def _celery_on(broker_url: str, queue: str):
    """Point this process's Celery at another broker and queue, and back again after."""
    conf = celery_app.conf
    previous = (conf.broker_url, conf.result_backend, conf.task_always_eager)
    previous_queue = conf.task_default_queue

    def reconnect():
        # Drop this app's pools; kombu keeps one per broker address, so the old one is
        # found again, still open, when the address is put back.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app._local.__dict__.pop("backend", None)

    conf.broker_url = conf.result_backend = broker_url
    conf.task_always_eager = False
    conf.task_default_queue = queue
    reconnect()
    try:
        yield
    finally:
        conf.broker_url, conf.result_backend, conf.task_always_eager = previous
        conf.task_default_queue = previous_queue
        reconnect()


def _subscribe(client, email: str, programme) -> int:
    response = client.post(
        reverse("mailing_list:subscribe"),
        {
            "first_name": "Sam",
            "last_name": "Okafor",
            "email": email,
            "programmes": [programme.pk],
            "consent": "on",
        },
    )
    return response.status_code


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_delays_email_but_sends_every_one_exactly_once(client, settings):
    needs_postgresql_and_redis()
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed.")
    settings.OUTBOX = {**settings.OUTBOX, "first_sweep_after": datetime.timedelta()}
    programme = ProgrammeFactory()
    session = SessionFactory(cohort=CohortFactory(programme=programme))
    booked = UserFactory.create_batch(BOOKED)
    Enrolment.objects.bulk_create(Enrolment(participant=p, cohort=session.cohort) for p in booked)
    teacher = UserFactory()
    redis = PrivateRedis()
    redis.start()
    queue = f"test-outage-{os.getpid()}"
    worker = None
    try:
        with _celery_on(redis.url, queue), SmtpSink() as sink:
            redis.stop()  # the broker goes away while people use the portal

            statuses = [
                _subscribe(client, f"subscriber{n}@outage.example", programme)
                for n in range(SUBSCRIBERS)
            ]
            session.starts_at += datetime.timedelta(days=7)
            session.ends_at += datetime.timedelta(days=7)
            session_save(session=session, by=None, reason="The room is needed for exams")
            sign_in(client, teacher)
            pages = [
                client.get(reverse(name)).status_code
                for name in ["programmes:programme-list", "participants:teacher-home"]
            ]

            assert statuses == [302] * SUBSCRIBERS
            assert pages == [200, 200]
            waiting = OutboxTask.objects.filter(status=OutboxTask.Status.PENDING)
            assert waiting.count() == SUBSCRIBERS + 1
            assert not waiting.filter(dispatched_at__isnull=False).exists()
            assert sink.messages == []

            redis.start()  # the broker is back, empty: whatever was queued before is gone
            worker = start_worker(queue, sink.url, REDIS_URL=redis.url)
            outbox._broker_down_until = 0.0
            wait_for(lambda: outbox_sweep()["waiting"] == 0, 30, "the sweep to hand all on")
            wait_for(lambda: not waiting.exists(), 120, "every outbox task to be done")
            # A sweep that thought a worker was lost hands the tasks on again: nothing doubles.
            for entry in OutboxTask.objects.all():
                assert outbox_dispatch(entry)
            wait_for(
                lambda: (
                    OutboxTask.objects.filter(dispatches=2, done_at__isnull=False).count()
                    == SUBSCRIBERS + 1
                    and len(sink.messages) >= SUBSCRIBERS + BOOKED
                ),
                120,
                "the second hand-over to run",
            )
            time.sleep(1)  # anything extra would have arrived by now
            received = Counter(
                (recipient, message["Subject"])
                for recipients, message in sink.messages
                for recipient in recipients
            )
    finally:
        stop_worker(worker)
        if redis.process.poll() is None:
            redis.stop()

    expected = {f"subscriber{n}@outage.example" for n in range(SUBSCRIBERS)} | {
        person.email for person in booked
    }
    assert {recipient for recipient, _ in received} == expected
    assert all(count == 1 for count in received.values()), received
    assert len(received) == SUBSCRIBERS + BOOKED
    assert EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count() == len(expected)
