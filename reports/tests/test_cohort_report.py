import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Outcome, Submission
from assessment.tests.factories import AssessmentWindowFactory
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.tests.factories import EnrolmentFactory
from reports.cohort_report import cohort_report

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _submitted(place, window, **outcome):
    submission = Submission.objects.create(
        enrolment=place, window=window, status="submitted", submitted_at=window.opens_at
    )
    if outcome:
        Outcome.objects.create(
            submission=submission,
            enrolment=place,
            window=window,
            attempt=1,
            basis="first_mark",
            feedback="Feedback.",
            **outcome,
        )
    return submission


def test_the_report_gives_each_participants_assessment_status():
    cohort = CohortFactory()
    window = AssessmentWindowFactory(programme=cohort.programme, cohort=cohort)
    passed, marking, waiting, nothing = (EnrolmentFactory(cohort=cohort) for _ in range(4))
    _submitted(passed, window, result="passed", released_at=NOW)
    _submitted(marking, window)
    _submitted(waiting, window, result="failed")
    Submission.objects.create(enrolment=nothing, window=window, text="A start")

    report = cohort_report(cohort=cohort, assessment_details=True)

    statuses = {row.enrolment.pk: row.enrolment.assessment_status for row in report.grid.rows}
    assert statuses == {
        passed.pk: "Passed (attempt 1)",
        marking.pk: "Submitted, being marked (attempt 1)",
        waiting.pk: "Not passed, not yet released (attempt 1)",
        nothing.pk: "Draft (attempt 1)",
    }
    assert (report.participants, report.submitted, report.passed, report.failed) == (4, 3, 1, 1)


def test_a_facilitator_sees_only_their_own_cohorts_report(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    mine, theirs = CohortFactory(), CohortFactory()
    mine.facilitators.add(facilitator)
    EnrolmentFactory(cohort=mine, participant__first_name="Siobhán")
    sign_in(client, facilitator)

    response = client.get(reverse("reports:cohort-report", args=[mine.pk]))

    assert response.status_code == 200
    assert "Siobhán" in response.content.decode()
    assert client.get(reverse("reports:cohort-report", args=[theirs.pk])).status_code == 404
    sign_in(client, UserFactory())
    assert client.get(reverse("reports:cohort-report", args=[mine.pk])).status_code == 403


def test_the_reports_queries_do_not_grow_with_participants(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    small, large = CohortFactory(), CohortFactory()
    for cohort, count in ((small, 3), (large, 30)):
        window = AssessmentWindowFactory(programme=cohort.programme, cohort=cohort)
        for place in EnrolmentFactory.create_batch(count, cohort=cohort):
            _submitted(place, window, result="passed", released_at=NOW)

    def queries(cohort) -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("reports:cohort-report", args=[cohort.pk]))
        return len(captured)

    queries(small)  # a first page: the per-person checks (MFA) are kept after it
    assert queries(small) == queries(large)


def test_a_facilitator_sees_released_results_only_not_work_in_marking(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort = CohortFactory()
    cohort.facilitators.add(facilitator)
    window = AssessmentWindowFactory(programme=cohort.programme, cohort=cohort)
    released, decided = EnrolmentFactory(cohort=cohort), EnrolmentFactory(cohort=cohort)
    _submitted(released, window, result="passed", released_at=NOW)
    released.assessment_result = "passed"
    released.save()
    _submitted(decided, window, result="failed")  # decided, not yet released
    sign_in(client, facilitator)

    response = client.get(reverse("reports:cohort-report", args=[cohort.pk]))

    page = response.content.decode()
    assert "not yet released" not in page and "Not passed" not in page
    assert "being marked" not in page
    report = response.context["report"]
    assert (report.submitted, report.passed, report.failed) == (None, 1, 0)
