"""The review queue read by fixed queries (applications.selectors.ReviewQueue) counts and pages
exactly what its queryset holds, for every kind of person and any set of filters."""

from itertools import combinations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from applications.selectors import ReviewQueue
from applications.tests.factories import ApplicationFactory
from cohorts.tests.factories import CohortFactory
from funding.models import FundingDecision
from npq_portal.prepared import GENERIC_PLAN
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from programmes.tests.factories import ProgrammeFactory
from schools.models import SchoolLeadership
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

S = Application.Status


def _decision(status: str, override: str = "") -> FundingDecision:
    return FundingDecision.objects.create(
        subject="applications.application:0",
        rules="2026",
        facts={},
        status=status,
        funded=status == "funded",
        reason="Test",
        override_status=override,
        override_reason="Checked by staff" if override else "",
    )


@pytest.fixture
def queue():
    """Two programmes' cohorts in two years; applications at every status, some with a
    funding decision (one overridden); a leader of one school, who applied themself."""
    senco = ProgrammeFactory(slug="npq-senco")
    headship = ProgrammeFactory(slug="npq-headship")
    cohorts = [
        CohortFactory(programme=senco, academic_year=2025),
        CohortFactory(programme=senco, academic_year=2026),
        CohortFactory(programme=headship, academic_year=2026),
    ]
    led, other = SchoolFactory(), SchoolFactory()
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    SchoolLeadership.objects.create(user=leader, school=led)
    statuses = list(S)
    for n in range(30):
        ApplicationFactory(
            cohort=cohorts[n % 3],
            status=statuses[n % len(statuses)],
            school=led if n % 4 == 0 else other,
            applicant=leader if n == 5 else UserFactory(),
            funding_decision=(
                _decision("funded")
                if n % 5 == 0
                else _decision("previously_funded", "funded")
                if n % 7 == 0
                else None
            ),
        )
    return cohorts, leader


def test_the_fixed_queue_is_its_queryset_for_anyone_and_any_filters(queue):
    cohorts, leader = queue
    given = {
        "status": S.SCHOOL_APPROVED.value,
        "cohort": str(cohorts[1].pk),
        "programme": "npq-senco",
        "year": "2026",
        "funding": "funded",
    }
    shapes = [dict(c) for n in range(3) for c in combinations(given.items(), n)]
    shapes += [given, {"status": "nonsense", "year": "20x6", "partner": "9"}]
    people = [StaffUserFactory(roles=[Role.PROGRAMME_LEAD]), leader, UserFactory()]
    for person in people:
        for filters in shapes:
            listed = ReviewQueue(person, filters)
            ids = list(listed.queryset.values_list("pk", flat=True))
            assert listed._fixed
            assert listed.count_up_to(1000) == len(ids), (person, filters)
            assert listed.count_up_to(2) == min(2, len(ids))
            for start, stop in ((0, 3), (3, 6), (0, 40), (28, 31)):
                assert listed.ids_between(start, stop) == ids[start:stop], (person, filters)


def test_a_search_or_an_answer_filter_is_composed_as_before(queue):
    person = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    for filters in ({"q": "someone"}, {"answer": "mastery=other_way", "status": "accepted"}):
        listed = ReviewQueue(person, filters)
        assert not listed._fixed
        expected = list(
            Application.objects.for_user(person)
            .sent()
            .matching(filters)
            .in_review_order()
            .values_list("pk", flat=True)
        )
        assert listed.ids_between(0, 50) == expected
        assert listed.count_up_to(1000) == len(expected)


def test_each_status_is_its_own_statement_and_finds_what_its_queryset_finds(queue):
    _, leader = queue
    for person in (StaffUserFactory(roles=[Role.PROGRAMME_LEAD]), leader):
        for status in S.values:
            listed = ReviewQueue(person, {"status": status})
            ids = list(listed.queryset.values_list("pk", flat=True))
            assert listed.count_up_to(1000) == len(ids), (person, status)
            assert listed.ids_between(0, 40) == ids, (person, status)


@pytest.mark.django_db(transaction=True)
def test_the_queue_by_status_alone_runs_by_its_generic_plan_and_a_cohort_is_planned_for(queue):
    cohorts, _ = queue
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    with CaptureQueriesContext(connection) as by_status:
        ReviewQueue(lead, {"status": S.ACCEPTED.value}).ids_between(0, 25)
        ReviewQueue(lead, {}).count_up_to(1001)
    with CaptureQueriesContext(connection) as by_cohort:
        ReviewQueue(lead, {"cohort": str(cohorts[0].pk)}).ids_between(0, 25)
    executed = [q["sql"] for q in by_status.captured_queries if "EXECUTE" in q["sql"]]
    if connection.vendor != "postgresql":
        assert not executed  # nothing is prepared on SQLite
        return
    assert len(executed) == 2 and all(sql.startswith(GENERIC_PLAN) for sql in executed)
    assert not any(GENERIC_PLAN in q["sql"] for q in by_cohort.captured_queries)
