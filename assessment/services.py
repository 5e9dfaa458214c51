"""Changes of state for the summative assessment: windows, drafts, files, submitting,
exceptions, extensions and voiding."""

from __future__ import annotations

import datetime
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from npq_portal.emails import email_send_once
from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue
from npq_portal.signals import rows_written
from npq_portal.uploads import refuse_if_too_large
from participants.models import Enrolment
from participants.services import enrolment_record_assessment

from .models import (
    AssessmentWindow,
    CaseStudyMaterial,
    DeadlineExtension,
    EligibilityException,
    Marking,
    Outcome,
    Submission,
)
from .rules import count_words, file_kind, file_word_count
from .selectors import Eligibility, assessment_deadline, assessment_eligibility, when
from .signals import outcome_released

logger = logging.getLogger(__name__)


# ---- Windows and materials ----


@transaction.atomic
def window_save(*, window: AssessmentWindow, by: User | None) -> AssessmentWindow:
    """Create or change an assessment window; without a closing time it closes after the
    usual number of days (settings.ASSESSMENT["window_days"]).

    Raises ValidationError when the dates are out of order, the cohort is another
    programme's, or its programme or cohort would change once work exists in it.
    """
    if window.pk is not None:
        _refuse_to_move_work(window)
    if window.opens_at and not window.closes_at:
        window.closes_at = window.opens_at + datetime.timedelta(
            days=settings.ASSESSMENT["window_days"]
        )
    if window.cohort_id and window.cohort.programme_id != window.programme_id:
        raise ValidationError({"cohort": f"{window.cohort} is not a cohort of {window.programme}."})
    if window.pk is None:
        window.created_by = by
    window.full_clean()
    window.save()
    return window


def _refuse_to_move_work(window: AssessmentWindow) -> None:
    """Raises ValidationError when a window with work in it would change programme or cohort:
    the work would then sit in a window its writers' cohort is not part of."""
    stored = AssessmentWindow.objects.select_for_update().get(pk=window.pk)
    if (stored.programme_id, stored.cohort_id) == (window.programme_id, window.cohort_id):
        return
    if Submission.objects.filter(window=stored).exists():
        raise ValidationError(
            "Participants have already started or sent work in this window, so its programme "
            "and cohort cannot change. Add a new window for the other programme or cohort."
        )


def _read_upload(upload) -> tuple[bytes, str]:
    """The upload's bytes and kind ("pdf" or "docx"), checked by size and by content.

    Raises ValidationError for a file too large, empty, or not a PDF or Word document.
    """
    refuse_if_too_large(upload, limit="assessment")
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


def _refuse_unless_eligible(*, enrolment: Enrolment, window: AssessmentWindow) -> Eligibility:
    eligibility = assessment_eligibility(enrolment=enrolment, window=window)
    if not eligibility.allowed:
        raise ValidationError(eligibility.reason)
    return eligibility


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
    eligibility = _refuse_unless_eligible(enrolment=enrolment, window=window)
    if submission is None:
        submission = Submission(enrolment=enrolment, window=window, attempt=eligibility.attempt)
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
    data, kind = _read_upload(upload)
    submission = _submission_for_writing(enrolment=enrolment, window=window)
    old = submission.file.name if submission.file else ""
    submission.file.save("submission", ContentFile(data), save=False)
    submission.original_filename = _filename(upload)
    submission.file_word_count = file_word_count(data, kind)
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
        submission.file_word_count = None
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
    eligibility = _refuse_unless_eligible(enrolment=enrolment, window=window)
    if submission is None or (not submission.text.strip() and not submission.file):
        raise ValidationError("Write your case study or upload a file before you submit it.")
    limit = window.programme.assessment_word_limit
    if limit and submission.total_words > limit:
        over = submission.total_words - limit
        both = submission.file and submission.text.strip()
        raise ValidationError(
            f"Your case study is {submission.total_words:,} words"
            + (" (your typed text and your file together)" if both else "")
            + f"; the limit is {limit:,}. Cut at least {over:,} word{'s' if over != 1 else ''}"
            + (", or remove the text or the file you do not mean to submit" if both else "")
            + ", then submit it."
        )
    submission.attempt = eligibility.attempt
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

    Raises ValidationError without a reason, for someone outside the window, when one was
    already granted (code "already_granted": nothing changes), or when they are refused for something an exception cannot lift (no
    attempt left, a result still to come, a pass already, a place no longer active).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the exception is granted: it is kept with the decision.")
    _refuse_unless_in_window(window=window, enrolment=enrolment)
    # Lock the place: a double press of Grant takes turns, so the second finds the first's
    # exception here instead of failing on the unique constraint.
    Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    existing = EligibilityException.objects.filter(window=window, enrolment=enrolment).first()
    if existing is not None:
        raise ValidationError(
            f"An exception was already granted at {when(existing.at)}; nothing was changed.",
            code="already_granted",
        )
    eligibility = assessment_eligibility(enrolment=enrolment, window=window)
    if not eligibility.allowed and not eligibility.exception_can_lift:
        raise ValidationError(
            "An exception only waives the participation threshold, so it cannot help here. "
            f"The participant is told: “{eligibility.reason}”"
        )
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
    nobody marks them, and any result not yet released; returns how many submissions.

    Marked work keeps its marks: if moderation finishes later, its outcome is voided too.
    """
    now = timezone.now()
    marked = Exists(Marking.objects.marked().filter(submission=OuterRef("pk")))
    voided = (
        Submission.objects.filter(
            enrolment=enrolment,
            status__in=[Submission.Status.DRAFT, Submission.Status.SUBMITTED],
        )
        .exclude(marked)
        .update(status=Submission.Status.VOIDED, voided_at=now, void_reason=reason, updated_at=now)
    )
    Outcome.objects.filter(enrolment=enrolment, released_at__isnull=True).exclude(
        result=Outcome.Result.VOIDED
    ).update(result=Outcome.Result.VOIDED, reason=reason, updated_at=now)
    return voided


@transaction.atomic
def assessment_carry_over(*, old: Enrolment, new: Enrolment) -> int:
    """Move a transferred participant's assessment to their new place: their work (drafts,
    submitted work with its marks and outcome), exceptions and extensions in every window the
    new cohort takes part in; returns how many pieces of work moved. Work in a window only the
    old cohort has stays there, and is marked and released as usual."""
    windows = AssessmentWindow.objects.for_cohort(new.cohort)
    moved = Submission.objects.filter(enrolment=old, window__in=windows).update(
        enrolment=new, updated_at=timezone.now()
    )
    Outcome.objects.filter(enrolment=old, submission__enrolment=new).update(enrolment=new)
    rows_written.send(sender=Outcome, cohort_ids={old.cohort_id, new.cohort_id})
    for decisions in (EligibilityException.objects, DeadlineExtension.objects):
        decisions.filter(enrolment=old, window__in=windows).update(enrolment=new)
    return moved


# ---- Allocating, marking and moderating ----


def _refuse_unless_assessor(user: User) -> None:
    if not user.has_perm("assessment.mark_submission"):
        raise ValidationError(f"{user} is not an assessor: give them the assessor role first.")


@dataclass(frozen=True)
class Allocation:
    """What one allocation run did."""

    first_marks: int
    second_marks: int
    # Moderation that could not be given to anyone: the only assessors chosen marked it first.
    left_waiting: int


def _unmarked_load(*, window: AssessmentWindow, assessors: list[User]) -> Counter:
    """Each assessor's work still to mark in the window; voided work is nobody's load."""
    counts = (
        Marking.objects.live()
        .filter(submission__window=window, result="", assessor__in=assessors)
        .values("assessor_id")
        .annotate(n=Count("pk"))
    )
    return Counter({row["assessor_id"]: row["n"] for row in counts})


@transaction.atomic
def markings_allocate(*, window: AssessmentWindow, assessors: list[User], by: User) -> Allocation:
    """Share a window's unallocated submissions, and the first marks waiting for moderation,
    among `assessors`: each goes to whoever has least unmarked work in the window, and a
    second mark never goes to the assessor who gave the first. Safe to run again: it only
    allocates what is not yet allocated.

    Raises ValidationError with no assessors chosen, or someone who is not an assessor.
    """
    if not assessors:
        raise ValidationError("Choose at least one assessor to allocate to.")
    for assessor in assessors:
        _refuse_unless_assessor(assessor)
    # Two leads allocating the same window at once take turns.
    AssessmentWindow.objects.select_for_update().get(pk=window.pk)
    load = _unmarked_load(window=window, assessors=assessors)
    now = timezone.now()

    def least_loaded(choices: list[User]) -> User:
        return min(choices, key=lambda person: (load[person.pk], assessors.index(person)))

    def allocate(submission_id: int, stage: str, choices: list[User]) -> Marking:
        assessor = least_loaded(choices)
        load[assessor.pk] += 1
        return Marking(
            submission_id=submission_id,
            stage=stage,
            assessor=assessor,
            allocated_by=by,
            allocated_at=now,
        )

    live = Submission.objects.filter(window=window, status=Submission.Status.SUBMITTED)
    unallocated = live.exclude(
        Exists(Marking.objects.filter(submission=OuterRef("pk"), stage=Marking.Stage.FIRST))
    ).order_by("submitted_at", "pk")
    new = [
        allocate(pk, Marking.Stage.FIRST, assessors)
        for pk in unallocated.values_list("pk", flat=True)
    ]
    firsts = len(new)

    waiting = 0
    to_moderate = (
        Marking.objects.filter(submission__in=live, stage=Marking.Stage.FIRST)
        .exclude(moderation="")
        .exclude(
            Exists(
                Marking.objects.filter(
                    submission=OuterRef("submission"), stage=Marking.Stage.SECOND
                )
            )
        )
        .order_by("marked_at", "pk")
    )
    for first in to_moderate:
        others = [person for person in assessors if person.pk != first.assessor_id]
        if not others:
            waiting += 1
            continue
        new.append(allocate(first.submission_id, Marking.Stage.SECOND, others))
    Marking.objects.bulk_create(new)
    logger.info("Window %s: allocated %s markings", window.pk, len(new))
    return Allocation(first_marks=firsts, second_marks=len(new) - firsts, left_waiting=waiting)


@transaction.atomic
def marking_allocate(*, submission: Submission, stage: str, assessor: User, by: User) -> Marking:
    """Give one submission's first or second mark to an assessor (or move it to another
    before it is marked).

    Raises ValidationError for a voided submission, a mark already given, a second mark that
    is not needed yet, or the first assessor as the second.
    """
    _refuse_unless_assessor(assessor)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != Submission.Status.SUBMITTED:
        raise ValidationError("Only submitted work can be marked; this was not submitted.")
    markings = {marking.stage: marking for marking in submission.markings.all()}
    if stage == Marking.Stage.SECOND:
        first = markings.get(Marking.Stage.FIRST)
        if first is None or not first.moderation:
            raise ValidationError(
                "A second mark is needed only once the first mark sends it to moderation."
            )
        if first.assessor_id == assessor.pk:
            raise ValidationError(
                "The assessor who gave the first mark cannot moderate it: choose someone else."
            )
    current = markings.get(stage)
    if current is not None and current.result:
        raise ValidationError(
            f"{current.get_stage_display()} was given at {when(current.marked_at)}: it can no "
            "longer be moved."
        )
    if current is None:
        current = Marking(submission=submission, stage=stage)
    current.assessor = assessor
    current.allocated_by = by
    current.allocated_at = timezone.now()
    current.save()
    return current


def _moderation_needed(marking: Marking) -> str:
    """Why a first mark goes to a second assessor: every fail, and each assessor's first pass
    in a window and every Nth after (settings.ASSESSMENT["moderation_sample_every"])."""
    if marking.result == Marking.Result.FAIL:
        return Marking.Moderation.FAIL
    earlier_passes = (
        Marking.objects.filter(
            submission__window_id=marking.submission.window_id,
            assessor_id=marking.assessor_id,
            stage=Marking.Stage.FIRST,
            result=Marking.Result.PASS,
        )
        .exclude(pk=marking.pk)
        .count()
    )
    every = settings.ASSESSMENT["moderation_sample_every"]
    return Marking.Moderation.SAMPLE if earlier_passes % every == 0 else ""


@transaction.atomic
def marking_record(
    *, marking: Marking, result: str, feedback: str, by: User, criteria_met: Sequence[str] = ()
) -> Marking:
    """Record an assessor's pass or fail, against the programme's criteria, with feedback.
    A first mark that is not moderated, or a second mark that agrees with the first, makes
    the outcome; a second mark that disagrees waits for a programme lead.

    Raises ValidationError when it is someone else's, already marked, voided, without
    feedback, or a pass that does not meet every criterion.
    """
    marking = (
        Marking.objects.select_for_update()
        .select_related("submission__window__programme", "submission__enrolment")
        .get(pk=marking.pk)
    )
    if marking.assessor_id != by.pk:
        raise ValidationError("This submission is allocated to another assessor.")
    if marking.result:
        raise ValidationError(
            f"You marked this at {when(marking.marked_at)}; it has not been changed.",
            code="already_marked",
        )
    submission = marking.submission
    if submission.status != Submission.Status.SUBMITTED:
        raise ValidationError(
            "This submission was voided, so it is not marked"
            + (f": {submission.void_reason}" if submission.void_reason else ".")
        )
    if result not in Marking.Result.values:
        raise ValidationError("Choose pass or fail.")
    feedback = feedback.strip()
    if not feedback:
        raise ValidationError("Write feedback: the participant reads it with their result.")
    criteria = submission.window.programme.assessment_criteria_list
    unknown = [criterion for criterion in criteria_met if criterion not in criteria]
    if unknown:
        raise ValidationError(f"Not one of this programme's criteria: {unknown[0]}")
    if result == Marking.Result.PASS and len(set(criteria_met)) < len(criteria):
        raise ValidationError(
            "A pass needs every criterion met: tick each criterion the work meets, or mark "
            "it as a fail."
        )
    marking.result = result
    marking.criteria_met = [criterion for criterion in criteria if criterion in criteria_met]
    marking.feedback = feedback
    marking.marked_at = timezone.now()
    if marking.stage == Marking.Stage.FIRST:
        marking.moderation = _moderation_needed(marking)
    marking.save()
    if marking.stage == Marking.Stage.FIRST and not marking.moderation:
        _outcome_make(
            submission=submission,
            result=result,
            basis=Outcome.Basis.FIRST_MARK,
            feedback=feedback,
            by=by,
        )
    elif marking.stage == Marking.Stage.SECOND:
        first = submission.markings.get(stage=Marking.Stage.FIRST)
        if first.result == result:
            _outcome_make(
                submission=submission,
                result=result,
                basis=Outcome.Basis.AGREED,
                feedback=first.feedback,
                by=by,
            )
    return marking


@transaction.atomic
def marking_resolve(
    *, submission: Submission, result: str, feedback: str, reason: str, by: User
) -> Outcome:
    """A programme lead decides a submission its two assessors disagreed on.

    Raises ValidationError when the assessors have not both marked it, they agree, it is
    already decided, the lead marked it themselves, or feedback or the reason is missing.
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    markings = {marking.stage: marking for marking in submission.markings.all()}
    first, second = markings.get(Marking.Stage.FIRST), markings.get(Marking.Stage.SECOND)
    if first is None or second is None or not first.result or not second.result:
        raise ValidationError("Both assessors must mark it before a lead can decide it.")
    if Outcome.objects.filter(submission=submission).exists():
        raise ValidationError("Its outcome is already decided.")
    if first.result == second.result:
        raise ValidationError("The assessors agree: there is nothing to resolve.")
    if by.pk in {first.assessor_id, second.assessor_id}:
        raise ValidationError("You marked this submission, so another lead must resolve it.")
    if result not in Marking.Result.values:
        raise ValidationError("Choose pass or fail.")
    feedback, reason = feedback.strip(), reason.strip()
    if not feedback:
        raise ValidationError("Write the feedback the participant will read with their result.")
    if not reason:
        raise ValidationError("Say why you decided it this way: it is kept with the outcome.")
    return _outcome_make(
        submission=submission,
        result=result,
        basis=Outcome.Basis.RESOLVED,
        feedback=feedback,
        by=by,
        reason=reason,
    )


# ---- Outcomes and their release ----


def _outcome_make(
    *, submission: Submission, result: str, basis: str, feedback: str, by: User, reason: str = ""
) -> Outcome:
    """The outcome of a marked submission, released at once if the results date has passed.
    A place withdrawn meanwhile gets a voided outcome: nobody is told a result."""
    enrolment = Enrolment.objects.get(pk=submission.enrolment_id)
    if enrolment.was_withdrawn():
        outcome_result = Outcome.Result.VOIDED
        reason = reason or "The participant withdrew before the result was released."
    elif result == Marking.Result.PASS:
        outcome_result = Outcome.Result.PASSED
    else:
        outcome_result = Outcome.Result.FAILED
    outcome = Outcome.objects.create(
        submission=submission,
        enrolment=enrolment,
        window_id=submission.window_id,
        attempt=submission.attempt,
        result=outcome_result,
        basis=basis,
        feedback=feedback,
        reason=reason,
        decided_by=by,
    )
    window = AssessmentWindow.objects.get(pk=submission.window_id)
    if outcome_result != Outcome.Result.VOIDED and window.results_release_at <= timezone.now():
        _outcome_release(outcome)
    return outcome


def _outcome_release(outcome: Outcome) -> None:
    """Show the result to the participant, record it on their place (a pass completes it),
    and email them."""
    from .tasks import outcome_send_result_task

    outcome.released_at = timezone.now()
    outcome.save(update_fields=["released_at", "updated_at"])
    # A place transferred since the work was sent: the result belongs where they are now.
    enrolment = enrolment_record_assessment(
        enrolment=outcome.enrolment.current_place(), result=outcome.result, by=None
    )
    outbox_enqueue(outcome_send_result_task, outcome.pk)
    outcome_released.send(sender=Outcome, outcome=outcome, enrolment=enrolment)


def outcomes_release_due(*, now: datetime.datetime | None = None) -> int:
    """Release every decided outcome whose window's results date has come; returns how many.
    Each is released in its own transaction, so a rerun finds only what is left."""
    now = now or timezone.now()
    due = list(
        Outcome.objects.filter(released_at__isnull=True, window__results_release_at__lte=now)
        .exclude(result=Outcome.Result.VOIDED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    released = 0
    for pk in due:
        with transaction.atomic():
            outcome = (
                Outcome.objects.select_for_update()
                .select_related("enrolment")
                .filter(pk=pk, released_at__isnull=True)
                .exclude(result=Outcome.Result.VOIDED)
                .first()
            )
            if outcome is None:  # released or voided meanwhile
                continue
            _outcome_release(outcome)
            released += 1
    if released:
        logger.info("Released %s assessment outcomes", released)
    return released


def outcome_send_result(*, outcome: Outcome) -> None:
    """Email a participant that their result is out (what it is is on the portal, behind
    their sign-in: an email is not the place for it)."""
    if outcome.released_at is None or outcome.result == Outcome.Result.VOIDED:
        return
    person = outcome.enrolment.participant
    email_send_once(
        to=person.email,
        kind="assessment_result",
        about=outcome,
        occasion="released",
        context={
            "person": person,
            "window": outcome.window,
            "programme": outcome.window.programme,
            "assessment_url": settings.SITE_URL
            + reverse("assessment:assessment-detail", args=[outcome.window_id]),
        },
    )
