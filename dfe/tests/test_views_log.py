"""The sync log page, the hub overview's banner when pulls fail, and the DfE link in the menu."""

from datetime import UTC, datetime, timedelta

import factory
import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection as database
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dfe.connection import connection_save
from dfe.fake import TOKEN
from dfe.models import SANDBOX_URL, Call, Connection, Sync
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    at = factory.Sequence(lambda n: NOW - timedelta(minutes=n))
    method = "GET"
    path = "/api/v3/npq-applications"
    query = "filter%5Bupdated_since%5D=2026-12-05T07%3A00%3A00Z&page%5Bpage%5D=1"
    status = 200
    duration_ms = 120


@pytest.fixture
def admin(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    return client


def connection_make(name="Ambition Institute", **fields) -> Connection:
    fields = {"enabled": True, "cohort_years": [2025]} | fields
    return connection_save(
        connection=Connection(name=name, base_url=SANDBOX_URL, **fields), token=TOKEN
    )


def sync(connection, started_at, succeeded, **fields) -> Sync:
    return Sync.objects.create(
        connection=connection,
        kind=fields.pop("kind", Sync.Kind.APPLICATIONS),
        started_at=started_at,
        finished_at=started_at + timedelta(minutes=1) if succeeded is not None else None,
        succeeded=succeeded,
        **fields,
    )


# ---- The sync log ----


def test_the_log_shows_each_call_in_words_newest_first(admin):
    connection = connection_make()
    CallFactory(connection=connection, at=NOW - timedelta(hours=2), duration_ms=95)
    CallFactory(
        connection=connection,
        at=NOW - timedelta(hours=1),
        method="POST",
        path="/api/v3/participant-declarations",
        query="",
        status=422,
        error="base: A declaration has already been submitted",
    )
    CallFactory(connection=connection, at=NOW, status=None, failure="timeout", attempt=2)
    CallFactory(connection=connection, at=NOW, status=None, failure="unreachable", attempt=3)

    response = admin.get(reverse("dfe:call-list"))

    page = response.content.decode()
    assert [call.at for call in response.context["calls"]] == [
        NOW,
        NOW,
        NOW - timedelta(hours=1),
        NOW - timedelta(hours=2),
    ]
    for words in (
        "Timed out",
        "Could not reach DfE",
        "422 Refused",
        "200 OK",
        "base: A declaration has already been submitted",
        "/api/v3/participant-declarations",
        "changed since 2026-12-05T07:00:00Z, page 1",
        "95 ms",
    ):
        assert words in page, words
    assert "updated_since" not in page


def test_the_log_is_filtered_by_connection_failures_and_day(admin):
    ambition = connection_make()
    other = connection_make("Best Practice Network")
    ok = CallFactory(connection=ambition, at=NOW)
    refused = CallFactory(connection=ambition, at=NOW, status=422)
    timed_out = CallFactory(connection=other, at=NOW, status=None, failure="timeout")
    yesterday = CallFactory(connection=ambition, at=NOW - timedelta(days=1), status=500)
    url = reverse("dfe:call-list")

    def shown(query: dict) -> set:
        return set(admin.get(url, query).context["calls"])

    assert shown({}) == {ok, refused, timed_out, yesterday}
    assert shown({"connection": ambition.pk}) == {ok, refused, yesterday}
    assert shown({"failures": "on"}) == {refused, timed_out, yesterday}
    assert shown({"day": "2026-12-05", "failures": "on"}) == {refused, timed_out}
    assert shown({"day": "2026-12-04"}) == {yesterday}
    assert shown({"day": "not a day"}) == set()
    assert "Enter a valid date" in admin.get(url, {"day": "not a day"}).content.decode()


def test_the_log_shows_fifty_calls_a_page_newer_and_older(admin):
    bulk(CallFactory, 60, connection=connection_make())

    first = admin.get(reverse("dfe:call-list"))
    second = admin.get(reverse("dfe:call-list"), {"page": 2})

    assert len(first.context["calls"]) == 50
    assert len(second.context["calls"]) == 10
    assert first.context["calls"][-1].at > second.context["calls"][0].at
    assert "Requests 1 to 50, newest first" in first.content.decode()
    assert "Requests 51 to 60, newest first" in second.content.decode()
    assert '<a class="page-link" href="?page=2">Older</a>' in first.content.decode()
    assert "Newer" not in first.content.decode()
    assert '<a class="page-link" href="?page=1">Newer</a>' in second.content.decode()
    assert "Older" not in second.content.decode()


def test_the_log_never_counts_every_call(admin):
    bulk(CallFactory, 60, connection=connection_make())
    admin.get(reverse("dfe:call-list"))

    with CaptureQueriesContext(database) as queries:
        page = admin.get(reverse("dfe:call-list"), {"failures": "", "page": 2})

    assert page.status_code == 200
    assert len(queries) > 3
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]
    assert "of 2" not in page.content.decode()


def test_the_log_s_paging_keeps_the_filters_and_a_page_past_the_end_is_missing(admin):
    ambition = connection_make()
    bulk(CallFactory, 55, connection=ambition, status=500)
    bulk(CallFactory, 5, connection=ambition)
    url = reverse("dfe:call-list")

    first = admin.get(url, {"connection": ambition.pk, "failures": "on"}).content.decode()

    assert f"?connection={ambition.pk}&amp;failures=on&amp;page=2" in first
    assert len(admin.get(url, {"failures": "on", "page": 2}).context["calls"]) == 5
    assert admin.get(url, {"failures": "on", "page": 3}).status_code == 404
    assert admin.get(url, {"page": "last"}).status_code == 404


def test_the_log_lists_recent_pulls_in_words(admin):
    connection = connection_make()
    sync(connection, NOW - timedelta(hours=3), True, full=True, records=412)
    sync(
        connection,
        NOW - timedelta(hours=1),
        False,
        kind=Sync.Kind.DECLARATIONS,
        updated_since=NOW - timedelta(hours=5),
        error="DfE could not be reached for the request.",
    )
    sync(connection, NOW, None, kind=Sync.Kind.DELIVERY_PARTNERS)

    page = admin.get(reverse("dfe:call-list")).content.decode()

    for words in (
        "Applications",
        "Declarations",
        "Delivery partners",
        "Everything",
        "Changes since 5 Dec 2026, 04:00",  # 09:00 UTC less five hours, in London
        "412",
        "Succeeded",
        "Failed",
        "Running",
        "DfE could not be reached for the request.",
    ):
        assert words in page, words
    assert "delivery_partners" not in page


def test_the_logs_query_count_does_not_grow_with_its_calls(admin):
    connections = [connection_make(), connection_make("Best Practice Network")]

    def add_rows(count):
        bulk(CallFactory, count, connection=factory.Iterator(connections))
        for connection in connections:
            sync(connection, NOW, False, error="DfE could not be reached.")

    assert_queries_do_not_grow(admin, reverse("dfe:call-list"), add_rows)


def test_an_empty_log_says_so(admin):
    page = admin.get(reverse("dfe:call-list")).content.decode()

    assert "The portal has not made any request to DfE yet." in page
    assert "No list has been pulled from DfE yet." in page


# ---- The banner on the hub overview ----


def dashboard(client) -> str:
    return client.get(reverse("reports:dashboard")).content.decode()


BANNER = "Pulls from DfE have failed since"


def test_the_banner_shows_once_pulls_have_failed_for_more_than_a_day(admin):
    connection = connection_make()
    sync(connection, NOW - timedelta(days=3), True)
    sync(connection, NOW - timedelta(hours=25), False)
    sync(connection, NOW - timedelta(hours=2), False)

    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        before = dashboard(admin)
    with time_machine.travel(NOW, tick=False):
        after = dashboard(admin)

    assert BANNER not in before
    assert BANNER in after
    assert "4 Dec 2026, 08:00" in after  # the first failure, in London
    assert f'href="{reverse("dfe:call-list")}?failures=on"' in after


def test_the_banner_goes_once_a_later_pull_succeeds(admin):
    connection = connection_make()
    sync(connection, NOW - timedelta(hours=30), False)
    sync(connection, NOW - timedelta(hours=1), True)

    with time_machine.travel(NOW, tick=False):
        assert BANNER not in dashboard(admin)


def test_the_banner_shows_nothing_without_a_connection(admin):
    with time_machine.travel(NOW, tick=False):
        page = dashboard(admin)

    assert BANNER not in page
    assert reverse("dfe:call-list") not in page


def banner(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load dfe_tags %}{% dfe_sync_banner %}").render(
        Context({"request": request})
    )


def test_the_banner_is_only_for_whoever_exchanges_with_dfe(django_assert_num_queries):
    connection = connection_make()
    sync(connection, NOW - timedelta(days=2), False)
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    for user in (lead, facilitator):
        user.has_perm("dfe.exchange_with_dfe")  # their permissions are read once a request

    with time_machine.travel(NOW, tick=False):
        with django_assert_num_queries(1):
            shown = banner(lead)
        with django_assert_num_queries(0):
            hidden = banner(facilitator)
        anonymous = banner(AnonymousUser())

    assert BANNER in shown
    assert BANNER not in hidden
    assert BANNER not in anonymous


# ---- The DfE link in the menu ----


@pytest.mark.parametrize("role", [Role.HUB_ADMINISTRATOR, Role.PROGRAMME_LEAD])
def test_the_menu_links_the_dfe_area_in_delivery_for_whoever_exchanges_with_dfe(client, role):
    sign_in(client, StaffUserFactory(roles=[role]))

    items = client.get(reverse("reports:dashboard")).context["nav_items"]

    delivery = next(item for item in items if item["label"] == "Delivery")
    assert {"label": "DfE data exchange", "url": reverse("dfe:home"), "current": False} in (
        delivery["links"]
    )


def test_the_menu_has_no_dfe_link_for_others(client):
    sign_in(client, UserFactory())

    links = client.get(reverse("participants:teacher-home")).context["nav_links"]

    assert reverse("dfe:home") not in [link["url"] for link in links]


def test_the_log_read_by_fixed_queries_is_what_the_filters_select():
    """Each set of filters (a fixed query each) pages the calls and pulls the ORM selects."""
    from itertools import combinations

    from django.db.models import Q

    from dfe.log import CallLog, log_filters_read, recent_pulls

    ambition, other = connection_make(name="Ambition"), connection_make(name="Other")
    for n in range(12):
        CallFactory(
            connection=(ambition, other, None)[n % 3],
            at=NOW - timedelta(hours=7 * n),
            status=(200, 422, None)[n % 3],
            failure="" if n % 3 != 2 else "timeout",
        )
        sync(ambition if n % 2 else other, NOW - timedelta(hours=5 * n), n % 4 != 0)
    day = (NOW - timedelta(hours=14)).date()
    given = {"connection": ambition, "failures": True, "day": day}
    for n in range(4):
        for chosen in combinations(given.items(), n):
            filters = log_filters_read(dict(chosen))
            calls = Call.objects.with_connection_name().order_by("-at", "-pk")
            pulls = Sync.objects.with_connection_name().order_by("-started_at", "-pk")
            if "connection" in filters:
                calls = calls.filter(connection=ambition)
                pulls = pulls.filter(connection=ambition)
            if "failures" in filters:
                calls = calls.filter(Q(status__isnull=True) | Q(status__gte=400))
                pulls = pulls.filter(succeeded=False)
            if "day" in filters:
                start, end = filters["day"]
                calls = calls.filter(at__gte=start, at__lt=end)
                pulls = pulls.filter(started_at__gte=start, started_at__lt=end)
            for start, stop in ((0, 5), (5, 10), (0, 50)):
                assert CallLog(filters)[start:stop] == list(calls[start:stop]), chosen
            assert recent_pulls(filters, 5) == list(pulls[:5]), chosen
    assert CallLog(None)[0:50] == []
