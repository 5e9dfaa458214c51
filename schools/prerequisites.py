"""Whether a school's Work Group history lets it sign up for a programme: a pure rule, facts in,
answer out (no Django), so every case is a row in a table test.

A programme's conditions (programmes.Prerequisite) must all be met, except that a condition
marked "or" is an alternative to the one before it: conditions form groups, a group is met when
any of its conditions is, and every group must be met. The history is the school's years in
Work Group programmes, in the portal and imported (schools.SchoolProgrammeYear).
"""

from __future__ import annotations

from dataclasses import dataclass

COMPLETED_ANY = "completed_any"
TAKEN_PART_ANY = "taken_part_any"
NEVER_TAKEN_PART = "never_taken_part"

# A year the school took part in, whether or not it completed; a withdrawal does not count.
TOOK_PART = frozenset({"taking_part", "completed", "not_completed"})


@dataclass(frozen=True)
class HistoryYear:
    programme_id: int
    academic_year: int  # 2025 means 2025/26
    status: str  # taking_part, completed, not_completed, withdrawn


@dataclass(frozen=True)
class Condition:
    kind: str
    programmes: tuple[tuple[int, str], ...]  # (id, name) of each programme it names
    or_previous: bool = False
    junior_schools_exempt: bool = False


@dataclass(frozen=True)
class PrerequisiteCheck:
    met: bool
    reasons: tuple[str, ...] = ()  # one sentence for each group of conditions not met

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def school_year_words(academic_year: int) -> str:
    return f"{academic_year}/{(academic_year + 1) % 100:02d}"


def _names(condition: Condition) -> str:
    names = [name for _, name in condition.programmes]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def _unmet(
    condition: Condition, history: tuple[HistoryYear, ...], junior: bool, for_year: int
) -> str:
    """Why the condition is not met, in a sentence's clause; empty when it is met."""
    if junior and condition.junior_schools_exempt:
        return ""
    ids = {programme_id for programme_id, _ in condition.programmes}
    mine = [year for year in history if year.programme_id in ids]
    names = _names(condition)
    if condition.kind == COMPLETED_ANY:
        if any(y.status == "completed" and y.academic_year < for_year for y in mine):
            return ""
        return f"no completed {names} year was found for this school"
    if condition.kind == TAKEN_PART_ANY:
        if any(y.status in TOOK_PART and y.academic_year <= for_year for y in mine):
            return ""
        return f"the school has not taken part in {names}"
    if condition.kind == NEVER_TAKEN_PART:
        took_part = sorted({y.academic_year for y in mine if y.status in TOOK_PART})
        if not took_part:
            return ""
        years = ", ".join(school_year_words(year) for year in took_part)
        return f"it is for schools new to {names}, and this school took part in {years}"
    return f"a condition the portal does not know ({condition.kind}) cannot be checked"


def _needs(condition: Condition) -> str:
    names = _names(condition)
    if condition.kind == COMPLETED_ANY:
        return f"needs {names} first"
    if condition.kind == TAKEN_PART_ANY:
        return f"needs the school to take part, or to have taken part, in {names}"
    return f"is for schools that have never taken part in {names}"


def prerequisites_check(
    *,
    programme_name: str,
    conditions: tuple[Condition, ...],
    history: tuple[HistoryYear, ...],
    junior: bool,
    for_year: int,
) -> PrerequisiteCheck:
    """Whether a school with this history may sign up for the programme's cohort in
    `for_year`, and if not, why, in sentences staff and the school read
    ("Embedding needs Development first: no completed Development year was found for this
    school.")."""
    groups: list[list[Condition]] = []
    for condition in conditions:
        if condition.or_previous and groups:
            groups[-1].append(condition)
        else:
            groups.append([condition])
    reasons = []
    for group in groups:
        unmet = [_unmet(condition, history, junior, for_year) for condition in group]
        if any(clause == "" for clause in unmet):
            continue
        if len(group) == 1:
            reasons.append(f"{programme_name} {_needs(group[0])}: {unmet[0]}.")
        else:
            needs = " or ".join(_needs(condition).removeprefix("needs ") for condition in group)
            reasons.append(f"{programme_name} needs {needs}: {'; and '.join(unmet)}.")
    return PrerequisiteCheck(met=not reasons, reasons=tuple(reasons))
