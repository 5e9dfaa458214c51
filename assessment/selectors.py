"""Reads across models for the assessment: eligibility, deadlines, attempts, staff tables."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

from participants.models import Enrolment
from participants.participation import Participation
from participants.selectors import enrolment_participation, enrolments_participation

from .models import AssessmentWindow, DeadlineExtension, EligibilityException, Submission


@dataclass(frozen=True)
class Eligibility:
    """Whether a participant may open and submit in a window, and why, in plain English."""

    allowed: bool
    reason: str
    participation: Participation | None
    exception: EligibilityException | None = None


def participation_threshold() -> int:
    return settings.ASSESSMENT["participation_threshold"]


def eligibility_decide(
    *,
    enrolment: Enrolment,
    participation: Participation | None,
    exception: EligibilityException | None,
) -> Eligibility:
    """The gate, from facts already loaded (the staff table decides many at once)."""
    threshold = participation_threshold()
    contact = settings.HUB_CONTACT_EMAIL
    if enrolment.status != Enrolment.Status.ACTIVE:
        return Eligibility(
            False,
            f"Your place is {enrolment.get_status_display().lower()}, so you cannot take the "
            f"assessment: only participants with an active place can submit. If that is wrong, "
            f"contact the hub at {contact}.",
            participation,
            exception,
        )
    figure = participation.so_far_percent if participation else None
    if exception is not None:
        return Eligibility(
            True,
            "The hub has agreed that you may take the assessment"
            + (f" (your participation so far is {figure}%)." if figure is not None else "."),
            participation,
            exception,
        )
    if participation is None or participation.meets(threshold):
        if figure is None:
            reason = (
                "Nothing has been due yet, so you meet the "
                f"{threshold}% participation needed to take the assessment."
            )
        else:
            reason = (
                f"Your participation so far is {figure}%, which meets the {threshold}% "
                "needed to take the assessment."
            )
        return Eligibility(True, reason, participation, exception)
    return Eligibility(
        False,
        f"Your participation so far is {figure}%; you need at least {threshold}% to take the "
        "assessment. To reach it, attend the remaining sessions and finish the study and "
        "application phases of your modules. If something has kept you from taking part, ask "
        f"the hub at {contact} about an exception.",
        participation,
        exception,
    )


def assessment_eligibility(*, enrolment: Enrolment, window: AssessmentWindow) -> Eligibility:
    """Whether this participant may open and submit in this window, with the reason."""
    exception = EligibilityException.objects.filter(window=window, enrolment=enrolment).first()
    return eligibility_decide(
        enrolment=enrolment,
        participation=enrolment_participation(enrolment),
        exception=exception,
    )


def assessment_deadline(
    *, enrolment: Enrolment, window: AssessmentWindow
) -> tuple[datetime.datetime, DeadlineExtension | None]:
    """When this participant must submit by: the window's close, or their extension's end."""
    extension = DeadlineExtension.objects.filter(window=window, enrolment=enrolment).first()
    if extension is not None and extension.until > window.closes_at:
        return extension.until, extension
    return window.closes_at, extension


def assessment_attempt_number(*, enrolment: Enrolment, window: AssessmentWindow) -> int:
    """Which attempt a submission in this window is: 1, or 2 after an earlier attempt.

    There is no Outcome yet, so every earlier submitted (not voided) submission of this
    participant on this programme, in a window that opened before this one, counts as an
    attempt used. Places in other cohorts count too, so a transfer keeps its attempts.
    When Outcome lands, this is the one place to change: count failed outcomes, and refuse
    (in submission_submit) a further attempt after a pass.
    """
    earlier = Submission.objects.filter(
        enrolment__participant_id=enrolment.participant_id,
        window__programme_id=window.programme_id,
        window__opens_at__lt=window.opens_at,
        status=Submission.Status.SUBMITTED,
    ).exclude(window=window)
    return 1 + earlier.count()


def assessment_enrolment(*, user, window: AssessmentWindow) -> Enrolment | None:
    """The place through which this person takes part in this window: the one that already
    has a submission there, else an active one, else their latest."""
    enrolments = (
        Enrolment.objects.filter(participant=user, cohort__programme_id=window.programme_id)
        .select_related("cohort__programme")
        .annotate(
            has_submission=Exists(
                Submission.objects.filter(enrolment=OuterRef("pk"), window=window)
            ),
            is_active=Case(
                When(status=Enrolment.Status.ACTIVE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-has_submission", "-is_active", "-created_at", "-pk")
    )
    if window.cohort_id:
        enrolments = enrolments.filter(cohort_id=window.cohort_id)
    return enrolments.first()


@dataclass(frozen=True)
class ParticipantRow:
    """One participant on a window's staff page."""

    enrolment: Enrolment
    participation: Participation
    eligibility: Eligibility
    submission: Submission | None
    extension: DeadlineExtension | None


def window_participant_rows(
    *, window: AssessmentWindow, enrolments: list[Enrolment]
) -> list[ParticipantRow]:
    """Participation, eligibility, submission and extension of each of `enrolments`, in a
    fixed number of queries however many there are."""
    enrolments = list(enrolments)
    ids = [enrolment.pk for enrolment in enrolments]
    participation = enrolments_participation(enrolments=enrolments)
    exceptions = {
        e.enrolment_id: e
        for e in EligibilityException.objects.filter(window=window, enrolment_id__in=ids)
    }
    extensions = {
        e.enrolment_id: e
        for e in DeadlineExtension.objects.filter(window=window, enrolment_id__in=ids)
    }
    submissions = {
        s.enrolment_id: s for s in Submission.objects.filter(window=window, enrolment_id__in=ids)
    }
    return [
        ParticipantRow(
            enrolment=enrolment,
            participation=participation[enrolment.pk],
            eligibility=eligibility_decide(
                enrolment=enrolment,
                participation=participation[enrolment.pk],
                exception=exceptions.get(enrolment.pk),
            ),
            submission=submissions.get(enrolment.pk),
            extension=extensions.get(enrolment.pk),
        )
        for enrolment in enrolments
    ]
