"""Pulling DfE's lists: paging, updated_since less the overlap, participants' training statuses
and retired ids, failures recorded in words, one pull at a time, only spec-valid requests."""

import uuid
from datetime import UTC, timedelta

import httpx
import pytest
import time_machine
from django.conf import settings

from dfe import sync as dfe_sync
from dfe.client import DfeGone
from dfe.connection import connection_client
from dfe.fake import TOKEN, FakeDfe, later
from dfe.identities import participant_get, participant_ids_follow
from dfe.models import Call, Connection, Declaration, DfeApplication, ParticipantIdChange, Sync
from dfe.sync import (
    PULLS,
    applications_pull,
    participants_pull,
    sync_run,
)
from dfe.tasks import sync_all_task
from programmes.tests.factories import ProgrammeFactory

from .reconciling import (
    HEADSHIP,
    PORTAL_NOW,
    SENIOR_LEADERSHIP,
    connection_make,
    pull,
    transport,
)

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v3/npq-applications"
PARTICIPANTS = "/api/v3/participants/npq"


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def connection():
    return connection_make(ProgrammeFactory(course_identifier=SENIOR_LEADERSHIP))


def _stamp(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_applications_are_pulled_page_after_page_until_an_empty_one(connection):
    fake = FakeDfe()
    ids = [fake.add_application(email=f"teacher{n}@example.org") for n in range(5)]
    fake.add_application(course_identifier=HEADSHIP)  # a course this connection does not cover

    with connection_client(connection=connection, transport=transport(fake)) as client:
        received = applications_pull(client=client, connection=connection, since=None, per_page=2)

    assert received == 6
    pages = fake.calls_to("GET", APPLICATIONS)
    assert [call.query["page[page]"] for call in pages] == ["1", "2", "3", "4"]
    assert all(call.query["page[per_page]"] == "2" for call in pages)
    assert all(call.query["filter[cohort]"] == "2025" for call in pages)
    assert not any("filter[updated_since]" in call.query for call in pages)
    stored = DfeApplication.objects.filter(connection=connection)
    assert sorted(str(record.dfe_id) for record in stored) == sorted(ids)
    assert {record.course_identifier for record in stored} == {SENIOR_LEADERSHIP}


def test_every_field_of_dfes_application_is_kept(connection):
    fake = FakeDfe()
    dfe_id = fake.add_application(
        email="Ada@Example.org",
        teacher_reference_number="7654321",
        eligible_for_funding=False,
        school_urn="123456",
        teacher_catchment=True,
        full_name="Ada Lovelace",
    )

    pull(fake, connection)

    record = DfeApplication.objects.get(dfe_id=dfe_id)
    assert (record.email, record.trn, record.full_name, record.school_urn) == (
        "Ada@Example.org",
        "7654321",
        "Ada Lovelace",
        "123456",
    )
    assert (record.cohort_year, record.status, record.course_identifier) == (
        2025,
        DfeApplication.Status.PENDING,
        SENIOR_LEADERSHIP,
    )
    assert record.eligible_for_funding is False
    assert record.ineligible_for_funding_reason == "establishment-ineligible"
    assert record.teacher_catchment is True
    assert record.dfe_updated_at == fake.now


def test_the_cohorts_asked_for_are_the_connections(connection):
    connection.cohort_years = [2024, 2025]
    connection.save()
    fake = FakeDfe()
    fake.add_application(cohort="2024")
    fake.add_application(cohort="2026")

    pull(fake, connection)

    assert fake.calls_to("GET", APPLICATIONS)[0].query["filter[cohort]"] == "2024,2025"
    assert list(DfeApplication.objects.values_list("cohort_year", flat=True)) == [2024]


def test_a_second_pull_asks_for_what_changed_since_the_last_success_less_the_overlap(connection):
    fake = FakeDfe()
    first_id = fake.add_application()
    first = {sync.kind: sync for sync in pull(fake, connection)}
    fake.calls.clear()
    later(fake, hours=1)
    fake.applications[first_id]["status"] = "rejected"
    fake.applications[first_id]["updated_at"] = fake.now
    second_id = fake.add_application(email="grace@example.org")

    with time_machine.travel(PORTAL_NOW + timedelta(hours=3), tick=True):
        second = {sync.kind: sync for sync in pull(fake, connection)}

    overlap = settings.DFE["overlap"]
    for kind, path in (
        (Sync.Kind.APPLICATIONS, APPLICATIONS),
        (Sync.Kind.PARTICIPANTS, PARTICIPANTS),
    ):
        since = first[kind].started_at - overlap
        assert second[kind].updated_since == since
        assert not second[kind].full
        assert {call.query.get("filter[updated_since]") for call in fake.calls_to("GET", path)} == {
            _stamp(since)
        }
    assert second[Sync.Kind.APPLICATIONS].records == 2
    assert DfeApplication.objects.get(dfe_id=first_id).status == DfeApplication.Status.REJECTED
    assert DfeApplication.objects.filter(dfe_id=second_id).exists()


def test_a_failed_pull_does_not_move_the_point_the_next_asks_from(connection):
    fake = FakeDfe()
    fake.add_application()
    (first, _) = pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS, Sync.Kind.PARTICIPANTS])
    fake.token = "a-new-token"  # DfE no longer takes the portal's: every pull fails
    pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS])
    fake.token = TOKEN
    fake.calls.clear()

    (third,) = pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS])

    assert Sync.objects.filter(succeeded=False).count() == 1
    assert third.succeeded
    assert third.updated_since == first.started_at - settings.DFE["overlap"]


def test_a_full_pull_asks_for_everything(connection):
    fake = FakeDfe()
    fake.add_application()
    pull(fake, connection)
    fake.calls.clear()

    syncs = pull(fake, connection, full=True)

    assert all(sync.full and sync.updated_since is None for sync in syncs)
    assert not any("filter[updated_since]" in call.query for call in fake.calls)


def test_a_participants_training_status_lands_on_their_application(connection):
    fake = FakeDfe()
    dfe_id = fake.add_application(status="accepted", funded_place=True)
    fake.applications[dfe_id]["training_status"] = "deferred"

    syncs = pull(fake, connection)

    assert [sync.succeeded for sync in syncs] == [True, True, True, True]
    record = DfeApplication.objects.get(dfe_id=dfe_id)
    assert record.training_status == "deferred"
    assert record.schedule_identifier == "npq-leadership-autumn"
    assert record.funded_place is True


def test_participants_are_paged_too(connection):
    fake = FakeDfe()
    for n in range(3):
        fake.add_application(
            status="accepted", email=f"t{n}@example.org", teacher_reference_number=None
        )

    with connection_client(connection=connection, transport=transport(fake)) as client:
        received = participants_pull(client=client, connection=connection, since=None, per_page=2)

    assert received == 3
    assert [call.query["page[page]"] for call in fake.calls_to("GET", PARTICIPANTS)] == [
        "1",
        "2",
        "3",
    ]


def test_a_retired_participant_id_is_followed_on_applications_and_declarations(connection):
    fake = FakeDfe()
    dfe_id = fake.add_application(status="accepted")
    old = fake.applications[dfe_id]["participant_id"]
    pull(fake, connection)
    declaration = Declaration.objects.create(
        connection=connection,
        participant_id=old,
        declaration_type="started",
        declaration_date=fake.now,
        course_identifier=SENIOR_LEADERSHIP,
    )
    later(fake, minutes=30)

    new = fake.retire_participant(old)
    with time_machine.travel(PORTAL_NOW + timedelta(hours=1), tick=True):
        pull(fake, connection, kinds=[Sync.Kind.PARTICIPANTS])

    change = ParticipantIdChange.objects.get()
    assert (str(change.from_participant_id), str(change.to_participant_id)) == (old, new)
    assert str(DfeApplication.objects.get(dfe_id=dfe_id).participant_id) == new
    declaration.refresh_from_db()
    assert str(declaration.participant_id) == new


def test_participant_ids_follow_moves_every_record_and_keeps_the_history(connection):
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    fake = FakeDfe()
    dfe_id = fake.add_application(participant_id=first)
    pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS])

    moved = participant_ids_follow(
        [
            {
                "from_participant_id": second,
                "to_participant_id": third,
                "changed_at": "2026-12-02T10:00:00Z",
            },
            {
                "from_participant_id": first,
                "to_participant_id": second,
                "changed_at": "2026-12-01T10:00:00Z",
            },
        ]
    )

    assert moved == 2  # first -> second, then second -> third, oldest first
    assert str(DfeApplication.objects.get(dfe_id=dfe_id).participant_id) == third
    assert ParticipantIdChange.objects.count() == 2


def test_a_410_gone_for_a_participant_is_followed_to_the_new_id(connection):
    fake = FakeDfe()
    dfe_id = fake.add_application(status="accepted")
    old = fake.applications[dfe_id]["participant_id"]
    pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS])
    new = fake.retire_participant(old)

    with connection_client(connection=connection, transport=transport(fake)) as client:
        participant = participant_get(client=client, participant_id=old)

    assert participant["id"] == new
    assert [call.status for call in fake.calls_to("GET", PARTICIPANTS + "/[^/]+")] == [410, 200]
    assert str(DfeApplication.objects.get(dfe_id=dfe_id).participant_id) == new
    assert ParticipantIdChange.objects.filter(from_participant_id=old).exists()


def test_a_410_for_an_id_dfe_did_not_say_it_replaced_is_raised(connection):
    fake = FakeDfe()
    dfe_id = fake.add_application(status="accepted")
    old = fake.applications[dfe_id]["participant_id"]
    fake.retire_participant(old)

    def answer(request):
        response = fake.handle(request)
        if response.status_code == 410:  # DfE names no replacement for the id asked about
            body = response.json()
            body["errors"][0]["participant_id_changes"][0]["from_participant_id"] = str(
                uuid.uuid4()
            )
            return httpx.Response(410, json=body)
        return response

    with connection_client(connection=connection, transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(DfeGone, match="retired this participant id"):
            participant_get(client=client, participant_id=old)


def test_a_failed_pull_is_recorded_in_words_and_the_other_kinds_still_run(connection):
    fake = FakeDfe()
    fake.add_application(status="accepted")

    def answer(request):
        if request.url.path == APPLICATIONS:
            return httpx.Response(401, json={"error": "HTTP Token: Access denied"})
        return fake.handle(request)

    syncs = sync_run(connection=connection, transport=httpx.MockTransport(answer))

    failed, succeeded, *others = syncs
    assert [(sync.kind, sync.succeeded) for sync in others] == [
        (Sync.Kind.DECLARATIONS, True),
        (Sync.Kind.STATEMENTS, True),
    ]
    assert (failed.kind, failed.succeeded) == (Sync.Kind.APPLICATIONS, False)
    assert failed.error == (
        "DfE did not accept the portal's API token (HTTP Token: Access denied). "
        "Check the token in the DfE connection settings."
    )
    assert failed.finished_at is not None
    assert (succeeded.kind, succeeded.succeeded, succeeded.records) == (
        Sync.Kind.PARTICIPANTS,
        True,
        1,
    )
    assert Call.objects.filter(connection=connection, status=401).count() == 1


def test_a_connection_whose_token_cannot_be_used_records_why(connection):
    Connection.objects.filter(pk=connection.pk).update(token_encrypted="not-a-fernet-token")
    connection.refresh_from_db()

    syncs = sync_run(connection=connection, transport=transport(FakeDfe()))

    assert [sync.succeeded for sync in syncs] == [False, False, False, False]
    assert "has no token it can use" in syncs[0].error


def test_an_error_in_the_portal_is_recorded_without_its_details(connection, monkeypatch, caplog):
    def broken(**kwargs):
        raise KeyError("attributes")

    monkeypatch.setitem(PULLS, Sync.Kind.APPLICATIONS, broken)

    (sync,) = pull(FakeDfe(), connection, kinds=[Sync.Kind.APPLICATIONS])

    assert sync.succeeded is False
    assert sync.error == (
        "The pull stopped on an error in the portal (KeyError); the details are in the "
        "server's log."
    )


def test_only_one_pull_runs_at_a_time_for_a_connection(connection, monkeypatch):
    fake = FakeDfe()
    inner = []

    def pull_that_starts_another(*, client, connection, since):
        inner.append(sync_run(connection=connection, transport=transport(fake)))
        return 0

    monkeypatch.setitem(PULLS, Sync.Kind.APPLICATIONS, pull_that_starts_another)

    (outer,) = pull(fake, connection, kinds=[Sync.Kind.APPLICATIONS])

    assert outer.succeeded
    assert inner == [[]]  # the second found the first running, and did nothing
    assert Sync.objects.count() == 1
    connection.refresh_from_db()
    assert connection.syncing_until is None  # released at the end


def test_a_pull_left_running_by_a_dead_worker_does_not_block_for_ever(connection):
    fake = FakeDfe()
    Connection.objects.filter(pk=connection.pk).update(
        syncing_until=PORTAL_NOW + timedelta(minutes=30)
    )

    assert pull(fake, connection) == []
    assert fake.calls == []

    with time_machine.travel(PORTAL_NOW + timedelta(hours=1), tick=True):
        assert len(pull(fake, connection)) == len(PULLS)


def test_a_pull_that_outlived_its_lease_does_not_free_anothers(connection, monkeypatch):
    fake = FakeDfe()
    others = []

    def pull_that_outlives_its_lease(*, client, connection, since):
        # This pull is slower than its lease: another worker finds it expired and takes it.
        with time_machine.travel(PORTAL_NOW + dfe_sync.LEASE + timedelta(minutes=1), tick=True):
            others.append(dfe_sync._lease_take(connection))
        return 0

    monkeypatch.setitem(PULLS, Sync.Kind.APPLICATIONS, pull_that_outlives_its_lease)

    syncs = pull(fake, connection)

    assert others[0] is not None  # the other pull holds the lease...
    connection.refresh_from_db()
    assert connection.syncing_until == others[0]  # ...and still does when the first ends
    assert [sync.kind for sync in syncs] == [Sync.Kind.APPLICATIONS]  # the first stopped
    assert fake.calls == []
    assert pull(fake, connection) == []  # a third finds the other running


def test_a_pull_renews_its_lease_before_each_kind(connection, monkeypatch):
    kinds = [Sync.Kind.APPLICATIONS, Sync.Kind.PARTICIPANTS]
    others = []

    with time_machine.travel(PORTAL_NOW, tick=False) as clock:

        def slow_pull(*, client, connection, since):
            clock.shift(timedelta(minutes=50))  # each kind takes most of a lease
            others.append(dfe_sync._lease_take(connection))
            return 0

        for kind in kinds:
            monkeypatch.setitem(PULLS, kind, slow_pull)
        syncs = pull(FakeDfe(), connection, kinds=kinds)

    assert others == [None, None]  # 100 minutes in, no other pull could take the lease
    assert [sync.succeeded for sync in syncs] == [True, True]
    connection.refresh_from_db()
    assert connection.syncing_until is None  # released at the end


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_start_one_pull(connection):
    """Both ask for the lease at the same moment, on separate database connections."""
    import threading

    from django.db import connection as db

    if db.vendor != "postgresql":
        pytest.skip("a race needs a database that takes concurrent connections")
    barrier = threading.Barrier(2)
    taken = []

    def worker():
        barrier.wait()
        try:
            taken.append(dfe_sync._lease_take(connection))
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(lease is not None for lease in taken) == [False, True]


def test_a_whole_sync_sends_dfe_only_requests_its_spec_allows(connection):
    """The client checks each request against DfE's spec and refuses to send one that does not
    match (DfeRequestInvalid, recorded as the pull's error): a full pull then a pull of changes,
    of every kind, all succeed and DfE answered each call."""
    fake = FakeDfe()
    for n in range(4):
        fake.add_application(status="accepted" if n % 2 else "pending", email=f"t{n}@example.org")
    connection.cohort_years = [2024, 2025]
    connection.save()

    syncs = pull(fake, connection, full=True)
    with time_machine.travel(PORTAL_NOW + timedelta(hours=3), tick=True):
        syncs += pull(fake, connection)

    assert {sync.kind for sync in syncs} == set(PULLS)
    assert [sync.error for sync in syncs if not sync.succeeded] == []
    assert fake.calls and all(call.status == 200 for call in fake.calls)


def test_the_beat_task_pulls_every_switched_on_connection(connection, monkeypatch):
    fake = FakeDfe()
    fake.add_application()
    switched_off = connection_make(name="Best Practice Network")
    Connection.objects.filter(pk=switched_off.pk).update(enabled=False)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport(fake))

    sync_all_task.delay(spread_seconds=600)  # Celery is eager in tests: the wait is skipped

    assert set(Sync.objects.values_list("connection", flat=True)) == {connection.pk}
    assert DfeApplication.objects.count() == 1


def test_beat_pulls_changes_every_three_hours_and_everything_on_sunday_nights():
    schedule = settings.CELERY_BEAT_SCHEDULE
    changes, everything = schedule["pull-dfe-changes"], schedule["pull-everything-from-dfe"]

    assert changes["task"] == everything["task"] == "dfe.tasks.sync_all_task"
    assert changes["schedule"].hour == set(range(0, 24, 3))
    assert changes["schedule"].minute == {settings.DFE_PULL_MINUTE}
    assert everything["schedule"].day_of_week == {0}  # Sunday
    assert everything["kwargs"]["full"] is True and not changes["kwargs"].get("full")
    assert changes["kwargs"]["spread_seconds"] > 0
