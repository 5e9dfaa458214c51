"""The printable cohort report: the progress grid with each participant's assessment status."""

from __future__ import annotations

from dataclasses import dataclass

from assessment.models import AssessmentWindow, Outcome, Submission
from participants.models import Enrolment
from participants.selectors import ProgressGrid, cohort_progress_grid


@dataclass(frozen=True)
class CohortReport:
    grid: ProgressGrid
    participants: int
    at_risk: int
    average_so_far: int | None
    submitted: int | None  # None for someone who sees released results only
    passed: int
    failed: int


def assessment_status(submission: Submission | None) -> str:
    """Where a participant's latest assessment has got to, in a word or two, for staff
    (who see a decided outcome before it is released to the participant)."""
    if submission is None:
        return "Not started"
    if submission.status == Submission.Status.VOIDED:
        return "Voided"
    if submission.status == Submission.Status.DRAFT:
        return f"Draft (attempt {submission.attempt})"
    outcome = getattr(submission, "outcome", None)
    if outcome is None:
        return f"Submitted, being marked (attempt {submission.attempt})"
    label = outcome.get_result_display()
    if outcome.result != Outcome.Result.VOIDED and outcome.released_at is None:
        label += ", not yet released"
    return f"{label} (attempt {submission.attempt})"


def cohort_report(*, cohort, assessment_details: bool) -> CohortReport:
    """The cohort grid, each place's assessment, and the report's summary figures, in a fixed
    number of queries. With `assessment_details` (staff who run assessment) it shows where each
    latest submission has got to, decided outcomes not yet released included; without, only
    results already released to the participants."""
    grid = cohort_progress_grid(cohort=cohort)
    enrolments = [row.enrolment for row in grid.rows]
    known = [r.participation.so_far_percent for r in grid.rows]
    known = [figure for figure in known if figure is not None]
    figures = {
        "grid": grid,
        "participants": len(grid.rows),
        "at_risk": sum(1 for row in grid.rows if row.at_risk),
        "average_so_far": round(sum(known) / len(known)) if known else None,
    }
    if not assessment_details:
        results = [enrolment.assessment_result for enrolment in enrolments]
        return CohortReport(
            **figures,
            submitted=None,
            passed=results.count(Enrolment.AssessmentResult.PASSED),
            failed=results.count(Enrolment.AssessmentResult.FAILED),
        )
    windows = AssessmentWindow.objects.for_cohort(cohort)
    latest: dict[int, Submission] = {}
    submissions = (
        Submission.objects.filter(enrolment__in=enrolments, window__in=windows)
        .select_related("outcome")
        .order_by("window__opens_at", "pk")
    )
    for submission in submissions:
        latest[submission.enrolment_id] = submission  # later windows replace earlier ones
    for enrolment in enrolments:
        enrolment.assessment_status = assessment_status(latest.get(enrolment.pk))
    outcomes = [getattr(s, "outcome", None) for s in latest.values()]
    return CohortReport(
        **figures,
        submitted=sum(1 for s in latest.values() if s.status == Submission.Status.SUBMITTED),
        passed=sum(1 for o in outcomes if o and o.result == Outcome.Result.PASSED),
        failed=sum(1 for o in outcomes if o and o.result == Outcome.Result.FAILED),
    )
