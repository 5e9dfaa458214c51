import datetime
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.services import application_reject
from applications.tests.factories import team_sign_up
from cohorts.tests.factories import CohortFactory
from mailing_list.models import Subscriber
from mailing_list.services import subscriber_sign_up
from npq_portal.models import EmailDelivery, PersonalDataRequest
from npq_portal.tests.factories import UserFactory
from privacy.services import retention_apply
from programmes.tests.factories import work_group_programme

from .helpers import HEADTEACHER, HEADTEACHER_EMAIL, TRN

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def due(history, django_capture_on_commit_callbacks):
    """A year and a day on: the rejected application is due, the accepted one never is;
    a sign-up made then and never confirmed is past its week."""
    later = timezone.now() + settings.RETENTION["closed_applications"] + datetime.timedelta(days=1)
    with time_machine.travel(later - datetime.timedelta(days=8)):
        with django_capture_on_commit_callbacks(execute=True):
            subscriber_sign_up(
                email="never.confirmed@example.org",
                first_name="Ned",
                last_name="Never",
                programmes=[],
            )
    with time_machine.travel(later):
        yield history


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(due):
    before = list(Application.objects.values()), list(Subscriber.objects.values())

    output = _run("--dry-run")

    assert "Would change: 1 mailing-list sign-ups never confirmed" in output
    assert "Would change: 1 closed applications anonymised" in output
    assert "Dry run: nothing was changed." in output
    assert (list(Application.objects.values()), list(Subscriber.objects.values())) == before
    assert not PersonalDataRequest.objects.exists()


def test_the_run_anonymises_closed_applications_keeping_their_figures_then_finds_nothing(due):
    output = _run()

    assert "Changed: 1 closed applications anonymised" in output
    rejected = Application.objects.get(pk=due.rejected.pk)
    assert rejected.status == Application.Status.REJECTED
    assert rejected.funding_decision_id and rejected.school_id and rejected.cohort_id
    assert (rejected.trn, rejected.headteacher_name, rejected.headteacher_email) == ("", "", "")
    assert rejected.school_comment == "" and "role" not in rejected.answers
    assert rejected.answers["work_setting"] == "a_school"  # the funding figures need it
    assert not ApplicationEvent.objects.filter(application=rejected).exclude(reason="").exists()
    assert not EmailDelivery.objects.filter(
        recipient=HEADTEACHER_EMAIL, about__endswith=f":{rejected.pk}"
    ).exists()
    placed = Application.objects.get(pk=due.application.pk)
    assert placed.trn == TRN and placed.headteacher_name == HEADTEACHER  # a place: kept
    assert not Subscriber.objects.filter(email="never.confirmed@example.org").exists()
    assert Subscriber.objects.filter(email=due.person.email).exists()  # confirmed: kept
    record = PersonalDataRequest.objects.get()
    assert record.kind == "retention" and record.person_id is None
    assert record.summary["applications"] == 1 and record.summary["unconfirmed_subscribers"] == 1

    again = _run()

    assert "Nothing is due" in again
    assert PersonalDataRequest.objects.count() == 1


def test_the_clock_starts_when_an_application_was_decided_not_when_it_last_changed(due):
    # Touched yesterday (a school's record merged, say): still closed more than a year ago.
    Application.objects.filter(pk=due.rejected.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1)
    )

    report = retention_apply()

    assert report.counts["applications"] == 1
    assert Application.objects.get(pk=due.rejected.pk).trn == ""


def test_an_application_closed_recently_is_kept(history):
    report = retention_apply()

    assert report.counts["applications"] == 0
    assert Application.objects.get(pk=history.rejected.pk).trn == TRN


def test_the_retention_run_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]

    assert entry["task"] == "privacy.tasks.retention_apply_task"
    assert "mailing_list.tasks.subscribers_expire_task" not in {
        e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()
    }


@pytest.mark.parametrize("rows", [2, 12])
def test_a_retention_run_costs_the_same_queries_however_many_applications_are_due(
    rows, django_assert_max_num_queries
):
    from applications.tests.factories import ApplicationFactory
    from cohorts.tests.factories import CohortFactory
    from npq_portal.emails import email_about_key
    from npq_portal.tests.factories import EmailDeliveryFactory, UserFactory

    decided = timezone.now() - settings.RETENTION["closed_applications"] - datetime.timedelta(1)
    cohort = CohortFactory()
    for n in range(rows):
        applicant = UserFactory()
        with time_machine.travel(decided):
            application = ApplicationFactory(
                applicant=applicant, cohort=cohort, status="rejected", trn=f"12345{n:02}"
            )
            ApplicationEvent.objects.create(
                application=application,
                from_status="submitted",
                to_status="rejected",
                reason="Not eligible this year",
            )
        about = email_about_key(application)
        EmailDeliveryFactory(recipient=f"head{n}@school.example", about=about)
        EmailDeliveryFactory(recipient=applicant.email, about=about)

    with django_assert_max_num_queries(20):
        report = retention_apply()

    assert report.counts["applications"] == rows
    assert report.counts["application_history_notes"] == rows
    assert report.counts["emails_logged"] == rows
    assert not Application.objects.exclude(trn="").exists()
    assert not EmailDelivery.objects.filter(recipient__startswith="head").exists()
    # The applicant's own copy is theirs to keep until they ask for erasure.
    assert EmailDelivery.objects.exclude(recipient__endswith="@erased.invalid").count() == rows


def test_a_work_group_sign_up_declined_long_ago_loses_the_names_of_the_people_it_named():
    sign_up = team_sign_up(cohort=CohortFactory(programme=work_group_programme()))
    application_reject(application=sign_up, by=UserFactory(), reason="No places left.")
    later = timezone.now() + settings.RETENTION["closed_applications"] + datetime.timedelta(days=1)

    with time_machine.travel(later):
        report = retention_apply()

    assert report.counts["work_group_team_entries"] == 3
    assert not sign_up.team_members.exclude(first_name="").exists()
    assert all(m.email.endswith("@erased.invalid") for m in sign_up.team_members.all())
    with time_machine.travel(later):
        assert retention_apply().found_nothing
