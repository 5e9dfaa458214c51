"""Reads about applications: the funding outcome their answers so far would get."""

from __future__ import annotations

from funding.rules import FundingError, facts_from_json, funding_evaluate, institution_needs_lookup
from funding.selectors import InstitutionLookup, InstitutionNotFound

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
