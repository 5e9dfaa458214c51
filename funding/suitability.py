"""Which NPQs suit which roles, so that funded alternatives are offered only to people they
are meant for (a maths lead is not pointed at Headship). Pure: no Django.

Who each NPQ is for follows DfE's descriptions (../shared/seeds/004, 003 and 000): the
specialist NPQs are for teachers who lead, or aspire to lead, teaching, teacher development,
behaviour, literacy or primary mathematics; Senior leadership for those who are or aspire to
be senior leaders; Headship for senior leaders who are or aspire to be headteachers; Executive
leadership for executive headteachers and trust leaders; EHCO for new headteachers; SENCO for
SENCOs and those in inclusion; Early years leadership for early-years leaders.

The applicant's role is their own words ("Maths lead"), read into a kind of role by the first
pattern that matches, in ROLE_PATTERNS' order; words that match none are read as a teacher's.
"""

from __future__ import annotations

import re

from .rules import (
    EARLY_YEARS_LEADERSHIP,
    EHCO,
    EXECUTIVE_LEADERSHIP,
    HEADSHIP,
    LEADING_BEHAVIOUR_CULTURE,
    LEADING_LITERACY,
    LEADING_PRIMARY_MATHEMATICS,
    LEADING_TEACHER_DEVELOPMENT,
    LEADING_TEACHING,
    SENCO,
    SENIOR_LEADERSHIP,
)

TEACHER = "teacher"
MIDDLE_LEADER = "middle_leader"
SENIOR_LEADER = "senior_leader"
HEADTEACHER = "headteacher"
EXECUTIVE_LEADER = "executive_leader"
SENCO_ROLE = "senco"
EARLY_YEARS = "early_years"

# First match wins: "deputy head" is a senior leader and "head of maths" a middle leader before
# "head" is read as a headteacher; "early years lead" is early years before "lead".
ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (EXECUTIVE_LEADER, r"\bexecutive\b|\bceo\b|chief executive|\btrust (leader|lead)\b"),
        (SENCO_ROLE, r"\bsen[d]?co\b|special educational needs|\binclusion\b"),
        (EARLY_YEARS, r"early years|\beyfs\b|\bnursery\b|childminder|pre-?school"),
        (
            SENIOR_LEADER,
            r"\bdeputy\b|assistant head|vice[- ]principal|assistant principal|"
            r"\bsenior (leader|leadership|lead)\b|\bslt\b",
        ),
        (
            MIDDLE_LEADER,
            r"\bhead of (?!school\b)|\blead\b|\bleader\b|co-?ordinator|\bhod\b|subject lead",
        ),
        (HEADTEACHER, r"\bhead ?teacher\b|\bhead of school\b|\bprincipal\b|\bhead\b"),
    )
)

_SPECIALIST = frozenset(
    {
        LEADING_TEACHING,
        LEADING_TEACHER_DEVELOPMENT,
        LEADING_BEHAVIOUR_CULTURE,
        LEADING_LITERACY,
        LEADING_PRIMARY_MATHEMATICS,
    }
)
SUITED_COURSES: dict[str, frozenset[str]] = {
    TEACHER: _SPECIALIST,
    MIDDLE_LEADER: _SPECIALIST | {SENIOR_LEADERSHIP},
    SENIOR_LEADER: _SPECIALIST | {SENIOR_LEADERSHIP, HEADSHIP},
    HEADTEACHER: frozenset({HEADSHIP, EXECUTIVE_LEADERSHIP, EHCO}),
    EXECUTIVE_LEADER: frozenset({EXECUTIVE_LEADERSHIP}),
    SENCO_ROLE: frozenset({SENCO, SENIOR_LEADERSHIP, LEADING_BEHAVIOUR_CULTURE, LEADING_TEACHING}),
    EARLY_YEARS: frozenset({EARLY_YEARS_LEADERSHIP, SENCO}),
}


def role_kind(role: str) -> str:
    """The kind of role the applicant's words describe (a teacher's when none fits)."""
    text = " ".join(str(role or "").lower().split())
    for kind, pattern in ROLE_PATTERNS:
        if pattern.search(text):
            return kind
    return TEACHER


def suited_courses(role: str, courses: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Those of `courses` meant for someone in this role, in the order given; all of them when
    no role is given."""
    if not str(role or "").strip():
        return tuple(courses)
    suited = SUITED_COURSES[role_kind(role)]
    return tuple(course for course in courses if course in suited)
