"""The reads of "Changes owed to DfE": each tab's changes a page at a time, with what each row
says of whose change it is, and the counts of the tabs staff act on, each by a fixed query
(npq_portal.prepared) rather than composed on every visit.

A page's rows and what they name were two queries composed afresh (the changes, then their
declarations, since one join of fifteen tables took PostgreSQL longer to plan than to run):
composing them, and making 350 model instances the ORM's way, took most of the page's time.
Prepared, the join is planned once a connection; made plainly, its instances cost a quarter.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q

from npq_portal.prepared import fixed_objects, fixed_query_of, fixed_rows, planned_generically

from .models import Outgoing

RECENT = timedelta(days=30)
S = Outgoing.State

# The page's tabs: what each shows, and in which order. Waiting and refused changes are few
# (staff act on them) and counted; what was sent grows with every change ever made, so its tab
# is neither counted nor its list paged by a count.
SHOWS = {
    "waiting": ("Waiting to be sent", (S.WAITING,), ("created_at", "pk")),
    "attention": ("Refused or left to you", (S.REFUSED, S.FOR_STAFF), ("-updated_at", "-pk")),
    "sent": ("Sent in the last 30 days", (S.SENT, S.NOT_NEEDED), ("-updated_at", "-pk")),
}
COUNTED = ("waiting", "attention")

PERSON = ("first_name", "last_name", "email")
APPLICATION = "dfe_application__application"
PLACE = "declaration__enrolment"
# What a row reads of each change and what it is about (dfe/templatetags/dfe_outgoing_rows.py):
# the body sent, the people's and applications' other columns would be read and never drawn.
ROW_FIELDS = (
    *("kind", "state", "attempts", "last_error", "note", "sent_at", "created_at", "updated_at"),
    *("connection__name", *(f"by__{name}" for name in PERSON)),
    "dfe_application__full_name",
    *(f"{APPLICATION}__applicant__{name}" for name in PERSON),
    f"{APPLICATION}__cohort__academic_year",
    f"{APPLICATION}__cohort__programme__short_name",
    # A declaration's row says whose declaration it is, and which.
    "declaration__declaration_type",
    "declaration__dfe_application__full_name",
    *(f"{PLACE}__participant__{name}" for name in PERSON),
    f"{PLACE}__application__id",
    f"{PLACE}__cohort__academic_year",
    f"{PLACE}__cohort__programme__short_name",
)
ROW_RELATED = (
    "connection",
    "by",
    f"{APPLICATION}__applicant",
    f"{APPLICATION}__cohort__programme",
    "declaration__dfe_application",
    f"{PLACE}__participant",
    f"{PLACE}__application",
    f"{PLACE}__cohort__programme",
)


class OutgoingList:
    """A tab's changes in its order, read a page at a time (`changes[a:b]`, as a paginator
    asks), with their count when the tab is counted (outgoing_counts)."""

    def __init__(self, show: str, *, now: datetime, count: int | None = None):
        self._show = show
        self._args = (now - RECENT,) if show == "sent" else ()
        self._count = count

    def count(self) -> int:
        if self._count is None:
            raise TypeError("The changes sent are not counted.")
        return self._count

    def __getitem__(self, index: slice) -> list[Outgoing]:
        start, stop = index.start or 0, index.stop
        if index.step not in (None, 1) or stop is None:
            raise ValueError("Changes owed to DfE are read a page at a time.")
        query = fixed_query_of(_outgoing_rows, (self._show,))
        return fixed_objects(query, *self._args, limit=max(stop - start, 0), offset=start)


def outgoing_counts() -> dict[str, int]:
    """How many changes each counted tab holds (only their rows read: an index on state)."""
    found = dict(fixed_rows(_counted_states))
    return {show: sum(found.get(state, 0) for state in SHOWS[show][1]) for show in COUNTED}


def _counted_states():
    return (
        Outgoing.objects.filter(state__in=[state for show in COUNTED for state in SHOWS[show][1]])
        .order_by()
        .values("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
    )


# The changes are read by their order's index and each row's others by key: the generic plan is
# the plan for any page, planned once a connection rather than at each visit (3 ms).
@planned_generically
def _outgoing_rows(shape: tuple[str], *since):
    """A tab's changes (`shape`: the tab), from `since` for the changes sent."""
    (show,) = shape
    _, states, order = SHOWS[show]
    condition = Q(state__in=states)
    if show == "sent":
        condition &= Q(updated_at__gte=since[0])
    return (
        Outgoing.objects.filter(condition)
        .select_related(*ROW_RELATED)
        .only(*ROW_FIELDS)
        .order_by(*order)
    )
