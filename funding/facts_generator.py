"""Varied funding facts as JSON lines, for the funding_check benchmark (made, never committed)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from .rules import COURSE_IDENTIFIERS

SETTINGS = [
    ("a_school", 50),
    ("an_academy_trust", 15),
    ("a_16_to_19_educational_setting", 5),
    ("early_years_or_childcare", 12),
    ("another_setting", 8),
    ("other", 5),
    (None, 5),
]
NURSERIES = ["local_authority_maintained_nursery", "preschool_class_as_part_of_school"]
NURSERIES += ["private_nursery", "childminder", "another_early_years_setting"]
EMPLOYMENT = ["local_authority_virtual_school", "hospital_school", "young_offender_institution"]
EMPLOYMENT += ["local_authority_supply_teacher", "lead_mentor_for_accredited_itt_provider"]
TYPE_CODES = [1, 2, 3, 5, 7, 8, 10, 11, 15, 18, 28, 34, 35, 56]
PHASES = ["Primary", "Secondary", "Middle deemed primary", "16 plus", "Nursery", "Not applicable"]


def funding_facts_lines(count: int, *, seed: int = 2026) -> Iterator[str]:
    """`count` JSON lines of facts, covering every setting, course and list."""
    rng = random.Random(seed)
    settings = [setting for setting, weight in SETTINGS for _ in range(weight)]
    for index in range(count):
        setting = rng.choice(settings)
        facts: dict = {
            "course_identifier": rng.choice(COURSE_IDENTIFIERS),
            "cohort": {"funded": rng.random() > 0.02},
            "inside_catchment": rng.random() > 0.02,
            "previously_funded": rng.random() < 0.05,
            "work_setting": setting,
            "new_headteacher": rng.random() < 0.5,
        }
        if setting == "early_years_or_childcare":
            facts["kind_of_nursery"] = rng.choice(NURSERIES)
        if setting == "another_setting":
            facts["employment_type"] = rng.choice(EMPLOYMENT)
            facts["approved_itt_provider"] = rng.random() < 0.5
        if setting == "other":
            facts["referred_by_return_to_teaching_adviser"] = rng.random() < 0.5
        if setting in {"a_school", "an_academy_trust", "a_16_to_19_educational_setting"} or (
            setting == "early_years_or_childcare" and rng.random() < 0.5
        ):
            facts["institution"] = {
                "kind": "school",
                "urn": str(100000 + index % 50000),
                "ukprn": str(10000000 + index % 5000),
                "establishment_type_code": rng.choice(TYPE_CODES),
                "number_of_pupils": rng.choice([None, 0, 1, 90, 150, 151, 420, 600, 601, 1500]),
                "phase_name": rng.choice(PHASES),
                "on_rise_list": rng.random() < 0.05,
                "on_pp50_school_list": rng.random() < 0.4,
                "on_pp50_further_education_list": rng.random() < 0.4,
                "on_childminders_list": rng.random() < 0.5,
                "on_la_disadvantaged_nursery_list": rng.random() < 0.5,
                "on_disadvantaged_early_years_list": rng.random() < 0.5,
                "on_bursary_further_education_list": rng.random() < 0.1,
            }
        yield json.dumps(facts)
