import datetime

import pytest
import time_machine

from assessment.services import submission_save_draft, submission_submit
from cohorts.tests.factories import SessionFactory
from participants.services import register_take
from participants.tests.factories import EnrolmentFactory
from reminders.assessment import assessment_reminders_run
from reminders.models import ReminderOptOut

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _run_at(moment) -> int:
    with time_machine.travel(moment):  # participation is counted as of that moment too
        return assessment_reminders_run()


def test_eligible_participants_hear_when_a_window_opens_and_before_it_closes_each_once(
    place, window, mailoutbox
):
    below, done = EnrolmentFactory(cohort=place.cohort), EnrolmentFactory(cohort=place.cohort)
    for n in range(10):
        starts = datetime.datetime(2027, 11, 1, 16, tzinfo=UTC) + datetime.timedelta(days=n)
        session = SessionFactory(
            cohort=place.cohort, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
        )
        with time_machine.travel(starts):
            marks = {place.pk: "present", done.pk: "present", below.pk: "present"}
            if n >= 8:
                marks[below.pk] = "absent"  # 80%: told on their page, not invited
            register_take(session=session, marks=marks, by=None)
    ReminderOptOut.objects.create(email=place.participant.email)  # urgent: still told
    minute = datetime.timedelta(minutes=1)

    assert _run_at(window.opens_at - minute) == 0
    assert _run_at(window.opens_at) == 2  # place and done
    assert _run_at(window.opens_at + minute) == 0
    with time_machine.travel(window.opens_at + datetime.timedelta(days=1)):
        submission_save_draft(enrolment=done, window=window, text="My response")
        submission_submit(enrolment=done, window=window, by=done.participant)
    two_days = datetime.timedelta(days=2)
    assert _run_at(window.closes_at - two_days - minute) == 0
    assert _run_at(window.closes_at - two_days) == 1  # only the one who has not submitted
    assert _run_at(window.closes_at - minute) == 0
    assert _run_at(window.closes_at + minute) == 0

    assert sorted(m.to[0] for m in mailoutbox[:2]) == sorted(
        [place.participant.email, done.participant.email]
    )
    assert all(m.subject.startswith(f"{window.title} is open") for m in mailoutbox[:2])
    assert mailoutbox[-1].to == [place.participant.email]
    assert "you have not submitted yet" in mailoutbox[-1].subject
    assert f"/my-assessment/{window.pk}/" in mailoutbox[0].body


def test_the_command_runs_the_assessment_reminders_too(capsys):
    from django.core.management import call_command

    call_command("run_due_reminders")

    assert capsys.readouterr().out.strip().endswith("sent.")
