"""The declarations and statements pages: review, send (one, chosen, all), refusals in DfE's
words, voiding, statements, and their query counts."""

import datetime
import re
import uuid

import factory
import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from dfe import fake as fake_module
from dfe.connection import connection_save
from dfe.declarations import _scope_cohorts_read, connection_cohorts
from dfe.fake import FakeDfe
from dfe.models import Connection, Declaration, DfeApplication, Statement
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow, statement_of
from participants.models import Attendance
from participants.tests.factories import EnrolmentFactory
from reports.milestone_days import milestones_bring_up_to_date, milestones_stale
from reports.models import CohortMilestones
from schools.tests.factories import SchoolFactory

from .declaration_setup import (
    SENIOR_LEADERSHIP,
    STARTED_DATE,
    attended,
    dfe_cohort,
    dfe_connection,
    linked_place,
    partner_link,
    programme_for,
    use_fake,
)

pytestmark = pytest.mark.django_db
LIST = reverse("dfe:declaration-list")
SUBMIT = reverse("dfe:declaration-submit")
STATEMENTS = reverse("dfe:statement-list")


@pytest.fixture
def fake():
    return FakeDfe(now=timezone.now() + datetime.timedelta(minutes=5))


@pytest.fixture
def hub(fake, monkeypatch, settings):
    programme = programme_for(SENIOR_LEADERSHIP, name="NPQ in Senior Leadership")
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    link = partner_link(connection, fake)
    ada = linked_place(connection, fake, cohort, first_name="Ada")
    ben = linked_place(connection, fake, cohort, first_name="Ben")
    attended(cohort, ada, ben)
    use_fake(monkeypatch, settings, fake)
    return connection, cohort, link, ada, ben


@pytest.fixture
def staff(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


def _send(client, capture, **data):
    with capture(execute=True):
        return client.post(SUBMIT, {"confirm": "1", **data})


def test_the_ready_list_shows_what_would_be_sent_in_words(client, hub, staff):
    connection, cohort, link, ada, ben = hub

    response = client.get(LIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert [row.enrolment for row in response.context["page_obj"]] == [ada, ben]
    assert "NPQ in Senior Leadership" in page and SENIOR_LEADERSHIP not in page
    assert "Started" in page and "14 Oct 2025" in page and "North Hub" in page
    assert f'value="{ada.pk}:started"' in page
    assert "Submit selected" in page and "Submit all ready (2)" in page


def test_a_declaration_with_no_delivery_partner_chosen_is_shown_blocked(client, hub, staff):
    connection, cohort, link, ada, ben = hub
    link.delete()

    page = client.get(LIST).content.decode()

    assert page.count("Blocked: choose the delivery partner") == 2
    assert f'value="{ada.pk}:started"' not in page  # nothing to tick
    assert "Ready to send (0, 2 blocked)" in page


def test_submitting_selected_shows_what_will_be_sent_then_sends_it(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub

    confirm = client.post(SUBMIT, {"connection": connection.pk, "selected": [f"{ada.pk}:started"]})

    assert confirm.status_code == 200
    assert [row.enrolment for row in confirm.context["rows"]] == [ada]
    assert "Send 1 declaration to DfE" in confirm.content.decode()
    assert fake.declarations == {}  # nothing sent before it is confirmed

    response = _send(
        client,
        django_capture_on_commit_callbacks,
        connection=connection.pk,
        selected=[f"{ada.pk}:started"],
    )

    assert response.status_code == 302
    (at_dfe,) = fake.declarations.values()
    assert at_dfe["participant_id"] == str(ada.application.dfe.participant_id)
    sent = client.get(response.url)
    assert "1 declaration sent to DfE" in sent.content.decode()
    assert "Eligible for payment" in sent.content.decode()


def test_submit_all_ready_sends_every_one_in_bulk(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub

    confirm = client.post(SUBMIT, {"connection": connection.pk, "all": "1"})
    response = _send(client, django_capture_on_commit_callbacks, connection=connection.pk, all="1")

    assert len(confirm.context["rows"]) == 2
    assert response.status_code == 302
    assert len(fake.declarations) == 2
    assert Declaration.objects.filter(state="eligible", submitted_by=staff).count() == 2
    assert client.get(LIST).context["page_obj"].object_list == []


def test_confirming_all_ready_sends_only_the_rows_shown(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    """The confirmation page says what DfE will receive: the form it posts names those rows,
    so a declaration that became ready meanwhile waits for the next review."""
    connection, cohort, link, ada, ben = hub

    page = client.post(SUBMIT, {"connection": connection.pk, "all": "1"}).content.decode()

    assert page.count('name="selected"') == 2 and 'name="all"' not in page
    _send(
        client,
        django_capture_on_commit_callbacks,
        connection=connection.pk,
        selected=[f"{ada.pk}:started"],  # as if only Ada's had been shown
    )
    assert [d["participant_id"] for d in fake.declarations.values()] == [
        str(ada.application.dfe.participant_id)
    ]


def test_nothing_chosen_sends_nothing_and_says_so(client, hub, fake, staff):
    connection, *_ = hub

    response = client.post(SUBMIT, {"connection": connection.pk}, follow=True)

    assert "Choose the declarations to send" in response.content.decode()
    assert fake.declarations == {}


def test_one_the_lead_provider_declared_at_dfe_itself_is_adopted_not_refused(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    fake._create_declaration(  # the lead provider declared Ada's start itself, at DfE
        query={},
        body={
            "data": {
                "attributes": {
                    "participant_id": str(ada.application.dfe.participant_id),
                    "declaration_type": "started",
                    "declaration_date": STARTED_DATE,
                    "course_identifier": SENIOR_LEADERSHIP,
                    "delivery_partner_id": str(link.delivery_partner_id),
                }
            }
        },
    )

    _send(
        client,
        django_capture_on_commit_callbacks,
        connection=connection.pk,
        selected=[f"{ada.pk}:started"],
    )
    # DfE answers 422 "already been submitted"; the portal looks DfE up and keeps DfE's own.
    (held,) = fake.declarations
    declaration = Declaration.objects.get()
    assert (str(declaration.dfe_id), declaration.state, declaration.error) == (held, "eligible", "")
    page = client.get(LIST, {"show": "refused"}).content.decode()
    assert "Refused by DfE (1)" not in page
    assert len(fake.declarations) == 1


def test_a_refusal_is_shown_to_staff_in_words_with_dfes_message(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    fake.now = datetime.datetime(2025, 10, 1, tzinfo=datetime.UTC)  # DfE's clock: before it

    _send(
        client,
        django_capture_on_commit_callbacks,
        connection=connection.pk,
        selected=[f"{ada.pk}:started"],
    )

    page = client.get(LIST, {"show": "refused"}).content.decode()
    assert "Refused by DfE (1)" in page
    assert "DfE refused the declaration: Declaration date: " in page
    assert "cannot be a future date" in page
    assert "declaration_date:" not in page  # the attribute DfE names, said in words before it
    assert fake.declarations == {}


def test_voiding_from_the_page_needs_a_reason_and_shows_dfes_answer(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    _send(
        client,
        django_capture_on_commit_callbacks,
        connection=connection.pk,
        selected=[f"{ada.pk}:started"],
    )
    declaration = Declaration.objects.get()
    void = reverse("dfe:declaration-void", args=[declaration.pk])

    refused = client.post(void, {"reason": ""}, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(void, {"reason": "Claimed for the wrong person."})
    page = client.get(LIST, {"show": "sent"}).content.decode()

    assert "Say why the declaration is being voided." in refused.content.decode()
    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.VOIDED
    assert "Voided" in page and "Voided because: Claimed for the wrong person." in page


def test_the_statements_page_shows_what_each_statement_pays_and_the_totals(client, hub, staff):
    connection, cohort, link, ada, ben = hub
    january = Statement.objects.create(
        connection=connection,
        dfe_id=uuid.uuid4(),
        cohort_year=2025,
        month="January",
        year="2027",
        cut_off_date=datetime.date(2026, 12, 25),
        payment_date=datetime.date(2027, 1, 25),
        dfe_updated_at=timezone.now(),
    )
    for place, state in ((ada, "paid"), (ben, "awaiting_clawback")):
        Declaration.objects.create(
            connection=connection,
            enrolment=place,
            participant_id=place.application.dfe.participant_id,
            declaration_type="started",
            declaration_date=timezone.now(),
            course_identifier=SENIOR_LEADERSHIP,
            state=state,
            dfe_id=uuid.uuid4(),
            statement_id=january.dfe_id,
            clawback_statement_id=january.dfe_id if state == "awaiting_clawback" else None,
        )

    response = client.get(STATEMENTS)

    page = response.content.decode()
    assert "January 2027" in page and "25 Dec 2026" in page and "25 Jan 2027" in page
    assert "2: Started 2" in page
    assert response.context["totals"] == {"claimed": 1, "payable": 0, "paid": 1, "clawed_back": 1}
    (row,) = response.context["page_obj"].object_list
    assert row.clawbacks == 1


def test_a_facilitator_may_not_see_declarations(client, hub):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    assert client.get(LIST).status_code == 403
    assert client.post(SUBMIT, {"all": "1"}).status_code == 403


# ---- query counts ----


def _linked_places(connection, cohort, count, meeting=None):
    people = bulk(UserFactory, count)
    applications = bulk(
        ApplicationFactory,
        count,
        applicant=factory.Iterator(people),
        cohort=cohort,
        school=SchoolFactory(),
        status=Application.Status.ACCEPTED,
    )
    DfeApplication.objects.bulk_create(
        DfeApplication(
            connection=connection,
            dfe_id=uuid.uuid4(),
            participant_id=uuid.uuid4(),
            course_identifier=SENIOR_LEADERSHIP,
            cohort_year=2025,
            status=DfeApplication.Status.ACCEPTED,
            teacher_catchment=True,
            dfe_updated_at=timezone.now(),
            application=application,
        )
        for application in applications
    )
    places = bulk(
        EnrolmentFactory,
        count,
        participant=factory.Iterator(people),
        cohort=cohort,
        application=factory.Iterator(applications),
    )
    if meeting is not None:
        Attendance.objects.bulk_create(
            Attendance(session=meeting, enrolment=place, mark="present") for place in places
        )
    milestones_stale(cohorts=[cohort.pk])  # written in bulk: as the services say after theirs
    return places


@pytest.mark.parametrize("kept", [True, False], ids=["counts kept", "counted afresh"])
def test_the_ready_list_makes_the_same_queries_for_many_places(
    client, hub, staff, monkeypatch, kept
):
    connection, cohort, link, ada, ben = hub
    meeting = attended(cohort)
    if not kept:  # every request counts and reads its page: neither is kept
        monkeypatch.setattr("dfe.ready_counts._keep", lambda *args: None)
        monkeypatch.setattr("dfe.declarations.page_keep", lambda *args: None)

    def add(count):
        _linked_places(connection, cohort, count, meeting)
        # Worked out as the periodic task does after changes: the page's own queries are
        # counted here, that work's in reports/tests/test_milestone_days.py.
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())
        if kept:  # counted and its page read, as the first request after a change does
            client.get(LIST)

    assert_queries_do_not_grow(client, LIST, add)


@pytest.mark.parametrize(("show", "state"), [("sent", "paid"), ("refused", "refused")])
def test_the_sent_and_refused_lists_make_the_same_queries_for_many(client, hub, staff, show, state):
    connection, cohort, *_ = hub

    def add(count):
        places = _linked_places(connection, cohort, count)
        Declaration.objects.bulk_create(
            Declaration(
                connection=connection,
                enrolment=place,
                dfe_application=place.application.dfe,
                participant_id=place.application.dfe.participant_id,
                declaration_type="started",
                declaration_date=timezone.now(),
                course_identifier=SENIOR_LEADERSHIP,
                state=state,
                dfe_id=uuid.uuid4() if state == "paid" else None,
                error="DfE refused the declaration: base: no." if state == "refused" else "",
            )
            for place in places
        )

    assert_queries_do_not_grow(client, f"{LIST}?show={show}", add)


def test_the_statements_page_makes_the_same_queries_for_many(client, hub, staff):
    connection, *_ = hub

    def add(count):
        statements = Statement.objects.bulk_create(
            Statement(
                connection=connection,
                dfe_id=uuid.uuid4(),
                cohort_year=2025,
                month="January",
                year=str(3000 + n),
                payment_date=datetime.date(2027, 1, 25),
                dfe_updated_at=timezone.now(),
            )
            for n in range(Statement.objects.count(), Statement.objects.count() + count)
        )
        Declaration.objects.bulk_create(
            Declaration(
                connection=connection,
                participant_id=uuid.uuid4(),
                declaration_type="started",
                declaration_date=timezone.now(),
                course_identifier=SENIOR_LEADERSHIP,
                state="paid",
                dfe_id=uuid.uuid4(),
                statement_id=statement.dfe_id,
            )
            for statement in statements
        )

    assert_queries_do_not_grow(client, STATEMENTS, add)


@pytest.mark.parametrize("show", ["sent", "refused"])
def test_the_sent_and_refused_tabs_do_not_work_out_what_is_ready(
    client, hub, staff, monkeypatch, show
):
    """What is ready takes every place's milestones: only the Ready tab pays for it."""

    def not_here(*_, **__):
        raise AssertionError("the milestones were worked out for a tab that does not show them")

    monkeypatch.setattr("reports.milestone_days.enrolments_milestone_days", not_here)
    monkeypatch.setattr("dfe.declarations.milestones_bring_up_to_date", not_here)
    monkeypatch.setattr("dfe.views.declarations.declarations_ready_keys", not_here)
    monkeypatch.setattr("dfe.views.declarations.ready_declarations", not_here)

    response = client.get(f"{LIST}?show={show}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ready to send</a>" in page
    assert "Sent (0)" in page and "Refused by DfE (0)" in page


def test_the_ready_tab_still_counts_what_is_ready(client, hub, staff):
    page = client.get(LIST).content.decode()

    assert "Ready to send (2)" in page


def test_the_ready_tab_reads_the_ready_version_once_with_the_sent_counts(client, hub, staff):
    client.get(LIST)  # the counts kept

    with CaptureQueriesContext(db_connection) as captured:
        page = client.get(LIST).content.decode()

    statements = [statement_of(query["sql"]) for query in captured.captured_queries]
    assert "Ready to send (2)" in page
    assert [sql for sql in statements if "dfe_readyversion" in sql] == [
        next(sql for sql in statements if "dfe_sentcounts" in sql)
    ]


def _statements(connection, cohort_year: int, *, paid: tuple[bool, ...]) -> None:
    Statement.objects.bulk_create(
        Statement(
            connection=connection,
            dfe_id=uuid.uuid4(),
            cohort_year=cohort_year,
            month="January",
            year=str(2026 + n),
            payment_date=datetime.date(2026 + n, 1, 25),
            paid=is_paid,
            dfe_updated_at=timezone.now(),
        )
        for n, is_paid in enumerate(paid)
    )


def test_a_dfe_cohort_dfe_has_paid_up_is_left_out_unless_asked_and_the_page_says_so(
    client, hub, staff
):
    connection, cohort, link, ada, ben = hub
    connection.cohort_years = [2024, 2025]
    connection.save()
    _statements(connection, 2025, paid=(True, True))  # its contract has ended
    _statements(connection, 2024, paid=(True, False))

    default = client.get(LIST).content.decode()
    every = client.get(LIST, {"year": "all"})
    one = client.get(LIST, {"year": "2025"})

    assert "Ready to send (0)" in default
    assert "Listing DfE cohort 2024: DfE has paid every statement of 2025" in default
    assert "List every DfE cohort" in default
    assert "Those DfE still pays on (2024)" in default
    assert [row.enrolment for row in every.context["page_obj"]] == [ada, ben]
    assert "Ready to send (2)" in every.content.decode()
    assert "Listing DfE cohort" not in every.content.decode()
    assert [row.enrolment for row in one.context["page_obj"]] == [ada, ben]
    assert client.get(LIST, {"year": "2023"}).status_code == 404


def test_a_chosen_cohort_is_listed_whatever_its_dfe_cohort(client, hub, staff):
    connection, cohort, *_ = hub
    _statements(connection, 2025, paid=(True,))

    response = client.get(LIST, {"cohort": cohort.pk})

    assert "Ready to send (2)" in response.content.decode()
    assert response.context["filters"].cohort_options[1] == (cohort.pk, cohort.name)


def test_sending_all_from_the_default_list_sends_only_what_it_listed(
    client, hub, fake, staff, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    _statements(connection, 2025, paid=(True,))

    confirm = client.post(SUBMIT, {"connection": connection.pk, "all": "1"})
    _send(client, django_capture_on_commit_callbacks, connection=connection.pk, all="1")

    assert confirm.context["rows"] == []
    assert not Declaration.objects.exists()

    _send(client, django_capture_on_commit_callbacks, connection=connection.pk, all="1", year="all")

    assert Declaration.objects.count() == 2


def test_the_ready_list_makes_the_same_queries_whatever_the_dfe_cohorts_and_statements(
    client, hub, staff
):
    connection, cohort, *_ = hub
    meeting = attended(cohort)

    def add(count):
        _linked_places(connection, cohort, count, meeting)
        years = sorted({*connection.cohort_years, 2000 + Statement.objects.count() % 25})
        connection.cohort_years = years
        connection.save()
        _statements(connection, years[0], paid=(True,) * count)
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())
        for url in (f"{LIST}?year=all", LIST):  # counted, as the first request after a change
            client.get(url)

    assert_queries_do_not_grow(client, f"{LIST}?year=all", add)
    assert_queries_do_not_grow(client, LIST, add)


@pytest.mark.parametrize("page", [LIST, STATEMENTS])
def test_with_two_connections_switched_on_staff_choose_between_them(client, hub, staff, page):
    connection = hub[0]
    other = connection_save(
        connection=Connection(name="Best Practice Network", enabled=True, cohort_years=[2025]),
        token=fake_module.TOKEN,
    )
    off = connection_save(
        connection=Connection(name="Switched off", enabled=False, cohort_years=[2025]),
        token=fake_module.TOKEN,
    )

    first = client.get(page).content.decode()
    chosen = client.get(page, {"connection": other.pk}).content.decode()

    def listed(html: str) -> list[tuple[str, bool]]:
        select = html.split('name="connection"', 1)[1].split("</select>", 1)[0]
        options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', select)
        return [(name, bool(selected)) for _, selected, name in options]

    assert listed(first) == [(connection.name, True), ("Best Practice Network", False)]
    assert listed(chosen) == [(connection.name, False), ("Best Practice Network", True)]
    for wrong in (off.pk, "abc", 10**30):
        assert client.get(page, {"connection": wrong}).status_code == 404


@pytest.mark.parametrize("show", ["", "sent", "refused"])
def test_a_connection_chosen_is_found_among_those_listed_not_asked_for_again(
    client, hub, staff, show
):
    """The page reads the connections switched on once; naming one in the address asks the
    database nothing more (its filter form checks it against that list)."""
    connection = hub[0]
    client.get(LIST, {"show": show})  # the session and the kept counts read once

    with CaptureQueriesContext(db_connection) as unnamed:
        client.get(LIST, {"show": show})
    with CaptureQueriesContext(db_connection) as named:
        response = client.get(LIST, {"show": show, "connection": connection.pk})

    assert response.status_code == 200
    assert response.context["connection"] == connection
    assert len(named.captured_queries) == len(unnamed.captured_queries)


@pytest.mark.parametrize("page", [LIST, STATEMENTS])
def test_with_one_connection_switched_on_there_is_nothing_to_choose(client, hub, staff, page):
    html = client.get(page).content.decode()
    assert '<select name="connection"' not in html and "Lead provider</label>" not in html
    if page == LIST:  # the page's forms still say which connection they are about
        assert f'<input type="hidden" name="connection" value="{hub[0].pk}">' in html


@pytest.mark.parametrize(
    "chosen, years",
    [
        (False, None),
        (False, [2025]),
        (False, [2026]),
        (False, [2025, 2026]),
        (False, []),
        (True, None),
        (True, [2026]),
    ],
)
def test_the_cohorts_listed_are_read_with_their_kept_days_in_the_lists_order(hub, chosen, years):
    connection, cohort, *_ = hub
    connection.cohort_years = [2025, 2026]
    connection.save()
    programme = cohort.programme
    later = dfe_cohort(programme, academic_year=2026, name="A later one")
    dfe_cohort(programme, academic_year=2026, name="Another")
    dfe_cohort(programme_for("npq-headship", name="NPQ in Headship"), academic_year=2025)
    dfe_cohort(programme, academic_year=2024, name="Not a DfE cohort covered")
    milestones_bring_up_to_date(cohorts=Cohort.objects.filter(pk=cohort.pk))
    milestones_stale(cohorts=[later.pk])
    one = later if chosen else None

    rows = _scope_cohorts_read(connection, one, years)

    expected = connection_cohorts(connection)
    if one is not None:
        expected = expected.filter(pk=one.pk)
    elif years is not None:
        expected = expected.filter(academic_year__in=years)
    expected = expected.order_by("academic_year", "name", "pk")
    assert [row[:2] for row in rows] == list(
        expected.values_list("pk", "programme__course_identifier")
    )
    kept = {
        row.cohort_id: (row.version, row.worked_out, row.rules)
        for row in CohortMilestones.objects.all()
    }
    assert {row[0]: tuple(row[2:]) for row in rows} == {
        row[0]: kept.get(row[0], (None, None, None)) for row in rows
    }
    connection.cohort_years = []
    assert _scope_cohorts_read(connection, one, years) == []


def test_a_cohort_whose_kept_days_are_stale_is_brought_up_to_date_before_listing(
    client, hub, staff
):
    connection, cohort, link, ada, ben = hub
    assert client.get(LIST).context["counts"]["ready"] == 2
    # Ben's attendance goes: his days move on, and the list must not show what it no longer
    # supports (his started declaration).
    Attendance.objects.filter(enrolment=ben).delete()
    milestones_stale(cohorts=[cohort.pk])

    response = client.get(LIST)

    assert [row.enrolment for row in response.context["page_obj"]] == [ada]
    assert response.context["counts"]["ready"] == 1
    assert CohortMilestones.objects.get(cohort=cohort).worked_out == (
        CohortMilestones.objects.get(cohort=cohort).version
    )


@pytest.mark.parametrize("show", ["", "sent"])
@pytest.mark.parametrize("year", ["", "all", "2025", "2026"])
@pytest.mark.parametrize("chosen", [None, "earlier", "later"])
def test_the_cohort_filter_lists_the_years_cohorts_and_the_one_chosen(
    client, hub, staff, show, year, chosen
):
    connection, cohort, *_ = hub
    connection.cohort_years = [2025, 2026]
    connection.save()
    programme = cohort.programme
    later = dfe_cohort(programme, academic_year=2026, name="A later one")
    another = dfe_cohort(programme_for("npq-headship", name="NPQ in Headship"), academic_year=2026)
    connection.programmes.add(another.programme)
    dfe_cohort(programme, academic_year=2024, name="Not a DfE cohort covered")
    pick = {None: None, "earlier": cohort, "later": later}[chosen]
    query = {"show": show, "year": year}
    if pick is not None:
        query["cohort"] = pick.pk

    options = (
        client.get(LIST, {k: v for k, v in query.items() if v}).context["filters"].cohort_choices
    )

    every = [(later.pk, later.name), (another.pk, another.name), (cohort.pk, cohort.name)]
    if show == "sent" or year == "all":
        expected = every
    else:
        years = {"": [2025, 2026], "2025": [2025], "2026": [2026]}[year]
        expected = [
            (pk, name)
            for pk, name in every
            if Cohort.objects.get(pk=pk).academic_year in years or pk == getattr(pick, "pk", 0)
        ]
    assert [tuple(option) for option in options] == sorted(
        expected,
        key=lambda o: (
            -Cohort.objects.get(pk=o[0]).academic_year,
            Cohort.objects.get(pk=o[0]).programme.name,
            o[1],
        ),
    )
