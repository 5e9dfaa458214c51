"""The funding engine against FUNDING.md: one table of facts and outcomes, no database."""

import dataclasses
import json
from typing import NamedTuple

import pytest

from funding import rules as engine
from funding.rules import (
    ALTERNATIVE_COURSES,
    ASO,
    COURSE_IDENTIFIERS,
    EARLY_YEARS_LEADERSHIP,
    EHCO,
    EXECUTIVE_LEADERSHIP,
    HEADSHIP,
    LEADING_BEHAVIOUR_CULTURE,
    LEADING_LITERACY,
    LEADING_PRIMARY_MATHEMATICS,
    LEADING_TEACHER_DEVELOPMENT,
    LEADING_TEACHING,
    OUTCOME_CODES,
    OVERRIDE_CODES,
    REASONS,
    RULE_SETS,
    SENCO,
    SENIOR_LEADERSHIP,
    Bursary,
    FundingError,
    FundingFacts,
    FundingOutcome,
    Institution,
    facts_from_json,
    funding_evaluate,
    institution_needs_lookup,
    provisional_reason,
    register_rule_set,
    standard_status,
)
from npq_portal.words import FUNDING_OUTCOMES

# ---- Builders: a typical case, changed only where a row says so ----


def school(**changes) -> Institution:
    """A small secondary community school (type 1) on no list."""
    values = {
        "kind": "school",
        "urn": "100001",
        "establishment_type_code": 1,
        "number_of_pupils": 400,
        "phase_name": "Secondary",
    }
    return Institution(**{**values, **changes})


def primary(pupils: int, **changes) -> Institution:
    return school(number_of_pupils=pupils, phase_name="Primary", **changes)


def college(**changes) -> Institution:
    """A further-education college (type 18), known by UKPRN, on no list."""
    values = {
        "kind": "school",
        "ukprn": "10000001",
        "establishment_type_code": 18,
        "number_of_pupils": 3000,
        "phase_name": "16 plus",
    }
    return Institution(**{**values, **changes})


def nursery_school(**changes) -> Institution:
    """A local-authority nursery school (GIAS type 15)."""
    values = {"kind": "school", "urn": "100002", "establishment_type_code": 15}
    return Institution(**{**values, **changes})


def provider(**changes) -> Institution:
    """A private childcare provider known by its Ofsted URN."""
    return Institution(**{"kind": "private_childcare_provider", "urn": "EY123456", **changes})


def at_school(course: str = HEADSHIP, institution: Institution | None = None, **changes):
    changes.setdefault("work_setting", "a_school")
    return FundingFacts(course_identifier=course, institution=institution or school(), **changes)


def in_16_to_19(course: str, institution: Institution | None = None, **changes):
    changes["work_setting"] = "a_16_to_19_educational_setting"
    return at_school(course, institution or college(), **changes)


def in_early_years(course: str, kind: str | None, institution: Institution | None = None, **kw):
    return FundingFacts(
        course_identifier=course,
        work_setting="early_years_or_childcare",
        kind_of_nursery=kind,
        institution=institution,
        **kw,
    )


def elsewhere(course: str, employment_type: str | None = None, **changes):
    return FundingFacts(
        course_identifier=course,
        work_setting="another_setting",
        employment_type=employment_type,
        **changes,
    )


class Expected(NamedTuple):
    status: str
    funded: bool
    subject_to_review: bool
    alternatives: tuple[str, ...]
    bursary: Bursary | None
    waiting_on: tuple[str, ...] = ()


NOT_ELIGIBLE = Bursary(eligible=False, amount=0, enhanced=False)
STANDARD = Bursary(eligible=True, amount=200, enhanced=False)
ENHANCED = Bursary(eligible=True, amount=800, enhanced=True)
REVIEW_STATUSES = {"subject_to_review", "referred_by_return_to_teaching_adviser"}
NOT_PP50_2026 = (HEADSHIP, SENIOR_LEADERSHIP, EARLY_YEARS_LEADERSHIP, SENCO)
NOT_PP50_2025 = (HEADSHIP, SENCO)


def case(
    id: str,
    facts: FundingFacts,
    status: str,
    *,
    rules: str = "2026",
    bursary: bool | None = None,
    expect_bursary: Bursary | None = None,
    alternatives: tuple[str, ...] = (),
    waiting_on: tuple[str, ...] = (),
):
    """One row: funded and subject_to_review follow from the status, as FUNDING.md groups them."""
    expected = Expected(
        status=status,
        funded=status == "funded",
        subject_to_review=status in REVIEW_STATUSES,
        alternatives=alternatives,
        bursary=expect_bursary,
        waiting_on=waiting_on,
    )
    return pytest.param(rules, facts, bursary, expected, id=f"{rules}: {id}")


CASES = [
    # ---- Precedence: cohort, England, previously funded, EHCO, then the work setting ----
    case(
        "unfunded cohort before everything",
        at_school(
            EHCO,
            cohort_funded=False,
            inside_catchment=False,
            previously_funded=True,
            new_headteacher=True,
        ),
        "unfunded_cohort",
    ),
    case(
        "unfunded cohort even for a RISE school",
        at_school(LEADING_TEACHING, school(on_rise_list=True), cohort_funded=False),
        "unfunded_cohort",
    ),
    case(
        "not in England before previously funded",
        at_school(inside_catchment=False, previously_funded=True),
        "not_in_england",
    ),
    case("not in England", at_school(inside_catchment=False), "not_in_england"),
    case(
        "previously funded before EHCO",
        at_school(EHCO, previously_funded=True, new_headteacher=True),
        "previously_funded",
    ),
    case(
        "previously funded before RISE",
        at_school(LEADING_TEACHING, school(on_rise_list=True), previously_funded=True),
        "previously_funded",
    ),
    case(
        "previously funded before the work setting",
        elsewhere(HEADSHIP, "hospital_school", previously_funded=True),
        "previously_funded",
    ),
    case("EHCO for a new headteacher", at_school(EHCO, new_headteacher=True), "funded"),
    case(
        "EHCO not a new headteacher, even at a RISE school",
        at_school(EHCO, school(on_rise_list=True, on_pp50_school_list=True)),
        "not_new_headteacher_requesting_ehco",
    ),
    case(
        "EHCO ignores an ineligible school type",
        at_school(EHCO, school(establishment_type_code=11), new_headteacher=True),
        "funded",
    ),
    case(
        "EHCO ignores an early-years setting",
        in_early_years(EHCO, "private_nursery", new_headteacher=True),
        "funded",
    ),
    case(
        "EHCO ignores the other setting",
        FundingFacts(course_identifier=EHCO, work_setting="other", new_headteacher=True),
        "funded",
    ),
    case(
        "EHCO ignores a missing setting",
        FundingFacts(course_identifier=EHCO, new_headteacher=True),
        "funded",
    ),
    case(
        "EHCO ignores the lead-mentor rule",
        elsewhere(EHCO, "lead_mentor_for_accredited_itt_provider"),
        "not_new_headteacher_requesting_ehco",
    ),
    case(
        "unfunded cohort before everything",
        elsewhere(HEADSHIP, "hospital_school", cohort_funded=False, inside_catchment=False),
        "unfunded_cohort",
        rules="2025",
    ),
    case(
        "not in England before previously funded",
        in_early_years(
            EARLY_YEARS_LEADERSHIP, None, inside_catchment=False, previously_funded=True
        ),
        "not_in_england",
        rules="2025",
    ),
    case(
        "previously funded before EHCO",
        at_school(EHCO, previously_funded=True, new_headteacher=True),
        "previously_funded",
        rules="2025",
    ),
    case(
        "EHCO in 2025 too",
        in_early_years(EHCO, "childminder"),
        "not_new_headteacher_requesting_ehco",
        rules="2025",
    ),
    # ---- Schools: RISE, then establishment type, then PP50 ----
    case(
        "RISE before establishment type",
        at_school(LEADING_TEACHING, school(establishment_type_code=11, on_rise_list=True)),
        "funded",
    ),
    case(
        "RISE funds a PP50-only course off the PP50 list",
        at_school(EXECUTIVE_LEADERSHIP, school(on_rise_list=True)),
        "funded",
    ),
    case(
        "RISE in 2025",
        at_school(SENIOR_LEADERSHIP, school(on_rise_list=True)),
        "funded",
        rules="2025",
    ),
    case(
        "establishment type before PP50",
        at_school(LEADING_TEACHING, school(establishment_type_code=11, on_pp50_school_list=True)),
        "ineligible_establishment_type",
    ),
    case(
        "other independent school for Headship",
        at_school(HEADSHIP, school(establishment_type_code=11)),
        "ineligible_establishment_type",
    ),
    case(
        "no establishment type is not an eligible one",
        at_school(HEADSHIP, school(establishment_type_code=None)),
        "ineligible_establishment_type",
    ),
    case(
        "academy trust with an ineligible type",
        at_school(SENCO, school(establishment_type_code=25), work_setting="an_academy_trust"),
        "ineligible_establishment_type",
    ),
    case(
        "academy converter (type 34) for SENCO",
        at_school(SENCO, school(establishment_type_code=34), work_setting="an_academy_trust"),
        "funded",
    ),
    case(
        "type 46, the last eligible code",
        at_school(HEADSHIP, school(establishment_type_code=46)),
        "funded",
    ),
    case(
        "type 47 is not eligible",
        at_school(HEADSHIP, school(establishment_type_code=47)),
        "ineligible_establishment_type",
    ),
    *[
        case(
            f"{course} on the PP50 school list",
            at_school(course, school(on_pp50_school_list=True)),
            "funded",
        )
        for course in (
            LEADING_PRIMARY_MATHEMATICS,
            LEADING_LITERACY,
            LEADING_TEACHING,
            LEADING_TEACHER_DEVELOPMENT,
            LEADING_BEHAVIOUR_CULTURE,
            EXECUTIVE_LEADERSHIP,
        )
    ],
    *[
        case(
            f"{course} off the PP50 list",
            at_school(course),
            "ineligible_establishment_not_a_pp50",
            alternatives=NOT_PP50_2026,
        )
        for course in (
            LEADING_PRIMARY_MATHEMATICS,
            LEADING_LITERACY,
            LEADING_TEACHING,
            LEADING_TEACHER_DEVELOPMENT,
            LEADING_BEHAVIOUR_CULTURE,
            EXECUTIVE_LEADERSHIP,
        )
    ],
    *[
        case(f"{course} funded off the PP50 list", at_school(course), "funded")
        for course in (HEADSHIP, SENIOR_LEADERSHIP, SENCO, EARLY_YEARS_LEADERSHIP, ASO)
    ],
    case(
        "alternatives include EHCO for a new headteacher",
        at_school(LEADING_LITERACY, new_headteacher=True),
        "ineligible_establishment_not_a_pp50",
        alternatives=(HEADSHIP, SENIOR_LEADERSHIP, EARLY_YEARS_LEADERSHIP, SENCO, EHCO),
    ),
    case(
        "academy trust off the PP50 list",
        at_school(LEADING_TEACHING, work_setting="an_academy_trust"),
        "ineligible_establishment_not_a_pp50",
        alternatives=NOT_PP50_2026,
    ),
    case(
        "ASO is funded for an eligible school type",
        at_school(ASO, school(establishment_type_code=34)),
        "funded",
    ),
    case(
        "ASO is not funded for an ineligible school type",
        at_school(ASO, school(establishment_type_code=11)),
        "ineligible_establishment_type",
    ),
    case("ASO in 2025", at_school(ASO), "funded", rules="2025"),
    # ---- 16-19 settings: only the further-education PP50 list, by UKPRN ----
    case(
        "16-19 on the further-education PP50 list",
        in_16_to_19(LEADING_TEACHING, college(on_pp50_further_education_list=True)),
        "funded",
    ),
    case(
        "16-19 on the school PP50 list only",
        in_16_to_19(LEADING_TEACHING, college(on_pp50_school_list=True)),
        "ineligible_establishment_not_a_pp50",
        alternatives=NOT_PP50_2026,
    ),
    case(
        "school on the further-education PP50 list only",
        at_school(LEADING_TEACHING, school(on_pp50_further_education_list=True)),
        "ineligible_establishment_not_a_pp50",
        alternatives=NOT_PP50_2026,
    ),
    case("16-19 for Headship", in_16_to_19(HEADSHIP), "funded"),
    case(
        "16-19 on the RISE list",
        in_16_to_19(EXECUTIVE_LEADERSHIP, college(on_rise_list=True)),
        "funded",
    ),
    case(
        "16-19 with an ineligible type",
        in_16_to_19(HEADSHIP, college(establishment_type_code=29)),
        "ineligible_establishment_type",
    ),
    case(
        "16-19 on the further-education list in 2025",
        in_16_to_19(SENIOR_LEADERSHIP, college(on_pp50_further_education_list=True)),
        "funded",
        rules="2025",
    ),
    case(
        "16-19 on the school list only in 2025",
        in_16_to_19(SENIOR_LEADERSHIP, college(on_pp50_school_list=True)),
        "ineligible_establishment_not_a_pp50",
        rules="2025",
        alternatives=NOT_PP50_2025,
    ),
    # ---- 2025: Senior leadership and Early years leadership are PP50-only too ----
    case(
        "Senior leadership off the PP50 list",
        at_school(SENIOR_LEADERSHIP),
        "ineligible_establishment_not_a_pp50",
        rules="2025",
        alternatives=NOT_PP50_2025,
    ),
    case(
        "Early years leadership in a school off the PP50 list",
        at_school(EARLY_YEARS_LEADERSHIP, new_headteacher=True),
        "ineligible_establishment_not_a_pp50",
        rules="2025",
        alternatives=(HEADSHIP, SENCO, EHCO),
    ),
    case(
        "Senior leadership on the PP50 list",
        at_school(SENIOR_LEADERSHIP, school(on_pp50_school_list=True)),
        "funded",
        rules="2025",
    ),
    case(
        "Leading teaching off the PP50 list",
        at_school(LEADING_TEACHING),
        "ineligible_establishment_not_a_pp50",
        rules="2025",
        alternatives=NOT_PP50_2025,
    ),
    case("Headship off the PP50 list", at_school(HEADSHIP), "funded", rules="2025"),
    case("SENCO off the PP50 list", at_school(SENCO), "funded", rules="2025"),
    case(
        "type before PP50",
        at_school(SENIOR_LEADERSHIP, school(establishment_type_code=11)),
        "ineligible_establishment_type",
        rules="2025",
    ),
    # ---- Early years or childcare, 2026 ----
    case(
        "private nursery for Early years leadership",
        in_early_years(EARLY_YEARS_LEADERSHIP, "private_nursery", provider()),
        "funded",
    ),
    case(
        "pre-school class in a school for Early years leadership",
        in_early_years(EARLY_YEARS_LEADERSHIP, "preschool_class_as_part_of_school", school()),
        "funded",
    ),
    case(
        "another early-years setting with no institution",
        in_early_years(EARLY_YEARS_LEADERSHIP, "another_early_years_setting"),
        "funded",
    ),
    case(
        "no kind of nursery counts as another early-years setting",
        in_early_years(EARLY_YEARS_LEADERSHIP, None),
        "funded",
    ),
    case(
        "childminder on the childminders list",
        in_early_years(EARLY_YEARS_LEADERSHIP, "childminder", provider(on_childminders_list=True)),
        "funded",
    ),
    case(
        "childminder off the childminders list",
        in_early_years(EARLY_YEARS_LEADERSHIP, "childminder", provider()),
        "not_entitled_childminder",
    ),
    case(
        "childminder with no institution",
        in_early_years(EARLY_YEARS_LEADERSHIP, "childminder"),
        "not_entitled_childminder",
    ),
    *[
        case(
            f"LA nursery school for {course}",
            in_early_years(course, "local_authority_maintained_nursery", nursery_school()),
            "funded",
        )
        for course in (SENCO, HEADSHIP, SENIOR_LEADERSHIP, EARLY_YEARS_LEADERSHIP)
    ],
    case(
        "LA nursery school for Leading teaching",
        in_early_years(LEADING_TEACHING, "local_authority_maintained_nursery", nursery_school()),
        "early_years_invalid_npq",
    ),
    case(
        "the type code, not the kind, makes an LA nursery school",
        in_early_years(HEADSHIP, "preschool_class_as_part_of_school", nursery_school()),
        "funded",
    ),
    case(
        "LA maintained nursery kind without type 15 is another setting",
        in_early_years(SENCO, "local_authority_maintained_nursery", school()),
        "early_years_invalid_npq",
    ),
    case(
        "LA maintained nursery kind with no institution is another setting",
        in_early_years(EARLY_YEARS_LEADERSHIP, "local_authority_maintained_nursery"),
        "funded",
    ),
    case(
        "a type 15 school is not a childminder, whatever the kind says",
        in_early_years(EARLY_YEARS_LEADERSHIP, "childminder", nursery_school()),
        "funded",
    ),
    case(
        "private nursery for SENCO",
        in_early_years(SENCO, "private_nursery", provider()),
        "early_years_invalid_npq",
    ),
    case(
        "childminder for Headship",
        in_early_years(HEADSHIP, "childminder", provider(on_childminders_list=True)),
        "early_years_invalid_npq",
    ),
    case(
        "ASO in early years",
        in_early_years(ASO, "private_nursery", provider()),
        "early_years_invalid_npq",
    ),
    # ---- Early years or childcare, 2025 ----
    *[
        case(
            f"LA nursery school on the disadvantaged list for {course}",
            in_early_years(course, None, nursery_school(on_la_disadvantaged_nursery_list=True)),
            "funded",
            rules="2025",
        )
        for course in (SENCO, HEADSHIP, EARLY_YEARS_LEADERSHIP)
    ],
    *[
        case(
            f"LA nursery school off the disadvantaged list for {course}",
            in_early_years(course, "local_authority_maintained_nursery", nursery_school()),
            "ineligible_establishment_type",
            rules="2025",
        )
        for course in (SENCO, HEADSHIP, EARLY_YEARS_LEADERSHIP)
    ],
    case(
        "LA nursery school for Senior leadership",
        in_early_years(
            SENIOR_LEADERSHIP, None, nursery_school(on_la_disadvantaged_nursery_list=True)
        ),
        "early_years_invalid_npq",
        rules="2025",
    ),
    case(
        "LA nursery school's EYL needs the LA list, not the early-years one",
        in_early_years(
            EARLY_YEARS_LEADERSHIP, None, nursery_school(on_disadvantaged_early_years_list=True)
        ),
        "ineligible_establishment_type",
        rules="2025",
    ),
    case(
        "private nursery on the disadvantaged early-years list",
        in_early_years(
            EARLY_YEARS_LEADERSHIP,
            "private_nursery",
            provider(on_disadvantaged_early_years_list=True),
        ),
        "funded",
        rules="2025",
    ),
    case(
        "private nursery off the disadvantaged early-years list",
        in_early_years(EARLY_YEARS_LEADERSHIP, "private_nursery", provider()),
        "not_entitled_ey_institution",
        rules="2025",
    ),
    case(
        "pre-school class off the disadvantaged early-years list",
        in_early_years(EARLY_YEARS_LEADERSHIP, "preschool_class_as_part_of_school", school()),
        "not_entitled_ey_institution",
        rules="2025",
    ),
    case(
        "another early-years setting with no institution",
        in_early_years(EARLY_YEARS_LEADERSHIP, "another_early_years_setting"),
        "not_entitled_ey_institution",
        rules="2025",
    ),
    case(
        "childminder on the childminders list needs no other list",
        in_early_years(EARLY_YEARS_LEADERSHIP, "childminder", provider(on_childminders_list=True)),
        "funded",
        rules="2025",
    ),
    case(
        "childminder on the early-years list only",
        in_early_years(
            EARLY_YEARS_LEADERSHIP,
            "childminder",
            provider(on_disadvantaged_early_years_list=True),
        ),
        "not_entitled_childminder",
        rules="2025",
    ),
    case(
        "private nursery for Headship",
        in_early_years(
            HEADSHIP, "private_nursery", provider(on_disadvantaged_early_years_list=True)
        ),
        "early_years_invalid_npq",
        rules="2025",
    ),
    # ---- Another setting ----
    *[
        case(
            f"lead mentor, approved ITT provider, Leading teacher development ({rules})",
            elsewhere(
                LEADING_TEACHER_DEVELOPMENT,
                "lead_mentor_for_accredited_itt_provider",
                approved_itt_provider=True,
            ),
            "funded",
            rules=rules,
        )
        for rules in ("2025", "2026")
    ],
    case(
        "lead mentor, unapproved ITT provider",
        elsewhere(LEADING_TEACHER_DEVELOPMENT, "lead_mentor_for_accredited_itt_provider"),
        "ineligible_establishment_type",
    ),
    *[
        case(
            f"lead mentor for {course}",
            elsewhere(
                course, "lead_mentor_for_accredited_itt_provider", approved_itt_provider=True
            ),
            "not_lead_mentor_course",
            rules=rules,
        )
        for course, rules in ((HEADSHIP, "2026"), (LEADING_TEACHING, "2026"), (SENCO, "2025"))
    ],
    *[
        case(
            f"{employment} for {course}",
            elsewhere(course, employment),
            "subject_to_review",
        )
        for employment, course in (
            ("local_authority_virtual_school", HEADSHIP),
            ("hospital_school", SENCO),
            ("young_offender_institution", SENIOR_LEADERSHIP),
            ("local_authority_supply_teacher", SENIOR_LEADERSHIP),
        )
    ],
    case(
        "supply teacher for Leading teaching",
        elsewhere(LEADING_TEACHING, "local_authority_supply_teacher"),
        "ineligible_establishment_type",
    ),
    case(
        "hospital school for Headship",
        elsewhere(HEADSHIP, "hospital_school"),
        "subject_to_review",
        rules="2025",
    ),
    case(
        "virtual school for SENCO",
        elsewhere(SENCO, "local_authority_virtual_school"),
        "subject_to_review",
        rules="2025",
    ),
    case(
        "Senior leadership is not a review course",
        elsewhere(SENIOR_LEADERSHIP, "young_offender_institution"),
        "ineligible_establishment_type",
        rules="2025",
    ),
    case(
        "another setting with no employment type",
        elsewhere(HEADSHIP),
        "ineligible_establishment_type",
    ),
    case(
        "another setting with an unknown employment type",
        elsewhere(HEADSHIP, "museum"),
        "ineligible_establishment_type",
    ),
    # ---- Other, missing and unknown settings ----
    *[
        case(
            "other, referred by a return-to-teaching adviser",
            FundingFacts(
                course_identifier=LEADING_TEACHING,
                work_setting="other",
                referred_by_return_to_teaching_adviser=True,
            ),
            "referred_by_return_to_teaching_adviser",
            rules=rules,
        )
        for rules in ("2025", "2026")
    ],
    case(
        "other, not referred",
        FundingFacts(course_identifier=HEADSHIP, work_setting="other"),
        "ineligible_establishment_type",
    ),
    case(
        "the referral counts only for the other setting",
        elsewhere(HEADSHIP, referred_by_return_to_teaching_adviser=True),
        "ineligible_establishment_type",
    ),
    case(
        "missing work setting",
        FundingFacts(course_identifier=HEADSHIP, institution=school()),
        "ineligible_establishment_type",
    ),
    case(
        "unknown work setting",
        FundingFacts(course_identifier=HEADSHIP, work_setting="a_castle", institution=school()),
        "ineligible_establishment_type",
        rules="2025",
    ),
    # ---- Bursary: None keeps the rule set's default (off in 2025 and 2026), True, False ----
    case("bursary None: off by default", at_school(institution=primary(100)), "funded"),
    case(
        "bursary True: on, 2023/24 amounts",
        at_school(institution=primary(100)),
        "funded",
        bursary=True,
        expect_bursary=ENHANCED,
    ),
    case(
        "bursary False: left out",
        at_school(institution=primary(100)),
        "funded",
        bursary=False,
    ),
    case(
        "bursary True in 2025",
        at_school(institution=school(number_of_pupils=300)),
        "funded",
        rules="2025",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary None in 2025",
        at_school(institution=school(number_of_pupils=300)),
        "funded",
        rules="2025",
    ),
    # Boundaries: 0, 1, 150, 151, 600, 601 pupils, and unknown.
    *[
        case(
            f"bursary, secondary with {pupils} pupils",
            at_school(institution=school(number_of_pupils=pupils)),
            "funded",
            bursary=True,
            expect_bursary=expected,
        )
        for pupils, expected in (
            (None, NOT_ELIGIBLE),
            (0, NOT_ELIGIBLE),
            (1, STANDARD),
            (150, STANDARD),
            (151, STANDARD),
            (600, STANDARD),
            (601, NOT_ELIGIBLE),
        )
    ],
    *[
        case(
            f"bursary, primary with {pupils} pupils",
            at_school(SENCO, primary(pupils)),
            "funded",
            bursary=True,
            expect_bursary=expected,
        )
        for pupils, expected in (
            (None, NOT_ELIGIBLE),
            (0, NOT_ELIGIBLE),
            (1, ENHANCED),
            (150, ENHANCED),
            (151, STANDARD),
            (600, STANDARD),
            (601, NOT_ELIGIBLE),
        )
    ],
    case(
        "bursary, middle deemed primary with 150 pupils",
        at_school(institution=school(number_of_pupils=150, phase_name="Middle deemed primary")),
        "funded",
        bursary=True,
        expect_bursary=ENHANCED,
    ),
    case(
        "bursary, middle deemed secondary with 150 pupils",
        at_school(institution=school(number_of_pupils=150, phase_name="Middle deemed secondary")),
        "funded",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary, EHCO at a small secondary",
        at_school(EHCO, school(number_of_pupils=100), new_headteacher=True),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, EHCO at a small primary",
        at_school(EHCO, primary(100), new_headteacher=True),
        "funded",
        bursary=True,
        expect_bursary=ENHANCED,
    ),
    case(
        "bursary, EHCO at a primary of 601",
        at_school(EHCO, primary(601), new_headteacher=True),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, ineligible type funded through RISE",
        at_school(institution=primary(100, establishment_type_code=11, on_rise_list=True)),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, a local authority is not a school",
        in_early_years(SENCO, None, nursery_school(kind="local_authority", number_of_pupils=80)),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, a private childcare provider is not a school",
        in_early_years(EARLY_YEARS_LEADERSHIP, "private_nursery", provider(number_of_pupils=40)),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, LA nursery school is a school",
        in_early_years(SENCO, None, nursery_school(number_of_pupils=80)),
        "funded",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary, not for an ITT lead mentor",
        elsewhere(
            LEADING_TEACHER_DEVELOPMENT,
            "lead_mentor_for_accredited_itt_provider",
            approved_itt_provider=True,
            institution=primary(100, on_bursary_further_education_list=True),
        ),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, further-education list whatever the size, type and kind",
        in_16_to_19(
            LEADING_TEACHING,
            college(
                kind=None,
                establishment_type_code=None,
                number_of_pupils=None,
                on_rise_list=True,
                on_bursary_further_education_list=True,
            ),
        ),
        "funded",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary, further-education list with 5000 students",
        in_16_to_19(
            HEADSHIP, college(number_of_pupils=5000, on_bursary_further_education_list=True)
        ),
        "funded",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary, further-education list whatever the course (EHCO)",
        in_16_to_19(EHCO, college(on_bursary_further_education_list=True), new_headteacher=True),
        "funded",
        bursary=True,
        expect_bursary=STANDARD,
    ),
    case(
        "bursary, a large college off the further-education list",
        in_16_to_19(HEADSHIP, college()),
        "funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    # Paid only alongside scholarship funding.
    case(
        "bursary, not when refused for PP50",
        at_school(LEADING_TEACHING, primary(100)),
        "ineligible_establishment_not_a_pp50",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
        alternatives=NOT_PP50_2026,
    ),
    case(
        "bursary, not for an unfunded cohort on the further-education list",
        dataclasses.replace(
            in_16_to_19(HEADSHIP, college(on_bursary_further_education_list=True)),
            cohort_funded=False,
        ),
        "unfunded_cohort",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, not while subject to review",
        elsewhere(HEADSHIP, "hospital_school", institution=primary(100)),
        "subject_to_review",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    case(
        "bursary, not for previously funded",
        at_school(institution=primary(100), previously_funded=True),
        "previously_funded",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
    ),
    # ---- Lists not in yet (never uploaded, or out of date): to be confirmed, never refused ----
    case(
        "a PP50-only NPQ waits for a missing PP50 list",
        at_school(LEADING_TEACHING, school(unknown_lists={"on_pp50_school_list"})),
        "funding_to_be_confirmed",
        waiting_on=("on_pp50_school_list",),
    ),
    case(
        "a PP50-only NPQ waits for both the RISE and the PP50 lists",
        at_school(
            LEADING_PRIMARY_MATHEMATICS,
            school(unknown_lists={"on_pp50_school_list", "on_rise_list", "on_childminders_list"}),
        ),
        "funding_to_be_confirmed",
        waiting_on=("on_rise_list", "on_pp50_school_list"),
    ),
    case(
        "an out-of-date PP50 list the school is on still funds",
        at_school(
            LEADING_TEACHING,
            school(on_pp50_school_list=True, unknown_lists={"on_pp50_school_list"}),
        ),
        "funded",
    ),
    case(
        "Headship needs no list, so a missing one changes nothing",
        at_school(HEADSHIP, school(unknown_lists={"on_pp50_school_list", "on_rise_list"})),
        "funded",
    ),
    case(
        "an ineligible school type waits for a missing RISE list",
        at_school(
            LEADING_TEACHING,
            school(establishment_type_code=11, unknown_lists={"on_rise_list"}),
        ),
        "funding_to_be_confirmed",
        waiting_on=("on_rise_list",),
    ),
    case(
        "an ineligible school type is refused whatever the PP50 list says",
        at_school(
            LEADING_TEACHING,
            school(establishment_type_code=11, unknown_lists={"on_pp50_school_list"}),
        ),
        "ineligible_establishment_type",
    ),
    case(
        "a 16-19 setting waits for the further-education PP50 list, not the schools one",
        in_16_to_19(
            LEADING_TEACHING,
            college(unknown_lists={"on_pp50_further_education_list", "on_pp50_school_list"}),
        ),
        "funding_to_be_confirmed",
        waiting_on=("on_pp50_further_education_list",),
    ),
    case(
        "a 16-19 setting is refused when only the schools' PP50 list is missing",
        in_16_to_19(LEADING_TEACHING, college(unknown_lists={"on_pp50_school_list"})),
        "ineligible_establishment_not_a_pp50",
        alternatives=NOT_PP50_2026,
    ),
    case(
        "a childminder waits for a missing childminders list",
        in_early_years(
            EARLY_YEARS_LEADERSHIP,
            "childminder",
            provider(unknown_lists={"on_childminders_list"}),
        ),
        "funding_to_be_confirmed",
        waiting_on=("on_childminders_list",),
    ),
    case(
        "an LA nursery school needs no list for SENCO in 2026",
        in_early_years(
            SENCO,
            None,
            nursery_school(unknown_lists={"on_la_disadvantaged_nursery_list"}),
        ),
        "funded",
    ),
    case(
        "earlier rules come first: not in England whatever the lists",
        at_school(
            LEADING_TEACHING,
            school(unknown_lists={"on_pp50_school_list", "on_rise_list"}),
            inside_catchment=False,
        ),
        "not_in_england",
    ),
    case(
        "unfunded cohort whatever the lists",
        at_school(
            LEADING_TEACHING,
            school(unknown_lists={"on_pp50_school_list", "on_rise_list"}),
            cohort_funded=False,
        ),
        "unfunded_cohort",
    ),
    case(
        "to be confirmed has no bursary yet",
        at_school(LEADING_TEACHING, primary(100, unknown_lists={"on_pp50_school_list"})),
        "funding_to_be_confirmed",
        bursary=True,
        expect_bursary=NOT_ELIGIBLE,
        waiting_on=("on_pp50_school_list",),
    ),
    case(
        "an LA nursery school waits for the disadvantaged nurseries list",
        in_early_years(
            SENCO,
            None,
            nursery_school(unknown_lists={"on_la_disadvantaged_nursery_list"}),
        ),
        "funding_to_be_confirmed",
        rules="2025",
        waiting_on=("on_la_disadvantaged_nursery_list",),
    ),
    case(
        "a private nursery waits for the disadvantaged early years list",
        in_early_years(
            EARLY_YEARS_LEADERSHIP,
            "private_nursery",
            provider(unknown_lists={"on_disadvantaged_early_years_list"}),
        ),
        "funding_to_be_confirmed",
        rules="2025",
        waiting_on=("on_disadvantaged_early_years_list",),
    ),
]


@pytest.mark.parametrize(("rules", "facts", "bursary", "expected"), CASES)
def test_funding_evaluate(rules, facts, bursary, expected):
    outcome = funding_evaluate(facts, rules=rules, bursary=bursary)

    actual = Expected(
        status=outcome.status,
        funded=outcome.funded,
        subject_to_review=outcome.subject_to_review,
        alternatives=outcome.funded_alternatives,
        bursary=outcome.bursary,
        waiting_on=outcome.waiting_on,
    )
    assert actual == expected
    if expected.status == "funding_to_be_confirmed":
        assert outcome.reason == provisional_reason(expected.waiting_on)
        assert outcome.provisional
    else:
        assert outcome.reason == REASONS[expected.status]
        assert not outcome.provisional
    assert outcome.rules == rules


@pytest.mark.parametrize("rules", ["2025", "2026"])
def test_the_table_covers_every_code_the_engine_can_return(rules):
    engine_codes = set(OUTCOME_CODES) - OVERRIDE_CODES
    if rules == "2026":
        engine_codes.discard("not_entitled_ey_institution")  # 2025 only

    covered = {param.values[3].status for param in CASES if param.values[0] == rules}

    assert covered == engine_codes


def test_every_code_has_a_plain_english_sentence():
    assert set(REASONS) == set(OUTCOME_CODES) == set(FUNDING_OUTCOMES)
    assert len(OUTCOME_CODES) == 16
    for code, reason in REASONS.items():
        assert reason[0].isupper() and reason.endswith("."), code
        assert "_" not in reason, code
        assert "_" not in FUNDING_OUTCOMES[code], code


def test_courses_and_alternatives():
    assert len(COURSE_IDENTIFIERS) == len(set(COURSE_IDENTIFIERS)) == 12
    assert EHCO in COURSE_IDENTIFIERS and ASO in COURSE_IDENTIFIERS
    assert ALTERNATIVE_COURSES == tuple(c for c in COURSE_IDENTIFIERS if c != ASO)


def test_alternatives_are_worked_out_only_for_a_pp50_refusal():
    refused_for_type = at_school(LEADING_TEACHING, school(establishment_type_code=11))

    outcome = funding_evaluate(refused_for_type, rules="2026")

    assert outcome.status == "ineligible_establishment_type"
    assert outcome.funded_alternatives == ()


def test_the_provisional_reason_names_each_list_and_never_says_not_funded():
    one = provisional_reason(("on_pp50_school_list",))
    two = provisional_reason(("on_rise_list", "on_pp50_school_list"))

    assert one == (
        "Your funding will be confirmed by the hub once DfE's PP50 list of schools is in; "
        "until then it is neither funded nor refused."
    )
    assert "RISE list of schools and PP50 list of schools are in" in two
    assert "not funded" not in (one + two).lower()
    assert set(engine.LIST_NAMES) == set(engine._INSTITUTION_FLAGS)


def test_unknown_lists_are_read_from_json_and_refused_when_they_name_no_list():
    facts = facts_from_json(
        {
            "course_identifier": LEADING_TEACHING,
            "work_setting": "a_school",
            "institution": {
                "urn": "1",
                "establishment_type_code": 1,
                "unknown_lists": ["on_pp50_school_list"],
            },
        }
    )

    assert facts.institution.unknown_lists == frozenset({"on_pp50_school_list"})
    outcome = funding_evaluate(facts, rules="2026")
    assert outcome.as_json()["status"] == "funding_to_be_confirmed"
    assert list(outcome.as_json()) == [
        "status",
        "funded",
        "subject_to_review",
        "bursary",
        "reason",
        "funded_alternatives",
    ]
    with pytest.raises(FundingError, match="unknown_lists must be a list of these names"):
        facts_from_json(
            {
                "course_identifier": HEADSHIP,
                "work_setting": "a_school",
                "institution": {"urn": "1", "unknown_lists": ["pp50"]},
            }
        )
    with pytest.raises(FundingError, match="unknown_lists must be a list"):
        Institution(kind="school", unknown_lists="on_rise_list")


# ---- as_json: the output line of funding_check ----


def test_as_json_has_exactly_the_line_format():
    outcome = funding_evaluate(
        at_school(LEADING_TEACHING, primary(120)), rules="2026", bursary=True
    )

    line = outcome.as_json()

    assert line == {
        "status": "ineligible_establishment_not_a_pp50",
        "funded": False,
        "subject_to_review": False,
        "bursary": {"eligible": False, "amount": 0},
        "reason": REASONS["ineligible_establishment_not_a_pp50"],
        "funded_alternatives": list(NOT_PP50_2026),
    }
    assert list(line) == [
        "status",
        "funded",
        "subject_to_review",
        "bursary",
        "reason",
        "funded_alternatives",
    ]
    assert json.loads(json.dumps(line)) == line


def test_as_json_without_a_bursary_gives_null():
    outcome = funding_evaluate(at_school(HEADSHIP, primary(120)), rules="2026")

    assert json.dumps(outcome.as_json()) == (
        '{"status": "funded", "funded": true, "subject_to_review": false, "bursary": null, '
        f'"reason": {json.dumps(REASONS["funded"])}, "funded_alternatives": []}}'
    )


def test_as_json_with_an_eligible_bursary_gives_the_amount_only():
    outcome = funding_evaluate(at_school(HEADSHIP, primary(120)), rules="2026", bursary=True)

    assert outcome.bursary == ENHANCED
    assert outcome.as_json()["bursary"] == {"eligible": True, "amount": 800}


def test_as_json_returns_a_fresh_dict_each_time():
    outcome = funding_evaluate(at_school(), rules="2026")

    outcome.as_json()["funded_alternatives"].append("tampered")

    assert outcome.as_json()["funded_alternatives"] == []


# ---- facts_from_json ----


def test_facts_from_json_reads_every_field():
    data = {
        "course_identifier": "npq-leading-teaching",
        "cohort": {"funded": True, "name": "ignored"},
        "inside_catchment": True,
        "previously_funded": False,
        "work_setting": "a_16_to_19_educational_setting",
        "kind_of_nursery": None,
        "employment_type": None,
        "approved_itt_provider": False,
        "new_headteacher": True,
        "referred_by_return_to_teaching_adviser": False,
        "institution": {
            "kind": "school",
            "urn": 130001,
            "ukprn": "10000001",
            "establishment_type_code": 18,
            "number_of_pupils": 2500,
            "phase_name": "16 plus",
            "on_rise_list": False,
            "on_pp50_school_list": False,
            "on_pp50_further_education_list": True,
            "on_childminders_list": False,
            "on_la_disadvantaged_nursery_list": False,
            "on_disadvantaged_early_years_list": False,
            "on_bursary_further_education_list": True,
            "name": "ignored too",
        },
        "applicant_email": "ignored@example.org",
    }

    facts = facts_from_json(data)

    assert facts == FundingFacts(
        course_identifier="npq-leading-teaching",
        work_setting="a_16_to_19_educational_setting",
        new_headteacher=True,
        institution=Institution(
            kind="school",
            urn="130001",
            ukprn="10000001",
            establishment_type_code=18,
            number_of_pupils=2500,
            phase_name="16 plus",
            on_pp50_further_education_list=True,
            on_bursary_further_education_list=True,
        ),
    )


def test_facts_from_json_defaults_missing_and_null_fields():
    facts = facts_from_json(
        {"course_identifier": "npq-senco", "inside_catchment": None, "institution": None}
    )

    assert facts == FundingFacts(course_identifier="npq-senco")
    assert facts.cohort_funded is True and facts.inside_catchment is True


@pytest.mark.parametrize(
    "data",
    [
        {"course_identifier": "npq-senco", "cohort": {"funded": False}},
        {"course_identifier": "npq-senco", "cohort_funded": False},
        {"course_identifier": "npq-senco", "cohort_funded": False, "cohort": {"funded": False}},
        {"course_identifier": "npq-senco", "cohort_funded": False, "cohort": {}},
    ],
)
def test_facts_from_json_takes_the_cohort_flag_in_either_form(data):
    facts = facts_from_json(data)

    assert facts.cohort_funded is False
    assert funding_evaluate(facts, rules="2026").status == "unfunded_cohort"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "Each line of facts must be a JSON object"),
        ({}, "course_identifier is required"),
        ({"course_identifier": 7}, "course_identifier must be text"),
        (
            {"course_identifier": "npq-basket-weaving"},
            "course_identifier 'npq-basket-weaving' is not a known NPQ course",
        ),
        (
            {"course_identifier": "npq-senco", "work_setting": "a_school"},
            "A work setting of a_school needs the institution",
        ),
        (
            {
                "course_identifier": "npq-senco",
                "work_setting": "an_academy_trust",
                "institution": None,
            },
            "A work setting of an_academy_trust needs the institution",
        ),
        (
            {"course_identifier": "npq-senco", "work_setting": "a_16_to_19_educational_setting"},
            "A work setting of a_16_to_19_educational_setting needs the institution",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"number_of_pupils": "ten"}},
            "number_of_pupils must be a whole number",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"number_of_pupils": -3}},
            "number_of_pupils must be a whole number",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"number_of_pupils": 10.5}},
            "number_of_pupils must be a whole number",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"establishment_type_code": "1.5"}},
            "establishment_type_code must be a whole number",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"on_rise_list": "yes"}},
            "on_rise_list must be true or false",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"kind": "castle"}},
            "kind must be school, private_childcare_provider, local_authority or null",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"urn": [1]}},
            "urn must be text or a whole number",
        ),
        (
            {"course_identifier": "npq-senco", "institution": {"phase_name": 1}},
            "phase_name must be text",
        ),
        ({"course_identifier": "npq-senco", "institution": "100001"}, "institution must be an"),
        ({"course_identifier": "npq-senco", "inside_catchment": 1}, "inside_catchment must be"),
        ({"course_identifier": "npq-senco", "new_headteacher": "no"}, "new_headteacher must be"),
        ({"course_identifier": "npq-senco", "work_setting": 3}, "work_setting must be text"),
        ({"course_identifier": "npq-senco", "cohort_funded": "no"}, "cohort_funded must be"),
        ({"course_identifier": "npq-senco", "cohort": True}, "cohort must be an object"),
        (
            {"course_identifier": "npq-senco", "cohort": {"funded": 0}},
            "cohort.funded must be true or false",
        ),
        (
            {"course_identifier": "npq-senco", "cohort_funded": True, "cohort": {"funded": False}},
            "cohort.funded and cohort_funded disagree",
        ),
    ],
)
def test_facts_from_json_refuses_what_cannot_be_evaluated(data, message):
    with pytest.raises(FundingError, match=message):
        facts_from_json(data)


def test_a_school_without_an_institution_is_an_error_even_for_an_unfunded_cohort():
    with pytest.raises(FundingError, match="needs the institution"):
        FundingFacts(course_identifier=HEADSHIP, work_setting="a_school", cohort_funded=False)


def test_institution_normalises_whole_numbers():
    institution = Institution(urn=100001, ukprn=10000001, number_of_pupils=10.0)

    assert (institution.urn, institution.ukprn, institution.number_of_pupils) == (
        "100001",
        "10000001",
        10,
    )


@pytest.mark.parametrize(
    ("given", "number"), [("1", 1), (" 15 ", 15), ("0", 0), ("0100", 100), ("600\t", 600)]
)
@pytest.mark.parametrize("name", ["establishment_type_code", "number_of_pupils"])
def test_gias_codes_and_counts_given_as_digits_are_whole_numbers(name, given, number):
    facts = facts_from_json({"course_identifier": HEADSHIP, "institution": {name: given}})

    assert getattr(facts.institution, name) == number


@pytest.mark.parametrize("given", ["1.5", "abc", "", "  ", "-3", "+3", "1 5", "1e3", "١٥", "²"])
@pytest.mark.parametrize("name", ["establishment_type_code", "number_of_pupils"])
def test_gias_codes_and_counts_given_as_other_text_are_refused(name, given):
    with pytest.raises(FundingError) as refused:
        facts_from_json({"course_identifier": HEADSHIP, "institution": {name: given}})

    assert str(refused.value) == f"{name} must be a whole number of 0 or more, not {given!r}."


def test_a_count_of_more_digits_than_python_reads_is_refused():
    with pytest.raises(FundingError, match="number_of_pupils must be a whole number"):
        facts_from_json(
            {"course_identifier": HEADSHIP, "institution": {"number_of_pupils": "9" * 5000}}
        )


@pytest.mark.parametrize("given", [True, False, [1], {"code": 1}, -3, 1.5])
def test_gias_codes_of_other_types_are_refused(given):
    with pytest.raises(FundingError, match="establishment_type_code must be a whole number"):
        Institution(establishment_type_code=given)


def test_wrong_types_given_directly_are_refused():
    with pytest.raises(FundingError, match="number_of_pupils must be a whole number"):
        Institution(number_of_pupils="ten")
    with pytest.raises(FundingError, match="previously_funded must be true or false"):
        FundingFacts(course_identifier=HEADSHIP, previously_funded="no")
    with pytest.raises(FundingError, match="institution must be an Institution"):
        FundingFacts(course_identifier=HEADSHIP, institution={"urn": "1"})


def test_funding_evaluate_refuses_an_unknown_rule_set_course_or_bursary_switch():
    with pytest.raises(FundingError, match="no funding rule set named '2019'"):
        funding_evaluate(at_school(), rules="2019")
    with pytest.raises(FundingError, match="'npq-juggling' is not a known NPQ course"):
        funding_evaluate(FundingFacts(course_identifier="npq-juggling"), rules="2026")
    with pytest.raises(FundingError, match="facts must be FundingFacts"):
        funding_evaluate({"course_identifier": HEADSHIP}, rules="2026")
    with pytest.raises(FundingError, match="bursary must be True, False or None"):
        funding_evaluate(at_school(), rules="2026", bursary="yes")


@pytest.mark.parametrize(
    ("institution", "needs_lookup"),
    [
        ({"urn": "100001"}, True),
        ({"ukprn": "10000001", "kind": "school"}, True),
        ({"urn": 100001, "number_of_pupils": 200, "on_rise_list": None}, True),
        ({"urn": "100001", "on_rise_list": False}, False),
        ({"urn": "100001", "on_pp50_school_list": True}, False),
        ({"ukprn": "10000001", "on_bursary_further_education_list": False}, False),
        ({"urn": "100001", "establishment_type_code": 1}, False),
        ({"kind": "school"}, False),
        ({}, False),
        (None, False),
        ("100001", False),
    ],
)
def test_institution_needs_lookup(institution, needs_lookup):
    data = {"course_identifier": HEADSHIP, "work_setting": "a_school", "institution": institution}

    assert institution_needs_lookup(data) is needs_lookup


@pytest.mark.parametrize(
    ("institution", "message"),
    [
        ({"kind": [None], "urn": "100001"}, "kind must be school, .* or null, not \\[None\\]"),
        ({"kind": "castle", "urn": "100001"}, "kind must be school, .* or null, not 'castle'"),
        ({"urn": {"id": 1}}, "urn must be text or a whole number, not {'id': 1}"),
        ({"ukprn": False}, "ukprn must be text or a whole number, not False"),
        ({"urn": "100001", "number_of_pupils": "ninety"}, "number_of_pupils must be a whole"),
        ({"urn": "100001", "phase_name": {}}, "phase_name must be text, not {}"),
    ],
)
def test_institution_needs_lookup_refuses_fields_the_look_up_would_misread(institution, message):
    data = {"course_identifier": HEADSHIP, "work_setting": "a_school", "institution": institution}

    with pytest.raises(FundingError, match=message):
        institution_needs_lookup(data)


# ---- Rule sets by name ----


@pytest.fixture
def registry(monkeypatch):
    """Rule sets registered in a test are gone after it."""
    monkeypatch.setattr(engine, "RULE_SETS", dict(engine.RULE_SETS))
    monkeypatch.setattr(engine, "_known_courses", engine._known_courses)
    return engine.RULE_SETS


def test_a_new_rule_set_is_registered_beside_the_others(registry):
    before = {
        rules: funding_evaluate(at_school(SENIOR_LEADERSHIP), rules=rules) for rules in registry
    }
    rules_2027 = dataclasses.replace(
        RULE_SETS["2026"],
        name="2027",
        description="A test year: Headship becomes PP50-only, a new course, its own bursary.",
        pp50_only_courses=RULE_SETS["2026"].pp50_only_courses | {HEADSHIP},
        courses=(*COURSE_IDENTIFIERS, "npq-leading-digital"),
        bursary_enabled=True,
        bursary_amount=250,
        bursary_enhanced_amount=900,
    )

    register_rule_set(rules_2027)

    assert set(engine.RULE_SETS) == {"2025", "2026", "2027"}
    headship = funding_evaluate(at_school(HEADSHIP, primary(100)), rules="2027")
    assert headship.status == "ineligible_establishment_not_a_pp50"
    assert headship.funded_alternatives == (
        SENIOR_LEADERSHIP,
        EARLY_YEARS_LEADERSHIP,
        SENCO,
        "npq-leading-digital",
    )
    assert headship.bursary == NOT_ELIGIBLE
    senco = funding_evaluate(at_school(SENCO, primary(100)), rules="2027")
    assert senco.bursary == Bursary(eligible=True, amount=900, enhanced=True)
    assert (
        funding_evaluate(at_school(SENCO, primary(100)), rules="2027", bursary=False).bursary
        is None
    )
    new_course = facts_from_json(
        {"course_identifier": "npq-leading-digital", "work_setting": "other"}
    )
    assert funding_evaluate(new_course, rules="2027").status == "ineligible_establishment_type"
    with pytest.raises(FundingError, match="Rule set 2026 has no course 'npq-leading-digital'"):
        funding_evaluate(new_course, rules="2026")
    # The years already there decide exactly as before.
    assert funding_evaluate(at_school(HEADSHIP), rules="2026").status == "funded"
    assert funding_evaluate(at_school(SENCO, primary(100)), rules="2026").bursary is None
    for rules, outcome in before.items():
        assert funding_evaluate(at_school(SENIOR_LEADERSHIP), rules=rules) == outcome


def test_a_rule_set_may_bring_its_own_logic(registry):
    def status_2027(rule_set, facts, course):
        # A test difference of logic: supply teachers are funded outright.
        if facts.employment_type == "local_authority_supply_teacher":
            return "funded"
        return standard_status(rule_set, facts, course)

    register_rule_set(
        dataclasses.replace(RULE_SETS["2026"], name="2027", status_function=status_2027)
    )

    supply = elsewhere(LEADING_TEACHING, "local_authority_supply_teacher")
    assert funding_evaluate(supply, rules="2027").status == "funded"
    assert funding_evaluate(supply, rules="2026").status == "ineligible_establishment_type"
    assert funding_evaluate(at_school(LEADING_TEACHING), rules="2027").funded_alternatives == (
        NOT_PP50_2026
    )


def test_a_rule_set_name_is_never_reused(registry):
    with pytest.raises(ValueError, match="already registered"):
        register_rule_set(dataclasses.replace(RULE_SETS["2026"], description="Changed."))

    assert engine.RULE_SETS["2026"].description.startswith("DfE scholarship funding rules")


def test_outcomes_are_shared_values_not_state():
    first = funding_evaluate(at_school(), rules="2026")
    second = funding_evaluate(at_school(SENCO), rules="2026")

    assert first == second
    assert isinstance(first, FundingOutcome)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.status = "marked_funded_by_policy"
