"""Reads across places, registers and progress: participation, the progress grid, the outline."""

from __future__ import annotations

from dataclasses import dataclass, field

from cohorts.models import ModuleWindow, Session
from programmes.models import Course

from .models import Attendance, Enrolment, ModulePhaseDone
from .participation import ATTENDED, Participation, participation_count


@dataclass
class ParticipationFacts:
    """What participation is counted from, loaded once for a set of places: their cohorts'
    scheduled sessions and module windows, which registers were taken, each place's marks
    and the module phases each person finished."""

    sessions: dict[int, list]  # cohort id: Session objects in the order they happen
    windows: dict[int, list]  # cohort id: ModuleWindow objects (with their module)
    taken: set[int]  # sessions started whose register was taken
    marks: dict[int, dict[int, str]]  # enrolment id: {session id: mark}
    done: dict[int, set[tuple[int, str]]]  # person id: {(module id, phase)}


def participation_facts(enrolments: list) -> ParticipationFacts:
    """The facts for these places, in five queries however many people, cohorts, sessions
    and modules."""
    from django.utils import timezone

    cohort_ids = {e.cohort_id for e in enrolments}
    sessions: dict[int, list] = {pk: [] for pk in cohort_ids}
    for session in Session.objects.filter(
        cohort__in=cohort_ids, status=Session.Status.SCHEDULED
    ).order_by("starts_at", "pk"):
        sessions[session.cohort_id].append(session)
    windows: dict[int, list] = {pk: [] for pk in cohort_ids}
    for window in (
        ModuleWindow.objects.filter(cohort__in=cohort_ids)
        .select_related("module__course")
        .order_by("opens_on", "pk")
    ):
        windows[window.cohort_id].append(window)
    taken = set(
        Attendance.objects.filter(
            session__cohort__in=cohort_ids, session__starts_at__lte=timezone.now()
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    scheduled = {session.pk for rows in sessions.values() for session in rows}
    marks: dict[int, dict[int, str]] = {e.pk: {} for e in enrolments}
    for enrolment_id, session_id, mark in Attendance.objects.filter(
        enrolment__in=[e.pk for e in enrolments]
    ).values_list("enrolment_id", "session_id", "mark"):
        if session_id in scheduled:  # a cancelled session's marks no longer count
            marks[enrolment_id][session_id] = mark
    # Phases finished count for the person, whichever of their places they ticked them in
    # (a transfer keeps what was done in the first cohort).
    done: dict[int, set[tuple[int, str]]] = {}
    for person_id, module_id, phase in ModulePhaseDone.objects.filter(
        enrolment__participant__in={e.participant_id for e in enrolments},
        module_id__in={w.module_id for rows in windows.values() for w in rows},
    ).values_list("enrolment__participant_id", "module_id", "phase"):
        done.setdefault(person_id, set()).add((module_id, phase))
    return ParticipationFacts(sessions, windows, taken, marks, done)


def participation_of(enrolment, facts: ParticipationFacts, today) -> Participation:
    """One place's participation from facts already loaded."""
    from django.utils import timezone

    joined = enrolment.created_at
    own_marks = facts.marks[enrolment.pk]
    done = facts.done.get(enrolment.participant_id, set())
    # Someone who joined late owes only what came after they joined, unless marked.
    their_sessions = [
        s.pk
        for s in facts.sessions[enrolment.cohort_id]
        if s.starts_at >= joined or s.pk in own_marks
    ]
    their_phases = {
        (window.module_id, phase): due_on
        for window in facts.windows[enrolment.cohort_id]
        for phase, due_on in (
            ("study", window.study_due_on),
            ("application", window.application_due_on),
        )
        if due_on >= timezone.localdate(joined) or (window.module_id, phase) in done
    }
    return participation_count(
        registers_taken=[pk for pk in their_sessions if pk in facts.taken],
        sessions_total=len(their_sessions),
        marks=own_marks,
        phases_due={key for key, due_on in their_phases.items() if due_on < today},
        phases_total=set(their_phases),
        phases_done=done,
    )


def enrolments_participation(*, enrolments, today=None) -> dict[int, Participation]:
    """Participation of each place, by enrolment id, in five queries (the definition is in
    participants/participation.py)."""
    from django.utils import timezone

    enrolments = list(enrolments)
    if not enrolments:
        return {}
    today = today or timezone.localdate()
    facts = participation_facts(enrolments)
    return {e.pk: participation_of(e, facts, today) for e in enrolments}


def enrolment_participation(enrolment) -> Participation:
    """One participant's participation in their cohort."""
    return enrolments_participation(enrolments=[enrolment])[enrolment.pk]


@dataclass
class ProgressRow:
    """One participant's line in the cohort grid."""

    enrolment: object
    participation: Participation
    at_risk: bool
    marks: list  # one per session column: a mark, or "" where none was recorded
    phases: list  # one per module column: (study done, application done)


@dataclass
class ProgressGrid:
    sessions: list
    windows: list
    rows: list[ProgressRow]
    threshold: int
    registers_missing: list = field(default_factory=list)  # started, no register taken


def participation_threshold() -> int:
    """The participation (percent) needed to take the summative assessment; below it someone
    is at risk."""
    from django.conf import settings

    return settings.ASSESSMENT["participation_threshold"]


def progress_rows(*, enrolments: list, facts: ParticipationFacts, today=None) -> list[ProgressRow]:
    """Each place's line in the cohort grid, from facts already loaded. The places may be in
    several cohorts: each line has its own cohort's sessions and modules."""
    from django.utils import timezone

    threshold = participation_threshold()
    today = today or timezone.localdate()
    rows = []
    for enrolment in enrolments:
        participation = participation_of(enrolment, facts, today)
        done = facts.done.get(enrolment.participant_id, set())
        rows.append(
            ProgressRow(
                enrolment=enrolment,
                participation=participation,
                at_risk=participation.at_risk(threshold),
                marks=[
                    facts.marks[enrolment.pk].get(s.pk, "")
                    for s in facts.sessions.get(enrolment.cohort_id, [])
                ],
                phases=[
                    ((w.module_id, "study") in done, (w.module_id, "application") in done)
                    for w in facts.windows.get(enrolment.cohort_id, [])
                ],
            )
        )
    return rows


def progress_rows_shown(rows: list[ProgressRow], *, show: str = "") -> list[ProgressRow]:
    """The grid's rows for its filter: everyone, or with show="at-risk" only those at risk."""
    if show == "at-risk":
        return [row for row in rows if row.at_risk]
    return rows


def grid_enrolments(*, cohorts):
    """The places the cohort grid lists: those holding a place in `cohorts` (a list or a
    queryset), cohort by cohort, by surname."""
    return (
        Enrolment.objects.filter(cohort__in=cohorts)
        .holding_a_place()
        .select_related("participant")
        .order_by("cohort_id", "participant__last_name", "participant__first_name", "pk")
    )


def cohort_progress_grid(*, cohort) -> ProgressGrid:
    """The cohort grid: every participant with a current place × the cohort's sessions and
    modules, with participation and who is at risk, from one load of the facts."""
    from django.utils import timezone

    enrolments = list(grid_enrolments(cohorts=[cohort]))
    facts = participation_facts(enrolments)
    rows = progress_rows(enrolments=enrolments, facts=facts)
    sessions = facts.sessions.get(cohort.pk, [])
    windows = facts.windows.get(cohort.pk, [])
    now = timezone.now()
    missing = [s for s in sessions if s.starts_at <= now and s.pk not in facts.taken]
    return ProgressGrid(sessions, windows, rows, participation_threshold(), missing)


@dataclass
class ModuleProgress:
    window: object
    study_done: bool
    application_done: bool
    is_open: bool


@dataclass
class EnrolmentProgress:
    participation: Participation
    threshold: int
    modules: list[ModuleProgress]
    sessions: list  # (session, mark or "")


def enrolment_progress(*, enrolment) -> EnrolmentProgress:
    """What one participant has done: module phases, registers and participation, from one
    load of the facts."""
    from django.utils import timezone

    today = timezone.localdate()
    facts = participation_facts([enrolment])
    done = facts.done.get(enrolment.participant_id, set())
    marks = facts.marks[enrolment.pk]
    return EnrolmentProgress(
        participation=participation_of(enrolment, facts, today),
        threshold=participation_threshold(),
        modules=[
            ModuleProgress(
                window=w,
                study_done=(w.module_id, "study") in done,
                application_done=(w.module_id, "application") in done,
                is_open=w.opens_on <= today,
            )
            for w in facts.windows[enrolment.cohort_id]
        ],
        sessions=[(s, marks.get(s.pk, "")) for s in facts.sessions[enrolment.cohort_id]],
    )


@dataclass(frozen=True)
class OutlineStep:
    """One course of the programme, as far as this participant has got through it."""

    course: object
    modules_total: int
    modules_done: int  # both phases finished
    sessions_total: int
    sessions_attended: int  # present or late
    state: str  # "done", "in-progress", "coming-up" or "no-dates"

    @property
    def state_label(self) -> str:
        return {
            "done": "Done",
            "in-progress": "In progress",
            "coming-up": "Coming up",
            "no-dates": "Dates not set yet",
        }[self.state]


def programme_outline(*, enrolment, progress: EnrolmentProgress) -> list[OutlineStep]:
    """The programme's courses in order, each with how much of it this participant has done
    (their modules and sessions, from `progress`), in one more query."""
    from django.utils import timezone

    now = timezone.now()
    steps = []
    courses = Course.objects.filter(programme_id=enrolment.cohort.programme_id).order_by(
        "position", "pk"
    )
    for course in courses:
        modules = [m for m in progress.modules if m.window.module.course_id == course.pk]
        sessions = [(s, mark) for s, mark in progress.sessions if s.course_id == course.pk]
        finished = sum(1 for m in modules if m.study_done and m.application_done)
        attended = sum(1 for _, mark in sessions if mark in ATTENDED)
        held = [s for s, _ in sessions if s.starts_at <= now]
        if not modules and not sessions:
            state = "no-dates"
        elif finished == len(modules) and len(held) == len(sessions):
            state = "done"
        elif not held and not any(m.is_open for m in modules):
            state = "coming-up"
        else:
            state = "in-progress"
        steps.append(OutlineStep(course, len(modules), finished, len(sessions), attended, state))
    return steps
