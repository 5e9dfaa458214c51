"""The grants the hub owes schools for their Work Group places: the claims list's rows, its
filters and its totals (the claims themselves change through participants' services)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from npq_portal.numbers import whole_number
from npq_portal.planning import joins_in_written_order
from npq_portal.prepared import fixed_objects, fixed_query_of, fixed_rows
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
    return _claims_matching(grant_claim_filters(filters))


def grant_claim_filters(filters: Mapping[str, str]) -> dict[str, str | int]:
    """The filters the list applies, each with its value as the query takes it: those left
    blank or with a value it does not know are left out."""
    found: dict[str, str | int] = {}
    if filters.get("programme"):
        found["programme"] = str(filters["programme"])
    year = whole_number(filters.get("year") or "")
    if year is not None:
        found["year"] = year
    if filters.get("status") in GrantClaim.Status.values:
        found["status"] = str(filters["status"])
    return found


def _claims_matching(values: Mapping[str, str | int]) -> QuerySet:
    claims = GrantClaim.objects.all()
    if "programme" in values:
        claims = claims.filter(school_place__cohort__programme__slug=values["programme"])
    if "year" in values:
        claims = claims.filter(school_place__cohort__academic_year=values["year"])
    if "status" in values:
        claims = claims.filter(status=values["status"])
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


class GrantClaimList:
    """The claims list for its filters, read by fixed queries (npq_portal.prepared), one for
    each set of filters used: its totals, and a page of its claims by slicing (`list[a:b]`,
    as a paginator asks), without composing either on each visit."""

    def __init__(self, filters: Mapping[str, str]):
        values = grant_claim_filters(filters)
        self._shape = tuple(values)
        self._values = tuple(values.values())

    @functools.cached_property
    def totals(self) -> list[GrantTotal]:
        """How many claims, and how many pounds, at each status, in one query."""
        rows = fixed_rows(fixed_query_of(_claim_totals_of, self._shape), *self._values)
        return _totals_from({status: (count, amount) for status, count, amount in rows})

    def count(self) -> int:
        return sum(total.count for total in self.totals)

    def __getitem__(self, index: slice) -> list[GrantClaim]:
        start, stop = index.start or 0, index.stop
        if index.step not in (None, 1) or stop is None:
            raise ValueError("The claims list is read a page at a time.")
        # Each claim with its place, cohort, programme and school reached by key (all of them
        # sorted, whatever the order): planned with the joins as written.
        with joins_in_written_order():
            return fixed_objects(
                fixed_query_of(_claims_of, self._shape),
                *self._values,
                limit=max(stop - start, 0),
                offset=start,
            )


def _claims_of(shape: tuple[str, ...], *values):
    """The claims for a set of filters (`shape`, their names), by their values."""
    return _claims_matching(dict(zip(shape, values, strict=True)))


def _claim_totals_of(shape: tuple[str, ...], *values):
    return (
        _claims_of(shape, *values)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .values_list("status", "count", "amount")
    )


@dataclass(frozen=True)
class GrantTotal:
    status: str
    label: str
    count: int
    amount: int


def _totals_from(found: Mapping[str, tuple[int, int | None]]) -> list[GrantTotal]:
    """Every status (owed, claimed, paid, cancelled) in its order, with its count and pounds."""
    return [
        GrantTotal(
            status=value,
            label=label,
            count=found.get(value, (0, 0))[0],
            amount=found.get(value, (0, 0))[1] or 0,
        )
        for value, label in GrantClaim.Status.choices
    ]
