"""The queue of changes owed to DfE: waits, refusals, the backoff and sending again."""

import datetime
import threading
import time
from datetime import timedelta

import httpx
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from applications.services import application_accept
from dfe.models import Outgoing
from dfe.outgoing import (
    SWITCHED_OFF,
    outgoing_leave_to_staff,
    outgoing_next_try,
    outgoing_retry_due,
    outgoing_send,
    outgoing_send_again,
)
from npq_portal.models import OutboxTask
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory

from .linked import covered_cohort, dfe_connection, fake_dfe, linked  # noqa: F401  a fixture

pytestmark = pytest.mark.django_db

ACCEPT = r"/npq-applications/[^/]+/accept"


@pytest.fixture
def staff():
    return StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])


def test_nothing_reaches_dfe_while_the_connection_is_switched_off(
    fake, staff, django_capture_on_commit_callbacks
):
    link = linked(fake)
    with django_capture_on_commit_callbacks(execute=True):
        application_accept(application=link.application, by=staff)
        # Switched off after the decision, before the outbox task ran.
        link.connection.enabled = False
        link.connection.save()

    outgoing = Outgoing.objects.get()
    assert (outgoing.state, outgoing.last_error) == ("waiting", SWITCHED_OFF)
    assert fake.calls == []

    link.connection.enabled = True
    link.connection.save()
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outgoing_retry_due()

    outgoing.refresh_from_db()
    assert outgoing.state == "sent"
    assert len(fake.calls_to("POST", ACCEPT)) == 1


def _waiting(connection, count, *, attempts, tried_ago, created_ago):
    rows = Outgoing.objects.bulk_create(
        Outgoing(
            connection=connection,
            kind=Outgoing.Kind.REJECT,
            attempts=attempts,
            created_at=timezone.now() - created_ago,
        )
        for _ in range(count)
    )
    Outgoing.objects.filter(pk__in=[row.pk for row in rows]).update(
        updated_at=timezone.now() - tried_ago
    )
    return rows


def test_a_backlog_not_yet_due_does_not_hide_a_row_that_is(fake):
    link = linked(fake)
    # 500 rows queued earlier, tried 3 times, the last 10 minutes ago: due after 20 minutes.
    _waiting(
        link.connection,
        500,
        attempts=3,
        tried_ago=timedelta(minutes=10),
        created_ago=timedelta(days=1),
    )
    (due,) = _waiting(
        link.connection,
        1,
        attempts=1,
        tried_ago=timedelta(minutes=6),
        created_ago=timedelta(minutes=7),
    )

    queued = outgoing_retry_due()

    assert queued == 1
    assert list(OutboxTask.objects.values_list("args", flat=True)) == [[due.pk]]


@pytest.mark.parametrize("attempts", [1, 2, 3, 6, 7, 8, 12, 40])
def test_the_retry_is_due_exactly_when_its_backoff_has_passed(fake, attempts):
    link = linked(fake)
    (row,) = _waiting(
        link.connection, 1, attempts=attempts, tried_ago=timedelta(0), created_ago=timedelta(0)
    )
    row.refresh_from_db()
    next_try = outgoing_next_try(row)

    early = outgoing_retry_due(now=next_try - timedelta(seconds=1))
    on_time = outgoing_retry_due(now=next_try)

    assert (early, on_time) == (0, 1)
    assert next_try - row.updated_at == timedelta(minutes=min(5 * 2 ** (attempts - 1), 360))


def test_a_change_left_to_staff_is_never_sent_nor_sent_again(fake, staff):
    link = linked(fake)
    outgoing = outgoing_leave_to_staff(
        connection=link.connection,
        kind=Outgoing.Kind.CHANGE_SCHEDULE,
        note="Change the schedule at DfE yourself.",
        dfe_application=link.dfe,
    )

    with pytest.raises(ValidationError, match="make it at DfE yourself"):
        outgoing_send_again(outgoing=outgoing, by=staff)

    assert outgoing_retry_due(now=timezone.now() + timedelta(days=30)) == 0
    assert not OutboxTask.objects.exists()
    assert Outgoing.objects.get().state == "for_staff"


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_change_at_once_send_it_once(fake, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")

    def slow(request):
        if request.method == "POST":
            time.sleep(0.3)  # the other worker arrives while this one holds the row
        return fake.handle(request)

    transport = httpx.MockTransport(slow)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)
    outgoing = Outgoing.objects.create(
        connection=link.connection,
        kind=Outgoing.Kind.ACCEPT,
        dfe_application=link.dfe,
        body={"data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}},
    )
    start = threading.Barrier(2)
    results = []

    def send():
        try:
            start.wait()
            results.append(outgoing_send(outgoing_id=outgoing.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(result is None for result in results) == [False, True]
    assert len(fake.calls_to("POST", ACCEPT)) == 1
    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts) == ("sent", 1)


def test_before_dfes_capped_cohorts_the_funded_place_is_not_sent(
    fake, staff, django_capture_on_commit_callbacks
):
    cohort = covered_cohort(
        academic_year=2023,
        starts_on=datetime.date(2023, 10, 2),
        ends_on=datetime.date(2024, 7, 12),
        application_deadline=datetime.date(2023, 9, 15),
    )
    connection_2023 = dfe_connection(cohort.programme)
    connection_2023.cohort_years = [2023]
    connection_2023.save()
    link = linked(fake, cohort=cohort, connection=connection_2023)

    with django_capture_on_commit_callbacks(execute=True):
        application_accept(application=link.application, by=staff)

    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body == {"data": {"type": "npq-application-accept", "attributes": {}}}
    assert Outgoing.objects.get().state == "sent"
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is None
