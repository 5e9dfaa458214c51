"""The staff page of changes owed to DfE, and DfE's side on an application's page."""

from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.services import application_accept
from applications.tests.factories import bulk_applications
from dfe.models import DfeApplication, Outgoing
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.querycount import (
    assert_queries_do_not_grow,
    session_reads,
    statement_of,
)

from .linked import fake_dfe, linked  # noqa: F401  a fixture

pytestmark = pytest.mark.django_db

PAGE = "/staff/dfe/outgoing/"


@pytest.fixture
def staff(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


def _accept(link, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application_accept(application=link.application, by=staff)


def test_a_waiting_change_shows_its_tries_error_and_next_try(
    fake, staff, client, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(request):
        raise httpx.ConnectError("Connection refused", request=request)

    transport = httpx.MockTransport(unreachable)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)
    _accept(link, staff, django_capture_on_commit_callbacks)
    outgoing = Outgoing.objects.get()

    page = client.get(PAGE).content.decode()

    assert "Accept the application" in page
    assert "Waiting to be sent" in page
    assert "DfE could not be reached" in page
    assert timezone.localtime(outgoing.updated_at + timedelta(minutes=5)).strftime("%H:%M") in page
    assert link.application.applicant.get_full_name() in page


def test_a_refusal_is_shown_in_dfes_words_and_can_be_sent_again_once_fixed(
    fake, staff, client, django_capture_on_commit_callbacks
):
    link = linked(fake)
    record = fake.applications[str(link.dfe.dfe_id)]
    record["status"] = "rejected"
    _accept(link, staff, django_capture_on_commit_callbacks)
    outgoing = Outgoing.objects.get()

    waiting = client.get(PAGE).content.decode()
    refused = client.get(PAGE + "?show=attention").content.decode()
    record["status"] = "pending"  # sorted out with DfE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/staff/dfe/outgoing/{outgoing.pk}/send-again/", {"next": PAGE + "?show=sent"}
        )
    sent = client.get(response.url).content.decode()

    assert "Nothing is waiting to be sent to DfE." in waiting
    assert "Refused by DfE" in refused
    assert "This NPQ application has already been rejected" in refused
    assert "Send again" in refused
    assert response.status_code == 302 and response.url == PAGE + "?show=sent"
    assert "Accept the application: sent to DfE again; now" in sent
    outgoing.refresh_from_db()
    assert outgoing.state == "sent"
    assert len(fake.calls_to("POST", r"/accept")) == 2


def test_sending_again_what_was_sent_says_so_and_sends_nothing(
    fake, staff, client, django_capture_on_commit_callbacks
):
    link = linked(fake)
    _accept(link, staff, django_capture_on_commit_callbacks)
    outgoing = Outgoing.objects.get()

    response = client.post(f"/staff/dfe/outgoing/{outgoing.pk}/send-again/", follow=True)

    assert "This has been sent to DfE already" in response.content.decode()
    assert len(fake.calls_to("POST", r"/accept")) == 1


def test_the_list_makes_as_many_queries_for_a_thousand_changes_as_for_ten(fake, staff, client):
    link = linked(fake)
    dfe_ids = iter(range(10**6, 10**7))

    def add_rows(count):
        applications = bulk_applications(count, cohort=link.cohort)
        dfes = DfeApplication.objects.bulk_create(
            DfeApplication(
                connection=link.connection,
                dfe_id=f"00000000-0000-4000-8000-{next(dfe_ids):012d}",
                participant_id="7a8fef46-3c43-42c0-b3d5-1ba5904ba562",
                course_identifier="npq-senior-leadership",
                cohort_year=2025,
                status="pending",
                dfe_updated_at=timezone.now(),
                application=application,
            )
            for application in applications
        )
        Outgoing.objects.bulk_create(
            Outgoing(
                connection=link.connection,
                kind=Outgoing.Kind.REJECT,
                dfe_application=dfe,
                state=Outgoing.State.REFUSED,
                attempts=1,
                last_error="DfE refused the rejection of the application: base: no.",
                by=staff,
            )
            for dfe in dfes
        )

    assert_queries_do_not_grow(client, f"{PAGE}?show=attention", add_rows)


def test_the_waiting_list_makes_as_many_queries_for_many_rows(fake, staff, client):
    link = linked(fake)

    def add_rows(count):
        Outgoing.objects.bulk_create(
            Outgoing(
                connection=link.connection,
                kind=Outgoing.Kind.ACCEPT,
                dfe_application=link.dfe,
                attempts=n % 5,
                last_error="DfE could not be reached for the request.",
            )
            for n in range(count)
        )

    assert_queries_do_not_grow(client, PAGE, add_rows)


def test_the_application_page_shows_dfes_side_in_a_fixed_number_of_queries(
    fake, staff, client, monkeypatch, django_capture_on_commit_callbacks
):
    link = linked(fake, funded=True, eligible_for_funding=False)
    fake.applications[str(link.dfe.dfe_id)]["status"] = "rejected"
    _accept(link, staff, django_capture_on_commit_callbacks)
    url = link.application.get_absolute_url()

    client.get(url)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    Outgoing.objects.bulk_create(
        Outgoing(
            connection=link.connection,
            kind=Outgoing.Kind.REJECT,
            dfe_application=link.dfe,
            last_error="DfE could not be reached for the request.",
        )
        for _ in range(20)
    )
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        more = client.get(url).content.decode()

    assert "At DfE" in page
    assert str(link.dfe.dfe_id) in page
    assert "Not eligible for funding" in page
    assert "Accept the application</strong>: refused by dfe" in page
    assert "This NPQ application has already been rejected" in page
    assert more.count("DfE could not be reached") == 20
    assert len(many) == len(one)


def test_the_applicant_sees_nothing_of_dfe_on_their_application(fake, client):
    link = linked(fake)
    sign_in(client, link.application.applicant)

    page = client.get(link.application.get_absolute_url()).content.decode()

    assert "At DfE" not in page
    assert str(link.dfe.dfe_id) not in page


def test_an_unlinked_application_says_so_only_where_dfe_covers_its_cohort(fake, staff, client):
    link = linked(fake)
    link.dfe.delete()
    url = link.application.get_absolute_url()

    covered = client.get(url).content.decode()
    link.connection.enabled = False
    link.connection.save()
    not_covered = client.get(url).content.decode()

    assert "Not linked to an application at DfE." in covered
    assert "At DfE" not in not_covered


def _outgoing(link, count: int, **fields) -> None:
    """`count` changes to accept the linked application, with `fields` (updated_at too)."""
    rows = Outgoing.objects.bulk_create(
        Outgoing(connection=link.connection, kind=Outgoing.Kind.ACCEPT, dfe_application=link.dfe)
        for _ in range(count)
    )
    Outgoing.objects.filter(pk__in=[row.pk for row in rows]).update(**fields)


def test_the_sent_tab_is_not_counted_and_pages_newer_and_older(fake, staff, client):
    link = linked(fake)
    _outgoing(link, 3, state=Outgoing.State.WAITING)
    _outgoing(link, 2, state=Outgoing.State.REFUSED)
    _outgoing(link, 7, state=Outgoing.State.SENT, updated_at=timezone.now() - timedelta(days=40))
    _outgoing(link, 30, state=Outgoing.State.SENT, sent_at=timezone.now())

    second = client.get(PAGE, {"show": "sent", "page": 2})
    with CaptureQueriesContext(connection) as queries:
        first = client.get(PAGE, {"show": "sent"})

    tabs = {tab["show"]: tab["count"] for tab in first.context["tabs"]}
    assert tabs == {"waiting": 3, "attention": 2, "sent": None}
    sent = [statement_of(query["sql"]) for query in queries]
    counts = [sql for sql in sent if "COUNT(" in sql.upper()]
    # The session (unless the cache has it), the person with their access, the other tabs'
    # counts in one query, the page of changes sent.
    assert len(queries) == 3 + session_reads()
    assert len(counts) == 1 and "'sent'" not in counts[0]
    assert len(first.context["object_list"]) == 25
    assert len(second.context["object_list"]) == 5  # the 7 sent 40 days ago are not shown
    page = first.content.decode()
    assert "Sent in the last 30 days, newest first: changes 1 to 25" in page
    assert "Sent in the last 30 days</a>" in page  # no badge
    assert '<a class="page-link" href="?show=sent&amp;page=2">Older</a>' in page
    assert "Page 1</span>" in page
    assert '<a class="page-link" href="?show=sent&amp;page=1">Newer</a>' in (
        second.content.decode()
    )


def test_the_waiting_and_refused_tabs_keep_their_counts(fake, staff, client):
    link = linked(fake)
    _outgoing(link, 27, state=Outgoing.State.WAITING)
    _outgoing(link, 1, state=Outgoing.State.FOR_STAFF)
    _outgoing(link, 1, state=Outgoing.State.REFUSED)

    waiting = client.get(PAGE).content.decode()
    attention = client.get(PAGE, {"show": "attention"}).content.decode()

    assert "Waiting to be sent: 27 changes" in waiting
    assert "Page 1 of 2" in waiting
    assert '<span class="badge text-bg-danger">2</span>' in waiting
    assert "Refused or left to you: 2 changes" in attention


def test_the_sent_list_makes_as_many_queries_for_many_rows(fake, staff, client):
    link = linked(fake)

    def add_rows(count):
        _outgoing(link, count, state=Outgoing.State.SENT, sent_at=timezone.now())

    assert_queries_do_not_grow(client, f"{PAGE}?show=sent", add_rows)
