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
    """Participation of each of `enrolments` (of one cohort), by enrolment id, in five
    queries however many people, sessions and modules (participants/participation.py)."""
    from django.utils import timezone

    from cohorts.models import ModuleWindow, Session

    from .models import Attendance, ModulePhaseDone

    enrolments = list(enrolments)
    now = timezone.now()
    today = today or timezone.localdate(now)
    sessions = list(
        Session.objects.filter(cohort=cohort, status=Session.Status.SCHEDULED)
        .order_by("starts_at", "pk")
        .values_list("pk", "starts_at")
    )
    taken = set(
        Attendance.objects.filter(session__cohort=cohort, session__starts_at__lte=now)
        .values_list("session_id", flat=True)
        .distinct()
    )
    marks: dict[int, dict[int, str]] = {e.pk: {} for e in enrolments}
    scheduled = {pk for pk, _ in sessions}
    for enrolment_id, session_id, mark in Attendance.objects.filter(
        enrolment__in=[e.pk for e in enrolments], session__cohort=cohort
    ).values_list("enrolment_id", "session_id", "mark"):
        if session_id in scheduled:  # a cancelled session's marks no longer count
            marks[enrolment_id][session_id] = mark
    windows = list(
        ModuleWindow.objects.filter(cohort=cohort).values_list(
            "module_id", "study_due_on", "application_due_on"
        )
    )
    # Phases finished count for the person, whichever of their places they ticked them in
    # (a transfer keeps what was done in the first cohort).
    done_by_person: dict[int, set[tuple[int, str]]] = {}
    for person_id, module_id, phase in ModulePhaseDone.objects.filter(
        enrolment__participant__in={e.participant_id for e in enrolments},
        module_id__in={module_id for module_id, _, _ in windows},
    ).values_list("enrolment__participant_id", "module_id", "phase"):
        done_by_person.setdefault(person_id, set()).add((module_id, phase))
    phases = [
        ((module_id, phase), due_on)
        for module_id, study_due, application_due in windows
        for phase, due_on in (("study", study_due), ("application", application_due))
    ]
    result = {}
    for enrolment in enrolments:
        joined = enrolment.created_at
        own_marks = marks[enrolment.pk]
        done = done_by_person.get(enrolment.participant_id, set())
        # Someone who joined late owes only what came after they joined, unless marked.
        their_sessions = [pk for pk, at in sessions if at >= joined or pk in own_marks]
        their_phases = {
            key: due_on
            for key, due_on in phases
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
