"""The shape of the seeded catalogue: plain data, no Django, loaded by services.catalogue_load.

The content itself is in catalogue_content.py, written from the source pages in shared/seeds/.
Text fields are plain text; paragraphs are separated by a blank line. `key_content` is a list of
points, one sentence each.
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("leadership", "specialist", "support", "maths_hub")
PHASES = ("early_years", "primary", "secondary")
COURSE_KINDS = ("conference", "course", "assessment_preparation")
MODULE_FORMATS = ("study_and_apply", "webinar", "workshop")
CONTENT_SOURCES = ("source_pages", "hub")

# The primary Teaching for Mastery programmes, by slug, in the order of the journey, each with the
# name of its phase as teachers say it. DfE's NPQLPM registration asks whether the applicant has
# taken a year of one: applications.selectors.mastery_evidence looks for a completed year in these.
TEACHING_FOR_MASTERY = {
    "maths-hub-primary-development-work-group": "Development",
    "maths-hub-teaching-for-mastery-embedding": "Embedding",
    "maths-hub-teaching-for-mastery-sustaining": "Sustaining",
}


@dataclass(frozen=True)
class ModuleSeed:
    """An asynchronous module (study, then application in school), a webinar or a workshop."""

    title: str
    format: str = "study_and_apply"
    summary: str = ""


@dataclass(frozen=True)
class ClinicSeed:
    """A synchronous session template (a live clinic) belonging to a course."""

    title: str
    summary: str = ""


@dataclass(frozen=True)
class CourseSeed:
    kind: str  # one of COURSE_KINDS
    title: str  # "Culture and Learning", "Conference", "Assessment Preparation Package"
    number: int | None = None  # 1..6 for numbered courses, else None
    delivery: str = ""  # how it is delivered, e.g. "Face-to-face conference"
    aims: str = ""
    key_content: tuple[str, ...] = ()
    modules: tuple[ModuleSeed, ...] = ()
    clinics: tuple[ClinicSeed, ...] = ()


@dataclass(frozen=True)
class ProgrammeSeed:
    slug: str  # URL key: the DfE identifier for NPQs, e.g. "npq-headship"
    course_identifier: str  # DfE course identifier ("" for Maths Hub programmes)
    short_name: str  # "NPQLPM", "NPQH", "Mastering Number"
    name: str
    family: str  # one of FAMILIES
    phases: tuple[str, ...]  # subset of PHASES the programme serves
    summary: str  # one or two sentences for the catalogue card
    who_for: str
    aims: str = ""
    length: str = ""  # as people say it: "1 year", "18 months"
    length_months: int | None = None
    prerequisites: str = ""
    delivery_model: str = ""
    curriculum_rationale: str = ""
    assessment: str = ""  # how participants are assessed
    participant_rules: str = ""  # e.g. Mastering Number's three lead teachers per school
    funding_summary: str = ""
    content_source: str = "source_pages"  # "hub" when the pages say nothing of it
    review_note: str = ""  # for staff: what in this entry is the hub's own and needs checking
    courses: tuple[CourseSeed, ...] = ()


# The summative assessment's word limit by NPQ (DfE course identifier or slug); every
# specialist NPQ has the same limit. Used by the loader for new programmes and by a migration.
ASSESSMENT_WORD_LIMITS = {
    "npq-senior-leadership": 2000,
    "npq-headship": 2500,
    "npq-executive-leadership": 2500,
}
SPECIALIST_ASSESSMENT_WORD_LIMIT = 1500


# Programmes whose participants are not asked for a TRN: teaching assistants usually have none
# (shared/MATHS_HUBS.md). Every NPQ asks for one. Staff change it on the programme.
TRN_NOT_ASKED = frozenset({"maths-hub-teaching-assistants-sktm"})


def trn_asked_default(*, slug: str) -> bool:
    """Whether a programme the loader creates asks its applicants for their TRN."""
    return slug not in TRN_NOT_ASKED


def assessment_word_limit_default(*, slug: str, course_identifier: str, family: str) -> int | None:
    """The word limit a programme starts with; None where the seeds set none."""
    for key in (course_identifier, slug):
        if key in ASSESSMENT_WORD_LIMITS:
            return ASSESSMENT_WORD_LIMITS[key]
    return SPECIALIST_ASSESSMENT_WORD_LIMIT if family == "specialist" else None
