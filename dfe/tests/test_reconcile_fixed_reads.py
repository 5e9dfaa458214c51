"""The reconciliation page's reads made fixed queries (npq_portal.prepared) give what the ORM's
queries they replace gave: the connections with their programmes, a bucket's ids a page at a
time, the DfE-only count, the latest pulls and the DfE cohorts still paid on."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db_connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dfe.declarations import declaration_years_open
from dfe.fake import FakeDfe
from dfe.models import Connection, Statement, Sync
from dfe.reconcile import (
    _linked,
    dfe_only,
    dfe_only_count,
    recent_syncs,
    reconciliation_buckets,
    reconciliation_connections,
)
from programmes.tests.factories import ProgrammeFactory

from .reconciling import PORTAL_NOW, Hub, connection_make, dfe_add, pull

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def linked():
    """Six linked pairs (three agreeing, three not: DfE has them accepted), two of them in
    2026, and two DfE applications of no portal application, one in 2026."""
    hub = Hub()
    hub.connection.cohort_years = [2025, 2026]
    hub.connection.save()
    later = Hub.cohort_make(hub.leadership, year=2026)
    fake = FakeDfe()
    for n, name in enumerate(["Zoe Zed", "Al Able", "Kim Kay", "Bo Bee", "Di Dee", "Ed Eff"]):
        application = hub.application(
            email=f"p{n}@example.org", trn=f"10000{n:02}", cohort=later if n < 2 else None
        )
        dfe_add(fake, application, full_name=name, **({"status": "accepted"} if n % 2 else {}))
    dfe_add(fake, email="only@example.org", full_name="Only Dfe", course_identifier="npq-headship")
    dfe_add(fake, email="late@example.org", full_name="Late Dfe", cohort="2026")
    pull(fake, hub.connection)
    return hub


def _ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def test_the_connections_come_with_their_programmes_in_two_queries_and_no_more():
    first, second, third = (
        ProgrammeFactory(course_identifier=f"npq-course-{n}", name=name)
        for n, name in enumerate(["NPQ in B", "NPQ in A", "NPQ in C"])
    )
    one = connection_make(first, second, name="Ambition Institute")
    connection_make(third, name="Best Practice Network")
    off = connection_make(first, name="Switched off")
    off.enabled = False
    off.save()
    connection_make(name="No programmes")
    expected = {
        connection.name: [
            (p.pk, p.course_identifier, p.name) for p in connection.programmes.order_by("name")
        ]
        for connection in Connection.objects.switched_on()
    }

    reconciliation_connections()  # on PostgreSQL, its statements are prepared on the first
    with CaptureQueriesContext(db_connection) as queries:
        connections = reconciliation_connections()
        found = {
            connection.name: [
                (p.pk, p.course_identifier, p.name) for p in connection.programmes.all()
            ]
            for connection in connections
        }

    assert len(queries) == 2
    assert [c.name for c in connections] == [
        "Ambition Institute",
        "Best Practice Network",
        "No programmes",
    ]
    assert found == expected and found["No programmes"] == []
    assert [p.name for p in connections[0].programmes.all()] == ["NPQ in A", "NPQ in B"]
    assert connections[0].pk == one.pk and connections[0].cohort_years == [2025]


def test_no_connection_switched_on_reads_no_programmes():
    reconciliation_connections()
    with CaptureQueriesContext(db_connection) as queries:
        assert reconciliation_connections() == []
    assert len(queries) == 1


@pytest.mark.parametrize("years", [None, [2025], [2026], [2025, 2026], []])
def test_each_linked_bucket_pages_through_its_ids_by_name(linked, years):
    buckets = reconciliation_buckets(years=years)

    for bucket, disagreeing in (("matched", False), ("disagreements", True)):
        listed = _linked(years=years, course="").filter(disagreeing=disagreeing)
        expected = _ids(listed) if years != [] else []
        ids = getattr(buckets, bucket)
        assert len(ids) == buckets.counts[bucket] == len(expected)
        assert list(ids) == expected
        assert ids[0:2] == expected[0:2] and ids[1:100] == expected[1:100]
        assert ids[5:5] == [] and ids[100:125] == []
        if expected:
            assert ids[0] == expected[0] and ids[len(expected) - 1] == expected[-1]
        with pytest.raises(IndexError):
            ids[len(expected)]


def test_a_bucket_of_one_course_lists_only_that_course(linked):
    buckets = reconciliation_buckets(course=linked.leadership.course_identifier)
    expected = _ids(
        _linked(years=None, course=linked.leadership.course_identifier).filter(disagreeing=True)
    )
    assert list(buckets.disagreements) == expected and expected
    assert list(reconciliation_buckets(course="npq-nothing").disagreements) == []


@pytest.mark.parametrize(
    "years, course",
    [
        (None, ""),
        ([2025], ""),
        ([2026], ""),
        ([2025, 2026], ""),
        ([], ""),
        (None, "npq-headship"),
        ([2025], "npq-headship"),
        ([2026], "npq-headship"),
    ],
)
def test_the_dfe_only_count_is_the_lists(linked, years, course):
    expected = 0 if years == [] else dfe_only(years=years, course=course).count()
    assert dfe_only_count(years=years, course=course) == expected
    assert dfe_only_count(years=None) == 2


def test_the_latest_pulls_are_the_connections_newest_first(linked):
    other = connection_make(name="Best Practice Network")
    start = timezone.now()
    for n in range(8):
        Sync.objects.create(
            connection=other if n % 3 == 0 else linked.connection,
            kind=Sync.Kind.STATEMENTS,
            started_at=start + timedelta(minutes=n),
        )
    connections = reconciliation_connections()
    expected = list(Sync.objects.filter(connection__in=connections)[:6])

    found = recent_syncs(connections)
    with CaptureQueriesContext(db_connection) as queries:
        names = [sync.connection.name for sync in found]

    assert found == expected and len(queries) == 0
    assert names == [sync.connection.name for sync in expected]
    only_one = [c for c in connections if c.pk == linked.connection.pk]
    assert recent_syncs(only_one, count=3) == list(
        Sync.objects.filter(connection=linked.connection)[:3]
    )
    assert recent_syncs([]) == []


def test_the_dfe_cohorts_still_paid_on_leave_out_those_dfe_paid_in_full(linked):
    connection = linked.connection

    def statement(year: int, paid: bool, n: int) -> None:
        Statement.objects.create(
            connection=connection,
            dfe_id=uuid.uuid4(),
            cohort_year=year,
            month=["January", "February"][n - 1],
            year=str(year + 1),
            paid=paid,
            dfe_updated_at=timezone.now(),
        )

    assert declaration_years_open(connection) == [2025, 2026]
    statement(2025, True, 1)
    statement(2025, True, 2)
    statement(2026, True, 1)
    statement(2026, False, 2)
    paid_up = set(
        Statement.objects.filter(connection=connection)
        .values("cohort_year")
        .annotate(unpaid=Count("pk", filter=Q(paid=False)))
        .filter(unpaid=0)
        .values_list("cohort_year", flat=True)
    )
    assert paid_up == {2025}
    assert declaration_years_open(connection) == [2026]
    Statement.objects.filter(cohort_year=2026).update(paid=True)
    assert declaration_years_open(connection) == []
