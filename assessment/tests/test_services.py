import datetime
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from assessment.models import AssessmentWindow, EligibilityException, Submission
from assessment.selectors import assessment_eligibility
from assessment.services import (
    deadline_extend,
    eligibility_exception_grant,
    submission_attach_file,
    submission_save_draft,
    submission_submit,
    submissions_void_for,
    window_save,
)
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory
from participants.models import Enrolment
from participants.tests.factories import EnrolmentFactory

from .conftest import AFTER_CLOSING, BEFORE_OPENING, WHILE_OPEN, attended
from .factories import (
    AssessmentWindowFactory,
    DeadlineExtensionFactory,
    docx_with,
    minimal_docx,
    minimal_pdf,
)

pytestmark = pytest.mark.django_db


def _private_files(settings) -> list:
    folder = settings.MEDIA_ROOT / "private"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


# ---- The eligibility gate ----


def test_a_participant_at_89_percent_is_refused_with_their_figure_and_what_to_do(place, window):
    attended(place, present=17, sessions=19)  # 89.47%, shown (and judged) as 89%

    with time_machine.travel(WHILE_OPEN):
        eligibility = assessment_eligibility(enrolment=place, window=window)
        with pytest.raises(ValidationError, match="participation so far is 89%"):
            submission_save_draft(enrolment=place, window=window, text="My case study")

    assert not eligibility.allowed
    assert "89%" in eligibility.reason and "at least 90%" in eligibility.reason
    assert "attend the remaining sessions" in eligibility.reason
    assert "about an exception" in eligibility.reason
    assert not Submission.objects.exists()


def test_a_participant_at_90_percent_may_submit(place, window):
    attended(place, present=9, sessions=10)

    with time_machine.travel(WHILE_OPEN):
        eligibility = assessment_eligibility(enrolment=place, window=window)
        submission_save_draft(enrolment=place, window=window, text="My case study")
        submission = submission_submit(enrolment=place, window=window, by=place.participant)

    assert eligibility.allowed and "90%" in eligibility.reason
    assert submission.status == Submission.Status.SUBMITTED and not submission.late


def test_below_the_threshold_with_an_exception_may_submit(place, window):
    attended(place, present=5, sessions=10)
    eligibility_exception_grant(
        window=window, enrolment=place, by=StaffUserFactory(), reason="Long-term illness"
    )

    with time_machine.travel(WHILE_OPEN):
        eligibility = assessment_eligibility(enrolment=place, window=window)
        submission_save_draft(enrolment=place, window=window, text="My case study")
        submission = submission_submit(enrolment=place, window=window, by=place.participant)

    assert eligibility.allowed and eligibility.exception is not None
    assert submission.status == Submission.Status.SUBMITTED


def test_an_exception_needs_a_reason_and_is_granted_once(place, window):
    staff = StaffUserFactory()

    with pytest.raises(ValidationError, match="Say why"):
        eligibility_exception_grant(window=window, enrolment=place, by=staff, reason="  ")
    eligibility_exception_grant(window=window, enrolment=place, by=staff, reason="Illness")
    with pytest.raises(ValidationError, match="already granted"):
        eligibility_exception_grant(window=window, enrolment=place, by=staff, reason="Again")


@pytest.mark.django_db(transaction=True)
def test_two_presses_of_grant_at_once_grant_one_exception_and_the_other_is_told():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    place = EnrolmentFactory()
    window = AssessmentWindowFactory(programme=place.cohort.programme, cohort=place.cohort)
    staff = StaffUserFactory()
    start = threading.Barrier(4)
    outcomes = []

    def grant():
        try:
            start.wait()
            eligibility_exception_grant(window=window, enrolment=place, by=staff, reason="Ill")
            outcomes.append("granted")
        except ValidationError as error:
            outcomes.append(error.code)
        except Exception as error:  # an IntegrityError would be a 500 on the page
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=grant) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already_granted"] * 3 + ["granted"]
    assert EligibilityException.objects.count() == 1


def test_an_exception_is_refused_for_a_place_that_is_not_active(place, window):
    Enrolment.objects.filter(pk=place.pk).update(status=Enrolment.Status.DEFERRED)
    place.refresh_from_db()

    with pytest.raises(ValidationError, match="cannot help here.*deferred"):
        eligibility_exception_grant(
            window=window, enrolment=place, by=StaffUserFactory(), reason="Illness"
        )

    assert not EligibilityException.objects.exists()


def test_only_an_active_place_may_submit(place, window):
    Enrolment.objects.filter(pk=place.pk).update(status=Enrolment.Status.DEFERRED)
    place.refresh_from_db()

    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="deferred"):
        submission_save_draft(enrolment=place, window=window, text="My case study")


# ---- Drafts, the word limit and submitting ----


def test_a_repeated_save_changes_nothing(place, window):
    with time_machine.travel(WHILE_OPEN):
        first = submission_save_draft(enrolment=place, window=window, text="Three short words")
    with time_machine.travel(WHILE_OPEN + datetime.timedelta(minutes=5)):
        again = submission_save_draft(enrolment=place, window=window, text="Three short words")

    assert again.pk == first.pk and Submission.objects.count() == 1
    again.refresh_from_db()
    assert again.last_saved_at == first.last_saved_at
    assert again.word_count == 3


def test_a_browsers_line_breaks_do_not_count_as_a_change(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="One\ntwo")
        submission = submission_save_draft(enrolment=place, window=window, text="One\r\ntwo")

    assert submission.text == "One\ntwo"


def test_a_double_submit_says_so_and_changes_nothing(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="My case study")
        first = submission_submit(enrolment=place, window=window, by=place.participant)
    with (
        time_machine.travel(WHILE_OPEN + datetime.timedelta(seconds=1)),
        pytest.raises(ValidationError, match="already submitted") as refusal,
    ):
        submission_submit(enrolment=place, window=window, by=place.participant)

    assert refusal.value.code == "already_submitted"
    assert Submission.objects.get().submitted_at == first.submitted_at
    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="already"):
        submission_save_draft(enrolment=place, window=window, text="Changed after all")
    assert Submission.objects.get().text == "My case study"


def test_a_draft_over_the_word_limit_is_kept_but_cannot_be_submitted(place, window):
    programme = window.programme
    programme.assessment_word_limit = 5
    programme.save()
    text = "one two three four five six seven eight"

    with time_machine.travel(WHILE_OPEN):
        draft = submission_save_draft(enrolment=place, window=window, text=text)
        with pytest.raises(ValidationError, match="8 words; the limit is 5. Cut at least 3 words"):
            submission_submit(enrolment=place, window=window, by=place.participant)

    draft.refresh_from_db()
    assert draft.text == text and draft.word_count == 8
    assert draft.status == Submission.Status.DRAFT


def test_an_uploaded_file_over_the_word_limit_cannot_be_submitted(place, window):
    programme = window.programme
    programme.assessment_word_limit = 5
    programme.save()
    upload = SimpleUploadedFile("case-study.pdf", minimal_pdf("one two three four five six seven"))

    with time_machine.travel(WHILE_OPEN):
        draft = submission_attach_file(enrolment=place, window=window, upload=upload)
        with pytest.raises(ValidationError, match="7 words; the limit is 5. Cut at least 2"):
            submission_submit(enrolment=place, window=window, by=place.participant)

    draft.refresh_from_db()
    assert draft.file_word_count == 7 and draft.status == Submission.Status.DRAFT


def test_typed_text_and_a_file_count_together_and_the_message_says_so(place, window):
    programme = window.programme
    programme.assessment_word_limit = 8
    programme.save()
    upload = SimpleUploadedFile("case-study.docx", docx_with("one two three four five"))

    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="an early draft of it")
        submission_attach_file(enrolment=place, window=window, upload=upload)
        with pytest.raises(ValidationError, match="together.*remove the text or the file"):
            submission_submit(enrolment=place, window=window, by=place.participant)


def test_nothing_written_or_uploaded_cannot_be_submitted(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="   ")
        with pytest.raises(ValidationError, match="Write your case study or upload a file"):
            submission_submit(enrolment=place, window=window, by=place.participant)


def test_before_the_window_opens_nothing_is_saved(place, window):
    with time_machine.travel(BEFORE_OPENING), pytest.raises(ValidationError, match="opens at"):
        submission_save_draft(enrolment=place, window=window, text="Keen")

    assert not Submission.objects.exists()


def test_after_the_close_a_submission_is_refused(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="My case study")

    with (
        time_machine.travel(AFTER_CLOSING),
        pytest.raises(ValidationError, match="closed at .* ask the hub .* about an extension"),
    ):
        submission_submit(enrolment=place, window=window, by=place.participant)

    assert Submission.objects.get().status == Submission.Status.DRAFT


def test_with_an_extension_a_submission_after_the_close_is_accepted_and_flagged_late(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="My case study")
    DeadlineExtensionFactory(window=window, enrolment=place)  # until 3 days after the close

    with time_machine.travel(AFTER_CLOSING):
        submission = submission_submit(enrolment=place, window=window, by=place.participant)

    assert submission.status == Submission.Status.SUBMITTED and submission.late


def test_once_an_extension_has_passed_a_submission_is_refused(place, window):
    DeadlineExtensionFactory(window=window, enrolment=place)

    with (
        time_machine.travel(window.closes_at + datetime.timedelta(days=4)),
        pytest.raises(ValidationError, match="extended deadline passed"),
    ):
        submission_save_draft(enrolment=place, window=window, text="Too late")


def test_an_extension_needs_a_reason_and_a_time_after_the_close(place, window):
    staff = StaffUserFactory()
    later = window.closes_at + datetime.timedelta(days=2)

    with pytest.raises(ValidationError, match="Say why"):
        deadline_extend(window=window, enrolment=place, until=later, by=staff, reason="")
    with pytest.raises(ValidationError, match="must end after the window closes"):
        deadline_extend(
            window=window, enrolment=place, until=window.closes_at, by=staff, reason="Ill"
        )
    extension = deadline_extend(window=window, enrolment=place, until=later, by=staff, reason="Ill")

    assert extension.until == later and extension.granted_by == staff


def test_a_place_outside_the_window_gets_no_exception_or_extension(window):
    elsewhere = EnrolmentFactory()

    with pytest.raises(ValidationError, match="does not take part"):
        eligibility_exception_grant(
            window=window, enrolment=elsewhere, by=StaffUserFactory(), reason="Illness"
        )


# ---- Uploads ----


def test_a_file_called_pdf_that_is_not_one_is_refused_and_nothing_is_stored(
    place, window, settings
):
    upload = SimpleUploadedFile("case-study.pdf", b"<html>not a pdf</html>")

    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="PDF or a Word"):
        submission_attach_file(enrolment=place, window=window, upload=upload)

    assert not Submission.objects.exists()
    assert _private_files(settings) == []


def test_a_real_docx_is_accepted_under_a_random_private_name(place, window, settings):
    # One document: a zip made again a second later carries another timestamp.
    document = minimal_docx()
    upload = SimpleUploadedFile("Jane Smith case study.docx", document)

    with time_machine.travel(WHILE_OPEN):
        submission = submission_attach_file(enrolment=place, window=window, upload=upload)
        submission_submit(enrolment=place, window=window, by=place.participant)

    assert submission.original_filename == "Jane Smith case study.docx"
    assert submission.file.name.startswith("assessment/submissions/")
    assert "Jane" not in submission.file.name
    stored = _private_files(settings)
    assert len(stored) == 1 and stored[0].read_bytes() == document
    with pytest.raises(ValueError, match="no URL"):
        submission.file.url  # noqa: B018


def test_a_file_over_the_size_limit_is_refused(place, window, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "assessment": 1024}
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"x" * 2048)

    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="largest"):
        submission_attach_file(enrolment=place, window=window, upload=upload)

    assert _private_files(settings) == []


# ---- Attempts, withdrawal, windows ----


def test_withdrawal_voids_a_draft_and_a_submitted_unmarked_submission(window):
    drafted, submitted, other = EnrolmentFactory.create_batch(3, cohort=window.cohort)
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=drafted, window=window, text="Half done")
        submission_save_draft(enrolment=submitted, window=window, text="All done")
        submission_submit(enrolment=submitted, window=window, by=submitted.participant)
        submission_save_draft(enrolment=other, window=window, text="Mine")

    voided = submissions_void_for(enrolment=drafted) + submissions_void_for(enrolment=submitted)

    assert voided == 2
    statuses = dict(Submission.objects.values_list("enrolment_id", "status"))
    assert statuses == {drafted.pk: "voided", submitted.pk: "voided", other.pk: "draft"}
    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="voided"):
        submission_save_draft(enrolment=drafted, window=window, text="More")


def test_a_window_closes_after_eight_days_unless_told_otherwise():
    cohort = CohortFactory()
    opens = datetime.datetime(2028, 6, 1, 9, 0, tzinfo=datetime.UTC)

    window = window_save(
        window=AssessmentWindow(
            programme=cohort.programme,
            cohort=cohort,
            title="Summer",
            opens_at=opens,
            results_release_at=opens + datetime.timedelta(days=40),
        ),
        by=None,
    )

    assert window.closes_at == opens + datetime.timedelta(days=8)


def test_a_window_for_another_programmes_cohort_is_refused():
    window = AssessmentWindowFactory.build(cohort=CohortFactory())
    window.programme.save()

    with pytest.raises(ValidationError, match="is not a cohort of") as refusal:
        window_save(window=window, by=None)

    assert list(refusal.value.message_dict) == ["cohort"]  # the form shows it at the field


def test_a_window_with_work_in_it_keeps_its_programme_and_cohort(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="Half done")
    other = CohortFactory(programme=window.programme)
    moving = AssessmentWindow.objects.get(pk=window.pk)
    moving.cohort = other
    moving.title = "Renamed"

    with pytest.raises(ValidationError, match="cannot change"):
        window_save(window=moving, by=None)

    window.refresh_from_db()
    assert window.cohort == place.cohort and window.title != "Renamed"
    moving.cohort = None  # every cohort of the programme: still a change of whose work it is
    with pytest.raises(ValidationError, match="cannot change"):
        window_save(window=moving, by=None)


def test_a_window_with_work_in_it_can_change_anything_else(place, window):
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="Half done")
    window.title = "Summer 2028 assessment (revised)"

    window_save(window=window, by=None)

    window.refresh_from_db()
    assert window.title == "Summer 2028 assessment (revised)"


def test_a_window_with_no_work_can_move_to_another_cohort(window):
    other = CohortFactory(programme=window.programme)
    window.cohort = other

    window_save(window=window, by=None)

    window.refresh_from_db()
    assert window.cohort == other


def test_facilitators_see_the_windows_of_their_cohorts_only(window):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    window.cohort.facilitators.add(facilitator)
    programme_wide = AssessmentWindowFactory(programme=window.programme)
    AssessmentWindowFactory()  # another programme's

    seen = set(AssessmentWindow.objects.for_user(facilitator))

    assert seen == {window, programme_wide}
    assert AssessmentWindow.objects.count() == 3
    assert set(AssessmentWindow.objects.for_user(StaffUserFactory())) == set(
        AssessmentWindow.objects.all()
    )


def test_withdrawing_through_the_participants_service_voids_their_submission(window):
    from npq_portal.tests.factories import StaffUserFactory
    from participants.services import enrolment_change

    place = EnrolmentFactory(cohort=window.cohort)
    with time_machine.travel(WHILE_OPEN):
        submission_save_draft(enrolment=place, window=window, text="Half done")

    enrolment_change(enrolment=place, to="withdrawn", by=StaffUserFactory(), reason="workload")

    assert Submission.objects.get(enrolment=place).status == Submission.Status.VOIDED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("case-study.pdf", b"Name,Score\r\nPriya,10\r\n"),  # a CSV named .pdf
        ("case-study.docx", b"PK\x03\x04\x14\x00\x06\x00not a word document"),  # a bare ZIP
        ("case-study.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a program named .pdf
    ],
)
def test_a_file_whose_content_is_not_its_claimed_type_is_refused(
    place, window, settings, name, data
):
    upload = SimpleUploadedFile(name, data, "application/pdf")

    with time_machine.travel(WHILE_OPEN), pytest.raises(ValidationError, match="whatever its"):
        submission_attach_file(enrolment=place, window=window, upload=upload)

    assert _private_files(settings) == []


def test_case_study_material_is_checked_by_content_and_size(window, settings):
    from assessment.services import material_add

    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "assessment": 1024}
    disguised = SimpleUploadedFile("material.pdf", b"URN,Name\r\n100001,Oakfield\r\n")
    large = SimpleUploadedFile("material.pdf", b"%PDF-1.7\n" + b"x" * 2048)

    with pytest.raises(ValidationError, match="whatever its name says"):
        material_add(window=window, title="Case study", upload=disguised, by=None)
    with pytest.raises(ValidationError, match="the largest you can upload here"):
        material_add(window=window, title="Case study", upload=large, by=None)

    assert _private_files(settings) == []
