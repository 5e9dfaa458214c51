"""Changes of state in funding: recording a decision, staff's overrides of it, and
re-deciding provisional decisions when the lists they waited for come in."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from npq_portal.models import User
from schools.models import EligibilityList, EligibilityListsCurrentFrom
from schools.selectors import eligibility_index, eligibility_list_gaps
from schools.services import eligibility_list_upload, eligibility_lists_current_from_set

from .models import FundingDecision, FundingOverride, FundingRedecision
from .rules import (
    MARKED_FUNDED_BY_POLICY,
    MARKED_INELIGIBLE_BY_POLICY,
    FundingError,
    facts_from_json,
    funding_evaluate,
    institution_needs_lookup,
)
from .selectors import InstitutionLookup, InstitutionNotFound, list_kinds
from .signals import funding_decision_changed

logger = logging.getLogger(__name__)


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
        provisional=outcome.provisional,
        waiting_on=list_kinds(outcome.waiting_on),
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
    Apps to the right hear of it (`funding_decision_changed`), in the same transaction.

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
    funding_decision_changed.send(sender=FundingDecision, decision=decision, by=by)
    return decision


@dataclass(frozen=True)
class RedecideCounts:
    """What re-deciding the provisional decisions did."""

    redecided: int = 0
    funded: int = 0
    not_funded: int = 0
    still_provisional: int = 0

    @property
    def message(self) -> str:
        """e.g. "3 provisional decisions re-decided: 2 now funded, 1 not"."""
        text = (
            f"{self.redecided:,} provisional decision{'s' if self.redecided != 1 else ''} "
            f"re-decided: {self.funded:,} now funded, {self.not_funded:,} not"
        )
        if self.still_provisional:
            text += f", {self.still_provisional:,} still to be confirmed"
        return text


@transaction.atomic
def funding_decisions_redecide(
    *, kinds: Iterable[str], by: User | None = None, note: str = ""
) -> RedecideCounts:
    """Work out again every provisional decision that waits for one of these lists, with the
    current lists; each keeps what it said before as a FundingRedecision, and the application
    keeps pointing at it. Overrides stay as they are (the calculated outcome beside them
    changes). A decision whose facts no longer evaluate is left as it is, and logged. Each one
    re-decided is announced (`funding_decision_changed`), in the same transaction."""
    kinds = set(kinds)
    if not kinds:
        return RedecideCounts()
    names = ", ".join(EligibilityList.Kind(kind).label for kind in sorted(kinds))
    note = (note or f"Re-decided when these lists came in: {names}.")[:255]
    index = eligibility_index()
    unknown = index.unknown_facts()
    waiting = FundingDecision.objects.select_for_update().filter(provisional=True).order_by("pk")
    redecided = funded = not_funded = still = 0
    for decision in waiting:
        if not kinds.intersection(decision.waiting_on or ()):
            continue
        facts = dict(decision.facts)
        institution = facts.get("institution")
        if isinstance(institution, dict):
            urn = str(institution.get("urn") or "")
            ukprn = str(institution.get("ukprn") or "")
            institution = {**institution, **index.flags(urn=urn, ukprn=ukprn)}
            institution.pop("unknown_lists", None)
            if unknown:
                institution["unknown_lists"] = unknown
            facts["institution"] = institution
        try:
            outcome = funding_evaluate(
                facts_from_json(facts),
                rules=decision.rules,
                bursary=decision.bursary_eligible is not None,
            )
        except FundingError:
            logger.warning("Funding decision %s could not be re-decided.", decision.pk)
            continue
        FundingRedecision.objects.create(
            decision=decision,
            from_status=decision.status,
            from_reason=decision.reason,
            from_facts=decision.facts,
            from_list_versions=decision.list_versions,
            from_waiting_on=decision.waiting_on,
            to_status=outcome.status,
            note=note,
            by=by,
        )
        decision.facts = facts
        decision.list_versions = {**decision.list_versions, **index.versions}
        decision.status = outcome.status
        decision.funded = outcome.funded
        decision.provisional = outcome.provisional
        decision.waiting_on = list_kinds(outcome.waiting_on)
        decision.subject_to_review = outcome.subject_to_review
        decision.reason = outcome.reason
        decision.bursary_eligible = outcome.bursary.eligible if outcome.bursary else None
        decision.bursary_amount = outcome.bursary.amount if outcome.bursary else 0
        decision.save()
        funding_decision_changed.send(sender=FundingDecision, decision=decision, by=by)
        redecided += 1
        if outcome.provisional:
            still += 1
        elif outcome.funded:
            funded += 1
        else:
            not_funded += 1
    return RedecideCounts(redecided, funded, not_funded, still)


@transaction.atomic
def funding_list_upload(
    *, kind: str, source: IO[bytes], file_name: str, by: User | None
) -> tuple[EligibilityList, RedecideCounts]:
    """Upload a new version of an eligibility list, then re-decide the provisional decisions
    that waited for it, together: both happen or neither.

    Raises ValidationError naming what is wrong with the file; then nothing changes.
    """
    version = eligibility_list_upload(kind=kind, source=source, file_name=file_name, by=by)
    counts = funding_decisions_redecide(
        kinds=[kind], by=by, note=f"{version.get_kind_display()} uploaded."
    )
    return version, counts


@transaction.atomic
def funding_lists_current_from_set(
    *, current_from: datetime.date, by: User | None
) -> tuple[EligibilityListsCurrentFrom, RedecideCounts]:
    """Set the date the lists are current from; decisions waiting for a list that now counts
    as current (uploaded on or after it) are re-decided.

    Raises ValidationError for a date in the future.
    """
    setting = eligibility_lists_current_from_set(current_from=current_from, by=by)
    not_in = {gap.kind for gap in eligibility_list_gaps()}
    counts = funding_decisions_redecide(
        kinds=set(EligibilityList.Kind.values) - not_in,
        by=by,
        note=f"The lists were set as current from {current_from:%d %b %Y}.",
    )
    return setting, counts
