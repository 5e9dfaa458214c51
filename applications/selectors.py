"""Reads about applications: the funding outcome their answers so far would get, and a Work
Group's school sign-ups in the order staff decide them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from funding.rules import FundingError, facts_from_json, funding_evaluate, institution_needs_lookup
from funding.selectors import InstitutionLookup, InstitutionNotFound
from programmes.models import Programme
from schools.prerequisites import PrerequisiteCheck
from schools.selectors import schools_on_pp50_list, schools_prerequisites_check

from .models import Application
from .services import application_funding_facts


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


def work_group_sign_ups(*, cohort) -> WorkGroupSignUps:
    """A Work Group's school sign-ups: those staff may accept, in the programme's priority
    order (with disadvantage first, schools on the PP50 list come first; then, and otherwise,
    the order they were sent), those whose history does not allow them, those still waiting
    for their headteacher, and those decided. A fixed number of queries however many."""
    Status = Application.Status
    applications = list(
        Application.objects.filter(cohort=cohort, team=True)
        .exclude(status=Status.DRAFT)
        .select_related("school")
        .annotate(team_size=Count("team_members"))
        .order_by("submitted_at", "pk")
    )
    schools = {a.school_id: a.school for a in applications if a.school_id}.values()
    checks = schools_prerequisites_check(
        schools=schools, programme=cohort.programme, academic_year=cohort.academic_year
    )
    pp50 = (
        schools_on_pp50_list(school.urn for school in schools)
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
