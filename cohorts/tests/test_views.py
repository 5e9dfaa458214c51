import datetime

import pytest
import time_machine
from django.urls import reverse

from cohorts.models import Cohort, SchoolHoliday, Session, TermDateCalendar
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.models import Programme
from programmes.services import catalogue_load

from .factories import (
    CohortFactory,
    DeliveryPartnerFactory,
    ModuleWindowFactory,
    SchoolHolidayFactory,
    SessionFactory,
    TermDateCalendarFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


@pytest.mark.parametrize("count", [10, 200])
def test_the_cohort_list_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, count
):
    partner = DeliveryPartnerFactory()
    CohortFactory.create_batch(count, delivery_partner=partner)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("cohorts:cohort-list"))

    assert len(response.context["object_list"]) == min(count, 25)


def test_the_cohort_list_filters_by_programme_year_status_and_partner(client, lead):
    wanted = CohortFactory(status=Cohort.Status.OPEN)
    CohortFactory(
        programme=wanted.programme,
        academic_year=2028,
        starts_on=datetime.date(2028, 9, 4),
        ends_on=datetime.date(2029, 7, 1),
    )
    CohortFactory(delivery_partner=DeliveryPartnerFactory(name="Other Maths Hub"))
    url = reverse("cohorts:cohort-list")

    found = client.get(
        url,
        {
            "programme": wanted.programme.pk,
            "academic_year": 2027,
            "status": "open",
            "partner": wanted.delivery_partner.pk,
        },
    ).context["object_list"]

    assert list(found) == [wanted]


def test_facilitators_see_only_the_cohorts_they_run(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    theirs = CohortFactory()
    theirs.facilitators.add(facilitator)
    other = CohortFactory()
    sign_in(client, facilitator)

    listed = client.get(reverse("cohorts:cohort-list")).context["object_list"]

    assert list(listed) == [theirs]
    assert client.get(theirs.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(reverse("cohorts:cohort-update", args=[theirs.pk])).status_code == 403


def test_teachers_cannot_reach_cohort_pages(client):
    cohort = CohortFactory()
    sign_in(client, UserFactory())

    assert client.get(reverse("cohorts:cohort-list")).status_code == 403
    assert client.get(cohort.get_absolute_url()).status_code == 403
    response = client.post(reverse("cohorts:cohort-status", args=[cohort.pk]), {"to": "open"})
    assert response.status_code == 403
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.DRAFT


def test_a_lead_creates_a_cohort_then_generates_and_publishes_its_timetable(client, lead):
    catalogue_load()
    programme = Programme.objects.get(slug="npq-leading-primary-mathematics")
    partner = DeliveryPartnerFactory()
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])

    response = client.post(
        reverse("cohorts:cohort-create"),
        {
            "programme": programme.pk,
            "name": "Autumn start, Cheshire and Wirral",
            "academic_year": 2027,
            "starts_on": "2027-10-01",
            "ends_on": "2028-07-14",
            "application_deadline": "2027-09-10",
            "delivery_partner": partner.pk,
            "venue": "Hoole, Chester",
            "capacity": 30,
            "funding_rules": "2026",
            "facilitators": [facilitator.pk],
        },
    )
    cohort = Cohort.objects.get()
    assert response.url == cohort.get_absolute_url()
    assert list(cohort.facilitators.all()) == [facilitator]

    client.post(reverse("cohorts:timetable-generate", args=[cohort.pk]))
    assert cohort.sessions.filter(status="draft").count() == 10
    client.post(reverse("cohorts:timetable-publish", args=[cohort.pk]))
    assert cohort.sessions.filter(status="scheduled").count() == 10
    response = client.post(reverse("cohorts:cohort-status", args=[cohort.pk]), {"to": "open"})
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN

    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "Culture and Learning clinic" in page
    assert "Module windows" in page


def test_a_cohort_form_with_dates_the_wrong_way_round_saves_nothing(client, lead):
    programme = CohortFactory().programme

    response = client.post(
        reverse("cohorts:cohort-create"),
        {
            "programme": programme.pk,
            "name": "Backwards",
            "academic_year": 2027,
            "starts_on": "2028-07-14",
            "ends_on": "2027-10-01",
            "delivery_partner": DeliveryPartnerFactory().pk,
            "capacity": 30,
            "funding_rules": "2026",
        },
    )

    assert response.status_code == 200
    assert "The cohort must end after it starts." in response.content.decode()
    assert Cohort.objects.count() == 1


def test_a_refused_status_change_shows_why(client, lead):
    cohort = CohortFactory(status=Cohort.Status.OPEN)

    response = client.post(
        reverse("cohorts:cohort-status", args=[cohort.pk]), {"to": "cancelled"}, follow=True
    )

    assert "Say why the cohort is cancelled" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.OPEN


def test_moving_a_published_session_through_the_form_needs_a_reason(client, lead):
    session = SessionFactory()
    url = reverse("cohorts:session-update", args=[session.pk])
    data = {
        "kind": "clinic",
        "title": session.title,
        "starts_at": "2027-11-16T16:00",
        "ends_at": "2027-11-16T17:30",
    }

    response = client.post(url, data)
    assert "Say why the session is moving" in response.content.decode()
    response = client.post(url, {**data, "reason": "Facilitator at a conference"})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == datetime.datetime(2027, 11, 16, 16, 0, tzinfo=datetime.UTC)
    assert session.sequence == 1


def test_cancelling_a_session_through_the_page(client, lead):
    session = SessionFactory()

    client.post(reverse("cohorts:session-cancel", args=[session.pk]), {"reason": "Snow"})

    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED


def test_duplicating_through_the_page_opens_the_copy(client, lead):
    cohort = CohortFactory()

    response = client.post(reverse("cohorts:cohort-duplicate", args=[cohort.pk]))

    copy = Cohort.objects.exclude(pk=cohort.pk).get()
    assert response.url == copy.get_absolute_url()
    assert copy.academic_year == cohort.academic_year + 1


def test_the_cohort_page_offers_a_copy_for_the_next_academic_year(client, lead):
    cohort = CohortFactory(academic_year=2099)

    page = client.get(cohort.get_absolute_url()).content.decode()

    assert "2099/00, " in page
    assert "Copy for 2100/01" in page


def test_the_programme_page_shows_open_cohorts_with_places_left(client):
    cohort = CohortFactory(
        status=Cohort.Status.OPEN, capacity=20, places_taken=17, name="Spring start, Wirral"
    )
    CohortFactory(programme=cohort.programme, name="A draft cohort")

    page = client.get(cohort.programme.get_absolute_url()).content.decode()

    assert "Spring start, Wirral" in page
    assert "3 places left" in page
    assert "1 October 2027 to 14 July 2028" in page
    assert "A draft cohort" not in page


def test_a_clinic_can_run_on_another_date_with_its_own_capacity(client, lead):
    catalogue_load()
    cohort = CohortFactory(programme=Programme.objects.get(slug="npq-leading-primary-mathematics"))
    clinic = cohort.programme.courses.get(title="Assessment").clinics.get()
    other_programme_clinic = Programme.objects.get(
        slug="maths-hub-teaching-assistants-sktm"
    ).courses.first()

    response = client.post(
        reverse("cohorts:session-create", args=[cohort.pk]),
        {
            "kind": "clinic",
            "title": "Assessment clinic (second date)",
            "clinic": clinic.pk,
            "starts_at": "2027-12-08T16:00",
            "ends_at": "2027-12-08T17:30",
            "capacity": 12,
        },
    )

    assert response.status_code == 302
    session = cohort.sessions.get()
    assert (session.clinic, session.course, session.capacity) == (clinic, clinic.course, 12)
    form = client.get(reverse("cohorts:session-create", args=[cohort.pk])).context["form"]
    assert other_programme_clinic not in form.fields["course"].queryset


def test_a_facilitator_cannot_touch_another_cohort_in_any_way(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    mine = CohortFactory()
    mine.facilitators.add(facilitator)
    other = SessionFactory()
    window_cohort = other.cohort
    sign_in(client, facilitator)

    for url in [
        reverse("cohorts:cohort-detail", args=[window_cohort.pk]),
    ]:
        assert client.get(url).status_code == 404
    for name in [
        "cohorts:cohort-status",
        "cohorts:cohort-duplicate",
        "cohorts:timetable-generate",
        "cohorts:timetable-publish",
        "cohorts:cohort-calendar",
    ]:
        assert client.post(reverse(name, args=[window_cohort.pk])).status_code in {403, 404}
    for name in ["cohorts:session-update", "cohorts:session-cancel"]:
        assert client.get(reverse(name, args=[other.pk])).status_code in {403, 404}
    other.refresh_from_db()
    assert other.status == Session.Status.SCHEDULED
    assert (
        not window_cohort.feeds.exists() or window_cohort.feeds.filter(revoked_at=None).count() <= 1
    )


def test_a_facilitator_cannot_revoke_their_cohorts_calendar_address(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort = CohortFactory()
    cohort.facilitators.add(facilitator)
    sign_in(client, facilitator)

    page = client.get(cohort.get_absolute_url()).content.decode()
    response = client.post(reverse("cohorts:cohort-calendar", args=[cohort.pk]))

    assert "Revoke it and make a new address" not in page
    assert response.status_code == 403


def test_a_teacher_gets_403_not_404_on_session_pages(client):
    session = SessionFactory()
    sign_in(client, UserFactory())

    assert (
        client.get(reverse("cohorts:session-create", args=[session.cohort.pk])).status_code == 403
    )
    assert client.get(reverse("cohorts:session-cancel", args=[session.pk])).status_code == 403


def test_the_year_filter_offers_only_the_years_a_facilitator_can_see(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    CohortFactory(
        academic_year=2028, starts_on=datetime.date(2028, 9, 4), ends_on=datetime.date(2029, 7, 1)
    )
    mine = CohortFactory()
    mine.facilitators.add(facilitator)
    sign_in(client, facilitator)

    form = client.get(reverse("cohorts:cohort-list")).context["filters"]

    assert [value for value, _ in form.fields["academic_year"].choices] == ["", 2027]


def test_a_summer_session_typed_in_uk_time_is_stored_in_utc(client, lead):
    cohort = CohortFactory()

    client.post(
        reverse("cohorts:session-create", args=[cohort.pk]),
        {
            "kind": "webinar",
            "title": "Summer webinar",
            "starts_at": "2028-06-06T16:00",
            "ends_at": "2028-06-06T17:00",
        },
    )

    session = cohort.sessions.get()
    assert session.starts_at == datetime.datetime(2028, 6, 6, 15, 0, tzinfo=datetime.UTC)


def test_an_open_cohort_past_its_deadline_is_not_shown_to_the_public(client):
    cohort = CohortFactory(
        status=Cohort.Status.OPEN,
        application_deadline=datetime.date(2020, 1, 1),
        name="Closed in practice",
    )

    page = client.get(cohort.programme.get_absolute_url()).content.decode()

    assert "Closed in practice" not in page


@pytest.mark.parametrize("sessions", [2, 30])
def test_the_cohort_page_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, sessions
):
    cohort = CohortFactory()
    SessionFactory.create_batch(sessions, cohort=cohort)

    with django_assert_max_num_queries(20):
        response = client.get(cohort.get_absolute_url())

    assert response.status_code == 200


def _session_item(page: str, session) -> str:
    start = page.rindex("<li", 0, page.index(f'id="session-{session.pk}"'))
    return page[start : page.index("</li>", start)]


@time_machine.travel(datetime.datetime(2027, 11, 20, 9, tzinfo=datetime.UTC))
def test_the_cohort_page_draws_each_session_and_module_window_with_the_links_a_role_may_follow(
    client,
):
    cohort = CohortFactory()
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR], first_name="Fay", last_name="Lee")
    cohort.facilitators.add(facilitator)
    held = SessionFactory(
        cohort=cohort,
        title="Clinic <one> & more",
        online_link="https://meet.example/a?b=1&c=2",
        facilitator=facilitator,
        capacity=12,
    )
    draft = SessionFactory(
        cohort=cohort,
        status=Session.Status.DRAFT,
        venue="Room 4",
        starts_at=datetime.datetime(2028, 6, 6, 15, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2028, 6, 6, 16, 30, tzinfo=datetime.UTC),
    )
    cancelled = SessionFactory(cohort=cohort, status=Session.Status.CANCELLED)
    window = ModuleWindowFactory(cohort=cohort, module__title="Leading <teams>")
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])

    sign_in(client, lead)
    page = client.get(cohort.get_absolute_url()).content.decode()
    sign_in(client, facilitator)
    theirs = client.get(cohort.get_absolute_url()).content.decode()

    item = _session_item(page, held)
    assert "<strong>Tue 9 Nov, 16:00–17:30</strong> Clinic &lt;one&gt; &amp; more" in item
    assert (
        '<div class="small text-body-secondary">https://meet.example/a?b=1&amp;c=2 · Fay Lee'
        " · 12 places</div>"
    ) in item
    register = reverse("participants:session-register", args=[held.pk])
    assert f'<a class="btn btn-sm btn-primary" href="{register}">Register' in item
    assert reverse("cohorts:session-update", args=[held.pk]) in item
    item = _session_item(page, draft)
    assert "<strong>Tue 6 Jun 2028, 16:00–17:30</strong>" in item
    assert '<span class="badge text-bg-warning">Draft</span>' in item
    assert "Room 4</div>" in item
    assert "Register" not in item  # not held yet
    item = _session_item(page, cancelled)
    assert "text-decoration-line-through" in item
    assert '<span class="badge text-bg-danger">Cancelled</span>' in item
    assert "Place to be set</div>" in item
    assert "Edit" not in item and "Register" not in item
    assert "<tr><td>Leading &lt;teams&gt;<div class" in page
    assert "<td>1 Oct</td><td>15 Oct</td><td>29 Oct 2027</td>" in page
    assert reverse("cohorts:modulewindow-update", args=[window.pk]) in page
    assert reverse("participants:session-register", args=[held.pk]) in theirs  # they mark it
    assert reverse("cohorts:session-update", args=[held.pk]) not in theirs
    assert reverse("cohorts:modulewindow-update", args=[window.pk]) not in theirs


# ---- Term dates and teaching days ----


def test_moving_a_session_onto_the_spring_bank_holiday_asks_and_unconfirmed_changes_nothing(
    client, lead
):
    session = SessionFactory()  # Tuesday 9 November 2027, published
    url = reverse("cohorts:session-update", args=[session.pk])
    data = {
        "kind": "clinic",
        "title": session.title,
        "starts_at": "2028-05-29T16:00",
        "ends_at": "2028-05-29T17:30",
        "reason": "The hall is booked for exams",
    }

    response = client.post(url, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Monday 29 May 2028 is not a teaching day: Spring Bank Holiday (bank holiday). "
        "Save anyway?" in page
    )
    assert 'name="confirm_day"' in page
    session.refresh_from_db()
    assert session.starts_at.date() == datetime.date(2027, 11, 9)
    assert session.sequence == 0 and not session.changes.exists()


def test_moving_a_session_onto_the_spring_bank_holiday_confirmed_saves_it(client, lead):
    session = SessionFactory()
    url = reverse("cohorts:session-update", args=[session.pk])
    data = {
        "kind": "clinic",
        "title": session.title,
        "starts_at": "2028-05-29T16:00",
        "ends_at": "2028-05-29T17:30",
        "reason": "The hall is booked for exams",
        "confirm_day": "on",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at.date() == datetime.date(2028, 5, 29)
    assert session.changes.get().reason == "The hall is booked for exams"


def test_adding_a_session_in_half_term_asks_first(client, lead, england_term_dates):
    cohort = CohortFactory()  # follows the default calendar: half term 25 to 29 October 2027
    url = reverse("cohorts:session-create", args=[cohort.pk])
    data = {
        "kind": "clinic",
        "title": "Extra clinic",
        "starts_at": "2027-10-27T16:00",
        "ends_at": "2027-10-27T17:00",
    }

    page = client.post(url, data).content.decode()
    assert "Wednesday 27 October 2027 is not a teaching day: Autumn half term." in page
    assert not cohort.sessions.exists()
    response = client.post(url, {**data, "confirm_day": "on"})

    assert response.status_code == 302
    assert cohort.sessions.get().title == "Extra clinic"


def test_a_lead_keeps_a_local_authoritys_term_dates_and_a_cohort_follows_them(client, lead):
    response = client.post(
        reverse("cohorts:termcalendar-create"),
        {"name": "Cheshire West and Chester", "local_authority": "Cheshire West and Chester"},
    )
    calendar = TermDateCalendar.objects.get(name="Cheshire West and Chester")
    assert response.url == calendar.get_absolute_url()
    client.post(
        reverse("cohorts:schoolholiday-create", args=[calendar.pk]),
        {"name": "Autumn half term", "starts_on": "2027-10-25", "ends_on": "2027-10-29"},
    )
    holiday = calendar.holidays.get()
    client.post(
        reverse("cohorts:schoolholiday-update", args=[holiday.pk]),
        {"name": "Autumn half term", "starts_on": "2027-10-25", "ends_on": "2027-11-01"},
    )
    holiday.refresh_from_db()
    assert holiday.ends_on == datetime.date(2027, 11, 1)
    refused = client.post(
        reverse("cohorts:schoolholiday-update", args=[holiday.pk]),
        {"name": "Backwards", "starts_on": "2027-10-25", "ends_on": "2027-10-20"},
    )
    assert "A holiday ends on or after its first day." in refused.content.decode()
    cohort = CohortFactory()
    edit = client.get(reverse("cohorts:cohort-update", args=[cohort.pk])).content.decode()
    assert "Cheshire West and Chester" in edit and "The default calendar" in edit

    page = client.get(calendar.get_absolute_url()).content.decode()
    client.post(reverse("cohorts:schoolholiday-delete", args=[holiday.pk]))

    assert "Autumn half term" in page and "2027/28" in page
    assert not calendar.holidays.exists()


def test_the_cohort_form_chooses_the_term_dates(client, lead):
    cohort = CohortFactory()
    calendar = TermDateCalendarFactory()
    data = {
        "programme": cohort.programme.pk,
        "name": cohort.name,
        "academic_year": 2027,
        "starts_on": "2027-10-01",
        "ends_on": "2028-07-14",
        "delivery_partner": cohort.delivery_partner.pk,
        "capacity": 30,
        "funding_rules": "2026",
        "term_calendar": calendar.pk,
    }

    client.post(reverse("cohorts:cohort-update", args=[cohort.pk]), data)

    cohort.refresh_from_db()
    assert cohort.term_calendar == calendar
    assert calendar.name in client.get(cohort.get_absolute_url()).content.decode()


def test_teachers_and_facilitators_cannot_reach_the_term_dates(client):
    holiday = SchoolHolidayFactory()
    urls = [
        reverse("cohorts:termcalendar-list"),
        reverse("cohorts:termcalendar-detail", args=[holiday.calendar.pk]),
        reverse("cohorts:schoolholiday-create", args=[holiday.calendar.pk]),
        reverse("cohorts:schoolholiday-update", args=[holiday.pk]),
        reverse("cohorts:schoolholiday-delete", args=[holiday.pk]),
    ]

    for user in (UserFactory(), StaffUserFactory(roles=[Role.FACILITATOR])):
        sign_in(client, user)
        assert [client.get(url).status_code for url in urls] == [403] * len(urls)
        response = client.post(urls[-1])
        assert response.status_code == 403
    assert SchoolHoliday.objects.filter(pk=holiday.pk).exists()


@pytest.mark.parametrize("count", [3, 60])
def test_the_term_dates_list_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, count, england_term_dates
):
    calendars = TermDateCalendarFactory.create_batch(count)
    for calendar in calendars:
        SchoolHolidayFactory(calendar=calendar)
        CohortFactory(term_calendar=calendar)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("cohorts:termcalendar-list"))

    rows = response.context["object_list"]
    assert len(rows) == min(count + 1, 25)  # with the default calendar, listed first
    assert rows[0].is_default
    assert {(c.holiday_count, c.cohort_count) for c in rows[1:]} == {(1, 1)}
