"""Reads for the reports: DfE milestones per place, a school leader's participants and
termly summary, and the rows of each export. Each loads its facts in a fixed number of
queries, however many rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.db.models import Min, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from applications.models import Application
from assessment.models import AssessmentWindow, Outcome
from assessment.selectors import (
    ParticipantRow,
    window_cohorts,
    window_participant_rows,
    window_places,
)
from cohorts.forms import CohortFilterForm
from cohorts.models import Cohort, Session
from mailing_list.models import Subscriber
from npq_portal.numbers import whole_number
from participants.models import Attendance, Charge, Enrolment, EnrolmentEvent, ModulePhaseDone
from participants.participation import ATTENDED, EXCUSED, Participation
from participants.selectors import (
    enrolments_participation,
    grid_enrolments,
    participation_facts,
    participation_of,
    progress_rows,
    progress_rows_shown,
)
from schools.models import School, SchoolLeadership

from .engagement import engagement_roster, roster_choice
from .grants import grant_claims
from .milestones import (
    Milestone,
    MilestoneFacts,
    MilestoneRules,
    MilestoneStatus,
    evidence_days,
    milestone_schedule,
    milestone_status,
)
from .terms import Term

# ---- DfE milestones ----


def milestone_rules() -> MilestoneRules:
    """The milestone rules as the MILESTONES setting has them (reports/milestones.py)."""
    return MilestoneRules.from_setting(getattr(settings, "MILESTONES", None))


def stopped_at_annotation() -> Subquery:
    """When a place last moved to the status it has (for a withdrawn or deferred place, when
    it stopped), as an annotation."""
    return Subquery(
        EnrolmentEvent.objects.filter(enrolment=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )


# The order the milestone page lists places in: newest school year first, each cohort's by name.
MILESTONE_ORDER = (
    "-cohort__academic_year",
    "cohort__starts_on",
    "cohort__name",
    "cohort_id",
    "participant__last_name",
    "participant__first_name",
    "pk",
)


def milestone_enrolments(*, user) -> QuerySet:
    """The places of DfE-funded programmes (a DfE course identifier) in the cohorts this user
    may see, with what the milestone page shows of each, in the order it lists them."""
    return (
        Enrolment.objects.filter(cohort__in=Cohort.objects.for_user(user))
        .exclude(cohort__programme__course_identifier="")
        .select_related("participant", "cohort__programme", "transferred_to__cohort")
        .annotate(stopped_at=stopped_at_annotation())
        .order_by(*MILESTONE_ORDER)
    )


def enrolments_milestones(*, enrolments, today=None) -> dict[int, MilestoneStatus]:
    """Which declarations each place's evidence supports, and what is due by its next
    milestone, by enrolment id, in seven queries (the rules are in reports/milestones.py),
    worked out afresh: the pages read the days kept by `reports/milestone_days.py` instead.

    The places need their cohort and programme loaded; a `stopped_at` annotation (as
    `milestone_enrolments` gives) saves looking up when a place was withdrawn or deferred.
    """
    enrolments = list(enrolments)
    if not enrolments:
        return {}
    today = today or timezone.localdate()
    rules = milestone_rules()
    return {
        enrolment.pk: milestone_status(facts=facts, schedule=schedule, rules=rules, today=today)
        for enrolment, facts, schedule in _milestone_inputs(enrolments, rules=rules, today=today)
    }


def enrolments_milestone_days(*, enrolments) -> dict[int, tuple[tuple[Milestone, ...], dict]]:
    """Each place's schedule and the day its evidence supported each declaration, with no
    cut-off by date (`evidence_days(today=None)`: read them as of a day with `days_as_of`),
    by enrolment id, in seven queries. What `reports/milestone_days.py` keeps.

    A register counts from its first mark here, not from its session's start: a register
    taken on the morning of an afternoon session counts from that day, a few hours early.
    """
    enrolments = list(enrolments)
    if not enrolments:
        return {}
    rules = milestone_rules()
    return {
        enrolment.pk: (schedule, evidence_days(facts=facts, rules=rules, today=None))
        for enrolment, facts, schedule in _milestone_inputs(enrolments, rules=rules, today=None)
    }


def _milestone_inputs(
    enrolments: list, *, rules: MilestoneRules, today: datetime.date | None
) -> Iterator[tuple[Enrolment, MilestoneFacts, tuple[Milestone, ...]]]:
    """Each place with the facts its declarations are decided from and its cohort's
    schedule. With `today` None, registers count from their first mark (see above)."""
    facts = participation_facts(enrolments, started_only=today is not None)
    phase_days = _phase_days(enrolments)
    passed_days = {
        row["enrolment_id"]: timezone.localdate(row["first"])
        for row in Outcome.objects.released()
        .filter(result=Outcome.Result.PASSED, enrolment__in=[e.pk for e in enrolments])
        .values("enrolment_id")
        .annotate(first=Min("released_at"))
    }
    counted_on = today or timezone.localdate()  # participation's totals do not depend on it
    schedules: dict[int, tuple] = {}
    for enrolment in enrolments:
        cohort = enrolment.cohort
        if cohort.pk not in schedules:
            schedules[cohort.pk] = milestone_schedule(
                starts_on=cohort.starts_on,
                ends_on=cohort.ends_on,
                length_months=cohort.programme.length_months,
                rules=rules,
            )
        participation = participation_of(enrolment, facts, counted_on)
        marks = facts.marks[enrolment.pk]
        attended = [
            timezone.localdate(session.starts_at)
            for session in facts.sessions[cohort.pk]
            if session.pk in facts.taken and marks.get(session.pk) in ATTENDED
        ]
        modules = {window.module_id for window in facts.windows[cohort.pk]}
        finished = [
            day
            for (module_id, _phase), day in phase_days.get(enrolment.participant_id, {}).items()
            if module_id in modules
        ]
        passed_on = passed_days.get(enrolment.pk)
        if passed_on is None and enrolment.assessment_result == Enrolment.AssessmentResult.PASSED:
            passed_on = timezone.localdate(enrolment.updated_at)  # recorded without an outcome
        yield (
            enrolment,
            MilestoneFacts(
                status=enrolment.status,
                stopped_on=_stopped_on(enrolment),
                evidence_on=tuple(attended + finished),
                evidence_total=participation.sessions_total + participation.phases_total,
                passed_on=passed_on,
            ),
            schedules[cohort.pk],
        )


def _phase_days(enrolments: list) -> dict[int, dict[tuple[int, str], datetime.date]]:
    """The day each person first finished each module phase, whichever place they ticked it
    in (as participation counts them)."""
    days: dict[int, dict[tuple[int, str], datetime.date]] = {}
    rows = ModulePhaseDone.objects.filter(
        enrolment__participant__in={e.participant_id for e in enrolments}
    ).values_list("enrolment__participant_id", "module_id", "phase", "at")
    for person_id, module_id, phase, at in rows:
        day = timezone.localdate(at)
        theirs = days.setdefault(person_id, {})
        if (module_id, phase) not in theirs or day < theirs[(module_id, phase)]:
            theirs[(module_id, phase)] = day
    return days


def _stopped_on(enrolment) -> datetime.date | None:
    if enrolment.status not in (Enrolment.Status.WITHDRAWN, Enrolment.Status.DEFERRED):
        return None
    if hasattr(enrolment, "stopped_at"):
        # Annotated (stopped_at_annotation): None means no event says when.
        stopped_at = enrolment.stopped_at
    else:
        event = enrolment.events.filter(to_status=enrolment.status).order_by("-at", "-pk").first()
        stopped_at = event.at if event else None
    return timezone.localdate(stopped_at or enrolment.updated_at)


# ---- School leaders ----


def school_leader_schools(*, user) -> QuerySet:
    """The schools this person is a confirmed leader of."""
    return School.objects.filter(
        pk__in=SchoolLeadership.objects.filter(user=user).values("school")
    ).order_by("name", "urn")


def school_enrolments(*, schools) -> QuerySet:
    """Every place taken by someone who applied from these schools (a transfer keeps its
    application, so the school follows the place)."""
    return (
        Enrolment.objects.filter(application__school__in=schools)
        .select_related("participant", "cohort__programme", "application__school")
        .order_by(
            "application__school__name",
            "participant__last_name",
            "participant__first_name",
            "-cohort__academic_year",
            "pk",
        )
    )


@dataclass
class TermlyRow:
    """One place in the termly summary."""

    enrolment: Enrolment
    sessions_held: int  # registers taken in the term for sessions they were due at
    sessions_attended: int  # present or late
    sessions_excused: int
    modules_completed: list = field(default_factory=list)  # ModuleWindows finished in term
    modules_due: int = 0  # modules whose application phase was due in the term
    outcomes: list = field(default_factory=list)  # Outcomes released in the term


@dataclass
class TermlySummary:
    term: Term
    schools: list
    rows: list[TermlyRow]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "participants": len({row.enrolment.participant_id for row in self.rows}),
            "sessions_held": sum(row.sessions_held for row in self.rows),
            "sessions_attended": sum(row.sessions_attended for row in self.rows),
            "modules_completed": sum(len(row.modules_completed) for row in self.rows),
            "outcomes": sum(len(row.outcomes) for row in self.rows),
        }


def school_termly_summary(*, schools, term: Term) -> TermlySummary:
    """A school's term for the leader: per place, sessions attended of those held in the term,
    modules completed in it and assessment outcomes released in it (terms: reports/terms.py).

    Places whose cohort does not overlap the term, and places withdrawn before it began, are
    left out. Counts follow participation's rules: a session counts once its register is
    taken, an excused absence neither way, and not before someone joined or after their place
    was withdrawn or deferred; a module is completed when both its phases are done, on the day
    of the later one.
    """
    schools = list(schools)
    enrolments = [
        enrolment
        for enrolment in school_enrolments(schools=schools)
        .filter(cohort__starts_on__lte=term.ends_on, cohort__ends_on__gte=term.starts_on)
        .annotate(stopped_at=stopped_at_annotation())
        if not (
            enrolment.status == Enrolment.Status.WITHDRAWN
            and enrolment.stopped_at is not None
            and timezone.localdate(enrolment.stopped_at) < term.starts_on
        )
    ]
    if not enrolments:
        return TermlySummary(term, schools, [])
    facts = participation_facts(enrolments)
    phase_days = _phase_days(enrolments)
    outcomes: dict[int, list] = {}
    released = (
        Outcome.objects.released()
        .filter(
            enrolment__in=[e.pk for e in enrolments],
            released_at__gte=_start_of(term.starts_on),
            released_at__lt=_start_of(term.ends_on + datetime.timedelta(days=1)),
        )
        .exclude(result=Outcome.Result.VOIDED)
        .order_by("released_at", "pk")
    )
    for outcome in released:
        outcomes.setdefault(outcome.enrolment_id, []).append(outcome)
    rows = []
    for enrolment in enrolments:
        marks = facts.marks[enrolment.pk]
        # A withdrawn or deferred place owes nothing after it stopped.
        stopped_on = _stopped_on(enrolment) or term.ends_on
        held = attended = excused = 0
        for session in facts.sessions[enrolment.cohort_id]:
            day = timezone.localdate(session.starts_at)
            if session.pk not in facts.taken or not term.contains(day):
                continue
            if session.pk not in marks and (
                session.starts_at < enrolment.created_at or day > stopped_on
            ):
                continue  # before they joined or after they stopped: not due for them
            mark = marks.get(session.pk, "absent")
            if mark == EXCUSED:
                excused += 1
                continue
            held += 1
            attended += mark in ATTENDED
        days = phase_days.get(enrolment.participant_id, {})
        completed = []
        due = 0
        for window in facts.windows[enrolment.cohort_id]:
            due += term.contains(window.application_due_on) and (
                window.application_due_on <= stopped_on
            )
            study = days.get((window.module_id, "study"))
            application = days.get((window.module_id, "application"))
            if study and application and term.contains(max(study, application)):
                completed.append(window)
        rows.append(
            TermlyRow(
                enrolment=enrolment,
                sessions_held=held,
                sessions_attended=attended,
                sessions_excused=excused,
                modules_completed=completed,
                modules_due=due,
                outcomes=outcomes.get(enrolment.pk, []),
            )
        )
    return TermlySummary(term, schools, rows)


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a day, in the portal's time zone (Europe/London)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# ---- Exports ----
#
# The rows of each export: the same querysets and selectors as the list each comes from,
# scoped to the person by the same for_user() methods, so an export holds exactly the rows of
# the filtered list. Each reader counts its rows and then loads them in batches, in a fixed
# number of queries a batch however many rows there are.
#
# A filter naming something out of the person's scope (another facilitator's cohort, a window
# they cannot see) raises that model's DoesNotExist, which the views turn into a 404.

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
    pk = whole_number(value or "")
    if pk is None:
        raise model.DoesNotExist(f"No {model._meta.verbose_name} {str(value or '')!r}.")
    return pk


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


# ---- Charges ----


def charges_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The charges of the charges list for these filters, oldest first (hub staff who manage
    charges see every one)."""
    charges = Charge.objects.matching(filters).for_listing()
    return ExportRows(charges.count(), charges.iterator(chunk_size=BATCH_SIZE))


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

        if self.mark:
            return Attendance.Mark(self.mark).label
        return "Not yet" if self.session.starts_at > timezone.now() else "Not recorded"


def attendance_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The cohort grid of one cohort (cohort=<id>, with its show=at-risk filter), or of the
    cohorts the cohort list shows for its filters: one line per place and session.

    The grid (everyone's marks and participation) is built once, when the rows are read; an
    export of everyone is counted without it, so asking whether it is small enough to download
    at once, and starting it in the background, do not build it too."""
    cohorts = {
        cohort.pk: cohort
        for cohort in _listed_cohorts(user=user, filters=filters).select_related("programme")
    }
    places = grid_enrolments(cohorts=list(cohorts.values()))
    show = filters.get("show", "")
    if show == "at-risk":
        # Who is at risk takes everyone's participation: build the grid now, for both the
        # count and the rows.
        lines = list(_attendance_lines(cohorts=cohorts, places=places, show=show))
        return ExportRows(len(lines), lines)
    # A line for each place and each scheduled session of its cohort, as the grid has.
    total = Session.objects.filter(
        status=Session.Status.SCHEDULED, cohort__enrolments__in=places
    ).count()
    return ExportRows(total, _attendance_lines(cohorts=cohorts, places=places, show=show))


def _attendance_lines(*, cohorts: dict, places: QuerySet, show: str) -> Iterator[AttendanceRow]:
    """The grid's lines, built from the facts loaded when the first line is read."""
    enrolments = list(places)
    facts = participation_facts(enrolments)
    shown = progress_rows_shown(progress_rows(enrolments=enrolments, facts=facts), show=show)
    for row in shown:
        sessions = facts.sessions[row.enrolment.cohort_id]
        for session, mark in zip(sessions, row.marks, strict=True):
            yield AttendanceRow(
                cohort=cohorts[row.enrolment.cohort_id],
                enrolment=row.enrolment,
                participation=row.participation,
                at_risk=row.at_risk,
                session=session,
                mark=mark,
            )


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


# ---- Work Group engagement: the roster on a day, and the grants owed to schools ----


def engagement_roster_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The engagement roster page's rows for its filters (programme, year, on): every school
    signed up as things stood that day."""
    choice = roster_choice(filters)
    roster = engagement_roster(
        academic_year=choice.academic_year, on=choice.on, programme=choice.programme
    )
    return ExportRows(len(roster.rows), roster.rows)


def grant_claims_export_rows(*, user, filters: Mapping[str, str]) -> ExportRows:
    """The grants list's claims for its filters (programme, year, status)."""
    claims = grant_claims(filters=filters)
    return ExportRows(claims.count(), claims.iterator(chunk_size=BATCH_SIZE))
