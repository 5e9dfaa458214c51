"""The hand-counted hub the dashboard tests (and its browser test) count."""

import datetime

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.tests.factories import ApplicationFactory
from assessment.models import Outcome, Submission
from assessment.tests.factories import AssessmentWindowFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, DeliveryPartnerFactory, SessionFactory
from funding.models import FundingDecision
from mailing_list.models import Subscriber
from participants.models import Enrolment
from participants.services import register_take
from participants.tests.factories import EnrolmentFactory

S = Application.Status
NOW = timezone.now()


def _application(cohort, status, *, days_ago=5, approved=False, funding=None, override=""):
    application = ApplicationFactory(
        cohort=cohort,
        status=status,
        submitted_at=None if status == S.DRAFT else NOW - datetime.timedelta(days=days_ago),
    )
    if approved:
        ApplicationEvent.objects.create(
            application=application, from_status=S.AWAITING_SCHOOL, to_status=S.SCHOOL_APPROVED
        )
    if funding:
        application.funding_decision = FundingDecision.objects.create(
            subject=f"applications.application:{application.pk}",
            rules="2025",
            facts={},
            list_versions={},
            status=funding,
            funded=funding == "funded",
            reason="Test",
            override_status=override,
            override_reason="Checked the school's census" if override else "",
        )
        application.save()
    if status == S.ACCEPTED:
        EnrolmentFactory(cohort=cohort, participant=application.applicant, application=application)
    return application


def _subscriber(programme, **kwargs):
    subscriber = Subscriber.objects.create(
        email=f"{Subscriber.objects.count()}@interest.example",
        first_name="Jo",
        last_name="Bloggs",
        consent_text="Yes",
        consented_at=NOW,
        **kwargs,
    )
    subscriber.programmes.add(programme)
    return subscriber


@pytest.fixture
def hub():
    """A hand-counted hub: an open 2027/28 cohort of programme A with six applications, a
    running 2026/27 cohort of programme B with one place and a missed session, mailing-list
    sign-ups, funding decisions and an assessment window with two submissions."""
    north = DeliveryPartnerFactory(name="North hub")
    south = DeliveryPartnerFactory(name="South hub")
    a1 = CohortFactory(
        programme__slug="npq-a",
        programme__short_name="NPQA",
        academic_year=2027,
        delivery_partner=north,
        capacity=10,
        status=Cohort.Status.OPEN,
    )
    b1 = CohortFactory(
        programme__slug="npq-b",
        programme__short_name="NPQB",
        academic_year=2026,
        delivery_partner=south,
        capacity=5,
        status=Cohort.Status.RUNNING,
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2027, 7, 1),
    )
    _application(a1, S.DRAFT)
    _application(a1, S.AWAITING_SCHOOL, days_ago=2)
    _application(a1, S.AWAITING_SCHOOL, days_ago=12)
    _application(a1, S.SCHOOL_APPROVED, approved=True, funding="not_in_england", override="funded")
    _application(a1, S.ACCEPTED, approved=True, funding="funded")
    _application(a1, S.REJECTED)
    accepted_b = _application(b1, S.ACCEPTED, approved=True, funding="not_in_england")
    EnrolmentFactory(cohort=b1, status=Enrolment.Status.WITHDRAWN)
    place_b = accepted_b.enrolments.get()
    Enrolment.objects.filter(pk=place_b.pk).update(created_at=NOW - datetime.timedelta(days=90))
    missed = SessionFactory(
        cohort=b1,
        starts_at=NOW - datetime.timedelta(days=10),
        ends_at=NOW - datetime.timedelta(days=10, hours=-1),
    )
    register_take(session=missed, marks={place_b.pk: "absent"}, by=None)
    _subscriber(a1.programme, confirmed_at=NOW)
    _subscriber(a1.programme, confirmed_at=NOW)
    _subscriber(a1.programme)  # never confirmed
    _subscriber(b1.programme, confirmed_at=NOW, unsubscribed_at=NOW)
    window = AssessmentWindowFactory(programme=a1.programme, cohort=a1)
    for n, place in enumerate(EnrolmentFactory.create_batch(2, cohort=a1)):
        submission = Submission.objects.create(
            enrolment=place, window=window, status="submitted", submitted_at=window.opens_at
        )
        if n == 0:
            Outcome.objects.create(
                submission=submission,
                enrolment=place,
                window=window,
                attempt=1,
                result="passed",
                basis="first_mark",
                feedback="Good.",
            )
    return {"a1": a1, "b1": b1, "north": north, "window": window}
