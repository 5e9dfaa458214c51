"""The DfE area's home, a connection's settings, testing it, and its delivery partners, through
the pages as staff use them."""

import logging
import re
from functools import partial

import httpx
import pytest
from django.urls import reverse

from dfe import connection as dfe_connection
from dfe.client import DfeClient
from dfe.connection import connection_save, connection_token
from dfe.fake import TOKEN, FakeDfe
from dfe.forms import ConnectionForm
from dfe.models import PRODUCTION_URL, SANDBOX_URL, Call, Connection, DeliveryPartnerLink, Sync
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow, session_reads
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    """DfE, faked: every connection's calls reach it (the pages pass no transport)."""
    fake = FakeDfe()
    monkeypatch.setattr(
        dfe_connection, "_transport_for", lambda connection: httpx.MockTransport(fake.handle)
    )
    return fake


@pytest.fixture
def admin(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    return client


def connection_make(**fields) -> Connection:
    fields = {"name": "Ambition Institute", "enabled": True, "cohort_years": [2025]} | fields
    return connection_save(connection=Connection(base_url=SANDBOX_URL, **fields), token=TOKEN)


def form_data(**changes) -> dict:
    return {
        "name": "Ambition Institute",
        "address": SANDBOX_URL,
        "token": "",
        "token_env_var": "",
        "cohort_years": ["2025"],
        "programmes": [],
        "enabled": "on",
    } | changes


# ---- Adding and editing a connection ----


def test_a_connection_is_added_with_its_token_cohorts_and_programmes(admin):
    npq = ProgrammeFactory(course_identifier="npq-headship")

    response = admin.post(
        reverse("dfe:connection-create"),
        form_data(token=TOKEN, cohort_years=["2024", "2025"], programmes=[npq.pk]),
    )

    connection = Connection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("dfe:connection", args=[connection.pk])
    assert (connection.name, connection.base_url, connection.enabled) == (
        "Ambition Institute",
        SANDBOX_URL,
        True,
    )
    assert connection.cohort_years == [2024, 2025]
    assert list(connection.programmes.all()) == [npq]
    assert connection_token(connection) == TOKEN
    assert TOKEN not in connection.token_encrypted


def test_only_programmes_with_a_dfe_course_identifier_are_offered(admin):
    ProgrammeFactory(name="NPQ in Headship", course_identifier="npq-headship")
    ProgrammeFactory(name="Maths Work Group", course_identifier="")

    page = admin.get(reverse("dfe:connection-create")).content.decode()

    assert "NPQ in Headship" in page
    assert "Maths Work Group" not in page


def test_a_connections_settings_show_its_programmes_chosen(admin, django_assert_num_queries):
    chosen = ProgrammeFactory(name="NPQ in Headship", short_name="NPQH", course_identifier="h")
    ProgrammeFactory(name="NPQ in Leading Behaviour", short_name="", course_identifier="b")
    connection = connection_make()
    connection.programmes.add(chosen)
    admin.get(reverse("dfe:connection", args=[connection.pk]))  # the session is read

    # The person with their access, the connection, its programmes and those offered.
    with django_assert_num_queries(4 + session_reads()):
        page = admin.get(reverse("dfe:connection", args=[connection.pk])).content.decode()

    boxes = re.findall(r'<input type="checkbox"[^>]*name="programmes"[^>]*>', page)
    assert [("checked" in box, f'value="{chosen.pk}"' in box) for box in boxes] == [
        (True, True),
        (False, False),
    ]
    assert "NPQ in Headship (NPQH)" in page and "NPQ in Leading Behaviour\n" in page


def test_a_connections_settings_say_its_last_successful_pull(admin):
    connection = connection_make()
    other = connection_make(name="Best Practice Network")
    # Only this connection's successes count: not a later failure, nor another's pull.
    for about, finished, succeeded in [
        (connection, "2026-12-04T08:01:00Z", True),
        (connection, "2026-12-04T09:01:00Z", False),
        (other, "2026-12-05T08:01:00Z", True),
    ]:
        Sync.objects.create(
            connection=about,
            kind=Sync.Kind.APPLICATIONS,
            started_at=finished,
            finished_at=finished,
            succeeded=succeeded,
        )

    page = admin.get(reverse("dfe:connection", args=[connection.pk])).content.decode()
    never = admin.get(reverse("dfe:connection", args=[other.pk])).content.decode()

    assert 'Last successful pull</dt><dd class="col-sm-9">4 Dec 2026, 08:01' in page
    assert 'Last successful pull</dt><dd class="col-sm-9">5 Dec 2026, 08:01' in never


def test_a_connection_that_does_not_exist_is_not_found(admin):
    connection = connection_make()

    assert admin.get(reverse("dfe:connection", args=[connection.pk + 1])).status_code == 404
    assert (
        admin.post(reverse("dfe:connection", args=[connection.pk + 1]), form_data()).status_code
        == 404
    )


def test_the_settings_form_alone_shows_the_programmes_chosen():
    """Drawn without the page (as the form-field tests draw it), the form still reads which
    programmes the connection covers."""
    chosen = ProgrammeFactory(course_identifier="h")
    ProgrammeFactory(course_identifier="b")
    connection = connection_make()
    connection.programmes.add(chosen)

    assert ConnectionForm(instance=connection).initial["programmes"] == [chosen.pk]
    assert "programmes" not in ConnectionForm(instance=Connection()).initial


def test_switching_on_without_a_token_is_refused_in_words(admin):
    response = admin.post(reverse("dfe:connection-create"), form_data())

    assert response.status_code == 200
    assert "Give the connection a token before switching it on." in response.content.decode()
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "https://npq-api.provider.example"}, "Select a valid choice"),
        ({"address": "http://dfe.example"}, "Select a valid choice"),
        ({"token_env_var": "DFE TOKEN"}, "must be named DFE_TOKEN_"),
        ({"token_env_var": "SECRET_KEY"}, "must be named DFE_TOKEN_"),
        ({"token": TOKEN, "token_env_var": "DFE_TOKEN_X"}, "not both"),
        ({"cohort_years": ["1999"]}, "Select a valid choice"),
    ],
)
def test_settings_that_cannot_work_are_refused_and_the_token_is_not_echoed(admin, changes, message):
    response = admin.post(reverse("dfe:connection-create"), form_data(**{"token": TOKEN} | changes))

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert TOKEN not in page
    assert not Connection.objects.exists()


def test_an_address_that_is_not_dfes_is_refused_and_not_offered(admin):
    page = admin.get(reverse("dfe:connection-create")).content.decode()
    response = admin.post(
        reverse("dfe:connection-create"),
        form_data(token=TOKEN, address="other", other_address="https://npq-api.provider.example"),
    )

    assert "Another address" not in page
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Connection.objects.exists()


def test_an_empty_token_keeps_the_stored_one_and_the_page_never_shows_it(admin):
    connection = connection_make()

    page = admin.get(reverse("dfe:connection", args=[connection.pk])).content.decode()
    response = admin.post(
        reverse("dfe:connection", args=[connection.pk]), form_data(name="Ambition")
    )

    connection.refresh_from_db()
    assert TOKEN not in page
    assert "A token is stored" in page
    assert "Changing the address removes the stored token" in page
    assert response.status_code == 302
    assert (connection.name, connection.base_url, connection.environment) == (
        "Ambition",
        SANDBOX_URL,
        "Sandbox",
    )
    assert connection_token(connection) == TOKEN


def test_changing_the_address_needs_the_token_for_the_new_one(admin):
    connection = connection_make()
    url = reverse("dfe:connection", args=[connection.pk])

    refused = admin.post(url, form_data(address=PRODUCTION_URL))
    kept = Connection.objects.get()
    moved = admin.post(url, form_data(address=PRODUCTION_URL, token="production-token"))

    connection.refresh_from_db()
    assert refused.status_code == 200
    assert "enter the token for the new address" in refused.content.decode()
    assert (kept.base_url, connection_token(kept)) == (SANDBOX_URL, TOKEN)
    assert moved.status_code == 302
    assert (connection.base_url, connection_token(connection)) == (
        PRODUCTION_URL,
        "production-token",
    )


def test_changing_the_address_of_a_switched_off_connection_removes_its_token(admin):
    connection = connection_make(enabled=False)

    response = admin.post(
        reverse("dfe:connection", args=[connection.pk]),
        form_data(address=PRODUCTION_URL, enabled=""),
    )

    connection.refresh_from_db()
    assert response.status_code == 302
    assert (connection.base_url, connection.token_encrypted, connection.has_token) == (
        PRODUCTION_URL,
        "",
        False,
    )


def test_the_stored_token_is_removed_when_asked(admin):
    connection = connection_make(enabled=False)

    admin.post(
        reverse("dfe:connection", args=[connection.pk]),
        form_data(enabled="", clear_token="on"),
    )

    connection.refresh_from_db()
    assert (connection.token_encrypted, connection.has_token) == ("", False)


def test_the_token_can_be_read_from_the_environment_instead(admin, monkeypatch):
    monkeypatch.setenv("DFE_TOKEN_AMBITION", "from-the-environment")
    connection = connection_make()

    admin.post(
        reverse("dfe:connection", args=[connection.pk]),
        form_data(token_env_var="DFE_TOKEN_AMBITION"),
    )

    connection.refresh_from_db()
    assert (connection.token_env_var, connection.token_encrypted) == ("DFE_TOKEN_AMBITION", "")
    assert connection_token(connection) == "from-the-environment"
    page = admin.get(reverse("dfe:home")).content.decode()
    assert "From the environment" in page


def test_a_programme_lead_sees_the_dfe_area_but_cannot_set_it_up(client):
    connection = connection_make()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    home = client.get(reverse("dfe:home"))
    edit = client.get(reverse("dfe:connection", args=[connection.pk]))

    assert home.status_code == 200
    assert "Ambition Institute" in home.content.decode()
    assert reverse("dfe:connection", args=[connection.pk]) not in home.content.decode()
    assert reverse("dfe:connection-create") not in home.content.decode()
    assert edit.status_code == 403


# ---- The DfE area's home ----


def test_the_home_says_how_each_connection_stands(admin, fake):
    connection = connection_make()
    connection_make(name="Best Practice Network", enabled=False, cohort_years=[])
    Connection.objects.filter(name="Best Practice Network").update(token_encrypted="")
    # The last successful pull is the one shown: not an older success, a later failure or
    # one still running.
    for started, finished, succeeded in [
        ("2026-12-03T08:00:00Z", "2026-12-03T08:01:00Z", True),
        ("2026-12-04T08:00:00Z", "2026-12-04T08:01:00Z", True),
        ("2026-12-04T09:00:00Z", "2026-12-04T09:01:00Z", False),
        ("2026-12-04T10:00:00Z", None, None),
    ]:
        Sync.objects.create(
            connection=connection,
            kind=Sync.Kind.APPLICATIONS,
            started_at=started,
            finished_at=finished,
            succeeded=succeeded,
        )
    admin.post(reverse("dfe:connection-test", args=[connection.pk]))

    response = admin.get(reverse("dfe:home"))

    page = response.content.decode()
    rows = {row.name: row for row in response.context["object_list"]}
    assert [*rows] == ["Ambition Institute", "Best Practice Network"]
    assert "Sandbox" in page and "Stored" in page and "Not set" in page
    assert "On" in page and "Off" in page
    assert "Worked" in page and "Not tested" in page
    assert "4 Dec 2026, 08:01" in page and "Never" in page
    assert reverse("dfe:call-list") in page


def test_with_no_connection_the_home_says_so(admin):
    page = admin.get(reverse("dfe:home")).content.decode()

    assert "The portal is not connected to DfE." in page
    assert reverse("dfe:connection-create") in page


def test_without_a_connection_no_page_calls_dfe_and_none_breaks(admin, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the portal tried to reach DfE")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_network)
    pages = [
        reverse("reports:dashboard"),
        reverse("staff:home"),
        reverse("dfe:home"),
        reverse("dfe:call-list"),
        reverse("dfe:connection-create"),
        reverse("applications:application-list"),
        reverse("cohorts:cohort-list"),
    ]

    statuses = {url: admin.get(url).status_code for url in pages}

    assert statuses == dict.fromkeys(pages, 200)
    assert not Call.objects.exists()


# ---- Testing the connection ----


def test_testing_a_connection_that_works_says_so_on_the_page(admin, fake):
    fake.add_delivery_partner("North Hub")
    connection = connection_make()

    response = admin.post(reverse("dfe:connection-test", args=[connection.pk]), follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(reverse("dfe:connection", args=[connection.pk]), 302)]
    assert "Connected to DfE (sandbox): 1 delivery partner found." in page
    assert "Worked" in page
    assert Call.objects.filter(connection=connection, status=200).exists()


def test_testing_with_a_token_dfe_refuses_says_so_in_words(admin, monkeypatch):
    wrong = FakeDfe(token="other")
    monkeypatch.setattr(
        dfe_connection, "_transport_for", lambda connection: httpx.MockTransport(wrong.handle)
    )
    connection = connection_make()

    response = admin.post(reverse("dfe:connection-test", args=[connection.pk]), follow=True)

    page = response.content.decode()
    assert "DfE did not accept the portal&#x27;s API token" in page
    assert "Failed" in page
    connection.refresh_from_db()
    assert connection.test_ok is False


def test_a_test_is_only_a_post(admin):
    connection = connection_make()

    assert admin.get(reverse("dfe:connection-test", args=[connection.pk])).status_code == 405


# ---- Delivery partners ----


def test_a_delivery_partner_is_chosen_for_each_cohort(admin, fake):
    north = fake.add_delivery_partner("North Hub", cohorts=("2025",))
    fake.add_delivery_partner("Old Partner", cohorts=("2023",))
    connection = connection_make(cohort_years=[2025, 2026])
    url = reverse("dfe:delivery-partners", args=[connection.pk])

    page = admin.get(url).content.decode()
    response = admin.post(url, {"cohort_year": "2025", "partner_id": north}, follow=True)

    assert "North Hub" in page
    assert "Old Partner" not in page  # not linked to any of the connection's cohorts
    assert "DfE lists no delivery partner for Ambition Institute in 2026" in page
    link = DeliveryPartnerLink.objects.get()
    assert (link.connection, link.cohort_year, str(link.delivery_partner_id), link.name) == (
        connection,
        2025,
        north,
        "North Hub",
    )
    assert "North Hub stands for the hub in 2025." in response.content.decode()


def test_a_partner_not_linked_for_the_cohort_is_refused(admin, fake):
    fake.add_delivery_partner("North Hub", cohorts=("2025",))
    other = fake.add_delivery_partner("South Hub", cohorts=("2024",))
    connection = connection_make(cohort_years=[2024, 2025])

    response = admin.post(
        reverse("dfe:delivery-partners", args=[connection.pk]),
        {"cohort_year": "2025", "partner_id": other},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not DeliveryPartnerLink.objects.exists()


def test_when_dfe_cannot_be_reached_the_choice_is_kept_and_the_page_says_so(admin, monkeypatch):
    def unreachable(request):
        raise httpx.ConnectError("no route to host")

    monkeypatch.setattr(
        dfe_connection, "_transport_for", lambda connection: httpx.MockTransport(unreachable)
    )
    monkeypatch.setattr(dfe_connection, "DfeClient", partial(DfeClient, sleep=lambda seconds: None))
    connection = connection_make()
    DeliveryPartnerLink.objects.create(
        connection=connection,
        cohort_year=2025,
        delivery_partner_id="524df095-f9bf-4f9d-ba4c-772545a99e60",
        name="North Hub",
    )
    url = reverse("dfe:delivery-partners", args=[connection.pk])

    page = admin.get(url).content.decode()
    posted = admin.post(
        url, {"cohort_year": "2025", "partner_id": "8e0a3d5a-9a4f-4f3e-9d55-0f3f4a2e6c11"}
    )

    assert "could not get DfE's list of delivery partners" in page
    assert "DfE could not be reached" in page
    assert "North Hub" in page
    assert posted.status_code == 200
    assert DeliveryPartnerLink.objects.get().name == "North Hub"


# ---- The token, nowhere ----


def test_the_token_is_in_no_dfe_page_nor_log(admin, fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.add_delivery_partner("North Hub", cohorts=("2025",))
    admin.post(reverse("dfe:connection-create"), form_data(token=TOKEN))
    connection = Connection.objects.get()
    admin.post(reverse("dfe:connection-test", args=[connection.pk]))
    wrong_form = admin.post(
        reverse("dfe:connection", args=[connection.pk]),
        form_data(token=TOKEN, address="http://dfe.example"),
    )
    pages = [
        reverse("dfe:home"),
        reverse("dfe:connection-create"),
        reverse("dfe:connection", args=[connection.pk]),
        reverse("dfe:delivery-partners", args=[connection.pk]),
        reverse("dfe:call-list"),
        reverse("reports:dashboard"),
    ]

    shown = {url: admin.get(url) for url in pages}

    assert {url: response.status_code for url, response in shown.items()} == dict.fromkeys(
        pages, 200
    )
    assert wrong_form.status_code == 200
    assert TOKEN not in wrong_form.content.decode()
    for url, response in shown.items():
        assert TOKEN not in response.content.decode(), url
    assert Call.objects.count() >= 2
    assert TOKEN not in str(list(Call.objects.values()))
    assert "DfE GET /api/v3/delivery-partners 200" in caplog.text
    assert TOKEN not in caplog.text


def test_the_homes_query_count_does_not_grow_with_its_connections(admin):
    def add_rows(count):
        start = Connection.objects.count()
        connections = Connection.objects.bulk_create(
            Connection(name=f"Lead provider {start + n:04}", cohort_years=[2025])
            for n in range(count)
        )
        Sync.objects.bulk_create(
            Sync(
                connection=connection,
                kind=Sync.Kind.APPLICATIONS,
                started_at="2026-12-04T08:00:00Z",
                finished_at="2026-12-04T08:01:00Z",
                succeeded=True,
            )
            for connection in connections
        )

    assert_queries_do_not_grow(admin, reverse("dfe:home"), add_rows, sizes=(10, 60))
