"""Reads about programmes that span their parts: a Work Group's set-up, in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from npq_portal.money import pounds

from .models import Prerequisite, Programme, RoleSlot


@dataclass(frozen=True)
class WorkGroupWords:
    """A school-team programme's set-up as the public page and staff read it."""

    team: str
    needs: str = ""
    completion: str = ""
    priority: str = ""
    grants: tuple[str, ...] = field(default_factory=tuple)


def _listed(names: list[str], joiner: str = "and") -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {joiner} " + names[-1]


def _slot_words(slot: RoleSlot) -> str:
    notes = []
    if slot.required:
        notes.append("required")
    if slot.people > 1:
        notes.append(f"up to {slot.people} people")
    return f"{slot.label} ({', '.join(notes)})" if notes else slot.label


CONDITION_WORDS = {
    Prerequisite.Kind.COMPLETED_ANY: "has completed a year of {names}",
    Prerequisite.Kind.TAKEN_PART_ANY: "takes part now, or has taken part, in {names}",
    Prerequisite.Kind.NEVER_TAKEN_PART: "has never taken part in {names}",
}


def _condition_words(condition: Prerequisite) -> str:
    names = [p.short_name or p.name for p in condition.programmes.all()]
    words = CONDITION_WORDS.get(condition.kind, condition.get_kind_display().lower() + " {names}")
    text = words.format(names=_listed(names, "or"))
    return text + (" (junior schools need not)" if condition.junior_schools_exempt else "")


def _needs(conditions: list[Prerequisite]) -> str:
    groups: list[list[str]] = []
    for condition in conditions:
        if condition.or_previous and groups:
            groups[-1].append(_condition_words(condition))
        else:
            groups.append([_condition_words(condition)])
    if not groups:
        return ""
    text = "; and ".join(", or ".join(group) for group in groups)
    return f"Needs: the school {text}."


def _completion(programme: Programme) -> str:
    parts = []
    if programme.completion_sessions:
        sessions = programme.completion_sessions
        parts.append(
            f"a lead participant attended at least {sessions} session{'s' if sessions != 1 else ''}"
        )
    if programme.completion_needs_action_plan:
        parts.append("its action plan is in")
    if not parts:
        return "Completion: staff judge when a school has completed."
    return f"A school completes when {' and '.join(parts)}."


def _school_year(academic_year: int) -> str:
    return f"{academic_year}/{(academic_year + 1) % 100:02d}"


def programme_work_group_words(*, programme: Programme) -> WorkGroupWords | None:
    """How schools take part in a school-team programme, in sentences ("Schools sign up a team:
    Reception lead teacher, …"); None (and no query) for a programme individual teachers
    apply for. Four queries: its role slots, prerequisites and their programmes, and grants."""
    if not programme.for_school_teams:
        return None
    conditions = Prerequisite.objects.filter(programme=programme).prefetch_related(
        Prefetch("programmes", queryset=Programme.objects.order_by("name"))
    )
    slots = list(programme.role_slots.all())
    leads = [_slot_words(slot) for slot in slots if slot.kind == RoleSlot.Kind.LEAD]
    supporting = [_slot_words(slot) for slot in slots if slot.kind != RoleSlot.Kind.LEAD]
    if leads:
        least = programme.team_leads_min
        team = "Schools sign up a team"
        if len(leads) > 1 or least > 1:
            team += f" of at least {least} lead participant{'s' if least != 1 else ''}"
        team += f": {_listed(leads)}"
        if supporting:
            team += f"; supporting: {_listed(supporting)}"
        team += "."
    else:
        team = "Schools sign up a team (its roles are not set up yet)."
    priority = programme.get_priority_display()
    return WorkGroupWords(
        team=team,
        needs=_needs(list(conditions)),
        completion=_completion(programme),
        priority=f"When there are more schools than places: {priority[:1].lower()}{priority[1:]}.",
        grants=tuple(
            f"{pounds(grant.amount)} a school in {_school_year(grant.academic_year)}: "
            f"{grant.purpose[:1].lower()}{grant.purpose[1:]}."
            for grant in programme.grants.all()
        ),
    )
