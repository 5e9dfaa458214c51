"""The grants the hub owes schools for their Work Group places: the claims list's rows, its
filters and its totals (the claims themselves change through participants' services)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from participants.models import GrantClaim

# The claims list's filters, by their query names: the list and its export take these.
GRANT_FILTERS = ("programme", "year", "status")

# What the list and its export show of each claim, its school and its cohort: a school place
# alone carries its action plan and evaluation, a school dozens of GIAS columns.
GRANT_CLAIM_COLUMNS = (
    "amount",
    "purpose",
    "status",
    "claimed_on",
    "paid_on",
    "note",
    "school_place__school__urn",
    "school_place__school__name",
    "school_place__cohort__name",
    "school_place__cohort__academic_year",
    "school_place__cohort__programme__short_name",
)


def grant_claims(*, filters: Mapping[str, str]) -> QuerySet:
    """Grant claims matching the list's filters (a programme's slug, a school year such as
    2025, a status), with the school, cohort and programme each row shows, in one query:
    by school year, newest first, then programme and school. A filter left blank, or with a
    value it does not know, is left out."""
    claims = GrantClaim.objects.all()
    if filters.get("programme"):
        claims = claims.filter(school_place__cohort__programme__slug=filters["programme"])
    year = str(filters.get("year") or "")
    if year.isdigit():
        claims = claims.filter(school_place__cohort__academic_year=int(year))
    if filters.get("status") in GrantClaim.Status.values:
        claims = claims.filter(status=filters["status"])
    return (
        claims.select_related("school_place__school", "school_place__cohort__programme")
        .only(*GRANT_CLAIM_COLUMNS)
        .order_by(
            "-school_place__cohort__academic_year",
            "school_place__cohort__programme__name",
            "school_place__school__name",
            "pk",
        )
    )


@dataclass(frozen=True)
class GrantTotal:
    status: str
    label: str
    count: int
    amount: int


def grant_claim_totals(*, claims: QuerySet) -> list[GrantTotal]:
    """How many claims, and how many pounds, at each status (owed, claimed, paid, cancelled),
    in one query."""
    found = {
        row["status"]: row
        for row in claims.order_by()
        .values("status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    }
    return [
        GrantTotal(
            status=value,
            label=label,
            count=found.get(value, {}).get("count", 0),
            amount=found.get(value, {}).get("amount") or 0,
        )
        for value, label in GrantClaim.Status.choices
    ]
