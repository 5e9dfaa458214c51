"""Changes of state for the summative assessment: windows, drafts, files, submitting,
exceptions, extensions and voiding."""

from __future__ import annotations

import datetime
import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from npq_portal.models import User
from participants.models import Enrolment

from .models import (
    AssessmentWindow,
    CaseStudyMaterial,
    DeadlineExtension,
    EligibilityException,
    Submission,
)
from .rules import count_words, file_kind
from .selectors import assessment_attempt_number, assessment_deadline, assessment_eligibility

logger = logging.getLogger(__name__)


def when(moment: datetime.datetime) -> str:
    """A time as people read it in the UK, e.g. "14:02 on 3 June 2028"."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


# ---- Windows and materials ----


@transaction.atomic
def window_save(*, window: AssessmentWindow, by: User | None) -> AssessmentWindow:
    """Create or change an assessment window; without a closing time it closes after the
    usual number of days (settings.ASSESSMENT["window_days"]).

    Raises ValidationError when the dates are out of order or the cohort is another
    programme's.
    """
    if window.opens_at and not window.closes_at:
        window.closes_at = window.opens_at + datetime.timedelta(
            days=settings.ASSESSMENT["window_days"]
        )
    if window.cohort_id and window.cohort.programme_id != window.programme_id:
        raise ValidationError(f"{window.cohort} is not a cohort of {window.programme}.")
    if window.pk is None:
        window.created_by = by
    window.full_clean()
    window.save()
    return window


def _read_upload(upload) -> tuple[bytes, str]:
    """The upload's bytes and kind ("pdf" or "docx"), checked by size and by content.

    Raises ValidationError for a file too large, empty, or not a PDF or Word document.
    """
    limit = settings.ASSESSMENT["upload_max_bytes"]
    if upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest you can upload is "
            f"{limit / 1024 / 1024:.0f} MB."
        )
    data = upload.read()
    if not data:
        raise ValidationError("The file is empty: choose the file with your work in it.")
    kind = file_kind(data)
    if kind is None:
        raise ValidationError(
            "Upload a PDF or a Word document (.docx). This file is neither, whatever its "
            "name says: save it as a PDF or .docx and try again."
        )
    return data, kind


def _filename(upload) -> str:
    return os.path.basename(upload.name or "")[:255] or "upload"


@transaction.atomic
def material_add(
    *, window: AssessmentWindow, title: str, upload, by: User | None
) -> CaseStudyMaterial:
    """Add a case-study document to a window; participants can read it once it opens.

    Raises ValidationError for a file that is too large or not a PDF or Word document.
    """
    data, _ = _read_upload(upload)
    material = CaseStudyMaterial(
        window=window, title=title.strip(), original_filename=_filename(upload), added_by=by
    )
    material.file.save("material", ContentFile(data), save=False)
    material.save()
    return material


# ---- The participant's submission ----


def _normalise(text: str) -> str:
    # Browsers send line breaks as CRLF: the same words must compare (and count) the same.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _refuse_unless_open(*, enrolment: Enrolment, window: AssessmentWindow, now) -> bool:
    """True when it is now late (after the close, within an extension).

    Raises ValidationError before the window opens and after the deadline.
    """
    if now < window.opens_at:
        raise ValidationError(
            f"The assessment window opens at {when(window.opens_at)}: you can start then."
        )
    deadline, extension = assessment_deadline(enrolment=enrolment, window=window)
    if now > deadline:
        if extension is not None and extension.until >= window.closes_at:
            raise ValidationError(
                f"Your extended deadline passed at {when(extension.until)}, so nothing can be "
                "submitted now. Contact the hub if you need to talk about it."
            )
        raise ValidationError(
            f"The assessment window closed at {when(window.closes_at)}. If something stopped "
            f"you submitting, ask the hub at {settings.HUB_CONTACT_EMAIL} about an extension."
        )
    return now > window.closes_at


def _refuse_unless_eligible(*, enrolment: Enrolment, window: AssessmentWindow) -> None:
    eligibility = assessment_eligibility(enrolment=enrolment, window=window)
    if not eligibility.allowed:
        raise ValidationError(eligibility.reason)


def _refuse_unless_draft(submission: Submission) -> None:
    if submission.status == Submission.Status.SUBMITTED:
        raise ValidationError(
            f"Your case study was already submitted at {when(submission.submitted_at)}; "
            "it has not been changed.",
            code="already_submitted",
        )
    if submission.status == Submission.Status.VOIDED:
        raise ValidationError(
            "This submission was voided and cannot be changed"
            + (f": {submission.void_reason}." if submission.void_reason else ".")
        )


def _locked_draft(*, enrolment: Enrolment, window: AssessmentWindow) -> Submission | None:
    """The participant's submission in this window (None before the first save), with their
    place locked, so two saves or submits at once take turns.

    Raises ValidationError when it was already submitted or voided.
    """
    Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    submission = (
        Submission.objects.select_for_update().filter(enrolment=enrolment, window=window).first()
    )
    if submission is not None:
        _refuse_unless_draft(submission)
    return submission


def _submission_for_writing(*, enrolment: Enrolment, window: AssessmentWindow) -> Submission:
    """The participant's submission in this window, locked; a new draft if there is none.

    Raises ValidationError when it can no longer be changed, the window is not open for them
    or they are not eligible.
    """
    submission = _locked_draft(enrolment=enrolment, window=window)
    _refuse_unless_open(enrolment=enrolment, window=window, now=timezone.now())
    _refuse_unless_eligible(enrolment=enrolment, window=window)
    if submission is None:
        submission = Submission(
            enrolment=enrolment,
            window=window,
            attempt=assessment_attempt_number(enrolment=enrolment, window=window),
        )
    return submission


@transaction.atomic
def submission_save_draft(
    *, enrolment: Enrolment, window: AssessmentWindow, text: str
) -> Submission:
    """Keep what the participant has written so far (as they type, or on Save); nothing is
    submitted. A draft over the word limit is kept: the page says by how much. Saving the
    same text again changes nothing.

    Raises ValidationError when it was already submitted or voided, the window is not open
    for them, or they are not eligible.
    """
    text = _normalise(text)
    submission = _submission_for_writing(enrolment=enrolment, window=window)
    if submission.pk is not None and submission.text == text:
        return submission  # a double click or a repeated request
    submission.text = text
    submission.word_count = count_words(text)
    submission.last_saved_at = timezone.now()
    submission.save()
    return submission


@transaction.atomic
def submission_attach_file(*, enrolment: Enrolment, window: AssessmentWindow, upload) -> Submission:
    """Attach the participant's case study as a PDF or Word file (replacing one attached
    before), stored under a random name.

    Raises ValidationError for a file too large or not a PDF or .docx (then nothing is
    stored), and as submission_save_draft does.
    """
    data, _ = _read_upload(upload)
    submission = _submission_for_writing(enrolment=enrolment, window=window)
    old = submission.file.name if submission.file else ""
    submission.file.save("submission", ContentFile(data), save=False)
    submission.original_filename = _filename(upload)
    submission.last_saved_at = timezone.now()
    submission.save()
    if old:
        storage = submission.file.storage
        transaction.on_commit(lambda: storage.delete(old))
    return submission


@transaction.atomic
def submission_remove_file(*, enrolment: Enrolment, window: AssessmentWindow) -> Submission:
    """Take an attached file off a draft (the written text stays).

    Raises ValidationError as submission_save_draft does.
    """
    submission = _submission_for_writing(enrolment=enrolment, window=window)
    if submission.file:
        old, storage = submission.file.name, submission.file.storage
        submission.file = ""
        submission.original_filename = ""
        submission.last_saved_at = timezone.now()
        submission.save()
        transaction.on_commit(lambda: storage.delete(old))
    return submission


@transaction.atomic
def submission_submit(*, enrolment: Enrolment, window: AssessmentWindow, by: User) -> Submission:
    """Send the participant's case study for marking: once per attempt, flagged late when
    sent after the window closed within an extension.

    Raises ValidationError when it was already submitted (nothing changes), before the window
    opens, after the deadline, when they are not eligible, when there is nothing to submit,
    or when the text is over the word limit (with the numbers).
    """
    submission = _locked_draft(enrolment=enrolment, window=window)
    now = timezone.now()
    late = _refuse_unless_open(enrolment=enrolment, window=window, now=now)
    _refuse_unless_eligible(enrolment=enrolment, window=window)
    if submission is None or (not submission.text.strip() and not submission.file):
        raise ValidationError("Write your case study or upload a file before you submit it.")
    limit = window.programme.assessment_word_limit
    if limit and submission.word_count > limit:
        over = submission.word_count - limit
        raise ValidationError(
            f"Your case study is {submission.word_count:,} words; the limit is {limit:,}. "
            f"Cut at least {over:,} word{'s' if over != 1 else ''}, then submit it."
        )
    submission.attempt = assessment_attempt_number(enrolment=enrolment, window=window)
    submission.status = Submission.Status.SUBMITTED
    submission.submitted_at = now
    submission.submitted_by = by
    submission.late = late
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError as error:
        raise ValidationError(
            f"Attempt {submission.attempt} has already been submitted in another window."
        ) from error
    logger.info("Submission %s submitted (late=%s)", submission.pk, late)
    return submission


# ---- Staff decisions ----


def _refuse_unless_in_window(*, window: AssessmentWindow, enrolment: Enrolment) -> None:
    if not AssessmentWindow.objects.for_enrolment(enrolment).filter(pk=window.pk).exists():
        raise ValidationError(f"This participant's cohort does not take part in {window}.")


@transaction.atomic
def eligibility_exception_grant(
    *, window: AssessmentWindow, enrolment: Enrolment, by: User | None, reason: str
) -> EligibilityException:
    """Let a participant below the participation threshold take the assessment in a window.

    Raises ValidationError without a reason, for someone outside the window, or when one was
    already granted.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the exception is granted: it is kept with the decision.")
    _refuse_unless_in_window(window=window, enrolment=enrolment)
    existing = EligibilityException.objects.filter(window=window, enrolment=enrolment).first()
    if existing is not None:
        raise ValidationError(f"An exception was already granted at {when(existing.at)}.")
    return EligibilityException.objects.create(
        window=window, enrolment=enrolment, granted_by=by, reason=reason
    )


@transaction.atomic
def deadline_extend(
    *,
    window: AssessmentWindow,
    enrolment: Enrolment,
    until: datetime.datetime,
    by: User | None,
    reason: str,
) -> DeadlineExtension:
    """Let one participant submit after the window closes, until `until` (a second extension
    replaces the first).

    Raises ValidationError without a reason, for a time not after the close or after the
    results are released, for someone outside the window, or once they have submitted.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the deadline is extended: it is kept with the decision.")
    _refuse_unless_in_window(window=window, enrolment=enrolment)
    if until <= window.closes_at:
        raise ValidationError(
            f"An extension must end after the window closes ({when(window.closes_at)})."
        )
    if until > window.results_release_at:
        raise ValidationError(
            "An extension must end before results are released "
            f"({when(window.results_release_at)})."
        )
    if Submission.objects.filter(
        window=window, enrolment=enrolment, status=Submission.Status.SUBMITTED
    ).exists():
        raise ValidationError("They have already submitted in this window: nothing to extend.")
    extension, _ = DeadlineExtension.objects.update_or_create(
        window=window,
        enrolment=enrolment,
        defaults={"until": until, "granted_by": by, "reason": reason},
    )
    return extension


@transaction.atomic
def submissions_void_for(
    *, enrolment: Enrolment, reason: str = "The participant withdrew from the programme."
) -> int:
    """Void a withdrawn participant's unmarked submissions (drafts and submitted ones), so
    nobody marks them; returns how many.

    Marking does not exist yet: when it lands, exclude marked submissions here.
    """
    return Submission.objects.filter(
        enrolment=enrolment,
        status__in=[Submission.Status.DRAFT, Submission.Status.SUBMITTED],
    ).update(
        status=Submission.Status.VOIDED,
        voided_at=timezone.now(),
        void_reason=reason,
        updated_at=timezone.now(),
    )
