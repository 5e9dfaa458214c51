import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from applications.links import application_from_approval_token, approval_token
from applications.models import Application
from applications.services import (
    application_accept,
    application_delegate_approval,
    application_record_registered,
    application_reject,
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
    application_waitlist,
    application_withdraw,
)
from applications.signals import application_decided
from applications.tasks import application_send_email_task
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.models import EmailDelivery
from npq_portal.tests.factories import UserFactory
from participants.models import Enrolment
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

A = Application.Status
ANSWERS = {
    "works_in_england": "yes",
    "work_setting": "a_school",
    "school_urn": "123456",
    "role": "Maths lead",
    "trn": "1234567",
    "headteacher_name": "Helen Whitfield",
    "headteacher_email": "Head@Oakfield.example",
    "payment": "school",
}


def _open_cohort(**extra):
    programme = ProgrammeFactory(
        slug="npq-headship", course_identifier="npq-headship", short_name="NPQH"
    )
    return CohortFactory(programme=programme, status=Cohort.Status.OPEN, **extra)


def _application(status=A.DRAFT, cohort=None, applicant=None):
    SchoolFactory(urn=123456)
    cohort = cohort or _open_cohort()
    application = application_start(applicant=applicant or UserFactory(), cohort=cohort)
    application = application_save_answers(application=application, answers=ANSWERS)
    if status == A.DRAFT:
        return application
    application = application_submit(application=application, by=application.applicant)
    if status == A.AWAITING_SCHOOL:
        return application
    application = application_school_decide(
        application=application,
        approve=status != A.SCHOOL_DECLINED,
        name="Helen Whitfield",
        email="head@oakfield.example",
        comment="" if status != A.SCHOOL_DECLINED else "Budget",
    )
    return application


def test_submitting_records_funding_and_asks_the_headteacher(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = _application(A.AWAITING_SCHOOL)

    assert application.status == A.AWAITING_SCHOOL
    assert application.funding_decision.status == "funded"
    assert application.funding_decision.rules == "2026"
    assert application.school.urn == 123456
    assert application.approver_email == "head@oakfield.example"
    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == ["head@oakfield.example", application.applicant.email]
    approval = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    assert "/approve/" in approval.body


def test_an_application_missing_answers_is_not_sent():
    cohort = _open_cohort()
    application = application_start(applicant=UserFactory(), cohort=cohort)
    application_save_answers(application=application, answers={"works_in_england": "yes"})

    with pytest.raises(ValidationError, match="Answer every question first: your work setting"):
        application_submit(application=application, by=application.applicant)

    application.refresh_from_db()
    assert application.status == A.DRAFT
    assert not application.events.exists()


def test_a_cohort_not_open_takes_no_applications():
    with pytest.raises(ValidationError, match="is not taking applications"):
        application_start(applicant=UserFactory(), cohort=CohortFactory())


def test_applying_twice_for_one_cohort_is_refused():
    application = _application(A.AWAITING_SCHOOL)

    with pytest.raises(ValidationError, match="already applied"):
        application_start(applicant=application.applicant, cohort=application.cohort)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (A.DRAFT, "accept"),
        (A.AWAITING_SCHOOL, "accept"),
        (A.SCHOOL_DECLINED, "accept"),
        (A.SCHOOL_DECLINED, "waitlist"),
        (A.DRAFT, "reject"),
    ],
)
def test_decisions_out_of_order_are_refused_and_change_nothing(status, action):
    application = _application(status)
    events = application.events.count()
    staff = UserFactory()
    act = {
        "accept": lambda: application_accept(application=application, by=staff),
        "waitlist": lambda: application_waitlist(application=application, by=staff),
        "reject": lambda: application_reject(application=application, by=staff, reason="No"),
    }[action]

    with pytest.raises(ValidationError, match="It cannot be"):
        act()

    application.refresh_from_db()
    assert application.status == status
    assert application.events.count() == events
    assert not Enrolment.objects.exists()


def test_accepting_makes_an_enrolment_and_fills_the_cohort_at_capacity():
    cohort = _open_cohort(capacity=1)
    application = _application(A.SCHOOL_APPROVED, cohort=cohort)
    staff = UserFactory()

    enrolment = application_accept(application=application, by=staff)

    assert enrolment.participant == application.applicant
    cohort.refresh_from_db()
    assert (cohort.places_taken, cohort.status) == (1, Cohort.Status.FULL)
    last = application.events.last()
    assert (last.to_status, last.by) == (A.ACCEPTED, staff)


def test_a_full_cohort_refuses_and_changes_nothing():
    cohort = _open_cohort(capacity=1)
    application_accept(application=_application(A.SCHOOL_APPROVED, cohort=cohort), by=UserFactory())
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.OPEN)  # as if reopened
    second = _application(A.SCHOOL_APPROVED, cohort=cohort)

    with pytest.raises(ValidationError, match="is full"):
        application_accept(application=second, by=UserFactory())

    second.refresh_from_db()
    assert second.status == A.SCHOOL_APPROVED
    assert Enrolment.objects.count() == 1


def test_rejecting_needs_a_reason_and_withdrawing_ends_it():
    application = _application(A.SCHOOL_APPROVED)

    with pytest.raises(ValidationError, match="Give a reason"):
        application_reject(application=application, by=UserFactory(), reason=" ")
    application_withdraw(application=application, by=application.applicant)

    application.refresh_from_db()
    assert application.status == A.WITHDRAWN
    with pytest.raises(ValidationError, match="It cannot be withdrawn"):
        application_withdraw(application=application, by=application.applicant)


def test_a_decline_needs_a_comment_and_is_recorded_with_who():
    application = _application(A.AWAITING_SCHOOL)

    with pytest.raises(ValidationError, match="Say why you are declining"):
        application_school_decide(
            application=application, approve=False, name="H W", email="h@w.example"
        )
    application = application_school_decide(
        application=application,
        approve=False,
        name="Helen Whitfield",
        email="h@w.example",
        comment="Cannot release you this year",
    )

    assert application.school_decided_by == "Helen Whitfield"
    assert application.events.last().by_name == "Helen Whitfield"


@pytest.mark.parametrize(
    ("school_approves", "decide", "status"),
    [
        (True, application_accept, A.ACCEPTED),
        (True, lambda **kw: application_reject(reason="Full", **kw), A.REJECTED),
        (False, lambda **kw: application_reject(reason="Declined", **kw), A.REJECTED),
        (True, application_withdraw, A.WITHDRAWN),
    ],
)
def test_an_application_keeps_its_school_s_decision_and_when_it_was_decided(
    school_approves, decide, status
):
    application = _application(A.SCHOOL_APPROVED if school_approves else A.SCHOOL_DECLINED)
    school_event = application.events.last()

    assert application.school_approved is school_approves
    assert application.decided_at is None
    if status == A.ACCEPTED:  # by way of the waiting list, which decides nothing
        application_waitlist(application=application, by=UserFactory())
        application.refresh_from_db()
        assert application.decided_at is None

    decide(application=application, by=UserFactory())

    application.refresh_from_db()
    event = application.events.filter(to_status=status).get()
    assert (application.status, application.decided_at) == (status, event.at)
    assert (application.school_approved, application.school_decided_at.date()) == (
        school_approves,
        school_event.at.date(),
    )


def test_delegating_moves_the_link_to_a_colleague(mailoutbox, django_capture_on_commit_callbacks):
    application = _application(A.AWAITING_SCHOOL)
    old_token = approval_token(application)

    with django_capture_on_commit_callbacks(execute=True):
        application = application_delegate_approval(
            application=application, email="Deputy@Oakfield.example", by_name="Helen Whitfield"
        )

    assert application_from_approval_token(old_token) is None
    assert application_from_approval_token(approval_token(application)) == application
    assert mailoutbox[-1].to == ["deputy@oakfield.example"]


def test_every_application_email_is_sent_once_even_when_its_task_runs_twice(mailoutbox):
    application = _application(A.AWAITING_SCHOOL)
    mailoutbox.clear()
    EmailDelivery.objects.all().delete()

    for _ in range(2):
        application_send_email_task.delay(application.pk, "application_received", A.AWAITING_SCHOOL)
        application_send_email_task.delay(application.pk, "school_approval_request", "1")

    assert len(mailoutbox) == 2


@pytest.mark.django_db(transaction=True)
def test_many_staff_accepting_into_the_last_place_at_once_only_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    cohort = _open_cohort(capacity=1)
    applications = [_application(A.SCHOOL_APPROVED, cohort=cohort) for _ in range(6)]
    staff = UserFactory()
    start = threading.Barrier(len(applications))
    outcomes = []

    def accept(application):
        try:
            start.wait()
            application_accept(application=application, by=staff)
            outcomes.append("won")
        except ValidationError:
            outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["full"] * 5 + ["won"]
    assert Enrolment.objects.filter(cohort=cohort).count() == 1


@pytest.fixture
def decisions():
    """Every application_decided signal sent, as (application id, status)."""
    sent = []

    def receive(sender, application, status, **kwargs):
        sent.append((application.pk, status))

    application_decided.connect(receive, dispatch_uid="test.decisions")
    yield sent
    application_decided.disconnect(dispatch_uid="test.decisions")


def test_accepting_rejecting_and_withdrawing_each_send_application_decided(decisions):
    staff = UserFactory()
    accepted = _application(A.SCHOOL_APPROVED)
    rejected = _application(A.SCHOOL_APPROVED, cohort=accepted.cohort)
    withdrawn = _application(A.AWAITING_SCHOOL, cohort=accepted.cohort)

    application_accept(application=accepted, by=staff)
    application_reject(application=rejected, by=staff, reason="No places")
    application_withdraw(application=withdrawn, by=withdrawn.applicant)

    assert decisions == [
        (accepted.pk, A.ACCEPTED),
        (rejected.pk, A.REJECTED),
        (withdrawn.pk, A.WITHDRAWN),
    ]


def test_waitlisting_sends_no_decision_and_a_refused_decision_sends_none(decisions):
    application = _application(A.SCHOOL_APPROVED)

    application_waitlist(application=application, by=UserFactory())
    with pytest.raises(ValidationError, match="Give a reason"):
        application_reject(application=application, by=UserFactory(), reason=" ")

    assert decisions == []


def test_an_application_registered_elsewhere_waits_for_staff_with_its_history(mailoutbox):
    cohort = CohortFactory()
    staff, teacher, school = UserFactory(), UserFactory(), SchoolFactory()

    application = application_record_registered(
        applicant=teacher, cohort=cohort, trn="1234567", school=school, by=staff, reason="From DfE."
    )

    assert application.status == Application.Status.SCHOOL_APPROVED
    assert application.can_move_to(Application.Status.ACCEPTED)
    assert (application.trn, application.school, application.submitted_at is not None) == (
        "1234567",
        school,
        True,
    )
    (event,) = application.events.all()
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "draft",
        "school_approved",
        staff,
        "From DfE.",
    )
    assert mailoutbox == []  # the caller says what to tell them

    with pytest.raises(ValidationError, match="has an application for .* already"):
        application_record_registered(
            applicant=teacher, cohort=cohort, trn="", school=None, by=staff, reason="Again."
        )
    assert Application.objects.filter(applicant=teacher).count() == 1
