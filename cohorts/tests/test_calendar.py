import datetime

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Session
from cohorts.services import calendar_feed_get, calendar_feed_replace, session_cancel, session_save
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in

from .factories import CohortFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _events(client, feed) -> dict:
    response = client.get(feed.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_cohort_feed_is_valid_icalendar_with_one_event_a_published_session(client):
    cohort = CohortFactory(name="Autumn start; Chester, Wirral")
    SessionFactory(
        cohort=cohort, title="Culture and Learning clinic, part one", venue="Hoole, Chester"
    )
    SessionFactory(cohort=cohort, status=Session.Status.DRAFT)

    events = _events(client, calendar_feed_get(cohort=cohort))

    (event,) = events.values()
    assert str(event["SUMMARY"]) == "Culture and Learning clinic, part one"
    assert event["DTSTART"].dt == datetime.datetime(2027, 11, 9, 16, 0, tzinfo=datetime.UTC)
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["LOCATION"]) == "Hoole, Chester"
    assert "Autumn start; Chester, Wirral" in str(event["DESCRIPTION"])


def test_a_moved_session_keeps_its_uid_and_raises_its_sequence(client):
    session = SessionFactory()
    feed = calendar_feed_get(cohort=session.cohort)
    ((uid, before),) = _events(client, feed).items()

    session.starts_at += datetime.timedelta(days=2)
    session.ends_at += datetime.timedelta(days=2)
    session_save(session=session, by=None, reason="Room clash")
    ((uid_after, after),) = _events(client, feed).items()

    assert uid_after == uid
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt - before["DTSTART"].dt == datetime.timedelta(days=2)


def test_a_cancelled_session_stays_in_the_feed_marked_cancelled(client):
    session = SessionFactory()
    session_cancel(session=session, by=None, reason="Strike day")

    (event,) = _events(client, calendar_feed_get(cohort=session.cohort)).values()

    assert event["STATUS"] == "CANCELLED"


def test_long_and_awkward_text_is_escaped_and_folded(client):
    title = "Clinic; with commas, semicolons and a very long title " * 3
    SessionFactory(title=title.strip(), venue="Room 1\nBuilding 2")
    feed = calendar_feed_get(cohort=SessionFactory._meta.model.objects.get().cohort)

    body = client.get(feed.get_absolute_url()).content.decode()
    (event,) = _events(client, feed).values()

    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert str(event["SUMMARY"]) == title.strip()
    assert str(event["LOCATION"]) == "Room 1\nBuilding 2"


def test_a_revoked_address_stops_working_and_a_new_one_does(client):
    cohort = CohortFactory()
    old = calendar_feed_get(cohort=cohort)

    new = calendar_feed_replace(feed=old)

    assert client.get(old.get_absolute_url()).status_code == 404
    assert client.get(new.get_absolute_url()).status_code == 200


def test_a_facilitators_own_feed_has_the_sessions_of_the_cohorts_they_run(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    theirs = SessionFactory(title="Their clinic")
    theirs.cohort.facilitators.add(facilitator)
    SessionFactory(title="Someone else's clinic")

    events = _events(client, calendar_feed_get(owner=facilitator))

    assert [str(e["SUMMARY"]) for e in events.values()] == ["Their clinic"]


def test_my_calendar_page_shows_the_address_and_can_replace_it(client):
    person = UserFactory()
    sign_in(client, person)

    first = client.get(reverse("cohorts:my-calendar")).context["feed_url"]
    client.post(reverse("cohorts:my-calendar"))
    second = client.get(reverse("cohorts:my-calendar")).context["feed_url"]

    assert first != second
    assert client.get(first.split("testserver")[1]).status_code == 404


def test_an_empty_feed_is_still_a_valid_calendar_with_crlf_lines(client):
    feed = calendar_feed_get(cohort=CohortFactory())

    body = client.get(feed.get_absolute_url()).content

    calendar = icalendar.Calendar.from_ical(body)
    assert [component.name for component in calendar.subcomponents] == ["VTIMEZONE"]
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert body.endswith(b"END:VCALENDAR\r\n")


def test_every_event_has_the_required_properties_and_a_fixed_uid_domain(client, settings):
    settings.SITE_URL = "https://npq.hub.example.org"
    session = SessionFactory(online_link="https://meet.example/abc", venue="")

    (event,) = _events(client, calendar_feed_get(cohort=session.cohort)).values()

    for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
        assert name in event, name
    assert str(event["UID"]) == f"{session.uid}@npq-portal"
    assert str(event["URL"]) == "https://meet.example/abc"
    assert str(event["LOCATION"]) == "Online"


def test_a_session_a_facilitator_leads_in_another_cohort_is_in_their_feed(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    SessionFactory(title="Guest clinic", facilitator=facilitator)

    events = _events(client, calendar_feed_get(owner=facilitator))

    assert [str(e["SUMMARY"]) for e in events.values()] == ["Guest clinic"]


def test_a_deactivated_persons_feed_stops_working(client):
    person = UserFactory()
    feed = calendar_feed_get(owner=person)
    person.is_active = False
    person.save()

    assert client.get(feed.get_absolute_url()).status_code == 404


def test_an_existing_calendar_address_is_read_without_locking_its_row():
    cohort = CohortFactory()
    feed = calendar_feed_get(cohort=cohort)

    with CaptureQueriesContext(connection) as captured:
        again = calendar_feed_get(cohort=cohort)

    assert again == feed
    assert len(captured) == 1
    assert "FOR UPDATE" not in captured.captured_queries[0]["sql"]
