"""The connection to DfE (dfe/connection.py): its token, testing it, delivery partners, which
cohorts it covers, and when pulling from it has been failing."""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
from django.core.exceptions import ValidationError

from cohorts.tests.factories import CohortFactory
from dfe import connection as dfe_connection
from dfe.client import DfeClient
from dfe.connection import (
    connection_covers,
    connection_for_cohort,
    connection_save,
    connection_test,
    connection_token,
    delivery_partner_set,
    delivery_partners_fetch,
    sync_failing_since,
)
from dfe.fake import TOKEN, FakeDfe
from dfe.models import SANDBOX_URL, Call, Connection, DeliveryPartnerLink, Sync
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def connection_make(**fields) -> Connection:
    """A switched-on sandbox connection for the 2025 cohort, with the fake's token."""
    fields = {"name": "Ambition Institute", "enabled": True, "cohort_years": [2025]} | fields
    token, programmes = fields.pop("token", TOKEN), fields.pop("programmes", None)
    return connection_save(
        connection=Connection(base_url=SANDBOX_URL, **fields), token=token, programmes=programmes
    )


def transport(fake: FakeDfe) -> httpx.MockTransport:
    return httpx.MockTransport(fake.handle)


# ---- The token ----


def test_the_token_is_stored_encrypted_and_read_back():
    connection = connection_make()

    row = Connection.objects.filter(pk=connection.pk).values().get()

    assert TOKEN not in str(row)
    assert row["token_encrypted"]
    assert connection_token(Connection.objects.get(pk=connection.pk)) == TOKEN


def test_a_token_can_come_from_the_environment_and_then_none_is_stored(monkeypatch):
    monkeypatch.setenv("DFE_TOKEN_AMBITION", "token-from-the-environment")
    connection = connection_make()

    connection.token_env_var = "DFE_TOKEN_AMBITION"
    connection_save(connection=connection)

    connection.refresh_from_db()
    assert connection.token_encrypted == ""
    assert connection_token(connection) == "token-from-the-environment"
    assert Connection.objects.switched_on().get() == connection


def test_a_connection_with_no_token_cannot_be_switched_on():
    with pytest.raises(ValidationError, match="token before switching it on"):
        connection_make(token="")

    assert not Connection.objects.exists()


def test_removing_the_token_of_a_switched_on_connection_is_refused():
    connection = connection_make()

    with pytest.raises(ValidationError, match="token before switching it on"):
        connection_save(connection=connection, clear_token=True)

    assert connection_token(Connection.objects.get()) == TOKEN


def test_the_stored_token_is_removed_when_asked():
    connection = connection_make(enabled=False)

    connection_save(connection=connection, clear_token=True)

    connection.refresh_from_db()
    assert (connection.token_encrypted, connection_token(connection)) == ("", "")


def test_a_token_with_spaces_is_refused_without_repeating_it():
    with pytest.raises(ValidationError) as refused:
        connection_make(token="half a token")

    assert "no spaces" in str(refused.value)
    assert "half a token" not in str(refused.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": "http://sandbox.register-npq.education.gov.uk"}, "must start with https"),
        ({"token_env_var": "DFE TOKEN"}, "must be named DFE_TOKEN_"),
        ({"token_env_var": "DATABASE_URL"}, "must be named DFE_TOKEN_"),
        ({"token_env_var": "dfe_token_ambition"}, "must be named DFE_TOKEN_"),
        ({"base_url": "https://npq-api.provider.example"}, "only sent to DfE"),
        ({"cohort_years": ["2025", "twenty"]}, "twenty is not one"),
        ({"cohort_years": [1999]}, "1999 is not one"),
    ],
)
def test_settings_that_cannot_work_are_refused_in_words(fields, message):
    connection = Connection(**({"name": "Ambition Institute", "base_url": SANDBOX_URL} | fields))

    with pytest.raises(ValidationError, match=message):
        connection_save(connection=connection, token=TOKEN)

    assert not Connection.objects.exists()


def test_cohorts_are_kept_as_sorted_years():
    connection = connection_make(cohort_years=["2026", 2024, "2024"])

    connection.refresh_from_db()
    assert connection.cohort_years == [2024, 2026]


def test_only_programmes_with_a_dfe_course_identifier_can_be_covered():
    npq = ProgrammeFactory(course_identifier="npq-headship")
    other = ProgrammeFactory(name="Maths Work Group", course_identifier="")

    with pytest.raises(ValidationError, match="Maths Work Group has no DfE course identifier"):
        connection_make(programmes=[npq, other])
    connection = connection_make(programmes=[npq])

    assert list(connection.programmes.all()) == [npq]


# ---- Testing the connection ----


def test_a_connection_that_works_says_so_and_logs_the_call():
    fake = FakeDfe()
    fake.add_delivery_partner("North Hub")
    connection = connection_make()

    ok, message = connection_test(connection=connection, transport=transport(fake))

    assert ok
    assert message == "Connected to DfE (sandbox): 1 delivery partner found."
    connection.refresh_from_db()
    assert (connection.test_ok, connection.test_message) == (True, message)
    assert connection.tested_at is not None
    call = Call.objects.order_by("at", "pk").first()
    assert (call.connection, call.method, call.path) == (
        connection,
        "GET",
        "/api/v3/delivery-partners",
    )
    assert (call.status, call.result, call.error) == (200, "200 OK", "")


def test_a_wrong_token_fails_the_test_in_words_and_in_the_sync_log():
    connection = connection_make()

    ok, message = connection_test(connection=connection, transport=transport(FakeDfe("other")))

    assert not ok
    assert "DfE did not accept the portal's API token (HTTP Token: Access denied)" in message
    connection.refresh_from_db()
    assert (connection.test_ok, connection.test_message) == (False, message)
    call = Call.objects.get()
    assert (call.status, call.result, call.error, call.ok) == (
        401,
        "401 Token not accepted",
        "HTTP Token: Access denied",
        False,
    )


def test_dfe_out_of_reach_fails_the_test_in_words(monkeypatch):
    def unreachable(request):
        raise httpx.ConnectError("no route to host")

    monkeypatch.setattr(dfe_connection, "DfeClient", partial(DfeClient, sleep=lambda seconds: None))
    connection = connection_make()

    ok, message = connection_test(connection=connection, transport=httpx.MockTransport(unreachable))

    assert not ok
    assert message == "DfE could not be reached for the request."
    assert [call.result for call in Call.objects.all()] == ["Could not reach DfE"] * 3


def test_a_connection_with_an_unreadable_token_fails_the_test_without_calling_dfe():
    connection = connection_make(enabled=False)
    Connection.objects.filter(pk=connection.pk).update(token_encrypted="not-a-fernet-token")
    connection.refresh_from_db()
    fake = FakeDfe()

    ok, message = connection_test(connection=connection, transport=transport(fake))

    assert not ok
    assert "has no token it can use" in message
    assert fake.calls == []


def test_the_token_is_never_logged_nor_in_the_sync_log(caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeDfe()
    fake.add_delivery_partner("North Hub")
    connection = connection_make()

    connection_test(connection=connection, transport=transport(fake))
    connection_test(connection=connection, transport=transport(FakeDfe("other")))
    delivery_partners_fetch(connection=connection, transport=transport(fake))

    assert caplog.records, "the calls are logged"
    assert TOKEN not in caplog.text
    for call in Call.objects.values():
        assert TOKEN not in str(call)
    assert TOKEN not in str(Connection.objects.values().get())


# ---- Delivery partners ----


def test_delivery_partners_are_listed_by_name_with_their_cohorts():
    fake = FakeDfe()
    north = fake.add_delivery_partner("north Hub", cohorts=("2025",))
    fake.add_delivery_partner("Anchor Trust", cohorts=("2024", "2025"))
    connection = connection_make()

    partners = delivery_partners_fetch(connection=connection, transport=transport(fake))

    assert [partner["name"] for partner in partners] == ["Anchor Trust", "north Hub"]
    assert partners[1] == {"id": north, "name": "north Hub", "cohorts": [2025]}


def test_a_delivery_partner_is_chosen_for_a_cohort_and_can_be_changed():
    connection = connection_make(cohort_years=[2024, 2025])
    partners = [
        {"id": "524df095-f9bf-4f9d-ba4c-772545a99e60", "name": "North Hub", "cohorts": [2025]},
        {"id": "8e0a3d5a-9a4f-4f3e-9d55-0f3f4a2e6c11", "name": "Anchor", "cohorts": [2024, 2025]},
    ]

    delivery_partner_set(
        connection=connection, cohort_year=2025, partner_id=partners[0]["id"], partners=partners
    )
    link = delivery_partner_set(
        connection=connection,
        cohort_year=2025,
        partner_id=partners[1]["id"].upper(),
        partners=partners,
    )

    assert DeliveryPartnerLink.objects.get() == link
    assert (link.cohort_year, str(link.delivery_partner_id), link.name) == (
        2025,
        partners[1]["id"],
        "Anchor",
    )


@pytest.mark.parametrize(
    ("cohort_year", "partner_id", "message"),
    [
        (2025, "00000000-0000-4000-8000-000000000000", "Choose one of the delivery partners"),
        (2025, "not-an-id", "Choose one of the delivery partners"),
        (2024, "524df095-f9bf-4f9d-ba4c-772545a99e60", "has not linked North Hub"),
        (2025, "8e0a3d5a-9a4f-4f3e-9d55-0f3f4a2e6c11", "has not linked No Cohorts"),
        (2026, "524df095-f9bf-4f9d-ba4c-772545a99e60", "does not cover the 2026 cohort"),
    ],
)
def test_a_delivery_partner_dfe_has_not_linked_is_refused(cohort_year, partner_id, message):
    connection = connection_make(cohort_years=[2024, 2025])
    partners = [
        {"id": "524df095-f9bf-4f9d-ba4c-772545a99e60", "name": "North Hub", "cohorts": [2025]},
        # DfE lists a partner with no cohort: it is linked to none, so it stands for none.
        {"id": "8e0a3d5a-9a4f-4f3e-9d55-0f3f4a2e6c11", "name": "No Cohorts", "cohorts": []},
    ]

    with pytest.raises(ValidationError, match=message):
        delivery_partner_set(
            connection=connection, cohort_year=cohort_year, partner_id=partner_id, partners=partners
        )

    assert not DeliveryPartnerLink.objects.exists()


# ---- Which connection covers a cohort ----


def test_a_cohort_is_covered_only_by_a_switched_on_connection_with_its_year_and_programme():
    programme = ProgrammeFactory(course_identifier="npq-headship")
    cohort = CohortFactory(programme=programme, academic_year=2025)
    connection_make(name="Off", enabled=False, programmes=[programme])
    connection_make(name="Other year", cohort_years=[2026], programmes=[programme])
    connection_make(name="Other programme", programmes=[ProgrammeFactory(course_identifier="x")])
    covering = connection_make(name="Covering", cohort_years=[2024, 2025], programmes=[programme])

    assert connection_for_cohort(cohort) == covering
    assert connection_for_cohort(CohortFactory(programme=programme, academic_year=2024)) == (
        covering
    )
    assert connection_for_cohort(CohortFactory(programme=programme, academic_year=2027)) is None


def test_a_connection_covers_its_years_and_programmes_switched_on_or_not():
    programme = ProgrammeFactory(course_identifier="npq-headship")
    off = connection_make(name="Off", enabled=False, cohort_years=[2025], programmes=[programme])
    cohort = CohortFactory(programme=programme, academic_year=2025)

    assert connection_covers(off, cohort)
    assert not connection_covers(off, CohortFactory(programme=programme, academic_year=2026))
    assert not connection_covers(off, CohortFactory(academic_year=2025))
    programme.course_identifier = ""
    programme.save()
    assert not connection_covers(off, CohortFactory(programme=programme, academic_year=2025))


def test_a_programme_without_a_dfe_course_is_never_covered():
    programme = ProgrammeFactory(course_identifier="npq-headship")
    connection_make(programmes=[programme])
    programme.course_identifier = ""
    programme.save()

    assert connection_for_cohort(CohortFactory(programme=programme, academic_year=2025)) is None


def test_no_connection_no_cover():
    assert connection_for_cohort(CohortFactory(academic_year=2025)) is None


# ---- When pulling has been failing ----


def sync(connection, hours_ago: float, succeeded, kind=Sync.Kind.APPLICATIONS) -> Sync:
    started = NOW - timedelta(hours=hours_ago)
    return Sync.objects.create(
        connection=connection,
        kind=kind,
        started_at=started,
        finished_at=started + timedelta(minutes=1) if succeeded is not None else None,
        succeeded=succeeded,
        error="" if succeeded is not False else "DfE could not be reached.",
    )


def test_pulls_failing_for_more_than_a_day_are_reported_from_the_first_failure():
    connection = connection_make()
    sync(connection, 72, True)
    first = sync(connection, 30, False)
    sync(connection, 20, False)

    assert sync_failing_since(now=NOW) == first.started_at


def test_pulls_failing_for_less_than_a_day_are_not_reported_however_old_the_last_success():
    connection = connection_make()
    sync(connection, 24 * 10, True)  # the connection was off for a while
    sync(connection, 2, False)

    assert sync_failing_since(now=NOW) is None


def test_a_later_success_ends_the_failure():
    connection = connection_make()
    sync(connection, 50, False)
    sync(connection, 40, False)
    sync(connection, 1, True)

    assert sync_failing_since(now=NOW) is None


def test_each_list_counts_on_its_own():
    connection = connection_make()
    first = sync(connection, 30, False, kind=Sync.Kind.DECLARATIONS)
    sync(connection, 1, True, kind=Sync.Kind.APPLICATIONS)

    assert sync_failing_since(now=NOW) == first.started_at


def test_failures_with_no_success_ever_count_and_running_pulls_do_not():
    connection = connection_make()
    first = sync(connection, 26, False)
    sync(connection, 1, None)

    assert sync_failing_since(now=NOW) == first.started_at


def test_every_list_of_every_connection_is_read_in_one_query(django_assert_num_queries):
    connection, other = connection_make(), connection_make(name="Other lead provider")
    first = sync(other, 40, False, kind=Sync.Kind.STATEMENTS)
    for kind in Sync.Kind.values:
        sync(connection, 100, True, kind=kind)
        for hours_ago in (90, 80, 70):
            sync(connection, hours_ago, False, kind=kind)
        sync(connection, 60, True, kind=kind)
        sync(connection, 50, None, kind=kind)

    with django_assert_num_queries(1):
        assert sync_failing_since(now=NOW) == first.started_at


def test_a_switched_off_connection_is_not_reported(django_assert_max_num_queries):
    connection = connection_make(enabled=False)
    sync(connection, 30, False)

    with django_assert_max_num_queries(1):
        assert sync_failing_since(now=NOW) is None


def test_the_demos_fake_address_is_refused_where_there_is_no_fake(settings):
    """Production has no fake DfE (DFE_FAKE_STATE unset): its address is refused in words,
    rather than failing later on every call."""
    settings.DFE = {**settings.DFE, "fake_state": ""}
    connection = Connection(name="Mistyped", base_url=dfe_connection.FAKE_URL)

    with pytest.raises(ValidationError, match="demo's fake DfE"):
        dfe_connection.connection_save(connection=connection, token=TOKEN)
    assert not Connection.objects.exists()

    settings.DFE = {**settings.DFE, "fake_state": "/tmp/never-written.pickle"}
    saved = dfe_connection.connection_save(connection=connection, token=TOKEN)
    assert saved.environment == "Demo (a fake DfE)"
