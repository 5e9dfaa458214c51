"""A worker killed in the middle of a run of 1,000 reminders, then started again.

Runs only with PostgreSQL and Redis (CI's second pass): the worker is a separate process, so
it needs a database and a broker it can share with the test.
"""

import datetime
import os
import signal
from collections import defaultdict

import pytest
from django.utils import timezone

from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.celery import app as celery_app
from npq_portal.models import EmailDelivery, User
from npq_portal.tests.smtp_sink import SmtpSink
from npq_portal.tests.workers import needs_postgresql_and_redis, start_worker, stop_worker, wait_for
from participants.models import Enrolment
from reminders.models import ReminderDone
from reminders.tasks import reminders_run_task

PEOPLE = 1_000


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_run_then_starting_it_again_reminds_everyone_once():
    needs_postgresql_and_redis()
    cohort = CohortFactory(starts_on=datetime.date(2020, 1, 1))
    soon = timezone.now() + datetime.timedelta(hours=1)  # inside the 2-hour reminder
    session = SessionFactory(
        cohort=cohort, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)
    )
    people = User.objects.bulk_create(
        User(email=f"participant{n}@killed-worker.example", first_name=f"P{n}")
        for n in range(PEOPLE)
    )
    Enrolment.objects.bulk_create(Enrolment(participant=p, cohort=cohort) for p in people)
    sent = EmailDelivery.objects.filter(kind="session_reminder", status="sent")
    queue = f"test-killed-{os.getpid()}"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    workers = []
    try:
        with SmtpSink() as sink:
            workers.append(start_worker(queue, sink.url))
            reminders_run_task.apply_async(queue=queue)
            wait_for(lambda: sent.count() >= PEOPLE // 4, 120, "a quarter to be sent")
            workers[0].send_signal(signal.SIGKILL)  # no warning, no clean-up: a crash
            workers[0].wait(timeout=30)
            sent_before_restart = sent.count()

            workers.append(start_worker(queue, sink.url))
            # Beat's next run, 5 minutes on: it finds what is not done and finishes it.
            reminders_run_task.apply_async(queue=queue, ignore_result=False).get(timeout=180)
            copies = list(sink.messages)
    finally:
        celery_app.conf.task_always_eager = eager
        for worker in workers:
            stop_worker(worker)

    assert PEOPLE // 4 <= sent_before_restart < PEOPLE, "the kill came mid-run"
    message_ids = defaultdict(set)
    for recipients, message in copies:
        for recipient in recipients:
            message_ids[recipient].add(message["Message-ID"])
    assert sorted(message_ids) == sorted(p.email for p in people)  # no one missed
    assert all(len(ids) == 1 for ids in message_ids.values())  # no one got two emails
    # The one email in flight at the kill may have reached the mail server and be sent again,
    # with the same Message-ID, which mail systems collapse into one. Nothing else repeats.
    assert PEOPLE <= len(copies) <= PEOPLE + 1
    assert sent.count() == PEOPLE
    assert ReminderDone.objects.filter(rule="session-2-hours").count() == 1
    assert session.pk  # the one session, reminded about once per person
