import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.html import escape

from assessment.models import EligibilityException, Marking, Outcome
from assessment.services import (
    marking_record,
    markings_allocate,
    outcomes_release_due,
    submission_save_draft,
    submission_submit,
)
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in

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


@pytest.fixture
def window():
    return marking_window()


@pytest.fixture
def lead():
    return StaffUserFactory(roles=[Role.PROGRAMME_LEAD])


def _allocated(window, lead, count=1, *, to=None):
    work = submitted_work(window, count)
    markings_allocate(window=window, assessors=[to or assessor()], by=lead)
    return work


def _staff_url(name, window, submission):
    return reverse(f"assessment:{name}", kwargs={"pk": window.pk, "submission_pk": submission.pk})


# ---- Assessors: their own allocations, anonymised ----


def test_an_assessor_sees_their_allocations_by_candidate_number_not_name(client, window, lead):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    other = _allocated(window, lead)[0]  # someone else's
    sign_in(client, ann)

    page = client.get(reverse("assessment:marking-list")).content.decode()
    marking = client.get(submission.markings.get().get_absolute_url()).content.decode()

    participant = submission.enrolment.participant
    assert submission.candidate_number in page and submission.candidate_number in marking
    for shown in (participant.last_name, escape(participant.last_name)):
        assert shown not in page and shown not in marking
    assert other.candidate_number not in page
    assert "My case study 0" in marking
    for criterion in ALL_CRITERIA:
        assert escape(criterion) in marking


def test_without_anonymous_marking_the_assessor_sees_the_name(client, lead):
    window = marking_window(anonymous_marking=False)
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    sign_in(client, ann)

    page = client.get(reverse("assessment:marking-list")).content.decode()

    # Names are HTML-escaped: an O'Brien is drawn as O&#x27;Brien.
    assert escape(submission.enrolment.participant.get_full_name()) in page


def test_an_assessor_cannot_open_another_assessors_allocation(client, window, lead):
    (submission,) = _allocated(window, lead)
    marking = submission.markings.get()
    submission.file.save("submission", ContentFile(b"%PDF-1.7 work"), save=True)
    sign_in(client, assessor())

    assert client.get(marking.get_absolute_url()).status_code == 404
    assert client.get(reverse("assessment:marking-file", args=[marking.pk])).status_code == 404
    response = client.post(
        marking.get_absolute_url(), {"result": "fail", "feedback": "Not mine to mark"}
    )
    assert response.status_code == 404
    marking.refresh_from_db()
    assert marking.result == ""


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (None, "marking-list"),
        (Role.FACILITATOR, "marking-list"),
        (Role.ASSESSOR, "window-marking"),
        (Role.FACILITATOR, "window-marking"),
    ],
)
def test_marking_pages_refuse_other_roles(client, window, role, url_name):
    user = UserFactory() if role is None else StaffUserFactory(roles=[role])
    sign_in(client, user)
    args = [window.pk] if url_name == "window-marking" else []

    assert client.get(reverse(f"assessment:{url_name}", args=args)).status_code == 403


def test_the_assessors_file_download_is_named_by_candidate_number(client, window, lead):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    submission.file.save("submission", ContentFile(b"%PDF-1.7 work"), save=False)
    submission.original_filename = "Jane Smith NPQLPM.pdf"
    submission.save()
    sign_in(client, ann)

    response = client.get(reverse("assessment:marking-file", args=[submission.markings.get().pk]))

    disposition = response["Content-Disposition"]
    assert f"{submission.candidate_number}.pdf" in disposition and "Smith" not in disposition


def test_an_assessor_marks_through_the_page_and_a_second_press_changes_nothing(
    client, window, lead
):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    marking = submission.markings.get()
    sign_in(client, ann)
    form = {"result": "pass", "criteria_met": ALL_CRITERIA, "feedback": "A strong plan."}

    with time_machine.travel(MARKING_TIME):
        response = client.post(marking.get_absolute_url(), form, follow=True)
        again = client.post(marking.get_absolute_url(), {**form, "result": "fail"}, follow=True)

    assert "Mark recorded. 0 submissions left to mark." in response.content.decode()
    assert "You marked this at" in again.content.decode()
    marking.refresh_from_db()
    assert (marking.result, marking.moderation) == ("pass", "sample")  # Ann's first pass


def test_a_pass_without_every_criterion_is_refused_on_the_page(client, window, lead):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    marking = submission.markings.get()
    sign_in(client, ann)

    response = client.post(
        marking.get_absolute_url(),
        {"result": "pass", "criteria_met": ALL_CRITERIA[:1], "feedback": "Good."},
    )

    assert response.status_code == 200
    assert "A pass needs every criterion met" in response.content.decode()
    assert response.context["form"].data["feedback"] == "Good."  # what they typed stays
    marking.refresh_from_db()
    assert marking.result == ""


# ---- Hub staff: allocation, moderation and resolution ----


def test_a_lead_allocates_from_the_marking_page(client, window, lead):
    submitted_work(window, 3)
    ann, ben = assessor(first_name="Ann"), assessor(first_name="Ben")
    sign_in(client, lead)

    page = client.get(reverse("assessment:window-marking", args=[window.pk])).content.decode()
    response = client.post(
        reverse("assessment:window-allocate", args=[window.pk]),
        {"assessors": [ann.pk, ben.pk]},
        follow=True,
    )

    assert "3 submissions need a first mark" in page
    assert "Allocated 3 first marks and 0 moderations." in response.content.decode()
    assert Marking.objects.count() == 3


def test_assessors_are_offered_by_name_or_by_email_when_they_have_none(client, window, lead):
    (submission,) = submitted_work(window)
    assessor(first_name="Ann", last_name="Ashby")
    unnamed = assessor(first_name="", last_name="", email="marker@example.org")
    sign_in(client, lead)

    page = client.get(reverse("assessment:window-marking", args=[window.pk]))
    moved = client.post(
        _staff_url("marking-move", window, submission),
        {"stage": "first", "assessor": unnamed.pk},
        follow=True,
    )

    labels = {label for _, label in page.context["allocation_form"].fields["assessors"].choices}
    assert {"Ann Ashby", "marker@example.org"} <= labels
    assert "First mark allocated to marker@example.org." in moved.content.decode()


def test_allocating_with_nobody_chosen_says_so_and_changes_nothing(client, window, lead):
    submitted_work(window)
    assessor()
    sign_in(client, lead)

    response = client.post(reverse("assessment:window-allocate", args=[window.pk]), {})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Marking.objects.exists()


def test_the_marking_page_filters_by_state(client, window, lead):
    marked, waiting = _allocated(window, lead, 2)
    submitted_work(window)  # not allocated
    with time_machine.travel(MARKING_TIME):
        marking_record(
            marking=marked.markings.get(),
            result="fail",
            criteria_met=[],
            feedback="Not yet.",
            by=marked.markings.get().assessor,
        )
    sign_in(client, lead)
    url = reverse("assessment:window-marking", args=[window.pk])

    rows = {
        state: [row.submission for row in client.get(url, {"state": state}).context["rows"]]
        for state in ("unallocated", "marking", "moderation")
    }

    assert rows["moderation"] == [marked]
    assert rows["marking"] == [waiting]
    assert len(rows["unallocated"]) == 1


def test_the_marking_page_queries_do_not_grow_with_submissions(
    client, lead, django_assert_max_num_queries
):
    sign_in(client, lead)
    small, large = marking_window(), marking_window()
    _allocated(small, lead, 3)
    _allocated(large, lead, 30)

    def queries(window) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(reverse("assessment:window-marking", args=[window.pk])).status_code
                == 200
            )
        return len(captured)

    queries(small)  # a first page: the per-person checks (MFA) are kept after it
    assert queries(small) == queries(large)
    with django_assert_max_num_queries(queries(small)):
        client.get(reverse("assessment:window-marking", args=[large.pk]))


def test_a_lead_resolves_a_disagreement_from_the_submission_page(client, window, lead):
    (submission,) = _allocated(window, lead)
    first = submission.markings.get()
    with time_machine.travel(MARKING_TIME):
        marking_record(
            marking=first, result="fail", criteria_met=[], feedback="No.", by=first.assessor
        )
    markings_allocate(window=window, assessors=[assessor()], by=lead)
    second = submission.markings.get(stage="second")
    with time_machine.travel(MARKING_TIME):
        marking_record(
            marking=second,
            result="pass",
            criteria_met=ALL_CRITERIA,
            feedback="Yes.",
            by=second.assessor,
        )
    sign_in(client, lead)

    page = client.get(_staff_url("staff-submission", window, submission)).content.decode()
    refused = client.post(
        _staff_url("marking-resolve", window, submission),
        {"result": "pass", "feedback": "A justified plan.", "reason": ""},
    )
    response = client.post(
        _staff_url("marking-resolve", window, submission),
        {"result": "pass", "feedback": "A justified plan.", "reason": "Section 3 evaluates it."},
        follow=True,
    )

    assert "The assessors disagree: decide the outcome" in page
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert "Outcome decided: Passed." in response.content.decode()
    outcome = Outcome.objects.get()
    assert (outcome.basis, outcome.reason) == ("resolved", "Section 3 evaluates it.")


def test_staff_can_download_the_submitted_file_with_its_name(client, window, lead):
    (submission,) = submitted_work(window)
    submission.file.save("submission", ContentFile(b"%PDF-1.7 work"), save=False)
    submission.original_filename = "case-study.pdf"
    submission.save()
    sign_in(client, lead)

    response = client.get(_staff_url("staff-submission-file", window, submission))

    assert response.status_code == 200
    assert "case-study.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.7 work"


def test_a_submission_is_found_only_under_its_own_window(client, window, lead):
    (submission,) = submitted_work(window)
    elsewhere = marking_window()
    sign_in(client, lead)

    assert client.get(_staff_url("staff-submission", window, submission)).status_code == 200
    assert client.get(_staff_url("staff-submission", elsewhere, submission)).status_code == 404
    assert client.get(_staff_url("staff-submission-file", elsewhere, submission)).status_code == 404


def test_no_exception_is_offered_or_granted_when_the_refusal_is_about_attempts(
    client, window, lead
):
    (first,) = submitted_work(window)  # attempt 1, its result still to come
    resit = AssessmentWindowFactory(
        programme=window.programme,
        cohort=window.cohort,
        opens_at=datetime.datetime(2028, 11, 1, 9, 0, tzinfo=datetime.UTC),
        results_release_at=datetime.datetime(2028, 12, 20, 9, 0, tzinfo=datetime.UTC),
    )
    sign_in(client, lead)
    grant = reverse("assessment:exception-grant", args=[resit.pk, first.enrolment_id])

    page = client.get(reverse("assessment:window-detail", args=[resit.pk])).content.decode()
    response = client.post(grant, {"reason": "Missed clinics"})

    assert "Grant exception" not in page
    assert response.status_code == 200
    assert "cannot help here" in response.content.decode()
    assert not EligibilityException.objects.exists()


# ---- The participant's result ----


def test_the_participant_sees_their_result_and_feedback_only_from_the_release_date(
    client, window, lead, settings
):
    settings.ASSESSMENT = {**settings.ASSESSMENT, "moderation_sample_every": 100}
    sampled, submission = _allocated(window, lead, 2)
    for work, feedback in ((sampled, "Fine."), (submission, "Your plan is well justified.")):
        marking = work.markings.get()
        with time_machine.travel(MARKING_TIME):
            marking_record(
                marking=marking,
                result="pass",
                criteria_met=ALL_CRITERIA,
                feedback=feedback,
                by=marking.assessor,
            )
    sign_in(client, submission.enrolment.participant)
    url = reverse("assessment:assessment-detail", args=[window.pk])

    with time_machine.travel(MARKING_TIME + datetime.timedelta(days=1)):
        before = client.get(url).content.decode()
    with time_machine.travel(AFTER_RESULTS):
        outcomes_release_due()
        after = client.get(url).content.decode()
        home = client.get(reverse("participants:teacher-home")).content.decode()

    assert "Your plan is well justified" not in before and "You passed" not in before
    assert "Your result will be here from 20 July 2028" in before
    assert "You passed" in after and "Your plan is well justified" in after
    assert "Assessment: <strong>Passed</strong>" in home


def _result_out(window, submission, lead, result, *, marked_at=MARKING_TIME):
    """Mark `submission` `result` at every stage it needs (a fail and an assessor's first
    pass are moderated), then release the window's results."""
    for stage in ("first", "second"):
        markings_allocate(window=window, assessors=[assessor()], by=lead)
        marking = submission.markings.filter(stage=stage).first()
        if marking is None:
            break
        with time_machine.travel(marked_at):
            marking_record(
                marking=marking,
                result=result,
                criteria_met=ALL_CRITERIA if result == "pass" else [],
                feedback="Evaluate the impact of your plan." if result == "fail" else "Clear.",
                by=marking.assessor,
            )
    with time_machine.travel(window.results_release_at):
        outcomes_release_due()


def test_after_a_first_fail_the_result_says_they_can_submit_again(client, window, lead):
    (submission,) = submitted_work(window)
    _result_out(window, submission, lead, "fail")
    sign_in(client, submission.enrolment.participant)

    with time_machine.travel(AFTER_RESULTS):
        page = client.get(reverse("assessment:assessment-detail", args=[window.pk]))

    text = page.content.decode()
    assert "You did not pass this time" in text
    assert "You can submit again in a later assessment window" in text
    assert "You can take the assessment" not in text  # the result card says what is next


def test_after_a_fail_on_the_last_attempt_the_result_does_not_offer_another(client, window, lead):
    (first,) = submitted_work(window)
    place = first.enrolment
    _result_out(window, first, lead, "fail")
    resit = AssessmentWindowFactory(
        programme=window.programme,
        cohort=window.cohort,
        opens_at=datetime.datetime(2028, 11, 1, 9, 0, tzinfo=datetime.UTC),
        results_release_at=datetime.datetime(2028, 12, 20, 9, 0, tzinfo=datetime.UTC),
    )
    resit_open = datetime.datetime(2028, 11, 2, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(resit_open):
        submission_save_draft(enrolment=place, window=resit, text="Second attempt")
        second = submission_submit(enrolment=place, window=resit, by=place.participant)
    _result_out(resit, second, lead, "fail", marked_at=resit_open + datetime.timedelta(days=20))
    sign_in(client, place.participant)

    with time_machine.travel(resit.results_release_at + datetime.timedelta(days=1)):
        page = client.get(reverse("assessment:assessment-detail", args=[resit.pk]))

    text = page.content.decode()
    assert second.attempt == 2 and "You did not pass this time" in text
    assert "You have used all 2 attempts" in text
    assert "submit again in a later assessment window" not in text
    assert "You can take the assessment" not in text


def test_after_a_pass_the_page_shows_the_result_without_the_eligibility_card(client, window, lead):
    (submission,) = submitted_work(window)
    _result_out(window, submission, lead, "pass")
    sign_in(client, submission.enrolment.participant)

    with time_machine.travel(AFTER_RESULTS):
        page = client.get(reverse("assessment:assessment-detail", args=[window.pk]))

    text = page.content.decode()
    assert "You passed" in text
    assert "eligibility-heading" not in text and "You can take the assessment" not in text


def test_work_on_a_programme_without_criteria_is_marked_on_result_and_feedback(client, lead):
    window = marking_window()
    window.programme.assessment_criteria = ""
    window.programme.save()
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    sign_in(client, ann)

    with time_machine.travel(MARKING_TIME):
        response = client.post(
            submission.markings.get().get_absolute_url(),
            {"result": "fail", "feedback": "Not yet."},
            follow=True,
        )

    assert response.status_code == 200
    assert submission.markings.get().result == "fail"


def test_the_assessor_sees_the_case_study_and_the_criteria_beside_the_work(client, window, lead):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    material = window.materials.create(title="The case study: Oakfield's maths", added_by=lead)
    material.file.save("case.pdf", ContentFile(b"%PDF-1.7 the case"), save=False)
    material.original_filename = "case.pdf"
    material.save()
    marking = submission.markings.get()
    sign_in(client, ann)

    page = client.get(reverse("assessment:marking-detail", args=[marking.pk])).content.decode()
    download = client.get(reverse("assessment:marking-material", args=[marking.pk, material.pk]))

    against = page[page.index("What you mark against") : page.index("Your mark")]
    assert "The case study: Oakfield" in against
    for criterion in ALL_CRITERIA:
        assert escape(criterion) in against
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.7 the case"


def test_another_windows_material_is_not_found_for_the_assessor(client, window, lead):
    ann = assessor()
    (submission,) = _allocated(window, lead, to=ann)
    other = AssessmentWindowFactory().materials.create(title="Another case", added_by=lead)
    sign_in(client, ann)

    url = reverse("assessment:marking-material", args=[submission.markings.get().pk, other.pk])

    assert client.get(url).status_code == 404
