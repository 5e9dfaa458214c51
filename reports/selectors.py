"""The rows of each export: the same querysets and selectors as the list each comes from,
scoped to the person by the same for_user() methods, so an export holds exactly the rows of
the filtered list. Each reader counts its rows and then loads them in batches, in a fixed
number of queries a batch however many rows there are.

A filter naming something out of the person's scope (another facilitator's cohort, a window
they cannot see) raises that model's DoesNotExist, which the views turn into a 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from assessment.models import AssessmentWindow, Outcome
from assessment.selectors import (
    ParticipantRow,
    window_cohorts,
    window_participant_rows,
    window_places,
)
from cohorts.forms import CohortFilterForm
from cohorts.models import Cohort
from participants.models import Application, Enrolment, Subscriber
from participants.participation import Participation
from participants.selectors import (
    enrolments_participation,
    grid_enrolments,
    participation_facts,
    progress_rows,
    progress_rows_shown,
)

# Rows loaded from the database at a time (and participation worked out for) in a long export.
BATCH_SIZE = 500
COHORT_LIST_FILTERS = ("programme", "academic_year", "status", "partner")


@dataclass
class ExportRows:
    """How many rows an export has, and the rows themselves, loaded as they are read."""

    total: int
    rows: Iterable[Any]


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of up to `size` items in turn (itertools.batched arrives in Python 3.12)."""
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def _pk(value: Any, model) -> int:
    """A primary key from a filter; anything else is as missing as a row that is not there."""
    text = str(value or "")
    if not text.isdigit():
        raise model.DoesNotExist(f"No {model._meta.verbose_name} {text!r}.")
    return int(text)


# ---- Applications and funding decisions: the review queue, and My school ----


def _applications(*, user, filters: Mapping[str, str]):
    applications = Application.objects.for_user(user).sent().matching(filters)
    if filters.get("schools") == "mine":
        return applications.from_schools_led_by(user).in_school_order()
    return applications.in_review_order()


def applications_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The applications of the review queue (or of My school, with schools=mine) for these
    filters, with each one's places."""
    applications = (
        _applications(user=user, filters=filters)
        .select_related("applicant", "cohort__programme", "school", "funding_decision")
        .prefetch_related(
            Prefetch(
                "enrolments",
                queryset=Enrolment.objects.select_related("cohort").order_by("created_at", "pk"),
            )
        )
    )
    return ExportRows(applications.count(), applications.iterator(chunk_size=BATCH_SIZE))


def funding_decisions_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The funding decision of each application in the review queue for these filters (those
    sent before funding was worked out have none, and are left out)."""
    applications = (
        _applications(user=user, filters={**filters, "schools": ""})
        .filter(funding_decision__isnull=False)
        .select_related(
            "applicant",
            "cohort__programme",
            "school",
            "funding_decision__decided_by",
            "funding_decision__overridden_by",
        )
    )
    return ExportRows(applications.count(), applications.iterator(chunk_size=BATCH_SIZE))


# ---- Places ----


@dataclass(frozen=True)
class PlaceRow:
    enrolment: Enrolment
    participation: Participation


def enrolments_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """Places: in the cohorts the cohort list shows for its filters, in one cohort
    (cohort=<id>), or of My school's applicants (schools=mine); with participation so far."""
    places = Enrolment.objects.for_user(user)
    if filters.get("schools") == "mine":
        led = Application.objects.from_schools_led_by(user).sent()
        places = places.filter(application__in=led).order_by(
            "application__school__name", "participant__last_name", "participant__first_name", "pk"
        )
    else:
        places = places.filter(cohort__in=_listed_cohorts(user=user, filters=filters)).order_by(
            "cohort_id", "participant__last_name", "participant__first_name", "pk"
        )
    places = places.select_related(
        "participant",
        "cohort__programme",
        "cohort__delivery_partner",
        "application__school",
    )

    def rows() -> Iterator[PlaceRow]:
        for batch in batched(places.iterator(chunk_size=BATCH_SIZE), BATCH_SIZE):
            figures = enrolments_participation(enrolments=batch)
            for place in batch:
                yield PlaceRow(place, figures[place.pk])

    return ExportRows(places.count(), rows())


def _listed_cohorts(*, user, filters: Mapping[str, str]):
    """The cohorts a list of cohorts shows: one (cohort=<id>, from its own pages), or those
    the cohort list shows for its filters."""
    scoped = Cohort.objects.for_user(user)
    if filters.get("cohort"):
        return scoped.filter(pk=scoped.get(pk=_pk(filters["cohort"], Cohort)).pk)
    form = CohortFilterForm.for_cohorts(
        {key: filters[key] for key in COHORT_LIST_FILTERS if filters.get(key)}, cohorts=scoped
    )
    return form.filter(scoped)


# ---- Attendance: the cohort grid, one line per place and session ----


@dataclass(frozen=True)
class AttendanceRow:
    cohort: Cohort
    enrolment: Enrolment
    participation: Participation
    at_risk: bool
    session: Any
    mark: str  # "" where no mark was recorded

    @property
    def mark_label(self) -> str:
        from participants.models import Attendance

        if self.mark:
            return Attendance.Mark(self.mark).label
        return "Not yet" if self.session.starts_at > timezone.now() else "Not recorded"


def attendance_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The cohort grid of one cohort (cohort=<id>, with its show=at-risk filter), or of the
    cohorts the cohort list shows for its filters: one line per place and session."""
    cohorts = {
        cohort.pk: cohort
        for cohort in _listed_cohorts(user=user, filters=filters).select_related("programme")
    }
    enrolments = list(grid_enrolments(cohorts=list(cohorts.values())))
    facts = participation_facts(enrolments)
    shown = progress_rows_shown(
        progress_rows(enrolments=enrolments, facts=facts), show=filters.get("show", "")
    )
    lines = [
        AttendanceRow(
            cohort=cohorts[row.enrolment.cohort_id],
            enrolment=row.enrolment,
            participation=row.participation,
            at_risk=row.at_risk,
            session=session,
            mark=mark,
        )
        for row in shown
        for session, mark in zip(facts.sessions[row.enrolment.cohort_id], row.marks, strict=True)
    ]
    return ExportRows(len(lines), lines)


# ---- Assessment outcomes: a window's participants ----


@dataclass(frozen=True)
class OutcomeRow:
    window: AssessmentWindow
    row: ParticipantRow
    outcome: Outcome | None


def outcomes_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """A window's participants as its staff page lists them, for one of its cohorts
    (cohort=<id>) or every cohort it covers that the person may see, with each one's
    eligibility, submission and outcome."""
    window = (
        AssessmentWindow.objects.for_user(user)
        .select_related("programme")
        .get(pk=_pk(filters.get("window"), AssessmentWindow))
    )
    cohorts = window_cohorts(window=window, user=user)
    if filters.get("cohort"):
        cohorts = cohorts.filter(pk=cohorts.get(pk=_pk(filters["cohort"], Cohort)).pk)
    places = window_places(cohorts=cohorts).select_related("cohort__programme")

    def rows() -> Iterator[OutcomeRow]:
        for batch in batched(places.iterator(chunk_size=BATCH_SIZE), BATCH_SIZE):
            participant_rows = window_participant_rows(window=window, enrolments=batch)
            submitted = [row.submission.pk for row in participant_rows if row.submission]
            outcomes = {
                outcome.submission_id: outcome
                for outcome in Outcome.objects.filter(submission__in=submitted)
            }
            for row in participant_rows:
                outcome = outcomes.get(row.submission.pk) if row.submission else None
                yield OutcomeRow(window, row, outcome)

    return ExportRows(places.count(), rows())


# ---- The mailing list ----


def subscribers_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """Confirmed subscribers, of everything or of one programme (programme=<slug>), by name."""
    subscribers = Subscriber.objects.confirmed().select_related("school")
    if filters.get("programme"):
        subscribers = subscribers.filter(programmes__slug=filters["programme"])
    subscribers = subscribers.order_by("last_name", "first_name", "pk")
    return ExportRows(subscribers.count(), subscribers.iterator(chunk_size=BATCH_SIZE))
