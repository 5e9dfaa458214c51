"""Reads across places, registers and progress: participation, the progress grid, the outline."""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import NamedTuple

from django.db import connection

from cohorts.models import Cohort, ModuleWindow, Session, sees_every_cohort
from npq_portal.prepared import (
    fixed_objects,
    fixed_rows,
    instances_from_rows,
    prepared_execute,
)
from npq_portal.versions import kept_write_for_day, version_and_kept, version_move_on
from programmes.models import Course, Module, Programme, RoleSlot

from .models import (
    Attendance,
    Enrolment,
    KeptCohortGrid,
    ModulePhaseDone,
    SchoolPlace,
    SchoolPlaceEvent,
    sees_every_school_place,
)
from .participation import ATTENDED, EXCUSED, Participation, participation_count


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
    # Each cohort's sessions and module phases as plain tuples, made once: participation is
    # worked out for every place in a cohort from the same few dozen dates.
    _timings: dict[int, tuple] = field(default_factory=dict, repr=False)
    # What a place owes in each cohort, by (cohort id, day), when it owes all of it: most
    # places joined before their cohort's first session and first phase due.
    _owed_by_all: dict[tuple, tuple] = field(default_factory=dict, repr=False)

    def timings(self, cohort_id: int) -> tuple[list, list]:
        """(session id, start) of the cohort's sessions and ((module id, phase), due date) of
        its module phases, in order."""
        found = self._timings.get(cohort_id)
        if found is None:
            found = self._timings[cohort_id] = (
                [(s.pk, s.starts_at) for s in self.sessions[cohort_id]],
                [
                    ((w.module_id, phase), due_on)
                    for w in self.windows[cohort_id]
                    for phase, due_on in (
                        ("study", w.study_due_on),
                        ("application", w.application_due_on),
                    )
                ],
            )
        return found

    def owed_by_all(self, cohort_id: int, today) -> tuple:
        """(the earliest session's start, the earliest phase's due date, or None without
        one; the registers taken, how many sessions, the phases due by `today`, every phase)
        for a place in this cohort that owes every session and phase."""
        key = (cohort_id, today)
        found = self._owed_by_all.get(key)
        if found is None:
            sessions, phases = self.timings(cohort_id)
            found = self._owed_by_all[key] = (
                min((starts_at for _, starts_at in sessions), default=None),
                min((due_on for _, due_on in phases), default=None),
                [pk for pk, _ in sessions if pk in self.taken],
                len(sessions),
                {phase for phase, due_on in phases if due_on < today},
                {phase for phase, _ in phases},
            )
        return found


def participation_facts(
    enrolments: list, *, started_only: bool = True, modules: bool = True
) -> ParticipationFacts:
    """The facts for these places, in three queries however many people, cohorts, sessions
    and modules. A register counts as taken once its session has started; with `started_only`
    False, as soon as it has marks (evidence kept to be read as of any later day). With
    `modules` False, registers only, in two queries: no module windows, no phases done (a
    Work Group's pages count sessions alone)."""
    from django.utils import timezone

    if not enrolments:
        return ParticipationFacts({}, {}, set(), {}, {})
    cohort_ids = sorted({e.cohort_id for e in enrolments})
    enrolment_ids = [e.pk for e in enrolments]
    person_ids = sorted({e.participant_id for e in enrolments})
    started = [connection.ops.adapt_datetimefield_value(timezone.now())] if started_only else []
    # On PostgreSQL each list of ids is one array parameter, so each query's text is the same
    # however many ids: prepared once a connection and run by its generic plan, never planned
    # again (planning the three took longer than running them; left to choose, PostgreSQL
    # went on planning two of them for their values). Elsewhere, IN lists.
    arrays = connection.vendor == "postgresql"
    sessions_sql, windows_sql, marks_sql = _facts_sql(started_only, arrays, modules)
    if arrays:
        cohorts, enrolment_params, people = [cohort_ids], [enrolment_ids], [person_ids]
    else:
        in_cohorts = f"IN ({_placeholders(len(cohort_ids))})"
        sessions_sql = sessions_sql.format(cohorts=in_cohorts)
        windows_sql = windows_sql.format(cohorts=in_cohorts)
        marks_sql = marks_sql.format(
            cohorts=in_cohorts,
            enrolments=f"IN ({_placeholders(len(enrolment_ids))})",
            people=f"IN ({_placeholders(len(person_ids))})",
        )
        cohorts, enrolment_params, people = cohort_ids, enrolment_ids, person_ids

    sessions: dict[int, list] = {pk: [] for pk in cohort_ids}
    for session in _sessions(sessions_sql, cohorts, arrays):
        sessions[session.cohort_id].append(session)
    windows: dict[int, list] = {pk: [] for pk in cohort_ids}
    for window in _windows(windows_sql, cohorts, arrays) if modules else ():
        windows[window.cohort_id].append(window)

    scheduled = {session.pk for rows in sessions.values() for session in rows}
    taken: set[int] = set()
    marks: dict[int, dict[int, str]] = {pk: {} for pk in enrolment_ids}
    done: dict[int, set[tuple[int, str]]] = {}
    phases_params = [*people, *cohorts] if modules else []
    rows = _rows(
        marks_sql, [*cohorts, *started, *enrolment_params, *phases_params], prepared=arrays
    )
    for kind, owner_id, item_id, value in rows:
        if kind == "taken":
            taken.add(owner_id)
        elif kind == "mark":
            if item_id in scheduled:  # a cancelled session's marks no longer count
                marks[owner_id][item_id] = value
        else:
            # Phases finished count for the person, whichever of their places they ticked
            # them in (a transfer keeps what was done in the first cohort).
            done.setdefault(owner_id, set()).add((item_id, value))
    return ParticipationFacts(sessions, windows, taken, marks, done)


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def _rows(sql: str, params: list, *, prepared: bool) -> list[tuple]:
    with connection.cursor() as cursor:
        if prepared:
            prepared_execute(cursor, sql, params, generic=True)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()


def _sessions(sql: str, params: list, prepared: bool) -> list:
    """Sessions from their columns, in the model's order: on PostgreSQL, whose driver gives
    every one of their values as the model holds it, made from the rows of the prepared
    query; elsewhere (SQLite gives moments as text) by a raw query, which converts them."""
    if not prepared:
        return list(Session.objects.raw(sql, params))
    return instances_from_rows(Session, _rows(sql, params, prepared=True))


def _windows(sql: str, params: list, prepared: bool) -> list:
    """Module windows with their module and its course, as select_related would give them:
    their columns need no conversion from the database's values, so a cursor does."""
    window_width = len(ModuleWindow._meta.concrete_fields)
    course_from = window_width + len(Module._meta.concrete_fields)
    window_module = ModuleWindow._meta.get_field("module")
    module_course = Module._meta.get_field("course")
    rows = _rows(sql, params, prepared=prepared)
    windows = instances_from_rows(ModuleWindow, [row[:window_width] for row in rows])
    modules = instances_from_rows(Module, [row[window_width:course_from] for row in rows])
    courses = instances_from_rows(Course, [row[course_from:] for row in rows])
    for window, module, course in zip(windows, modules, courses, strict=True):
        module_course.set_cached_value(module, course)
        window_module.set_cached_value(window, module)
    return windows


@functools.cache
def _facts_sql(started_only: bool, arrays: bool, modules: bool = True) -> tuple[str, str, str]:
    """The facts' three queries, written once (composing them with the ORM on every page cost
    more than running them): a cohort's scheduled sessions; its module windows with their
    modules and courses; and, in one UNION, which registers were taken, each place's marks and
    each person's finished phases. `{cohorts}`, `{enrolments}` and `{people}` are filled with
    what compares a column with the ids: with `arrays`, filled here, `= ANY(%s)`, one array
    parameter; otherwise by the caller, `IN (…)` with a placeholder an id. The status of a
    scheduled session is written in, not a parameter: a generic plan then knows it, and can
    use the index of scheduled sessions. Without `modules`, the UNION leaves out the phases
    (the windows' query is not run). Table and column names come from the models."""

    def columns(model, alias: str) -> str:
        return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)

    session = Session._meta.db_table
    attendance = Attendance._meta.db_table
    window = ModuleWindow._meta.db_table
    enrolment = Enrolment._meta.db_table
    sessions_sql = f"""
        SELECT {columns(Session, "s")} FROM {session} s
        WHERE s.cohort_id {{cohorts}} AND s.status = '{Session.Status.SCHEDULED.value}'
        ORDER BY s.starts_at, s.id
    """
    windows_sql = f"""
        SELECT {columns(ModuleWindow, "w")}, {columns(Module, "m")}, {columns(Course, "c")}
        FROM {window} w
            JOIN {Module._meta.db_table} m ON m.id = w.module_id
            JOIN {Course._meta.db_table} c ON c.id = m.course_id
        WHERE w.cohort_id {{cohorts}} ORDER BY w.opens_on, w.id
    """
    started = "AND s.starts_at <= %s" if started_only else ""
    marks_sql = f"""
        SELECT 'taken', s.id, 0, '' FROM {session} s
        WHERE s.cohort_id {{cohorts}} {started}
            AND EXISTS (SELECT 1 FROM {attendance} a WHERE a.session_id = s.id)
        UNION ALL
        SELECT 'mark', a.enrolment_id, a.session_id, a.mark FROM {attendance} a
        WHERE a.enrolment_id {{enrolments}}
    """
    if modules:
        marks_sql += f"""
        UNION ALL
        SELECT 'done', e.participant_id, d.module_id, d.phase
        FROM {ModulePhaseDone._meta.db_table} d JOIN {enrolment} e ON e.id = d.enrolment_id
        WHERE e.participant_id {{people}}
            AND d.module_id IN (SELECT w.module_id FROM {window} w WHERE w.cohort_id {{cohorts}})
    """
    if arrays:
        any_of = "= ANY(%s)"
        return (
            sessions_sql.format(cohorts=any_of),
            windows_sql.format(cohorts=any_of),
            marks_sql.format(cohorts=any_of, enrolments=any_of, people=any_of),
        )
    return sessions_sql, windows_sql, marks_sql


def participation_of(enrolment, facts: ParticipationFacts, today) -> Participation:
    """One place's participation from facts already loaded."""
    from django.utils import timezone

    joined = enrolment.created_at
    joined_on = timezone.localdate(joined)  # once: converting the zone is most of the cost
    own_marks = facts.marks[enrolment.pk]
    done = facts.done.get(enrolment.participant_id, set())
    first_start, first_due, taken, total, due, every = facts.owed_by_all(enrolment.cohort_id, today)
    if not (
        (first_start is None or joined <= first_start)
        and (first_due is None or joined_on <= first_due)
    ):  # joined late: they owe only what came after they joined, unless marked
        sessions, phases = facts.timings(enrolment.cohort_id)
        theirs = [pk for pk, starts_at in sessions if starts_at >= joined or pk in own_marks]
        their_phases = {key: day for key, day in phases if day >= joined_on or key in done}
        taken = [pk for pk in theirs if pk in facts.taken]
        total = len(theirs)
        due = {key for key, day in their_phases.items() if day < today}
        every = set(their_phases)
    # Otherwise they joined before everything and owe all of it, as most do: worked out once
    # a cohort.
    return participation_count(
        registers_taken=taken,
        sessions_total=total,
        marks=own_marks,
        phases_due=due,
        phases_total=every,
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
    session_ids = {pk: [s.pk for s in rows] for pk, rows in facts.sessions.items()}
    module_ids = {pk: [w.module_id for w in rows] for pk, rows in facts.windows.items()}
    rows = []
    for enrolment in enrolments:
        participation = participation_of(enrolment, facts, today)
        done = facts.done.get(enrolment.participant_id, set())
        marks = facts.marks[enrolment.pk]
        rows.append(
            ProgressRow(
                enrolment=enrolment,
                participation=participation,
                at_risk=participation.at_risk(threshold),
                marks=[marks.get(pk, "") for pk in session_ids.get(enrolment.cohort_id, ())],
                phases=[
                    ((module_id, "study") in done, (module_id, "application") in done)
                    for module_id in module_ids.get(enrolment.cohort_id, ())
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


def _grid_enrolments_of(cohort_id: int):
    return grid_enrolments(cohorts=[cohort_id])


def cohort_progress_grid(*, cohort, enrolments: list | None = None) -> ProgressGrid:
    """The cohort grid: every participant with a current place × the cohort's sessions and
    modules, with participation and who is at risk, from one load of the facts (of the
    places `enrolments` when the caller read them: `_grid_enrolments_of`'s)."""
    from django.utils import timezone

    if enrolments is None:
        enrolments = fixed_objects(_grid_enrolments_of, cohort.pk)  # composed once a connection
    facts = participation_facts(enrolments)
    rows = progress_rows(enrolments=enrolments, facts=facts)
    sessions = facts.sessions.get(cohort.pk, [])
    windows = facts.windows.get(cohort.pk, [])
    now = timezone.now()
    missing = [s for s in sessions if s.starts_at <= now and s.pk not in facts.taken]
    return ProgressGrid(sessions, windows, rows, participation_threshold(), missing)


# ---- The cohort grid, kept ----
#
# Working a cohort's grid out reads its sessions, its module windows with their modules and
# every mark of its places (three queries; 500 marks for a cohort of fifty), then counts each
# place's participation: most of the page's time. What it works out is kept (`KeptCohortGrid`,
# a row for each cohort; a Work Group's people's marks likewise, `work_group_grid`), labelled with the grid's version, the day and the threshold, and
# worked out again once any of them moves on, or once a session has started since (a register
# counts from its session's start). The places themselves, with their people's names and
# statuses, are read on every visit. The version (a counter of npq_portal/versions.py) moves on
# with every change to what the grid is worked out from (participants/handlers.py): a mark, a
# session, a module window or its module, a place, a phase ticked, and any of these written in
# bulk (a cohort deleted takes its kept figures with it).

GRID_VERSION = "participants_grid_version"  # made by participants 0019


def grid_stale(**kwargs) -> None:
    """Something cohort grids are worked out from changed: kept grids are worked out again
    (also a signal receiver)."""
    version_move_on(GRID_VERSION)


def cohort_progress_grid_kept(*, cohort) -> ProgressGrid:
    """What `cohort_progress_grid` gives, its figures kept while the grid's version, the day and
    the threshold are those they were worked out at and no session has started since; else
    worked out now and kept."""
    from django.utils import timezone

    now = timezone.now()
    today = timezone.localdate(now)
    threshold = participation_threshold()
    version, kept = _grid_kept(cohort, KeptCohortGrid.Kind.GRID, today, threshold)
    enrolments = fixed_objects(_grid_enrolments_of, cohort.pk)
    if kept is not None:
        grid = _grid_from_kept(json.loads(kept[0]), cohort, enrolments, threshold, now)
        if grid is not None:
            return grid
    grid = cohort_progress_grid(cohort=cohort, enrolments=enrolments)
    figures = {
        **_sessions_kept(grid.sessions, now),
        "modules": [window.module.title for window in grid.windows],
        "missing": [session.pk for session in grid.registers_missing],
        "rows": {
            row.enrolment.pk: [*_participation_values(row.participation), row.marks, row.phases]
            for row in grid.rows
        },
    }
    _grid_keep(cohort, KeptCohortGrid.Kind.GRID, version, today, threshold, figures)
    return grid


def _grid_kept(cohort, kind: str, today, threshold: int) -> tuple[int, tuple | None]:
    """The grids' version, and the figures of this kind kept for the cohort at it today."""
    return version_and_kept(
        GRID_VERSION,
        KeptCohortGrid._meta.db_table,
        ["grid"],
        {"cohort_id": cohort.pk, "kind": kind, "day": today.isoformat(), "threshold": threshold},
    )


def _grid_keep(cohort, kind: str, version: int, today, threshold: int, figures: dict) -> None:
    kept_write_for_day(
        KeptCohortGrid(
            cohort_id=cohort.pk,
            kind=kind,
            version=version,
            day=today,
            threshold=threshold,
            grid=json.dumps(figures),
        ),
        ["cohort", "kind"],
        ["version", "day", "threshold", "grid"],
    )


def _sessions_kept(sessions: list, now) -> dict:
    """A grid's sessions as kept, with when the figures stop holding: when the next session
    starts (its register may then count), as of before they were worked out, so a session
    starting meanwhile has them worked out again, not missed."""
    until = min((s.starts_at for s in sessions if s.starts_at > now), default=None)
    return {
        "until": until and until.isoformat(),
        "sessions": [[s.pk, s.title, s.starts_at.isoformat()] for s in sessions],
    }


def _sessions_of_kept(kept: dict, now) -> dict[int, KeptSession] | None:
    """The sessions kept figures hold, by id; None once a session has started since."""
    until = kept["until"]
    if until is not None and now >= datetime.datetime.fromisoformat(until):
        return None
    return {
        pk: KeptSession(pk, title, datetime.datetime.fromisoformat(starts_at))
        for pk, title, starts_at in kept["sessions"]
    }


class KeptSession(NamedTuple):
    """A session as a kept grid shows it (its heading, a register not taken): made in a
    fraction of a model instance's time."""

    pk: int
    title: str
    starts_at: datetime.datetime


class KeptModule(NamedTuple):
    title: str


class KeptWindow(NamedTuple):
    """A module window as a kept grid shows it: its module's title, in its heading."""

    module: KeptModule


def _participation_values(participation: Participation) -> list:
    return [getattr(participation, name) for name in _PARTICIPATION_FIELDS]


_PARTICIPATION_FIELDS = [field.name for field in dataclass_fields(Participation)]


def _grid_from_kept(
    kept: dict, cohort, enrolments: list, threshold: int, now
) -> ProgressGrid | None:
    """The grid kept figures give for these places, None when they cannot: a session started
    since, or a place not among them (made after the version was read)."""
    sessions = _sessions_of_kept(kept, now)
    figures = kept["rows"]
    if sessions is None or any(str(enrolment.pk) not in figures for enrolment in enrolments):
        return None
    windows = [KeptWindow(KeptModule(title)) for title in kept["modules"]]
    rows = []
    for enrolment in enrolments:
        *values, marks, phases = figures[str(enrolment.pk)]
        participation = Participation(*values)
        rows.append(
            ProgressRow(
                enrolment=enrolment,
                participation=participation,
                at_risk=participation.at_risk(threshold),
                marks=marks,
                phases=[(study, application) for study, application in phases],
            )
        )
    missing = [sessions[pk] for pk in kept["missing"]]
    return ProgressGrid(list(sessions.values()), windows, rows, threshold, missing)


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


def _programme_courses(programme_id: int):
    return Course.objects.filter(programme_id=programme_id).order_by("position", "pk")


def programme_outline(*, enrolment, progress: EnrolmentProgress) -> list[OutlineStep]:
    """The programme's courses in order, each with how much of it this participant has done
    (their modules and sessions, from `progress`), in one more query."""
    from django.utils import timezone

    now = timezone.now()
    steps = []
    for course in fixed_objects(_programme_courses, enrolment.cohort.programme_id):
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


# ---- Work Groups: a school's place, its team, its attendance and its completion ----


class SchoolPlaceCompletion(NamedTuple):
    """Whether a school's place meets its programme's rule for completing, and why not."""

    met: bool
    reasons: tuple[str, ...]


def _lead_attended(members: list, facts: ParticipationFacts) -> list[tuple[object, int]]:
    """Each current lead participant's place with the sessions they attended (present or late,
    at a session not cancelled)."""
    return [
        (member, sum(1 for mark in facts.marks[member.pk].values() if mark in ATTENDED))
        for member in members
        if member.role_slot is not None
        and member.role_slot.kind == RoleSlot.Kind.LEAD
        and member.status != Enrolment.Status.WITHDRAWN
    ]


def _completion(place, programme, members: list, facts: ParticipationFacts):
    """The programme's rule for completing, read from facts already loaded."""
    reasons = []
    needed = programme.completion_sessions
    if needed is None:
        reasons.append(
            f"{programme.short_name} sets no number of sessions to complete: staff judge "
            "whether the school completed."
        )
    else:
        attended = _lead_attended(members, facts)
        best = max((count for _, count in attended), default=0)
        if best < needed:
            if not attended:
                reasons.append("The school has no current lead participant.")
            else:
                reasons.append(
                    f"No lead participant attended {needed} session{'s' if needed != 1 else ''} "
                    f"yet (the most is {best})."
                )
    if programme.completion_needs_action_plan and not place.has_action_plan():
        reasons.append("The school's action plan is not in yet.")
    return SchoolPlaceCompletion(not reasons, tuple(reasons))


TEAM_ORDER = ("role_slot__position", "participant__last_name", "created_at", "pk")


def _team_members(**where):
    """People's places in school places (`where` says which), with the person and their role,
    in slot order."""
    return (
        Enrolment.objects.filter(**where)
        .select_related("participant", "role_slot")
        .order_by(*TEAM_ORDER)
    )


def _one_place_members(place_id: int):
    return _team_members(school_place=place_id)


def _school_place_members(places, found=None) -> dict[int, list]:
    """Every person's place in these school places (withdrawn ones too), in slot order
    (`found`: those places' people, read already)."""
    members: dict[int, list] = {place.pk: [] for place in places}
    if found is None and len(places) == 1:  # a school's page: a fixed query
        found = fixed_objects(_one_place_members, places[0].pk)
    elif found is None:
        found = _team_members(school_place__in=[place.pk for place in places])
    for member in found:
        members[member.school_place_id].append(member)
    return members


def _work_group_places(cohort_id: int):
    return (
        SchoolPlace.objects.filter(cohort_id=cohort_id)
        .select_related("school")
        .order_by("school__name", "pk")
    )


def _work_group_members(cohort_id: int):
    """Everyone in a Work Group's school teams (withdrawn too), in slot order."""
    return (
        Enrolment.objects.filter(school_place__cohort_id=cohort_id)
        .select_related("participant", "role_slot")
        .order_by(*TEAM_ORDER)
    )


def school_place_completion(place) -> SchoolPlaceCompletion:
    """Whether the school completed its Work Group by the programme's rule: a lead participant
    attended at least the programme's number of sessions and, where the programme asks for
    it, the school's action plan is in. The reasons say what is missing."""
    members = _school_place_members([place])[place.pk]
    facts = participation_facts(members, modules=False)
    programme = Programme.objects.get(pk=place.cohort.programme_id)
    return _completion(place, programme, members, facts)


@dataclass
class MemberRow:
    """One person's line in a school's attendance: their mark at each session (in words) and
    the sessions they missed."""

    enrolment: object
    marks: list[str]  # one per session column: a mark's words, "Not marked", or ""
    missed: list  # sessions held whose register was taken with this person absent or unmarked
    attended: int


@dataclass
class SchoolRow:
    place: object
    members: list[MemberRow]
    completion: SchoolPlaceCompletion


@dataclass
class WorkGroupGrid:
    sessions: list
    schools: list[SchoolRow]

    @property
    def missed(self) -> list[tuple[SchoolRow, MemberRow]]:
        """Who has missed what: every current person with a session missed, school by school."""
        return [
            (school, member)
            for school in self.schools
            for member in school.members
            if member.missed and member.enrolment.status != Enrolment.Status.WITHDRAWN
        ]


def _member_row(member, sessions: list, facts: ParticipationFacts, labels: dict) -> MemberRow:
    """`labels`: each mark's words."""
    marks = facts.marks[member.pk]
    cells, missed = [], []
    for session in sessions:
        mark = marks.get(session.pk, "")
        owed = session.starts_at >= member.created_at or mark  # joined later: not owed before
        if mark:
            cells.append(labels[mark])
        elif session.pk in facts.taken and owed:
            cells.append("Not marked")
        else:
            cells.append("")
        if session.pk in facts.taken and owed and mark not in ATTENDED and mark != EXCUSED:
            missed.append(session)
    attended = sum(1 for mark in marks.values() if mark in ATTENDED)
    return MemberRow(member, cells, missed, attended)


def work_group_grid(*, cohort, places=None) -> WorkGroupGrid:
    """A Work Group's schools (or just `places`), each with its team, each person's marks at
    each session and what they missed, and the school's completion, in a fixed number of
    queries however many schools, people and sessions. `places` is a queryset, or a list of
    places already loaded with their school (a school's page has its own)."""
    whole = places is None
    if whole:
        # The whole Work Group's: fixed queries (npq_portal.prepared), composed once a
        # connection.
        places = fixed_objects(_work_group_places, cohort.pk)
        members = _school_place_members(places, fixed_objects(_work_group_members, cohort.pk))
    else:
        if not isinstance(places, list):
            places = list(places.select_related("school").order_by("school__name", "pk"))
        members = _school_place_members(places)
    everyone = [member for rows in members.values() for member in rows]
    if everyone:
        # Sessions are all it counts. The whole Work Group's are kept (what its people's
        # marks are read from changes as a cohort grid's does); a school's page reads its own.
        facts = (
            _work_group_facts_kept(cohort, everyone)
            if whole
            else participation_facts(everyone, modules=False)
        )
        sessions = facts.sessions[cohort.pk]
    else:  # no one to count: only the columns
        sessions = list(
            Session.objects.filter(cohort=cohort, status=Session.Status.SCHEDULED).order_by(
                "starts_at", "pk"
            )
        )
        facts = ParticipationFacts({cohort.pk: sessions}, {}, set(), {}, {})
    labels = dict(Attendance.Mark.choices)
    schools = [
        SchoolRow(
            place=place,
            members=[_member_row(m, sessions, facts, labels) for m in members[place.pk]],
            completion=_completion(place, cohort.programme, members[place.pk], facts),
        )
        for place in places
    ]
    return WorkGroupGrid(sessions, schools)


def _work_group_facts_kept(cohort, members: list) -> ParticipationFacts:
    """participation_facts(members, modules=False) for a Work Group's people (every one of
    them), kept as the cohort grid's figures are (`cohort_progress_grid_kept`)."""
    from django.utils import timezone

    now = timezone.now()
    today = timezone.localdate(now)
    kind = KeptCohortGrid.Kind.WORK_GROUP
    version, kept = _grid_kept(cohort, kind, today, 0)
    if kept is not None:
        facts = _work_group_facts_of(json.loads(kept[0]), cohort, members, now)
        if facts is not None:
            return facts
    facts = participation_facts(members, modules=False)
    figures = {
        **_sessions_kept(facts.sessions[cohort.pk], now),
        "taken": sorted(facts.taken),
        "marks": {member.pk: facts.marks[member.pk] for member in members},
    }
    _grid_keep(cohort, kind, version, today, 0, figures)
    return facts


def _work_group_facts_of(kept: dict, cohort, members: list, now) -> ParticipationFacts | None:
    """The facts kept figures give for these people, None when they cannot: a session started
    since, or someone not among them (added after the version was read)."""
    sessions = _sessions_of_kept(kept, now)
    marks = kept["marks"]
    if sessions is None or any(str(member.pk) not in marks for member in members):
        return None
    return ParticipationFacts(
        {cohort.pk: list(sessions.values())},
        {cohort.pk: []},
        set(kept["taken"]),
        {
            member.pk: {int(pk): mark for pk, mark in marks[str(member.pk)].items()}
            for member in members
        },
        {},
    )


def transfer_cohorts(programme_id: int, cohort_id: int):
    """The cohorts a place in cohort `cohort_id` may be transferred to: the programme's others
    not cancelled or completed, each with its programme (a cohort is named with it)."""
    return (
        Cohort.objects.filter(programme_id=programme_id)
        .exclude(pk=cohort_id)
        .exclude(status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED])
        .select_related("programme")
    )


def transfer_cohort_names(programme_id: int, cohort_id: int):
    """transfer_cohorts as a page lists them to choose from: each one's id and what names it
    (its programme's short name, year and name), not every column of it and its programme."""
    return transfer_cohorts(programme_id, cohort_id).values_list(
        "pk", "programme__short_name", "academic_year", "name"
    )


# ---- A school's place, for the person asking ----


def school_place_seen_by(user, pk) -> SchoolPlace | None:
    """The school's place `pk` with its cohort, programme and school, if this person may see
    it (the rule of SchoolPlaceQuerySet.for_user), by a fixed query for each scope."""
    if sees_every_school_place(user):
        found = fixed_objects(_school_place, int(pk))
    else:
        found = fixed_objects(_school_place_seen_by, int(pk), user.pk)
    return found[0] if found else None


def school_place_editable_by(user, place) -> bool:
    """Whether this person may write the place's action plan and evaluation
    (SchoolPlaceQuerySet.editable_by): staff who see its cohort, or its team."""
    if sees_every_cohort(user):
        return True
    return bool(fixed_rows(_school_place_editable_by, place.pk, user.pk))


def school_place_events(place_id: int):
    """The place's history, with who made each change."""
    return SchoolPlaceEvent.objects.filter(school_place_id=place_id).select_related("by")


def _school_place(pk: int):
    return SchoolPlace.objects.filter(pk=pk).select_related("cohort__programme", "school")


def _school_place_seen_by(pk: int, user_id: int):
    return _school_place(pk).seen_by(user_id)


def _school_place_editable_by(pk: int, user_id: int):
    return SchoolPlace.objects.filter(pk=pk).editable_by_id(user_id).values_list("pk")
