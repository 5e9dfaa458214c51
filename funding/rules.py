"""Funding and small-schools bursary eligibility: pure rules, no database, no Django.

`funding_evaluate(facts, rules="2026")` maps `FundingFacts` to a `FundingOutcome` under a named
rule set (../shared/FUNDING.md is the specification). Rule sets are registered by name, so a
"2027" is added beside "2025" and "2026" without touching them, and an old decision stays
explainable by the rule set it names.

Readings of rules the specification leaves open (the tests pin each one down):

- Facts that cannot be evaluated raise `FundingError` instead of giving an outcome: an unknown
  course or rule set, a wrong type, and a school, academy trust or 16-19 setting with no
  institution. The last is checked when the facts are built, so it is an error even when an
  earlier rule (an unfunded cohort, say) would have decided.
- `previously_funded` is worked out by the caller for the requested course; the caller counts ASO
  and EHCO as one course. Funded alternatives assume the applicant holds none of them.
- A school, academy trust or 16-19 setting with no GIAS establishment type code has no eligible
  type. The RISE list applies to all three school settings.
- ASO is not EHCO: it skips rule 4 and goes through the work-setting rules, so it is funded for
  a school with an eligible type, as Headship is, and nowhere else.
- Early years: the institution's GIAS type code decides whether the setting is a
  local-authority nursery school (type 15), whatever `kind_of_nursery` says, because the code
  comes from GIAS and the kind is the applicant's own answer. "local_authority_maintained_nursery"
  with no institution or another type is treated as any other early-years setting. The kind
  decides only whether the applicant is a childminder, and the childminder rule applies only
  outside a type 15 school. A missing or unknown kind is "another early-years setting".
- Another setting: the lead-mentor rule comes before the review rule, whatever the course.
- Unknown `work_setting`, `kind_of_nursery` and `employment_type` strings are accepted (the
  specification gives unknown settings an outcome); an unknown institution `kind` is an error.
- `establishment_type_code` and `number_of_pupils` may be text of digits ("34", as DfE's data
  and GIAS extracts give them); any other text is an error.
- Lists whose membership is unknown (never uploaded, or older than the date staff count lists
  as current) are named by their `on_*` fact in `Institution.unknown_lists`; the caller says
  which. An outcome that is not funded but would be, or would differ, had the institution been
  on one of them is `funding_to_be_confirmed`, waiting on those lists (`waiting_on`), with no
  bursary and no alternatives. A funded outcome never waits: being on a list only ever helps.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace

__all__ = [
    "ALTERNATIVE_COURSES",
    "COURSE_IDENTIFIERS",
    "LIST_NAMES",
    "OUTCOME_CODES",
    "REASONS",
    "RULE_SETS",
    "Bursary",
    "FundingError",
    "FundingFacts",
    "FundingOutcome",
    "Institution",
    "RuleSet",
    "facts_from_json",
    "funding_evaluate",
    "institution_needs_lookup",
    "provisional_reason",
    "register_rule_set",
    "standard_status",
]

# ---- Courses ----
HEADSHIP = "npq-headship"
SENIOR_LEADERSHIP = "npq-senior-leadership"
EXECUTIVE_LEADERSHIP = "npq-executive-leadership"
EARLY_YEARS_LEADERSHIP = "npq-early-years-leadership"
SENCO = "npq-senco"
LEADING_PRIMARY_MATHEMATICS = "npq-leading-primary-mathematics"
LEADING_LITERACY = "npq-leading-literacy"
LEADING_TEACHING = "npq-leading-teaching"
LEADING_TEACHER_DEVELOPMENT = "npq-leading-teaching-development"
LEADING_BEHAVIOUR_CULTURE = "npq-leading-behaviour-culture"
EHCO = "npq-early-headship-coaching-offer"
ASO = "npq-additional-support-offer"  # retired; still evaluated for old records

COURSE_IDENTIFIERS: tuple[str, ...] = (
    HEADSHIP,
    SENIOR_LEADERSHIP,
    EXECUTIVE_LEADERSHIP,
    EARLY_YEARS_LEADERSHIP,
    SENCO,
    LEADING_PRIMARY_MATHEMATICS,
    LEADING_LITERACY,
    LEADING_TEACHING,
    LEADING_TEACHER_DEVELOPMENT,
    LEADING_BEHAVIOUR_CULTURE,
    EHCO,
    ASO,
)
RETIRED_COURSES = frozenset({ASO})
ALTERNATIVE_COURSES: tuple[str, ...] = tuple(
    course for course in COURSE_IDENTIFIERS if course not in RETIRED_COURSES
)

# ---- Work settings, nursery kinds, employment types, institution kinds ----
A_SCHOOL = "a_school"
AN_ACADEMY_TRUST = "an_academy_trust"
A_16_TO_19_SETTING = "a_16_to_19_educational_setting"
EARLY_YEARS_OR_CHILDCARE = "early_years_or_childcare"
ANOTHER_SETTING = "another_setting"
OTHER = "other"
WORK_SETTINGS = (
    A_SCHOOL,
    AN_ACADEMY_TRUST,
    A_16_TO_19_SETTING,
    EARLY_YEARS_OR_CHILDCARE,
    ANOTHER_SETTING,
    OTHER,
)
SCHOOL_SETTINGS = frozenset({A_SCHOOL, AN_ACADEMY_TRUST, A_16_TO_19_SETTING})

LA_MAINTAINED_NURSERY = "local_authority_maintained_nursery"
PRESCHOOL_CLASS = "preschool_class_as_part_of_school"
PRIVATE_NURSERY = "private_nursery"
CHILDMINDER = "childminder"
ANOTHER_EARLY_YEARS_SETTING = "another_early_years_setting"

VIRTUAL_SCHOOL = "local_authority_virtual_school"
HOSPITAL_SCHOOL = "hospital_school"
YOUNG_OFFENDER_INSTITUTION = "young_offender_institution"
LA_SUPPLY_TEACHER = "local_authority_supply_teacher"
LEAD_MENTOR = "lead_mentor_for_accredited_itt_provider"
REVIEW_EMPLOYMENT_TYPES = frozenset(
    {VIRTUAL_SCHOOL, HOSPITAL_SCHOOL, YOUNG_OFFENDER_INSTITUTION, LA_SUPPLY_TEACHER}
)

SCHOOL = "school"
PRIVATE_CHILDCARE_PROVIDER = "private_childcare_provider"
LOCAL_AUTHORITY = "local_authority"
INSTITUTION_KINDS = frozenset({SCHOOL, PRIVATE_CHILDCARE_PROVIDER, LOCAL_AUTHORITY})

LA_NURSERY_SCHOOL_TYPE_CODE = 15  # GIAS "Local authority nursery school"
# GIAS spelling of the phases that count as primary for the bursary's enhanced rate.
PRIMARY_PHASES = frozenset({"Primary", "Middle deemed primary"})

# ---- Outcome codes ----
FUNDED = "funded"
UNFUNDED_COHORT = "unfunded_cohort"
NOT_IN_ENGLAND = "not_in_england"
PREVIOUSLY_FUNDED = "previously_funded"
NOT_NEW_HEADTEACHER_REQUESTING_EHCO = "not_new_headteacher_requesting_ehco"
EARLY_YEARS_INVALID_NPQ = "early_years_invalid_npq"
NOT_ENTITLED_CHILDMINDER = "not_entitled_childminder"
INELIGIBLE_ESTABLISHMENT_TYPE = "ineligible_establishment_type"
INELIGIBLE_ESTABLISHMENT_NOT_A_PP50 = "ineligible_establishment_not_a_pp50"
NOT_LEAD_MENTOR_COURSE = "not_lead_mentor_course"
NOT_ENTITLED_EY_INSTITUTION = "not_entitled_ey_institution"
SUBJECT_TO_REVIEW = "subject_to_review"
REFERRED_BY_RETURN_TO_TEACHING_ADVISER = "referred_by_return_to_teaching_adviser"
MARKED_FUNDED_BY_POLICY = "marked_funded_by_policy"
MARKED_INELIGIBLE_BY_POLICY = "marked_ineligible_by_policy"
FUNDING_TO_BE_CONFIRMED = "funding_to_be_confirmed"

OUTCOME_CODES: tuple[str, ...] = (
    FUNDED,
    UNFUNDED_COHORT,
    NOT_IN_ENGLAND,
    PREVIOUSLY_FUNDED,
    NOT_NEW_HEADTEACHER_REQUESTING_EHCO,
    EARLY_YEARS_INVALID_NPQ,
    NOT_ENTITLED_CHILDMINDER,
    INELIGIBLE_ESTABLISHMENT_TYPE,
    INELIGIBLE_ESTABLISHMENT_NOT_A_PP50,
    NOT_LEAD_MENTOR_COURSE,
    NOT_ENTITLED_EY_INSTITUTION,
    SUBJECT_TO_REVIEW,
    REFERRED_BY_RETURN_TO_TEACHING_ADVISER,
    MARKED_FUNDED_BY_POLICY,
    MARKED_INELIGIBLE_BY_POLICY,
    FUNDING_TO_BE_CONFIRMED,
)
FUNDED_CODES = frozenset({FUNDED, MARKED_FUNDED_BY_POLICY})
REVIEW_CODES = frozenset({SUBJECT_TO_REVIEW, REFERRED_BY_RETURN_TO_TEACHING_ADVISER})
# Staff set these by hand (with their own reason); the engine never returns them.
OVERRIDE_CODES = frozenset({MARKED_FUNDED_BY_POLICY, MARKED_INELIGIBLE_BY_POLICY})
# Neither funded nor refused: an eligibility list the decision needs is not in yet.
PROVISIONAL_CODES = frozenset({FUNDING_TO_BE_CONFIRMED})

# Shown to the teacher, their school leader and staff alike, so they speak to the applicant.
REASONS: dict[str, str] = {
    FUNDED: "You are eligible for DfE scholarship funding, so the course fee for this NPQ is paid.",
    UNFUNDED_COHORT: (
        "This cohort has no DfE scholarship funding, so the course fee is paid by your school, "
        "trust or you."
    ),
    NOT_IN_ENGLAND: (
        "DfE scholarship funding is only for people who work in England, and you told us you do "
        "not."
    ),
    PREVIOUSLY_FUNDED: (
        "You have already had DfE scholarship funding for this NPQ, and it is funded only once "
        "for each person."
    ),
    NOT_NEW_HEADTEACHER_REQUESTING_EHCO: (
        "The Early headship coaching offer is funded only for headteachers in their first five "
        "years as a headteacher, and you told us you are not one."
    ),
    EARLY_YEARS_INVALID_NPQ: (
        "For people working in early years or childcare, DfE funds the Early years leadership "
        "NPQ (and a few leadership NPQs in local-authority nursery schools), but not this one."
    ),
    NOT_ENTITLED_CHILDMINDER: (
        "The Early years leadership NPQ is funded for childminders only when they are on DfE's "
        "list of eligible childminders, and you are not on it."
    ),
    INELIGIBLE_ESTABLISHMENT_TYPE: (
        "DfE does not fund this NPQ for the kind of school or workplace you work in, so the "
        "course fee is paid by your employer or you."
    ),
    INELIGIBLE_ESTABLISHMENT_NOT_A_PP50: (
        "This NPQ is funded only for schools and colleges on DfE's PP50 list (or the RISE list), "
        "and yours is not on it, but other NPQs may still be funded for you."
    ),
    NOT_LEAD_MENTOR_COURSE: (
        "As a lead mentor for an initial teacher training provider, you can be funded only for "
        "the Leading teacher development NPQ."
    ),
    NOT_ENTITLED_EY_INSTITUTION: (
        "The Early years leadership NPQ is funded only for early years settings on DfE's "
        "disadvantaged early years list, and yours is not on it."
    ),
    SUBJECT_TO_REVIEW: (
        "Whether your role qualifies for DfE scholarship funding has to be checked by our staff, "
        "who will let you know; until then the place is not funded."
    ),
    REFERRED_BY_RETURN_TO_TEACHING_ADVISER: (
        "You were referred by a return-to-teaching adviser, so our staff will check your "
        "funding and let you know; until then the place is not funded."
    ),
    MARKED_FUNDED_BY_POLICY: (
        "Our staff have decided under DfE policy that this place is funded; their reason is "
        "recorded with the decision."
    ),
    MARKED_INELIGIBLE_BY_POLICY: (
        "Our staff have decided under DfE policy that this place is not funded; their reason is "
        "recorded with the decision."
    ),
    FUNDING_TO_BE_CONFIRMED: (
        "Your funding will be confirmed by the hub once DfE's eligibility list it depends on is "
        "in; until then it is neither funded nor refused."
    ),
}


# GIAS establishment types that DfE funds (11 "Other independent school" is not one of them).
ELIGIBLE_ESTABLISHMENT_TYPE_CODES = frozenset(
    {1, 2, 3, 5, 6, 7, 8, 10, 12, 14, 15, 18, 24, 26, 28, 31, 32, 33, 34, 35, 36}
    | {38, 39, 40, 41, 42, 43, 44, 45, 46}
)

# The 2023/24 small-schools bursary (targeted support funding), in whole pounds.
BURSARY_AMOUNT_2023 = 200
BURSARY_ENHANCED_AMOUNT_2023 = 800


class FundingError(ValueError):
    """Facts that cannot be evaluated; the message is one sentence for the person who sent them."""


# ---- Facts ----
_INSTITUTION_FLAGS = (
    "on_rise_list",
    "on_pp50_school_list",
    "on_pp50_further_education_list",
    "on_childminders_list",
    "on_la_disadvantaged_nursery_list",
    "on_disadvantaged_early_years_list",
    "on_bursary_further_education_list",
)
_INSTITUTION_FLAG_SET = frozenset(_INSTITUTION_FLAGS)
# DfE's name for the list behind each `on_*` fact, as the applicant and staff read it.
LIST_NAMES: dict[str, str] = {
    "on_rise_list": "RISE list of schools",
    "on_pp50_school_list": "PP50 list of schools",
    "on_pp50_further_education_list": "PP50 list of further-education settings",
    "on_childminders_list": "list of eligible childminders",
    "on_la_disadvantaged_nursery_list": "list of disadvantaged local-authority nurseries",
    "on_disadvantaged_early_years_list": "list of disadvantaged early years settings",
    "on_bursary_further_education_list": "list of further-education bodies for the bursary",
}
_FACT_FLAGS = (
    "cohort_funded",
    "inside_catchment",
    "previously_funded",
    "approved_itt_provider",
    "new_headteacher",
    "referred_by_return_to_teaching_adviser",
)
_FACT_TEXTS = ("work_setting", "kind_of_nursery", "employment_type")


def _show(value: object) -> str:
    return repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."


def _check_flags(obj: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if type(value) is not bool:
            raise FundingError(f"{name} must be true or false, not {_show(value)}.")


def _whole_number(name: str, value: object) -> int | None:
    """The value as a whole number of 0 or more; an integral float (10.0) counts as one, and so
    does text of digits ("100", " 15 "), the way GIAS codes and counts arrive in DfE's data."""
    if value is None or (type(value) is int and value >= 0):
        return value
    if type(value) is float and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    if isinstance(value, str):
        digits = value.strip()
        # ASCII only: str.isdigit() also passes "²" and other scripts' digits. Past Python's
        # limit on digits int() would raise ValueError; this refuses it with the others.
        limit = sys.get_int_max_str_digits()
        if digits.isascii() and digits.isdigit() and (not limit or len(digits) <= limit):
            return int(digits)
    raise FundingError(f"{name} must be a whole number of 0 or more, not {_show(value)}.")


@dataclass(frozen=True, slots=True)
class Institution:
    """Where the applicant works, with its membership of DfE's eligibility lists."""

    kind: str | None = None
    urn: str | None = None
    ukprn: str | None = None
    establishment_type_code: int | None = None
    number_of_pupils: int | None = None
    phase_name: str | None = None
    on_rise_list: bool = False
    on_pp50_school_list: bool = False
    on_pp50_further_education_list: bool = False
    on_childminders_list: bool = False
    on_la_disadvantaged_nursery_list: bool = False
    on_disadvantaged_early_years_list: bool = False
    on_bursary_further_education_list: bool = False
    # The `on_*` facts whose list is not in (never uploaded, or out of date): their False may
    # be wrong, so an outcome that turns on one of them is only provisional.
    unknown_lists: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # One cheap test for the usual, well-typed case; the slow path finds what is wrong.
        kind, code, pupils = self.kind, self.establishment_type_code, self.number_of_pupils
        if not (
            type(self.on_rise_list) is bool
            and type(self.on_pp50_school_list) is bool
            and type(self.on_pp50_further_education_list) is bool
            and type(self.on_childminders_list) is bool
            and type(self.on_la_disadvantaged_nursery_list) is bool
            and type(self.on_disadvantaged_early_years_list) is bool
            and type(self.on_bursary_further_education_list) is bool
            and (kind is None or (type(kind) is str and kind in INSTITUTION_KINDS))
            and (self.urn is None or type(self.urn) is str)
            and (self.ukprn is None or type(self.ukprn) is str)
            and (code is None or (type(code) is int and code >= 0))
            and (pupils is None or (type(pupils) is int and pupils >= 0))
            and (self.phase_name is None or type(self.phase_name) is str)
            and type(self.unknown_lists) is frozenset
            and self.unknown_lists <= _INSTITUTION_FLAG_SET
        ):
            self._normalise_or_refuse()

    def _normalise_or_refuse(self) -> None:
        _check_flags(self, _INSTITUTION_FLAGS)
        kind = self.kind
        if kind is not None and not (isinstance(kind, str) and kind in INSTITUTION_KINDS):
            raise FundingError(
                "kind must be school, private_childcare_provider, local_authority or null, "
                f"not {_show(kind)}."
            )
        # URNs and UKPRNs are identifiers kept as text; a whole number (the database's URN
        # column, a JSON number) is turned into its digits.
        for name in ("urn", "ukprn"):
            value = getattr(self, name)
            if type(value) is int:
                object.__setattr__(self, name, str(value))
            elif value is not None and not isinstance(value, str):
                raise FundingError(f"{name} must be text or a whole number, not {_show(value)}.")
        for name in ("establishment_type_code", "number_of_pupils"):
            object.__setattr__(self, name, _whole_number(name, getattr(self, name)))
        if self.phase_name is not None and not isinstance(self.phase_name, str):
            raise FundingError(f"phase_name must be text, not {_show(self.phase_name)}.")
        unknown = self.unknown_lists
        if not isinstance(unknown, list | tuple | set | frozenset) or not all(
            type(name) is str and name in _INSTITUTION_FLAG_SET for name in unknown
        ):
            names = ", ".join(_INSTITUTION_FLAGS)
            raise FundingError(
                f"unknown_lists must be a list of these names: {names}; not {_show(unknown)}."
            )
        object.__setattr__(self, "unknown_lists", frozenset(unknown))


@dataclass(frozen=True, slots=True)
class FundingFacts:
    """What the rules need to know about one application.

    Raises FundingError for a wrong type, or a school setting with no institution.
    """

    course_identifier: str
    cohort_funded: bool = True
    inside_catchment: bool = True
    previously_funded: bool = False
    work_setting: str | None = None
    kind_of_nursery: str | None = None
    employment_type: str | None = None
    approved_itt_provider: bool = False
    new_headteacher: bool = False
    referred_by_return_to_teaching_adviser: bool = False
    institution: Institution | None = None

    def __post_init__(self) -> None:
        setting, institution = self.work_setting, self.institution
        if not (
            type(self.course_identifier) is str
            and type(self.cohort_funded) is bool
            and type(self.inside_catchment) is bool
            and type(self.previously_funded) is bool
            and type(self.approved_itt_provider) is bool
            and type(self.new_headteacher) is bool
            and type(self.referred_by_return_to_teaching_adviser) is bool
            and (setting is None or type(setting) is str)
            and (self.kind_of_nursery is None or type(self.kind_of_nursery) is str)
            and (self.employment_type is None or type(self.employment_type) is str)
            and (institution is None or type(institution) is Institution)
        ):
            self._refuse_wrong_types()
        if institution is None and setting in SCHOOL_SETTINGS:
            raise FundingError(
                f"A work setting of {setting} needs the institution (its URN or UKPRN), "
                "but none was given."
            )

    def _refuse_wrong_types(self) -> None:
        if not isinstance(self.course_identifier, str):
            raise FundingError(
                f"course_identifier must be text, not {_show(self.course_identifier)}."
            )
        _check_flags(self, _FACT_FLAGS)
        for name in _FACT_TEXTS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise FundingError(f"{name} must be text or null, not {_show(value)}.")
        if self.institution is not None and not isinstance(self.institution, Institution):
            raise FundingError(
                f"institution must be an Institution, not {type(self.institution).__name__}."
            )


# ---- Outcome ----
@dataclass(frozen=True, slots=True)
class Bursary:
    """The small-schools bursary for one participant, in whole pounds, paid to the school."""

    eligible: bool
    amount: int
    enhanced: bool


@dataclass(frozen=True, slots=True)
class FundingOutcome:
    """The decision for one set of facts under one rule set, with its reason."""

    status: str
    funded: bool
    subject_to_review: bool
    reason: str
    bursary: Bursary | None
    funded_alternatives: tuple[str, ...]
    rules: str
    # The `on_*` facts of the lists a provisional outcome waits for; empty otherwise.
    waiting_on: tuple[str, ...] = ()

    @property
    def provisional(self) -> bool:
        """Neither funded nor refused until the lists in `waiting_on` are in."""
        return self.status in PROVISIONAL_CODES

    def as_json(self) -> dict:
        """The output line of `funding_check`, in the order FUNDING.md gives."""
        bursary = self.bursary
        return {
            "status": self.status,
            "funded": self.funded,
            "subject_to_review": self.subject_to_review,
            "bursary": (
                None
                if bursary is None
                else {"eligible": bursary.eligible, "amount": bursary.amount}
            ),
            "reason": self.reason,
            "funded_alternatives": list(self.funded_alternatives),
        }


# ---- The rules of 2025 and 2026 (their differences are RuleSet data) ----
def _school_setting_status(rule_set: RuleSet, facts: FundingFacts, course: str) -> str:
    institution = facts.institution  # never None here: FundingFacts refuses that
    if institution.on_rise_list:
        return FUNDED
    if institution.establishment_type_code not in rule_set.eligible_establishment_type_codes:
        return INELIGIBLE_ESTABLISHMENT_TYPE
    if course in rule_set.pp50_only_courses:
        # A 16-19 setting is on the further-education PP50 list by UKPRN; every other school
        # setting is on the schools list by URN. Neither list stands in for the other.
        if facts.work_setting == A_16_TO_19_SETTING:
            on_pp50 = institution.on_pp50_further_education_list
        else:
            on_pp50 = institution.on_pp50_school_list
        if not on_pp50:
            return INELIGIBLE_ESTABLISHMENT_NOT_A_PP50
    return FUNDED


def _early_years_status(rule_set: RuleSet, facts: FundingFacts, course: str) -> str:
    institution = facts.institution
    # The GIAS type code, not kind_of_nursery, makes a local-authority nursery school (see the
    # module docstring).
    la_nursery = (
        institution is not None
        and institution.establishment_type_code == LA_NURSERY_SCHOOL_TYPE_CODE
    )
    if la_nursery and course in rule_set.la_nursery_courses:
        if (
            rule_set.la_nursery_needs_disadvantaged_list
            and not institution.on_la_disadvantaged_nursery_list
        ):
            return INELIGIBLE_ESTABLISHMENT_TYPE
        return FUNDED
    if course == EARLY_YEARS_LEADERSHIP:
        if facts.kind_of_nursery == CHILDMINDER and not la_nursery:
            if institution is not None and institution.on_childminders_list:
                return FUNDED
            return NOT_ENTITLED_CHILDMINDER
        if rule_set.early_years_leadership_needs_disadvantaged_list and not (
            institution is not None and institution.on_disadvantaged_early_years_list
        ):
            return NOT_ENTITLED_EY_INSTITUTION
        return FUNDED
    return EARLY_YEARS_INVALID_NPQ


def _another_setting_status(rule_set: RuleSet, facts: FundingFacts, course: str) -> str:
    employment_type = facts.employment_type
    if employment_type == LEAD_MENTOR:
        if course != LEADING_TEACHER_DEVELOPMENT:
            return NOT_LEAD_MENTOR_COURSE
        return FUNDED if facts.approved_itt_provider else INELIGIBLE_ESTABLISHMENT_TYPE
    if employment_type in rule_set.review_employment_types and course in rule_set.review_courses:
        return SUBJECT_TO_REVIEW
    return INELIGIBLE_ESTABLISHMENT_TYPE


def standard_status(rule_set: RuleSet, facts: FundingFacts, course: str) -> str:
    """The outcome code for `course` under FUNDING.md's order of rules, driven by the rule set's
    data. A rule set whose difference is logic can wrap this in its own status function."""
    if not facts.cohort_funded:
        return UNFUNDED_COHORT
    if not facts.inside_catchment:
        return NOT_IN_ENGLAND
    if facts.previously_funded:
        return PREVIOUSLY_FUNDED
    if course == EHCO:  # whatever the work setting
        return FUNDED if facts.new_headteacher else NOT_NEW_HEADTEACHER_REQUESTING_EHCO
    setting = facts.work_setting
    if setting in SCHOOL_SETTINGS:
        return _school_setting_status(rule_set, facts, course)
    if setting == EARLY_YEARS_OR_CHILDCARE:
        return _early_years_status(rule_set, facts, course)
    if setting == ANOTHER_SETTING:
        return _another_setting_status(rule_set, facts, course)
    if setting == OTHER and facts.referred_by_return_to_teaching_adviser:
        return REFERRED_BY_RETURN_TO_TEACHING_ADVISER
    return INELIGIBLE_ESTABLISHMENT_TYPE  # other, missing or unknown setting


StatusFunction = Callable[["RuleSet", FundingFacts, str], str]

# How the bursary came out, as a small integer: the key of a rule set's outcome cache.
_BURSARY_OFF, _BURSARY_NOT_ELIGIBLE, _BURSARY_STANDARD, _BURSARY_ENHANCED = -1, 0, 1, 2


@dataclass(frozen=True)
class RuleSet:
    """One named, dated set of funding rules; what differs between years is data here."""

    name: str
    description: str
    # School settings: courses funded only for a setting on a PP50 list.
    pp50_only_courses: frozenset[str]
    eligible_establishment_type_codes: frozenset[int]
    # Early years: courses a local-authority nursery school (GIAS type 15) is also funded for,
    # and whether it, or any other early-years setting taking Early years leadership, must be on
    # a disadvantaged list.
    la_nursery_courses: frozenset[str]
    la_nursery_needs_disadvantaged_list: bool
    early_years_leadership_needs_disadvantaged_list: bool
    # Another setting: courses sent to staff for review for these employment types.
    review_courses: frozenset[str]
    review_employment_types: frozenset[str] = REVIEW_EMPLOYMENT_TYPES
    courses: tuple[str, ...] = COURSE_IDENTIFIERS
    retired_courses: frozenset[str] = RETIRED_COURSES
    # The small-schools bursary, off unless the rule set (or the caller) switches it on.
    bursary_enabled: bool = False
    bursary_amount: int = BURSARY_AMOUNT_2023
    bursary_enhanced_amount: int = BURSARY_ENHANCED_AMOUNT_2023
    bursary_max_pupils: int = 600
    bursary_enhanced_max_pupils: int = 150
    status_function: StatusFunction = standard_status
    # Derived in __post_init__.
    course_set: frozenset[str] = field(init=False, repr=False, compare=False)
    alternative_courses: tuple[str, ...] = field(init=False, repr=False, compare=False)
    bursaries: tuple[Bursary, ...] = field(init=False, repr=False, compare=False)
    outcome_cache: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError("A rule set needs a name.")
        object.__setattr__(self, "course_set", frozenset(self.courses))
        alternatives = tuple(c for c in self.courses if c not in self.retired_courses)
        object.__setattr__(self, "alternative_courses", alternatives)
        bursaries = (
            Bursary(eligible=False, amount=0, enhanced=False),
            Bursary(eligible=True, amount=self.bursary_amount, enhanced=False),
            Bursary(eligible=True, amount=self.bursary_enhanced_amount, enhanced=True),
        )
        object.__setattr__(self, "bursaries", bursaries)


RULE_SETS: dict[str, RuleSet] = {}
_known_courses: frozenset[str] = frozenset()


def register_rule_set(rule_set: RuleSet) -> RuleSet:
    """Make a rule set available by its name.

    Raises ValueError for a name already taken: decisions made under a rule set must stay
    explainable, so a changed rule set gets a new name.
    """
    global _known_courses
    if rule_set.name in RULE_SETS:
        raise ValueError(f"A rule set named {rule_set.name!r} is already registered.")
    RULE_SETS[rule_set.name] = rule_set
    _known_courses = _known_courses | rule_set.course_set
    return rule_set


# Each year is spelt out in full rather than derived from another, so that editing one can
# never change the decisions of the other.
register_rule_set(
    RuleSet(
        name="2025",
        description="DfE scholarship funding rules for the autumn 2025 recruitment round.",
        pp50_only_courses=frozenset(
            {
                LEADING_PRIMARY_MATHEMATICS,
                LEADING_LITERACY,
                LEADING_TEACHING,
                LEADING_TEACHER_DEVELOPMENT,
                LEADING_BEHAVIOUR_CULTURE,
                EXECUTIVE_LEADERSHIP,
                SENIOR_LEADERSHIP,
                EARLY_YEARS_LEADERSHIP,
            }
        ),
        eligible_establishment_type_codes=ELIGIBLE_ESTABLISHMENT_TYPE_CODES,
        la_nursery_courses=frozenset({SENCO, HEADSHIP, EARLY_YEARS_LEADERSHIP}),
        la_nursery_needs_disadvantaged_list=True,
        early_years_leadership_needs_disadvantaged_list=True,
        review_courses=frozenset({HEADSHIP, SENCO}),
    )
)
register_rule_set(
    RuleSet(
        name="2026",
        description="DfE scholarship funding rules for the autumn 2026 recruitment round.",
        pp50_only_courses=frozenset(
            {
                LEADING_PRIMARY_MATHEMATICS,
                LEADING_LITERACY,
                LEADING_TEACHING,
                LEADING_TEACHER_DEVELOPMENT,
                LEADING_BEHAVIOUR_CULTURE,
                EXECUTIVE_LEADERSHIP,
            }
        ),
        eligible_establishment_type_codes=ELIGIBLE_ESTABLISHMENT_TYPE_CODES,
        la_nursery_courses=frozenset({SENCO, HEADSHIP, SENIOR_LEADERSHIP}),
        la_nursery_needs_disadvantaged_list=False,
        early_years_leadership_needs_disadvantaged_list=False,
        review_courses=frozenset({HEADSHIP, SENCO, SENIOR_LEADERSHIP}),
    )
)


# ---- The small-schools bursary ----
def _bursary_state(rule_set: RuleSet, facts: FundingFacts, status: str) -> int:
    """Readings of FUNDING.md's bursary paragraph:

    - It is paid only alongside scholarship funding, so any outcome but `funded` is not eligible.
    - An ITT lead mentor is never eligible, by any route.
    - School route: kind "school" (not a local authority or private childcare provider), an
      eligible type for this rule set, 1 to 600 pupils (None or 0 is not eligible), and a course
      other than EHCO.
    - A primary school (GIAS phase "Primary" or "Middle deemed primary") passes the school route
      whatever the course, EHCO included, and with 1 to 150 pupils gets the enhanced amount.
    - Further-education route: on DfE's bursary list by UKPRN, eligible whatever its size, type,
      kind or course, at the standard amount.
    - "At most once per participant" is for the caller that pays it; one outcome is one payment.
    """
    if status != FUNDED:
        return _BURSARY_NOT_ELIGIBLE
    institution = facts.institution
    if institution is None or facts.employment_type == LEAD_MENTOR:
        return _BURSARY_NOT_ELIGIBLE
    pupils = institution.number_of_pupils
    if (
        institution.kind == SCHOOL
        and pupils
        and pupils <= rule_set.bursary_max_pupils
        and institution.establishment_type_code in rule_set.eligible_establishment_type_codes
    ):
        if institution.phase_name in PRIMARY_PHASES:
            if pupils <= rule_set.bursary_enhanced_max_pupils:
                return _BURSARY_ENHANCED
            return _BURSARY_STANDARD
        if facts.course_identifier != EHCO:
            return _BURSARY_STANDARD
    if institution.on_bursary_further_education_list:
        return _BURSARY_STANDARD
    return _BURSARY_NOT_ELIGIBLE


# ---- The one entry point ----
def funding_evaluate(
    facts: FundingFacts, *, rules: str, bursary: bool | None = None
) -> FundingOutcome:
    """Decide funding (and the small-schools bursary) for the facts under the named rule set.

    `bursary=None` keeps the rule set's default; True switches the bursary on (at the 2023/24
    amounts unless the rule set has its own); False leaves it out (the outcome's bursary is None).
    Raises FundingError for an unknown rule set or a course the rule set does not know.
    """
    rule_set = RULE_SETS.get(rules)
    if rule_set is None:
        names = ", ".join(sorted(RULE_SETS))
        raise FundingError(f"There is no funding rule set named {rules!r} (there are {names}).")
    if type(facts) is not FundingFacts:
        raise FundingError(f"facts must be FundingFacts, not {type(facts).__name__}.")
    course = facts.course_identifier
    if course not in rule_set.course_set:
        if course in _known_courses:
            raise FundingError(f"Rule set {rules} has no course {course!r}.")
        raise FundingError(f"course_identifier {_show(course)} is not a known NPQ course.")
    status_function = rule_set.status_function
    status = status_function(rule_set, facts, course)

    if bursary is None:
        bursary = rule_set.bursary_enabled
    elif type(bursary) is not bool:
        raise FundingError(f"bursary must be True, False or None, not {_show(bursary)}.")
    institution = facts.institution
    if institution is not None and institution.unknown_lists and status not in FUNDED_CODES:
        waiting_on = _lists_waited_on(rule_set, facts, course, status)
        if waiting_on:
            return FundingOutcome(
                status=FUNDING_TO_BE_CONFIRMED,
                funded=False,
                subject_to_review=False,
                reason=provisional_reason(waiting_on),
                bursary=None if not bursary else rule_set.bursaries[_BURSARY_NOT_ELIGIBLE],
                funded_alternatives=(),
                rules=rule_set.name,
                waiting_on=waiting_on,
            )
    state = _bursary_state(rule_set, facts, status) if bursary else _BURSARY_OFF

    if status == INELIGIBLE_ESTABLISHMENT_NOT_A_PP50:
        # Refused only because the course needs a PP50 setting: name what the same facts fund.
        alternatives = tuple(
            other
            for other in rule_set.alternative_courses
            if other != course and status_function(rule_set, facts, other) == FUNDED
        )
        if alternatives:
            return _outcome(rule_set, status, state, alternatives)
    key = (status, state)
    outcome = rule_set.outcome_cache.get(key)
    if outcome is None:
        outcome = rule_set.outcome_cache.setdefault(key, _outcome(rule_set, status, state, ()))
    return outcome


def _lists_waited_on(
    rule_set: RuleSet, facts: FundingFacts, course: str, status: str
) -> tuple[str, ...]:
    """The unknown lists that decide the outcome: those on which the institution being listed
    would change it (in `_INSTITUTION_FLAGS` order), or, when no one list does alone, all the
    unknown lists it is not on, if together they would."""
    institution = facts.institution
    status_function = rule_set.status_function
    absent = [
        name
        for name in _INSTITUTION_FLAGS
        if name in institution.unknown_lists and not getattr(institution, name)
    ]

    def with_lists(names) -> str:
        listed = replace(institution, **dict.fromkeys(names, True))
        return status_function(rule_set, replace(facts, institution=listed), course)

    deciding = tuple(name for name in absent if with_lists([name]) != status)
    if not deciding and len(absent) > 1 and with_lists(absent) != status:
        deciding = tuple(absent)
    return deciding


def provisional_reason(waiting_on: tuple[str, ...]) -> str:
    """What the applicant reads while their funding waits on lists, naming each list."""
    names = [LIST_NAMES[name] for name in waiting_on]
    if not names:
        return REASONS[FUNDING_TO_BE_CONFIRMED]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"Your funding will be confirmed by the hub once DfE's {listed} "
        f"{'is' if len(names) == 1 else 'are'} in; until then it is neither funded nor refused."
    )


def _outcome(
    rule_set: RuleSet, status: str, state: int, alternatives: tuple[str, ...]
) -> FundingOutcome:
    if status not in REASONS:
        raise ValueError(f"Rule set {rule_set.name} returned an unknown outcome code {status!r}.")
    return FundingOutcome(
        status=status,
        funded=status in FUNDED_CODES,
        subject_to_review=status in REVIEW_CODES,
        reason=REASONS[status],
        bursary=None if state == _BURSARY_OFF else rule_set.bursaries[state],
        funded_alternatives=alternatives,
        rules=rule_set.name,
    )


# ---- JSON facts (one line of `funding_check`) ----
def facts_from_json(data: dict) -> FundingFacts:
    """Facts from one parsed JSON object with FUNDING.md's field names; unknown keys are ignored.

    A null value counts as not given. The cohort's flag may be `"cohort": {"funded": false}` or
    `"cohort_funded": false`. No database look-up happens here (see institution_needs_lookup).
    Raises FundingError naming the field that is wrong.
    """
    if type(data) is not dict:
        raise FundingError("Each line of facts must be a JSON object.")
    get = data.get
    course = get("course_identifier")
    if type(course) is not str:
        if course is None:
            raise FundingError("course_identifier is required.")
        raise FundingError(f"course_identifier must be text, not {_show(course)}.")
    if course not in _known_courses:
        raise FundingError(f"course_identifier {_show(course)} is not a known NPQ course.")

    cohort_funded = get("cohort_funded")
    if cohort_funded is not None and type(cohort_funded) is not bool:
        raise FundingError(f"cohort_funded must be true or false, not {_show(cohort_funded)}.")
    cohort = get("cohort")
    if cohort is not None:
        if type(cohort) is not dict:
            raise FundingError('cohort must be an object such as {"funded": true}.')
        nested = cohort.get("funded")
        if nested is not None:
            if type(nested) is not bool:
                raise FundingError(f"cohort.funded must be true or false, not {_show(nested)}.")
            if cohort_funded is not None and cohort_funded is not nested:
                raise FundingError("cohort.funded and cohort_funded disagree.")
            cohort_funded = nested

    institution = get("institution")
    if institution is not None:
        institution = _institution_from_json(institution)

    return FundingFacts(
        course,
        True if cohort_funded is None else cohort_funded,
        True if (v := get("inside_catchment")) is None else v,
        False if (v := get("previously_funded")) is None else v,
        get("work_setting"),
        get("kind_of_nursery"),
        get("employment_type"),
        False if (v := get("approved_itt_provider")) is None else v,
        False if (v := get("new_headteacher")) is None else v,
        False if (v := get("referred_by_return_to_teaching_adviser")) is None else v,
        institution,
    )


def _institution_from_json(institution: object) -> Institution:
    if type(institution) is not dict:
        raise FundingError("institution must be an object.")
    i = institution.get
    return Institution(
        i("kind"),
        i("urn"),
        i("ukprn"),
        i("establishment_type_code"),
        i("number_of_pupils"),
        i("phase_name"),
        False if (v := i("on_rise_list")) is None else v,
        False if (v := i("on_pp50_school_list")) is None else v,
        False if (v := i("on_pp50_further_education_list")) is None else v,
        False if (v := i("on_childminders_list")) is None else v,
        False if (v := i("on_la_disadvantaged_nursery_list")) is None else v,
        False if (v := i("on_disadvantaged_early_years_list")) is None else v,
        False if (v := i("on_bursary_further_education_list")) is None else v,
        frozenset() if (v := i("unknown_lists")) is None else v,
    )


_LOOKUP_BLOCKERS = ("establishment_type_code", *_INSTITUTION_FLAGS)


def institution_needs_lookup(data: dict) -> bool:
    """True when the JSON institution names a URN or UKPRN but gives no list membership and no
    establishment type, so the caller must fill it in from the database.

    Raises FundingError, naming the field, when such an institution has a field of the wrong
    type: the look-up reads `kind`, `urn` and `ukprn` as they are and replaces the rest, so it
    must not be given what facts_from_json would refuse.
    """
    institution = data.get("institution") if type(data) is dict else None
    if type(institution) is not dict:
        return False
    if institution.get("urn") is None and institution.get("ukprn") is None:
        return False
    if any(institution.get(name) is not None for name in _LOOKUP_BLOCKERS):
        return False
    _institution_from_json(institution)
    return True
