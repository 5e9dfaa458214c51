"""Work Group prerequisites from a school's history: each rule of MATHS_HUBS.md allowed and
refused, with the reason (a pure table), then read from the database."""

import pytest

from programmes.models import Prerequisite
from programmes.tests.factories import ProgrammeFactory
from schools.models import SchoolProgrammeYear
from schools.prerequisites import (
    COMPLETED_ANY,
    NEVER_TAKEN_PART,
    TAKEN_PART_ANY,
    Condition,
    HistoryYear,
    prerequisites_check,
)
from schools.selectors import school_prerequisites_check
from schools.tests.factories import SchoolFactory

READINESS, DEVELOPMENT, EMBEDDING, SUSTAINING, SPECIALIST, MN, MN_KS2 = range(1, 8)
NAMES = {
    DEVELOPMENT: "Development",
    EMBEDDING: "Embedding",
    SUSTAINING: "Sustaining",
    SPECIALIST: "Primary Mastery Specialist",
    MN: "Mastering Number",
}


def _on(*ids):
    return tuple((i, NAMES[i]) for i in ids)


RULES = {
    "Development": (Condition(NEVER_TAKEN_PART, _on(DEVELOPMENT)),),
    "Embedding": (Condition(COMPLETED_ANY, _on(DEVELOPMENT)),),
    "Sustaining": (
        Condition(COMPLETED_ANY, _on(DEVELOPMENT, EMBEDDING)),
        Condition(TAKEN_PART_ANY, _on(SPECIALIST), or_previous=True),
    ),
    "Mastering Number": (Condition(NEVER_TAKEN_PART, _on(MN)),),
    "Mastering Number KS2": (
        Condition(TAKEN_PART_ANY, _on(SUSTAINING)),
        Condition(COMPLETED_ANY, _on(MN), junior_schools_exempt=True),
    ),
}


def _year(programme, year, status="completed"):
    return HistoryYear(programme, year, status)


@pytest.mark.parametrize(
    ("programme", "history", "junior", "reasons"),
    [
        # Development: once only.
        ("Development", (), False, ()),
        ("Development", (_year(DEVELOPMENT, 2024, "withdrawn"),), False, ()),
        (
            "Development",
            (_year(DEVELOPMENT, 2023, "not_completed"),),
            False,
            (
                "Development is for schools that have never taken part in Development: it is "
                "for schools new to Development, and this school took part in 2023/24.",
            ),
        ),
        # Embedding: Development done.
        ("Embedding", (_year(DEVELOPMENT, 2025),), False, ()),
        (
            "Embedding",
            (),
            False,
            (
                "Embedding needs Development first: no completed Development year was found "
                "for this school.",
            ),
        ),
        (
            "Embedding",
            (_year(DEVELOPMENT, 2025, "not_completed"), _year(DEVELOPMENT, 2026, "taking_part")),
            False,
            (
                "Embedding needs Development first: no completed Development year was found "
                "for this school.",
            ),
        ),
        # A Development year completed in the cohort's own year is not yet history.
        (
            "Embedding",
            (_year(DEVELOPMENT, 2026),),
            False,
            (
                "Embedding needs Development first: no completed Development year was found "
                "for this school.",
            ),
        ),
        # Sustaining: Development or Embedding done, or a Mastery Specialist's school.
        ("Sustaining", (_year(EMBEDDING, 2022),), False, ()),
        ("Sustaining", (_year(SPECIALIST, 2026, "taking_part"),), False, ()),
        (
            "Sustaining",
            (_year(SPECIALIST, 2025, "withdrawn"),),
            False,
            (
                "Sustaining needs Development or Embedding first or the school to take part, "
                "or to have taken part, in Primary Mastery Specialist: no completed "
                "Development or Embedding year was found for this school; and the school has "
                "not taken part in Primary Mastery Specialist.",
            ),
        ),
        # Mastering Number: schools not yet engaged with it.
        ("Mastering Number", (_year(DEVELOPMENT, 2024),), False, ()),
        (
            "Mastering Number",
            (_year(MN, 2024, "taking_part"), _year(MN, 2025)),
            False,
            (
                "Mastering Number is for schools that have never taken part in Mastering "
                "Number: it is for schools new to Mastering Number, and this school took part "
                "in 2024/25, 2025/26.",
            ),
        ),
        # KS2: in Sustaining and a year of Mastering Number; junior schools exempt from that.
        (
            "Mastering Number KS2",
            (_year(SUSTAINING, 2026, "taking_part"), _year(MN, 2024)),
            False,
            (),
        ),
        ("Mastering Number KS2", (_year(SUSTAINING, 2026, "taking_part"),), True, ()),
        (
            "Mastering Number KS2",
            (_year(SUSTAINING, 2026, "taking_part"),),
            False,
            (
                "Mastering Number KS2 needs Mastering Number first: no completed Mastering "
                "Number year was found for this school.",
            ),
        ),
        (
            "Mastering Number KS2",
            (),
            True,
            (
                "Mastering Number KS2 needs the school to take part, or to have taken part, in "
                "Sustaining: the school has not taken part in Sustaining.",
            ),
        ),
    ],
)
def test_prerequisites(programme, history, junior, reasons):
    check = prerequisites_check(
        programme_name=programme,
        conditions=RULES[programme],
        history=history,
        junior=junior,
        for_year=2026,
    )

    assert check.reasons == reasons
    assert check.met is (reasons == ())


def test_a_programme_without_conditions_is_open_to_every_school():
    check = prerequisites_check(
        programme_name="Readiness", conditions=(), history=(), junior=False, for_year=2026
    )
    assert check.met and check.reason == ""


@pytest.mark.django_db
def test_the_check_reads_both_the_portals_years_and_the_imported_ones():
    development = ProgrammeFactory(short_name="Development")
    embedding = ProgrammeFactory(short_name="Embedding")
    rule = Prerequisite.objects.create(programme=embedding, kind=COMPLETED_ANY)
    rule.programmes.add(development)
    imported, portal, none = SchoolFactory(), SchoolFactory(), SchoolFactory()
    SchoolProgrammeYear.objects.create(
        school=imported,
        programme=development,
        academic_year=2024,
        status="completed",
        source="imported",
    )
    SchoolProgrammeYear.objects.create(
        school=portal,
        programme=development,
        academic_year=2025,
        status="completed",
        source="portal",
    )

    def check(school):
        return school_prerequisites_check(school=school, programme=embedding, academic_year=2026)

    assert check(imported).met and check(portal).met
    assert check(none).reason == (
        "Embedding needs Development first: no completed Development year was found for this "
        "school."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "junior"),
    [
        ("Oakfield Junior School", True),
        ("Oakfield Infant and Junior School", False),
        ("Oakfield Primary School", False),
    ],
)
def test_a_junior_school_is_known_by_its_name(name, junior):
    assert SchoolFactory(name=name).is_junior is junior
