"""Funded alternatives suit the applicant's role: a table of roles in their own words."""

import pytest

from funding.rules import (
    EARLY_YEARS_LEADERSHIP,
    EHCO,
    EXECUTIVE_LEADERSHIP,
    HEADSHIP,
    LEADING_TEACHING,
    SENCO,
    SENIOR_LEADERSHIP,
)
from funding.suitability import SUITED_COURSES, role_kind, suited_courses

# What a school not on the PP50 list is funded for under 2026, in the engine's order.
NOT_PP50_2026 = (HEADSHIP, SENIOR_LEADERSHIP, EARLY_YEARS_LEADERSHIP, SENCO)


@pytest.mark.parametrize(
    ("role", "kind", "offered"),
    [
        ("Maths lead", "middle_leader", (SENIOR_LEADERSHIP,)),
        ("Head of maths", "middle_leader", (SENIOR_LEADERSHIP,)),
        ("Head of Year 6", "middle_leader", (SENIOR_LEADERSHIP,)),
        ("KS2 co-ordinator", "middle_leader", (SENIOR_LEADERSHIP,)),
        ("Class teacher", "teacher", ()),
        ("Year 4 teacher", "teacher", ()),
        ("Librarian", "teacher", ()),
        ("Deputy headteacher", "senior_leader", (HEADSHIP, SENIOR_LEADERSHIP)),
        ("Assistant Head", "senior_leader", (HEADSHIP, SENIOR_LEADERSHIP)),
        ("Vice principal", "senior_leader", (HEADSHIP, SENIOR_LEADERSHIP)),
        ("Headteacher", "headteacher", (HEADSHIP,)),
        ("Head teacher", "headteacher", (HEADSHIP,)),
        ("Head of School", "headteacher", (HEADSHIP,)),
        ("Principal", "headteacher", (HEADSHIP,)),
        ("Executive headteacher", "executive_leader", ()),
        ("Trust CEO", "executive_leader", ()),
        ("SENCO", "senco", (SENIOR_LEADERSHIP, SENCO)),
        ("Inclusion manager", "senco", (SENIOR_LEADERSHIP, SENCO)),
        ("Early years lead", "early_years", (EARLY_YEARS_LEADERSHIP, SENCO)),
        ("EYFS practitioner", "early_years", (EARLY_YEARS_LEADERSHIP, SENCO)),
        ("", "teacher", NOT_PP50_2026),  # no role given: nothing is held back
    ],
)
def test_alternatives_suit_the_role(role, kind, offered):
    assert role_kind(role) == kind
    assert suited_courses(role, NOT_PP50_2026) == offered


def test_every_kind_of_role_is_meant_for_some_npq_and_only_headteachers_get_ehco():
    assert all(SUITED_COURSES.values())
    assert [kind for kind, courses in SUITED_COURSES.items() if EHCO in courses] == ["headteacher"]
    assert [kind for kind, courses in SUITED_COURSES.items() if HEADSHIP in courses] == [
        "senior_leader",
        "headteacher",
    ]
    assert LEADING_TEACHING in SUITED_COURSES["middle_leader"]
    assert EXECUTIVE_LEADERSHIP not in SUITED_COURSES["middle_leader"]
