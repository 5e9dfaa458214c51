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


# ---- Maths Hub Work Groups: how schools take part (shared/MATHS_HUBS.md) ----
#
# The set-up the loader gives each Work Group it creates, and each one already loaded that has
# no role slots yet and no staff edits (a data migration did the same for existing databases).
# Hubs change these by year, so staff keep them on the programme's pages; each defaulted
# programme's review note asks for a check.

LEAD = "lead"
SUPPORTING = "supporting"
COMPLETED_ANY = "completed_any"
TAKEN_PART_ANY = "taken_part_any"
NEVER_TAKEN_PART = "never_taken_part"
COVER = "Towards the cost of cover"

WORK_GROUP_REVIEW_NOTE = (
    "Its Work Group set-up (role slots, prerequisites, completion, commitment and grants) was "
    "set from the Maths Hubs' public pages: check it for this year."
)


@dataclass(frozen=True)
class RoleSlotSeed:
    label: str
    kind: str = LEAD  # LEAD or SUPPORTING
    required: bool = False
    people: int = 1
    hint: str = ""


@dataclass(frozen=True)
class PrerequisiteSeed:
    kind: str  # COMPLETED_ANY, TAKEN_PART_ANY or NEVER_TAKEN_PART
    programmes: tuple[str, ...]  # slugs
    or_previous: bool = False
    junior_schools_exempt: bool = False


@dataclass(frozen=True)
class GrantSeed:
    academic_year: int  # 2025 means 2025/26
    amount: int  # whole pounds, per school
    purpose: str = COVER


@dataclass(frozen=True)
class WorkGroupSeed:
    slots: tuple[RoleSlotSeed, ...]
    team_leads_min: int
    commitment: str
    prerequisites: tuple[PrerequisiteSeed, ...] = ()
    grants: tuple[GrantSeed, ...] = ()
    completion_sessions: int | None = None  # None: staff judge completion
    completion_needs_action_plan: bool = False
    priority: str = "arrival"  # or "disadvantage": PP50-list schools first


MASTERING_NUMBER_SLUG = "maths-hub-mastering-number"
DEVELOPMENT_SLUG = "maths-hub-primary-development-work-group"
EMBEDDING_SLUG = "maths-hub-teaching-for-mastery-embedding"
SUSTAINING_SLUG = "maths-hub-teaching-for-mastery-sustaining"
READINESS_SLUG = "maths-hub-primary-mastery-readiness"
SPECIALIST_SLUG = "maths-hub-primary-mastery-specialist"

HEADTEACHER = RoleSlotSeed("Headteacher", SUPPORTING)

WORK_GROUPS: dict[str, WorkGroupSeed] = {
    MASTERING_NUMBER_SLUG: WorkGroupSeed(
        slots=(
            RoleSlotSeed("Reception lead teacher"),
            RoleSlotSeed("Year 1 lead teacher"),
            RoleSlotSeed("Year 2 lead teacher"),
            RoleSlotSeed("Maths lead", SUPPORTING),
            HEADTEACHER,
        ),
        team_leads_min=1,  # small schools name one or two lead teachers
        prerequisites=(PrerequisiteSeed(NEVER_TAKEN_PART, (MASTERING_NUMBER_SLUG,)),),
        completion_sessions=4,
        priority="disadvantage",
        commitment=(
            "Up to three lead teachers (Reception, Year 1 and Year 2; a small school may name "
            "one or two) take part in one central live session and one local hub session each "
            "term, and teach a daily 10 to 15 minute Mastering Number session to their class. "
            "The maths lead and the headteacher support the work in school.\n\n"
            "The programme is fully funded, with free resources for each class."
        ),
    ),
    DEVELOPMENT_SLUG: WorkGroupSeed(
        slots=(
            RoleSlotSeed("Lead teacher", required=True),
            RoleSlotSeed("Second lead teacher", required=True),
            HEADTEACHER,
        ),
        team_leads_min=2,
        prerequisites=(PrerequisiteSeed(NEVER_TAKEN_PART, (DEVELOPMENT_SLUG,)),),
        completion_sessions=4,
        completion_needs_action_plan=True,
        grants=(GrantSeed(2025, 1000), GrantSeed(2026, 1000)),
        commitment=(
            "Two lead teachers take part in six half-day workshops with a Mastery Specialist, "
            "and try the approaches in class between them (gap tasks). The Specialist visits "
            "the school each term, and the headteacher works with them on the school's action "
            "plan. Expect at least ten days' release between the two teachers; the hub pays "
            "£1,000 towards the cost of cover."
        ),
    ),
    EMBEDDING_SLUG: WorkGroupSeed(
        slots=(
            RoleSlotSeed("Lead teacher", required=True),
            RoleSlotSeed("Second lead teacher", required=True),
            HEADTEACHER,
        ),
        team_leads_min=2,
        prerequisites=(PrerequisiteSeed(COMPLETED_ANY, (DEVELOPMENT_SLUG,)),),
        completion_sessions=4,
        commitment=(
            "Usually the same two lead teachers as in Development take part in six workshops "
            "with the same Mastery Specialist and group, and between them spread teaching for "
            "mastery across the school (gap tasks). The school's leadership team, including "
            "the headteacher, is involved throughout."
        ),
    ),
    SUSTAINING_SLUG: WorkGroupSeed(
        slots=(
            RoleSlotSeed(
                "Maths lead",
                required=True,
                hint="The school's lead participant, normally its maths lead.",
            ),
            RoleSlotSeed(
                "Wider staff",
                SUPPORTING,
                people=6,
                hint="Other teachers who join some of the workshops.",
            ),
        ),
        team_leads_min=1,
        prerequisites=(
            PrerequisiteSeed(COMPLETED_ANY, (DEVELOPMENT_SLUG, EMBEDDING_SLUG)),
            PrerequisiteSeed(TAKEN_PART_ANY, (SPECIALIST_SLUG,), or_previous=True),
        ),
        completion_sessions=4,
        completion_needs_action_plan=True,
        commitment=(
            "The school's lead participant, normally the maths lead, takes part in six "
            "workshops that the schools host in turn, and keeps the school's action plan; "
            "other teachers join some of the workshops."
        ),
    ),
    READINESS_SLUG: WorkGroupSeed(
        slots=(
            RoleSlotSeed("Maths lead", required=True),
            RoleSlotSeed("Second teacher", required=True),
            RoleSlotSeed(
                "Headteacher",
                SUPPORTING,
                required=True,
                hint="Attends at least the first workshop.",
            ),
        ),
        team_leads_min=2,
        commitment=(
            "Two teachers, one of them the maths lead, take part in the workshops, and the "
            "school receives about six support visits over about a year. The headteacher "
            "attends at least the first workshop. It is free, but the school releases its "
            "staff to take part."
        ),
    ),
}
