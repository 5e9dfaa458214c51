"""Reads across models: list memberships, institutions for the funding rules, what-if reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import EligibilityList, EligibilityListEntry, School
from .participation import Participation, participation_count


@dataclass
class EligibilityIndex:
    """Every current eligibility list as a set, loaded once, for evaluating many people."""

    members: dict[str, frozenset[str]]
    versions: dict[str, int]

    def flags(self, *, urn: str = "", ukprn: str = "") -> dict[str, bool]:
        """The `on_*` facts of the funding rules for an institution with this URN or UKPRN."""
        flags = {}
        for kind, fact in EligibilityList.FACT.items():
            column = EligibilityList.IDENTIFIER[kind]
            key = ukprn if column == "UKPRN" else urn
            flags[fact] = bool(key) and key.upper() in self.members.get(kind, frozenset())
        return flags


def eligibility_index() -> EligibilityIndex:
    """The current version of every list (one query for the versions, one for their entries)."""
    current = dict(EligibilityList.objects.current().values_list("pk", "kind"))
    members: dict[str, set[str]] = {kind: set() for kind in current.values()}
    entries = EligibilityListEntry.objects.filter(eligibility_list_id__in=current).values_list(
        "eligibility_list_id", "identifier"
    )
    for list_id, identifier in entries.iterator(chunk_size=20000):
        members[current[list_id]].add(identifier)
    return EligibilityIndex(
        members={kind: frozenset(values) for kind, values in members.items()},
        versions={kind: pk for pk, kind in current.items()},
    )


class InstitutionNotFound(LookupError):
    """No institution with the URN or UKPRN given; the message says which."""


@dataclass
class InstitutionLookup:
    """Institutions by URN or UKPRN for the funding rules, each looked up once per run."""

    index: EligibilityIndex = field(default_factory=eligibility_index)
    _seen: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    def institution(self, given: dict) -> dict:
        """The funding facts of an institution given only by `urn` or `ukprn` (and `kind`)."""
        urn = str(given.get("urn") or "").strip()
        ukprn = str(given.get("ukprn") or "").strip()
        kind = given.get("kind") or ""
        key = (kind, urn, ukprn)
        if key not in self._seen:
            self._seen[key] = self._look_up(kind, urn, ukprn)
        return self._seen[key]

    def _look_up(self, kind: str, urn: str, ukprn: str) -> dict:
        if not urn and not ukprn:
            raise InstitutionNotFound("The institution needs a URN or a UKPRN to be looked up.")
        if kind == "private_childcare_provider":
            # Ofsted's register is not imported: the lists themselves say what the rules need.
            return {"kind": kind, "urn": urn.upper(), **self.index.flags(urn=urn)}
        schools = School.objects.all()
        if urn:
            if not (urn.isascii() and urn.isdigit()):
                raise InstitutionNotFound(f"URN {urn} is not a number.")
            school = schools.filter(urn=int(urn)).first()
        else:
            school = schools.filter(ukprn=ukprn).order_by("status_code", "-urn").first()
        if school is None:
            raise InstitutionNotFound(
                f"No school with {'URN ' + urn if urn else 'UKPRN ' + ukprn} in the GIAS data."
            )
        return {
            "kind": "school",
            "urn": str(school.urn),
            "ukprn": school.ukprn or None,
            "establishment_type_code": school.establishment_type_code,
            "number_of_pupils": school.number_of_pupils,
            "phase_name": school.phase_name,
            **self.index.flags(urn=str(school.urn), ukprn=ukprn or school.ukprn),
        }


@dataclass(frozen=True)
class DecisionChange:
    decision_id: int
    subject: str
    before: str
    after: str
    reason: str


@dataclass
class WhatChangesReport:
    rules: str
    with_current_lists: bool
    checked: int = 0
    unchanged: int = 0
    failed: int = 0
    changes: list[DecisionChange] = field(default_factory=list)
    moves: dict[tuple[str, str], int] = field(default_factory=dict)  # (before, after): count


def funding_what_changes(
    *, rules: str, with_current_lists: bool, limit: int = 200
) -> WhatChangesReport:
    """Which recorded decisions would come out differently under `rules` (and the current
    lists): each decision's own facts are evaluated again; nothing is written."""
    from .funding import FundingError, facts_from_json, funding_evaluate
    from .models import FundingDecision

    index = eligibility_index() if with_current_lists else None
    report = WhatChangesReport(rules=rules, with_current_lists=with_current_lists)
    decisions = FundingDecision.objects.order_by("pk").values_list(
        "pk", "subject", "facts", "status"
    )
    for pk, subject, facts, before in decisions.iterator(chunk_size=2000):
        report.checked += 1
        institution = facts.get("institution")
        if index is not None and isinstance(institution, dict):
            urn = str(institution.get("urn") or "")
            ukprn = str(institution.get("ukprn") or "")
            facts = {**facts, "institution": {**institution, **index.flags(urn=urn, ukprn=ukprn)}}
        try:
            outcome = funding_evaluate(facts_from_json(facts), rules=rules)
        except FundingError:
            report.failed += 1
            continue
        if outcome.status == before:
            report.unchanged += 1
            continue
        move = (before, outcome.status)
        report.moves[move] = report.moves.get(move, 0) + 1
        if len(report.changes) < limit:
            report.changes.append(
                DecisionChange(pk, subject, before, outcome.status, outcome.reason)
            )
    return report


def application_funding_preview(application):
    """The funding outcome the answers so far would get (nothing is recorded), or None when
    the programme is not DfE-funded or the answers cannot be evaluated yet."""
    from .funding import FundingError, facts_from_json, funding_evaluate, institution_needs_lookup
    from .services import application_funding_facts

    facts = application_funding_facts(application)
    if facts is None:
        return None
    try:
        if isinstance(facts.get("institution"), dict) and institution_needs_lookup(facts):
            facts = {**facts, "institution": InstitutionLookup().institution(facts["institution"])}
        return funding_evaluate(facts_from_json(facts), rules=application.cohort.funding_rules)
    except (FundingError, InstitutionNotFound):
        return None


def cohort_participation(*, cohort, enrolments, today=None) -> dict[int, Participation]:
    """Participation of each of a cohort's `enrolments`, by enrolment id."""
    return enrolments_participation(enrolments=enrolments, today=today)


def enrolments_participation(*, enrolments, today=None) -> dict[int, Participation]:
    """Participation of each enrolment, by id, in five queries however many people, cohorts,
    sessions and modules (the definition is in participants/participation.py)."""
    from django.utils import timezone

    from cohorts.models import ModuleWindow, Session

    from .models import Attendance, ModulePhaseDone

    enrolments = list(enrolments)
    if not enrolments:
        return {}
    now = timezone.now()
    today = today or timezone.localdate(now)
    cohort_ids = {e.cohort_id for e in enrolments}
    sessions: dict[int, list] = {pk: [] for pk in cohort_ids}
    for pk, cohort_id, starts_at in (
        Session.objects.filter(cohort__in=cohort_ids, status=Session.Status.SCHEDULED)
        .order_by("starts_at", "pk")
        .values_list("pk", "cohort_id", "starts_at")
    ):
        sessions[cohort_id].append((pk, starts_at))
    scheduled = {pk for rows in sessions.values() for pk, _ in rows}
    taken = set(
        Attendance.objects.filter(session__cohort__in=cohort_ids, session__starts_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    marks: dict[int, dict[int, str]] = {e.pk: {} for e in enrolments}
    for enrolment_id, session_id, mark in Attendance.objects.filter(
        enrolment__in=[e.pk for e in enrolments]
    ).values_list("enrolment_id", "session_id", "mark"):
        if session_id in scheduled:  # a cancelled session's marks no longer count
            marks[enrolment_id][session_id] = mark
    phases: dict[int, list] = {pk: [] for pk in cohort_ids}
    for cohort_id, module_id, study_due, application_due in ModuleWindow.objects.filter(
        cohort__in=cohort_ids
    ).values_list("cohort_id", "module_id", "study_due_on", "application_due_on"):
        phases[cohort_id] += [
            ((module_id, "study"), study_due),
            ((module_id, "application"), application_due),
        ]
    # Phases finished count for the person, whichever of their places they ticked them in
    # (a transfer keeps what was done in the first cohort).
    done_by_person: dict[int, set[tuple[int, str]]] = {}
    for person_id, module_id, phase in ModulePhaseDone.objects.filter(
        enrolment__participant__in={e.participant_id for e in enrolments},
        module_id__in={key[0] for rows in phases.values() for key, _ in rows},
    ).values_list("enrolment__participant_id", "module_id", "phase"):
        done_by_person.setdefault(person_id, set()).add((module_id, phase))
    result = {}
    for enrolment in enrolments:
        joined = enrolment.created_at
        own_marks = marks[enrolment.pk]
        done = done_by_person.get(enrolment.participant_id, set())
        # Someone who joined late owes only what came after they joined, unless marked.
        their_sessions = [
            pk for pk, at in sessions[enrolment.cohort_id] if at >= joined or pk in own_marks
        ]
        their_phases = {
            key: due_on
            for key, due_on in phases[enrolment.cohort_id]
            if due_on >= timezone.localdate(joined) or key in done
        }
        result[enrolment.pk] = participation_count(
            registers_taken=[pk for pk in their_sessions if pk in taken],
            sessions_total=len(their_sessions),
            marks=own_marks,
            phases_due={key for key, due_on in their_phases.items() if due_on < today},
            phases_total=set(their_phases),
            phases_done=done,
        )
    return result


def enrolment_participation(enrolment) -> Participation:
    """One participant's participation in their cohort."""
    return cohort_participation(cohort=enrolment.cohort, enrolments=[enrolment])[enrolment.pk]


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


def cohort_progress_grid(*, cohort) -> ProgressGrid:
    """The cohort grid: every participant with a current place × the cohort's sessions and
    modules, with participation and who is at risk. A fixed number of queries."""
    from django.conf import settings
    from django.utils import timezone

    from cohorts.models import ModuleWindow, Session

    from .models import Attendance, Enrolment, ModulePhaseDone

    threshold = settings.ASSESSMENT["participation_threshold"]
    enrolments = list(
        Enrolment.objects.filter(cohort=cohort)
        .holding_a_place()
        .select_related("participant")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )
    figures = cohort_participation(cohort=cohort, enrolments=enrolments)
    sessions = list(
        Session.objects.filter(cohort=cohort, status=Session.Status.SCHEDULED).order_by(
            "starts_at", "pk"
        )
    )
    windows = list(
        ModuleWindow.objects.filter(cohort=cohort).select_related("module").order_by("opens_on")
    )
    marks = {
        (enrolment_id, session_id): mark
        for enrolment_id, session_id, mark in Attendance.objects.filter(
            session__cohort=cohort
        ).values_list("enrolment_id", "session_id", "mark")
    }
    done = set(
        ModulePhaseDone.objects.filter(
            enrolment__participant__in=[e.participant_id for e in enrolments],
            module__in=[w.module_id for w in windows],
        ).values_list("enrolment__participant_id", "module_id", "phase")
    )
    rows = [
        ProgressRow(
            enrolment=enrolment,
            participation=figures[enrolment.pk],
            at_risk=figures[enrolment.pk].at_risk(threshold),
            marks=[marks.get((enrolment.pk, s.pk), "") for s in sessions],
            phases=[
                (
                    (enrolment.participant_id, w.module_id, "study") in done,
                    (enrolment.participant_id, w.module_id, "application") in done,
                )
                for w in windows
            ],
        )
        for enrolment in enrolments
    ]
    taken = {session_id for _, session_id in marks}
    now = timezone.now()
    missing = [s for s in sessions if s.starts_at <= now and s.pk not in taken]
    return ProgressGrid(sessions, windows, rows, threshold, missing)


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
    """What one participant has done: module phases, registers and participation."""
    from django.conf import settings
    from django.utils import timezone

    from cohorts.models import ModuleWindow, Session

    from .models import Attendance, ModulePhaseDone

    today = timezone.localdate()
    done = set(
        ModulePhaseDone.objects.filter(
            enrolment__participant_id=enrolment.participant_id
        ).values_list("module_id", "phase")
    )
    marks = dict(Attendance.objects.filter(enrolment=enrolment).values_list("session_id", "mark"))
    windows = ModuleWindow.objects.filter(cohort_id=enrolment.cohort_id).select_related(
        "module__course"
    )
    sessions = Session.objects.filter(
        cohort_id=enrolment.cohort_id, status=Session.Status.SCHEDULED
    ).order_by("starts_at", "pk")
    return EnrolmentProgress(
        participation=enrolment_participation(enrolment),
        threshold=settings.ASSESSMENT["participation_threshold"],
        modules=[
            ModuleProgress(
                window=w,
                study_done=(w.module_id, "study") in done,
                application_done=(w.module_id, "application") in done,
                is_open=w.opens_on <= today,
            )
            for w in windows
        ],
        sessions=[(s, marks.get(s.pk, "")) for s in sessions],
    )
