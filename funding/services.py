"""Changes of state in funding: recording a decision and staff's overrides of it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from npq_portal.models import User

from .models import FundingDecision, FundingOverride
from .rules import (
    MARKED_FUNDED_BY_POLICY,
    MARKED_INELIGIBLE_BY_POLICY,
    FundingError,
    facts_from_json,
    funding_evaluate,
    institution_needs_lookup,
)
from .selectors import InstitutionLookup, InstitutionNotFound


@transaction.atomic
def funding_decide(
    *, subject: str, facts: dict, rules: str, by: User | None = None, bursary: bool | None = None
) -> FundingDecision:
    """Work out and record a funding outcome, keeping the facts and list versions it used.

    An institution given by URN or UKPRN alone is looked up in the GIAS data and the current
    eligibility lists. Raises ValidationError when the facts cannot be evaluated.
    """
    lookup = None  # the lists' versions are recorded only when they were used
    try:
        if isinstance(facts.get("institution"), dict) and institution_needs_lookup(facts):
            lookup = InstitutionLookup()
            facts = {**facts, "institution": lookup.institution(facts["institution"])}
        outcome = funding_evaluate(facts_from_json(facts), rules=rules, bursary=bursary)
    except (FundingError, InstitutionNotFound) as error:
        raise ValidationError(str(error)) from error
    return FundingDecision.objects.create(
        subject=subject,
        rules=rules,
        facts=facts,
        list_versions=lookup.index.versions if lookup else {},
        status=outcome.status,
        funded=outcome.funded,
        subject_to_review=outcome.subject_to_review,
        reason=outcome.reason,
        bursary_eligible=outcome.bursary.eligible if outcome.bursary else None,
        bursary_amount=outcome.bursary.amount if outcome.bursary else 0,
        decided_by=by,
    )


@transaction.atomic
def funding_decision_override(
    *, decision: FundingDecision, funded: bool, reason: str, by: User
) -> FundingDecision:
    """Mark a decision funded or not by hub policy; the calculated outcome stays beside it.

    Raises ValidationError without a reason.
    """
    if not reason.strip():
        raise ValidationError("Say why the calculated outcome is being overridden.")
    decision = FundingDecision.objects.select_for_update().get(pk=decision.pk)
    decision.override_status = MARKED_FUNDED_BY_POLICY if funded else MARKED_INELIGIBLE_BY_POLICY
    decision.override_reason = reason.strip()
    decision.overridden_by = by
    decision.overridden_at = timezone.now()
    decision.save()
    FundingOverride.objects.create(
        decision=decision, status=decision.override_status, reason=decision.override_reason, by=by
    )
    return decision
