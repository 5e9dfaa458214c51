"""The page of changes owed to DfE says whose declaration a declaration or void row is, and
which, without a query per row."""

import uuid

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dfe.fake import FakeDfe
from dfe.models import Declaration, Outgoing
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow, session_reads

from .declaration_setup import (
    SENIOR_LEADERSHIP,
    dfe_cohort,
    dfe_connection,
    linked_place,
    programme_for,
)
from .test_declaration_views import _linked_places

pytestmark = pytest.mark.django_db

PAGE = "/staff/dfe/outgoing/"


@pytest.fixture
def hub():
    programme = programme_for(SENIOR_LEADERSHIP, name="NPQ in Senior Leadership")
    connection = dfe_connection(programme)
    return connection, dfe_cohort(programme)


@pytest.fixture
def staff(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))


def _declaration(connection, place, declaration_type="started", **fields) -> Declaration:
    fields = {"state": Declaration.State.REFUSED} | fields
    return Declaration(
        connection=connection,
        enrolment=place,
        dfe_application=place.application.dfe if place else None,
        participant_id=place.application.dfe.participant_id if place else uuid.uuid4(),
        declaration_type=declaration_type,
        declaration_date=timezone.now(),
        course_identifier=SENIOR_LEADERSHIP,
        **fields,
    )


def test_declaration_and_void_rows_name_the_participant_and_the_declaration(client, hub, staff):
    connection, cohort = hub
    ada = linked_place(connection, FakeDfe(), cohort, first_name="Ada")
    started = _declaration(connection, ada)
    started.save()
    completed = _declaration(connection, ada, "retained-1", state=Declaration.State.PAID)
    completed.dfe_id = uuid.uuid4()
    completed.save()
    Outgoing.objects.create(
        connection=connection,
        kind=Outgoing.Kind.DECLARATION,
        declaration=started,
        state=Outgoing.State.REFUSED,
        attempts=1,
    )
    Outgoing.objects.create(
        connection=connection,
        kind=Outgoing.Kind.VOID,
        declaration=completed,
        state=Outgoing.State.REFUSED,
        attempts=1,
    )

    response = client.get(f"{PAGE}?show=attention")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(">Ada Tester</a>") == 2
    assert "Started declaration, " in page
    assert "Retained 1 declaration, " in page
    assert "retained-1" not in page
    assert f'href="{ada.application.get_absolute_url()}"' in page


def test_a_declaration_found_only_at_dfe_is_named_as_dfe_names_it(client, hub, staff):
    connection, cohort = hub
    ada = linked_place(connection, FakeDfe(), cohort, first_name="Ada")
    found = _declaration(connection, None, "completed", state=Declaration.State.PAID)
    found.dfe_application = ada.application.dfe
    found.dfe_id = uuid.uuid4()
    found.save()
    Outgoing.objects.create(
        connection=connection,
        kind=Outgoing.Kind.VOID,
        declaration=found,
        state=Outgoing.State.WAITING,
    )

    page = client.get(PAGE).content.decode()

    assert "Ada Tester" in page
    assert "Completed declaration" in page


def test_declaration_rows_make_as_many_queries_for_many_as_for_few(client, hub, staff):
    connection, cohort = hub

    def add_rows(count):
        places = _linked_places(connection, cohort, count)
        declarations = Declaration.objects.bulk_create(
            _declaration(connection, place) for place in places
        )
        Outgoing.objects.bulk_create(
            Outgoing(
                connection=connection,
                kind=Outgoing.Kind.DECLARATION if n % 2 else Outgoing.Kind.VOID,
                declaration=declaration,
                state=Outgoing.State.REFUSED,
                attempts=1,
            )
            for n, declaration in enumerate(declarations)
        )

    assert_queries_do_not_grow(client, f"{PAGE}?show=attention", add_rows)


def test_a_page_of_changes_and_what_they_name_is_one_query(client, hub, staff):
    connection, cohort = hub
    places = _linked_places(connection, cohort, 3)
    declarations = Declaration.objects.bulk_create(
        _declaration(connection, place) for place in places
    )
    Outgoing.objects.bulk_create(
        Outgoing(connection=connection, kind=Outgoing.Kind.DECLARATION, declaration=declaration)
        for declaration in declarations
    )
    Outgoing.objects.bulk_create(
        Outgoing(
            connection=connection, kind=Outgoing.Kind.ACCEPT, dfe_application=place.application.dfe
        )
        for place in places
    )
    client.get(PAGE)  # on PostgreSQL, the fixed queries' statements prepared

    with CaptureQueriesContext(db_connection) as queries:
        page = client.get(PAGE).content.decode()

    # The session (unless the cache has it), the person with their access, the counted tabs'
    # counts (the waiting tab's paginator takes its count from there), and the page of changes
    # with their applications, declarations and places.
    assert len(queries) == 3 + session_reads()
    assert "Waiting to be sent: 6 changes" in page
    assert page.count("Started declaration, ") == 3
    for place in places:
        assert page.count(f'href="{place.application.get_absolute_url()}"') == 2
