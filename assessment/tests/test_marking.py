import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessment.models import EligibilityException, Marking, Outcome, Submission
from assessment.selectors import assessment_eligibility, window_marking_counts
from assessment.services import (
    eligibility_exception_grant,
    marking_allocate,
    marking_record,
    marking_resolve,
    markings_allocate,
    outcomes_release_due,
    submission_save_draft,
    submission_submit,
    submissions_void_for,
)
from assessment.signals import outcome_released
from cohorts.tests.factories import CohortFactory
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory
from participants.models import Enrolment
from participants.services import enrolment_change, enrolment_transfer
from participants.tests.factories import EnrolmentFactory

from .conftest import WHILE_OPEN
from .factories import AssessmentWindowFactory
from .marking import (
    AFTER_RESULTS,
    ALL_CRITERIA,
    MARKING_TIME,
    assessor,
    marking_window,
    submitted_work,
)

pytestmark = pytest.mark.django_db


def _mark(marking, result, *, criteria=None, feedback="Clear analysis of the context."):
    criteria = ALL_CRITERIA if criteria is None and result == "pass" else (criteria or [])
    with time_machine.travel(MARKING_TIME):
        return marking_record(
            marking=marking,
            result=result,
            criteria_met=criteria,
            feedback=feedback,
            by=marking.assessor,
        )


def _first(submission) -> Marking:
    return submission.markings.get(stage="first")


def _second(submission) -> Marking:
    return submission.markings.get(stage="second")


@pytest.fixture
def window():
    return marking_window()


@pytest.fixture
def lead():
    return StaffUserFactory(roles=[Role.PROGRAMME_LEAD])


# ---- Allocation ----


def test_allocation_shares_work_evenly_and_a_rerun_allocates_nothing(window, lead):
    submitted_work(window, 5)
    ann, ben = assessor(), assessor()

    done = markings_allocate(window=window, assessors=[ann, ben], by=lead)
    again = markings_allocate(window=window, assessors=[ann, ben], by=lead)

    assert (done.first_marks, done.second_marks) == (5, 0)
    assert (again.first_marks, again.second_marks) == (0, 0)
    loads = sorted(Marking.objects.filter(assessor=a).count() for a in (ann, ben))
    assert loads == [2, 3]


def test_only_assessors_can_be_allocated_work(window, lead):
    submitted_work(window)

    with pytest.raises(ValidationError, match="is not an assessor"):
        markings_allocate(window=window, assessors=[lead], by=lead)

    assert not Marking.objects.exists()


def test_drafts_and_voided_work_are_not_allocated(window, lead):
    (kept, withdrawn) = submitted_work(window, 2)
    submissions_void_for(enrolment=withdrawn.enrolment)

    done = markings_allocate(window=window, assessors=[assessor()], by=lead)

    assert done.first_marks == 1
    assert Marking.objects.get().submission == kept


def test_voided_work_is_not_counted_in_an_assessors_load(window, lead):
    ann, ben = assessor(), assessor()
    withdrawn = submitted_work(window, 2)
    markings_allocate(window=window, assessors=[ann], by=lead)
    for submission in withdrawn:
        submissions_void_for(enrolment=submission.enrolment)
    submitted_work(window)
    markings_allocate(window=window, assessors=[ben], by=lead)  # Ben has 1 to mark, Ann 0
    (new,) = submitted_work(window)

    markings_allocate(window=window, assessors=[ann, ben], by=lead)

    assert _first(new).assessor == ann


def test_a_second_mark_never_goes_to_the_first_assessor(window, lead):
    (submission,) = submitted_work(window)
    ann = assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)
    _mark(_first(submission), "fail", feedback="The plan is not justified.")

    alone = markings_allocate(window=window, assessors=[ann], by=lead)
    ben = assessor()
    with_ben = markings_allocate(window=window, assessors=[ann, ben], by=lead)

    assert (alone.second_marks, alone.left_waiting) == (0, 1)
    assert with_ben.second_marks == 1
    assert _second(submission).assessor == ben
    with pytest.raises(ValidationError, match="cannot moderate it"):
        marking_allocate(submission=submission, stage="second", assessor=ann, by=lead)


def test_a_marked_mark_cannot_be_moved_to_another_assessor(window, lead):
    (submission,) = submitted_work(window)
    ann, ben = assessor(), assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)
    _mark(_first(submission), "pass")

    with pytest.raises(ValidationError, match="can no longer be moved"):
        marking_allocate(submission=submission, stage="first", assessor=ben, by=lead)

    assert _first(submission).assessor == ann


# ---- Marking against the criteria ----


def test_a_pass_needs_every_criterion_and_feedback(window, lead):
    (submission,) = submitted_work(window)
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    marking = _first(submission)

    with pytest.raises(ValidationError, match="A pass needs every criterion met"):
        _mark(marking, "pass", criteria=ALL_CRITERIA[:2])
    with pytest.raises(ValidationError, match="Write feedback"):
        _mark(marking, "pass", feedback="  ")

    marking.refresh_from_db()
    assert marking.result == "" and marking.marked_at is None
    assert not Outcome.objects.exists()


def test_an_assessor_cannot_mark_another_assessors_allocation_or_mark_twice(window, lead):
    (submission,) = submitted_work(window)
    ann, ben = assessor(), assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)
    marking = _first(submission)

    with pytest.raises(ValidationError, match="allocated to another assessor"):
        marking_record(marking=marking, result="fail", criteria_met=[], feedback="x", by=ben)
    _mark(marking, "pass")
    with pytest.raises(ValidationError, match="it has not been changed"):
        _mark(marking, "fail", feedback="Changed my mind")

    marking.refresh_from_db()
    assert marking.result == "pass"


# ---- Moderation ----


def test_every_fail_and_a_sample_of_passes_go_to_moderation(window, lead, settings):
    settings.ASSESSMENT = {**settings.ASSESSMENT, "moderation_sample_every": 3}
    work = submitted_work(window, 5)
    ann = assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)

    for submission, result in zip(work, ["pass", "pass", "fail", "pass", "pass"], strict=True):
        _mark(_first(submission), result, feedback="Feedback.")

    moderation = [_first(submission).moderation for submission in work]
    # Ann's 1st and 4th passes are sampled (one in every 3), and the fail always goes.
    assert moderation == ["sample", "", "fail", "", "sample"]
    assert Outcome.objects.filter(basis="first_mark").count() == 2


def test_a_second_mark_that_agrees_decides_the_outcome_with_the_first_feedback(window, lead):
    (submission,) = submitted_work(window)
    ann, ben = assessor(), assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)
    _mark(_first(submission), "fail", feedback="The plan lacks evidence.")
    markings_allocate(window=window, assessors=[ann, ben], by=lead)

    _mark(_second(submission), "fail", feedback="Agree: no evidence.")

    outcome = Outcome.objects.get()
    assert (outcome.result, outcome.basis) == ("failed", "agreed")
    assert outcome.feedback == "The plan lacks evidence."
    assert outcome.released_at is None  # results come out on 20 July


def test_a_disagreement_waits_for_a_lead_who_decides_it_with_a_reason(window, lead):
    (submission,) = submitted_work(window)
    ann, ben = assessor(), assessor()
    markings_allocate(window=window, assessors=[ann], by=lead)
    _mark(_first(submission), "fail", feedback="Too descriptive.")
    markings_allocate(window=window, assessors=[ann, ben], by=lead)
    _mark(_second(submission), "pass", feedback="Meets every criterion.")

    assert not Outcome.objects.exists()
    assert window_marking_counts(window=window)["disagreement"] == 1
    with pytest.raises(ValidationError, match="Say why"):
        marking_resolve(submission=submission, result="pass", feedback="Good.", reason="", by=lead)
    with pytest.raises(ValidationError, match="another lead must resolve it"):
        marking_resolve(submission=submission, result="pass", feedback="Good.", reason="x", by=ann)

    outcome = marking_resolve(
        submission=submission,
        result="pass",
        feedback="A well-argued plan.",
        reason="Read both: the evaluation is there, in section 3.",
        by=lead,
    )

    assert (outcome.result, outcome.basis, outcome.decided_by) == ("passed", "resolved", lead)
    with pytest.raises(ValidationError, match="already decided"):
        marking_resolve(submission=submission, result="fail", feedback="x", reason="x", by=lead)


# ---- Release ----


def _passed_without_moderation(window, lead, settings):
    """A submission marked pass by an assessor whose first pass was already sampled."""
    settings.ASSESSMENT = {**settings.ASSESSMENT, "moderation_sample_every": 100}
    sampled, submission = submitted_work(window, 2)
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    _mark(_first(sampled), "pass")
    _mark(_first(submission), "pass", feedback="A clear, justified plan.")
    return submission


def test_results_are_released_on_the_date_and_a_pass_completes_the_place(
    window, lead, settings, mailoutbox, django_capture_on_commit_callbacks
):
    submission = _passed_without_moderation(window, lead, settings)
    outcome = submission.outcome
    place = submission.enrolment

    with time_machine.travel(window.results_release_at - datetime.timedelta(minutes=1)):
        early = outcomes_release_due()
    with (
        time_machine.travel(window.results_release_at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        released = outcomes_release_due()
    with time_machine.travel(AFTER_RESULTS):
        again = outcomes_release_due()

    outcome.refresh_from_db()
    place.refresh_from_db()
    assert (early, released, again) == (0, 1, 0)
    assert outcome.released_at == window.results_release_at
    assert place.status == Enrolment.Status.COMPLETED
    assert place.assessment_result == "passed"
    assert place.events.last().reason == "Passed the summative assessment."
    to_them = [m for m in mailoutbox if m.to == [place.participant.email]]
    assert len(to_them) == 1 and "result is ready" in to_them[0].subject
    assert EmailDelivery.objects.filter(kind="assessment_result").count() == 1


def test_an_outcome_decided_after_the_results_date_is_released_at_once(window, lead, settings):
    settings.ASSESSMENT = {**settings.ASSESSMENT, "moderation_sample_every": 100}
    (submission,) = submitted_work(window)
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    _mark(_first(submission), "fail", feedback="Not yet.")
    markings_allocate(window=window, assessors=[assessor()], by=lead)

    with time_machine.travel(AFTER_RESULTS):
        marking_record(
            marking=_second(submission),
            result="fail",
            criteria_met=[],
            feedback="Agreed.",
            by=_second(submission).assessor,
        )

    outcome = Outcome.objects.get()
    place = Enrolment.objects.get(pk=submission.enrolment_id)
    assert outcome.released_at is not None
    assert (place.status, place.assessment_result) == ("active", "failed")


# ---- Resubmission: attempt 2, and the latest outcome stands ----


def _resit(window):
    return AssessmentWindowFactory(
        programme=window.programme,
        cohort=window.cohort,
        title="Winter 2028 resit",
        opens_at=datetime.datetime(2028, 11, 1, 9, 0, tzinfo=datetime.UTC),
        results_release_at=datetime.datetime(2028, 12, 20, 9, 0, tzinfo=datetime.UTC),
    )


RESIT_OPEN = datetime.datetime(2028, 11, 2, 12, 0, tzinfo=datetime.UTC)


def _fail(window, submission, lead):
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    _mark(_first(submission), "fail", feedback="Not yet: evaluate the impact.")
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    _mark(_second(submission), "fail", feedback="Agreed.")


def test_a_failed_participant_resubmits_as_attempt_2_and_the_latest_outcome_stands(window, lead):
    (first,) = submitted_work(window)
    place = first.enrolment
    resit = _resit(window)
    _fail(window, first, lead)

    with time_machine.travel(RESIT_OPEN - datetime.timedelta(days=150)):  # before the results
        outcomes_release_due()
    with time_machine.travel(RESIT_OPEN):
        early = assessment_eligibility(enrolment=place, window=resit)
    with time_machine.travel(AFTER_RESULTS):
        outcomes_release_due()
    place.refresh_from_db()
    assert place.assessment_result == "failed"
    assert not early.allowed and "has not had its result yet" in early.reason

    with time_machine.travel(RESIT_OPEN):
        submission_save_draft(enrolment=place, window=resit, text="Second attempt")
        second = submission_submit(enrolment=place, window=resit, by=place.participant)
    assert second.attempt == 2
    markings_allocate(window=resit, assessors=[assessor()], by=lead)
    _mark(_first(second), "pass", feedback="Now evaluates the impact well.")  # sampled
    markings_allocate(window=resit, assessors=[assessor()], by=lead)
    _mark(_second(second), "pass", feedback="Agreed.")
    with time_machine.travel(resit.results_release_at):
        outcomes_release_due()

    place.refresh_from_db()
    assert (place.assessment_result, place.status) == ("passed", "completed")
    assert list(Outcome.objects.order_by("attempt").values_list("attempt", "result")) == [
        (1, "failed"),
        (2, "passed"),
    ]


def test_after_a_pass_or_two_fails_there_is_no_further_attempt(window, lead):
    (first,) = submitted_work(window)
    place = first.enrolment
    resit = _resit(window)
    _fail(window, first, lead)
    with time_machine.travel(AFTER_RESULTS):
        outcomes_release_due()
    with time_machine.travel(RESIT_OPEN):
        submission_save_draft(enrolment=place, window=resit, text="Second attempt")
        second = submission_submit(enrolment=place, window=resit, by=place.participant)
    _fail(resit, second, lead)
    with time_machine.travel(resit.results_release_at):
        outcomes_release_due()
    third_window = AssessmentWindowFactory(
        programme=window.programme,
        cohort=window.cohort,
        opens_at=datetime.datetime(2029, 3, 1, 9, 0, tzinfo=datetime.UTC),
        results_release_at=datetime.datetime(2029, 4, 20, 9, 0, tzinfo=datetime.UTC),
    )

    with (
        time_machine.travel(datetime.datetime(2029, 3, 2, 12, 0, tzinfo=datetime.UTC)),
        pytest.raises(ValidationError, match="used all 2 attempts"),
    ):
        submission_save_draft(enrolment=place, window=third_window, text="Third")


def test_an_exception_is_refused_when_the_refusal_is_about_attempts(window, lead):
    (first,) = submitted_work(window)  # attempt 1, its result still to come
    resit = _resit(window)

    with pytest.raises(ValidationError, match="cannot help here.*has not had its result yet"):
        eligibility_exception_grant(
            window=resit, enrolment=first.enrolment, by=lead, reason="Missed clinics"
        )

    assert not EligibilityException.objects.exists()


# ---- Withdrawal ----


def test_withdrawal_keeps_marked_work_but_voids_its_unreleased_outcome(window, lead, settings):
    submission = _passed_without_moderation(window, lead, settings)
    place = submission.enrolment

    enrolment_change(enrolment=place, to="withdrawn", by=lead, reason="workload")

    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED  # marked: kept
    assert submission.outcome.result == "voided"
    with time_machine.travel(AFTER_RESULTS):
        assert outcomes_release_due() == 0


def test_moderation_finishing_after_a_withdrawal_gives_a_voided_outcome(window, lead):
    (submission,) = submitted_work(window)
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    _mark(_first(submission), "fail", feedback="Not yet.")
    enrolment_change(enrolment=submission.enrolment, to="withdrawn", by=lead, reason="workload")
    markings_allocate(window=window, assessors=[assessor()], by=lead)

    _mark(_second(submission), "fail", feedback="Agreed.")

    outcome = Outcome.objects.get()
    assert outcome.result == "voided" and "withdrew" in outcome.reason


# ---- Transfer ----


def test_a_transfer_mid_window_carries_the_draft_to_the_new_place(lead):
    window = marking_window()
    window.cohort = None  # open to every cohort of the programme
    window.save()
    place = EnrolmentFactory(cohort=CohortFactory(programme=window.programme))
    other = CohortFactory(programme=window.programme)
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="Half my case study")
        moved = enrolment_transfer(enrolment=place, to_cohort=other, by=lead, reason="Moved")
        submission_save_draft(enrolment=moved, window=window, text="All my case study")
        submitted = submission_submit(enrolment=moved, window=window, by=place.participant)

    assert submitted.enrolment == moved and submitted.text == "All my case study"
    assert Submission.objects.count() == 1


def test_a_result_released_after_a_transfer_goes_to_the_new_place(lead, settings):
    window = marking_window()
    submission = _passed_without_moderation(window, lead, settings)
    moved = enrolment_transfer(
        enrolment=submission.enrolment,
        to_cohort=CohortFactory(programme=window.programme),
        by=lead,
        reason="Moved nearer home",
    )

    with time_machine.travel(AFTER_RESULTS):
        released = outcomes_release_due()

    moved.refresh_from_db()
    assert released == 1  # the work stayed with its cohort's window, and was not voided
    assert (moved.assessment_result, moved.status) == ("passed", "completed")


def test_each_release_sends_outcome_released_with_the_place_a_resubmission_included(window, lead):
    sent = []

    def receive(sender, outcome, enrolment, **kwargs):
        sent.append((outcome.attempt, outcome.result, enrolment.pk))

    outcome_released.connect(receive, dispatch_uid="test.outcome_released")
    try:
        (first,) = submitted_work(window)
        place = first.enrolment
        resit = _resit(window)
        _fail(window, first, lead)
        with time_machine.travel(AFTER_RESULTS):
            outcomes_release_due()
            outcomes_release_due()  # a rerun releases nothing again
        with time_machine.travel(RESIT_OPEN):
            submission_save_draft(enrolment=place, window=resit, text="Second attempt")
            second = submission_submit(enrolment=place, window=resit, by=place.participant)
        markings_allocate(window=resit, assessors=[assessor()], by=lead)
        _mark(_first(second), "pass", feedback="Now evaluates the impact well.")
        markings_allocate(window=resit, assessors=[assessor()], by=lead)
        _mark(_second(second), "pass", feedback="Agreed.")
        with time_machine.travel(resit.results_release_at):
            outcomes_release_due()
    finally:
        outcome_released.disconnect(dispatch_uid="test.outcome_released")

    assert sent == [(1, "failed", place.pk), (2, "passed", place.pk)]
