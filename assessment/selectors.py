"""Reads across models for the assessment: eligibility, deadlines, attempts, staff tables."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cohorts.models import Cohort
from npq_portal.models import User
from npq_portal.roles import ROLE_SPECS, Role
from participants.models import Enrolment
from participants.participation import Participation
from participants.selectors import (
    enrolment_participation,
    enrolments_participation,
    participation_threshold,
)

from .models import (
    AssessmentWindow,
    DeadlineExtension,
    EligibilityException,
    Marking,
    Outcome,
    Submission,
)


@dataclass(frozen=True)
class Eligibility:
    """Whether a participant may open and submit in a window, and why, in plain English."""

    allowed: bool
    reason: str
    participation: Participation | None
    exception: EligibilityException | None = None
    attempt: int = 1
    # Only a participation shortfall can be waived: attempts and an inactive place cannot.
    exception_can_lift: bool = False


def when(moment: datetime.datetime) -> str:
    """A time as people read it in the UK, e.g. "14:02 on 3 June 2028"."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def eligibility_decide(
    *,
    enrolment: Enrolment,
    participation: Participation | None,
    exception: EligibilityException | None,
    attempt: Attempt | None = None,
) -> Eligibility:
    """The gate, from facts already loaded (the staff table decides many at once)."""
    threshold = participation_threshold()
    contact = settings.HUB_CONTACT_EMAIL
    attempt = attempt or Attempt(1)
    if attempt.refusal:
        return Eligibility(False, attempt.refusal, participation, exception, attempt.number)
    eligibility = _eligibility_by_place(enrolment, participation, exception, threshold, contact)
    return dataclasses.replace(eligibility, attempt=attempt.number)


def _eligibility_by_place(enrolment, participation, exception, threshold, contact) -> Eligibility:
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
        exception_can_lift=True,
    )


def assessment_eligibility(*, enrolment: Enrolment, window: AssessmentWindow) -> Eligibility:
    """Whether this participant may open and submit in this window, with the reason."""
    exception = EligibilityException.objects.filter(window=window, enrolment=enrolment).first()
    return eligibility_decide(
        enrolment=enrolment,
        participation=enrolment_participation(enrolment),
        exception=exception,
        attempt=assessment_attempt(enrolment=enrolment, window=window),
    )


def assessment_deadline(
    *, enrolment: Enrolment, window: AssessmentWindow
) -> tuple[datetime.datetime, DeadlineExtension | None]:
    """When this participant must submit by: the window's close, or their extension's end."""
    extension = DeadlineExtension.objects.filter(window=window, enrolment=enrolment).first()
    if extension is not None and extension.until > window.closes_at:
        return extension.until, extension
    return window.closes_at, extension


@dataclass(frozen=True)
class Attempt:
    """Which attempt a submission in a window would be, or why there is none to take."""

    number: int
    refusal: str = ""


def _outcome_of(submission: Submission):
    try:
        return submission.outcome
    except ObjectDoesNotExist:
        return None


def attempt_decide(*, earlier: list[Submission]) -> Attempt:
    """The attempt available from a person's earlier submitted work on the programme (each
    with its window and outcome loaded, oldest first). The latest outcome stands: a pass ends
    the assessment, a fail allows the next attempt up to settings.ASSESSMENT["max_attempts"],
    and a voided one does not count."""
    used = 0
    for submission in earlier:
        outcome = _outcome_of(submission)
        if outcome is not None and outcome.result == outcome.Result.VOIDED:
            continue
        used += 1
        if outcome is None or outcome.released_at is None:
            return Attempt(
                used + 1,
                f"Your attempt in {submission.window} has not had its result yet (results are "
                f"released at {when(submission.window.results_release_at)}). You can take "
                "another attempt only if it does not pass.",
            )
        if outcome.result == outcome.Result.PASSED:
            return Attempt(
                used + 1,
                f"You passed the assessment in {submission.window}: there is nothing more to "
                "submit.",
            )
    limit = settings.ASSESSMENT["max_attempts"]
    if used >= limit:
        return Attempt(
            used + 1,
            f"You have used all {limit} attempts at this assessment, so you cannot submit "
            f"again. Contact the hub at {settings.HUB_CONTACT_EMAIL} to talk about what next.",
        )
    return Attempt(used + 1)


def _earlier_submitted(*, participant_ids, window: AssessmentWindow):
    """Submitted work on the window's programme in windows that opened before it."""
    return (
        Submission.objects.filter(
            enrolment__participant_id__in=participant_ids,
            window__programme_id=window.programme_id,
            window__opens_at__lt=window.opens_at,
            status=Submission.Status.SUBMITTED,
        )
        .exclude(window=window)
        .select_related("window", "outcome", "enrolment")
        .order_by("window__opens_at", "pk")
    )


def assessment_attempt(*, enrolment: Enrolment, window: AssessmentWindow) -> Attempt:
    """Which attempt this participant's submission in this window is, or why they have none.

    Counted across all their places on the programme, so a transfer keeps its attempts.
    """
    return attempts_by_participant(enrolments=[enrolment], window=window)[enrolment.participant_id]


def attempts_by_participant(
    *, enrolments: list[Enrolment], window: AssessmentWindow
) -> dict[int, Attempt]:
    """assessment_attempt for many places at once, in one query, keyed by participant id."""
    participant_ids = {enrolment.participant_id for enrolment in enrolments}
    earlier: dict[int, list[Submission]] = {pk: [] for pk in participant_ids}
    for submission in _earlier_submitted(participant_ids=participant_ids, window=window):
        earlier[submission.enrolment.participant_id].append(submission)
    return {pk: attempt_decide(earlier=work) for pk, work in earlier.items()}


def assessment_attempt_after(*, enrolment: Enrolment, window: AssessmentWindow) -> Attempt:
    """Whether this participant may take another attempt at the window's programme now that
    their work here has its result, or why not (no attempts left, a later attempt waiting
    for its result, a pass): all their submitted work on the programme counts."""
    work = (
        Submission.objects.filter(
            enrolment__participant_id=enrolment.participant_id,
            window__programme_id=window.programme_id,
            status=Submission.Status.SUBMITTED,
        )
        .select_related("window", "outcome")
        .order_by("window__opens_at", "pk")
    )
    return attempt_decide(earlier=list(work))


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


def window_cohorts(*, window: AssessmentWindow, user):
    """The cohorts whose participants a window's staff page lists: the window's own cohort,
    or for a programme-wide window every cohort of the programme the person may see."""
    if window.cohort_id:
        return Cohort.objects.filter(pk=window.cohort_id).select_related("programme")
    return (
        Cohort.objects.for_user(user)
        .filter(programme_id=window.programme_id)
        .select_related("programme")
    )


def window_places(*, cohorts):
    """The places a window's staff page lists for `cohorts`: everyone but the deferred,
    cohort by cohort, by surname."""
    return (
        Enrolment.objects.filter(cohort__in=cohorts)
        .exclude(status=Enrolment.Status.DEFERRED)
        .select_related("participant")
        .order_by("cohort_id", "participant__last_name", "participant__first_name", "pk")
    )


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
    attempts = attempts_by_participant(enrolments=enrolments, window=window)
    return [
        ParticipantRow(
            enrolment=enrolment,
            participation=participation[enrolment.pk],
            eligibility=eligibility_decide(
                enrolment=enrolment,
                participation=participation[enrolment.pk],
                exception=exceptions.get(enrolment.pk),
                attempt=attempts[enrolment.participant_id],
            ),
            submission=submissions.get(enrolment.pk),
            extension=extensions.get(enrolment.pk),
        )
        for enrolment in enrolments
    ]


# ---- Marking: where each submission in a window has got to ----


def assessors_active() -> QuerySet[User]:
    """The people work can be allocated to: assessors who may sign in, by first name."""
    return User.objects.filter(
        groups__name=ROLE_SPECS[Role.ASSESSOR].group_name, is_active=True
    ).order_by("first_name", "last_name", "email")


MARKING_STATES = {
    "unallocated": "Not yet allocated",
    "marking": "With an assessor",
    "moderation": "Waiting for a second assessor",
    "disagreement": "Assessors disagree: a lead decides",
    "decided": "Outcome decided",
}


def _marking_state_filters() -> dict[str, Q]:
    live = Q(status=Submission.Status.SUBMITTED)
    return {
        "unallocated": live & Q(has_first=False),
        "marking": live
        & Q(has_outcome=False)
        & ((Q(has_first=True) & Q(first_result="")) | (Q(has_second=True) & Q(second_result=""))),
        "moderation": live & Q(has_first=True) & ~Q(first_moderation="") & Q(has_second=False),
        "disagreement": Q(has_outcome=False)
        & ~Q(first_result="")
        & ~Q(second_result="")
        & ~Q(first_result=F("second_result")),
        "decided": Q(has_outcome=True),
    }


def window_marking_submissions(*, window: AssessmentWindow, state: str = ""):
    """A window's sent work (not drafts), oldest first, each annotated with `marking_state`
    (a MARKING_STATES key, or "voided"); only those in `state` when one is given."""
    first = Marking.objects.filter(submission=OuterRef("pk"), stage=Marking.Stage.FIRST)
    second = Marking.objects.filter(submission=OuterRef("pk"), stage=Marking.Stage.SECOND)
    submissions = (
        Submission.objects.filter(window=window)
        .exclude(status=Submission.Status.DRAFT)
        .annotate(
            has_first=Exists(first),
            first_result=Coalesce(Subquery(first.values("result")[:1]), Value("")),
            first_moderation=Coalesce(Subquery(first.values("moderation")[:1]), Value("")),
            has_second=Exists(second),
            second_result=Coalesce(Subquery(second.values("result")[:1]), Value("")),
            has_outcome=Exists(Outcome.objects.filter(submission=OuterRef("pk"))),
        )
        .annotate(
            marking_state=Case(
                *(
                    When(condition, then=Value(name))
                    for name, condition in _marking_state_filters().items()
                ),
                default=Value("voided"),
                output_field=CharField(),
            )
        )
        .order_by("submitted_at", "pk")
    )
    if state:
        submissions = submissions.filter(marking_state=state)
    return submissions


def window_marking_counts(*, window: AssessmentWindow) -> dict[str, int]:
    """How many of a window's sent submissions are in each marking state, in one query."""
    counts = dict.fromkeys(MARKING_STATES, 0)
    rows = (
        window_marking_submissions(window=window)
        .order_by()
        .values("marking_state")
        .annotate(n=Count("pk"))
    )
    counts.update({row["marking_state"]: row["n"] for row in rows})
    counts.pop("voided", None)
    counts["total"] = sum(counts.values())
    return counts


@dataclass(frozen=True)
class MarkingRow:
    """One submission on a window's marking page."""

    submission: Submission
    first: Marking | None
    second: Marking | None
    outcome: Outcome | None


def window_marking_rows(*, submissions) -> list[MarkingRow]:
    """The page's rows, with both marks, their assessors and the outcome, in two queries."""
    submissions = list(
        submissions.select_related("enrolment__participant", "outcome").prefetch_related(
            Prefetch("markings", queryset=Marking.objects.select_related("assessor"))
        )
    )
    rows = []
    for submission in submissions:
        markings = {marking.stage: marking for marking in submission.markings.all()}
        rows.append(
            MarkingRow(
                submission=submission,
                first=markings.get(Marking.Stage.FIRST),
                second=markings.get(Marking.Stage.SECOND),
                outcome=_outcome_of(submission),
            )
        )
    return rows
