import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Session
from cohorts.services import session_cancel, session_save
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Enrolment
from reminders.links import reminder_stop_url
from reminders.models import ReminderOptOut
from reminders.services import reminders_run

pytestmark = pytest.mark.django_db

STARTS = datetime.datetime(2027, 11, 9, 16, 0, tzinfo=datetime.UTC)


def _booked_session(people=1, **extra):
    cohort = CohortFactory()
    session = SessionFactory(
        cohort=cohort, starts_at=STARTS, ends_at=STARTS + datetime.timedelta(hours=1), **extra
    )
    participants = [UserFactory() for _ in range(people)]
    for person in participants:
        Enrolment.objects.create(participant=person, cohort=cohort)
    return session, participants


def _at(delta):
    return STARTS - delta


def test_each_session_reminder_fires_at_its_time_not_before_and_never_twice(mailoutbox):
    session, (person,) = _booked_session()

    assert reminders_run(now=_at(datetime.timedelta(days=2, minutes=1))) == 0
    assert reminders_run(now=_at(datetime.timedelta(days=2))) == 1
    assert reminders_run(now=_at(datetime.timedelta(days=1))) == 0  # already sent
    assert reminders_run(now=_at(datetime.timedelta(hours=2, minutes=1))) == 0
    assert reminders_run(now=_at(datetime.timedelta(hours=2))) == 1
    assert reminders_run(now=_at(datetime.timedelta(hours=1))) == 0
    assert reminders_run(now=STARTS + datetime.timedelta(minutes=1)) == 0  # started: too late

    assert [m.to for m in mailoutbox] == [[person.email], [person.email]]
    assert mailoutbox[0].subject.startswith(session.title)
    assert "/reminders/stop/" in mailoutbox[0].body


def test_a_rerun_after_a_crash_sends_only_what_was_not_sent(mailoutbox):
    session, people = _booked_session(people=3)
    now = _at(datetime.timedelta(hours=2))
    from reminders.services import reminder_rules, send_optional

    # As if a worker died after emailing the first person and before recording the rule done.
    rule = next(r for r in reminder_rules() if r.name == "session-2-hours")
    send_optional(
        to=people[0].email,
        kind="session_reminder",
        about=session,
        occasion=rule.name,
        context={"session": session, "cohort": session.cohort, "person": people[0]},
    )

    reminders_run(now=now)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)


def test_the_daily_cap_holds_back_optional_reminders(settings, mailoutbox):
    settings.REMINDERS = {**settings.REMINDERS, "daily_cap": 1}
    person = UserFactory()
    for hour in (10, 12):
        cohort = CohortFactory()
        Enrolment.objects.create(participant=person, cohort=cohort)
        start = STARTS.replace(hour=hour)
        SessionFactory(cohort=cohort, starts_at=start, ends_at=start + datetime.timedelta(hours=1))

    reminders_run(now=STARTS.replace(hour=9))

    assert len(mailoutbox) == 1


def test_opt_outs_and_the_cap_are_read_once_for_everyone_on_a_session(mailoutbox):
    session, people = _booked_session(people=5)
    ReminderOptOut.objects.create(email=people[0].email)

    with CaptureQueriesContext(connection) as captured:
        reminders_run(now=_at(datetime.timedelta(hours=2)))

    statements = [query["sql"] for query in captured]
    assert sum("reminders_reminderoptout" in sql for sql in statements) == 1
    assert sum('COUNT("npq_portal_emaildelivery"' in sql for sql in statements) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people[1:])


def test_turning_reminders_off_from_the_link(client, mailoutbox):
    session, (person,) = _booked_session()
    url = reminder_stop_url(person.email).split("testserver")[-1].split("127.0.0.1:8000")[-1]

    assert client.get(url).status_code == 200
    assert not ReminderOptOut.objects.exists()  # a visit only asks
    client.post(url)
    reminders_run(now=_at(datetime.timedelta(hours=2)))

    assert ReminderOptOut.objects.filter(email=person.email).exists()
    assert mailoutbox == []


def test_a_moved_or_cancelled_session_tells_the_people_booked_once_each_time(
    mailoutbox, django_capture_on_commit_callbacks
):
    session, (person,) = _booked_session(facilitator=UserFactory())
    ReminderOptOut.objects.create(email=person.email)  # urgent email still goes

    with django_capture_on_commit_callbacks(execute=True):
        session.starts_at += datetime.timedelta(days=1)
        session.ends_at += datetime.timedelta(days=1)
        session_save(session=session, by=None, reason="Room clash")
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, by=None, reason="Snow")

    subjects = sorted((m.to[0], m.subject) for m in mailoutbox)
    assert len(subjects) == 4  # participant and facilitator, moved and cancelled
    assert any("has moved" in subject for _, subject in subjects)
    assert any("is cancelled" in subject for _, subject in subjects)
    assert EmailDelivery.objects.filter(kind="session_moved").count() == 2


def test_a_draft_session_moving_tells_no_one(mailoutbox, django_capture_on_commit_callbacks):
    session, _ = _booked_session(status=Session.Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        session.starts_at += datetime.timedelta(days=1)
        session.ends_at += datetime.timedelta(days=1)
        session_save(session=session, by=None)

    assert mailoutbox == []


def test_staff_see_who_will_be_reminded_in_the_next_week(client):
    from django.utils import timezone

    cohort = CohortFactory(starts_on=datetime.date(2020, 1, 1))
    soon = timezone.now() + datetime.timedelta(days=3)
    SessionFactory(cohort=cohort, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("reminders:reminders-upcoming"))

    assert [row["rule"] for row in page.context["upcoming"]] == [
        "session-2-days",
        "session-2-hours",
    ]
    assert "Session in 2 days" in page.content.decode()


def test_the_week_ahead_shows_module_and_offer_reminders_too(client):
    from django.utils import timezone

    from applications.tests.factories import ApplicationFactory
    from cohorts.models import Cohort, ModuleWindow
    from programmes.tests.factories import ModuleFactory

    cohort = CohortFactory(status=Cohort.Status.RUNNING)
    for _ in range(2):
        Enrolment.objects.create(participant=UserFactory(), cohort=cohort)
    today = timezone.localdate()
    ModuleWindow.objects.create(
        cohort=cohort,
        module=ModuleFactory(title="Retrieval practice", course__programme=cohort.programme),
        opens_on=today + datetime.timedelta(days=2),
        study_due_on=today + datetime.timedelta(days=20),
        application_due_on=today + datetime.timedelta(days=30),
    )
    ApplicationFactory(
        cohort=cohort,
        status="waitlisted",
        offer_expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    ApplicationFactory(  # its reminder is more than a week away
        cohort=cohort,
        status="waitlisted",
        offer_expires_at=timezone.now() + datetime.timedelta(days=9),
    )
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("reminders:reminders-upcoming"))

    rows = [(row["rule"], row["about"], row["people"]) for row in page.context["upcoming"]]
    assert rows == [
        ("module-opening", "Retrieval practice", 2),  # first thing on the day it opens
        ("offer-expiring", "Offered place from the waiting list", 1),  # a day before it lapses
    ]
    assert "Module opens" in page.content.decode()


def test_the_command_runs_the_due_reminders(capsys):
    from django.core.management import call_command

    call_command("run_due_reminders")

    assert capsys.readouterr().out.strip().endswith("sent.")


def test_a_real_worker_on_redis_runs_the_due_reminders_once(celery_worker, mailoutbox):
    from django.utils import timezone

    from reminders.tasks import reminders_run_task

    cohort = CohortFactory(starts_on=datetime.date(2020, 1, 1))
    soon = timezone.now() + datetime.timedelta(hours=1)
    SessionFactory(cohort=cohort, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1))
    people = [UserFactory() for _ in range(3)]
    for person in people:
        Enrolment.objects.create(participant=person, cohort=cohort)

    reminders_run_task.apply_async(ignore_result=False).get(timeout=30)
    reminders_run_task.apply_async(ignore_result=False).get(
        timeout=30
    )  # run twice, e.g. two beats at once

    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)


def test_module_windows_remind_on_opening_and_before_they_are_due(mailoutbox):
    from cohorts.models import Cohort, ModuleWindow
    from programmes.tests.factories import ModuleFactory
    from reminders.services import module_window_reminders_run

    cohort = CohortFactory(status=Cohort.Status.RUNNING)
    person = UserFactory()
    Enrolment.objects.create(participant=person, cohort=cohort)
    module = ModuleFactory(title="Simple model of memory", course__programme=cohort.programme)
    ModuleWindow.objects.create(
        cohort=cohort,
        module=module,
        opens_on=datetime.date(2027, 11, 1),
        study_due_on=datetime.date(2027, 11, 8),
        application_due_on=datetime.date(2027, 11, 15),
    )

    assert module_window_reminders_run(today=datetime.date(2027, 10, 31)) == 0
    assert module_window_reminders_run(today=datetime.date(2027, 11, 1)) == 1
    assert module_window_reminders_run(today=datetime.date(2027, 11, 2)) == 0
    assert module_window_reminders_run(today=datetime.date(2027, 11, 11)) == 0
    assert module_window_reminders_run(today=datetime.date(2027, 11, 12)) == 1
    assert module_window_reminders_run(today=datetime.date(2027, 11, 13)) == 0

    assert [m.subject for m in mailoutbox] == [
        "Simple model of memory opens today",
        "Simple model of memory is due on 15 November",
    ]
    assert "/my-progress/" in mailoutbox[0].body


def test_an_unfinished_module_is_chased_the_day_after_it_was_due_and_only_once(mailoutbox):
    from cohorts.models import Cohort
    from cohorts.tests.factories import ModuleWindowFactory
    from participants.models import ModulePhaseDone
    from reminders.models import ReminderDone
    from reminders.services import module_window_reminders_run

    cohort = CohortFactory(status=Cohort.Status.RUNNING)
    behind, finished = UserFactory(), UserFactory()
    for person in (behind, finished):
        Enrolment.objects.create(participant=person, cohort=cohort)
    window = ModuleWindowFactory(
        cohort=cohort,
        module__title="Retrieval practice",
        opens_on=datetime.date(2027, 11, 1),
        study_due_on=datetime.date(2027, 11, 8),
        application_due_on=datetime.date(2027, 11, 15),
    )
    for phase in ("study", "application"):
        ModulePhaseDone.objects.create(
            enrolment=finished.enrolments.get(), module=window.module, phase=phase
        )
    ModulePhaseDone.objects.create(  # half done is not done
        enrolment=behind.enrolments.get(), module=window.module, phase="study"
    )
    for rule in ["module-opening", "module-due-soon"]:  # sent when their days came
        ReminderDone.objects.create(rule=rule, about=f"cohorts.modulewindow:{window.pk}")

    assert module_window_reminders_run(today=datetime.date(2027, 11, 15)) == 0  # due today
    assert module_window_reminders_run(today=datetime.date(2027, 11, 16)) == 1
    assert module_window_reminders_run(today=datetime.date(2027, 11, 17)) == 0

    (chase,) = mailoutbox
    assert chase.to == [behind.email]
    assert chase.subject == "Retrieval practice was due on 15 November"


def test_a_long_past_module_is_not_chased(mailoutbox):
    from cohorts.models import Cohort
    from cohorts.tests.factories import ModuleWindowFactory
    from reminders.services import module_window_reminders_run

    cohort = CohortFactory(status=Cohort.Status.RUNNING)
    Enrolment.objects.create(participant=UserFactory(), cohort=cohort)
    ModuleWindowFactory(
        cohort=cohort,
        opens_on=datetime.date(2027, 9, 1),
        study_due_on=datetime.date(2027, 9, 8),
        application_due_on=datetime.date(2027, 9, 15),
    )

    assert module_window_reminders_run(today=datetime.date(2027, 11, 16)) == 0


def test_staff_can_preview_every_email_with_sample_data(client):
    from reminders.email_samples import email_kinds

    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    for kind in email_kinds():
        response = client.get(reverse("reminders:email-preview"), {"kind": kind})
        assert response.status_code == 200, kind
        assert response.context["subject"] and response.context["text"], kind
    assert len(email_kinds()) >= 16
    assert client.get(reverse("reminders:email-preview"), {"kind": "nope"}).status_code == 404


def test_teachers_cannot_preview_emails(client):
    sign_in(client, UserFactory())

    assert client.get(reverse("reminders:email-preview")).status_code == 403


def test_the_html_preview_is_quoted_into_its_frame(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("reminders:email-preview"), {"kind": "welcome"}).content.decode()

    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page


def test_a_participants_own_calendar_has_the_sessions_of_their_place(client):
    import icalendar

    from cohorts.services import calendar_feed_get

    session, (person,) = _booked_session()
    SessionFactory(title="Someone else's clinic")

    body = client.get(calendar_feed_get(owner=person).get_absolute_url()).content
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")

    assert [str(event["SUMMARY"]) for event in events] == [session.title]


def test_a_broken_reminders_link_says_what_to_do(client):
    response = client.get(reverse("reminders:reminders-stop", args=["cut-short"]))

    assert response.status_code == 404
    assert "Turn off reminders" in response.content.decode()
    assert "mailing list" not in response.content.decode()
