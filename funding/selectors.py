"""Reads for the funding rules: institutions by URN or UKPRN, what a rule change would change."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from npq_portal.prepared import fixed_rows
from schools.models import EligibilityList, School
from schools.selectors import EligibilityIndex, ListGap, eligibility_index, eligibility_list_gaps

from .models import FundingDecision
from .rules import FundingError, facts_from_json, funding_evaluate


class InstitutionNotFound(LookupError):
    """No institution with the URN or UKPRN given; the message says which."""


@dataclass
class InstitutionLookup:
    """Institutions by URN or UKPRN for the funding rules, each looked up once per run.

    With `mark_unknown` (the default), the lists that are not in (never uploaded, or out of
    date) are named in the institution's `unknown_lists`, so a refusal that turns on one is
    only provisional; funding_check leaves it off and takes the lists as they are.
    """

    index: EligibilityIndex = field(default_factory=eligibility_index)
    mark_unknown: bool = True
    _seen: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    def institution(self, given: dict) -> dict:
        """The funding facts of an institution given only by `urn` or `ukprn` (and `kind`)."""
        urn = str(given.get("urn") or "").strip()
        ukprn = str(given.get("ukprn") or "").strip()
        kind = given.get("kind") or ""
        key = (kind, urn, ukprn)
        if key not in self._seen:
            institution = self._look_up(kind, urn, ukprn)
            if self.mark_unknown and self.index.unknown:
                institution["unknown_lists"] = self.index.unknown_facts()
            self._seen[key] = institution
        return dict(self._seen[key])

    def _look_up(self, kind: str, urn: str, ukprn: str) -> dict:
        if not urn and not ukprn:
            raise InstitutionNotFound("The institution needs a URN or a UKPRN to be looked up.")
        if kind == "private_childcare_provider":
            # Ofsted's register is not imported: the lists themselves say what the rules need.
            return {"kind": kind, "urn": urn.upper(), **self.index.flags(urn=urn)}
        schools = School.objects.all()
        if urn:
            if not (urn.isascii() and urn.isdigit()):
                raise InstitutionNotFound(f"URN {urn} is not a number.")
            school = schools.filter(urn=int(urn)).first()
        else:
            school = schools.filter(ukprn=ukprn).order_by("status_code", "-urn").first()
        if school is None:
            raise InstitutionNotFound(
                f"No school with {'URN ' + urn if urn else 'UKPRN ' + ukprn} in the GIAS data."
            )
        return {
            "kind": "school",
            "urn": str(school.urn),
            "ukprn": school.ukprn or None,
            "establishment_type_code": school.establishment_type_code,
            "number_of_pupils": school.number_of_pupils,
            "phase_name": school.phase_name,
            **self.index.flags(urn=str(school.urn), ukprn=ukprn or school.ukprn),
        }


@dataclass(frozen=True)
class DecisionChange:
    decision_id: int
    subject: str
    before: str
    after: str
    reason: str


@dataclass
class WhatChangesReport:
    rules: str
    with_current_lists: bool
    checked: int = 0
    unchanged: int = 0
    failed: int = 0
    changes: list[DecisionChange] = field(default_factory=list)
    moves: dict[tuple[str, str], int] = field(default_factory=dict)  # (before, after): count


def funding_what_changes(
    *, rules: str, with_current_lists: bool, limit: int = 200
) -> WhatChangesReport:
    """Which recorded decisions would come out differently under `rules` (and the current
    lists): each decision's own facts are evaluated again; nothing is written."""
    index = eligibility_index() if with_current_lists else None
    report = WhatChangesReport(rules=rules, with_current_lists=with_current_lists)
    decisions = FundingDecision.objects.order_by("pk").values_list(
        "pk", "subject", "facts", "status"
    )
    for pk, subject, facts, before in decisions.iterator(chunk_size=2000):
        report.checked += 1
        institution = facts.get("institution")
        if index is not None and isinstance(institution, dict):
            urn = str(institution.get("urn") or "")
            ukprn = str(institution.get("ukprn") or "")
            institution = {**institution, **index.flags(urn=urn, ukprn=ukprn)}
            institution["unknown_lists"] = index.unknown_facts()
            facts = {**facts, "institution": institution}
        try:
            outcome = funding_evaluate(facts_from_json(facts), rules=rules)
        except FundingError:
            report.failed += 1
            continue
        if outcome.status == before:
            report.unchanged += 1
            continue
        move = (before, outcome.status)
        report.moves[move] = report.moves.get(move, 0) + 1
        if len(report.changes) < limit:
            report.changes.append(
                DecisionChange(pk, subject, before, outcome.status, outcome.reason)
            )
    return report


def list_kinds(facts: tuple[str, ...] | list[str]) -> list[str]:
    """The eligibility list kinds behind the rules' `on_*` facts, in the same order."""
    kind_of = {fact: kind for kind, fact in EligibilityList.FACT.items()}
    return [str(kind_of[fact]) for fact in facts]


@dataclass(frozen=True)
class ListWarning:
    """A list that is not in, and how many provisional decisions wait for it."""

    gap: ListGap
    waiting: int


def _provisional_waits():
    """The provisional decisions counted by the lists each waits on: a handful of rows,
    however many decisions."""
    return (
        FundingDecision.objects.filter(provisional=True)
        .values_list("waiting_on")
        .annotate(decisions=Count("pk"))
        .order_by()
    )


def funding_list_warnings() -> list[ListWarning]:
    """Each eligibility list that is not in, with the provisional decisions waiting for it
    (three queries at most, whatever the number of decisions, composed once a connection and
    prepared)."""
    gaps = eligibility_list_gaps()
    if not gaps:
        return []
    waiting: dict[str, int] = {}
    for kinds, decisions in fixed_rows(_provisional_waits):
        for kind in kinds or ():
            waiting[kind] = waiting.get(kind, 0) + decisions
    warnings = [ListWarning(gap=gap, waiting=waiting.get(gap.kind, 0)) for gap in gaps]
    return sorted(warnings, key=lambda warning: not warning.waiting)  # waited for first
