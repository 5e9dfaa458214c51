"""Reads about applications: the funding outcome their answers so far would get, a Work
Group's school sign-ups in the order staff decide them, and the Teaching for Mastery evidence
the portal holds for an NPQLPM applicant."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from cohorts.academic_years import academic_year_label, academic_year_of
from cohorts.models import Cohort, DeliveryPartner, cohort_name
from funding.models import FundingOverride, FundingRedecision
from funding.rules import FundingError, facts_from_json, funding_evaluate, institution_needs_lookup
from funding.selectors import InstitutionLookup, InstitutionNotFound
from npq_portal.numbers import whole_number
from npq_portal.prepared import (
    fixed_count,
    fixed_objects,
    fixed_query_of,
    fixed_rows,
    planned_generically,
    prepared_execute,
)
from programmes.catalogue import TEACHING_FOR_MASTERY
from programmes.models import Programme
from schools.models import School, SchoolProgrammeYear
from schools.prerequisites import PrerequisiteCheck
from schools.selectors import (
    pp50_entries,
    pp50_urns,
    schools_prerequisites_check,
)

from .models import (
    EVERY_APPLICATION,
    OWN_APPLICATIONS,
    Application,
    application_scope,
    review_filters_read,
)
from .places import places
from .services import application_funding_facts


@dataclass(frozen=True)
class ReviewFilterOptions:
    """The review queue's filter lists, each a list of (value, label)."""

    programmes: list[tuple[str, str]]
    cohorts: list[tuple[int, str]]  # one academic year's, and the cohort chosen
    years: list[tuple[int, str]]
    partners: list[tuple[int, str]]


REVIEW_FILTER_OPTIONS_SECONDS = 24 * 60 * 60

# Filters whose value is not a parameter of the query (an answer's question is a JSON key, a
# search finds people and schools as it is made): a queue filtered by them is composed.
COMPOSED_FILTERS = {"answer", "q"}


class ReviewQueue:
    """The applications a person may review that match the filters asked for, in review order,
    as a paginator reads them (npq_portal/paging.py): counted up to a limit and paged by id.

    Read by fixed queries (npq_portal.prepared), one for each kind of person (application_scope)
    and set of filters used, rather than composed on every visit; filtered by an answer or a
    search, composed as the queryset is."""

    def __init__(self, user, filters: Mapping[str, str]):
        self._scope = application_scope(user)
        self._user_id = user.pk
        values = review_filters_read(filters)
        self._fixed = not COMPOSED_FILTERS & values.keys()
        self._values = values
        # A status is one of a few: written into its own statements (PostgreSQL then plans
        # them once, knowing which), the other filters' values passed as arguments.
        compared = {name: value for name, value in values.items() if name != "status"}
        self._shape = (self._scope, values.get("status", ""), *compared)
        self._args = (
            *(() if self._scope == EVERY_APPLICATION else (self._user_id,)),
            *compared.values(),
        )

    @functools.cached_property
    def queryset(self):
        """The same applications as a queryset, in review order (made once: a search finds
        its people and schools as it is made)."""
        return _review_queue(self._scope, self._user_id, self._values)

    def _query(self):
        query = fixed_query_of(_review_ids, self._shape)
        if len(self._shape) == 2:
            # Filtered by a status at most (the queue as it opens, one status's tab): run by
            # its generic plan, as fast as one planned for the page asked for (measured at
            # one and at ten school years), without planning on each visit. A cohort, year or
            # partner filter is planned for its value: how many rows it holds decides the plan.
            planned_generically(query)
        return query

    def count_up_to(self, limit: int) -> int:
        if self._fixed:
            return fixed_count(self._query(), *self._args, up_to=limit)
        return self.queryset.order_by()[:limit].count()

    def ids_between(self, start: int, stop: int) -> list[int]:
        if self._fixed:
            rows = fixed_rows(self._query(), *self._args, limit=max(stop - start, 0), offset=start)
            return [pk for (pk,) in rows]
        return list(self.queryset.values_list("pk", flat=True)[start:stop])


def _review_queue(scope: str, user_id: int, values: Mapping):
    return (
        Application.objects.in_scope(scope, user_id).sent().matching_read(values).in_review_order()
    )


def _review_ids(shape: tuple, *args):
    """The review queue's ids for a kind of person, status and set of filters (`shape`), by
    the person's id (unless they see every application) and the filters' values."""
    scope, status, names = shape[0], shape[1], shape[2:]
    user_id, values = (0, args) if scope == EVERY_APPLICATION else (args[0], args[1:])
    filters = dict(zip(names, values, strict=True))
    if status:
        filters["status"] = status
    return _review_queue(scope, user_id, filters).values_list("pk")


def review_filter_options(*, year: str = "", cohort: str = "") -> ReviewFilterOptions:
    """Every programme that has cohorts, their academic years and every delivery partner, and
    the cohorts of one academic year, for the review queue's filters: the `year` chosen, or
    this one when none is; a `cohort` chosen in another year is listed too, first.

    One year's cohorts, not every cohort ever: the list stays the size of a year however many
    years the portal holds. Kept in the cache, a year's lists apiece, under a stamp of the
    three tables (how many rows, and the latest change), read with one small query: a cohort,
    programme or partner added, renamed or deleted makes a new stamp, so the lists are drawn
    again. A chosen cohort outside the year costs one more query, for its name.
    """
    academic_year = whole_number(year)
    if academic_year is None:
        academic_year = academic_year_of(timezone.localdate())
    stamp = _review_filter_stamp().encode()
    key = f"review-filter-options:{hashlib.sha256(stamp).hexdigest()}:{academic_year}"
    options = cache.get(key)
    if options is None:
        options = _review_filter_lists(academic_year)
        cache.set(key, options, REVIEW_FILTER_OPTIONS_SECONDS)
    cohort_id = whole_number(cohort)
    if cohort_id is not None and cohort_id not in dict(options.cohorts):
        chosen = _cohort_options(Cohort.objects.filter(pk=cohort_id))
        options = replace(options, cohorts=[*chosen, *options.cohorts])
    return options


def _review_filter_lists(academic_year: int) -> ReviewFilterOptions:
    cohorts = Cohort.objects.order_by()  # distinct values, not the model's order
    programmes = cohorts.values_list(
        "programme__slug", "programme__short_name", "programme__name"
    ).distinct()
    years = cohorts.values_list("academic_year", flat=True).distinct()
    return ReviewFilterOptions(
        programmes=sorted(
            {(slug, short_name or name) for slug, short_name, name in programmes},
            key=lambda item: item[1],
        ),
        cohorts=_cohort_options(Cohort.objects.filter(academic_year=academic_year)),
        years=[(year, academic_year_label(year)) for year in sorted(years, reverse=True)],
        partners=list(DeliveryPartner.objects.order_by("name").values_list("pk", "name")),
    )


def _cohort_options(cohorts) -> list[tuple[int, str]]:
    """The cohorts as (pk, "MN 2026/27, Autumn"), by programme and name."""
    return [
        (pk, cohort_name(short_name, year, name))
        for pk, year, name, short_name in cohorts.order_by(
            "programme__short_name", "name"
        ).values_list("pk", "academic_year", "name", "programme__short_name")
    ]


def _review_filter_stamp() -> str:
    tables = [model._meta.db_table for model in (Cohort, Programme, DeliveryPartner)]
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {t}), (SELECT MAX(updated_at) FROM {t})" for t in tables
    )
    with connection.cursor() as cursor:
        prepared_execute(cursor, f"SELECT {parts}")  # planned once a connection
        return "/".join(str(value) for value in cursor.fetchone())


def application_funding_preview(application):
    """The funding outcome the answers so far would get (nothing is recorded), or None when
    the programme is not DfE-funded or the answers cannot be evaluated yet."""
    facts = application_funding_facts(application)
    if facts is None:
        return None
    try:
        if isinstance(facts.get("institution"), dict) and institution_needs_lookup(facts):
            facts = {**facts, "institution": InstitutionLookup().institution(facts["institution"])}
        return funding_evaluate(facts_from_json(facts), rules=application.cohort.funding_rules)
    except (FundingError, InstitutionNotFound):
        return None


@dataclass(frozen=True)
class SignUp:
    """A school's sign-up for a Work Group, as the sign-ups page lists it."""

    application: Application
    on_pp50_list: bool
    check: PrerequisiteCheck

    @property
    def eligible(self) -> bool:
        return self.check.met or bool(self.application.prerequisites_override_reason)


@dataclass(frozen=True)
class WorkGroupSignUps:
    to_decide: list[SignUp]  # approved by their school or waitlisted, in the priority order
    not_eligible: list[SignUp]  # history does not allow them (and no override)
    awaiting_school: list[SignUp]
    decided: list[SignUp]


@planned_generically  # planned afresh every run otherwise: 0.2 ms, more than it takes to run
def _sign_ups(cohort_id: int):
    """A Work Group's sign-ups sent, in the order they were sent, with their team's size."""
    return (
        Application.objects.filter(cohort=cohort_id, team=True)
        .exclude(status=Application.Status.DRAFT)
        .select_related("school")
        # Only what the page shows and the checks read: not a sign-up's answers, nor the rest
        # of a school's GIAS details.
        .only(
            "status",
            "submitted_at",
            "prerequisites_override_reason",
            "school__name",
            "school__urn",
            "school__la_name",
        )
        .annotate(team_size=Count("team_members"))
        .order_by("submitted_at", "pk")
    )


def _sign_ups_schools(cohort_id: int):
    return (
        Application.objects.filter(cohort=cohort_id, team=True, school__isnull=False)
        .exclude(status=Application.Status.DRAFT)
        .order_by()
    )


# Both planned afresh every run otherwise (0.2 and 0.4 ms); their generic plans run as fast, at
# one and at ten school years.
@planned_generically
def _sign_ups_school_years(cohort_id: int):
    """The years in Work Groups of the schools that signed up to this cohort."""
    schools = _sign_ups_schools(cohort_id).values("school_id")
    return (
        SchoolProgrammeYear.objects.filter(school__in=schools)
        .order_by()
        .values_list("school_id", "programme_id", "academic_year", "status")
    )


@planned_generically
def _sign_ups_on_pp50(cohort_id: int):
    """The URNs, as texts, of the schools that signed up to this cohort that are on the PP50
    list."""
    urns = _sign_ups_schools(cohort_id).annotate(
        urn_text=Cast("school__urn", output_field=CharField())
    )
    return pp50_entries(urns.values("urn_text")).order_by()


def work_group_sign_ups(*, cohort) -> WorkGroupSignUps:
    """A Work Group's school sign-ups: those staff may accept, in the programme's priority
    order (with disadvantage first, schools on the PP50 list come first; then, and otherwise,
    the order they were sent), those whose history does not allow them, those still waiting
    for their headteacher, and those decided. A fixed number of queries however many."""
    Status = Application.Status
    applications = fixed_objects(_sign_ups, cohort.pk)  # composed once a connection
    schools = {a.school_id: a.school for a in applications if a.school_id}.values()
    # The schools' years and their places on the PP50 list are found by the cohort's id, not
    # the schools' ids: fixed queries too, the same statements however many schools.
    checks = schools_prerequisites_check(
        schools=schools,
        programme=cohort.programme,
        academic_year=cohort.academic_year,
        history_rows=lambda: fixed_rows(_sign_ups_school_years, cohort.pk),
    )
    pp50 = (
        pp50_urns(identifier for (identifier,) in fixed_rows(_sign_ups_on_pp50, cohort.pk))
        if cohort.programme.priority == Programme.Priority.DISADVANTAGE
        else set()
    )
    rows = [
        SignUp(
            application=a,
            on_pp50_list=a.school_id is not None and a.school.urn in pp50,
            check=checks.get(a.school_id, PrerequisiteCheck(met=False, reasons=("No school.",))),
        )
        for a in applications
    ]
    deciding = [
        r for r in rows if r.application.status in {Status.SCHOOL_APPROVED, Status.WAITLISTED}
    ]
    return WorkGroupSignUps(
        # sorted() keeps the sending order among equals.
        to_decide=sorted((r for r in deciding if r.eligible), key=lambda r: not r.on_pp50_list),
        not_eligible=[r for r in deciding if not r.eligible],
        awaiting_school=[r for r in rows if r.application.status == Status.AWAITING_SCHOOL],
        decided=[
            r
            for r in rows
            if r.application.status in Application.DECIDED | {Status.SCHOOL_DECLINED}
        ],
    )


@dataclass(frozen=True)
class MasteryEvidence:
    """A completed Teaching for Mastery year the portal holds: the applicant's own place, or a
    year in their school's Work Group history."""

    phase: str  # "Development", "Embedding" or "Sustaining"
    academic_year: int  # 2024 means 2024/25
    personal: bool  # the applicant's own place, not only their school's year
    school_name: str = ""  # for a personal place: the school it was with, when known

    @property
    def sentence(self) -> str:
        """e.g. "Your school completed Development in 2024/25"."""
        year = academic_year_label(self.academic_year)
        if not self.personal:
            return f"Your school completed {self.phase} in {year}"
        with_school = f" with {self.school_name}" if self.school_name else ""
        return f"You completed {self.phase} in {year}{with_school}"

    def _relevance(self) -> tuple:
        # The applicant's own place first (DfE asks about them), then the latest year, then
        # the furthest phase of the journey.
        return (
            self.personal,
            self.academic_year,
            list(TEACHING_FOR_MASTERY.values()).index(self.phase),
        )


def mastery_evidence(*, user, school: School | None) -> MasteryEvidence | None:
    """The most relevant completed Teaching for Mastery year the portal holds for the user: a
    place they completed (read through the keeper of places), or a year their school
    completed, in the portal or imported by staff; None when there is none (three queries)."""
    phases = {
        pk: TEACHING_FOR_MASTERY[slug]
        for pk, slug in Programme.objects.filter(slug__in=TEACHING_FOR_MASTERY).values_list(
            "pk", "slug"
        )
    }
    if not phases:
        return None
    found = [
        MasteryEvidence(phases[place.programme_id], place.academic_year, True, place.school_name)
        for place in places().completed(user=user, programme_ids=list(phases))
    ]
    if school is not None:
        years = SchoolProgrammeYear.objects.filter(
            school=school,
            programme_id__in=phases,
            status=SchoolProgrammeYear.Status.COMPLETED,
        ).values_list("programme_id", "academic_year")
        found += [MasteryEvidence(phases[pk], year, False) for pk, year in years]
    return max(found, key=MasteryEvidence._relevance, default=None)


def application_mastery_evidence(application) -> MasteryEvidence | None:
    """The Teaching for Mastery evidence for a draft's applicant and the school they answered
    that they work at (none yet: only their own places count)."""
    urn = whole_number(application.answers.get("school_urn") or "")
    school = School.objects.filter(urn=urn).first() if urn is not None else None
    return mastery_evidence(user=application.applicant, school=school)


# ---- One application, as its page shows it ----

_ONE_APPLICATION = ("cohort__programme", "applicant", "school", "funding_decision")


def _application_by_id(pk: int):
    # Whether its funding decision was ever decided again or overridden, read with it: most
    # never were, and their page then asks for neither history.
    decision = OuterRef("funding_decision")
    return (
        Application.objects.filter(pk=pk)
        .select_related(*_ONE_APPLICATION)
        .annotate(
            funding_redecided=Exists(FundingRedecision.objects.filter(decision=decision)),
            funding_overridden=Exists(FundingOverride.objects.filter(decision=decision)),
        )
    )


def _own_application(pk: int, user_id: int):
    return _application_by_id(pk).filter(applicant_id=user_id)


def _application_seen_by_leader(pk: int, user_id: int):
    return _application_by_id(pk).own_or_from_schools_led_by(user_id)


def application_seen_by(user, pk: int) -> Application | None:
    """Application `pk` if this person may see it (ApplicationQuerySet.for_user's rule), with
    its cohort's programme, applicant, school and funding decision (`funding_redecided` and
    `funding_overridden` say whether that decision has a history); else None. Read by a fixed
    query for each scope (npq_portal.prepared), composed once a connection."""
    scope = application_scope(user)
    if scope == EVERY_APPLICATION:
        found = fixed_objects(_application_by_id, int(pk))
    elif scope == OWN_APPLICATIONS:
        found = fixed_objects(_own_application, int(pk), user.pk)
    else:
        found = fixed_objects(_application_seen_by_leader, int(pk), user.pk)
    return found[0] if found else None
