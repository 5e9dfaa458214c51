import datetime

import pytest
import time_machine

from cohorts.tests.factories import CohortFactory, SessionFactory
from participants.services import register_take
from participants.tests.factories import EnrolmentFactory

from .factories import AssessmentWindowFactory

UTC = datetime.UTC
BEFORE_OPENING = datetime.datetime(2028, 5, 20, 12, 0, tzinfo=UTC)
WHILE_OPEN = datetime.datetime(2028, 6, 2, 12, 0, tzinfo=UTC)
AFTER_CLOSING = datetime.datetime(2028, 6, 10, 12, 0, tzinfo=UTC)


def attended(enrolment, *, present: int, sessions: int) -> None:
    """Give the cohort `sessions` registers in November 2027, `present` of them attended."""
    for n in range(sessions):
        starts = datetime.datetime(2027, 11, 1, 16, 0, tzinfo=UTC) + datetime.timedelta(days=n)
        session = SessionFactory(
            cohort=enrolment.cohort, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
        )
        with time_machine.travel(starts):
            register_take(
                session=session,
                marks={enrolment.pk: "present" if n < present else "absent"},
                by=None,
            )


@pytest.fixture(autouse=True)
def _sessions_outlast_time_travel(settings):
    """Tests sign in today and then travel to 2028: the session must still be valid then."""
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600


@pytest.fixture
def place():
    """An active place in a cohort whose programme has a 1,500-word limit; nothing due yet."""
    return EnrolmentFactory(cohort=CohortFactory(programme__assessment_word_limit=1500))


@pytest.fixture
def window(place):
    """The place's cohort's window (1 to 9 June 2028)."""
    return AssessmentWindowFactory(programme=place.cohort.programme, cohort=place.cohort)
