"""No assessment page's query count grows with its rows: windows, a window's places and its
marking, an assessor's list and a participant's assessments, each at 10 and at 1,000
(npq_portal/tests/querycount.py). To sweep another page, add a case to PAGES."""

import datetime

import factory
import pytest
import time_machine
from django.urls import reverse

from assessment.models import (
    AssessmentWindow,
    DeadlineExtension,
    EligibilityException,
    Marking,
    Outcome,
    Submission,
)
from cohorts.tests.factories import CohortFactory, bulk_cohorts
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, bulk, bulk_people, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from participants.tests.factories import EnrolmentFactory, bulk_enrolments

from .factories import AssessmentWindowFactory, SubmissionFactory
from .marking import AFTER_RESULTS, MARKING_TIME, assessor, marking_window

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
EARLIER = datetime.datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def bulk_submitted(window: AssessmentWindow, places, **fields) -> list[Submission]:
    """Submitted work in `window`, one for each of `places`."""
    return bulk(
        SubmissionFactory,
        len(places),
        enrolment=factory.Iterator(places),
        window=window,
        status=Submission.Status.SUBMITTED,
        submitted_at=window.opens_at + datetime.timedelta(days=1),
        **fields,
    )


def bulk_markings(submissions, *, by, stage=Marking.Stage.FIRST, result="", **fields):
    return Marking.objects.bulk_create(
        Marking(
            submission=submission,
            stage=stage,
            assessor=by,
            result=result,
            marked_at=MARKING_TIME if result else None,
            feedback="Clear analysis." if result else "",
            **fields,
        )
        for submission in submissions
    )


def bulk_outcomes(submissions, result=Outcome.Result.PASSED, **fields) -> list[Outcome]:
    return Outcome.objects.bulk_create(
        Outcome(
            submission=submission,
            enrolment_id=submission.enrolment_id,
            window_id=submission.window_id,
            attempt=submission.attempt,
            result=result,
            basis=Outcome.Basis.FIRST_MARK,
            **fields,
        )
        for submission in submissions
    )


# ---- Hub staff ----


def window_list(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    def add_windows(count):
        cohorts = bulk_cohorts(count)
        windows = bulk(
            AssessmentWindowFactory,
            count,
            programme=cohorts[0].programme,
            cohort=factory.Iterator([*cohorts[1:], None]),
        )
        places = bulk_enrolments(count, cohort=cohorts[1])
        bulk_submitted(windows[0], places)

    return reverse("assessment:window-list"), add_windows


def window_page(client):
    """A window's places: participation, eligibility (exceptions, earlier attempts and their
    outcomes), work and extensions."""
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    window = marking_window()
    earlier = AssessmentWindowFactory(
        programme=window.programme,
        opens_at=EARLIER,
        results_release_at=EARLIER + datetime.timedelta(days=30),
    )
    lead = StaffUserFactory(totp=False)

    def add_places(count):
        places = bulk_enrolments(count, cohort=window.cohort)
        bulk_outcomes(
            bulk_submitted(earlier, places),
            result=Outcome.Result.FAILED,
            released_at=earlier.results_release_at,
        )
        bulk_submitted(window, places[::2], attempt=2)
        EligibilityException.objects.bulk_create(
            EligibilityException(window=window, enrolment=place, granted_by=lead, reason="Ill")
            for place in places[1::2]
        )
        DeadlineExtension.objects.bulk_create(
            DeadlineExtension(
                window=window,
                enrolment=place,
                until=window.closes_at + datetime.timedelta(days=3),
                granted_by=lead,
                reason="Bereavement",
            )
            for place in places[1::2]
        )

    return window.get_absolute_url(), add_places


def window_marking(client):
    """Submissions in every state: with an assessor, marked and sent to moderation, and
    decided."""
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, lead)
    window = marking_window()
    first, second = assessor(), assessor()

    def add_submissions(count):
        submissions = bulk_submitted(window, bulk_enrolments(count, cohort=window.cohort))
        waiting, moderated, decided = submissions[::3], submissions[1::3], submissions[2::3]
        bulk_markings(waiting, by=first)
        bulk_markings(moderated + decided, by=first, result="pass", moderation="sample")
        bulk_markings(moderated, by=second, stage=Marking.Stage.SECOND)
        bulk_markings(decided, by=second, stage=Marking.Stage.SECOND, result="pass")
        bulk_outcomes(decided, decided_by=lead)

    return reverse("assessment:window-marking", args=[window.pk]), add_submissions


def window_marking_in_moderation(client):
    url, add_submissions = window_marking(client)
    return url + "?state=moderation", add_submissions


def window_allocation(client):
    """Allocating a window's work: every assessor to choose from."""
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    window = marking_window()
    url = reverse("assessment:window-allocate", args=[window.pk])
    return url, lambda count: bulk_people(count, role=Role.ASSESSOR)


# ---- Assessors ----


def _assessors_markings(client, *, done: bool):
    marker = assessor()
    sign_in(client, marker)

    def add_markings(count):
        windows = [marking_window(anonymous_marking=False), marking_window()]
        places = bulk_enrolments(count, cohort=windows[0].cohort)
        submissions = bulk_submitted(windows[0], places[::2]) + bulk_submitted(
            windows[1], places[1::2]
        )
        bulk_markings(submissions, by=marker, result="pass" if done else "")

    return reverse("assessment:marking-list") + ("?show=done" if done else ""), add_markings


def assessors_marking_list(client):
    return _assessors_markings(client, done=False)


def assessors_marked_list(client):
    return _assessors_markings(client, done=True)


# ---- Participants ----


def my_assessments(client):
    """The windows of every place someone has had: their cohorts' and programme-wide ones."""
    place = EnrolmentFactory(cohort=CohortFactory())
    sign_in(client, place.participant)

    def add_windows(count):
        cohorts = bulk_cohorts(count, programme=place.cohort.programme)
        bulk(
            EnrolmentFactory,
            count,
            participant=place.participant,
            cohort=factory.Iterator(cohorts),
            status="withdrawn",
        )
        bulk(
            AssessmentWindowFactory,
            count,
            programme=place.cohort.programme,
            cohort=factory.Iterator([place.cohort, *cohorts, None]),
        )

    return reverse("assessment:my-assessments"), add_windows


PAGES = [
    window_list,
    window_page,
    window_marking,
    window_marking_in_moderation,
    window_allocation,
    assessors_marking_list,
    assessors_marked_list,
    my_assessments,
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows = page(client)

    with time_machine.travel(AFTER_RESULTS, tick=False):
        assert_queries_do_not_grow(client, url, add_rows, page=page.__name__)
