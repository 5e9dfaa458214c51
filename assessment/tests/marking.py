"""Helpers for the marking tests: submitted work, and assessors."""

import datetime

import time_machine

from assessment.services import submission_save_draft, submission_submit
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory
from participants.tests.factories import EnrolmentFactory

from .conftest import WHILE_OPEN
from .factories import AssessmentWindowFactory

UTC = datetime.UTC
CRITERIA = "Analyses the school's context\nProposes a justified plan\nEvaluates its impact"
ALL_CRITERIA = CRITERIA.splitlines()
MARKING_TIME = datetime.datetime(2028, 6, 20, 12, 0, tzinfo=UTC)  # after closing, before results
AFTER_RESULTS = datetime.datetime(2028, 7, 21, 12, 0, tzinfo=UTC)


def marking_window(**kwargs):
    """A cohort's window (1 to 9 June 2028, results 20 July) on a programme with criteria."""
    cohort = CohortFactory(
        programme__assessment_word_limit=1500, programme__assessment_criteria=CRITERIA
    )
    return AssessmentWindowFactory(programme=cohort.programme, cohort=cohort, **kwargs)


def submitted_work(window, count=1, *, at=WHILE_OPEN):
    """`count` participants of the window's cohort who have each submitted their case study."""
    submissions = []
    for n in range(count):
        place = EnrolmentFactory(cohort=window.cohort)
        with time_machine.travel(at + datetime.timedelta(minutes=n)):
            submission_save_draft(enrolment=place, window=window, text=f"My case study {n}")
            submissions.append(
                submission_submit(enrolment=place, window=window, by=place.participant)
            )
    return submissions


def assessor(**kwargs):
    return StaffUserFactory(roles=[Role.ASSESSOR], **kwargs)
