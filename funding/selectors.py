"""Reads for the funding rules: institutions by URN or UKPRN, what a rule change would change."""

from __future__ import annotations

from dataclasses import dataclass, field

from schools.models import School
from schools.selectors import EligibilityIndex, eligibility_index

from .models import FundingDecision
from .rules import FundingError, facts_from_json, funding_evaluate


class InstitutionNotFound(LookupError):
    """No institution with the URN or UKPRN given; the message says which."""


@dataclass
class InstitutionLookup:
    """Institutions by URN or UKPRN for the funding rules, each looked up once per run."""

    index: EligibilityIndex = field(default_factory=eligibility_index)
    _seen: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    def institution(self, given: dict) -> dict:
        """The funding facts of an institution given only by `urn` or `ukprn` (and `kind`)."""
        urn = str(given.get("urn") or "").strip()
        ukprn = str(given.get("ukprn") or "").strip()
        kind = given.get("kind") or ""
        key = (kind, urn, ukprn)
        if key not in self._seen:
            self._seen[key] = self._look_up(kind, urn, ukprn)
        return self._seen[key]

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
            facts = {**facts, "institution": {**institution, **index.flags(urn=urn, ukprn=ukprn)}}
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
