"""Each DfE-funded place's milestone days, kept in the database, so that the milestone page
and DfE's declarations read them instead of working out every place on every request.

What is kept (reports/models.py): for each place, its cohort's schedule (the day each
declaration is due by), the day its evidence supported each declaration, worked out with no
cut-off by date (`enrolments_milestone_days`), and whether its funding stands funded. What
holds on a day is each kept day on or before it (reports/milestones.py `days_as_of`), so
nothing kept goes stale as days pass, and the states (claimable, due) are read in SQL against
today (`claimable_q`, `due_q`).

Keeping it current. Every change to what the days are worked out from (a register mark, a
session, a module window, a phase ticked, an outcome, a place's status or history, a cohort's
dates, a programme's length or course, an application's funding decision) moves its cohort's
version on, in the writer's own transaction (`milestones_stale`, called from
reports/handlers.py on Django's model signals, and on `npq_portal.signals.rows_written` for
writes in bulk, which send none). Before reading, a page works out again the cohorts in its
scope whose kept days are older than their version, or were worked out under other MILESTONES
rules (`milestones_bring_up_to_date`); a periodic task does the same, so a page seldom waits.
Each cohort's counts for the milestone page (its places, those claimable, those due) are kept
for a day beside them (`milestone_counts`), counted when the cohort is worked out and again by
the first page of another day.
A cohort is worked out under its row's lock, with the version read under that lock: a writer
holding the lock is waited for, and a change committed after the facts were read moves the
version past the one recorded, so the cohort is worked out again next time. Nothing is lost
to a race (reports/tests/test_milestone_days.py has both on PostgreSQL).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import reduce
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, DateField, F, Q, QuerySet, When
from django.utils import timezone

from cohorts.models import Cohort, cohort_name
from npq_portal.planning import joins_in_written_order
from npq_portal.prepared import fixed_objects, fixed_query_of, fixed_rows, planned_generically
from npq_portal.versions import (
    kept_digest,
    kept_write_for_day,
    version_and_kept,
    version_move_on,
)
from participants.models import Enrolment

from .milestones import (
    COMPLETED,
    DECLARATIONS,
    RETAINED_1,
    RETAINED_2,
    STARTED,
    Milestone,
    MilestoneStatus,
    days_as_of,
    status_from_days,
)
from .models import (
    CohortMilestoneCounts,
    CohortMilestones,
    KeptMilestoneListing,
    PlaceMilestones,
)
from .selectors import (
    MILESTONE_ORDER,
    enrolments_milestone_days,
    milestone_rules,
    stopped_at_annotation,
)

# Each declaration's kept fields: the day it is due by, the day its evidence supported it.
FIELDS = {
    STARTED: ("started_due", "started_on"),
    RETAINED_1: ("retained_1_due", "retained_1_on"),
    RETAINED_2: ("retained_2_due", "retained_2_on"),
    COMPLETED: ("completed_due", "completed_on"),
}
COHORTS_AT_ONCE = 40  # cohorts worked out in one transaction
STOPPED = (Enrolment.Status.WITHDRAWN, Enrolment.Status.DEFERRED)


def rules_key() -> str:
    """A short name for the MILESTONES rules in force: kept days under others are redone."""
    return hashlib.sha256(repr(milestone_rules()).encode()).hexdigest()[:16]


# ---- Keeping the days current ---------------------------------------------------------------


def milestones_stale(*, cohorts: QuerySet | Iterable[int]) -> None:
    """These cohorts' places' evidence changed: move each cohort's version on (making its row
    if it has none yet), in the caller's transaction. One statement, however many cohorts."""
    if isinstance(cohorts, QuerySet):
        ids_sql, params = cohorts.order_by().values("pk").query.sql_with_params()
    else:
        ids = sorted({int(pk) for pk in cohorts})
        if not ids:
            return
        ids_sql, params = ", ".join(["%s"] * len(ids)), ids
    table = CohortMilestones._meta.db_table
    cohort_table = Cohort._meta.db_table
    with connection.cursor() as cursor:
        # "WHERE true" lets SQLite tell the SELECT from the upsert's ON CONFLICT.
        cursor.execute(
            f"INSERT INTO {table} (cohort_id, version, worked_out, rules) "
            f"SELECT id, 2, 0, '' FROM {cohort_table} WHERE true AND id IN ({ids_sql}) "
            f"ON CONFLICT (cohort_id) DO UPDATE SET version = {table}.version + 1",
            params,
        )
    milestones_listing_stale()


def stale_cohorts(cohorts: QuerySet) -> list[int]:
    """The ids of these cohorts (DfE-funded ones) whose kept days are not current."""
    current = CohortMilestones.objects.filter(worked_out=F("version"), rules=rules_key())
    return list(
        cohorts.exclude(programme__course_identifier="")
        .exclude(pk__in=current.values("cohort"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def milestones_bring_up_to_date(*, cohorts: QuerySet) -> int:
    """Work out again the places of every one of these cohorts whose kept days are not
    current. Returns how many cohorts were worked out (0, in one query, when all are)."""
    stale = stale_cohorts(cohorts)
    if not stale:
        return 0
    key = rules_key()
    # Rows first, committed, so a change from now on moves a version this work will read.
    CohortMilestones.objects.bulk_create(
        [CohortMilestones(cohort_id=pk) for pk in stale], ignore_conflicts=True
    )
    done = 0
    busy: list[int] = []
    for start in range(0, len(stale), COHORTS_AT_ONCE):
        chunk = stale[start : start + COHORTS_AT_ONCE]
        # Cohorts someone is changing now are skipped here and done one at a time below:
        # locking several rows while a writer holds one could deadlock.
        worked, skipped = _work_out(chunk, key=key, skip_locked=True)
        done += worked
        busy += skipped
    for pk in busy:
        done += _work_out([pk], key=key, skip_locked=False)[0]
    return done


def _work_out(ids: list[int], *, key: str, skip_locked: bool) -> tuple[int, list[int]]:
    """Work out these cohorts' places under their rows' locks; (how many, those skipped)."""
    with transaction.atomic():
        rows = {
            row.cohort_id: row
            for row in CohortMilestones.objects.select_for_update(skip_locked=skip_locked)
            .filter(cohort__in=ids)
            .order_by("cohort_id")
        }
        skipped = [pk for pk in ids if pk not in rows]
        todo = [
            pk
            for pk, row in rows.items()
            if row.worked_out != row.version or row.rules != key  # not done meanwhile
        ]
        if not todo:
            return 0, skipped
        enrolments = list(
            Enrolment.objects.filter(cohort__in=todo)
            .exclude(cohort__programme__course_identifier="")
            .select_related("cohort__programme")
            .annotate(stopped_at=stopped_at_annotation())
        )
        cohort_of = {e.pk: e.cohort_id for e in enrolments}
        funded = set(
            Enrolment.objects.filter(pk__in=cohort_of).funded().values_list("pk", flat=True)
        )
        PlaceMilestones.objects.filter(cohort__in=todo).delete()
        PlaceMilestones.objects.bulk_create(
            _place_row(pk, cohort_of[pk], schedule, days, funded=pk in funded)
            for pk, (schedule, days) in enrolments_milestone_days(enrolments=enrolments).items()
        )
        for pk in todo:
            row = rows[pk]
            row.worked_out, row.rules = row.version, key
        CohortMilestones.objects.bulk_update([rows[pk] for pk in todo], ["worked_out", "rules"])
        # Their counts for today too, so that the first page after a change reads them.
        _count_afresh({pk: rows[pk].version for pk in todo}, timezone.localdate(), key=key)
        return len(todo), skipped


def _place_row(
    enrolment_id: int,
    cohort_id: int,
    schedule: tuple[Milestone, ...],
    days: dict,
    *,
    funded: bool,
) -> PlaceMilestones:
    values = {"funded": funded}
    for milestone in schedule:
        due_field, on_field = FIELDS[milestone.declaration]
        values[due_field] = milestone.due_on
        values[on_field] = days[milestone.declaration]
    return PlaceMilestones(enrolment_id=enrolment_id, cohort_id=cohort_id, **values)


# ---- Reading them ---------------------------------------------------------------------------


# The cohorts a milestone page reads: every cohort (hub staff) or those a facilitator runs;
# of a school year, of every year, or with a milestone still to come.
EVERY, RUN_BY = "every", "run_by"
ONE_YEAR, ALL_YEARS, TO_COME = "year", "all", "to_come"


@dataclass(frozen=True)
class MilestoneCohorts:
    """The DfE-funded cohorts a milestone page reads: a person's (every cohort, or those
    `run_by` a facilitator), of a school year (`year`), with a milestone to come (`since`: a
    cohort ended on or after it, milestone_to_come_since) or of every year (neither), and
    narrowed to a cohort or a programme chosen. What they hold is a fixed query's shape and
    arguments (npq_portal.prepared): each visit runs statements planned once a connection,
    rather than composing them."""

    run_by: int | None = None
    year: int | None = None
    since: datetime.date | None = None
    cohort_id: int | None = None
    programme_id: int | None = None

    @property
    def shape(self) -> tuple[str, str, bool, bool]:
        years = (
            ONE_YEAR if self.year is not None else TO_COME if self.since is not None else ALL_YEARS
        )
        scope = RUN_BY if self.run_by is not None else EVERY
        return (scope, years, self.cohort_id is not None, self.programme_id is not None)

    @property
    def args(self) -> tuple:
        values = (self.run_by, self.year, self.since, self.cohort_id, self.programme_id)
        return tuple(value for value in values if value is not None)

    def queryset(self) -> QuerySet:
        return _milestone_cohorts(self.shape, *self.args)


def _scoped(scope: str, values) -> QuerySet:
    """The DfE-funded cohorts of a scope: every one, or those run by the next of `values`."""
    cohorts = Cohort.objects.exclude(programme__course_identifier="")
    return cohorts.run_by(next(values)) if scope == RUN_BY else cohorts


def _milestone_cohorts(shape: tuple, *args) -> QuerySet:
    """The cohorts of a MilestoneCohorts' shape, for its arguments."""
    scope, years, chosen, programme = shape
    values = iter(args)
    cohorts = _scoped(scope, values)
    if years != ALL_YEARS:
        cohorts = cohorts.filter(_years_q(years, next(values)))
    if chosen:
        cohorts = cohorts.filter(pk=next(values))
    if programme:
        cohorts = cohorts.filter(programme=next(values))
    return cohorts


def _years_q(years: str, value) -> Q:
    if years == ONE_YEAR:
        return Q(academic_year=value)
    return Q(ends_on__gte=value)  # TO_COME: a milestone to come (milestone_to_come_since)


def milestone_filter_choices(cohorts: MilestoneCohorts) -> list[tuple[int, str, int]]:
    """The programmes and school years of these cohorts (each programme id, short name and
    year, by programme name), in one fixed query: MilestoneFilterForm.choices_from's rows.

    The database gives each programme and year once, in no order, and they are put in order
    here: ordered there, every cohort of every year was sorted by its programme's name before
    the repeats were dropped (most of the page's growth over ten years)."""
    rows = fixed_rows(fixed_query_of(_milestone_choices, cohorts.shape), *cohorts.args)
    rows.sort(key=lambda row: (row[2], row[0], row[3]))
    return [(pk, short_name, year) for pk, short_name, _, year in rows]


def _milestone_choices(shape: tuple, *args):
    return (
        _milestone_cohorts(shape, *args)
        .order_by()
        .values_list("programme_id", "programme__short_name", "programme__name", "academic_year")
        .distinct()
    )


def milestone_cohort_options(
    cohorts: MilestoneCohorts, chosen: int | None
) -> list[tuple[int, str]]:
    """These cohorts (a person's, of a year or with a milestone to come), and the one
    `chosen` if it is the person's, as the cohort filter lists them: latest year first, then
    by programme and name (each id and name). One fixed query."""
    if chosen is not None and cohorts.shape[1] != ALL_YEARS:
        cohorts = replace(cohorts, cohort_id=chosen)
    query = fixed_query_of(_milestone_cohort_options, cohorts.shape)
    return [
        (pk, cohort_name(short_name, year, name))
        for pk, short_name, year, name in fixed_rows(query, *cohorts.args)
    ]


def _milestone_cohort_options(shape: tuple, *args):
    scope, years, chosen, _ = shape
    values = iter(args)
    cohorts = _scoped(scope, values)
    if years != ALL_YEARS:
        listed = _years_q(years, next(values))
        if chosen:  # the cohort chosen is listed whatever its year
            listed |= Q(pk=next(values))
        cohorts = cohorts.filter(listed)
    return cohorts.order_by("-academic_year", "programme__short_name", "name").values_list(
        "pk", "programme__short_name", "academic_year", "name"
    )


def _kept(declaration: str) -> tuple[str, str]:
    """The lookups of a declaration's kept due date and evidence day, from a place."""
    due, on = FIELDS[declaration]
    return f"kept_milestones__{due}", f"kept_milestones__{on}"


def supported_q(declaration: str, today: datetime.date) -> Q:
    """Its evidence had supported this declaration of the place by the end of today."""
    return Q(**{f"{_kept(declaration)[1]}__lte": today})


def _unsupported_q(declaration: str, today: datetime.date) -> Q:
    on = _kept(declaration)[1]
    return Q(**{f"{on}__isnull": True}) | Q(**{f"{on}__gt": today})


def claimable_q(today: datetime.date) -> Q:
    """A place with a supported declaration whose milestone date has not passed."""
    return reduce(
        operator.or_,
        (supported_q(d, today) & Q(**{f"{_kept(d)[0]}__gte": today}) for d in DECLARATIONS),
    )


def milestone_to_come_since(today: datetime.date) -> datetime.date:
    """The earliest end of a cohort with a milestone still to come on `today`: the last,
    completed, is due `completed_days_after_end` days after a cohort's end
    (reports/milestones.py)."""
    return today - datetime.timedelta(days=milestone_rules().completed_days_after_end)


def with_next_due(places: QuerySet, today: datetime.date) -> QuerySet:
    """Annotate `next_due`: the place's next milestone date, the first of its schedule not
    passed (a schedule's dates are in declaration order)."""
    return places.annotate(
        next_due=Case(
            *(When(**{f"{_kept(d)[0]}__gte": today}, then=F(_kept(d)[0])) for d in DECLARATIONS),
            default=None,
            output_field=DateField(),
        )
    )


def due_q(today: datetime.date) -> Q:
    """A place, not withdrawn or deferred, with a declaration due by its next milestone date
    that its evidence does not support yet (the places need `with_next_due`)."""
    return ~Q(status__in=STOPPED) & reduce(
        operator.or_,
        (Q(**{_kept(d)[0]: F("next_due")}) & _unsupported_q(d, today) for d in DECLARATIONS),
    )


# The places' order on the milestone page (MILESTONE_ORDER) begins with its cohorts' order.
COHORT_ORDER = ("-cohort__academic_year", "cohort__starts_on", "cohort__name", "cohort_id")
assert MILESTONE_ORDER[: len(COHORT_ORDER)] == COHORT_ORDER


class CohortCounts(NamedTuple):
    """How many of a cohort's places the milestone page lists, can claim now and have
    something due (a tuple: a page reads hundreds, and a tuple is made in a fraction of a
    dataclass's time)."""

    cohort_id: int
    all: int
    claimable: int
    due: int


def milestone_counts(
    cohorts: QuerySet | MilestoneCohorts, today: datetime.date, *, funded_only: bool
) -> list[CohortCounts]:
    """How many of these cohorts' places there are (the funded ones, or every place), can claim
    now and have something due, a cohort at a time in the page's order of cohorts, leaving out
    cohorts with no place. `PlacesInOrder` pages through the places with them."""
    return counts_listed(milestone_counted(cohorts, today)[0], funded_only=funded_only)


def milestone_counted(
    cohorts: QuerySet | MilestoneCohorts, today: datetime.date
) -> tuple[list[list[int]], bool]:
    """Each of these cohorts with a place, in the page's order of cohorts: its id and its
    counts (`_COUNTED`: its places, those claimable now and those with something due; then the
    same of its funded places); and whether every count was made from current kept days.

    Each cohort's counts are kept for the day (`CohortMilestoneCounts`), labelled with the
    version of its kept days they were counted from, read before counting: counts labelled
    with a version that is not the current one are counted again, so a change is never missed.
    A page reads them in one query; only cohorts not yet counted today, or changed since, are
    counted (one query over their places), and kept.

    The cohorts' kept days are brought up to date first (milestones_bring_up_to_date) when the
    same query says one of them is not current, and the counts read again: most visits find
    them current, and ask nothing more."""
    key = rules_key()
    rows = _cohort_counts_kept(cohorts)
    counts, missing, stale = _counts_read(rows, today, key)
    if stale and milestones_bring_up_to_date(cohorts=Cohort.objects.filter(pk__in=stale)):
        rows = _cohort_counts_kept(cohorts)
        counts, missing, stale = _counts_read(rows, today, key)
    if missing:
        counts.update(_count_afresh(missing, today, key=key))
    counted = [[row[0], *counts[row[0]]] for row in rows]
    return [row for row in counted if row[1]], not stale


def _counts_read(
    rows: list[tuple], today: datetime.date, key: str
) -> tuple[dict[int, tuple], dict[int, int | None], list[int]]:
    """From _cohort_counts_kept's rows, in one pass: the counts kept for today that are current
    (by cohort id); the cohorts to count afresh, each with the version of its kept days (None
    when they are not current, so not worth keeping); and those whose days are not current."""
    counts, missing, stale = {}, {}, []
    for pk, version, worked_out, rules, kept_version, day, kept_rules, *counted in rows:
        if not kept_days_current(version, worked_out, rules, key):
            stale.append(pk)
            missing[pk] = None
        elif kept_version == version and day == today and kept_rules == key:
            counts[pk] = counted
        else:
            missing[pk] = version
    return counts, missing, stale


def _cohort_counts_kept(cohorts: QuerySet | MilestoneCohorts) -> list[tuple]:
    """Each of these cohorts, in the page's order, with the version of its kept days and what
    it was worked out from, and its counts kept (labelled likewise)."""
    if isinstance(cohorts, MilestoneCohorts):
        query = fixed_query_of(_milestone_counts_kept, cohorts.shape)
        return fixed_rows(query, *cohorts.args)
    return list(_counts_kept_of(cohorts))


def _counts_kept_of(cohorts: QuerySet) -> QuerySet:
    return _counts_kept_from(Cohort.objects.filter(pk__in=cohorts.order_by().values("pk")))


def _counts_kept_from(cohorts: QuerySet) -> QuerySet:
    """These cohorts (each once) in the page's order, with _cohort_counts_kept's values."""
    kept = "kept_milestone_counts__"
    return cohorts.order_by(
        *(k.replace("cohort__", "").replace("cohort_id", "pk") for k in COHORT_ORDER)
    ).values_list(
        "pk",
        "milestones_kept__version",
        "milestones_kept__worked_out",
        "milestones_kept__rules",
        *(kept + field for field in ("version", "day", "rules", *_COUNTED)),
    )


def _milestone_counts_kept(shape: tuple, *args):
    # The cohorts themselves, with their kept rows joined (one each at most): not every
    # cohort filtered by a list of these ones' ids, which read every year's cohorts twice.
    return _counts_kept_from(_milestone_cohorts(shape, *args))


def kept_days_current(version, worked_out, rules, key: str) -> bool:
    """Whether a cohort's kept days are current: worked out at their latest version, by the
    rules in force (stale_cohorts' test, on a row already read)."""
    return version is not None and version == worked_out and rules == key


# What CohortMilestoneCounts keeps of each cohort, in this order.
_COUNTED = ("places", "claimable", "due", "funded", "funded_claimable", "funded_due")


def _count_afresh(
    versions: dict[int, int | None], today: datetime.date, *, key: str
) -> dict[int, tuple[int, ...]]:
    """Count these cohorts' places (by cohort id, the version of its kept days read before
    counting, or None when they are not current) and keep the counts of those with one."""
    funded = Q(kept_milestones__funded=True)
    claimable, due = claimable_q(today), due_q(today)
    found = {
        row[0]: tuple(row[1:])
        for row in with_next_due(Enrolment.objects.filter(cohort_id__in=versions), today)
        .order_by()
        .values("cohort_id")  # grouped by the id alone: no sort of every place by name
        .annotate(
            places=Count("pk"),
            claimable=Count("pk", filter=claimable),
            due=Count("pk", filter=due),
            funded=Count("pk", filter=funded),
            funded_claimable=Count("pk", filter=funded & claimable),
            funded_due=Count("pk", filter=funded & due),
        )
        .values_list("cohort_id", *_COUNTED)
    }
    counts = {pk: found.get(pk, (0,) * len(_COUNTED)) for pk in versions}
    keep = [
        CohortMilestoneCounts(
            cohort_id=pk,
            day=today,
            version=version,
            rules=key,
            **dict(zip(_COUNTED, counts[pk], strict=True)),
        )
        for pk, version in versions.items()
        if version is not None
    ]
    try:
        with transaction.atomic():
            CohortMilestoneCounts.objects.bulk_create(
                keep,
                update_conflicts=True,
                unique_fields=["cohort"],
                update_fields=["day", "version", "rules", *_COUNTED],
            )
    except IntegrityError:
        pass  # a cohort deleted meanwhile: its counts are not kept, and nothing else is lost
    return counts


def milestone_totals(counts: list[CohortCounts]) -> dict[str, int]:
    return {
        "all": sum(c.all for c in counts),
        "claimable": sum(c.claimable for c in counts),
        "due": sum(c.due for c in counts),
    }


# ---- A milestone page's listing, kept ----
#
# Before it lists a page of places, a milestone page reads its filters' programmes and years,
# the cohorts its cohort filter offers and each cohort's counts (every cohort of its scope,
# hundreds: about a fifth of the page's time). What was read is kept (`KeptMilestoneListing`,
# one row for each person's scope and filters asked for), labelled with the milestones' version,
# the day and the MILESTONES rules, and read again only when one of them moved on. The
# version (a counter of npq_portal/versions.py) moves on with every change to what a listing is
# read from: a cohort's version moving on (`milestones_stale`: its places, their evidence and
# funding, its dates, name and programme), a cohort deleted, a cohort's facilitators changed
# (reports/handlers.py).

MILESTONES_VERSION = "reports_milestones_version"  # made by reports 0009


def milestones_listing_stale(**kwargs) -> None:
    """Something a milestone page's listing is read from changed: kept listings are read
    again (also a signal receiver)."""
    version_move_on(MILESTONES_VERSION)


@dataclass(frozen=True)
class MilestoneListing:
    """What a milestone page lists before its page of places: its filters' programmes and
    years (`milestone_filter_choices`' rows), the cohorts its cohort filter offers
    (`milestone_cohort_options`' rows) and the cohorts it lists with their counts
    (`milestone_counted`'s rows)."""

    choices: list
    options: list
    counted: list

    def counts(self, *, funded_only: bool) -> list[CohortCounts]:
        return counts_listed(self.counted, funded_only=funded_only)


def counts_listed(counted: list, *, funded_only: bool) -> list[CohortCounts]:
    """Of `milestone_counted`'s rows, the counts of the funded places, or of every place, of
    each cohort with one."""
    start = 4 if funded_only else 1
    return [CohortCounts(row[0], *row[start : start + 3]) for row in counted if row[start]]


def milestone_listing_kept(
    asked: tuple, today: datetime.date, make: Callable[[], tuple[MilestoneListing, bool]]
) -> MilestoneListing:
    """The listing a milestone page asks for (`asked`: whose cohorts and the filters, values
    whose repr says all they are), kept: the one kept for them while the milestones' version,
    the day and the rules are those it was read at, else `make()`'s, kept when it says all it
    read was current."""
    scope = kept_digest(*asked)
    key = rules_key()
    version, kept = version_and_kept(
        MILESTONES_VERSION,
        KeptMilestoneListing._meta.db_table,
        ["listing"],
        {"scope": scope, "day": today.isoformat(), "rules": key},
    )
    if kept is not None:
        return MilestoneListing(*json.loads(kept[0]))
    listing, current = make()
    if current:
        kept = KeptMilestoneListing(
            scope=scope,
            version=version,
            day=today,
            rules=key,
            listing=json.dumps([listing.choices, listing.options, listing.counted]),
        )
        kept_write_for_day(kept, ["scope"], ["version", "day", "rules", "listing"])
    return listing


class PlacesInOrder(Sequence):
    """The ids of the places a milestone page lists, in MILESTONE_ORDER, for a Paginator, read
    only from the cohorts counted: their counts (`milestone_counts`, of what `show` lists:
    "all", "claimable" or "due") say which cohorts a slice falls in, so a page sorts only
    those cohorts' places, not every place listed. `funded_only`: only funded places.

    A page's slice is a fixed query (npq_portal.prepared) with a place for each cohort it
    may fall in (a page of PAGE_PLACES places falls in as many cohorts at most), composed once
    a connection; a longer slice is composed as it is asked for. When every place listed has
    kept days (the funded ones, or those claimable or due), the kept rows are looked up by
    their cohort too, which the planner reads by an index instead of reading every kept row."""

    def __init__(
        self, counts: list[CohortCounts], show: str, today: datetime.date, *, funded_only: bool
    ):
        self.counts = [(c.cohort_id, getattr(c, show)) for c in counts]
        self.shape = (funded_only, show, funded_only or show != "all")
        # The query's arguments before the cohorts': claimable and due are as of today.
        self.as_of = () if show == "all" else (today,)

    def __len__(self) -> int:
        return sum(count for _, count in self.counts)

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("PlacesInOrder is read a slice at a time.")
        start, stop = index.start or 0, len(self) if index.stop is None else index.stop
        cohorts, before, reached = [], None, 0
        for cohort_id, count in self.counts:
            if reached + count > start and reached < stop and count:
                cohorts.append(cohort_id)
                before = reached if before is None else before
            reached += count
        if not cohorts or stop <= start:
            return []
        if len(cohorts) > PAGE_PLACES:
            places = _milestone_place_ids(self.shape, *self.as_of, *cohorts)
            return list(places[start - before : stop - before])
        padded = [*cohorts, *[0] * (PAGE_PLACES - len(cohorts))]  # 0: no cohort has it
        query = fixed_query_of(_milestone_place_ids, self.shape)
        rows = fixed_rows(query, *self.as_of, *padded, limit=stop - start, offset=start - before)
        return [pk for (pk,) in rows]


@planned_generically
def _milestone_place_ids(shape: tuple, *args):
    """The ids of these cohorts' places a milestone page lists, in its order (`args`: today
    when it lists those claimable or due, then the cohorts' ids)."""
    funded_only, show, kept = shape
    today, cohort_ids = (None, args) if show == "all" else (args[0], args[1:])
    places = Enrolment.objects.filter(cohort_id__in=cohort_ids)
    if funded_only:
        places = places.filter(kept_milestones__funded=True)
    if show == "claimable":
        places = places.filter(claimable_q(today))
    elif show == "due":
        places = with_next_due(places, today).filter(due_q(today))
    if kept:
        places = places.filter(kept_milestones__cohort_id__in=cohort_ids)
    return places.order_by(*MILESTONE_ORDER).values_list("pk", flat=True)


# The most places a milestone page lists (its paginate_by).
PAGE_PLACES = 25


def milestone_page_places(ids: list[int]) -> dict[int, Enrolment]:
    """These places (ids `PlacesInOrder` gave, so already in the page's scope; a page's worth
    at most) by id, with only what the milestone page shows of each: person, cohort, status,
    when it stopped, where it was transferred to, its kept days. A place deleted since its id
    was read is missing.

    Read by a fixed query (npq_portal.prepared) with a place for each of a page's ids (those
    left over are 0, which no place has): composed once a connection, not on every visit."""
    if len(ids) > PAGE_PLACES:
        raise ValueError(f"A milestone page lists {PAGE_PLACES} places at most.")
    padded = [*ids, *[0] * (PAGE_PLACES - len(ids))]
    with joins_in_written_order():  # each table reached from the places by key
        return {place.pk: place for place in fixed_objects(_milestone_places_by_id, *padded)}


def _milestone_places_by_id(*ids: int):
    return (
        Enrolment.objects.filter(pk__in=ids)
        .select_related(
            "participant", "cohort__programme", "transferred_to__cohort", "kept_milestones"
        )
        .only(
            "status",
            "cohort_id",
            "participant__first_name",
            "participant__last_name",
            "participant__email",
            "cohort__name",
            "cohort__academic_year",
            "cohort__programme__short_name",
            "transferred_to__cohort__name",
            "transferred_to__transferred_from_id",
            *(f"kept_milestones__{field}" for pair in FIELDS.values() for field in pair),
        )
        .annotate(stopped_at=stopped_at_annotation())
        .order_by()  # found by id: the page's order is the ids'
    )


def kept_status(enrolment: Enrolment, today: datetime.date) -> MilestoneStatus:
    """One place's milestone status from its kept days (select `kept_milestones` with it)."""
    kept = enrolment.kept_milestones
    schedule = tuple(
        Milestone(declaration, getattr(kept, FIELDS[declaration][0]))
        for declaration in DECLARATIONS
        if getattr(kept, FIELDS[declaration][0]) is not None
    )
    days = {d: getattr(kept, FIELDS[d][1]) for d in DECLARATIONS}
    return status_from_days(
        days=days_as_of(days, today),
        schedule=schedule,
        stopped=enrolment.status in STOPPED,
        today=today,
    )
